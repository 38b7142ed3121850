"""Structure tagging: sponsor reads (``ad``) and a cold open (``cold_open``).

Two detectors work on plain lists of sentences so that speaker attribution
(:mod:`castline.diarize`) can use them before any turns exist:

* :func:`sponsor_spans` finds sponsor reads: a trigger sentence ("sponsored
  by", "brought to you by", "our sponsor", ...) extended over the promo that
  follows up to its last call to action ("go to x.com", "use code", "they're
  hiring", "get in touch"), stopping where the conversation resumes.
* :func:`find_cold_open` finds a cold open: sentences at the start of the
  episode, before the host's introduction, whose content reappears later in the
  episode (fuzzy matching with rapidfuzz's ``partial_ratio``).
* :func:`intro_span` and :func:`outro_start` find the host's introduction
  (from "welcome to ..." / "my guest today is" through the welcome to the guest)
  and the closing (from "where can people find you" / "thank you so much for
  joining us" to the end): housekeeping that is never quoted or clipped.

:func:`tag_structure` applies both to an attributed episode, splitting turns at
sentence boundaries so a tag covers exactly the right sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from castline.model import Episode, Turn
from castline.text import sentences as split_sentences

__all__ = [
    "ColdOpen",
    "find_cold_open",
    "intro_index",
    "intro_span",
    "is_host_intro",
    "outro_start",
    "sponsor_spans",
    "tag_structure",
]

# -- sponsor reads -------------------------------------------------------------

_SPONSOR_TRIGGER = re.compile(
    r"\b(?:(?:is|are|was|were|been|being)\s+sponsored\s+by|sponsored\s+by|brought\s+to\s+you\s+by"
    r"|(?:our|today's|today’s|this\s+week's|this\s+episode's|this\s+week’s|this\s+episode’s)"
    r"\s+sponsors?\b|a\s+word\s+from\s+(?:our|this|today's)\s+sponsors?"
    r"|thanks?\s+(?:you\s+)?to\s+our\s+sponsors?"
    r"|(?:episode|show|podcast|program|programme)\s+is\s+(?:supported|presented|powered)\s+by"
    # "Field Notes is supported by ...": a show's own name before it; as ordinary
    # talk ("the claim is supported by data") needs a call to action to count.
    r"|(?:is|are)\s+(?:proudly\s+)?(?:supported|presented|powered|made\s+possible)\s+by)",
    re.IGNORECASE,
)

# Phrases that only ever introduce a sponsor read (unlike "our sponsor").
_STRONG_TRIGGER = re.compile(
    r"sponsored|brought|word\s+from|(?:episode|show|podcast|program|programme)\s+is", re.IGNORECASE
)

# Written ("acme.com/pod") or as ASR spells a spoken address ("acme dot com slash pod").
_TLD = r"(?:com|ai|io|org|co|net|dev|app|fm|xyz|tech|so|gg|us|uk)\b"
_DOMAIN = re.compile(
    rf"\b[\w-]+(?:\.[\w-]+)*\.{_TLD}(?:/\S*)?"
    # "the dot com bubble" is history, not an address.
    rf"|\b(?!(?:the|a|an|this|that|of)\b)[\w-]+(?:\s+dot\s+[\w-]+)*\s+dot\s+{_TLD}",
    re.IGNORECASE,
)

# Calls to action close a read; promo language keeps it going.
_CALL_TO_ACTION = re.compile(
    r"\b(?:use\s+(?:the\s+)?(?:promo\s+|discount\s+|offer\s+)?code|promo\s+code|coupon"
    r"|go\s+(?:over\s+)?to|head\s+(?:over\s+)?to|visit|sign\s+up|check\s+(?:them|it)\s+out"
    r"|get\s+in\s+touch|apply\s+(?:now|today|at)|link\s+in\s+the|show\s+notes|free\s+trial"
    r"|\d+\s?%\s+off|(?:they'?re|they’re|they\s+are|we'?re|we\s+are)\s+hiring|slash)\b",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"\b(?:sponsor\w*|hiring|join(?:ing)?\s+(?:them|their\s+team)|offer|discount|deal|free"
    r"|amazing\s+team|autonomy|salary|bonus|top\s+dollar|customers?|product|platform|trial"
    r"|they|them|their)\b",
    re.IGNORECASE,
)
# Sentences that show the conversation has resumed.
_RESUME = re.compile(
    r"\b(?:back\s+to\s+(?:the|our)\s+(?:show|conversation|episode|interview)|anyway"
    r"|^(?:(?:okay|ok|right|alright|all\s+right|so|and|now)[,.]?\s+)?back\s+to\b"
    r"|(?:an?\s+)?(?:honou?r|pleasure|privilege)\s+to\s+have\s+you|welcome\s+(?:back\s+)?to"
    r"|thank(?:s|\s+you)(?:\s+so\s+much)?\s+for\s+(?:joining|coming|having|being)"
    r"|great\s+to\s+(?:have|be|see)|let'?s\s+(?:get|dive|jump)\s+(?:into|in|started))\b",
    re.IGNORECASE,
)

#: How far (sentences) a sponsor read may run past its trigger.
MAX_AD_SENTENCES = 30


def sponsor_spans(sentences: list[str]) -> list[tuple[int, int]]:
    """Sentence index ranges ``[start, end)`` that are sponsor reads.

    A read starts at a trigger sentence and ends at the last call to action
    (a URL, "use code", "get in touch", "they're hiring", ...) before the
    conversation resumes; with no call to action it runs over the promo
    sentences that directly follow the trigger.
    """
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        trigger = _SPONSOR_TRIGGER.search(sentences[i])
        if not trigger:
            i += 1
            continue
        last_action = None  # last sentence with a call to action
        promo_end = i  # end of the unbroken run of promo sentences after the trigger
        promo_run = True
        for j in range(i + 1, min(len(sentences), i + MAX_AD_SENTENCES)):
            s = sentences[j]
            if _RESUME.search(s) or (_SPONSOR_TRIGGER.search(s) and j > i + 1):
                break
            action = bool(_DOMAIN.search(s) or _CALL_TO_ACTION.search(s))
            if s.rstrip().endswith("?") and not action and not _PROMO.search(s):
                break  # a question to the guest: the read is over
            if action:
                last_action = j
            if promo_run and _PROMO.search(s):
                promo_end = j
            else:
                promo_run = False
        if _DOMAIN.search(sentences[i]) or _CALL_TO_ACTION.search(sentences[i]):
            last_action = max(last_action or i, i)
        if last_action is None and not _STRONG_TRIGGER.search(trigger.group(0)):
            # "our sponsor at the university ..." with nothing to buy is just talk.
            i += 1
            continue
        end = last_action if last_action is not None else promo_end
        spans.append((i, end + 1))
        i = end + 1
    return spans


# -- cold open -----------------------------------------------------------------

_HOST_INTRO = re.compile(
    r"\b(?:(?:had|have|having)\s+(?:a|an|the)\s+(?:\w+\s+){0,4}conversation\s+with"
    r"|(?:my|our)\s+guests?\s+(?:today\s+|this\s+week\s+|on\s+the\s+show\s+)?(?:is|are)\b"
    r"|joined\s+(?:today\s+|here\s+)?by|joining\s+(?:me|us)\s+(?:today|now|this)"
    r"|welcome\s+(?:back\s+)?to\s+(?:the\s+show|the\s+podcast|another|episode|\w+)"
    r"|i'?m\s+your\s+host|i’m\s+your\s+host|you'?re\s+listening\s+to|you’re\s+listening\s+to"
    r"|today\s+(?:on\s+the\s+(?:show|podcast)|i'?m\s+(?:talking|speaking|sitting\s+down)"
    r"|we'?re\s+(?:talking|speaking))"
    r"|on\s+(?:today's|today’s|this)\s+(?:episode|show)|in\s+this\s+episode)",
    re.IGNORECASE,
)


def is_host_intro(sentence: str) -> bool:
    """True when ``sentence`` reads like a host introducing the show or guest."""
    return bool(_HOST_INTRO.search(sentence))


def intro_index(sentences: list[str], *, within: int = 60) -> int | None:
    """Index of the first host-introduction sentence among the first ``within``."""
    for i, s in enumerate(sentences[:within]):
        if is_host_intro(s):
            return i
    return None


@dataclass
class ColdOpen:
    """A cold open: sentences ``[0, end)``, with each one's later match (or None)."""

    end: int
    matches: list[int | None] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


#: Sentences this short match too easily by chance; they follow their neighbours.
_MIN_MATCH_WORDS = 5
_MATCH_SCORE = 86.0


def _best_later_match(
    candidate: str, later: list[str], windows: list[str], offset: int
) -> tuple[int | None, float]:
    """Best fuzzy match of ``candidate`` later on: (sentence index, score), or
    ``(None, 0.0)`` when no window reaches the match score.

    ``windows`` are already normalised (rapidfuzz's ``default_process``): every
    candidate is compared with the same windows, so they are processed once.
    """
    from rapidfuzz import fuzz, process, utils

    query = utils.default_process(candidate)
    # Below the cutoff a window cannot make a match, so rapidfuzz may skip it early.
    found = process.extractOne(
        query, windows, scorer=fuzz.partial_ratio, processor=None, score_cutoff=_MATCH_SCORE
    )
    if found is None:
        return None, 0.0
    _, score, index = found
    # The window matched; point at the sentence in it that holds the quote.
    best = max(
        range(index, min(index + 3, len(later))),
        key=lambda j: (
            fuzz.partial_ratio(query, utils.default_process(later[j])) * min(len(later[j]), len(candidate))
        ),
    )
    return best + offset, float(score)


def find_cold_open(sentences: list[str], *, max_sentences: int = 40, max_words: int = 600) -> ColdOpen | None:
    """Find a cold open: leading sentences whose content reappears later.

    Candidates are the sentences before the host's introduction (or, without
    one, the first ``max_words`` words). Each candidate is matched against the
    rest of the episode (rapidfuzz ``partial_ratio`` over 3-sentence windows).
    The cold open is the prefix up to the last matched candidate, provided the
    first sentences match and most of the prefix's words reappear.
    """
    if len(sentences) < 8:
        return None
    intro = intro_index(sentences, within=max_sentences)
    if intro is not None:
        limit = intro
    else:
        limit, total = 0, 0
        while limit < min(len(sentences), max_sentences) and total < max_words:
            total += len(sentences[limit].split())
            limit += 1
    if limit == 0:
        return None
    later_start = max(limit, 1)
    later = sentences[later_start:]
    if len(later) < 3:
        return None
    # Quotes are cut from longer sentences, and sentence splits differ between
    # the two ASR passes, so each later sentence is compared with its successors.
    from rapidfuzz import utils

    windows = [utils.default_process(" ".join(later[j : j + 3])) for j in range(len(later))]
    matches: list[int | None] = []
    scores: list[float] = []
    for i in range(limit):
        if len(sentences[i].split()) < _MIN_MATCH_WORDS:
            matches.append(None)
            scores.append(0.0)
            continue
        j, score = _best_later_match(sentences[i], later, windows, later_start)
        ok = score >= _MATCH_SCORE
        matches.append(j if ok else None)
        scores.append(score)
    matched = [i for i, m in enumerate(matches) if m is not None]
    if not matched or min(matched) > 1:
        return None
    last = max(matched)
    end = last + 1
    # A few short unmatched sentences right before the intro belong to the quotes.
    if intro is not None and intro - end <= 2:
        tail_words = sum(len(s.split()) for s in sentences[end:intro])
        if tail_words < 2 * _MIN_MATCH_WORDS:
            end = intro
    words_total = sum(len(s.split()) for s in sentences[:end])
    words_matched = sum(len(sentences[i].split()) for i in matched)
    if words_total == 0 or words_matched / words_total < 0.5:
        return None
    return ColdOpen(end=end, matches=matches[:end], scores=scores[:end])


# -- introduction and closing ---------------------------------------------------

# The host's welcome to the guest (or the guest's thanks) closes the introduction.
_WELCOME = re.compile(
    r"\b(?:welcome\s+(?:back\s+)?to\b|thanks?\s+(?:you\s+)?(?:so\s+much\s+|very\s+much\s+)?for\s+"
    r"(?:joining|coming|being\s+(?:here|on|with)|having\s+me)"
    r"|(?:an?\s+)?(?:honou?r|pleasure|privilege|great|good|delight)\s+to\s+(?:have\s+you|be\s+here)"
    r"|glad\s+to\s+be\s+here|happy\s+to\s+be\s+here)",
    re.IGNORECASE,
)

# Sign-off language: plugs, thanks for coming on, goodbye to the audience.
_OUTRO = re.compile(
    r"\b(?:where\s+(?:can|could|do|should|would)\s+(?:people|listeners|folks|everyone|our\s+listeners|they|we)\s+"
    r"(?:find|follow|learn|get|read|reach|hear|see|buy)"
    r"|(?:it'?s|it’s|this\s+has|it\s+has)\s+been\s+(?:an?\s+)?(?:absolute\s+|real\s+|such\s+a\s+)?"
    r"(?:honou?r|pleasure|privilege|joy|treat|blast|so\s+much\s+fun|great|fantastic|wonderful)"
    r"|thanks?\s+(?:you\s+)?(?:so\s+much\s+|very\s+much\s+|again\s+)?for\s+"
    r"(?:joining|coming\s+on|coming\s+in|being\s+(?:here|on|with)|having\s+me|listening|doing\s+this)"
    r"|that'?s\s+(?:it|all)\s+for\s+(?:this|today|now)|that’s\s+(?:it|all)\s+for\s+(?:this|today|now)"
    r"|until\s+next\s+time|see\s+you\s+next\s+(?:week|time))",
    re.IGNORECASE,
)

#: The introduction ends on a welcome within this many words of its first sentence.
INTRO_MAX_WORDS = 700
#: An introduction cue this close to the start makes everything before it introduction.
INTRO_LEAD_SENTENCES = 8
#: The closing starts within this share of the episode's last sentences.
OUTRO_TAIL_SHARE = 0.12


def intro_span(sentences: list[str], *, start_from: int = 0) -> tuple[int, int] | None:
    """Sentence range ``[start, end)`` of the host's introduction, or None.

    It starts at ``start_from`` (the end of any cold open) when an introduction
    sentence follows within :data:`INTRO_LEAD_SENTENCES`, else at that sentence,
    and runs to the last welcome ("welcome to the show", "thank you for joining
    us", "thanks for having me") within :data:`INTRO_MAX_WORDS` words; with no
    welcome it ends on the introduction sentence.
    """
    found = intro_index(sentences[start_from:])
    if found is None:
        return None
    # "This is Deep Water Hour. I'm Priya Raman. In 1847 a brig went down ..."
    # leads up to "Today I'm joined by": what opens the show is introduction too.
    start = start_from + (0 if found <= INTRO_LEAD_SENTENCES else found)
    end, words = start_from + found + 1, 0
    for j in range(start, len(sentences)):
        words += len(sentences[j].split())
        if words > INTRO_MAX_WORDS:
            break
        if _WELCOME.search(sentences[j]):
            end = j + 1
    return start, end


def outro_start(sentences: list[str]) -> int | None:
    """Index of the first sign-off sentence in the episode's closing stretch, or None.

    Only the last :data:`OUTRO_TAIL_SHARE` of the sentences (at least the last
    ten) are searched: a thank-you in the middle of an episode is conversation.
    """
    if len(sentences) < 20:
        return None
    first = len(sentences) - max(10, int(len(sentences) * OUTRO_TAIL_SHARE))
    for j in range(first, len(sentences)):
        if _OUTRO.search(sentences[j]):
            return j
    return None


# -- tagging turns ---------------------------------------------------------------


def tag_structure(episode: Episode) -> Episode:
    """Tag sponsor reads (``ad``), the cold open (``cold_open``), the host's
    introduction (``intro``) and the closing (``outro``) on the turns.

    Works on the sentences of all turns in order. A turn that holds a tagged
    passage and other speech is split at sentence boundaries (same speaker,
    verbatim words unchanged, times interpolated) so each tag covers only its
    sentences. Turns already edited (``text != verbatim``) are tagged whole,
    never split, to keep their edit offsets valid. Mutates ``episode`` and
    returns it.
    """
    units: list[tuple[int, int, int]] = []  # (turn index, char start, char end)
    texts: list[str] = []
    for ti, turn in enumerate(episode.turns):
        spans = split_sentences(turn.verbatim) if turn.text == turn.verbatim else []
        if not spans:
            units.append((ti, 0, len(turn.verbatim)))
            texts.append(turn.verbatim)
            continue
        for s in spans:
            units.append((ti, s.start, s.end))
            texts.append(s.text)
    labels: list[set[str]] = [set() for _ in texts]
    for start, end in sponsor_spans(texts):
        for u in range(start, end):
            labels[u].add("ad")
    cold = find_cold_open(texts)
    if cold is not None:
        for u in range(cold.end):
            labels[u].add("cold_open")
    intro = intro_span(texts, start_from=cold.end if cold is not None else 0)
    if intro is not None:
        for u in range(*intro):
            labels[u].add("intro")
    outro = outro_start(texts)
    if outro is not None and (intro is None or outro >= intro[1]):
        for u in range(outro, len(texts)):
            labels[u].add("outro")
    if not any(labels):
        return episode

    new_turns: list[Turn] = []
    u = 0
    for ti, turn in enumerate(episode.turns):
        group: list[int] = []
        while u < len(units) and units[u][0] == ti:
            group.append(u)
            u += 1
        if not group:
            new_turns.append(turn)
            continue
        if turn.text != turn.verbatim or len(group) == 1:
            tags = set().union(*(labels[g] for g in group))
            # A whole turn takes a tag only when most of its words carry it.
            for tag in sorted(tags):
                share = sum(len(texts[g].split()) for g in group if tag in labels[g])
                if share * 2 >= len(turn.verbatim.split()) and tag not in turn.tags:
                    turn.tags.append(tag)
            new_turns.append(turn)
            continue
        new_turns.extend(_split_turn(turn, [(units[g][1], labels[g]) for g in group]))
    episode.turns = new_turns
    return episode


def _split_turn(turn: Turn, starts: list[tuple[int, set[str]]]) -> list[Turn]:
    """Split ``turn`` where the label set changes between sentences."""
    pieces: list[tuple[int, set[str]]] = []
    for char_start, labels in starts:
        if not pieces or pieces[-1][1] != labels:
            pieces.append((char_start if pieces else 0, labels))
    if len(pieces) == 1:
        for tag in sorted(pieces[0][1]):
            if tag not in turn.tags:
                turn.tags.append(tag)
        return [turn]
    out: list[Turn] = []
    bounds = [p[0] for p in pieces] + [len(turn.verbatim)]
    for (start, labels), end in zip(pieces, bounds[1:], strict=True):
        raw = turn.verbatim[start:end]
        lead = len(raw) - len(raw.lstrip())
        text = raw.strip()
        a, b = start + lead, start + lead + len(text)
        words = None
        if turn.words:
            # Hand each piece the word timings of its share of the words.
            before = len(turn.verbatim[:a].split())
            count = len(text.split())
            if len(turn.words) == len(turn.verbatim.split()):
                words = turn.words[before : before + count]
        tags = list(turn.tags) + [t for t in sorted(labels) if t not in turn.tags]
        out.append(
            Turn(
                speaker=turn.speaker,
                start=turn.time_at(a, of="verbatim"),
                end=turn.time_at(b, of="verbatim"),
                text=text,
                verbatim=text,
                tags=tags,
                confidence=turn.confidence,
                words=words,
            )
        )
    out[0].start = turn.start
    out[-1].end = turn.end
    return out
