"""Reader for castline's own ``transcript.md`` (and ``verbatim.md``), edited or not.

A producer fixes a speaker header in the readable transcript castline wrote and
processes that file again; this reader takes the file back as a labelled transcript.
What castline writes (:mod:`castline.export.markdown`):

* ``# Title``, then ``*Readable transcript · Show · Eiso Kant (guest), Tim Scarfe (host) · 02:02:20*``
  (show, speakers and duration each optional), then optionally the note
  ``> Times are estimated from a speaking rate: ...``;
* per turn a header ``Name HH:MM:SS``, optionally followed by
  ``(speaker uncertain, 0.57)`` and structure labels (`` · cold open``,
  `` · introduction``, `` · closing``), then the turn's paragraphs;
* a sponsor read as a quoted block: ``> **Sponsor read** — Name HH:MM:SS ...``,
  ``>``, ``> paragraph``.

Read back: every header opens a turn (same-speaker turns stay apart, as written);
the name is the speaker (``Unknown speaker`` is no one); a header's
``(speaker uncertain, c)`` sets the turn's confidence to ``c``, and without the mark
the turn is labelled (1.0), so deleting the mark confirms the speaker; labels become
``Turn.tags`` (``cold_open``, ``intro``, ``outro``, and ``ad`` for a sponsor block or
a `` · sponsor read`` label); roles come from the speaker list of the preamble, or a
header's own ``Name (host) 00:01:02``. Header times are kept; the preamble's duration
ends the last turn (:func:`castline.ingest.read_text` sets it), and its
estimated-times note keeps ``times_estimated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from castline.ingest.common import TIME_RE, DraftTurn, SpeakerRegistry, parse_timestamp
from castline.ingest.labels import plausible_name
from castline.text import STOPWORDS

__all__ = [
    "CastlineHeader",
    "CastlineTranscript",
    "UNKNOWN_SPEAKER",
    "looks_like_castline_markdown",
    "parse_castline_header",
    "read_castline_markdown",
]

#: The name castline writes for a turn nobody was attributed to.
UNKNOWN_SPEAKER = "Unknown speaker"

#: Header labels (as castline writes them, and a producer's likely variants) -> ``Turn.tags``.
_LABEL_TAGS = {
    "cold open": "cold_open",
    "cold_open": "cold_open",
    "introduction": "intro",
    "intro": "intro",
    "closing": "outro",
    "outro": "outro",
    "sponsor read": "ad",
    "sponsor": "ad",
    "ad": "ad",
    "ad read": "ad",
}

_HEADER = re.compile(
    rf"^\s*(?P<name>\S.*?)(?:\s+\((?P<role>host|guest|other)\))?\s+(?P<time>{TIME_RE})"
    r"(?:\s*\(\s*speaker\s+uncertain(?:\s*,\s*(?P<confidence>[01](?:\.\d+)?|\.\d+))?\s*\))?"
    r"(?P<labels>(?:\s*·\s*[^·]+?)*)\s*$",
    re.IGNORECASE,
)
_SPONSOR = re.compile(r"^\s*>\s*\*\*\s*sponsor read\s*\*\*\s*[—–-]+\s*(?P<header>.+)$", re.IGNORECASE)
_FACTS = re.compile(r"^\s*\*(?P<kind>Readable transcript|Verbatim transcript)\b(?P<rest>.*?)\*\s*$")
_ESTIMATED_NOTE = re.compile(r"^\s*>\s*Times are estimated\b", re.IGNORECASE)
_DURATION = re.compile(rf"^{TIME_RE}$")
_NAMED_ROLE = re.compile(r"^(?P<name>.+?)\s*\((?P<role>host|guest|other)\)$", re.IGNORECASE)
_CASTLINE_TIME = re.compile(r"\d{2}:\d{2}:\d{2}$")
_UNCERTAIN_CONFIDENCE = 0.5  # a "(speaker uncertain)" mark a producer typed without a number
_LONGEST_HEADER = 300  # characters; a longer line is body text


def _edited_name(name: str) -> bool:
    """A name a producer may type into a header that :func:`plausible_name` refuses.

    ``keith duggar``, ``Keith Duggar, PhD``: up to five words, none a function word, no
    sentence punctuation at the end. Only for files with castline's preamble and headers
    in castline's own ``HH:MM:SS``, where a body line ending in a clock time is rare.
    """
    tokens = name.split()
    if not 1 <= len(tokens) <= 5 or len(name) > 60 or name[-1] in ".?!;:,\"”'’":
        return False
    if any(t.casefold().strip(",") in STOPWORDS for t in tokens):
        return False
    return any(ch.isalpha() for ch in name)


@dataclass(frozen=True)
class CastlineHeader:
    """A turn header of castline's transcript: who, when, how sure, which structure tags."""

    name: str
    time: float
    confidence: float = 1.0
    tags: tuple[str, ...] = ()
    role: str | None = None


@dataclass
class CastlineTranscript:
    """What :func:`read_castline_markdown` found: drafts (``meta["tags"]``) and the preamble."""

    drafts: list[DraftTurn]
    title: str | None = None
    show: str | None = None
    duration: float | None = None
    times_estimated: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # speaker name -> role, in preamble order
    details: dict[str, int | str] = field(default_factory=dict)


def _speaker_list(item: str) -> dict[str, str]:
    """``"Eiso Kant (guest), Tim Scarfe"`` -> ``{"Eiso Kant": "guest", "Tim Scarfe": ""}``."""
    out: dict[str, str] = {}
    for part in item.split(","):
        part = " ".join(part.split())
        if not part:
            continue
        match = _NAMED_ROLE.match(part)
        if match:
            out[" ".join(match["name"].split())] = match["role"].lower()
        else:
            out[part] = ""
    return out


def parse_castline_header(
    line: str, known: set[str] | frozenset[str] = frozenset(), *, edited: bool = False
) -> CastlineHeader | None:
    """The header on ``line`` (a plain turn header or a sponsor-read block's), or None.

    The name must look like a name (:func:`castline.ingest.labels.plausible_name`), be
    ``Unknown speaker``, or be one of ``known`` (casefolded names from the preamble);
    with ``edited`` (the file has castline's preamble) also a name a producer typed
    (lowercase, a title after a comma) before a ``HH:MM:SS`` time. Every `` · `` label
    must be a structure label castline writes (or a close variant).
    """
    if len(line) > _LONGEST_HEADER:
        return None
    tags: list[str] = []
    sponsor = _SPONSOR.match(line)
    if sponsor:
        line = sponsor["header"]
        tags.append("ad")
    match = _HEADER.match(line)
    if match is None:
        return None
    name = " ".join(match["name"].split())
    key = SpeakerRegistry.key(name)
    if not (
        plausible_name(name)
        or key in known
        or key == UNKNOWN_SPEAKER.casefold()
        or (edited and _CASTLINE_TIME.match(match["time"]) and _edited_name(name))
    ):
        return None
    for label in match["labels"].split("·")[1:]:
        tag = _LABEL_TAGS.get(" ".join(label.split()).casefold())
        if tag is None:
            return None
        if tag not in tags:
            tags.append(tag)
    confidence = 1.0
    if re.search(r"\(\s*speaker\s+uncertain", line, re.IGNORECASE):
        value = match["confidence"]
        confidence = min(float(value), 1.0) if value else _UNCERTAIN_CONFIDENCE
    return CastlineHeader(
        name=name,
        time=parse_timestamp(match["time"]),
        confidence=confidence,
        tags=tuple(sorted(tags)),
        role=match["role"].lower() if match["role"] else None,
    )


def _preamble(lines: list[str]) -> tuple[str | None, re.Match[str] | None, int]:
    """The title, the facts line and the index of the first line after them (0 when absent)."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()][:2]
    if len(nonblank) < 2 or not lines[nonblank[0]].startswith("# "):
        return None, None, 0
    facts = _FACTS.match(lines[nonblank[1]])
    if facts is None:
        return None, None, 0
    return lines[nonblank[0]][2:].strip() or None, facts, nonblank[1] + 1


def looks_like_castline_markdown(text: str) -> bool:
    """True for a transcript castline wrote (edited or not).

    Either the preamble (``# Title`` and ``*Readable transcript · ...*``) with at least
    one turn header, or, preamble deleted, at least two turn headers of which one
    carries what only castline writes: an uncertain mark, a structure label, a
    sponsor-read block.
    """
    lines = text.split("\n")
    _, facts, body_start = _preamble(lines)
    if facts is None:
        lowered = text.lower()
        if "·" not in text and "uncertain" not in lowered and "sponsor read" not in lowered:
            return False  # no preamble and nothing a decorated header holds: most inputs stop here
    known = _listed_names(facts)
    headers = decorated = 0
    for line in lines[body_start:]:
        header = parse_castline_header(line, known)
        if header is None:
            continue
        headers += 1
        decorated += bool(header.tags or header.confidence < 1.0)
        if facts is not None or (headers >= 2 and decorated):
            return True
    return False


def _listed_names(facts: re.Match[str] | None) -> set[str]:
    """Casefolded names of every comma-separated item of the facts line (show included)."""
    if facts is None:
        return set()
    return {SpeakerRegistry.key(n) for item in facts["rest"].split("·") for n in _speaker_list(item)}


def _facts(rest: str, header_names: set[str]) -> tuple[str | None, dict[str, str], float | None]:
    """Show, speakers (name -> role) and duration from the facts line after its kind."""
    items = [" ".join(i.split()) for i in rest.split("·")]
    items = [i for i in items if i]
    duration = None
    if items and _DURATION.match(items[-1]):
        duration = parse_timestamp(items.pop())
    show, speakers = None, {}
    if len(items) >= 2:
        show, speakers = " · ".join(items[:-1]), _speaker_list(items[-1])
    elif items:
        listed = _speaker_list(items[0])
        named = all(SpeakerRegistry.key(n) in header_names for n in listed)
        if named or any(listed.values()):
            speakers = listed
        else:
            show = items[0]
    return show, speakers, duration


def read_castline_markdown(text: str) -> CastlineTranscript:
    """Draft turns (one per header, ``meta["tags"]`` set) and the preamble of ``text``."""
    lines = text.split("\n")
    title, facts, body_start = _preamble(lines)
    known = _listed_names(facts)
    headers: dict[int, CastlineHeader] = {}
    for index in range(body_start, len(lines)):
        header = parse_castline_header(lines[index], known, edited=facts is not None)
        if header is not None:
            headers[index] = header
    show, speakers, duration = None, {}, None
    if facts is not None:
        named = {SpeakerRegistry.key(h.name) for h in headers.values()}
        show, speakers, duration = _facts(facts["rest"], named)

    drafts: list[DraftTurn] = []
    estimated = False
    paragraphs: list[list[str]] = [[]]
    header: CastlineHeader | None = None
    roles: dict[str, str] = {}
    loose = 0

    def close() -> None:
        body = "\n\n".join("\n".join(p) for p in paragraphs if p)
        if header is not None:
            name = None if SpeakerRegistry.key(header.name) == UNKNOWN_SPEAKER.casefold() else header.name
            drafts.append(
                DraftTurn(name, body, start=header.time, confidence=header.confidence if name else 0.0,
                          meta={"tags": list(header.tags)})
            )
        elif body:
            drafts.append(DraftTurn(None, body, meta={"tags": []}))

    for index in range(body_start, len(lines)):
        line = lines[index]
        if index in headers:
            close()
            header, paragraphs = headers[index], [[]]
            if header.role:
                roles[SpeakerRegistry.key(header.name)] = header.role
            continue
        if header is None and _ESTIMATED_NOTE.match(line):
            estimated = True
            continue
        if header is not None and "ad" in header.tags and line.lstrip().startswith(">"):
            line = re.sub(r"^\s*>\s?", "", line)
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if header is None:
            loose += 1
        paragraphs[-1].append(line.strip())
    close()

    # Roles: the preamble's list, a header's own "(host)" over it.
    by_key = {SpeakerRegistry.key(n): n for n in speakers}
    ordered: dict[str, str] = {}
    for name, role in speakers.items():
        ordered[name] = roles.get(SpeakerRegistry.key(name), role or "other")
    for key, role in roles.items():
        if key not in by_key:
            name = next(h.name for h in headers.values() if SpeakerRegistry.key(h.name) == key)
            ordered.setdefault(name, role)
    details: dict[str, int | str] = {
        "kind": facts["kind"].split()[0].lower() if facts is not None else "unknown",
        "header_lines": len(headers),
        "uncertain_marks": sum(1 for h in headers.values() if h.confidence < 1.0),
        "tagged_headers": sum(1 for h in headers.values() if h.tags),
        "unlabelled_lines": loose,
    }
    return CastlineTranscript(
        drafts=drafts,
        title=title,
        show=show,
        duration=duration,
        times_estimated=estimated,
        roles=ordered,
        details=details,
    )
