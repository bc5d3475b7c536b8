"""Checks of lesson 06 (variants and cost): a bottleneck block's multiply-adds, a ResNet's depth, a timer."""

import time

import keras

from ..analysis import count_multiply_adds
from ..blocks import convolutional_block, identity_block
from ..models import IMAGENET_STAGES
from ._common import call, fail, number, whole_number

#: (size, in_channels, width, strides): ResNet-50's conv2_block2, conv2_block1, conv3_block1 and
#: conv5_block1, and a small odd block.
_MADDS_CASES = ((56, 256, 64, 1), (56, 64, 64, 1), (56, 256, 128, 2), (14, 1024, 512, 2), (6, 8, 4, 3))


def check_bottleneck_multiply_adds(fn) -> None:
    """Check ``fn(size, in_channels, width, strides) -> int``, a bottleneck block's multiply-adds by hand.

    The block reads ``size x size x in_channels``, has filters ``(width, width, 4 * width)``, the
    stride on its first 1x1 convolution, and a projection shortcut when ``strides != 1`` or
    ``in_channels != 4 * width``. Compares with ``count_multiply_adds`` of the library's block.
    """
    what = "bottleneck_multiply_adds"
    for size, c_in, width, strides in _MADDS_CASES:
        inputs, filters = keras.Input(shape=(size, size, c_in)), (width, width, 4 * width)
        projection = strides != 1 or c_in != 4 * width
        if projection:
            outputs = convolutional_block(inputs, 3, filters, strides)
        else:
            outputs = identity_block(inputs, 3, filters)
        want = count_multiply_adds(keras.Model(inputs, outputs))
        args = f"size={size}, in_channels={c_in}, width={width}, strides={strides}"
        got = whole_number(call(fn, what, size, c_in, width, strides), what, args)
        if got == want:
            continue
        projection_madds = (-(-size // strides)) ** 2 * c_in * 4 * width
        if projection and got == want - projection_madds:
            problem = "your count leaves out the 1x1 projection shortcut"
            advice = (
                "the block changes the shape, so add its projection: out * out * in_channels * 4 * width."
            )
        elif not projection and got == want + projection_madds:
            problem = "this block has an identity shortcut (stride 1 and in_channels == 4 * width)"
            advice = (
                "an identity shortcut does no multiply-adds; count a projection only where the shape changes."
            )
        elif strides != 1 and got > want:
            problem = "your count is too large for a strided block"
            advice = (
                "every convolution of the block produces the output grid, size // strides on a side: use "
                "H_out * W_out of each convolution's output, not of the block's input."
            )
        else:
            problem = f"your count is off by {got - want:+,}"
            advice = (
                "add H_out * W_out * k * k * C_in * C_out for each convolution: the 1x1 (in_channels -> "
                "width), the 3x3 (width -> width), the 1x1 (width -> 4 * width) and, when the shape "
                "changes, the 1x1 projection (in_channels -> 4 * width)."
            )
        fail(what, f"for {args} your count is {got:,}, the block does {want:,}: {problem}.", advice)


def check_depth_from_stages(fn) -> None:
    """Check ``fn(kind, blocks_per_stage) -> int``, the number in a ResNet's name, from its stages.

    ``kind`` is ``"basic"`` or ``"bottleneck"``; the number counts the stem convolution, 2 or 3
    convolutions per block and the classifier, not the projection shortcuts.
    """
    what = "depth_from_stages"
    cifar = {6 * n + 2: ("basic", (n, n, n)) for n in (3, 5, 9, 18)}
    for depth, (kind, stages) in {**IMAGENET_STAGES, **cifar}.items():
        args = f"kind={kind!r}, blocks_per_stage={stages}"
        got = whole_number(call(fn, what, kind, stages), what, args)
        if got == depth:
            continue
        if got in (depth - 1, depth - 2):
            advice = "count the stem convolution and the final Dense layer once each, besides the blocks."
        elif got in (depth + len(stages), depth + len(stages) - 1):
            advice = "leave the 1x1 projection shortcuts out: the name counts the main path only."
        else:
            advice = "a basic block has 2 convolutions, a bottleneck one 3; add 1 for the stem, 1 for Dense."
        fail(what, f"{kind} blocks {stages} make ResNet-{depth}, but your function gives {got}.", advice)


def check_best_time(fn) -> None:
    """Check ``fn(step, repeats) -> float``: the shortest of ``repeats`` timed calls of ``step()``."""
    what, calls = "best_time", []
    step = lambda: calls.append(time.sleep(0.02 if calls else 0.2))  # noqa: E731 (slow only once)
    got = number(call(fn, what, step, 4), what, "a step of 0.2 s once, then 0.02 s")
    if len(calls) not in (4, 5) or not 0.015 < got < 0.05:
        problem = f"4 repeats of a step of 0.2 s once, then 0.02 s: {len(calls)} calls, {got:.3g} s returned."
        fail(what, problem, "call step() repeats times, timing each call; return the shortest time.")
