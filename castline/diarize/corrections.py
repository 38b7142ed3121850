"""Producer speaker corrections: ``corrections.yaml`` read, checked and applied.

A producer who finds a turn given to the wrong person writes (or lets
``castline fix`` write) a ``corrections.yaml`` beside the episode's outputs::

    speakers:   # rename a speaker / set a role; `speaker` is an id (S2) or a current name
      - {speaker: S2, name: Keith Duggar, role: guest}
    turns:      # give a turn to someone; `at` = the turn's opening words, verbatim
      - {at: "So tell us a little bit more about", speaker: Eiso Kant}
    splits:     # split a turn after a phrase; the second part goes to `speaker`
      - {at: "opening words of the turn", after: "right?", speaker: Tim Scarfe}

:func:`apply_corrections` runs right after speaker attribution, on
``Turn.verbatim`` (before clean). Turns are found by their opening words, not
their numbers, so a re-run with a changed model still finds them. An anchor
that opens no turn but lies inside one (a turn merged upstream) splits that
turn there. Any problem raises :class:`CorrectionError` and changes nothing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from castline.model import Episode, Speaker, Turn

__all__ = [
    "ROLES", "CorrectionError", "Corrections", "SpeakerFix", "SplitFix", "TurnFix", "apply_corrections",
    "corrections_to_dict", "load_corrections", "parse_corrections",
]

#: Roles a speaker may be given.
ROLES = ("host", "guest", "other")

_ID = re.compile(r"^S\d+$")


class CorrectionError(ValueError):
    """A corrections file or entry that cannot be applied (one line, naming the entry)."""


@dataclass
class SpeakerFix:
    """Rename speaker ``speaker`` (an id or a current name) to ``name``; set ``role`` when given."""

    speaker: str
    name: str | None = None
    role: str | None = None


@dataclass
class TurnFix:
    """Give the turn opening with ``at`` to ``speaker`` (a name, or an existing id)."""

    at: str
    speaker: str
    role: str | None = None


@dataclass
class SplitFix:
    """Split the turn opening with ``at`` after ``after``; the second part goes to ``speaker``."""

    at: str
    after: str
    speaker: str
    role: str | None = None


@dataclass
class Corrections:
    """Everything a ``corrections.yaml`` says, in the order it is applied."""

    speakers: list[SpeakerFix] = field(default_factory=list)
    turns: list[TurnFix] = field(default_factory=list)
    splits: list[SplitFix] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.speakers or self.turns or self.splits)


_FIELDS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    # section: (class, required keys, optional keys)
    "speakers": (SpeakerFix, ("speaker",), ("name", "role")),
    "turns": (TurnFix, ("at", "speaker"), ("role",)),
    "splits": (SplitFix, ("at", "after", "speaker"), ("role",)),
}


def parse_corrections(data: Any, origin: str = "corrections") -> Corrections:
    """Check the loaded YAML ``data`` and return :class:`Corrections` (``origin`` names it in errors)."""
    if data is None:
        return Corrections()
    if not isinstance(data, dict):
        raise CorrectionError(f"{origin}: expected a mapping with speakers, turns, splits")
    unknown = sorted(set(map(str, data)) - set(_FIELDS))
    if unknown:
        raise CorrectionError(f"{origin}: unknown section {unknown[0]!r} (speakers, turns, splits)")
    result = Corrections()
    for section, (cls, required, optional) in _FIELDS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise CorrectionError(f"{origin}: {section} must be a list")
        for i, entry in enumerate(entries, 1):
            where = f"{origin}: {section}[{i}]"
            if not isinstance(entry, dict):
                raise CorrectionError(f"{where}: expected a mapping, got {entry!r}")
            extra = sorted(set(map(str, entry)) - set(required) - set(optional))
            if extra:
                raise CorrectionError(f"{where}: unknown key {extra[0]!r}")
            values = {}
            for key in (*required, *optional):
                value = entry.get(key)
                if value is None:
                    if key in required:
                        raise CorrectionError(f"{where}: missing {key!r}")
                    continue
                if not isinstance(value, str | int | float) or not str(value).strip():
                    raise CorrectionError(f"{where}: {key!r} must be non-empty text")
                values[key] = " ".join(str(value).split())
            if values.get("role") and values["role"] not in ROLES:
                raise CorrectionError(f"{where}: role must be host, guest or other, not {values['role']!r}")
            if section == "speakers" and not (values.get("name") or values.get("role")):
                raise CorrectionError(f"{where}: give a name or a role")
            getattr(result, section).append(cls(**values))
    return result


def load_corrections(path: str | Path) -> Corrections:
    """Read and check a ``corrections.yaml``; raise :class:`CorrectionError` when malformed."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrectionError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "malformed"
        raise CorrectionError(f"{path}: not valid YAML: {first}") from None
    return parse_corrections(data, origin=path.name)


def corrections_to_dict(corrections: Corrections) -> dict[str, list[dict[str, str]]]:
    """The YAML-ready mapping of ``corrections`` (empty sections left out)."""
    out: dict[str, list[dict[str, str]]] = {}
    for section in _FIELDS:
        entries = getattr(corrections, section)
        if entries:
            out[section] = [{k: v for k, v in vars(e).items() if v is not None} for e in entries]
    return out


# -- applying -----------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _word_starts(verbatim: str) -> list[tuple[int, int]]:
    """(offset in verbatim, offset in the normalised text) of each word."""
    starts, pos = [], 0
    for match in re.finditer(r"\S+", verbatim):
        starts.append((match.start(), pos))
        pos += len(match.group()) + 1
    return starts


def _find_anchor(episode: Episode, anchor: str) -> tuple[int, int] | None:
    """(turn index, verbatim offset) where ``anchor`` opens a turn, else where it starts a word inside one."""
    needle = _norm(anchor)
    for i, turn in enumerate(episode.turns):
        if _norm(turn.verbatim).startswith(needle):
            return i, 0
    for i, turn in enumerate(episode.turns):
        norm = _norm(turn.verbatim)
        for offset, pos in _word_starts(turn.verbatim):
            if norm.startswith(needle, pos):
                return i, offset
    return None


def _split_turn(episode: Episode, index: int, offset: int) -> None:
    """Split turn ``index`` at verbatim ``offset`` (a word start) into two turns in place."""
    turn = episode.turns[index]
    head, tail = turn.verbatim[:offset].rstrip(), turn.verbatim[offset:].lstrip()
    if not head or not tail:
        return
    time = turn.time_at(offset, of="verbatim")
    words_a = words_b = None
    if turn.words:
        k = len(head.split())
        if len(turn.words) == len(turn.verbatim.split()):
            words_a, words_b = turn.words[:k], turn.words[k:]
        else:
            words_a = [w for w in turn.words if w.start < time] or None
            words_b = [w for w in turn.words if w.start >= time] or None
        if words_a and words_b:
            time = words_b[0].start
    # Applied before clean, where text is the verbatim: the pieces stand for both.
    text_a, text_b = head, tail
    time = max(turn.start, time)
    first = Turn(speaker=turn.speaker, start=turn.start, end=time, text=text_a, verbatim=head,
                 tags=list(turn.tags), confidence=turn.confidence, words=words_a)
    second = Turn(speaker=turn.speaker, start=time, end=turn.end, text=text_b, verbatim=tail,
                  tags=list(turn.tags), confidence=turn.confidence, words=words_b)
    episode.turns[index:index + 1] = [first, second]


def _existing(episode: Episode, ref: str) -> Speaker | None:
    for sp in episode.speakers:
        if sp.id == ref:
            return sp
    low = ref.lower()
    for sp in episode.speakers:
        if sp.name.lower() == low:
            return sp
    return None


def _next_id(episode: Episode) -> str:
    numbers = [int(sp.id[1:]) for sp in episode.speakers if _ID.match(sp.id)]
    return f"S{max(numbers, default=0) + 1}"


def _resolve(episode: Episode, ref: str, role: str | None, where: str) -> str:
    """The id of speaker ``ref`` (id or name); a new name becomes a new Speaker."""
    found = _existing(episode, ref)
    if found is not None:
        if role:
            found.role = role
        return found.id
    if _ID.match(ref):
        raise CorrectionError(f"{where}: unknown speaker id {ref!r}")
    speaker = Speaker(id=_next_id(episode), name=ref, role=role or "guest")
    episode.speakers.append(speaker)
    return speaker.id


def _merge(episode: Episode, touched: set[int]) -> None:
    """Merge adjacent same-speaker turns where either was touched by a correction."""
    merged: list[Turn] = []
    marks: list[bool] = []
    for turn in episode.turns:
        mark = id(turn) in touched
        if merged and merged[-1].speaker == turn.speaker and (mark or marks[-1]):
            prev = merged[-1]
            words = (prev.words or []) + (turn.words or []) if (prev.words or turn.words) else None
            merged[-1] = Turn(
                speaker=prev.speaker, start=prev.start, end=max(prev.end, turn.end),
                text=f"{prev.text} {turn.text}".strip(), verbatim=f"{prev.verbatim} {turn.verbatim}".strip(),
                tags=list(dict.fromkeys([*prev.tags, *turn.tags])),
                confidence=min(prev.confidence, turn.confidence), words=words,
            )
            marks[-1] = True
        else:
            merged.append(turn)
            marks.append(mark)
    episode.turns = merged


def apply_corrections(episode: Episode, corrections: Corrections) -> Episode:
    """Return a copy of ``episode`` with ``corrections`` applied (``episode`` itself is never changed).

    Order: speaker renames, then turn reassignments, then splits; then adjacent
    turns of one speaker, where a correction touched either, are merged. A
    corrected turn gets ``confidence`` 1.0. Raises :class:`CorrectionError`
    (one line naming the entry) on an anchor that matches no turn, an unknown
    speaker id, or a split phrase not in its turn.
    """
    if not corrections:
        return episode
    ep = copy.deepcopy(episode)
    touched: set[int] = set()
    for i, fix in enumerate(corrections.speakers, 1):
        where = f"speakers[{i}] ({fix.speaker})"
        speaker = _existing(ep, fix.speaker)
        if speaker is None:
            raise CorrectionError(f"{where}: unknown speaker {fix.speaker!r}")
        other = _existing(ep, fix.name) if fix.name else None
        if other is not None and other.id != speaker.id:
            # Renamed to someone already present: the two are one person.
            for turn in ep.turns:
                if turn.speaker == speaker.id:
                    turn.speaker = other.id
                    touched.add(id(turn))
            ep.speakers = [sp for sp in ep.speakers if sp.id != speaker.id]
            speaker = other
        elif fix.name:
            speaker.name = fix.name
        if fix.role:
            speaker.role = fix.role
    for i, fix in enumerate(corrections.turns, 1):
        where = f"turns[{i}] (at {fix.at!r})"
        found = _find_anchor(ep, fix.at)
        if found is None:
            raise CorrectionError(f"{where}: no turn opens with these words")
        index, offset = found
        if offset:
            _split_turn(ep, index, offset)
            index += 1
        turn = ep.turns[index]
        turn.speaker = _resolve(ep, fix.speaker, fix.role, where)
        turn.confidence = 1.0
        touched.add(id(turn))
    for i, fix in enumerate(corrections.splits, 1):
        where = f"splits[{i}] (at {fix.at!r})"
        found = _find_anchor(ep, fix.at)
        if found is None:
            raise CorrectionError(f"{where}: no turn opens with these words")
        index, offset = found
        turn = ep.turns[index]
        norm, needle = _norm(turn.verbatim), _norm(fix.after)
        starts = _word_starts(turn.verbatim)
        anchor_pos = next(pos for off, pos in starts if off >= offset) if offset else 0
        at = norm.find(needle, anchor_pos)
        if at < 0:
            raise CorrectionError(f"{where}: {fix.after!r} is not in that turn")
        cut = next((off for off, pos in starts if pos >= at + len(needle)), None)
        if cut is None:
            raise CorrectionError(f"{where}: {fix.after!r} ends the turn; nothing to split off")
        if offset:
            _split_turn(ep, index, offset)
            index += 1
            cut -= offset
        _split_turn(ep, index, cut)
        second = ep.turns[index + 1]
        second.speaker = _resolve(ep, fix.speaker, fix.role, where)
        second.confidence = 1.0
        touched.update({id(ep.turns[index]), id(second)})
    _merge(ep, touched)
    return ep
