"""Lessons with coded exercises: checked exercises with self-contained checks, and the library's real source.

Each exercise cell defines a function with its solution between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the next code cell checks it with ``rl.check_*``. Here the check cells
run outside the notebook, with only the Setup cell's imports and the exercise functions, so
a student can rerun a check without rerunning the lesson. (tests/test_student.py runs the
student copies, where the solutions are stubs.) The lessons must also show the library's
real source where they teach it, rather than a copy of it.
"""

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = (
    "01_why_residual",
    "02_identity_block",
    "03_convolutional_block",
    "04_resnet50",
    "05_training",
    "06_variants_and_cost",
    "07_common_mistakes",
    "08_inside_a_trained_resnet",
)
BEGIN = "### BEGIN SOLUTION"

#: What each lesson teaches from the library, shown with inspect.getsource.
SHOWN_SOURCE = {
    "02_identity_block": ["rl.identity_block"],
    "03_convolutional_block": ["rl.convolutional_block", "rl.ZeroPadShortcut"],
    "04_resnet50": ["rl.resnet", "rl.imagenet_resnet", "rl.copy_weights_by_name"],
    "08_inside_a_trained_resnet": ["rl.delete_blocks", "rl.filter_normalized_direction", "rl.grad_cam"],
}
#: Library functions a lesson must not re-implement under the same name.
LIBRARY_NAMES = {"identity_block", "convolutional_block", "resnet", "resnet50", "copy_weights_by_name"}


def _code_cells(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _exercises(cells):
    """[(exercise source, check source)]: each solution cell and the code cell after it."""
    return [(src, cells[i + 1]) for i, src in enumerate(cells) if BEGIN in src and i + 1 < len(cells)]


def _imports(cells):
    """The import statements of the Setup cell (the first code cell)."""
    tree = ast.parse(cells[0])
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom))


def _defined(source):
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_has_checked_exercises(name):
    exercises = _exercises(_code_cells(name))
    assert len(exercises) >= 2, f"{name} should have at least two coded exercises"
    for exercise, check in exercises:
        assert _defined(exercise), f"{name}: an exercise cell must define the function the student writes"
        assert "rl.check_" in check, (
            f"{name}: the check cell after {_defined(exercise)} must use an rl.check_ function"
        )
        assert BEGIN not in check


@pytest.mark.parametrize("name", LESSONS)
def test_checks_need_only_the_imports_and_the_exercises(name):
    cells = _code_cells(name)
    exercises = _exercises(cells)
    namespace = {}
    exec(_imports(cells), namespace)
    for exercise, _ in exercises:  # later exercises may build on earlier ones
        exec(exercise, namespace)
    for _, check in exercises:
        exec(check, namespace)  # raises if a solution does not pass its check


@pytest.mark.parametrize("name", sorted(SHOWN_SOURCE))
def test_lessons_show_the_library_source_they_teach(name):
    # (07 transcribes the seed notebook's own convolutional_block on purpose, so it is not listed)
    code = "\n".join(_code_cells(name))
    for target in SHOWN_SOURCE[name]:
        assert f"inspect.getsource({target}" in code, f"{name} should print the real source of {target}"
    defined = {fn for src in _code_cells(name) for fn in _defined(src)}
    assert not defined & LIBRARY_NAMES, (
        f"{name} re-implements {defined & LIBRARY_NAMES} under the library's name"
    )
