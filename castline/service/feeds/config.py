"""The feeds config (``feeds.yaml``): which feeds to poll, with the options each passes on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "FeedConfig",
    "load_config",
]

_CONFIG_KEYS = {"url", "show", "speakers", "glossary", "backfill", "name"}


@dataclass
class FeedConfig:
    """One feed to poll.

    Parameters
    ----------
    url:
        The feed's address (http or https).
    show:
        Show name or profile passed on to processing; defaults to the feed's title.
    speakers:
        ``"Name:role,..."`` passed on to processing.
    glossary:
        Path of a glossary file (resolved against the config file's folder).
    backfill:
        How many of the newest items the first poll of this feed fetches; older
        items are marked seen without being fetched.
    """

    url: str
    show: str | None = None
    speakers: str = ""
    glossary: str | None = None
    backfill: int = 3


def load_config(path: str | Path) -> list[FeedConfig]:
    """The feeds listed in a YAML config (``feeds:`` list, or a bare list); raises ``ValueError``.

    A relative ``glossary`` is resolved against the config file's folder.
    """
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("feeds") if isinstance(data, dict) else data
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: 'feeds' must be a list")
    feeds = []
    for i, entry in enumerate(entries, 1):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or not entry.get("url"):
            raise ValueError(f"{path}: feed {i} needs a url")
        unknown = set(entry) - _CONFIG_KEYS
        if unknown:
            known = ", ".join(sorted(_CONFIG_KEYS))
            raise ValueError(f"{path}: feed {i}: unknown keys {sorted(unknown)} (known: {known})")
        url = str(entry["url"]).strip()
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"{path}: feed {i}: only http(s) urls are polled, not {url!r}")
        glossary = entry.get("glossary")
        if glossary:
            glossary = str((path.parent / str(glossary)).resolve())
        feeds.append(
            FeedConfig(
                url=url,
                show=str(entry["show"]) if entry.get("show") else None,
                speakers=str(entry.get("speakers") or ""),
                glossary=glossary,
                backfill=int(entry.get("backfill", 3)),
            )
        )
    return feeds
