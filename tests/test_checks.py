"""The exercise checks accept correct blocks and catch each classic mistake with a clear message.

Each wrong implementation below is a mistake found in the seed notebooks or one that
students commonly make; the test asserts the check fails *and* says the right thing.
"""

import inspect

import resnet_lib as rl
from resnet_lib import checks

import keras
import numpy as np
import pytest
from keras.layers import Activation, Add, BatchNormalization, Conv2D


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


# ----------------------------------------------------------------------------- advice that fits the mistake


def conv_block_valid_padding(x, f, filters, strides=2, name=None):
    f1, f2, f3 = filters
    shortcut = BatchNormalization()(Conv2D(f3, 1, strides=strides)(x))
    y = Activation("relu")(BatchNormalization()(Conv2D(f1, 1, strides=strides)(x)))
    y = Activation("relu")(BatchNormalization()(Conv2D(f2, f, padding="valid")(y)))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, shortcut]))


def conv_block_stride_twice(x, f, filters, strides=2, name=None):
    f1, f2, f3 = filters
    shortcut = BatchNormalization()(Conv2D(f3, 1, strides=strides)(x))
    y = Activation("relu")(BatchNormalization()(Conv2D(f1, 1, strides=strides)(x)))
    y = Activation("relu")(BatchNormalization()(Conv2D(f2, f, strides=strides, padding="same")(y)))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, shortcut]))


def identity_valid_padding_uncropped(x, f, filters, name=None):
    f1, f2, f3 = filters
    y = Activation("relu")(BatchNormalization()(Conv2D(f1, 1)(x)))
    y = Activation("relu")(BatchNormalization()(Conv2D(f2, f)(y)))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, x]))


def conv_block_without_name(x, kernel_size, filters, strides=2):
    return conv_block_keras_style(x, kernel_size, filters, strides)


def conv_block_relu_inside_conv(x, f, filters, strides=2, name=None):
    f1, f2, f3 = filters
    shortcut = BatchNormalization()(Conv2D(f3, 1, strides=strides)(x))
    y = BatchNormalization()(Conv2D(f1, 1, strides=strides, activation="relu")(x))
    y = BatchNormalization()(Conv2D(f2, f, padding="same", activation="relu")(y))
    y = BatchNormalization()(Conv2D(f3, 1)(y))
    return Activation("relu")(Add()([y, shortcut]))


def assert_advice(check, fn, must_say, must_not_say):
    """``check(fn)`` fails, saying every phrase of ``must_say`` and none of ``must_not_say``."""
    with pytest.raises(AssertionError) as err:
        check(fn)
    text = str(err.value)
    for phrase in must_say:
        assert phrase in text, text
    for phrase in must_not_say:
        assert phrase not in text, text


@pytest.mark.parametrize(
    ("check", "fn", "must_say", "must_not_say"),
    [
        (
            checks.check_convolutional_block,
            conv_block_valid_padding,
            ["different shapes", "padding='same'"],
            [],
        ),
        (checks.check_convolutional_block, conv_block_stride_twice, ["shrink the grid differently"], []),
        (
            checks.check_convolutional_block,
            adds_unprojected_input,
            ["different shapes", "you add the block's input, of shape (8, 8, 6)"],
            [],
        ),
        (
            checks.check_identity_block,
            identity_valid_padding_uncropped,
            ["different shapes", "padding='same'"],
            ["projected"],
        ),
        (checks.check_convolutional_block, conv_block_without_name, ["keep the signature", "name=None"], []),
        (
            checks.check_convolutional_block,
            relu_before_add,
            ["differs from the reference", "ReLU 4 times"],
            [],
        ),
        (checks.check_convolutional_block, conv_block_relu_inside_conv, ["apply ReLU themselves"], []),
    ],
)
def test_the_advice_fits_the_mistake(check, fn, must_say, must_not_say):
    assert_advice(check, fn, must_say, must_not_say)


# ----------------------------------------------------------------------------- every argument is used


def identity_fixed_kernel(x, kernel_size, filters, name=None):
    """Ignores kernel_size: the middle convolution is always 3x3."""
    return Activation("relu")(Add()([_main_path(x, 3, filters), x]))


def conv_block_fixed_kernel(x, kernel_size, filters, strides=2, name=None):
    return conv_block_keras_style(x, 3, filters, strides)


def conv_block_fixed_strides_2(x, kernel_size, filters, strides=2, name=None):
    """Hard-codes the stride of ResNet-50's later stages; its first stage uses strides=1."""
    return conv_block_keras_style(x, kernel_size, filters, 2)


def conv_block_fixed_strides_1(x, kernel_size, filters, strides=2, name=None):
    return conv_block_keras_style(x, kernel_size, filters, 1)


def conv_block_main_path_strides_2(x, kernel_size, filters, strides=2, name=None):
    """Uses the strides argument on the shortcut only; the main path always has stride 2."""
    shortcut = BatchNormalization()(Conv2D(filters[2], 1, strides=strides)(x))
    x = _main_path(x, kernel_size, filters, 2)
    return Activation("relu")(Add()([x, shortcut]))


@pytest.mark.parametrize(
    ("check", "fn", "must_say"),
    [
        (
            checks.check_identity_block,
            identity_fixed_kernel,
            ["with kernel_size=5", "3x3 kernel", "use the kernel_size argument instead of a fixed 3"],
        ),
        (
            checks.check_convolutional_block,
            conv_block_fixed_kernel,
            [
                "with kernel_size=5, strides=1",
                "3x3 kernel",
                "use the kernel_size argument instead of a fixed 3",
            ],
        ),
        (
            checks.check_convolutional_block,
            conv_block_fixed_strides_2,
            ["with kernel_size=5, strides=1", "output shape is", "use the strides argument", "first stage"],
        ),
        (
            checks.check_convolutional_block,
            conv_block_fixed_strides_1,
            ["with kernel_size=3, strides=2", "output shape is", "use the strides argument"],
        ),
        (
            checks.check_convolutional_block,
            conv_block_main_path_strides_2,
            ["with kernel_size=5, strides=1", "different shapes", "use the strides argument"],
        ),
    ],
)
def test_a_block_that_ignores_an_argument_fails_naming_it(check, fn, must_say):
    with pytest.raises(AssertionError) as err:
        check(fn)
    text = str(err.value)
    for phrase in must_say:
        assert phrase in text, text
    assert "What to do:" in text


# ----------------------------------------------------------------------------- undefined names


def conv_block_missing_import(x, kernel_size, filters, strides=2, name=None):
    x = ZeroPadding2D(1)(x)  # noqa: F821 - not imported
    return conv_block_keras_style(x, kernel_size, filters, strides)


def identity_block_typo(x, kernel_size, filters, name=None):
    shortcut = x
    x = _main_path(x, kernel_size, filters)
    return Activaton("relu")(Add()([x, shortcut]))  # noqa: F821 - a typo


@pytest.mark.parametrize(
    ("check", "fn", "must_say", "must_not_say"),
    [
        (
            checks.check_convolutional_block,
            seed_conv_block,
            ["uses a variable before giving it a value", "shortcut = x"],
            ["not defined"],
        ),
        (
            checks.check_convolutional_block,
            conv_block_missing_import,
            ["name 'ZeroPadding2D' is not defined", "from keras.layers import ZeroPadding2D", "spelling"],
            ["before giving it a value", "shortcut = x"],
        ),
        (
            checks.check_identity_block,
            identity_block_typo,
            ["name 'Activaton' is not defined", "spelling"],
            ["before giving it a value", "shortcut = x"],
        ),
    ],
)
def test_a_name_error_gets_advice_that_fits(check, fn, must_say, must_not_say):
    """An UnboundLocalError is the unsaved shortcut; any other NameError a missing import or a typo."""
    assert_advice(check, fn, must_say, must_not_say)


# ----------------------------------------------------------------------------- counting exercises


def _conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def identity_params(kernel_size, filters, *, bias=True, moving=True):
    f1, f2, f3 = filters
    per_bn = 4 if moving else 2
    convs = _conv(1, f3, f1, bias) + _conv(kernel_size, f1, f2, bias) + _conv(1, f2, f3, bias)
    return convs + per_bn * (f1 + f2 + f3)


def stage_params(c_in, width, blocks, *, first_reads=None, projections="first"):
    out = 4 * width

    def main(c):
        return identity_params(3, (width, width, out)) - _conv(1, out, width) + _conv(1, c, width)

    projection = _conv(1, c_in, out) + 4 * out
    total = main(first_reads or c_in) + (projection if projections else 0) + (blocks - 1) * main(out)
    if projections == "all":
        total += (blocks - 1) * (_conv(1, out, out) + 4 * out)
    return total


def resnet_params(depth, classes, *, classifier_bias=True):
    depths = rl.models.IMAGENET_STAGES[depth][1]
    total, c_in = _conv(7, 3, 64) + 4 * 64, 64
    for width, blocks in zip((64, 128, 256, 512), depths):
        total += stage_params(c_in, width, blocks)
        c_in = 4 * width
    return total + 2048 * classes + (classes if classifier_bias else 0)


def test_correct_counts_pass():
    checks.check_identity_block_params(identity_params)
    checks.check_stage_params(stage_params)
    checks.check_resnet_params(resnet_params)


@pytest.mark.parametrize(
    ("check", "fn", "message"),
    [
        (
            checks.check_identity_block_params,
            lambda k, f: identity_params(k, f, bias=False),
            "convolution biases",
        ),
        (checks.check_identity_block_params, lambda k, f: identity_params(k, f, moving=False), "moving mean"),
        (checks.check_identity_block_params, lambda k, f: str(identity_params(k, f)), "not a number"),
        (checks.check_identity_block_params, lambda k, f: identity_params(k, f) + 1, "off by \\+1"),
        (
            checks.check_stage_params,
            lambda c, w, b: stage_params(c, w, b, first_reads=4 * w),
            "reads the stage's input",
        ),
        (
            checks.check_stage_params,
            lambda c, w, b: stage_params(c, w, b, projections=None),
            "projection shortcut",
        ),
        (
            checks.check_stage_params,
            lambda c, w, b: stage_params(c, w, b, projections="all"),
            "only the first block",
        ),
        (
            checks.check_resnet_params,
            lambda d, c: resnet_params(d, c, classifier_bias=False),
            "bias per class",
        ),
        (
            checks.check_resnet_params,
            lambda d, c: resnet_params(d, c) - 2048 * c - c,
            "leaves out the classifier",
        ),
    ],
)
def test_count_mistakes_are_named(check, fn, message):
    with pytest.raises(AssertionError, match=message) as err:
        check(fn)
    assert "What to do:" in str(err.value)


def test_keras_figures_in_the_resnet_check_match_the_library():
    for (depth, classes), count in checks.KERAS_APPLICATIONS_PARAMS.items():
        assert resnet_params(depth, classes) == count


# ----------------------------------------------------------------------------- option A, written by a student


def pad_at_the_end(x, out_channels, strides):
    x = x[:, ::strides, ::strides, :]
    return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, out_channels - x.shape[-1]]])


def pad_in_front(x, out_channels, strides):
    x = x[:, ::strides, ::strides, :]
    return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [out_channels - x.shape[-1], 0]])


def pad_with_numpy(x, out_channels, strides):
    x = np.asarray(x)[:, ::strides, ::strides, :]
    return np.pad(x, [[0, 0], [0, 0], [0, 0], [0, out_channels - x.shape[-1]]])


def pad_wrong_phase(x, out_channels, strides):
    return pad_at_the_end(x[:, strides - 1 :, strides - 1 :, :], out_channels, strides)


def pad_after_averaging(x, out_channels, strides):
    x = keras.layers.AveragePooling2D(strides, padding="same")(x)
    return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, out_channels - x.shape[-1]]])


def pad_with_ones(x, out_channels, strides):
    x = x[:, ::strides, ::strides, :]
    return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, out_channels - x.shape[-1]]], constant_values=1.0)


def projection_instead(x, out_channels, strides):
    return Conv2D(out_channels, 1, strides=strides, padding="same")(x)


@pytest.mark.parametrize(
    "fn", [pad_at_the_end, pad_in_front, lambda x, c, s: rl.blocks.ZeroPadShortcut(c, s)(x)]
)
def test_correct_zero_pad_shortcuts_pass(fn):
    checks.check_zero_pad_shortcut(fn)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (pad_with_numpy, "Functional model"),
        (pad_wrong_phase, "rows and columns 0, 2, 4"),
        (pad_after_averaging, "does not hold the subsampled input"),
        (pad_with_ones, "new channels are not all zero"),
        (projection_instead, "option A has none"),
    ],
)
def test_zero_pad_mistakes_are_caught(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_zero_pad_shortcut(fn)


def test_unwritten_count_and_shortcut_exercises_say_so():
    def stub(*args):
        raise NotImplementedError("write this function")

    for check in (
        checks.check_identity_block_params,
        checks.check_stage_params,
        checks.check_resnet_params,
        checks.check_zero_pad_shortcut,
    ):
        with pytest.raises(AssertionError, match="not written yet"):
            check(stub)


def test_every_check_says_when_the_exercise_is_not_written_yet():
    """Each check calls the student's function through ``call``, never directly.

    The checks are found by name, so a new check is covered too; one test for all of them
    (each check is fast on a stub) keeps the file quick.
    """

    def stub(*args, **kwargs):
        raise NotImplementedError

    found = {
        name: fn
        for name, fn in inspect.getmembers(checks, inspect.isfunction)
        if name.startswith("check_") and fn.__module__.startswith(f"{checks.__name__}.")
    }
    assert {"check_identity_block", "check_convolutional_block", "check_smooth_labels"} <= set(found)
    wrong = {}
    for name, check in found.items():
        try:
            check(stub)
        except AssertionError as err:
            if "not written yet" not in str(err):
                wrong[name] = f"AssertionError without 'not written yet': {err}"
        except Exception as err:  # report every check that lets the stub's error out
            wrong[name] = f"{err.__class__.__name__} escaped the check: {err!r}"
        else:
            wrong[name] = "the check passed a stub"
    assert not wrong, "\n".join(f"{name}: {why}" for name, why in wrong.items())
