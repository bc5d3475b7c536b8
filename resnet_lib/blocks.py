"""Residual blocks as Functional Keras 3 building blocks.

Every block takes a channels-last tensor ``x`` of shape ``(batch, H, W, C)`` and
returns a tensor; the layers are named and configured as in ``keras.applications``
so that weights can be copied between the two by name:

``{name}_preact_bn/_preact_relu``  BatchNormalization and ReLU in front of a v2 block
``{name}_0_conv/_0_bn``  projection shortcut (where the shape changes)
``{name}_1_conv/_1_bn/_1_relu``, ``{name}_2_...``, ``{name}_3_conv/_3_bn``  main path
``{name}_add``, ``{name}_out``  the addition and the ReLU after it (a v2 block ends with the addition)
"""

from __future__ import annotations

import keras
from keras import layers

from . import _validate

#: BatchNormalization epsilon used by ``keras.applications.ResNet50``.
KERAS_BN_EPSILON = 1.001e-5
SHORTCUTS = ("projection", "zero_pad")


def _name(prefix: str | None, suffix: str) -> str | None:
    return None if prefix is None else f"{prefix}_{suffix}"


def bn_relu(x, name, bn_epsilon, *, relu=True, zero_gamma=False):
    """BatchNormalization over the channels (axis 3, as keras.applications writes it) -> ReLU."""
    gamma = "zeros" if zero_gamma else "ones"
    x = layers.BatchNormalization(
        axis=3, epsilon=bn_epsilon, gamma_initializer=gamma, name=_name(name, "bn")
    )(x)
    return layers.Activation("relu", name=_name(name, "relu"))(x) if relu else x


def conv_bn(x, filters, kernel_size, strides, name, bn_epsilon, *, relu=True, zero_gamma=False):
    """Conv2D -> BatchNormalization (-> ReLU); a kxk convolution pads to keep the grid, a 1x1 needs none."""
    padding = "valid" if kernel_size == 1 else "same"
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, name=_name(name, "conv"))(x)
    return bn_relu(x, name, bn_epsilon, relu=relu, zero_gamma=zero_gamma)


def _channels(x) -> int:
    if len(x.shape) != 4:
        raise ValueError(
            f"x must be a 4-D image tensor (batch, height, width, channels); got shape {tuple(x.shape)}."
        )
    return int(x.shape[-1])


def identity_block(
    x, kernel_size, filters, name=None, *, bn_epsilon=KERAS_BN_EPSILON, zero_init_last_bn=False
):
    """Bottleneck block whose shortcut is the input itself: ``relu(F(x) + x)``.

    ``F`` is 1x1 (F1) -> kxk (F2) -> 1x1 (F3), each followed by BatchNormalization,
    with ReLU after the first two. The input must already have F3 channels, because
    the shortcut adds ``x`` unchanged. Input and output shape: ``(batch, H, W, F3)``.

    ``zero_init_last_bn=True`` starts the last BatchNormalization's gamma at zero, so
    the block is exactly ``relu(x)`` at initialisation.
    """
    k = _validate.positive_int("kernel_size", kernel_size)
    f1, f2, f3 = _validate.filters3("filters", filters)
    c = _channels(x)
    if c != f3:
        raise ValueError(
            f"identity_block adds its input unchanged, so the input's {c} channels must equal "
            f"filters[2]={f3}. Use convolutional_block (projection shortcut) where the shape changes."
        )
    shortcut = x
    x = conv_bn(x, f1, 1, 1, _name(name, "1"), bn_epsilon)
    x = conv_bn(x, f2, k, 1, _name(name, "2"), bn_epsilon)
    x = conv_bn(x, f3, 1, 1, _name(name, "3"), bn_epsilon, relu=False, zero_gamma=zero_init_last_bn)
    x = layers.Add(name=_name(name, "add"))([shortcut, x])
    return layers.Activation("relu", name=_name(name, "out"))(x)


def convolutional_block(
    x, kernel_size, filters, strides=2, name=None, *, bn_epsilon=KERAS_BN_EPSILON, zero_init_last_bn=False
):
    """Bottleneck block with a 1x1 projection shortcut, for where the shape changes.

    Main path: 1x1 (F1, stride ``strides``) -> kxk (F2) -> 1x1 (F3), BatchNormalization
    after each. Shortcut: 1x1 convolution (F3, stride ``strides``) + BatchNormalization.
    Output: ``relu(main + shortcut)``, shape ``(batch, ceil(H/s), ceil(W/s), F3)``.
    The stride sits on the first 1x1 convolution, as in the paper and keras.applications.
    """
    k = _validate.positive_int("kernel_size", kernel_size)
    f1, f2, f3 = _validate.filters3("filters", filters)
    s = _validate.positive_int("strides", strides)
    _channels(x)
    shortcut = conv_bn(x, f3, 1, s, _name(name, "0"), bn_epsilon, relu=False)
    x = conv_bn(x, f1, 1, s, _name(name, "1"), bn_epsilon)
    x = conv_bn(x, f2, k, 1, _name(name, "2"), bn_epsilon)
    x = conv_bn(x, f3, 1, 1, _name(name, "3"), bn_epsilon, relu=False, zero_gamma=zero_init_last_bn)
    x = layers.Add(name=_name(name, "add"))([shortcut, x])
    return layers.Activation("relu", name=_name(name, "out"))(x)


def preact_bottleneck_block(x, kernel_size, filters, strides=1, name=None, *, bn_epsilon=KERAS_BN_EPSILON):
    """Pre-activation (v2) bottleneck, the block of ``keras.applications.ResNet50V2``: ``x + F(x)``.

    BN -> ReLU first, then 1x1 (F1, no bias) -> BN -> ReLU -> kxk with stride ``strides``
    (F2, no bias) -> BN -> ReLU -> 1x1 (F3); nothing follows the addition. The shortcut is
    ``x`` itself, a 1x1 max-pool with stride ``strides`` where only the grid shrinks, or a
    1x1 projection of the pre-activated ``x`` where the channels change.
    ``(batch, H, W, C) -> (batch, ceil(H/s), ceil(W/s), F3)``.
    """
    k = _validate.positive_int("kernel_size", kernel_size)
    f1, f2, f3 = _validate.filters3("filters", filters)
    s = _validate.positive_int("strides", strides)
    c = _channels(x)
    activated = bn_relu(x, _name(name, "preact"), bn_epsilon)
    if c != f3:
        shortcut = layers.Conv2D(f3, 1, strides=s, name=_name(name, "0_conv"))(activated)
    elif s > 1:
        shortcut = layers.MaxPooling2D(1, strides=s)(x)  # left unnamed, as in Keras
    else:
        shortcut = x
    y = layers.Conv2D(f1, 1, use_bias=False, name=_name(name, "1_conv"))(activated)
    y = bn_relu(y, _name(name, "1"), bn_epsilon)
    pad = ((k - 1) // 2, k // 2)  # "same" padding, written out as Keras does before a strided kxk
    y = layers.ZeroPadding2D((pad, pad), name=_name(name, "2_pad"))(y)
    y = layers.Conv2D(f2, k, strides=s, use_bias=False, name=_name(name, "2_conv"))(y)
    y = bn_relu(y, _name(name, "2"), bn_epsilon)
    y = layers.Conv2D(f3, 1, name=_name(name, "3_conv"))(y)
    return layers.Add(name=_name(name, "out"))([shortcut, y])


@keras.saving.register_keras_serializable(package="resnet_lib")
class ZeroPadShortcut(layers.Layer):
    """The paper's option-A shortcut: subsample by ``strides`` and zero-pad new channels.

    It has no parameters: ``(batch, H, W, C) -> (batch, ceil(H/s), ceil(W/s), out_channels)``.
    """

    def __init__(self, out_channels, strides=2, **kwargs):
        super().__init__(**kwargs)
        self.out_channels = _validate.positive_int("out_channels", out_channels)
        self.strides = _validate.positive_int("strides", strides)

    def call(self, x):
        x = x[:, :: self.strides, :: self.strides, :]
        extra = self.out_channels - x.shape[-1]
        if extra < 0:
            raise ValueError(
                f"ZeroPadShortcut cannot reduce channels: input has {x.shape[-1]}, "
                f"out_channels={self.out_channels}."
            )
        low = extra // 2
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [low, extra - low]])

    def get_config(self):
        return {**super().get_config(), "out_channels": self.out_channels, "strides": self.strides}


def basic_block(
    x,
    filters,
    strides=1,
    name=None,
    *,
    shortcut="projection",
    residual=True,
    preact=False,
    bn_epsilon=KERAS_BN_EPSILON,
):
    """Two 3x3 convolutions, the block of ResNet-18/34 and the CIFAR ResNets.

    ``(batch, H, W, C) -> (batch, ceil(H/s), ceil(W/s), filters)``.

    - ``shortcut``: when the shape changes, ``"projection"`` (1x1 conv + BN, option B)
      or ``"zero_pad"`` (subsample + zero channels, option A, no parameters).
    - ``residual=False`` drops the shortcut: the plain network of the same depth.
    - ``preact=True`` is the pre-activation (v2) order BN -> ReLU -> conv, with the
      addition as the last operation and no ReLU after it; as in
      ``preact_bottleneck_block``, a projection reads the pre-activated input.
    """
    filters = _validate.positive_int("filters", filters)
    s = _validate.positive_int("strides", strides)
    _validate.one_of("shortcut", shortcut, SHORTCUTS)
    c = _channels(x)

    activated = bn_relu(x, _name(name, "preact"), bn_epsilon) if preact else x
    y = conv_bn(activated, filters, 3, s, _name(name, "1"), bn_epsilon)
    if preact:
        y = layers.Conv2D(filters, 3, padding="same", name=_name(name, "2_conv"))(y)
    else:
        y = conv_bn(y, filters, 3, 1, _name(name, "2"), bn_epsilon, relu=not residual)

    if not residual:
        return y
    if s == 1 and c == filters:
        short = x
    elif shortcut == "zero_pad":
        short = ZeroPadShortcut(filters, s, name=_name(name, "0_pad"))(x)
    elif preact:
        short = layers.Conv2D(filters, 1, strides=s, name=_name(name, "0_conv"))(activated)
    else:
        short = conv_bn(x, filters, 1, s, _name(name, "0"), bn_epsilon, relu=False)
    y = layers.Add(name=_name(name, "add"))([short, y])
    return y if preact else layers.Activation("relu", name=_name(name, "out"))(y)
