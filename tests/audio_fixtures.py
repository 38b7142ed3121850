"""Synthetic interviews with known ground truth, built with espeak-ng and sox.

Each speaker is an espeak-ng voice with its own pitch and speed; turns are
sentences of the MLST seed transcript (real podcast prose), separated by short
pauses, over a faint noise floor. The result is a 16 kHz mono wav plus the
reference turns ``(start, end, speaker, text)`` measured from the rendered audio.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["VOICES", "SyntheticInterview", "build_interview", "espeak_available", "tone_wav"]

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT / "seeds" / "mlst-eiso-kant.raw.txt"
RATE = 16_000
_BACKCHANNELS = ("Right.", "Yeah, exactly.", "Sure.", "Mm-hmm.", "Interesting.", "Okay, go on.")

# (espeak voice, pitch 0-99, words per minute): voices differ in accent, pitch and pace.
VOICES = {
    "host": ("en-us", 30, 165),
    "guest": ("en-gb", 70, 175),
    "third": ("en+f3", 55, 160),
}


@dataclass
class SyntheticInterview:
    """A rendered interview: the audio file and its reference turns."""

    path: Path
    turns: list[tuple[float, float, str, str]]
    duration: float

    @property
    def speakers(self) -> list[str]:
        """Speaker names in order of first appearance."""
        return list(dict.fromkeys(speaker for _, _, speaker, _ in self.turns))

    def rttm(self, uri: str = "synthetic") -> str:
        """The reference as RTTM text."""
        return "".join(
            f"SPEAKER {uri} 1 {a:.3f} {b - a:.3f} <NA> <NA> {s} <NA> <NA>\n" for a, b, s, _ in self.turns
        )


def espeak_available() -> bool:
    """True when espeak-ng and sox are on PATH."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def _sentences() -> list[str]:
    text = SEED_TEXT.read_text(encoding="utf-8")
    parts = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [p for p in parts if 4 <= len(p.split()) <= 40]


def _render(text: str, voice: tuple[str, int, int], out: Path) -> np.ndarray:
    name, pitch, speed = voice
    raw = out.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(speed), "-w", str(raw), text],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True, capture_output=True
    )
    with wave.open(str(out), "rb") as handle:
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16).astype(np.float32)
    raw.unlink()
    out.unlink()
    voiced = np.flatnonzero(np.abs(samples) > 300)
    return samples[voiced[0] : voiced[-1] + 1] if len(voiced) else samples


def build_interview(
    out_dir: Path,
    speakers: tuple[str, ...] = ("host", "guest"),
    *,
    minutes: float = 2.0,
    seed: int = 7,
    name: str | None = None,
    pauses: tuple[float, float] = (0.3, 0.9),
    backchannels: float = 0.0,
    noise: float = 20.0,
) -> SyntheticInterview:
    """Render an interview of about ``minutes`` among ``speakers`` into ``out_dir``.

    Turns take one to three seed sentences; no speaker follows themself; pauses
    are drawn from ``pauses`` (seconds). ``backchannels`` is the chance that a
    turn is a one- or two-word reply ("Right.", "Yeah, exactly."); ``noise`` the
    standard deviation of the noise floor (16-bit units). Returns the wav path
    and reference turns (times in seconds).
    """
    rng = random.Random(seed)
    sentences = _sentences()
    rng.shuffle(sentences)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"interview-{len(speakers)}v-{minutes:g}m-{seed}"
    pieces: list[np.ndarray] = []
    turns: list[tuple[float, float, str, str]] = []
    clock = 0.5
    pieces.append(np.zeros(int(0.5 * RATE), dtype=np.float32))
    previous = None
    index = 0
    while clock < minutes * 60 and index < len(sentences):
        speaker = rng.choice([s for s in speakers if s != previous] or list(speakers))
        if previous is not None and rng.random() < backchannels:
            text = rng.choice(_BACKCHANNELS)
        else:
            count = rng.choice((1, 2, 2, 3))
            text = " ".join(sentences[index : index + count])
            index += count
        samples = _render(text, VOICES[speaker], out_dir / f"_{name}_{len(turns)}.wav")
        start = clock
        clock += len(samples) / RATE
        turns.append((round(start, 3), round(clock, 3), speaker, text))
        pause = rng.uniform(*pauses)
        pieces.extend([samples, np.zeros(int(pause * RATE), dtype=np.float32)])
        clock += int(pause * RATE) / RATE
        previous = speaker
    audio = np.concatenate(pieces)
    floor = np.random.default_rng(seed).normal(0.0, noise, len(audio)).astype(np.float32)
    audio = np.clip(audio + floor, -32768, 32767).astype(np.int16)
    path = out_dir / f"{name}.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(audio.tobytes())
    return SyntheticInterview(path=path, turns=turns, duration=len(audio) / RATE)


def tone_wav(path: Path, seconds: float = 3.0, *, amplitude: float = 0.0) -> Path:
    """A wav of silence (``amplitude`` 0) or a faint 440 Hz tone, for bad-input tests."""
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.tobytes())
    return path


# -- real sample and cached results (shared by the audio test modules) --------------


def sample_files() -> dict[str, Path]:
    """The pyannote.audio sample: ``wav``, ``rttm`` (reference turns), ``stm`` (reference words)."""
    import pyannote.audio

    folder = Path(pyannote.audio.__file__).resolve().parent / "sample"
    return {"wav": folder / "sample.wav", "rttm": folder / "sample.rttm", "stm": folder / "sample.stm"}


def reference_words(stm: Path) -> str:
    """All words of an STM file, in time order."""
    rows = []
    for line in stm.read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            rows.append((float(parts[3]), parts[5]))
    return " ".join(text for _, text in sorted(rows))


def der(reference_rttm: str, segments: list[tuple[float, float, str]], collar: float = 0.25) -> float:
    """Diarization error rate of ``segments`` against RTTM text (pyannote.metrics)."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference, hypothesis = Annotation(), Annotation()
    for line in reference_rttm.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            reference[Segment(start, start + duration)] = parts[7]
    for start, end, label in segments:
        hypothesis[Segment(start, end)] = label
    return float(DiarizationErrorRate(collar=collar)(reference, hypothesis))


_CACHE: dict[str, object] = {}


def cached(key: str, make):
    """Compute ``make()`` once per test process (models and audio shared across modules)."""
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def needs_modules(*names: str):
    """A skip marker for tests that need the ``castline[audio]`` extra's packages."""
    import importlib.util

    import pytest

    missing = [n for n in names if importlib.util.find_spec(n) is None]
    return pytest.mark.skipif(bool(missing), reason=f"castline[audio] extra not installed ({missing})")


def needs_ffmpeg():
    """A skip marker for tests that run ffmpeg."""
    import shutil

    import pytest

    return pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
