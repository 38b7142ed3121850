"""Sentences of an episode, with their place and time.

Chapters, clips and highlights all work on the same units: each sentence of a
turn's clean text (paragraph breaks are hard boundaries), addressed by its turn
and character offsets, timed through the turn (``Turn.time_at``), and tagged
like its turn so that sponsor reads, the cold open, the host's introduction and
the closing (:data:`EXCLUDED_TAGS`) can be left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from castline.model import Episode
from castline.text import sentences, words

__all__ = ["EXCLUDED_TAGS", "SentenceUnit", "episode_end", "sentence_units"]


#: Turn tags whose speech is never quoted, clipped or used for titles.
EXCLUDED_TAGS = frozenset({"ad", "cold_open", "intro", "outro"})


@dataclass(frozen=True)
class SentenceUnit:
    """One sentence of a turn's clean text, with its place and time.

    ``start``/``end`` are character offsets into ``episode.turns[turn].text``.
    """

    index: int
    turn: int
    start: int
    end: int
    text: str
    time_start: float
    time_end: float
    speaker: str | None
    tags: frozenset[str]
    turn_first: bool
    turn_last: bool

    @property
    def excluded(self) -> bool:
        """True when the sentence is in an ad or the cold open."""
        return bool(self.tags & EXCLUDED_TAGS)

    @property
    def n_words(self) -> int:
        """Number of words in the sentence."""
        return len(words(self.text))


_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n[^\n]+)*")


@lru_cache(maxsize=8192)
def _turn_sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    # Paragraph breaks ("\n\n") are hard boundaries: pysbd may run across them.
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH_RE.finditer(text):
        for s in sentences(para.group()):
            spans.append((para.start() + s.start, para.start() + s.end))
    return tuple(spans)


def sentence_units(episode: Episode) -> list[SentenceUnit]:
    """All sentences of the episode's clean text, in order, with times and tags."""
    units: list[SentenceUnit] = []
    for ti, turn in enumerate(episode.turns):
        spans = _turn_sentence_spans(turn.text)
        tags = frozenset(turn.tags)
        for k, (a, b) in enumerate(spans):
            units.append(
                SentenceUnit(
                    index=len(units),
                    turn=ti,
                    start=a,
                    end=b,
                    text=turn.text[a:b],
                    time_start=turn.time_at(a),
                    time_end=turn.time_at(b),
                    speaker=turn.speaker,
                    tags=tags,
                    turn_first=k == 0,
                    turn_last=k == len(spans) - 1,
                )
            )
    return units


def episode_end(episode: Episode) -> float:
    """End time of the episode: its duration, else the last turn's end."""
    last = max((t.end for t in episode.turns), default=0.0)
    return max(episode.duration or 0.0, last)
