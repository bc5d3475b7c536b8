"""Model graphs: ``keras.utils.plot_model`` (pydot + Graphviz), or a text rendering without Graphviz."""

from __future__ import annotations

import html
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

import keras

from . import _validate
from .analysis import tensor_records

GRAPHVIZ_INSTALL = (
    "Install Graphviz to draw model graphs: sudo apt-get install graphviz "
    "(macOS: brew install graphviz; conda: conda install graphviz)."
)


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


def model_graph_text(model) -> str:
    """One line per layer: name, type, output shape and the layers feeding it (from ``get_config``)."""
    inbound = {
        entry["name"]: [r["keras_history"][0] for r in tensor_records(entry["inbound_nodes"])]
        for entry in model.get_config()["layers"]
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


def plot_diagram(chains, path, *, skips=(), rankdir="LR", dpi=96):
    """Draw block diagrams with Graphviz into ``path`` (PNG): one box per step, ``"+"`` as an addition.

    ``chains`` maps a title to its steps in order, e.g. ``{"plain block": ["x", "conv 3x3", ...]}``;
    ``skips`` are ``(title, from step, to step, label)`` arrows that jump ahead (the shortcuts).
    Without Graphviz, prints how to install it and writes the diagram as text next to ``path``.
    """
    for title, a, b, _ in skips:
        if title not in chains or not 0 <= a < b < len(chains[title]):
            raise ValueError(
                f"skip ({title!r}, {a}, {b}) must name a chain and two of its steps, first to last"
            )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{title}: " + " -> ".join(steps).replace("\n", " ") for title, steps in chains.items()]
    lines += [f"{title}: {chains[title][a]} -> {chains[title][b]} ({label})" for title, a, b, label in skips]
    if graphviz_available():
        import pydot

        graph = pydot.Dot(
            graph_type="digraph", rankdir=rankdir, dpi=dpi, bgcolor="white", fontname="Helvetica"
        )
        graph.set_node_defaults(
            shape="box", style="rounded,filled", fillcolor="#e8eef8", fontname="Helvetica"
        )
        graph.set_edge_defaults(fontname="Helvetica", fontsize="11")
        for c, (title, steps) in reversed(list(enumerate(chains.items()))):  # Graphviz stacks them upwards
            cluster = pydot.Cluster(f"c{c}", label=_quoted(title), color="#b0b0b0", style="rounded")
            for s, step in enumerate(steps):
                look = {"shape": "circle", "fillcolor": "#fbe3c0"} if step == "+" else {}
                cluster.add_node(pydot.Node(f"n{c}_{s}", label=_quoted(step), **look))
                if s:
                    cluster.add_edge(pydot.Edge(f"n{c}_{s - 1}", f"n{c}_{s}"))
            graph.add_subgraph(cluster)
        titles = list(chains)
        for title, a, b, label in skips:
            c = titles.index(title)
            graph.add_edge(pydot.Edge(f"n{c}_{a}", f"n{c}_{b}", xlabel=_quoted(label), color="#c0392b"))
        graph.write_png(str(path))
        if path.is_file() and path.stat().st_size > 0:
            return ModelGraph(path, fallback=False)
    print(GRAPHVIZ_INSTALL)
    text_path = path.with_suffix(".txt")
    text_path.write_text("\n".join(lines) + "\n")
    return ModelGraph(text_path, fallback=True, text="\n".join(lines))


def _quoted(text):
    """``text`` as a DOT string: quotes escaped, line breaks as Graphviz's ``\\n``."""
    return '"' + text.replace('"', '\\"').replace("\n", "\\n") + '"'
