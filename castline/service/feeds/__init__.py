"""Feed polling: new items of RSS/Atom feeds are fetched into ``DIR/inbox/``.

For each feed listed in a YAML config, :func:`poll` reads the feed
(``feedparser``; ``podcast:transcript`` tags read with ElementTree because
feedparser keeps only one per item), takes the items whose GUID it has not
seen (``DIR/feeds-state.json``), and downloads for each the best
``podcast:transcript`` (VTT, SRT, JSON, plain text, HTML last) or else the
audio enclosure. Downloads are guarded: http(s) only, a timeout, at most 5
redirects (each hop re-checked), a size cap, an allowed content type, and no
private/loopback addresses unless the feed itself lives on one. A file is
written under a dotted ``.part`` name in the inbox and linked to its final
name only when complete, so the inbox never claims half a file; a
``<name>.meta.json`` sidecar (written first) carries the feed's options
(title, show, speakers, glossary) to ``castline.service.inbox``.

Config (``feeds.yaml``)::

    feeds:
      - url: https://example.org/podcast.rss
        show: mlst                      # optional: show profile / name
        speakers: "Tim Scarfe:host"     # optional
        glossary: glossaries/mlst.txt   # optional, relative to the config file
        backfill: 3                     # optional: items fetched on the first poll

Modules: :mod:`~castline.service.feeds.config` (the YAML config),
:mod:`~castline.service.feeds.parse` (items and what to fetch),
:mod:`~castline.service.feeds.fetch` (guarded downloads) and
:mod:`~castline.service.feeds.polling` (new items into the inbox, the state file).
"""

from __future__ import annotations

from castline.service.feeds.config import FeedConfig, load_config
from castline.service.feeds.fetch import ALLOWED_TYPES, DownloadRefused, FetchPolicy, download
from castline.service.feeds.parse import (
    TRANSCRIPT_PREFERENCE,
    FeedItem,
    FeedRejected,
    choose_sources,
    parse_feed,
)
from castline.service.feeds.polling import FeedsReport, ItemOutcome, poll

__all__ = [
    "ALLOWED_TYPES",
    "TRANSCRIPT_PREFERENCE",
    "DownloadRefused",
    "FeedRejected",
    "FeedConfig",
    "FeedItem",
    "FeedsReport",
    "FetchPolicy",
    "ItemOutcome",
    "choose_sources",
    "download",
    "load_config",
    "parse_feed",
    "poll",
]
