"""Exports on a small hand-built episode: formats parse back and say the right things."""

from __future__ import annotations

import json

import pytest

from castline.export import write_outputs
from castline.model import Chapter, Clip, Edit, Episode, Highlight, Preview, Speaker, Turn


@pytest.fixture()
def episode() -> Episode:
    turns = [
        Turn("S1", 0.0, 6.0, "So what made you start Poolside?", "Um so what made you start Poolside?"),
        Turn(
            "S2", 6.0, 30.0,
            "We saw a missing axis of scaling.\n\nReinforcement learning was it.",
            "We saw a missing axis of scaling. Reinforcement learning was it.",
            confidence=0.4,
        ),
        Turn("S1", 30.0, 40.0, "This show is sponsored by Acme.", "This show is sponsored by Acme.",
             tags=["ad"]),
    ]
    return Episode(
        title="Test episode",
        slug="test-episode",
        show="MLST",
        duration=40.0,
        speakers=[Speaker("S1", "Tim Scarfe", "host"), Speaker("S2", "Eiso Kant", "guest")],
        turns=turns,
        edits=[
            Edit("filler", "Um s", "S", 0, 0, 4),
        ],
        chapters=[Chapter(0.0, "Why Poolside", end=40.0)],
        clips=[Clip(6.0, 30.0, "A missing axis", "We saw a missing axis of scaling.", 0.9,
                    ["a contrarian claim"], ["S2"], 1, 1, ["What was missing? (1/2)", "“...” (2/2)"])],
        previews=[Preview("We saw a missing axis of scaling.", "S2", 6.0, 12.0, 1, [(0, 33)])],
        highlights=[Highlight("We saw a missing axis of scaling.", "S2", 6.0, 12.0,
                              "“We saw a missing axis of scaling.” — Eiso Kant on MLST", 55, 1, 0, 33)],
    )


def test_write_outputs_writes_the_contract(tmp_path, episode):
    paths = write_outputs(episode, tmp_path / "out")
    expected = {"episode.json", "transcript.md", "verbatim.md", "edits.md", "transcript.srt",
                "transcript.vtt", "chapters.json", "show-notes.md", "highlights.md"}
    assert expected <= set(paths)
    for path in paths.values():
        assert path.exists() and path.stat().st_size > 0
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_transcript_markdown_uses_house_headers(tmp_path, episode):
    text = write_outputs(episode, tmp_path)["transcript.md"].read_text(encoding="utf-8")
    assert "\nTim Scarfe 00:00:00\nSo what made you start Poolside?\n" in text
    # two paragraphs, low confidence marked, sponsor read set apart
    assert "Eiso Kant 00:00:06 (speaker uncertain, 0.40)" in text
    assert "We saw a missing axis of scaling.\n\nReinforcement learning was it." in text
    assert "> **Sponsor read** — Tim Scarfe 00:00:30" in text


def test_srt_and_vtt_parse_back(tmp_path, episode):
    import srt
    import webvtt

    paths = write_outputs(episode, tmp_path)
    subs = list(srt.parse(paths["transcript.srt"].read_text(encoding="utf-8")))
    assert subs[0].content.startswith("Tim Scarfe: ")
    assert all(s.end > s.start for s in subs)
    assert all(a.end <= b.start for a, b in zip(subs, subs[1:], strict=False))
    captions = webvtt.read(str(paths["transcript.vtt"]))
    assert any("<v Eiso Kant>" in c.raw_text for c in captions)
    assert len(captions) == len(subs)


def test_chapters_json_is_podcasting_2(tmp_path, episode):
    doc = json.loads(write_outputs(episode, tmp_path)["chapters.json"].read_text(encoding="utf-8"))
    assert doc["version"] == "1.2.0"
    assert doc["chapters"] == [{"startTime": 0.0, "title": "Why Poolside", "endTime": 40.0}]


def test_edit_review_strikes_deletions(tmp_path, episode):
    text = write_outputs(episode, tmp_path)["edits.md"].read_text(encoding="utf-8")
    assert "~~Um s~~**S**o what made you start Poolside?" in text


def test_highlights_markdown_lists_everything(tmp_path, episode):
    text = write_outputs(episode, tmp_path)["highlights.md"].read_text(encoding="utf-8")
    assert "(00:00:00) – Why Poolside" in text
    assert "### 1. A missing axis" in text
    assert "— Eiso Kant on MLST" in text
    assert "55/280" in text


def test_invalid_episode_is_refused(tmp_path, episode):
    import jsonschema

    episode.speakers[0].role = "producer"
    with pytest.raises(jsonschema.ValidationError):
        write_outputs(episode, tmp_path)


def test_edit_review_lists_glossary_suggestions(tmp_path, episode):
    episode.metadata["glossary_suggestions"] = [{"heard": "DeepSeq", "likely": "DeepSeek", "score": 0.91}]
    text = write_outputs(episode, tmp_path)["edits.md"].read_text(encoding="utf-8")
    assert "## Glossary suggestions" in text and "“DeepSeq” → “DeepSeek” (0.91)" in text


def test_committed_schema_is_a_valid_schema():
    # Runs build the validator without re-checking the schema each process; this checks it.
    from jsonschema.validators import validator_for

    from castline.export.episode_json import load_schema

    schema = load_schema()
    validator_for(schema).check_schema(schema)
    assert schema.get("$schema"), "the schema names its draft, so validator_for picks the right one"
