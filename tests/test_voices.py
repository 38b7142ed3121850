"""castline.diarize.voices: recognising recurring voices across episodes."""

from __future__ import annotations

import numpy as np
import pytest
from audio_fixtures import build_interview, cached, espeak_available

from castline.diarize.voices import VoiceLibrary, name_voices
from castline.model import Episode, Speaker


def _has_audio_extra() -> bool:
    try:
        import resemblyzer  # noqa: F401
        import whisperx  # noqa: F401
    except ImportError:
        return False
    return True


def test_library_round_trip_enroll_and_match(tmp_path):
    rng = np.random.default_rng(0)
    host, guest = rng.normal(size=256), rng.normal(size=256)
    library = VoiceLibrary.load(tmp_path / "show" / "voices.json")
    assert library.voices == []
    library.enroll("Ada Host", host, role="host")
    library.enroll("Ada Host", host + rng.normal(scale=0.1, size=256))
    library.save()
    loaded = VoiceLibrary.load(tmp_path / "show" / "voices.json")
    assert [(v.name, v.role, v.episodes) for v in loaded.voices] == [("Ada Host", "host", 2)]
    loaded.enroll("Bo Guest", guest, role="guest")
    matches = loaded.match({"SPEAKER_00": guest + rng.normal(scale=0.2, size=256), "SPEAKER_01": host})
    assert {label: voice.name for label, (voice, _) in matches.items()} == {
        "SPEAKER_00": "Bo Guest",
        "SPEAKER_01": "Ada Host",
    }
    # A stranger matches nobody.
    assert loaded.match({"SPEAKER_02": rng.normal(size=256)}) == {}


def test_name_voices_renames_matched_speakers_only():
    library = VoiceLibrary()
    voice = library.enroll("Ada Host", np.ones(4), role="host")
    speakers = [Speaker("S1", "SPEAKER_00"), Speaker("S2", "SPEAKER_01")]
    episode = Episode(title="t", slug="t", speakers=speakers)
    name_voices(episode, {"SPEAKER_01": (voice, 0.95)})
    assert [(s.name, s.role) for s in episode.speakers] == [("SPEAKER_00", "other"), ("Ada Host", "host")]
    assert episode.metadata["voice_matches"]["S2"]["similarity"] == 0.95


@pytest.mark.slow
@pytest.mark.skipif(not (_has_audio_extra() and espeak_available()), reason="audio extra or espeak missing")
def test_voices_recur_across_synthetic_episodes(tmp_path_factory):
    from castline.diarize.audio import diarize
    from castline.diarize.voices import voice_prints
    from castline.speech.audio import load_audio

    folder = tmp_path_factory.mktemp("episodes")
    first = cached("voices:first", lambda: build_interview(folder, ("host", "guest"), minutes=1.5, seed=21))
    second = cached("voices:second", lambda: build_interview(folder, ("host", "third"), minutes=1.5, seed=22))

    def prints_by_truth(interview):
        audio = load_audio(interview.path)
        segments = diarize(audio)
        prints = voice_prints(audio, segments)
        # Which reference speaker each label mostly covers.
        truth = {}
        for label in prints:
            overlap = {}
            for a, b, lab in segments:
                if lab != label:
                    continue
                for start, end, speaker, _ in interview.turns:
                    overlap[speaker] = overlap.get(speaker, 0.0) + max(0.0, min(b, end) - max(a, start))
            truth[label] = max(overlap, key=overlap.get)
        return prints, truth

    prints, truth = prints_by_truth(first)
    library = VoiceLibrary()
    for label, vector in prints.items():
        library.enroll(truth[label], vector)
    prints, truth = prints_by_truth(second)
    matches = library.match(prints)
    named = {truth[label]: voice.name for label, (voice, _) in matches.items()}
    assert named == {"host": "host"}  # the host recurs; the new third voice is nobody we know
