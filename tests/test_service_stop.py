"""``castline serve`` stops cleanly on SIGTERM and refuses a port that already answers (issue 19 part 6).

The service is started as a user starts it (``castline serve``, a real Prefect
server and the serve process), then sent SIGTERM, what ``docker stop``,
systemd and ``kill PID`` send. Nothing it started may outlive it: not the
Prefect server (its own session, out of reach of the group's signal), not
the serve process. Processes are recognised by the test's own PREFECT_HOME
in their environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import free_port

from castline.service.server import port_answers, wait_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), CASTLINE_SHOWS=str(ROOT / "shows"), PYTHONUNBUFFERED="1")
    return env


def _processes_with(home: str) -> list[int]:
    """PIDs of live processes whose environment holds ``PREFECT_HOME=home``."""
    wanted = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:  # a zombie has already exited
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _serve(tmp_path: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    (tmp_path / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "castline.cli", "serve", "--port", str(port), "--data", str(tmp_path / "data"),
         "--feeds", str(tmp_path / "feeds.yaml")],
        env=env, cwd=ROOT, start_new_session=True, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_sigterm_stops_the_server_and_the_serve_process(tmp_path):
    port, env, log = free_port(), _env(tmp_path), tmp_path / "serve.log"
    service = _serve(tmp_path, port, env, log)
    home = env["PREFECT_HOME"]
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api", timeout=180)
        assert _wait_until(lambda: "serving process-episode" in log.read_text(), 60), log.read_text()
        # The server, its workers and the serve process: more than the castline process alone.
        assert _wait_until(lambda: len(_processes_with(home)) >= 3, 30), _processes_with(home)
        service.send_signal(signal.SIGTERM)  # to the castline process only, as `kill PID` does
        assert service.wait(timeout=60) == 0, log.read_text()
        assert "stopping (SIGTERM)" in log.read_text()
        assert _wait_until(lambda: not port_answers("127.0.0.1", port), 20), "the Prefect server still answers"
        assert _wait_until(lambda: not _processes_with(home), 20), f"left running: {_processes_with(home)}"
    finally:
        for pid in _processes_with(home):
            os.kill(pid, signal.SIGKILL)


def test_a_port_that_already_answers_is_refused(tmp_path):
    port, env, log = free_port(), _env(tmp_path), tmp_path / "serve.log"
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        service = _serve(tmp_path, port, env, log)
        try:
            code = service.wait(timeout=120)
        finally:
            if service.poll() is None:
                service.kill()
    text = log.read_text()
    assert code == 2, text
    assert f"port {port}" in text and "already answers" in text and "another program" in text
    assert not _processes_with(env["PREFECT_HOME"])  # no server was started
