"""Text-only speaker attribution for transcripts without speaker labels.

An unlabelled transcript (raw ASR chunks) is joined, split into sentences
across chunk boundaries, and the sentences are grouped into turns by a
semi-Markov model (a hidden Markov model over whole turns) whose states are the
speakers:

* **emissions** score how host-like a sentence is: a logistic regression over
  cue features (:mod:`castline.diarize.text_features`: questions, requests,
  second person aimed at the guest, introductions, thanks for joining or for
  having me, "we built", first person, length, the neighbouring sentences)
  gives host-vs-guest log-odds. Names add speaker-specific evidence: someone
  addressed by name is not the one speaking, and is likely to speak next;
  someone introducing themselves ("I'm NAME") is speaking.
* **boundaries** score each sentence boundary for a change of speaker with a
  second logistic regression (a question before, an answer or reaction opener
  after, a vocative name, an unfinished sentence across it, an echo of the
  other's words, "you ...?" then "I ...").
* **turn lengths** follow a log-normal prior per role, and a turn that ends by
  handing over with a question leans to the host, which lets a host's long
  preamble before a question stay one turn.

A dynamic programme picks the best sequence of turns; forward-backward over a
sentence-level HMM with the same evidence gives each turn a ``confidence``.
Structure anchors the decoding: the host's introduction (up to the greeting of
the guest) and sponsor reads are the host's; cold-open quotes lean to the
guest and to whoever says them where they reappear later.

Names come from a ``speakers`` hint (:func:`parse_speakers`) or from the intro
("conversation with NAME", "my guest today is NAME", "I'm NAME", ...).
The regressions and the decoder settings (:class:`Weights`) are fitted on the
tuning part of ``bench/devset`` by ``bench/speakers.py --fit`` and stored in
:mod:`castline.diarize.text_weights`; ``bench/speakers.py`` reports tuning and
held-out figures. Long episodes get a second pass that learns each speaker's
own vocabulary from the first (naive Bayes, cross-fitted in two folds).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from castline.diarize.names import (
    GREETING_VOCATIVE,
    HOST_THANKS,
    NameMatcher,
    discover_names,
    parse_speakers,
)
from castline.diarize.roles import UNATTRIBUTED, assign_roles
from castline.diarize.units import SentenceUnit, join_chunks, regroup_turns, sentence_units
from castline.model import Episode, Speaker
from castline.segment.structure import find_cold_open, intro_index, sponsor_spans

__all__ = [
    "UNATTRIBUTED",
    "WEIGHTS",
    "Weights",
    "attribute_speakers",
    "discover_names",
    "parse_speakers",
]

# -- per-sentence evidence ---------------------------------------------------------

# Question openers; bare wh-words count only when the sentence ends in "?",
# since "When I was a kid ..." and "What you want is ..." are statements.
_QUESTION_OPENER = re.compile(
    r"^(?:(?:so|and|but|now|okay|ok|well|right|then),?\s+)*(?:(?P<wh>what|how|why|when|where|who"
    r"|which)\b|do\s+you|did\s+you|are\s+you|can\s+you|could\s+you|would\s+you|will\s+you"
    r"|have\s+you|tell\s+(?:us|me)|talk\s+(?:us|me)\s+through|walk\s+(?:us|me)\s+through)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:tell\s+(?:us|me|our\s+\w+)|walk\s+(?:us|me)\s+through|talk\s+(?:us|me)\s+through"
    r"|can\s+you\s+(?:explain|describe|say|give)|(?:i'?m|i’m)\s+(?:curious|wondering)"
    r"|what\s+(?:do|did|would|will)\s+you|how\s+(?:do|did|would|will)\s+you"
    r"|what'?s\s+your|what’s\s+your|let'?s\s+(?:start|begin|talk|get\s+into|dig|turn|go\s+back)"
    r"|let’s\s+(?:start|begin|talk|get\s+into|dig|turn|go\s+back)|let\s+me\s+(?:ask|push|start|turn|come\s+back|bring\s+in"
    r"|i'?m\s+trying\s+to\s+(?:understand|tease\s+out|get\s+at|figure\s+out|square)"
    r"|(?:so\s+)?you'?re\s+saying|what\s+you'?re\s+saying|if\s+i\s+understand\s+you"
    r"|play\s+devil|read\s+you|put\s+(?:this|it)\s+to\s+you)|i\s+want\s+to\s+ask)\b",
    re.IGNORECASE,
)
_YOU_GUEST = re.compile(
    r"\b(?:you\s+guys|you\s+folks|you\s+all|y'all|your\s+(?:company|team|work|research|book|paper"
    r"|startup|background|career|view|views|take|lab|product|customers|co-?founder|journey"
    r"|thesis|vision|approach|story|experience|models?)|you\s+(?:built|founded|started|wrote"
    r"|said|mentioned|think|believe|argue|decided|raised|wrote|were\s+saying)"
    r"|(?:interview(?:ing)?|ask(?:ing)?|having)\s+you\b|(?:have|had)\s+you\s+on)\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|we're|we’re|we've|we’ve|we'd|our|ours|us)\b", re.IGNORECASE)
_WE_BUILD = re.compile(
    r"\b(?:we|our)\s+(?:built|build|founded|started|launched|trained|train|ship|shipped|raised"
    r"|hired|decided|took|focus|company|models?|team|customers|product|research|approach"
    r"|view|mission|goal)\b",
    re.IGNORECASE,
)
_GUEST_THANKS = re.compile(
    r"\b(?:thank(?:s|\s+you)(?:\s+so\s+much|\s+very\s+much)?\s+for\s+having\s+me"
    r"|(?:great|good|glad|happy|pleasure|thrilled|excited)\s+to\s+be\s+(?:here|on|back)"
    r"|thanks\s+for\s+the\s+invit)",
    re.IGNORECASE,
)
# "..., right?" "..., isn't it?": often rhetorical, the speaker may go on.
_TAG_QUESTION = re.compile(
    r",\s*(?:right|no|yeah|correct|okay|ok|you\s+know|agreed|(?:is|are|was|were|do|does|did"
    r"|have|has|can|could|would|will|should)n['’]?t\s+(?:it|they|you|we|he|she|that|there))\?$",
    re.IGNORECASE,
)
_TAG_ONLY = re.compile(
    r"^(?:right|yeah|no|correct|okay|ok|you\s+know|true|agreed|isn['’]?t\s+it|don['’]?t\s+you"
    r"\s+think)\s*\?$",
    re.IGNORECASE,
)
# Questions asked as statements: "I'd love to know what you ...", "I wonder whether ...".
_INDIRECT_QUESTION = re.compile(
    r"\b(?:i'?d\s+love\s+to\s+(?:know|hear)|i’d\s+love\s+to\s+(?:know|hear)|i'?m\s+curious"
    r"|i’m\s+curious|i\s+wonder(?:ed)?\s+(?:if|whether|what|how|why)|tell\s+(?:us|me)\s+about"
    r"|i\s+want\s+to\s+(?:ask|hear|know))\b",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^(?:(?:and|but|so|well|oh|look),?\s+(?=i\s+(?:agree|disagree|'?d\s+push|'?ll\s+push)|that'?s\s+fair"
    r"|to\s+be\s+fair))?(?:yeah|yes|yep|yup|no|nope|absolutely|exactly|definitely|totally|right|sure|correct"
    r"|indeed|oh|wow|interesting|fascinating|amazing|great|good\s+(?:question|point)|okay|ok|mm"
    r"|mhm|hmm|ah|well|of\s+course|i\s+agree|i\s+disagree|fair(?:\s+enough)?|true|thank\s+you"
    r"|thanks|i\s+love\s+that|love\s+that|that'?s\s+(?:a\s+)?(?:great|good|fair|interesting"
    r"|right|true|so|really|amazing|fascinating)|that’s\s+(?:a\s+)?(?:great|good|fair|interesting"
    r"|right|true|so|really|amazing|fascinating)|so\s+i\s+think|i\s+think\s+(?:that'?s|it'?s)"
    r"|it'?s\s+a\s+(?:great|good)\s+question|(?:i'?ll|let\s+me|i'?d|i\s+want\s+to)\s+push\s+(?:back|on)"
    r"|i'?m\s+not\s+sure\s+i\s+agree|to\s+be\s+fair|fair\s+point|good\s+point|i\s+hear\s+you"
    r"|i\s+(?:would|'d)\s+(?:say|argue)|can\s+i\s+(?:jump|come)\s+in)\b",
    re.IGNORECASE,
)
# A sentence that is only a reaction ("Interesting." "Yeah, I love that.").
_REACTION_ONLY = re.compile(
    r"^(?:(?:yeah|yes|yep|no|absolutely|exactly|definitely|totally|right|sure|correct|indeed"
    r"|oh|wow|interesting|fascinating|amazing|great|okay|ok|mm|mhm|hmm|ah|ha|haha|of\s+course|true"
    r"|i\s+love\s+that|love\s+that|i\s+agree|fair\s+enough|that'?s\s+(?:\w+\s+){0,2}\w+"
    r"|that’s\s+(?:\w+\s+){0,2}\w+|makes\s+sense|got\s+it|i\s+see|wow)[\s,.!?]*){1,3}$",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|we|us|our|i'm|i’m|we're|we’re)\b", re.I)
# Questions a speaker asks themselves ("the question is, ...?") rather than someone else.
_RHETORICAL = re.compile(
    r"\b(?:the\s+question\s+(?:is|becomes|then\s+is)|there'?s\s+(?:a|the)\s+question\s+of"
    r"|the\s+real\s+question|ask\s+(?:yourself|ourselves))\b",
    re.I,
)


@dataclass
class _Evidence:
    host: np.ndarray  # (N,) host-vs-guest log-likelihood ratio per unit
    words: np.ndarray  # (N,) word counts
    named: np.ndarray  # (N, K) speaker-specific log-odds per unit
    switch: np.ndarray  # (N,) log-odds of a change before unit i (switch[0] unused)
    address: np.ndarray  # (N, K) bonus for switching to speaker k at unit i
    asks: np.ndarray  # (N,) bool: the unit is a question put to someone (not "..., right?")


@dataclass
class Weights:
    """Decoder settings of the turn model (the cue weights are learned).

    Sentence and boundary cue weights are logistic-regression coefficients
    (:mod:`castline.diarize.text_weights`); these few scalars say how the turn
    model combines them, and are chosen by ``bench/speakers.py --fit`` on
    out-of-fold predictions of the tuning dialogues.
    """

    emission_scale: float = 1.0  # multiplies the learned host log-odds
    host_bias: float = 0.0  # lean of every sentence to the host (+) or guests (-)
    switch_scale: float = 1.0  # multiplies the learned change log-odds
    switch_bias: float = 0.0  # added to them (the segment model has length priors too)
    host_median: float = 16.0  # turn length priors (words): log-normal median, spread
    host_spread: float = 2.0
    guest_median: float = 50.0
    guest_spread: float = 1.5
    host_first: float = 1.0  # episodes (after any cold open) open with the host
    adaptation: float = 0.2  # weight of each speaker's own vocabulary (second pass)
    adapt_min_words: float = 2000.0  # adaptation needs this much talk to learn from
    cold_open_guest: float = 1.5  # lean of cold-open sentences to the guests
    turn_end_question: float = 0.0  # a turn that ends in a question is the host's


def _fitted_weights() -> Weights:
    from castline.diarize.text_weights import DECODER

    fields = {f.name for f in dataclasses.fields(Weights)}
    return Weights(**{k: v for k, v in DECODER.items() if k in fields})


WEIGHTS = _fitted_weights()


# -- the model ----------------------------------------------------------------------


def _evidence(
    units: list[SentenceUnit],
    roles: list[str],
    matcher: NameMatcher,
    *,
    host: np.ndarray | None = None,
    switch: np.ndarray | None = None,
) -> _Evidence:
    """Learned sentence and boundary evidence, plus what the speakers' names say.

    ``host`` / ``switch`` replace the fitted models' outputs (the bench passes
    out-of-fold predictions when it chooses the decoder settings).
    """
    from castline.diarize import text_features

    texts = [u.text for u in units]
    n, k = len(units), len(roles)
    host = text_features.host_logit(texts) if host is None else np.array(host, dtype=float)
    switch = text_features.switch_logit(texts) if switch is None else np.array(switch, dtype=float)
    named = np.zeros((n, k))
    address = np.zeros((n, k))
    for i, unit in enumerate(units):
        vocatives = matcher.vocatives(unit.text)
        for j in vocatives:
            named[i, j] -= 3.0  # nobody addresses themselves
            # The addressed person speaks next (or soon): favour switching to them
            # over the next few sentences, until the question is out.
            for ahead in range(i + 1, min(n, i + 5)):
                address[ahead, j] += 1.5
                if units[ahead - 1].text.rstrip().endswith("?"):
                    break
        for j in matcher.mentions(unit.text):
            if j in vocatives:
                continue
            # People rarely name themselves, except to introduce themselves.
            if re.search(r"(?i)\b(?:i'?m|i’m|i\s+am|my\s+name\s+is|this\s+is)\s+[A-Z]", unit.text):
                named[i, j] += 2.0
            else:
                named[i, j] -= 1.0
    words = np.array([u.words for u in units], dtype=float)
    asks = np.array([_asks_someone(t) for t in texts])
    return _Evidence(host=host, words=words, named=named, switch=switch, address=address, asks=asks)


def _asks_someone(text: str) -> bool:
    """A question put to someone else, not a "..., right?" check-in."""
    stripped = text.strip()
    return stripped.endswith("?") and not (_TAG_QUESTION.search(stripped) or _TAG_ONLY.match(stripped))


def _log_sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return -np.logaddexp(0.0, -np.asarray(x))


def _scores(ev: _Evidence, roles: list[str], forced: dict[int, int], w: Weights):
    """Emission (N, K) and per-boundary transition (N, K, K) log scores."""
    n, k = ev.named.shape
    role_sign = np.array([1.0 if r == "host" else -1.0 if r == "guest" else 0.0 for r in roles])
    # Half the host-vs-guest log ratio each way keeps their difference the ratio.
    host = w.emission_scale * ev.host + w.host_bias
    emit = 0.5 * host[:, None] * role_sign[None, :] + ev.named
    for i, state in forced.items():
        emit[i, :] = -30.0
        emit[i, state] = 0.0
    switch = w.switch_scale * ev.switch + w.switch_bias
    stay = _log_sigmoid(-switch)  # log(1 - p_switch)
    move = _log_sigmoid(switch)  # log p_switch
    trans = np.zeros((n, k, k))
    if k > 1:
        # Guests talk to the host more than to each other.
        weight = np.ones((k, k))
        for a in range(k):
            for b in range(k):
                if a != b and roles[a] != "host" and roles[b] != "host":
                    weight[a, b] = 0.4
        np.fill_diagonal(weight, 0.0)
        norm = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-9)
        with np.errstate(divide="ignore"):
            log_norm = np.log(norm)
        for i in range(1, n):
            bonus = ev.address[i][None, :]
            t = move[i] + log_norm + bonus
            np.fill_diagonal(t, stay[i])
            trans[i] = t
    return emit, trans


#: Longest turn the segment model considers, in sentences; longer ones chain.
MAX_TURN_UNITS = 160
#: Cost of chaining two turns of the same speaker (only for very long turns).
CHAIN_PENALTY = 4.0


def _decode_turns(
    emit: np.ndarray, trans: np.ndarray, ev: _Evidence, roles: list[str], w: Weights
) -> list[int]:
    """Semi-Markov Viterbi: the best sequence of turns (speaker per unit).

    A turn's score is the sum of its units' emissions, the stay scores of the
    boundaries inside it and a log-normal prior on its length in words by role;
    a change between turns scores the boundary's switch evidence.
    """
    n, k = emit.shape
    span = MAX_TURN_UNITS
    cum_emit = np.vstack([np.zeros(k), np.cumsum(emit, axis=0)])
    columns = np.arange(k)
    cum_stay = np.vstack([np.zeros(k), np.cumsum(trans[:, columns, columns], axis=0)])
    cum_words = np.concatenate([[0.0], np.cumsum(ev.words)])
    # Hosts ask short questions and guests give long answers, but both vary a lot.
    priors = {
        "host": (w.host_median, w.host_spread),
        "guest": (w.guest_median, w.guest_spread),
    }
    other = (math.sqrt(w.host_median * w.guest_median), w.guest_spread + 0.2)
    mu = np.array([math.log(priors.get(r, other)[0]) for r in roles])
    sigma = np.array([priors.get(r, other)[1] for r in roles])
    start_bonus = np.array([w.host_first if r == "host" else 0.0 for r in roles])
    role_sign = np.array([1.0 if r == "host" else -1.0 if r == "guest" else 0.0 for r in roles])
    end_question = w.turn_end_question * ev.asks[:, None] * role_sign[None, :]
    # Same-speaker chaining: allowed for over-long turns, at a cost.
    chained = trans.copy()
    chained[:, columns, columns] -= CHAIN_PENALTY
    two_sigma2 = 2 * sigma**2

    # A turn's own score, for every end b and every start a within reach (row b - 1,
    # column a - b + span; columns before the episode start are never read).
    ends = np.arange(1, n + 1)[:, None]
    starts = np.maximum(ends - span + np.arange(span)[None, :], 0)
    ends = np.broadcast_to(ends, starts.shape)
    log_words = np.log(np.maximum(cum_words[ends] - cum_words[starts], 1.0))[:, :, None]
    inside = cum_emit[ends] - cum_emit[starts]
    # Boundaries strictly inside the turn all "stay".
    inside += cum_stay[ends] - cum_stay[np.minimum(starts + 1, ends)]
    inside -= (log_words - mu) ** 2 / two_sigma2
    # Hosts end their turns by handing over with a question, however long the
    # preamble; a guest's turn rarely ends in one.
    inside += end_question[:, None, :]

    best = np.full((n + 1, k), -np.inf)
    back_start = np.zeros((n + 1, k), dtype=int)
    back_state = np.zeros((n + 1, k), dtype=int)
    # Entering a turn that starts at a (from the start, or from a turn of state i
    # ending there) depends only on the turns ending at a: worked out once, as soon
    # as best[a] is known. The loop over turn ends is the only Python loop.
    enter_best = np.empty((n + 1, k))
    enter_from = np.zeros((n + 1, k), dtype=int)
    enter_best[0] = start_bonus
    for b in range(1, n + 1):
        lo = max(0, b - span)
        total = enter_best[lo:b] + inside[b - 1, span - (b - lo) :]
        pick = np.argmax(total, axis=0)
        best[b] = total[pick, columns]
        back_start[b] = lo + pick
        back_state[b] = enter_from[lo + pick, columns]
        if b < n:
            move = best[b][:, None] + chained[b]  # (from, to)
            enter_from[b] = np.argmax(move, axis=0)
            enter_best[b] = move[enter_from[b], columns]
    path = [0] * n
    b, j = n, int(np.argmax(best[n]))
    while b > 0:
        a = back_start[b, j]
        for i in range(a, b):
            path[i] = j
        b, j = a, back_state[b, j]
    return path


def _posteriors(emit: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Per-unit state posteriors of the HMM (forward-backward, rescaled each step)."""
    n, k = emit.shape
    # Probabilities rescaled per step instead of log-space sums: two small
    # matrix products per unit rather than a logsumexp each; any per-row or
    # per-step constant cancels in the normalised posteriors.
    e = np.exp(emit - emit.max(axis=1, keepdims=True))
    t = np.exp(trans - trans.max(axis=(1, 2), keepdims=True))
    fwd = np.empty((n, k))
    bwd = np.ones((n, k))
    fwd[0] = e[0] / e[0].sum()
    for i in range(1, n):
        f = (fwd[i - 1] @ t[i]) * e[i]
        fwd[i] = f / max(f.sum(), 1e-300)
    for i in range(n - 2, -1, -1):
        b = t[i + 1] @ (e[i + 1] * bwd[i + 1])
        bwd[i] = b / max(b.sum(), 1e-300)
    post = fwd * bwd
    return post / np.maximum(post.sum(axis=1, keepdims=True), 1e-300)


# -- speakers for the states ---------------------------------------------------------


def _state_speakers(units: list[SentenceUnit], hint: list[Speaker] | None) -> tuple[list[Speaker], list[str]]:
    """Speakers (one per model state) and notes on where their names came from."""
    if hint:
        speakers = [Speaker(id=f"S{i + 1}", name=s.name, role=s.role) for i, s in enumerate(hint)]
        if len(speakers) == 1:
            # One named person still talks to someone.
            other = "guest" if speakers[0].role == "host" else "host"
            speakers.append(Speaker(id="S2", name=other.title(), role=other))
        return speakers, ["speakers from the given hint"]
    host, guests = discover_names([u.text for u in units])
    notes = []
    if host:
        notes.append(f"host name {host!r} found in the intro")
    if guests:
        notes.append(f"guest names {guests!r} found in the intro")
    speakers = [Speaker(id="S1", name=host or "Host", role="host")]
    for i, name in enumerate(guests or ["Guest"]):
        speakers.append(Speaker(id=f"S{i + 2}", name=name, role="guest"))
    return speakers, notes


# -- public entry point -----------------------------------------------------------------


def attribute_speakers(episode: Episode, *, speakers: list[Speaker] | None = None) -> Episode:
    """Give every turn a speaker, name and role; returns ``episode`` (mutated).

    Unattributed input (every ``Turn.speaker`` None): the chunks are joined,
    split into sentences, decoded into turns by a turn-level (semi-Markov)
    model over sentence evidence, refined once with each speaker's own
    vocabulary on long episodes, and regrouped into turns whose ``verbatim``
    is the exact source text of their sentences (so the words, in order, are
    exactly the input's), with times interpolated from the source chunks (or
    taken from their word timings) and a ``confidence`` (mean posterior of the
    chosen speaker). ``speakers`` (see :func:`parse_speakers`) fixes who is in
    the episode; otherwise names come from the intro, else "Host" / "Guest".
    A third speaker appears only when hinted or announced in the intro.

    Labelled input: names and turns are kept; roles come from ``speakers``
    matched by fuzzy name (unmatched people get ``other``), else a speaker who
    out-asks everyone they talk with is a host (one per conversation in a
    notebook of excerpts) and the others guests. Unlabelled turns in a
    labelled file get a speaker "Unattributed" (role ``other``) rather than a
    guess.

    Examples
    --------
    >>> episode = attribute_speakers(episode, speakers=parse_speakers("Tim Scarfe:host,Eiso Kant"))
    >>> [(s.name, s.role) for s in episode.speakers]
    [('Tim Scarfe', 'host'), ('Eiso Kant', 'guest')]
    """
    if not episode.turns:
        return episode
    if all(t.speaker is None for t in episode.turns):
        import os

        if os.environ.get("CASTLINE_TEXT_ATTRIBUTION") == "learned":
            from castline.diarize.learned import attribute_speakers as learned

            return learned(episode, speakers=speakers)
        return _attribute_unlabelled(episode, speakers)
    from castline.diarize.text_features import host_logit

    return assign_roles(episode, speakers, host_logits=lambda turns: [host_logit(t) for t in turns])


def _attribute_unlabelled(episode: Episode, hint: list[Speaker] | None) -> Episode:
    chunks = episode.turns
    full, spans = join_chunks(chunks)
    units = sentence_units(full, spans)
    if not units:
        return episode

    state_speakers, notes = _state_speakers(units, hint)
    path, post = _decode_speakers(units, state_speakers)
    if not hint:
        # A guest found in the intro but given almost nothing was probably only
        # mentioned ("... and his co-founder Jason"): decode again without them.
        words = np.array([u.words for u in units], dtype=float)
        share = [words[np.array(path) == k].sum() / words.sum() for k in range(len(state_speakers))]
        minor = [k for k, sp in enumerate(state_speakers) if sp.role == "guest" and share[k] < 0.05]
        if minor and len(state_speakers) - len(minor) >= 2:
            state_speakers = [sp for k, sp in enumerate(state_speakers) if k not in minor]
            for index, sp in enumerate(state_speakers):
                sp.id = f"S{index + 1}"
            path, post = _decode_speakers(units, state_speakers)

    # Regroup units into turns: boundaries at the start of each run.
    new_turns = regroup_turns(chunks, full, spans, units, path, [sp.id for sp in state_speakers],
                              lambda a, b, state: float(np.mean(post[a:b, state])))

    used = {t.speaker for t in new_turns}
    keep = [s for s in state_speakers if s.id in used or hint]
    episode.speakers = keep
    episode.turns = new_turns
    episode.notes.append(
        "speakers attributed from text alone (sentence-level turn model); "
        + "; ".join(notes or ["no names found, generic labels used"])
    )
    return episode


def _decode_speakers(
    units: list[SentenceUnit],
    state_speakers: list[Speaker],
    *,
    weights: Weights | None = None,
    host: np.ndarray | None = None,
    switch: np.ndarray | None = None,
) -> tuple[list[int], np.ndarray]:
    """Speaker state per unit (segment model) and per-unit posteriors (HMM).

    ``weights``, ``host`` and ``switch`` override the fitted decoder settings and
    cue models (used by the bench when it fits them).
    """
    w = weights or WEIGHTS
    roles = [s.role for s in state_speakers]
    matcher = NameMatcher([s.name for s in state_speakers])
    ev = _evidence(units, roles, matcher, host=host, switch=switch)
    texts = [u.text for u in units]

    forced: dict[int, int] = {}
    host_states = [k for k, r in enumerate(roles) if r == "host"]
    if host_states:
        # The host's introduction runs until the host greets the guest.
        intro = intro_index(texts)
        if intro is not None:
            greeting = next(
                (
                    j
                    for j in range(intro, min(len(units), intro + 80))
                    if HOST_THANKS.search(texts[j]) or GREETING_VOCATIVE.search(texts[j])
                ),
                intro,
            )
            for i in range(intro, greeting + 1):
                forced[i] = host_states[0]
        for a, b in sponsor_spans(texts):
            for i in range(a, b):
                forced[i] = host_states[0]
    emit, trans = _scores(ev, roles, forced, w)
    path = _decode_turns(emit, trans, ev, roles, w)
    cold = find_cold_open(texts)
    if cold is not None:
        # A cold-open quote is said by whoever says it where it reappears; the
        # later attribution may itself be wrong, so this is evidence, not a rule.
        # Cold opens are mostly the guest's, which leans the rest that way.
        guest_states = [k for k, r in enumerate(roles) if r != "host"]
        for i in range(cold.end):
            if i in forced:
                continue
            match = cold.matches[i] if i < len(cold.matches) else None
            if guest_states:
                ev.host[i] -= w.cold_open_guest / max(w.emission_scale, 1e-6)
            if match is not None and match >= cold.end:
                ev.named[i, path[match]] += 2.0
        emit, trans = _scores(ev, roles, forced, w)
        path = _decode_turns(emit, trans, ev, roles, w)
    if w.adaptation > 0 and ev.words.sum() >= w.adapt_min_words and len(set(path)) > 1:
        # Each voice has its own words (a guest's company, a host's "folks"):
        # learn them from this first pass and decode again with them.
        post = _posteriors(*_scores(ev, roles, forced, w))
        style = _style_evidence(texts, path, post, len(roles))
        ev.named += w.adaptation * style
        emit, trans = _scores(ev, roles, forced, w)
        path = _decode_turns(emit, trans, ev, roles, w)
    # Confidence: posteriors of a sentence-level HMM over the same evidence,
    # taken at the cue models' own scale: the logistic regressions are
    # calibrated probabilities, the decoder's sharpened settings are not.
    calibrated = dataclasses.replace(w, emission_scale=1.0, host_bias=0.0, switch_scale=1.0, switch_bias=0.0)
    emit, trans = _scores(ev, roles, forced, calibrated)
    return path, _posteriors(emit, trans)


def _style_evidence(texts: list[str], path: list[int], post: np.ndarray, k: int) -> np.ndarray:
    """Per-unit, per-speaker log-odds from each speaker's own vocabulary.

    A multinomial naive Bayes model is trained on the confidently attributed
    sentences of one half of the episode and scores the other half (two
    folds), so no sentence votes for its own first-pass label. Scores are
    centred per sentence and clipped: style nudges, it does not decide.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    n = len(texts)
    out = np.zeros((n, k))
    labels = np.array(path)
    confidence = post[np.arange(n), labels]
    try:
        matrix = CountVectorizer(token_pattern=r"[\w'’]+", min_df=2).fit_transform(texts)
    except ValueError:  # no shared vocabulary
        return out
    folds = np.arange(n) % 2
    for fold in (0, 1):
        train = (folds != fold) & (confidence >= 0.8)
        test = folds == fold
        if len(set(labels[train])) < 2:
            continue
        model = MultinomialNB(alpha=1.0).fit(matrix[train], labels[train], sample_weight=confidence[train])
        scores = np.full((int(test.sum()), k), 0.0)
        joint = model.predict_joint_log_proba(matrix[test])
        scores[:, model.classes_] = joint - joint.mean(axis=1, keepdims=True)
        out[test] = scores
    return np.clip(out, -2.0, 2.0)


# -- labelled input -----------------------------------------------------------------------
