"""End to end as a user meets it: a real Prefect server, the serve process, the inbox, the UI.

Starts ``prefect server start`` (SQLite in a temp PREFECT_HOME) and
``python -m flows.serve`` on a free local port, drops a transcript into the
inbox, waits through the REST API for the runs to complete, then opens the UI
in headless Chromium (Debian's, driven by Playwright) and checks that the run
and its artifact are shown. The screenshot lands in ``build/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from servers import free_port, stop

from castline.service.server import start_server, wait_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "build" / "screenshots"

EPISODE = """Ada Lovelace: Welcome back to Engines. Today I'm joined by Charles Babbage. Charles, why build a machine to compute tables?
Charles Babbage: Because the printed tables were full of errors. A single wrong digit in a navigation table can sink a ship, and every table was computed by hand, twice, and still wrong.
Ada Lovelace: And the Analytical Engine goes further than the Difference Engine?
Charles Babbage: Much further. The Difference Engine evaluates polynomials. The Analytical Engine has a store and a mill, memory and a processor, and it can be programmed with punched cards borrowed from the Jacquard loom.
"""




@pytest.fixture()
def service(tmp_path):
    """A running Prefect server + serve process over a temp data folder."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    data = tmp_path / "data"
    for sub in ("inbox", "work", "output", "archive", "failed"):
        (data / sub).mkdir(parents=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_LOGGING_LEVEL": "INFO",
        "CASTLINE_DATA": str(data),
        "CASTLINE_FEEDS": str(tmp_path / "feeds.yaml"),
        "CASTLINE_INBOX_INTERVAL": "5",
        "CASTLINE_SHOWS": str(ROOT / "shows"),
    }
    (tmp_path / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    logs = tmp_path / "logs"
    logs.mkdir()
    server = start_server("127.0.0.1", port, env, log=logs / "server.log")
    workers = []

    def start_serve() -> None:
        """(Re)start the serve process, as a restart of the service would."""
        if workers:
            stop(workers[-1])
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "flows.serve"], env=env, cwd=ROOT, start_new_session=True,
            stdout=open(logs / f"serve-{len(workers)}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
        ))  # fmt: skip

    try:
        wait_healthy(api, timeout=180, proc=server)
        start_serve()
        yield {"api": api, "ui": f"http://127.0.0.1:{port}", "data": data, "logs": logs,
               "restart_serve": start_serve, "stop_serve": lambda: stop(workers[-1])}  # fmt: skip
    finally:
        for worker in workers:
            stop(worker)
        stop(server)


def _completed_runs(api: str, flow_name: str) -> list[dict]:
    body = {
        "flows": {"name": {"any_": [flow_name]}},
        "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
    }
    response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def _runs_of(api: str, flow_name: str) -> list[dict]:
    body = {"flows": {"name": {"any_": [flow_name]}}}
    response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def _deployments(api: str) -> list[str]:
    response = httpx.post(f"{api}/deployments/filter", json={}, timeout=10)
    response.raise_for_status()
    return [d["name"] for d in response.json()]


def _wait_for(predicate, timeout: float, what: str, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    tails = {p.name: p.read_text(errors="replace")[-3000:] for p in logs.glob("*.log")}
    pytest.fail(f"timed out waiting for {what}; logs: {tails}")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by make test")
def test_inbox_drop_runs_and_shows_in_the_ui(service):
    api, data = service["api"], service["data"]
    (data / "inbox" / "engines.txt").write_text(EPISODE, encoding="utf-8")

    runs = _wait_for(lambda: _completed_runs(api, "process-episode"), 300, "process-episode", service["logs"])
    run = runs[0]
    _wait_for(lambda: list((data / "archive").glob("engines*")), 60, "archive", service["logs"])
    outputs = list((data / "output").glob("*/episode.json"))
    assert len(outputs) == 1
    assert not list((data / "failed").iterdir())
    artifacts = httpx.post(
        f"{api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}, timeout=10,
    ).json()
    assert {"markdown", "table"} <= {a["type"] for a in artifacts}

    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{service['ui']}/runs/flow-run/{run['id']}", wait_until="networkidle")
        page.get_by_text(run["name"]).first.wait_for(timeout=60_000)
        page.screenshot(path=str(SCREENSHOTS / "flow-run.png"), full_page=True)
        page.get_by_text("Artifacts", exact=True).first.click()
        page.get_by_text("-highlights").first.wait_for(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "flow-run-artifacts.png"), full_page=True)
        browser.close()


def test_an_idle_inbox_makes_no_runs_and_a_restart_misses_no_file(service):
    api, data, logs = service["api"], service["data"], service["logs"]
    _wait_for(lambda: {"watch-inbox", "process-episode"} <= set(_deployments(api)), 120, "deployments", logs)
    time.sleep(20)  # four looks of the watcher (CASTLINE_INBOX_INTERVAL=5) at an empty inbox
    assert _runs_of(api, "watch-inbox") == []

    (data / "inbox" / "engines.txt").write_text(EPISODE, encoding="utf-8")
    _wait_for(lambda: list((data / "archive").glob("engines*")), 300, "the first file archived", logs)
    _wait_for(lambda: _completed_runs(api, "watch-inbox"), 60, "the pass completed", logs)
    time.sleep(20)  # idle again: no more passes
    passes = _runs_of(api, "watch-inbox")
    assert len(passes) == 1, [p["name"] for p in passes]
    assert passes[0]["name"] == "inbox: 1 ready"

    # A file dropped while the service is down is processed after the restart.
    service["stop_serve"]()
    (data / "inbox" / "engines-again.txt").write_text(EPISODE.replace("Engines", "Looms"), encoding="utf-8")
    time.sleep(5)
    service["restart_serve"]()
    _wait_for(lambda: list((data / "archive").glob("engines-again*")), 300, "the second file archived", logs)
    assert len(list((data / "output").glob("*/episode.json"))) == 2
    assert not list((data / "inbox").iterdir()) and not list((data / "failed").iterdir())
