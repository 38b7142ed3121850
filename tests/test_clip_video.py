"""castline.export.clip_video: captioned vertical and square clip videos, on the real sample audio.

The pyannote sample (two people talking) is transcribed with whisperX, its words
given the reference speakers of the sample's RTTM, and cut into a short clip
across a speaker change, an elided preview and a clip too short for a video.
The videos are checked as a platform would take them (ffprobe: codecs, sizes,
duration), as a listener hears them (loudness), and as a viewer reads them
(the caption pixels on a decoded frame, inside the safe area, and OCR).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from audio_fixtures import needs_ffmpeg, needs_modules, sample_files

from castline.export.clip_video_captions import LAYOUTS, TimedWord, caption_groups, text_width_em
from castline.model import Clip, Episode, Preview, Speaker

pytestmark = [needs_ffmpeg(), needs_modules("pyloudnorm", "whisperx", "pysubs2")]

SHOW_PROFILE = """name: Test Show
title: The Test Show
hosts: [Ada Host]
video:
  font: No Such Font Sans
  highlight: "#39FF14"
  background: "#102030"
"""
HIGHLIGHT = (0x39, 0xFF, 0x14)
BACKGROUND = (0x10, 0x20, 0x30)


def _sample_episode() -> Episode:
    """The transcribed sample, each word given its reference speaker (RTTM), with clips and a preview."""
    from test_asr import transcribe_sample

    episode = Episode.from_dict(transcribe_sample().to_dict())
    episode.show = "Test Show"
    turns = []
    for line in sample_files()["rttm"].read_text().splitlines():
        parts = line.split()
        turns.append((float(parts[3]), float(parts[3]) + float(parts[4]), parts[7]))
    ids = {label: f"S{n}" for n, label in enumerate(dict.fromkeys(t[2] for t in turns), start=1)}
    for turn in episode.turns:
        for word in turn.words:
            middle = (word.start + word.end) / 2
            word.speaker = next((ids[s] for a, b, s in turns if a <= middle <= b), None)
    episode.speakers = [Speaker("S1", "Ada Host", "host"), Speaker("S2", "Ben Guest", "guest")]
    words = [w for t in episode.turns for w in t.words]
    change = next(i for i in range(6, len(words) - 6) if words[i].speaker != words[i - 1].speaker
                  and words[i].speaker and words[i - 1].speaker)  # fmt: skip
    first, last = change - 5, change + 5
    episode.clips = [
        Clip(start=words[first].start, end=words[last].end, title="Where they are from", text="x", score=1.0),
        Clip(start=words[0].start, end=words[0].start + 0.5, title="Too short", text="x", score=0.5),
    ]
    longest = max(range(len(episode.turns)), key=lambda i: len(episode.turns[i].words))
    turn = episode.turns[longest]
    first_cut = len(" ".join(w.text for w in turn.words[:4]))
    last_start = len(" ".join(w.text for w in turn.words[:-4])) + 1
    episode.previews = [
        Preview(text=f"{turn.text[:first_cut]} [...] {turn.text[last_start:]}", speaker=turn.speaker,
                start=turn.start, end=turn.end, turn=longest,
                spans=[(0, first_cut), (last_start, len(turn.text))]),
    ]  # fmt: skip
    return episode


@pytest.fixture(scope="module")
def shows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shows")
    (folder / "test-show.yaml").write_text(SHOW_PROFILE, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CASTLINE_SHOWS", str(folder))
        yield folder


@pytest.fixture(scope="module")
def audiogram(shows, tmp_path_factory):
    """The sample episode's clips cut with videos: (episode folder, episode)."""
    from castline.export.clip_audio import cut_clips

    episode = _sample_episode()
    out = tmp_path_factory.mktemp("episode")
    cut_clips(episode, sample_files()["wav"], out, video=True)
    return out, episode


@pytest.fixture(scope="module")
def from_video(shows, tmp_path_factory):
    """The same clips cut from a landscape video of the sample whose brightness counts frames."""
    from castline.export.clip_audio import cut_clips

    folder = tmp_path_factory.mktemp("video")
    source = folder / "sample.mp4"
    # Luma 16 + (frame number mod 200): a frame's brightness says which source frame it is.
    # (Decoded to RGB that reads as (frame mod 200) * 255 / 219: video luma starts at 16.)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "color=c=black:s=320x180:r=25,format=yuv420p,geq=lum='16+mod(N,200)':cb=128:cr=128",
         "-i", str(sample_files()["wav"]), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
         "-c:a", "aac", str(source)],
        check=True,
    )  # fmt: skip
    episode = _sample_episode()
    episode.clips = episode.clips[:1]
    cut_clips(episode, source, folder, video=True)
    return folder, episode


def _probe(path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def _frame(path, seconds: float, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def _entries(episode) -> dict[str, dict]:
    return {f"{e['kind']}-{e['number']:02d}": e for e in episode.metadata["clip_video"]["files"]}


def _clip_words(episode, clip):
    """The words cut_clips put in ``clip`` and the clip's start in the episode."""
    from castline.export.clip_audio import _WordIndex

    index = _WordIndex(episode)
    start, end = index.snap(clip.start, clip.end)
    return index.within(start, end), start


def _captions(folder, entry, name: str):
    import pysubs2

    return pysubs2.load(str(folder / next(c for c in entry["captions"] if f".{name}." in c)))


_HIGHLIGHTED = re.compile(r"\{\\1c&H([0-9A-F]{6})&\}(.*?)\{\\1c")


@pytest.mark.parametrize("fixture", ["audiogram", "from_video"])
def test_sizes_codecs_and_duration(fixture, request):
    folder, episode = request.getfixturevalue(fixture)
    from pydub import AudioSegment

    entries = _entries(episode)
    expected = {"clip-01", "preview-01"}
    assert set(entries) == expected
    for stem, entry in entries.items():
        audio_seconds = len(AudioSegment.from_file(str(folder / entry["audio"]))) / 1000
        assert abs(entry["duration"] - audio_seconds) <= 0.1, stem
        for name, (width, height) in {"vertical": (1080, 1920), "square": (1080, 1080)}.items():
            info = _probe(folder / entry[name])
            video = [s for s in info["streams"] if s["codec_type"] == "video"]
            audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
            assert len(video) == 1 and len(audio) == 1, (stem, name)
            assert video[0]["codec_name"] == "h264" and audio[0]["codec_name"] == "aac"
            assert (video[0]["width"], video[0]["height"]) == (width, height)
            assert video[0]["pix_fmt"] == "yuv420p"
            assert abs(float(info["format"]["duration"]) - entry["duration"]) <= 0.05, (stem, name)
            assert abs(float(video[0]["duration"]) - entry["duration"]) <= 0.05, (stem, name)
            assert abs(float(audio[0]["duration"]) - entry["duration"]) <= 0.05, (stem, name)
    assert not list((folder / "clips").glob(".*"))  # no partial or scratch files left


def test_video_audio_is_loudness_normalised(audiogram):
    from pydub import AudioSegment

    from castline.export.clip_audio import TARGET_LUFS, _as_float, loudness

    folder, episode = audiogram
    for entry in _entries(episode).values():
        for name in ("vertical", "square"):
            segment = AudioSegment.from_file(str(folder / entry[name]))
            assert abs(loudness(_as_float(segment), segment.frame_rate) - TARGET_LUFS) <= 0.5, entry[name]


def test_too_short_clip_and_missing_font_leave_notes_and_the_rest(audiogram):
    folder, episode = audiogram
    notes = episode.metadata["clip_video"]["notes"]
    assert any("clip-02" in n and "too short" in n for n in notes), notes
    assert any("No Such Font Sans" in n and "DejaVu Sans" in n for n in notes), notes
    assert episode.clips[1].audio == "clips/clip-02.mp3" and (folder / episode.clips[1].audio).exists()
    assert not list((folder / "clips").glob("clip-02*.mp4"))
    subs = _captions(folder, _entries(episode)["clip-01"], "vertical")
    assert subs.styles["Caption"].fontname == "DejaVu Sans"


def test_captions_highlight_each_word_at_its_time_in_two_lines_at_most(audiogram):
    folder, episode = audiogram
    entry = _entries(episode)["clip-01"]
    words, start = _clip_words(episode, episode.clips[0])
    assert len(words) >= 8
    for name in ("vertical", "square"):
        subs = _captions(folder, entry, name)
        assert subs.info["WrapStyle"] == "2"  # only our line breaks: libass adds none
        events = [e for e in subs.events if e.style == "Caption"]
        highlighted = []
        for event in events:
            assert event.text.count("\\N") <= 1, event.text
            (colour, word), *rest = _HIGHLIGHTED.findall(event.text)
            assert not rest and colour == "14FF39"  # the profile's #39FF14, as ASS writes it (BGR)
            highlighted.append((event.start / 1000, event.end / 1000, word))
        assert [w for _, _, w in highlighted] == [w.text for w in words]
        for (shown, _, _), word in zip(highlighted, words, strict=True):
            assert abs(shown - (word.start - start)) <= 0.011  # ASS keeps centiseconds
        assert all(
            a <= b and b <= c for (a, b, _), (c, _, _) in zip(highlighted, highlighted[1:], strict=False)
        )
        # The show's title on top; the speaker's name changes where the words' speaker does.
        assert [e.text for e in subs.events if e.style == "Show"] == ["The Test Show"]
        names = {"S1": "Ada Host", "S2": "Ben Guest"}
        turns = [names[w.speaker] for i, w in enumerate(words) if w.speaker and
                 (i == 0 or w.speaker != words[i - 1].speaker)]  # fmt: skip
        assert [e.text for e in subs.events if e.style == "Speaker"] == turns
        assert len(turns) >= 2


def _caption_pixels(frame: np.ndarray, below: int) -> tuple[np.ndarray, np.ndarray]:
    """(mask of pixels unlike the background under row ``below``, the frame's rows there)."""
    region = frame[below:].astype(int)
    distance = np.abs(region - np.array(BACKGROUND)).sum(axis=2)
    return distance > 150, region


@pytest.mark.parametrize("name", ["vertical", "square"])
def test_captions_are_burnt_in_inside_the_safe_area(audiogram, name):
    folder, episode = audiogram
    entry = _entries(episode)["clip-01"]
    layout = LAYOUTS[name]
    subs = _captions(folder, entry, name)
    events = [e for e in subs.events if e.style == "Caption" and e.end - e.start >= 120]
    below = layout.wave.y + layout.wave.height + 5
    safe = layout.safe_box
    # Every third caption, and each one-word caption (all of it highlighted: nothing white).
    sampled = [
        e for i, e in enumerate(events) if i % max(1, len(events) // 3) == 0 or len(e.plaintext.split()) == 1
    ]
    assert any(len(e.plaintext.split()) > 1 for e in sampled)
    for event in sampled:
        frame = _frame(folder / entry[name], (event.start + event.end) / 2000, layout.width, layout.height)
        mask, region = _caption_pixels(frame, below)
        rows, cols = np.nonzero(mask)
        assert rows.size > 500, f"no caption on the frame at {event.start} ms"
        top, bottom = rows.min() + below, rows.max() + below
        assert safe.x <= cols.min() and cols.max() < safe.x + safe.width, (cols.min(), cols.max())
        assert safe.y <= top and bottom < safe.y + safe.height, (top, bottom)
        assert bottom - top <= 2 * 1.35 * layout.caption_size  # two lines at most
        white = (region[mask] > 220).all(axis=1).sum()
        lit = (np.abs(region[mask] - np.array(HIGHLIGHT)).sum(axis=1) < 90).sum()
        assert lit > 50, (event.plaintext, white, lit)  # the word being said
        # The rest of the caption in white; a one-word caption ("Okay.") is all highlight.
        others = len(event.plaintext.split()) > 1
        assert (white > 200) == others, (event.plaintext, white, lit)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_ocr_reads_the_clip_words_off_a_frame(audiogram):
    folder, episode = audiogram
    entry = _entries(episode)["clip-01"]
    layout = LAYOUTS["vertical"]
    subs = _captions(folder, entry, "vertical")
    event = max((e for e in subs.events if e.style == "Caption"), key=lambda e: len(e.plaintext))
    frame = _frame(folder / entry["vertical"], (event.start + event.end) / 2000, layout.width, layout.height)
    crop = frame[layout.wave.y + layout.wave.height :, :]
    # Dark text on white reads best: invert, then greyscale.
    grey = (255 - crop.mean(axis=2)).astype(np.uint8)
    pgm = folder / "ocr.pgm"
    pgm.write_bytes(f"P5 {grey.shape[1]} {grey.shape[0]} 255\n".encode() + grey.tobytes())
    text = subprocess.run(["tesseract", str(pgm), "-", "--psm", "6"], capture_output=True, text=True).stdout

    def tokens(value: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", value.lower())

    wanted = tokens(event.plaintext)
    found = set(tokens(text))
    assert sum(w in found for w in wanted) >= max(1, int(0.6 * len(wanted))), (wanted, text)


def test_listing_validates_and_report_plays_the_videos(audiogram):
    from castline.export.episode_json import write_episode_json
    from castline.export.report import episode_report_html

    folder, episode = audiogram
    write_episode_json(episode, folder / "episode.json")
    saved = json.loads((folder / "episode.json").read_text(encoding="utf-8"))
    files = saved["metadata"]["clip_video"]["files"]
    assert [f["picture"] for f in files] == ["audiogram", "audiogram"]
    html = episode_report_html(episode)
    for entry in files:
        assert (
            f'<video class="clip-video" controls preload="none" playsinline src="{entry["vertical"]}">'
            in html
        )
        assert f'href="{entry["square"]}"' in html


def test_video_source_is_cropped_or_framed_and_follows_the_audio(from_video):
    from castline.export.clip_audio import CROSSFADE_MS, _WordIndex, span_times

    folder, episode = from_video
    entries = _entries(episode)
    assert {e["picture"] for e in entries.values()} == {"video"}
    index = _WordIndex(episode)
    # The clip: one span, so clip time t shows source time start + t.
    entry = entries["clip-01"]
    assert entry["framing"] == {"vertical": "framed", "square": "cropped"}
    start, _ = index.snap(episode.clips[0].start, episode.clips[0].end)
    # The preview: two spans joined with a crossfade, so its second piece starts that much early.
    preview = episode.previews[0]
    turn = episode.turns[preview.turn]
    (a1, b1), (a2, _) = [index.snap(*span_times(turn, a, b)) for a, b in preview.spans]
    second_at = (b1 - a1) - CROSSFADE_MS / 1000
    checks = [
        (entry, 0.5, start + 0.5),
        (entry, entry["duration"] - 0.5, start + entry["duration"] - 0.5),
        (entries["preview-01"], 0.3, a1 + 0.3),
        (entries["preview-01"], entries["preview-01"]["duration"] - 0.3,
         a2 + entries["preview-01"]["duration"] - 0.3 - second_at),
    ]  # fmt: skip
    for item, at, source_time in checks:
        for name, rows in {"vertical": slice(520, 620), "square": slice(300, 400)}.items():
            layout = LAYOUTS[name]
            frame = _frame(folder / item[name], at, layout.width, layout.height)
            luma = frame[rows, 200:800].mean()
            expected = (round(source_time * 25) % 200) * 255 / 219
            assert abs(luma - expected) <= 4.5, (item[name], at, luma, expected)  # a frame either way
    # Framed: the band above the picture is the background (bar the show's name); cropped fills the frame.
    vertical = _frame(folder / entry["vertical"], 0.5, 1080, 1920)
    assert np.abs(vertical[100:200].astype(int) - np.array(BACKGROUND)).sum(axis=2).mean() < 12
    assert _frame(folder / entry["square"], 0.5, 1080, 1080)[40:60].std() < 3


def test_no_video_when_turned_off(tmp_path, monkeypatch):
    from castline.export.clip_audio import cut_clips

    episode = _sample_episode()
    episode.previews = []
    episode.clips = episode.clips[:1]
    monkeypatch.setenv("CASTLINE_CLIP_VIDEO", "0")
    cut_clips(episode, sample_files()["wav"], tmp_path)
    assert episode.clips[0].audio == "clips/clip-01.mp3"
    assert "clip_video" not in episode.metadata
    assert not list((tmp_path / "clips").glob("*.mp4"))


def _words(text: str, speaker: str = "A", start: float = 0.0, step: float = 0.3) -> list[TimedWord]:
    return [
        TimedWord(start + i * step, start + i * step + 0.25, w, speaker) for i, w in enumerate(text.split())
    ]


def test_caption_groups_keep_two_short_lines_and_break_at_turns():
    text = ("internationalisation and the extraordinarily long words of a clip keep on coming "
            "while the speaker talks on and on without a pause or a full stop for quite a while")  # fmt: skip
    words = _words(text) + _words("Yes, exactly right.", speaker="B", start=20.0)
    layout = LAYOUTS["vertical"]
    max_em = layout.caption_em
    groups = caption_groups(words, max_em)
    flat = [w for g in groups for line in g for w in line]
    assert flat == words  # every word once, in order
    for group in groups:
        assert 1 <= len(group) <= 2
        assert len({w.speaker for line in group for w in line}) == 1
        for line in group:
            assert len(line) == 1 or text_width_em(" ".join(w.text for w in line)) <= max_em
        assert group[-1][-1].end - group[0][0].start <= 3.0 + 0.3
    # The other speaker's words make their own caption, one line since they fit in one.
    assert groups[-1] == [_words("Yes, exactly right.", speaker="B", start=20.0)]
    assert len(groups) >= 4  # ~150 characters of one speaker: more than one caption can hold
