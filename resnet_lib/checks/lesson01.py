"""Checks of lesson 01 (why residual connections): a gradient spread, a stack without BatchNormalization."""

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
    """Check ``fn(model, images, labels) -> float``, max / min of ``rl.gradient_norms`` on a plain network."""
    what = "gradient_spread"
    model = cifar_resnet(8, input_shape=(12, 12, 1), classes=3, width=4, residual=False)
    images, labels = _probe(16, 3)
    got = call(fn, what, model, images, labels)
    norms = gradient_norms(model, images, labels)
    want = max(norms) / min(norms)
    if not isinstance(got, float):
        fail(what, f"your function returned {got!r} ({type(got).__name__}).", "return a Python float.")
    if got < 1.0:
        fail(
            what,
            f"your function returned {got:.3g}, less than 1.",
            "divide the LARGEST norm by the SMALLEST.",
        )
    if not np.isclose(got, want, rtol=1e-3):
        fail(
            what,
            f"your function returned {got:.4g}; the gradient norms of this network spread by {want:.4g}.",
            "take max(norms) / min(norms) of the list rl.gradient_norms(model, images, labels) returns.",
        )


def check_conv_stack(fn) -> None:
    """Check ``fn(blocks, residual, width, input_shape, classes) -> keras.Model``, without BatchNormalization.

    Checks the layers of the plain and the residual stack of 3 blocks, then that with 12 blocks
    the gradient reaching the plain stack's stem is far smaller than the residual one's.
    """
    what = "conv_stack"

    def build(blocks, residual):
        return call(fn, what, blocks, residual=residual, width=4, input_shape=(12, 12, 1), classes=5)

    stacks = {residual: build(3, residual) for residual in (False, True)}
    for residual, model in stacks.items():
        kind, adds = ("residual", 3) if residual else ("plain", 0)
        if not isinstance(model, keras.Model):
            fail(what, f"your function returned a {type(model).__name__}.", "return a keras.Model.")
        if tuple(model.output.shape) != (None, 5):
            problem = f"with classes=5 the {kind} stack's output shape is {tuple(model.output.shape)}."
            fail(what, problem, "end with global average pooling and Dense(classes, activation='softmax').")
        kernels = [tuple(layer.kernel.shape) for layer in model.layers if isinstance(layer, Conv2D)]
        if len(kernels) != 7 or any(k[:2] + k[3:] != (3, 3, 4) for k in kernels):
            problem = f"with blocks=3 and width=4 the {kind} stack has convolution kernels {kernels}."
            fail(
                what, problem, "use 7 convolutions (the stem, two per block), each 3x3 with `width` filters."
            )
        if any(isinstance(layer, BatchNormalization) for layer in model.layers):
            fail(what, f"the {kind} stack has BatchNormalization layers.", "leave BatchNormalization out.")
        found = sum(isinstance(layer, Add) for layer in model.layers)
        if found != adds:
            problem = f"the {kind} stack has {found} Add layers; expected {adds}."
            fail(what, problem, "add each block's input after its second convolution when residual is true.")
    if stacks[False].count_params() != stacks[True].count_params():
        fail(what, "the plain and residual stacks have different parameter counts.", "shortcuts add none.")
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
            "convolution (for a block's second one, after the addition), keep Keras' default initialisers.",
        )
