"""The HTML episode report: one self-contained, well-formed, escaped page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from test_segment import all_seed_episodes

from castline.export.report import episode_report_html
from castline.highlights import add_threads, make_highlights, make_previews
from castline.model import Chapter, Clip, Episode, Highlight, Preview, Speaker, Turn
from castline.segment.chapters import make_chapters
from castline.segment.clips import find_clips
from castline.text import format_timestamp

_VOID = {"meta", "br", "img", "hr", "input", "link", "source", "wbr"}


class _Page(HTMLParser):
    """Collects tags, attributes and text; checks that elements nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    assert not page.errors, page.errors[:5]
    assert not page.stack, f"unclosed: {page.stack}"
    return page


HOSTILE = '<script>alert("x")</script> & "Bobby" \'tables\''


def _hostile_episode() -> Episode:
    turns = [
        Turn("S1", 0.0, 20.0, f"Welcome. {HOSTILE} is here.", f"Welcome. {HOSTILE} is here.", confidence=0.3),
        Turn("S2", 20.0, 40.0, "This show is brought to you by Acme.", "x", tags=["ad"]),
        Turn("S2", 40.0, 70.0, "First paragraph.\n\nSecond <b>paragraph</b>.", "x", confidence=0.95),
        Turn("S1", 70.0, 90.0, "Closing words.", "x"),
    ]
    return Episode(
        title=f"Episode {HOSTILE}",
        slug="hostile",
        show="Show <i>",
        duration=90.0,
        speakers=[Speaker("S1", HOSTILE, "host"), Speaker("S2", "Ada <img src=x>", "guest")],
        turns=turns,
        chapters=[
            Chapter(0.0, "Intro <script>", end=40.0, turn=0),
            Chapter(40.0, "Paragraphs & things", end=90.0, turn=2),
        ],
        clips=[
            Clip(40.0, 70.0, "Clip <script>1</script>", "First paragraph.", 2.5, reasons=["names <things>"],
                 speakers=["S2"], turn_start=2, turn_end=2, thread=["Hook? (1/2)", "Listen (2/2)"],
                 audio="clips/clip-1 <x>.mp3"),
            Clip(70.0, 90.0, "Second clip", "Closing words.", 1.0, turn_start=3, turn_end=3),
        ],
        previews=[
            Preview("Welcome.", "S1", 0.0, 5.0, turn=0, spans=[(0, 8)], audio="clips/preview-1.mp3"),
            Preview("Closing words.", "S1", 70.0, 80.0, turn=3, spans=[(0, 14)]),
        ],
        highlights=[
            Highlight("Welcome.", "S1", 0.0, 5.0, "“Welcome.” — host", 17, turn=0, char_start=0, char_end=8),
        ],
    )


def test_report_escapes_hostile_text_and_is_well_formed():
    html = episode_report_html(_hostile_episode())
    page = _parse(html)
    assert page.scripts == 0  # every <script> in the data arrived as text
    assert not page.find("img") and not page.find("b") and not page.find("i")
    assert "&lt;script&gt;" in html
    assert HOSTILE in page.plain  # escaped, not dropped
    assert "Ada <img src=x>" in page.plain
    assert html.lstrip().startswith("<!DOCTYPE html>")
    # Self-contained: inline CSS, no external stylesheet, script or font.
    assert page.find("style") and not page.find("link")
    assert not any(a.get("src", "").startswith(("http:", "https:", "//")) for _, a in page.tags)


def test_report_shows_every_part():
    episode = _hostile_episode()
    page = _parse(episode_report_html(episode))
    text = page.plain
    assert episode.title in text and "Show <i>" in text
    for chapter in episode.chapters:
        assert f"({format_timestamp(chapter.start)}) – {chapter.title}" in text
    # Chapter marks sit in the transcript, linked from the chapter list.
    ids = {a.get("id") for _, a in page.tags}
    assert {"chapter-1", "chapter-2"} <= ids
    assert {a["href"] for a in page.find("a")} >= {"#chapter-1", "#chapter-2"}
    for clip in episode.clips:
        assert clip.title in text and clip.text in text
    assert "names <things>" in text and "Hook? (1/2)" in text
    for preview in episode.previews:
        assert f"“{preview.text}”" in text
    assert "“Welcome.” — host" in text
    # Transcript: a Name HH:MM:SS header per turn and one <p> per paragraph.
    assert f"{HOSTILE} 00:00:00" in text and "Ada <img src=x> 00:00:40" in text
    assert "Second <b>paragraph</b>." in text
    classes = [a.get("class") or "" for _, a in page.tags]
    assert sum("turn ad" in c for c in classes) == 1  # the sponsor read is set apart
    assert "sponsor read" in text
    assert text.count("speaker uncertain") == 1  # only the 0.3-confidence turn


def test_audio_players_only_where_audio_exists():
    episode = _hostile_episode()
    page = _parse(episode_report_html(episode))
    sources = [a.get("src") for a in page.find("audio")]
    assert sources == ["clips/clip-1 <x>.mp3", "clips/preview-1.mp3"]
    assert all("controls" in a for a in page.find("audio"))
    for item in [*episode.clips, *episode.previews]:
        item.audio = None
    assert not _parse(episode_report_html(episode)).find("audio")


def test_empty_episode_renders():
    page = _parse(episode_report_html(Episode(title="Empty", slug="empty")))
    assert "Empty" in page.plain and "No chapters." in page.plain


@pytest.mark.parametrize("episode", all_seed_episodes()[1:4], ids=lambda e: e.slug[:30])
def test_seed_reports(episode):
    episode.chapters = make_chapters(episode)
    episode.clips = find_clips(episode)
    episode.previews = make_previews(episode)
    episode.highlights = make_highlights(episode)
    add_threads(episode)
    page = _parse(episode_report_html(episode))
    text = page.plain
    for chapter in episode.chapters:
        assert chapter.title in text
    for clip in episode.clips:
        assert clip.title in text
    for highlight in episode.highlights:
        assert highlight.tweet.split("\n")[0] in text
    headers = [a for a in page.find("div") if "turn" in (a.get("class") or "")]
    assert len(headers) == sum(1 for t in episode.turns if t.text.strip())
    assert not page.find("audio")
