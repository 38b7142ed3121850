"""Clean-cut audio spans: what to keep so a clip sounds like its edited transcript.

Words the cleanup removed (fillers, stutters, false starts, meaningless "you
know") and pauses longer than :data:`MAX_PAUSE` are cut out; what is left is a
list of ``(start, end)`` spans that :func:`castline.export.clip_audio.cut_clips`
joins with short crossfades. Only turns with word times can be cut clean.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from castline.model import Edit, Episode, Turn, Word

__all__ = ["CUT_KINDS", "MAX_PAUSE", "keep_spans", "removed_words"]

#: Edit kinds whose deletions are cut from the audio too (glossary or case fixes are text-only).
CUT_KINDS = frozenset({"filler", "discourse", "repeat", "false_start"})
#: Pauses longer than this (seconds) are shortened to :data:`KEPT_PAUSE`.
MAX_PAUSE = 0.7
KEPT_PAUSE = 0.25
#: Audio kept around each word so cuts never clip a consonant.
PAD = 0.04


def _word_offsets(turn: Turn) -> list[tuple[int, int]]:
    """Character span of each of ``turn.words`` inside ``turn.verbatim``."""
    spans, cursor = [], 0
    for word in turn.words or []:
        token = word.text.strip()
        at = turn.verbatim.find(token, cursor) if token else -1
        if at < 0:
            spans.append((cursor, cursor))
            continue
        spans.append((at, at + len(token)))
        cursor = at + len(token)
    return spans


def _tokens(text: str) -> list[str]:
    return ["".join(c for c in t.lower() if c.isalnum()) for t in text.split()]


def removed_words(turn: Turn, edits: list[Edit]) -> set[int]:
    """Indexes of ``turn.words`` that the turn's edits delete.

    A word inside an edit's span is removed when it has no counterpart in the
    replacement (so "Um, so" -> "So" removes "Um" and keeps "so").
    """
    if not turn.words:
        return set()
    offsets = _word_offsets(turn)
    removed: set[int] = set()
    for edit in edits:
        if edit.kind not in CUT_KINDS:
            continue
        inside = [i for i, (a, b) in enumerate(offsets) if b > a and a >= edit.start and b <= edit.end]
        if not inside:
            continue
        before = [(_tokens(turn.words[i].text) or [""])[0] for i in inside]
        after = _tokens(edit.replacement)
        kept = set()
        for block in SequenceMatcher(a=before, b=after, autojunk=False).get_matching_blocks():
            kept.update(range(block.a, block.a + block.size))
        removed.update(index for position, index in enumerate(inside) if position not in kept)
    return removed


def keep_spans(episode: Episode, start: float, end: float) -> list[tuple[float, float]]:
    """Spans of audio between ``start`` and ``end`` to keep for a clean cut.

    Falls back to the whole ``[start, end]`` when no turn there has word times.
    """
    kept_words: list[Word] = []
    removed_starts: list[float] = []
    for index, turn in enumerate(episode.turns):
        if not turn.words or turn.end < start or turn.start > end:
            continue
        gone = removed_words(turn, [e for e in episode.edits if e.turn == index])
        for i, word in enumerate(turn.words):
            if word.start < start - PAD or word.end > end + PAD:
                continue
            if i in gone:
                removed_starts.append(word.start)
            else:
                kept_words.append(word)
    if not kept_words:
        return [(start, end)]
    spans: list[list[float]] = []
    previous: Word | None = None
    for word in kept_words:
        if previous is None:
            spans.append([max(start, word.start - PAD), word.end + PAD])
            previous = word
            continue
        gap = word.start - previous.end
        hole = any(previous.end <= t < word.start for t in removed_starts)
        if gap <= MAX_PAUSE and not hole:
            spans[-1][1] = word.end + PAD
        else:
            # Cut here: keep a short natural pause, split between the two sides.
            pause = max(PAD, min(gap, KEPT_PAUSE) / 2)
            spans[-1][1] = previous.end + pause
            spans.append([max(previous.end + pause, word.start - pause), word.end + PAD])
        previous = word
    spans[-1][1] = min(end + PAD, spans[-1][1])
    return [(a, b) for a, b in spans if b > a]
