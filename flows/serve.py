"""Serve every castline deployment with its schedule from one long-running process.

``process-episode`` (run from the UI with parameters), ``watch-inbox`` (every
``CASTLINE_INBOX_INTERVAL`` seconds, default 30) and ``poll-feeds`` (every
``CASTLINE_FEEDS_INTERVAL`` seconds, default 3600). Deployments and schedules
live in the Prefect server's database, so they survive restarts.
"""

from __future__ import annotations

import os

from prefect import serve

__all__ = ["deploy_to_pool", "deployments", "main"]


def deployments(data_dir: str = "data", feeds_config: str = "feeds.yaml") -> list:
    """The deployments ``make serve`` runs, each with its schedule and defaults."""
    from flows.episode import process_episode
    from flows.feeds import poll_feeds
    from flows.inbox import watch_inbox

    inbox_every = float(os.environ.get("CASTLINE_INBOX_INTERVAL", "30"))
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
            interval=inbox_every,
            parameters={"data_dir": data_dir},
            description="Claim settled files in the inbox, process them, archive or quarantine.",
            tags=["castline", "scheduled"],
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


def main() -> None:
    """Serve all deployments until interrupted."""
    data_dir = os.environ.get("CASTLINE_DATA", "data")
    feeds = os.environ.get("CASTLINE_FEEDS", "feeds.yaml")
    limit = int(os.environ.get("CASTLINE_MAX_CONCURRENT_RUNS", "2"))
    serve(*deployments(data_dir, feeds), limit=limit)


if __name__ == "__main__":
    main()
