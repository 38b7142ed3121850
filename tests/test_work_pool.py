"""Past one machine: a work pool with two workers on one Prefect server on PostgreSQL.

`castline deploy` registers the deployments on a process work pool; two
`prefect worker start` processes (one run at a time each) pick up ten submitted
episodes. Every episode is processed exactly once and both workers take a share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from servers import free_port, stop
from test_postgres_topology import postgres  # noqa: F401 - the fixture

from castline.service.server import start_server, wait_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ["tides", "bridges", "compilers", "orchards", "glaciers", "printing", "radio", "bees", "maps", "clocks"]


def test_two_workers_share_ten_episodes_exactly_once(tmp_path, postgres):  # noqa: F811
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    data = tmp_path / "data"
    (data / "output").mkdir(parents=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_DATABASE_CONNECTION_URL": postgres["url"],
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "CASTLINE_EMBEDDER": "tfidf",  # ten MiniLM loads would only slow the test down
        "PREFECT_LOGGING_LEVEL": "INFO",  # workers log each run they submit
        "COLUMNS": "400",  # and the console must not wrap a run id across lines
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    server = start_server("127.0.0.1", port, env, log=logs / "server.log")
    workers = []
    try:
        wait_healthy(api, timeout=180, proc=server)
        client_env = {**env, "PREFECT_API_URL": api}
        subprocess.run([sys.executable, "-m", "castline.cli", "deploy", "--pool", "castline-test",
                        "--data", str(data)], env=client_env, cwd=ROOT, check=True, timeout=300)
        for name in ("w1", "w2"):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", "castline-test",
                 "--name", name, "--limit", "1"],
                env=client_env, cwd=ROOT, start_new_session=True,
                stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
            ))
        deployment = httpx.get(f"{api}/deployments/name/process-episode/process-episode", timeout=10).json()
        run_ids = []
        submitted = time.monotonic()
        for topic in TOPICS:
            source = tmp_path / f"{topic}.txt"
            source.write_text(
                f"Host Person: Welcome back. Today we talk about {topic}. What got you into {topic}?\n"
                f"Guest Person: I grew up near {topic}, and every summer I studied {topic} with my uncle. "
                f"The thing most people miss about {topic} is how much patience they demand.\n",
                encoding="utf-8",
            )
            run = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run",
                             json={"parameters": {"input_path": str(source), "out_dir": str(data / "output")}},
                             timeout=10).json()
            run_ids.append(run["id"])

        deadline = time.monotonic() + 600
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}},
                              timeout=10).json()
            states = {r["id"]: r["state_type"] for r in runs}
            if all(states.get(i) in ("COMPLETED", "FAILED", "CRASHED") for i in run_ids):
                break
            time.sleep(3)
        assert all(states.get(i) == "COMPLETED" for i in run_ids), (
            states, {p.name: p.read_text(errors="replace")[-2000:] for p in logs.glob("w*.log")})

        outputs = sorted(p.parent.name for p in (data / "output").glob("*/episode.json"))
        assert len(outputs) == len(TOPICS)  # one folder per episode: nothing ran twice
        worker_logs = {name: (logs / f"{name}.log").read_text(errors="replace") for name in ("w1", "w2")}

        def ran(text: str, run_id: str) -> bool:
            # Both workers may try to submit a run; the server lets one through and tells the
            # other to abort, so a worker ran it when it submitted and was not told to abort.
            return (f"submitting flow run '{run_id}'" in text
                    and f"Aborted submission of flow run '{run_id}'" not in text)

        share = {name: sum(ran(text, run_id) for run_id in run_ids) for name, text in worker_logs.items()}
        for run_id in run_ids:
            assert sum(ran(text, run_id) for text in worker_logs.values()) == 1, run_id
        assert all(count >= 1 for count in share.values()), share
        minutes = (time.monotonic() - submitted) / 60
        print(f"two-worker split: {share}; {len(TOPICS) / minutes:.1f} episodes/min")
    finally:
        for worker in workers:
            stop(worker)
        stop(server)
