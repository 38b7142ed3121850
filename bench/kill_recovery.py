"""kill -9 at random moments of an inbox pass, then a restart: nothing lost, nothing doubled (issue 19 part 3).

Each run starts from a fresh data folder holding the MLST seed (with its
sidecar) and a short labelled transcript, starts ``castline inbox --once``
(ephemeral Prefect, every stage real), kills its whole process group with
SIGKILL after a random share of an uninterrupted pass's time, then runs the
pass again to the end. After the restart every input must be archived once
with its bytes intact, each with exactly one output folder holding a complete
``episode.json``, nothing in ``failed/``, no claim left in ``work/``, no
``.part`` or half-written file anywhere.

    python bench/kill_recovery.py              # 20 runs
    python bench/kill_recovery.py --runs 5 --seed 1

Prints one line per run (when the kill came, which stage outputs existed, what
the restart found) and the totals.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASTLINE = [sys.executable, "-m", "castline.cli"]
INPUTS = {
    "mlst.txt": ROOT / "seeds" / "mlst-eiso-kant.raw.txt",
    "notebook.txt": ROOT / "seeds" / "producer-notebook.labelled.txt",
}


def _prepare(folder: Path) -> tuple[Path, dict[str, str]]:
    data = folder / "data"
    for sub in ("inbox", "work", "output", "archive", "failed"):
        (data / sub).mkdir(parents=True)
    for name, source in INPUTS.items():
        shutil.copy(source, data / "inbox" / name)
    (data / "inbox" / "mlst.txt.meta.json").write_text(
        '{"speakers": "Tim Scarfe:host,Eiso Kant:guest", "show": "mlst"}', encoding="utf-8"
    )
    env = {**os.environ, "PREFECT_HOME": str(folder / "prefect"), "CASTLINE_SHOWS": str(ROOT / "shows")}
    env.pop("PREFECT_API_URL", None)
    return data, env


def _command(data: Path) -> list[str]:
    return [*CASTLINE, "inbox", "--once", "--data", str(data), "--settle", "0"]


def _problems(data: Path) -> list[str]:
    """What a restart failed to put right (empty: all well)."""
    found = []
    for name, source in INPUTS.items():
        archived = data / "archive" / name
        if not archived.exists():
            found.append(f"{name} not archived")
        elif hashlib.sha256(archived.read_bytes()).digest() != hashlib.sha256(source.read_bytes()).digest():
            found.append(f"{name} archived with other bytes")
    extra = [p.name for p in (data / "archive").iterdir() if p.name not in INPUTS and not p.name.endswith(".json")]
    if extra:
        found.append(f"archived twice: {extra}")
    episodes = list((data / "output").glob("*/episode.json"))
    if len(episodes) != len(INPUTS):
        found.append(f"{len(episodes)} output folders for {len(INPUTS)} inputs")
    for episode in episodes:
        try:
            json.loads(episode.read_text(encoding="utf-8"))
        except ValueError:
            found.append(f"{episode} half-written")
    if any((data / "failed").iterdir()):
        found.append(f"failed/: {sorted(p.name for p in (data / 'failed').iterdir())}")
    claims = [p.name for p in (data / "work").iterdir() if p.is_dir() and not p.name.startswith(".")]
    if claims:
        found.append(f"claims left in work/: {claims}")
    parts = [str(p.relative_to(data)) for p in data.rglob("*") if p.name.endswith((".part", ".tmp"))]
    if parts:
        found.append(f"partial files: {parts}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="castline-kill-") as scratch:
        data, env = _prepare(Path(scratch) / "baseline")
        started = time.monotonic()
        subprocess.run(_command(data), env=env, cwd=ROOT, check=True, capture_output=True, timeout=900)
        whole = time.monotonic() - started
        assert not _problems(data), _problems(data)
        print(f"uninterrupted pass: {whole:.1f} s for {len(INPUTS)} inputs")

        failures = 0
        for run in range(1, args.runs + 1):
            data, env = _prepare(Path(scratch) / f"run{run}")
            at = rng.uniform(0.05, 0.95) * whole
            first = subprocess.Popen(_command(data), env=env, cwd=ROOT, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                first.wait(timeout=at)
                killed = False
            except subprocess.TimeoutExpired:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
                killed = True
            state = (f"{len(list((data / 'archive').iterdir()))} archived, "
                     f"{len(list((data / 'output').glob('*/episode.json')))} outputs")  # fmt: skip
            t0 = time.monotonic()
            second = subprocess.run(_command(data), env=env, cwd=ROOT, capture_output=True, text=True,
                                    timeout=900)  # fmt: skip
            problems = _problems(data) + ([f"restart exit {second.returncode}"] if second.returncode else [])
            failures += bool(problems)
            print(f"run {run:>2}: {'killed' if killed else 'finished'} at {at:5.1f} s ({state}); "
                  f"restart {time.monotonic() - t0:5.1f} s: {'; '.join(problems) or 'all well'}", flush=True)
            shutil.rmtree(data.parent, ignore_errors=True)
        print(f"\n{args.runs - failures}/{args.runs} runs recovered with nothing lost or doubled")
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
