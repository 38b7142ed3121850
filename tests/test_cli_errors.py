"""A stage that breaks reaches the CLI user as one clean line naming the file and the stage.

It used to read ``talk.txt: StageError: talk.txt: clean stage failed: ...``: the CLI
prefixed the file and the class name to a StageError whose message already names both.
These run the real process-episode flow (ephemeral Prefect) with the clean stage broken:
``castline process`` as a user runs it (a subprocess, Prefect's own logging as the CLI sets
it), and ``castline batch`` in process (typer's CliRunner).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from castline import pipeline
from castline.cli import app

TALK = (
    "Alice Moreau: Welcome back to the show. Today we are talking about testing.\n"
    "Bob Okafor: Thanks for having me. Testing matters because it changes how teams ship software.\n"
)
LINE = "talk.txt: clean stage failed: IndexError: list index out of range"


def _index_error(episode, settings):
    return [][0]


@pytest.fixture
def broken_clean(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setitem(pipeline.STAGES, "clean", _index_error)
    source = tmp_path / "talk.txt"
    source.write_text(TALK, encoding="utf-8")
    return source


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


ROOT = Path(__file__).resolve().parent.parent
#: ``castline`` with its clean stage broken, started the way ``python -m castline.cli`` is.
BROKEN_CLI = (
    "import sys\n"
    "from castline import pipeline\n"
    "def broken(episode, settings):\n"
    "    return [][0]\n"
    "pipeline.STAGES['clean'] = broken\n"
    "from castline.cli import main\n"
    "sys.argv[0] = 'castline'\n"
    "main()\n"
)


def test_process_prints_one_line_naming_file_and_stage(tmp_path: Path) -> None:
    source = tmp_path / "talk.txt"
    source.write_text(TALK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    result = subprocess.run([sys.executable, "-c", BROKEN_CLI, "process", str(source), "--out", str(tmp_path / "out")],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert _lines(result.stderr) == [f"error: {LINE}"], result.stderr
    assert not (tmp_path / "out" / "talk" / "episode.json").exists()  # the folder is reserved, not written


def test_batch_reports_the_failed_input_in_one_line(broken_clean: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("- input: talk.txt\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(manifest), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    # (Prefect's own task logs may precede it here: the test session sets their level.)
    assert f"✗ {LINE}" in _lines(result.output), result.output
    assert "0/1 inputs processed" in result.output
