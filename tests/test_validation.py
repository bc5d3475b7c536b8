"""Bad input gets a clear error naming the argument, what was given and what is allowed."""

import resnet_lib as rl
from resnet_lib import analysis, data, session

import keras
import numpy as np
import pytest


def _input(shape):
    return keras.Input(shape=shape)


CASES = [
    # (call, exception, words the message must contain)
    (lambda: rl.resnet50(input_shape=(16, 16, 3)), ValueError, ["input_shape", "too small", "32x32"]),
    (lambda: rl.resnet50(input_shape=(3, 224, 224)), ValueError, ["channels-first", "(224, 224, 3)"]),
    (lambda: rl.resnet50(input_shape=(224, 224)), ValueError, ["(height, width, channels)"]),
    (lambda: rl.resnet50(classes=0), ValueError, ["classes", ">= 1", "0"]),
    (lambda: rl.resnet50(classes=2.5), TypeError, ["classes", "integer", "2.5"]),
    (lambda: rl.resnet50(pooling="mean"), ValueError, ["pooling", "'mean'", "'avg'"]),
    (lambda: rl.resnet(42), ValueError, ["depth", "42", "152"]),
    (lambda: rl.resnet_v2(34), ValueError, ["depth", "34", "[50, 101, 152]"]),
    (
        lambda: rl.resnet50(input_shape=(None, None, 3)),
        ValueError,
        ["input_shape", "None", "include_top=False"],
    ),
    (lambda: rl.resnet50(include_top=False, input_shape=(None, 16, 3)), ValueError, ["too small", "32x32"]),
    (lambda: rl.resnet50(include_top=False, input_shape=(3, 224, 224)), ValueError, ["channels-first"]),
    (lambda: rl.resnet50(weights="imagenet", classes=6), ValueError, ["'imagenet'", "classes=1000", "6"]),
    (lambda: rl.resnet(18, weights="imagenet"), ValueError, ["name", "resnet18", "resnet50"]),
    (
        lambda: rl.resnet_v2(weights="none.weights.h5"),
        ValueError,
        ["weights", "'none.weights.h5'", "existing"],
    ),
    (lambda: rl.resnet(18, weights=3), ValueError, ["weights", "3", ".weights.h5", "'imagenet'"]),
    (lambda: rl.resnet50(input_tensor=np.zeros((1, 64, 64, 3))), TypeError, ["input_tensor", "Keras tensor"]),
    (lambda: rl.cifar_resnet(21), ValueError, ["6n+2", "21"]),
    (lambda: rl.cifar_resnet(-4), ValueError, ["depth", "-4"]),
    (lambda: rl.cifar_resnet(20, input_shape=(1, 28, 28)), ValueError, ["channels-first"]),
    (lambda: rl.cifar_resnet(20, classes=-1), ValueError, ["classes", "-1"]),
    (lambda: rl.cifar_resnet(20, shortcut="C"), ValueError, ["shortcut", "'C'", "zero_pad"]),
    (lambda: rl.identity_block(_input((8, 8, 16)), 3, [4, 4]), ValueError, ["filters", "three", "[4, 4]"]),
    (lambda: rl.identity_block(_input((8, 8, 16)), 3, 16), TypeError, ["filters", "sequence", "16"]),
    (lambda: rl.identity_block(_input((8, 8, 16)), 3, [4, 0, 16]), ValueError, ["filters[1]", "0"]),
    (lambda: rl.identity_block(_input((8, 8, 64)), 3, [4, 4, 16]), ValueError, ["64 channels", "16"]),
    (lambda: rl.identity_block(_input((8, 16)), 3, [4, 4, 16]), ValueError, ["4-D", "(None, 8, 16)"]),
    (
        lambda: rl.convolutional_block(_input((8, 8, 16)), 0, [4, 4, 16]),
        ValueError,
        ["kernel_size", ">= 1", "0"],
    ),
    (lambda: rl.identity_block(_input((8, 8, 16)), (3, 3), [4, 4, 16]), TypeError, ["kernel_size", "(3, 3)"]),
    (lambda: rl.basic_block(_input((8, 8, 16)), 0), ValueError, ["filters", "0"]),
    (lambda: rl.load_dataset("mnist"), ValueError, ["name", "'mnist'", "fashion_mnist", "cifar10"]),
    (
        lambda: rl.make_dataset(np.zeros((4, 28, 28)), np.zeros(4)),
        ValueError,
        ["(n, height, width, channels)"],
    ),
    (lambda: rl.make_dataset(np.zeros((4, 8, 8, 1)), np.zeros(4), 0), ValueError, ["batch_size", "0"]),
    (lambda: rl.plot_training_curves({"loss": [1.0]}, ["accuracy"]), ValueError, ["'accuracy'", "['loss']"]),
    (lambda: rl.plot_training_curves([1, 2]), TypeError, ["History"]),
    (lambda: rl.plot_model_graph("resnet50", "g.png"), TypeError, ["model", "keras.Model", "str"]),
    (lambda: rl.count_multiply_adds(None), TypeError, ["model", "keras.Model"]),
    (lambda: data.subset(np.zeros(10), np.zeros(10), -3), ValueError, ["n", "-3"]),
    (lambda: session.setup(seed=-1), ValueError, ["seed", "-1"]),
    (
        lambda: analysis.gradient_norms(
            rl.cifar_resnet(8, (8, 8, 1), 2, width=2), np.zeros((2, 8, 8, 1)), [0]
        ),
        ValueError,
        ["same length"],
    ),
]


@pytest.mark.parametrize(("call", "exception", "words"), CASES)
def test_bad_input_is_explained(call, exception, words):
    with pytest.raises(exception) as err:
        call()
    message = str(err.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


def test_shapes_may_come_from_a_tensor():
    import tensorflow as tf

    x = tf.zeros((2, 32, 32, 3))
    assert rl.resnet50(input_shape=x.shape[1:], classes=3).output.shape == (None, 3)
