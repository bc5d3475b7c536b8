"""Checks on the lessons' cells when pytest runs them under nbval (``make test``)."""

import pytest


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
