"""Scoring speaker attribution against reference turns.

All functions are pure: they take per-word speaker labels (one label per word
of the transcript, in order) and return numbers. Word labels are what makes
text-only attribution comparable with a reference whose turn boundaries differ:
attribution never changes the words, only who says them.

* :func:`word_accuracy` — share of words whose speaker is right after the best
  one-to-one mapping of hypothesis speakers to reference speakers (Hungarian
  algorithm, :func:`scipy.optimize.linear_sum_assignment`).
* :func:`change_f1` — precision / recall / F1 of speaker changes, a hypothesis
  change counting when it lies within ``tolerance`` words of a reference one.
* :func:`role_accuracy` — share of words whose role (host / guest / other) is right.
* :func:`majority_baseline` — the same metrics for "one speaker says everything".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from castline.model import Episode, Turn
from castline.text import SPEAKING_RATE_WPS

__all__ = [
    "ChangeScore",
    "asr_episode",
    "change_f1",
    "change_points",
    "episode_word_labels",
    "majority_baseline",
    "role_accuracy",
    "speaker_mapping",
    "word_accuracy",
]


def episode_word_labels(episode: Episode) -> tuple[list[str | None], list[str | None]]:
    """Per-word ``(speaker ids, roles)`` of an episode's turns, in order."""
    speakers: list[str | None] = []
    roles: list[str | None] = []
    for turn in episode.turns:
        speaker = episode.speaker(turn.speaker)
        n = len(turn.verbatim.split())
        speakers.extend([turn.speaker] * n)
        roles.extend([speaker.role if speaker else None] * n)
    return speakers, roles


def speaker_mapping(reference: Sequence, hypothesis: Sequence) -> dict:
    """Best one-to-one map hypothesis label -> reference label (most words agree)."""
    _check(reference, hypothesis)
    from scipy.optimize import linear_sum_assignment

    ref_labels = sorted(set(reference), key=str)
    hyp_labels = sorted(set(hypothesis), key=str)
    ref_index = {r: i for i, r in enumerate(ref_labels)}
    hyp_index = {h: i for i, h in enumerate(hyp_labels)}
    counts = np.zeros((len(hyp_labels), len(ref_labels)))
    for r, h in zip(reference, hypothesis, strict=True):
        counts[hyp_index[h], ref_index[r]] += 1
    rows, cols = linear_sum_assignment(-counts)
    return {hyp_labels[r]: ref_labels[c] for r, c in zip(rows, cols, strict=True)}


def word_accuracy(reference: Sequence, hypothesis: Sequence) -> float:
    """Share of words attributed to the right speaker under the best mapping."""
    _check(reference, hypothesis)
    if not reference:
        return 1.0
    mapping = speaker_mapping(reference, hypothesis)
    right = sum(1 for r, h in zip(reference, hypothesis, strict=True) if mapping.get(h) == r)
    return right / len(reference)


def change_points(labels: Sequence) -> list[int]:
    """Word indices where the speaker differs from the previous word's."""
    return [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]


@dataclass
class ChangeScore:
    """Precision, recall and F1 of detected speaker changes."""

    precision: float
    recall: float
    f1: float
    reference: int
    hypothesis: int
    matched: int


def change_f1(reference: Sequence, hypothesis: Sequence, *, tolerance: int = 10) -> ChangeScore:
    """Turn-change F1: a hypothesis change is right within ``tolerance`` words.

    Changes are matched one-to-one, nearest first, so two hypothesis changes
    around one reference change count once.
    """
    _check(reference, hypothesis)
    ref = change_points(reference)
    hyp = change_points(hypothesis)
    pairs = sorted(
        (abs(r - h), i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp) if abs(r - h) <= tolerance
    )
    used_ref: set[int] = set()
    used_hyp: set[int] = set()
    for _, i, j in pairs:
        if i not in used_ref and j not in used_hyp:
            used_ref.add(i)
            used_hyp.add(j)
    matched = len(used_ref)
    precision = matched / len(hyp) if hyp else (1.0 if not ref else 0.0)
    recall = matched / len(ref) if ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ChangeScore(precision, recall, f1, len(ref), len(hyp), matched)


def role_accuracy(reference_roles: Sequence, hypothesis_roles: Sequence) -> float:
    """Share of words whose speaker role is right (no mapping: roles are named)."""
    _check(reference_roles, hypothesis_roles)
    if not reference_roles:
        return 1.0
    right = sum(1 for r, h in zip(reference_roles, hypothesis_roles, strict=True) if r == h)
    return right / len(reference_roles)


def majority_baseline(reference: Sequence, reference_roles: Sequence) -> dict[str, float]:
    """Metrics of the baseline that gives every word to the most talkative speaker."""
    if not reference:
        return {"word_accuracy": 1.0, "change_f1": 1.0, "role_accuracy": 1.0}
    labels, counts = np.unique(np.asarray(reference, dtype=object).astype(str), return_counts=True)
    top = labels[int(np.argmax(counts))]
    top_role = next(r for s, r in zip(reference, reference_roles, strict=True) if str(s) == top)
    hyp = [top] * len(reference)
    return {
        "word_accuracy": word_accuracy([str(r) for r in reference], hyp),
        "change_f1": change_f1(reference, [reference[0]] * len(reference)).f1,
        "role_accuracy": role_accuracy(reference_roles, [top_role] * len(reference)),
    }


def _check(reference: Sequence, hypothesis: Sequence) -> None:
    if len(reference) != len(hypothesis):
        raise ValueError(
            f"reference has {len(reference)} words but hypothesis has {len(hypothesis)}; "
            "attribution must keep every word"
        )


def asr_episode(data: dict, *, line_words: int = 45) -> tuple[Episode, list[str], list[str]]:
    """A labelled dialogue as an ASR would give it, plus per-word truth.

    ``data`` is a dev-set dialogue (``{"speakers": [{"name", "role"}], "turns":
    [{"speaker", "text"}]}``); its words are re-wrapped into unlabelled lines of
    about ``line_words`` words that ignore turn boundaries, timed at the house
    speaking rate. Returns the episode, each word's true speaker and role.
    """
    roles = {s["name"]: s["role"] for s in data["speakers"]}
    words: list[str] = []
    labels: list[str] = []
    for turn in data["turns"]:
        for word in turn["text"].split():
            words.append(word)
            labels.append(turn["speaker"])
    turns = []
    clock = 0.0
    # Vary the line length a little, as ASR chunking does.
    sizes = [line_words - 8, line_words + 5, line_words, line_words + 9, line_words - 4]
    i = 0
    k = 0
    while i < len(words):
        size = sizes[k % len(sizes)]
        chunk = " ".join(words[i : i + size])
        duration = len(chunk.split()) / SPEAKING_RATE_WPS
        turns.append(Turn(None, clock, clock + duration, chunk, chunk))
        clock += duration
        i += size
        k += 1
    episode = Episode(title=data["name"], slug=data["name"], turns=turns, times_estimated=True)
    return episode, labels, [roles[s] for s in labels]
