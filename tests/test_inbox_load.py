"""Load: a hostile drop of many files at once, two inbox runs started together (issue 19, part 2).

Each good file is processed exactly once, every bad one is quarantined with a report
naming the stage and the reason, nothing is lost or left in work/, no content gets two
output folders, and both runs take a share of the work (one machine's inbox is more
than one worker). ``bench/inbox_load.py`` runs the same drop at a larger count and
prints throughput and latency.

The first test runs two plain passes (``run_once`` with the real stages, in two
processes); the slow one runs two ``castline inbox --once`` against a real Prefect
server, each file a ``process-episode`` subflow.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from inbox_drop import (
    GROWING,
    TALK,
    Expected,
    LoadProcess,
    Writer,
    check_drop,
    make_drop,
    plain_pass_command,
    ready_file,
    start_together,
)
from servers import free_port, stop

from castline.service.inbox import ledger_entries, run_once

ROOT = Path(__file__).resolve().parent.parent
COUNT = 40


def _finish_growing(data: Path, writer: Writer, expected: dict[str, Expected]) -> None:
    """Stop writing the growing file; one more pass takes it, as the next scheduled pass would."""
    digest = writer.stop()
    report = run_once(data, LoadProcess(data), settle_seconds=0.3)
    assert [(o.name, o.status) for o in report.outcomes] == [(GROWING, "archived")], report.to_dict()
    expected[GROWING] = Expected("archived", digest)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_two_passes_share_a_hostile_drop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    expected = make_drop(data, COUNT, scratch=tmp_path / "outside")
    assert len(expected) + 1 == COUNT
    writer = Writer(data / "inbox" / GROWING).start()
    go = tmp_path / "go"
    results = [tmp_path / f"pass{i}.json" for i in (1, 2)]
    try:
        procs, _ = start_together(
            [plain_pass_command(data, go, r, settle=0.5, workers=2, passes=2) for r in results], go,
            [ready_file(r) for r in results], cwd=ROOT)
        for proc in procs:
            assert proc.wait(timeout=600) == 0
    finally:
        _finish_growing(data, writer, expected)
    passes = [json.loads(r.read_text(encoding="utf-8")) for r in results]

    check_drop(data, expected)
    seen = [digest for p in passes for digest in p["seen"]]
    assert len(seen) == len(set(seen)), "a content was given to process twice"
    good = {e.digest for e in expected.values() if e.status in ("archived", "copy")} - {expected[GROWING].digest}
    # Hostile content that reaches process (audio, binary, empty) fails there; the rest never gets in.
    assert good <= set(seen)
    # Both runs worked: neither only said "busy", each processed part of the drop.
    for p in passes:
        assert not p["busy"], "the second run only said busy: one machine's inbox is one worker"
        assert p["counts"]["archived"] >= 3, p["counts"]
    waiting = [f["name"] for p in passes for f in p["files"] if f["status"] == "waiting"]
    assert set(waiting) == {GROWING}


# -- the same through Prefect: a real server, two `castline inbox --once` -----------------------


@pytest.fixture()
def prefect_server(tmp_path: Path):
    """A Prefect server (SQLite in a temp PREFECT_HOME) on a free port; yields the env to reach it."""
    from castline.service.server import start_server, wait_healthy

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_LOGGING_LEVEL", None)
    server = start_server("127.0.0.1", port, env, log=tmp_path / "server.log")
    try:
        wait_healthy(api, timeout=180, proc=server)
        yield env
    finally:
        stop(server)


def flow_runs_by_name(api: str, flow_name: str) -> dict[str, int]:
    """How many runs of ``flow_name`` the server holds, by run name."""
    runs, offset = {}, 0
    while True:
        body = {"flows": {"name": {"any_": [flow_name]}}, "limit": 200, "offset": offset}
        page = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30).json()
        for run in page:
            runs[run["name"]] = runs.get(run["name"], 0) + 1
        if len(page) < 200:
            return runs
        offset += 200


def _small_drop(data: Path) -> dict[str, Expected]:
    """A few entries of each kind that reaches process-episode: good, copies, slugs alike, bad."""
    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    drops = {
        "episode a.txt": (TALK.format(topic="the first subflow").encode(), "copy", None),
        "copy of episode a.txt": (TALK.format(topic="the first subflow").encode(), "copy", None),
        "Same Slug.txt": (TALK.format(topic="gardening").encode(), "archived", None),
        "Same_Slug.txt": (TALK.format(topic="sailing").encode(), "archived", None),
        "episode b.txt": (TALK.format(topic="the second subflow").encode(), "archived", None),
        "empty.txt": (b"", "failed", "ingest"),
        "noise.txt": (os.urandom(3000), "failed", "ingest"),
    }
    expected = {}
    for name, (content, status, stage) in drops.items():
        (inbox / name).write_bytes(content)
        expected[name] = Expected(status, hashlib.sha256(content).hexdigest(), stage)
    return expected


@pytest.mark.slow
def test_two_cli_inbox_runs_on_a_prefect_server(tmp_path: Path, prefect_server: dict) -> None:
    """Two ``castline inbox --once`` at once on one server: both work, each file's subflow runs once."""
    data = tmp_path / "data"
    expected = _small_drop(data)
    command = [sys.executable, "-m", "castline.cli", "inbox", "--once", "--data", str(data), "--settle", "0.5",
               "--workers", "1"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=prefect_server, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=900) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs

    check_drop(data, expected)
    for stdout, stderr in outputs:
        assert "another inbox pass" not in stdout, "the second run only said busy"
        assert "Traceback" not in stderr and "database is locked" not in stderr, stderr[-3000:]
    # Each file that reached process-episode ran there once: one subflow run per file.
    runs = flow_runs_by_name(prefect_server["PREFECT_API_URL"], "process-episode")
    given = {f"inbox: {row['name']}" for row in ledger_entries(data) if row["status"] != "duplicate"}
    assert runs == dict.fromkeys(given, 1), runs
    assert len(given) == len(expected) - 1  # one of the two copies was not processed
    assert len(flow_runs_by_name(prefect_server["PREFECT_API_URL"], "watch-inbox")) == 2
