"""What the checks share: failures in plain words, calling the student's code, hand counts of
parameters, and the path both bottleneck-block checks (lessons 02 and 03) take."""

import functools
import itertools
import re
import zlib

import keras
import numpy as np
from keras.layers import Activation, BatchNormalization, Conv2D, ReLU

from ..blocks import convolutional_block, identity_block

#: Imports a student most often forgets, by the name Python then reports as undefined.
_IMPORTS = {"keras": "import keras", "layers": "from keras import layers", "np": "import numpy as np"}
_NOT_WRITTEN = (
    "your function is not written yet (it raises NotImplementedError).",
    "replace the `raise NotImplementedError` line with your implementation, run the cell, then run "
    "this check again.",
)
_RERUN = "then run the cell that defines your function again."


def fail(what: str, problem: str, advice: str):
    """Raise the ``AssertionError`` of every check: what failed, why, and what to do."""
    raise AssertionError(f"{what}: {problem}\n  What to do: {advice}")


def call(fn, what: str, *args, explain=None, **kwargs):
    """``fn(*args, **kwargs)``; what the student's code raises becomes a failure in plain words.

    ``explain(err)``, when given, returns ``(problem, advice)`` for an error it recognises, or None.
    """
    try:
        return fn(*args, **kwargs)
    except AssertionError:
        raise
    except NotImplementedError:
        fail(what, *_NOT_WRITTEN)
    except Exception as err:
        found = (explain(err) if explain else None) or _explain_name_error(err)
        if found:
            fail(what, *found)
        shown = [f"<tensor {tuple(a.shape)}>" if hasattr(a, "shape") else repr(a) for a in args]
        shown += [f"{key}={value!r}" for key, value in kwargs.items()]
        raise AssertionError(
            f"{what}: calling your function with ({', '.join(shown)}) raised {type(err).__name__}: {err}"
        ) from err


def _explain_name_error(err):
    """(problem, advice) for a variable read before it is given a value, or a name never defined."""
    if isinstance(err, UnboundLocalError):
        return f"your function uses a variable before giving it a value ({err}).", f"set it first; {_RERUN}"
    if not isinstance(err, NameError):
        return None
    name = getattr(err, "name", None) or ""
    how = _IMPORTS.get(name) or (f"from keras.layers import {name}" if hasattr(keras.layers, name) else None)
    how = f"({how})" if how else "if it comes from a library (e.g. from keras.layers import Conv2D)"
    problem = f"your function uses a name that is not defined ({err})."
    return problem, f"import it {how}, or fix its spelling if it is a typo; {_RERUN}"


def number(value, what: str, args) -> float:
    """``value`` as a float, or a failure saying the function did not return a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        problem = f"for {args} your function returned {value!r} ({type(value).__name__}), not a number."
        fail(what, problem, "return a plain number (an int or a float).")
    return float(value)


def whole_number(value, what: str, args) -> int:
    if not number(value, what, args).is_integer():
        fail(what, f"for {args} your function returned {value!r}, not a whole number.", "return an int.")
    return int(value)


def seeded(key) -> np.random.Generator:
    """A random generator that depends only on ``key``."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def weight_parts(model, shortcut_prefix=None) -> dict:
    """``model``'s parameters split into the terms of a hand count (empty terms left out).

    Layers whose name starts with ``shortcut_prefix`` count together as the projection shortcut.
    """
    names = (
        "the projection shortcut of the first block (its 1x1 convolution and BatchNormalization)",
        "the convolution kernels",
        "the convolution biases",
        "BatchNormalization's gamma and beta (2 per channel)",
        "BatchNormalization's moving mean and variance (2 per channel, not trainable)",
    )
    parts = dict.fromkeys(names, 0)
    for layer in model.layers:
        for w in layer.weights:
            short = w.path.split("/")[-1]
            if shortcut_prefix and layer.name.startswith(shortcut_prefix):
                part = 0
            elif isinstance(layer, Conv2D):
                part = 1 if short == "kernel" else 2
            else:
                part = 3 if short in ("gamma", "beta") else 4
            parts[names[part]] += int(np.prod(w.shape))
    return {name: size for name, size in parts.items() if size}


def explain_count(what: str, args, got: int, parts: dict, known=None, noun="block") -> None:
    """Fail unless ``got`` is the sum of ``parts``, naming the terms a wrong count leaves out or adds.

    ``known``: ``{description: got - want}`` of other classic slips.
    """
    want = sum(parts.values())
    if got == want:
        return
    problem = f"for {args} your count is {got:,}, but the {noun} has {want:,} parameters"
    for description, difference in (known or {}).items():
        if difference and got - want == difference:
            fail(what, f"{problem}: {description}.", "fix that term and run the check again.")
    for sign, verb, advice in (
        (-1, "leaves out", "add the missing term; count_params() counts every weight, trainable or not."),
        (1, "counts twice", "count each layer once."),
    ):
        matches = [
            f"{' and '.join(combo)} ({sum(parts[n] for n in combo):,})"
            for r in range(1, len(parts) + 1)
            for combo in itertools.combinations(parts, r)
            if got == want + sign * sum(parts[n] for n in combo)
        ]
        if matches:
            fail(what, f"{problem}: your count {verb} {' or '.join(matches)}.", advice)
    fail(
        what,
        f"{problem} (yours is off by {got - want:+,}).",
        "count layer by layer: a Conv2D has kh * kw * C_in * C_out weights plus C_out biases, a "
        "BatchNormalization 4 numbers per channel (gamma, beta, moving mean, moving variance); "
        "C_in is the number of channels the layer reads.",
    )


# ----------------------------------------------------------------------------- the bottleneck blocks

#: The checks build a block on an 8x8 input with filters (F1, F2, F3) = (4, 5, 8). The identity
#: block reads F3 channels, the convolutional block 6, so that it must project.
SIZE, FILTERS = 8, (4, 5, 8)
_RANGES = dict(gamma=(0.5, 1.5), beta=(-0.5, 0.3), moving_mean=(-0.2, 0.2), moving_variance=(0.5, 2))


def _layers_of(model, kind) -> list:
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _set_canonical_weights(model) -> None:
    """Give every weight values that depend only on its kind and shape, so two right blocks agree."""
    for layer in _layers_of(model, Conv2D | BatchNormalization):
        values = []
        for w in layer.weights:
            short, shape = w.path.split("/")[-1], tuple(w.shape)
            rng = seeded((short, shape))
            if short == "kernel":
                values.append(rng.normal(0.0, 1.0 / np.sqrt(np.prod(shape[:-1])), shape))
            else:  # convolution biases are zero
                values.append(rng.uniform(*_RANGES.get(short, (0.0, 0.0)), shape))
        layer.set_weights([v.astype("float32") for v in values])


def _inputs(shape, n, seed) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.0, size=(n, *shape)).astype("float32")


def _shape_advice(shape: tuple, strides, shapes: list) -> str:
    """What to do about wrong shapes: ``shapes`` are the two a block adds, or its output and the right one."""
    grids_differ = len(shapes) == 2 and shapes[0][:2] != shapes[1][:2]
    if strides is None:
        return (
            f"an identity block adds its input, of shape {shape}, so the main path must end with exactly "
            "that shape: stride 1 in every convolution, padding='same' on the kxk convolution, and F3 "
            "filters in the last 1x1 convolution."
        )
    if shape in shapes:
        return (
            f"you add the block's input, of shape {shape}, unchanged; this block changes the shape, so the "
            "shortcut must be projected: a 1x1 Conv2D with F3 filters and the block's stride, then "
            "BatchNormalization, and you add that projection, not the input."
        )
    if grids_differ and strides == 1:
        return (
            "with strides=1 neither path may shrink the grid: use the strides argument, not a fixed stride, "
            "on the first 1x1 convolution of the main path and on the shortcut's 1x1 convolution; "
            "ResNet-50's first stage calls this block with strides=1."
        )
    if grids_differ:
        return (
            "use the strides argument (Conv2D(..., strides=strides)) exactly once on each path, on the first "
            "1x1 convolution of the main path and on the shortcut's 1x1 convolution, and padding='same' on "
            "the kxk convolution."
        )
    return (
        "both paths must end with F3 channels: F3 filters in the last 1x1 convolution and in the projection."
    )


def _explain_block_error(err, block: str, shape: tuple, strides):
    """``call``'s ``explain`` for a block: the unsaved shortcut, another signature, different shapes added."""
    if isinstance(err, UnboundLocalError):
        return f"your function uses a variable before giving it a value ({err}).", (
            "save the input for the shortcut at the very start (shortcut = x) and only then overwrite x "
            "with the main path."
        )
    if isinstance(err, TypeError) and "argument" in str(err):
        strides_arg = "" if strides is None else ", strides=2"
        return f"your function cannot be called as the check calls it ({err}).", (
            f"keep the signature of the exercise: {block}(x, kernel_size, filters{strides_arg}, name=None)."
        )
    if not isinstance(err, ValueError) or "shape" not in str(err).lower():
        return None
    found = re.findall(r"\(((?:None|\d+)(?:, *(?:None|\d+))+)\)", str(err))
    shapes = [tuple(None if d.strip() == "None" else int(d) for d in s.split(",")[-3:]) for s in found][:2]
    shown = " and ".join(map(str, shapes)) if len(shapes) == 2 else f"Keras says: {str(err)[:200]}"
    problem = f"the two tensors you add have different shapes ({shown})"
    if strides is not None and shape not in shapes and len(shapes) == 2 and shapes[0][:2] != shapes[1][:2]:
        problem += ": the two paths shrink the grid differently"
    return problem + ".", _shape_advice(shape, strides, shapes)


def _check_layers(model, what: str, k: int, c: int, strides) -> None:
    """The convolutions (kernel shapes, where the stride is) and the number of BatchNormalizations."""
    f1, f2, f3 = FILTERS
    main = "" if strides is None else " of the main path"
    expected = {  # kernel shape: (stride, description)
        (1, 1, c, f1): (strides or 1, f"the first 1x1 convolution{main} (F1 filters)"),
        (k, k, f1, f2): (1, f"the {k}x{k} convolution (F2 filters)"),
        (1, 1, f2, f3): (1, f"the last 1x1 convolution{main} (F3 filters)"),
    }
    if strides is not None:
        expected[(1, 1, c, f3)] = (strides, "the 1x1 projection convolution on the shortcut (F3 filters)")
    convs = _layers_of(model, Conv2D)
    by_shape = {tuple(conv.kernel.shape): conv for conv in convs}
    missing = [key for key in expected if key not in by_shape]
    resized = [key for key in by_shape if key not in expected and key[2:] == (f1, f2)]
    if len(convs) == len(expected) and missing == [(k, k, f1, f2)] and len(resized) == 1:
        kh, kw = resized[0][:2]
        problem = f"the convolution with F2 filters has a {kh}x{kw} kernel (kernel shape {resized[0]})"
        advice = f"use the kernel_size argument instead of a fixed {kh if kh == kw else (kh, kw)}"
        fail(what, f"{problem}, expected {k}x{k}.", advice + ": Conv2D(F2, kernel_size, padding='same').")
    if missing or len(convs) != len(expected):
        found = ", ".join(str(tuple(conv.kernel.shape)) for conv in convs) or "none"
        lacking = f" Missing: {'; '.join(expected[key][1] for key in missing)}." if missing else ""
        layout = "the main path is 1x1 (F1) -> kxk (F2, padding='same') -> 1x1 (F3)"
        if strides is not None:
            layout += (
                "; the shortcut is a 1x1 Conv2D with F3 filters and the same stride. A layer whose output is "
                "never used is not part of the block: add the projected shortcut, not the input"
            )
        problem = f"expected {len(expected)} convolutions, found {len(convs)} (kernel shapes: {found})."
        fail(what, problem + lacking, layout + ".")
    placed = {key: tuple(by_shape[key].strides) for key in expected}
    if any(placed[key] != (stride, stride) for key, (stride, _) in expected.items()):
        wrong = ", ".join(f"{about} has strides {placed[key]}" for key, (_, about) in expected.items())
        fail(
            what,
            f"the stride is on the wrong convolution ({wrong}).",
            "put the stride on the first 1x1 convolution of the main path and on the shortcut's 1x1 "
            "convolution; the kxk one keeps stride 1 (ResNet v1, as in the paper and keras.applications).",
        )
    n_bn = len(_layers_of(model, BatchNormalization))
    if n_bn != len(expected):
        where = "" if strides is None else ", including the shortcut's projection"
        problem = f"expected {len(expected)} BatchNormalization layers, found {n_bn}."
        fail(what, problem, f"put a BatchNormalization after each convolution{where}.")


def _relu_hints(model) -> str:
    """Where the ReLUs of ``model`` differ from the reference's three, if they do."""
    relus, inside_conv = len(_layers_of(model, ReLU)), 0
    for layer in _layers_of(model, Activation | Conv2D):
        if getattr(layer.activation, "__name__", "") == "relu":
            relus += 1
            inside_conv += isinstance(layer, Conv2D)
    hints = ""
    if inside_conv:
        hints += (
            f" {inside_conv} Conv2D layer(s) apply ReLU themselves (activation='relu'), so the ReLU comes "
            "before BatchNormalization; leave Conv2D's activation at its default."
        )
    if relus != 3:
        hints += (
            f" Your block applies ReLU {relus} times; the reference applies it 3 times: after the first "
            "two BatchNormalizations and after the addition."
        )
    return hints


def check_block(fn, kernel_size: int, strides=None) -> None:
    """One case of a block check: the convolutional block with ``strides``, the identity block without.

    Builds ``fn`` on an ``(8, 8, C)`` input with filters ``(4, 5, 8)``; checks the output shape,
    the layers, BatchNormalization in inference mode, that the shortcut is added (identity
    block), and the output against the library's block with the same weights.
    """
    identity = strides is None
    block = "identity_block" if identity else "convolutional_block"
    library_block = identity_block if identity else convolutional_block
    what = f"{block} with kernel_size={kernel_size}" + ("" if identity else f", strides={strides}")
    shape, s = (SIZE, SIZE, FILTERS[2] if identity else 6), strides or 1
    args = (kernel_size, list(FILTERS)) + (() if identity else (strides,))
    inputs = keras.Input(shape=shape)
    explain = functools.partial(_explain_block_error, block=block, shape=shape, strides=strides)
    outputs = call(fn, what, inputs, *args, name=f"check_{block}_k{kernel_size}_s{s}", explain=explain)
    if outputs is None:
        fail(what, "your function returned None.", "end the function with `return x`.")
    model = keras.Model(inputs, outputs)
    out_shape, expected = tuple(model.output.shape[1:]), (SIZE // s, SIZE // s, FILTERS[2])
    if out_shape != expected:
        given = f" and filters {FILTERS}" if identity else f", filters {FILTERS} and strides={strides}"
        fail(
            what,
            f"for an input of shape {shape}{given} the output shape is {out_shape}, expected {expected}.",
            _shape_advice(shape, strides, [out_shape, expected]),
        )
    _check_layers(model, what, kernel_size, shape[-1], strides)

    # Called as model(x) is in a notebook, without a training argument: a hard-coded
    # training=True then survives (model.predict would override it and hide the bug).
    x = _inputs(shape, 6, seed=1)
    crowd = np.concatenate([x[:1], _inputs(shape, 5, seed=2) * 3.0 + 1.0])
    if not np.allclose(np.asarray(model(x[:1])), np.asarray(model(crowd))[:1], rtol=1e-4, atol=1e-5):
        fail(
            what,
            "in inference mode the output for one image changes with the other images in the batch: "
            "BatchNormalization is using batch statistics outside training.",
            "call BatchNormalization()(x) without training=True; Keras passes the right training flag "
            "itself (True in fit, False in predict and in model(x)).",
        )
    _set_canonical_weights(model)
    if identity:  # silence the main path's last BatchNormalization: relu(x) must still come out
        f3_norms = [
            bn for bn in _layers_of(model, BatchNormalization) if bn.moving_mean.shape[0] == FILTERS[2]
        ]
        for w in [w for bn in f3_norms[-1:] for w in (bn.gamma, bn.beta) if w is not None]:
            w.assign(np.zeros(w.shape, "float32"))
        if np.allclose(np.asarray(model(x[:2], training=False)), 0.0, atol=1e-6):
            fail(
                what,
                "when the main path outputs zeros the block outputs zeros too: the shortcut is not added.",
                "keep the input (shortcut = x) and finish with Add()([x, shortcut]) then ReLU.",
            )
        _set_canonical_weights(model)
    epsilons = {float(bn.epsilon) for bn in _layers_of(model, BatchNormalization)}
    epsilon = epsilons.pop() if len(epsilons) == 1 else 1e-3  # the student's, when there is one
    reference_inputs = keras.Input(shape=shape)
    reference = keras.Model(reference_inputs, library_block(reference_inputs, *args, bn_epsilon=epsilon))
    _set_canonical_weights(reference)
    x = _inputs(shape, 4, seed=3)
    got, want = np.asarray(model(x, training=False)), np.asarray(reference(x, training=False))
    if (got < -1e-6).any():
        fail(
            what,
            "the block's output has negative values, so there is no ReLU after the addition.",
            "finish with x = Add()([x, shortcut]) followed by Activation('relu').",
        )
    if not np.allclose(got, want, rtol=1e-3, atol=1e-4):
        fail(
            what,
            "with the same weights your block's output differs from the reference block "
            f"(largest difference {np.max(np.abs(got - want)):.3g}).{_relu_hints(model)}",
            "check the order conv -> BatchNormalization -> ReLU on the main path (no ReLU after the last "
            "BatchNormalization), that you add the shortcut exactly once, and that ReLU comes after the "
            "addition.",
        )
