"""Podcasting 2.0 files (the ``podcast`` namespace of podcastindex.org).

* :func:`transcript_json` -- the JSON transcript format: ``version`` ``"1.0.0"`` and one
  segment per turn (``speaker``, ``startTime``, ``endTime``, ``body``), in time order.
* :func:`transcript_html` -- the HTML transcript format: ``<cite>`` (speaker),
  ``<time>`` (start) and ``<p>`` (what was said) per turn, in a small HTML page.
* :func:`rss_item_xml` -- an RSS ``<item>`` fragment with the namespace declared:
  ``podcast:transcript`` for the SRT, VTT, JSON and HTML transcripts (``rel="captions"``
  on the timed caption files), ``podcast:chapters``, ``podcast:person`` for each named
  speaker and ``podcast:soundbite`` for each clip and preview.

URLs: castline knows no hosting URL of its own (show profiles and feeds carry none), so
by default every ``url`` is a file name relative to the episode folder (``transcript.srt``,
``publish/transcript.json``, ``chapters.json``) for the host to rewrite; given the folder's
public URL (:func:`castline.export.publish.publish_base_url`: ``metadata["publish_url"]``
or ``$CASTLINE_PUBLISH_URL``) they are absolute.

Soundbites (:func:`soundbites`): the namespace recommends 15-120 s. A clip (30 s - 3 min)
longer than 120 s is trimmed to its last sentence that ends by 120 s (at 120 s when none
does); a preview (a 5-15 s quote) shorter than 15 s is widened to 15 s: it opens on the
quote and runs on into what follows (moved earlier only when the episode ends first). The
node value is the clip title or the preview's quote (at most 128 characters). Each
adjustment is recorded in :attr:`Soundbite.adjusted`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from castline.model import Episode, Speaker
from castline.segment.sentence_units import episode_end, sentence_units

__all__ = [
    "CAPTION_FILES",
    "CHAPTERS_TYPE",
    "PODCAST_NS",
    "SOUNDBITE_MAX",
    "SOUNDBITE_MIN",
    "TITLE_MAX",
    "TRANSCRIPT_TYPES",
    "Soundbite",
    "file_url",
    "named_speakers",
    "person_role",
    "rss_item_xml",
    "soundbites",
    "transcript_html",
    "transcript_json",
]

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
#: Transcript files (relative to the episode folder) and their ``type`` in ``podcast:transcript``.
TRANSCRIPT_TYPES = {
    "transcript.srt": "application/x-subrip",
    "transcript.vtt": "text/vtt",
    "publish/transcript.json": "application/json",
    "publish/transcript.html": "text/html",
}
#: The timed caption files: ``rel="captions"`` in their ``podcast:transcript``.
CAPTION_FILES = frozenset({"transcript.srt", "transcript.vtt"})
CHAPTERS_TYPE = "application/json+chapters"
#: The namespace's recommended soundbite length, seconds.
SOUNDBITE_MIN, SOUNDBITE_MAX = 15.0, 120.0
#: Aggregators may truncate a soundbite title or a person's name past this.
TITLE_MAX = 128

# Names that say who spoke without naming anyone: no podcast:person for these.
_PLACEHOLDER_RE = re.compile(
    r"^(?:(?:speaker|spk|s|voice|person)[ _-]?\d+|unknown(?: speaker)?|unattributed|unidentified"
    r"|host|guest|co-?host|interviewer|interviewee|moderator|narrator|q|a|\?+)$",
    re.IGNORECASE,
)


def _seconds(value: float) -> str:
    # "73.0", "1234.567": milliseconds, the precision castline's times carry.
    return str(round(max(value, 0.0), 3))


def _clock(seconds: float) -> str:
    """``M:SS`` (``H:MM:SS`` past an hour), as the namespace's HTML example writes times."""
    total = max(0, int(seconds))
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _short(text: str, limit: int = TITLE_MAX) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def file_url(name: str, base_url: str | None = None) -> str:
    """The URL of ``name`` (a path relative to the episode folder): under ``base_url`` when given."""
    return f"{base_url.rstrip('/')}/{name}" if base_url else name


def named_speakers(episode: Episode) -> list[Speaker]:
    """Speakers with a real name (not "Speaker 2", "Host", "Unattributed"), each name once."""
    seen: set[str] = set()
    out = []
    for speaker in episode.speakers:
        name = " ".join((speaker.name or "").split())
        if not name or _PLACEHOLDER_RE.match(name) or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        out.append(speaker)
    return out


def person_role(speaker: Speaker) -> str:
    """The Podcast Taxonomy role for ``speaker``: ``host`` or ``guest`` (lower case).

    castline's third role, ``other``, has no taxonomy entry; a named ``other`` voice
    appears on air without hosting, which is the taxonomy's ``guest``.
    """
    return "host" if speaker.role == "host" else "guest"


def transcript_json(episode: Episode) -> dict:
    """The JSON transcript: ``{"version": "1.0.0", "segments": [...]}``, a segment per turn.

    ``speaker`` is left out of a turn nobody is attributed to; ``body`` is the readable
    (clean) text, paragraph breaks kept as ``"\\n\\n"``.
    """
    segments = []
    for turn in episode.turns:
        body = turn.text.strip()
        if not body:
            continue
        segment: dict = {}
        if turn.speaker is not None and episode.speaker(turn.speaker) is not None:
            segment["speaker"] = episode.speaker_name(turn.speaker)
        segment["startTime"] = round(turn.start, 3)
        segment["endTime"] = round(max(turn.end, turn.start), 3)
        segment["body"] = body
        segments.append(segment)
    return {"version": "1.0.0", "segments": segments}


def transcript_html(episode: Episode) -> str:
    """The HTML transcript: ``<cite>Name:</cite> <time>M:SS</time> <p>...</p>`` per turn."""
    esc = html.escape
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(episode.language or "en")}">',
        '<head>\n<meta charset="utf-8">',
        f"<title>{esc(episode.title)} (transcript)</title>",
        "</head>",
        "<body>",
    ]
    for turn in episode.turns:
        paragraphs = [p.strip() for p in turn.text.split("\n\n") if p.strip()]
        if not paragraphs:
            continue
        if turn.speaker is not None and episode.speaker(turn.speaker) is not None:
            lines.append(f"<cite>{esc(episode.speaker_name(turn.speaker))}:</cite>")
        lines.append(f"<time>{_clock(turn.start)}</time>")
        lines += [f"<p>{esc(p)}</p>" for p in paragraphs]
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Soundbite:
    """One ``podcast:soundbite``: where it starts, how long, its title, what it came from."""

    start: float
    duration: float
    title: str
    kind: str  # "clip" or "preview"
    number: int  # 1-based, in episode.clips / episode.previews
    adjusted: str = ""  # how the span differs from the clip's or preview's own, if it does

    @property
    def end(self) -> float:
        """Where the soundbite ends (seconds)."""
        return self.start + self.duration


def _trimmed_end(start: float, end: float, ends: list[float]) -> float:
    """The last sentence end in ``[start + SOUNDBITE_MIN, start + SOUNDBITE_MAX]``, else the cap."""
    fits = [e for e in ends if start + SOUNDBITE_MIN <= e <= min(end, start + SOUNDBITE_MAX)]
    return max(fits) if fits else start + SOUNDBITE_MAX


def soundbites(episode: Episode) -> list[Soundbite]:
    """A soundbite per clip and preview, inside the episode, in the recommended 15-120 s.

    See the module docstring for how long clips are trimmed and short previews
    widened. A clip or preview that lies wholly outside the episode, or has no
    length, gets no soundbite.
    """
    total = episode_end(episode)
    ends: list[float] | None = None
    out: list[Soundbite] = []
    for number, clip in enumerate(episode.clips, 1):
        start, end = max(0.0, clip.start), min(clip.end, total)
        if end <= start:
            continue
        note = ""
        if end - start > SOUNDBITE_MAX:
            if ends is None:
                ends = sorted(u.time_end for u in sentence_units(episode))
            trimmed = _trimmed_end(start, end, ends)
            note = (
                f"trimmed from {end - start:.1f} s to {trimmed - start:.1f} s"
                " (the namespace recommends at most 120 s)"
            )
            end = trimmed
        out.append(
            Soundbite(round(start, 3), round(end - start, 3), _short(clip.title), "clip", number, note)
        )
    for number, preview in enumerate(episode.previews, 1):
        start, end = max(0.0, preview.start), min(preview.end, total)
        if end <= start:
            continue
        note = ""
        if end - start < SOUNDBITE_MIN:
            own = end - start
            end = min(total, start + SOUNDBITE_MIN)
            start = max(0.0, end - SOUNDBITE_MIN)
            note = f"widened from {own:.1f} s to {end - start:.1f} s (the namespace recommends at least 15 s)"
        out.append(
            Soundbite(round(start, 3), round(end - start, 3), _short(preview.text), "preview", number, note)
        )
    return out


def rss_item_xml(
    episode: Episode, *, base_url: str | None = None, bites: list[Soundbite] | None = None
) -> str:
    """The RSS ``<item>`` fragment, ``podcast`` namespace declared on it, as XML text."""

    def tag(name: str) -> str:
        return f"{{{PODCAST_NS}}}{name}"

    ET.register_namespace("podcast", PODCAST_NS)
    item = ET.Element("item")
    ET.SubElement(item, "title").text = episode.title
    language = episode.language or "en"
    for name, mime in TRANSCRIPT_TYPES.items():
        attrs = {"url": file_url(name, base_url), "type": mime, "language": language}
        if name in CAPTION_FILES:
            attrs["rel"] = "captions"
        ET.SubElement(item, tag("transcript"), attrs)
    if episode.chapters:
        ET.SubElement(
            item, tag("chapters"), {"url": file_url("chapters.json", base_url), "type": CHAPTERS_TYPE}
        )
    for speaker in named_speakers(episode):
        person = ET.SubElement(item, tag("person"), {"role": person_role(speaker)})
        person.text = _short(speaker.name)
    for bite in soundbites(episode) if bites is None else bites:
        sound = ET.SubElement(
            item, tag("soundbite"), {"startTime": _seconds(bite.start), "duration": _seconds(bite.duration)}
        )
        sound.text = bite.title
    ET.indent(item, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(item, encoding="unicode") + "\n"
