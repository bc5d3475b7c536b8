"""Training: the learning-rate schedule, the loss, the optimizer and a resumable ``fit``.

``train(build_model, train_data, val_data, config, checkpoint_dir=...)`` builds and
compiles a model (inside a ``tf.distribute`` strategy's scope), fits it with Keras'
progress bars, records the learning rate, writes TensorBoard logs and saves a
checkpoint after every epoch. Called again with the same folder it carries on from
the last complete epoch (weights, optimizer state, epoch number and history); when
the run had already finished it just loads the model.

A checkpoint is written to a temporary file first and then renamed over the old one
(``os.replace`` is atomic), so an interrupted save never leaves a half-written file
where a good checkpoint was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from . import _validate

#: The file in a checkpoint folder that names the last complete checkpoint.
STATE_FILE = "state.json"


# ----------------------------------------------------------------------------- schedule and loss


@keras.saving.register_keras_serializable(package="resnet_lib")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over ``warmup_steps``, then a half cosine down to ``peak * final_fraction``.

    Step ``s`` (counted from 0) gets ``peak * (s + 1) / warmup_steps`` during the
    warm-up and ``peak * (f + (1 - f) * (1 + cos(pi * t)) / 2)`` after it, where ``t``
    runs from 0 to 1 between the end of the warm-up and ``total_steps``.
    """

    def __init__(self, peak, total_steps, warmup_steps=0, final_fraction=0.0, name="warmup_cosine"):
        if not isinstance(peak, int | float) or isinstance(peak, bool) or peak <= 0:
            raise ValueError(f"peak must be a positive learning rate, got {peak!r}.")
        self.peak = float(peak)
        self.total_steps = _validate.positive_int("total_steps", total_steps)
        self.warmup_steps = _validate.positive_int("warmup_steps", warmup_steps, minimum=0)
        if self.warmup_steps > self.total_steps:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) must not exceed total_steps ({self.total_steps})."
            )
        if not 0.0 <= final_fraction <= 1.0:
            raise ValueError(f"final_fraction must be in [0, 1], got {final_fraction!r}.")
        self.final_fraction = float(final_fraction)
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.peak * (step + 1.0) / max(self.warmup_steps, 1)
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        t = ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
        f = self.final_fraction
        cosine = self.peak * (f + (1.0 - f) * 0.5 * (1.0 + ops.cos(math.pi * t)))
        return ops.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "final_fraction": self.final_fraction,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="resnet_lib")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels ``(batch,)`` and probabilities ``(batch, classes)``, label-smoothed.

    The target puts ``1 - eps + eps / k`` on the true class and ``eps / k`` on each of the
    ``k`` classes, so the network is not pushed towards infinitely confident outputs.
    ``label_smoothing=0`` is ordinary sparse categorical cross-entropy.
    """

    def __init__(self, label_smoothing=0.1, from_logits=False, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        classes = ops.shape(y_pred)[-1]
        one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            one_hot, y_pred, from_logits=self.from_logits, label_smoothing=self.label_smoothing
        )

    def get_config(self):
        return {
            **super().get_config(),
            "label_smoothing": self.label_smoothing,
            "from_logits": self.from_logits,
        }


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TrainConfig:
    """The choices of one training run; they are stored with every checkpoint.

    ``learning_rate`` is the peak of the schedule, reached after ``warmup_epochs``;
    ``weight_decay`` is Keras' decoupled decay (each step shrinks the weights by
    ``learning_rate * weight_decay``); ``mixed_precision`` computes in bfloat16 and
    keeps the variables, the output layer and the loss in float32.
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


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int) -> WarmupCosineDecay:
    """The warm-up + cosine schedule of ``config`` for ``steps_per_epoch`` steps per epoch."""
    steps_per_epoch = _validate.positive_int("steps_per_epoch", steps_per_epoch)
    total = config.epochs * steps_per_epoch
    return WarmupCosineDecay(
        config.learning_rate,
        total_steps=total,
        warmup_steps=min(round(config.warmup_epochs * steps_per_epoch), total),
        final_fraction=config.final_lr_fraction,
    )


def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.SGD:
    """SGD with (Nesterov) momentum, decoupled weight decay and the schedule of ``config``."""
    return keras.optimizers.SGD(
        learning_rate=learning_rate_schedule(config, steps_per_epoch),
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay or None,
    )


def compile_model(model, config: TrainConfig, steps_per_epoch: int):
    """Compile ``model`` (softmax output) with the optimizer, loss and accuracy metric of ``config``."""
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss=SmoothedSparseCrossentropy(config.label_smoothing),
        metrics=["accuracy"],
    )
    return model


@contextlib.contextmanager
def dtype_policy(name):
    """Build layers under the dtype policy ``name`` (e.g. ``"mixed_bfloat16"``), then restore the old one."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build(build_model, config: TrainConfig):
    """Call ``build_model()`` seeded with ``config.seed``, under bfloat16 when ``config.mixed_precision``.

    Under mixed precision the last layer (the softmax classifier) is switched back to
    float32, because probabilities near 0 and 1 need more than bfloat16's 8 bits.
    """
    keras.utils.set_random_seed(config.seed)
    with dtype_policy("mixed_bfloat16" if config.mixed_precision else "float32"):
        model = build_model()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_model must return a keras.Model, got {type(model).__name__}.")
    if config.mixed_precision:
        model.layers[-1].dtype_policy = "float32"
    return model


# ----------------------------------------------------------------------------- checkpoints


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_save(model, path) -> Path:
    """Save ``model`` to ``path`` (``.keras``: architecture, weights, optimizer state), never half-written.

    The model is written to a temporary file in the same folder, flushed to disk and
    then renamed to ``path`` with ``os.replace``, which swaps the file in one step:
    a reader sees either the old complete file or the new complete file.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path must end in .keras, got {str(path)!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}.keras")
    try:
        model.save(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_checkpoint_state(directory):
    """The last complete checkpoint's record in ``directory`` (a dict), or None when there is none.

    Keys: ``epoch`` (epochs completed), ``epochs`` (planned), ``finished``, ``checkpoint``
    (file name), ``history`` (metric lists), ``config`` and ``seconds`` (training time so far).
    """
    path = Path(directory) / STATE_FILE
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    if not (Path(directory) / state["checkpoint"]).is_file():
        raise FileNotFoundError(
            f"{path} names checkpoint {state['checkpoint']!r}, which is missing from {directory}. "
            "Delete the folder to start the training over."
        )
    return state


def load_checkpoint(directory, *, compile=True):
    """The model of the last complete checkpoint in ``directory`` (with its optimizer state)."""
    state = read_checkpoint_state(directory)
    if state is None:
        raise FileNotFoundError(f"no checkpoint in {directory} (it has no {STATE_FILE}).")
    return keras.models.load_model(Path(directory) / state["checkpoint"], compile=compile, safe_mode=True)


class EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch: save the model as ``epoch-NNNN.keras``, then record it in ``state.json``.

    Both writes are atomic, and ``state.json`` is written only after the model file is
    complete, so it always names a whole checkpoint. Only the newest ``keep`` model
    files are kept. ``history`` (the metrics of earlier epochs, when resuming) is
    extended with each epoch's logs.
    """

    def __init__(self, directory, config: TrainConfig, history=None, seconds=0.0, keep=2):
        super().__init__()
        self.directory = Path(directory)
        self.config = config
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.keep = _validate.positive_int("keep", keep)
        self._seconds = float(seconds)
        self._start = None

    def on_train_begin(self, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        name = f"epoch-{epoch + 1:04d}.keras"
        atomic_save(self.model, self.directory / name)
        state = {
            "epoch": epoch + 1,
            "epochs": self.config.epochs,
            "finished": epoch + 1 >= self.config.epochs,
            "checkpoint": name,
            "history": self.history,
            "config": dataclasses.asdict(self.config),
            "seconds": self._seconds + time.perf_counter() - self._start,
        }
        _atomic_write_text(self.directory / STATE_FILE, json.dumps(state, indent=1))
        for old in sorted(self.directory.glob("epoch-*.keras"))[: -self.keep]:
            old.unlink()


class LearningRateLogger(keras.callbacks.Callback):
    """Adds ``learning_rate`` (the rate of the next step) to each epoch's logs, so the History holds it."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))


# ----------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    """What ``train`` returns: the model, the metrics of every epoch, and where the run started."""

    model: keras.Model
    history: dict
    initial_epoch: int
    seconds: float

    @property
    def epochs_done(self) -> int:
        return len(self.history.get("loss", []))


def _steps_per_epoch(dataset) -> int:
    import tensorflow as tf

    n = int(dataset.cardinality()) if isinstance(dataset, tf.data.Dataset) else -1
    if n <= 0:
        raise ValueError(
            "train_data must be a finite tf.data.Dataset of batches (such as rl.make_dataset returns), "
            "or pass steps_per_epoch."
        )
    return n


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
    - ``checkpoint_dir``: where ``EpochCheckpoint`` writes. If it holds a checkpoint of
      the same configuration, training carries on after its last epoch with the saved
      optimizer state; if that checkpoint is the final epoch, the model is loaded and
      nothing is trained. A checkpoint made with another configuration raises. After a
      resume the data pipeline's shuffling starts afresh, so the run is equivalent to an
      uninterrupted one but not identical to it bit for bit.
    - ``log_dir``: TensorBoard logs (``train/`` and ``validation/`` inside); one folder per run.
    - ``strategy``: a ``tf.distribute.Strategy`` (``MirroredStrategy`` for several GPUs
      or devices); by default the current one (a single device).
    """
    import tensorflow as tf

    config = config or TrainConfig()
    if isinstance(build_model, keras.Model) or not callable(build_model):
        raise TypeError(
            "build_model must be a function with no arguments that builds the model (train calls it "
            f"inside the strategy's scope), such as lambda: rl.cifar_resnet(20); got {build_model!r}."
        )
    steps = steps_per_epoch or _steps_per_epoch(train_data)
    strategy = strategy or tf.distribute.get_strategy()
    state = read_checkpoint_state(checkpoint_dir) if checkpoint_dir is not None else None
    if state is not None and state["config"] != dataclasses.asdict(config):
        saved = state["config"]
        changed = [
            f"{k}: {saved.get(k)!r} there, {v!r} now"
            for k, v in dataclasses.asdict(config).items()
            if saved.get(k) != v
        ]
        raise ValueError(
            f"the checkpoint in {checkpoint_dir} was made with a different configuration "
            f"({'; '.join(changed)}). Use another checkpoint_dir, or delete this one to start over."
        )

    with strategy.scope():
        if state is None:
            model = compile_model(build(build_model, config), config, steps)
            initial_epoch, history, seconds = 0, {}, 0.0
        else:
            model = keras.models.load_model(Path(checkpoint_dir) / state["checkpoint"], safe_mode=True)
            initial_epoch, history, seconds = state["epoch"], state["history"], state["seconds"]
    if initial_epoch >= config.epochs:
        print(f"Loaded the finished run from {checkpoint_dir}: {initial_epoch} epochs, {seconds:.0f} s.")
        return TrainResult(model, history, initial_epoch, seconds)
    if initial_epoch:
        print(f"Resuming from the checkpoint of epoch {initial_epoch} in {checkpoint_dir}.")

    checkpoint = None
    all_callbacks = [LearningRateLogger()]
    if log_dir is not None and importlib.util.find_spec("tensorboard") is None:
        print("TensorBoard is not installed, so no logs are written (pip install tensorboard).")
    elif log_dir is not None:
        all_callbacks.append(keras.callbacks.TensorBoard(str(log_dir), histogram_freq=0, profile_batch=0))
    if checkpoint_dir is not None:
        checkpoint = EpochCheckpoint(checkpoint_dir, config, history, seconds)
        all_callbacks.append(checkpoint)
    all_callbacks.extend(callbacks)

    start = time.perf_counter()
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
            done = read_checkpoint_state(checkpoint_dir)
            where = f"epoch {done['epoch']}" if done else "the start"
            print(f"Interrupted. Run the same call again to resume from {where} ({checkpoint_dir}).")
        raise
    seconds += time.perf_counter() - start
    if checkpoint is not None:
        history = checkpoint.history
    else:
        history = {k: [float(v) for v in values] for k, values in fit.history.items()}
    return TrainResult(model, history, initial_epoch, seconds)


def images_per_second(model, x, y, steps=5):
    """Training throughput of a compiled ``model``: ``steps`` steps on the batch ``(x, y)``, in images/s.

    Call it once with ``steps=1`` or 2 first: the first step traces the graph.
    """
    steps = _validate.positive_int("steps", steps)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)  # returns the loss as a number, so the step has finished
    return steps * len(x) / (time.perf_counter() - start)


# ----------------------------------------------------------------------------- evaluation


def predict(model, dataset, *, flip_average=False):
    """Class probabilities ``(n, classes)`` and labels ``(n,)`` for a dataset of ``(images, labels)`` batches.

    ``flip_average=True`` also classifies each image's mirror and averages the two
    predictions (test-time augmentation; right for data whose classes are symmetric
    left-right, such as clothes and most CIFAR-10 objects).
    """
    import tensorflow as tf

    probabilities, labels = [], []
    for images, y in dataset:
        p = np.asarray(model.predict_on_batch(images), dtype="float32")
        if flip_average:
            p = 0.5 * (p + np.asarray(model.predict_on_batch(tf.reverse(images, [2])), dtype="float32"))
        probabilities.append(p)
        labels.append(np.asarray(y).reshape(-1))
    return np.concatenate(probabilities), np.concatenate(labels)


def per_class_accuracy(labels, predictions, classes: int) -> np.ndarray:
    """Accuracy within each true class: ``(classes,)``, NaN for a class with no example."""
    labels = np.asarray(labels).reshape(-1)
    predictions = np.asarray(predictions).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in length: {labels.shape} vs {predictions.shape}.")
    counts = np.bincount(labels, minlength=classes).astype(float)
    hits = np.bincount(labels[labels == predictions], minlength=classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / counts, np.nan)
