"""SRT and WebVTT captions of the readable transcript.

Cues follow sentences, at most :data:`MAX_CUE_CHARS` characters (two lines of
42) and :data:`MAX_CUE_SECONDS`; times come from word times when the turn has
them, else from the turn's span in proportion to characters.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from castline.model import Episode, Turn
from castline.text import sentences

__all__ = ["MAX_CUE_CHARS", "MAX_CUE_SECONDS", "Cue", "caption_cues", "transcript_srt", "transcript_vtt"]

MAX_CUE_CHARS = 84
MAX_CUE_SECONDS = 7.0
LINE_CHARS = 42


@dataclass
class Cue:
    """One caption: time span, speaker name, text (may hold a line break)."""

    start: float
    end: float
    speaker: str
    text: str


def _pieces(text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` no longer than a cue, split at sentences then words."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences(text):
        start = sentence.start
        while sentence.end - start > MAX_CUE_CHARS:
            cut = text.rfind(" ", start, start + MAX_CUE_CHARS)
            if cut <= start:
                cut = start + MAX_CUE_CHARS
            spans.append((start, cut))
            start = cut + 1 if text[cut : cut + 1] == " " else cut
        if sentence.end > start:
            spans.append((start, sentence.end))
    return spans


def _turn_cues(turn: Turn, speaker: str) -> list[Cue]:
    cues: list[Cue] = []
    for a, b in _pieces(turn.text):
        start, end = turn.time_at(a), turn.time_at(b)
        end = max(end, start + 0.5)
        chunk = " ".join(turn.text[a:b].split())
        cues.append(Cue(start, min(end, start + MAX_CUE_SECONDS), speaker, chunk))
    return cues


def caption_cues(episode: Episode) -> list[Cue]:
    """All cues of the readable transcript, in order, non-overlapping."""
    cues: list[Cue] = []
    for turn in episode.turns:
        if turn.text.strip():
            cues.extend(_turn_cues(turn, episode.speaker_name(turn.speaker)))
    for current, following in zip(cues, cues[1:], strict=False):
        if following.start >= current.start and current.end > following.start:
            current.end = max(current.start + 0.1, following.start)
    return cues


@lru_cache(maxsize=8192)
def _wrapped(text: str) -> str:
    # SRT and VTT wrap the same cue texts: each is wrapped once.
    return "\n".join(textwrap.wrap(text, LINE_CHARS)) or text


def transcript_srt(episode: Episode, *, cues: Sequence[Cue] | None = None) -> str:
    """The readable transcript as SRT; a speaker change prefixes the cue with the name.

    ``cues`` (default :func:`caption_cues` of ``episode``) lets a caller that writes
    both SRT and VTT build the cues once.
    """
    import srt

    subtitles, previous = [], None
    for index, cue in enumerate(caption_cues(episode) if cues is None else cues, 1):
        text = _wrapped(cue.text)
        if cue.speaker != previous:
            text = f"{cue.speaker}: {text}"
            previous = cue.speaker
        subtitles.append(
            srt.Subtitle(index, timedelta(seconds=cue.start), timedelta(seconds=cue.end), text)
        )
    return srt.compose(subtitles)


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, minutes, secs = millis // 3_600_000, millis // 60_000 % 60, millis // 1000 % 60
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis % 1000:03d}"


def transcript_vtt(episode: Episode, *, cues: Sequence[Cue] | None = None) -> str:
    """The readable transcript as WebVTT with ``<v Speaker>`` voice tags (``cues`` as for SRT)."""
    import webvtt

    vtt = webvtt.WebVTT()
    for cue in caption_cues(episode) if cues is None else cues:
        speaker = cue.speaker.replace(">", "")
        vtt.captions.append(
            webvtt.Caption(_vtt_time(cue.start), _vtt_time(cue.end), f"<v {speaker}>{_wrapped(cue.text)}")
        )
    return vtt.content
