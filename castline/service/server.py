"""Run the long-lived service: a Prefect server (API + UI) and the serve process.

Kept free of Prefect imports: the server is Prefect's own CLI in a child
process, and the deployments are served by ``python -m flows.serve`` in
another, so either can be restarted alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["ServiceStopped", "port_answers", "run_service", "start_server", "wait_healthy"]


class ServiceStopped(Exception):
    """SIGTERM or SIGHUP reached the service: stop it as Ctrl-C would."""


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _healthy(api_url: str) -> bool:
    """True when ``GET {api_url}/health`` answers 200 (a Prefect server)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_server(host: str, port: int, env: dict[str, str] | None = None,
                 log: Path | None = None) -> subprocess.Popen:
    """Start ``prefect server start`` on ``host:port`` (output to ``log`` when given); return the process."""
    output = open(log, "w") if log is not None else None  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=env or os.environ.copy(),
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )


def wait_healthy(api_url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    """Block until ``GET {api_url}/health`` answers, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Prefect server exited with status {proc.returncode}")
        if _healthy(api_url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Prefect server at {api_url} not healthy after {timeout:.0f}s")


def run_service(*, host: str, port: int, data_dir: Path, feeds_config: Path, console=None) -> int:
    """Start the server, then serve the deployments until interrupted; return an exit code."""
    for sub in ("inbox", "work", "output", "archive", "failed"):
        (data_dir / sub).mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    connect_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_url = env.get("PREFECT_API_URL") or f"http://{connect_host}:{port}/api"
    env["PREFECT_API_URL"] = api_url
    env["PREFECT_UI_API_URL"] = env.get("PREFECT_UI_API_URL", api_url)
    # Prefect's telemetry needs the internet; offline it logs an ERROR at every start.
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("CASTLINE_DATA", str(data_dir))
    env.setdefault("CASTLINE_FEEDS", str(feeds_config))

    def say(message: str) -> None:
        if console is not None:
            console.print(message, highlight=False)

    if port_answers(connect_host, port):
        what = "a Prefect server" if _healthy(f"http://{connect_host}:{port}/api") else "another program"
        say(f"[red]✗[/] port {port} on {connect_host} already answers ({what}; a stale one from an earlier "
            f"castline serve?): stop it, or start with --port")
        return 2

    def stop_on_signal(signum, _frame):
        raise ServiceStopped(signal.Signals(signum).name)

    # docker stop, systemd and a kill of the process group send SIGTERM, a closed terminal SIGHUP:
    # both must stop the server too (it lives in its own session, out of reach of the group's signal).
    handled = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop_on_signal) for sig in handled}
    server = worker = None
    try:
        server = start_server(host, port, env)
        wait_healthy(api_url, proc=server)
        say(f"Prefect UI: http://{connect_host}:{port}  (API {api_url})")
        worker = subprocess.Popen([sys.executable, "-m", "flows.serve"], env=env)
        say(f"serving process-episode, watch-inbox, poll-feeds; inbox: {data_dir / 'inbox'}")
        return worker.wait()
    except (KeyboardInterrupt, ServiceStopped) as stop:
        say(f"stopping ({stop or 'interrupted'}): the serve process, then the Prefect server")
        return 0
    finally:
        # A second signal must not cut the clean-up short.
        for sig in handled:
            signal.signal(sig, signal.SIG_IGN)
        for proc in (worker, server):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM) if proc is server else proc.terminate()
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    if proc is server:
                        os.killpg(proc.pid, signal.SIGKILL)
                    else:
                        proc.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
