"""Figures: model graphs, training curves, gradient norms, image grids, confusion matrices.

Every plotting function returns the matplotlib ``Figure`` (or, for graphs, a
``ModelGraph``) and, given ``path``, also saves it there, creating folders as needed.
"""

from __future__ import annotations

import html
import importlib.util
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from . import _validate

GRAPHVIZ_INSTALL = (
    "Install Graphviz to draw model graphs: sudo apt-get install graphviz "
    "(macOS: brew install graphviz; conda: conda install graphviz)."
)


def _save(fig, path):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
    return fig


# ----------------------------------------------------------------------------- model graph


@dataclass
class ModelGraph:
    """A drawn model graph: a PNG from Graphviz, or a text rendering when ``dot`` is missing.

    Displays itself in a notebook (the picture, or the text with the install hint).
    """

    path: Path
    fallback: bool
    text: str = ""

    def _repr_png_(self):
        return None if self.fallback else self.path.read_bytes()

    def _repr_html_(self):
        if not self.fallback:
            return None
        return (
            f"<p><b>Graphviz is not installed</b>: showing the graph as text. "
            f"{html.escape(GRAPHVIZ_INSTALL)}</p><pre>{html.escape(self.text)}</pre>"
        )


def graphviz_available() -> bool:
    """True when pydot is installed and Graphviz's ``dot`` program is on the PATH."""
    return importlib.util.find_spec("pydot") is not None and shutil.which("dot") is not None


def _tensor_sources(node) -> list:
    """Names of the layers whose outputs appear in a serialised call (``inbound_nodes`` of a config)."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return [node["config"]["keras_history"][0]]
        return [name for value in node.values() for name in _tensor_sources(value)]
    if isinstance(node, list | tuple):
        return [name for value in node for name in _tensor_sources(value)]
    return []


def model_graph_text(model) -> str:
    """One line per layer: name, type, output shape and the layers feeding it (from ``get_config``)."""
    inbound = {
        entry["name"]: _tensor_sources(entry["inbound_nodes"]) for entry in model.get_config()["layers"]
    }
    rows = []
    for layer in model.layers:
        sources = inbound.get(layer.name, [])
        source = f" <- {', '.join(sources)}" if sources else ""
        rows.append(f"{layer.name} ({layer.__class__.__name__}) {tuple(layer.output.shape)}{source}")
    return "\n".join(rows)


def plot_model_graph(model, path, *, show_shapes=True, show_layer_names=True, rankdir="TB", dpi=72, **kwargs):
    """Draw ``model`` with ``keras.utils.plot_model`` (pydot + Graphviz) into ``path`` (PNG).

    Without Graphviz, prints how to install it and writes a text rendering next to
    ``path`` (``.txt``) instead; the returned ``ModelGraph`` says which happened.
    """
    _validate.keras_model("model", model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if graphviz_available():
        keras.utils.plot_model(
            model,
            to_file=str(path),
            show_shapes=show_shapes,
            show_layer_names=show_layer_names,
            rankdir=rankdir,
            dpi=dpi,
            **kwargs,
        )
        if path.is_file() and path.stat().st_size > 0:
            return ModelGraph(path, fallback=False)
    print(GRAPHVIZ_INSTALL)
    text = model_graph_text(model)
    text_path = path.with_suffix(".txt")
    text_path.write_text(text + "\n")
    return ModelGraph(text_path, fallback=True, text=text)


# ----------------------------------------------------------------------------- training curves


def _history_dict(history) -> dict:
    if hasattr(history, "history"):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(f"history must be a keras History or a dict of lists, got {type(history).__name__}.")
    return dict(history)


def plot_training_curves(histories, metrics=("loss", "accuracy"), *, path=None, title=None):
    """Training and validation curves, one panel per metric.

    ``histories``: a Keras ``History`` (or its ``.history`` dict), or a mapping
    ``{label: History}`` to compare runs in the same panels. Training curves are
    solid, validation (``val_<metric>``) dashed. Raises ``ValueError`` naming the
    metric and what the history holds when a metric is missing.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    if hasattr(histories, "history") or (
        isinstance(histories, Mapping) and histories and all(isinstance(v, list) for v in histories.values())
    ):
        histories = {"": histories}
    if not isinstance(histories, Mapping):
        raise TypeError(
            "histories must be a keras History, its .history dict, or a dict {label: History}; "
            f"got {type(histories).__name__}."
        )
    runs = {label: _history_dict(h) for label, h in histories.items()}
    for label, run in runs.items():
        for metric in metrics:
            if metric not in run:
                where = f" of run {label!r}" if label else ""
                raise ValueError(f"metric {metric!r} is not in the history{where}; it holds {sorted(run)}.")

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes[0], metrics):
        for i, (label, run) in enumerate(runs.items()):
            color = colors[i % len(colors)]
            epochs = np.arange(1, len(run[metric]) + 1)
            name = f"{label} " if label else ""
            ax.plot(epochs, run[metric], "-o", color=color, ms=3, label=f"{name}train")
            if f"val_{metric}" in run:
                ax.plot(epochs, run[f"val_{metric}"], "--s", color=color, ms=3, label=f"{name}validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric.replace("_", " "))
        if metric in ("learning_rate", "lr"):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_gradient_norms(norms, *, path=None, title="Gradient norm per layer at initialisation"):
    """Per-layer gradient norms, input side on the left; ``norms``: ``{label: [norm, ...]}``."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, "-o", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer (input -> output)")
    ax.set_ylabel("L2 norm of the kernel's gradient")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_image_grid(images, labels, class_names, predictions=None, *, columns=8, path=None, title=None):
    """A grid of images titled with their labels (and predictions: red when wrong).

    ``images``: ``(n, H, W)`` or ``(n, H, W, C)``, uint8 or float.
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty: nothing to plot.")
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.7 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        if img.dtype != np.uint8:
            img = (img - img.min()) / max(float(img.max() - img.min()), 1e-8)
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        text = class_names[int(labels[i])]
        color = "black"
        if predictions is not None:
            text = f"true: {text}\npred: {class_names[int(predictions[i])]}"
            color = "black" if int(predictions[i]) == int(labels[i]) else "tab:red"
        ax.set_title(text, fontsize=7, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(labels, predictions, class_names, *, path=None, normalize=True):
    """Confusion matrix of integer ``labels`` vs ``predictions`` (rows: true class)."""
    k = len(class_names)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (np.asarray(labels, int).reshape(-1), np.asarray(predictions, int).reshape(-1)), 1)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(k), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), class_names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.grid(False)
    for i in range(k):
        for j in range(k):
            value = f"{shown[i, j]:.2f}" if normalize else str(cm[i, j])
            ax.text(
                j,
                i,
                value,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if shown[i, j] > 0.5 * shown.max() else "black",
            )
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------- bars and scatter


def plot_bars(values, *, ylabel, xlabel=None, title=None, log=False, annotate=True, path=None):
    """Bar chart of ``values``: ``{category: number}``, or ``{category: {series: number}}`` for groups.

    Categories run along the x axis in the mapping's order; with groups, each series
    gets its own colour and a legend entry. ``annotate`` writes each bar's value
    (with thousands separators) above it.
    """
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"values must be a non-empty mapping {{category: number}}; got {values!r}.")
    grouped = all(isinstance(v, Mapping) for v in values.values())
    if not grouped:
        values = {category: {"": v} for category, v in values.items()}
    categories = list(values)
    series = list(dict.fromkeys(name for v in values.values() for name in v))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(categories) * max(1, len(series) / 2)), 4))
    for i, name in enumerate(series):
        xs = np.arange(len(categories)) + (i - (len(series) - 1) / 2) * width
        heights = [float(values[c].get(name, 0.0)) for c in categories]
        bars = ax.bar(xs, heights, width=width * 0.95, label=name or None)
        if annotate:
            labels = [f"{h:,.0f}" if float(h).is_integer() else f"{h:,.3g}" for h in heights]
            ax.bar_label(bars, labels=labels, fontsize=7, padding=2, rotation=90 if len(series) > 2 else 0)
    ax.set_xticks(np.arange(len(categories)), categories)
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    if log:
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1 or v == 0 else f"{v:.2g}")
    ax.margins(y=0.2)
    if grouped and len(series) > 1:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_output_vs_input(panels, *, max_points=5000, seed=0, path=None, title=None):
    """Scatter each panel's output values against its input values, with the line y = x.

    ``panels``: ``{label: (inputs, outputs)}``, two arrays of the same size (any shape;
    they are flattened). A function that passes its input through unchanged puts every
    point on the dashed diagonal. At most ``max_points`` points per panel are drawn.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty mapping {label: (inputs, outputs)}.")
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    for ax, (label, (x, y)) in zip(axes[0], panels.items()):
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if x.shape != y.shape:
            raise ValueError(f"panel {label!r}: inputs and outputs differ in size ({x.size} vs {y.size}).")
        keep = rng.permutation(x.size)[:max_points]
        ax.scatter(x[keep], y[keep], s=3, alpha=0.4)
        low, high = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        ax.plot([low, high], [low, high], "k--", lw=1, label="output = input")
        ax.set_xlabel("input value")
        ax.set_ylabel("output value")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_learning_rate(
    schedules, total_steps, *, steps_per_epoch=None, path=None, title="Learning-rate schedule"
):
    """The learning rate of each step: ``schedules`` is a Keras schedule or ``{label: schedule}``.

    A schedule is anything callable on a step number (``keras.optimizers.schedules``,
    ``resnet_lib.learning_rate_schedule``) or a sequence of per-step values. With
    ``steps_per_epoch`` the x axis counts epochs instead of steps.
    """
    if callable(schedules) or not isinstance(schedules, Mapping):
        schedules = {"": schedules}
    if isinstance(total_steps, bool) or not isinstance(total_steps, int | np.integer) or total_steps < 1:
        raise ValueError(f"total_steps must be a positive integer, got {total_steps!r}.")
    steps = np.arange(total_steps)
    x = steps / steps_per_epoch if steps_per_epoch else steps
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for label, schedule in schedules.items():
        values = np.array(
            [float(schedule(s)) for s in steps] if callable(schedule) else schedule, dtype=float
        )
        if len(values) != total_steps:
            raise ValueError(
                f"schedule {label!r} has {len(values)} values, expected total_steps={total_steps}."
            )
        ax.plot(x, values, label=label or None)
    ax.set_xlabel("epoch" if steps_per_epoch else "training step")
    ax.set_ylabel("learning rate")
    ax.set_ylim(bottom=0)
    if len(schedules) > 1:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)
