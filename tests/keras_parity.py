"""Comparisons of a resnet_lib network with its keras.applications twin, shared by the model tests."""

import resnet_lib as rl
from resnet_lib import analysis

import numpy as np


def assert_same_function(mine, ref, input_shape=(224, 224, 3)):
    """After random weights (moving statistics included) are copied over, the scores before the
    softmax agree exactly. Probabilities of an untrained net would hide a wrong BatchNormalization
    epsilon: with fresh statistics BN is nearly the identity and the softmax is nearly uniform."""
    analysis.randomize_weights(ref, seed=1)
    assert rl.copy_weights_by_name(ref, mine) == sum(1 for layer in ref.layers if layer.weights)
    x = np.random.default_rng(0).normal(0, 1, (1, *input_shape)).astype("float32")  # 1,000 scores
    difference = analysis.relative_difference(mine, ref, x)
    assert difference <= 1e-6, f"pre-softmax outputs differ by {difference:.3g} of their scale"


def assert_same_layers(mine, ref):
    """Layer by layer, the input layer included: the same name, type, output shape, parameter
    count and configuration (``get_config()``). Build each model right after
    ``keras.backend.clear_session()``, so that the names Keras generates (``input_layer``, the
    unnamed max-pools of ResNetV2) are counted from the same start."""
    assert len(mine.layers) == len(ref.layers)
    for a, b in zip(mine.layers, ref.layers):
        assert (a.name, type(a).__name__) == (b.name, type(b).__name__)
        assert a.output.shape == b.output.shape, a.name
        assert a.count_params() == b.count_params(), a.name
        assert a.get_config() == b.get_config(), a.name
