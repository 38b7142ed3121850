"""Podcasting 2.0 transcripts in: castline reads back the JSON and HTML it publishes, and others' files."""

from __future__ import annotations

import json

import pytest

from castline.export.publish.podcasting import transcript_html, transcript_json
from castline.ingest import IngestError, read_episodes

LABELLED = """Ada Host: Welcome to the show. Today we talk about compilers.

Ben Guest: Thanks for having me. I have been writing compilers for twenty years.

Ada Host: What got you started?

Ben Guest: A broken build, honestly. I wanted to know why it broke.
"""


@pytest.fixture()
def published(tmp_path):
    source = tmp_path / "talk.txt"
    source.write_text(LABELLED, encoding="utf-8")
    (episode,) = read_episodes(source)
    return episode


def _turns(episode):
    return [(episode.speaker_name(t.speaker), " ".join(t.text.split())) for t in episode.turns]


def test_json_transcript_reads_back_with_speakers_text_and_times(published, tmp_path):
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(transcript_json(published)), encoding="utf-8")
    (episode,) = read_episodes(path)
    assert episode.source_format == "podcasting_json"
    assert _turns(episode) == _turns(published)
    assert [round(t.start, 2) for t in episode.turns] == [round(t.start, 2) for t in published.turns]
    assert not episode.times_estimated


def test_html_transcript_reads_back_with_speakers_and_text(published, tmp_path):
    path = tmp_path / "transcript.html"
    path.write_text(transcript_html(published), encoding="utf-8")
    (episode,) = read_episodes(path)
    assert episode.source_format == "podcasting_html"
    assert _turns(episode) == _turns(published)
    # <time> marks are whole seconds
    assert [int(t.start) for t in episode.turns] == [int(t.start) for t in published.turns]


def test_phrase_timed_segments_of_one_speaker_become_one_turn(tmp_path):
    segments = [
        {"speaker": "Ada", "startTime": 0.0, "endTime": 1.2, "body": "Welcome back"},
        {"speaker": "Ada", "startTime": 1.2, "endTime": 2.5, "body": "to the show."},
        {"speaker": "Ben", "startTime": 2.9, "endTime": 4.0, "body": "Glad to be here."},
        {"speaker": "Ada", "startTime": "00:00:04.500", "endTime": "00:00:06.000", "body": "So, compilers?"},
    ]
    path = tmp_path / "feed-transcript.json"
    path.write_text(json.dumps({"version": "1.0.0", "segments": segments}), encoding="utf-8")
    (episode,) = read_episodes(path)
    assert _turns(episode) == [("Ada", "Welcome back to the show."), ("Ben", "Glad to be here."),
                               ("Ada", "So, compilers?")]
    assert episode.turns[0].end == 2.5 and episode.turns[2].start == 4.5


def test_a_broken_segment_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": "1.0.0", "segments": [{"startTime": 0, "body": "Hi."},
                                                                  {"startTime": True, "body": "x"}]}))
    with pytest.raises(IngestError, match="startTime"):
        read_episodes(path)
