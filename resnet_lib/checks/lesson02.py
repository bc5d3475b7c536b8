"""Checks of lesson 02 (the identity block): the block, its parameter count by hand, how far it moves x."""

import keras
import numpy as np
from keras.layers import BatchNormalization, Rescaling

from ..blocks import identity_block
from ._common import call, check_block, explain_count, fail, number, seeded, weight_parts, whole_number


def check_identity_block(fn) -> None:
    """Check a student's ``identity_block(x, kernel_size, filters, name=None)``.

    Builds it with kernel sizes 3 and 5; returns quietly if it behaves like
    ``resnet_lib.identity_block`` in both cases, else raises ``AssertionError`` explaining the
    first problem, naming the kernel size of the case that shows it.
    """
    for kernel_size in (3, 5):
        check_block(fn, kernel_size)


def check_identity_block_params(fn) -> None:
    """Check ``fn(kernel_size, filters) -> int``, the parameter count of an identity block.

    Compares with ``count_params()`` of ``resnet_lib.identity_block`` for four sizes, naming
    what a wrong count leaves out.
    """
    what = "identity_block_params"
    for kernel_size, filters in ((3, (64, 64, 256)), (3, (128, 128, 512)), (1, (4, 5, 8)), (5, (8, 16, 32))):
        inputs = keras.Input(shape=(4, 4, filters[2]))
        model = keras.Model(inputs, identity_block(inputs, kernel_size, filters))
        args = f"kernel_size={kernel_size}, filters={filters}"
        got = whole_number(call(fn, what, kernel_size, filters), what, args)
        explain_count(what, args, got, weight_parts(model))


def check_relative_change(fn) -> None:
    """Check ``fn(block, x) -> float``: ``||block(x) - x|| / ||x||`` with the block in inference mode."""
    what = "relative_change"
    x = (3 * seeded(what).normal(size=(4, 5, 5, 6)) + 1).astype("float32")  # mean 1, not 0: BN changes it
    inputs = keras.Input(shape=x.shape[1:])
    for does, layer in (("doubles", Rescaling(2.0)), ("batch-normalises", BatchNormalization())):
        block = keras.Model(inputs, layer(inputs))
        want = float(np.linalg.norm(block(x, training=False) - x) / np.linalg.norm(x))
        got = number(call(fn, what, block, x), what, f"a block that {does} its input")
        if not np.isclose(got, want, rtol=1e-3):  # in training mode: the batch's statistics, as below
            training = np.isclose(
                got, np.linalg.norm(block(x, training=True) - x) / np.linalg.norm(x), rtol=1e-3
            )
            problem = f"for a block that {does} its input your function returned {got:.4g}, not {want:.4g}"
            how = "call block(x, training=False)" if training else "divide ||block(x) - x|| by ||x||"
            fail(what, problem + (" (training mode)." if training else "."), how + ", over the whole batch.")
