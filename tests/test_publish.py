"""publish/: Podcasting 2.0 files, editor timelines and marker files, read back and checked.

Two short seeds run through the whole pipeline in-process (the producer notebook: named
hosts and guests, an unattributed voice, excerpt times that jump back; the X posts: the
speakers are only "Host" and "Guest", and a clip longer than the soundbite maximum), then
every publish/ file is parsed with a reader of its own format: an XML parser and the
namespace's rules for the RSS item, OpenTimelineIO and its FCPXML and CMX 3600 adapters
for the timelines, csv for the marker files. Hand-built episodes cover the rest: soundbite
trimming and widening, placeholder names, a base URL, a clean-cut edit.
"""

from __future__ import annotations

import csv
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import opentimelineio as otio  # noqa: E402  (a dependency: the timelines need it)
import pytest

from castline.clean import clean_episode
from castline.export import write_outputs
from castline.export.clean_cut import keep_spans
from castline.export.publish import PUBLISH_FILES
from castline.export.publish.podcasting import SOUNDBITE_MAX, SOUNDBITE_MIN, soundbites
from castline.model import Chapter, Clip, Episode, Preview, Speaker, Turn, Word
from castline.segment.sentence_units import episode_end, sentence_units

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NS = "https://podcastindex.org/namespace/1.0"
P = f"{{{NS}}}"
FPS = 25
HALF_FRAME = 0.5 / FPS + 1e-6

#: The namespace's attributes per tag (required, optional), from its tag pages.
ATTRIBUTES = {
    "transcript": ({"url", "type"}, {"language", "rel"}),
    "chapters": ({"url", "type"}, set()),
    "person": (set(), {"role", "group", "img", "href"}),
    "soundbite": ({"startTime", "duration"}, set()),
}
MIME = {".srt": "application/x-subrip", ".vtt": "text/vtt", ".json": "application/json", ".html": "text/html"}
#: Podcast Taxonomy roles castline may write (its roles are host, guest and other).
ROLES = {"host", "guest"}


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def namespace_problems(xml_text: str, folder: Path, episode: Episode) -> list[str]:
    """Every way ``rss-item.xml`` breaks the podcast namespace's rules (or castline's promises)."""
    problems = []
    if f'xmlns:podcast="{NS}"' not in xml_text:
        problems.append("podcast namespace not declared")
    item = ET.fromstring(xml_text.encode("utf-8"))
    if item.tag != "item":
        problems.append(f"root is {item.tag}, not item")
    total = episode_end(episode)
    seen_types = {}
    for child in item:
        if not child.tag.startswith(P):
            continue
        name = child.tag[len(P) :]
        if name not in ATTRIBUTES:
            problems.append(f"unexpected podcast:{name}")
            continue
        required, optional = ATTRIBUTES[name]
        attrs = set(child.attrib)
        if required - attrs:
            problems.append(f"podcast:{name} lacks {sorted(required - attrs)}")
        if attrs - required - optional:
            problems.append(f"podcast:{name} has unknown attributes {sorted(attrs - required - optional)}")
        if name == "transcript":
            url, kind = child.get("url", ""), child.get("type")
            suffix = Path(url).suffix
            if MIME.get(suffix) != kind:
                problems.append(f"transcript {url} has type {kind}, not {MIME.get(suffix)}")
            if (child.get("rel") == "captions") != (suffix in {".srt", ".vtt"}):
                problems.append(f"transcript {url}: rel={child.get('rel')!r}")
            if child.get("language") != episode.language:
                problems.append(f"transcript {url}: language {child.get('language')!r}")
            if not (folder / url).is_file():
                problems.append(f"transcript {url}: no such file beside the episode")
            seen_types[kind] = url
        elif name == "chapters":
            if child.get("type") != "application/json+chapters":
                problems.append(f"chapters type {child.get('type')}")
            if not (folder / child.get("url", "")).is_file():
                problems.append("chapters file missing")
        elif name == "person":
            role = child.get("role", "host")
            if role not in ROLES:
                problems.append(f"person {child.text!r}: role {role!r} not in {sorted(ROLES)}")
            if not (child.text or "").strip() or len(child.text) > 128:
                problems.append(f"person name {child.text!r}")
        elif name == "soundbite":
            try:
                start, duration = float(child.get("startTime")), float(child.get("duration"))
            except (TypeError, ValueError):
                problems.append(f"soundbite times {child.attrib}")
                continue
            if start < 0 or duration <= 0 or start + duration > total + 0.001:
                problems.append(f"soundbite {start}+{duration} outside the episode (0-{total})")
            if total >= SOUNDBITE_MIN and not SOUNDBITE_MIN <= duration <= SOUNDBITE_MAX:
                problems.append(f"soundbite duration {duration} outside 15-120 s")
            if len(child.text or "") > 128:
                problems.append("soundbite title over 128 characters")
    if set(seen_types) != set(MIME.values()):
        problems.append(f"transcript types {sorted(seen_types)}")
    return problems


def _run_seed(name: str, out: Path, **options) -> Episode:
    from castline.ingest import read_episodes
    from castline.pipeline import build_settings, process

    os.environ.setdefault("CASTLINE_SHOWS", str(SEEDS.parent / "shows"))
    (episode,) = read_episodes(SEEDS / name)
    episode = process(episode, build_settings(**options))
    write_outputs(episode, out)
    return episode


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, tuple[Episode, Path]]:
    """The two seeds processed and exported: name -> (episode, episode folder)."""
    out = {}
    for name in ("producer-notebook.labelled.txt", "x-posts-that-travel.txt"):
        folder = tmp_path_factory.mktemp(name.split(".")[0])
        out[name] = (_run_seed(name, folder), folder)
    return out


@pytest.fixture(params=["producer-notebook.labelled.txt", "x-posts-that-travel.txt"])
def seed(request, seeds) -> tuple[Episode, Path]:
    return seeds[request.param]


# -- Podcasting 2.0 -----------------------------------------------------------------------


def test_rss_item_follows_the_namespace(seed):
    episode, folder = seed
    text = (folder / "publish/rss-item.xml").read_text(encoding="utf-8")
    assert namespace_problems(text, folder, episode) == []
    item = ET.fromstring(text.encode("utf-8"))
    assert item.findtext("title") == episode.title
    bites = item.findall(f"{P}soundbite")
    assert len(bites) == len(episode.clips) + len(episode.previews)
    # A soundbite opens where its clip or preview does (only its length may be adjusted).
    starts = [_ms(float(b.get("startTime"))) for b in bites]
    own = [_ms(c.start) for c in episode.clips] + [_ms(p.start) for p in episode.previews]
    assert (
        sum(a == b for a, b in zip(starts, own, strict=True)) >= len(own) - 1
    )  # one may move back at the end
    assert [b.text for b in bites[: len(episode.clips)]] == [c.title for c in episode.clips]


def test_people_are_the_named_speakers_with_their_roles(seeds):
    episode, folder = seeds["producer-notebook.labelled.txt"]
    item = ET.parse(folder / "publish/rss-item.xml").getroot()
    people = {p.text: p.get("role") for p in item.findall(f"{P}person")}
    expected = {s.name: s.role for s in episode.speakers if s.name != "Unattributed"}
    assert expected and set(expected.values()) <= {"host", "guest"}
    assert people == expected
    # Only placeholder names ("Host", "Guest"): nobody to name.
    episode, folder = seeds["x-posts-that-travel.txt"]
    assert {s.name for s in episode.speakers} <= {"Host", "Guest"}
    assert ET.parse(folder / "publish/rss-item.xml").getroot().findall(f"{P}person") == []


def test_a_clip_past_two_minutes_is_trimmed_to_a_sentence_end(seeds):
    episode, folder = seeds["x-posts-that-travel.txt"]
    long = [c for c in episode.clips if c.end - c.start > SOUNDBITE_MAX]
    assert long, "the seed has a clip longer than 120 s"
    listed = json.loads((folder / "episode.json").read_text(encoding="utf-8"))["metadata"]["publish"][
        "soundbites"
    ]
    ends = {_ms(u.time_end) for u in sentence_units(episode)}
    for clip in long:
        bite = next(b for b in listed if b["kind"] == "clip" and b["number"] == episode.clips.index(clip) + 1)
        assert "trimmed" in bite["adjusted"]
        assert _ms(bite["startTime"]) == _ms(clip.start)
        assert SOUNDBITE_MIN <= bite["duration"] <= SOUNDBITE_MAX
        assert _ms(bite["startTime"] + bite["duration"]) in ends


def test_transcript_json_is_the_turns(seed):
    episode, folder = seed
    doc = json.loads((folder / "publish/transcript.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.0.0" and set(doc) == {"version", "segments"}
    turns = [t for t in episode.turns if t.text.strip()]
    assert len(doc["segments"]) == len(turns)
    for segment, turn in zip(doc["segments"], turns, strict=True):
        assert set(segment) <= {"speaker", "startTime", "endTime", "body"}
        assert {"startTime", "endTime", "body"} <= set(segment)
        assert all(isinstance(segment[k], int | float) for k in ("startTime", "endTime"))
        assert segment["endTime"] >= segment["startTime"] >= 0
        assert (_ms(segment["startTime"]), _ms(segment["endTime"])) == (_ms(turn.start), _ms(turn.end))
        assert segment["body"] == turn.text.strip()
        assert segment.get("speaker") == (
            episode.speaker_name(turn.speaker) if episode.speaker(turn.speaker) else None
        )
    starts = [s["startTime"] for s in doc["segments"]]
    turns_monotonic = all(a.start <= b.start for a, b in zip(turns, turns[1:], strict=False))
    assert all(a <= b for a, b in zip(starts, starts[1:], strict=False)) == turns_monotonic


def test_monotonic_where_the_episode_is(seeds):
    # The X posts are one timeline; the notebook's excerpts jump back (their own stamps).
    doc = json.loads(
        (seeds["x-posts-that-travel.txt"][1] / "publish/transcript.json").read_text(encoding="utf-8")
    )
    starts = [s["startTime"] for s in doc["segments"]]
    assert starts == sorted(starts) and len(starts) > 3


class _Cites(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[dict] = []
        self._tag: str | None = None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "time" or (tag == "cite"):
            if tag == "cite" or not self.blocks or "time" in self.blocks[-1]:
                self.blocks.append({})

    def handle_endtag(self, tag):
        self._tag = None

    def handle_data(self, data):
        if self._tag in {"cite", "time"}:
            self.blocks[-1][self._tag] = data
        elif self._tag == "p":
            self.blocks[-1].setdefault("p", []).append(data)


def test_transcript_html_is_cite_time_p(seed):
    episode, folder = seed
    parser = _Cites()
    parser.feed((folder / "publish/transcript.html").read_text(encoding="utf-8"))
    turns = [t for t in episode.turns if t.text.strip()]
    assert len(parser.blocks) == len(turns)
    for block, turn in zip(parser.blocks, turns, strict=True):
        if episode.speaker(turn.speaker):
            assert block["cite"] == episode.speaker_name(turn.speaker) + ":"
        minutes, seconds = block["time"].split(":")[-2:]
        hours = block["time"].split(":")[0] if block["time"].count(":") == 2 else 0
        assert int(hours) * 3600 + int(minutes) * 60 + int(seconds) == int(turn.start)
        assert " ".join(block["p"]) == " ".join(p.strip() for p in turn.text.split("\n\n") if p.strip())


# -- timelines -----------------------------------------------------------------------------


def _expected_marks(episode: Episode) -> dict[str, list[tuple[int, int]]]:
    """What the markers must say, straight from the episode: kind -> [(start ms, end ms)]."""
    total = episode_end(episode)
    chapters = []
    for n, c in enumerate(episode.chapters):
        end = (
            c.end
            if c.end is not None
            else (episode.chapters[n + 1].start if n + 1 < len(episode.chapters) else total)
        )
        chapters.append((_ms(c.start), _ms(min(end, total))))
    return {
        "chapter": sorted(chapters),
        "clip": sorted((_ms(c.start), _ms(min(c.end, total))) for c in episode.clips),
        "preview": sorted((_ms(p.start), _ms(min(p.end, total))) for p in episode.previews),
    }


def _episode_clip(timeline):
    (track,) = [t for t in timeline.tracks if t.name == "Episode"] or [timeline.tracks[0]]
    (clip,) = list(track.find_clips())
    return clip


def test_timeline_otio_markers_are_the_episode_to_the_ms(seed):
    episode, folder = seed
    timeline = otio.adapters.read_from_file(str(folder / "publish/timeline.otio"))
    clip = _episode_clip(timeline)
    assert _ms(clip.source_range.duration.to_seconds()) == _ms(episode_end(episode))
    found: dict[str, list] = {"chapter": [], "clip": [], "preview": []}
    for marker in clip.markers:
        kind = marker.metadata["castline"]["kind"]
        start = marker.marked_range.start_time.to_seconds()
        end = marker.marked_range.end_time_exclusive().to_seconds()
        found[kind].append((_ms(start), _ms(end)))
        assert marker.name.lower().startswith(kind)
    assert {k: sorted(v) for k, v in found.items()} == _expected_marks(episode)
    assert "Clean cut" not in [t.name for t in timeline.tracks]  # text input: nothing was cut


def test_fcpxml_reads_back_with_its_adapter(seed):
    episode, folder = seed
    text = (folder / "publish/timeline.fcpxml").read_text(encoding="utf-8")
    ET.fromstring(text.encode("utf-8"))  # well-formed XML
    timeline = otio.adapters.read_from_string(text, "fcpx_xml")
    clips = list(timeline.find_clips())
    assert len(clips) == 1
    markers = clips[0].markers
    expected = sorted(m for marks in _expected_marks(episode).values() for m in marks)
    got = sorted((m.marked_range.start_time.to_seconds(), m.marked_range.end_time_exclusive().to_seconds())
                 for m in markers)  # fmt: skip
    assert len(got) == len(expected)
    for (start, end), (want_start, want_end) in zip(got, expected, strict=True):
        # Frames at 25 fps: each time within half a frame (the adapter truncates on reading: one frame).
        assert abs(start - want_start / 1000) <= 1 / FPS + 1e-6
        assert abs(end - want_end / 1000) <= 2 / FPS + 1e-6
    assert all(
        re.fullmatch(r"\d+(/\d+)?s", m.get("start")) for m in ET.fromstring(text.encode()).iter("marker")
    )


def test_edl_reads_back_with_its_adapter(seed):
    episode, folder = seed
    text = (folder / "publish/timeline.edl").read_text(encoding="utf-8")
    assert text.isascii()
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=FPS)
    (clip,) = list(timeline.find_clips())
    assert abs(clip.source_range.duration.to_seconds() - episode_end(episode)) <= HALF_FRAME
    starts = sorted(m.marked_range.start_time.to_seconds() for m in clip.markers)
    expected = sorted(a / 1000 for marks in _expected_marks(episode).values() for a, _ in marks)
    assert len(starts) == len(expected)
    assert all(abs(a - b) <= HALF_FRAME for a, b in zip(starts, expected, strict=True))
    names = {m.name for m in clip.markers}
    assert any(n.startswith("CHAPTER 1:") for n in names)


def test_audacity_labels_and_audition_markers_parse(seed):
    episode, folder = seed
    expected = sorted(m for marks in _expected_marks(episode).values() for m in marks)
    labels = []
    for line in (folder / "publish/audacity-labels.txt").read_text(encoding="utf-8").splitlines():
        start, end, label = line.split("\t")
        assert float(start) <= float(end) and label.strip()
        labels.append((_ms(float(start)), _ms(float(end))))
    assert sorted(labels) == expected

    def seconds(value: str) -> float:
        parts = value.split(":")
        assert re.fullmatch(r"\d{2}\.\d{3}", parts[-1])
        return sum(float(p) * 60**i for i, p in enumerate(reversed(parts)))

    with (folder / "publish/markers.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert reader.fieldnames == ["Name", "Start", "Duration", "Time Format", "Type", "Description"]
        rows = list(reader)
    assert {r["Time Format"] for r in rows} == {"decimal"} and {r["Type"] for r in rows} == {"Cue"}
    cues = sorted((_ms(seconds(r["Start"])), _ms(seconds(r["Start"]) + seconds(r["Duration"]))) for r in rows)
    assert all(
        abs(a - b) <= 1 for x, y in zip(cues, expected, strict=True) for a, b in zip(x, y, strict=True)
    )


def test_episode_json_and_report_list_the_publish_files(seed):
    episode, folder = seed
    data = json.loads((folder / "episode.json").read_text(encoding="utf-8"))
    listed = data["metadata"]["publish"]["files"]
    assert set(listed) == set(PUBLISH_FILES)
    assert {f"publish/{p.name}" for p in (folder / "publish").iterdir()} == set(listed)
    assert data["metadata"]["publish"]["base_url"] is None
    report = (folder / "report.html").read_text(encoding="utf-8")
    for path in listed:
        assert f'href="{path}"' in report
    assert "widened from" in report  # previews under 15 s are said to be widened


# -- hand-built episodes ---------------------------------------------------------------------


def _talk(seconds: float = 400.0) -> Episode:
    sentences = " ".join(f"Sentence number {i} says one thing." for i in range(40))
    turns = [
        Turn("S1", 0.0, seconds / 2, sentences, sentences),
        Turn("S2", seconds / 2, seconds, sentences, sentences),
    ]
    return Episode(
        title="Talk",
        slug="talk",
        duration=seconds,
        speakers=[
            Speaker("S1", "Ann Host", "host"),
            Speaker("S2", "Speaker 2", "other"),
            Speaker("S3", "Cy Other", "other"),
        ],
        turns=turns,
        chapters=[Chapter(0.0, "Start"), Chapter(200.0, "Later")],
        clips=[
            Clip(10.0, 170.0, "Long one", "x", 1.0, speakers=["S1"]),
            Clip(210.0, 250.0, "Short", "y", 1.0),
        ],
        previews=[
            Preview("Sentence number 3 says one thing.", "S1", 20.0, 24.0),
            Preview("end", "S2", 395.0, 399.0),
        ],
    )


def test_soundbites_trim_long_clips_and_widen_short_previews():
    episode = _talk()
    bites = soundbites(episode)
    assert [b.kind for b in bites] == ["clip", "clip", "preview", "preview"]
    long, short, early, late = bites
    assert (
        long.start == 10.0 and SOUNDBITE_MIN <= long.duration <= SOUNDBITE_MAX and "trimmed" in long.adjusted
    )
    ends = {_ms(u.time_end) for u in sentence_units(episode)}
    assert _ms(long.end) in ends  # at a sentence end
    assert (short.start, short.duration, short.adjusted) == (210.0, 40.0, "")
    assert (early.start, early.duration) == (20.0, 15.0) and "widened" in early.adjusted
    # Near the end the widened soundbite moves back so that it stays inside the episode.
    assert late.end == pytest.approx(400.0) and late.duration == pytest.approx(15.0)


def test_placeholders_get_no_person_and_other_is_a_guest(tmp_path):
    episode = _talk()
    write_outputs(episode, tmp_path)
    item = ET.parse(tmp_path / "publish/rss-item.xml").getroot()
    assert {p.text: p.get("role") for p in item.findall(f"{P}person")} == {
        "Ann Host": "host",
        "Cy Other": "guest",
    }
    assert (
        namespace_problems((tmp_path / "publish/rss-item.xml").read_text(encoding="utf-8"), tmp_path, episode)
        == []
    )


def test_a_base_url_makes_every_url_absolute(tmp_path):
    episode = _talk()
    episode.metadata["publish_url"] = "https://cdn.example.org/shows/talk/"
    write_outputs(episode, tmp_path)
    item = ET.parse(tmp_path / "publish/rss-item.xml").getroot()
    urls = [e.get("url") for e in item if e.get("url")]
    assert "https://cdn.example.org/shows/talk/publish/transcript.json" in urls
    assert "https://cdn.example.org/shows/talk/chapters.json" in urls
    assert all(u.startswith("https://cdn.example.org/shows/talk/") for u in urls) and len(urls) == 5


def test_the_rules_catch_a_broken_item(tmp_path):
    episode = _talk()
    write_outputs(episode, tmp_path)
    good = (tmp_path / "publish/rss-item.xml").read_text(encoding="utf-8")
    broken = {
        'type="application/x-subrip"': 'type="application/srt"',
        'role="guest"': 'role="Special Guest"',
        'startTime="10.0"': 'startTime="399.0"',
        'rel="captions" />': "/>",
        "<podcast:soundbite ": '<podcast:soundbite start="1" ',
    }
    for old, new in broken.items():
        assert old in good
        assert namespace_problems(good.replace(old, new, 1), tmp_path, episode), f"not caught: {new}"
    assert namespace_problems(
        good.replace(f'xmlns:podcast="{NS}"', 'xmlns:podcast="urn:x"'), tmp_path, episode
    )


def _clean_cut_episode() -> Episode:
    timed = [("Um,", 0.0, 0.3), ("we", 0.5, 0.7), ("we", 0.8, 1.0), ("built", 1.1, 1.4), ("it.", 1.5, 1.8),
             ("Then", 3.5, 3.8), ("it", 3.9, 4.0), ("worked.", 4.1, 4.6)]  # fmt: skip
    words = [Word(t, a, b) for t, a, b in timed]
    verbatim = " ".join(w.text for w in words)
    turn = Turn("S1", 0.0, 4.6, verbatim, verbatim, words=words)
    episode = clean_episode(Episode(title="Cut", slug="cut", duration=5.0, source_format="audio",
                                    source="/audio/cut.wav", speakers=[Speaker("S1", "Ada", "guest")],
                                    turns=[turn]))  # fmt: skip
    episode.clips = [Clip(0.0, 4.6, "All of it", episode.turns[0].text, 1.0)]
    # Two previews over the same words: their cuts are the clip's, and the clean-cut track
    # (clip, preview, preview, a second of gap between) runs past the episode's end.
    episode.previews = [Preview(episode.turns[0].text, "S1", 0.0, 4.6, 0) for _ in range(2)]
    episode.chapters = [Chapter(0.0, "Only")]
    episode.metadata["process"] = {"clean_cut": True}
    return episode


def test_clean_cut_edits_show_their_cuts(tmp_path):
    episode = _clean_cut_episode()
    write_outputs(episode, tmp_path)
    timeline = otio.adapters.read_from_file(str(tmp_path / "publish/timeline.otio"))
    clip = _episode_clip(timeline)
    assert clip.media_reference.target_url == "file:///audio/cut.wav"
    cuts = [m for m in clip.markers if m.metadata["castline"]["kind"] == "cut"]
    kept = keep_spans(episode, 0.0, 4.6)
    gaps = [(_ms(a), _ms(b)) for (_, a), (b, _) in zip(kept, kept[1:], strict=False)]
    assert len(gaps) >= 2  # the stutter and the long pause
    got = [(_ms(m.marked_range.start_time.to_seconds()), _ms(m.marked_range.end_time_exclusive().to_seconds()))
           for m in cuts]  # fmt: skip
    assert sorted(got) == sorted(gaps)
    assert all(m.color == "RED" and m.marked_range.duration.value > 0 for m in cuts)
    assert any("we" in m.name for m in cuts) and any("pause" in m.name for m in cuts)
    # The clean-cut track is the kept audio, one clip per span, times to the ms.
    (track,) = [t for t in timeline.tracks if t.name == "Clean cut"]
    spans = [(_ms(c.source_range.start_time.to_seconds()), _ms(c.source_range.end_time_exclusive().to_seconds()))
             for c in track.find_clips()]  # fmt: skip
    assert spans == [(_ms(a), _ms(b)) for a, b in kept] * 3  # the clip's, then the previews'
    assert track.duration().to_seconds() > episode_end(episode)
    # FCPXML carries both tracks and the cut markers; the EDL, one track, still has the cut locators.
    fcpx = otio.adapters.read_from_file(str(tmp_path / "publish/timeline.fcpxml"))
    assert len(list(fcpx.find_clips())) == 1 + 3 * len(kept)
    edl = otio.adapters.read_from_file(str(tmp_path / "publish/timeline.edl"), rate=FPS)
    (edl_clip,) = list(edl.find_clips())
    assert sum(m.name.startswith("CUT") for m in edl_clip.markers) == len(cuts)
    labels = (tmp_path / "publish/audacity-labels.txt").read_text(encoding="utf-8")
    assert labels.count("\tCut: ") == len(cuts)
    listing = json.loads((tmp_path / "episode.json").read_text(encoding="utf-8"))["metadata"]["publish"]
    assert listing["clean_cut"] is True and listing["notes"] == []


def test_without_the_clean_cut_option_there_are_no_cuts(tmp_path):
    episode = _clean_cut_episode()
    episode.metadata["process"] = {"clean_cut": False}
    write_outputs(episode, tmp_path)
    timeline = otio.adapters.read_from_file(str(tmp_path / "publish/timeline.otio"))
    assert [t.name for t in timeline.tracks] == ["Episode"]
    assert all(m.metadata["castline"]["kind"] != "cut" for m in _episode_clip(timeline).markers)


def test_the_environment_can_say_where_episodes_are_served(tmp_path, monkeypatch):
    from castline.export.publish import publish_base_url

    episode = _talk()
    monkeypatch.setenv("CASTLINE_PUBLISH_URL", "https://cdn.example.org/episodes/{slug}/files")
    assert publish_base_url(episode) == "https://cdn.example.org/episodes/talk/files"
    monkeypatch.setenv("CASTLINE_PUBLISH_URL", "https://cdn.example.org/episodes/")
    assert publish_base_url(episode) == "https://cdn.example.org/episodes/talk"
    write_outputs(episode, tmp_path)
    item = ET.parse(tmp_path / "publish/rss-item.xml").getroot()
    assert item.find(f"{P}chapters").get("url") == "https://cdn.example.org/episodes/talk/chapters.json"
    listing = json.loads((tmp_path / "episode.json").read_text(encoding="utf-8"))["metadata"]["publish"]
    assert listing["base_url"] == "https://cdn.example.org/episodes/talk"
    monkeypatch.delenv("CASTLINE_PUBLISH_URL")
    assert publish_base_url(episode) is None
