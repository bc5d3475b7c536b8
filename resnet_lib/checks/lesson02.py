"""Checks of lesson 02 (the identity block): the block itself and its parameter count by hand."""

import keras

from ..blocks import identity_block
from ._common import call, check_block, explain_count, weight_parts, whole_number


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
