"""Inbox under load: many files dropped at once, two inbox runs started together (issue 19, part 2).

Drops ``--files`` entries into a fresh data folder, a fifth or so hostile (truncated
audio, random bytes, zero bytes, a fifo, a symlink out of the inbox, a broken sidecar,
names with control characters or 240 characters, names that slug alike, copies under
other names, a file still being written; ``tests/inbox_drop.py``), starts two inbox
runs at the same moment and checks every entry: each good file processed exactly once,
every bad one quarantined with a reason, nothing lost, no content with two output
folders. Then prints throughput and latency.

    python bench/inbox_load.py                     # plain passes (run_once, real stages), 100 files
    python bench/inbox_load.py --mode prefect      # two `castline inbox --once` on a Prefect server
    python bench/inbox_load.py --files 200 --passes 1   # the old behaviour: one run works, one is busy

Latency is from the moment both runs start (the drop is complete by then) to the
file's outcome in the ledger (whole seconds); throughput counts processed files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from inbox_drop import (  # noqa: E402
    GROWING,
    Expected,
    LoadProcess,
    Writer,
    check_drop,
    figures,
    make_drop,
    plain_pass_command,
    ready_file,
    start_together,
)
from servers import free_port, stop  # noqa: E402

from castline.service.inbox import ledger_entries, run_once  # noqa: E402


def _plain(data: Path, work: Path, args) -> tuple[float, list[dict]]:
    go = work / "go"
    results = [work / f"pass{i}.json" for i in range(1, args.runs + 1)]
    commands = [plain_pass_command(data, go, r, settle=args.settle, workers=args.workers, passes=args.passes)
                for r in results]
    procs, started = start_together(commands, go, [ready_file(r) for r in results], cwd=ROOT)
    for proc in procs:
        if proc.wait(timeout=3600) != 0:
            raise SystemExit(f"a pass exited with {proc.returncode}")
    return started, [json.loads(r.read_text(encoding="utf-8")) for r in results]


def _prefect(data: Path, work: Path, args) -> tuple[float, list[dict]]:
    from castline.service.server import start_server, wait_healthy

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_LOGGING_LEVEL", None)
    server = start_server("127.0.0.1", port, env, log=work / "server.log")
    try:
        wait_healthy(api, timeout=300, proc=server)
        command = [sys.executable, "-m", "castline.cli", "inbox", "--once", "--data", str(data),
                   "--settle", str(args.settle), "--passes", str(args.passes)]
        started = time.time()
        procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(args.runs)]
        runs = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=3600)
            runs.append({"returncode": proc.returncode, "stdout": stdout, "stderr": stderr,
                         "busy": "already running" in stdout or "another inbox pass" in stdout})
        return started, runs
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100, help="entries dropped at once (at least 24)")
    parser.add_argument("--mode", choices=("plain", "prefect"), default="plain")
    parser.add_argument("--runs", type=int, default=2, help="inbox runs started together")
    parser.add_argument("--passes", type=int, default=2, help="max_passes: runs allowed on the folder at once")
    parser.add_argument("--workers", type=int, default=2, help="plain mode: threads per run")
    parser.add_argument("--settle", type=float, default=0.5)
    parser.add_argument("--lines", type=int, default=40, help="turns added to each good episode (40: ~700 words)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="castline-inbox-load-"))
    data = work / "data"
    expected = make_drop(data, args.files, scratch=work / "outside", lines=args.lines)
    writer = Writer(data / "inbox" / GROWING).start()
    try:
        started, runs = (_plain if args.mode == "plain" else _prefect)(data, work, args)
    finally:
        digest = writer.stop()
    finished = time.time()
    # The next pass takes the file that was still being written (and anything a busy run left).
    run_once(data, LoadProcess(data), settle_seconds=0.3, max_workers=args.workers)
    expected[GROWING] = Expected("archived", digest)
    try:
        check_drop(data, expected)
        problems: list[str] = []
    except AssertionError as exc:  # still print the figures, then every problem, and exit 1
        problems = str(exc).splitlines()
    lost, duplicated = _lost_and_duplicated(data, expected)

    rows = [r for r in ledger_entries(data) if r["name"] != GROWING]
    statuses = Counter(r["status"] for r in rows)
    stages = Counter(r["stage"] for r in rows if r["status"] == "failed")
    fig = figures(data, started, names={r["name"] for r in rows})
    outputs = len(list((data / "output").glob("*/episode.json")))
    result = {
        "mode": args.mode, "entries": len(expected), "runs": args.runs, "max_passes": args.passes,
        "processed": statuses["done"], "duplicates": statuses["duplicate"], "quarantined": statuses["failed"],
        "quarantined_by_stage": dict(stages), "lost": lost, "duplicated_outputs": duplicated,
        "output_folders": outputs, "problems": problems,
        "wall_s": round(finished - started, 1),
        **{k: round(v, 2) for k, v in fig.items() if k not in ("entries", "processed")},
        "busy_runs": sum(bool(r.get("busy")) for r in runs),
    }
    if args.mode == "plain":
        result["share"] = [r["counts"] for r in runs]
        seconds = [f["seconds"] for r in runs for f in r["files"] if f["status"] == "archived"]
        if seconds:
            result["service_s_mean"] = round(statistics.mean(seconds), 2)
        seen = [d for r in runs for d in r["seen"]]
        result["given_to_process_twice"] = len(seen) - len(set(seen))
    else:
        result["tracebacks"] = sum("Traceback" in r["stderr"] for r in runs)
        result["database_locked"] = sum("database is locked" in r["stderr"] for r in runs)
        result["share"] = [r["stdout"].strip().splitlines()[-1] if r["stdout"].strip() else "" for r in runs]
    print(f"inbox load ({args.mode}): {len(expected)} entries, {args.runs} runs at once (max_passes "
          f"{args.passes}, {args.workers} workers each), good episodes of {4 + args.lines} turns")
    print(f"  processed {result['processed']}, duplicates {result['duplicates']}, quarantined "
          f"{result['quarantined']} {dict(stages)}; lost {lost}, duplicated outputs {duplicated} "
          f"({outputs} output folders)")
    print(f"  runs: {result['share']}  (busy: {result['busy_runs']})")
    print(f"  throughput {result['per_minute']:.1f} processed files/min over {result['span_s']:.0f} s; "
          f"latency p50 {result['latency_p50_s']:.0f} s, p95 {result['latency_p95_s']:.0f} s, "
          f"max {result['latency_max_s']:.0f} s" + (f"; {result['service_s_mean']} s per file in process"
                                                      if "service_s_mean" in result else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if problems:
        print(f"  {len(problems)} problems:\n    " + "\n    ".join(problems))
    return 1 if problems else 0


def _lost_and_duplicated(data: Path, expected: dict[str, Expected]) -> tuple[int, int]:
    """Entries with no outcome (no ledger row, or still in inbox/ or work/), and extra output folders."""
    finished = {r["name"] for r in ledger_entries(data) if r["final_path"] and os.path.lexists(r["final_path"])}
    lost = sum(name not in finished for name in expected)
    per_content = Counter(json.loads(p.read_text(encoding="utf-8")).get("source_sha256")
                          for p in (data / "output").glob("*/episode.json"))
    return lost, sum(n - 1 for n in per_content.values())


if __name__ == "__main__":
    sys.exit(main())
