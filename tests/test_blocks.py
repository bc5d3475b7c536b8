"""The residual blocks: shapes, parameters, names, the identity at initialisation."""

import keras
import numpy as np
import pytest

import resnet_lib as rl


def _model(block, input_shape, *args, **kwargs):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def test_identity_block_shape_parameters_and_names():
    model = _model(rl.identity_block, (14, 14, 256), 3, [64, 64, 256], name="b")
    assert tuple(model.output.shape) == (None, 14, 14, 256)
    convs = (256 * 64 + 64) + (9 * 64 * 64 + 64) + (64 * 256 + 256)
    bns = 4 * (64 + 64 + 256)
    assert model.count_params() == convs + bns
    names = {layer.name for layer in model.layers}
    assert {"b_1_conv", "b_2_conv", "b_3_conv", "b_3_bn", "b_add", "b_out"} <= names
    assert "b_0_conv" not in names


def test_identity_block_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="convolutional_block"):
        _model(rl.identity_block, (8, 8, 64), 3, [64, 64, 256])


@pytest.mark.parametrize("filters", [[64, 64], [64, 64, 256, 3], "abc", 64])
def test_blocks_reject_bad_filters(filters):
    with pytest.raises((ValueError, TypeError), match="filters"):
        _model(rl.convolutional_block, (8, 8, 64), 3, filters)


def test_blocks_reject_even_kernel_and_bad_strides():
    with pytest.raises(ValueError, match="kernel_size"):
        _model(rl.identity_block, (8, 8, 16), 2, [4, 4, 16])
    with pytest.raises(ValueError, match="strides"):
        _model(rl.convolutional_block, (8, 8, 16), 3, [4, 4, 16], strides=0)


@pytest.mark.parametrize(("strides", "size"), [(1, 8), (2, 4)])
def test_convolutional_block_projects_the_shortcut(strides, size):
    model = _model(rl.convolutional_block, (8, 8, 32), 3, [16, 16, 64], strides=strides, name="c")
    assert tuple(model.output.shape) == (None, size, size, 64)
    shortcut = model.get_layer("c_0_conv")
    assert tuple(shortcut.kernel.shape) == (1, 1, 32, 64)
    assert tuple(shortcut.strides) == (strides, strides)
    assert tuple(model.get_layer("c_1_conv").strides) == (strides, strides)
    assert tuple(model.get_layer("c_2_conv").strides) == (1, 1)


def test_zero_gamma_block_is_relu_identity_at_initialisation():
    model = _model(rl.identity_block, (8, 8, 16), 3, [4, 4, 16], zero_init_last_bn=True)
    x = np.random.default_rng(0).normal(0, 1, (2, 8, 8, 16)).astype("float32")
    np.testing.assert_allclose(model(x, training=False), np.maximum(x, 0), atol=1e-6)
    plain = _model(rl.identity_block, (8, 8, 16), 3, [4, 4, 16])
    assert np.abs(np.asarray(plain(x, training=False)) - np.maximum(x, 0)).max() > 1e-2


def test_basic_block_variants():
    x = keras.Input(shape=(8, 8, 16))
    for shortcut in ("projection", "zero_pad"):
        keras.backend.clear_session()
        x = keras.Input(shape=(8, 8, 16))
        y = rl.basic_block(x, 32, strides=2, shortcut=shortcut)
        assert tuple(y.shape) == (None, 4, 4, 32)
    x = keras.Input(shape=(8, 8, 16))
    assert tuple(rl.basic_block(x, 16, residual=False).shape) == (None, 8, 8, 16)
    assert tuple(rl.basic_block(x, 32, 2, preact=True).shape) == (None, 4, 4, 32)


def test_zero_pad_shortcut_subsamples_and_pads():
    from resnet_lib.blocks import ZeroPadShortcut

    x = np.arange(2 * 4 * 4 * 2, dtype="float32").reshape(2, 4, 4, 2)
    y = np.asarray(ZeroPadShortcut(6, 2)(x))
    assert y.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(y[..., 2:4], x[:, ::2, ::2, :])
    assert not y[..., :2].any() and not y[..., 4:].any()
