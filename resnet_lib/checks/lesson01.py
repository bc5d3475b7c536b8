"""Checks of lesson 01 (why residual connections): the gradient spread and the stack without BatchNormalization."""

from __future__ import annotations

import keras
import numpy as np
from keras.layers import Add, BatchNormalization, Conv2D

from ..analysis import gradient_norms
from ..models import cifar_resnet
from ._common import call, fail


def _probe(n: int, classes: int):
    """``n`` random 12x12 grey images and their labels in ``classes`` classes."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 12, 12, 1)).astype("float32"), rng.integers(0, classes, size=n)


def check_gradient_spread(fn) -> None:
    """Check ``fn(model, images, labels) -> float``: max / min of ``rl.gradient_norms`` on a plain network."""
    what = "gradient_spread"
    model = cifar_resnet(8, input_shape=(12, 12, 1), classes=3, width=4, residual=False)
    images, labels = _probe(16, 3)
    got = call(fn, what, model, images, labels)
    norms = gradient_norms(model, images, labels)
    want = max(norms) / min(norms)
    if not isinstance(got, float):
        fail(
            what,
            f"your function returned {got!r} ({type(got).__name__}).",
            "return a Python float: float(...).",
        )
    if got < 1.0:
        fail(
            what,
            f"your function returned {got:.3g}, less than 1.",
            "divide the LARGEST norm by the SMALLEST.",
        )
    if not np.isclose(got, want, rtol=1e-3):
        fail(
            what,
            f"your function returned {got:.4g}, the spread of this network's gradient norms is {want:.4g}.",
            "take max(norms) / min(norms) of the list rl.gradient_norms(model, images, labels) returns.",
        )


def check_conv_stack(fn) -> None:
    """Check ``fn(blocks, residual, width, input_shape, classes) -> keras.Model``, a stack without BatchNormalization.

    Checks the layers of the plain and the residual stack with 3 blocks, then that with 12
    blocks the gradient reaching the plain stack's stem is far smaller than the residual one's.
    """
    what = "conv_stack"

    def build(blocks, residual):
        return call(fn, what, blocks, residual=residual, width=4, input_shape=(12, 12, 1), classes=5)

    nets = {residual: build(3, residual) for residual in (False, True)}
    for residual, model in nets.items():
        kind, adds = ("residual", 3) if residual else ("plain", 0)
        if not isinstance(model, keras.Model):
            fail(
                what,
                f"your function returned {type(model).__name__}.",
                "return keras.Model(inputs, outputs).",
            )
        if tuple(model.output.shape) != (None, 5):
            fail(
                what,
                f"with classes=5 the {kind} stack's output shape is {tuple(model.output.shape)}, not (None, 5).",
                "end with global average pooling and Dense(classes, activation='softmax').",
            )
        convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]
        if len(convs) != 7 or any((*c.kernel.shape[:2], c.kernel.shape[-1]) != (3, 3, 4) for c in convs):
            fail(
                what,
                f"with blocks=3 and width=4 the {kind} stack has convolutions with kernel shapes "
                f"{[tuple(c.kernel.shape) for c in convs]}.",
                "use 7 convolutions (the stem plus two per block), each 3x3 with `width` filters.",
            )
        if any(isinstance(layer, BatchNormalization) for layer in model.layers):
            fail(
                what,
                f"the {kind} stack has BatchNormalization layers.",
                "leave BatchNormalization out of it.",
            )
        found = sum(isinstance(layer, Add) for layer in model.layers)
        if found != adds:
            fail(
                what,
                f"the {kind} stack has {found} Add layers; expected {adds}.",
                "add the block's input after its second convolution when residual is true, and only then.",
            )
    if nets[False].count_params() != nets[True].count_params():
        fail(
            what,
            "the plain and residual stacks have different parameter counts.",
            "identity shortcuts add none.",
        )
    images, labels = _probe(32, 5)
    stem = {}
    for residual in (False, True):
        keras.utils.set_random_seed(0)
        stem[residual] = gradient_norms(build(12, residual), images, labels)[0]
    if not stem[False] < 1e-4 * stem[True]:
        fail(
            what,
            f"with 12 blocks the plain stack's stem gets a gradient of {stem[False]:.3g} and the residual "
            f"one {stem[True]:.3g}; without BatchNormalization the plain one should be far smaller.",
            "save each block's input before its first convolution (shortcut = x), put a ReLU after each "
            "convolution (after the addition for a block's second one) and keep Keras' default initialisers.",
        )
