"""Value types shared by every stage: an :class:`Episode` and its parts.

Stages are functions ``Episode -> Episode`` (or small values); everything here
round-trips through JSON (:meth:`Episode.to_dict` / :meth:`Episode.from_dict`)
and is described by ``castline/schema/episode.schema.json``.

Conventions
-----------
* Times are seconds from the start of the audio. Text inputs without times get
  estimated times (``Episode.times_estimated``).
* ``Turn.verbatim`` holds the source words exactly as read; ``Turn.text`` is the
  edited (readable) text. Applying the turn's :class:`Edit` records, in order,
  to ``verbatim`` yields ``text`` (see :func:`castline.clean.apply_edits`).
* Quotes (previews, highlights, clips) carry ``turn`` plus ``char_start`` /
  ``char_end`` offsets into that turn's ``text``: the quote is that span.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ROLES",
    "Chapter",
    "Clip",
    "Edit",
    "Episode",
    "Highlight",
    "Preview",
    "Speaker",
    "Turn",
    "Word",
]

ROLES = ("host", "guest", "other")
SCHEMA_VERSION = 1


@dataclass
class Word:
    """One spoken word with its time span (seconds) and ASR confidence."""

    text: str
    start: float
    end: float
    score: float | None = None
    speaker: str | None = None


@dataclass
class Speaker:
    """A person in the episode. ``id`` is stable within the episode (``S1``)."""

    id: str
    name: str
    role: str = "other"


@dataclass
class Turn:
    """A stretch of speech by one speaker.

    ``text`` is the edited transcript, ``verbatim`` the source words. ``tags``
    mark structure: ``ad`` (sponsor read), ``cold_open``, ``intro`` (the host's
    introduction) and ``outro`` (the closing).
    ``confidence`` says how sure speaker attribution is (1.0 when the input
    labelled the speaker).
    """

    speaker: str | None
    start: float
    end: float
    text: str
    verbatim: str
    tags: list[str] = field(default_factory=list)
    confidence: float = 1.0
    words: list[Word] | None = None

    def time_at(self, offset: int, *, of: str = "text") -> float:
        """Estimate the time at character ``offset`` of ``text`` (or ``verbatim``).

        Uses word times when present, else interpolates linearly over the turn.
        """
        source = self.text if of == "text" else self.verbatim
        frac = 0.0 if not source else min(max(offset / len(source), 0.0), 1.0)
        if self.words:
            index = min(int(frac * len(self.words)), len(self.words) - 1)
            word = self.words[index]
            return word.start if frac < 1.0 else self.words[-1].end
        return self.start + frac * (self.end - self.start)


@dataclass
class Edit:
    """One change from verbatim to readable text, on record for audit and revert.

    ``start``/``end`` are character offsets into the turn's ``verbatim`` text;
    ``original`` is ``verbatim[start:end]``. ``kind`` is one of ``filler``,
    ``discourse``, ``repeat``, ``false_start``, ``glossary``, ``case``,
    ``punctuation``, ``join``, ``whitespace``.
    """

    kind: str
    original: str
    replacement: str
    turn: int
    start: int
    end: int
    time_start: float | None = None
    time_end: float | None = None


@dataclass
class Chapter:
    """A chapter mark: start time and a concise title."""

    start: float
    title: str
    end: float | None = None
    turn: int = 0
    keywords: list[str] = field(default_factory=list)


@dataclass
class Clip:
    """A self-contained passage worth posting (30 s to 3 min)."""

    start: float
    end: float
    title: str
    text: str
    score: float
    reasons: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    turn_start: int = 0
    turn_end: int = 0
    thread: list[str] = field(default_factory=list)
    audio: str | None = None


@dataclass
class Preview:
    """A pithy 5-15 s quote for a cold open or trailer; elisions marked ``[...]``."""

    text: str
    speaker: str | None
    start: float
    end: float
    turn: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)
    audio: str | None = None


@dataclass
class Highlight:
    """A verbatim quote and the post that publishes it.

    ``text`` equals ``turns[turn].text[char_start:char_end]``; ``tweet`` is the
    post as published and ``weighted_length`` its length as X counts it.
    """

    text: str
    speaker: str | None
    start: float
    end: float
    tweet: str
    weighted_length: int
    turn: int = 0
    char_start: int = 0
    char_end: int = 0
    score: float = 0.0


@dataclass
class Episode:
    """One episode and everything castline knows or made about it."""

    title: str
    slug: str
    source: str = ""
    source_format: str = ""
    source_sha256: str = ""
    show: str | None = None
    language: str = "en"
    duration: float = 0.0
    times_estimated: bool = False
    speakers: list[Speaker] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # -- look-ups ---------------------------------------------------------
    def speaker(self, speaker_id: str | None) -> Speaker | None:
        """The :class:`Speaker` with ``speaker_id``, or None."""
        for s in self.speakers:
            if s.id == speaker_id:
                return s
        return None

    def speaker_name(self, speaker_id: str | None) -> str:
        """Display name for ``speaker_id`` ("Unknown speaker" when unattributed)."""
        s = self.speaker(speaker_id)
        return s.name if s else "Unknown speaker"

    def spoken_words(self) -> int:
        """Number of words in all turns' verbatim text."""
        return sum(len(t.verbatim.split()) for t in self.turns)

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``episode.json``)."""
        data = dataclasses.asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        for preview in data["previews"]:
            preview["spans"] = [list(span) for span in preview["spans"]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        """Rebuild an episode from :meth:`to_dict` output."""
        data = dict(data)
        data.pop("schema_version", None)
        turns = []
        for t in data.pop("turns", []):
            t = dict(t)
            words = t.pop("words", None)
            turns.append(Turn(**t, words=[Word(**w) for w in words] if words else None))
        previews = []
        for p in data.pop("previews", []):
            p = dict(p)
            p["spans"] = [tuple(span) for span in p.get("spans", [])]
            previews.append(Preview(**p))
        return cls(
            **{k: v for k, v in data.items() if k not in _NESTED},
            speakers=[Speaker(**s) for s in data.get("speakers", [])],
            turns=turns,
            edits=[Edit(**e) for e in data.get("edits", [])],
            chapters=[Chapter(**c) for c in data.get("chapters", [])],
            clips=[Clip(**c) for c in data.get("clips", [])],
            previews=previews,
            highlights=[Highlight(**h) for h in data.get("highlights", [])],
        )

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise to JSON text; also write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> Episode:
        """Load from JSON text or a path to ``episode.json``."""
        if isinstance(text_or_path, Path) or not str(text_or_path).lstrip().startswith("{"):
            text_or_path = Path(text_or_path).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text_or_path))


_NESTED = {"speakers", "turns", "edits", "chapters", "clips", "previews", "highlights"}
