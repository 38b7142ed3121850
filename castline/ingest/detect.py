"""Format detection: content first, file suffix second."""

from __future__ import annotations

import re

from castline.ingest.castline_markdown import looks_like_castline_markdown
from castline.ingest.labelled import scan_lines
from castline.ingest.podcasting import looks_like_podcasting_html, looks_like_podcasting_json
from castline.ingest.show_page import looks_like_show_page
from castline.ingest.whisper_json import looks_like_whisper_json

__all__ = ["FORMATS", "detect_format"]

#: Every format name :func:`detect_format` can return.
FORMATS = (
    "asr_text",
    "name_colon",
    "name_time_blocks",
    "srt",
    "vtt",
    "whisper_json",
    "show_page",
    "castline_markdown",
    "podcasting_json",
    "podcasting_html",
)

_CUE_TIMING = re.compile(
    r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}",
    re.MULTILINE,
)
_SRT_BLOCK = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[.,]\d{1,3}\s*-->", re.MULTILINE)


def detect_format(text: str, suffix: str = "") -> str:
    """Name the transcript format of decoded ``text`` (one of :data:`FORMATS`).

    Content decides (JSON segments, Podcasting 2.0 JSON and HTML transcripts, WebVTT
    header, castline's own ``transcript.md``
    (its preamble or its decorated headers), SRT cue blocks, URL-led episode
    listings, ``Name HH:MM:SS`` headers, repeated ``Name:`` labels); ``suffix``
    (``.srt``, ``.vtt``, ``.json``) breaks ties for content that could be either.
    Anything else with words is ``asr_text``. Raises ``ValueError`` for a ``.json``
    file that is not a segment transcript.
    """
    suffix = suffix.lower()
    stripped = text.lstrip()
    if stripped[:1] == "{" and looks_like_podcasting_json(stripped):
        return "podcasting_json"
    if stripped[:1] in "{[" and looks_like_whisper_json(stripped):
        return "whisper_json"
    if suffix == ".json":
        raise ValueError("not a whisper-style JSON transcript (no segment list with text)")
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped[:1] == "<" and looks_like_podcasting_html(stripped):
        return "podcasting_html"
    if looks_like_castline_markdown(text):
        return "castline_markdown"
    cue_timings = len(_CUE_TIMING.findall(text))
    if cue_timings:
        if _SRT_BLOCK.search(text) or suffix == ".srt":
            return "srt"
        if suffix == ".vtt" or cue_timings >= 2:
            return "vtt"
    if suffix in (".srt", ".vtt"):
        raise ValueError(f"no subtitle cue timings found in a {suffix} file")
    if looks_like_show_page(text):
        return "show_page"
    lines = text.split("\n")
    scan = scan_lines(lines)
    if scan.headers:
        return "name_time_blocks"
    if scan.labels:
        return "name_colon"
    return "asr_text"
