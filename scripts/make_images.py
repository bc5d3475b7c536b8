"""The README's picture of each lesson: ``images/NN_name.png``.

The picture is a figure the lesson itself draws, taken from its published outputs in notebooks/
(``make publish``) or else from its executed copy in build/notebooks/ (``make notebooks``): the
image output of the cell tagged ``lesson-image`` if there is one, else the first figure of
ordinary shape (width 0.5 to 3.2 times the height: a row of sample images or a tall model graph
makes a poor thumbnail), else the first. A lesson with neither keeps the picture it has; one
with no picture gets a title card, so the README always renders. Pictures are scaled to at most
640 pixels wide. Usage:

    python scripts/make_images.py [notebooks/NN_name.ipynb ...]
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hygiene  # noqa: E402
from nbtools import NOTEBOOKS, ROOT, Lesson, read, same_cells  # noqa: E402

IMAGES = ROOT / "images"
EXECUTED = ROOT / "build" / "notebooks"
TAG = "lesson-image"
WIDTH = 640


def key_figure(nb) -> bytes | None:
    """PNG bytes of the lesson's key figure in an executed notebook, or None when it has none."""
    pngs = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        images = [o.data["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if images and TAG in cell.metadata.get("tags", []):
            return base64.b64decode(images[0])
        pngs += images
    decoded = [base64.b64decode(p) for p in pngs]
    return next((p for p in decoded if 0.5 <= _aspect(p) <= 3.2), decoded[0] if decoded else None)


def _aspect(png: bytes) -> float:
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    return width / max(height, 1)


def scaled(png: bytes, width: int = WIDTH) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def title_card(lesson: Lesson) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 3.6), dpi=100)
    fig.patch.set_facecolor("#f3f6fb")
    fig.text(0.5, 0.62, lesson.number, ha="center", va="center", fontsize=54, color="#2a76dd", weight="bold")
    fig.text(0.5, 0.3, lesson.title or lesson.path.stem, ha="center", va="center", fontsize=18, wrap=True)
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    return out.getvalue()


def make_image(path: Path, images: Path = IMAGES, executed: Path = EXECUTED) -> str:
    """Write the picture of the lesson at ``path``; returns where it came from."""
    lesson = Lesson.load(path)
    target = Path(images) / f"{path.stem}.png"
    run = Path(executed) / path.name
    if hygiene.record(lesson.nb) is not None:
        ran, where = lesson.nb, f"its published outputs in notebooks/{path.name}"
    else:
        ran, where = (read(run), f"a figure in build/notebooks/{run.name}") if run.exists() else (None, "")
    png = key_figure(ran) if ran is not None else None
    if png is not None:
        origin = where
        if not same_cells(ran, lesson.nb):
            origin += " (older than the lesson: `make notebooks` then `make images` to refresh)"
    elif target.exists():
        return "kept (no figure in an executed copy)"
    else:
        png, origin = title_card(lesson), "a title card (no executed copy with a figure)"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(scaled(png))
    return origin


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"images/{path.stem}.png: {make_image(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
