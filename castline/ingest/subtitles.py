"""Readers for subtitle files: SRT (the ``srt`` library) and WebVTT (``webvtt-py``).

Cue numbers, timings, settings and markup tags are not speech and are dropped; the cue
text is kept word for word, its line breaks joined with spaces. Speakers come from WebVTT
voice tags (``<v Name>``) or from ``Name:`` labels at the start of cue lines (only when
such labels repeat, as in any labelled text). Subtitles mark a speaker when the speaker
changes, so an unlabelled cue continues the last named speaker; consecutive cues of one
speaker merge into one turn. Without any speaker marks each cue is one unlabelled turn.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

from castline.ingest.common import DraftTurn, merge_same_speaker, parse_timestamp
from castline.ingest.labels import labels_are_speakers, parse_label_line
from castline.text import words

__all__ = [
    "Cue",
    "cues_to_drafts",
    "drop_rolling_repeats",
    "parse_srt_cues",
    "parse_vtt_cues",
    "vtt_header",
]

_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
# Cue markup: <i>, </b>, <c.yellow>, </v>, <ruby>, karaoke times <00:00:01.000>, and
# SSA/ASS override blocks such as {\an8} that some SRT files carry.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|</?\d[\d:.]*>|\{\\[^{}]*\}")


@dataclass
class Cue:
    """One subtitle cue: times in seconds and its raw text (markup still in)."""

    start: float
    end: float
    raw: str


def parse_srt_cues(text: str) -> list[Cue]:
    """Cues of an SRT document; raises ``ValueError`` when it is not valid SRT."""
    import srt

    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise ValueError(f"invalid SRT: {exc}") from None
    return [Cue(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in subtitles]


def parse_vtt_cues(text: str) -> list[Cue]:
    """Cues of a WebVTT document; raises ``ValueError`` when it is not valid WebVTT."""
    import webvtt

    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except Exception as exc:  # webvtt-py raises several types for malformed input
        raise ValueError(f"invalid WebVTT: {exc}") from None
    # Caption.start_in_seconds truncates to whole seconds; parse the timestamp itself.
    return [Cue(parse_timestamp(c.start), parse_timestamp(c.end), c.raw_text) for c in captions]


def vtt_header(text: str) -> dict[str, str]:
    """Facts from a WebVTT header: ``title`` (``WEBVTT - My Show``) and ``language``
    (``Language: en``, as YouTube writes it)."""
    head = text.split("\n\n", 1)[0].split("\n")
    facts: dict[str, str] = {}
    if head and head[0].startswith("WEBVTT"):
        title = head[0][len("WEBVTT") :].strip(" \t-–—:")
        if title:
            facts["title"] = title
    for line in head[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "language" and value.strip():
            facts["language"] = value.strip()
    return facts


def _clean(fragment: str) -> str:
    text = html.unescape(_MARKUP.sub("", fragment))
    return " ".join(part.strip() for part in text.split("\n") if part.strip())


def _split_voices(raw: str, speaker: str | None) -> list[tuple[str | None, str]]:
    """(speaker, raw fragment) pieces of one cue, split at voice tags."""
    pieces: list[tuple[str | None, str]] = []
    cursor = 0
    for match in _VOICE_TAG.finditer(raw):
        if raw[cursor : match.start()].strip():
            pieces.append((speaker, raw[cursor : match.start()]))
        speaker = " ".join(match[1].split()) or speaker
        cursor = match.end()
    pieces.append((speaker, raw[cursor:]))
    return pieces


def _cue_lines(cue: Cue) -> list[str]:
    return [line for line in (_clean(part) for part in cue.raw.split("\n")) if line]


def drop_rolling_repeats(cues: list[Cue]) -> tuple[list[Cue], int]:
    """Undo "rolling" captions (YouTube auto-captions), where each cue repeats the last line
    of the cue before it so that two lines scroll; the repeat is display, not speech.

    Acts only when most cues that could repeat do (at least a third), so that a speaker
    who really says the same line twice in ordinary subtitles keeps both.
    """
    repeats = []
    previous: list[str] = []
    for index, cue in enumerate(cues):
        lines = _cue_lines(cue)
        if previous and lines and lines[0] == previous[-1]:
            repeats.append(index)
        previous = lines or previous
    if len(repeats) < 2 or len(repeats) < len(cues) / 3:
        return cues, 0
    out: list[Cue] = []
    for index, cue in enumerate(cues):
        if index in repeats:
            raw_lines = [part for part in cue.raw.split("\n") if _clean(part)]
            cue = Cue(cue.start, cue.end, "\n".join(raw_lines[1:]))
        out.append(cue)
    return out, len(repeats)


def cues_to_drafts(cues: list[Cue]) -> tuple[list[DraftTurn], dict[str, object]]:
    """Draft turns from cues (speakers from voice tags or repeated ``Name:`` labels)."""
    cues, rolling_repeats = drop_rolling_repeats(cues)
    has_voices = any(_VOICE_TAG.search(cue.raw) for cue in cues)
    label_names = [
        label.name
        for cue in cues
        for line in _MARKUP.sub("", cue.raw).split("\n")
        if (label := parse_label_line(line)) is not None and label.text
    ]
    nonempty_lines = sum(1 for cue in cues for line in cue.raw.split("\n") if line.strip())
    use_labels = labels_are_speakers(label_names, nonempty_lines)

    pieces: list[DraftTurn] = []
    speaker: str | None = None
    for cue in cues:
        texts: list[tuple[str | None, str]] = []
        for voice, fragment in _split_voices(cue.raw, speaker):
            speaker = voice
            for line in fragment.split("\n"):
                label = parse_label_line(_MARKUP.sub("", line)) if use_labels else None
                if label is not None and label.text:
                    speaker = label.name
                    line = label.text
                cleaned = _clean(line)
                if cleaned:
                    if texts and texts[-1][0] == speaker:
                        texts[-1] = (speaker, f"{texts[-1][1]} {cleaned}")
                    else:
                        texts.append((speaker, cleaned))
        # Several speakers in one cue share its time in proportion to their words.
        total = sum(max(len(words(t)), 1) for _, t in texts)
        cursor = cue.start
        for who, piece in texts:
            share = (cue.end - cue.start) * max(len(words(piece)), 1) / total
            pieces.append(DraftTurn(who, piece, round(cursor, 3), round(cursor + share, 3)))
            cursor += share
    drafts = merge_same_speaker(pieces, " ", keep_timed_apart=False)
    details = {
        "cues": len(cues),
        "voice_tags": has_voices,
        "speaker_labels": use_labels,
        "rolling_repeats_dropped": rolling_repeats,
    }
    return drafts, details
