"""Benchmark: time to accuracy on Fashion-MNIST, input pipeline efficiency, ResNet-50 throughput, GFLOP/s.

    python benchmarks/fashion_mnist.py --runs 3           # what make bench runs: accuracy three times
    python benchmarks/fashion_mnist.py --quick            # every part on tiny sizes (a smoke test)
    python benchmarks/fashion_mnist.py --part accuracy    # one part: accuracy, pipeline, throughput, gflops
    python benchmarks/fashion_mnist.py --part accuracy --epochs 7 --width 24   # another recipe

1. Time to accuracy: train ResNet-20 from scratch with rl.FASHION_MNIST_CONFIG (lesson 05's
   full-mode recipe) on the 60,000 Fashion-MNIST training images; its test accuracy on the
   10,000 test images, the wall time from loading the data to the last test prediction, and
   the training compute (3 x forward multiply-adds x 2 FLOPs x images, in TFLOP), a figure
   the machine's load does not change. Target: >= 94.0% within 600 s, median <= 480 s.
2. Pipeline efficiency: training images/s through rl.make_dataset's pipeline over images/s on
   the same batches held in memory, the two alternating on one model. Goal: >= 0.95.
3. Throughput: training images/s of rl.resnet50 and keras.applications.ResNet50, the two
   taking single steps in turn on the same batch; the ratio (ours / Keras') is the median
   over pairs of neighbouring steps. The two graphs are identical: this is a guard, not a goal.
4. Efficiency: the small ResNet's training step in GFLOP/s (3 x its forward multiply-adds
   x 2 FLOPs per image) as a fraction of a float32 matrix multiply's GFLOP/s. Goal: >= 0.6.

The last line printed is one JSON object with the keys of KEYS (null for a part that was not
run; with --runs, the lowest accuracy and the median wall time). The README's "Results"
section has the figures, and the recipes tried.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass

import resnet_lib as rl
from resnet_lib.training import TrainConfig

import keras
import numpy as np
import tensorflow as tf

#: Target of the time-to-accuracy part.
TARGET_ACCURACY = 0.940
TARGET_SECONDS = 600.0
KEYS = (
    "fmnist_test_accuracy",
    "fmnist_wall_seconds",
    "fmnist_training_tflop",
    "pipeline_efficiency",
    "resnet50_throughput_ratio",
    "gflops_fraction",
)
PARTS = ("accuracy", "pipeline", "throughput", "gflops")


@dataclass(frozen=True)
class Recipe:
    """The time-to-accuracy recipe: the training configuration, plus the model, data and test-time choices."""

    config: TrainConfig = rl.training.FASHION_MNIST_CONFIG
    depth: int = 20
    width: int = 16
    batch_size: int = 128
    pad: int = 0  # crop padding: 0 means flips only
    flip_average: bool = True
    train_size: int | None = None  # None: all 60,000 images
    test_size: int | None = None  # None: all 10,000 images

    def build_model(self, input_shape=(28, 28, 1)):
        return rl.cifar_resnet(self.depth, input_shape, 10, width=self.width)


RECIPE = Recipe()
QUICK_RECIPE = dataclasses.replace(
    RECIPE, config=RECIPE.config.replace(epochs=1), depth=8, width=8, train_size=1024, test_size=500
)


def _row(what, value, note=""):
    print(f"  {what:<44} {value:>14}  {note}", flush=True)


def _step_seconds(model, x, y):
    start = time.perf_counter()
    model.train_on_batch(x, y)  # returns the loss as a number, so the step has finished
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- 1. time to accuracy


def time_to_accuracy(recipe: Recipe, *, verbose=2):
    """Train ``recipe`` on Fashion-MNIST; return ``(test accuracy, wall seconds, training TFLOP)``."""
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = rl.load_dataset("fashion_mnist")
    x_train, y_train = rl.data.subset(x_train, y_train, recipe.train_size)
    x_test, y_test = rl.data.subset(x_test, y_test, recipe.test_size)
    mean, std = rl.data.channel_stats(x_train)
    train_ds = rl.make_dataset(
        x_train, y_train, recipe.batch_size, training=True, mean=mean, std=std, pad=recipe.pad
    )
    test_ds = rl.make_dataset(x_test, y_test, 500, mean=mean, std=std)
    build_model = lambda: recipe.build_model(x_train.shape[1:])
    result = rl.training.train(build_model, train_ds, None, recipe.config, verbose=verbose)
    probabilities, labels = rl.training.predict(result.model, test_ds, flip_average=recipe.flip_average)
    wall = time.perf_counter() - start
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    plain, _ = rl.training.predict(result.model, test_ds) if recipe.flip_average else (probabilities, labels)
    plain_accuracy = float((plain.argmax(axis=1) == labels).mean())

    epochs = recipe.config.epochs
    images = epochs * len(x_train)
    tflop = 3 * 2 * rl.count_multiply_adds(result.model) * images / 1e12  # forward + backward, 2 FLOPs a MAC
    _row("training images", f"{len(x_train):,}")
    _row("epochs", epochs)
    _row("training time", f"{result.seconds:.1f} s", f"{images / result.seconds:.0f} img/s")
    _row("training compute", f"{tflop:.1f} TFLOP", "3 x forward multiply-adds x 2 x images")
    _row("test accuracy", f"{accuracy:.4f}", "with flip averaging" if recipe.flip_average else "")
    _row("test accuracy, single view", f"{plain_accuracy:.4f}", "(not timed)")
    _row("wall time, data to test accuracy", f"{wall:.1f} s", f"target {TARGET_SECONDS:.0f} s")
    met = accuracy >= TARGET_ACCURACY and wall <= TARGET_SECONDS
    _row("target met", "yes" if met else "no", f">= {TARGET_ACCURACY:.1%} in <= {TARGET_SECONDS:.0f} s")
    return accuracy, wall, tflop


# ----------------------------------------------------------------------------- pipeline efficiency


class _BatchClock(keras.callbacks.Callback):
    """The time at the end of every training batch."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


def pipeline_efficiency(recipe: Recipe, *, steps=60, repeats=3, skip=5):
    """Training images/s through ``rl.make_dataset``'s pipeline over images/s on the same batches in memory.

    The two feed one compiled model in turn (real, memory, real, ...), ``steps`` batches a
    fit; the rate counts the batches after the first ``skip`` (the iterator's start), and the
    efficiency is the median of ``repeats`` ratios. 1.0 means the input pipeline never keeps
    the training step waiting.
    """
    (x_train, y_train), _ = rl.load_dataset("fashion_mnist")
    x_train, y_train = rl.data.subset(x_train, y_train, recipe.train_size)
    mean, std = rl.data.channel_stats(x_train)
    real = rl.make_dataset(
        x_train, y_train, recipe.batch_size, training=True, mean=mean, std=std, pad=recipe.pad
    ).take(steps)
    images, labels = zip(*real)  # the same pipeline's batches, held as tensors
    memory = tf.data.Dataset.from_tensor_slices((tf.stack(images), tf.stack(labels)))
    config = recipe.config
    model = rl.training.compile_model(rl.training.build(recipe.build_model, config), config, steps)
    clock = _BatchClock()
    model.fit(memory.take(2), epochs=1, verbose=0, shuffle=False)  # traces the training step

    def rate(dataset):
        model.fit(dataset, epochs=1, verbose=0, callbacks=[clock], shuffle=False)
        times = clock.times[skip:]
        return (len(times) - 1) * recipe.batch_size / (times[-1] - times[0])

    ratios, rates = [], []
    for _ in range(repeats):
        rates.append((rate(real), rate(memory)))
        ratios.append(rates[-1][0] / rates[-1][1])
    efficiency = statistics.median(ratios)
    _row(
        "training, tf.data pipeline",
        f"{statistics.median(r for r, _ in rates):.0f} img/s",
        f"{steps} batches",
    )
    _row("training, the same batches in memory", f"{statistics.median(m for _, m in rates):.0f} img/s")
    _row("pipeline efficiency", f"{efficiency:.3f}", f"median of {repeats}; goal >= 0.95")
    return efficiency


# ----------------------------------------------------------------------------- 2. throughput


def resnet50_throughput(*, size=64, batch=32, pairs=24, warmup=2, eager=False):
    """Median ratio of training speed, ``rl.resnet50`` over ``keras.applications.ResNet50``.

    The two models take single training steps in turn (A B B A A B ...), so a change in
    the machine's load hits both alike; each pair of neighbouring steps gives one ratio.
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, size, size, 3)).astype("float32")
    y = rng.integers(0, 6, batch)
    models = {
        "rl.resnet50": rl.resnet50(input_shape=(size, size, 3), classes=6),
        "keras ResNet50": keras.applications.ResNet50(weights=None, input_shape=(size, size, 3), classes=6),
    }
    for model in models.values():
        model.compile(
            keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy", run_eagerly=eager
        )
        for _ in range(warmup):  # the first step traces the graph
            _step_seconds(model, x, y)
    names = list(models)
    seconds = {name: [] for name in names}
    for i in range(pairs):
        for name in names if i % 2 == 0 else names[::-1]:
            seconds[name].append(_step_seconds(models[name], x, y))
    ratios = [theirs / ours for ours, theirs in zip(seconds["rl.resnet50"], seconds["keras ResNet50"])]
    ratio = statistics.median(ratios)
    for name, values in seconds.items():
        _row(
            f"{name} training, {size}x{size}x3 batch {batch}",
            f"{batch / statistics.median(values):.1f} img/s",
            f"median of {pairs} steps",
        )
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratio, ratio, ratio)
    _row(
        "throughput ratio (ours / Keras)",
        f"{ratio:.3f}",
        f"median of {pairs} pairs; quartiles {q1:.2f}..{q3:.2f}; identical graphs: a guard",
    )
    return ratio


# ----------------------------------------------------------------------------- 3. GFLOP/s


def matmul_gflops(n=4096, repeats=5):
    """GFLOP/s of an ``n x n`` float32 matrix multiply (2 n^3 FLOPs), the best of ``repeats``."""
    a = tf.random.stateless_normal((n, n), seed=(1, 2))
    b = tf.random.stateless_normal((n, n), seed=(3, 4))
    tf.linalg.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def small_resnet_gflops(recipe: Recipe, *, steps=10, repeats=3, n=4096):
    """Achieved GFLOP/s of ``recipe``'s training step as a fraction of float32 matmul GFLOP/s."""
    config = recipe.config
    model = rl.training.compile_model(
        rl.training.build(recipe.build_model, config), config, steps_per_epoch=100
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((recipe.batch_size, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, recipe.batch_size)
    for _ in range(2):  # the first step traces the graph
        _step_seconds(model, x, y)
    macs = rl.count_multiply_adds(model)
    flop_per_step = 3 * macs * 2 * recipe.batch_size
    step_rates, matmul_rates = [], []
    for _ in range(repeats):  # alternate, so both see the same share of a busy machine
        step_rates.append(steps * flop_per_step / sum(_step_seconds(model, x, y) for _ in range(steps)) / 1e9)
        matmul_rates.append(matmul_gflops(n, repeats=2))
    achieved, peak = statistics.median(step_rates), statistics.median(matmul_rates)
    precision = "bfloat16 compute" if config.mixed_precision else "float32"
    _row(
        f"ResNet-{recipe.depth} w{recipe.width} forward multiply-adds",
        f"{macs / 1e6:.1f} M",
        "per 28x28 image",
    )
    _row("ResNet training step", f"{achieved:.1f} GFLOP/s", f"batch {recipe.batch_size}, {precision}")
    _row(f"float32 matmul {n}x{n}", f"{peak:.1f} GFLOP/s")
    _row("fraction of matmul GFLOP/s", f"{achieved / peak:.3f}", "goal >= 0.6")
    return achieved / peak


# ----------------------------------------------------------------------------- command line


def parse_args(argv=None):
    config = RECIPE.config
    p = argparse.ArgumentParser(
        prog="python benchmarks/fashion_mnist.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that every part runs (~30 s)")
    p.add_argument("--part", choices=PARTS + ("all",), default="all", help="run one part only")
    p.add_argument(
        "--runs",
        type=int,
        default=1,
        help="time-to-accuracy runs (the JSON has the lowest accuracy, median time)",
    )
    p.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {config.epochs})")
    p.add_argument("--depth", type=int, default=None, help=f"ResNet depth, 6n+2 (default {RECIPE.depth})")
    p.add_argument(
        "--width", type=int, default=None, help=f"filters of the first stage (default {RECIPE.width})"
    )
    p.add_argument("--batch-size", type=int, default=None, help=f"default {RECIPE.batch_size}")
    p.add_argument(
        "--lr", type=float, default=None, help=f"peak learning rate (default {config.learning_rate})"
    )
    p.add_argument("--pad", type=int, default=None, help=f"crop padding, 0 for none (default {RECIPE.pad})")
    p.add_argument("--label-smoothing", type=float, default=None, help=f"default {config.label_smoothing}")
    p.add_argument("--weight-decay", type=float, default=None, help=f"default {config.weight_decay}")
    p.add_argument("--float32", action="store_true", help="train in float32 instead of mixed bfloat16")
    return p.parse_args(argv)


def _given(**values):
    return {name: value for name, value in values.items() if value is not None}


def recipe_from_args(args) -> Recipe:
    """The default (or ``--quick``) recipe with the options given on the command line."""
    recipe = QUICK_RECIPE if args.quick else RECIPE
    config_changes = _given(
        epochs=args.epochs,
        learning_rate=args.lr,
        label_smoothing=args.label_smoothing,
        weight_decay=args.weight_decay,
        mixed_precision=False if args.float32 else None,
    )
    return dataclasses.replace(
        recipe,
        config=recipe.config.replace(**config_changes),
        **_given(depth=args.depth, width=args.width, batch_size=args.batch_size, pad=args.pad),
    )


def main(argv=None):
    args = parse_args(argv)
    recipe = recipe_from_args(args)
    parts = PARTS if args.part == "all" else (args.part,)

    rl.session.seed_everything(0, deterministic=False)  # op determinism costs speed; this measures speed
    mode = "QUICK (smoke sizes)" if args.quick else "full"
    print(f"resnet_lib benchmark: {mode}; TensorFlow {tf.__version__}")
    print(f"  CPU cores: {os.cpu_count()}; XLA off; recipe: {recipe}")
    result = dict.fromkeys(KEYS)
    if "accuracy" in parts:
        runs = []
        for run in range(1, args.runs + 1):
            print(f"\n1. Time to accuracy on Fashion-MNIST (run {run} of {args.runs})", flush=True)
            runs.append(time_to_accuracy(recipe, verbose=0 if args.quick else 2))
        if args.runs > 1:
            print(f"\n   {args.runs} runs:", ", ".join(f"{a:.2%} in {w:.0f} s" for a, w, _ in runs))
            _row(
                "runs reaching the target accuracy",
                f"{sum(a >= TARGET_ACCURACY for a, _, _ in runs)} of {args.runs}",
            )
            _row("median wall time", f"{statistics.median(w for _, w, _ in runs):.1f} s")
        result["fmnist_test_accuracy"] = round(min(a for a, _, _ in runs), 4)
        result["fmnist_wall_seconds"] = round(statistics.median(w for _, w, _ in runs), 1)
        result["fmnist_training_tflop"] = round(runs[0][2], 3)
    if "pipeline" in parts:
        print("\n2. Input pipeline efficiency", flush=True)
        sizes = dict(steps=8, repeats=1, skip=2) if args.quick else {}
        result["pipeline_efficiency"] = round(pipeline_efficiency(recipe, **sizes), 3)
    if "throughput" in parts:
        print("\n3. Training throughput: rl.resnet50 vs keras.applications.ResNet50", flush=True)
        sizes = dict(size=32, batch=2, pairs=2, warmup=1, eager=True) if args.quick else {}
        result["resnet50_throughput_ratio"] = round(resnet50_throughput(**sizes), 3)
    if "gflops" in parts:
        print("\n4. Achieved GFLOP/s of the small ResNet's training step", flush=True)
        sizes = dict(steps=2, repeats=1, n=1024) if args.quick else {}
        result["gflops_fraction"] = round(small_resnet_gflops(recipe, **sizes), 3)
    print("\n" + "-" * 80)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
