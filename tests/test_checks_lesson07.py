"""Lesson 07's exercise check: prediction with the training preprocessing."""

import resnet_lib as rl

import numpy as np
import pytest


def _unwritten(*args):
    raise NotImplementedError("write this function")


def test_check_predict_labels():
    def right(model, images, mean, std):
        x = (images.astype("float32") / 255.0 - mean) / std
        return np.argmax(model.predict(x, verbose=0), axis=1)

    rl.checks.check_predict_labels(right)
    raw = lambda model, images, mean, std: np.argmax(model.predict(images.astype("float32"), verbose=0), 1)  # noqa: E731
    with pytest.raises(AssertionError, match="raw 0-255"):
        rl.checks.check_predict_labels(raw)
    scaled = lambda model, images, mean, std: np.argmax(model(images / 255.0), 1)  # noqa: E731
    with pytest.raises(AssertionError, match="do not normalise"):
        rl.checks.check_predict_labels(scaled)
    probabilities = lambda model, images, mean, std: model.predict((images / 255.0 - mean) / std, verbose=0)  # noqa: E731
    with pytest.raises(AssertionError, match="probabilities"):
        rl.checks.check_predict_labels(probabilities)
    with pytest.raises(AssertionError, match="not written yet"):
        rl.checks.check_predict_labels(_unwritten)
