"""Audio as a user meets it: enroll a recurring voice, then `castline process` an interview.

The interview is synthesised with espeak-ng (tests/audio_fixtures.py); the host's
voice is enrolled from a separate recording of the host alone. The episode must
come out with the host recognised by name, diarization.rttm, and clean-cut clip
audio with captions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from audio_fixtures import VOICES, build_interview, cached, espeak_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")]

ROOT = Path(__file__).resolve().parent.parent
HOST_ALONE = (
    "Welcome back to the show. Every week I talk to people who build things that matter. "
    "Today we go deep on reinforcement learning, on data, and on what it takes to ship a model. "
    "As always, thank you for listening, and let's get into it."
)


def _castline(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "castline.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def test_enrolled_host_is_recognised_and_clips_are_cut_clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio-cli")
    interview = cached("cli:interview", lambda: build_interview(folder, ("host", "guest"), minutes=1.5, seed=31))
    language, pitch, speed = VOICES["host"]
    host_wav = folder / "host-alone.wav"
    subprocess.run(["espeak-ng", "-v", language, "-p", str(pitch), "-s", str(speed), "-w", str(host_wav),
                    HOST_ALONE], check=True)
    env = {**os.environ, "PREFECT_HOME": str(folder / "prefect"), "CASTLINE_VOICES": str(folder / "voices.json")}

    enrolled = _castline("voices", "enroll", "Ada Host", str(host_wav), "--role", "host", env=env)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "Ada Host" in _castline("voices", "list", env=env).stdout

    out = folder / "out"
    run = _castline("process", str(interview.path), "--out", str(out), "--clean-cut", "--clip-format", "wav",
                    env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    (episode_dir,) = [p for p in out.iterdir() if p.is_dir()]
    episode = json.loads((episode_dir / "episode.json").read_text(encoding="utf-8"))
    names = {s["name"]: s["role"] for s in episode["speakers"]}
    assert names.get("Ada Host") == "host", names
    assert len(names) == 2 and not any(n.startswith("SPEAKER_") for n in names)
    assert episode["metadata"]["voice_matches"]
    assert (episode_dir / "diarization.rttm").read_text().count("SPEAKER ") >= 4
    audio_items = [c for c in episode["clips"] + episode["previews"] if c.get("audio")]
    assert audio_items, "no clip or preview audio was cut"
    for item in audio_items:
        path = episode_dir / item["audio"]
        assert path.suffix == ".wav" and path.stat().st_size > 1000
        assert path.with_suffix(".srt").exists() and path.with_suffix(".vtt").exists()
