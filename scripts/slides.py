"""Lecture slides from the lessons: slide metadata on the cells, and reveal.js decks in build/slides/.

Slide metadata (``cell.metadata.slideshow.slide_type``) is assigned by rule, so it never drifts:

- a markdown cell that opens with a ``#`` or ``##`` heading starts a new slide (the title
  slide, Overview, Setup, each numbered section, Summary, Exercises);
- a ``###`` heading, and an explanation that follows code, start a sub-slide (one idea each);
- an explanation that follows another explanation stays on its slide;
- a code cell right after its explanation is a fragment (it appears on the next click, with
  its output); a code cell after another code cell gets its own sub-slide;
- a markdown cell tagged ``notes`` holds the speaker notes of the slide above it (reveal.js shows
  them in its speaker view, key S; RISE leaves them off its slides); in the notebook it reads as
  ordinary text, so the lesson stays one continuous explanation;
- a written answer (a markdown cell with nbgrader's solution markers) is speaker notes too, so the
  audience answers before the presenter reads it out (the markers are not shown), and the cell
  after it starts a sub-slide;
- the navigation cells are skipped.

A slide shows at most ``MAX_SLIDE_WORDS`` words of prose (its markdown, code fences and notes
excluded): the rest of the explanation belongs in the slide's notes.

JupyterLab reads the same metadata when presenting live with jupyterlab-rise. ``build`` renders
each lesson with ``jupyter nbconvert --to slides`` settings, from the executed copy in
build/notebooks/ when it is current (so figures show) and from notebooks/ otherwise. In the deck,
each figure gets a sub-slide of its own at full size, and warnings on stderr are left out.
reveal.js, RequireJS, jQuery and MathJax are copied into build/slides/vendor/ from their npm
packages (pinned below), so the decks work offline. Usage:

    python scripts/slides.py                  # assign the slide metadata in notebooks/
    python scripts/slides.py --check          # exit 1 if any notebook's slide metadata is stale
    python scripts/slides.py build [NB ...]   # write build/slides/NN_name.slides.html and index.html
    python scripts/slides.py words [NB ...]   # list the slides over MAX_SLIDE_WORDS; exit 1 if any
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nbtools import (  # noqa: E402
    BEGIN_SOLUTION,
    END_SOLUTION,
    NOTEBOOKS,
    ROOT,
    Lesson,
    differs,
    is_nav_cell,
    lessons,
    markdown_lines,
    same_cells,
    write_if_changed,
)

BUILD = ROOT / "build"
SLIDES = BUILD / "slides"
EXECUTED = BUILD / "notebooks"
NPM_CACHE = BUILD / "vendor"

#: npm packages copied into the decks' vendor/ folder: (name, version, sha256 of the tarball, files kept).
VENDOR = [
    (
        "reveal.js",
        "4.6.1",
        "4f4121ef2b8e7e9398bdecd7b3b6ce5e0ee3a2f5af221708eb6c4ce03bcae6be",
        r"LICENSE|dist/.*|plugin/notes/.*",
    ),
    (
        "requirejs",
        "2.3.7",
        "31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d",
        r"require\.js",
    ),
    (
        "jquery",
        "3.7.1",
        "68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53",
        r"LICENSE\.txt|dist/jquery\.min\.js",
    ),
    (
        "mathjax",
        "2.7.9",
        "7131e739848edc14aa661a5516995866b81a477fab8b039d7cc324930e71f786",
        r"LICENSE|MathJax\.js|config/TeX-AMS_CHTML-full\.js|extensions/[^/]+\.js|extensions/TeX/.*"
        r"|jax/input/TeX/.*|jax/output/CommonHTML/.*|jax/element/.*|fonts/HTML-CSS/TeX/woff/.*|localization/en/.*",
    ),
]

#: Where the decks look for each library, relative to build/slides/ (the CDN when there is no local copy).
LOCAL_URLS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "require_js_url": "vendor/requirejs/require.js",
    "jquery_url": "vendor/jquery/dist/jquery.min.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

#: Lecture look: figures fill the slide, prose is large, and a long code cell or output scrolls
#: inside its own box so the slide's prose always fits.
DECK_CSS = """
<style type="text/css">
.reveal .slides { text-align: left; }
.reveal .jp-Cell.celltag_slide-figure .jp-OutputArea-output { width: 100%; }
.reveal .jp-Cell.celltag_slide-figure .jp-OutputArea-output img {
  display: block; margin: 0 auto; width: 100%; height: 600px; object-fit: contain;
}
.reveal .jp-Cell.celltag_slide-figure .jp-OutputPrompt,
.reveal .jp-Cell.celltag_slide-figure .jp-Collapser { display: none; }
.reveal .jp-MarkdownCell .jp-RenderedMarkdown { font-size: 22px; line-height: 1.4; }
.reveal .jp-Cell:not(.celltag_slide-figure) .jp-OutputArea-output,
.reveal .jp-InputArea-editor { max-height: 300px; overflow: auto; }
.reveal h1 { font-size: 2.0em; }
.reveal h2 { font-size: 1.5em; }
.reveal pre { box-shadow: none; }
</style>
"""

FIGURE_TAG = "slide-figure"
NOTES_TAG = "notes"
MAX_SLIDE_WORDS = 70
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


# ---------------------------------------------------------------- slide metadata


def _heading_level(cell) -> int:
    for line in markdown_lines(cell):
        if line.strip():
            match = re.match(r"^(#{1,6}) ", line)
            return len(match.group(1)) if match else 0
    return 0


def slide_types(cells) -> list[str]:
    """The slide type of each cell, by the rules in this module's docstring."""
    types, previous = [], None
    for cell in cells:
        if is_nav_cell(cell):
            types.append("skip")
            continue
        if _is_notes(cell):
            types.append("notes")
            if BEGIN_SOLUTION in cell.source.splitlines():
                previous = "answer"  # what follows an exercise's answer is a new exercise
            continue
        if cell.cell_type == "markdown":
            level = _heading_level(cell)
            if level in (1, 2):
                kind = "slide"
            elif level == 3 or previous in ("code", "answer"):
                kind = "subslide"
            else:
                kind = "-"
            previous = "markdown"
        else:
            kind = "fragment" if previous == "markdown" else "subslide"
            if previous is None:
                kind = "slide"
            previous = "code"
        types.append(kind)
    return types


def _is_notes(cell) -> bool:
    """A ``notes`` cell, or a written answer (the audience predicts; the presenter sees it in notes)."""
    if cell.cell_type != "markdown":
        return False
    return NOTES_TAG in cell.metadata.get("tags", []) or BEGIN_SOLUTION in cell.source.splitlines()


def prose_words(cell) -> int:
    """Words of prose in a markdown cell: code fences, images, link targets and HTML tags left out."""
    text = "\n".join(markdown_lines(cell))
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)|<[^>]+>", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return sum(1 for word in text.split() if re.search(r"\w", word))


def slide_words(nb) -> list[tuple[str, int]]:
    """``(first line, words of prose)`` for each slide and sub-slide of ``nb``, notes excluded."""
    slides = []
    for index, (cell, kind) in enumerate(zip(nb.cells, slide_types(nb.cells))):
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not slides:
            first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
            slides.append([f"cell {index}: {first[:60]}", 0])
        if cell.cell_type == "markdown":
            slides[-1][1] += prose_words(cell)
    return [tuple(slide) for slide in slides]


#: Notebook metadata for presenting live with jupyterlab-rise: long cells scroll, no slide transition.
RISE = {"scroll": True, "transition": "none"}


def with_slide_metadata(nb):
    """``nb`` with each cell's ``slideshow.slide_type`` set by rule and RISE's settings (in place)."""
    for cell, kind in zip(nb.cells, slide_types(nb.cells)):
        cell.metadata["slideshow"] = {"slide_type": kind}
    nb.metadata["rise"] = dict(RISE)
    return nb


# ---------------------------------------------------------------- the decks


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def deck_source(path: Path, executed: Path = EXECUTED) -> tuple[nbformat.NotebookNode, str]:
    """The notebook a deck is made from: the executed copy if it has the same cells, else the source."""
    source = nbformat.read(path, as_version=4)
    run = Path(executed) / path.name
    if run.exists():
        ran = nbformat.read(run, as_version=4)
        if same_cells(ran, source):
            ran.cells = [c for c in ran.cells if not is_nav_cell(c)]
            return ran, "executed"
        print(f"slides: {_shown(run)} differs from {path.name}; using the source (`make notebooks` runs it)")
    return source, "source"


def _is_image(output) -> bool:
    return output.get("output_type") in ("display_data", "execute_result") and any(
        t in output.get("data", {}) for t in IMAGE_TYPES
    )


def for_deck(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` laid out for slides: each figure on a sub-slide of its own, no stderr."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not is_nav_cell(c)]
    with_slide_metadata(nb)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            lines = cell.source.splitlines()
            cell.source = "\n".join(
                line for line in lines if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)
            )
            cells.append(cell)
            continue
        outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
        figures = [o for o in outputs if _is_image(o)]
        cell.outputs = [o for o in outputs if not _is_image(o)]
        cells.append(cell)
        for figure in figures:
            shown = nbformat.v4.new_code_cell(cell.source)
            shown.outputs = [figure]
            shown.metadata = {
                "slideshow": {"slide_type": "subslide"},
                "tags": [FIGURE_TAG],
                "transient": {"remove_source": True},
            }
            cells.append(shown)
    nb.cells = cells
    return nb


def _npm_pack(name: str, version: str, sha256: str) -> Path | None:
    """The package tarball in build/vendor/, fetched with ``npm pack`` if missing; None if impossible."""
    tarball = NPM_CACHE / f"{name}-{version}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--pack-destination", str(NPM_CACHE), "--silent"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not tarball.exists():
            print(f"slides: `npm pack {name}@{version}` failed: {result.stderr.strip()[-300:]}")
            return None
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != sha256:
        tarball.unlink()
        raise RuntimeError(f"{tarball} has sha256 {digest}, expected {sha256}; deleted it, run again")
    return tarball


def vendor(out: Path) -> bool:
    """Copy reveal.js and friends into ``out/vendor``; False (the decks use the CDN) without npm."""
    target = Path(out) / "vendor"
    for name, version, sha256, keep in VENDOR:
        folder = target / name
        stamp = folder / ".version"
        if stamp.exists() and stamp.read_text() == version:
            continue
        tarball = _npm_pack(name, version, sha256)
        if tarball is None:
            print("slides: npm is not available, so the decks load reveal.js from the internet (CDN)")
            return False
        if folder.exists():
            shutil.rmtree(folder)
        pattern = re.compile(rf"package/({keep})")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and pattern.fullmatch(m.name)]
            for member in members:
                member.name = member.name.removeprefix("package/")
            tar.extractall(folder, members=members, filter="data")
        stamp.write_text(version)
    return True


def exporter(local: bool):
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    if local:
        for trait, url in LOCAL_URLS.items():
            setattr(config.SlidesExporter, trait, url)
    return SlidesExporter(config=config)


def build_deck(path: Path, out: Path = SLIDES, local: bool = True, executed: Path = EXECUTED) -> Path:
    """Write ``out/NN_name.slides.html`` for the lesson at ``path``; returns its path."""
    nb, origin = deck_source(Path(path), executed)
    body, _ = exporter(local).from_notebook_node(
        for_deck(nb), resources={"metadata": {"name": Path(path).stem}}
    )
    body = body.replace("</head>", DECK_CSS + "</head>", 1)
    target = Path(out) / f"{Path(path).stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    print(f"slides: {_shown(target)} (from the {origin} notebook)")
    return target


def build(paths: list[Path], out: Path = SLIDES, executed: Path = EXECUTED) -> list[Path]:
    """All decks plus an index page listing them."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    local = vendor(out)
    decks = [build_deck(p, out, local, executed) for p in paths]
    items = "\n".join(
        f'<li><a href="{d.name}">{html.escape(Lesson.load(p).label)}</a></li>' for p, d in zip(paths, decks)
    )
    (out / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>ResNet lessons: slides</title>'
        f"</head>\n<body><h1>ResNet lessons: slides</h1>\n<ol>\n{items}\n</ol>\n"
        "<p>Keys: arrows or space to move, Esc for the overview, S for speaker notes.</p></body></html>\n",
        encoding="utf-8",
    )
    return decks


# ---------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["assign", "build", "words"], default="assign")
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="with assign: exit 1 when metadata is stale")
    parser.add_argument("--out", type=Path, default=SLIDES, help="with build: output folder")
    args = parser.parse_args(argv)
    if args.command == "build":
        paths = args.notebooks or [lsn.path for lsn in lessons(NOTEBOOKS)]
        build([p.resolve() for p in paths], args.out)
        return 0
    if args.command == "words":
        paths = args.notebooks or [lsn.path for lsn in lessons(NOTEBOOKS)]
        long = [
            (path.name, *slide)
            for path in paths
            for slide in slide_words(nbformat.read(path, as_version=4))
            if slide[1] > MAX_SLIDE_WORDS
        ]
        for name, where, words in long:
            print(f"{name} {where}: {words} words (at most {MAX_SLIDE_WORDS}; the rest goes in notes)")
        return 1 if long else 0
    stale = []
    for lesson in lessons(NOTEBOOKS):
        with_slide_metadata(lesson.nb)
        if args.check:
            if differs(lesson.nb, lesson.path):
                stale.append(lesson.path.name)
        elif write_if_changed(lesson.nb, lesson.path):
            print(f"slides: updated the slide metadata of {lesson.path.name}")
    for name in stale:
        print(f"{name}: slide metadata is stale (run `make format`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
