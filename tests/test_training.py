"""resnet_lib.training: schedule, loss, checkpoints, a failed save, resuming, determinism, strategies."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import resnet_lib as rl
from resnet_lib import training

import keras
import numpy as np
import pytest

STEPS = 4  # batches per epoch of the tiny data set below
TINY = training.TrainConfig(epochs=2, learning_rate=0.05, warmup_epochs=0.5, seed=3)


@pytest.fixture(scope="module")
def tiny_data():
    """64 random 16x16 grey images in 10 classes."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(64, 16, 16, 1), dtype=np.uint8)
    return x, np.arange(64) % 10


def tiny_dataset(data, training_set=True):
    """4 batches of 16, shuffled and augmented when ``training_set``."""
    x, y = data
    return rl.make_dataset(x, y, 16, training=training_set, pad=2, seed=1)


def tiny_model():
    return rl.cifar_resnet(8, (16, 16, 1), width=4)


def test_schedule_warms_up_then_decays_to_its_floor():
    config = training.TrainConfig(epochs=10, learning_rate=0.2, warmup_epochs=1.0, final_lr_fraction=0.1)
    schedule = training.learning_rate_schedule(config, steps_per_epoch=10)  # 100 steps, 10 of warm-up
    lr = [float(schedule(step)) for step in range(101)]
    assert lr[1] == pytest.approx(0.02) and lr[10] == pytest.approx(0.2)
    assert all(a <= b for a, b in zip(lr[:11], lr[1:11])), "the warm-up must rise"
    assert all(a >= b - 1e-7 for a, b in zip(lr[10:], lr[11:])), "the decay must not rise"
    assert lr[55] == pytest.approx(0.2 * (0.1 + 0.9 * 0.5)) and lr[100] == pytest.approx(0.02)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(clone, keras.optimizers.schedules.CosineDecay) and float(clone(37)) == pytest.approx(
        lr[37]
    )


@pytest.mark.parametrize(
    ("field", "value", "error", "allowed"),
    [
        ("epochs", 0, ValueError, ">= 1"),
        ("epochs", 2.5, TypeError, "integer"),
        ("learning_rate", 0.0, ValueError, "> 0"),
        ("learning_rate", "0.1", TypeError, "number"),
        ("warmup_epochs", 3, ValueError, "[0, epochs=2]"),
        ("warmup_epochs", -1, ValueError, "[0, epochs=2]"),
        ("final_lr_fraction", 1.5, ValueError, "[0, 1]"),
        ("momentum", 5, ValueError, "[0, 1)"),
        ("momentum", 1.0, ValueError, "[0, 1)"),
        ("nesterov", "no", TypeError, "True or False"),
        ("weight_decay", -1e-4, ValueError, ">= 0"),
        ("weight_decay", float("nan"), TypeError, ">= 0"),
        ("label_smoothing", 3, ValueError, "[0, 1)"),
        ("mixed_precision", 1, TypeError, "True or False"),
        ("seed", -1, ValueError, ">= 0"),
        ("seed", 1.0, TypeError, "integer"),
    ],
)
def test_every_config_field_is_validated_by_name(field, value, error, allowed):
    with pytest.raises(error) as err:
        training.TrainConfig(**{"epochs": 2, field: value})
    message = str(err.value)
    assert message.startswith(field) and allowed in message and repr(value) in message, message


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="steps_per_epoch"):
        training.learning_rate_schedule(TINY, steps_per_epoch=0)
    with pytest.raises(ValueError, match=r"warmup_epochs=2 leaves no step .* warmup_epochs < epochs=2"):
        training.learning_rate_schedule(TINY.replace(warmup_epochs=2), steps_per_epoch=STEPS)
    with pytest.raises(ValueError, match="warmup_epochs"):
        training.TrainConfig(epochs=2, warmup_epochs=3)
    with pytest.raises(TypeError, match="epochs"):
        training.TrainConfig(epochs=2.5)
    with pytest.raises(TypeError, match="build_model"):
        training.train(tiny_model(), None)


def test_smoothed_loss_agrees_with_keras():
    rng = np.random.default_rng(1)
    p = rng.random((6, 5)).astype("float32")
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([0, 1, 2, 3, 4, 0])
    plain = keras.losses.SparseCategoricalCrossentropy()(y, p)
    assert float(training.SmoothedSparseCrossentropy(0.0)(y, p)) == pytest.approx(float(plain), rel=1e-5)
    smooth = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(np.eye(5)[y], p)
    assert float(training.SmoothedSparseCrossentropy(0.2)(y, p)) == pytest.approx(float(smooth), rel=1e-5)


def test_a_failed_save_leaves_the_last_good_checkpoint(tmp_path, tiny_data, monkeypatch):
    save = keras.Model.save
    good = {}

    def save_once_then_break(self, filepath, *args, **kwargs):
        if good:  # the second epoch's save writes half a file, then fails
            Path(filepath).write_bytes(b"half a zip file")
            raise OSError("disk full")
        save(self, filepath, *args, **kwargs)
        good[Path(filepath).name] = Path(filepath).read_bytes()

    monkeypatch.setattr(keras.Model, "save", save_once_then_break)
    ds = tiny_dataset(tiny_data)
    with pytest.raises(OSError, match="disk full"):
        training.train(tiny_model, ds, None, TINY, checkpoint_dir=tmp_path, verbose=0)
    monkeypatch.undo()
    state = training.read_checkpoint_state(tmp_path)
    assert (
        state["epoch"] == 1
        and state["checkpoint"] == "epoch-0001.keras"
        and list(good) == [state["checkpoint"]]
    )
    assert (tmp_path / state["checkpoint"]).read_bytes() == good[state["checkpoint"]], (
        "a failed save must leave the previous checkpoint untouched"
    )
    assert (tmp_path / "epoch-0002.keras").read_bytes() == b"half a zip file"

    resumed = training.train(tiny_model, ds, None, TINY, checkpoint_dir=tmp_path, verbose=0)
    assert resumed.initial_epoch == 1 and resumed.epochs_done == 2, "the half-written file must not be loaded"
    assert int(resumed.model.optimizer.iterations) == 2 * STEPS
    keras.models.load_model(tmp_path / "epoch-0002.keras", safe_mode=True)  # written again, whole


class InterruptDuringEpoch2(keras.callbacks.Callback):
    """Simulates Ctrl-C in the middle of the second epoch."""

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations) == STEPS + 2:
            raise KeyboardInterrupt


def test_interrupted_run_resumes_from_last_checkpoint(tmp_path, tiny_data):
    ds = tiny_dataset(tiny_data)
    with pytest.raises(KeyboardInterrupt):
        training.train(
            tiny_model, ds, None, TINY, checkpoint_dir=tmp_path, callbacks=[InterruptDuringEpoch2()]
        )
    state = training.read_checkpoint_state(tmp_path)
    assert state["epoch"] == 1 and not state["finished"] and len(state["history"]["loss"]) == 1
    assert not list(tmp_path.glob(".*")), "no temporary files may be left behind"

    saved = keras.models.load_model(tmp_path / state["checkpoint"], safe_mode=True).optimizer
    saved = {v.path: np.array(v) for v in saved.variables}
    momenta = [value for path, value in saved.items() if "momentum" in path]
    assert momenta and any(np.abs(m).max() > 0 for m in momenta), "the checkpoint must hold the momenta"

    class OptimizerAtStart(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.variables = {v.path: np.array(v) for v in self.model.optimizer.variables}

    at_start = OptimizerAtStart()
    logs = tmp_path.parent / f"{tmp_path.name}_logs"
    resumed = training.train(
        tiny_model, ds, None, TINY, checkpoint_dir=tmp_path, log_dir=logs, verbose=0, callbacks=[at_start]
    )
    assert sorted(at_start.variables) == sorted(saved), "the resumed optimizer must have the saved variables"
    for path, value in saved.items():
        np.testing.assert_array_equal(at_start.variables[path], value, err_msg=f"{path} was not restored")
    assert list(logs.rglob("events.out.tfevents.*")), "TensorBoard logs must be written"
    assert resumed.initial_epoch == 1 and resumed.epochs_done == 2
    assert int(resumed.model.optimizer.iterations) == 2 * STEPS, "the optimizer state must carry over"
    assert resumed.history["loss"][0] == state["history"]["loss"][0]
    assert len(resumed.history["learning_rate"]) == 2
    state = training.read_checkpoint_state(tmp_path)
    assert state["epoch"] == 2 and state["finished"]
    assert sorted(p.name for p in tmp_path.glob("*.keras")) == ["epoch-0001.keras", "epoch-0002.keras"]

    loaded = training.train(tiny_model, ds, None, TINY, checkpoint_dir=tmp_path)
    assert loaded.initial_epoch == 2 and loaded.history == resumed.history
    assert int(loaded.model.optimizer.iterations) == 2 * STEPS, "a finished run must be loaded, not trained"

    with pytest.raises(ValueError, match="different configuration.*epochs"):
        training.train(tiny_model, ds, None, TINY.replace(epochs=3), checkpoint_dir=tmp_path)


def test_same_seed_gives_identical_losses(tiny_data):
    def run():
        rl.session.seed_everything(0)  # seeds the data pipeline and enables TensorFlow's op determinism
        return training.train(tiny_model, tiny_dataset(tiny_data), None, TINY, verbose=0).history["loss"]

    assert run() == run()
    weights = [training.build(tiny_model, TINY.replace(seed=s)).get_weights()[0] for s in (3, 3, 4)]
    assert np.array_equal(weights[0], weights[1]), "the same seed must give the same initialisation"
    assert not np.array_equal(weights[0], weights[2]), "another seed must give another initialisation"


def test_keras_file_round_trip_with_safe_mode(tmp_path):
    config = TINY.replace(mixed_precision=True)
    model = training.compile_model(training.build(tiny_model, config), config, steps_per_epoch=STEPS)
    model.optimizer.build(model.trainable_variables)
    assert model.get_layer("stage2_block1_1_conv").compute_dtype == "bfloat16"
    assert model.layers[-1].compute_dtype == "float32", "the classifier must stay float32"
    assert any(isinstance(layer, rl.blocks.ZeroPadShortcut) for layer in model.layers)

    path = tmp_path / "tiny.keras"
    model.save(path)
    keras.backend.clear_session()
    loaded = keras.models.load_model(path, safe_mode=True)
    x = np.random.default_rng(2).random((5, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=0, atol=1e-6)
    schedule = keras.optimizers.schedules.deserialize(loaded.optimizer.get_config()["learning_rate"])
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert schedule.get_config() == training.learning_rate_schedule(config, STEPS).get_config()
    assert isinstance(loaded.loss, training.SmoothedSparseCrossentropy)


def test_predict_flip_average_and_per_class_accuracy(tiny_data):
    model = tiny_model()
    ds = tiny_dataset(tiny_data, training_set=False)
    p, labels = training.predict(model, ds)
    p_flip, labels_flip = training.predict(model, ds, flip_average=True)
    assert (
        p.shape == (64, 10) and np.array_equal(labels, tiny_data[1]) and np.array_equal(labels_flip, labels)
    )
    np.testing.assert_allclose(p_flip.sum(axis=1), 1.0, rtol=1e-5)
    acc = rl.per_class_accuracy([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], classes=3)
    np.testing.assert_allclose(acc[:2], [0.5, 2 / 3])
    assert np.isnan(acc[2])


STRATEGY_SCRIPT = textwrap.dedent(
    """
    import json, os
    import numpy as np
    import tensorflow as tf

    # Two logical devices must be declared before TensorFlow touches the CPU.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import resnet_lib as rl

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(64, 16, 16, 1), dtype=np.uint8)
    ds = rl.make_dataset(x, np.arange(64) % 10, 16, training=True, pad=2)
    config = rl.training.TrainConfig(epochs=2, learning_rate=0.05, warmup_epochs=0.5)
    result = rl.training.train(
        lambda: rl.cifar_resnet(8, (16, 16, 1), width=4), ds, ds, config, strategy=strategy,
        checkpoint_dir=os.environ["CHECKPOINTS"], verbose=0,
    )
    kernel = result.model.get_layer("stem_conv").kernel
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "devices": list(strategy.extended.worker_devices),
        "variable": type(kernel.value).__name__,
        "loss": result.history["loss"],
        "iterations": int(result.model.optimizer.iterations.numpy()),
    }))
    """
)


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    env = {**os.environ, "CHECKPOINTS": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    root = Path(rl.__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", STRATEGY_SCRIPT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2 and len(report["devices"]) == 2, report
    assert "Mirrored" in report["variable"], report
    assert len(report["loss"]) == 2 and all(np.isfinite(report["loss"]))
    assert report["iterations"] == 2 * STEPS
    assert training.read_checkpoint_state(tmp_path)["finished"]


def test_sgd_decays_the_weights_as_keras_does_with_one_schedule_evaluation():
    config = training.TrainConfig(epochs=2, learning_rate=0.3, warmup_epochs=0.5, weight_decay=0.01)
    start = [np.full((3, 2), 2.0, "float32"), np.full((2,), -1.0, "float32")]
    grads = [np.full((3, 2), 0.5, "float32"), np.full((2,), 0.25, "float32")]
    results = {}
    for cls in (keras.optimizers.SGD, training.SGD):
        variables = [keras.Variable(w) for w in start]
        schedule = training.learning_rate_schedule(config, steps_per_epoch=4)
        optimizer = cls(schedule, momentum=0.9, nesterov=True, weight_decay=config.weight_decay)
        for _ in range(3):
            optimizer.apply(grads, variables)
        results[cls] = [np.asarray(v) for v in variables]
        assert optimizer.learning_rate is not None and optimizer._learning_rate is schedule
    for ours, theirs in zip(results[training.SGD], results[keras.optimizers.SGD]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert not np.allclose(results[training.SGD][0], start[0])  # the steps did move the weights


def test_translate_moves_the_batch_and_mirrors_the_border():
    images = np.arange(2 * 4 * 5, dtype="float32").reshape(2, 4, 5, 1)
    moved = np.asarray(rl.data.translate(images, 1, -2))
    np.testing.assert_array_equal(moved[:, 1:, :3], images[:, :3, 2:])  # down 1, left 2
    np.testing.assert_array_equal(moved[:, 0], moved[:, 1])  # the emptied top row mirrors its neighbour
    np.testing.assert_array_equal(np.asarray(rl.data.translate(images, 0, 0)), images)


def test_predict_with_shifted_views_averages_all_of_them(tiny_data):
    model = tiny_model()
    ds = tiny_dataset(tiny_data, training_set=False)
    p, _ = training.predict(model, ds, flip_average=True, shift=1)
    x = np.concatenate([images for images, _ in ds])
    views = [x, x[:, :, ::-1]]
    views += [np.asarray(rl.data.translate(v, d, d)) for v in views for d in (1, -1)]
    expected = np.mean([model.predict_on_batch(v) for v in views], axis=0)
    np.testing.assert_allclose(p, expected, rtol=1e-4, atol=1e-6)


def test_weight_average_is_the_trained_model_and_the_loaded_one(tmp_path, tiny_data):
    ds = tiny_dataset(tiny_data)
    config = TINY.replace(ema_momentum=0.5)

    class LastRawWeights(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.raw = [np.array(w) for w in self.model.trainable_weights]

    raw = LastRawWeights()
    trained = training.train(
        tiny_model, ds, None, config, checkpoint_dir=tmp_path, verbose=0, callbacks=[raw]
    )
    averaged = [np.array(w) for w in trained.model.trainable_weights]
    assert any(not np.allclose(a, r) for a, r in zip(averaged, raw.raw)), "the model must get the average"
    loaded = training.train(tiny_model, ds, None, config, checkpoint_dir=tmp_path, verbose=0)
    for a, b in zip(averaged, loaded.model.trainable_weights):
        np.testing.assert_allclose(np.array(b), a, rtol=1e-6, err_msg="a loaded run must be averaged too")
    with pytest.raises(ValueError, match="ema_momentum"):
        TINY.replace(ema_momentum=1.0)
