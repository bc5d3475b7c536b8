"""Lesson 06's exercise checks: a bottleneck block's multiply-adds and the depth in a ResNet's name."""

import time

import resnet_lib as rl

import pytest


def _bottleneck_madds(size, in_channels, width, strides=1):
    out = size // strides if size % strides == 0 else -(-size // strides)
    total = out * out * (in_channels * width + 9 * width * width + width * 4 * width)
    if strides != 1 or in_channels != 4 * width:
        total += out * out * in_channels * 4 * width
    return total


def _unwritten(*args):
    raise NotImplementedError("write this function")


def test_check_bottleneck_multiply_adds():
    rl.checks.check_bottleneck_multiply_adds(_bottleneck_madds)
    no_projection = lambda size, c, w, s: (
        _bottleneck_madds(size, c, w, s)
        - (  # noqa: E731
            (-(-size // s)) ** 2 * c * 4 * w if (s != 1 or c != 4 * w) else 0
        )
    )
    with pytest.raises(AssertionError, match="leaves out the 1x1 projection"):
        rl.checks.check_bottleneck_multiply_adds(no_projection)
    input_grid = lambda size, c, w, s: _bottleneck_madds(size * s, c, w, s)  # noqa: E731
    with pytest.raises(AssertionError, match="output grid"):
        rl.checks.check_bottleneck_multiply_adds(input_grid)
    with pytest.raises(AssertionError, match="not written yet"):
        rl.checks.check_bottleneck_multiply_adds(_unwritten)
    with pytest.raises(AssertionError, match="not a number"):
        rl.checks.check_bottleneck_multiply_adds(lambda *args: "many")


def test_check_depth_from_stages():
    rl.checks.check_depth_from_stages(lambda kind, s: 2 + (2 if kind == "basic" else 3) * sum(s))
    with pytest.raises(AssertionError, match="stem convolution and the final Dense"):
        rl.checks.check_depth_from_stages(lambda kind, s: (2 if kind == "basic" else 3) * sum(s))
    with pytest.raises(AssertionError, match="projection"):
        rl.checks.check_depth_from_stages(lambda kind, s: 2 + (2 if kind == "basic" else 3) * sum(s) + len(s))
    with pytest.raises(AssertionError, match="not written yet"):
        rl.checks.check_depth_from_stages(_unwritten)


def _timed(step, repeats, pick=min):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return pick(times)


def test_check_best_time():
    rl.checks.check_best_time(_timed)
    with pytest.raises(AssertionError, match="return the shortest time"):
        rl.checks.check_best_time(lambda step, n: _timed(step, n, pick=lambda t: sum(t) / len(t)))
    with pytest.raises(AssertionError, match="6 calls"):
        rl.checks.check_best_time(lambda step, n: _timed(step, n + 2))
    with pytest.raises(AssertionError, match="not written yet"):
        rl.checks.check_best_time(_unwritten)
