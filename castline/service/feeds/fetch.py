"""Guarded downloads: http(s) only, a timeout, few redirects, a size cap, allowed types, no private hosts.

Every hop of a redirect is checked again. A file is written under a dotted
``.part`` name in the inbox and linked to its final name only when complete,
so the inbox never claims half a file; its ``<name>.meta.json`` sidecar is
written first.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from castline.service.feeds.parse import MEDIA_SUFFIXES
from castline.service.inbox import DEFAULT_MAX_BYTES, SIDECAR_SUFFIX, safe_name

__all__ = [
    "ALLOWED_TYPES",
    "RETRIES",
    "DownloadRefused",
    "FetchPolicy",
    "download",
    "fetch_feed",
    "is_private_host",
]

#: Response content types a download may have (``type/*`` matches the whole family).
ALLOWED_TYPES = ("audio/*", "text/*", "application/json", "application/x-subrip", "video/mp4")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "application/rdf+xml",
               "text/*")
# CDNs often serve enclosures as octet-stream; accepted only where the feed said audio and the
# URL ends in an audio suffix.
_GENERIC_BINARY = ("application/octet-stream", "binary/octet-stream")
RETRIES = 3  # transient failures (timeouts, 5xx) of one item before it is given up


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
        Largest feed document accepted (counted decoded: a gzip bomb is cut off).
    feed_seconds:
        Seconds the feed document may take in all (a server that drips bytes forever).
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
    feed_seconds: float = 120.0
    allow_private: bool | None = None
    user_agent: str = "castline-feeds/0.1 (+podcast post-production)"


class DownloadRefused(Exception):
    """A download that broke a rule (size, type, redirects, scheme, address); ``permanent`` says
    whether trying again later could help (a timeout or a 503 could; a wrong type could not)."""

    def __init__(self, url: str, reason: str, *, permanent: bool = True) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.permanent = url, reason, permanent


def _is_private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)  # fmt: skip


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []  # unresolvable: the request fails on its own
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def is_private_host(host: str) -> bool:
    """True when any address ``host`` resolves to is loopback, private, link-local or reserved."""
    return any(_is_private_address(a) for a in _addresses(host))


def _check_url(url: str, allow_private: bool) -> str | None:
    """Check ``url``'s scheme and host; return the address checked, which the request must connect to.

    The host is resolved once: connecting to the address that was checked is
    what defeats a name that resolves to a public address when checked and to
    a private one when fetched (DNS rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DownloadRefused(url, f"scheme {parts.scheme!r} is not fetched (http and https only)")
    if not parts.hostname:
        raise DownloadRefused(url, "no host in url")
    addresses = _addresses(parts.hostname)
    if not allow_private and any(_is_private_address(a) for a in addresses):
        raise DownloadRefused(url, f"host {parts.hostname} is a private, loopback or link-local address")
    return str(addresses[0]) if addresses else None


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """``url`` aimed at ``address``, with the Host header and TLS name of the original host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        return url, {}, {}  # already an address
    except ValueError:
        pass
    if address is None:
        return url, {}, {}
    netloc = f"[{address}]" if ":" in address else address
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": host_header}, {"sni_hostname": host}


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
            address = _check_url(current, allow_private)
            try:
                target, host_header, extensions = _pinned(current, address)
                request = client.build_request("GET", target, headers={**(headers or {}), **host_header},
                                               extensions=extensions)  # fmt: skip
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
                               and Path(final_name).suffix.lower() in MEDIA_SUFFIXES else ())
    part = inbox / f".{secrets.token_hex(6)}.part"
    deadline = time.monotonic() + policy.total_seconds
    try:
        with _response(url, policy, allowed, allow_private=allow_private) as response:
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                raise DownloadRefused(url, f"{int(length)} bytes is over the size cap of {policy.max_bytes}")
            received = 0
            with open(part, "xb") as handle:
                for chunk in response.iter_bytes():  # pieces as they arrive: the deadline holds for a drip
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


def fetch_feed(url: str, policy: FetchPolicy, state: dict[str, Any],
                allow_private: bool) -> tuple[bytes | None, dict[str, str | None]]:
    """The feed document (``None`` if unchanged since the last poll) and its cache validators."""
    headers = {}
    retrying = any(r.get("status") == "failed" and r.get("attempts", 0) < RETRIES
                   for r in state.get("items", {}).values())
    if not retrying:  # items to retry need the document even if it has not changed
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
    deadline = time.monotonic() + policy.feed_seconds
    with _response(url, policy, _FEED_TYPES, allow_private=allow_private, headers=headers) as response:
        if response.status_code == 304:
            return None, {}
        chunks, received = [], 0
        for chunk in response.iter_bytes():  # decoded pieces as they arrive
            received += len(chunk)
            if received > policy.max_feed_bytes:
                raise DownloadRefused(url, f"feed larger than {policy.max_feed_bytes} bytes (decoded)")
            if time.monotonic() > deadline:
                raise DownloadRefused(url, f"feed took longer than {policy.feed_seconds:.0f} s to arrive",
                                      permanent=False)
            chunks.append(chunk)
        validators = {"etag": response.headers.get("etag"),
                      "last_modified": response.headers.get("last-modified")}
        return b"".join(chunks), validators
