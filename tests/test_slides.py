"""Slide decks (scripts/slides.py): every lesson builds into a reveal.js deck that shows real slides offline.

Each deck is built from its source notebook (with its published outputs) into a temporary
folder, with reveal.js copied from its npm package. Headless Chromium then takes a screenshot of
the first slide and of the second: both must carry ink (not a blank page), and they must differ,
which they only do when reveal.js has loaded and lays the lesson out as slides (without it the
page is one long document and the two screenshots are the same). Then it walks every slide of
every deck at 1280x720 with tests/slide_walker.js: no slide's prose may run off the slide (code
and outputs scroll inside their own boxes), no image may be broken and no slide blank. Each
slide's prose is also counted: at most ``slides.MAX_SLIDE_WORDS`` words, the rest in notes.
Needs Debian's chromium (``make system`` installs it) and npm for the first download of
reveal.js; without them these tests skip, and fail where ``CI`` is set (tests/prerequisites.py).
"""

from __future__ import annotations

import html as html_module
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import slides  # noqa: E402
from nbtools import notebook_paths  # noqa: E402
from prerequisites import require  # noqa: E402

PATHS = notebook_paths()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=3000",
    "--window-size=1280,800",
]
WALKER = Path(__file__).with_name("slide_walker.js")


def test_a_figure_gets_a_full_size_subslide_and_stderr_is_dropped():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("plot()")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="a TensorFlow warning\n"),
        nbformat.v4.new_output("stream", name="stdout", text="plotted\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("## 1. A plot"), code]
    deck = slides.for_deck(nb)
    assert [c.metadata["slideshow"]["slide_type"] for c in deck.cells] == ["slide", "fragment", "subslide"]
    assert [o.get("name") for o in deck.cells[1].outputs] == ["stdout"]
    figure = deck.cells[2]
    assert figure.outputs[0].output_type == "display_data" and slides.FIGURE_TAG in figure.metadata.tags
    assert figure.metadata.transient == {"remove_source": True}
    assert len(nb.cells) == 2 and len(code.outputs) == 3, "the notebook itself must not change"


def test_executed_copy_is_used_only_when_current(tmp_path):
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(source, tmp_path / "01_a.ipynb")
    (tmp_path / "run").mkdir()
    ran = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    ran.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1")]
    nbformat.write(ran, tmp_path / "run" / "01_a.ipynb")
    assert slides.deck_source(tmp_path / "01_a.ipynb", tmp_path / "run")[1] == "executed"
    ran.cells[0].source = "x = 2"
    nbformat.write(ran, tmp_path / "run" / "01_a.ipynb")
    assert slides.deck_source(tmp_path / "01_a.ipynb", tmp_path / "run")[1] == "source"


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    require(
        slides.vendor(out),
        "reveal.js could not be copied into the decks: npm is missing or `npm pack` failed "
        "(see the output above); without it the decks would load reveal.js from the internet",
    )
    nowhere = out / "no-executed-notebooks"
    return {p.name: slides.build_deck(p, out, local=True, executed=nowhere) for p in PATHS}


def screenshot(url: str, target: Path) -> np.ndarray:
    import matplotlib.image

    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={target}", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert target.exists(), f"chromium wrote no screenshot of {url}: {result.stderr[-2000:]}"
    return matplotlib.image.imread(target)[..., :3]


def ink(image: np.ndarray) -> float:
    """Share of pixels that differ clearly from the page's most common colour."""
    flat = image.reshape(-1, 3)
    colours, counts = np.unique((flat * 255).round().astype(np.uint8), axis=0, return_counts=True)
    background = colours[counts.argmax()] / 255.0
    return float((np.abs(flat - background).max(axis=1) > 0.2).mean())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_deck_renders_its_first_slides(decks, path, tmp_path):
    require(CHROMIUM is not None, "Debian's chromium is not installed (make system installs it)")
    deck = decks[path.name]
    html = deck.read_text(encoding="utf-8")
    assert html.count("<section") >= 5, f"{deck.name} has fewer than five slides"
    assert "vendor/reveal.js/dist/reveal.js" in html and "unpkg.com" not in html
    first = screenshot(deck.as_uri() + "#/0", tmp_path / "first.png")
    second = screenshot(deck.as_uri() + "#/1", tmp_path / "second.png")
    for name, shot in (("title", first), ("second", second)):
        assert ink(shot) > 0.002, f"the {name} slide of {deck.name} renders blank ({ink(shot):.4f} ink)"
    difference = float(np.abs(first - second).max(axis=2).mean())
    assert difference > 0.001, (
        f"{deck.name}: the title slide and the second slide look the same: reveal.js did not lay out slides"
    )


def walk(deck: Path) -> dict:
    """What tests/slide_walker.js finds in ``deck`` at 1280x720: slides checked, overflow, broken, blank."""
    html = deck.read_text(encoding="utf-8")
    walked = deck.with_name(deck.stem + ".walk.html")
    walked.write_text(html.replace("</html>", f"<script>\n{WALKER.read_text()}\n</script>\n</html>"))
    flags = [f for f in CHROMIUM_FLAGS if not f.startswith(("--window-size", "--virtual-time"))]
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                *flags,
                "--window-size=1280,720",
                "--virtual-time-budget=20000",
                f"--user-data-dir={profile}",
                "--dump-dom",
                walked.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    found = re.findall(r'<pre id="slide-check">(\{.*?\})</pre>', result.stdout, re.S)
    assert found, f"the slide walker reported nothing for {deck.name}: {result.stderr[-2000:]}"
    return json.loads(html_module.unescape(found[-1]))


def test_the_walker_catches_overflowing_prose_broken_images_and_blank_slides(tmp_path):
    require(CHROMIUM is not None, "Debian's chromium is not installed (make system installs it)")
    require(slides.vendor(tmp_path), "reveal.js could not be copied into the decks (npm is missing)")
    essay = " ".join(["A sentence of ten words that runs on and on."] * 60)
    cells = [
        nbformat.v4.new_markdown_cell("# 01 · A lesson"),
        nbformat.v4.new_markdown_cell("## 1. Too long\n\n" + essay),
        nbformat.v4.new_markdown_cell('## 2. A picture\n\n<img src="missing.png" alt="gone">'),
        nbformat.v4.new_markdown_cell("## 3. Fine\n\nShort."),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(""),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "01_a.ipynb")
    report = walk(
        slides.build_deck(tmp_path / "01_a.ipynb", tmp_path, local=True, executed=tmp_path / "none")
    )
    assert report["slides"] == 5, report  # the title, three sections, the empty cell
    assert [o.split(" ")[0] for o in report["overflow"]] == ["2.1"], report
    assert [b.split(" ")[0] for b in report["broken"]] == ["3.1"], report
    assert [b.split(" ")[0] for b in report["blank"]] == ["4.2"], report


def test_every_slide_fits_at_1280x720(decks, capsys):
    require(CHROMIUM is not None, "Debian's chromium is not installed (make system installs it)")
    problems, checked = [], 0
    for name, deck in decks.items():
        report = walk(deck)
        checked += report["slides"]
        problems += [f"{name} slide {o}: prose runs off the slide" for o in report["overflow"]]
        problems += [f"{name} slide {b}: broken image" for b in report["broken"]]
        problems += [f"{name} slide {b}: blank" for b in report["blank"]]
    with capsys.disabled():
        print(f"\nslide walk: {checked} slides in {len(decks)} decks checked at 1280x720")
    assert checked > 10 * len(decks), f"only {checked} slides walked"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_every_slide_shows_at_most_70_words_of_prose(path):
    long = [s for s in slides.slide_words(nbformat.read(path, as_version=4)) if s[1] > slides.MAX_SLIDE_WORDS]
    assert not long, (
        f"{path.name}: slides over {slides.MAX_SLIDE_WORDS} words (move the rest to a `notes` cell): "
        + ("; ".join(f"{where} ({words})" for where, words in long))
    )


def test_notes_cells_become_speaker_notes_and_leave_the_layout_alone():
    notes = nbformat.v4.new_markdown_cell("The long story.", metadata={"tags": [slides.NOTES_TAG]})
    cells = [
        nbformat.v4.new_markdown_cell("## 1. A point"),
        notes,
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("What x shows."),
    ]
    assert slides.slide_types(cells) == ["slide", "notes", "fragment", "subslide"]
    nb = nbformat.v4.new_notebook(cells=cells)
    assert slides.slide_words(nb) == [("cell 0: ## 1. A point", 3), ("cell 3: What x shows.", 3)]
    body, _ = slides.exporter(local=False).from_notebook_node(slides.for_deck(nb))
    assert '<aside class="notes">' in body and "The long story." in body
