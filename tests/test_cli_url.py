"""`castline process --url` as a user runs it: every post links the episode's page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_post_links_the_url_given_on_the_command_line(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    run = subprocess.run(
        [sys.executable, "-m", "castline.cli", "process", str(ROOT / "seeds" / "x-posts-that-travel.txt"),
         "--out", str(tmp_path / "out"), "--url", "https://example.org/episodes/{slug}"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (folder,) = [Path(line) for line in run.stdout.splitlines() if line.strip()]
    episode = json.loads((folder / "episode.json").read_text(encoding="utf-8"))
    url = f"https://example.org/episodes/{episode['slug']}"
    assert episode["metadata"]["url"] == url
    assert episode["metadata"]["process"]["url"] == "https://example.org/episodes/{slug}"
    assert episode["highlights"], "no posts to check"
    assert all(url in post["tweet"] for post in episode["highlights"]), [p["tweet"] for p in episode["highlights"]]
