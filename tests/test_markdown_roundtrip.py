"""castline's own transcript.md, read back: a producer edits a header and processes it again.

The opening of the MLST seed (cold open, the host's introduction, a sponsor read and
uncertain attributions in its first 30 lines) runs through every stage; its
``transcript.md`` is read back and processed again, as written and after a producer's
edits. Everything is compared with the first run, nothing with fixed values.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from castline.diarize import UNATTRIBUTED
from castline.export import write_outputs
from castline.export.markdown import LOW_CONFIDENCE, transcript_markdown
from castline.ingest import detect_format, read_episodes
from castline.model import Episode, Turn
from castline.pipeline import build_settings, process

SEED = Path(__file__).resolve().parent.parent / "seeds" / "mlst-eiso-kant.raw.txt"
TITLE = "Eiso Kant (Poolside): scaling reinforcement learning for code"
HEADER = re.compile(r"^(?:> \*\*Sponsor read\*\* — )?(?P<name>.+?) (?P<time>\d{2}:\d{2}:\d{2})(?P<rest>.*)$")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Episode, Path]:
    """The seed's opening processed as `make run` would (speakers hint, show), and its transcript.md."""
    folder = tmp_path_factory.mktemp("roundtrip")
    source = folder / "mlst-opening.txt"
    source.write_text("\n".join(SEED.read_text(encoding="utf-8").split("\n")[:30]) + "\n", encoding="utf-8")
    [episode] = read_episodes(source, title=TITLE)
    settings = build_settings(speakers="Tim Scarfe:host,Eiso Kant:guest", title=TITLE, show="MLST")
    first = process(episode, settings)
    paths = write_outputs(first, folder / "out" / first.slug)
    tags = {tag for turn in first.turns for tag in turn.tags}
    # The round trip only proves something when the first run has all of these to lose.
    assert {"cold_open", "intro", "ad"} <= tags, tags
    assert any(t.confidence < LOW_CONFIDENCE for t in first.turns)
    assert {s.role for s in first.speakers} == {"host", "guest"}
    return first, paths["transcript.md"]


def _written(episode: Episode) -> list[Turn]:
    """The turns transcript.md shows (it leaves out turns without text)."""
    return [t for t in episode.turns if t.text.strip()]


def _names(episode: Episode, turns: list[Turn]) -> list[str]:
    return [episode.speaker_name(t.speaker) for t in turns]


def _assert_same_story(first: Episode, again: Episode, turns: list[Turn]) -> None:
    """Speakers per turn, names, roles and structure tags of ``first`` in ``again``."""
    before = _written(first)
    assert len(turns) == len(before)
    assert _names(again, turns) == _names(first, before)
    assert [sorted(t.tags) for t in turns] == [sorted(t.tags) for t in before]
    assert sorted((s.name, s.role) for s in again.speakers) == sorted((s.name, s.role) for s in first.speakers)
    assert UNATTRIBUTED not in {s.name for s in again.speakers}
    assert all(t.speaker is not None for t in turns)


def test_transcript_reads_back_as_the_turns_it_shows(first_run):
    first, transcript = first_run
    text = transcript.read_text(encoding="utf-8")
    assert detect_format(text, ".md") == "castline_markdown"
    [again] = read_episodes(transcript)
    assert again.source_format == "castline_markdown"
    _assert_same_story(first, again, again.turns)
    # The words, in order, are the readable text of the first run.
    assert [w for t in again.turns for w in t.verbatim.split()] == [
        w for t in _written(first) for w in t.text.split()
    ]
    # Title and show from the preamble; times from the headers (written to the second).
    assert (again.title, again.slug, again.show) == (first.title, first.slug, first.show)
    assert [round(t.start) for t in again.turns] == [round(t.start) for t in _written(first)]
    assert again.times_estimated == first.times_estimated
    # Uncertain attributions stay uncertain, with the confidence the header shows.
    assert [round(t.confidence, 2) if t.confidence < LOW_CONFIDENCE else None for t in again.turns] == [
        round(t.confidence, 2) if t.confidence < LOW_CONFIDENCE else None for t in _written(first)
    ]


def test_no_header_or_preamble_is_read_as_speech(first_run):
    first, transcript = first_run
    [again] = read_episodes(transcript)
    spoken = "\n".join(t.verbatim for t in again.turns)
    for mark in ("speaker uncertain", "· cold open", "· introduction", "Sponsor read", "Readable transcript",
                 "Times are estimated", first.title):
        assert mark not in spoken, mark
    assert not [line for line in spoken.split("\n") if line.startswith(("#", ">"))]
    for turn in again.turns:
        assert not HEADER.match(turn.verbatim.split("\n")[0]), turn.verbatim[:80]
    assert again.metadata["format_details"]["uncertain_marks"] == sum(
        t.confidence < LOW_CONFIDENCE for t in _written(first)
    )


def test_second_run_keeps_speakers_roles_and_tags(first_run):
    first, transcript = first_run
    [again] = read_episodes(transcript)
    second = process(again, build_settings())  # no hint: what the file says is all there is
    _assert_same_story(first, second, second.turns)
    assert transcript_markdown(second).count("speaker uncertain") == transcript.read_text(
        encoding="utf-8"
    ).count("speaker uncertain")


def _edit(text: str, line_no: int, change) -> str:
    lines = text.split("\n")
    lines[line_no] = change(lines[line_no])
    return "\n".join(lines)


def _header_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n")) if HEADER.match(line) and not line.startswith("*")]


def test_edited_header_reattributes_that_turn(first_run, tmp_path):
    first, transcript = first_run
    text = transcript.read_text(encoding="utf-8")
    headers = _header_lines(text)
    assert len(headers) == len(_written(first))
    # The producer renames the speaker of one turn in the middle.
    pick = len(headers) // 2
    old_name = HEADER.match(text.split("\n")[headers[pick]])["name"]
    edited = _edit(text, headers[pick], lambda line: line.replace(old_name, "Keith Duggar", 1))
    path = tmp_path / "transcript.md"
    path.write_text(edited, encoding="utf-8")
    [again] = read_episodes(path)
    names = _names(again, again.turns)
    expected = _names(first, _written(first))
    expected[pick] = "Keith Duggar"
    assert names == expected
    assert len(again.turns) == len(_written(first))
    # Reprocessed, the turn stays Keith Duggar's and transcript.md says so.
    second = process(again, build_settings())
    assert _names(second, second.turns) == expected
    assert re.search(r"^Keith Duggar \d{2}:\d{2}:\d{2}", transcript_markdown(second), re.MULTILINE)


def test_removed_uncertain_mark_confirms_the_speaker(first_run, tmp_path):
    first, transcript = first_run
    text = transcript.read_text(encoding="utf-8")
    headers = _header_lines(text)
    uncertain = [n for n, i in enumerate(headers) if "(speaker uncertain" in text.split("\n")[i]]
    assert uncertain
    pick = uncertain[0]
    edited = _edit(text, headers[pick], lambda line: re.sub(r" \(speaker uncertain, [\d.]+\)", "", line))
    path = tmp_path / "transcript.md"
    path.write_text(edited, encoding="utf-8")
    [again] = read_episodes(path)
    assert again.turns[pick].confidence == 1.0
    assert _names(again, again.turns) == _names(first, _written(first))
    others = [t.confidence for n, t in enumerate(again.turns) if n in uncertain and n != pick]
    assert all(c < LOW_CONFIDENCE for c in others)


def test_producer_variants_of_a_header(first_run, tmp_path):
    """A lowercase name, a role in the header, a tag typed by hand, the preamble removed."""
    first, transcript = first_run
    text = transcript.read_text(encoding="utf-8")
    headers = _header_lines(text)
    lines = text.split("\n")
    plain = [n for n, i in enumerate(headers) if HEADER.match(lines[i])["rest"] == "" and ">" not in lines[i]]
    assert len(plain) >= 2
    a, b = plain[-2], plain[-1]
    lines[headers[a]] = re.sub(r"^.+? (\d{2}:\d{2}:\d{2})$", r"keith duggar (host) \1", lines[headers[a]])
    lines[headers[b]] += " · Closing"
    path = tmp_path / "transcript.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    [again] = read_episodes(path)
    assert again.turns[a].speaker is not None
    assert again.speaker(again.turns[a].speaker).name == "keith duggar"
    assert again.speaker(again.turns[a].speaker).role == "host"
    assert "outro" in again.turns[b].tags
    assert len(again.turns) == len(_written(first))
    # Without the preamble the decorated headers still say whose turn is whose.
    body = "\n".join(text.split("\n")[4:])
    assert not body.startswith("#")
    path.write_text(body, encoding="utf-8")
    [bare] = read_episodes(path)
    assert bare.source_format == "castline_markdown"
    assert _names(bare, bare.turns) == _names(first, _written(first))
    assert [sorted(t.tags) for t in bare.turns] == [sorted(t.tags) for t in _written(first)]
