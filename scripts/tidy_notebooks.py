"""Bring every lesson to its committed form in one pass (``make format`` runs this).

For each notebook: strip outputs and machine-specific metadata (hygiene.py), regenerate the
navigation cells (navigation.py) and the slide metadata (slides.py); then regenerate the
README's contents table. Usage:

    python scripts/tidy_notebooks.py           # rewrite what is stale
    python scripts/tidy_notebooks.py --check   # exit 1 listing what is stale or breaks the skeleton
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hygiene  # noqa: E402
import navigation  # noqa: E402
import slides  # noqa: E402
from nbtools import NOTEBOOKS, ROOT, Lesson, differs, lessons, write_if_changed  # noqa: E402


def tidied(folder: Path = NOTEBOOKS) -> list[Lesson]:
    """The lessons in ``folder`` as they should be committed (in memory; nothing is written)."""
    all_lessons = lessons(folder)
    for lesson in all_lessons:
        hygiene.clean(lesson.nb)
    navigation.navigated(all_lessons)
    for lesson in all_lessons:
        slides.with_slide_metadata(lesson.nb)
    return all_lessons


def problems(folder: Path = NOTEBOOKS, readme: Path = navigation.README) -> list[str]:
    """What ``--check`` reports: stale notebooks or README table, missing pictures, broken skeletons."""
    found = []
    all_lessons = tidied(folder)
    for lesson in all_lessons:
        name = lesson.path.name
        on_disk = Lesson.load(lesson.path).nb
        found += [f"{name}: {p} (run `make format`)" for p in hygiene.problems(on_disk)]
        if differs(lesson.nb, lesson.path):
            found.append(f"{name}: navigation cells or slide metadata are stale (run `make format`)")
        found += [f"{name}: {p}" for p in navigation.skeleton_problems(lesson)]
        picture = navigation.image_path(lesson)
        if not picture.exists():
            found.append(f"images/{picture.name} is missing (run `make images`)")
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if navigation.readme_with_contents(text, all_lessons) != text:
        found.append(f"{readme.name}: the contents table is stale (run `make nav`)")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when anything is stale")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    all_lessons = tidied()
    for lesson in all_lessons:
        if write_if_changed(lesson.nb, lesson.path):
            print(f"tidy: rewrote {lesson.path.relative_to(ROOT)}")
    return navigation.main([])


if __name__ == "__main__":
    sys.exit(main())
