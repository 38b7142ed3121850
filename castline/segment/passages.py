"""Passage features: what makes a stretch of speech quotable, and where it may open.

Clips and highlights are scored on plain, explainable features (specificity,
claims, stories, emotion) minus hedging and filler: :func:`passage_features`
counts them into a :class:`PassageFeatures`. :func:`opening_problem` says
whether a sentence can open a stand-alone passage; :func:`lead_trim`,
:func:`is_question` and :func:`strip_list_marker` help quote one;
:func:`makes_claim` asks only whether a claim fires.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from castline.segment.words import NOT_NAMES, uniq
from castline.text import words

__all__ = [
    "PassageFeatures",
    "is_finished",
    "is_question",
    "lead_trim",
    "makes_claim",
    "opening_problem",
    "passage_features",
    "strip_list_marker",
]


_DEPENDENT_OPENING = re.compile(
    r"""^\W*(?:
        (?:and|but|or|nor|because|which|whereas|although|though|plus|also|then|anyway)\b
      | (?:including|especially|except|excluding|otherwise|therefore|hence|thus|meaning)\b
      | so\s+(?:that|this|it|they|then|yeah|yes)\b
      | that(?:'s|’s|\s+is|\s+was)\s+(?:why|what|how|where|when|because|the\s+thing|it|right|true|exactly)\b
      | (?:he|she|they)\s+(?:said|says|told|mentioned)\b
      | (?:as|like)\s+(?:i|you|we)\s+(?:said|mentioned)\b
      | (?:yeah|yes|yep|right|exactly|absolutely|sure|okay|ok|mm+|uh-huh|totally|true|no|oh|wow|ha)\b[\s,.!?-]
      | (?:100|a\s+hundred)\s*(?:%|percent)(?=[\s,.!?-])
      | (?:this|that|these|those|it|they|he|she)(?:'s|’s|'re|’re|'ll|’ll|'d|’d|\s+(?:is|was|are
          |were|does|did|do|has|had|have|means|meant|just|also|really|actually|would|will|can
          |could|should|might|must|seems|sounds|makes|made|goes|went|gets|got))\b
      | (?:(?:it|this|that)(?:'s|’s|\s+is|\s+was)\s+)?(?:the\s+)?(?:same|former|latter|other\s+one)\b
      | (?:in|on|for)\s+(?:that|this|those)\s+(?:case|sense|way)\b
      | (?:which|who)\b
      | \d{1,2}\s+(?:is|was|are|were)\b  # an item of an earlier list: "2 is when ..."
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# "It" as a dummy subject refers to nothing before: "It's hard to ...", "It turns out ...".
_DUMMY_IT = re.compile(
    r"^\W*it(?:'s|’s|\s+is|\s+was)\s+(?:\w+\s+){0,2}?(?:to|that|how|why|when|whether|if)\b"
    r"|^\W*it\s+(?:turns\s+out|seems\s+(?:like|that)|feels\s+like)\b",
    re.IGNORECASE,
)


def is_finished(sentence: str) -> bool:
    """Does ``sentence`` end as a finished sentence does (. ? ! …, then any closing quote or bracket)?"""
    return sentence.rstrip().rstrip("\"'”’)]").endswith((".", "?", "!", "…"))


def opening_problem(sentence: str) -> str | None:
    """Why ``sentence`` cannot open a stand-alone passage, or None when it can.

    Flags openings that lean on what came before: conjunctions ("And so"),
    back-references ("That's why", "He said"), reactions ("Yeah", "Right") and
    a pronoun subject with no antecedent ("This is ...", "It was ..."), and
    lower-case starts (the tail of a sentence).
    """
    text = sentence.strip()
    if not text:
        return "empty"
    if len(words(text)) < 3:
        return "too short to open"
    if not is_finished(text):
        return "unfinished sentence"
    first_word = words(text)[0]
    if first_word.islower() and first_word.isalpha():
        # Sentences of edited text start capitalised; a lower-case start is the
        # tail of a sentence cut at an ASR chunk or clause break.
        return "starts mid-sentence"
    if _DUMMY_IT.match(text):
        return None
    match = _DEPENDENT_OPENING.match(text)
    if match:
        return f"leans on what came before ({match.group().strip()!r})"
    return None


_LEAD_CONJUNCTION = re.compile(
    r"^(?:and|but|so|or|because)(?:\s+(?:so|then|yet|now))?,?\s+(?=\w)", re.IGNORECASE
)


def lead_trim(sentence: str) -> int:
    """Characters of a leading conjunction ("And so ", "But ") that a quote may skip.

    Returns 0 when there is none or when what follows still leans on what came
    before; the rest of the sentence stays a verbatim span.
    """
    match = _LEAD_CONJUNCTION.match(sentence)
    if not match:
        return 0
    rest = sentence[match.end() :]
    # Judge the remainder as if it opened the sentence.
    if opening_problem(rest[:1].upper() + rest[1:]) is not None:
        return 0
    return match.end()


_TAG_QUESTION = re.compile(
    r",\s*(?:right|no|yeah|yes|okay|ok|correct|huh|eh|you know|isn't it|is it|don't you think|"
    r"wouldn't you say|aren't they|doesn't it)\s*\?\s*$",
    re.IGNORECASE,
)


def is_question(sentence: str) -> bool:
    """True for a real question; tag questions ("..., right?") are statements."""
    text = sentence.rstrip()
    return text.endswith("?") and not _TAG_QUESTION.search(text)


def _compile(patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + patterns + r")\b", re.IGNORECASE)


_NUMBER = re.compile(
    r"\b\d[\d,.]*\s*(?:%|percent|x\b|k\b|m\b|bn\b)?|\$\d|\b(?:two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|trillion|half|double|triple|tenfold|dozen)\b",
    re.IGNORECASE,
)
_CONCRETE = _compile(
    r"for example|for instance|imagine|let's say|let’s say|say you|such as|in fact|specifically|"
    r"concretely|the first|the second|case study|literally"
)
_CLAIM = _compile(
    r"the truth is|the reality is|the problem is|the key is|the point is|the secret is|the answer is|"
    r"the lesson|the real|what matters|what people miss|what most people|the biggest|the most important|"
    r"the only|fundamental(?:ly)?|i don't think|i don’t think|i do not think|i'm convinced|i’m convinced|"
    r"i believe|i would argue|i'd argue|i’d argue|my view|my bet|i bet|i predict|"
    r"it turns out|turns out|it's not|it’s not|isn't about|"
    r"isn’t about|is not about|(?<!get me )(?<!don't be )wrong|myth|overrated|underrated|"
    r"the whole point|the hard part|i don't buy|i don’t buy|i disagree|not necessarily|"
    r"you can't|you can’t|you don't|you don’t|will be|is going to|are going to|has to|have to|must"
)
# Absolutes make a claim sharper, but they also just describe ("never writes a bug").
_ABSOLUTE = _compile(r"never|always|nobody|no one|everyone|everybody|nothing|every single")
_CONTRARIAN = re.compile(
    r"\b(?:most people|everyone|everybody|people|the conventional wisdom|the consensus|the narrative)\b"
    r"[^.?!]{0,80}\b(?:think|believe|assume|say|said|thought|expect)s?\b[^.?!]{0,120}\b(?:but|actually|"
    r"wrong|not)\b|\bcontrary to\b|\bcounter-?intuitive(?:ly)?\b|\bsurprising(?:ly)?\b|"
    r"\bthe opposite\b|\bnot\s+\w+(?:\s+\w+)?,\s+but\b|,\s+not\s+(?:the|a|an|just|only)\b|"
    r"\b(?:is|are|was)\s+not\s+about\b|\b(?:isn't|isn’t|aren't|aren’t)\s+about\b|"
    r"\bi\s+don(?:'|’)t\s+buy\b|\bnot\s+every(?:body|one)\b|\bto\s+the\s+controversy\b|"
    r"\bwon(?:'|’)t\s+agree\b|\bi\s+disagree\b|\bthe\s+(?:reality|truth)\s+is\b|"
    r"\bit(?:'s|’s|\s+is)\s+(?:actually\s+)?not\b",
    re.IGNORECASE,
)
_STORY = re.compile(
    r"\b(?:i remember|when i was|when we were|back in|years ago|one day|the first time|"
    r"i was (?:at|in|working|doing|trying)|we were (?:at|in|working|doing|trying)|i used to|we used to|"
    r"i realized|i realised|i learned|i learnt|i decided|we decided|i started|we started|we built|"
    r"i built|i met|i left|i joined|i moved|i grew up|my (?:first|father|mother|dad|mum|mom|wife|"
    r"husband|son|daughter|brother|sister|friend|boss|co-?founder))\b",
    re.IGNORECASE,
)
_EMOTION = _compile(
    r"amazing|incredible|incredibly|crazy|insane|wild|scary|scared|terrifying|terrified|love|hate|"
    r"excited|exciting|shocked|shocking|beautiful|frustrating|frustrated|fascinating|mind-blowing|"
    r"heartbreaking|devastating|brutal|terrible|awful|horrible|thrilled|afraid|fear|angry|painful|"
    r"magical|profound|remarkable|astonishing|stunning|worried|dangerous|obsessed|passionate"
)
_HEDGE = _compile(
    r"kind of|sort of|maybe|perhaps|i guess|i mean|probably|somewhat|might|possibly|i'm not sure|"
    r"i’m not sure|not sure|it depends|to some extent|in a way|more or less|arguably|i suppose"
)
_FILLER = _compile(r"um+|uh+|er+|ah+|hmm+|you know|like,|i mean|basically|literally|whatever")


_PROPER = re.compile(r"(?<![.!?:\"“]\s)(?<!^)\b([A-Z][a-zA-Z0-9]+(?:[-'][A-Za-z0-9]+)?|[A-Z]{2,}\d*)\b")


@dataclass
class PassageFeatures:
    """Explainable quality features of a passage of speech (counts per feature)."""

    words: int = 0
    numbers: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    concrete: int = 0
    claims: list[str] = field(default_factory=list)
    absolutes: int = 0
    contrarian: int = 0
    story: int = 0
    emotion: list[str] = field(default_factory=list)
    hedges: int = 0
    fillers: int = 0
    questions: int = 0

    def score(self) -> float:
        """A length-aware quality score: specific, clear, vivid beats hedged and filled."""
        n = max(self.words, 1)
        scale = math.sqrt(n / 40.0)  # diminishing returns: longer passages collect more hits
        # Specificity saturates fast: a list of numbers or names is not a better quote.
        spec = min(len(set(self.numbers)), 2) * 0.4 + min(len(set(self.names)), 3) * 0.3
        spec += min(self.concrete, 2) * 0.4
        claim = min(len(self.claims), 2) * 0.6 + min(self.contrarian, 2) * 0.9
        claim += min(self.absolutes, 2) * 0.25
        story = min(self.story, 2) * 0.7
        emotion = min(len(self.emotion), 2) * 0.35
        positive = (spec + claim + story + emotion) / max(scale, 1.0)
        negative = 6.0 * self.hedges / n + 8.0 * self.fillers / n
        return positive - negative * 3.0

    def merged(self, other: PassageFeatures) -> PassageFeatures:
        """Features of this passage followed by ``other``."""
        return PassageFeatures(
            words=self.words + other.words,
            numbers=self.numbers + other.numbers,
            names=self.names + other.names,
            concrete=self.concrete + other.concrete,
            claims=self.claims + other.claims,
            absolutes=self.absolutes + other.absolutes,
            contrarian=self.contrarian + other.contrarian,
            story=self.story + other.story,
            emotion=self.emotion + other.emotion,
            hedges=self.hedges + other.hedges,
            fillers=self.fillers + other.fillers,
            questions=self.questions + other.questions,
        )

    def reasons(self) -> list[str]:
        """Plain-words list of the features that fired."""
        out = []
        if self.numbers:
            out.append("specific numbers (" + ", ".join(uniq(self.numbers)[:3]) + ")")
        if self.names:
            out.append("names concrete things (" + ", ".join(uniq(self.names)[:3]) + ")")
        if self.concrete:
            out.append("gives a concrete example")
        if self.contrarian:
            out.append("contrarian or surprising claim")
        if self.claims:
            out.append("clear claim (" + ", ".join(f"“{c}”" for c in uniq(self.claims)[:2]) + ")")
        if self.story:
            out.append("personal story")
        if self.emotion:
            out.append("emotion (" + ", ".join(uniq(self.emotion)[:2]) + ")")
        if self.hedges * 40 > self.words:
            out.append("some hedging (penalised)")
        return out


# Case-insensitive matching is several times slower in ``re`` than exact matching,
# so the features match case-sensitive twins of their patterns against the
# lower-cased text. That is the same match, position for position, unless the
# text holds a character whose lower case is not one character, depends on its
# neighbours (final sigma), or case-folds onto an ASCII letter without being
# its upper case (dotless i, long s): such texts take the original patterns.
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u03a3]")


class _FeaturePatterns(NamedTuple):
    """The patterns :func:`passage_features` counts, one set per way of matching."""

    number: re.Pattern[str]
    concrete: re.Pattern[str]
    claim: re.Pattern[str]
    absolute: re.Pattern[str]
    contrarian: re.Pattern[str]
    story: re.Pattern[str]
    emotion: re.Pattern[str]
    hedge: re.Pattern[str]
    filler: re.Pattern[str]


_AS_WRITTEN = _FeaturePatterns(
    _NUMBER, _CONCRETE, _CLAIM, _ABSOLUTE, _CONTRARIAN, _STORY, _EMOTION, _HEDGE, _FILLER
)
# Case-sensitive twins, for the lower-cased text (see _CASE_TRAPS).
_ON_LOWER_CASE = _FeaturePatterns(*(re.compile(p.pattern, p.flags & ~re.IGNORECASE) for p in _AS_WRITTEN))
# Every match of _CONTRARIAN holds one of these words: a lower-cased text with none
# of them skips the pattern (its bounded scans after "people" are the costliest here).
_CONTRARIAN_NEEDLES = (
    "people", "everyone", "everybody", "conventional", "consensus", "narrative", "contrary", "counter",
    "surprising", "opposite", "not", "about", "buy", "controversy", "agree", "reality", "truth",
)  # fmt: skip


def _matching(text: str) -> tuple[str, _FeaturePatterns]:
    """The string to search and the patterns to search it with (same matches, same offsets)."""
    if _CASE_TRAPS.search(text):
        return text, _AS_WRITTEN
    return text.lower(), _ON_LOWER_CASE


def _contrarian_count(subject: str, patterns: _FeaturePatterns) -> int:
    if patterns is _ON_LOWER_CASE and not any(needle in subject for needle in _CONTRARIAN_NEEDLES):
        return 0
    return len(patterns.contrarian.findall(subject))


def makes_claim(text: str) -> bool:
    """Does ``text`` hold a clear claim or a contrarian line?

    The same matches as :func:`passage_features` counts, found with one search
    each instead of every feature's findall.
    """
    subject, p = _matching(text)
    return bool(p.claim.search(subject)) or _contrarian_count(subject, p) > 0


@lru_cache(maxsize=16384)
def passage_features(text: str) -> PassageFeatures:
    """Count the quality features of ``text`` (see :class:`PassageFeatures`)."""
    subject, p = _matching(text)
    return PassageFeatures(
        words=len(words(text)),
        # Numbers keep the text's own case ("Two", "5M").
        numbers=[text[m.start() : m.end()].strip(" ,.") for m in p.number.finditer(subject)],
        names=[m.group(1) for m in _PROPER.finditer(text) if m.group(1) not in NOT_NAMES],
        concrete=len(p.concrete.findall(subject)),
        claims=[m.group().lower() for m in p.claim.finditer(subject)],
        absolutes=len(p.absolute.findall(subject)),
        contrarian=_contrarian_count(subject, p),
        story=len(p.story.findall(subject)),
        emotion=[m.group().lower() for m in p.emotion.finditer(subject)],
        hedges=len(p.hedge.findall(subject)),
        fillers=len(p.filler.findall(subject)),
        questions=text.count("?"),
    )


_LEADING_MARKER = re.compile(r"^\s*(?:[*•▪‣◦]|[-–](?=\s)|\d{1,2}[.)](?=\s))\s*")


def strip_list_marker(text: str) -> str:
    """``text`` without a leading list marker ("* ", "- ", "2. ") and surrounding space."""
    return _LEADING_MARKER.sub("", text.strip(), count=1)
