"""ResNet-50 against keras.applications, and the small CIFAR-family networks."""

import keras
import numpy as np
import pytest
from keras_parity import assert_same_function, assert_same_layers

import resnet_lib as rl
from resnet_lib import analysis

# Figures from keras.applications (TF 2.21 / Keras 3.15) and He et al. 2015, carried here
# so that the tests need nothing outside the project.
RESNET50_PARAMS = 25_636_712
RESNET50_TRAINABLE = 25_583_592
RESNET50_NON_TRAINABLE = 53_120
RESNET50_NO_TOP_PARAMS = 23_587_712
RESNET50_64PX_6_CLASSES = 23_600_006
RESNET50_64PX_6_CLASSES_TRAINABLE = 23_546_886
RESNET50_LAYERS = 177
RESNET50_MULTIPLY_ADDS_224 = 3_857_973_248
RESNET50_MULTIPLY_ADDS_64 = 314_781_696  # 64x64x3 input, 6 classes


def _counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, non_trainable


def test_resnet50_matches_keras_applications_exactly():
    mine = rl.resnet50()
    ref = keras.applications.ResNet50(weights=None)
    assert _counts(mine) == (RESNET50_PARAMS, RESNET50_TRAINABLE, RESNET50_NON_TRAINABLE)
    assert _counts(ref) == _counts(mine)
    assert len(mine.layers) == len(ref.layers) == RESNET50_LAYERS
    assert [layer.name for layer in mine.layers[1:]] == [layer.name for layer in ref.layers[1:]]
    for a, b in zip(mine.layers[1:], ref.layers[1:]):
        assert a.output.shape == b.output.shape, a.name
    assert_same_function(mine, ref)


def test_resnet50_without_top_and_pooling():
    for pooling, shape in ((None, (None, 7, 7, 2048)), ("avg", (None, 2048)), ("max", (None, 2048))):
        model = rl.resnet50(include_top=False, pooling=pooling)
        assert model.count_params() == RESNET50_NO_TOP_PARAMS
        assert tuple(model.output.shape) == shape
        ref = keras.applications.ResNet50(weights=None, include_top=False, pooling=pooling)
        assert [layer.name for layer in model.layers[1:]] == [layer.name for layer in ref.layers[1:]]


@pytest.mark.parametrize("classes", [6, 10])
def test_resnet50_takes_the_seed_input(classes):
    model = rl.resnet50(input_shape=(64, 64, 3), classes=classes)
    params, trainable, non_trainable = _counts(model)
    assert params == RESNET50_NO_TOP_PARAMS + 2048 * classes + classes
    assert non_trainable == RESNET50_NON_TRAINABLE
    if classes == 6:
        assert (params, trainable) == (RESNET50_64PX_6_CLASSES, RESNET50_64PX_6_CLASSES_TRAINABLE)
    out = model(np.zeros((2, 64, 64, 3), "float32"), training=False)
    assert out.shape == (2, classes)
    np.testing.assert_allclose(np.sum(out, axis=1), 1.0, rtol=1e-5)


def test_resnet50_output_shape_per_stage():
    model = rl.resnet50()
    shapes = dict(analysis.stage_outputs(model))
    assert shapes["conv1_relu"] == (None, 112, 112, 64)
    assert shapes["pool1_pool"] == (None, 56, 56, 64)
    assert shapes["conv2_block3_out"] == (None, 56, 56, 256)
    assert shapes["conv3_block4_out"] == (None, 28, 28, 512)
    assert shapes["conv4_block6_out"] == (None, 14, 14, 1024)
    assert shapes["conv5_block3_out"] == (None, 7, 7, 2048)
    assert shapes["predictions"] == (None, 1000)


def test_multiply_adds_of_resnet50():
    assert rl.count_multiply_adds(rl.resnet50()) == RESNET50_MULTIPLY_ADDS_224
    assert rl.count_multiply_adds(rl.resnet50((64, 64, 3), 6)) == RESNET50_MULTIPLY_ADDS_64  # 6 classes


# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets, in millions as printed.
PAPER_CIFAR_PARAMS_M = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}
# Computed by cifar_resnet (option A shortcuts, all weights including BN statistics).
CIFAR_PARAMS = {20: 271_786, 32: 467_562, 44: 663_338, 56: 859_114, 110: 1_740_106}


@pytest.mark.parametrize("depth", sorted(CIFAR_PARAMS))
def test_cifar_resnet_depth_and_parameters(depth):
    model = rl.cifar_resnet(depth)
    assert model.count_params() == CIFAR_PARAMS[depth]
    assert model.count_params() / 1e6 == pytest.approx(PAPER_CIFAR_PARAMS_M[depth], rel=0.03)
    weighted = [
        layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
    ]
    assert len(weighted) == depth  # 6n+2 weighted layers
    plain = rl.plain_network(depth)
    assert plain.count_params() == model.count_params()  # option A adds no parameters
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    assert sum(isinstance(layer, keras.layers.Add) for layer in model.layers) == (depth - 2) // 2


def test_cifar_resnet_shapes_on_fashion_mnist_and_cifar():
    fm = rl.cifar_resnet(20, input_shape=(28, 28, 1), classes=10)
    shapes = dict(analysis.stage_outputs(fm))
    assert shapes["stage1_block3_out"] == (None, 28, 28, 16)
    assert shapes["stage2_block3_out"] == (None, 14, 14, 32)
    assert shapes["stage3_block3_out"] == (None, 7, 7, 64)
    assert fm(np.zeros((3, 28, 28, 1), "float32")).shape == (3, 10)
    proj = rl.cifar_resnet(20, shortcut="projection")
    assert proj.count_params() == CIFAR_PARAMS[20] + (16 * 32 + 32 + 4 * 32) + (32 * 64 + 64 + 4 * 64)
    v2 = rl.cifar_resnet(20, preact=True)
    assert v2(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 10)


@pytest.mark.parametrize(
    ("depth", "keras_builder", "params"),
    [(101, "ResNet101", 44_707_176), (152, "ResNet152", 60_419_944)],
)
def test_deeper_resnets_match_keras_applications(depth, keras_builder, params):
    # Keras' own networks are built here, so the figures above are checked, not just carried.
    # At 64x64 the layers and weights are the same as at 224x224, and the forward pass is cheap.
    mine = rl.resnet(depth, input_shape=(64, 64, 3))
    ref = getattr(keras.applications, keras_builder)(weights=None, input_shape=(64, 64, 3))
    assert_same_layers(mine, ref)
    assert ref.count_params() == mine.count_params() == params  # no parameter depends on the image size
    assert_same_function(mine, ref, (64, 64, 3))


def test_resnet_family_builds_from_one_table():
    assert rl.resnet(18).count_params() < rl.resnet(34).count_params() < rl.resnet(50).count_params()
