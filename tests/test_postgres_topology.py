"""The compose topology, natively: Prefect's API on Debian's PostgreSQL, a flow run through it.

Docker does not run here, so the test starts its own PostgreSQL cluster (as the
``postgres`` system user), points ``prefect server start`` at it through
``PREFECT_API_DATABASE_CONNECTION_URL`` exactly as docker-compose.yml does, runs
``process-episode`` against that server and reads the run back from Postgres.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from servers import free_port, stop

from castline.service.server import start_server, wait_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                          capture_output=True, text=True, **kwargs)


@pytest.fixture()
def postgres(tmp_path):
    """A throw-away PostgreSQL cluster on a free local port; yields the asyncpg URL."""
    if not PG_BIN or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs Debian's postgresql (installed by make test) and root to run it as postgres")
    bin_dir = PG_BIN[-1]
    # pytest's tmp_path is private to root; the cluster lives where postgres can reach it.
    data = Path(tempfile.mkdtemp(prefix="castline-pg-"))
    shutil.chown(data, "postgres", "postgres")
    port = free_port()
    _as_postgres(f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    _as_postgres(f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                 f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start")
    try:
        _as_postgres(f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "prefect")
        yield {"url": f"postgresql+asyncpg://postgres@127.0.0.1:{port}/prefect", "port": port, "bin": bin_dir}
    finally:
        _as_postgres(f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


def test_prefect_server_on_postgres_runs_process_episode(tmp_path, postgres):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_DATABASE_CONNECTION_URL": postgres["url"],
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server = start_server("127.0.0.1", port, env, log=tmp_path / "server.log")
    try:
        wait_healthy(api, timeout=180, proc=server)
        source = tmp_path / "talk.txt"
        source.write_text(
            "Host Person: What is the one idea you want listeners to keep?\n"
            "Guest Person: That verification is cheaper than generation, so we should build systems "
            "that check their own work before they show it to anyone.\n",
            encoding="utf-8",
        )
        client_env = {**env, "PREFECT_API_URL": api, "PREFECT_LOGGING_LEVEL": "ERROR"}
        code = (
            "from flows.episode import process_episode;"
            f"print(process_episode({str(source)!r}, out_dir={str(tmp_path / 'out')!r}))"
        )
        subprocess.run([sys.executable, "-c", code], env=client_env, cwd=ROOT, check=True, timeout=300)
        body = {"flows": {"name": {"any_": ["process-episode"]}},
                "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        runs = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).json()
        assert len(runs) == 1
        rows = subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{postgres['bin']}/psql", "-h", "127.0.0.1", "-p",
             str(postgres["port"]), "-d", "prefect", "-tAc",
             "select count(*) from flow_run where state_type = 'COMPLETED'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        assert rows == "1"
        assert (tmp_path / "out").exists()
    finally:
        stop(server)
