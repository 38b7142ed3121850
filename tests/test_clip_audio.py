"""castline.export.clip_audio: clip and preview audio with captions, on real audio."""

from __future__ import annotations

import subprocess

import pytest
from audio_fixtures import needs_ffmpeg, needs_modules, sample_files

from castline.model import Clip, Episode, Preview, Turn, Word

needs_ffmpeg = needs_ffmpeg()




pytestmark = [
    needs_ffmpeg,
    needs_modules("pyloudnorm", "whisperx"),
]


@pytest.fixture(scope="module")
def episode_with_clips() -> Episode:
    """The sample, transcribed and diarized, with one clip and two previews (one elided)."""
    from test_asr import transcribe_sample
    from test_audio_diarize import diarize_sample

    from castline.diarize.assign import assign_words

    episode = assign_words(Episode.from_dict(transcribe_sample().to_dict()), diarize_sample())
    words = [w for t in episode.turns for w in t.words]
    # A clip from the fourth word to the last-but-two, with edges a little off the words.
    start, end = words[3].start + 0.05, words[-3].end - 0.05
    episode.clips = [Clip(start=start, end=end, title="Where are you from", text="", score=1.0)]
    longest = max(range(len(episode.turns)), key=lambda i: len(episode.turns[i].words))
    turn = episode.turns[longest]
    text = turn.text
    first_cut = len(" ".join(w.text for w in turn.words[:3]))
    last_start = len(" ".join(w.text for w in turn.words[:-3])) + 1
    episode.previews = [
        Preview(
            text=text,
            speaker=turn.speaker,
            start=turn.start,
            end=turn.end,
            turn=longest,
            spans=[(0, len(text))],
        ),
        Preview(
            text=f"{text[:first_cut]} [...] {text[last_start:]}",
            speaker=turn.speaker,
            start=turn.start,
            end=turn.end,
            turn=longest,
            spans=[(0, first_cut), (last_start, len(text))],
        ),
    ]
    return episode


@pytest.fixture(scope="module")
def cut(episode_with_clips, tmp_path_factory):
    from castline.export.clip_audio import cut_clips

    out = tmp_path_factory.mktemp("episode")
    cut_clips(episode_with_clips, sample_files()["wav"], out)
    return out, episode_with_clips


def _decode(path):
    from pydub import AudioSegment

    from castline.export.clip_audio import _as_float

    segment = AudioSegment.from_file(str(path))
    return _as_float(segment), segment.frame_rate, len(segment) / 1000


def test_files_and_paths(cut):
    out, episode = cut
    assert episode.clips[0].audio == "clips/clip-01.mp3"
    assert [p.audio for p in episode.previews] == ["clips/preview-01.mp3", "clips/preview-02.mp3"]
    for item in [*episode.clips, *episode.previews]:
        audio = out / item.audio
        assert audio.stat().st_size > 1000
        assert audio.with_suffix(".srt").exists() and audio.with_suffix(".vtt").exists()
    assert not list((out / "clips").glob(".*"))  # no partial files left


def test_clip_duration_matches_span_and_loudness_is_minus_16(cut):
    from castline.export.clip_audio import TARGET_LUFS, loudness

    out, episode = cut
    clip = episode.clips[0]
    samples, rate, seconds = _decode(out / clip.audio)
    assert abs(seconds - (clip.end - clip.start)) <= 0.3
    assert abs(loudness(samples, rate) - TARGET_LUFS) <= 0.5
    for preview in episode.previews:
        samples, rate, _ = _decode(out / preview.audio)
        assert abs(loudness(samples, rate) - TARGET_LUFS) <= 0.5


def test_elided_preview_is_shorter_than_the_whole_turn(cut):
    out, episode = cut
    whole = _decode(out / episode.previews[0].audio)[2]
    elided = _decode(out / episode.previews[1].audio)[2]
    assert abs(whole - (episode.previews[0].end - episode.previews[0].start)) <= 0.4
    assert 0.5 < elided < whole - 0.5


def test_captions_parse_and_are_relative_to_the_clip(cut):
    import srt
    import webvtt

    out, episode = cut
    clip = episode.clips[0]
    seconds = _decode(out / clip.audio)[2]
    cues = list(srt.parse((out / clip.audio).with_suffix(".srt").read_text(encoding="utf-8")))
    assert cues and cues[0].start.total_seconds() < 0.5
    assert all(0 <= c.start.total_seconds() < c.end.total_seconds() <= seconds + 0.2 for c in cues)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
    vtt = webvtt.read(str((out / clip.audio).with_suffix(".vtt")))
    assert len(vtt.captions) == len(cues)
    spoken = " ".join(c.content for c in cues)
    words = [
        w.text
        for w in sorted((w for t in episode.turns for w in t.words), key=lambda w: w.start)
        if clip.start <= (w.start + w.end) / 2 <= clip.end
    ]
    # Every word of the clip (its middle inside the clip's span) is captioned, in time order
    # (speaker prefixes aside).
    position = 0
    for word in words:
        position = spoken.find(word, position)
        assert position >= 0, word
    elided = list(
        srt.parse((out / episode.previews[1].audio).with_suffix(".srt").read_text(encoding="utf-8"))
    )
    assert len(elided) >= 2  # one cue per span at least


def test_snaps_to_word_boundaries_without_words_in_neighbours(tmp_path):
    from castline.export.clip_audio import _WordIndex, span_times

    words = [Word("One", 1.0, 1.4), Word("two", 1.6, 2.0), Word("three.", 2.2, 2.8), Word("Four", 4.0, 4.5)]
    turn = Turn("S1", 1.0, 4.5, "One two three. Four", "One two three. Four", words=words)
    episode = Episode(title="t", slug="t", turns=[turn])
    index = _WordIndex(episode)
    start, end = index.snap(1.7, 2.6)
    assert 1.5 <= start < 1.6 and 2.8 < end <= 2.92
    assert span_times(turn, 4, 13) == (1.6, 2.8)  # "two three"


def test_rejects_unknown_format(tmp_path):
    from castline.export.clip_audio import cut_clips

    with pytest.raises(ValueError, match="format"):
        cut_clips(Episode(title="t", slug="t"), tmp_path / "x.wav", tmp_path, fmt="aiff")


def test_ffprobe_sees_mp3(cut):
    out, episode = cut
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
            str(out / episode.clips[0].audio),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "mp3"
