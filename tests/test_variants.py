"""The ResNet family's cost (multiply-adds) and the pre-activation (v2) networks."""

import keras
import pytest
from keras_parity import assert_same_function

import resnet_lib as rl
from resnet_lib import analysis
from resnet_lib.models import IMAGENET_STAGES, resnet_v2, set_batchnorm_momentum

# He et al. 2015, Table 1: "FLOPs" (multiply-adds) at 224x224, in billions as printed.
PAPER_MULTIPLY_ADDS_BN = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
# What count_multiply_adds gives for rl.resnet(depth) at 224x224 with 1000 classes
# (the figure for 50 is also the count of keras.applications.ResNet50).
MULTIPLY_ADDS = {
    18: 1_814_073_344,
    34: 3_663_761_408,
    50: 3_857_973_248,
    101: 7_570_194_432,
    152: 11_282_415_616,
}
# keras.applications (TF 2.21 / Keras 3.15), weights=None, include_top=True.
RESNET50V2_PARAMS = 25_613_800
RESNET50V2_MULTIPLY_ADDS = 3_482_255_360


@pytest.mark.parametrize("depth", sorted(MULTIPLY_ADDS))
def test_multiply_adds_within_five_percent_of_table_1(depth):
    model = rl.resnet(depth)
    count = rl.count_multiply_adds(model)
    assert count == MULTIPLY_ADDS[depth]
    assert count / 1e9 == pytest.approx(PAPER_MULTIPLY_ADDS_BN[depth], rel=0.05)
    per_layer = analysis.multiply_adds_by_layer(model)
    assert sum(per_layer.values()) == count
    assert per_layer["predictions"] == (2048 if depth >= 50 else 512) * 1000
    # The depth in the name counts the weighted layers on the main path (projections excluded).
    weighted = analysis.kernel_layers(model)
    projections = [layer for layer in weighted if layer.name.endswith("_0_conv")]
    assert len(weighted) - len(projections) == depth


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


def test_resnet50_v2_matches_keras_applications():
    mine = resnet_v2(50)
    ref = keras.applications.ResNet50V2(weights=None)
    assert mine.count_params() == ref.count_params() == RESNET50V2_PARAMS
    assert [layer.name for layer in mine.layers if layer.weights] == [
        layer.name for layer in ref.layers if layer.weights
    ]
    assert len(mine.layers) == len(ref.layers)
    for a, b in zip(mine.layers[1:], ref.layers[1:]):
        assert a.output.shape == b.output.shape, a.name
    assert_same_function(mine, ref)  # pre-softmax scores after random weights, statistics included
    assert rl.count_multiply_adds(mine) == rl.count_multiply_adds(ref) == RESNET50V2_MULTIPLY_ADDS


def test_resnet_v2_shapes_and_arguments():
    model = resnet_v2(50, input_shape=(64, 64, 3), include_top=False, pooling="avg")
    assert tuple(model.output.shape) == (None, 2048)
    shapes = {layer.name: tuple(layer.output.shape) for layer in model.layers}
    assert shapes["conv2_block3_out"] == (None, 8, 8, 256)  # v2 downsamples at the end of a stage
    assert shapes["conv5_block3_out"] == (None, 2, 2, 2048)
    assert not any(
        isinstance(layer, keras.layers.Activation) and layer.name.endswith("_out") for layer in model.layers
    )
    with pytest.raises(ValueError, match="depth"):
        resnet_v2(18)
    with pytest.raises(ValueError, match="pooling"):
        resnet_v2(50, include_top=False, pooling="mean")


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
