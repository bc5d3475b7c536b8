"""The notebook setup call: fast/full mode, seeding, paths."""

from resnet_lib import session

import numpy as np
import pytest


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"RESNET_FAST": "1"}, True),
        ({"RESNET_FAST": "0", "CI": "true"}, False),
        ({"RESNET_FAST": "yes"}, True),
    ],
)
def test_fast_mode_follows_the_environment(monkeypatch, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RESNET_FAST", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert session.fast_mode() is expected


def test_bad_fast_value_is_explained(monkeypatch):
    monkeypatch.setenv("RESNET_FAST", "maybe")
    with pytest.raises(ValueError, match="RESNET_FAST"):
        session.fast_mode()


def test_setup_seeds_and_makes_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BUILD_DIR", str(tmp_path / "build"))
    s = session.setup(seed=3, fast=True)
    a = np.random.rand(3)
    session.setup(seed=3, fast=True)
    np.testing.assert_array_equal(a, np.random.rand(3))
    assert s.fast and s.pick(1, 20) == 1 and s.checkpoints.is_dir() and s.logs.is_dir()
    assert session.setup(fast=False).pick(1, 20) == 20


def test_a_missing_prerequisite_skips_here_and_fails_under_ci(monkeypatch):
    from prerequisites import require

    require(True, "present")  # nothing happens
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="graphviz"):
        require(False, "graphviz is missing")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="graphviz is missing.*fails the run"):
        require(False, "graphviz is missing")


def test_a_later_lesson_finds_the_finished_network_of_its_mode(tmp_path, monkeypatch):
    import json

    from resnet_lib import training

    import keras

    monkeypatch.setenv("RESNET_BUILD_DIR", str(tmp_path))
    s = session.setup(fast=True)
    assert s.trained_network() is None
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")], name="tiny")
    for name, epochs_done in (("05_fashion_mnist_resnet8_fast", 2), ("05_fashion_mnist_resnet9_fast", 1)):
        folder = s.checkpoints / name
        folder.mkdir()
        (folder / training.CONFIG_FILE).write_text(json.dumps({"epochs": 2}))
        rows = "".join(f"{e},0.5\n" for e in range(epochs_done))
        (folder / training.HISTORY_FILE).write_text("epoch,loss\n" + rows)
        model.save(folder / training.CHECKPOINT_FILE.format(epoch=epochs_done))
        session.save_normalisation(folder, [0.25], [0.5])
    unfinished = s.checkpoints / "05_fashion_mnist_resnet9_fast"  # the newest, but not finished
    found, mean, std = s.trained_network()
    assert found.name == "tiny" and mean.tolist() == [0.25] and std.tolist() == [0.5]
    (unfinished / training.HISTORY_FILE).write_text("epoch,loss\n0,0.5\n1,0.4\n")
    model.save(unfinished / training.CHECKPOINT_FILE.format(epoch=2))
    assert s.trained_network() is not None
    assert session.setup(fast=False).trained_network() is None, "full mode must not reuse a fast run"
    (s.checkpoints / "05_fashion_mnist_resnet8_fast" / session.NORMALISATION_FILE).unlink()
    (unfinished / session.NORMALISATION_FILE).unlink()
    assert s.trained_network() is None, "without its normalisation a network cannot be fed right"


def test_importing_the_library_keeps_tensorflow_quiet():
    import subprocess
    import sys

    code = (
        "import logging; logging.basicConfig(level=logging.INFO);"  # as a notebook kernel may have it
        "import resnet_lib, tensorflow as tf; tf.distribute.MirroredStrategy();"
        " print(float(tf.reduce_sum(tf.ones(3))))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "3.0", done.stdout  # no INFO line either
    assert done.stderr == "", f"TensorFlow's start-up lines reached stderr:\n{done.stderr}"
