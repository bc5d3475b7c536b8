"""Figures: training curves, gradient norms, image grids, confusion matrices, bars, lines, maps.

Every plotting function returns the matplotlib ``Figure`` and, given ``path``, also saves it
there, creating folders as needed. Model graphs are drawn by ``graph.plot_model_graph``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def _save(fig, path):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
    return fig


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


# ----------------------------------------------------------------------------- lines, surfaces and maps


def plot_lines(series, *, xlabel, ylabel, title=None, log=False, path=None):
    """One line per entry of ``series``: ``{label: (x, y)}`` or ``{label: (x, y, low, high)}``.

    With ``low`` and ``high`` (arrays like ``y``) the band between them is shaded, to show a
    spread such as the minimum and maximum over repeats.
    """
    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty mapping {label: (x, y)} or {label: (x, y, low, high)}.")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, values in series.items():
        x, y, *band = (np.asarray(v, dtype=float) for v in values)
        (line,) = ax.plot(x, y, "-o", ms=3, label=label)
        if band:
            ax.fill_between(x, band[0], band[1], color=line.get_color(), alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_surfaces(surfaces, a, b, *, levels=20, label="loss", title=None, path=None):
    """Contour plots side by side, one per ``{name: values}`` with ``values[i, j]`` at ``(a[j], b[i])``.

    The panels share their contour levels (``levels`` of them, spaced over the range of all
    values), so the same colour means the same value in every panel; (0, 0) is marked. ``label``
    names the values on the colour bar.
    """
    if not isinstance(surfaces, Mapping) or not surfaces:
        raise ValueError("surfaces must be a non-empty mapping {name: 2-D array}.")
    values = {name: np.asarray(v, dtype=float) for name, v in surfaces.items()}
    for name, v in values.items():
        if v.shape != (len(b), len(a)):
            raise ValueError(f"surface {name!r} has shape {v.shape}; expected (len(b), len(a)).")
    everything = np.concatenate([v.reshape(-1) for v in values.values()])
    shared = np.linspace(everything.min(), everything.max(), levels)
    fig, axes = plt.subplots(1, len(values), figsize=(4.5 * len(values), 4), squeeze=False)
    for ax, (name, v) in zip(axes[0], values.items()):
        filled = ax.contourf(a, b, v, levels=shared, cmap="viridis")
        ax.contour(a, b, v, levels=shared, colors="k", linewidths=0.3)
        ax.plot(0, 0, "r*", ms=10)
        ax.set_xlabel("direction 1")
        ax.set_title(name, fontsize=10)
    axes[0][0].set_ylabel("direction 2")
    fig.colorbar(filled, ax=axes[0].tolist(), label=label)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_maps(maps, *, images=None, titles=None, columns=8, path=None, title=None):
    """A grid of 2-D maps of any sizes: feature maps, or heat maps in [0, 1] over ``images`` when given."""
    maps = [np.asarray(m, dtype=float) for m in maps]
    if not maps or any(m.ndim != 2 for m in maps):
        raise ValueError(
            f"maps must be a non-empty sequence of 2-D arrays (n, H, W); got {[m.shape for m in maps]}."
        )
    rows = -(-len(maps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.6 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(maps):
            continue
        if images is not None:
            ax.imshow(np.asarray(images[i], dtype=float).squeeze(), cmap="gray")
            ax.imshow(maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        else:
            ax.imshow(maps[i], cmap="viridis")
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)
