"""What a committed notebook may carry: the outputs of a recorded full-mode run, nothing of the machine.

A lesson is committed with the outputs of its last ``make publish`` run (scripts/publish.py), so a
reader sees the real experiment without running anything. The run is recorded in the notebook's
metadata (``resnet_series.published``: mode, date, TensorFlow and Keras versions, git commit, and
hashes of the code cells and of the outputs). Outputs that no such run recorded (a lesson run and
saved by hand) are noise in a diff and may name the machine, so ``clean(nb)`` removes them, with
the execution counts. It keeps only the metadata the series uses: the kernelspec, RISE's settings,
the published record, and per cell its tags (``nbval-skip``, ``navigation``), its slide type and
the lock on generated cells. Markdown attachments stay.
"""

from __future__ import annotations

import hashlib
import json

import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
CELL_METADATA = ("deletable", "editable", "slideshow", "tags")
#: Notebook metadata kept: the kernel, RISE's settings, the series' own records.
NOTEBOOK_METADATA = ("kernelspec", "rise", "resnet_series")
#: The published run's record: ``nb.metadata[SERIES][PUBLISHED]``.
SERIES, PUBLISHED = "resnet_series", "published"


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def code_hash(nb) -> str:
    """A hash of the notebook's code cells (their sources, in order): prose edits leave it alone."""
    return _digest([c.source for c in _code_cells(nb)])


def outputs_hash(nb) -> str:
    """A hash of every code cell's outputs, in order."""
    return _digest([c.get("outputs", []) for c in _code_cells(nb)])


def record(nb) -> dict | None:
    """The published run's record in ``nb``'s metadata, or None."""
    found = nb.metadata.get(SERIES, {}).get(PUBLISHED)
    return dict(found) if isinstance(found, dict) else None


def outputs_are_published(nb) -> bool:
    """True when ``nb``'s outputs are exactly those its published record was made with."""
    found = record(nb)
    return found is not None and found.get("outputs_hash") == outputs_hash(nb)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip ``nb`` in place (and return it): keep the published outputs, drop any others."""
    published = outputs_are_published(nb)
    nb.metadata = nbformat.from_dict({k: nb.metadata[k] for k in NOTEBOOK_METADATA if k in nb.metadata})
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if not published:
        nb.metadata.get(SERIES, {}).pop(PUBLISHED, None)
        if SERIES in nb.metadata and not nb.metadata[SERIES]:
            del nb.metadata[SERIES]
    for cell in nb.cells:
        if cell.cell_type == "code" and not published:
            cell.outputs = []
            cell.execution_count = None
        kept = {k: cell.metadata[k] for k in CELL_METADATA if k in cell.metadata}
        if not kept.get("tags"):
            kept.pop("tags", None)
        cell.metadata = nbformat.from_dict(kept)
    return nb


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What ``clean`` would remove, in words (empty when the notebook is clean)."""
    found = []
    extra = set(nb.metadata) - set(NOTEBOOK_METADATA)
    if extra:
        found.append(f"notebook metadata {sorted(extra)} (only {', '.join(NOTEBOOK_METADATA)} are kept)")
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        found.append(f"kernelspec must be {KERNELSPEC}")
    published = outputs_are_published(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.outputs and not published:
            found.append(f"cell {i} has outputs that no `make publish` run recorded")
        if cell.cell_type == "code" and cell.execution_count is not None and not published:
            found.append(f"cell {i} has an execution count")
        extra = set(cell.metadata) - set(CELL_METADATA)
        if extra:
            found.append(f"cell {i} has metadata {sorted(extra)}")
    return found
