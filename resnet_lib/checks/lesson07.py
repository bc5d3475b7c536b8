"""Check of lesson 07 (common mistakes): prediction with the training preprocessing."""

import keras
import numpy as np

from ._common import call, fail


def check_predict_labels(fn) -> None:
    """Check ``fn(model, images, mean, std) -> labels``, prediction with the training preprocessing.

    ``images`` are uint8 ``(n, 28, 28, 1)``; the model expects ``(images / 255 - mean) / std``, as
    ``resnet_lib.make_dataset`` feeds it in training. The check uses its own small model with
    fixed weights, so the answer does not depend on any training run.
    """
    what = "predict_labels"
    rng = np.random.default_rng(7)
    inputs = keras.Input(shape=(28, 28, 1))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.layers[-1].set_weights([rng.normal(0.0, 0.05, size=(784, 10)), rng.normal(0.0, 1.0, size=10)])
    images = rng.integers(0, 256, size=(64, 28, 28, 1)).astype("uint8")
    mean, std = np.array([0.2860], "float32"), np.array([0.3530], "float32")

    def labels_for(x):
        return np.argmax(np.asarray(model(x.astype("float32"))), axis=1)

    want = labels_for((images.astype("float32") / 255.0 - mean) / std)
    got = np.asarray(call(fn, what, model, images.copy(), mean, std))
    if got.shape == (len(images), 10):
        fail(
            what,
            "your function returns the probabilities of every class, shape (n, 10).",
            "return the predicted class of each image: np.argmax(probabilities, axis=1).",
        )
    if got.shape != want.shape:
        problem = f"expected one label per image, shape {want.shape}; got shape {got.shape}."
        fail(what, problem, "return a 1-D array of class indices.")
    wrong = int(np.sum(got != want))
    if not wrong:
        return
    problem = f"{wrong} of {len(images)} labels differ from those of the training pipeline"
    how = "preprocess exactly as in training: x = (images / 255 - mean) / std, in float32"
    slips = {
        "you feed the raw 0-255 pixel values": images,
        "you divide by 255 but do not normalise with the mean and standard deviation": images / 255.0,
    }
    for slip, x in slips.items():
        if np.array_equal(got, labels_for(x)):
            fail(what, f"{problem}: {slip}.", f"{how}.")
    fail(what, f"{problem}.", f"{how}, then take np.argmax of the model's output over axis 1.")
