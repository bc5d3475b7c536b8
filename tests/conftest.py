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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A lesson's cell under nbval fails when it writes to stderr: a warning, or TensorFlow's
    start-up lines, would be stored in the lesson's outputs and shown to every reader."""
    result = yield
    stderr = [
        out.get("text", "")
        for out in getattr(item, "test_outputs", None) or ()
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    if stderr:
        pytest.fail("this cell wrote to stderr (fix the cause, do not hide it):\n" + "".join(stderr)[:2000])
    return result
