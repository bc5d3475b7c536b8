"""Run the whole notebook series headlessly, in order.

Writes each executed notebook to build/notebooks/ and an HTML copy to build/html/, and prints
each lesson's time against its full-mode budget (BUDGETS; the README states them). Fast or full
mode follows RESNET_FAST (see README). Usage:

    python scripts/run_series.py [notebooks/01_*.ipynb ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
#: Full-mode time budget of each lesson on the reference machine (2 CPU cores), in seconds: 30 minutes in all.
BUDGETS = {"01": 360, "02": 30, "03": 30, "04": 120, "05": 540, "06": 300, "07": 120, "08": 300}


def run(paths: list[Path]) -> int:
    """Run ``paths`` in order and print the times; returns 1 when any lesson failed."""
    failures, seconds = execute(paths)
    report(seconds)
    if failures:
        print(f"{len(failures)} notebook(s) failed: {', '.join(failures)}")
        return 1
    print(f"all {len(paths)} notebooks ran; open build/html/ in a browser or build/notebooks/ in JupyterLab")
    return 0


def report(seconds: dict[str, float]) -> None:
    """Print each lesson's time against its full-mode budget."""
    print("\nlesson                                   seconds   full-mode budget")
    for name, took in seconds.items():
        budget = BUDGETS.get(name[:2])
        over = "  OVER" if budget and took > budget else ""
        print(f"  {name:38s} {took:7.0f}   {budget or '-':>6}{over}")
    print(f"  {'all':38s} {sum(seconds.values()):7.0f}   {sum(BUDGETS.values()):>6}")


def execute(paths: list[Path]) -> tuple[list[str], dict[str, float]]:
    """Execute each lesson into build/notebooks/ and build/html/; returns the failed names and the
    seconds each lesson took."""
    out_nb = ROOT / "build" / "notebooks"
    out_html = ROOT / "build" / "html"
    out_nb.mkdir(parents=True, exist_ok=True)
    out_html.mkdir(parents=True, exist_ok=True)
    failures, seconds = [], {}
    for path in paths:
        start = time.perf_counter()
        print(f"running {path.name} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=None,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            # errors only: ipykernel warns on every start that a local TCP kernel is unencrypted
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        try:
            client.execute()
        except CellExecutionError as err:
            failures.append(path.name)
            print(f"  FAILED: {str(err).splitlines()[-1] if str(err) else err}", flush=True)
        nbformat.write(nb, out_nb / path.name)
        body, _ = HTMLExporter().from_notebook_node(nb)
        (out_html / path.with_suffix(".html").name).write_text(body, encoding="utf-8")
        seconds[path.name] = time.perf_counter() - start
        print(f"  done in {seconds[path.name]:.0f} s -> build/notebooks/{path.name}", flush=True)
    return failures, seconds


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    sys.exit(run(args))
