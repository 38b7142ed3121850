"""Decoding the turn model's outputs into speakers: how many, and who says each sentence.

1. **Turns.** A change of speaker before sentence ``i`` where the model's change
   probability passes :attr:`DecoderSettings.change_threshold`.
2. **How many speakers.** A hint fixes the number. Otherwise a small
   multinomial logistic regression (:class:`CountModel`, fitted on the
   validation show by ``bench/speakers_corpus.py --tune``) reads episode-level
   evidence: how often the speaker changes, how long turns are, how far apart
   the turns' voice vectors cluster at each number of speakers, how many
   different people are addressed by name and how many the intro announces.
3. **Who says each sentence.** A hidden Markov model over the sentences whose
   states are the speakers. It starts from strict alternation for two
   speakers (a change always hands over to the other one) and from clusters of
   turn voice vectors for more. The emission of sentence ``i`` for speaker
   ``k`` adds the agreement of its voice with the speaker's centroid, its host
   log-odds signed by how host-like the speaker is, and the speaker's own
   vocabulary learnt from the previous pass (naive Bayes, cross-fitted in two
   folds so no sentence votes for its own label); a transition is the change
   probability (spread over the other speakers) or its complement. Viterbi
   gives the path; the passes repeat :attr:`DecoderSettings.rounds` times.
4. **Confidence.** Per turn, a logistic regression fitted by the bench on the
   validation show's decoded turns (:attr:`DecoderSettings.calibration`)
   reads the turn's forward-backward posteriors, the change probabilities at
   its two ends and its length, and says how likely its speaker is right, so
   a confidence of 0.9 is right about nine times in ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from castline.diarize.turn_model import TurnPrediction

__all__ = [
    "COUNT_FEATURES",
    "CountModel",
    "DecoderSettings",
    "SpeakerPath",
    "count_features",
    "decode_speakers",
    "settings_from_json",
    "settings_to_json",
]


@dataclass(frozen=True)
class CountModel:
    """Multinomial logistic regression: episode features -> number of speakers (1..len(classes))."""

    classes: tuple[int, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]

    def predict(self, features: np.ndarray) -> int:
        """The most probable number of speakers."""
        x = (np.asarray(features, dtype=float) - np.array(self.mean)) / np.array(self.scale)
        logits = np.array(self.coef) @ x + np.array(self.intercept)
        return int(self.classes[int(np.argmax(logits))])


@dataclass(frozen=True)
class DecoderSettings:
    """Settings of :func:`decode_speakers` (tuned on the validation show)."""

    change_threshold: float = 0.5
    max_speakers: int = 6
    voice_weight: float = 4.0
    host_weight: float = 0.5
    style_weight: float = 0.3
    #: pull of "the person just addressed by name takes the floor" (and "nobody addresses themselves")
    address_weight: float = 0.0
    #: how far a sentence the structure gives to a guest (``forced`` ``"guest"``) leans off the host
    guest_weight: float = 0.0
    rounds: int = 2
    #: logistic regression of "this turn's speaker is right" on :func:`turn_features`:
    #: ``(intercept, *coefficients)``; empty: the raw posterior is the confidence
    calibration: tuple[float, ...] = ()
    count_model: CountModel | None = None


def settings_to_json(settings: DecoderSettings) -> str:
    """``settings`` as JSON (stored beside the turn model's weights)."""
    import dataclasses
    import json

    return json.dumps(dataclasses.asdict(settings))


def settings_from_json(text: str) -> DecoderSettings:
    """The inverse of :func:`settings_to_json`; unknown keys are ignored."""
    import dataclasses
    import json

    raw = json.loads(text)
    known = {f.name for f in dataclasses.fields(DecoderSettings)}
    values = {k: v for k, v in raw.items() if k in known}
    if values.get("count_model"):
        cm = values["count_model"]
        values["count_model"] = CountModel(
            classes=tuple(cm["classes"]), mean=tuple(cm["mean"]), scale=tuple(cm["scale"]),
            coef=tuple(tuple(r) for r in cm["coef"]), intercept=tuple(cm["intercept"]),
        )
    if "calibration" in values:
        values["calibration"] = tuple(float(x) for x in values["calibration"])
    return DecoderSettings(**values)


@dataclass
class SpeakerPath:
    """The decoded speaker of every sentence and what the decoder knows of each speaker."""

    states: list[int]  # speaker index per sentence, 0..k-1, in order of first appearance
    posterior: np.ndarray  # (n, k) posteriors (raw)
    host_score: list[float]  # per speaker: mean host probability of their sentences
    notes: list[str] = field(default_factory=list)
    calibration: tuple[float, ...] = ()
    change: np.ndarray | None = None  # (n,) change probability before each sentence
    words: np.ndarray | None = None  # (n,) word counts

    def turn_features(self, start: int, end: int) -> np.ndarray:
        """What says a turn ``start:end`` is right: its posteriors, the changes around it, its length."""
        raw = self.posterior[np.arange(start, end), np.array(self.states[start:end])]
        n = len(self.states)
        change = self.change if self.change is not None else np.ones(n)
        words = float(self.words[start:end].sum()) if self.words is not None else float(end - start)
        return np.array([
            raw.mean(), raw.min(), change[start] if start > 0 else 1.0, change[end] if end < n else 1.0,
            np.log1p(words), 1.0 / self.count,
        ])

    def confidence(self, start: int, end: int) -> float:
        """Calibrated confidence that sentences ``start:end`` (one turn) have the right speaker."""
        if end <= start:
            return 0.0
        x = self.turn_features(start, end)
        if not self.calibration or self.count == 1:
            return float(x[0])
        logit = self.calibration[0] + float(np.dot(self.calibration[1:], x))
        return float(1.0 / (1.0 + np.exp(-logit)))

    @property
    def count(self) -> int:
        """Number of speakers."""
        return self.posterior.shape[1]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _runs(changes: np.ndarray) -> list[tuple[int, int]]:
    starts = [0, *[i for i in range(1, len(changes)) if changes[i]]]
    return list(zip(starts, [*starts[1:], len(changes)], strict=True))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def _turn_vectors(voice: np.ndarray, w: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    return _unit(np.array([(voice[a:b] * w[a:b, None]).sum(axis=0) for a, b in runs]))


#: Names of :func:`count_features`' columns.
COUNT_FEATURES = (
    "changes_per_100_words", "log_words", "log_mean_turn", "height_2", "height_3", "height_4", "height_5",
    "height_6", "addressed_names", "intro_names", "host_share",
)


def count_features(prediction: TurnPrediction, words: Sequence[int], *, addressed: int, announced: int,
                   threshold: float = 0.5) -> np.ndarray:
    """Episode-level evidence of how many people speak (see :data:`COUNT_FEATURES`)."""
    w = np.asarray(words, dtype=float)
    p_change = _sigmoid(prediction.change)
    changes = p_change >= threshold
    changes[:1] = False
    runs = _runs(changes)
    heights = np.zeros(5)
    if len(runs) >= 3:
        from scipy.cluster.hierarchy import linkage

        vectors = _turn_vectors(prediction.voice, w, runs)
        merges = linkage(vectors, method="average", metric="cosine")[:, 2]
        tail = merges[::-1][:5]  # merging 2->1, 3->2, ...
        heights[: len(tail)] = tail
    total = max(w.sum(), 1.0)
    return np.array([
        100.0 * (len(runs) - 1) / total, np.log(total), np.log(total / len(runs)), *heights,
        min(addressed, 8), min(announced, 6),
        float(np.mean(_sigmoid(prediction.host) > 0.5)) if len(w) else 0.0,
    ])


def _viterbi(emit: np.ndarray, stay: np.ndarray, switch: np.ndarray) -> np.ndarray:
    n, k = emit.shape
    score = emit[0].copy()
    back = np.zeros((n, k), dtype=int)
    states = np.arange(k)
    for i in range(1, n):
        order = np.argsort(score)[::-1]
        best, second = order[0], order[1] if k > 1 else order[0]
        other_best = np.where(states == best, second, best)
        from_self = score + stay[i]
        from_other = score[other_best] + switch[i]
        take_self = from_self >= from_other
        back[i] = np.where(take_self, states, other_best)
        score = np.where(take_self, from_self, from_other) + emit[i]
    path = np.zeros(n, dtype=int)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _posteriors(emit: np.ndarray, stay: np.ndarray, switch: np.ndarray) -> np.ndarray:
    n, k = emit.shape
    alpha = np.zeros((n, k))
    beta = np.zeros((n, k))
    e = np.exp(emit - emit.max(axis=1, keepdims=True))
    alpha[0] = e[0] / e[0].sum()
    p_stay, p_switch = np.exp(stay), np.exp(switch)
    for i in range(1, n):
        prev = alpha[i - 1]
        a = e[i] * (p_stay[i] * prev + p_switch[i] * (prev.sum() - prev))
        alpha[i] = a / max(a.sum(), 1e-300)
    beta[-1] = 1.0
    for i in range(n - 1, 0, -1):
        b = e[i] * beta[i]
        beta[i - 1] = p_stay[i] * b + p_switch[i] * (b.sum() - b)
        beta[i - 1] /= max(beta[i - 1].sum(), 1e-300)
    post = alpha * beta
    return post / np.maximum(post.sum(axis=1, keepdims=True), 1e-300)


def _style(bags, state: np.ndarray, k: int, confident: np.ndarray) -> np.ndarray:
    """Per-sentence, per-speaker log-odds from each speaker's own words (cross-fitted naive Bayes)."""
    from sklearn.naive_bayes import MultinomialNB

    n = len(state)
    out = np.zeros((n, k))
    folds = np.arange(n) % 2
    for fold in (0, 1):
        train = (folds != fold) & confident
        test = folds == fold
        if len(set(state[train].tolist())) < 2:
            continue
        model = MultinomialNB(alpha=1.0).fit(bags[train], state[train])
        joint = model.predict_joint_log_proba(bags[test])
        scores = np.zeros((int(test.sum()), k))
        scores[:, model.classes_] = joint - joint.mean(axis=1, keepdims=True)
        out[test] = scores
    return np.clip(out, -3.0, 3.0)


def _address_emission(state: np.ndarray, p_change: np.ndarray, k: int,
                      addressees: Sequence[Sequence[int]] | None,
                      addressers: Sequence[Sequence[int]] | None) -> np.ndarray:
    """Per-sentence, per-speaker pull from names addressed (see :func:`decode_speakers`)."""
    n = len(state)
    before = addressees or [()] * n
    own = addressers or [()] * n
    votes: dict[int, np.ndarray] = {}
    for i in range(1, n):
        if state[i] != state[i - 1]:
            for j in before[i]:
                votes.setdefault(j, np.zeros(k))[state[i]] += 1.0
        for j in own[i]:
            votes.setdefault(j, np.zeros(k))[state[i]] -= 0.5
    bound = {j: int(np.argmax(v)) for j, v in votes.items() if v.max() > 0}
    out = np.zeros((n, k))
    for i in range(n):
        for j in before[i]:
            if j in bound:
                out[i, bound[j]] += p_change[i]
        for j in own[i]:
            if j in bound:
                out[i, bound[j]] -= 0.5
    return out


def decode_speakers(
    prediction: TurnPrediction,
    words: Sequence[int],
    *,
    speakers: int | None = None,
    forced: dict[int, str] | None = None,
    settings: DecoderSettings | None = None,
    texts: Sequence[str] | None = None,
    addressed: int = 0,
    announced: int = 0,
    addressees: Sequence[Sequence[int]] | None = None,
    addressers: Sequence[Sequence[int]] | None = None,
) -> SpeakerPath:
    """Speakers of an episode's sentences from the turn model's ``prediction``.

    Parameters
    ----------
    prediction
        :meth:`castline.diarize.turn_model.TurnModel.predict` of the sentences.
    words
        Word count of each sentence (turns and clusters are word-weighted).
    speakers
        The number of speakers when known (a hint); estimated otherwise.
    forced
        ``{sentence index: "host" | "guest"}``: sentences the structure gives
        a role. ``"host"`` (the introduction, sponsor reads) go to the most
        host-like speaker; ``"guest"`` ones lean off that speaker by
        :attr:`DecoderSettings.guest_weight`.
    settings
        Decoder settings; :class:`DecoderSettings` defaults otherwise.
    texts
        The sentences themselves, for each speaker's own vocabulary (optional).
    addressed, announced
        How many different people the text addresses by name, and how many the
        intro announces: evidence for the number of speakers.
    addressees, addressers
        Per sentence, the people (indices into some list of names) the sentence
        before it addresses by name, and the people it addresses itself. From
        the second pass on, each person is bound to the speaker who most often
        takes the floor right after being addressed; a sentence after a
        vocative leans to that speaker (as far as a change is likely there),
        and a sentence never leans to the person it addresses.
    """
    s = settings or DecoderSettings()
    n = len(words)
    w = np.asarray(words, dtype=float)
    p_change = _sigmoid(prediction.change)
    p_host = _sigmoid(prediction.host)
    voice = prediction.voice
    notes: list[str] = []
    if n == 0:
        return SpeakerPath([], np.ones((0, 1)), [0.0], notes)
    changes = p_change >= s.change_threshold
    changes[0] = False
    runs = _runs(changes)
    k = speakers
    if k is None:
        if len(runs) == 1:
            k = 1
        elif s.count_model is not None:
            features = count_features(prediction, words, addressed=addressed, announced=announced,
                                      threshold=s.change_threshold)
            k = s.count_model.predict(features)
        else:
            k = 2
        k = max(1, min(k, s.max_speakers, len(runs)))
    if k == 1:
        notes.append("one speaker: the text reads as one voice")
        return SpeakerPath([0] * n, np.ones((n, 1)), [float(np.mean(p_host))], notes)

    # A start: alternation for two, clusters of turn voices for more.
    if k == 2 or len(runs) <= k:
        labels = np.arange(len(runs)) % k
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(
            _turn_vectors(voice, w, runs)
        )
    state = np.zeros(n, dtype=int)
    for (a, b), label in zip(runs, labels, strict=True):
        state[a:b] = label

    stay = np.log(np.clip(1.0 - p_change, 1e-6, 1.0))
    switch = np.log(np.clip(p_change, 1e-6, 1.0)) - np.log(k - 1)
    host_lo = np.log(np.clip(p_host, 1e-4, 1 - 1e-4)) - np.log(np.clip(1 - p_host, 1e-4, 1.0))
    bags = None
    if texts is not None and s.style_weight > 0 and n >= 40:
        from sklearn.feature_extraction.text import CountVectorizer

        try:
            bags = CountVectorizer(token_pattern=r"[\w'’]+", min_df=2).fit_transform(list(texts))
        except ValueError:  # no shared vocabulary
            bags = None
    forced = forced or {}
    post = None
    emit = np.zeros((n, k))
    for round_ in range(max(1, s.rounds)):
        present = [c for c in range(k) if np.any(state == c)]
        centroids = np.zeros((k, voice.shape[1]))
        hostness = np.full(k, 0.5)
        for c in present:
            centroids[c] = _unit((voice[state == c] * w[state == c, None]).sum(0))
            hostness[c] = np.average(p_host[state == c], weights=w[state == c])
        emit = s.voice_weight * (voice @ centroids.T)
        emit += s.host_weight * host_lo[:, None] * (2 * hostness - 1)[None]
        if bags is not None and round_ > 0 and post is not None:
            confident = post[np.arange(n), state] >= 0.8
            emit = emit + s.style_weight * _style(bags, state, k, confident)
        if round_ > 0 and s.address_weight > 0 and (addressees or addressers):
            emit = emit + s.address_weight * _address_emission(state, p_change, k, addressees, addressers)
        if forced:
            host_state = int(np.argmax(hostness))
            for i, role in forced.items():
                if not 0 <= i < n:
                    continue
                if role == "host":
                    emit[i] = -30.0
                    emit[i, host_state] = 0.0
                else:
                    emit[i, host_state] -= s.guest_weight
        state = _viterbi(emit, stay, switch)
        post = _posteriors(emit, stay, switch)
    # Speakers numbered in order of first appearance; empty ones dropped.
    order = list(dict.fromkeys(state.tolist()))
    rank = {c: i for i, c in enumerate(order)}
    states = [rank[c] for c in state.tolist()]
    post = post[:, order]
    post = post / np.maximum(post.sum(axis=1, keepdims=True), 1e-300)
    hostness_out = [float(np.average(p_host[state == c], weights=w[state == c])) for c in order]
    return SpeakerPath(states, post, hostness_out, notes, s.calibration, p_change, w)
