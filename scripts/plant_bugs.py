"""Plant known bugs in a copy of the library and check that the tests meant for each one fail.

A test suite earns trust by failing when the code is wrong. Each entry of ``PLANTS`` is a
small, realistic mistake (a wrong BatchNormalization epsilon, momentum lost on resume, a
configuration field left unchecked, an exercise check that calls the student's function
unguarded, a block that ignores one of its arguments) and the tests that must notice it.
For every plant this script copies ``resnet_lib/`` and ``tests/`` into a temporary folder,
makes the one edit there, runs those tests against the copy, and reports whether they failed.
The checkout itself is never modified.

    make plant-bugs            # or: .venv/bin/python scripts/plant_bugs.py [name ...]

Exit status 0 when every planted bug was caught, 1 otherwise. ``tests/test_plant_bugs.py``
checks on every test run that each edit still applies to today's code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plant:
    name: str
    file: str  # relative to the project root
    old: str  # must occur in the file; its first occurrence is replaced
    new: str
    tests: tuple[str, ...]  # pytest node ids or "file::k=expression"


PLANTS = (
    Plant(
        "batchnorm-epsilon",
        "resnet_lib/blocks.py",
        "KERAS_BN_EPSILON = 1.001e-5",
        "KERAS_BN_EPSILON = 1e-3",
        ("tests/test_models.py::test_matches_keras_applications[resnet50]",),
    ),
    Plant(
        "resume-loses-momentum",
        "resnet_lib/training.py",
        "            model = load_checkpoint(checkpoint_dir, state)\n",
        "            model = load_checkpoint(checkpoint_dir, state)\n"
        "            step = int(model.optimizer.iterations)\n"
        "            model = compile_model(model, config, steps)\n"
        "            model.optimizer.build(model.trainable_variables)\n"
        "            model.optimizer.iterations.assign(step)\n",
        ("tests/test_training.py::test_interrupted_run_resumes_from_last_checkpoint",),
    ),
    Plant(
        "config-accepts-any-momentum",
        "resnet_lib/training.py",
        '"momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),',
        '"momentum": (lambda v: v >= 0, "in [0, 1)"),',
        ("tests/test_training.py::k=config_field",),
    ),
    Plant(
        "config-final-fraction-unchecked",
        "resnet_lib/training.py",
        '            "final_lr_fraction": (lambda v: 0 <= v <= 1, "in [0, 1]"),\n',
        "",
        ("tests/test_training.py::k=config_field",),
    ),
    Plant(
        "check-calls-student-code-unguarded",
        "resnet_lib/checks/lesson05.py",
        'got = np.asarray(call(fn, what, labels.copy(), classes, eps), dtype="float64")',
        'got = np.asarray(fn(labels.copy(), classes, eps), dtype="float64")',
        ("tests/test_checks.py::k=not_written",),
    ),
    Plant(
        "identity-block-ignores-kernel-size",
        "resnet_lib/blocks.py",
        'x = conv_bn(x, f2, k, 1, _name(name, "2"), bn_epsilon)',
        'x = conv_bn(x, f2, 3, 1, _name(name, "2"), bn_epsilon)',
        ("tests/test_checks.py::k=correct_identity",),
    ),
    Plant(
        "convolutional-block-hard-codes-stride-2",
        "resnet_lib/blocks.py",
        '    s = _validate.positive_int("strides", strides)\n    _channels(x)\n',
        "    s = 2\n    _channels(x)\n",
        ("tests/test_checks.py::k=correct_convolutional",),
    ),
    Plant(
        "lesion-drops-the-shortcut",
        "resnet_lib/analysis.py",
        "source = shortcut[-1] if shortcut else entering.pop()",
        "source = entering.pop()",
        ("tests/test_inside.py::k=keeps_the_shortcut",),
    ),
    Plant(
        "loss-surface-forgets-batchnorm-statistics",
        "resnet_lib/analysis.py",
        "        for weight, value in zip(model.weights, saved):\n",
        "        for weight, value in zip(model.trainable_weights, theta):\n",
        ("tests/test_inside.py::k=restores_every_weight",),
    ),
)


def apply(plant: Plant, root: Path) -> None:
    """Make the plant's edit in the copy under ``root``; raise if its text is no longer there."""
    path = root / plant.file
    text = path.read_text()
    if plant.old not in text:
        raise LookupError(f"{plant.name}: the text to replace is no longer in {plant.file}; update PLANTS.")
    path.write_text(text.replace(plant.old, plant.new, 1))


def pytest_args(tests: tuple[str, ...]) -> list[str]:
    args, keywords = [], []
    for test in tests:
        target, _, keyword = test.partition("::k=")
        args.append(target)
        if keyword:
            keywords.append(keyword)
    if keywords:
        args += ["-k", " or ".join(keywords)]
    return args


def run(plant: Plant) -> tuple[bool, float, str]:
    """(caught, seconds, last lines of pytest's output) for one plant."""
    with tempfile.TemporaryDirectory(prefix=f"plant-{plant.name}-") as tmp:
        copy = Path(tmp)
        shutil.copytree(
            ROOT / "resnet_lib", copy / "resnet_lib", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        apply(plant, copy)
        env = {**os.environ, "PYTHONPATH": str(copy), "RESNET_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
        probe = "import resnet_lib, sys; sys.stdout.write(resnet_lib.__file__)"
        where = subprocess.run(
            [sys.executable, "-c", probe], cwd=copy, env=env, capture_output=True, text=True
        )
        if not where.stdout.startswith(str(copy)):
            raise RuntimeError(f"the copy's resnet_lib was not imported (got {where.stdout or where.stderr})")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *pytest_args(plant.tests)],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    tail = "\n".join(done.stdout.strip().splitlines()[-3:])
    if done.returncode not in (0, 1):  # 2-5: interrupted, internal error, usage error, no tests ran
        raise RuntimeError(
            f"{plant.name}: pytest exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return done.returncode == 1, seconds, tail


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = [p.name for p in PLANTS]
    parser.add_argument("names", nargs="*", help=f"plants to run (default: all): {', '.join(names)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown plant(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [p for p in PLANTS if not args.names or p.name in args.names]
    missed = []
    for plant in chosen:
        caught, seconds, tail = run(plant)
        verdict = "caught" if caught else "MISSED"
        print(f"{verdict:7s} {plant.name:40s} {seconds:4.0f} s  {', '.join(plant.tests)}")
        if not caught:
            missed.append(plant.name)
            print("        " + tail.replace("\n", "\n        "))
    print(f"{len(chosen) - len(missed)} of {len(chosen)} planted bugs caught by their tests.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
