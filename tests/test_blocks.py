"""The residual blocks: shapes, parameters, names, the identity at initialisation."""

import resnet_lib as rl

import keras
import numpy as np
import pytest


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


@pytest.mark.parametrize("kernel_size", [1, 2, 4, 5])
def test_blocks_take_any_kernel_size(kernel_size):
    # Even sizes too, as in Keras and in the Deep Learning Specialization's tests of these blocks (f=2).
    identity = _model(rl.identity_block, (8, 8, 16), kernel_size, [4, 4, 16], name="i")
    assert tuple(identity.output.shape) == (None, 8, 8, 16)
    assert tuple(identity.get_layer("i_2_conv").kernel.shape) == (kernel_size, kernel_size, 4, 4)
    projection = _model(rl.convolutional_block, (8, 8, 16), kernel_size, [4, 4, 32], strides=2)
    assert tuple(projection.output.shape) == (None, 4, 4, 32)
    preact = _model(rl.blocks.preact_bottleneck_block, (8, 8, 16), kernel_size, [4, 4, 16], 2, "p")
    assert tuple(preact.output.shape) == (None, 4, 4, 16)
    assert tuple(preact.get_layer("p_2_conv").kernel.shape) == (kernel_size, kernel_size, 4, 4)


def test_blocks_reject_bad_kernel_size_and_strides():
    with pytest.raises(ValueError, match="kernel_size"):
        _model(rl.identity_block, (8, 8, 16), 0, [4, 4, 16])
    with pytest.raises(TypeError, match="kernel_size"):
        _model(rl.blocks.preact_bottleneck_block, (8, 8, 16), 2.5, [4, 4, 16])
    with pytest.raises(ValueError, match="strides"):
        _model(rl.convolutional_block, (8, 8, 16), 3, [4, 4, 16], strides=0)


def test_preact_bottleneck_block_shortcuts():
    # As in keras.applications' ResNetV2: x itself, a 1x1 max-pool where only the grid shrinks (left
    # unnamed, as Keras leaves it), a 1x1 projection of the pre-activated x where the channels change.
    block = rl.blocks.preact_bottleneck_block
    same = _model(block, (8, 8, 16), 3, [4, 4, 16], 1, "s")
    assert same.get_layer("s_out").input[0] is same.input
    strided = _model(block, (8, 8, 16), 3, [4, 4, 16], 2, "p")
    pools = [layer for layer in strided.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert len(pools) == 1 and pools[0].name.startswith("max_pooling2d")
    assert strided.get_layer("p_out").input[0] is pools[0].output
    wider = _model(block, (8, 8, 8), 3, [4, 4, 16], 1, "w")
    assert wider.get_layer("w_0_conv").input is wider.get_layer("w_preact_relu").output
    biases = {layer.name: layer.use_bias for layer in wider.layers if isinstance(layer, keras.layers.Conv2D)}
    assert biases == {"w_0_conv": True, "w_1_conv": False, "w_2_conv": False, "w_3_conv": True}


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
