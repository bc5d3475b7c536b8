"""What a committed notebook may carry: no outputs, no execution counts, no machine-specific metadata.

The series asserts its facts in code cells, so nbval has no stored output to compare and every
output is noise in a diff. ``clean(nb)`` removes outputs and execution counts and keeps only
the metadata the series uses: the notebook's kernelspec, and per cell its tags (``nbval-skip``,
``navigation``), its slide type and the lock on generated cells. Markdown attachments stay.
(slides.py then adds the ``rise`` settings and the slide types back, by rule.)
"""

from __future__ import annotations

import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
CELL_METADATA = ("deletable", "editable", "slideshow", "tags")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip ``nb`` in place (and return it)."""
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC)})
    for cell in nb.cells:
        if cell.cell_type == "code":
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
    extra = set(nb.metadata) - {"kernelspec", "rise"}
    if extra:
        found.append(f"notebook metadata {sorted(extra)} (only kernelspec and RISE's settings are kept)")
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        found.append(f"kernelspec must be {KERNELSPEC}")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.outputs:
            found.append(f"cell {i} has outputs")
        if cell.cell_type == "code" and cell.execution_count is not None:
            found.append(f"cell {i} has an execution count")
        extra = set(cell.metadata) - set(CELL_METADATA)
        if extra:
            found.append(f"cell {i} has metadata {sorted(extra)}")
    return found
