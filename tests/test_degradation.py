"""The facts lesson 01 (why residual connections) builds on: plain and residual twins, gradients at init."""

import resnet_lib as rl

import numpy as np
import pytest
from keras import layers

# Parameter counts of the 6n+2 networks at width 8 on 28x28x1 inputs with 10 classes, the
# networks of lesson 01's degradation experiment (counted by Keras; plain and residual agree).
WIDTH8_PARAMS = {20: 68_938, 56: 217_450}


def _adds(model):
    return sum(isinstance(layer, layers.Add) for layer in model.layers)


@pytest.mark.parametrize("depth", sorted(WIDTH8_PARAMS))
def test_plain_and_residual_twins_have_the_same_weights(depth):
    plain = rl.plain_network(depth, input_shape=(28, 28, 1), classes=10, width=8)
    residual = rl.cifar_resnet(depth, input_shape=(28, 28, 1), classes=10, width=8, shortcut="zero_pad")
    assert plain.count_params() == residual.count_params() == WIDTH8_PARAMS[depth]
    assert len(rl.analysis.kernel_layers(plain)) == len(rl.analysis.kernel_layers(residual)) == depth
    assert _adds(plain) == 0
    assert _adds(residual) == (depth - 2) // 2
    shapes = lambda m: [tuple(w.shape) for w in m.weights]  # noqa: E731
    assert shapes(plain) == shapes(residual)


def _batch(n=32, size=16, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, size, size, 1)).astype("float32"), rng.integers(0, classes, size=n)


def test_gradient_norms_give_one_finite_float_per_weight_layer():
    images, labels = _batch()
    model = rl.plain_network(14, input_shape=(16, 16, 1), classes=10, width=4)
    norms = rl.gradient_norms(model, images, labels)
    assert isinstance(norms, list) and len(norms) == 14
    assert all(isinstance(v, float) and np.isfinite(v) and v > 0 for v in norms)


def test_deep_plain_gradients_spread_far_more_than_residual_ones():
    """At initialisation, with BatchNormalization, a deep plain stack's gradients grow towards the
    input, while the residual twin keeps every layer's gradient on a similar scale."""
    images, labels = _batch()
    spread = {}
    for residual in (False, True):
        model = rl.cifar_resnet(56, input_shape=(16, 16, 1), classes=10, width=4, residual=residual)
        norms = rl.gradient_norms(model, images, labels)
        spread[residual] = max(norms) / min(norms)
    assert spread[False] > 10 * spread[True], spread
