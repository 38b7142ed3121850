"""Clusters of voice windows and the turns they make: the array helpers of diarization.

A diarization is a list of :data:`Segment` turns ``(start, end, label)`` in
seconds. The offline diarizer cuts speech at change points
(:func:`split_at_changes`), clusters window embeddings (:func:`unit_centroids`,
:func:`refine_labels`, :func:`fold_small_clusters`, :func:`cluster_separation`)
and tidies its turns (:func:`merge_short_turns`); a pyannote pipeline's
overlapping turns are made exclusive (:func:`make_exclusive`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "Segment",
    "cluster_separation",
    "compact_labels",
    "fold_small_clusters",
    "make_exclusive",
    "merge_short_turns",
    "refine_labels",
    "split_at_changes",
    "unit_centroids",
]

#: One turn of a diarization: ``(start, end, label)`` in seconds.
Segment = tuple[float, float, str]


def split_at_changes(
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


def unit_centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return centroids / (np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9)


def cluster_separation(similarity: np.ndarray, labels: np.ndarray) -> float:
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


def compact_labels(labels: np.ndarray) -> np.ndarray:
    _, compact = np.unique(labels, return_inverse=True)
    return compact


def refine_labels(embeddings: np.ndarray, labels: np.ndarray, rounds: int = 3) -> np.ndarray:
    # A few k-means style passes fix windows that average linkage chained into the wrong group.
    labels = compact_labels(labels)
    for _ in range(rounds):
        updated = compact_labels(np.argmax(embeddings @ unit_centroids(embeddings, labels).T, axis=1))
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels


def fold_small_clusters(
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
        centroids = unit_centroids(embeddings, labels)
        others = [k for k in range(len(centroids)) if k != smallest]
        members = labels == smallest
        nearest = np.array(others)[np.argmax(embeddings[members] @ centroids[others].T, axis=1)]
        labels[members] = nearest
        labels = compact_labels(labels)
    return labels


def merge_short_turns(segments: list[list[Any]], min_turn: float) -> list[list[Any]]:
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


def make_exclusive(segments: list[Segment]) -> list[Segment]:
    # Overlapping turns (cross-talk) are cut where the later one starts.
    exclusive: list[list[Any]] = []
    for start, end, label in segments:
        if exclusive and start < exclusive[-1][1]:
            if end <= exclusive[-1][1]:
                continue
            exclusive[-1][1] = start
        exclusive.append([start, end, label])
    return [(a, b, lab) for a, b, lab in exclusive if b > a]
