"""Lesson 05's exercise checks follow Keras: CosineDecay with a warm-up, and label smoothing."""

import math

from resnet_lib import checks

import keras
import numpy as np
import pytest


def warmup_cosine(step, peak, total_steps, warmup_steps, final_fraction, *, plus_one=False, clip=True):
    if step < warmup_steps:
        return peak * (step + plus_one) / warmup_steps
    t = (step - warmup_steps) / (total_steps - warmup_steps)
    t = min(t, 1.0) if clip else t
    return peak * (final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * t)))


def keras_schedule(step, peak, total_steps, warmup_steps, final_fraction):
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, total_steps - warmup_steps, alpha=final_fraction, warmup_target=peak, warmup_steps=warmup_steps
    )
    return float(schedule(step))


@pytest.mark.parametrize("fn", [warmup_cosine, keras_schedule])
def test_a_right_schedule_passes(fn):
    checks.check_warmup_cosine(fn)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            lambda *a: warmup_cosine(*a, plus_one=True),
            r"(?s)at step 0 .* Keras' CosineDecay 0\b"
            r".*starts at 0: step 0 gets 0.*peak \* step / warmup_steps",
        ),
        (lambda *a: warmup_cosine(*a, clip=False), "clip t to 1"),
        (lambda step, p, n, w, f: warmup_cosine(step, p, n, w, 0.0), r"peak \* \(f \+ \(1 - f\)"),
        (lambda *a: str(warmup_cosine(*a)), "not a number"),
    ],
)
def test_schedule_mistakes_are_named(fn, message):
    with pytest.raises(AssertionError, match=message) as err:
        checks.check_warmup_cosine(fn)
    assert "What to do:" in str(err.value)


def smooth(labels, classes, eps, on_true=1.0):
    targets = np.full((len(labels), classes), eps / classes)
    targets[np.arange(len(labels)), labels] = on_true - eps + eps / classes
    return targets


def test_smooth_labels_check():
    checks.check_smooth_labels(smooth)
    with pytest.raises(AssertionError, match="expected"):
        checks.check_smooth_labels(lambda y, k, e: smooth(y, k, e) + (np.eye(k)[y] * 0.02 - 0.002))
    with pytest.raises(AssertionError, match="add up to"):
        checks.check_smooth_labels(lambda y, k, e: smooth(y, k, e, on_true=1.1))
    with pytest.raises(AssertionError, match="not written yet"):
        checks.check_smooth_labels(lambda y, k, e: (_ for _ in ()).throw(NotImplementedError))


def test_mean_confidence_check():
    checks.check_mean_confidence(lambda p: float(np.max(p, axis=1).mean()))
    with pytest.raises(AssertionError, match=r"mean of all probabilities(?s:.*)What to do: average each row"):
        checks.check_mean_confidence(lambda p: float(np.mean(p)))
    with pytest.raises(AssertionError, match="not a number"):
        checks.check_mean_confidence(lambda p: np.max(p, axis=1))
    with pytest.raises(AssertionError, match="not written yet"):
        checks.check_mean_confidence(lambda p: (_ for _ in ()).throw(NotImplementedError))
