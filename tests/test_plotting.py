"""Every plotting helper writes a non-empty file; the graph helper survives a missing Graphviz."""

import resnet_lib as rl
from resnet_lib import graph as graph_module
from resnet_lib import plotting

import keras
import matplotlib
import numpy as np
import pytest
from prerequisites import require

matplotlib.use("Agg")


def _png_ok(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def _small_model():
    return rl.cifar_resnet(8, input_shape=(16, 16, 1), classes=3, width=4)


def test_model_graph_with_graphviz(tmp_path):
    require(graph_module.graphviz_available(), "Graphviz's dot is not installed (make setup installs it)")
    graph = rl.plot_model_graph(_small_model(), tmp_path / "g" / "graph.png")
    assert not graph.fallback
    _png_ok(graph.path)
    assert graph._repr_png_()[:4] == b"\x89PNG"


def test_model_graph_falls_back_to_text_without_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    graph = rl.plot_model_graph(_small_model(), tmp_path / "graph.png")
    assert graph.fallback and graph.path.suffix == ".txt"
    assert "apt-get install graphviz" in capsys.readouterr().out
    text = graph.path.read_text()
    assert "stage1_block1_add (Add)" in text and "<- " in text
    assert "Graphviz is not installed" in graph._repr_html_()


CHAINS = {"plain": ["x", "conv", "H(x)"], 'residual "block"': ["x", "conv 3x3\nstride 1", "+", "out"]}


def test_diagram_with_graphviz(tmp_path):
    require(graph_module.graphviz_available(), "Graphviz's dot is not installed (make setup installs it)")
    graph = rl.plot_diagram(CHAINS, tmp_path / "d.png", skips=[('residual "block"', 0, 2, "shortcut")])
    assert not graph.fallback
    _png_ok(graph.path)


def test_diagram_falls_back_to_text_and_rejects_a_bad_skip(tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match="must name a chain"):
        rl.plot_diagram(CHAINS, tmp_path / "d.png", skips=[("plain", 2, 0, "backwards")])
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    graph = rl.plot_diagram(CHAINS, tmp_path / "d.png", skips=[('residual "block"', 0, 2, "shortcut")])
    assert graph.fallback and "apt-get install graphviz" in capsys.readouterr().out
    assert graph.path.read_text().splitlines() == [
        "plain: x -> conv -> H(x)",
        'residual "block": x -> conv 3x3 stride 1 -> + -> out',
        'residual "block": x -> + (shortcut)',
    ]


def test_training_curves_one_and_many_runs(tmp_path):
    history = {"loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 1.2, 0.9], "accuracy": [0.3, 0.6, 0.8]}
    fig = rl.plot_training_curves(history, path=tmp_path / "one.png")
    assert len(fig.axes) == 2
    _png_ok(tmp_path / "one.png")
    fig = rl.plot_training_curves(
        {"plain": history, "residual": history}, ["loss"], path=tmp_path / "two.png"
    )
    assert len(fig.axes[0].lines) == 4  # train + validation per run
    _png_ok(tmp_path / "two.png")


def test_training_curves_from_a_keras_history(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(np.zeros((8, 3)), np.zeros(8), epochs=2, verbose=0, validation_split=0.25)
    rl.plot_training_curves(history, path=tmp_path / "h.png")
    _png_ok(tmp_path / "h.png")


def test_training_curves_name_the_missing_metric():
    with pytest.raises(ValueError, match="'top5'.*holds \\['loss'\\]"):
        rl.plot_training_curves({"loss": [1.0]}, ["top5"])
    with pytest.raises(TypeError, match="History"):
        rl.plot_training_curves({"run": 3})


def test_other_figures(tmp_path):
    plotting.plot_gradient_norms(
        {"plain": [1, 0.1, 0.01], "residual": [1, 0.9, 0.8]}, path=tmp_path / "g.png"
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, 28, 28, 1), dtype=np.uint8)
    labels, preds = rng.integers(0, 10, 10), rng.integers(0, 10, 10)
    names = rl.data.CLASS_NAMES["fashion_mnist"]
    plotting.plot_image_grid(images, labels, names, preds, columns=5, path=tmp_path / "grid.png")
    fig = plotting.plot_confusion_matrix(labels, preds, names, path=tmp_path / "cm.png")
    assert fig.axes[0].images[0].get_array().shape == (10, 10)
    for name in ("g.png", "grid.png", "cm.png"):
        _png_ok(tmp_path / name)
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_image_grid(images[:0], labels[:0], names)


def test_lines_surfaces_and_maps(tmp_path):
    x = np.arange(5)
    fig = rl.plot_lines(
        {"mean and spread": (x, x * 0.1, x * 0.05, x * 0.2), "with a gap": (x, [1, np.nan, 3, 4, 5])},
        xlabel="k",
        ylabel="accuracy",
        path=tmp_path / "lines.png",
    )
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[0].collections) == 1  # one shaded band
    a, b = np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)
    fig = rl.plot_surfaces(
        {"bowl": np.add.outer(b**2, a**2), "flat": np.zeros((3, 4))}, a, b, path=tmp_path / "s.png"
    )
    assert len(fig.axes) == 3  # two panels and their shared colour bar
    assert fig.axes[2].get_ylabel() == "loss"  # the colour bar's label, not a panel's name
    with pytest.raises(ValueError, match="shape \\(4, 3\\); expected"):
        rl.plot_surfaces({"transposed": np.zeros((4, 3))}, a, b)
    rng = np.random.default_rng(0)
    rl.plot_maps(
        rng.uniform(size=(3, 7, 7)),
        images=rng.uniform(size=(3, 7, 7, 1)),
        titles="abc",
        path=tmp_path / "m.png",
    )
    for name in ("lines.png", "s.png", "m.png"):
        _png_ok(tmp_path / name)
    rl.plot_maps([np.zeros((7, 7)), np.ones((3, 3))], titles=["7x7", "3x3"])  # sizes may differ
    with pytest.raises(ValueError, match="2-D arrays"):
        rl.plot_maps(np.zeros((7, 7)))
    with pytest.raises(ValueError, match="non-empty"):
        rl.plot_lines({}, xlabel="x", ylabel="y")
