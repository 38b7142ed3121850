"""Podcasting 2.0 transcripts (podcastindex.org ``podcast:transcript``): JSON and HTML.

* JSON: ``{"version": "1.0.0", "segments": [{"speaker", "startTime", "endTime", "body"}]}``;
  segments are often a few words each (word- or phrase-timed): consecutive segments of
  one speaker become one turn.
* HTML: ``<cite>Name:</cite> <time>0:00</time> <p>text</p>`` per turn (a ``<cite>``
  carries over until the next one).

Both are what castline itself writes to ``publish/``, and what hosts such as Buzzsprout
and Transistor publish in feeds.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from castline.ingest.common import DraftTurn, merge_same_speaker, parse_timestamp

__all__ = [
    "looks_like_podcasting_html",
    "looks_like_podcasting_json",
    "read_podcasting_html",
    "read_podcasting_json",
]


def looks_like_podcasting_json(text: str) -> bool:
    """True for a JSON object whose ``segments`` carry ``body`` and ``startTime``."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    segments = data.get("segments") if isinstance(data, dict) else None
    return (isinstance(segments, list) and bool(segments) and isinstance(segments[0], dict)
            and "body" in segments[0] and "startTime" in segments[0])


def _seconds(value: Any, index: int, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"segment {index}: {key} is not a number")
    try:
        return float(value)
    except ValueError:
        return parse_timestamp(str(value))


def read_podcasting_json(text: str) -> tuple[list[DraftTurn], dict[str, Any]]:
    """Draft turns from a Podcasting 2.0 JSON transcript; ``ValueError`` on a bad structure."""
    data = json.loads(text)
    drafts: list[DraftTurn] = []
    for index, segment in enumerate(data["segments"]):
        if not isinstance(segment, dict) or not isinstance(segment.get("body"), str):
            raise ValueError(f"segment {index} has no text body")
        body = segment["body"].strip()
        if not body:
            continue
        start = _seconds(segment.get("startTime", 0), index, "startTime")
        end = _seconds(segment.get("endTime", start), index, "endTime")
        speaker = segment.get("speaker")
        drafts.append(DraftTurn(str(speaker).strip() if speaker else None, body, start, max(end, start)))
    details: dict[str, Any] = {"segments": len(data["segments"]), "version": str(data.get("version", ""))}
    # Word- and phrase-timed files: one speaker's run of segments is one turn.
    return merge_same_speaker(drafts, " ", keep_timed_apart=False), details


_CITE = re.compile(r"<cite\b", re.IGNORECASE)
_TIME = re.compile(r"<time\b", re.IGNORECASE)


def looks_like_podcasting_html(text: str) -> bool:
    """True for HTML holding ``<cite>`` speakers or ``<time>`` marks beside ``<p>`` paragraphs."""
    head = text.lstrip()[:200].lower()
    if not (head.startswith("<!doctype html") or head.startswith("<html") or head.startswith("<cite")
            or head.startswith("<time") or head.startswith("<p")):
        return False
    return bool(_TIME.search(text) or _CITE.search(text)) and "<p" in text.lower()


class _TranscriptParser(HTMLParser):
    """Collects (speaker, time, paragraph) from cite / time / p elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str | None, str | None, str]] = []
        self.speaker: str | None = None
        self.time: str | None = None
        self._tag: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("cite", "time", "p"):
            self._tag, self._buffer = tag, []
        elif tag == "br" and self._tag == "p":
            self._buffer.append(" ")

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag:
            return
        content = " ".join("".join(self._buffer).split())
        if tag == "cite":
            self.speaker = content.rstrip(":").strip() or None
        elif tag == "time":
            self.time = content or None
        elif content:
            self.rows.append((self.speaker, self.time, content))
            self.time = None
        self._tag = None


def read_podcasting_html(text: str) -> tuple[list[DraftTurn], dict[str, Any]]:
    """Draft turns from a Podcasting 2.0 HTML transcript; ``ValueError`` when it holds none."""
    parser = _TranscriptParser()
    parser.feed(text)
    parser.close()
    if not parser.rows:
        raise ValueError("no <p> paragraphs found")
    drafts = []
    for speaker, clock, content in parser.rows:
        start = None
        if clock:
            try:
                start = parse_timestamp(clock)
            except ValueError:
                start = None
        drafts.append(DraftTurn(speaker, content, start, None))
    return merge_same_speaker(drafts, "\n\n"), {"paragraphs": len(parser.rows)}
