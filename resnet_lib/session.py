"""One call at the top of every notebook: seeds, fast or full mode, plot style, paths."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

import keras
import matplotlib
import numpy as np
import tensorflow as tf

from . import _validate
from ._paths import PROJECT_ROOT, shown_path
from .training import load_checkpoint, read_checkpoint_state

#: The file beside a checkpoint that holds the mean and std its training inputs were normalised with.
NORMALISATION_FILE = "normalisation.json"

#: Set to 1 for fast mode (small data, few epochs), 0 for full mode. Unset: fast when CI is set.
FAST_ENV = "RESNET_FAST"


def fast_mode() -> bool:
    """True when ``$RESNET_FAST`` is 1/true/yes, or when it is unset and ``$CI`` is set."""
    value = os.environ.get(FAST_ENV)
    if value is None or value.strip() == "":
        return bool(os.environ.get("CI"))
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{FAST_ENV} must be 1 (fast mode) or 0 (full mode); got {value!r}.")


@dataclass(frozen=True)
class Session:
    """What a notebook needs to know about how it runs."""

    fast: bool
    seed: int
    root: Path
    images: Path
    build: Path
    checkpoints: Path
    logs: Path

    def pick(self, fast, full):
        """``fast`` in fast mode, ``full`` otherwise: ``epochs = s.pick(1, 20)``."""
        return fast if self.fast else full

    def trained_network(self, prefix="05_fashion_mnist_resnet"):
        """``(model, mean, std)`` of the newest finished run in this mode whose checkpoint folder
        starts with ``prefix`` (by default lesson 05's network) and holds the statistics its
        inputs were normalised with (``save_normalisation``); None when there is none.

        Later lessons reuse lesson 05's network this way instead of training one again.
        """
        mode = "fast" if self.fast else "full"
        folders = self.checkpoints.glob(f"{prefix}*_{mode}")
        for folder in sorted(folders, key=lambda f: f.stat().st_mtime, reverse=True):
            state = read_checkpoint_state(folder)
            if state and state["finished"] and (folder / NORMALISATION_FILE).is_file():
                stats = json.loads((folder / NORMALISATION_FILE).read_text())
                model = load_checkpoint(folder, state)
                print(f"loaded {model.name} from {folder.name} ({state['epoch']} epochs)")
                return model, np.float32(stats["mean"]), np.float32(stats["std"])
        return None

    def __str__(self):
        mode = "FAST (small data, few epochs)" if self.fast else "FULL"
        return f"resnet_lib session: mode={mode}, seed={self.seed}, outputs under {shown_path(self.build)}/"


def save_normalisation(folder, mean, std) -> None:
    """Store the per-channel ``mean`` and ``std`` a network's inputs were normalised with beside
    its checkpoint, so that a later lesson can feed it exactly as in training."""
    data = {"mean": np.asarray(mean, "float32").tolist(), "std": np.asarray(std, "float32").tolist()}
    (Path(folder) / NORMALISATION_FILE).write_text(json.dumps(data))


def seed_everything(seed: int = 0, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; make TF ops deterministic on CPU."""
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def setup(seed: int = 0, *, fast: bool | None = None, deterministic: bool = True) -> Session:
    """Prepare a notebook: seed everything, choose fast/full mode, set plot style and paths.

    Returns a ``Session`` whose ``fast`` flag and ``pick(fast, full)`` helper size the
    data and epochs, and whose paths point into the project (``build/`` for outputs).
    """
    seed = _validate.positive_int("seed", seed, minimum=0)
    seed_everything(seed, deterministic)
    if fast is None:
        fast = fast_mode()
    build = Path(os.environ.get("RESNET_BUILD_DIR", PROJECT_ROOT / "build"))
    session = Session(
        fast=fast,
        seed=seed,
        root=PROJECT_ROOT,
        images=PROJECT_ROOT / "images",
        build=build,
        checkpoints=build / "checkpoints",
        logs=build / "logs",
    )
    for folder in (session.build, session.checkpoints, session.logs):
        folder.mkdir(parents=True, exist_ok=True)
    matplotlib.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
        }
    )
    print(session)
    return session
