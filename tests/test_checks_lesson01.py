"""Lesson 01's exercise checks accept right answers and name each classic mistake."""

import resnet_lib as rl
from resnet_lib import checks

import keras
import numpy as np
import pytest
from keras import layers


def spread(model, images, labels, *, ratio=lambda norms: max(norms) / min(norms), cast=float):
    return cast(ratio(rl.gradient_norms(model, images, labels)))


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda m, x, y: spread(m, x, y, cast=np.float32), "Python float"),
        (lambda m, x, y: spread(m, x, y, ratio=lambda n: min(n) / max(n)), "less than 1"),
        (lambda m, x, y: spread(m, x, y, ratio=lambda n: n[0] / n[-1]), r"max\(norms\) / min\(norms\)"),
    ],
)
def test_gradient_spread_mistakes_are_named(fn, message):
    checks.check_gradient_spread(spread)
    with pytest.raises(AssertionError, match=message) as err:
        checks.check_gradient_spread(fn)
    assert "What to do:" in str(err.value)


def stack(
    blocks,
    residual,
    width=8,
    input_shape=(28, 28, 1),
    classes=10,
    *,
    fixed_width=None,
    fixed_classes=None,
    always_add=False,
    batch_norm=False,
    initializer="glorot_uniform",
    late_shortcut=False,
    model=True,
):
    """A conv_stack, right by default; each keyword plants one mistake."""

    def conv(x, relu=True):
        x = layers.Conv2D(fixed_width or width, 3, padding="same", kernel_initializer=initializer)(x)
        x = layers.BatchNormalization()(x) if batch_norm else x
        return layers.Activation("relu")(x) if relu else x

    inputs = keras.Input(shape=input_shape)
    x = conv(inputs)
    for _ in range(blocks):
        shortcut = x
        x = conv(conv(x), relu=False)
        if late_shortcut:
            shortcut = x
        if residual or always_add:
            x = layers.Add()([x, shortcut])
        x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(fixed_classes or classes, activation="softmax")(x)
    return keras.Model(inputs, outputs) if model else outputs


def test_a_right_conv_stack_passes():
    checks.check_conv_stack(stack)


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ({"model": False}, "keras.Model"),
        ({"fixed_classes": 10}, "output shape"),
        ({"fixed_width": 8}, "`width` filters"),
        ({"batch_norm": True}, "leave BatchNormalization out"),
        ({"always_add": True}, "the plain stack has 3 Add layers"),
        ({"initializer": "he_normal"}, "far smaller"),
        ({"late_shortcut": True}, "far smaller"),
    ],
)
def test_conv_stack_mistakes_are_named(mistake, message):
    with pytest.raises(AssertionError, match=message) as err:
        checks.check_conv_stack(lambda *args, **kwargs: stack(*args, **kwargs, **mistake))
    assert "What to do:" in str(err.value)


@pytest.mark.parametrize("check", [checks.check_gradient_spread, checks.check_conv_stack])
def test_unwritten_lesson01_exercises_say_so(check):
    def stub(*args, **kwargs):
        raise NotImplementedError("write this function")

    with pytest.raises(AssertionError, match="not written yet"):
        check(stub)
