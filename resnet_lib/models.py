"""Whole networks: the ImageNet ResNet family and the small CIFAR-style ResNets.

``resnet50()`` builds the same network as ``keras.applications.ResNet50(weights=None)``
(layer names, parameter count and outputs), from the blocks in ``resnet_lib.blocks``.
"""

from __future__ import annotations

import keras
from keras import layers

from . import _validate
from .blocks import KERAS_BN_EPSILON, SHORTCUTS, basic_block, convolutional_block, identity_block

#: Blocks per stage (conv2..conv5) and block type for each ImageNet ResNet depth.
IMAGENET_STAGES = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
_STAGE_WIDTHS = (64, 128, 256, 512)


def _check_top_args(input_shape, include_top, pooling, classes):
    """Validate the arguments the ImageNet-style builders share; returns (input_shape, classes)."""
    input_shape = _validate.image_shape("input_shape", input_shape, min_size=32)
    _validate.one_of("pooling", pooling, [None, "avg", "max"])
    if include_top:
        classes = _validate.positive_int("classes", classes)
    return input_shape, classes


def _top(x, include_top, pooling, classes, classifier_activation):
    """The classifier (global average pooling + Dense, Keras' names), or the pooling alone."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def resnet(
    depth=50,
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    name=None,
    *,
    bn_epsilon=KERAS_BN_EPSILON,
):
    """ResNet-18/34/50/101/152 (v1) from one table of stage depths, ``IMAGENET_STAGES``.

    Stem: 7x7/2 convolution, BN, ReLU, 3x3/2 max-pool; then four stages (conv2..conv5)
    whose first block changes the shape (stride 1 in conv2, 2 after), global average
    pooling and a Dense classifier. Input ``(batch, H, W, 3)`` with H, W >= 32;
    output ``(batch, classes)``, or the feature map / pooled features without the top.
    """
    _validate.one_of("depth", depth, sorted(IMAGENET_STAGES))
    input_shape, classes = _check_top_args(input_shape, include_top, pooling, classes)
    kind, depths = IMAGENET_STAGES[depth]

    inputs = keras.Input(shape=input_shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=bn_epsilon, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    for stage, (blocks, width) in enumerate(zip(depths, _STAGE_WIDTHS), start=2):
        for block in range(1, blocks + 1):
            block_name = f"conv{stage}_block{block}"
            strides = 2 if (block == 1 and stage > 2) else 1
            if kind == "basic":
                x = basic_block(x, width, strides, block_name, bn_epsilon=bn_epsilon)
            elif block == 1:
                filters = (width, width, 4 * width)
                x = convolutional_block(x, 3, filters, strides, block_name, bn_epsilon=bn_epsilon)
            else:
                filters = (width, width, 4 * width)
                x = identity_block(x, 3, filters, block_name, bn_epsilon=bn_epsilon)

    x = _top(x, include_top, pooling, classes, classifier_activation)
    return keras.Model(inputs, x, name=name or f"resnet{depth}")


def resnet50(
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    name="resnet50",
    **kwargs,
):
    """ResNet-50 v1, the same network as ``keras.applications.ResNet50(weights=None)``.

    ``(batch, H, W, 3) -> (batch, classes)``; 25,636,712 parameters at the defaults.
    The seeds' ``input_shape=(64, 64, 3), classes=6`` gives 23,600,006 parameters.
    """
    return resnet(50, input_shape, classes, include_top, pooling, classifier_activation, name, **kwargs)


def cifar_resnet(
    depth=20,
    input_shape=(32, 32, 3),
    classes=10,
    *,
    width=16,
    shortcut="zero_pad",
    residual=True,
    preact=False,
    name=None,
    bn_epsilon=KERAS_BN_EPSILON,
):
    """The paper's 6n+2 CIFAR network (ResNet-20/32/44/56/110), or its plain twin.

    A 3x3 stem convolution with ``width`` filters, three stages of ``n = (depth - 2) / 6``
    basic blocks with ``width``, ``2 * width`` and ``4 * width`` filters (stride 2 at the
    start of stages 2 and 3), global average pooling and a Dense softmax layer.
    Works for 28x28x1 (Fashion-MNIST) and 32x32x3 (CIFAR-10) inputs.

    - ``residual=False``: the plain network of the same depth (no shortcuts).
    - ``shortcut="zero_pad"``: option A (as in the paper for CIFAR), which adds no
      parameters, so the plain and residual networks have the same parameter count;
      ``"projection"``: option B.
    - ``preact=True``: the pre-activation (v2) ordering.
    """
    depth = _validate.positive_int("depth", depth, minimum=8)
    if (depth - 2) % 6:
        raise ValueError(
            f"depth must be 6n+2 (8, 14, 20, 32, 44, 56, 110, ...) for the CIFAR family; got {depth}."
        )
    input_shape = _validate.image_shape("input_shape", input_shape, min_size=8)
    classes = _validate.positive_int("classes", classes)
    width = _validate.positive_int("width", width)
    _validate.one_of("shortcut", shortcut, SHORTCUTS)
    n = (depth - 2) // 6

    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(width, 3, padding="same", name="stem_conv")(inputs)
    if not preact:
        x = layers.BatchNormalization(epsilon=bn_epsilon, name="stem_bn")(x)
        x = layers.Activation("relu", name="stem_relu")(x)
    for stage in range(3):
        for block in range(n):
            strides = 2 if (stage > 0 and block == 0) else 1
            x = basic_block(
                x,
                width * 2**stage,
                strides,
                f"stage{stage + 1}_block{block + 1}",
                shortcut=shortcut,
                residual=residual,
                preact=preact,
                bn_epsilon=bn_epsilon,
            )
    if preact:
        x = layers.BatchNormalization(epsilon=bn_epsilon, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    kind = ("resnet" + ("v2" if preact else "")) if residual else "plain"
    return keras.Model(inputs, x, name=name or f"{kind}{depth}")


def plain_network(depth=20, input_shape=(32, 32, 3), classes=10, *, width=16, name=None, **kwargs):
    """The plain twin of ``cifar_resnet``: same layers and parameters, no shortcuts."""
    return cifar_resnet(depth, input_shape, classes, width=width, residual=False, name=name, **kwargs)


def _preact_bottleneck(x, width, strides, projection, name, bn_epsilon):
    """Pre-activation bottleneck (``keras.applications`` ResNetV2 layout), ``(B,H,W,C) -> (B,H/s,W/s,4w)``.

    BN -> ReLU first; the projection shortcut (first block of a stage) reads that
    pre-activated tensor, an identity shortcut reads ``x`` itself (subsampled by a
    1x1 max-pool when ``strides`` is 2). Main path: 1x1 (w, no bias) -> BN -> ReLU ->
    3x3/s (w, no bias) -> BN -> ReLU -> 1x1 (4w). Nothing follows the addition.
    """
    pre = layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}_preact_bn")(x)
    pre = layers.Activation("relu", name=f"{name}_preact_relu")(pre)
    if projection:
        shortcut = layers.Conv2D(4 * width, 1, strides=strides, name=f"{name}_0_conv")(pre)
    elif strides > 1:
        shortcut = layers.MaxPooling2D(1, strides=strides, name=f"{name}_0_pool")(x)
    else:
        shortcut = x
    y = layers.Conv2D(width, 1, use_bias=False, name=f"{name}_1_conv")(pre)
    y = layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(y)
    y = layers.Conv2D(width, 3, strides=strides, use_bias=False, name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(epsilon=bn_epsilon, name=f"{name}_2_bn")(y)
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    y = layers.Conv2D(4 * width, 1, name=f"{name}_3_conv")(y)
    return layers.Add(name=f"{name}_out")([shortcut, y])


def resnet_v2(
    depth=50,
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    name=None,
    *,
    bn_epsilon=KERAS_BN_EPSILON,
):
    """Pre-activation ResNet-50/101/152 (v2), the networks of ``keras.applications.ResNet50V2`` etc.

    Built from the same ``IMAGENET_STAGES`` table as ``resnet``, with Keras' layer
    names, so ``copy_weights_by_name`` moves weights from ``keras.applications``.
    Differences from v1: BN -> ReLU -> conv inside each block and nothing after the
    addition; no BatchNormalization in the stem, ``post_bn``/``post_relu`` before the
    pooling instead; as in Keras, each stage downsamples in its *last* block (stride 2
    on the 3x3 convolution), conv5 not at all. ``(batch, H, W, 3) -> (batch, classes)``;
    25,613,800 parameters for depth 50 at the defaults.
    """
    _validate.one_of(
        "depth", depth, [d for d, (kind, _) in sorted(IMAGENET_STAGES.items()) if kind == "bottleneck"]
    )
    input_shape, classes = _check_top_args(input_shape, include_top, pooling, classes)
    _, depths = IMAGENET_STAGES[depth]

    inputs = keras.Input(shape=input_shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (blocks, width) in enumerate(zip(depths, _STAGE_WIDTHS), start=2):
        last_stride = 1 if stage == 2 + len(depths) - 1 else 2
        for block in range(1, blocks + 1):
            strides = last_stride if block == blocks else 1
            x = _preact_bottleneck(x, width, strides, block == 1, f"conv{stage}_block{block}", bn_epsilon)
    x = layers.BatchNormalization(epsilon=bn_epsilon, name="post_bn")(x)
    x = layers.Activation("relu", name="post_relu")(x)

    x = _top(x, include_top, pooling, classes, classifier_activation)
    return keras.Model(inputs, x, name=name or f"resnet{depth}v2")


def set_batchnorm_momentum(model, momentum):
    """Set the running-average momentum of every BatchNormalization layer in ``model``; returns it.

    Keras' default, 0.99, lets the running mean and variance (used at inference)
    follow the batch statistics only over a few hundred steps, so after a short
    run they still lag the weights and validation accuracy trails far behind the
    training accuracy. 0.9 (PyTorch's default, there written 0.1) keeps up within a
    few dozen steps. Call it before ``compile``.
    """
    if isinstance(momentum, bool) or not isinstance(momentum, int | float) or not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}.")
    _validate.keras_model("model", model)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            set_batchnorm_momentum(layer, momentum)
        elif isinstance(layer, layers.BatchNormalization):
            layer.momentum = float(momentum)
    return model
