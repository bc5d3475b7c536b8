"""Where the project lies, and paths as the lessons print them."""

from __future__ import annotations

from pathlib import Path

#: The project folder; paths under it are printed relative to it, so no output names the machine.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shown_path(path) -> str:
    """``path`` as printed in a lesson: relative to the project (``build/checkpoints/...``) when it
    lies inside it, from ``~`` when it lies in the home folder, as given otherwise."""
    path = Path(path)
    resolved = path.resolve()
    if resolved.is_relative_to(PROJECT_ROOT):
        return str(resolved.relative_to(PROJECT_ROOT))
    home = Path.home().resolve()
    return str("~" / resolved.relative_to(home)) if resolved.is_relative_to(home) else str(path)
