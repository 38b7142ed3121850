"""A transcript and its recording: how well the transcript's words take the audio's times and voices.

Synthetic interviews (espeak-ng voices speaking real podcast prose, reference turn
times measured from the rendered audio; tests/audio_fixtures.py) are given to
castline three ways, on the same files:

* text alone: the unlabelled transcript, times from a speaking rate, speakers from
  the text model;
* audio alone: castline's own ASR + diarization;
* transcript + audio: the transcript's words aligned to the ASR (castline.speech.align),
  speakers from the diarized voices.

Printed per episode and pooled: turn-start error (median, share within 0.3 s / 1 s)
of the transcript's turns, and word speaker accuracy (best mapping of labels to
the reference voices), with 10 % of the audio's turns cut out as a second case
(the cut must be reported, the rest aligned).

    .venv/bin/python bench/align.py [--minutes 1.5] [--seeds 11 12]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import wave
from itertools import permutations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from audio_fixtures import build_interview  # noqa: E402

from castline.diarize.assign import assign_words  # noqa: E402
from castline.diarize.audio import diarize  # noqa: E402
from castline.ingest import read_episodes  # noqa: E402
from castline.pipeline import Settings, run_stage  # noqa: E402
from castline.speech.align import align_transcript  # noqa: E402
from castline.speech.asr import transcribe  # noqa: E402


def _truth(turns, t: float) -> str | None:
    return next((s for a, b, s, _ in turns if a - 0.2 <= t <= b + 0.2), None)


def word_accuracy(reference_turns, episode) -> float:
    """Share of timed words whose speaker is the one speaking then, under the best label mapping."""
    pairs = [(_truth(reference_turns, (w.start + w.end) / 2), t.speaker)
             for t in episode.turns for w in (t.words or []) if w.score != 0.0]
    pairs = [(r, h) for r, h in pairs if r]
    refs = sorted({r for r, _ in pairs})
    hyps = sorted({h for _, h in pairs}, key=str)
    best = 0
    for perm in permutations(refs, min(len(refs), len(hyps))):
        mapping = dict(zip(hyps, perm, strict=False))
        best = max(best, sum(mapping.get(h) == r for r, h in pairs))
    return best / max(len(pairs), 1)


def text_word_accuracy(reference_turns, episode) -> float:
    """Word speaker accuracy of a text-only episode: its words in order against the reference's."""
    ref = [s for _, _, s, text in reference_turns for _ in text.split()]
    hyp = [t.speaker for t in episode.turns for _ in t.verbatim.split()]
    n = min(len(ref), len(hyp))
    refs, hyps = sorted(set(ref)), sorted(set(hyp), key=str)
    best = 0
    for perm in permutations(refs, min(len(refs), len(hyps))):
        mapping = dict(zip(hyps, perm, strict=False))
        best = max(best, sum(mapping.get(hyp[i]) == ref[i] for i in range(n)))
    return best / max(n, 1)


def start_errors(reference_turns, episode) -> list[float]:
    """|start - truth| for each reference turn that opens a turn of ``episode``."""
    opening = {" ".join(t.verbatim.split()[:6]): t for t in episode.turns}
    out = []
    for start, _, _, text in reference_turns:
        turn = opening.get(" ".join(text.split()[:6]))
        if turn is not None:
            out.append(abs(turn.start - start))
    return out


def cut_turns(interview, folder: Path, share: float = 0.1):
    """The interview's audio with ``share`` of its turns (from the middle) cut out."""
    with wave.open(str(interview.path), "rb") as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    k = max(1, round(share * len(interview.turns)))
    first = len(interview.turns) // 2
    cut = interview.turns[first : first + k]
    a, b = int(cut[0][0] * rate), int(cut[-1][1] * rate)
    path = folder / f"{interview.path.stem}-cut.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.concatenate([samples[:a], samples[b:]]).tobytes())
    shift = (b - a) / rate
    kept = [(s - shift if s >= cut[-1][1] else s, e - shift if s >= cut[-1][1] else e, spk, text)
            for s, e, spk, text in interview.turns if (s, e, spk, text) not in cut]
    return path, kept, sum(len(t[3].split()) for t in cut)


def run(minutes: float, seeds: list[int]) -> None:
    """Print the figures for each seed's interview (2 and 3 voices alternately) and pooled."""
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="castline-align-"))
    for k, seed in enumerate(seeds):
        voices = ("host", "guest") if k % 2 == 0 else ("host", "guest", "third")
        interview = build_interview(folder, voices, minutes=minutes, seed=seed)
        transcript = folder / f"{interview.path.stem}.txt"
        transcript.write_text("\n\n".join(text for *_, text in interview.turns) + "\n", encoding="utf-8")
        (text_only,) = read_episodes(transcript)
        text_only = run_stage("speakers", text_only, Settings())
        heard = transcribe(interview.path)
        segments = diarize(interview.path)
        (plain,) = read_episodes(transcript)
        aligned_plain = align_transcript(plain, heard)
        aligned_start = start_errors(interview.turns, aligned_plain)
        aligned = assign_words(aligned_plain, segments)  # re-cuts the turns by voice, in place
        audio_only = assign_words(heard, segments)
        cut_path, kept, cut_words = cut_turns(interview, folder)
        (plain,) = read_episodes(transcript)
        cut_aligned = align_transcript(plain, transcribe(cut_path))
        reported = sum(s["last_word"] - s["first_word"] + 1 for s in cut_aligned.metadata["alignment"]["unaligned"])
        row = {
            "episode": f"{len(voices)} voices, seed {seed}",
            # the rate-estimated times of the transcript as read (one turn per paragraph)
            "text_start": start_errors(interview.turns, read_episodes(transcript)[0]),
            "aligned_start": aligned_start,
            "cut_start": start_errors(kept, cut_aligned),
            "text_acc": text_word_accuracy(interview.turns, text_only),
            "audio_acc": word_accuracy(interview.turns, audio_only),
            "both_acc": word_accuracy(interview.turns, aligned),
            "cut_words": cut_words, "cut_reported": reported,
        }
        rows.append(row)
        _print(row)
    pooled = {key: [x for r in rows for x in r[key]] for key in ("text_start", "aligned_start", "cut_start")}
    print("\npooled")
    for key, values in pooled.items():
        print(f"  {key:14s} median {statistics.median(values):6.2f} s   within 0.3 s "
              f"{np.mean([v <= 0.3 for v in values]):.3f}   within 1 s {np.mean([v <= 1 for v in values]):.3f}")
    for key in ("text_acc", "audio_acc", "both_acc"):
        print(f"  {key:14s} {np.mean([r[key] for r in rows]):.3f}")


def _print(row: dict) -> None:
    print(f"\n{row['episode']}: word speaker accuracy text {row['text_acc']:.3f}  audio {row['audio_acc']:.3f}  "
          f"transcript+audio {row['both_acc']:.3f}")
    for key in ("text_start", "aligned_start", "cut_start"):
        values = row[key]
        print(f"  {key:14s} turns {len(values):3d}  median {statistics.median(values):6.2f} s  "
              f"within 0.3 s {np.mean([v <= 0.3 for v in values]):.3f}")
    print(f"  10 % of turns cut from the audio: {row['cut_words']} words cut, {row['cut_reported']} reported unaligned")


def main() -> None:
    """Command line: ``--minutes``, ``--seeds``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    args = parser.parse_args()
    run(args.minutes, args.seeds)


if __name__ == "__main__":
    main()
