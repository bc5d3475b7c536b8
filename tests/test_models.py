"""The ImageNet ResNets (v1 and v2) against keras.applications, their arguments, and the CIFAR networks."""

import hashlib

import resnet_lib as rl
from resnet_lib import analysis, models
from resnet_lib.models import IMAGENET_STAGES

import keras
import numpy as np
import pytest
from keras_parity import assert_same_function, assert_same_layers

# (parameters, trainable, non-trainable, multiply-adds) at 224x224 with 1000 classes: those of
# keras.applications (TF 2.21 / Keras 3.15) where Keras has the network, computed by resnet_lib for
# ResNet-18/34 (He et al. 2015 give 11.7 and 21.8 million); carried here so that the tests need
# nothing outside the project.
FIGURES = {
    "resnet18": (11_703_912, 11_694_312, 9_600, 1_814_073_344),
    "resnet34": (21_823_208, 21_806_184, 17_024, 3_663_761_408),
    "resnet50": (25_636_712, 25_583_592, 53_120, 3_857_973_248),
    "resnet101": (44_707_176, 44_601_832, 105_344, 7_570_194_432),
    "resnet152": (60_419_944, 60_268_520, 151_424, 11_282_415_616),
    "resnet50v2": (25_613_800, 25_568_360, 45_440, 3_482_255_360),
    "resnet101v2": (44_675_560, 44_577_896, 97_664, 7_194_476_544),
    "resnet152v2": (60_380_648, 60_236_904, 143_744, 10_906_697_728),
}
#: How to build each network, and its keras.applications twin where there is one.
NETWORKS = {
    "resnet18": (lambda: rl.resnet(18), None),
    "resnet34": (lambda: rl.resnet(34), None),
    "resnet50": (rl.resnet50, keras.applications.ResNet50),
    "resnet101": (lambda: rl.resnet(101), keras.applications.ResNet101),
    "resnet152": (lambda: rl.resnet(152), keras.applications.ResNet152),
    "resnet50v2": (lambda: rl.resnet_v2(50), keras.applications.ResNet50V2),
    "resnet101v2": (lambda: rl.resnet_v2(101), keras.applications.ResNet101V2),
    "resnet152v2": (lambda: rl.resnet_v2(152), keras.applications.ResNet152V2),
}
# He et al. 2015, Table 1: "FLOPs" (multiply-adds) at 224x224, in billions as printed.
PAPER_MULTIPLY_ADDS_BN = {
    "resnet18": 1.8,
    "resnet34": 3.6,
    "resnet50": 3.8,
    "resnet101": 7.6,
    "resnet152": 11.3,
}
RESNET50_NO_TOP_PARAMS = 23_587_712
RESNET50_64PX_6_CLASSES = 23_600_006
RESNET50_64PX_6_CLASSES_TRAINABLE = 23_546_886
RESNET50_MULTIPLY_ADDS_64 = 314_781_696  # 64x64x3 input, 6 classes


def _counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, non_trainable


@pytest.fixture(scope="module")
def network(request):
    """``NETWORKS[request.param]`` at 224x224, built once per module (pytest groups its tests)."""
    # Generated names (input_layer, ...) then count from the start, as in Keras' twin. No garbage
    # collection (free_memory=False): it takes about a third of a second a call here.
    keras.backend.clear_session(free_memory=False)
    return NETWORKS[request.param][0]()


@pytest.mark.parametrize("network", [name for name, (_, twin) in NETWORKS.items() if twin], indirect=True)
def test_matches_keras_applications(network):
    # Keras' networks are built here, so the figures above are checked, not just carried.
    keras.backend.clear_session(free_memory=False)
    ref = NETWORKS[network.name][1](weights=None)
    assert network.name == ref.name
    assert_same_layers(network, ref)
    assert _counts(network) == _counts(ref) == FIGURES[network.name][:3]
    assert rl.count_multiply_adds(network) == rl.count_multiply_adds(ref) == FIGURES[network.name][3]
    if network.name not in ("resnet101v2", "resnet152v2"):  # their blocks are ResNet50V2's, compared here
        assert_same_function(network, ref)  # pre-softmax scores after random weights, statistics included


@pytest.mark.parametrize("network", sorted(PAPER_MULTIPLY_ADDS_BN), indirect=True)
def test_v1_family_from_one_table_and_its_cost(network):
    depth = int(network.name.removeprefix("resnet"))
    assert _counts(network) == FIGURES[network.name][:3]
    count = rl.count_multiply_adds(network)
    assert count == FIGURES[network.name][3]
    assert count / 1e9 == pytest.approx(PAPER_MULTIPLY_ADDS_BN[network.name], rel=0.05)
    per_layer = analysis.multiply_adds_by_layer(network)
    assert sum(per_layer.values()) == count
    assert per_layer["predictions"] == (2048 if depth >= 50 else 512) * 1000
    # The stem takes 224 to 112 and 56; each stage after conv2 halves the grid and doubles the channels.
    kind, blocks = IMAGENET_STAGES[depth]
    shapes = dict(analysis.stage_outputs(network))
    assert (shapes["conv1_relu"], shapes["pool1_pool"]) == ((None, 112, 112, 64), (None, 56, 56, 64))
    for i, last_block in enumerate(blocks):
        channels = 64 * 2**i * (4 if kind == "bottleneck" else 1)
        assert shapes[f"conv{i + 2}_block{last_block}_out"] == (None, 56 // 2**i, 56 // 2**i, channels)
    # The depth in the name counts the weighted layers on the main path (projections excluded).
    weighted = analysis.kernel_layers(network)
    projections = [layer for layer in weighted if layer.name.endswith("_0_conv")]
    assert len(weighted) - len(projections) == depth


@pytest.mark.parametrize("network", ["resnet50v2"], indirect=True)
def test_resnet_v2_downsamples_at_the_end_of_a_stage(network):
    shapes = {layer.name: tuple(layer.output.shape) for layer in network.layers}
    assert shapes["conv2_block2_out"] == (None, 56, 56, 256)
    assert shapes["conv2_block3_out"] == (None, 28, 28, 256)  # stride 2 in the last block of conv2
    assert shapes["conv5_block3_out"] == (None, 7, 7, 2048)  # and none in conv5
    assert not any(
        isinstance(layer, keras.layers.Activation) and layer.name.endswith("_out") for layer in network.layers
    )


@pytest.mark.parametrize("network", ["resnet50"], indirect=True)
def test_resnet50_without_top_takes_any_image_size(network):
    model = rl.resnet50(include_top=False, input_shape=(None, None, 3), pooling="max")
    assert model.count_params() == RESNET50_NO_TOP_PARAMS
    # Between the input and the top, the layers of the network compared with Keras above.
    for mine, keras_like in zip(model.layers[1:-1], network.layers[1:-2], strict=True):
        assert mine.get_config() == keras_like.get_config()
    assert (model.layers[-1].name, type(model.layers[-1])) == ("max_pool", keras.layers.GlobalMaxPooling2D)
    assert tuple(model.get_layer("conv5_block3_out").output.shape) == (None, None, None, 2048)
    assert model(np.zeros((1, 64, 48, 3), "float32"), training=False).shape == (1, 2048)


def test_resnet50_takes_the_seed_input():
    model = rl.resnet50(input_shape=(64, 64, 3), classes=6)
    params, trainable, non_trainable = _counts(model)
    assert (params, trainable) == (RESNET50_64PX_6_CLASSES, RESNET50_64PX_6_CLASSES_TRAINABLE)
    assert params == RESNET50_NO_TOP_PARAMS + 2048 * 6 + 6  # no parameter depends on the image size
    assert non_trainable == FIGURES["resnet50"][2]
    assert rl.count_multiply_adds(model) == RESNET50_MULTIPLY_ADDS_64
    out = model(np.zeros((2, 64, 64, 3), "float32"), training=False)
    assert out.shape == (2, 6)
    np.testing.assert_allclose(np.sum(out, axis=1), 1.0, rtol=1e-5)


def test_input_tensor_and_weights_file(tmp_path):
    # As in keras.applications (and its tests: one channel, any image size).
    def on_a_tensor(**kwargs):
        images = keras.Input(shape=(None, None, 1), name="images")
        scaled = keras.layers.Rescaling(1 / 255, name="scale")(images)
        model = rl.resnet(18, include_top=False, input_tensor=scaled, **kwargs)
        assert len(model.inputs) == 1 and model.inputs[0] is images  # where the tensor's graph starts,
        assert model.layers[1].name == "scale"  # so the layers in between are part of the model
        return model

    path = tmp_path / "features.weights.h5"
    saved = analysis.randomize_weights(on_a_tensor(), seed=2)
    saved.save_weights(path)
    loaded = on_a_tensor(weights=path)
    x = np.random.default_rng(0).uniform(0, 255, (2, 40, 72, 1)).astype("float32")
    out = np.asarray(loaded([x], training=False))  # a list, as keras.utils.get_source_inputs gives
    assert out.shape == (2, 2, 3, 512)  # 40x72 divided by 32, rounded up
    np.testing.assert_array_equal(out, saved([x], training=False))


def test_imagenet_weights_through_keras_downloader(tmp_path, monkeypatch):
    # Keras' downloader is pointed at a file written here (file://), in Keras' published .h5 format.
    keras.backend.clear_session(free_memory=False)
    published = tmp_path / "published"
    published.mkdir()
    ref = analysis.randomize_weights(keras.applications.ResNet50(weights=None, include_top=False), seed=3)
    ref.save(published / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5")
    md5 = hashlib.md5((published / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5").read_bytes())
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(models, "IMAGENET_WEIGHTS_URL", published.as_uri() + "/")
    monkeypatch.setitem(models.IMAGENET_WEIGHTS_MD5, "resnet50", ("unused", md5.hexdigest()))

    mine = rl.resnet50(weights="imagenet", include_top=False, input_shape=(64, 64, 3))
    assert (tmp_path / "keras" / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5").is_file()
    x = np.random.default_rng(0).normal(size=(1, 64, 64, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(mine(x, training=False)), np.asarray(ref(x, training=False)))

    monkeypatch.setattr(models, "IMAGENET_WEIGHTS_URL", (tmp_path / "nowhere").as_uri() + "/")
    with pytest.raises(RuntimeError, match="internet") as error:  # not cached: resnet50 with the top
        rl.resnet50(weights="imagenet")
    assert "resnet50_weights_tf_dim_ordering_tf_kernels.h5" in str(error.value)
    assert str(tmp_path / "keras" / "models") in str(error.value)


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
    plain = rl.plain_network(20)
    assert plain.count_params() == CIFAR_PARAMS[20]  # option A adds no parameters
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
