"""kill -9 mid-run: the next inbox pass resumes from the finished stages, with one output.

A real ``castline inbox --once`` process works on the MLST seed; once some
stage results are persisted it is killed with SIGKILL. The next pass finds the
claimed file in work/, runs it again, and Prefect's cache hands back the
stages that had finished (their task runs are ``Cached``), so the episode is
written once and the original is archived with its bytes intact.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CASTLINE = [sys.executable, "-m", "castline.cli"]


def _stored_results(prefect_home: Path) -> int:
    storage = prefect_home / "storage"
    return len(list(storage.iterdir())) if storage.exists() else 0


def test_killed_pass_resumes_from_finished_stages(tmp_path):
    data = tmp_path / "data"
    for sub in ("inbox", "work", "output", "archive", "failed"):
        (data / sub).mkdir(parents=True)
    seed = ROOT / "seeds" / "mlst-eiso-kant.raw.txt"
    shutil.copy(seed, data / "inbox" / "mlst.txt")
    (data / "inbox" / "mlst.txt.meta.json").write_text(
        '{"speakers": "Tim Scarfe:host,Eiso Kant:guest", "show": "mlst"}', encoding="utf-8"
    )
    prefect_home = tmp_path / "prefect"
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "CASTLINE_SHOWS": str(ROOT / "shows")}
    env.pop("PREFECT_API_URL", None)
    command = [*CASTLINE, "inbox", "--once", "--data", str(data), "--settle", "0"]

    first = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _stored_results(prefect_home) < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "the pass finished before it could be killed; use a longer input"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not list((data / "archive").glob("mlst*")), "killed before archiving"

    second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]

    archived = data / "archive" / "mlst.txt"
    assert hashlib.sha256(archived.read_bytes()).digest() == hashlib.sha256(seed.read_bytes()).digest()
    outputs = list((data / "output").glob("*/episode.json"))
    assert len(outputs) == 1
    assert not list((data / "failed").iterdir())

    db = sqlite3.connect(prefect_home / "prefect.db")
    latest_flow_run = db.execute(
        "select id from flow_run where name like 'inbox:%' or flow_id in "
        "(select id from flow where name = 'process-episode') order by created desc limit 1"
    ).fetchone()[0]
    states = dict(db.execute(
        "select name, state_name from task_run where flow_run_id = ?", (latest_flow_run,)
    ).fetchall())
    assert states.get("speakers") == "Cached", states
