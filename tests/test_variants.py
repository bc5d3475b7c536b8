"""The cost (multiply-adds) of blocks and the depth in a ResNet's name; BatchNormalization momentum.

The whole ImageNet family, v1 and v2, its cost included, is tested in test_models.py.
"""

import resnet_lib as rl
from resnet_lib import analysis
from resnet_lib.models import IMAGENET_STAGES, set_batchnorm_momentum

import keras
import pytest


def _block_model(block, input_shape, *args, **kwargs):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def test_multiply_adds_of_a_projection_bottleneck_by_hand():
    # conv3_block1 of ResNet-50: input 56x56x256, filters (128, 128, 512), stride 2 -> 28x28x512.
    model = _block_model(rl.convolutional_block, (56, 56, 256), 3, (128, 128, 512), 2, "b")
    by_hand = {
        "b_0_conv": 28 * 28 * (1 * 1 * 256) * 512,  # shortcut projection, 1x1/2: 102,760,448
        "b_1_conv": 28 * 28 * (1 * 1 * 256) * 128,  # 1x1/2 reduce: 25,690,112
        "b_2_conv": 28 * 28 * (3 * 3 * 128) * 128,  # 3x3: 115,605,504
        "b_3_conv": 28 * 28 * (1 * 1 * 128) * 512,  # 1x1 expand: 51,380,224
    }
    assert analysis.multiply_adds_by_layer(model) == by_hand
    assert rl.count_multiply_adds(model) == sum(by_hand.values()) == 295_436_288


def test_multiply_adds_of_an_identity_bottleneck_and_a_basic_block_by_hand():
    # conv2_block2 of ResNet-50: 56x56x256 with filters (64, 64, 256).
    bottleneck = _block_model(rl.identity_block, (56, 56, 256), 3, (64, 64, 256), "b")
    by_hand = 56 * 56 * (1 * 1 * 256) * 64 + 56 * 56 * (3 * 3 * 64) * 64 + 56 * 56 * (1 * 1 * 64) * 256
    assert rl.count_multiply_adds(bottleneck) == by_hand == 218_365_952
    # conv2_block2 of ResNet-34: 56x56x64, two 3x3 convolutions with 64 filters.
    basic = _block_model(rl.basic_block, (56, 56, 64), 64, 1, "b")
    assert rl.count_multiply_adds(basic) == 2 * (56 * 56 * (3 * 3 * 64) * 64) == 231_211_008


def test_multiply_adds_of_a_strided_preact_bottleneck_by_hand():
    # conv3_block4 of ResNet-50 v2: 28x28x512, filters (128, 128, 512), stride 2 on the 3x3 -> 14x14x512;
    # the shortcut is a 1x1 max-pool, and the first 1x1 convolution still runs on the 28x28 grid.
    model = _block_model(rl.blocks.preact_bottleneck_block, (28, 28, 512), 3, (128, 128, 512), 2, "b")
    by_hand = {
        "b_1_conv": 28 * 28 * (1 * 1 * 512) * 128,
        "b_2_conv": 14 * 14 * (3 * 3 * 128) * 128,
        "b_3_conv": 14 * 14 * (1 * 1 * 128) * 512,
    }
    assert analysis.multiply_adds_by_layer(model) == by_hand
    assert tuple(model.output.shape) == (None, 14, 14, 512)
    assert any(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers)


def test_multiply_adds_ignore_batch_norm_pooling_and_additions_but_count_dense():
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8*27*4 = 6,912
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Add()([x, x])
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(5)(x)  # 4*5 = 20
    model = keras.Model(inputs, outputs)
    assert rl.count_multiply_adds(model) == 8 * 8 * 27 * 4 + 4 * 5
    nested = keras.Sequential([keras.Input(shape=(8, 8, 3)), model])
    assert rl.count_multiply_adds(nested) == rl.count_multiply_adds(model)


def test_layer_count_in_the_name():
    # The stem convolution, 2 (basic) or 3 (bottleneck) per block, and the classifier.
    for depth, (kind, depths) in IMAGENET_STAGES.items():
        per_block = 2 if kind == "basic" else 3
        assert 1 + per_block * sum(depths) + 1 == depth


def test_set_batchnorm_momentum():
    inner = rl.cifar_resnet(8, (28, 28, 1))
    outer = keras.Sequential([keras.Input(shape=(28, 28, 1)), inner])
    assert set_batchnorm_momentum(outer, 0.9) is outer
    momenta = {layer.momentum for layer in inner.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}
    for bad in (1.0, -0.1, "0.9", True):
        with pytest.raises(ValueError, match="momentum"):
            set_batchnorm_momentum(inner, bad)
    with pytest.raises(TypeError, match="keras.Model"):
        set_batchnorm_momentum("resnet", 0.9)
