"""Polling: new items of every configured feed are fetched into ``DIR/inbox/``.

An item is new while its GUID is not in ``DIR/feeds-state.json``, written
atomically after each item, so a killed poll never refetches what it finished.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from castline.service.feeds.config import FeedConfig, load_config
from castline.service.feeds.fetch import (
    RETRIES,
    DownloadRefused,
    FetchPolicy,
    download,
    fetch_feed,
    is_private_host,
)
from castline.service.feeds.parse import FeedItem, choose_sources, parse_feed
from castline.service.inbox import ensure_layout, safe_name
from castline.service.locks import try_lock

__all__ = [
    "FeedsReport",
    "ItemOutcome",
    "poll",
]

log = logging.getLogger(__name__)

_STATE_FILE = "feeds-state.json"


@dataclass
class ItemOutcome:
    """What a poll did with one item.

    ``status``: ``"fetched"`` (a file is in the inbox), ``"refused"`` (a download
    broke a rule: size, type, redirects, address; not retried), ``"failed"``
    (network or server error; retried on later polls), ``"skipped"`` (older
    than the first poll's backfill, or nothing to download).
    """

    feed: str
    guid: str
    title: str
    status: str
    file: Path | None = None
    source_url: str | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class FeedsReport:
    """The result of one :func:`poll`."""

    started_at: str
    finished_at: str = ""
    outcomes: list[ItemOutcome] = field(default_factory=list)
    feed_errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False

    @property
    def fetched(self) -> list[Path]:
        """Files this poll put in the inbox."""
        return [o.file for o in self.outcomes if o.status == "fetched" and o.file]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": 1, "feeds": {}}
    except ValueError as exc:
        # A damaged state would make every item look new: refuse rather than refetch everything.
        raise ValueError(f"{path}: not valid JSON ({exc}); fix or remove it") from exc
    state.setdefault("feeds", {})
    return state


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader sees the old or the new state, never half


def _fetch_item(feed: FeedConfig, feed_title: str, item: FeedItem, inbox: Path, policy: FetchPolicy,
                allow_private: bool) -> ItemOutcome:
    outcome = ItemOutcome(feed.url, item.guid, item.title, "skipped")
    sources = choose_sources(item)
    if not sources:
        outcome.reason = "no transcript or enclosure to download"
        return outcome
    sidecar = {
        "title": item.title,
        "show": feed.show or feed_title or None,
        "speakers": feed.speakers or None,
        "glossary": feed.glossary,
        "source_url": None,
        "guid": item.guid,
        "feed": feed.url,
    }
    transient = None
    for url, declared, suffix in sources:
        sidecar["source_url"] = url
        try:
            # Title sanitised on its own first, so a title like ".." cannot swallow the extension.
            path = download(url, inbox, safe_name(item.title) + suffix, policy=policy, declared_type=declared,
                            allow_private=allow_private,
                            sidecar={k: v for k, v in sidecar.items() if v is not None})
        except DownloadRefused as exc:
            log.warning("%s: %s: refused %s: %s", feed.url, item.title, url, exc.reason)
            outcome.notes.append(f"{url}: {exc.reason}")
            if not exc.permanent:
                transient = exc.reason
            continue
        except OSError as exc:
            log.warning("%s: %s: cannot write %s: %s", feed.url, item.title, url, exc)
            outcome.notes.append(f"{url}: {exc}")
            transient = str(exc)
            continue
        outcome.status, outcome.file, outcome.source_url = "fetched", path, url
        log.info("%s: %s -> %s", feed.url, item.title, path.name)
        return outcome
    outcome.status = "failed" if transient else "refused"
    outcome.reason = "; ".join(outcome.notes)
    return outcome


def poll(
    config: str | Path | list[FeedConfig],
    data_dir: str | Path = "data",
    *,
    policy: FetchPolicy | None = None,
) -> FeedsReport:
    """Fetch every new item of every configured feed into ``data_dir/inbox``.

    An item is new while its GUID is not in ``data_dir/feeds-state.json``
    (written atomically after each item, so a killed poll never refetches what
    it finished). The first poll of a feed fetches only its ``backfill`` newest
    items. Refused downloads (size, type, redirects, address) are recorded and
    not retried; network and server errors are retried on the next polls, up to
    3 tries. One feed failing does not stop the others.
    """
    policy = policy or FetchPolicy()
    root = ensure_layout(data_dir)
    feeds = config if isinstance(config, list) else load_config(config)
    report = FeedsReport(started_at=_now_iso())
    state_path = root / _STATE_FILE
    with try_lock(root / "work" / ".feeds.lock") as locked:
        if not locked:
            report.busy = True
            report.finished_at = _now_iso()
            return report
        state = _load_state(state_path)
        for feed in feeds:
            feed_state = state["feeds"].setdefault(feed.url, {"items": {}})
            first_poll = not feed_state.get("polled_at")
            allow_private = policy.allow_private
            if allow_private is None:  # a feed on a private address may point to its neighbours
                allow_private = is_private_host(urlsplit(feed.url).hostname or "")
            try:
                content, validators = fetch_feed(feed.url, policy, feed_state, allow_private)
            except DownloadRefused as exc:
                log.warning("feed %s: %s", feed.url, exc.reason)
                report.feed_errors[feed.url] = exc.reason
                continue
            feed_state["polled_at"] = _now_iso()
            if content is None:
                _save_state(state_path, state)
                continue
            try:
                title, items = parse_feed(content, feed.url)
            except ValueError as exc:  # FeedRejected, or a document no parser makes sense of
                log.warning("feed %s: %s", feed.url, exc)
                report.feed_errors[feed.url] = str(exc)
                _save_state(state_path, state)
                continue
            feed_state["title"] = title
            seen = feed_state["items"]
            for rank, item in enumerate(items):
                record = seen.get(item.guid)
                if record and (record["status"] != "failed" or record.get("attempts", 0) >= RETRIES):
                    continue
                if first_poll and rank >= feed.backfill:
                    outcome = ItemOutcome(feed.url, item.guid, item.title, "skipped",
                                          reason=f"older than the {feed.backfill} newest on the first poll")
                else:
                    outcome = _fetch_item(feed, title, item, root / "inbox", policy, allow_private)
                report.outcomes.append(outcome)
                seen[item.guid] = {
                    "status": outcome.status,
                    "title": item.title,
                    "file": outcome.file.name if outcome.file else None,
                    "source_url": outcome.source_url,
                    "reason": outcome.reason,
                    "attempts": (record or {}).get("attempts", 0) + (outcome.status == "failed"),
                    "time": _now_iso(),
                }
                _save_state(state_path, state)
            # Validators only once every item is recorded: a poll killed midway must refetch the feed.
            feed_state.update(validators)
            _save_state(state_path, state)
    report.finished_at = _now_iso()
    return report
