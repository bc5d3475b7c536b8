"""Whole networks: the ImageNet ResNet family (v1 and v2) and the small CIFAR-style ResNets.

As in ``keras.applications``, ``resnet`` and ``resnet_v2`` each write a function that
stacks their blocks and hand it to one shell, ``imagenet_resnet``, which adds the stem,
the classifier and the weights. ``resnet(50/101/152)`` and ``resnet_v2(50/101/152)`` are
Keras' ResNet50/101/152 and ResNet50V2/101V2/152V2 (weights=None) layer for layer: the same
names, types, configurations, output shapes and parameters.
"""

from __future__ import annotations

import os

import keras
from keras import layers

from . import _validate, blocks, data
from ._paths import shown_path

#: Blocks per stage (conv2..conv5) and block type for each ImageNet ResNet depth.
IMAGENET_STAGES = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
_STAGE_WIDTHS = (64, 128, 256, 512)
#: Where Keras publishes the ImageNet weights of keras.applications' ResNets, and each file's md5
#: (with the classifier, without): the files ``{name}_weights_tf_dim_ordering_tf_kernels[_notop].h5``.
IMAGENET_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
IMAGENET_WEIGHTS_MD5 = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}


def imagenet_weights_file(name, include_top=True) -> str:
    """The local path of Keras' ImageNet weights for ``name`` (``"resnet50"``, ``"resnet101v2"``, ...).

    Downloaded once (about 100 MB) into ``models/`` of Keras' folder and checked against its md5;
    without the internet, the error says where to put a copy of the file.
    """
    _validate.one_of("name", name, list(IMAGENET_WEIGHTS_MD5))
    file = f"{name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    home = data.keras_home()
    try:
        home.mkdir(parents=True, exist_ok=True)  # get_file moves to /tmp/.keras when it is missing
        return keras.utils.get_file(
            file,
            IMAGENET_WEIGHTS_URL + file,
            cache_dir=str(home),
            cache_subdir="models",
            file_hash=IMAGENET_WEIGHTS_MD5[name][0 if include_top else 1],
        )
    except Exception as error:
        raise RuntimeError(
            f"Keras' ImageNet weights for {name} are downloaded once from {IMAGENET_WEIGHTS_URL + file}, "
            f"and that failed ({error}). Connect to the internet and try again, or copy the file {file} "
            f"into {shown_path(home / 'models')}."
        ) from error


def imagenet_resnet(
    stack,
    preact,
    input_shape,
    classes,
    include_top,
    pooling,
    classifier_activation,
    name,
    *,
    input_tensor=None,
    weights=None,
    bn_epsilon=blocks.KERAS_BN_EPSILON,
):
    """The shell of every ImageNet ResNet: stem, ``stack(x, bn_epsilon)`` (the four stages), top.

    Stem: 7x7/2 convolution, BN and ReLU (v1 only: v2 blocks start with them), 3x3/2
    max-pool: ``(batch, H, W, 3) -> (batch, H/4, W/4, 64)``. A v2 stack ends with a bare
    addition, so ``preact`` adds ``post_bn``/``post_relu``. The top: global average pooling
    and a Dense classifier, or without it the feature map, optionally pooled ("avg", "max").
    ``input_tensor``: a Keras tensor to build on instead of a new ``keras.Input``.
    ``weights``: None (random initialisation) or a file: ``.weights.h5`` (``model.save_weights``),
    or a legacy ``.h5`` such as Keras' published ImageNet weights, which loads by layer name.
    """
    if weights is not None and not (str(weights).endswith(".h5") and os.path.isfile(weights)):
        raise ValueError(
            "weights must be None, 'imagenet' (resnet, resnet_v2) or an existing weights file (.weights.h5 "
            f"from model.save_weights, or Keras' published .h5), got {weights!r}."
        )
    _validate.one_of("pooling", pooling, [None, "avg", "max"])
    if include_top:
        classes = _validate.positive_int("classes", classes)
    if input_tensor is None:
        shape = _validate.image_shape("input_shape", input_shape, min_size=32, any_size=not include_top)
        x = inputs = keras.Input(shape=shape)
    elif keras.backend.is_keras_tensor(input_tensor):
        x, inputs = input_tensor, keras.utils.get_source_inputs(input_tensor)
    else:
        raise TypeError(f"input_tensor must be a Keras tensor (from keras.Input), got {input_tensor!r}.")

    x = layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    if not preact:
        x = blocks.bn_relu(x, "conv1", bn_epsilon)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack(x, bn_epsilon)
    if preact:
        x = blocks.bn_relu(x, "post", bn_epsilon)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(inputs, x, name=name)
    if weights is not None:
        model.load_weights(weights, **({} if str(weights).endswith(".weights.h5") else {"by_name": True}))
    return model


def _imagenet(key, include_top, classes, kwargs) -> dict:
    """``kwargs`` with ``weights="imagenet"`` replaced by the path of Keras' file for ``key``."""
    if isinstance(kwargs.get("weights"), str) and kwargs["weights"] == "imagenet":
        if include_top and classes != 1000:
            raise ValueError(f"weights='imagenet' with the classifier needs classes=1000, got {classes}.")
        kwargs["weights"] = imagenet_weights_file(key, include_top)
    return kwargs


def resnet(
    depth=50,
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    name=None,
    **kwargs,
):
    """ResNet-18/34/50/101/152 (v1) from one table of stage depths, ``IMAGENET_STAGES``.

    Each stage (conv2..conv5) starts with a block that changes the shape (stride 1 in conv2,
    2 after), a ``convolutional_block``, and goes on with ``identity_block``s (``basic_block``s
    for 18 and 34). Input ``(batch, H, W, 3)``, H and W at least 32 (None without the top);
    output ``(batch, classes)``, or the feature map or pooled features without the top.
    Keyword arguments ``input_tensor``, ``weights`` and ``bn_epsilon``: see ``imagenet_resnet``;
    ``weights="imagenet"`` loads Keras' published weights (50, 101, 152), which expect inputs
    prepared by ``keras.applications.resnet.preprocess_input``.
    """
    _validate.one_of("depth", depth, sorted(IMAGENET_STAGES))
    kind, depths = IMAGENET_STAGES[depth]

    def stack(x, bn_epsilon):
        for stage, (count, width) in enumerate(zip(depths, _STAGE_WIDTHS), start=2):
            for block in range(1, count + 1):
                block_name = f"conv{stage}_block{block}"
                strides = 2 if (block == 1 and stage > 2) else 1
                filters = (width, width, 4 * width)
                if kind == "basic":
                    x = blocks.basic_block(x, width, strides, block_name, bn_epsilon=bn_epsilon)
                elif block == 1:
                    x = blocks.convolutional_block(x, 3, filters, strides, block_name, bn_epsilon=bn_epsilon)
                else:
                    x = blocks.identity_block(x, 3, filters, block_name, bn_epsilon=bn_epsilon)
        return x

    name = name or f"resnet{depth}"
    kwargs = _imagenet(f"resnet{depth}", include_top, classes, kwargs)
    return imagenet_resnet(
        stack, False, input_shape, classes, include_top, pooling, classifier_activation, name, **kwargs
    )


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


def resnet_v2(
    depth=50,
    input_shape=(224, 224, 3),
    classes=1000,
    include_top=True,
    pooling=None,
    classifier_activation="softmax",
    name=None,
    **kwargs,
):
    """Pre-activation ResNet-50/101/152 (v2), the networks of ``keras.applications.ResNet50V2`` etc.

    The same stage table and arguments as ``resnet``, with ``preact_bottleneck_block``s:
    BN -> ReLU -> conv inside each block and nothing after the addition, so the stem has no
    BN and ``post_bn``/``post_relu`` come before the top. As in Keras, each stage downsamples
    in its *last* block (stride 2 on the 3x3 convolution), conv5 not at all. ``weights="imagenet"``
    expects ``keras.applications.resnet_v2.preprocess_input``.
    """
    _validate.one_of("depth", depth, [d for d, (kind, _) in IMAGENET_STAGES.items() if kind == "bottleneck"])
    _, depths = IMAGENET_STAGES[depth]

    def stack(x, bn_epsilon):
        for stage, (count, width) in enumerate(zip(depths, _STAGE_WIDTHS), start=2):
            for block in range(1, count + 1):
                strides = 2 if (block == count and stage < 5) else 1
                filters = (width, width, 4 * width)
                block_name = f"conv{stage}_block{block}"
                x = blocks.preact_bottleneck_block(x, 3, filters, strides, block_name, bn_epsilon=bn_epsilon)
        return x

    name = name or f"resnet{depth}v2"
    kwargs = _imagenet(f"resnet{depth}v2", include_top, classes, kwargs)
    return imagenet_resnet(
        stack, True, input_shape, classes, include_top, pooling, classifier_activation, name, **kwargs
    )


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
    bn_epsilon=blocks.KERAS_BN_EPSILON,
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
    - ``preact=True``: the pre-activation (v2) ordering, with no BN in the stem and
      ``post_bn``/``post_relu`` before the pooling, as in ``resnet_v2``.
    """
    depth = _validate.positive_int("depth", depth, minimum=8)
    if (depth - 2) % 6:
        raise ValueError(
            f"depth must be 6n+2 (8, 14, 20, 32, 44, 56, 110, ...) for the CIFAR family; got {depth}."
        )
    input_shape = _validate.image_shape("input_shape", input_shape, min_size=8)
    classes = _validate.positive_int("classes", classes)
    width = _validate.positive_int("width", width)
    n = (depth - 2) // 6
    block_options = dict(shortcut=shortcut, residual=residual, preact=preact, bn_epsilon=bn_epsilon)

    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(width, 3, padding="same", name="stem_conv")(inputs)
    if not preact:
        x = blocks.bn_relu(x, "stem", bn_epsilon)
    for stage in range(3):
        for block in range(n):
            strides = 2 if (stage > 0 and block == 0) else 1
            block_name = f"stage{stage + 1}_block{block + 1}"
            x = blocks.basic_block(x, width * 2**stage, strides, block_name, **block_options)
    if preact:
        x = blocks.bn_relu(x, "post", bn_epsilon)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    kind = ("resnet" + ("v2" if preact else "")) if residual else "plain"
    return keras.Model(inputs, x, name=name or f"{kind}{depth}")


def plain_network(depth=20, input_shape=(32, 32, 3), classes=10, *, width=16, name=None, **kwargs):
    """The plain twin of ``cifar_resnet``: same layers and parameters, no shortcuts."""
    return cifar_resnet(depth, input_shape, classes, width=width, residual=False, name=name, **kwargs)


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
