"""The lessons as committed: clean, on the skeleton, with current navigation, slide metadata, README table.

``make format`` (scripts/tidy_notebooks.py) fixes everything these tests find except a broken
skeleton, which the lesson's author fixes. The rules themselves are tested on small notebooks
made here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import hygiene  # noqa: E402
import navigation  # noqa: E402
import slides  # noqa: E402
import tidy_notebooks  # noqa: E402
from nbtools import NAV_TAG, Lesson, lessons, notebook_paths  # noqa: E402

LESSONS = lessons()
ids = {"ids": lambda lsn: lsn.path.stem}


def test_there_are_lessons():
    assert len(LESSONS) >= 1, "no notebooks/NN_name.ipynb found"
    numbers = [lsn.number for lsn in LESSONS]
    assert len(set(numbers)) == len(numbers), f"two lessons share a number: {numbers}"


@pytest.mark.parametrize("lesson", LESSONS, **ids)
def test_committed_without_outputs_or_machine_metadata(lesson):
    problems = hygiene.problems(lesson.nb)
    assert not problems, f"{lesson.path.name}: " + "; ".join(problems) + " (run `make format`)"


@pytest.mark.parametrize("lesson", LESSONS, **ids)
def test_follows_the_skeleton(lesson):
    tidied = Lesson(lesson.path, nbformat.from_dict(lesson.nb))
    navigation.navigated([tidied])  # judge the skeleton, not the navigation, here
    problems = navigation.skeleton_problems(tidied)
    assert not problems, f"{lesson.path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("lesson", tidy_notebooks.tidied(), **ids)
def test_navigation_and_slide_metadata_are_current(lesson):
    on_disk = nbformat.read(lesson.path, as_version=4)
    assert [c.metadata.get("tags", []) for c in on_disk.cells][:1] == [[NAV_TAG]], (
        f"{lesson.path.name} has no navigation cell at the top (run `make format`)"
    )
    assert on_disk.cells == lesson.nb.cells and on_disk.metadata == lesson.nb.metadata, (
        f"{lesson.path.name}: the navigation cells or slide metadata differ from what "
        "scripts/tidy_notebooks.py writes (run `make format`; never edit them by hand)"
    )


def test_readme_contents_table_is_current_and_every_lesson_has_a_picture():
    readme = navigation.README.read_text(encoding="utf-8")
    assert navigation.START in readme and navigation.END in readme
    assert navigation.readme_with_contents(readme, LESSONS) == readme, (
        "README contents table is stale (make nav)"
    )
    missing = [
        f"images/{p.stem}.png" for p in notebook_paths() if not (ROOT / "images" / f"{p.stem}.png").exists()
    ]
    assert not missing, f"missing lesson pictures {missing} (run `make images` after `make notebooks`)"


# ---------------------------------------------------------------- the rules, on notebooks made here


def lesson_cells(number="01", title="A lesson"):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return [
        md(f"# {number} · {title}\n\n## Overview\n\nThis lesson builds a thing. It is short.\n\n- goal one"),
        md("## Setup"),
        code("import resnet_lib as rl\n\ns = rl.setup()"),
        md("## 1. First idea\n\nText."),
        code("x = 1\nprint(x)"),
        code("y = 2"),
        md("Next point."),
        md("More text on it."),
        md("### A detail"),
        md("## 2. Second idea\n\n```python\n# not a heading\n## nor this\n```"),
        code("z = 3"),
        md("## Summary\n\n- done"),
        md("## Exercises"),
        code("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
        code("check(f)"),
    ]


def write_lessons(folder: Path, count=3) -> list[Lesson]:
    (folder / "notebooks").mkdir(parents=True)
    for n in range(1, count + 1):
        nb = nbformat.v4.new_notebook(cells=lesson_cells(f"{n:02d}", f"Lesson {n}"))
        nbformat.write(nb, folder / "notebooks" / f"{n:02d}_lesson_{n}.ipynb")
    return lessons(folder / "notebooks")


def test_navigation_links_previous_contents_next(tmp_path):
    first, middle, last = navigation.navigated(write_lessons(tmp_path))
    top = middle.nb.cells[0].source
    assert "[← 01 · Lesson 1](01_lesson_1.ipynb)" in top and "[03 · Lesson 3 →](03_lesson_3.ipynb)" in top
    assert "[Contents](../README.md#contents)" in top
    assert middle.nb.cells[-1].source == top and middle.nb.cells[-1].id == "nav-bottom"
    assert "←" not in first.nb.cells[0].source and "→" not in last.nb.cells[0].source
    again = navigation.navigated(lessons(tmp_path / "notebooks"))  # idempotent: no second pair of cells
    navigation.navigated(again)
    assert sum(navigation.is_nav_cell(c) for c in again[1].nb.cells) == 2
    assert all(not navigation.skeleton_problems(lsn) for lsn in again)


def test_readme_table_replaces_only_its_block(tmp_path):
    all_lessons = write_lessons(tmp_path, 2)
    text = f"# Title\n\n## Contents\n\n{navigation.START}\nold\n{navigation.END}\n\n## After\n"
    new = navigation.readme_with_contents(text, all_lessons)
    assert new.startswith("# Title\n\n## Contents\n\n") and new.endswith(f"{navigation.END}\n\n## After\n")
    assert "old" not in new
    assert (
        '<img src="images/02_lesson_2.png"' in new and "[02 · Lesson 2](notebooks/02_lesson_2.ipynb)" in new
    )
    assert "| This lesson builds a thing. |" in new  # no subtitle: the overview's first sentence
    assert navigation.readme_with_contents(new, all_lessons) == new
    appended = navigation.readme_with_contents("# Title\n", all_lessons)
    assert appended.startswith("# Title\n\n" + navigation.START) and appended.endswith(navigation.END + "\n")
    all_lessons[0].nb.cells[0].source = "# 01 · Lesson 1\n\nA subtitle\nin two lines.\n\n## Overview\n\nText."
    assert "| A subtitle in two lines. |" in navigation.readme_with_contents(text, all_lessons)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda cells: cells.pop(0), "must start with '# 01 · Title'"),
        (lambda cells: cells.__setitem__(1, nbformat.v4.new_markdown_cell("## Set up")), "## headings"),
        (lambda cells: cells.__setitem__(9, nbformat.v4.new_markdown_cell("## 3. Skipped")), "count 1, 2, 3"),
        (lambda cells: cells.__setitem__(2, nbformat.v4.new_code_cell("import numpy")), "rl.setup()"),
        (lambda cells: cells.pop(14), "no check cell"),
        (lambda cells: cells.pop(13), "no exercise cell"),
        (lambda cells: cells.insert(1, nbformat.v4.new_code_cell("x = 0")), "before the Setup"),
    ],
)
def test_skeleton_problems_are_named(tmp_path, change, complaint):
    cells = lesson_cells()
    change(cells)
    path = tmp_path / "01_lesson.ipynb"
    lesson = Lesson(path, nbformat.v4.new_notebook(cells=cells))
    navigation.navigated([lesson])
    problems = navigation.skeleton_problems(lesson)
    assert any(complaint in p for p in problems), problems


def test_clean_strips_outputs_and_machine_metadata():
    nb = nbformat.v4.new_notebook(cells=lesson_cells())
    nb.metadata = {"kernelspec": {"name": "py3", "display_name": "x"}, "language_info": {"version": "3.11.7"}}
    cell = nb.cells[4]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    cell.execution_count = 7
    cell.metadata = {"scrolled": True, "ExecuteTime": {}, "tags": ["nbval-skip"], "lines_to_next_cell": 2}
    assert len(hygiene.problems(nb)) == 5
    hygiene.clean(nb)
    assert hygiene.problems(nb) == []
    assert nb.metadata == {"kernelspec": hygiene.KERNELSPEC}
    assert cell.outputs == [] and cell.execution_count is None and cell.metadata == {"tags": ["nbval-skip"]}


def test_slide_types_follow_the_rules():
    cells = lesson_cells()
    lesson = Lesson(Path("01_x.ipynb"), nbformat.v4.new_notebook(cells=cells))
    navigation.navigated([lesson])
    kinds = slides.slide_types(lesson.nb.cells)
    assert kinds == [
        "skip",  # navigation
        "slide",  # title + overview
        "slide",  # ## Setup
        "fragment",  # setup code, after its heading
        "slide",  # ## 1.
        "fragment",  # code after explanation
        "subslide",  # code after code
        "subslide",  # explanation after code: a new idea
        "-",  # explanation after explanation stays
        "subslide",  # ### heading
        "slide",  # ## 2.
        "fragment",
        "slide",  # ## Summary
        "slide",  # ## Exercises
        "fragment",  # exercise
        "subslide",  # its check
        "skip",  # navigation
    ]
