"""The notebook setup call: fast/full mode, seeding, paths."""

from resnet_lib import session

import numpy as np
import pytest


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"RESNET_FAST": "1"}, True),
        ({"RESNET_FAST": "0", "CI": "true"}, False),
        ({"RESNET_FAST": "yes"}, True),
    ],
)
def test_fast_mode_follows_the_environment(monkeypatch, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RESNET_FAST", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert session.fast_mode() is expected


def test_bad_fast_value_is_explained(monkeypatch):
    monkeypatch.setenv("RESNET_FAST", "maybe")
    with pytest.raises(ValueError, match="RESNET_FAST"):
        session.fast_mode()


def test_setup_seeds_and_makes_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_BUILD_DIR", str(tmp_path / "build"))
    s = session.setup(seed=3, fast=True)
    a = np.random.rand(3)
    session.setup(seed=3, fast=True)
    np.testing.assert_array_equal(a, np.random.rand(3))
    assert s.fast and s.pick(1, 20) == 1 and s.checkpoints.is_dir() and s.logs.is_dir()
    assert session.setup(fast=False).pick(1, 20) == 20


def test_a_missing_prerequisite_skips_here_and_fails_under_ci(monkeypatch):
    from prerequisites import require

    require(True, "present")  # nothing happens
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="graphviz"):
        require(False, "graphviz is missing")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="graphviz is missing.*fails the run"):
        require(False, "graphviz is missing")
