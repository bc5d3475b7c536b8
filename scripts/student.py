"""Student working copies of the lessons: every solution replaced by a stub, every check kept.

In a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (nbgrader's
markers) become ``raise NotImplementedError(...)`` at the same indentation, so the exercise cell
still runs and its check cell tells the student, in plain words, that the function is not written
yet. In a markdown cell (a written answer) they become a prompt. Right below each exercise a
markdown cell holds the solution in a collapsed HTML ``<details>`` block, which JupyterLab and
GitHub render closed, so the student tries first. The lesson's published full-mode outputs are
kept (hygiene.clean; the Exercises have none), so the copy shows the results before it runs; any
other output is stripped. (nbgrader's own
``generate_assignment`` removes solutions but cannot keep them collapsed beside the stub, and
needs its course folder layout; the markers are the same.)

The copies are the student's own: a file that exists is never overwritten or deleted. When the
lesson has changed since a copy was made (a ``git pull``), the new version is written beside it
as ``NN_name.new-<hash>.ipynb`` and the command says so. Usage:

    python scripts/student.py [--out work] [notebooks/NN_name.ipynb ...]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hygiene  # noqa: E402
import navigation  # noqa: E402
import nbformat  # noqa: E402
from nbtools import BEGIN_SOLUTION, END_SOLUTION, NOTEBOOKS, ROOT, lessons, write_if_changed  # noqa: E402

WORK = ROOT / "work"
MARKDOWN_PROMPT = "*Write your answer here.*"
SOLUTION_SUMMARY = "Solution (open it once you have tried)"
SOLUTION_TAG = "solution"


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


def solution_cell(source: str, markdown: bool = False):
    """A markdown cell with the solution in a collapsed ``<details>`` block: the whole exercise cell
    without its markers for code, the text between the markers for a written answer."""
    lines, inside, answer = source.split("\n"), False, []
    for line in lines:
        marker = line.strip()
        inside = (inside or marker == BEGIN_SOLUTION) and marker != END_SOLUTION
        if inside and marker != BEGIN_SOLUTION:
            answer.append(line)
    kept = "\n".join(line for line in lines if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))
    body = "\n".join(answer).strip("\n") if markdown else f"```python\n{kept.strip()}\n```"
    text = f"<details>\n<summary>{SOLUTION_SUMMARY}</summary>\n\n{body}\n\n</details>"
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [SOLUTION_TAG]})


def student_version(nb, solutions: bool = True):
    """A cleaned copy of the notebook ``nb`` with its solutions replaced by stubs; with
    ``solutions``, each one follows its stub in a collapsed block."""
    nb = hygiene.clean(copy.deepcopy(nb))
    cells = []
    for cell in nb.cells:
        if cell.cell_type in ("code", "markdown") and BEGIN_SOLUTION in cell.source:
            markdown = cell.cell_type == "markdown"
            answer = solution_cell(cell.source, markdown)
            cell.source = stub_source(cell.source, markdown=markdown)
            cells += [cell, answer] if solutions else [cell]
        else:
            cells.append(cell)
    nb.cells = cells
    return nb


def lesson_hash(nb) -> str:
    """A short hash of a lesson's cell sources: it changes when a ``git pull`` changes the lesson."""
    text = json.dumps([[c.cell_type, c.source] for c in nb.cells])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def place(nb, target: Path, origin: str) -> tuple[Path | None, str]:
    """Write the working copy ``nb`` (made from a lesson of hash ``origin``) to ``target``, never
    replacing a file there; returns the path written (None if none) and what happened."""
    nb.metadata["resnet_series"] = {"made_from": origin}
    if not target.exists():
        write_if_changed(nb, target)
        return target, f"{target}: made"
    try:
        made_from = json.loads(target.read_text(encoding="utf-8"))["metadata"]["resnet_series"]["made_from"]
    except (OSError, ValueError, KeyError, TypeError):
        made_from = None  # a file of the student's own, or damaged: never touched
    if made_from == origin:
        return None, f"{target}: kept (your copy of the current lesson)"
    beside = target.with_name(f"{target.stem}.new-{origin}.ipynb")
    if beside.exists():
        return None, f"{target}: kept; the lesson's new version is already in {beside.name}"
    write_if_changed(nb, beside)
    return beside, (
        f"{target}: kept, with your edits. The lesson has changed since this copy was made; "
        f"its new version is {beside}. Move your work over when you are ready."
    )


def build(folder: Path = NOTEBOOKS, out: Path = WORK, names: list[str] | None = None) -> list[tuple]:
    """Make the working copies of the lessons in ``folder`` (all, or those named) in ``out``.

    Returns ``(lesson, path written or None, message)`` for each lesson; no existing file is replaced.
    """
    all_lessons = navigation.navigated(lessons(folder), readme_href="../README.md")
    done = []
    for lesson in all_lessons:
        if names and lesson.path.name not in names:
            continue
        written, message = place(
            student_version(lesson.nb), Path(out) / lesson.path.name, lesson_hash(lesson.nb)
        )
        done.append((lesson, written, message))
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=WORK)
    args = parser.parse_args(argv)
    names = [p.name for p in args.notebooks] or None
    for lesson, _, message in build(NOTEBOOKS, args.out, names):
        exercises = len(navigation.exercises(lesson.nb))
        print(f"{message} ({exercises} exercises)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
