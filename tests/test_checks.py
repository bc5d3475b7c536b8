"""The exercise checks accept correct blocks and catch each classic mistake with a clear message.

Each wrong implementation below is a mistake found in the seed notebooks or one that
students commonly make; the test asserts the check fails *and* says the right thing.
"""

import keras
import pytest
from keras.layers import Activation, Add, BatchNormalization, Conv2D

import resnet_lib as rl
from resnet_lib import checks


def _main_path(x, f, filters, strides=1, *, bn_training=None, stride_on="first"):
    f1, f2, f3 = filters
    bn = (
        (lambda t: BatchNormalization()(t, training=True))
        if bn_training
        else (lambda t: BatchNormalization()(t))
    )
    x = Conv2D(f1, 1, strides=strides if stride_on == "first" else 1)(x)
    x = Activation("relu")(bn(x))
    x = Conv2D(f2, f, strides=strides if stride_on == "middle" else 1, padding="same")(x)
    x = Activation("relu")(BatchNormalization()(x))
    x = Conv2D(f3, 1)(x)
    return BatchNormalization()(x)


# ----------------------------------------------------------------------------- correct variants


def conv_block_keras_style(x, kernel_size, filters, strides=2, name=None):
    """Written differently from the library (no names, shortcut built last, default epsilon)."""
    shortcut = x
    x = _main_path(x, kernel_size, filters, strides)
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(shortcut))
    return Activation("relu")(Add()([x, shortcut]))


def identity_block_plain_keras(x, kernel_size, filters, name=None):
    shortcut = x
    x = _main_path(x, kernel_size, filters)
    return Activation("relu")(Add()([shortcut, x]))


@pytest.mark.parametrize("fn", [rl.identity_block, identity_block_plain_keras])
def test_correct_identity_blocks_pass(fn):
    checks.check_identity_block(fn)


@pytest.mark.parametrize("fn", [rl.convolutional_block, conv_block_keras_style])
def test_correct_convolutional_blocks_pass(fn):
    checks.check_convolutional_block(fn)


# ----------------------------------------------------------------------------- convolutional block mistakes


def seed_conv_block(X, f, filters, strides=2, name=None):
    """The seed notebook's block: X_shortcut used before assignment, and X_in added."""
    X_in = X
    X = _main_path(X, f, filters, strides)
    X_shortcut = Conv2D(filters[2], 1, strides=strides)(X_shortcut)  # noqa: F821
    X_shortcut = BatchNormalization()(X_shortcut)
    X = Add()([X, X_in])
    return Activation("relu")(X)


def adds_unprojected_input(x, f, filters, strides=2, name=None):
    shortcut = x
    x = _main_path(x, f, filters, strides)
    BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(shortcut))  # computed, never used
    return Activation("relu")(Add()([x, shortcut]))


def no_relu_after_add(x, f, filters, strides=2, name=None):
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(x))
    return Add()([_main_path(x, f, filters, strides), shortcut])


def bn_training_hard_coded(x, f, filters, strides=2, name=None):
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(x))
    x = _main_path(x, f, filters, strides, bn_training=True)
    return Activation("relu")(Add()([x, shortcut]))


def stride_on_the_3x3(x, f, filters, strides=2, name=None):
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(x))
    x = _main_path(x, f, filters, strides, stride_on="middle")
    return Activation("relu")(Add()([x, shortcut]))


def no_bn_on_projection(x, f, filters, strides=2, name=None):
    shortcut = Conv2D(filters[2], 1, strides=strides)(x)
    return Activation("relu")(Add()([_main_path(x, f, filters, strides), shortcut]))


def stride_ignored(x, f, filters, strides=2, name=None):
    shortcut = BatchNormalization()(Conv2D(filters[2], 1)(x))
    return Activation("relu")(Add()([_main_path(x, f, filters, 1), shortcut]))


def relu_before_add(x, f, filters, strides=2, name=None):
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(x))
    x = Activation("relu")(_main_path(x, f, filters, strides))
    return Activation("relu")(Add()([x, shortcut]))


def returns_nothing(x, f, filters, strides=2, name=None):
    _main_path(x, f, filters, strides)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (seed_conv_block, "uses a variable before giving it a value"),
        (adds_unprojected_input, "different shapes"),
        (no_relu_after_add, "no ReLU after the addition"),
        (bn_training_hard_coded, "BatchNormalization is using batch statistics"),
        (stride_on_the_3x3, "stride is on the wrong convolution"),
        (no_bn_on_projection, "expected 4 BatchNormalization layers, found 3"),
        (stride_ignored, "output shape is"),
        (relu_before_add, "differs from the reference"),
        (returns_nothing, "returned None"),
    ],
)
def test_convolutional_block_mistakes_are_caught(fn, message):
    with pytest.raises(AssertionError, match=message) as err:
        checks.check_convolutional_block(fn)
    assert "What to do:" in str(err.value)


# ----------------------------------------------------------------------------- identity block mistakes


def identity_no_shortcut(x, f, filters, name=None):
    return Activation("relu")(_main_path(x, f, filters))


def identity_adds_input_twice(x, f, filters, name=None):
    y = _main_path(x, f, filters)
    return Activation("relu")(Add()([y, x, x]))


def identity_no_relu(x, f, filters, name=None):
    return Add()([_main_path(x, f, filters), x])


def identity_bn_training(x, f, filters, name=None):
    return Activation("relu")(Add()([_main_path(x, f, filters, bn_training=True), x]))


def identity_valid_padding(x, f, filters, name=None):
    f1, f2, f3 = filters
    y = Activation("relu")(BatchNormalization()(Conv2D(f1, 1)(x)))
    y = Activation("relu")(BatchNormalization()(Conv2D(f2, f, padding="valid")(y)))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, keras.layers.Cropping2D(1)(x)]))


def identity_missing_bn(x, f, filters, name=None):
    f1, f2, f3 = filters
    y = Activation("relu")(Conv2D(f1, 1)(x))
    y = Activation("relu")(BatchNormalization()(Conv2D(f2, f, padding="same")(y)))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, x]))


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (identity_no_shortcut, "shortcut is not added"),
        (identity_adds_input_twice, "differs from the reference"),
        (identity_no_relu, "no ReLU after the addition"),
        (identity_bn_training, "batch statistics"),
        (identity_valid_padding, "output shape"),
        (identity_missing_bn, "expected 3 BatchNormalization layers"),
    ],
)
def test_identity_block_mistakes_are_caught(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_identity_block(fn)


def test_a_not_implemented_stub_gets_a_student_facing_message():
    def stub(x, kernel_size, filters, name=None):
        raise NotImplementedError("write identity_block")

    with pytest.raises(AssertionError, match="not written yet"):
        checks.check_identity_block(stub)
