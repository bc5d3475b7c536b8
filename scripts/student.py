"""Student copies of the lessons: every solution replaced by a stub, every check kept.

In a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` become
``raise NotImplementedError(...)`` at the same indentation, so the exercise cell still runs
and its check cell tells the student, in plain words, that the function is not written yet.
In a markdown cell (a written answer) they become a prompt. Outputs are stripped and the
navigation cells point at the README from build/student/. Usage:

    python scripts/student.py [--out build/student] [notebooks/NN_name.ipynb ...]
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hygiene  # noqa: E402
import navigation  # noqa: E402
from nbtools import BEGIN_SOLUTION, END_SOLUTION, NOTEBOOKS, ROOT, Lesson, lessons, write_if_changed  # noqa: E402

STUDENT = ROOT / "build" / "student"
MARKDOWN_PROMPT = "*Write your answer here.*"


def _function_name(lines: list[str], index: int, indent: str) -> str | None:
    """The function whose body line ``index`` (at ``indent``) is in."""
    for line in reversed(lines[:index]):
        match = re.match(r"^(\s*)(?:async\s+)?def (\w+)\(", line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    return None


def stub_source(source: str, markdown: bool = False) -> str:
    """``source`` with each solution replaced by a stub (or a prompt in markdown)."""
    lines = source.split("\n")
    out, inside = [], False
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            if inside:
                raise ValueError(f"nested {BEGIN_SOLUTION} in:\n{source}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if markdown:
                out.append(MARKDOWN_PROMPT)
            else:
                name = _function_name(lines, i, indent)
                what = f"{name} is not written yet" if name else "this exercise is not done yet"
                out.append(
                    f"{indent}# Your code: replace the next line, run this cell, then the check after it."
                )
                out.append(f'{indent}raise NotImplementedError("{what}")')
        elif marker == END_SOLUTION:
            if not inside:
                raise ValueError(f"{END_SOLUTION} without {BEGIN_SOLUTION} in:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN_SOLUTION} without {END_SOLUTION} in:\n{source}")
    return "\n".join(out)


def student_version(nb):
    """A stripped copy of the notebook ``nb`` with its solutions replaced by stubs."""
    nb = hygiene.clean(copy.deepcopy(nb))
    for cell in nb.cells:
        if cell.cell_type in ("code", "markdown") and BEGIN_SOLUTION in cell.source:
            cell.source = stub_source(cell.source, markdown=cell.cell_type == "markdown")
    return nb


def build(folder: Path = NOTEBOOKS, out: Path = STUDENT, names: list[str] | None = None) -> list[Lesson]:
    """Write the student copies of the lessons in ``folder`` (all, or those named) to ``out``.

    Returns the instructor lessons written (the student copy keeps their cells in place).
    """
    all_lessons = navigation.navigated(lessons(folder), readme_href="../../README.md")
    written = []
    for lesson in all_lessons:
        if names and lesson.path.name not in names:
            continue
        target = Path(out) / lesson.path.name
        write_if_changed(student_version(lesson.nb), target)
        written.append(lesson)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=STUDENT)
    args = parser.parse_args(argv)
    names = [p.name for p in args.notebooks] or None
    for lesson in build(NOTEBOOKS, args.out, names):
        exercises = len(navigation.exercises(lesson.nb))
        print(f"student: {args.out / lesson.path.name} ({exercises} exercises stubbed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
