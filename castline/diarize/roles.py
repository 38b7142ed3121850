"""Roles of a labelled transcript's speakers: who hosts, who guests.

The names and turns of a labelled transcript are kept. Roles come from the
``--speakers`` hint (fuzzy name match), else from who asks: a speaker who
out-asks everyone they talk with is a host (a notebook of excerpts holds
several conversations, each with its own host), counting questions and the
turn model's host probability of each sentence.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from castline.model import Episode, Speaker
from castline.text import sentences as split_sentences

__all__ = ["UNATTRIBUTED", "assign_roles"]

#: Name given to the speaker of unlabelled turns in an otherwise labelled file.
UNATTRIBUTED = "Unattributed"


def _turn_model_host_logits(turns: list[list[str]]) -> list[np.ndarray]:
    """Host log-odds of each turn's sentences, the turn model reading the whole conversation at once."""
    from castline.diarize.turn_model import load_turn_model

    flat = [text for sentences in turns for text in sentences]
    if not flat:
        return [np.zeros(0) for _ in turns]
    host = load_turn_model().predict(flat).host
    bounds = np.cumsum([0] + [len(sentences) for sentences in turns])
    return [host[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def assign_roles(
    episode: Episode,
    hint: list[Speaker] | None,
    *,
    host_logits: Callable[[list[list[str]]], list[np.ndarray]] | None = None,
) -> Episode:
    """Keep a labelled episode's names and turns; set each speaker's role (see the module doc).

    ``host_logits`` maps each turn's sentences to their host log-odds (default:
    the learned turn model); a sentence above 1 counts as a fifth of a question.
    """
    from rapidfuzz import fuzz

    if any(t.speaker is None for t in episode.turns):
        other = next((s for s in episode.speakers if s.name == UNATTRIBUTED), None)
        if other is None:
            taken = {s.id for s in episode.speakers}
            n = len(episode.speakers) + 1
            while f"S{n}" in taken:
                n += 1
            other = Speaker(id=f"S{n}", name=UNATTRIBUTED, role="other")
            episode.speakers.append(other)
        for turn in episode.turns:
            if turn.speaker is None:
                turn.speaker = other.id
        episode.notes.append("unlabelled turns in a labelled file kept as 'Unattributed'")
    people = [s for s in episode.speakers if s.name != UNATTRIBUTED]
    if hint:
        for s in people:
            best = max(hint, key=lambda h: fuzz.token_set_ratio(h.name.lower(), s.name.lower()))
            if fuzz.token_set_ratio(best.name.lower(), s.name.lower()) >= 80:
                s.role = best.role
            # else: keep the role an earlier stage gave (a recognised voice), "other" by default
        return episode
    if len(people) < 2:
        return episode
    if all(s.role != "other" for s in people):
        return episode  # roles already decided upstream (voice library, diarized naming, show page)
    asking = {s.id: 0.0 for s in people}
    words = {s.id: 0 for s in people}
    asked = [t for t in episode.turns if t.speaker in asking]
    sentences = [[x.text for x in split_sentences(t.verbatim)] for t in asked]
    logits = (host_logits or _turn_model_host_logits)(sentences)
    for turn, texts, host in zip(asked, sentences, logits, strict=True):
        asking[turn.speaker] += sum(1 for x in texts if x.rstrip().endswith("?"))
        asking[turn.speaker] += 0.2 * float(np.sum(np.asarray(host) > 1))
        words[turn.speaker] += len(turn.verbatim.split())
    # Most questions per word spoken marks the host. A notebook of excerpts
    # holds several conversations, each with its own host, so a speaker is a
    # host when they out-ask everyone they talk with (adjacent turns).
    rate = {i: asking[i] / max(words[i], 1) ** 0.5 for i in asking}
    neighbours = _neighbours(episode, set(asking))
    hosts = {
        i
        for i in asking
        if asking[i] >= 1 and neighbours[i] and all(rate[i] > rate[j] for j in neighbours[i])
    }
    if not hosts:
        hosts = {max(people, key=lambda s: (rate[s.id], -people.index(s))).id}
    # Roles the input already gave (castline's own transcript.md lists them) are
    # kept; only speakers without one (say, a name a producer typed into a
    # header) are decided, and they are hosts only if no host is known yet.
    host_known = any(s.role == "host" for s in people)
    for s in people:
        if s.role == "other":
            s.role = "host" if s.id in hosts and not host_known else "guest"
    return episode


def _neighbours(episode: Episode, ids: set[str]) -> dict[str, set[str]]:
    """Who talks with whom: speakers of adjacent turns."""
    out: dict[str, set[str]] = {i: set() for i in ids}
    previous = None
    for turn in episode.turns:
        if turn.speaker not in ids:
            previous = None  # an unattributed excerpt breaks the conversation
            continue
        if previous is not None and previous != turn.speaker:
            out[previous].add(turn.speaker)
            out[turn.speaker].add(previous)
        previous = turn.speaker
    return out
