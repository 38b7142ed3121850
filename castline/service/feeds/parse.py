"""Reading a feed: its items, their ``podcast:transcript`` links and enclosures, and what to fetch.

``feedparser`` reads the feed; ``podcast:transcript`` tags are read with
ElementTree because feedparser keeps only one per item. :func:`choose_sources`
ranks what an item offers: transcripts by :data:`TRANSCRIPT_PREFERENCE`, then
the audio enclosure.
"""

from __future__ import annotations

import calendar
import mimetypes
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

__all__ = [
    "FeedRejected",
    "MEDIA_SUFFIXES",
    "PODCAST_NS",
    "TRANSCRIPT_PREFERENCE",
    "FeedItem",
    "choose_sources",
    "parse_feed",
]

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
#: Transcript MIME types in order of preference, with the file extension each is saved under.
TRANSCRIPT_PREFERENCE: dict[str, str] = {
    "text/vtt": ".vtt",
    "application/x-subrip": ".srt",
    "application/srt": ".srt",
    "text/srt": ".srt",
    "application/json": ".json",
    "text/plain": ".txt",
    "text/html": ".html",
}
MEDIA_SUFFIXES = (".mp3", ".m4a", ".mp4", ".wav", ".flac", ".ogg", ".oga", ".opus", ".aac", ".webm")


@dataclass
class FeedItem:
    """One item of a feed: its identity and what could be downloaded for it."""

    guid: str
    title: str
    published: float | None = None
    transcripts: list[tuple[str, str]] = field(default_factory=list)  # (url, mime type)
    enclosure: tuple[str, str] | None = None  # (url, mime type)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _transcripts_by_item(content: bytes, base_url: str) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """``(guid or None, [(url, type)...])`` per item/entry, in document order."""
    try:
        root = ET.fromstring(content)  # noqa: S314 - expat >= 2.4 refuses entity expansion bombs
    except ET.ParseError:
        return []
    found = []
    for element in root.iter():
        if _local(element.tag) not in ("item", "entry"):
            continue
        guid = None
        transcripts = []
        for child in element:
            name = _local(child.tag)
            if name in ("guid", "id") and child.text:
                guid = child.text.strip()
            elif child.tag == f"{{{PODCAST_NS}}}transcript" and child.get("url"):
                mime = (child.get("type") or "").split(";")[0].strip().lower()
                transcripts.append((urljoin(base_url, child.get("url").strip()), mime))
        found.append((guid, transcripts))
    return found


class FeedRejected(ValueError):
    """A feed document refused as a whole (an entity expansion bomb); the other feeds go on."""


def parse_feed(content: bytes, base_url: str = "") -> tuple[str, list[FeedItem]]:
    """The feed's title and its items (newest first when dates are given, else feed order).

    Raises :class:`FeedRejected` for a document whose entities would amplify it
    (a "billion laughs" DTD): expat refuses it and feedparser's loose parser
    would read it with the entities left as text, so it is refused outright.
    """
    import feedparser

    parsed = feedparser.parse(content, response_headers={"content-location": base_url} if base_url else None)
    problem = str(parsed.get("bozo_exception") or "")
    if "amplification" in problem:
        raise FeedRejected(f"entity expansion bomb refused ({problem.split(': ')[-1]})")
    transcripts = _transcripts_by_item(content, base_url)
    by_guid = {guid: found for guid, found in transcripts if guid}
    items = []
    for index, entry in enumerate(parsed.entries):
        enclosure = None
        for link in entry.get("enclosures", []) or []:
            href = link.get("href")
            if href:
                enclosure = (urljoin(base_url, href), (link.get("type") or "").lower())
                break
        guid = (entry.get("id") or (enclosure[0] if enclosure else None) or entry.get("link")
                or entry.get("title") or f"item-{index}")
        found = by_guid.get(entry.get("id") or "")
        if found is None and len(transcripts) == len(parsed.entries):
            found = transcripts[index][1]  # no guid to match on: same document order
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(
            FeedItem(
                guid=str(guid),
                title=" ".join(str(entry.get("title") or "").split()) or "episode",
                published=float(calendar.timegm(published)) if published else None,
                transcripts=list(found or []),
                enclosure=enclosure,
            )
        )
    if all(item.published is not None for item in items):
        items.sort(key=lambda item: item.published, reverse=True)
    return " ".join(str(parsed.feed.get("title") or "").split()), items


def choose_sources(item: FeedItem) -> list[tuple[str, str, str]]:
    """What to try downloading for ``item``, best first: ``(url, declared type, extension)``.

    Transcripts in :data:`TRANSCRIPT_PREFERENCE` order, then the enclosure.
    """
    ranked = sorted(
        (t for t in item.transcripts if t[1] in TRANSCRIPT_PREFERENCE),
        key=lambda t: list(TRANSCRIPT_PREFERENCE).index(t[1]),
    )
    sources = [(url, mime, TRANSCRIPT_PREFERENCE[mime]) for url, mime in ranked]
    if item.enclosure:
        url, mime = item.enclosure
        suffix = Path(urlsplit(url).path).suffix.lower()
        if suffix not in MEDIA_SUFFIXES:
            suffix = mimetypes.guess_extension(mime or "") or ".mp3"
        sources.append((url, mime, suffix))
    return sources
