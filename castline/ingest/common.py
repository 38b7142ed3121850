"""Shared pieces of the readers: timestamps, speaker ids, time estimation, Episode assembly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slugify import slugify

from castline.model import Episode, Speaker, Turn, Word
from castline.text import SPEAKING_RATE_WPS, words

__all__ = [
    "TIME_RE",
    "DraftTurn",
    "SpeakerRegistry",
    "build_episode",
    "merge_same_speaker",
    "parse_timestamp",
    "readable_title",
]

#: A clock time such as ``1:02:03``, ``01:02``, ``00:01:02,500`` or ``00:01:02.5``.
TIME_RE = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"


def parse_timestamp(value: str) -> float:
    """Seconds for ``HH:MM:SS``, ``MM:SS`` or either with ``.mmm`` / ``,mmm`` fractions."""
    value = value.strip().replace(",", ".")
    parts = value.split(":")
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"not a timestamp: {value!r}")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[0]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def readable_title(slug_or_stem: str) -> str:
    """``how-i-write`` -> ``How I write``: separators to spaces, first letter upper."""
    text = re.sub(r"[-_]+", " ", slug_or_stem).strip()
    text = re.sub(r"\bi\b", "I", text)
    return text[:1].upper() + text[1:] if text else slug_or_stem


@dataclass
class DraftTurn:
    """A turn before ids and times are settled: ``speaker`` is a display name or None."""

    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None
    words: list[Word] | None = None
    # Labels found in the file carry confidence 1.0; speakers assumed by a reader less.
    confidence: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)


class SpeakerRegistry:
    """Speaker ids ``S1``, ``S2``, ... in order of first appearance; same name -> same id."""

    def __init__(self) -> None:
        self.speakers: list[Speaker] = []
        self._by_key: dict[str, Speaker] = {}

    @staticmethod
    def key(name: str) -> str:
        """How names compare: case and spacing do not matter."""
        return " ".join(name.split()).casefold()

    def id_for(self, name: str | None, role: str = "other") -> str | None:
        """The id for ``name`` (creating a :class:`Speaker` on first sight); None for None."""
        if name is None or not name.strip():
            return None
        key = self.key(name)
        speaker = self._by_key.get(key)
        if speaker is None:
            speaker = Speaker(id=f"S{len(self.speakers) + 1}", name=" ".join(name.split()), role=role)
            self.speakers.append(speaker)
            self._by_key[key] = speaker
        return speaker.id


def merge_same_speaker(
    drafts: list[DraftTurn], joiner: str = "\n", *, keep_timed_apart: bool = True
) -> list[DraftTurn]:
    """Merge runs of consecutive drafts by the same *labelled* speaker (unlabelled stay apart).

    With ``keep_timed_apart`` a draft with a given start time opens a new turn even for the
    same speaker, so header times written in the source are never lost; subtitle cues pass
    False and the merged turn spans first start to last end.
    """
    merged: list[DraftTurn] = []
    for draft in drafts:
        last = merged[-1] if merged else None
        if (
            last is not None
            and draft.speaker is not None
            and last.speaker is not None
            and SpeakerRegistry.key(draft.speaker) == SpeakerRegistry.key(last.speaker)
            and (draft.start is None or not keep_timed_apart)
        ):
            last.text = f"{last.text}{joiner}{draft.text}"
            if draft.end is not None:
                last.end = draft.end
            # Word lists only when every merged part has one, else they would not cover the text.
            last.words = last.words + draft.words if last.words and draft.words else None
            continue
        merged.append(
            DraftTurn(
                draft.speaker,
                draft.text,
                draft.start,
                draft.end,
                list(draft.words) if draft.words else None,
                draft.confidence,
                dict(draft.meta),
            )
        )
    return merged


def _estimated_duration(text: str) -> float:
    # At least one word's worth so that no turn has zero length.
    return max(len(words(text)), 1) / SPEAKING_RATE_WPS


def _settle_times(drafts: list[DraftTurn]) -> tuple[list[tuple[float, float]], int]:
    """(start, end) per draft and how many drafts needed an estimate.

    Given times are kept. A missing start follows the previous end. A missing end, for a
    draft whose start is given (a header), is the next draft's given start when that is
    later; otherwise it is start + words / speaking rate.
    """
    spans: list[tuple[float, float]] = []
    estimated = 0
    cursor = 0.0
    for index, draft in enumerate(drafts):
        guessed = False
        start = draft.start
        if start is None:
            start, guessed = cursor, True
        end = draft.end
        if end is None or end < start:
            following = drafts[index + 1].start if index + 1 < len(drafts) else None
            if not guessed and following is not None and following > start:
                end = following
            else:
                end, guessed = start + _estimated_duration(draft.text), True
        estimated += guessed
        spans.append((round(start, 3), round(end, 3)))
        cursor = end
    return spans, estimated


def build_episode(
    *,
    drafts: list[DraftTurn],
    title: str,
    source: str,
    source_format: str,
    source_sha256: str,
    registry: SpeakerRegistry | None = None,
    show: str | None = None,
    language: str = "en",
    metadata: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> Episode:
    """Assemble an :class:`Episode` from drafts: speaker ids, settled times, notes."""
    registry = registry or SpeakerRegistry()
    drafts = [d for d in drafts if d.text.strip()]
    spans, estimated = _settle_times(drafts)
    turns: list[Turn] = []
    for draft, (start, end) in zip(drafts, spans, strict=True):
        speaker_id = registry.id_for(draft.speaker)
        turn_words = None
        if draft.words:
            turn_words = [
                Word(w.text, w.start, w.end, w.score, registry.id_for(w.speaker) or speaker_id)
                for w in draft.words
            ]
        turns.append(
            Turn(
                speaker=speaker_id,
                start=start,
                end=end,
                text=draft.text,
                verbatim=draft.text,
                confidence=draft.confidence if speaker_id is not None else 0.0,
                words=turn_words,
            )
        )
    notes = list(notes or [])
    backwards = sum(1 for a, b in zip(turns, turns[1:], strict=False) if b.start < a.start)
    if backwards:
        # Excerpt collections jump between points of one or several recordings.
        notes.append(
            f"Source times go backwards {backwards} time(s): the file joins excerpts, so times "
            "are kept as given and do not form one timeline."
        )
    if estimated:
        share = "all" if estimated == len(turns) else f"{estimated} of {len(turns)}"
        notes.append(
            f"Times are estimated for {share} turns from word counts at "
            f"{SPEAKING_RATE_WPS} words per second; the source gives no times for them."
        )
    return Episode(
        title=title,
        slug=slugify(title) or "episode",
        source=source,
        source_format=source_format,
        source_sha256=source_sha256,
        show=show,
        language=language,
        duration=max((t.end for t in turns), default=0.0),
        times_estimated=bool(estimated),
        speakers=list(registry.speakers),
        turns=turns,
        metadata=dict(metadata or {}),
        notes=notes,
    )
