"""Store full-mode outputs in the lessons, so that a reader sees every result without running anything.

``make publish`` runs the lessons in full mode (scripts/run_series.py writes build/notebooks/),
then copies each executed lesson's outputs into its source in notebooks/ and records the run in
the notebook's metadata (``resnet_series.published``, see hygiene.py). The copy is made cell by
cell onto the *current* source, so prose edited while the run went on is kept; a lesson whose
code cells changed since it ran is refused (run it again). On the way:

- the Exercises section is stored without outputs, so a student still predicts before seeing,
  and so are the cells tagged ``nbval-skip`` (a download, TensorBoard), whose outputs depend on
  the machine and its network;
- stderr (warnings, TensorFlow's start-up lines) is never stored: each dropped text is printed,
  for the lesson's author to silence at its source;
- the project's own path is removed from outputs (``/path/to/checkout/build`` becomes ``build``),
  and an output that still names an absolute path, or an error, refuses the lesson;
- streams are coalesced with nbconvert's CoalesceStreamsPreprocessor, so a progress bar keeps
  only what a reader sees of it (each ``\r`` rewrite replaces the text before it);
- a lesson file may not exceed 3 MB.

The executed copies record the commit and date they ran from, so ``--merge-only`` stores them
with the run's own record, not the checkout's.

Then the README's pictures are taken from the published lessons (make_images.py). Usage:

    python scripts/publish.py [notebooks/NN_name.ipynb ...]         # run in full mode, then store
    python scripts/publish.py --merge-only [notebooks/NN_name.ipynb ...]  # store build/notebooks/
    python scripts/publish.py --check                               # exit 1 naming stale lessons
"""

from __future__ import annotations

import argparse
import copy
import datetime
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hygiene  # noqa: E402
import make_images  # noqa: E402
from nbtools import NOTEBOOKS, ROOT, is_nav_cell, notebook_paths, write_if_changed  # noqa: E402

EXECUTED = ROOT / "build" / "notebooks"
MAX_BYTES = 3 * 1024 * 1024
#: Cells the tests skip (a download, TensorBoard): what they print depends on the machine and its
#: network, so they are stored without outputs.
SKIP_TAG = "nbval-skip"
#: Key, in an executed copy's metadata, of the run it came from (commit, date, seconds).
RAN = "ran"
#: An absolute path in an output: a POSIX path below a usual top folder, or a Windows drive.
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/(home|root|tmp|work|Users|var|opt|mnt|srv|usr)/|[A-Za-z]:\\\\?\w)")
#: How the Setup cell's session line names the mode (resnet_lib.session.Session.__str__).
MODE_RE = re.compile(r"resnet_lib session: mode=(FULL|FAST)")


class Refused(ValueError):
    """A lesson's run that cannot be published; the message says why and what to do."""


def exercises_start(nb) -> int:
    """Index of the ``## Exercises`` heading cell (len(cells) when there is none)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not is_nav_cell(cell):
            if any(line.strip() == "## Exercises" for line in cell.source.splitlines()):
                return index
    return len(nb.cells)


def run_mode(nb) -> str | None:
    """'full' or 'fast', as the lesson's Setup cell printed it; None when it printed no session line."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            match = MODE_RE.search(output.get("text", ""))
            if match:
                return match.group(1).lower()
    return None


def _text_outputs(output) -> list[str]:
    if output.get("output_type") == "stream":
        return [output.get("text", "")]
    return [v for k, v in output.get("data", {}).items() if k.startswith("text/") and isinstance(v, str)]


def _without_root(output):
    root = str(ROOT)
    if output.get("output_type") == "stream":
        output["text"] = output["text"].replace(root + os.sep, "").replace(root, ".")
    for key, value in output.get("data", {}).items():
        if key.startswith("text/") and isinstance(value, str):
            output["data"][key] = value.replace(root + os.sep, "").replace(root, ".")
    return output


def merged(ran, source, name: str = "lesson") -> tuple[nbformat.NotebookNode, list[str]]:
    """``source`` with the outputs of its executed copy ``ran``; returns it and the stderr texts dropped.

    Raises ``Refused`` when the code cells differ, the run was not in full mode, a cell failed, or
    an output names an absolute path.
    """
    ran_code = [c for c in ran.cells if c.cell_type == "code"]
    if hygiene.code_hash(ran) != hygiene.code_hash(source):
        raise Refused(f"{name}: its code cells changed since this run; run it again (make publish)")
    if run_mode(ran) != "full":
        raise Refused(f"{name}: the run was not in full mode (RESNET_FAST=0); `make publish` runs it so")
    nb = copy.deepcopy(source)
    start = exercises_start(nb)
    dropped, code = [], iter(ran_code)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        executed = next(code)
        if index > start or SKIP_TAG in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
            continue
        outputs = []
        for output in copy.deepcopy(executed.get("outputs", [])):
            if output.get("output_type") == "error":
                raise Refused(f"{name}: cell {index} failed ({output.get('ename')}); fix it and run it again")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                dropped.append(f"{name}, cell {index}: {output['text'].strip()[:300]}")
                continue
            output = _without_root(output)
            for text in _text_outputs(output):
                if ABSOLUTE_PATH.search(text):
                    line = next(ln for ln in text.splitlines() if ABSOLUTE_PATH.search(ln))
                    raise Refused(f"{name}: cell {index} prints an absolute path ({line.strip()[:120]})")
            outputs.append(output)
        cell.outputs, cell.execution_count = outputs, executed.get("execution_count")
        # one stream per name, and a progress bar's \r-rewritten states reduced to what a reader sees
        CoalesceStreamsPreprocessor().preprocess_cell(cell, {}, index)
    return nb, dropped


def git_commit() -> str:
    """The library's commit: ``git rev-parse --short HEAD``, with ``+modified`` when resnet_lib/ has
    uncommitted changes; 'unknown' outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "resnet_lib"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+modified" if changed else "")


def with_record(nb, seconds: float | None = None, today: str | None = None, commit: str | None = None):
    """Record the published run in ``nb``'s metadata (in place) and return ``nb``."""
    versions = {pkg: importlib.metadata.version(pkg) for pkg in ("tensorflow", "keras")}
    entry = {
        "mode": "full",
        "date": today or datetime.date.today().isoformat(),
        **versions,
        "commit": commit or git_commit(),
        "code_hash": hygiene.code_hash(nb),
        "outputs_hash": hygiene.outputs_hash(nb),
    }
    if seconds is not None:
        entry["seconds"] = round(seconds)
    nb.metadata.setdefault(hygiene.SERIES, {})[hygiene.PUBLISHED] = entry
    return nb


def problems(nb, size: int | None = None) -> list[str]:
    """Why a committed lesson's stored outputs cannot stand (empty when they can)."""
    entry = hygiene.record(nb)
    if entry is None:
        return ["it stores no published outputs (run `make publish LESSONS=notebooks/<this lesson>`)"]
    found = []
    when = f"the run of {entry.get('date')} (commit {entry.get('commit')})"
    if entry.get("mode") != "full":
        found.append(f"{when} was not in full mode")
    if entry.get("code_hash") != hygiene.code_hash(nb):
        found.append(f"its code cells changed since {when}: run it again (`make publish LESSONS=...`)")
    if entry.get("outputs_hash") != hygiene.outputs_hash(nb):
        found.append(f"its outputs are not those of {when} (run by hand and saved? `git checkout` the file)")
    if size is not None and size > MAX_BYTES:
        found.append(f"the file is {size / 2**20:.1f} MB (at most 3 MB: smaller figures)")
    start = exercises_start(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if index > start and cell.outputs:
            found.append(f"cell {index} (Exercises) stores outputs: a student must predict before seeing")
        if SKIP_TAG in cell.metadata.get("tags", []):
            if cell.outputs:
                found.append(f"cell {index} ({SKIP_TAG}) stores outputs: they depend on the machine")
            continue
        if index < start and cell.execution_count is None:
            found.append(f"cell {index} was not executed in {when}")
        for output in cell.outputs:
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                found.append(f"cell {index} stores an error or stderr output")
            if any(ABSOLUTE_PATH.search(text) for text in _text_outputs(output)):
                found.append(f"cell {index} stores an absolute path")
    return found


def publish(paths: list[Path], executed: Path = EXECUTED, seconds: dict | None = None) -> int:
    """Store the executed copies of ``paths`` in the lessons; returns the number refused."""
    refused = 0
    for path in paths:
        run = Path(executed) / path.name
        if not run.exists():
            print(f"publish: {path.name}: no executed copy in {run.parent.relative_to(ROOT)}/")
            refused += 1
            continue
        source, ran = nbformat.read(path, as_version=4), nbformat.read(run, as_version=4)
        stamp = ran.metadata.get(hygiene.SERIES, {}).get(RAN, {})  # when and from which commit it ran
        try:
            nb, dropped = merged(ran, source, path.name)
        except Refused as err:
            print(f"publish: REFUSED {err}")
            refused += 1
            continue
        for text in dropped:
            print(f"publish: dropped stderr ({text}); silence it in the lesson or the library")
        took = (
            (seconds or {}).get(path.name)
            or stamp.get("seconds")
            or (hygiene.record(source) or {}).get("seconds")
        )
        hygiene.clean(with_record(nb, took, stamp.get("date"), stamp.get("commit")))
        size = len(nbformat.writes(nb).encode())
        found = problems(nb, size)
        if found:
            print(f"publish: REFUSED {path.name}: " + "; ".join(found))
            refused += 1
            continue
        changed = write_if_changed(nb, path)
        print(f"publish: {path.name}: {'stored' if changed else 'unchanged'} ({size / 2**20:.2f} MB)")
        print(f"  images/{path.stem}.png: {make_images.make_image(path)}")
    return refused


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--merge-only", action="store_true", help="store build/notebooks/ without running")
    parser.add_argument("--check", action="store_true", help="only report stale lessons; exit 1 if any")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or notebook_paths(NOTEBOOKS)
    if args.check:
        stale = {p.name: problems(nbformat.read(p, as_version=4), p.stat().st_size) for p in paths}
        for name, found in stale.items():
            for problem in found:
                print(f"{name}: {problem}")
        return 1 if any(stale.values()) else 0
    seconds = None
    if not args.merge_only:
        import run_series

        os.environ["RESNET_FAST"] = "0"
        stamp = {"commit": git_commit(), "date": datetime.date.today().isoformat()}
        seconds = run_series.execute(paths)[1]
        run_series.report(seconds)
        for path in paths:  # the executed copies say which run they are, for a later --merge-only
            ran = nbformat.read(EXECUTED / path.name, as_version=4)
            ran.metadata.setdefault(hygiene.SERIES, {})[RAN] = {**stamp, "seconds": round(seconds[path.name])}
            nbformat.write(ran, EXECUTED / path.name)
    refused = publish(paths, seconds=seconds)
    if refused:
        print(f"publish: {refused} lesson(s) not stored; see above")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
