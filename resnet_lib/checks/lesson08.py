"""Checks of lesson 08 (inside a trained ResNet): switching off a residual branch, and a loss path."""

import keras
import numpy as np

from ..analysis import delete_blocks, loss_surface, randomize_weights
from ..models import cifar_resnet
from ._common import call, fail


def _network(seed):
    keras.utils.set_random_seed(seed)
    return randomize_weights(cifar_resnet(8, (12, 12, 1), 3, width=4), seed=seed)


def check_remove_branch(fn) -> None:
    """Check ``fn(model, block) -> model``: a copy of ``model`` whose ``block`` adds nothing to its shortcut.

    The copy must compute what ``rl.delete_blocks(model, block)`` computes, for a block with an
    identity shortcut and for one with option A's subsample-and-pad, and leave ``model`` unchanged.
    """
    what = "remove_branch"
    model = _network(1)
    x = np.random.default_rng(1).normal(size=(4, 12, 12, 1)).astype("float32")
    before = [np.asarray(w).copy() for w in model.weights]
    for block in ("stage1_block1", "stage2_block1"):
        got = call(fn, what, model, block)
        if not isinstance(got, keras.Model):
            fail(what, f"it returned {type(got).__name__}, not a keras.Model.", "return the modified copy.")
        if any(not np.array_equal(w, np.asarray(v)) for w, v in zip(before, model.weights)):
            advice = "copy it first (keras.models.clone_model, then set_weights) and change the copy."
            fail(what, f"removing {block} changed the model you were given.", advice)
        out = np.asarray(got(x, training=False))
        want = np.asarray(delete_blocks(model, block)(x, training=False))
        if not np.allclose(out, want, atol=1e-5):
            advice = (
                f"set both gamma and beta of the branch's last BatchNormalization ({block}_2_bn) to zero "
                "and keep its moving statistics: the branch then outputs exactly 0 and the block passes "
                "its shortcut on."
            )
            fail(what, f"with {block} removed, your copy's output differs from rl.delete_blocks'.", advice)


def check_interpolation_losses(fn) -> None:
    """Check ``fn(start, end, x, y, alphas) -> losses``: the loss at ``(1 - a) * start + a * end``.

    Trainable weights are interpolated; the loss is sparse categorical cross-entropy with
    ``training=True`` (the batch's statistics); ``end``'s weights are the same afterwards.
    """
    what = "interpolation_losses"
    start, end = _network(2), _network(3)
    x = np.random.default_rng(2).normal(size=(8, 12, 12, 1)).astype("float32")
    y = np.arange(8) % 3
    alphas = [0.0, 0.5, 1.0]
    before = [np.asarray(w).copy() for w in end.weights]
    got = np.asarray(call(fn, what, start, end, x, y, alphas), dtype="float64").reshape(-1)
    gap = [np.asarray(a) - np.asarray(b) for a, b in zip(start.trainable_weights, end.trainable_weights)]
    want = loss_surface(end, x, y, [gap], [[1 - a] for a in alphas])
    if got.shape != (len(alphas),):
        fail(what, f"for {len(alphas)} alphas it returned {got.size} values.", "return one loss per alpha.")
    if any(not np.array_equal(w, np.asarray(v)) for w, v in zip(before, end.weights)):
        fail(what, "the weights of `end` changed.", "put every weight back when you are done (try/finally).")
    if not np.allclose(got, want, rtol=1e-4):
        problem = f"at alphas {alphas} it gives losses {got.round(4)}, expected {want.round(4)}."
        advice = (
            "alpha 0 is `start` and 1 is `end`: set each trainable weight to (1 - a) * start + a * end and "
            "evaluate keras.losses.SparseCategoricalCrossentropy()(y, model(x, training=True))."
        )
        fail(what, problem, advice)
