"""A producer's transcript, given the recording's times.

The transcript's words are matched to the words the ASR heard (with their
times) by a word-level edit alignment (rapidfuzz's Levenshtein opcodes over
normalised words). Words that match, or stand one-for-one in place of a
misheard word, take that word's times; the other transcript words take times
interpolated between their aligned neighbours. A long stretch with no match
on either side (a passage cut from the audio after the transcript was made, or
one the transcript leaves out) is reported, not hidden.

Example
-------
>>> aligned = align_transcript(read_episodes("episode.txt")[0], transcribe("episode.mp3"))  # doctest: +SKIP
>>> aligned.metadata["alignment"]["matched"]  # doctest: +SKIP
0.94
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from castline.model import Episode, Turn, Word

__all__ = ["AlignmentReport", "align_transcript", "align_words", "word_key"]

#: Transcript words in a row with no audio match beyond which the stretch is reported.
UNALIGNED_WORDS = 8
#: Seconds of recognised speech in a row missing from the transcript beyond which it is reported.
UNTRANSCRIBED_SECONDS = 5.0
#: Seconds per word where a stretch has no aligned neighbour on one side (about 2.6 words a second).
_SECONDS_PER_WORD = 0.38
_KEY = re.compile(r"[^\w']+")


def word_key(text: str) -> str:
    """A word as alignment compares it: lower case, no punctuation around it."""
    return _KEY.sub("", text.lower()).strip("'")


@dataclass
class AlignmentReport:
    """How the transcript met the recording.

    ``kinds`` holds, per transcript word, ``matched`` (same word heard),
    ``substituted`` (another word heard in its place) or ``interpolated``
    (nothing heard for it: its time is estimated between neighbours);
    ``unaligned`` are stretches of the transcript with no audio match
    ``(first word, last word, start, end)``, ``untranscribed`` stretches of
    recognised speech the transcript does not have ``(start, end, words)``.
    """

    kinds: list[str]
    unaligned: list[tuple[int, int, float, float]]
    untranscribed: list[tuple[float, float, int]]

    def summary(self) -> dict:
        """Shares and stretches, for ``episode.metadata["alignment"]``."""
        n = max(len(self.kinds), 1)
        return {
            "words": len(self.kinds),
            "matched": round(self.kinds.count("matched") / n, 4),
            "substituted": round(self.kinds.count("substituted") / n, 4),
            "interpolated": round(self.kinds.count("interpolated") / n, 4),
            "unaligned": [
                {"first_word": a, "last_word": b, "start": round(s, 3), "end": round(e, 3)}
                for a, b, s, e in self.unaligned
            ],
            "untranscribed": [
                {"start": round(s, 3), "end": round(e, 3), "words": k} for s, e, k in self.untranscribed
            ],
        }


def align_words(
    transcript: Sequence[str], heard: Sequence[Word]
) -> tuple[list[tuple[float, float]], AlignmentReport]:
    """Times ``(start, end)`` for each transcript word, from the ``heard`` ASR words.

    Returns the times and an :class:`AlignmentReport`. With no heard words
    every time is ``(0, 0)`` and every word ``interpolated``.
    """
    from rapidfuzz.distance import Levenshtein

    n = len(transcript)
    times: list[tuple[float, float] | None] = [None] * n
    kinds = ["interpolated"] * n
    if not n:
        return [], AlignmentReport([], [], [])
    keys = [word_key(w) or w for w in transcript]
    heard_keys = [word_key(w.text) or w.text for w in heard]
    untranscribed: list[tuple[float, float, int]] = []
    for tag, src, dst in _blocks(Levenshtein.opcodes(keys, heard_keys), heard):
        if tag == "equal" or (src and len(src) == len(dst)):
            for i, word in zip(src, dst, strict=True):
                times[i] = (word.start, word.end)
                kinds[i] = "matched" if tag == "equal" else "substituted"
        elif src and dst:
            # Unequal runs (a number said as words, a split compound): spread over the heard span.
            start, end = dst[0].start, dst[-1].end
            step = (end - start) / len(src)
            for k, i in enumerate(src):
                times[i] = (start + k * step, start + (k + 1) * step)
                kinds[i] = "substituted"
        elif dst and dst[-1].end - dst[0].start >= UNTRANSCRIBED_SECONDS:
            untranscribed.append((dst[0].start, dst[-1].end, len(dst)))
    filled = _interpolate(times)
    unaligned = []
    i = 0
    while i < n:
        if kinds[i] != "interpolated":
            i += 1
            continue
        j = i
        while j + 1 < n and kinds[j + 1] == "interpolated":
            j += 1
        if j - i + 1 >= UNALIGNED_WORDS:
            unaligned.append((i, j, filled[i][0], filled[j][1]))
        i = j + 1
    return filled, AlignmentReport(kinds, unaligned, untranscribed)


def _blocks(opcodes, heard: Sequence[Word]):
    """Equal runs as they are; each stretch of edits between two equal runs merged into one."""
    pending: list[int] | None = None  # [src_start, src_end, dest_start, dest_end]
    for op in opcodes:
        if op.tag == "equal":
            if pending:
                yield "edit", range(pending[0], pending[1]), heard[pending[2] : pending[3]]
                pending = None
            yield "equal", range(op.src_start, op.src_end), heard[op.dest_start : op.dest_end]
        elif pending is None:
            pending = [op.src_start, op.src_end, op.dest_start, op.dest_end]
        else:
            pending[1], pending[3] = op.src_end, op.dest_end
    if pending:
        yield "edit", range(pending[0], pending[1]), heard[pending[2] : pending[3]]


def _interpolate(times: list[tuple[float, float] | None]) -> list[tuple[float, float]]:
    """Fill gaps between known times evenly; extrapolate at a speaking rate at the ends."""
    n = len(times)
    known = [i for i, t in enumerate(times) if t is not None]
    if not known:
        return [(k * _SECONDS_PER_WORD, (k + 1) * _SECONDS_PER_WORD) for k in range(n)]
    out: list[tuple[float, float]] = [t if t is not None else (0.0, 0.0) for t in times]
    first, last = known[0], known[-1]
    for k in range(first - 1, -1, -1):  # before the first match, walk back at a speaking rate
        end = out[k + 1][0]
        out[k] = (max(0.0, end - _SECONDS_PER_WORD), end)
    for k in range(last + 1, n):
        start = out[k - 1][1]
        out[k] = (start, start + _SECONDS_PER_WORD)
    for a, b in zip(known, known[1:], strict=False):
        if b - a < 2:
            continue
        left, right = out[a][1], max(out[b][0], out[a][1])
        step = (right - left) / (b - a - 1)
        for k in range(a + 1, b):
            s = left + (k - a - 1) * step
            out[k] = (s, s + step)
    return out


def align_transcript(episode: Episode, heard: Episode, *, audio_path: str | None = None) -> Episode:
    """``episode`` (a transcript) with every word timed from ``heard`` (the ASR of its audio).

    Each turn keeps its speaker and text and gets ``words`` (its verbatim's
    whitespace-separated words, timed; ``score`` 1 matched, 0.5 substituted,
    0 interpolated) and real ``start``/``end``. ``times_estimated`` becomes
    False, ``duration`` the recording's, and ``metadata["alignment"]`` holds
    the :meth:`AlignmentReport.summary`; ``metadata["audio"]`` the audio path.
    """
    heard_words = [w for t in heard.turns for w in (t.words or [])]
    pieces = [turn.verbatim.split() for turn in episode.turns]
    flat = [w for piece in pieces for w in piece]
    times, report = align_words(flat, heard_words)
    score = {"matched": 1.0, "substituted": 0.5, "interpolated": 0.0}
    turns: list[Turn] = []
    k = 0
    for turn, piece in zip(episode.turns, pieces, strict=True):
        words = [
            Word(text=w, start=round(times[k + j][0], 3), end=round(times[k + j][1], 3),
                 score=score[report.kinds[k + j]], speaker=turn.speaker)
            for j, w in enumerate(piece)
        ]
        k += len(piece)
        if words:
            start, end = words[0].start, words[-1].end
        else:  # an empty turn sits where the previous one ended
            start = end = turns[-1].end if turns else 0.0
        turns.append(dataclasses.replace(turn, start=start, end=end, words=words or None))
    summary = report.summary()
    notes = list(episode.notes)
    for first, last, start, end in report.unaligned:
        notes.append(f"Transcript words {first + 1}–{last + 1} ({_clock(start)}–{_clock(end)}) were not "
                     "found in the audio (edited out after the transcript was made?): their times are "
                     "interpolated.")
    for start, end, count in report.untranscribed:
        notes.append(f"The audio at {_clock(start)}–{_clock(end)} holds about {count} words the transcript "
                     "does not have.")
    metadata = {**episode.metadata, "alignment": summary}
    if audio_path:
        metadata["audio"] = str(audio_path)
    duration = heard.duration or (turns[-1].end if turns else None)
    return dataclasses.replace(episode, turns=turns, times_estimated=False, duration=duration,
                               metadata=metadata, notes=notes)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
