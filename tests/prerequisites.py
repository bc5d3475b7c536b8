"""What a test needs from the machine: skip on a student's laptop, fail under CI.

``make setup`` installs the Debian packages the tests use (Graphviz, Fashion-MNIST,
Chromium) and npm fetches reveal.js. On a machine without them a test skips and says what
to install; where ``CI`` is set the same absence fails the run, so a broken install step
cannot hide behind a green run full of skips.
"""

import os

import pytest


def require(available: bool, missing: str) -> None:
    """Skip (or, under CI, fail) the calling test with ``missing`` unless ``available``."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing}. CI is set, so a missing prerequisite fails the run instead of skipping.")
    pytest.skip(missing)
