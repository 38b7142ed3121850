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
"""

from __future__ import annotations

import calendar
import errno
import ipaddress
import json
import logging
import mimetypes
import os
import secrets
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from castline.service.inbox import DEFAULT_MAX_BYTES, SIDECAR_SUFFIX, ensure_layout, safe_name
from castline.service.locks import try_lock

__all__ = [
    "ALLOWED_TYPES",
    "TRANSCRIPT_PREFERENCE",
    "DownloadRefused",
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

log = logging.getLogger(__name__)

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
#: Response content types a download may have (``type/*`` matches the whole family).
ALLOWED_TYPES = ("audio/*", "text/*", "application/json", "application/x-subrip", "video/mp4")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "application/rdf+xml",
               "text/*")
# CDNs often serve enclosures as octet-stream; accepted only where the feed said audio and the
# URL ends in an audio suffix.
_GENERIC_BINARY = ("application/octet-stream", "binary/octet-stream")
_MEDIA_SUFFIXES = (".mp3", ".m4a", ".mp4", ".wav", ".flac", ".ogg", ".oga", ".opus", ".aac", ".webm")
_RETRIES = 3  # transient failures (timeouts, 5xx) of one item before it is given up
_STATE_FILE = "feeds-state.json"
_CONFIG_KEYS = {"url", "show", "speakers", "glossary", "backfill", "name"}


# ---------------------------------------------------------------------------------------------
# config and value types


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


@dataclass
class FetchPolicy:
    """Limits on every download.

    Parameters
    ----------
    timeout:
        Seconds for connecting and for each read.
    total_seconds:
        Seconds one download may take in all.
    max_redirects:
        Redirects followed per download; one more is refused.
    max_bytes:
        Largest media/transcript accepted (default 2 GiB, the inbox limit).
    max_feed_bytes:
        Largest feed document accepted.
    allow_private:
        Allow loopback/private/link-local addresses. ``None``: only when the feed
        itself is on such an address.
    user_agent:
        Sent with every request.
    """

    timeout: float = 30.0
    total_seconds: float = 1800.0
    max_redirects: int = 5
    max_bytes: int = DEFAULT_MAX_BYTES
    max_feed_bytes: int = 20 * 1024 * 1024
    allow_private: bool | None = None
    user_agent: str = "castline-feeds/0.1 (+podcast post-production)"


@dataclass
class FeedItem:
    """One item of a feed: its identity and what could be downloaded for it."""

    guid: str
    title: str
    published: float | None = None
    transcripts: list[tuple[str, str]] = field(default_factory=list)  # (url, mime type)
    enclosure: tuple[str, str] | None = None  # (url, mime type)


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


class DownloadRefused(Exception):
    """A download that broke a rule (size, type, redirects, scheme, address); ``permanent`` says
    whether trying again later could help (a timeout or a 503 could; a wrong type could not)."""

    def __init__(self, url: str, reason: str, *, permanent: bool = True) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.permanent = url, reason, permanent


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


# ---------------------------------------------------------------------------------------------
# parsing


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


def parse_feed(content: bytes, base_url: str = "") -> tuple[str, list[FeedItem]]:
    """The feed's title and its items (newest first when dates are given, else feed order)."""
    import feedparser

    parsed = feedparser.parse(content, response_headers={"content-location": base_url} if base_url else None)
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
        if suffix not in _MEDIA_SUFFIXES:
            suffix = mimetypes.guess_extension(mime or "") or ".mp3"
        sources.append((url, mime, suffix))
    return sources


# ---------------------------------------------------------------------------------------------
# downloading


def _is_private_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False  # unresolvable: the request fails on its own
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            return True
    return False


def _check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DownloadRefused(url, f"scheme {parts.scheme!r} is not fetched (http and https only)")
    if not parts.hostname:
        raise DownloadRefused(url, "no host in url")
    if not allow_private and _is_private_host(parts.hostname):
        raise DownloadRefused(url, f"host {parts.hostname} is a private, loopback or link-local address")


def _type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    family = content_type.split("/")[0] + "/*"
    return content_type in allowed or family in allowed


@contextmanager
def _response(url: str, policy: FetchPolicy, allowed: tuple[str, ...], *, allow_private: bool,
              headers: dict[str, str] | None = None) -> Iterator[Any]:
    """Open ``url`` following at most ``policy.max_redirects`` redirects, each hop checked."""
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(policy.timeout), follow_redirects=False,
                          headers={"User-Agent": policy.user_agent})
    with client:
        current, visited = url, []
        while True:
            _check_url(current, allow_private)
            try:
                request = client.build_request("GET", current, headers=headers)
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise DownloadRefused(current, f"timed out ({type(exc).__name__})", permanent=False) from exc
            except httpx.HTTPError as exc:
                raise DownloadRefused(current, f"request failed: {exc}", permanent=False) from exc
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise DownloadRefused(current, f"redirect {response.status_code} without a location")
                    target = urljoin(current, location)
                    visited.append(current)
                    if target in visited:
                        raise DownloadRefused(url, f"redirect loop ({' -> '.join([*visited, target])})")
                    if len(visited) > policy.max_redirects:
                        raise DownloadRefused(url, f"more than {policy.max_redirects} redirects")
                    current = target
                    continue
                if response.status_code == 304:
                    yield response
                    return
                if response.status_code >= 400:
                    permanent = response.status_code < 500 and response.status_code not in (408, 429)
                    raise DownloadRefused(current, f"HTTP {response.status_code}", permanent=permanent)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not _type_allowed(content_type, allowed):
                    accepted = ", ".join(allowed)
                    shown = content_type or "(none)"
                    raise DownloadRefused(current, f"content type {shown!r} is not accepted ({accepted})")
                yield response
                return
            finally:
                response.close()


def download(
    url: str,
    inbox: str | Path,
    name: str,
    *,
    policy: FetchPolicy | None = None,
    declared_type: str = "",
    allow_private: bool = False,
    sidecar: dict[str, Any] | None = None,
) -> Path:
    """Download ``url`` into the folder ``inbox`` as ``safe_name(name)`` (``name (2)``... if taken).

    The body is streamed to a hidden ``.part`` file, checked against the
    policy's size cap as it arrives (and against ``Content-Length`` before),
    then hard-linked to its final name, which never replaces an existing file.
    ``sidecar`` (if given) is written as ``<final name>.meta.json`` *before* the
    file appears. Raises :class:`DownloadRefused` with the reason.
    """
    policy = policy or FetchPolicy()
    inbox = Path(inbox)
    final_name = safe_name(name)
    allowed = ALLOWED_TYPES + (_GENERIC_BINARY if declared_type.startswith("audio/")
                               and Path(final_name).suffix.lower() in _MEDIA_SUFFIXES else ())
    part = inbox / f".{secrets.token_hex(6)}.part"
    deadline = time.monotonic() + policy.total_seconds
    try:
        with _response(url, policy, allowed, allow_private=allow_private) as response:
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                raise DownloadRefused(url, f"{int(length)} bytes is over the size cap of {policy.max_bytes}")
            received = 0
            with open(part, "xb") as handle:
                for chunk in response.iter_bytes(1024 * 1024):
                    received += len(chunk)
                    if received > policy.max_bytes:
                        raise DownloadRefused(url, f"more than the size cap of {policy.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise DownloadRefused(url, f"took longer than {policy.total_seconds:.0f} s",
                                              permanent=False)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        return _publish(part, inbox, final_name, sidecar)
    finally:
        part.unlink(missing_ok=True)


def _numbered(name: str, n: int) -> str:
    if n == 1:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem} ({n}).{suffix}" if dot and stem else f"{name} ({n})"


def _link_no_replace(source: Path, target: Path) -> None:
    """Give ``source``'s content the name ``target``; raise ``FileExistsError`` if it is taken."""
    try:
        os.link(source, target)  # link() never replaces: a name taken meanwhile raises
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EACCES):
            raise
        # A filesystem without hard links: checked-then-renamed, safe under the poll lock.
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from exc
        os.rename(source, target)


def _publish(part: Path, inbox: Path, name: str, sidecar: dict[str, Any] | None) -> Path:
    """Give the complete ``part`` its final name (and sidecar) without replacing anything."""
    for n in range(1, 10_000):
        target = inbox / _numbered(name, n)
        meta = target.with_name(target.name + SIDECAR_SUFFIX)
        if os.path.lexists(target) or os.path.lexists(meta):
            continue
        if sidecar is not None:
            tmp = inbox / f".{secrets.token_hex(6)}.meta.part"
            tmp.write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            try:
                _link_no_replace(tmp, meta)
            except FileExistsError:
                continue
            finally:
                tmp.unlink(missing_ok=True)
        try:
            _link_no_replace(part, target)
        except FileExistsError:
            if sidecar is not None:
                meta.unlink(missing_ok=True)
            continue
        return target
    raise FileExistsError(f"no free name for {name} in {inbox}")


def _fetch_feed(url: str, policy: FetchPolicy, state: dict[str, Any],
                allow_private: bool) -> tuple[bytes | None, dict[str, str | None]]:
    """The feed document (``None`` if unchanged since the last poll) and its cache validators."""
    headers = {}
    retrying = any(r.get("status") == "failed" and r.get("attempts", 0) < _RETRIES
                   for r in state.get("items", {}).values())
    if not retrying:  # items to retry need the document even if it has not changed
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
    with _response(url, policy, _FEED_TYPES, allow_private=allow_private, headers=headers) as response:
        if response.status_code == 304:
            return None, {}
        chunks, received = [], 0
        for chunk in response.iter_bytes(256 * 1024):
            received += len(chunk)
            if received > policy.max_feed_bytes:
                raise DownloadRefused(url, f"feed larger than {policy.max_feed_bytes} bytes")
            chunks.append(chunk)
        validators = {"etag": response.headers.get("etag"),
                      "last_modified": response.headers.get("last-modified")}
        return b"".join(chunks), validators


# ---------------------------------------------------------------------------------------------
# polling


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
                allow_private = _is_private_host(urlsplit(feed.url).hostname or "")
            try:
                content, validators = _fetch_feed(feed.url, policy, feed_state, allow_private)
            except DownloadRefused as exc:
                log.warning("feed %s: %s", feed.url, exc.reason)
                report.feed_errors[feed.url] = exc.reason
                continue
            feed_state["polled_at"] = _now_iso()
            if content is None:
                _save_state(state_path, state)
                continue
            title, items = parse_feed(content, feed.url)
            feed_state["title"] = title
            seen = feed_state["items"]
            for rank, item in enumerate(items):
                record = seen.get(item.guid)
                if record and (record["status"] != "failed" or record.get("attempts", 0) >= _RETRIES):
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
