import resnet_lib  # noqa: F401  (first: it imports TensorFlow without the start-up lines)

import keras
import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from the same seed and an empty Keras name registry.

    ``free_memory=False`` skips the full garbage collection clear_session runs by default
    (about 0.35 s a call here, over a minute across the suite); Python still frees the models.
    """
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
