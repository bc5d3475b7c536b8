"""Lesson 04's experiment check: the loss of a model in the training mode asked for."""

import resnet_lib as rl

import keras
import pytest


def _loss(model, x, y, training):
    return float(keras.losses.SparseCategoricalCrossentropy()(y, model(x, training=training)))


def _unwritten(*args):
    raise NotImplementedError("write this function")


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda model, x, y, training: _loss(model, x, y, False), "other mode's loss"),
        (lambda model, x, y, training: _loss(model, x, y, True), "other mode's loss"),
        (lambda model, x, y, training: len(y) * _loss(model, x, y, training), "mean loss"),
        (
            lambda model, x, y, training: keras.ops.convert_to_tensor(_loss(model, x, y, training)),
            "not a number",
        ),
        (_unwritten, "not written yet"),
    ],
)
def test_check_initial_loss_catches(fn, message):
    with pytest.raises(AssertionError, match=message):
        rl.check_initial_loss(fn)


def test_check_initial_loss_passes():
    rl.check_initial_loss(_loss)
