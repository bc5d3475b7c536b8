"""Checks of lesson 05 (training): the warm-up + cosine learning rate and label smoothing, confidence."""

import math

import keras
import numpy as np
from keras.optimizers.schedules import CosineDecay

from ._common import call, fail, number


def check_warmup_cosine(fn) -> None:
    """Check ``fn(step, peak, total_steps, warmup_steps, final_fraction) -> float``, a learning rate.

    The reference is Keras' ``CosineDecay`` with a warm-up: ``peak * step / warmup_steps`` from 0,
    then a half cosine from ``peak`` to ``peak * final_fraction`` at ``total_steps``, where it stays.
    """
    what = "warmup_cosine"
    for peak, total, warmup, floor in ((0.4, 300, 30, 0.05), (0.1, 50, 0, 0.0)):
        # initial_learning_rate=0.0, decay_steps=total - warmup: up to peak, then down to floor * peak
        schedule = CosineDecay(0.0, total - warmup, alpha=floor, warmup_target=peak, warmup_steps=warmup)
        steps = {0, 1, max(warmup - 1, 0), warmup, warmup + 1, (warmup + total) // 2, total - 1, total}
        for step in [*sorted(steps), total + 40]:
            args = (step, peak, total, warmup, floor)
            got, want = number(call(fn, what, *args), what, args), float(schedule(step))
            if math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-7):
                continue
            if step < warmup and math.isclose(got, peak * (step + 1) / warmup, rel_tol=1e-4):
                advice = "the warm-up starts at 0: step 0 gets 0, step s gets peak * step / warmup_steps."
            elif step < warmup:
                advice = "during the warm-up the rate rises linearly from 0: peak * step / warmup_steps."
            elif step >= total:
                advice = "after total_steps the rate stays at peak * final_fraction: clip t to 1."
            else:
                advice = (
                    "after the warm-up, t = (step - warmup_steps) / (total_steps - warmup_steps) runs from "
                    "0 to 1 and the rate is peak * (f + (1 - f) * (1 + cos(pi * t)) / 2)."
                )
            problem = (
                f"at step {step} of {args} your schedule gives {got:.6g}, Keras' CosineDecay {want:.6g}."
            )
            fail(what, problem, advice)


def check_smooth_labels(fn) -> None:
    """Check ``fn(labels, classes, eps) -> (n, classes)`` smoothed one-hot targets.

    The true class gets ``1 - eps + eps / classes``, every other class ``eps / classes``; the
    cross-entropy against them is Keras' ``CategoricalCrossentropy(label_smoothing=eps)`` on one-hot targets.
    """
    what = "smooth_labels"
    labels, classes, eps = np.array([0, 3, 3, 9]), 10, 0.2
    got = np.asarray(call(fn, what, labels.copy(), classes, eps), dtype="float64")
    if got.shape != (len(labels), classes):
        problem = f"expected shape ({len(labels)}, {classes}), one row per label; got {got.shape}."
        fail(what, problem, "build an (n, classes) array: one row per label, one column per class.")
    if not np.allclose(got.sum(axis=1), 1.0):
        fail(
            what,
            f"the rows add up to {got.sum(axis=1).round(3)}, not 1.",
            "each row is a probability distribution: eps is spread over all classes, 1 - eps goes to "
            "the true one.",
        )
    one_hot = np.eye(classes, dtype="float32")[labels]
    want = one_hot * (1 - eps) + eps / classes
    if not np.allclose(got, want, atol=1e-6):
        row = int(np.argmax(np.abs(got - want).max(axis=1)))
        fail(
            what,
            f"row {row} (label {labels[row]}) is {got[row].round(3)}; expected {want[row].round(3)}.",
            "the true class gets 1 - eps + eps / classes and every other class eps / classes.",
        )
    probs = np.random.default_rng(0).dirichlet(np.ones(classes), size=len(labels)).astype("float32")
    yours = float(keras.losses.CategoricalCrossentropy()(got.astype("float32"), probs))
    smoothed = float(keras.losses.CategoricalCrossentropy(label_smoothing=eps)(one_hot, probs))
    if not np.isclose(yours, smoothed, rtol=1e-5):
        problem = (
            f"the cross-entropy against your targets is {yours:.5f}, with Keras' smoothing {smoothed:.5f}."
        )
        fail(what, problem, "return the targets as numbers, not rounded or cast to integers.")


def check_mean_confidence(fn) -> None:
    """Check ``fn(probabilities) -> float``: the mean over the rows of each row's largest probability."""
    what, p = "mean_confidence", np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]], "float32")
    got = number(call(fn, what, p.copy()), what, "rows whose largest probabilities are 0.7, 0.6, 0.5")
    if not math.isclose(got, 0.6, abs_tol=1e-5):
        slip = " (the mean of all probabilities)" if math.isclose(got, 1 / 3, abs_tol=1e-3) else ""
        problem = f"rows whose largest probabilities are 0.7, 0.6, 0.5 give {got:.4g}{slip}, not 0.6."
        fail(what, problem, "average each row's largest probability: np.max(probabilities, axis=1).")
