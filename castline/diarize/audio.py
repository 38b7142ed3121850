"""Audio diarization: who spoke when, from the waveform.

Two back ends, one output (exclusive ``(start, end, label)`` turns, seconds):

* **pyannote** (:func:`pyannote_pipeline`): a pretrained pyannote.audio
  pipeline, used only when configured (``CASTLINE_DIARIZATION_MODEL``, e.g.
  ``pyannote/speaker-diarization-community-1``; gated models need ``HF_TOKEN``).
* **offline default** (:class:`OfflineDiarizer`), built only from weights that
  PyPI packages ship:

  1. speech regions from the pyannote segmentation checkpoint inside the
     whisperx wheel (whisperX's own VAD loader);
  2. Resemblyzer (GE2E) speaker embeddings over 1.6 s windows with a 0.75 s hop
     inside speech, computed region by region (memory stays flat on long files);
  3. agglomerative clustering (cosine, average linkage); the number of speakers
     is chosen by silhouette score unless given, with a similarity test for the
     single-speaker case; tiny clusters are folded into their nearest neighbour;
  4. each 50 ms frame takes the speaker whose centroid the covering windows
     resemble most, a median filter smooths the labels, and turns shorter than
     a minimum are merged into their neighbours: exclusive, non-overlapping turns.

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from castline.audio import SAMPLE_RATE, load_audio
from castline.model import Episode, Speaker, Turn, Word

__all__ = [
    "DIARIZATION_MODEL_ENV",
    "DiarizationSettings",
    "OfflineDiarizer",
    "assign_words",
    "diarize",
    "load_offline_diarizer",
    "pyannote_pipeline",
    "to_rttm",
]

DIARIZATION_MODEL_ENV = "CASTLINE_DIARIZATION_MODEL"
DEFAULT_PYANNOTE_MODEL = "pyannote/speaker-diarization-community-1"

log = logging.getLogger(__name__)

Segment = tuple[float, float, str]


@dataclass(frozen=True)
class DiarizationSettings:
    """Knobs of the offline diarizer (seconds unless said otherwise).

    ``window`` / ``hop``: embedding windows inside speech. ``frame``: label
    resolution. ``median``: smoothing width. ``min_turn``: shorter turns are
    merged into a neighbour. ``max_auto_speakers``: upper bound when the count
    is estimated. ``single_speaker_similarity``: when the two best clusters'
    centroids are at least this cosine-similar, it is one speaker.
    ``min_cluster_share``: clusters holding less of the speech than this are
    folded into their nearest neighbour (when the count is estimated).
    """

    window: float = 1.6
    hop: float = 0.75
    frame: float = 0.05
    median: float = 0.55
    min_turn: float = 0.4
    max_auto_speakers: int = 8
    single_speaker_similarity: float = 0.86
    min_cluster_share: float = 0.04
    vad_onset: float = 0.5
    vad_offset: float = 0.363
    min_speech: float = 0.1
    min_silence: float = 0.1
    batch: int = 64


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
    segments = [(float(turn.start), float(turn.end), str(label))
                for turn, _, label in annotation.itertracks(yield_label=True)]  # fmt: skip
    return _make_exclusive(sorted(segments))


# -- offline diarizer ------------------------------------------------------------


class OfflineDiarizer:
    """VAD + Resemblyzer embeddings + clustering, from packaged weights only.

    Parameters
    ----------
    device : str
        torch device for both models (``cpu`` or ``cuda``).
    settings : DiarizationSettings, optional
        Window, smoothing and clustering knobs.
    """

    def __init__(self, device: str = "cpu", settings: DiarizationSettings | None = None) -> None:
        from resemblyzer import VoiceEncoder
        from whisperx.vads.pyannote import load_vad_model

        self.device = device
        self.settings = settings or DiarizationSettings()
        self.vad = load_vad_model(device, vad_onset=self.settings.vad_onset, vad_offset=self.settings.vad_offset)
        self.encoder = VoiceEncoder(device=device, verbose=False)

    # 1. speech regions
    def speech_regions(self, audio: np.ndarray) -> list[tuple[float, float]]:
        """Speech regions ``(start, end)`` found by the segmentation model."""
        import torch
        from whisperx.vads.pyannote import Binarize

        scores = self.vad({"waveform": torch.from_numpy(audio).unsqueeze(0), "sample_rate": SAMPLE_RATE})
        s = self.settings
        binarize = Binarize(onset=s.vad_onset, offset=s.vad_offset,
                            min_duration_on=s.min_speech, min_duration_off=s.min_silence)  # fmt: skip
        duration = len(audio) / SAMPLE_RATE
        regions = [(max(0.0, seg.start), min(duration, seg.end)) for seg in binarize(scores).get_timeline()]
        return [(a, b) for a, b in regions if b - a > 0.05]

    # 2. embeddings
    def embed(self, audio: np.ndarray, regions: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Window spans ``(n, 2)`` and unit embeddings ``(n, 256)`` over the speech regions."""
        import torch
        from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
        from resemblyzer.hparams import audio_norm_target_dBFS

        s = self.settings
        frames_per_second = 100  # Resemblyzer's mel hop is 10 ms
        window_frames = int(round(s.window * frames_per_second))
        hop_frames = int(round(s.hop * frames_per_second))
        spans: list[tuple[float, float]] = []
        embeddings: list[np.ndarray] = []
        full_batch: list[np.ndarray] = []
        full_spans: list[tuple[float, float]] = []

        def flush() -> None:
            if not full_batch:
                return
            with torch.no_grad():
                mels = torch.from_numpy(np.stack(full_batch)).to(self.device)
                embeddings.extend(self.encoder(mels).cpu().numpy())
            spans.extend(full_spans)
            full_batch.clear()
            full_spans.clear()

        for start, end in regions:
            piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            # Resemblyzer was trained on volume-normalised utterances; normalise per region.
            piece = normalize_volume(piece, audio_norm_target_dBFS, increase_only=False)
            mel = wav_to_mel_spectrogram(piece)
            n_frames = len(mel)
            if n_frames <= window_frames:
                if n_frames < 10:
                    continue
                with torch.no_grad():
                    single = torch.from_numpy(mel[None].astype(np.float32)).to(self.device)
                    embeddings.append(self.encoder(single).cpu().numpy()[0])
                spans.append((start, end))
                continue
            offsets = list(range(0, n_frames - window_frames + 1, hop_frames))
            if offsets[-1] + window_frames < n_frames:
                offsets.append(n_frames - window_frames)
            for offset in offsets:
                full_batch.append(mel[offset : offset + window_frames].astype(np.float32))
                full_spans.append((start + offset / frames_per_second,
                                   start + (offset + window_frames) / frames_per_second))  # fmt: skip
                if len(full_batch) >= s.batch:
                    flush()
        flush()
        if not embeddings:
            return np.zeros((0, 2)), np.zeros((0, 256), dtype=np.float32)
        vectors = np.asarray(embeddings, dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        return np.asarray(spans, dtype=np.float64), vectors

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
        """Cluster index per window; the count is estimated unless ``num_speakers``."""
        from sklearn.cluster import AgglomerativeClustering
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

        def fit(k: int) -> np.ndarray:
            model = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
            return _refine(embeddings, model.fit_predict(embeddings))

        if num_speakers:
            return _fold_small(embeddings, fit(num_speakers), weights, 0.0, num_speakers)

        best_labels, best_score = None, -1.0
        for k in range(max(2, low), high + 1):
            labels = _fold_small(embeddings, fit(k), weights, s.min_cluster_share, max(low, 1))
            if len(set(labels)) < 2:
                continue
            score = silhouette_score(embeddings, labels, metric="cosine")
            if score > best_score + 1e-6:
                best_labels, best_score = labels, score
        if best_labels is None:
            return np.zeros(n, dtype=int)
        if low <= 1:
            # Silhouette cannot say "one speaker": compare the two closest voices instead.
            centroids = _centroids(embeddings, best_labels)
            similarity = centroids @ centroids.T
            np.fill_diagonal(similarity, -1.0)
            if similarity.max() >= s.single_speaker_similarity and len(centroids) == 2:
                return np.zeros(n, dtype=int)
        return best_labels

    # 4. frames -> turns
    def turns(
        self,
        duration: float,
        regions: Sequence[tuple[float, float]],
        spans: np.ndarray,
        embeddings: np.ndarray,
        labels: np.ndarray,
    ) -> list[Segment]:
        """Exclusive speaker turns from window labels, smoothed at frame level."""
        from scipy.ndimage import median_filter

        s = self.settings
        if len(labels) == 0:
            return []
        centroids = _centroids(embeddings, labels)
        affinity = embeddings @ centroids.T  # (windows, speakers)
        n_frames = int(np.ceil(duration / s.frame)) + 1
        votes = np.zeros((n_frames, len(centroids)), dtype=np.float32)
        for (start, end), row in zip(spans, affinity, strict=True):
            a, b = int(start / s.frame), max(int(start / s.frame) + 1, int(np.ceil(end / s.frame)))
            # Windows vote with a softmax over speakers so one confident window outweighs a vague one.
            weights = np.exp((row - row.max()) * 10.0)
            votes[a:b] += weights / weights.sum()
        frame_labels = np.argmax(votes, axis=1)
        uncovered = votes.sum(axis=1) == 0
        width = max(1, int(round(s.median / s.frame)) | 1)
        segments: list[list[Any]] = []
        for start, end in regions:
            a, b = int(start / s.frame), max(int(start / s.frame) + 1, int(np.ceil(end / s.frame)))
            region_labels = frame_labels[a:b].copy()
            region_uncovered = uncovered[a:b]
            if region_uncovered.all():
                continue
            if region_uncovered.any():
                # Frames no window reached: take the nearest covered frame's speaker.
                covered = np.flatnonzero(~region_uncovered)
                nearest = covered[np.abs(np.arange(len(region_labels))[:, None] - covered[None]).argmin(1)]
                region_labels = region_labels[nearest]
            if len(region_labels) >= width:
                region_labels = median_filter(region_labels, size=width, mode="nearest")
            boundaries = np.flatnonzero(np.diff(region_labels)) + 1
            for piece in np.split(np.arange(len(region_labels)), boundaries):
                seg_start = max(start, (a + piece[0]) * s.frame)
                seg_end = min(end, (a + piece[-1] + 1) * s.frame)
                segments.append([seg_start, seg_end, int(region_labels[piece[0]])])
        segments = _merge_short(segments, s.min_turn)
        order: dict[int, str] = {}
        for _, _, label in segments:
            order.setdefault(label, f"SPEAKER_{len(order):02d}")
        return [(round(a, 3), round(b, 3), order[label]) for a, b, label in segments]

    def __call__(
        self,
        audio: np.ndarray,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> list[Segment]:
        """Diarize 16 kHz mono samples into exclusive ``(start, end, label)`` turns."""
        duration = len(audio) / SAMPLE_RATE
        regions = self.speech_regions(audio)
        if not regions:
            return []
        spans, embeddings = self.embed(audio, regions)
        weights = spans[:, 1] - spans[:, 0] if len(spans) else np.zeros(0)
        labels = self.cluster(embeddings, weights, num_speakers=num_speakers,
                              min_speakers=min_speakers, max_speakers=max_speakers)  # fmt: skip
        return self.turns(duration, regions, spans, embeddings, labels)


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)


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
    embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, min_share: float, keep_at_least: int
) -> np.ndarray:
    # Laughs, music stings and cross-talk make tiny clusters; they are not extra speakers.
    labels = labels.copy()
    total = weights.sum() or 1.0
    while len(np.unique(labels)) > max(1, keep_at_least):
        shares = np.array([weights[labels == k].sum() / total for k in range(labels.max() + 1)])
        smallest = int(np.argmin(shares))
        if shares[smallest] >= min_share:
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
            candidates = [n for n in (previous, following) if n is not None and abs(
                (n[1] if n is previous else n[0]) - (start if n is previous else end)) <= gap]  # fmt: skip
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
    with :func:`castline.audio.load_audio`) or 16 kHz mono float32 samples.
    Labels are ``SPEAKER_00``, ``SPEAKER_01``, ... in order of first appearance.
    """
    if isinstance(audio_path_or_array, np.ndarray):
        audio = audio_path_or_array
    else:
        audio = load_audio(audio_path_or_array)
    configured = os.environ.get(DIARIZATION_MODEL_ENV)
    if configured:
        return _run_pyannote(pyannote_pipeline(configured), audio, num_speakers=num_speakers,
                             min_speakers=min_speakers, max_speakers=max_speakers)  # fmt: skip
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


def _smooth_runs(labels: list[str | None], words: list[Word], min_words: int = 3, min_seconds: float = 0.8) -> None:
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
        neighbours = [runs[p] for p in (position - 1, position + 1) if 0 <= p < len(runs)]
        target = max(neighbours, key=len)
        for index in run:
            labels[index] = labels[target[0]]


def assign_words(episode: Episode, segments: Sequence[Segment]) -> Episode:
    """Give every word the diarization speaker it overlaps most; regroup turns by speaker.

    Speakers become ``S1``, ``S2``, ... (in order of first appearance), named
    by their diarization labels until a later stage names them. Each new turn's
    ``text`` and ``verbatim`` are its words joined by spaces; ``confidence`` is
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
                new_turns.append(Turn(speaker=sid, start=turn.start, end=turn.end, text=turn.text,
                                      verbatim=turn.verbatim, tags=list(turn.tags),
                                      confidence=round(coverage[0], 3), words=None))  # fmt: skip
                continue
            if same and previous.words is not None:
                previous.words.append(word)
                previous.end = max(previous.end, word.end)
                previous.confidence += coverage[index]  # summed here, averaged below
            else:
                new_turns.append(Turn(speaker=sid, start=word.start, end=word.end, text="", verbatim="",
                                      tags=list(turn.tags), confidence=coverage[index], words=[word]))  # fmt: skip
    for turn in new_turns:
        if turn.words:
            turn.text = turn.verbatim = " ".join(word.text for word in turn.words)
            turn.confidence = round(turn.confidence / len(turn.words), 3)
    episode.turns = new_turns
    known = {speaker.id for speaker in episode.speakers}
    for label, sid in ids.items():
        if sid not in known:
            episode.speakers.append(Speaker(id=sid, name=label, role="other"))
    episode.metadata.setdefault("diarization", {})["labels"] = dict(ids)
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
