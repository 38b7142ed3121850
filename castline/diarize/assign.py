"""Words -> speakers: each ASR word takes the diarization turn it overlaps most.

Example
-------
>>> episode = assign_words(transcribe("episode.wav"), diarize("episode.wav"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from castline.diarize.clustering import Segment
from castline.model import Episode, Speaker, Turn, Word

__all__ = ["assign_words"]

_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")


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
