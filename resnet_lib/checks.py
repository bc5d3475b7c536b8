"""Exercise checks: test a student's block by its properties and explain what is wrong.

``check_identity_block(fn)`` and ``check_convolutional_block(fn)`` take a function with
the library's signature, build it on a small input, and return quietly when it
behaves like the reference block. Otherwise they raise ``AssertionError`` with a
plain-words explanation of the first problem found.

The checks test properties (shapes, which convolutions exist and where the stride is,
that the shortcut is added, the ReLU after the addition, BatchNormalization in
inference mode, and the output on a fixed input with fixed weights), not layer
names or the order in which layers were created, so they keep working across Keras
versions and accept any correct way of writing the block.
"""

from __future__ import annotations

import zlib

import numpy as np

_KERNEL = 3
_IDENTITY = {"channels": 8, "filters": (4, 5, 8), "size": 8}
_CONV = {"channels": 6, "filters": (4, 5, 8), "size": 8, "strides": 2}


def _fail(block: str, problem: str, advice: str) -> None:
    raise AssertionError(f"{block}: {problem}\n  What to do: {advice}")


def _build(fn, block: str, input_shape, *args, **kwargs):
    import keras

    inputs = keras.Input(shape=input_shape)
    try:
        outputs = fn(inputs, *args, **kwargs)
    except (UnboundLocalError, NameError) as err:
        _fail(
            block,
            f"your function uses a variable before giving it a value ({err}).",
            "save the input for the shortcut at the very start (shortcut = x) and only "
            "then overwrite x with the main path.",
        )
    except NotImplementedError:
        _fail(
            block,
            "your function is not written yet (it raises NotImplementedError).",
            "replace the `raise NotImplementedError` line with your implementation, run the "
            "cell, then run this check again.",
        )
    except ValueError as err:
        text = str(err)
        if "shape" in text.lower():
            _fail(
                block,
                f"the two tensors you add have different shapes (Keras says: {text.splitlines()[0][:200]}).",
                "when the block changes the spatial size or the number of channels, the "
                "shortcut must be projected: a 1x1 Conv2D with F3 filters and the block's "
                "stride, then BatchNormalization, and you add that projection, not the input.",
            )
        raise AssertionError(f"{block}: your function raised ValueError: {err}") from err
    except Exception as err:  # anything else: show it, in the student's terms
        raise AssertionError(
            f"{block}: calling your function raised {err.__class__.__name__}: {err}"
        ) from err
    if outputs is None:
        _fail(block, "your function returned None.", "end the function with `return x`.")
    return keras.Model(inputs, outputs)


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _kernel_shape(conv):
    return tuple(int(d) for d in conv.kernel.shape)


def _check_structure(model, block, expected_kernels, expected_strides, n_bn):
    import keras

    convs = _layers_of(model, keras.layers.Conv2D)
    shapes = {_kernel_shape(c): c for c in convs}
    missing = [k for k in expected_kernels if k not in shapes]
    extra = [k for k in shapes if k not in expected_kernels]
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
            f"(largest difference {diff:.3g}).",
            "check the order conv -> BatchNormalization -> ReLU on the main path (no ReLU "
            "after the last BatchNormalization), that you add the shortcut exactly once, "
            "and that ReLU comes after the addition.",
        )


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

    Returns quietly if it behaves like ``resnet_lib.identity_block``; raises
    ``AssertionError`` explaining the first problem otherwise.
    """
    from .blocks import identity_block

    block = "identity_block"
    c, f, size = _IDENTITY["channels"], _IDENTITY["filters"], _IDENTITY["size"]
    shape = (size, size, c)
    model = _build(fn, block, shape, _KERNEL, list(f), name="check_identity")
    out_shape = tuple(model.output.shape[1:])
    if out_shape != shape:
        _fail(
            block,
            f"for an input of shape {shape} and filters {f} the output shape is {out_shape}, "
            f"expected {shape}.",
            "an identity block keeps the shape: stride 1 everywhere, padding='same' on the kxk "
            "convolution, F3 filters in the last 1x1 convolution.",
        )
    f1, f2, f3 = f
    kernels = {
        (1, 1, c, f1): "the first 1x1 convolution (F1 filters)",
        (_KERNEL, _KERNEL, f1, f2): f"the {_KERNEL}x{_KERNEL} convolution (F2 filters)",
        (1, 1, f2, f3): "the last 1x1 convolution (F3 filters)",
    }
    _check_structure(model, block, kernels, {k: (1, 1) for k in kernels}, n_bn=3)
    _check_inference_mode(model, block, shape)
    _check_shortcut_added(model, block, shape, last_bn_channels=f3)
    reference = _reference(identity_block, shape, _bn_epsilon(model), _KERNEL, f)
    _compare_with_reference(model, reference, block, shape)


def check_convolutional_block(fn) -> None:
    """Check a student's ``convolutional_block(x, kernel_size, filters, strides=2, name=...)``.

    Returns quietly if it behaves like ``resnet_lib.convolutional_block``; raises
    ``AssertionError`` explaining the first problem otherwise.
    """
    from .blocks import convolutional_block

    block = "convolutional_block"
    c, f, size, s = _CONV["channels"], _CONV["filters"], _CONV["size"], _CONV["strides"]
    shape = (size, size, c)
    model = _build(fn, block, shape, _KERNEL, list(f), strides=s, name="check_conv")
    expected = (size // s, size // s, f[2])
    out_shape = tuple(model.output.shape[1:])
    if out_shape != expected:
        _fail(
            block,
            f"for an input of shape {shape}, filters {f} and strides={s} the output shape is "
            f"{out_shape}, expected {expected}.",
            "apply the stride once on the main path (first 1x1 convolution) and once on the "
            "shortcut's 1x1 convolution, and end both paths with F3 channels.",
        )
    f1, f2, f3 = f
    kernels = {
        (1, 1, c, f1): "the first 1x1 convolution of the main path (F1 filters)",
        (_KERNEL, _KERNEL, f1, f2): f"the {_KERNEL}x{_KERNEL} convolution (F2 filters)",
        (1, 1, f2, f3): "the last 1x1 convolution of the main path (F3 filters)",
        (1, 1, c, f3): "the 1x1 projection convolution on the shortcut (F3 filters)",
    }
    strides = {
        (1, 1, c, f1): (s, s),
        (_KERNEL, _KERNEL, f1, f2): (1, 1),
        (1, 1, f2, f3): (1, 1),
        (1, 1, c, f3): (s, s),
    }
    _check_structure(model, block, kernels, strides, n_bn=4)
    _check_inference_mode(model, block, shape)
    reference = _reference(convolutional_block, shape, _bn_epsilon(model), _KERNEL, f, strides=s)
    _compare_with_reference(model, reference, block, shape)
