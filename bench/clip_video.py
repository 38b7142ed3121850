"""Render speed of the captioned clip videos: one two-minute clip, both sizes.

Speaks two minutes of the MLST seed with espeak-ng (words timed evenly over
it: the render does not care where they fall), cuts it as one clip with
:func:`castline.export.clip_audio.cut_clips` and prints seconds of video per
second of wall time, and per CPU second of the ffmpeg children (the figure that
holds on a busy machine: two idle cores give at most twice that).

    .venv/bin/python bench/clip_video.py [--seconds 120] [--source video.mp4]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from castline.export.clip_audio import cut_clips
from castline.model import Clip, Episode, Speaker, Turn, Word

ROOT = Path(__file__).resolve().parent.parent


def _speech(seconds: float, folder: Path) -> tuple[Path, list[str]]:
    words = (ROOT / "seeds" / "mlst-eiso-kant.raw.txt").read_text(encoding="utf-8").split()
    text = " ".join(words[: int(seconds * 3.2)])
    raw, wav = folder / "raw.wav", folder / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "44100", str(wav), "trim", "0", str(seconds)], check=True)
    return wav, words


def main() -> None:
    """Print the render speed of one clip's two videos."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--source", type=Path, help="a video to cut instead of the spoken audio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        wav, text = _speech(args.seconds, folder)
        source = args.source or wav
        step = 0.36
        count = int((args.seconds - 0.5) / step)
        words = [
            Word(w, 0.2 + i * step, 0.2 + i * step + 0.3, speaker="S1" if (i // 40) % 2 == 0 else "S2")
            for i, w in enumerate(text[:count])
        ]
        turn = Turn("S1", 0.0, args.seconds, " ".join(text[:count]), " ".join(text[:count]), words=words)
        episode = Episode(
            title="Bench",
            slug="bench",
            show="MLST",
            speakers=[Speaker("S1", "Tim Scarfe", "host"), Speaker("S2", "Eiso Kant", "guest")],
            turns=[turn],
        )
        episode.clips = [Clip(start=0.2, end=words[-1].end, title="Two minutes", text="x", score=1.0)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        cut_clips(episode, source, folder / "out", video=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        (entry,) = episode.metadata["clip_video"]["files"]
        seconds = entry["duration"]
        print(f"{entry['picture']}: {seconds:.1f} s of video (vertical + square) in {wall:.1f} s wall, "
              f"{cpu:.1f} CPU s: {seconds / wall:.2f} s of video per wall second, "
              f"{seconds / cpu:.2f} per CPU second")  # fmt: skip


if __name__ == "__main__":
    main()
