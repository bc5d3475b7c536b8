"""The library a student reads beside the lessons: one public face, public Keras only, a readable size.

- Lessons import the library one way, ``import resnet_lib as rl``, and use ``rl.<name>`` for
  everything, every name listed in ``rl.__all__`` (no ``rl.data.x``, no ``from resnet_lib ...``).
- The library uses Keras' public API only: no ``keras.src`` import, and no private attribute
  (``obj._name``) of anything but its own objects.
- Sizes: at most 2,300 lines for everything but the exercise checks (lesson 08's tools included),
  at most 1,050 for the exercise checks of the eight lessons, and no module over 400 lines.
"""

import ast
import re
from pathlib import Path

import resnet_lib as rl

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "resnet_lib"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MODULES = sorted(LIBRARY.rglob("*.py"))
SUBMODULES = {p.stem for p in LIBRARY.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}


def _code(path):
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def test_every_public_name_exists_and_is_listed_once():
    assert len(rl.__all__) == len(set(rl.__all__))
    missing = [name for name in rl.__all__ if not hasattr(rl, name)]
    assert not missing, f"rl.__all__ lists names the package lacks: {missing}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_use_the_library_one_way(path):
    code = _code(path)
    imports = re.findall(r"^\s*(?:import resnet_lib\S*.*|from resnet_lib\S* import .*)$", code, re.M)
    assert all(line.strip() == "import resnet_lib as rl" for line in imports), imports
    via_module = sorted(set(re.findall(rf"\brl\.(?:{'|'.join(SUBMODULES)})\.\w+", code)))
    assert not via_module, f"{path.name} reaches into submodules: {via_module}; use rl.<name>"
    used = set(re.findall(r"\brl\.(\w+)", code))
    unlisted = sorted(used - set(rl.__all__))
    assert not unlisted, f"{path.name} uses rl.{unlisted}, which rl.__all__ does not list"


def _private_attributes(tree):
    """``obj._name`` accesses where ``obj`` is not ``self``, ``cls`` or ``super()`` (dunders allowed)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_(?!_)\w*", node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
                continue
            if isinstance(owner, ast.Name) and owner.id in SUBMODULES | {"_validate", "_common"}:
                continue  # the library's own private helpers, e.g. _validate.positive_int
            yield f"line {node.lineno}: .{node.attr}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_library_uses_public_keras_only(path):
    source = path.read_text()
    assert "keras.src" not in source, f"{path.name} imports from keras.src"
    private = list(_private_attributes(ast.parse(source)))
    assert not private, f"{path.name} reads private attributes: {private}"


def _lines(paths):
    return sum(len(p.read_text().splitlines()) for p in paths)


def test_the_library_is_a_size_a_student_reads_in_one_sitting():
    checks = [p for p in MODULES if p.stem == "checks" or "checks" in p.relative_to(LIBRARY).parts[:-1]]
    rest = [p for p in MODULES if p not in checks]
    # 2,400: the speed work added the quiet TensorFlow import, the SGD fix, weight averaging,
    # shifted test views and the reuse of lesson 05's network (about 100 lines) to the 2,300 before;
    # 2,450: block diagrams drawn with Graphviz instead of ASCII art, and paths shown relative.
    assert _lines(rest) <= 2450, f"resnet_lib without the checks has {_lines(rest)} lines (at most 2,450)"
    assert _lines(checks) <= 1050, f"the exercise checks have {_lines(checks)} lines (at most 1,050)"
    long = {str(p.relative_to(LIBRARY)): _lines([p]) for p in MODULES if _lines([p]) > 400}
    assert not long, f"modules over 400 lines: {long}"
