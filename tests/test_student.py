"""Student copies (scripts/student.py): solutions become stubs, and every check then says so in plain words.

The instructor notebooks themselves run under nbval in the same test command. Here each
student copy is executed in a Jupyter kernel (fast mode, errors allowed) and every error must
be the ``AssertionError`` of a check cell saying the function "is not written yet"; every
check cell must fail that way. Another cell may fail only with the stub's own NotImplementedError
("... is not written yet"): an experiment that uses the student's function after its check.

Cost. A student copy differs from its lesson only from the first exercise cell on, and
everything before that already ran under nbval. So only the cells the exercises need are run:
the Setup cell, every cell from the first exercise on, and the earlier cells that define (or
call a method of) a name those cells use, found by a backward pass over the cells' names
(``needed_cells``). That is a few seconds per lesson instead of a full run. When that sliced
run shows an unexpected error, the whole student copy is run before judging, so a slicing
miss costs time, never a wrong verdict.
"""

from __future__ import annotations

import ast
import builtins
import copy
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import navigation  # noqa: E402
import student  # noqa: E402
from nbtools import BEGIN_SOLUTION, END_SOLUTION, Lesson, lessons  # noqa: E402

LESSONS = lessons()
NOT_WRITTEN = "not written yet"


# ---------------------------------------------------------------- the transformation


EXERCISE = f'''import numpy as np


def double(x):
    """Twice x."""
    {BEGIN_SOLUTION}
    y = 2 * x
    return y
    {END_SOLUTION}


def helper():
    return 1'''


def test_stub_replaces_the_solution_and_keeps_the_rest():
    stub = student.stub_source(EXERCISE)
    assert BEGIN_SOLUTION not in stub and END_SOLUTION not in stub and "2 * x" not in stub
    assert '    raise NotImplementedError("double is not written yet' in stub
    assert stub.startswith('import numpy as np\n\n\ndef double(x):\n    """Twice x."""\n')
    assert stub.endswith("def helper():\n    return 1")
    namespace = {}
    exec(compile(stub, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="double is not written yet"):
        namespace["double"](1)
    assert namespace["helper"]() == 1


def test_markdown_answers_become_a_prompt():
    text = f"Why?\n\n{BEGIN_SOLUTION}\nBecause.\n{END_SOLUTION}\n"
    assert student.stub_source(text, markdown=True) == f"Why?\n\n{student.MARKDOWN_PROMPT}\n"


@pytest.mark.parametrize(
    "broken",
    [
        f"{BEGIN_SOLUTION}\nx = 1",
        f"x = 1\n{END_SOLUTION}",
        f"{BEGIN_SOLUTION}\n{BEGIN_SOLUTION}\n{END_SOLUTION}",
    ],
)
def test_unbalanced_markers_are_refused(broken):
    with pytest.raises(ValueError, match="SOLUTION"):
        student.stub_source(broken)


def test_student_copy_keeps_every_cell_and_strips_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell(EXERCISE)
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    code.execution_count = 3
    check = nbformat.v4.new_code_cell("check(double)")
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · T"), code, check]
    stubbed = student.student_version(nb)
    assert [c.cell_type for c in stubbed.cells] == ["markdown", "code", "markdown", "code"]
    assert stubbed.cells[1].outputs == [] and stubbed.cells[1].execution_count is None
    assert "NotImplementedError" in stubbed.cells[1].source and stubbed.cells[3].source == "check(double)"
    solution = stubbed.cells[2].source
    assert solution.startswith("<details>\n<summary>") and solution.endswith("</details>")
    assert "    y = 2 * x\n    return y" in solution and BEGIN_SOLUTION not in solution
    assert "2 * x" in nb.cells[1].source, "the instructor notebook must not change"
    assert [c.cell_type for c in student.student_version(nb, solutions=False).cells] == [
        "markdown",
        "code",
        "code",
    ]


def test_a_written_answer_is_collapsed_below_its_prompt():
    cell = nbformat.v4.new_markdown_cell(f"Why?\n\n{BEGIN_SOLUTION}\nBecause.\n{END_SOLUTION}\n")
    nb = nbformat.v4.new_notebook(cells=[cell])
    prompt, answer = student.student_version(nb).cells
    assert prompt.source == f"Why?\n\n{student.MARKDOWN_PROMPT}\n"
    assert "Because." in answer.source and "Why?" not in answer.source and "<details>" in answer.source


# ---------------------------------------------------------------- working copies are never lost


def _edit(path: Path, text: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(text))
    nbformat.write(nb, path)


def test_working_copies_survive_rebuilds_and_a_changed_lesson(tmp_path):
    lessons_dir, work = tmp_path / "notebooks", tmp_path / "work"
    lessons_dir.mkdir()
    for lesson in LESSONS:
        (lessons_dir / lesson.path.name).write_bytes(lesson.path.read_bytes())
    name = LESSONS[1].path.name
    assert all(written is not None for _, written, _ in student.build(lessons_dir, work))
    _edit(work / name, "my_answer = 42  # the student's own work")
    mine = (work / name).read_bytes()

    assert all(written is None for _, written, _ in student.build(lessons_dir, work)), (
        "a rebuild wrote a file"
    )
    assert (work / name).read_bytes() == mine

    lesson = nbformat.read(lessons_dir / name, as_version=4)  # a git pull changes the lesson
    next(c for c in lesson.cells if c.cell_type == "code").source += "\n# changed upstream"
    nbformat.write(lesson, lessons_dir / name)
    results = {
        lsn.path.name: (written, message) for lsn, written, message in student.build(lessons_dir, work)
    }
    written, message = results[name]
    assert (work / name).read_bytes() == mine, "the student's copy was replaced"
    assert (
        written is not None and written.parent == work and written.name.startswith(f"{Path(name).stem}.new-")
    )
    assert "kept, with your edits" in message and str(written) in message
    assert "# changed upstream" in written.read_text()
    assert all(w is None for n, (w, _) in results.items() if n != name)

    (work / "notes.ipynb").write_text("not even a notebook")  # a file of the student's own
    again = {lsn.path.name: w for lsn, w, _ in student.build(lessons_dir, work)}
    assert set(again.values()) == {None}, "the new version is written once"
    assert sorted(p.name for p in work.iterdir()) == sorted(
        [lsn.path.name for lsn in LESSONS] + [written.name, "notes.ipynb"]
    )


def test_make_student_lab_and_clean_never_touch_an_edited_copy(tmp_path):
    """The real Makefile, in a copy of the project: ``make student``, ``make clean`` and again."""
    project = tmp_path / "project"
    for part in ("Makefile", "requirements.txt", "pyproject.toml"):
        project.mkdir(exist_ok=True)
        shutil.copy2(ROOT / part, project / part)
    for folder in ("scripts", "notebooks"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".venv").symlink_to(ROOT / ".venv")
    make = ["make", "-s", "-C", str(project)]
    subprocess.run([*make, "student"], check=True, capture_output=True, text=True)
    copy_path = project / "work" / LESSONS[0].path.name
    _edit(copy_path, "my_answer = 42")
    mine = copy_path.read_bytes()
    (project / "build" / "notebooks").mkdir(parents=True)
    done = subprocess.run([*make, "clean", "student"], check=True, capture_output=True, text=True)
    assert not (project / "build").exists(), "make clean should still delete build/"
    assert copy_path.read_bytes() == mine, f"make clean student replaced the student's copy:\n{done.stdout}"
    assert "kept" in done.stdout
    lab = subprocess.run([*make, "-n", "lab"], check=True, capture_output=True, text=True).stdout
    assert "jupyter lab work/" in lab and "rm " not in lab


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lsn: lsn.path.stem)
def test_student_copy_has_no_solution_left(lesson):
    stubbed = student.student_version(lesson.nb)
    text = "\n".join(c.source for c in stubbed.cells)
    assert BEGIN_SOLUTION not in text and END_SOLUTION not in text
    exercises = navigation.exercises(lesson.nb)
    assert text.count("raise NotImplementedError(") >= len(exercises) > 0


# ---------------------------------------------------------------- which cells to run


def _parse(source: str):
    """The cell's syntax tree (IPython magics and shell lines blanked), or None."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _root(node):
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _free_reads(node, bound=frozenset()) -> set:
    """Names ``node`` loads from the cell's globals: parameters and locals of functions don't count."""
    if isinstance(node, _SCOPES):
        local = set()
        if not isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            args = node.args
            local |= {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
                local.add(inner.id)
            elif isinstance(inner, ast.Import | ast.ImportFrom):
                local |= {(a.asname or a.name).split(".")[0] for a in inner.names}
        bound = bound | local
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return set() if node.id in bound else {node.id}
    found = set()
    for child in ast.iter_child_nodes(node):
        found |= _free_reads(child, bound)
    return found


class _InOrder(ast.NodeVisitor):
    """Walks a cell in the order Python runs it, noting the names loaded before the cell assigns them."""

    def __init__(self):
        self.assigned, self.reads = set(), set()

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.assigned:
                self.reads.add(node.id)
        else:
            self.assigned.add(node.id)

    def _scope(self, node):  # a function body runs later: its global reads count unless assigned by now
        self.reads |= _free_reads(node) - self.assigned

    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope

    def visit_FunctionDef(self, node):
        for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        self._scope(node)
        self.assigned.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        self.assigned.add(node.name)

    def visit_Import(self, node):
        self.assigned |= {(a.asname or a.name).split(".")[0] for a in node.names}

    visit_ImportFrom = visit_Import

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name) and node.target.id not in self.assigned:
            self.reads.add(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_AsyncFor = visit_For


def _outside_scopes(node):
    """``node`` and its descendants, not entering function bodies, lambdas or comprehensions."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            yield from _outside_scopes(child)


def names_of(source: str, modules=frozenset()) -> tuple[set, set, set]:
    """(written, rebound, read) names of a code cell.

    ``written``: names the cell binds or changes at top level (assignment, import, def, class,
    a statement ``name.method(...)``, ``name[...] = ``, ``name.attr = ``, except on the
    ``modules`` the notebook imports: ``plt.show()`` changes no data); ``rebound``: those it
    binds afresh before reading them (so earlier values no longer matter); ``read``: the names
    it loads before assigning them, inside function bodies too (a function reads them when called).
    """
    tree = _parse(source)
    if tree is None:  # unparsable: treat it as touching every word in it
        words = set(re.findall(r"[A-Za-z_]\w*", source))
        return words, set(), words
    written, rebound, imported = set(), set(), set()
    order = _InOrder()
    order.visit(tree)
    read = order.reads
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            written.add(stmt.name)
            rebound.add(stmt.name)
            continue
        for node in _outside_scopes(stmt):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                written.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    rebound.add(target.id)
                elif isinstance(target, ast.Attribute | ast.Subscript) and _root(target):
                    written.add(_root(target))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            root = _root(stmt.value.func)
            if root and root not in imported and root not in modules:
                written.add(root)
    written |= imported
    rebound |= imported
    rebound -= read
    return written, rebound, read


def needed_cells(nb, first: int) -> list[int]:
    """Indices of the code cells to run so that cells ``first``... find what they use.

    The Setup cell (the first code cell) and every code cell from ``first`` on, plus, walking
    back from ``first``, each earlier cell that writes a name still needed.
    """
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    modules = set()
    for i in code:
        tree = _parse(nb.cells[i].source)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    keep = {i for i in code if i >= first} | {code[0]}
    needed = set()
    for i in keep:
        needed |= names_of(nb.cells[i].source, modules)[2]
    needed -= set(dir(builtins))
    for i in reversed([i for i in code if i < first and i != code[0]]):
        written, rebound, read = names_of(nb.cells[i].source, modules)
        if written & needed:
            keep.add(i)
            needed = (needed - rebound) | (read - set(dir(builtins)))
    return sorted(keep)


def test_needed_cells_follows_names_and_methods():
    sources = [
        "import resnet_lib as rl\ns = rl.setup()",  # 0 setup
        "import numpy as np",  # 1 needed: np
        "data = np.arange(3)",  # 2 overwritten by 4 before use
        "unrelated = 5",  # 3
        "data = np.ones(3)",  # 4 needed
        "model = make(data)",  # 5 needed
        "model.fit(data)",  # 6 a method call changes model: needed
        "print(model.summary())",  # 7 reads only
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",  # 8 exercise
        "assert g(f, model)",  # 9 check
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    assert needed_cells(nb, 8) == [0, 1, 4, 5, 6, 8, 9]


# ---------------------------------------------------------------- running the student copies


def _run(nb, cells: list[int], cwd: Path) -> dict[int, dict]:
    """Run the given cells of ``nb`` in a fresh kernel; {cell index: error output} of the failed ones."""
    from nbclient import NotebookClient

    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    run.cells = [copy.deepcopy(nb.cells[i]) for i in cells]
    client = NotebookClient(
        run, timeout=600, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    )
    # A folder of their own: the lessons may be running at the same time in another test worker.
    build = Path(os.environ.get("RESNET_BUILD_DIR", ROOT / "build")) / "student-copies"
    client.execute(env={**os.environ, "RESNET_FAST": "1", "RESNET_BUILD_DIR": str(build)})
    errors = {}
    for i, cell in zip(cells, run.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors[i] = output
    return errors


def _verdict(errors: dict[int, dict], checks: set[int], nb) -> list[str]:
    problems = []
    for i, error in sorted(errors.items()):
        first_line = nb.cells[i].source.splitlines()[0] if nb.cells[i].source else ""
        said = f"{error.ename}: {error.evalue}".splitlines()[0][:300]
        if i not in checks and error.ename == "NotImplementedError" and NOT_WRITTEN in error.evalue:
            continue  # an experiment calling the stub: the student reads which function to write
        if i not in checks:
            problems.append(f"cell {i} ({first_line!r}) is no check cell but failed with {said}")
        elif error.ename != "AssertionError" or NOT_WRITTEN not in error.evalue:
            problems.append(
                f"check cell {i} ({first_line!r}) failed with {said}; it should raise the check's "
                f"AssertionError saying the function is {NOT_WRITTEN} (let the check call the function "
                "through its rl.check_ function, which turns NotImplementedError into that message)"
            )
    for i in sorted(checks - set(errors)):
        problems.append(f"check cell {i} passed although the exercise is a stub: does it call the function?")
    return problems


def _prepare(lesson: Lesson):
    """The student copy of ``lesson`` and what to run of it; the parsing is done here, in one thread
    (this Python's ``ast.parse`` can fail when two threads parse at once)."""
    exercises = navigation.exercises(lesson.nb)
    if not exercises:
        return None
    checks = {c for _, found in exercises for c in found}
    # Without the collapsed solutions (markdown: nothing to run), so cell numbers match the lesson's.
    nb = student.student_version(lesson.nb, solutions=False)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return nb, checks, code, needed_cells(nb, min(i for i, _ in exercises))


def _judge(lesson: Lesson, prepared) -> list[str]:
    """What is wrong with the student copy of ``lesson`` when run (an empty list when nothing is)."""
    if prepared is None:
        return [f"{lesson.path.name} has no exercise"]
    nb, checks, code, sliced = prepared
    problems = _verdict(_run(nb, sliced, lesson.path.parent), checks, nb)
    if problems and sliced != code:  # perhaps a cell the slice missed: the full run decides
        problems = _verdict(_run(nb, code, lesson.path.parent), checks, nb)
    return problems


@pytest.fixture(scope="module")
def student_runs(request):
    """The verdict on each selected lesson, two kernels at a time (kernel start-up is most of the cost)."""
    selected = {
        item.callspec.params["lesson"].path.name: item.callspec.params["lesson"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_student_copy_fails_only_in_its_checks"
    }
    prepared = {name: _prepare(lesson) for name, lesson in selected.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_judge, lesson, prepared[name]) for name, lesson in selected.items()}
    return futures


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lsn: lsn.path.stem)
def test_student_copy_fails_only_in_its_checks(lesson: Lesson, student_runs):
    problems = student_runs[lesson.path.name].result()
    assert not problems, f"student copy of {lesson.path.name}:\n  " + "\n  ".join(problems)
