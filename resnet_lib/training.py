"""Training: the learning-rate schedule, the loss, the optimizer and a resumable ``fit``.

``train(build_model, train_data, val_data, config, checkpoint_dir=...)`` builds and compiles
a model (inside a ``tf.distribute`` strategy's scope) and fits it with Keras' callbacks. In
the checkpoint folder, ``ModelCheckpoint`` saves the whole model after every epoch
(``epoch-0001.keras``, ...), and then ``CSVLogger`` appends the epoch's metrics to
``history.csv``; ``config.json`` holds the run's ``TrainConfig``. The rows of ``history.csv``
are the record of complete checkpoints: a model file that was half-written when training
stopped has no row, so it is never loaded. Called again with the same folder, ``train`` carries
on after the last complete epoch (weights, optimizer state, epoch, history) or loads a finished run.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import _validate, data
from ._paths import shown_path

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
#: The file name of the checkpoint after ``epoch`` epochs (``epoch-0003.keras``); ModelCheckpoint fills it in.
CHECKPOINT_FILE = "epoch-{epoch:04d}.keras"


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TrainConfig:
    """The choices of one training run; they are stored with every checkpoint.

    ``learning_rate`` is the peak of the schedule, reached after ``warmup_epochs``;
    ``weight_decay`` is Keras' decoupled decay (each step shrinks the weights by
    ``learning_rate * weight_decay``); ``mixed_precision`` computes in bfloat16 and
    keeps the variables, the output layer and the loss in float32. ``ema_momentum > 0`` keeps
    an exponential moving average of the weights (Keras' ``use_ema``), updated every step, and
    the trained model gets the averaged weights at the end.
    """

    epochs: int = 10
    learning_rate: float = 0.1
    warmup_epochs: float = 1.0
    final_lr_fraction: float = 0.01
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    mixed_precision: bool = False
    seed: int = 0
    ema_momentum: float = 0.0

    def __post_init__(self):
        _validate.positive_int("epochs", self.epochs)
        _validate.positive_int("seed", self.seed, minimum=0)
        for name in ("nesterov", "mixed_precision"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        rules = {
            "learning_rate": (lambda v: v > 0, "> 0"),
            "warmup_epochs": (lambda v: 0 <= v <= self.epochs, f"in [0, epochs={self.epochs}]"),
            "final_lr_fraction": (lambda v: 0 <= v <= 1, "in [0, 1]"),
            "momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),
            "weight_decay": (lambda v: v >= 0, ">= 0"),
            "label_smoothing": (lambda v: 0 <= v < 1, "in [0, 1)"),
            "ema_momentum": (lambda v: 0 <= v < 1, "in [0, 1): 0 for no average"),
        }
        for name, (ok, allowed) in rules.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise TypeError(f"{name} must be a number {allowed}, got {value!r} ({type(value).__name__}).")
            if not ok(value):
                raise ValueError(f"{name} must be {allowed}, got {value!r}.")

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed: ``config.replace(epochs=2)``."""
        return dataclasses.replace(self, **changes)


#: The recipe of ``make bench`` (its time-to-accuracy part) and of lesson 05 in full mode, for
#: ResNet-20 of width 16 on Fashion-MNIST with batches of 128, flips only, flip averaging at test.
FASHION_MNIST_CONFIG = TrainConfig(epochs=5, learning_rate=0.2, warmup_epochs=0.5, mixed_precision=True)


# ----------------------------------------------------------------------------- schedule, loss, model


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int):
    """Keras' ``CosineDecay``: a linear warm-up from 0 to the peak, then a cosine down to its floor.

    Step ``s`` gets ``peak * s / warmup_steps`` during the warm-up; after it the rate falls
    along a half cosine to ``peak * config.final_lr_fraction`` at the last step.
    """
    steps_per_epoch = _validate.positive_int("steps_per_epoch", steps_per_epoch)
    total_steps = config.epochs * steps_per_epoch
    warmup_steps = round(config.warmup_epochs * steps_per_epoch)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_epochs={config.warmup_epochs} leaves no step for the cosine decay ({warmup_steps} of "
            f"{total_steps} steps are warm-up); use warmup_epochs < epochs={config.epochs}."
        )
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=total_steps - warmup_steps,
        alpha=config.final_lr_fraction,
        warmup_target=config.learning_rate,
        warmup_steps=warmup_steps,
    )


@keras.saving.register_keras_serializable(package="resnet_lib")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels ``(batch,)`` and probabilities ``(batch, classes)``, label-smoothed.

    The target puts ``1 - eps + eps / k`` on the true class and ``eps / k`` on each of the ``k``
    classes (Keras' ``SparseCategoricalCrossentropy`` cannot smooth labels). ``label_smoothing=0``
    is ordinary sparse categorical cross-entropy.
    """

    def __init__(self, label_smoothing=0.1, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        classes = ops.shape(y_pred)[-1]
        one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package="resnet_lib")
class SGD(keras.optimizers.SGD):
    """Keras' SGD, with decoupled weight decay computing a step's learning rate once, not once
    per variable (which doubled the time to trace ResNet-20's first step). The update is the same."""

    def _apply_weight_decay(self, variables):
        schedule = self._learning_rate
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            return super()._apply_weight_decay(variables)
        object.__setattr__(self, "_learning_rate", schedule(self._iterations))  # a tensor for this step
        try:
            super()._apply_weight_decay(variables)
        finally:
            object.__setattr__(self, "_learning_rate", schedule)


def compile_model(model, config: TrainConfig, steps_per_epoch: int):
    """Compile ``model`` (softmax output): SGD with (Nesterov) momentum, decoupled weight decay and
    the schedule of ``config``, the smoothed loss and the accuracy metric."""
    optimizer = SGD(
        learning_rate=learning_rate_schedule(config, steps_per_epoch),
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay or None,
        use_ema=config.ema_momentum > 0,
        ema_momentum=config.ema_momentum or 0.99,
    )
    model.compile(optimizer, SmoothedSparseCrossentropy(config.label_smoothing), metrics=["accuracy"])
    return model


def build(build_model, config: TrainConfig):
    """Call ``build_model()`` seeded with ``config.seed``, under bfloat16 when ``config.mixed_precision``.

    Under mixed precision the last layer (the softmax classifier) is switched back to
    float32, because probabilities near 0 and 1 need more than bfloat16's 8 bits of precision.
    """
    keras.utils.set_random_seed(config.seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if config.mixed_precision else "float32")
    try:
        model = build_model()
    finally:
        keras.config.set_dtype_policy(previous)
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_model must return a keras.Model, got {type(model).__name__}.")
    if config.mixed_precision:
        model.layers[-1].dtype_policy = "float32"
    return model


# ----------------------------------------------------------------------------- checkpoints


def read_history(path) -> dict:
    """The metric lists ``{name: [value per epoch]}`` of a ``CSVLogger`` file (``{}`` if it is missing).

    Columns that hold ``NA`` (CSVLogger's ``val_`` columns of a run without validation) are left out.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    names = [name for name in (rows[0] if rows else {}) if name != "epoch" and rows[0][name] != "NA"]
    return {name: [float(row[name]) for row in rows] for name in names}


def read_checkpoint_state(directory):
    """What the checkpoint folder ``directory`` holds (a dict), or None when it holds no run.

    Keys: ``epoch`` (epochs completed), ``finished``, ``checkpoint`` (the file name of the last
    complete checkpoint, None before the first), ``history`` (metric lists) and ``config``.
    """
    directory = Path(directory)
    if not (directory / CONFIG_FILE).is_file():
        return None
    config = json.loads((directory / CONFIG_FILE).read_text())
    history = read_history(directory / HISTORY_FILE)
    epoch = len(history.get("loss", []))
    checkpoint = CHECKPOINT_FILE.format(epoch=epoch) if epoch else None
    return dict(
        epoch=epoch, finished=epoch >= config["epochs"], checkpoint=checkpoint, history=history, config=config
    )


def _start_or_check_config(directory: Path, config: TrainConfig) -> None:
    """Write ``config.json`` into a new checkpoint folder; raise if the folder's run had another config."""
    path = directory / CONFIG_FILE
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dataclasses.asdict(config), indent=1))
        return
    saved = {**dataclasses.asdict(TrainConfig()), **json.loads(path.read_text())}  # fields added since
    changed = [
        f"{k}: {saved[k]!r} there, {v!r} now" for k, v in dataclasses.asdict(config).items() if saved[k] != v
    ]
    if changed:
        raise ValueError(
            f"the checkpoint in {directory} was made with a different configuration "
            f"({'; '.join(changed)}). Use another checkpoint_dir, or delete this one to start over."
        )


def load_checkpoint(directory, state):
    """The model of ``state["checkpoint"]``; a finished ``ema_momentum`` run's gets the average."""
    model = keras.models.load_model(Path(directory) / state["checkpoint"], safe_mode=True)
    if state["finished"] and state["config"].get("ema_momentum"):
        model.optimizer.finalize_variable_values(model.trainable_weights)
    return model


class EpochLog(keras.callbacks.Callback):
    """Adds ``learning_rate`` (the rate of the next step) and ``seconds`` (the epoch's wall time)
    to each epoch's logs, so that the history, TensorBoard and ``history.csv`` hold them."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["seconds"] = time.perf_counter() - self._start


# ----------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    """What ``train`` returns: the model, the metrics of every epoch, where the run started, and
    the training time in seconds (of every epoch, across resumes)."""

    model: keras.Model
    history: dict
    initial_epoch: int
    seconds: float

    @property
    def epochs_done(self) -> int:
        return len(self.history.get("loss", []))


def train(
    build_model,
    train_data,
    val_data=None,
    config: TrainConfig | None = None,
    *,
    checkpoint_dir=None,
    log_dir=None,
    strategy=None,
    callbacks=(),
    steps_per_epoch=None,
    verbose="auto",
) -> TrainResult:
    """Build, compile and fit a model, checkpointing each epoch; resume or load when a checkpoint exists.

    - ``build_model``: a function with no arguments returning an uncompiled model
      with a softmax output; it is called inside ``strategy.scope()``.
    - ``train_data``/``val_data``: ``tf.data`` datasets of ``(images, labels)`` batches
      (``rl.make_dataset``); the global batch is split among the strategy's replicas.
    - ``config``: a ``TrainConfig`` (epochs, schedule, weight decay, label smoothing, ...).
    - ``checkpoint_dir``: the checkpoint folder (see the module's docstring). A run of the
      same configuration there is resumed, or loaded if it had finished; a run of another
      configuration raises. After a resume the data pipeline's shuffling starts afresh, so
      the run is equivalent to an uninterrupted one but not identical to it bit for bit.
    - ``log_dir``: TensorBoard logs (``train/`` and ``validation/`` inside); one folder per run.
    - ``strategy``: a ``tf.distribute.Strategy`` (``MirroredStrategy`` for several GPUs
      or devices); by default the current one (a single device).
    """
    config = config or TrainConfig()
    if isinstance(build_model, keras.Model) or not callable(build_model):
        raise TypeError(
            "build_model must be a function with no arguments that builds the model (train calls it "
            f"inside the strategy's scope), such as lambda: rl.cifar_resnet(20); got {build_model!r}."
        )
    steps = steps_per_epoch or (
        int(train_data.cardinality()) if isinstance(train_data, tf.data.Dataset) else 0
    )
    if steps <= 0:
        raise ValueError(
            "train_data must be a finite tf.data.Dataset of batches (such as rl.make_dataset returns), "
            "or pass steps_per_epoch."
        )
    strategy = strategy or tf.distribute.get_strategy()
    state = None
    if checkpoint_dir is not None:
        checkpoint_dir, shown = Path(checkpoint_dir), shown_path(checkpoint_dir)
        _start_or_check_config(checkpoint_dir, config)
        state = read_checkpoint_state(checkpoint_dir)

    with strategy.scope():
        if state is None or state["checkpoint"] is None:
            model = compile_model(build(build_model, config), config, steps)
        else:
            model = load_checkpoint(checkpoint_dir, state)
    initial_epoch = state["epoch"] if state is not None else 0
    if state is not None and state["finished"]:
        seconds = sum(state["history"]["seconds"])
        print(f"Loaded the finished run from {shown}: {initial_epoch} epochs, {seconds:.0f} s.")
        return TrainResult(model, state["history"], initial_epoch, seconds)
    if initial_epoch:
        print(f"Resuming from the checkpoint of epoch {initial_epoch} in {shown}.")

    all_callbacks = [EpochLog()]
    if log_dir is not None:
        all_callbacks.append(keras.callbacks.TensorBoard(str(log_dir), histogram_freq=0, profile_batch=0))
    if checkpoint_dir is not None:  # the order matters: a row is written only after its model file
        all_callbacks.append(keras.callbacks.ModelCheckpoint(str(checkpoint_dir / CHECKPOINT_FILE)))
        all_callbacks.append(keras.callbacks.CSVLogger(str(checkpoint_dir / HISTORY_FILE), append=True))
    all_callbacks.extend(callbacks)

    try:
        fit = model.fit(
            train_data,
            validation_data=val_data,
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            callbacks=all_callbacks,
            shuffle=False,  # the tf.data pipeline shuffles
            verbose=verbose,
        )
    except KeyboardInterrupt:
        if checkpoint_dir is not None:
            done = read_checkpoint_state(checkpoint_dir)["epoch"]
            where = f"epoch {done}" if done else "the start"
            print(f"Interrupted. Run the same call again to resume from {where} ({shown}).")
        raise
    if checkpoint_dir is not None:
        history = read_history(checkpoint_dir / HISTORY_FILE)
    else:
        history = {k: [float(v) for v in values] for k, values in fit.history.items()}
    return TrainResult(model, history, initial_epoch, sum(history["seconds"]))


# ----------------------------------------------------------------------------- evaluation


def predict(model, dataset, *, flip_average=False, shift=0):
    """Class probabilities ``(n, classes)`` and labels ``(n,)`` for a dataset of ``(images, labels)`` batches.

    Test-time augmentation averages the predictions of several views of each image:
    ``flip_average=True`` adds its mirror (right for data whose classes are symmetric
    left-right, such as clothes and most CIFAR-10 objects); ``shift=s`` adds each view moved
    ``s`` pixels down-right and ``s`` up-left. All the views go through the network as one batch.
    """
    probabilities, labels = [], []
    for images, y in dataset:
        views = [images, tf.reverse(images, [2])] if flip_average else [images]
        views += [data.translate(v, d, d) for v in views for d in ((shift, -shift) if shift else ())]
        p = np.asarray(model.predict_on_batch(tf.concat(views, 0)), dtype="float32")
        probabilities.append(p.reshape(len(views), len(images), -1).mean(axis=0))
        labels.append(np.asarray(y).reshape(-1))
    return np.concatenate(probabilities), np.concatenate(labels)
