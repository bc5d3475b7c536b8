"""Checks of lesson 04 (ResNet-50): parameter counts of a stage and of the whole network by hand."""

import keras
import numpy as np

from ..blocks import convolutional_block, identity_block
from ._common import call, explain_count, fail, number, seeded, weight_parts, whole_number

#: ``count_params()`` of ``keras.applications.ResNet{depth}(weights=None, classes=classes)``
#: (Keras 3.15), which ``resnet_lib.resnet(depth, classes=classes)`` matches.
KERAS_APPLICATIONS_PARAMS = {
    (50, 1000): 25_636_712,
    (101, 1000): 44_707_176,
    (152, 1000): 60_419_944,
    (50, 6): 23_600_006,
}

#: (in_channels, width, blocks): ResNet-50's conv2, conv3 and conv5 (conv4 repeats conv3's
#: pattern), and a small odd stage so that a table of memorised answers fails.
_STAGES = ((64, 64, 3), (256, 128, 4), (1024, 512, 3), (6, 4, 2))


def check_stage_params(fn) -> None:
    """Check ``fn(in_channels, width, blocks) -> int``, the parameter count of a bottleneck stage.

    A stage is one ``convolutional_block`` (filters ``(width, width, 4 * width)``, reading
    ``in_channels`` channels) and ``blocks - 1`` identity blocks, as in ``resnet_lib.resnet``.
    Compares with the library's blocks, naming what a wrong count leaves out.
    """
    what = "stage_params"
    for c_in, width, blocks in _STAGES:
        filters, out = (width, width, 4 * width), 4 * width
        inputs = keras.Input(shape=(4, 4, c_in))
        x = convolutional_block(inputs, 3, filters, 1, "b1")
        for i in range(2, blocks + 1):
            x = identity_block(x, 3, filters, f"b{i}")
        args = f"in_channels={c_in}, width={width}, blocks={blocks}"
        got = whole_number(call(fn, what, c_in, width, blocks), what, args)
        known = {
            "the first block's first 1x1 convolution reads the stage's input, "
            f"{c_in} channels, not 4 * width = {out}": (out - c_in) * width,
            f"only the first block has a projection shortcut; the other {blocks - 1} add their input "
            "unchanged": (blocks - 1) * (out * out + out + 4 * out),
        }
        parts = weight_parts(keras.Model(inputs, x), shortcut_prefix="b1_0_")
        explain_count(what, args, got, parts, known, noun="stage")


def check_resnet_params(fn) -> None:
    """Check ``fn(depth, classes) -> int``, the parameter count of ResNet-50/101/152 by hand.

    Compares with ``keras.applications``' counts (``KERAS_APPLICATIONS_PARAMS``), naming the
    part a wrong count leaves out (stem, classifier, stages).
    """
    what = "resnet_params"
    stem_conv, stem_bn = 7 * 7 * 3 * 64 + 64, 4 * 64
    for (depth, classes), want in KERAS_APPLICATIONS_PARAMS.items():
        args = f"depth={depth}, classes={classes}"
        got = whole_number(call(fn, what, depth, classes), what, args)
        head = 2048 * classes + classes
        parts = {
            "the stem's 7x7 convolution (with its bias)": stem_conv,
            "the stem's BatchNormalization": stem_bn,
            "the four stages of bottleneck blocks": want - stem_conv - stem_bn - head,
            f"the classifier (Dense from 2048 features to {classes} classes, with biases)": head,
        }
        known = {
            "the classifier has a bias per class (Dense adds `classes` biases)": -classes,
            "the stem's convolution reads 3 input channels (RGB)": 7 * 7 * 64 * (1 - 3),
        }
        explain_count(what, args, got, parts, known, noun=f"ResNet-{depth}")


def check_initial_loss(fn) -> None:
    """Check ``fn(model, x, y, training) -> float``, the mean cross-entropy of ``model(x, training=...)``,
    on a small model whose BatchNormalization statistics differ from the batch's (so the modes differ)."""
    what, rng, inputs = "initial_loss", seeded("initial_loss"), keras.Input(shape=(4, 4, 2))
    x = keras.layers.BatchNormalization(momentum=1.0)(inputs)  # momentum 1: calls leave the statistics alone
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x)))
    model.layers[1].moving_mean.assign(np.full(2, 2.0, "float32"))
    images, labels = rng.normal(0.0, 1.0, (8, 4, 4, 2)).astype("float32"), rng.integers(0, 3, 8)
    ce = keras.losses.SparseCategoricalCrossentropy()
    loss = {mode: float(ce(labels, model(images, training=mode))) for mode in (True, False)}
    for mode, want in loss.items():
        got = number(call(fn, what, model, images, labels, mode), what, f"training={mode}")
        if np.isclose(got, loss[not mode], rtol=1e-4):
            fail(
                what,
                f"with training={mode} you return the other mode's loss.",
                "call model(x, training=training).",
            )
        if not np.isclose(got, want, rtol=1e-4):
            advice = "return the mean loss, keras.losses.SparseCategoricalCrossentropy()(y, p), as a float."
            fail(what, f"with training={mode} your loss is {got:.4g}, expected {want:.4g}.", advice)
