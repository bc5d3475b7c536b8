"""Residual blocks as Functional Keras 3 building blocks.

Every block takes a channels-last tensor ``x`` of shape ``(batch, H, W, C)`` and
returns a tensor; the layer names follow ``keras.applications`` so that weights
can be copied between the two by name:

``{name}_0_conv/_0_bn``  projection shortcut (convolutional block only)
``{name}_1_conv/_1_bn/_1_relu``, ``{name}_2_...``, ``{name}_3_conv/_3_bn``  main path
``{name}_add``, ``{name}_out``  the addition and the ReLU after it
"""

from __future__ import annotations

import keras
from keras import layers

from . import _validate

#: BatchNormalization epsilon used by ``keras.applications.ResNet50``.
KERAS_BN_EPSILON = 1.001e-5


def _name(prefix: str | None, suffix: str) -> str | None:
    return None if prefix is None else f"{prefix}_{suffix}"


def _conv_bn(x, filters, kernel_size, strides, name, bn_epsilon, *, relu=True, zero_gamma=False):
    """Conv2D -> BatchNormalization (-> ReLU), named like keras.applications."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", name=_name(name, "conv"))(x)
    x = layers.BatchNormalization(
        epsilon=bn_epsilon,
        gamma_initializer="zeros" if zero_gamma else "ones",
        name=_name(name, "bn"),
    )(x)
    if relu:
        x = layers.Activation("relu", name=_name(name, "relu"))(x)
    return x


def _channels(x) -> int:
    if len(x.shape) != 4:
        raise ValueError(
            f"x must be a 4-D image tensor (batch, height, width, channels); got shape {tuple(x.shape)}."
        )
    return int(x.shape[-1])


def identity_block(
    x,
    kernel_size,
    filters,
    name=None,
    *,
    bn_epsilon=KERAS_BN_EPSILON,
    zero_init_last_bn=False,
):
    """Bottleneck block whose shortcut is the input itself: ``relu(F(x) + x)``.

    ``F`` is 1x1 (F1) -> kxk (F2) -> 1x1 (F3), each followed by BatchNormalization,
    with ReLU after the first two. The input must already have F3 channels, because
    the shortcut adds ``x`` unchanged. Input and output shape: ``(batch, H, W, F3)``.

    ``zero_init_last_bn=True`` starts the last BatchNormalization's gamma at zero, so
    the block is exactly ``relu(x)`` at initialisation.
    """
    k = _validate.kernel_size("kernel_size", kernel_size)
    f1, f2, f3 = _validate.filters3("filters", filters)
    c = _channels(x)
    if c != f3:
        raise ValueError(
            f"identity_block adds its input unchanged, so the input's {c} channels must equal "
            f"filters[2]={f3}. Use convolutional_block (projection shortcut) where the shape changes."
        )
    shortcut = x
    x = _conv_bn(x, f1, 1, 1, _name(name, "1"), bn_epsilon)
    x = _conv_bn(x, f2, k, 1, _name(name, "2"), bn_epsilon)
    x = _conv_bn(x, f3, 1, 1, _name(name, "3"), bn_epsilon, relu=False, zero_gamma=zero_init_last_bn)
    x = layers.Add(name=_name(name, "add"))([shortcut, x])
    return layers.Activation("relu", name=_name(name, "out"))(x)


def convolutional_block(
    x,
    kernel_size,
    filters,
    strides=2,
    name=None,
    *,
    bn_epsilon=KERAS_BN_EPSILON,
    zero_init_last_bn=False,
):
    """Bottleneck block with a 1x1 projection shortcut, for where the shape changes.

    Main path: 1x1 (F1, stride ``strides``) -> kxk (F2) -> 1x1 (F3), BatchNormalization
    after each. Shortcut: 1x1 convolution (F3, stride ``strides``) + BatchNormalization.
    Output: ``relu(main + shortcut)``, shape ``(batch, ceil(H/s), ceil(W/s), F3)``.
    The stride sits on the first 1x1 convolution, as in the paper and keras.applications.
    """
    k = _validate.kernel_size("kernel_size", kernel_size)
    f1, f2, f3 = _validate.filters3("filters", filters)
    s = _validate.positive_int("strides", strides)
    _channels(x)
    shortcut = _conv_bn(x, f3, 1, s, _name(name, "0"), bn_epsilon, relu=False)
    x = _conv_bn(x, f1, 1, s, _name(name, "1"), bn_epsilon)
    x = _conv_bn(x, f2, k, 1, _name(name, "2"), bn_epsilon)
    x = _conv_bn(x, f3, 1, 1, _name(name, "3"), bn_epsilon, relu=False, zero_gamma=zero_init_last_bn)
    x = layers.Add(name=_name(name, "add"))([shortcut, x])
    return layers.Activation("relu", name=_name(name, "out"))(x)


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

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        ceil = lambda n: None if n is None else -(-n // self.strides)  # noqa: E731
        return (b, ceil(h), ceil(w), self.out_channels)

    def get_config(self):
        return {**super().get_config(), "out_channels": self.out_channels, "strides": self.strides}


SHORTCUTS = ("projection", "zero_pad")


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
      addition as the last operation and no ReLU after it.
    """
    filters = _validate.positive_int("filters", filters)
    s = _validate.positive_int("strides", strides)
    _validate.one_of("shortcut", shortcut, SHORTCUTS)
    c = _channels(x)
    reshape = s != 1 or c != filters

    if preact:
        pre = layers.BatchNormalization(epsilon=bn_epsilon, name=_name(name, "preact_bn"))(x)
        pre = layers.Activation("relu", name=_name(name, "preact_relu"))(pre)
        y = layers.Conv2D(filters, 3, strides=s, padding="same", name=_name(name, "1_conv"))(pre)
        y = _conv_bn_relu_then_conv(y, filters, name, bn_epsilon)
        short_in = pre
    else:
        y = _conv_bn(x, filters, 3, s, _name(name, "1"), bn_epsilon)
        y = _conv_bn(y, filters, 3, 1, _name(name, "2"), bn_epsilon, relu=not residual)
        short_in = x

    if not residual:
        return y
    if not reshape:
        short = x
    elif shortcut == "zero_pad":
        short = ZeroPadShortcut(filters, s, name=_name(name, "0_pad"))(x)
    elif preact:
        short = layers.Conv2D(filters, 1, strides=s, name=_name(name, "0_conv"))(short_in)
    else:
        short = _conv_bn(x, filters, 1, s, _name(name, "0"), bn_epsilon, relu=False)
    y = layers.Add(name=_name(name, "add"))([short, y])
    if preact:
        return y
    return layers.Activation("relu", name=_name(name, "out"))(y)


def _conv_bn_relu_then_conv(y, filters, name, bn_epsilon):
    y = layers.BatchNormalization(epsilon=bn_epsilon, name=_name(name, "1_bn"))(y)
    y = layers.Activation("relu", name=_name(name, "1_relu"))(y)
    return layers.Conv2D(filters, 3, padding="same", name=_name(name, "2_conv"))(y)
