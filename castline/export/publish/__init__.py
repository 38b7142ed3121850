"""``publish/``: what goes out, beside the episode's other outputs.

:func:`publish_package` makes the text of every file (paths relative to the episode
folder) and the listing that ``episode.json`` (``metadata["publish"]``) and
``report.html`` show:

* Podcasting 2.0 (:mod:`castline.export.publish.podcasting`): ``transcript.json``,
  ``transcript.html``, ``rss-item.xml``;
* editor timelines (:mod:`castline.export.publish.timelines`, OpenTimelineIO):
  ``timeline.otio``, ``timeline.fcpxml``, ``timeline.edl``;
* marker files (:mod:`castline.export.publish.markers`): ``audacity-labels.txt``,
  ``markers.csv`` (Adobe Audition).
"""

from __future__ import annotations

import json
import os
from typing import Any

from castline.export.publish.markers import (
    audacity_labels,
    audition_markers,
    clean_cut_applied,
    episode_markers,
)
from castline.export.publish.podcasting import rss_item_xml, soundbites, transcript_html, transcript_json
from castline.export.publish.timelines import EDITOR_FPS, timeline_texts
from castline.model import Episode

__all__ = ["PUBLISH_FILES", "publish_base_url", "publish_package"]

#: Every file of ``publish/`` (relative to the episode folder) and what it is.
PUBLISH_FILES = {
    "publish/transcript.json": "Podcasting 2.0 JSON transcript",
    "publish/transcript.html": "Podcasting 2.0 HTML transcript",
    "publish/rss-item.xml": "RSS item: podcast:transcript, chapters, person and soundbite tags",
    "publish/timeline.otio": "OpenTimelineIO timeline with markers",
    "publish/timeline.fcpxml": "Final Cut Pro / DaVinci Resolve timeline (FCPXML)",
    "publish/timeline.edl": "CMX 3600 EDL with locators",
    "publish/audacity-labels.txt": "Audacity label track",
    "publish/markers.csv": "Adobe Audition markers",
}


def publish_base_url(episode: Episode) -> str | None:
    """The public URL of the episode folder, or None (then URLs are relative file names).

    ``metadata["publish_url"]`` when set, else ``$CASTLINE_PUBLISH_URL``: the URL the
    output folders are served from, with ``{slug}`` where the episode's folder name goes
    (without it, the slug is appended as a folder:
    ``https://cdn.example.org/episodes`` -> ``https://cdn.example.org/episodes/<slug>``).
    """
    url = str(episode.metadata.get("publish_url") or "").strip()
    if url:
        return url
    template = os.environ.get("CASTLINE_PUBLISH_URL", "").strip()
    if not template:
        return None
    if "{slug}" in template:
        return template.replace("{slug}", episode.slug)
    return f"{template.rstrip('/')}/{episode.slug}"


def publish_package(episode: Episode) -> tuple[dict[str, str], dict[str, Any]]:
    """``(texts, listing)``: each ``publish/`` file's text by path, and what ``episode.json`` records."""
    base_url = publish_base_url(episode)
    bites = soundbites(episode)
    marks = episode_markers(episode)
    texts = {
        "publish/transcript.json": json.dumps(transcript_json(episode), ensure_ascii=False, indent=2),
        "publish/transcript.html": transcript_html(episode),
        "publish/rss-item.xml": rss_item_xml(episode, base_url=base_url, bites=bites),
    }
    timelines, notes = timeline_texts(episode, marks=marks)
    texts.update(timelines)
    texts["publish/audacity-labels.txt"] = audacity_labels(marks)
    texts["publish/markers.csv"] = audition_markers(marks)
    listing: dict[str, Any] = {
        "files": {name: what for name, what in PUBLISH_FILES.items() if name in texts},
        "base_url": base_url,
        "timeline_fps": EDITOR_FPS,
        "clean_cut": clean_cut_applied(episode),
        "markers": len(marks),
        "soundbites": [
            {
                "kind": b.kind,
                "number": b.number,
                "startTime": b.start,
                "duration": b.duration,
                **({"adjusted": b.adjusted} if b.adjusted else {}),
            }  # fmt: skip
            for b in bites
        ],
        "notes": notes,
    }
    return texts, listing
