"""What the notebook scripts share: finding the lessons, reading their structure, writing them back.

The lessons are ``notebooks/NN_name.ipynb``. ``Lesson`` reads one: its number, title,
the ``##`` sections in order and the first sentence of its overview. ``write_if_changed``
writes a notebook only when its content changed, so running a script twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

TITLE_RE = re.compile(r"^# (\d\d) · (\S.*?)\s*$")
SECTION_RE = re.compile(r"^## (\S.*?)\s*$")
NUMBERED_RE = re.compile(r"^(\d+)\. \S")
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"

#: Cell tag of the generated navigation cells (first and last cell of every lesson).
NAV_TAG = "navigation"


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lessons in ``folder``, in order of their number."""
    return sorted(Path(folder).glob(NOTEBOOK_GLOB))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def differs(nb: nbformat.NotebookNode, path: Path) -> bool:
    """True unless the file at ``path`` holds the same notebook as ``nb`` (formatting aside)."""
    path = Path(path)
    if not path.exists():
        return True
    with open(path, encoding="utf-8") as f:
        return json.load(f) != json.loads(nbformat.writes(nb))


def write_if_changed(nb: nbformat.NotebookNode, path: Path) -> bool:
    """Write ``nb`` to ``path`` unless the file already holds the same notebook. True if written."""
    path = Path(path)
    if not differs(nb, path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return True


def source_lines(cell) -> list[str]:
    return cell.source.splitlines()


def markdown_lines(cell) -> list[str]:
    """The lines of a markdown cell outside fenced code blocks (so ``# comment`` is no heading)."""
    lines, fenced = [], False
    for line in source_lines(cell):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def is_nav_cell(cell) -> bool:
    return cell.cell_type == "markdown" and NAV_TAG in cell.metadata.get("tags", [])


def has_solution(cell) -> bool:
    return any(line.strip() == BEGIN_SOLUTION for line in source_lines(cell))


@dataclass
class Lesson:
    """One lesson notebook: where it is and what its headings say."""

    path: Path
    nb: nbformat.NotebookNode

    @classmethod
    def load(cls, path: Path) -> Lesson:
        return cls(Path(path), read(path))

    @property
    def number(self) -> str:
        return self.path.name[:2]

    @property
    def content_cells(self) -> list:
        return [c for c in self.nb.cells if not is_nav_cell(c)]

    @property
    def title(self) -> str | None:
        """The ``Title`` of the ``# NN · Title`` line in the first content cell, or None."""
        cells = self.content_cells
        if not cells or cells[0].cell_type != "markdown":
            return None
        for line in markdown_lines(cells[0]):
            if line.strip():
                match = TITLE_RE.match(line)
                return match.group(2) if match else None
        return None

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title or self.path.stem}"

    @property
    def subtitle(self) -> str:
        """The paragraph between the ``# NN · Title`` line and the next heading ('' when none)."""
        if self.title is None:
            return ""
        lines = markdown_lines(self.content_cells[0])
        start = next(i for i, line in enumerate(lines) if line.strip()) + 1
        text = []
        for line in lines[start:]:
            if line.startswith("#") or (not line.strip() and text):
                break
            if line.strip():
                text.append(line.strip())
        return " ".join(text)

    def sections(self) -> list[tuple[str, int]]:
        """Every ``## heading`` with the index (into ``nb.cells``) of its cell, in order."""
        found = []
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "markdown" or is_nav_cell(cell):
                continue
            for line in markdown_lines(cell):
                match = SECTION_RE.match(line)
                if match:
                    found.append((match.group(1), index))
        return found

    def section_of(self, index: int) -> str | None:
        """The ``##`` heading under which cell ``index`` sits."""
        current = None
        for heading, at in self.sections():
            if at <= index:
                current = heading
        return current

    def overview_sentence(self) -> str:
        """The first sentence of the Overview paragraph (for the README's contents table)."""
        text, inside = [], False
        for cell in self.content_cells:
            if cell.cell_type != "markdown":
                if inside:
                    break
                continue
            for line in markdown_lines(cell):
                if SECTION_RE.match(line) or line.startswith("# "):
                    if inside and text:
                        break
                    inside = line.strip() == "## Overview"
                    continue
                if inside:
                    if not line.strip() or line.lstrip().startswith(("-", "*", "1.")):
                        if text:
                            break
                        continue
                    text.append(line.strip())
            if inside and text:
                break
        paragraph = " ".join(text)
        match = re.match(r"(.+?[.!?])(\s|$)", paragraph)
        return (match.group(1) if match else paragraph).strip()


def same_cells(a, b) -> bool:
    """True when two notebooks have the same cells (type and source), navigation cells aside."""
    strip = lambda nb: [(c.cell_type, c.source) for c in nb.cells if not is_nav_cell(c)]
    return strip(a) == strip(b)


def lessons(folder: Path = NOTEBOOKS) -> list[Lesson]:
    return [Lesson.load(p) for p in notebook_paths(folder)]
