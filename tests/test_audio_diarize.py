"""castline.diarize.audio, .offline and .assign: offline diarization on real and synthetic audio, word assignment, RTTM."""

from __future__ import annotations

import pytest
from audio_fixtures import (
    build_interview,
    cached,
    der,
    espeak_available,
    needs_modules,
    sample_files,
)

from castline.diarize.assign import assign_words
from castline.diarize.audio import to_rttm
from castline.model import Episode, Speaker, Turn, Word

needs_models = needs_modules("resemblyzer", "whisperx")
needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng / sox not installed")


def diarize_sample():
    from castline.diarize.audio import diarize

    return cached("diarize:sample", lambda: diarize(sample_files()["wav"]))


@pytest.fixture(scope="session")
def interviews(tmp_path_factory):
    """Synthetic interviews (two voices, three voices, three in tight exchanges; 2.5 min each)."""
    folder = tmp_path_factory.mktemp("interviews")
    return cached(
        "interviews",
        lambda: {
            2: build_interview(folder, ("host", "guest"), minutes=2.5, seed=7),
            3: build_interview(folder, ("host", "guest", "third"), minutes=2.5, seed=5),
            # Harder: 0-0.25 s pauses, one turn in four a one- or two-word reply, louder noise.
            "tight": build_interview(
                folder, ("host", "guest", "third"), minutes=2.5, seed=32, pauses=(0.0, 0.25),
                backchannels=0.25, noise=300.0, name="tight",
            ),
        },
    )


# -- real audio -----------------------------------------------------------------------


@needs_models
def test_sample_der_and_speaker_count():
    files = sample_files()
    segments = diarize_sample()
    error = der(files["rttm"].read_text(encoding="utf-8"), segments)
    print(f"DER on pyannote sample: {error:.3f}")
    assert error <= 0.30
    assert len({label for _, _, label in segments}) == 2


@needs_models
def test_segments_are_exclusive_ordered_and_in_range():
    segments = diarize_sample()
    assert segments and all(0.0 <= a < b <= 30.01 for a, b, _ in segments)
    for (_, end, _), (start, _, _) in zip(segments, segments[1:], strict=False):
        assert end <= start + 1e-6
    assert [label for _, _, label in segments][0] == "SPEAKER_00"


@needs_models
def test_hints_are_honoured():
    from castline.diarize.audio import diarize
    from castline.speech.audio import load_audio

    audio = load_audio(sample_files()["wav"])
    assert len({label for *_, label in diarize(audio, max_speakers=1)}) == 1
    assert len({label for *_, label in diarize(audio, num_speakers=3)}) == 3


@needs_models
def test_sample_words_follow_the_reference_speakers():
    """End to end on real audio: transcribe, diarize, assign; words land on the right voice."""
    from test_asr import transcribe_sample

    episode = assign_words(Episode.from_dict(transcribe_sample().to_dict()), diarize_sample())
    reference = []
    for line in sample_files()["rttm"].read_text().splitlines():
        parts = line.split()
        reference.append((float(parts[3]), float(parts[3]) + float(parts[4]), parts[7]))
    pairs = []
    for turn in episode.turns:
        for word in turn.words:
            middle = (word.start + word.end) / 2
            truth = [label for a, b, label in reference if a <= middle <= b]
            if len(truth) == 1:
                pairs.append((word.speaker, truth[0]))
    # Best one-to-one mapping of the two voices.
    v = sorted({h for h, _ in pairs})
    r = sorted({t for _, t in pairs})
    mappings = ({v[0]: r[0], v[-1]: r[-1]}, {v[0]: r[-1], v[-1]: r[0]})
    best = max(sum(1 for h, t in pairs if mapping.get(h) == t) for mapping in mappings)
    assert best / len(pairs) >= 0.8
    assert {s.id for s in episode.speakers} == {"S1", "S2"}


# -- synthetic interviews ------------------------------------------------------------------


@pytest.mark.slow
@needs_models
@needs_espeak
@pytest.mark.parametrize("which", [2, 3, "tight"])
def test_synthetic_interview_der_and_count(interviews, which):
    from castline.diarize.audio import diarize

    interview = interviews[which]
    segments = diarize(interview.path)
    error = der(interview.rttm(), segments)
    print(f"DER on synthetic interview {which} ({interview.duration:.0f} s): {error:.3f}")
    assert len({label for _, _, label in segments}) == len(interview.speakers)
    assert error <= 0.15


# -- word assignment (no models) ------------------------------------------------------


def _episode(words: list[tuple[str, float, float]], sentence_ends: tuple[int, ...]) -> Episode:
    turns, current = [], []
    for index, (text, start, end) in enumerate(words):
        current.append(Word(text=text, start=start, end=end))
        if index in sentence_ends:
            line = " ".join(w.text for w in current)
            turns.append(Turn(speaker=None, start=current[0].start, end=current[-1].end, text=line,
                              verbatim=line, words=current))  # fmt: skip
            current = []
    return Episode(title="t", slug="t", turns=turns, duration=words[-1][2])


def test_assign_words_regroups_turns_by_speaker():
    words = [("So", 0.0, 0.2), ("what", 0.2, 0.4), ("is", 0.4, 0.5), ("it?", 0.5, 0.8),
             ("It", 1.0, 1.2), ("is", 1.2, 1.3), ("a", 1.3, 1.4), ("tool.", 1.4, 1.9),
             ("Nice.", 2.2, 2.6)]  # fmt: skip
    # The second sentence starts inside the first speaker's turn: words decide, not sentences.
    episode = _episode(words, sentence_ends=(3, 8))
    segments = [(0.0, 0.9, "SPEAKER_00"), (0.9, 2.0, "SPEAKER_01"), (2.0, 3.0, "SPEAKER_00")]
    result = assign_words(episode, segments)
    assert [(t.speaker, t.text) for t in result.turns] == [
        ("S1", "So what is it?"),
        ("S2", "It is a tool."),
        ("S1", "Nice."),
    ]
    assert [(s.id, s.name) for s in result.speakers] == [("S1", "SPEAKER_00"), ("S2", "SPEAKER_01")]
    assert all(t.text == t.verbatim for t in result.turns)
    assert all(w.speaker == t.speaker for t in result.turns for w in t.words)
    assert result.turns[1].start == 1.0 and result.turns[1].end == 1.9
    assert all(t.confidence == 1.0 for t in result.turns)


def test_assign_words_smooths_one_word_jitter_inside_a_sentence():
    words = [("I", 0.0, 0.2), ("think", 0.2, 0.5), ("that", 0.5, 0.7), ("we", 0.7, 0.9),
             ("should", 0.9, 1.2), ("go.", 1.2, 1.6)]  # fmt: skip
    episode = _episode(words, sentence_ends=(5,))
    # A boundary error hands one word in the middle to the other voice.
    segments = [(0.0, 0.6, "A"), (0.6, 0.85, "B"), (0.85, 2.0, "A")]
    result = assign_words(episode, segments)
    assert [(t.speaker, t.text) for t in result.turns] == [("S1", "I think that we should go.")]


def test_assign_words_keeps_wordless_turns_and_replaces_speakers():
    episode = Episode(
        title="t",
        slug="t",
        speakers=[Speaker("S1", "Ada", "host")],
        turns=[Turn(None, 0.0, 2.0, "Hello there.", "Hello there."), Turn(None, 2.5, 4.0, "Hi.", "Hi.")],
    )
    result = assign_words(episode, [(0.0, 2.2, "X"), (2.2, 4.0, "Y")])
    assert [t.speaker for t in result.turns] == ["S1", "S2"]
    assert [t.text for t in result.turns] == ["Hello there.", "Hi."]
    assert [(s.id, s.name) for s in result.speakers] == [("S1", "X"), ("S2", "Y")]


def test_to_rttm_lines():
    text = to_rttm([(1.0, 2.5, "SPEAKER_01"), (0.0, 1.0, "SPEAKER_00"), (3.0, 3.0, "X")], "my show")
    assert text.splitlines() == [
        "SPEAKER my_show 1 0.000 1.000 <NA> <NA> SPEAKER_00 <NA> <NA>",
        "SPEAKER my_show 1 1.000 1.500 <NA> <NA> SPEAKER_01 <NA> <NA>",
    ]
    assert to_rttm([], "x") == ""


def test_configured_pyannote_pipeline_is_used_and_made_exclusive(monkeypatch):
    pytest.importorskip("pyannote.core")
    import numpy as np
    from pyannote.core import Annotation
    from pyannote.core import Segment as Span

    import castline.diarize.audio as audio_diarize

    calls = {}

    def fake_pipeline(file, **hints):
        calls["sample_rate"], calls["hints"] = file["sample_rate"], hints
        annotation = Annotation()
        annotation[Span(0.0, 2.0)] = "SPEAKER_00"
        annotation[Span(1.5, 3.0)] = "SPEAKER_01"  # cross-talk
        annotation[Span(3.2, 4.0)] = "SPEAKER_00"
        return annotation

    monkeypatch.setenv(audio_diarize.DIARIZATION_MODEL_ENV, "org/some-pipeline")
    monkeypatch.setattr(audio_diarize, "pyannote_pipeline", lambda name: fake_pipeline)
    segments = audio_diarize.diarize(np.zeros(16_000 * 4, dtype=np.float32), max_speakers=3)
    assert segments == [(0.0, 1.5, "SPEAKER_00"), (1.5, 3.0, "SPEAKER_01"), (3.2, 4.0, "SPEAKER_00")]
    assert calls == {"sample_rate": 16_000, "hints": {"max_speakers": 3}}
