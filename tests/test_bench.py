"""The benchmark (benchmarks/fashion_mnist.py) runs end to end on smoke sizes and ends with its JSON line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import fashion_mnist as bench  # noqa: E402

KEYS = {
    "fmnist_test_accuracy",
    "fmnist_wall_seconds",
    "fmnist_training_tflop",
    "pipeline_efficiency",
    "resnet50_throughput_ratio",
    "gflops_fraction",
}


def test_quick_run_prints_every_measurement_as_json_last(capsys):
    result = bench.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result and set(result) == KEYS
    assert 0.0 <= result["fmnist_test_accuracy"] <= 1.0
    assert result["fmnist_wall_seconds"] > 0
    assert result["resnet50_throughput_ratio"] > 0 and result["gflops_fraction"] > 0
    assert 0 < result["pipeline_efficiency"] < 2 and result["fmnist_training_tflop"] > 0


def test_one_part_leaves_the_others_null(capsys):
    result = bench.main(["--quick", "--part", "gflops"])
    assert result["gflops_fraction"] > 0
    assert all(result[k] is None for k in KEYS - {"gflops_fraction"})


def test_recipe_options_reach_the_recipe():
    args = bench.parse_args(["--epochs", "3", "--width", "24", "--float32", "--pad", "0", "--lr", "0.1"])
    recipe = bench.recipe_from_args(args)
    assert (recipe.config.epochs, recipe.width, recipe.config.mixed_precision, recipe.pad) == (
        3,
        24,
        False,
        0,
    )
    assert (
        recipe.config.learning_rate == 0.1
        and recipe.config.warmup_epochs == bench.RECIPE.config.warmup_epochs
    )
    assert bench.recipe_from_args(bench.parse_args(["--quick"])).config.epochs == 1
    with pytest.raises(SystemExit):
        bench.parse_args(["--part", "everything"])


def test_command_line_entry_point():
    done = subprocess.run(
        [sys.executable, "benchmarks/fashion_mnist.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--quick" in done.stdout and "--part" in done.stdout
