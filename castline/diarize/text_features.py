"""Cue features of transcript sentences for learned speaker attribution.

Two feature sets feed two logistic-regression models whose coefficients are
fitted on the tuning part of the dev set (``bench/speakers.py --fit`` writes
them to :mod:`castline.diarize.text_weights`):

* :func:`sentence_features` — one row per sentence: is it the host's (asking,
  introducing, thanking for joining, addressing "you") or a guest's (long
  first-person statements, "we built", thanks for having me)? Neighbouring
  sentences add context (a sentence right after a question is an answer).
* :func:`boundary_features` — one row per sentence boundary: does the speaker
  change here (a question before it, a reaction or answer opener after it, a
  name addressed, an unfinished sentence across it)?

The first, hand-weighted model's two scores (:func:`hand_host_score`,
:func:`hand_switch_score`) are features too: they carry cues too rare in the
tuning dialogues to learn alone, and the regressions learn how far to trust
them. Features are cheap regular-expression counts and lengths, so a two-hour
episode (a few thousand sentences) is featurised in well under a second.
:func:`host_logit` and :func:`switch_logit` apply the fitted models.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from castline.diarize import names
from castline.diarize import text_attribution as cues
from castline.segment.structure import is_host_intro

__all__ = [
    "BOUNDARY_FEATURES",
    "SENTENCE_FEATURES",
    "boundary_features",
    "hand_host_score",
    "hand_switch_score",
    "host_logit",
    "sentence_features",
    "switch_logit",
]

_I = re.compile(r"\b(?:i|me|my|mine|i'm|i’m|i've|i’ve|i'd|i’d|i'll|i’ll)\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your|yours|you're|you’re|you've|you’ve|you'd|you’d|you'll|you’ll)\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:percent|half|third|quarter|twice|dozen|hundred|thousand|million|billion"
    r"|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:i\s+think|i\s+guess|i\s+mean|kind\s+of|sort\s+of|you\s+know|basically)\b", re.I)
_FIRST_WORD = re.compile(r"^\W*(\w+)")
_OPENING_WORDS = ("so", "and", "but", "well", "yeah", "okay", "now", "oh", "right")
# A sentence that opens in the first person: how answers start ("I did, ...").
_I_OPENING = re.compile(
    r"^\W*(?:(?:yeah|yes|no|well|so|oh|honestly|actually),?\s+)?(?:i|i'm|i’m|i've|i’ve|i'd|i’d|my|we|we're|we’re|our)\b",
    re.IGNORECASE,
)
_FUNCTION_WORDS = frozenset(
    """that this with have from they them their there what when where which about would could
    should really just like think know going been were will your yours into than then very much
    also because being some more most other only over such those these here thing things""".split()
)
_UNFINISHED = re.compile(r"[.?!…\"”')\]]$")

#: Column names of :func:`sentence_features`, in order.
SENTENCE_FEATURES = (
    "question",
    "question_you",
    "question_self",
    "question_rhetorical",
    "tag_question",
    "question_opener",
    "request",
    "indirect_question",
    "you_guest",
    "we",
    "we_build",
    "host_intro",
    "host_thanks",
    "guest_thanks",
    "log_words",
    "long_statement",
    "first_person",
    "second_person",
    "reaction_only",
    "opener",
    "addresses_someone",
    "number",
    "hedge",
    "after_question",
    "before_question",
    "after_reaction",
    "neighbour_words",
    *(f"starts_{w}" for w in _OPENING_WORDS),
    "hand_host",
)

#: Column names of :func:`boundary_features`, in order.
BOUNDARY_FEATURES = (
    "after_question",
    "after_question_you",
    "after_question_self",
    "after_tag_question",
    "after_indirect_question",
    "after_request",
    "question_after_question",
    "before_question",
    "unfinished",
    "tag_only",
    "starts_or",
    "reaction",
    "opener",
    "thanks",
    "addresses_someone",
    "after_addressing",
    "after_reaction",
    "log_words_before",
    "log_words_after",
    "after_short_statement",
    *(f"starts_{w}" for w in _OPENING_WORDS),
    "hand_switch",
    "echo",
    "you_then_i",
    "i_then_i",
)


def _addresses(text: str) -> bool:
    """True when the sentence calls someone by name ("Ada, ...", "..., Ada?")."""
    stripped = text.strip()
    for pattern in (names.VOCATIVE_START, names.VOCATIVE_END, names.VOCATIVE_FLOOR):
        m = pattern.search(stripped)
        if m and m.group(1).split()[0] not in names.NOT_VOCATIVE:
            return True
    return False


def _first_word(text: str) -> str:
    m = _FIRST_WORD.match(text)
    return m.group(1).lower() if m else ""


def _is_question(text: str) -> bool:
    return text.rstrip().endswith("?")


def sentence_features(texts: Sequence[str]) -> np.ndarray:
    """Feature matrix (one row per sentence, columns :data:`SENTENCE_FEATURES`)."""
    n = len(texts)
    rows = np.zeros((n, len(SENTENCE_FEATURES)))
    questions = [_is_question(t) for t in texts]
    reactions = [bool(cues._REACTION_ONLY.match(t.strip())) for t in texts]
    lengths = [len(t.split()) for t in texts]
    for i, text in enumerate(texts):
        stripped = text.rstrip()
        question = questions[i]
        words = lengths[i]
        tag = bool(cues._TAG_QUESTION.search(stripped) or cues._TAG_ONLY.match(stripped))
        rhetorical = bool(cues._RHETORICAL.search(stripped))
        you = len(_YOU.findall(text))
        opener = cues._QUESTION_OPENER.search(text)
        neighbours = [lengths[j] for j in (i - 1, i + 1) if 0 <= j < n]
        first = _first_word(text)
        rows[i] = [
            question and not tag,
            question and not tag and you > 0,
            question and not tag and you == 0 and bool(cues._FIRST_PERSON.search(stripped)),
            question and rhetorical,
            tag,
            bool(opener) and (question or not opener.group("wh")),
            bool(cues._REQUEST.search(text)),
            not question and bool(cues._INDIRECT_QUESTION.search(text)),
            min(len(cues._YOU_GUEST.findall(text)), 2),
            min(len(cues._WE.findall(text)), 4) / 4,
            min(len(cues._WE_BUILD.findall(text)), 2),
            is_host_intro(text),
            bool(names.HOST_THANKS.search(text)),
            bool(cues._GUEST_THANKS.search(text)),
            math.log1p(words),
            0.0 if question else min(max(words - 18, 0), 40) / 40,
            min(len(_I.findall(text)), 4) / 4,
            min(you, 4) / 4,
            reactions[i],
            not reactions[i] and bool(cues._OPENER.search(text.strip())),
            _addresses(text),
            bool(_NUMBER.search(text)),
            bool(_HEDGE.search(text)),
            i > 0 and questions[i - 1],
            i + 1 < n and questions[i + 1],
            i > 0 and reactions[i - 1],
            math.log1p(sum(neighbours) / len(neighbours)) if neighbours else 0.0,
            *(first == w for w in _OPENING_WORDS),
            hand_host_score(text, words),
        ]
    return rows


def boundary_features(texts: Sequence[str]) -> np.ndarray:
    """Feature matrix of the boundary before each sentence (row 0 is all zeros).

    Columns are :data:`BOUNDARY_FEATURES`; they look only at the two sentences
    on either side, so they are the same whoever the speakers are.
    """
    n = len(texts)
    rows = np.zeros((n, len(BOUNDARY_FEATURES)))
    for i in range(1, n):
        before, after = texts[i - 1].rstrip(), texts[i].strip()
        asked = before.endswith("?")
        tag = bool(cues._TAG_QUESTION.search(before) or cues._TAG_ONLY.match(before))
        you = bool(_YOU.search(before))
        first = _first_word(after)
        reaction = bool(cues._REACTION_ONLY.match(after))
        rows[i] = [
            asked and not tag,
            asked and not tag and you,
            asked and not tag and not you and bool(cues._FIRST_PERSON.search(before)),
            asked and tag,
            not asked and bool(cues._INDIRECT_QUESTION.search(before)),
            bool(cues._REQUEST.search(before)),
            asked and after.endswith("?"),
            not asked and after.endswith("?"),
            not _UNFINISHED.search(before),
            bool(cues._TAG_ONLY.match(after)),
            first == "or",
            reaction,
            not reaction and bool(cues._OPENER.search(after)),
            bool(cues._GUEST_THANKS.search(after) or names.HOST_THANKS.search(after)),
            bool(names.VOCATIVE_START.match(after)) and _addresses(after),
            _addresses(before),
            bool(cues._REACTION_ONLY.match(before.strip())),
            math.log1p(len(before.split())),
            math.log1p(len(after.split())),
            not asked and len(before.split()) <= 6,
            *(first == w for w in _OPENING_WORDS),
            hand_switch_score(before, after, hand_host_score(before, len(before.split()))),
            _echo(before, after),
            bool(you) and bool(_I_OPENING.match(after)),
            bool(_I_OPENING.match(before.lstrip())) and bool(_I_OPENING.match(after)),
        ]
    return rows


_CONTENT_WORD = re.compile(r"[a-z][a-z'’-]{3,}")


# Each sentence is "before" one boundary and "after" the next: cache its words.
@lru_cache(maxsize=4096)
def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _CONTENT_WORD.findall(text.lower()) if w not in _FUNCTION_WORDS)


def _echo(before: str, after: str) -> float:
    """Share of ``after``'s content words already in ``before``.

    A reply often picks up the other person's words ("You've rented it." /
    "Rented it, exactly."); a speaker going on adds new ones.
    """
    said, reply = _content_words(before), _content_words(after)
    return len(said & reply) / len(reply) if reply else 0.0


# Both feature matrices use it on every sentence.
@lru_cache(maxsize=4096)
def hand_host_score(text: str, n_words: int) -> float:
    """Hand-set log-odds that a sentence is the host's (the first model, kept as a feature).

    Its weights encode what interviews look like; the regression learns how
    far to trust it next to the other features.
    """
    score = 0.0
    stripped = text.rstrip()
    question = stripped.endswith("?")
    if question:
        # "..., right?" is mostly a speaker checking in, not handing over.
        if cues._TAG_ONLY.match(stripped):
            score += 0.0
        elif cues._TAG_QUESTION.search(stripped):
            score += 0.8
        else:
            score += 3.2 * _question_weight(stripped)
    opener = cues._QUESTION_OPENER.search(text)
    if opener and (question or not opener.group("wh")):
        score += 0.5 if question else 0.8
    if cues._REQUEST.search(text):
        score += 0.8
    if not question and cues._INDIRECT_QUESTION.search(text):
        score += 1.0
    score += 0.7 * min(len(cues._YOU_GUEST.findall(text)), 2)
    we = len(cues._WE.findall(text))
    score -= min(0.3 * we, 1.2)
    score -= 0.6 * min(len(cues._WE_BUILD.findall(text)), 2)
    if is_host_intro(text):
        score += 2.5
    if names.HOST_THANKS.search(text):
        score += 2.5
    if cues._GUEST_THANKS.search(text):
        score -= 3.0
    if not question and n_words > 18:
        # Long declaratives are the guest's stock in trade in an interview.
        score -= min(0.03 * (n_words - 18), 0.9)
    return score


def _question_weight(question: str) -> float:
    """How much a question looks asked of someone else rather than of oneself.

    Interviewers ask about "you"; speakers musing aloud ask "do we ...?",
    "am I ...?", "the question is, ...?" and answer themselves.
    """
    if cues._RHETORICAL.search(question):
        return 0.3
    if _YOU.search(question):
        return 1.0
    if cues._FIRST_PERSON.search(question):
        return 0.5
    return 0.8


def hand_switch_score(before: str, after: str, prev_host: float) -> float:
    """Hand-set log-odds of a speaker change between two sentences (kept as a feature)."""
    score = -1.6
    before = before.rstrip()
    if not re.search(r"[.?!…\"”')\]]$", before):
        # Mid-sentence (a run-on chunk split): a change is unlikely here.
        return score - 1.5
    if before.endswith("?"):
        if after.rstrip().endswith("?"):
            score += 0.6
        elif cues._TAG_QUESTION.search(before) or cues._TAG_ONLY.match(before):
            score += 1.5
        else:
            score += 3.8 * _question_weight(before)
    elif cues._INDIRECT_QUESTION.search(before):
        score += 0.6
    elif after.rstrip().endswith("?"):
        # Questions tend to open a turn (after a reaction) or close one.
        score += 0.85
    elif (m := cues._QUESTION_OPENER.search(before)) and not m.group("wh") and prev_host > 0.5:
        score += 0.8
    if cues._TAG_ONLY.match(after.strip()):
        # A lone "Right?" after a chunk break belongs to the sentence before it.
        score -= 2.5
    if re.match(r"(?i)or\b", after.strip()):
        # "Or ...?" carries on the same speaker's question or thought.
        score -= 1.5
    if cues._REACTION_ONLY.match(after.strip()):
        score += 1.4
    elif cues._OPENER.search(after.strip()):
        score += 1.5
    if cues._GUEST_THANKS.search(after) or names.HOST_THANKS.search(after):
        score += 1.0
    return score


def _apply(rows: np.ndarray, names: Sequence[str], model: dict) -> np.ndarray:
    coef = np.array([model["coef"].get(name, 0.0) for name in names])
    return rows @ coef + model["intercept"]


def host_logit(texts: Sequence[str]) -> np.ndarray:
    """Log-odds, per sentence, that the host (not a guest) says it.

    The fitted prior (the tuning set's share of host sentences) is removed, so
    the value is a likelihood ratio the turn model can combine with its own
    turn-length priors.
    """
    from castline.diarize.text_weights import SENTENCE_MODEL

    return _apply(sentence_features(texts), SENTENCE_FEATURES, SENTENCE_MODEL) - SENTENCE_MODEL["prior"]


def switch_logit(texts: Sequence[str]) -> np.ndarray:
    """Log-odds, per sentence, that the speaker changes just before it (entry 0 unused)."""
    from castline.diarize.text_weights import BOUNDARY_MODEL

    out = _apply(boundary_features(texts), BOUNDARY_FEATURES, BOUNDARY_MODEL)
    out[0] = 0.0
    return out
