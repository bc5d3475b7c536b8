"""Measuring models: weight transfer, shapes, multiply-adds, gradients, lesions, loss surfaces, Grad-CAM."""

from __future__ import annotations

import re

import keras
import numpy as np
import tensorflow as tf

from . import _validate


def copy_weights_by_name(source, target) -> int:
    """Copy every weighted layer of ``source`` into the layer of the same name in ``target``.

    By name, not by position: in ResNet-50 the ``_0_conv`` and ``_3_conv`` kernels of
    ``conv2_block1`` have the same shape, so a positional copy could swap them
    silently. Returns the number of layers copied; raises if a name is missing.
    """
    _validate.keras_model("source", source)
    _validate.keras_model("target", target)
    copied = 0
    target_names = {layer.name for layer in target.layers}
    for layer in source.layers:
        if not layer.weights:
            continue
        if layer.name not in target_names:
            raise ValueError(f"layer {layer.name!r} of {source.name} has no namesake in {target.name}.")
        target.get_layer(layer.name).set_weights(layer.get_weights())
        copied += 1
    return copied


def max_abs_difference(model_a, model_b, x) -> float:
    """Largest absolute difference between the two models' outputs on ``x`` (inference mode)."""
    a = np.asarray(model_a(x, training=False))
    b = np.asarray(model_b(x, training=False))
    if a.shape != b.shape:
        raise ValueError(f"the models' outputs differ in shape: {a.shape} vs {b.shape}.")
    return float(np.max(np.abs(a - b)))


def randomize_weights(model, seed=0):
    """Random values for every weight of ``model``, BatchNormalization's moving statistics included.

    A fresh network is a weak witness of equality: with statistics 0 and 1 its BatchNormalization
    is nearly the identity in inference mode. Kernels get He-scaled normal values, gamma values in
    [0.5, 1.5], moving variances in [0.5, 2], the rest small normal values. Returns ``model``.
    """
    _validate.keras_model("model", model)
    rng = np.random.default_rng(seed)
    for layer in _all_layers(model):
        for weight in layer.weights:
            shape = tuple(int(d) for d in weight.shape)
            kind = weight.path.split("/")[-1]
            if kind in ("kernel", "depthwise_kernel"):
                fan_in = int(np.prod(shape[:-1])) or 1
                values = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
            elif kind == "gamma":
                values = rng.uniform(0.5, 1.5, shape)
            elif kind == "moving_variance":
                values = rng.uniform(0.5, 2.0, shape)
            else:  # bias, beta, moving_mean
                values = rng.normal(0.0, 0.1, shape)
            weight.assign(values.astype(weight.dtype))
    return model


def logits(model, x):
    """The pre-softmax scores ``(batch, classes)`` of a model whose last layer is a Dense classifier.

    Probabilities of an untrained network are all close to ``1 / classes``, so comparing
    them hides differences; the scores before the softmax do not. A model without a
    Dense top returns its output unchanged. Inference mode.
    """
    _validate.keras_model("model", model)
    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        return np.asarray(model(x, training=False))
    features = keras.Model(model.input, head.input)(x, training=False)
    scores = np.asarray(features) @ np.asarray(head.kernel)
    return scores + np.asarray(head.bias) if head.use_bias else scores


def relative_difference(model_a, model_b, x) -> float:
    """Largest difference of the two models' pre-softmax outputs on ``x``, over their largest magnitude.

    0.0 means identical; compare after ``randomize_weights`` and ``copy_weights_by_name``.
    """
    a, b = logits(model_a, x), logits(model_b, x)
    if a.shape != b.shape:
        raise ValueError(f"the models' outputs differ in shape: {a.shape} vs {b.shape}.")
    scale = float(np.max(np.abs(b)))
    if not np.isfinite(scale) or scale == 0:
        raise ValueError(f"the reference output is degenerate (largest magnitude {scale}).")
    return float(np.max(np.abs(a - b))) / scale


def stage_outputs(model):
    """``[(layer name, output shape)]`` for the stem and the last block of each stage.

    Works for ``resnet`` (``conv{k}_block{i}_out``) and ``cifar_resnet`` names.
    """
    rows = []
    ends = {}
    for layer in model.layers:
        name = layer.name
        if name in ("conv1_relu", "pool1_pool", "stem_relu"):
            rows.append((name, tuple(layer.output.shape)))
        stage = name.split("_block")[0] if "_block" in name else None
        if stage is not None:
            ends[stage] = layer
    for layer in ends.values():
        rows.append((layer.name, tuple(layer.output.shape)))
    top = [layer for layer in model.layers if layer.name in ("avg_pool", "max_pool", "predictions")]
    rows.extend((layer.name, tuple(layer.output.shape)) for layer in top)
    return rows


def count_multiply_adds(model) -> int:
    """Multiply-adds of one forward pass for one image, counting Conv2D and Dense layers.

    This is what the ResNet paper's Table 1 calls FLOPs: for a convolution,
    ``H_out * W_out * k_h * k_w * C_in * C_out``; for a Dense layer, ``in * out``.
    Biases, BatchNormalization, activations, pooling and additions are not counted.
    """
    return sum(multiply_adds_by_layer(model).values())


def _all_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer


def kernel_layers(model):
    """The Conv2D and Dense layers of ``model``, input side first."""
    return [
        layer for layer in _all_layers(model) if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
    ]


def gradient_norms(model, x, y):
    """L2 norm of the loss gradient with respect to each Conv2D/Dense kernel.

    ``x``: a batch of inputs, ``y``: integer labels. The loss is sparse categorical
    cross-entropy on the model's (softmax) output, computed in training mode, so
    BatchNormalization uses the batch's statistics as it does in the first step.
    Returns a list of floats, input side first.
    """
    _validate.keras_model("model", model)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} inputs and {len(y)} labels.")
    layers = kernel_layers(model)
    kernels = [layer.kernel for layer in layers]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, kernels)
    return [float(tf.norm(g)) for g in grads]


def multiply_adds_by_layer(model) -> dict:
    """``{layer name: multiply-adds}`` for each Conv2D and Dense layer, input side first.

    The per-layer terms of ``count_multiply_adds`` (one image), so a table can show
    where a network spends its arithmetic; ``count_multiply_adds`` is their sum.
    """
    _validate.keras_model("model", model)
    counts = {}
    for layer in _all_layers(model):
        if isinstance(layer, keras.layers.Conv2D) and not isinstance(
            layer, keras.layers.DepthwiseConv2D | keras.layers.Conv2DTranspose
        ):
            _, h, w, c_out = layer.output.shape
            kh, kw, c_in_per_group, _ = layer.kernel.shape
            counts[layer.name] = int(h) * int(w) * int(kh) * int(kw) * int(c_in_per_group) * int(c_out)
        elif isinstance(layer, keras.layers.Dense):
            d_in, d_out = layer.kernel.shape
            counts[layer.name] = int(d_in) * int(d_out)
    return counts


# ----------------------------------------------------------------------------- inside a trained network

_BLOCK = re.compile(r"^(.+_block\d+)_")


def block_names(model) -> list:
    """The block names of a ``cifar_resnet``, ``resnet`` or plain twin, input first (``stage1_block1``)."""
    names = [m.group(1) for layer in model.layers if (m := _BLOCK.match(layer.name))]
    return list(dict.fromkeys(names))


def tensor_records(node):
    """Every tensor record (``{"keras_history": [layer, node, index], ...}``) in a layer's inbound nodes."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            yield node["config"]
        else:
            for value in node.values():
                yield from tensor_records(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from tensor_records(value)


def delete_blocks(model, blocks):
    """A copy of ``model`` with the named blocks deleted: the lesion study of Veit et al. 2016.

    A residual block loses its residual branch and keeps its shortcut: it becomes the identity,
    or option A's subsample-and-pad. A plain block (no shortcut) loses all its layers, and its
    input feeds what came after; that needs a block that keeps the shape. Weights are copied
    by name, so the copy and ``model`` share nothing.
    """
    _validate.keras_model("model", model)
    config = model.get_config()
    records = {c["name"]: list(tensor_records(c["inbound_nodes"])) for c in config["layers"]}
    replace = {}
    for block in [blocks] if isinstance(blocks, str) else list(blocks):
        members = [name for name in records if name.startswith(f"{block}_")]
        if not members:
            raise ValueError(f"{model.name} has no block {block!r}; its blocks: {block_names(model)}.")
        shortcut = [name for name in members if name.startswith(f"{block}_0_")]
        entering = {r["keras_history"][0] for n in members for r in records[n]} - set(members)
        source = shortcut[-1] if shortcut else entering.pop()
        if model.get_layer(source).output.shape != model.get_layer(members[-1]).output.shape:
            raise ValueError(
                f"block {block!r} changes the shape and has no shortcut to stand in for it: it cannot be "
                "deleted (in a plain network only blocks that keep the shape can)."
            )
        replace.update({name: source for name in members if name not in shortcut})
    config["layers"] = [c for c in config["layers"] if c["name"] not in replace]
    for c in config["layers"]:
        for record in tensor_records(c["inbound_nodes"]):
            name = record["keras_history"][0]
            while name in replace:  # consecutive deleted blocks
                name = replace[name]
            record["keras_history"] = [name, 0, 0]
    lesioned = keras.Model.from_config(config)
    for layer in lesioned.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return lesioned


def filter_normalized_direction(model, seed=0):
    """A random direction in weight space, scaled filter by filter (Li et al. 2018, arXiv 1712.09913).

    One array per ``model.trainable_weights``: for a kernel, Gaussian values whose slice for each
    output filter (the last axis) has the norm of that filter in ``model``; zero for biases and
    BatchNormalization's parameters, as in the paper. Networks of different scale become comparable.
    """
    _validate.keras_model("model", model)
    rng = np.random.default_rng(seed)
    direction = []
    for weight in model.trainable_weights:
        w = np.asarray(weight)
        if w.ndim < 2:
            direction.append(np.zeros_like(w))
            continue
        d = rng.standard_normal(w.shape).astype(w.dtype)
        axes = tuple(range(w.ndim - 1))
        w_norm, d_norm = (np.sqrt(np.sum(a * a, axis=axes, keepdims=True)) for a in (w, d))
        direction.append(d * w_norm / np.maximum(d_norm, 1e-12))
    return direction


def loss_surface(model, x, y, directions, coordinates, *, training=True) -> np.ndarray:
    """The loss on ``(x, y)`` at ``theta + sum_i c_i * directions[i]``, for each row ``c`` of ``coordinates``.

    ``coordinates``: ``(points, len(directions))``; a direction has one array per trainable
    weight. Sparse categorical cross-entropy of the softmax output. With ``training=True``
    BatchNormalization uses the batch's statistics, as in a training step, so a direction's
    scale within a filter does not matter to it. Every weight is put back afterwards, also on error.
    """
    _validate.keras_model("model", model)
    weights = model.trainable_weights
    theta = [np.asarray(w) for w in weights]
    saved = [np.asarray(w) for w in model.weights]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    losses = []
    try:
        for c in np.atleast_2d(np.asarray(coordinates, dtype="float32")):
            for i, weight in enumerate(weights):
                weight.assign(theta[i] + sum(ci * d[i] for ci, d in zip(c, directions)))
            losses.append(float(loss_fn(y, model(x, training=training))))
    finally:
        for weight, value in zip(model.weights, saved):
            weight.assign(value)
    return np.array(losses)


def grad_cam(model, images, layer_name, classes=None):
    """Grad-CAM maps (Selvaraju et al. 2017, arXiv 1610.02391) and the classes they explain.

    The feature maps of ``layer_name`` are weighted by the spatial mean of the gradient of the
    class's pre-softmax score with respect to them, summed over channels and passed through a
    ReLU: ``(n, H, W)``, resized to the images and scaled to [0, 1] per image. ``classes``: one
    class per image; by default the predicted one.
    """
    _validate.keras_model("model", model)
    head = model.layers[-1]
    probe = keras.Model(model.input, [model.get_layer(layer_name).output, head.input])
    with tf.GradientTape() as tape:
        maps, features = probe(images, training=False)
        scores = tf.cast(features, head.kernel.dtype) @ head.kernel + head.bias  # float32 under bf16
        classes = tf.argmax(scores, axis=1) if classes is None else tf.constant(classes)
        chosen = tf.gather(scores, classes, axis=1, batch_dims=1)
    weights = tf.reduce_mean(tape.gradient(chosen, maps), axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(tf.cast(weights * maps, "float32"), axis=-1, keepdims=True))
    cam = tf.image.resize(cam, tuple(images.shape[1:3]))[..., 0].numpy()
    return cam / np.maximum(cam.max(axis=(1, 2), keepdims=True), 1e-12), np.asarray(classes)


def per_class_accuracy(labels, predictions, classes: int) -> np.ndarray:
    """Accuracy within each true class: ``(classes,)``, NaN for a class with no example."""
    labels = np.asarray(labels).reshape(-1)
    predictions = np.asarray(predictions).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions differ in length: {labels.shape} vs {predictions.shape}.")
    counts = np.bincount(labels, minlength=classes).astype(float)
    hits = np.bincount(labels[labels == predictions], minlength=classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / counts, np.nan)
