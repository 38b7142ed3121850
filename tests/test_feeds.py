"""Feed polling against a local HTTP server: new items once, transcripts first, guarded downloads."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from castline.service.feeds import (
    DownloadRefused,
    FeedConfig,
    FeedItem,
    FetchPolicy,
    choose_sources,
    download,
    load_config,
    parse_feed,
    poll,
)

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FAKE_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8

Response = tuple[int, dict[str, str], bytes]
Route = Response | Callable[[BaseHTTPRequestHandler], Response]


class FeedServer:
    """A threaded ``http.server`` on 127.0.0.1 serving ``routes`` and logging every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
                status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for key, value in headers.items():
                    if value is not None:
                        self.send_header(key, value)
                if "Content-Length" not in headers and status not in (304,):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    try:
                        for piece in [body] if isinstance(body, bytes) else body:  # an iterable drips
                            self.wfile.write(piece)
                            self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up on purpose (size cap, deadline)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def add_feed(self, path: str = "/feed.xml", template: str = "feed.xml", **replace: str) -> str:
        text = (FIXTURES / template).read_text(encoding="utf-8").replace("{base}", self.base)
        for old, new in replace.items():
            text = text.replace(old, new)
        self.routes[path] = (200, {"Content-Type": "application/rss+xml; charset=utf-8"}, text.encode())
        return self.base + path


@pytest.fixture
def server():
    srv = FeedServer()
    srv.thread.start()
    fixtures = {
        "/transcripts/ep2.vtt": ("text/vtt", (FIXTURES / "ep2.vtt").read_bytes()),
        "/transcripts/ep2.json": ("application/json", (FIXTURES / "ep2.json").read_bytes()),
        "/transcripts/ep2.html": ("text/html; charset=utf-8", (FIXTURES / "ep2.html").read_bytes()),
        "/transcripts/ep2.srt": ("application/x-subrip", b"1\n00:00:00,000 --> 00:00:02,000\nHello.\n"),
        "/media/ep1.mp3": ("audio/mpeg", FAKE_MP3),
        "/media/ep2.mp3": ("audio/mpeg", FAKE_MP3 + b"2"),
    }
    for path, (ctype, body) in fixtures.items():
        srv.routes[path] = (200, {"Content-Type": ctype}, body)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def item_xml(title: str, guid: str, url: str, mime: str = "audio/mpeg", transcript: str | None = None) -> str:
    extra = f'<podcast:transcript url="{transcript}" type="text/vtt"/>' if transcript else ""
    return (f"<item><title>{title}</title><guid>{guid}</guid>"
            f'<enclosure url="{url}" type="{mime}" length="1"/>{extra}</item>')


def feed_with(server: FeedServer, items: list[str], path: str = "/custom.xml") -> str:
    body = ('<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">'
            f"<channel><title>Custom</title>{''.join(items)}</channel></rss>")
    server.routes[path] = (200, {"Content-Type": "text/xml"}, body.encode())
    return server.base + path


def inbox_files(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "inbox").iterdir())


def test_new_items_fetched_once_transcript_preferred(server: FeedServer, data: Path):
    feed_url = server.add_feed()
    feeds = [FeedConfig(url=feed_url, speakers="Grace Hopper:host,Ada Lovelace:guest")]
    first = poll(feeds, data)

    assert [o.status for o in first.outcomes] == ["fetched", "fetched"], first.outcomes
    # Newest first; the VTT transcript beats the HTML and JSON ones and the audio.
    assert first.outcomes[0].source_url == f"{server.base}/transcripts/ep2.vtt"
    assert first.outcomes[1].source_url == f"{server.base}/media/ep1.mp3"  # relative url resolved
    assert inbox_files(data) == [
        "Audio only_ the pilot.mp3",
        "Audio only_ the pilot.mp3.meta.json",
        "Scaling laws, with Ada.vtt",
        "Scaling laws, with Ada.vtt.meta.json",
    ]
    assert (data / "inbox" / "Scaling laws, with Ada.vtt").read_bytes() == (FIXTURES / "ep2.vtt").read_bytes()
    assert (data / "inbox" / "Audio only_ the pilot.mp3").read_bytes() == FAKE_MP3
    meta = json.loads((data / "inbox" / "Scaling laws, with Ada.vtt.meta.json").read_text(encoding="utf-8"))
    assert meta == {
        "title": "Scaling laws, with Ada",
        "show": "Fixture Talk Show",
        "speakers": "Grace Hopper:host,Ada Lovelace:guest",
        "source_url": f"{server.base}/transcripts/ep2.vtt",
        "guid": "fixture-ep-2",
        "feed": feed_url,
    }
    assert server.count("/transcripts/ep2.html") == 0 and server.count("/media/ep2.mp3") == 0

    second = poll(feeds, data)
    assert second.outcomes == [] and second.fetched == []
    assert server.count("/transcripts/ep2.vtt") == 1 and server.count("/media/ep1.mp3") == 1
    assert len(inbox_files(data)) == 4
    state = json.loads((data / "feeds-state.json").read_text(encoding="utf-8"))
    assert set(state["feeds"][feed_url]["items"]) == {"fixture-ep-1", "fixture-ep-2"}


def test_unchanged_feed_is_not_downloaded_again(server: FeedServer, data: Path):
    body = (FIXTURES / "feed.xml").read_text(encoding="utf-8").replace("{base}", server.base).encode()

    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, body

    server.routes["/etag.xml"] = conditional
    feeds = [FeedConfig(url=server.base + "/etag.xml")]
    assert len(poll(feeds, data).fetched) == 2
    assert poll(feeds, data).outcomes == []
    assert [h.get("If-None-Match") for p, h in server.requests if p == "/etag.xml"] == [None, '"v1"']


def test_item_added_later_is_fetched_and_backfill_limits_first_poll(server: FeedServer, data: Path):
    items = [item_xml(f"Episode {n}", f"g{n}", f"/media/ep1.mp3?n={n}") for n in (5, 4, 3, 2, 1)]
    for n in range(1, 7):
        server.routes[f"/media/ep1.mp3?n={n}"] = (200, {"Content-Type": "audio/mpeg"}, FAKE_MP3 + bytes([n]))
    url = feed_with(server, items)
    first = poll([FeedConfig(url=url, backfill=2)], data)
    assert [(o.title, o.status) for o in first.outcomes] == [
        ("Episode 5", "fetched"), ("Episode 4", "fetched"),
        ("Episode 3", "skipped"), ("Episode 2", "skipped"), ("Episode 1", "skipped"),
    ]
    feed_with(server, [item_xml("Episode 6", "g6", "/media/ep1.mp3?n=6"), *items])
    second = poll([FeedConfig(url=url, backfill=2)], data)
    assert [(o.title, o.status) for o in second.outcomes] == [("Episode 6", "fetched")]
    assert (data / "inbox" / "Episode 6.mp3").read_bytes() == FAKE_MP3 + bytes([6])


def test_refusals_are_logged_recorded_and_not_retried(server: FeedServer, data: Path, caplog):
    server.routes["/loop/a"] = (302, {"Location": "/loop/b"}, b"")
    server.routes["/loop/b"] = (302, {"Location": "/loop/a"}, b"")
    for n in range(7):
        server.routes[f"/chain/{n}"] = (302, {"Location": f"/chain/{n + 1}"}, b"")
    server.routes["/chain/7"] = (200, {"Content-Type": "audio/mpeg"}, FAKE_MP3)
    server.routes["/big.mp3"] = (200, {"Content-Type": "audio/mpeg"}, b"\0" * 5000)
    server.routes["/liar.mp3"] = (200, {"Content-Type": "audio/mpeg", "Content-Length": "100"}, b"\0" * 100)
    server.routes["/setup.exe"] = (200, {"Content-Type": "application/x-msdownload"}, b"MZ" + b"\0" * 50)
    server.routes["/page.mp3"] = (200, {"Content-Type": "image/png"}, b"\x89PNG")
    url = feed_with(server, [
        item_xml("Loop", "loop", "/loop/a"),
        item_xml("Chain", "chain", "/chain/0"),
        item_xml("Big", "big", "/big.mp3"),
        item_xml("Exe", "exe", "/setup.exe"),
        item_xml("Png", "png", "/page.mp3"),
        item_xml("Gone", "gone", "/missing.mp3"),
    ])
    policy = FetchPolicy(max_bytes=4096)
    with caplog.at_level(logging.WARNING, logger="castline.service.feeds"):
        report = poll([FeedConfig(url=url, backfill=10)], data, policy=policy)

    reasons = {o.title: (o.status, o.reason) for o in report.outcomes}
    assert reasons["Loop"][0] == "refused" and "redirect loop" in reasons["Loop"][1]
    assert reasons["Chain"][0] == "refused" and "more than 5 redirects" in reasons["Chain"][1]
    assert reasons["Big"][0] == "refused" and "size cap" in reasons["Big"][1]
    assert reasons["Exe"][0] == "refused" and "application/x-msdownload" in reasons["Exe"][1]
    assert reasons["Png"][0] == "refused" and "image/png" in reasons["Png"][1]
    assert reasons["Gone"][0] == "refused" and "HTTP 404" in reasons["Gone"][1]
    for title, (_, reason) in reasons.items():
        assert any(title in r.getMessage() and reason.split(": ", 1)[-1] in r.getMessage()
                   for r in caplog.records), title
    assert inbox_files(data) == []  # not even a .part file is left behind
    assert server.count("/chain/6") == 0  # the sixth redirect is not followed

    again = poll([FeedConfig(url=url, backfill=10)], data, policy=policy)
    assert again.outcomes == []


def test_size_cap_without_content_length(server: FeedServer, data: Path):
    def chunked(handler):
        # No Content-Length (None: header left out): the body ends when the server closes.
        headers = {"Content-Type": "audio/mpeg", "Content-Length": None, "Connection": "close"}
        return 200, headers, b"\1" * 10_000

    server.routes["/stream.mp3"] = chunked
    data.mkdir()
    with pytest.raises(DownloadRefused, match="size cap"):
        download(server.base + "/stream.mp3", data, "stream.mp3", policy=FetchPolicy(max_bytes=4096),
                 allow_private=True)
    assert list(data.iterdir()) == []  # the .part file is gone


def test_server_errors_are_retried_on_the_next_poll(server: FeedServer, data: Path):
    server.routes["/flaky.mp3"] = (503, {"Content-Type": "text/plain"}, b"busy")
    url = feed_with(server, [item_xml("Flaky", "flaky", "/flaky.mp3")])
    first = poll([FeedConfig(url=url)], data)
    assert first.outcomes[0].status == "failed" and "HTTP 503" in first.outcomes[0].reason
    server.routes["/flaky.mp3"] = (200, {"Content-Type": "audio/mpeg"}, FAKE_MP3)
    second = poll([FeedConfig(url=url)], data)
    assert [o.status for o in second.outcomes] == ["fetched"]
    assert inbox_files(data) == ["Flaky.mp3", "Flaky.mp3.meta.json"]


def test_hostile_titles_are_sanitised(server: FeedServer, data: Path, tmp_path: Path):
    url = feed_with(server, [
        item_xml("../../etc/passwd", "evil-1", "/media/ep1.mp3"),
        item_xml("..", "evil-2", "/media/ep1.mp3"),
        item_xml("/absolute/path", "evil-3", "/media/ep2.mp3"),
        item_xml("Same title", "same-1", "/media/ep1.mp3"),
        item_xml("Same title", "same-2", "/media/ep2.mp3"),
        item_xml("C:\\Windows\\win.ini&#7;", "evil-4", "/media/ep1.mp3"),
    ])
    report = poll([FeedConfig(url=url, backfill=10)], data)
    assert all(o.status == "fetched" for o in report.outcomes), report.outcomes
    files = [p for p in inbox_files(data) if not p.endswith(".meta.json")]
    assert files == sorted([
        "etc_passwd.mp3", "episode.mp3", "absolute_path.mp3", "Same title.mp3", "Same title (2).mp3",
        "C__Windows_win.ini.mp3",
    ])
    assert not (tmp_path / "etc").exists()
    for outcome in report.outcomes:
        assert outcome.file.parent == data / "inbox"
    assert (data / "inbox" / "Same title (2).mp3").read_bytes() == FAKE_MP3 + b"2"


def test_existing_file_is_never_overwritten(server: FeedServer, data: Path):
    (data / "inbox").mkdir(parents=True)
    (data / "inbox" / "Taken.mp3").write_bytes(b"mine")
    path = download(server.base + "/media/ep1.mp3", data / "inbox", "Taken.mp3", allow_private=True,
                    sidecar={"title": "Taken"})
    assert path.name == "Taken (2).mp3" and path.read_bytes() == FAKE_MP3
    assert (data / "inbox" / "Taken.mp3").read_bytes() == b"mine"
    assert json.loads((data / "inbox" / "Taken (2).mp3.meta.json").read_text())["title"] == "Taken"


def test_private_addresses_refused_unless_allowed(server: FeedServer, data: Path):
    url = server.add_feed()
    report = poll([FeedConfig(url=url)], data, policy=FetchPolicy(allow_private=False))
    assert "private" in report.feed_errors[url] and report.outcomes == []
    with pytest.raises(DownloadRefused, match="scheme 'file'"):
        download("file:///etc/passwd", data, "x.txt", allow_private=True)
    with pytest.raises(DownloadRefused, match="private"):
        download("http://169.254.169.254/latest/meta-data", data, "x.txt")


def test_one_broken_feed_does_not_stop_the_others(server: FeedServer, data: Path):
    server.routes["/broken.xml"] = (500, {"Content-Type": "text/plain"}, b"oops")
    good = server.add_feed()
    report = poll([FeedConfig(url=server.base + "/broken.xml"), FeedConfig(url=good)], data)
    assert "HTTP 500" in report.feed_errors[server.base + "/broken.xml"]
    assert len(report.fetched) == 2


def test_atom_feed_and_srt_transcript(server: FeedServer, data: Path):
    url = server.add_feed("/atom.xml", "atom.xml")
    report = poll([FeedConfig(url=url, show="Atom Show")], data)
    (outcome,) = report.outcomes
    assert outcome.source_url.endswith("/transcripts/ep2.srt") and outcome.file.name == "Atom episode.srt"
    assert json.loads(Path(str(outcome.file) + ".meta.json").read_text())["show"] == "Atom Show"


def test_choose_sources_ranks_transcripts():
    item = FeedItem(
        guid="g", title="t",
        transcripts=[("u/html", "text/html"), ("u/txt", "text/plain"), ("u/json", "application/json"),
                     ("u/srt", "application/x-subrip"), ("u/pdf", "application/pdf")],
        enclosure=("https://cdn.example/e/ep.m4a?x=1", "audio/x-m4a"),
    )
    assert [(u, ext) for u, _, ext in choose_sources(item)] == [
        ("u/srt", ".srt"), ("u/json", ".json"), ("u/txt", ".txt"), ("u/html", ".html"),
        ("https://cdn.example/e/ep.m4a?x=1", ".m4a"),
    ]
    bare = FeedItem(guid="g", title="t", enclosure=("https://cdn.example/stream", "audio/mpeg"))
    assert choose_sources(bare)[0][2] == ".mp3"


def test_parse_feed_keeps_every_transcript_tag():
    content = (FIXTURES / "feed.xml").read_text(encoding="utf-8").replace("{base}", "http://h").encode()
    title, items = parse_feed(content, "http://h/feed.xml")
    assert title == "Fixture Talk Show"
    assert [i.guid for i in items] == ["fixture-ep-2", "fixture-ep-1"]
    assert [t[1] for t in items[0].transcripts] == ["text/html", "application/json", "text/vtt"]
    assert items[1].enclosure == ("http://h/media/ep1.mp3", "audio/mpeg")


def test_load_config(tmp_path: Path):
    (tmp_path / "glossaries").mkdir()
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "feeds:\n"
        "  - url: https://example.org/a.rss\n    show: mlst\n"
        "    glossary: glossaries/mlst.txt\n    backfill: 1\n"
        "  - https://example.org/b.rss\n",
        encoding="utf-8",
    )
    a, b = load_config(config)
    assert a.show == "mlst" and a.backfill == 1 and a.glossary == str(tmp_path / "glossaries" / "mlst.txt")
    assert b.url == "https://example.org/b.rss" and b.backfill == 3
    config.write_text("feeds:\n  - url: https://example.org/a.rss\n    shwo: typo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_config(config)
    config.write_text("feeds:\n  - url: file:///etc/passwd\n", encoding="utf-8")
    with pytest.raises(ValueError, match="http"):
        load_config(config)
    config.write_text("feeds: []\n", encoding="utf-8")
    assert load_config(config) == []


def test_feed_items_flow_through_the_inbox(server: FeedServer, data: Path):
    """End to end: poll -> inbox -> claim -> real ingest/stages/export -> archive, options carried."""
    from castline.export import write_outputs
    from castline.ingest import read_episodes
    from castline.pipeline import build_settings, process

    server.add_feed()
    server.routes["/media/ep1.mp3"] = (404, {}, b"")  # keep this one to the transcript item
    poll([FeedConfig(url=server.base + "/feed.xml", show="Fixture Show")], data)

    from castline.service.inbox import run_once

    def process_file(path: Path, options: dict) -> list[str]:
        settings = build_settings(speakers=options.get("speakers", ""), title=options.get("title"),
                                  show=options.get("show"))
        folders = []
        for episode in read_episodes(path, title=options.get("title")):
            episode = process(episode, settings)
            folders.append(str(write_outputs(episode, data / "output" / episode.slug)["episode.json"].parent))
        return folders

    report = run_once(data, process_file, settle_seconds=0)
    (outcome,) = report.outcomes
    assert outcome.status == "archived", outcome
    episode = json.loads((Path(outcome.outputs[0]) / "episode.json").read_text(encoding="utf-8"))
    assert episode["title"] == "Scaling laws, with Ada"
    assert {s["name"] for s in episode["speakers"]} == {"Grace Hopper", "Ada Lovelace"}
    assert (data / "archive" / "Scaling laws, with Ada.vtt.meta.json").exists()


@pytest.mark.slow
def test_poll_feeds_flow_ephemeral(server: FeedServer, data: Path, tmp_path: Path):
    from flows.feeds import feeds_markdown, poll_feeds

    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {server.add_feed()}\n", encoding="utf-8")
    state = poll_feeds(str(config), str(data), return_state=True)
    assert state.is_completed()
    files = state.result()
    assert sorted(Path(f).name for f in files) == ["Audio only_ the pilot.mp3", "Scaling laws, with Ada.vtt"]
    assert poll_feeds(str(config), str(data)) == []
    assert "nothing" not in feeds_markdown(poll(str(config), str(data)))
    assert os.path.exists(data / "feeds-state.json")


def test_filesystem_without_hard_links(server: FeedServer, data: Path, monkeypatch):
    import errno

    import castline.service.feeds.fetch as feeds_module

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(feeds_module.os, "link", no_links)
    (data / "inbox").mkdir(parents=True)
    (data / "inbox" / "Taken.mp3").write_bytes(b"mine")
    path = download(server.base + "/media/ep1.mp3", data / "inbox", "Taken.mp3", allow_private=True,
                    sidecar={"title": "Taken"})
    assert path.name == "Taken (2).mp3" and path.read_bytes() == FAKE_MP3
    assert (data / "inbox" / "Taken.mp3").read_bytes() == b"mine"
    assert sorted(inbox_files(data)) == ["Taken (2).mp3", "Taken (2).mp3.meta.json", "Taken.mp3"]


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + ']><rss version="2.0"><channel><title>&j;</title><item><title>Bomb</title><guid>b</guid>'
    '<enclosure url="/media/ep1.mp3" type="audio/mpeg" length="1"/></item></channel></rss>'
)


def test_hostile_feeds_are_refused_and_the_rest_still_polls(server: FeedServer, data: Path):
    import gzip
    import time

    # A gzip bomb: 64 MB of spaces sent as 64 kB of gzip.
    server.routes["/gzip-bomb.xml"] = (200, {"Content-Type": "text/xml", "Content-Encoding": "gzip"},
                                       gzip.compress(b"<rss>" + b" " * (64 << 20)))  # fmt: skip
    # An entity bomb: ten levels of ten references, a billion letters if expanded.
    server.routes["/entity-bomb.xml"] = (200, {"Content-Type": "text/xml"}, BILLION_LAUGHS.encode())

    def drip(handler):
        # A feed that never finishes: a byte every 0.1 s, no length, for as long as anyone listens.
        def pieces():
            yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
            for _ in range(600):
                time.sleep(0.1)
                yield b" "

        return 200, {"Content-Type": "text/xml", "Content-Length": None, "Connection": "close"}, pieces()

    server.routes["/drip.xml"] = drip
    good = server.add_feed()
    feeds = [FeedConfig(url=server.base + p) for p in ("/gzip-bomb.xml", "/entity-bomb.xml", "/drip.xml")]
    started = time.monotonic()
    report = poll([*feeds, FeedConfig(url=good)], data,
                  policy=FetchPolicy(max_feed_bytes=8 << 20, feed_seconds=3, allow_private=True))  # fmt: skip
    assert time.monotonic() - started < 30
    errors = report.feed_errors
    assert "larger than" in errors[server.base + "/gzip-bomb.xml"]
    assert "took longer than 3 s" in errors[server.base + "/drip.xml"]
    assert "entit" in errors[server.base + "/entity-bomb.xml"]  # refused, never expanded
    assert len(report.fetched) == 2  # the good feed's two items still arrive


def test_a_name_that_rebinds_to_loopback_is_never_fetched(server: FeedServer, data: Path, monkeypatch):
    import socket

    port = int(server.base.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    looked_up = []

    def rebinding(host, *args, **kwargs):
        # Public when checked, loopback (this test's server) on every later look-up.
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        looked_up.append(host)
        address = "93.184.215.14" if len(looked_up) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    data.mkdir()
    with pytest.raises(DownloadRefused, match="timed out|request failed"):
        download(f"http://rebind.example:{port}/media/ep1.mp3", data, "ep1.mp3",
                 policy=FetchPolicy(timeout=2, allow_private=False))  # fmt: skip
    assert server.count("/media/ep1.mp3") == 0  # the request went to the address checked, not to loopback
    assert list(data.iterdir()) == []


def test_requests_carry_the_host_name_they_were_made_for(server: FeedServer, data: Path, monkeypatch):
    import socket

    port = int(server.base.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real(
        "127.0.0.1" if host == "feeds.local.test" else host, *a, **k))  # fmt: skip
    data.mkdir()
    saved = download(f"http://feeds.local.test:{port}/media/ep1.mp3", data, "ep1.mp3", allow_private=True)
    assert saved.read_bytes() == FAKE_MP3
    path, headers = server.requests[-1]
    assert path == "/media/ep1.mp3" and headers["Host"] == f"feeds.local.test:{port}"
