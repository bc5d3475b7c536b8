"""Exercise checks: test a student's function by its properties and explain what is wrong.

``check_identity_block(fn)`` and ``check_convolutional_block(fn)`` take a function with
the library's signature, build it on a small input with the argument values the networks
use (kernel size 3 and 5; for the convolutional block, strides 2 and 1, as in ResNet-50's
later stages and its first one), and return quietly when it behaves like the reference block
in every case. Otherwise they raise ``AssertionError`` with a plain-words explanation of the
first problem found, naming the arguments of the case that shows it.

``check_zero_pad_shortcut(fn)`` checks the option-A shortcut, and
``check_identity_block_params(fn)`` / ``check_stage_params(fn)`` check parameter counts
worked out by hand, naming the term a wrong count leaves out.
``check_bottleneck_multiply_adds(fn)``, ``check_depth_from_stages(fn)`` and
``check_predict_labels(fn)`` check a hand count of a block's multiply-adds, the depth in a
ResNet's name, and prediction with the training preprocessing.

The checks test properties (shapes, which convolutions exist and where the stride is,
that the shortcut is added, the ReLU after the addition, BatchNormalization in
inference mode, and the output on a fixed input with fixed weights), not layer
names or the order in which layers were created, so they keep working across Keras
versions and accept any correct way of writing the block.
"""

from __future__ import annotations

import itertools
import re
import zlib

import numpy as np

#: The block checks build the student's block once per case. The first case of each is the
#: one the lessons describe (kernel size 3, and stride 2 for the convolutional block); the
#: second changes every argument a block could hard-code: another odd kernel size, and
#: strides=1, which ResNet-50's first stage (conv2_block1) uses.
_IDENTITY = {"channels": 8, "filters": (4, 5, 8), "size": 8, "kernel_sizes": (3, 5)}
_CONV = {"channels": 6, "filters": (4, 5, 8), "size": 8, "cases": ((3, 2), (5, 1))}


def _fail(block: str, problem: str, advice: str) -> None:
    raise AssertionError(f"{block}: {problem}\n  What to do: {advice}")


_SIGNATURES = {
    "identity_block": "identity_block(x, kernel_size, filters, name=None)",
    "convolutional_block": "convolutional_block(x, kernel_size, filters, strides=2, name=None)",
}


def _shapes_in(text: str) -> list[tuple]:
    """The shape tuples in a Keras error message, e.g. ``(8, 8, 6)`` -> ``(8, 8, 6)``."""
    found = []
    for inner in re.findall(r"\(([0-9Noe, ]+)\)", text):
        parts = [p.strip() for p in inner.split(",") if p.strip()]
        if len(parts) >= 2 and all(p.isdigit() or p == "None" for p in parts):
            found.append(tuple(None if p == "None" else int(p) for p in parts))
    return found


def _shape_mismatch(block: str, text: str, input_shape: tuple, strides=None) -> tuple[str, str]:
    """(problem, advice) for an Add whose two inputs have different shapes.

    ``strides``: the convolutional block's ``strides`` argument in this case.
    """
    shapes = [s[-3:] for s in _shapes_in(text)][:2]
    shown = " and ".join(str(s) for s in shapes) if len(shapes) == 2 else f"Keras says: {text[:200]}"
    problem = f"the two tensors you add have different shapes ({shown})."
    if block == "identity_block":
        advice = (
            f"an identity block adds its input, of shape {input_shape}, so the main path must end with "
            "exactly that shape: stride 1 in every convolution, padding='same' on the kxk "
            "convolution, and F3 filters in the last 1x1 convolution."
        )
    elif input_shape in shapes:
        advice = (
            f"you add the block's input, of shape {input_shape}, unchanged; this block changes the "
            "shape, so the shortcut must be projected: a 1x1 Conv2D with F3 filters and the block's "
            "stride, then BatchNormalization, and you add that projection, not the input."
        )
    elif len(shapes) == 2 and shapes[0][:2] != shapes[1][:2] and strides == 1:
        advice = (
            "with strides=1 neither path may shrink the grid: use the strides argument on the first "
            "1x1 convolution of the main path and on the shortcut's 1x1 convolution instead of a fixed "
            "stride; ResNet-50's first stage calls this block with strides=1."
        )
    elif len(shapes) == 2 and shapes[0][:2] != shapes[1][:2]:
        advice = (
            "the two paths shrink the grid differently: apply the stride exactly once on each path "
            "(on the first 1x1 convolution of the main path and on the shortcut's 1x1 convolution), "
            "and use padding='same' on the kxk convolution."
        )
    else:
        advice = (
            "both paths must end with F3 channels: F3 filters in the last 1x1 convolution of the main "
            "path and in the shortcut's 1x1 projection."
        )
    return problem, advice


def _undefined_name_advice(err: NameError) -> str:
    """How to fix a name that is not defined: the import it needs, or its spelling."""
    import keras

    name = getattr(err, "name", None)
    if name == "layers":
        how = "import it (from keras import layers)"
    elif name == "keras":
        how = "import it (import keras)"
    elif name and hasattr(keras.layers, name):
        how = f"import it (from keras.layers import {name})"
    else:
        how = "import it if it comes from a library (e.g. from keras.layers import Conv2D)"
    return f"{how}, or fix its spelling if it is a typo; then run the cell that defines your function again."


def _build(fn, block: str, label: str, input_shape, *args, **kwargs):
    """Build ``fn`` on a ``keras.Input``; a failure becomes a plain-words message.

    ``block`` is the exercise's name, ``label`` the same with the case's arguments, which
    starts every message; ``args`` and ``kwargs`` go to ``fn``.
    """
    import keras

    inputs = keras.Input(shape=input_shape)
    try:
        outputs = fn(inputs, *args, **kwargs)
    except UnboundLocalError as err:  # a local variable used before assignment
        _fail(
            label,
            f"your function uses a variable before giving it a value ({err}).",
            "save the input for the shortcut at the very start (shortcut = x) and only "
            "then overwrite x with the main path.",
        )
    except NameError as err:  # a missing import or a typo (UnboundLocalError is caught above)
        _fail(label, f"your function uses a name that is not defined ({err}).", _undefined_name_advice(err))
    except NotImplementedError:
        _fail(
            label,
            "your function is not written yet (it raises NotImplementedError).",
            "replace the `raise NotImplementedError` line with your implementation, run the "
            "cell, then run this check again.",
        )
    except ValueError as err:
        text = str(err)
        if "shape" in text.lower():
            _fail(label, *_shape_mismatch(block, text, tuple(input_shape), kwargs.get("strides")))
        raise AssertionError(f"{label}: your function raised ValueError: {err}") from err
    except TypeError as err:
        if "argument" in str(err):
            _fail(
                label,
                f"your function cannot be called as the check calls it ({err}).",
                f"keep the signature of the exercise: {_SIGNATURES.get(block, block)}.",
            )
        raise AssertionError(f"{label}: calling your function raised TypeError: {err}") from err
    except Exception as err:  # anything else: show it, in the student's terms
        raise AssertionError(
            f"{label}: calling your function raised {err.__class__.__name__}: {err}"
        ) from err
    if outputs is None:
        _fail(label, "your function returned None.", "end the function with `return x`.")
    return keras.Model(inputs, outputs)


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _kernel_shape(conv):
    return tuple(int(d) for d in conv.kernel.shape)


def _check_structure(model, block, expected_kernels, expected_strides, n_bn, kxk):
    """Check the convolutions' kernel shapes and strides and the number of BatchNormalizations.

    ``kxk``: the expected kernel shape of the kxk convolution, ``(k, k, F1, F2)``.
    """
    import keras

    convs = _layers_of(model, keras.layers.Conv2D)
    shapes = {_kernel_shape(c): c for c in convs}
    missing = [k for k in expected_kernels if k not in shapes]
    extra = [k for k in shapes if k not in expected_kernels]
    other_size = [k for k in extra if k[2:] == kxk[2:]]
    if missing == [kxk] and len(other_size) == 1 and len(convs) == len(expected_kernels):
        kh, kw = other_size[0][:2]
        fixed = kh if kh == kw else (kh, kw)
        _fail(
            block,
            f"the convolution with F2 filters has a {kh}x{kw} kernel (kernel shape {other_size[0]}), "
            f"expected {kxk[0]}x{kxk[1]}.",
            f"use the kernel_size argument instead of a fixed {fixed}: "
            "Conv2D(F2, kernel_size, padding='same').",
        )
    if missing or extra or len(convs) != len(expected_kernels):
        described = {k: v for k, v in expected_kernels.items()}
        found = ", ".join(f"{_kernel_shape(c)}" for c in convs) or "none"
        lacking = "; ".join(described[k] for k in missing)
        problem = (
            f"expected {len(expected_kernels)} convolutions, found {len(convs)} (kernel shapes: {found})."
        )
        if lacking:
            problem += f" Missing: {lacking}."
        advice = (
            "the main path is 1x1 (F1) -> kxk (F2, padding='same') -> 1x1 (F3)"
            + (
                "; the shortcut is a 1x1 Conv2D with F3 filters and the same stride. A layer "
                "whose output is never used is not part of the block: add the projected "
                "shortcut, not the input"
                if len(expected_kernels) == 4
                else ""
            )
            + "."
        )
        _fail(block, problem, advice)
    for kernel, strides in expected_strides.items():
        got = tuple(int(s) for s in shapes[kernel].strides)
        if got != strides:
            wrong = ", ".join(
                f"{expected_kernels[k]} has strides {tuple(int(s) for s in shapes[k].strides)}"
                for k in expected_strides
            )
            _fail(
                block,
                f"the stride is on the wrong convolution ({wrong}).",
                "put the stride on the first 1x1 convolution of the main path and on the "
                "shortcut's 1x1 convolution; the kxk convolution keeps stride 1 (ResNet v1, "
                "as in the paper and keras.applications).",
            )
    bns = _layers_of(model, keras.layers.BatchNormalization)
    if len(bns) != n_bn:
        where = (
            "after each convolution, including the shortcut's projection"
            if n_bn == 4
            else "after each convolution"
        )
        _fail(
            block,
            f"expected {n_bn} BatchNormalization layers, found {len(bns)}.",
            f"put a BatchNormalization {where}.",
        )


def _seeded(key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _set_canonical_weights(model, zero_branch_channels=None):
    """Give every layer weights that depend only on its shape, so two correct blocks agree.

    Convolution kernels are keyed by kernel shape and biases are zero;
    BatchNormalization parameters are keyed by channel count. With
    ``zero_branch_channels``, BN layers of that width at the end of the main path get
    gamma = beta = 0 (see ``_zero_last_bn``).
    """
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            shape = _kernel_shape(layer)
            fan_in = shape[0] * shape[1] * shape[2]
            kernel = _seeded(("conv", shape)).normal(0.0, 1.0 / np.sqrt(fan_in), size=shape)
            weights = [kernel.astype("float32")]
            if layer.use_bias:
                weights.append(np.zeros(shape[-1], "float32"))
            layer.set_weights(weights)
        elif isinstance(layer, keras.layers.BatchNormalization):
            c = int(layer.gamma.shape[0]) if layer.gamma is not None else int(layer.moving_mean.shape[0])
            rng = _seeded(("bn", c))
            values = {
                "gamma": rng.uniform(0.5, 1.5, c),
                "beta": rng.uniform(-0.5, 0.3, c),
                "moving_mean": rng.uniform(-0.2, 0.2, c),
                "moving_variance": rng.uniform(0.5, 2.0, c),
            }
            layer.set_weights([values[w.path.split("/")[-1]].astype("float32") for w in layer.weights])


def _inputs(shape, n=6, seed=0):
    return np.random.default_rng(seed).normal(0.0, 1.0, size=(n, *shape)).astype("float32")


def _check_inference_mode(model, block, shape):
    # Called without a training argument, as model(x) is in a notebook: a hard-coded
    # training=True then survives (model.predict would override it and hide the bug).
    x = _inputs(shape, n=6, seed=1)
    alone = np.asarray(model(x[:1]))
    other = x.copy()
    other[1:] = _inputs(shape, n=5, seed=2) * 3.0 + 1.0
    together = np.asarray(model(other))[:1]
    if not np.allclose(alone, together, rtol=1e-4, atol=1e-5):
        _fail(
            block,
            "in inference mode the output for one image changes with the other images in "
            "the batch: BatchNormalization is using batch statistics outside training.",
            "call BatchNormalization()(x) without training=True; Keras passes the right "
            "training flag itself (True in fit, False in predict and in model(x)).",
        )


def _reference(block_fn, input_shape, epsilon, *args, **kwargs):
    import keras

    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, block_fn(inputs, *args, bn_epsilon=epsilon, **kwargs))


def _bn_epsilon(model):
    import keras

    eps = {float(b.epsilon) for b in _layers_of(model, keras.layers.BatchNormalization)}
    return eps.pop() if len(eps) == 1 else 1e-3


def _compare_with_reference(model, reference, block, shape):
    x = _inputs(shape, n=4, seed=3)
    _set_canonical_weights(model)
    _set_canonical_weights(reference)
    got = np.asarray(model(x, training=False))
    want = np.asarray(reference(x, training=False))
    if (got < -1e-6).any():
        _fail(
            block,
            "the block's output has negative values, so there is no ReLU after the addition.",
            "finish with x = Add()([x, shortcut]) followed by Activation('relu').",
        )
    if not np.allclose(got, want, rtol=1e-3, atol=1e-4):
        diff = float(np.max(np.abs(got - want)))
        _fail(
            block,
            f"with the same weights your block's output differs from the reference block "
            f"(largest difference {diff:.3g}).{_relu_hints(model)}",
            "check the order conv -> BatchNormalization -> ReLU on the main path (no ReLU "
            "after the last BatchNormalization), that you add the shortcut exactly once, "
            "and that ReLU comes after the addition.",
        )


def _relu_hints(model) -> str:
    """Say where the ReLUs of ``model`` differ from the reference's three, if they do."""
    import keras

    relus, inside_conv = 0, 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.ReLU):
            relus += 1
        elif isinstance(layer, keras.layers.Activation | keras.layers.Conv2D):
            name = getattr(layer.activation, "__name__", str(layer.activation))
            if name == "relu":
                relus += 1
                inside_conv += isinstance(layer, keras.layers.Conv2D)
    hints = []
    if inside_conv:
        hints.append(
            f" {inside_conv} Conv2D layer(s) apply ReLU themselves (activation='relu'), so the ReLU "
            "comes before BatchNormalization; leave Conv2D's activation at its default."
        )
    if relus != 3:
        hints.append(
            f" Your block applies ReLU {relus} times; the reference applies it 3 times: after the "
            "first two BatchNormalizations and after the addition."
        )
    return "".join(hints)


def _check_shortcut_added(model, block, shape, last_bn_channels):
    """Silence the main path: a residual block must then pass relu(shortcut) through."""
    import keras

    x = _inputs(shape, n=2, seed=4)
    _set_canonical_weights(model)
    for bn in _layers_of(model, keras.layers.BatchNormalization):
        if int(bn.moving_mean.shape[0]) == last_bn_channels:
            gamma_beta = {"gamma": 0.0, "beta": 0.0}
            bn.set_weights(
                [
                    np.full(w.shape, gamma_beta[w.path.split("/")[-1]], "float32")
                    if w.path.split("/")[-1] in gamma_beta
                    else np.asarray(w.numpy())
                    for w in bn.weights
                ]
            )
            break
    out = np.asarray(model(x, training=False))
    if np.allclose(out, 0.0, atol=1e-6) and np.abs(np.maximum(x, 0)).max() > 0:
        _fail(
            block,
            "when the main path outputs zeros the block outputs zeros too: the shortcut is not added.",
            "keep the input (shortcut = x) and finish with Add()([x, shortcut]) then ReLU.",
        )


def check_identity_block(fn) -> None:
    """Check a student's ``identity_block(x, kernel_size, filters, name=...)``.

    Builds it with kernel sizes 3 and 5. Returns quietly if it behaves like
    ``resnet_lib.identity_block`` in both cases; raises ``AssertionError`` explaining the first
    problem otherwise, naming the kernel size of the case that shows it.
    """
    from .blocks import identity_block

    block = "identity_block"
    c, f, size = _IDENTITY["channels"], _IDENTITY["filters"], _IDENTITY["size"]
    shape = (size, size, c)
    f1, f2, f3 = f
    for k in _IDENTITY["kernel_sizes"]:
        label = f"{block} with kernel_size={k}"
        model = _build(fn, block, label, shape, k, list(f), name=f"check_identity_k{k}")
        out_shape = tuple(model.output.shape[1:])
        if out_shape != shape:
            _fail(
                label,
                f"for an input of shape {shape} and filters {f} the output shape is {out_shape}, "
                f"expected {shape}.",
                "an identity block keeps the shape: stride 1 everywhere, padding='same' on the kxk "
                "convolution, F3 filters in the last 1x1 convolution.",
            )
        kernels = {
            (1, 1, c, f1): "the first 1x1 convolution (F1 filters)",
            (k, k, f1, f2): f"the {k}x{k} convolution (F2 filters)",
            (1, 1, f2, f3): "the last 1x1 convolution (F3 filters)",
        }
        _check_structure(model, label, kernels, {key: (1, 1) for key in kernels}, 3, (k, k, f1, f2))
        _check_inference_mode(model, label, shape)
        _check_shortcut_added(model, label, shape, last_bn_channels=f3)
        reference = _reference(identity_block, shape, _bn_epsilon(model), k, f)
        _compare_with_reference(model, reference, label, shape)


def _conv_block_shape_advice(size: int, out_shape: tuple, strides: int) -> str:
    """Advice for a convolutional block whose output has the wrong shape."""
    rows = out_shape[0]
    applied = size // rows if rows and rows == out_shape[1] and size % rows == 0 else None
    if applied is not None and applied != strides and out_shape[0] != -(-size // strides):
        if strides == 1:
            return (
                f"with strides=1 the block must keep the {size}x{size} grid, but yours shrinks it by "
                f"{applied}: use the strides argument instead of a fixed {applied}, on the first 1x1 "
                "convolution of the main path and on the shortcut's 1x1 convolution; ResNet-50's first "
                "stage calls this block with strides=1."
            )
        return (
            f"with strides={strides} the grid must shrink to {-(-size // strides)}x{-(-size // strides)}, "
            f"but your block {'keeps it' if applied == 1 else f'shrinks it by {applied}'}: use the "
            "strides argument (Conv2D(..., strides=strides)) on the first 1x1 convolution of the main "
            "path and on the shortcut's 1x1 convolution."
        )
    return (
        "apply the stride once on the main path (first 1x1 convolution) and once on the "
        "shortcut's 1x1 convolution, and end both paths with F3 channels."
    )


def check_convolutional_block(fn) -> None:
    """Check a student's ``convolutional_block(x, kernel_size, filters, strides=2, name=...)``.

    Builds it with ``kernel_size=3, strides=2`` (as in ResNet-50's stages 3 to 5) and with
    ``kernel_size=5, strides=1`` (stride 1 as in its first stage). Returns quietly if it behaves
    like ``resnet_lib.convolutional_block`` in both cases; raises ``AssertionError`` explaining
    the first problem otherwise, naming the arguments of the case that shows it.
    """
    from .blocks import convolutional_block

    block = "convolutional_block"
    c, f, size = _CONV["channels"], _CONV["filters"], _CONV["size"]
    shape = (size, size, c)
    f1, f2, f3 = f
    for k, s in _CONV["cases"]:
        label = f"{block} with kernel_size={k}, strides={s}"
        model = _build(fn, block, label, shape, k, list(f), strides=s, name=f"check_conv_k{k}_s{s}")
        expected = (size // s, size // s, f3)
        out_shape = tuple(model.output.shape[1:])
        if out_shape != expected:
            _fail(
                label,
                f"for an input of shape {shape}, filters {f} and strides={s} the output shape is "
                f"{out_shape}, expected {expected}.",
                _conv_block_shape_advice(size, out_shape, s),
            )
        kernels = {
            (1, 1, c, f1): "the first 1x1 convolution of the main path (F1 filters)",
            (k, k, f1, f2): f"the {k}x{k} convolution (F2 filters)",
            (1, 1, f2, f3): "the last 1x1 convolution of the main path (F3 filters)",
            (1, 1, c, f3): "the 1x1 projection convolution on the shortcut (F3 filters)",
        }
        strides = {
            (1, 1, c, f1): (s, s),
            (k, k, f1, f2): (1, 1),
            (1, 1, f2, f3): (1, 1),
            (1, 1, c, f3): (s, s),
        }
        _check_structure(model, label, kernels, strides, 4, (k, k, f1, f2))
        _check_inference_mode(model, label, shape)
        reference = _reference(convolutional_block, shape, _bn_epsilon(model), k, f, strides=s)
        _compare_with_reference(model, reference, label, shape)


# ----------------------------------------------------------------------------- counting and option A


def _call(fn, what: str, *args):
    """Call a student's function; NotImplementedError and crashes become plain-words failures."""
    try:
        return fn(*args)
    except NotImplementedError:
        _fail(
            what,
            "your function is not written yet (it raises NotImplementedError).",
            "replace the `raise NotImplementedError` line with your implementation, run the "
            "cell, then run this check again.",
        )
    except AssertionError:
        raise
    except Exception as err:
        shown = ", ".join(repr(a) if not hasattr(a, "shape") else f"<tensor {tuple(a.shape)}>" for a in args)
        raise AssertionError(
            f"{what}: calling your function with ({shown}) raised {err.__class__.__name__}: {err}"
        ) from err


def _whole_number(value, what: str, args) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        _fail(
            what,
            f"for {args} your function returned {value!r} ({type(value).__name__}), not a number.",
            "return the count as an int.",
        )
    if not float(value).is_integer():
        _fail(what, f"for {args} your function returned {value!r}, not a whole number.", "return an int.")
    return int(value)


def _weight_parts(model, shortcut_prefix=None) -> dict:
    """Split ``model``'s parameters into the parts a hand count is made of.

    Layers whose name starts with ``shortcut_prefix`` are counted together as the
    projection shortcut; every other weight is a convolution kernel, a convolution
    bias, a BatchNormalization gamma/beta or a BatchNormalization moving statistic.
    """
    import keras

    parts = {
        "the projection shortcut of the first block (its 1x1 convolution and BatchNormalization)": 0,
        "the convolution kernels": 0,
        "the convolution biases": 0,
        "BatchNormalization's gamma and beta (2 per channel)": 0,
        "BatchNormalization's moving mean and variance (2 per channel, not trainable)": 0,
    }
    keys = list(parts)
    for layer in model.layers:
        for w in layer.weights:
            size = int(np.prod(w.shape))
            short = w.path.split("/")[-1]
            if shortcut_prefix and layer.name.startswith(shortcut_prefix):
                parts[keys[0]] += size
            elif isinstance(layer, keras.layers.Conv2D):
                parts[keys[1] if short == "kernel" else keys[2]] += size
            elif short in ("gamma", "beta"):
                parts[keys[3]] += size
            else:
                parts[keys[4]] += size
    return {k: v for k, v in parts.items() if v}


def _explain_count(what: str, args, got: int, parts: dict, known: dict | None = None, noun="block") -> None:
    """Fail, naming what a wrong count leaves out or adds, when ``got`` is not the sum of ``parts``.

    ``known``: ``{description: difference}`` of other classic slips (``got - want``).
    """
    want = sum(parts.values())
    if got == want:
        return
    problem = f"for {args} your count is {got:,}, but the {noun} has {want:,} parameters"
    for description, difference in (known or {}).items():
        if difference and got - want == difference:
            _fail(what, f"{problem}: {description}.", "fix that term and run the check again.")
    names = list(parts)
    for sign, verb, advice in (
        (
            -1,
            "leaves out",
            "add the missing term; model.count_params() counts every weight, trainable or not.",
        ),
        (1, "counts twice", "count each layer once."),
    ):
        matches = []
        for r in range(1, len(names) + 1):
            for combo in itertools.combinations(names, r):
                amount = sum(parts[n] for n in combo)
                if got == want + sign * amount:
                    matches.append(f"{' and '.join(combo)} ({amount:,})")
        if matches:
            _fail(what, f"{problem}: your count {verb} {' or '.join(matches)}.", advice)
    _fail(
        what,
        f"{problem} (yours is off by {got - want:+,}).",
        "count layer by layer: a Conv2D has kh * kw * C_in * C_out weights plus C_out biases, a "
        "BatchNormalization 4 numbers per channel (gamma, beta, moving mean, moving variance); "
        "C_in is the number of channels the layer reads.",
    )


#: (kernel_size, filters) of the identity blocks the parameter-count check compares.
_IDENTITY_COUNT_CASES = ((3, (64, 64, 256)), (3, (128, 128, 512)), (1, (4, 5, 8)), (5, (8, 16, 32)))


def check_identity_block_params(fn) -> None:
    """Check ``fn(kernel_size, filters) -> int``, the parameter count of an identity block.

    Compares with ``model.count_params()`` of ``resnet_lib.identity_block`` built for
    several sizes; raises ``AssertionError`` naming what a wrong count leaves out.
    """
    import keras

    from .blocks import identity_block

    what = "identity_block_params"
    for kernel_size, filters in _IDENTITY_COUNT_CASES:
        inputs = keras.Input(shape=(4, 4, filters[2]))
        model = keras.Model(inputs, identity_block(inputs, kernel_size, filters))
        args = f"kernel_size={kernel_size}, filters={filters}"
        got = _whole_number(_call(fn, what, kernel_size, filters), what, args)
        _explain_count(what, args, got, _weight_parts(model))


#: (in_channels, width, blocks) of the stages the stage-count check compares: ResNet-50's
#: conv2, conv3 and conv5 (conv4 only repeats conv3's pattern, with more blocks), and a small
#: odd one so that a table of memorised answers fails.
_STAGE_COUNT_CASES = ((64, 64, 3), (256, 128, 4), (1024, 512, 3), (6, 4, 2))


def check_stage_params(fn) -> None:
    """Check ``fn(in_channels, width, blocks) -> int``, the parameter count of a bottleneck stage.

    A stage is one ``convolutional_block`` (filters ``(width, width, 4 * width)``, reading
    ``in_channels`` channels) followed by ``blocks - 1`` identity blocks, as in
    ``resnet_lib.resnet``. Compares with the library's blocks for three of ResNet-50's
    stages and one small stage; raises ``AssertionError`` naming what a wrong count leaves out.
    """
    import keras

    from .blocks import convolutional_block, identity_block

    what = "stage_params"
    for c_in, width, blocks in _STAGE_COUNT_CASES:
        filters = (width, width, 4 * width)
        inputs = keras.Input(shape=(4, 4, c_in))
        x = convolutional_block(inputs, 3, filters, 1, "b1")
        for i in range(2, blocks + 1):
            x = identity_block(x, 3, filters, f"b{i}")
        model = keras.Model(inputs, x)
        args = f"in_channels={c_in}, width={width}, blocks={blocks}"
        got = _whole_number(_call(fn, what, c_in, width, blocks), what, args)
        slip = (4 * width - c_in) * width
        known = {
            "the first block's first 1x1 convolution reads the stage's input, "
            f"{c_in} channels, not 4 * width = {4 * width}": slip,
            f"only the first block has a projection shortcut; the other {blocks - 1} add their input "
            "unchanged": (blocks - 1) * ((4 * width) ** 2 + 4 * width + 4 * 4 * width),
        }
        _explain_count(what, args, got, _weight_parts(model, shortcut_prefix="b1_0_"), known, noun="stage")


#: (input shape with batch, out_channels, strides) of the option-A shortcut check.
_ZERO_PAD_CASES = (((2, 7, 7, 3), 8, 2), ((2, 6, 6, 4), 4, 1), ((1, 8, 8, 2), 5, 2))


def check_zero_pad_shortcut(fn) -> None:
    """Check ``fn(x, out_channels, strides)``, the paper's option-A shortcut.

    It must keep every ``strides``-th row and column of ``x`` starting with the first
    (like a 1x1 convolution with that stride), keep the input's channels unchanged and
    side by side, fill the other ``out_channels - C`` channels with zeros (where they
    go is up to you), have no parameters, and work inside a Functional model.
    """
    import keras

    from .blocks import ZeroPadShortcut

    what = "zero_pad_shortcut"
    shape, out_channels, strides = _ZERO_PAD_CASES[0]
    inputs = keras.Input(shape=shape[1:])
    try:
        model = keras.Model(inputs, fn(inputs, out_channels, strides))
    except NotImplementedError:
        _call(fn, what, inputs, out_channels, strides)  # reports "not written yet"
    except Exception as err:
        _fail(
            what,
            f"your function does not work inside a Functional model ({err.__class__.__name__}: "
            f"{str(err).splitlines()[0][:200]}).",
            "use slicing and keras.ops (keras.ops.pad), not NumPy functions, so that it also works "
            "on the symbolic keras.Input of a model.",
        )
    if model.count_params():
        _fail(
            what,
            f"your shortcut has {model.count_params():,} parameters.",
            "option A has none: it only subsamples and pads with zeros.",
        )
    for shape, out_channels, strides in _ZERO_PAD_CASES:
        x = _seeded(("zero_pad", shape)).normal(0.0, 1.0, size=shape).astype("float32") + 3.0
        args = f"x of shape {shape}, out_channels={out_channels}, strides={strides}"
        out = _call(fn, what, keras.ops.convert_to_tensor(x), out_channels, strides)
        if out is None:
            _fail(what, "your function returned None.", "end the function with `return` and the result.")
        out = np.asarray(keras.ops.convert_to_numpy(out))
        want = np.asarray(ZeroPadShortcut(out_channels, strides)(x))
        keep = f"keep rows and columns 0, {strides}, {2 * strides}, ... (x[:, ::{strides}, ::{strides}, :])"
        if out.shape != want.shape:
            if out.shape[1:3] != want.shape[1:3]:
                advice = (
                    f"{keep}: that gives ceil(H / {strides}) rows, as a 1x1 convolution with stride "
                    f"{strides} and padding='same' does."
                )
            else:
                advice = (
                    f"add out_channels - C = {out_channels - shape[-1]} channels of zeros on the last "
                    "axis, for example with keras.ops.pad."
                )
            _fail(what, f"for {args} the output shape is {out.shape}, expected {want.shape}.", advice)
        kept = x[:, ::strides, ::strides, :]
        c = shape[-1]
        placed = [
            o
            for o in range(out_channels - c + 1)
            if np.allclose(out[..., o : o + c], kept)
            and np.all(out[..., :o] == 0)
            and np.all(out[..., o + c :] == 0)
        ]
        if not placed:
            if out_channels > c and not np.all(np.sort(np.abs(out), axis=-1)[..., : out_channels - c] == 0):
                problem = f"for {args} the new channels are not all zero."
            else:
                problem = f"for {args} the output does not hold the subsampled input unchanged."
            _fail(
                what,
                problem,
                f"{keep}, without averaging, and pad the channel axis with zeros; the input's "
                "channels must stay side by side and unchanged.",
            )


#: ``model.count_params()`` of ``keras.applications.ResNet{depth}(weights=None, classes=classes)``
#: (Keras 3.15), which ``resnet_lib.resnet(depth, classes=classes)`` matches.
KERAS_APPLICATIONS_PARAMS = {
    (50, 1000): 25_636_712,
    (101, 1000): 44_707_176,
    (152, 1000): 60_419_944,
    (50, 6): 23_600_006,
}


def check_resnet_params(fn) -> None:
    """Check ``fn(depth, classes) -> int``, the parameter count of ResNet-50/101/152 worked out by hand.

    Compares with ``keras.applications``' counts (``KERAS_APPLICATIONS_PARAMS``), including
    the seeds' 6-class ResNet-50; raises ``AssertionError`` naming the part a wrong count
    leaves out (stem, classifier, stages).
    """
    what = "resnet_params"
    stem_conv = 7 * 7 * 3 * 64 + 64
    stem_bn = 4 * 64
    for (depth, classes), want in KERAS_APPLICATIONS_PARAMS.items():
        args = f"depth={depth}, classes={classes}"
        got = _whole_number(_call(fn, what, depth, classes), what, args)
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
        _explain_count(what, args, got, parts, known, noun=f"ResNet-{depth}")


#: (size, in_channels, width, strides) of the bottleneck blocks the multiply-add check compares:
#: conv2_block2 and conv2_block1, conv3_block1 and conv5_block1 of ResNet-50, and a small odd one.
_MADDS_CASES = ((56, 256, 64, 1), (56, 64, 64, 1), (56, 256, 128, 2), (14, 1024, 512, 2), (6, 8, 4, 3))


def check_bottleneck_multiply_adds(fn) -> None:
    """Check ``fn(size, in_channels, width, strides) -> int``, a bottleneck block's multiply-adds by hand.

    The block reads ``size x size x in_channels`` and has filters ``(width, width, 4 * width)``,
    the stride on its first 1x1 convolution, and a projection shortcut when
    ``strides != 1`` or ``in_channels != 4 * width`` (``convolutional_block``), an identity
    shortcut otherwise (``identity_block``). Compares with ``count_multiply_adds`` of the
    library's block and names a classic slip when it finds one.
    """
    import keras

    from .analysis import count_multiply_adds
    from .blocks import convolutional_block, identity_block

    what = "bottleneck_multiply_adds"
    for size, c_in, width, strides in _MADDS_CASES:
        filters = (width, width, 4 * width)
        inputs = keras.Input(shape=(size, size, c_in))
        projection = strides != 1 or c_in != 4 * width
        if projection:
            outputs = convolutional_block(inputs, 3, filters, strides)
        else:
            outputs = identity_block(inputs, 3, filters)
        want = count_multiply_adds(keras.Model(inputs, outputs))
        args = f"size={size}, in_channels={c_in}, width={width}, strides={strides}"
        got = _whole_number(_call(fn, what, size, c_in, width, strides), what, args)
        if got == want:
            continue
        out = -(-size // strides)
        projection_madds = out * out * c_in * 4 * width
        if projection and got == want - projection_madds:
            problem = "your count leaves out the 1x1 projection shortcut"
            advice = (
                "the block changes the shape, so it has a projection: add "
                "out * out * in_channels * 4 * width, with out = size // strides."
            )
        elif not projection and got == want + projection_madds:
            problem = "this block has an identity shortcut (stride 1 and in_channels == 4 * width)"
            advice = (
                "an identity shortcut does no multiply-adds; count a projection only where the shape changes."
            )
        elif strides != 1 and got > want:
            problem = "your count is too large for a strided block"
            advice = (
                "every convolution of the block produces the output grid, size // strides on a side: "
                "use H_out * W_out of each convolution's output, not of the block's input."
            )
        else:
            problem = f"your count is off by {got - want:+,}"
            advice = (
                "add H_out * W_out * k * k * C_in * C_out for each convolution: the 1x1 (in_channels -> "
                "width), the 3x3 (width -> width), the 1x1 (width -> 4 * width) and, when the shape "
                "changes, the 1x1 projection (in_channels -> 4 * width)."
            )
        _fail(what, f"for {args} your count is {got:,}, the block does {want:,}: {problem}.", advice)


def check_depth_from_stages(fn) -> None:
    """Check ``fn(kind, blocks_per_stage) -> int``, the number in a ResNet's name from its stages.

    ``kind`` is ``"basic"`` or ``"bottleneck"``; the answer counts the stem convolution, 2 or 3
    convolutions per block and the classifier (projection shortcuts are not counted). Checked
    on ``resnet_lib.models.IMAGENET_STAGES`` and the 6n+2 CIFAR networks.
    """
    from .models import IMAGENET_STAGES

    what = "depth_from_stages"
    cases = dict(IMAGENET_STAGES)
    cases.update({6 * n + 2: ("basic", (n, n, n)) for n in (3, 5, 9, 18)})
    for depth, (kind, stages) in cases.items():
        args = f"kind={kind!r}, blocks_per_stage={stages}"
        got = _whole_number(_call(fn, what, kind, stages), what, args)
        if got == depth:
            continue
        problem = f"{kind} blocks {stages} make ResNet-{depth}, but your function returns {got}"
        if got in (depth - 1, depth - 2):
            advice = "count the stem convolution and the final Dense layer once each, besides the blocks."
        elif got == depth + len(stages) or got == depth + len(stages) - 1:
            advice = "leave the 1x1 projection shortcuts out: the name counts the main path only."
        else:
            advice = (
                "a basic block has 2 convolutions, a bottleneck block 3; add 1 for the stem and 1 "
                "for the Dense layer."
            )
        _fail(what, f"{problem}.", advice)


def check_predict_labels(fn) -> None:
    """Check ``fn(model, images, mean, std) -> labels``, prediction with the training preprocessing.

    ``images`` are uint8 ``(n, 28, 28, 1)``; the model expects ``(images / 255 - mean) / std``,
    as ``resnet_lib.make_dataset`` feeds it in training. The check uses its own small model
    with fixed weights, so the answer does not depend on any training run.
    """
    import keras

    what = "predict_labels"
    rng = np.random.default_rng(7)
    inputs = keras.Input(shape=(28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    kernel = rng.normal(0.0, 0.05, size=(784, 10)).astype("float32")
    model.layers[-1].set_weights([kernel, rng.normal(0.0, 1.0, size=10).astype("float32")])
    images = rng.integers(0, 256, size=(64, 28, 28, 1)).astype("uint8")
    mean, std = np.array([0.2860], "float32"), np.array([0.3530], "float32")
    want = np.argmax(np.asarray(model((images.astype("float32") / 255.0 - mean) / std)), axis=1)

    got = _call(fn, what, model, images.copy(), mean, std)
    got = np.asarray(got)
    if got.shape == (len(images), 10):
        _fail(
            what,
            "your function returns the probabilities of every class, shape (n, 10).",
            "return the predicted class of each image: np.argmax(probabilities, axis=1).",
        )
    if got.shape != want.shape:
        _fail(
            what,
            f"expected one label per image, shape {want.shape}; got shape {got.shape}.",
            "return a 1-D array of class indices.",
        )
    wrong = int(np.sum(got != want))
    if wrong:
        variants = {
            "you feed the raw 0-255 pixel values": images.astype("float32"),
            "you divide by 255 but do not normalise with the mean and standard deviation": images / 255.0,
        }
        for description, x in variants.items():
            if np.array_equal(got, np.argmax(np.asarray(model(x.astype("float32"))), axis=1)):
                _fail(
                    what,
                    f"{wrong} of {len(images)} labels differ from the training pipeline's: {description}.",
                    "preprocess exactly as in training: x = (images / 255 - mean) / std, in float32.",
                )
        _fail(
            what,
            f"{wrong} of {len(images)} labels differ from those of the training pipeline.",
            "preprocess exactly as in training: x = (images / 255 - mean) / std, in float32, then "
            "take np.argmax of the model's output over axis 1.",
        )


def check_warmup_cosine(fn) -> None:
    """Check ``fn(step, peak, total_steps, warmup_steps, final_fraction) -> float``, a learning rate.

    Linear warm-up ``peak * (step + 1) / warmup_steps``, then a half cosine from ``peak`` to
    ``peak * final_fraction`` at ``total_steps``, constant after it.
    """
    import math

    from .training import WarmupCosineDecay

    what = "warmup_cosine"
    for peak, total, warmup, floor in ((0.4, 300, 30, 0.05), (0.1, 50, 0, 0.0)):
        reference = WarmupCosineDecay(peak, total_steps=total, warmup_steps=warmup, final_fraction=floor)
        for step in sorted(
            {
                0,
                1,
                max(warmup - 1, 0),
                warmup,
                warmup + 1,
                (warmup + total) // 2,
                total - 1,
                total,
                total + 40,
            }
        ):
            args = (step, peak, total, warmup, floor)
            got = _call(fn, what, *args)
            if isinstance(got, bool) or not isinstance(got, int | float | np.integer | np.floating):
                _fail(what, f"for {args} your function returned {got!r}, not a number.", "return a float.")
            want = float(reference(step))
            if math.isclose(float(got), want, rel_tol=1e-4, abs_tol=1e-7):
                continue
            if step < warmup:
                if math.isclose(float(got), peak * step / warmup, rel_tol=1e-4, abs_tol=1e-7):
                    advice = "step 0 already gets peak / warmup_steps: use (step + 1) / warmup_steps."
                else:
                    advice = "during the warm-up the rate rises linearly: peak * (step + 1) / warmup_steps."
            elif step >= total:
                advice = "after total_steps the rate stays at peak * final_fraction: clip t to 1."
            else:
                advice = (
                    "after the warm-up, t = (step - warmup_steps) / (total_steps - warmup_steps) "
                    "runs from 0 to 1 "
                    "and the rate is peak * (f + (1 - f) * (1 + cos(pi * t)) / 2)."
                )
            _fail(
                what,
                f"at step {step} of {args} your schedule gives {float(got):.6g}, the library {want:.6g}.",
                advice,
            )


def check_smooth_labels(fn) -> None:
    """Check ``fn(labels, classes, eps) -> (n, classes)`` smoothed one-hot targets.

    The true class gets ``1 - eps + eps / classes``, every class ``eps / classes`` at least,
    and the cross-entropy against them equals ``SmoothedSparseCrossentropy(eps)``.
    """
    import keras

    from .training import SmoothedSparseCrossentropy

    what = "smooth_labels"
    labels, classes, eps = np.array([0, 3, 3, 9]), 10, 0.2
    got = np.asarray(_call(fn, what, labels.copy(), classes, eps), dtype="float64")
    if got.shape != (len(labels), classes):
        _fail(
            what,
            f"expected shape ({len(labels)}, {classes}), one row per label; got {got.shape}.",
            "build an (n, classes) array: one row per label, one column per class.",
        )
    if not np.allclose(got.sum(axis=1), 1.0):
        _fail(
            what,
            f"the rows add up to {got.sum(axis=1).round(3)}, not 1.",
            "each row is a probability distribution: eps is spread over all classes, "
            "1 - eps goes to the true one.",
        )
    want = np.full((len(labels), classes), eps / classes)
    want[np.arange(len(labels)), labels] += 1 - eps
    if not np.allclose(got, want, atol=1e-6):
        row = int(np.argmax(np.abs(got - want).max(axis=1)))
        _fail(
            what,
            f"row {row} (label {labels[row]}) is {got[row].round(3)}; expected {want[row].round(3)}.",
            "the true class gets 1 - eps + eps / classes and every other class eps / classes.",
        )
    probs = np.random.default_rng(0).dirichlet(np.ones(classes), size=len(labels)).astype("float32")
    yours = float(keras.losses.CategoricalCrossentropy()(got.astype("float32"), probs))
    library = float(SmoothedSparseCrossentropy(eps)(labels, probs))
    if not np.isclose(yours, library, rtol=1e-5):
        _fail(
            what,
            f"the cross-entropy against your targets is {yours:.5f}, the library's {library:.5f}.",
            "return the targets as numbers, not rounded or cast to integers.",
        )
