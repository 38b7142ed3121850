"""Shared fixtures: the seeds, and full-pipeline runs of them computed once per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Keep Prefect's state (ephemeral database, cached results) inside this test run.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="castline-prefect-"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# A fresh PREFECT_HOME means the first ephemeral server migrates its database while
# other tests load the machine: Prefect's default 20 s wait is not always enough
# (tests/test_feeds.py::test_poll_feeds_flow_ephemeral timed out once in CI).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The folder of sample inputs."""
    return SEEDS


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    """The seeds manifest: each seed with the options `make run` gives it."""
    import yaml

    return yaml.safe_load((SEEDS / "manifest.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def processed_seeds(manifest) -> dict[str, list]:
    """Every seed read and run through every stage (plain Python, no Prefect).

    Maps seed file name -> list of (ingested copy, processed episode) pairs.
    """
    import copy

    from castline.ingest import read_episodes
    from castline.pipeline import build_settings, process

    os.environ.setdefault("CASTLINE_SHOWS", str(ROOT / "shows"))
    out: dict[str, list] = {}
    for entry in manifest:
        settings = build_settings(
            speakers=entry.get("speakers", ""),
            title=entry.get("title"),
            show=entry.get("show"),
        )
        pairs = []
        for episode in read_episodes(SEEDS / entry["input"], title=entry.get("title")):
            raw = copy.deepcopy(episode)
            pairs.append((raw, process(episode, settings)))
        out[entry["input"]] = pairs
    return out
