"""Lesson 02's experiment check accepts the right measure and names each classic mistake."""

from resnet_lib import checks

import keras
import numpy as np
import pytest


def relative_change(block, x, *, training=False, divide=True):
    """||block(x) - x|| / ||x||, right by default; each keyword plants one mistake."""
    change = np.asarray(block(x, training=training)) - x
    return float(np.linalg.norm(change) / (np.linalg.norm(x) if divide else 1.0))


def test_the_right_measure_passes():
    checks.check_relative_change(relative_change)


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ({"training": True}, "training=False"),
        ({"divide": False}, r"divide \|\|block\(x\) - x\|\| by \|\|x\|\|"),
    ],
)
def test_mistakes_are_named(mistake, message):
    with pytest.raises(AssertionError, match=message) as err:
        checks.check_relative_change(lambda block, x: relative_change(block, x, **mistake))
    assert "What to do:" in str(err.value)


def test_a_tensor_is_not_a_number():
    def returns_tensor(block, x):
        return keras.ops.sqrt(keras.ops.sum((block(x) - x) ** 2) / keras.ops.sum(x**2))

    with pytest.raises(AssertionError, match="not a number"):
        checks.check_relative_change(returns_tensor)
