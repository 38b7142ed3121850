"""A producer's transcript plus the episode's audio: the transcript's words take the recording's times.

Unit tests pin the alignment on hand-made word lists; the end-to-end tests speak
an interview with espeak-ng (tests/audio_fixtures.py, reference turn times
measured from the rendered audio), hand process_episode the reference text
(labelled, then unlabelled) with the audio, and hold the turn times, the names
and the speakers against the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audio_fixtures import build_interview, cached, espeak_available

from castline.model import Word
from castline.speech.align import UNALIGNED_WORDS, align_words, word_key

NAMES = {"host": "Ada Host", "guest": "Ben Guest"}
#: Not in the audio: the alignment must say so and still time it between its neighbours.
INSERTED = ("This paragraph was written into the transcript after the recording was made, "
            "and nobody ever said any of these words out loud on the show.")


def _heard(text: str, step: float = 0.5) -> list[Word]:
    return [Word(w, i * step, i * step + 0.4) for i, w in enumerate(text.split())]


def test_matching_words_take_the_heard_times_and_a_missing_stretch_is_reported():
    heard = _heard("so we built poolside in twenty twenty three because the models were bad and then we grew")
    text = ("So, we built Poolside in 2023 because, honestly, the models were bad. "
            "Here is a long sentence the audio never had in it at all. And then we grew.").split()
    times, report = align_words(text, heard)
    kinds = dict(zip(text, report.kinds, strict=False))
    assert times[text.index("Poolside")] == (1.5, 1.9) and kinds["Poolside"] == "matched"
    # "2023" stands for the three heard words "twenty twenty three": it spans them
    assert times[text.index("2023")] == (2.5, 3.9) and kinds["2023"] == "substituted"
    assert kinds["honestly,"] == "interpolated"
    assert times[text.index("grew.")] == (8.0, 8.4)
    (first, last, start, end), = report.unaligned
    assert text[first] == "Here" and text[last] == "all."
    assert last - first + 1 >= UNALIGNED_WORDS
    # interpolated words sit in order between their matched neighbours
    assert 6.0 <= start < end <= 7.5
    starts = [a for a, _ in times]
    assert starts == sorted(starts)


def test_speech_the_transcript_lacks_is_reported():
    heard = _heard("hello there " + "this is a sponsor read inserted into the audio later on " * 2 + "goodbye now")
    _, report = align_words("Hello there. Goodbye now.".split(), heard)
    assert report.kinds == ["matched"] * 4
    (start, end, words), = report.untranscribed
    assert words == 22 and start == 1.0


def test_word_key_ignores_case_and_punctuation():
    assert word_key("“Poolside,”") == "poolside" and word_key("don't.") == "don't"


def _interview(tmp_path_factory):
    return cached("align:interview", lambda: build_interview(
        tmp_path_factory.mktemp("align-audio"), ("host", "guest"), minutes=1.2, seed=11))


def _process(tmp_path: Path, interview, text: str, **options) -> dict:
    from flows.episode import process_episode

    transcript = tmp_path / "episode.txt"
    transcript.write_text(text, encoding="utf-8")
    (folder,) = process_episode(str(transcript), out_dir=str(tmp_path / "out"), audio=str(interview.path),
                                **options)
    return json.loads((Path(folder) / "episode.json").read_text(encoding="utf-8")) | {"_folder": folder}


def _paragraphs(interview, labelled: bool) -> list[str]:
    out = []
    for k, (_, _, speaker, text) in enumerate(interview.turns):
        out.append(f"{NAMES[speaker]}: {text}" if labelled else text)
        if k == 3:
            out.append(f"{NAMES[speaker]}: {INSERTED}" if labelled else INSERTED)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")
def test_labelled_transcript_keeps_its_names_and_takes_real_times(tmp_path, tmp_path_factory):
    interview = _interview(tmp_path_factory)
    episode = _process(tmp_path, interview, "\n\n".join(_paragraphs(interview, labelled=True)) + "\n")
    assert episode["times_estimated"] is False
    assert {s["name"] for s in episode["speakers"]} == set(NAMES.values())
    alignment = episode["metadata"]["alignment"]
    assert alignment["matched"] + alignment["substituted"] > 0.8, alignment
    # the inserted paragraph is reported as not found in the audio
    assert len(alignment["unaligned"]) == 1, alignment["unaligned"]
    assert any("not found in the audio" in note for note in episode["notes"])
    # each reference turn opens an output turn (the pipeline may split a turn or join the inserted paragraph)
    speakers = {s["id"]: s["name"] for s in episode["speakers"]}
    opening = {t["verbatim"][:30]: t for t in episode["turns"]}
    turns = [opening.get(ref[3][:30]) for ref in interview.turns]
    assert all(turns), [ref[3][:30] for ref, t in zip(interview.turns, turns, strict=True) if not t]
    assert [speakers[t["speaker"]] for t in turns] == [NAMES[ref[2]] for ref in interview.turns]
    errors = [abs(t["start"] - ref[0]) for t, ref in zip(turns, interview.turns, strict=True)]
    # real times: every turn starts within 0.6 s of where it is spoken (a rate guess drifts by tens of seconds)
    assert sum(e <= 0.6 for e in errors) >= 0.9 * len(errors), errors
    assert max(errors) < 2.0, errors
    clips = [c for c in episode["clips"] + episode["previews"] if c.get("audio")]
    assert clips and all((Path(episode["_folder"]) / c["audio"]).stat().st_size > 1000 for c in clips)
    # captioned videos are cut from the recording too (on by default)
    assert list((Path(episode["_folder"]) / "clips").glob("*.vertical.mp4"))


@pytest.mark.slow
@pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")
def test_unlabelled_transcript_takes_its_speakers_from_the_voices(tmp_path, tmp_path_factory):
    interview = _interview(tmp_path_factory)
    episode = _process(tmp_path, interview, "\n\n".join(_paragraphs(interview, labelled=False)) + "\n",
                       video=False)
    assert not list((Path(episode["_folder"]) / "clips").glob("*.mp4"))  # video=False (--no-video)
    assert len(episode["speakers"]) == 2
    assert "diarization" in episode["metadata"]
    # word-level speaker accuracy: each heard word's speaker against who speaks at its time
    def truth(t: float) -> str | None:
        return next((speaker for a, b, speaker, _ in interview.turns if a - 0.2 <= t <= b + 0.2), None)

    pairs = [(truth((w["start"] + w["end"]) / 2), t["speaker"]) for t in episode["turns"]
             for w in t["words"] or [] if w["score"]]  # interpolated words (the inserted paragraph) left out
    pairs = [(r, h) for r, h in pairs if r]
    labels = sorted({h for _, h in pairs})
    assert len(labels) == 2 and len(pairs) > 100
    best = max(sum((h == label) == (r == "host") for r, h in pairs) for label in labels)
    assert best / len(pairs) >= 0.9, best / len(pairs)
