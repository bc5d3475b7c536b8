"""The lessons carry the outputs of a full-mode run (scripts/publish.py), and those outputs are current.

Every lesson in notebooks/ must store the outputs of its last ``make publish`` run: recorded in
its metadata, made from the code cells it has now (a prose edit keeps them; a code edit means
running the lesson again), with nothing of the machine in them, nothing in the Exercises section,
and at most 3 MB. The rules are tested first on small notebooks made here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import hygiene  # noqa: E402
import publish  # noqa: E402
import tidy_notebooks  # noqa: E402
from nbtools import notebook_paths  # noqa: E402

SESSION_LINE = "resnet_lib session: mode=FULL, seed=0, outputs under build/\n"


def lesson():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# 01 · A lesson"),
        md("## Setup"),
        code("s = rl.setup()"),
        md("## 1. Training"),
        code("fit()"),
        md("## Exercises"),
        code("answer = 42"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def executed(nb, mode="FULL"):
    ran = nbformat.from_dict(nb)
    stream = nbformat.v4.new_output
    ran.cells[2].outputs = [stream("stream", name="stdout", text=SESSION_LINE.replace("FULL", mode))]
    ran.cells[4].outputs = [
        stream("stream", name="stderr", text="W0000 oneDNN custom operations are on\n"),
        stream("stream", name="stdout", text=f"saved {ROOT}/build/checkpoints/01_run\n"),
        stream("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ]
    ran.cells[6].outputs = [stream("stream", name="stdout", text="42\n")]
    for count, index in enumerate((2, 4, 6), start=1):
        ran.cells[index].execution_count = count
    return ran


def test_merge_keeps_prose_edits_and_drops_stderr_exercise_outputs_and_the_checkout_path():
    source = lesson()
    ran = executed(source)
    source.cells[3].source = "## 1. Training, explained better"  # edited while the lesson ran
    nb, dropped = publish.merged(ran, source)
    assert nb.cells[3].source == "## 1. Training, explained better"
    assert [o.get("name") for o in nb.cells[4].outputs] == ["stdout", None]
    assert nb.cells[4].outputs[0].text == "saved build/checkpoints/01_run\n"
    assert dropped and "oneDNN" in dropped[0]
    assert nb.cells[6].outputs == [] and nb.cells[6].execution_count is None
    ran.cells[4].metadata["tags"] = source.cells[4].metadata["tags"] = ["nbval-skip"]  # a download
    skipped, _ = publish.merged(ran, source)
    assert skipped.cells[4].outputs == [] and publish.problems(publish.with_record(skipped)) == []
    skipped.cells[4].outputs = nb.cells[4].outputs
    assert any("nbval-skip" in p for p in publish.problems(skipped))
    publish.with_record(nb)
    hygiene.clean(nb)
    assert publish.problems(nb) == []
    assert nb.cells[4].outputs, "clean must keep the published outputs"
    assert hygiene.problems(nb) == []


def test_a_progress_bar_is_stored_as_a_reader_sees_it_and_the_run_keeps_its_own_commit(tmp_path, monkeypatch):
    source = lesson()
    ran = executed(source)
    bar = [f"{k}/3 [{'=' * k}{' ' * (3 - k)}]\r" for k in (1, 2)] + ["3/3 [===] - loss 0.5\n"]
    stream = nbformat.v4.new_output
    ran.cells[6].outputs = [stream("stream", name="stdout", text=t) for t in ["Epoch 1/1\n", *bar]]
    source.cells[5].source = "## 2. More training"  # before the Exercises: the outputs are kept
    nb, _ = publish.merged(ran, source)
    assert [o.text for o in nb.cells[6].outputs] == ["Epoch 1/1\n3/3 [===] - loss 0.5\n"]
    ran.metadata["resnet_series"] = {
        publish.RAN: {"commit": "abc1234567", "date": "2026-01-02", "seconds": 9}
    }
    nbformat.write(ran, tmp_path / "01_a.ipynb")
    (tmp_path / "lessons").mkdir()
    nbformat.write(source, tmp_path / "lessons" / "01_a.ipynb")
    stored = []
    monkeypatch.setattr(publish, "write_if_changed", lambda nb, path: stored.append(nb) or True)
    monkeypatch.setattr(publish.make_images, "make_image", lambda path: "kept")
    assert publish.publish([tmp_path / "lessons" / "01_a.ipynb"], executed=tmp_path) == 0
    record = hygiene.record(stored[0])
    assert (record["commit"], record["date"], record["seconds"]) == ("abc1234567", "2026-01-02", 9)


@pytest.mark.parametrize(
    "spoil, complaint",
    [
        (lambda ran, src: setattr(src.cells[4], "source", "fit(epochs=3)"), "code cells changed"),
        (
            lambda ran, src: setattr(ran.cells[2].outputs[0], "text", SESSION_LINE.replace("=FULL", "=FAST")),
            "full",
        ),
        (
            lambda ran, src: ran.cells[4].outputs.append(
                nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])
            ),
            "failed",
        ),
        (
            lambda ran, src: setattr(ran.cells[4].outputs[1], "text", "read /home/ana/fashion/train.gz\n"),
            "absolute path",
        ),
    ],
)
def test_merge_refuses_a_run_that_cannot_be_published(spoil, complaint):
    source = lesson()
    ran = executed(source)
    spoil(ran, source)
    with pytest.raises(publish.Refused, match=complaint):
        publish.merged(ran, source)


def published():
    source = lesson()
    nb, _ = publish.merged(executed(source), source)
    return hygiene.clean(publish.with_record(nb, seconds=12.3, today="2026-12-02"))


def test_the_record_names_the_run():
    entry = hygiene.record(published())
    assert entry["mode"] == "full" and entry["date"] == "2026-12-02" and entry["seconds"] == 12
    assert entry["tensorflow"].startswith("2.") and entry["keras"].startswith("3.")
    assert entry["commit"] != "unknown", "the record must name the library's git commit"


@pytest.mark.parametrize(
    "spoil, complaint",
    [
        (lambda nb: setattr(nb.cells[3], "source", "## 1. Training, reworded"), None),
        (lambda nb: setattr(nb.cells[4], "source", "fit(epochs=3)"), "code cells changed"),
        (lambda nb: nb.cells[4].outputs.pop(), "outputs are not those"),
        (lambda nb: nb.metadata.pop(hygiene.SERIES), "no published outputs"),
    ],
)
def test_a_stale_or_hand_made_output_is_named(spoil, complaint):
    nb = published()
    spoil(nb)
    found = publish.problems(nb)
    if complaint is None:
        assert found == [], "a prose edit must not make the outputs stale"
    else:
        assert any(complaint in p for p in found), found


def test_outputs_no_run_recorded_are_stripped_by_clean():
    nb = published()
    nb.cells[4].outputs[0].text = "a run by hand\n"
    assert any("no `make publish` run recorded" in p for p in hygiene.problems(nb))
    hygiene.clean(nb)
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
    assert hygiene.record(nb) is None


def test_size_limit():
    assert any("3 MB" in p for p in publish.problems(published(), size=publish.MAX_BYTES + 1))


def test_the_roundtrip_through_a_file_keeps_the_record_valid(tmp_path):
    path = tmp_path / "01_a.ipynb"
    nbformat.write(published(), path)
    assert publish.problems(nbformat.read(path, as_version=4), path.stat().st_size) == []


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_lesson_stores_current_full_mode_outputs(path):
    nb = nbformat.read(path, as_version=4)
    found = publish.problems(nb, path.stat().st_size)
    assert not found, f"{path.name}:\n  " + "\n  ".join(found)


def test_make_format_keeps_the_published_outputs():
    for lesson_ in tidy_notebooks.tidied():
        on_disk = nbformat.read(lesson_.path, as_version=4)
        if hygiene.record(on_disk):
            assert hygiene.outputs_hash(lesson_.nb) == hygiene.outputs_hash(on_disk), lesson_.path.name


def test_nbval_compares_no_stored_output():
    """The stored outputs come from full mode; `make test` runs fast mode, so nbval must not compare them."""
    makefile = (ROOT / "Makefile").read_text()
    assert "--nbval-lax" in makefile, "make test must run nbval with --nbval-lax"
    marked = [
        f"{path.name} cell {i}"
        for path in notebook_paths()
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
        if "NBVAL_CHECK_OUTPUT" in cell.source or "nbval-check-output" in cell.metadata.get("tags", [])
    ]
    assert not marked, f"cells whose full-mode output nbval would compare in fast mode: {marked}"
