"""Show profiles: a small YAML file per show in ``shows/`` (hosts, glossary, sponsors).

A profile lets a producer say once what holds for every episode of a show::

    name: MLST
    hosts: [Tim Scarfe]
    recurring_guests: []
    glossary: [Eiso Kant, Poolside, DeepSeek]
    sponsor_patterns: [sponsored by]
    sponsors: [Tufa AI Labs]          # spelled as the show spells them, for the episode copy
    url: https://example.org/{slug}   # the episode's page; {slug} is the episode's slug
    quote_min_confidence: 0.5         # previews and posts quote only turns this sure of their speaker
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ShowProfile", "find_profile", "shows_dir"]


@dataclass
class ShowProfile:
    """What is known about a show: display name, voices, glossary, sponsor cues and names,
    the episode page's address, and how sure a turn's speaker must be to be quoted."""

    key: str
    name: str
    title: str = ""
    hosts: list[str] = field(default_factory=list)
    recurring_guests: list[str] = field(default_factory=list)
    glossary: list[str] = field(default_factory=list)
    sponsor_patterns: list[str] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    url: str = ""
    quote_min_confidence: float = 0.5


def shows_dir() -> Path:
    """Folder of show profiles: ``$CASTLINE_SHOWS`` or ``./shows``."""
    return Path(os.environ.get("CASTLINE_SHOWS", "shows"))


def find_profile(show: str | None, folder: Path | None = None) -> ShowProfile | None:
    """The profile for ``show`` (file stem or declared name, any case), or None."""
    if not show:
        return None
    import yaml

    folder = folder or shows_dir()
    if not folder.is_dir():
        return None
    wanted = show.strip().lower()
    for path in sorted(folder.glob("*.y*ml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = {path.stem.lower(), str(data.get("name", "")).lower(), str(data.get("title", "")).lower()}
        if wanted in names:
            return ShowProfile(
                key=path.stem,
                name=str(data.get("name") or path.stem),
                title=str(data.get("title") or ""),
                hosts=[str(h) for h in data.get("hosts") or []],
                recurring_guests=[str(g) for g in data.get("recurring_guests") or []],
                glossary=[str(t) for t in data.get("glossary") or []],
                sponsor_patterns=[str(p) for p in data.get("sponsor_patterns") or []],
                sponsors=[str(p) for p in data.get("sponsors") or []],
                url=str(data.get("url") or ""),
                quote_min_confidence=_confidence(data.get("quote_min_confidence", 0.5), path),
            )
    return None


def _confidence(value: object, path: Path) -> float:
    """``quote_min_confidence`` as a number in [0, 1]; a clear error naming the file otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: quote_min_confidence must be a number, not {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{path}: quote_min_confidence must be from 0 to 1, not {number}")
    return number
