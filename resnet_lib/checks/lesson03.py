"""Checks of lesson 03 (the convolutional block): the block itself and the option-A shortcut."""

import keras
import numpy as np
from keras import ops

from ..blocks import ZeroPadShortcut
from ._common import call, check_block, fail, seeded


def check_convolutional_block(fn) -> None:
    """Check a student's ``convolutional_block(x, kernel_size, filters, strides=2, name=None)``.

    Builds it with ``kernel_size=3, strides=2`` (as in ResNet-50's stages 3 to 5) and ``kernel_size=5,
    strides=1`` (stride 1 as in its first stage); returns quietly if it behaves like
    ``resnet_lib.convolutional_block`` in both cases, else raises ``AssertionError`` explaining the
    first problem, naming the arguments of the case that shows it.
    """
    for kernel_size, strides in ((3, 2), (5, 1)):
        check_block(fn, kernel_size, strides)


def _not_functional(err):
    """``call``'s ``explain`` for code that fails on a symbolic ``keras.Input`` (NameError aside)."""
    if isinstance(err, NameError):
        return None
    first_line = str(err).partition("\n")[0][:200]
    return (
        f"your function does not work inside a Functional model ({type(err).__name__}: {first_line}).",
        "use slicing and keras.ops (keras.ops.pad), not NumPy functions, so that it also works on the "
        "symbolic keras.Input of a model.",
    )


#: (input shape with batch, out_channels, strides) of the option-A shortcut check.
_ZERO_PAD_CASES = (((2, 7, 7, 3), 8, 2), ((2, 6, 6, 4), 4, 1), ((1, 8, 8, 2), 5, 2))


def check_zero_pad_shortcut(fn) -> None:
    """Check ``fn(x, out_channels, strides)``, the paper's option-A shortcut.

    It must keep every ``strides``-th row and column of ``x`` from the first on (as a 1x1 convolution
    with that stride does), keep the input's channels unchanged and side by side, fill the other
    ``out_channels - C`` channels with zeros (anywhere), have no parameters, and work in a Functional model.
    """
    what = "zero_pad_shortcut"
    shape, out_channels, strides = _ZERO_PAD_CASES[0]
    inputs = keras.Input(shape=shape[1:])
    outputs = call(fn, what, inputs, out_channels, strides, explain=_not_functional)
    if outputs is None:
        fail(what, "your function returned None.", "end the function with `return` and the result.")
    model = call(keras.Model, what, inputs, outputs, explain=_not_functional)  # an output Keras cannot trace
    if model.count_params():
        problem = f"your shortcut has {model.count_params():,} parameters."
        fail(what, problem, "option A has none: it only subsamples and pads with zeros.")
    for shape, out_channels, strides in _ZERO_PAD_CASES:
        x = seeded(("zero_pad", shape)).normal(0.0, 1.0, size=shape).astype("float32") + 3.0
        args = f"x of shape {shape}, out_channels={out_channels}, strides={strides}"
        out = ops.convert_to_numpy(call(fn, what, ops.convert_to_tensor(x), out_channels, strides))
        want = np.asarray(ZeroPadShortcut(out_channels, strides)(x))
        keep = f"keep rows and columns 0, {strides}, {2 * strides}, ... (x[:, ::{strides}, ::{strides}, :])"
        if out.shape != want.shape:
            if out.shape[1:3] != want.shape[1:3]:
                advice = (
                    f"{keep}: ceil(H / {strides}) rows, as a 1x1 convolution with stride {strides} keeps."
                )
            else:
                advice = f"add {out_channels - shape[-1]} channels of zeros on the last axis (keras.ops.pad)."
            fail(what, f"for {args} the output shape is {out.shape}, expected {want.shape}.", advice)
        kept, c = x[:, ::strides, ::strides, :], shape[-1]
        if not any(
            np.allclose(out[..., o : o + c], kept) and not out[..., :o].any() and not out[..., o + c :].any()
            for o in range(out_channels - c + 1)
        ):
            if out_channels > c and np.sort(np.abs(out), axis=-1)[..., : out_channels - c].any():
                problem = f"for {args} the new channels are not all zero."
            else:
                problem = f"for {args} the output does not hold the subsampled input unchanged."
            advice = f"{keep}, without averaging, and pad the channel axis with zeros"
            fail(what, problem, advice + "; the input's channels must stay side by side and unchanged.")
