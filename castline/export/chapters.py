"""Podcasting 2.0 JSON chapters (podcast namespace, ``application/json+chapters``)."""

from __future__ import annotations

from typing import Any

from castline.model import Episode

__all__ = ["podcast_chapters"]


def podcast_chapters(episode: Episode) -> dict[str, Any]:
    """The ``chapters.json`` document for ``episode`` (spec version 1.2.0)."""
    chapters = []
    for chapter in episode.chapters:
        entry: dict[str, Any] = {"startTime": round(chapter.start, 2), "title": chapter.title}
        if chapter.end is not None:
            entry["endTime"] = round(chapter.end, 2)
        chapters.append(entry)
    doc: dict[str, Any] = {"version": "1.2.0", "chapters": chapters}
    if episode.title:
        doc["title"] = episode.title
    if episode.show:
        doc["podcastName"] = episode.show
    return doc
