"""Serve every castline deployment from one long-running process, and watch the inbox.

``process-episode`` (run from the UI with parameters), ``watch-inbox`` (started
by the inbox watcher, or from the UI) and ``poll-feeds`` (every
``CASTLINE_FEEDS_INTERVAL`` seconds, default 3600). Deployments and schedules
live in the Prefect server's database, so they survive restarts.

The watcher (:func:`watch_inbox_forever`, a thread of this process) looks at
the inbox every ``CASTLINE_INBOX_INTERVAL`` seconds (default 10) without making
a flow run, and starts a ``watch-inbox`` run only when a pass has work: a
settled file, an entry to quarantine, or a claim a killed pass left in
``work/``. An idle day leaves no runs in the UI, and files dropped while the
service was down are picked up on its first look after a restart.
"""

from __future__ import annotations

import logging
import os
import threading

from prefect import serve

__all__ = ["deploy_to_pool", "deployments", "main", "watch_inbox_forever"]

log = logging.getLogger("castline.inbox-watcher")


def deployments(data_dir: str = "data", feeds_config: str = "feeds.yaml") -> list:
    """The deployments ``make serve`` runs, each with its schedule and defaults."""
    from flows.episode import process_episode
    from flows.feeds import poll_feeds
    from flows.inbox import watch_inbox

    feeds_every = float(os.environ.get("CASTLINE_FEEDS_INTERVAL", "3600"))
    return [
        process_episode.to_deployment(
            name="process-episode",
            parameters={"out_dir": os.path.join(data_dir, "output")},
            description="Process one input file (path on the server's disk) end to end.",
            tags=["castline"],
        ),
        watch_inbox.to_deployment(
            name="watch-inbox",
            parameters={"data_dir": data_dir},
            description="Claim settled files in the inbox, process them, archive or quarantine "
            "(started by the service's inbox watcher when there is work).",
            tags=["castline", "inbox"],
        ),
        poll_feeds.to_deployment(
            name="poll-feeds",
            interval=feeds_every,
            parameters={"config": feeds_config, "data_dir": data_dir},
            description="Fetch new feed items into the inbox.",
            tags=["castline", "scheduled"],
        ),
    ]


def deploy_to_pool(pool: str = "castline", *, queue: str | None = None, source: str | None = None,
                   data_dir: str = "data") -> list[str]:
    """Register the deployments on a work pool, so any number of workers can run them.

    Past one machine: ``prefect worker start --pool castline`` on each machine
    (with this checkout at ``source``) picks runs up; ``queue`` routes a
    deployment set to a queue (e.g. ``audio`` on a GPU worker). The pool is
    created (type ``process``) when missing. Returns the deployment ids.
    """
    import contextlib
    from pathlib import Path

    from prefect import flow as flow_factory
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    root = source or str(Path(__file__).resolve().parent.parent)
    with get_client(sync_client=True) as client:
        with contextlib.suppress(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    ids = []
    for name, entrypoint, parameters in (
        ("process-episode", "flows/episode.py:process_episode", {"out_dir": f"{data_dir}/output"}),
        ("watch-inbox", "flows/inbox.py:watch_inbox", {"data_dir": data_dir}),
    ):
        remote = flow_factory.from_source(source=root, entrypoint=entrypoint)
        ids.append(str(remote.deploy(name=name, work_pool_name=pool, work_queue_name=queue,
                                     parameters=parameters, build=False, push=False,
                                     print_next_steps=False, ignore_warnings=True)))
    return ids


def _in_flight(run_id) -> bool:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
    return state is None or not state.is_final()


def watch_inbox_forever(
    data_dir: str, every: float, stop: threading.Event, settle_seconds: float = 3.0
) -> None:
    """Start a ``watch-inbox`` run when the inbox has work and the last one this watcher started is done."""
    from prefect.deployments import run_deployment

    from castline.service.inbox import inbox_work

    last = None
    while not stop.wait(every):
        try:
            if last is not None and _in_flight(last):
                continue
            work = inbox_work(data_dir, settle_seconds=settle_seconds)
            if not work:
                continue
            run = run_deployment("watch-inbox/watch-inbox", parameters={"data_dir": data_dir}, timeout=0,
                                 flow_run_name=f"inbox: {work.describe()}", as_subflow=False)
            last = run.id
        except Exception as exc:  # noqa: BLE001 - a server hiccup must not end the watching; files wait
            log.warning("inbox watcher: %s: %s (trying again in %.0f s)", type(exc).__name__, exc, every)


def main() -> None:
    """Serve all deployments and watch the inbox until interrupted."""
    data_dir = os.environ.get("CASTLINE_DATA", "data")
    feeds = os.environ.get("CASTLINE_FEEDS", "feeds.yaml")
    limit = int(os.environ.get("CASTLINE_MAX_CONCURRENT_RUNS", "2"))
    every = float(os.environ.get("CASTLINE_INBOX_INTERVAL", "10"))
    stop = threading.Event()
    watcher = threading.Thread(target=watch_inbox_forever, args=(data_dir, every, stop), daemon=True,
                               name="inbox-watcher")
    watcher.start()
    try:
        serve(*deployments(data_dir, feeds), limit=limit)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
