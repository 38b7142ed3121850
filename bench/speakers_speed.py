"""Speed and memory of text-only attribution on this machine.

Run: ``.venv/bin/python bench/speakers_speed.py``

Prints, each measured in this process:

* model load (import of the model module plus reading the shipped weights);
* attribution of the MLST seed (raw ASR, one chunk per line, ~19k words) after the model loads;
* attribution of a four-hour, ~50k-word transcript (the MLST seed's lines repeated) and the
  process's peak resident memory;
* the same MLST attribution with the number of speakers given, as a ratio.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MLST = ROOT / "seeds" / "mlst-eiso-kant.raw.txt"


def _episode(lines: list[str]):
    from castline.model import Episode, Turn
    from castline.text import SPEAKING_RATE_WPS

    turns, clock = [], 0.0
    for line in lines:
        if line.strip():
            duration = len(line.split()) / SPEAKING_RATE_WPS
            turns.append(Turn(None, clock, clock + duration, line, line))
            clock += duration
    return Episode(title="speed", slug="speed", turns=turns, times_estimated=True)


def main() -> None:
    t0 = time.perf_counter()
    from castline.diarize.turn_model import load_turn_model

    load_turn_model()
    load = time.perf_counter() - t0
    from castline.diarize import attribute_speakers, parse_speakers

    lines = MLST.read_text(encoding="utf-8").splitlines()
    words = sum(len(line.split()) for line in lines)
    attribute_speakers(_episode(lines[:20]))  # first call: lazy imports (sklearn, scipy)
    t1 = time.perf_counter()
    episode = attribute_speakers(_episode(lines))
    mlst = time.perf_counter() - t1
    t2 = time.perf_counter()
    attribute_speakers(_episode(lines), speakers=parse_speakers("Tim Scarfe:host,Eiso Kant:guest"))
    hinted = time.perf_counter() - t2
    long_lines = []
    while sum(len(line.split()) for line in long_lines) < 50_000:
        long_lines += lines
    long_words = sum(len(line.split()) for line in long_lines)
    t3 = time.perf_counter()
    attribute_speakers(_episode(long_lines))
    long = time.perf_counter() - t3
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model load                         {load:6.2f} s")
    print(f"MLST seed ({words} words)          {mlst:6.2f} s  ({words / mlst:.0f} words/s, "
          f"{len(episode.speakers)} speakers, {len(episode.turns)} turns)")
    print(f"MLST seed, speakers given          {hinted:6.2f} s  (ratio to estimated: {hinted / mlst:.2f})")
    print(f"long transcript ({long_words} words)  {long:6.2f} s  ({long_words / long:.0f} words/s)")
    print(f"peak resident memory               {peak:6.0f} MB")


if __name__ == "__main__":
    main()
