"""Who says what in a transcript without speaker labels, from the text alone.

The judgement is learned from thousands of real, human-labelled conversations
(``thechangelog/transcripts``, see bench/CORPUS.md); figures on shows it never
saw are in bench/CORPUS.md beside the majority-speaker baseline.

An unlabelled transcript (raw ASR chunks) is joined and split into sentence
units (:mod:`castline.diarize.units`); the learned turn model
(:mod:`castline.diarize.turn_model`, trained on thousands of human-labelled
conversations) reads them in order and scores, per sentence, a change of
speaker, how host-like it is, and a voice vector; the decoder
(:mod:`castline.diarize.turn_decoder`) turns those into a number of speakers
and a speaker per sentence with calibrated posteriors. Structure anchors the
decoding: the host's introduction (up to the greeting of the guest) and
sponsor reads are the host's.

Names and roles (:func:`name_speakers`): a ``speakers`` hint fixes who is in
the episode (and how many); otherwise the intro's names ("conversation with
NAME", "I'm NAME") go to the most host-like speaker and to the others, helped
by who is addressed by name just before a speaker's turns; unnamed speakers
are "Host", "Guest", "Guest 2", ...

Labelled input keeps its names and turns (:func:`castline.diarize.roles.assign_roles`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from castline.diarize.names import (
    GREETING_VOCATIVE,
    GUEST_THANKS,
    HOST_THANKS,
    NameMatcher,
    addressed_names,
    discover_names,
    parse_speakers,
)
from castline.diarize.roles import UNATTRIBUTED, assign_roles
from castline.diarize.turn_decoder import DecoderSettings, SpeakerPath, decode_speakers, settings_from_json
from castline.diarize.turn_model import load_turn_model
from castline.diarize.units import SentenceUnit, join_chunks, regroup_turns, sentence_units
from castline.model import Episode, Speaker
from castline.segment.structure import intro_index, sponsor_spans

__all__ = [
    "UNATTRIBUTED",
    "NameEvidence",
    "address_lists",
    "attribute_speakers",
    "decoder_settings",
    "discover_names",
    "host_sentences",
    "name_evidence",
    "name_speakers",
    "parse_speakers",
]


@lru_cache(maxsize=1)
def decoder_settings() -> DecoderSettings:
    """The decoder settings shipped beside the turn model's weights (tuned on the validation show)."""
    raw = load_turn_model().meta.get("meta_decoder")
    return settings_from_json(str(raw)) if raw is not None else DecoderSettings()


def host_sentences(texts: list[str]) -> dict[int, str]:
    """Sentences whose role the structure tells.

    ``"host"``: the intro up to the greeting, sponsor reads. ``"guest"``: a
    thanks for having them on ("thanks for having me", "glad to be here"),
    which in real conversations is nearly always a guest's; the decoder takes
    that as strong evidence, not as a rule.
    """
    forced: dict[int, str] = {}
    intro = intro_index(texts)
    if intro is not None:
        greeting = next(
            (
                j
                for j in range(intro, min(len(texts), intro + 80))
                if HOST_THANKS.search(texts[j]) or GREETING_VOCATIVE.search(texts[j])
            ),
            intro,
        )
        for i in range(intro, greeting + 1):
            forced[i] = "host"
    for a, b in sponsor_spans(texts):
        for i in range(a, b):
            forced[i] = "host"
    for i, text in enumerate(texts):
        if i not in forced and GUEST_THANKS.search(text):
            forced[i] = "guest"
    return forced


def _address_votes(texts: list[str], states: list[int], k: int, names: list[str]) -> np.ndarray:
    """``votes[c, j]``: how often speaker ``c`` takes the floor right after someone addresses ``names[j]``."""
    votes = np.zeros((k, len(names)))
    if not names:
        return votes
    matcher = NameMatcher(names)
    for i in range(1, len(texts)):
        if states[i] == states[i - 1]:
            continue
        for j in matcher.vocatives(texts[i - 1]):
            votes[states[i], j] += 1.0
        # Someone speaking a name addresses someone else: a small vote against.
        for j in matcher.vocatives(texts[i]):
            votes[states[i], j] -= 0.5
    return votes


def name_speakers(
    texts: list[str], path: SpeakerPath, hint: list[Speaker] | None, evidence: NameEvidence | None = None
) -> tuple[list[Speaker], list[str]]:
    """A :class:`Speaker` per decoded speaker (``S1``... in order of first appearance) and notes on names."""
    from scipy.optimize import linear_sum_assignment

    k = path.count
    hostness = np.array(path.host_score)
    first_seen = np.array([path.states.index(c) for c in range(k)], dtype=float) / max(len(texts), 1)
    notes: list[str] = []
    if hint:
        people = [(s.name, s.role) for s in hint]
        notes.append("speakers from the given hint")
    else:
        evidence = evidence or name_evidence(texts)
        host, guests = evidence.host, list(evidence.guests)
        if host:
            notes.append(f"host name {host!r} found in the intro")
        if guests:
            notes.append(f"guest names {guests!r} found in the intro")
        people = [(host, "host")] if host else []
        people += [(g, "guest") for g in guests]
    # Cost of giving decoded speaker c the person j: hosts go to host-like
    # speakers, people addressed just before a speaker's turns to that speaker,
    # and the order of the intro breaks ties by order of first appearance.
    names = [name for name, _ in people]
    votes = _address_votes(texts, path.states, k, names)
    cost = np.zeros((k, len(people)))
    for j, (_, role) in enumerate(people):
        cost[:, j] -= 4.0 * (hostness if role == "host" else 1.0 - hostness)
        cost[:, j] -= np.log1p(np.maximum(votes[:, j], 0.0)) - 0.3 * np.minimum(votes[:, j], 0.0)
        cost[:, j] += 0.5 * np.abs(first_seen - j / max(len(people), 1))
    given: dict[int, tuple[str, str]] = {}
    if people:
        rows, cols = linear_sum_assignment(cost)
        given = {int(r): people[c] for r, c in zip(rows, cols, strict=True)}
    speakers: list[Speaker] = []
    top = int(np.argmax(hostness))
    counts = {"host": 0, "guest": 0}
    for c in range(k):
        if c in given:
            name, role = given[c]
        else:
            host_given = any(role == "host" for _, role in given.values())
            if k == 1 or (c == top and not host_given):
                role = "host"
            else:
                role = "host" if hostness[c] >= 0.5 and k > 2 else "guest"
            counts[role] += 1
            taken = {v[0] for v in given.values()}
            base = role.title()
            number = counts[role] + (base in taken)
            name = base if number == 1 else f"{base} {number}"
        speakers.append(Speaker(id=f"S{c + 1}", name=name, role=role))
    return speakers, notes


def attribute_speakers(episode: Episode, *, speakers: list[Speaker] | None = None) -> Episode:
    """Give every turn a speaker, name and role; returns ``episode`` (mutated).

    Unattributed input (every ``Turn.speaker`` None): the chunks are joined,
    split into sentences, read by the turn model and decoded into speakers
    (how many is estimated unless ``speakers`` says), and regrouped into turns
    whose ``verbatim`` is the exact source text of their sentences (so the
    words, in order, are exactly the input's), with times interpolated from
    the source chunks (or taken from their word timings) and a ``confidence``
    (the calibrated posterior of the chosen speaker). ``speakers`` (see
    :func:`castline.diarize.names.parse_speakers`) fixes who is in the
    episode; otherwise names come from the intro, else "Host" / "Guest".

    Labelled input: names and turns are kept; roles come from ``speakers``
    matched by fuzzy name (unmatched people get ``other``), else a speaker who
    out-asks everyone they talk with is a host and the others guests.
    Unlabelled turns in a labelled file get a speaker "Unattributed" (role
    ``other``) rather than a guess.

    Examples
    --------
    >>> episode = attribute_speakers(episode, speakers=parse_speakers("Tim Scarfe:host,Eiso Kant"))
    >>> [(s.name, s.role) for s in episode.speakers]
    [('Tim Scarfe', 'host'), ('Eiso Kant', 'guest')]
    """
    if not episode.turns:
        return episode
    if all(t.speaker is None for t in episode.turns):
        return _attribute_unlabelled(episode, speakers)
    return assign_roles(episode, speakers)


@dataclass(frozen=True)
class NameEvidence:
    """What an episode's text says about names, read once: the intro's host and guests, who is addressed."""

    host: str | None
    guests: tuple[str, ...]
    addressed: Counter  # name -> how many sentences address it at their start or end

    @property
    def counts(self) -> tuple[int, int]:
        """``(people addressed by name at least twice, people the intro announces)``."""
        return sum(1 for c in self.addressed.values() if c >= 2), len(self.guests) + (1 if self.host else 0)

    def names(self, hint: list[Speaker] | None) -> list[str]:
        """Who the episode may address: the hint's people, else the intro's and anyone addressed twice."""
        if hint:
            return [s.name for s in hint]
        names = ([self.host] if self.host else []) + list(self.guests)
        matcher = NameMatcher(names)
        for name, count in self.addressed.most_common():
            if count >= 2 and matcher.match(name) is None:
                names.append(name)
                matcher = NameMatcher(names)
        return names


def name_evidence(texts: list[str]) -> NameEvidence:
    """The :class:`NameEvidence` of an episode's sentences."""
    host, guests = discover_names(texts)
    addressed = Counter(name for text in texts for name in addressed_names(text))
    return NameEvidence(host, tuple(guests), addressed)


def address_lists(texts: list[str], names: list[str]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Per sentence: who the sentence before it addresses by name, and who it addresses itself."""
    if not names:
        return [()] * len(texts), [()] * len(texts)
    matcher = NameMatcher(names)
    own = [tuple(matcher.vocatives(text)) for text in texts]
    return [(), *own[:-1]], own


def decode_units(units: list[SentenceUnit], hint: list[Speaker] | None,
                 settings: DecoderSettings | None = None, prediction=None,
                 evidence: NameEvidence | None = None) -> SpeakerPath:
    """The decoded speaker path of an episode's sentence units."""
    texts = [u.text for u in units]
    if prediction is None:
        prediction = load_turn_model().predict(texts)
    evidence = evidence or name_evidence(texts)
    count = len(hint) if hint and len(hint) >= 2 else None
    addressed, announced = evidence.counts
    before, own = address_lists(texts, evidence.names(hint))
    return decode_speakers(prediction, [u.words for u in units], speakers=count, forced=host_sentences(texts),
                           settings=settings or decoder_settings(), texts=texts, addressed=addressed,
                           announced=announced, addressees=before, addressers=own)


def _attribute_unlabelled(episode: Episode, hint: list[Speaker] | None) -> Episode:
    chunks = episode.turns
    full, spans = join_chunks(chunks)
    units = sentence_units(full, spans)
    if not units:
        return episode
    texts = [u.text for u in units]
    evidence = name_evidence(texts)
    path = decode_units(units, hint, evidence=evidence)
    state_speakers, notes = name_speakers(texts, path, hint, evidence)

    new_turns = regroup_turns(chunks, full, spans, units, path.states, [sp.id for sp in state_speakers],
                              lambda a, b, _state: path.confidence(a, b))

    used = {t.speaker for t in new_turns}
    episode.speakers = [s for s in state_speakers if s.id in used]
    if hint and len(hint) >= 2:
        # Everyone the producer named is in the episode, even if the text gave them no turn.
        for extra in hint[len(state_speakers):]:
            sid = f"S{len(episode.speakers) + 1}"
            episode.speakers.append(Speaker(id=sid, name=extra.name, role=extra.role))
        named = {s.name for s in episode.speakers}
        taken = {s.id for s in episode.speakers}
        for person in hint:
            if person.name not in named:
                n = len(taken) + 1
                while f"S{n}" in taken:
                    n += 1
                taken.add(f"S{n}")
                episode.speakers.append(Speaker(id=f"S{n}", name=person.name, role=person.role))
    episode.turns = new_turns
    episode.notes.append(
        f"speakers attributed from text alone (learned turn model; {len(episode.speakers)} speaker"
        f"{'s' if len(episode.speakers) != 1 else ''}"
        f"{' as hinted' if hint and len(hint) >= 2 else ' estimated'}); "
        + "; ".join(path.notes + (notes or ["no names found, generic labels used"]))
    )
    return episode
