"""Reader for whisperX / faster-whisper JSON.

Accepts ``{"segments": [...]}`` (whisperX, faster-whisper exports, OpenAI verbose_json) or a
bare list of segments. Each segment needs ``start``, ``end`` and ``text``; ``words``
(``word``/``text``, ``start``, ``end``, ``score``/``probability``, ``speaker``) and a
segment ``speaker`` are used when present. Diarization labels such as ``SPEAKER_00``
become speakers named exactly so; consecutive segments of one speaker merge into a turn.
"""

from __future__ import annotations

import json
from typing import Any

from castline.ingest.common import DraftTurn, merge_same_speaker
from castline.model import Word

__all__ = ["looks_like_whisper_json", "read_whisper_json", "segments_of"]


def segments_of(data: Any) -> list[dict[str, Any]] | None:
    """The segment list of parsed JSON, or None when it is not a segment transcript."""
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list) or not segments:
        return None
    if not all(isinstance(s, dict) and isinstance(s.get("text"), str) for s in segments):
        return None
    return segments


def looks_like_whisper_json(text: str) -> bool:
    """True when ``text`` parses as JSON with a segment list."""
    try:
        return segments_of(json.loads(text)) is not None
    except ValueError:
        return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _words(raw_words: list[Any], seg_start: float, seg_end: float) -> list[Word]:
    """Word list with every time filled: whisperX leaves digits and symbols untimed."""
    items = [w for w in raw_words if isinstance(w, dict) and str(w.get("word", w.get("text", ""))).strip()]
    out: list[Word] = []
    for index, item in enumerate(items):
        start, end = _number(item.get("start")), _number(item.get("end"))
        if start is None:
            start = out[-1].end if out else seg_start
        if end is None:
            later = (_number(w.get("start")) for w in items[index + 1 :])
            end = next((t for t in later if t is not None), seg_end)
            end = max(end, start)
        score = _number(item.get("score", item.get("probability")))
        speaker = item.get("speaker")
        out.append(
            Word(
                text=str(item.get("word", item.get("text"))).strip(),
                start=round(start, 3),
                end=round(end, 3),
                score=score,
                speaker=str(speaker) if speaker is not None else None,
            )
        )
    return out


def read_whisper_json(text: str) -> tuple[list[DraftTurn], dict[str, Any]]:
    """Draft turns from a whisper JSON document; raises ``ValueError`` on a bad structure."""
    data = json.loads(text)
    segments = segments_of(data)
    if segments is None:
        raise ValueError("JSON has no segment list with text (expected whisper segments)")
    drafts: list[DraftTurn] = []
    for index, segment in enumerate(segments):
        start, end = _number(segment.get("start")), _number(segment.get("end"))
        if start is None or end is None:
            raise ValueError(f"segment {index} lacks numeric start/end")
        content = segment["text"].strip()
        if not content:
            continue
        raw_words = segment.get("words")
        seg_words = _words(raw_words, start, end) if isinstance(raw_words, list) else None
        speaker = segment.get("speaker")
        if speaker is None and seg_words:
            # whisperX puts speakers on words too; take the most common one.
            named = [w.speaker for w in seg_words if w.speaker]
            speaker = max(set(named), key=named.count) if named else None
        drafts.append(
            DraftTurn(str(speaker) if speaker is not None else None, content, start, end, seg_words or None)
        )
    details: dict[str, Any] = {"segments": len(segments)}
    if isinstance(data, dict):
        for key in ("language", "title", "duration"):
            if key in data and isinstance(data[key], str | int | float):
                details[key] = data[key]
    return merge_same_speaker(drafts, " ", keep_timed_apart=False), details
