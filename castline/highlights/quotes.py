"""Quotes: what makes a verbatim span stand alone, and how a post shows it.

Every quote is a verbatim span of a turn's clean text, addressed by
``(turn, char_start, char_end)``: nothing is paraphrased or truncated inside a
quote. This module holds what previews, posts and threads share: the
candidate spans (:class:`Candidate`), where a quote may start, how it scores
(the passage features of :func:`castline.segment.passages.passage_features`
plus a preference for pithy length), why a fragment cannot stand alone
(:func:`fragment_problem`), and how a post marks the one letter it changes
(:func:`post_quote`, undone by :func:`quote_in_post`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from castline.model import Episode
from castline.segment.clips import pick_counts
from castline.segment.passages import is_question, lead_trim, opening_problem, passage_features
from castline.segment.references import reference_problem
from castline.segment.sentence_units import EXCLUDED_TAGS as _EXCLUDED
from castline.segment.sentence_units import SentenceUnit
from castline.text import FIRST_PERSON_CAPS, sentences, words

__all__ = [
    "ELISION",
    "Candidate",
    "attributed",
    "by_turn",
    "clause_prefixes",
    "pick_counts",
    "quotable_speakers",
    "fragment_problem",
    "near_duplicate",
    "post_quote",
    "quote_in_post",
    "quote_score",
    "quote_start",
    "reference_problem",
    "respell_speakers",
    "spans_time",
    "standalone_problem",
]

#: How an elision inside a preview is marked.
ELISION = " [...] "

_UNATTRIBUTED = frozenset({"", "unknown", "unknown speaker", "speaker"})


def post_quote(quote: str) -> str:
    """``quote`` as a post shows it: a lower-case first letter capitalised in brackets.

    A quote may begin mid-sentence ("the reality is ..." after a dropped "And so").
    Publications mark the one letter they change: "[T]he reality is ...". Nothing
    else differs, so :func:`quote_in_post` recovers the verbatim words exactly.
    """
    first = quote[:1]
    upper = first.upper()
    # Only a letter whose capital is one letter and lower-cases back ("ß" is not).
    if first.islower() and len(upper) == 1 and upper.lower() == first:
        return f"[{upper}]{quote[1:]}"
    return quote


def quote_in_post(shown: str) -> str:
    """The verbatim words behind a quote shown by :func:`post_quote`."""
    if len(shown) >= 3 and shown[0] == "[" and shown[2] == "]" and shown[1].isupper():
        return shown[1].lower() + shown[3:]
    return shown


@dataclass
class Candidate:
    """A quote candidate: spans of one turn's text and its score."""

    turn: int
    spans: list[tuple[int, int]]
    units: list[int]  # sentence-unit indexes used
    text: str
    score: float
    start: float
    end: float


def by_turn(units: Sequence[SentenceUnit]) -> dict[int, list[SentenceUnit]]:
    grouped: dict[int, list[SentenceUnit]] = {}
    for u in units:
        if not u.excluded:
            grouped.setdefault(u.turn, []).append(u)
    return grouped


def attributed(episode: Episode, speaker_id: str | None) -> bool:
    if speaker_id is None or episode.speaker(speaker_id) is None:
        return False
    return episode.speaker_name(speaker_id).strip().lower() not in _UNATTRIBUTED


_DISCOURSE_START = re.compile(
    r"^\W*(?:so|well|now|look|i mean|you know|like|okay|ok|anyway|basically|actually)\b", re.IGNORECASE
)


def quote_score(text: str, *, ideal_words: tuple[int, int], question: float = 0.0) -> float:
    """Quality of a stand-alone quote: features plus a preference for pithy length.

    ``question`` is added for a real question (a hook in a trailer, weak in a post).
    """
    feats = passage_features(text)
    n = feats.words
    # Density over raw count: a sharp 15-word line beats a 40-word list of facts.
    score = feats.score() / max(1.0, (n / 20.0) ** 0.5)
    # A story needs room to unfold: in a short quote it is mostly set-up.
    score -= 0.35 * min(feats.story, 2)
    if _DISCOURSE_START.match(text):
        score -= 0.5
    lo, hi = ideal_words
    if n < lo:
        score -= 0.08 * (lo - n)
    elif n > hi:
        score -= 0.05 * (n - hi)
    stripped = text.rstrip()
    if stripped.endswith(("!", ".")):
        score += 0.2  # lands on a full stop
    elif is_question(stripped):
        score += question if n <= 25 else min(question, 0.0) - 0.3
    else:
        score -= 0.3
    # Pronoun-heavy quotes lean on context the reader lacks.
    score -= 1.5 * _vague_words(text) / max(n, 1)
    return score


_VAGUE = frozenset({"it", "this", "that", "they", "them", "those", "these", "he", "she"})


@lru_cache(maxsize=16384)
def _vague_words(text: str) -> int:
    """How many of ``text``'s words are pronouns that point outside it."""
    return sum(w.lower() in _VAGUE for w in words(text))


def quote_start(u: SentenceUnit) -> int | None:
    """Where a quote of ``u`` may start: the sentence start, or just past a leading
    conjunction ("And so ..."); None when it leans on earlier talk either way."""
    if opening_problem(u.text) is None:
        return u.start
    skip = lead_trim(u.text)
    return u.start + skip if skip else None


def spans_time(episode: Episode, turn: int, spans: Sequence[tuple[int, int]]) -> float:
    t = episode.turns[turn]
    return sum(t.time_at(b) - t.time_at(a) for a, b in spans)


def clause_prefixes(u: SentenceUnit, text: str, min_words: int) -> Iterable[tuple[int, int]]:
    """Spans from the start of a long sentence to one of its clause breaks.

    Never to a colon: what comes before one announces what follows it
    ("here's what happens when ...:").
    """
    for m in re.finditer(r"[,;—–]\s", u.text):
        end = u.start + m.start()
        if len(words(text[u.start : end])) >= min_words:
            yield (u.start, end)


# A list marker at the start or inside: "* Finding something ...", "... post. * October 2024".
_LIST_MARKER = re.compile(
    r"(?:^|\s)[*•▪‣◦](?=\s)|(?:^|[.:;!?]\s+)(?:[-–]|\d{1,2}[.)])\s+(?=\S)"
)


_ROUGH_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=16384)
def _title_like(sentence: str, min_words: int = 5, share: float = 0.6) -> bool:
    """Are most of the words after the first capitalised, as in a heading or a talk's title?

    Speech capitalises names, a few a sentence; a title ("Changing Data With
    Confidence using DuckDB - Hannes Mühleisen") capitalises nearly every word,
    everyday words included. A run of names ("Sam Altman, Dario Amodei and Demis
    Hassabis agree") capitalises few everyday words, so it still reads as speech.
    """
    from wordfreq import zipf_frequency

    tokens = [w for w in words(sentence)[1:] if w[0].isalpha() and w not in FIRST_PERSON_CAPS]
    if len(tokens) < min_words - 1:
        return False
    capitalised = [w for w in tokens if w[0].isupper()]
    if len(capitalised) < share * len(tokens):
        return False
    return sum(zipf_frequency(w, "en") >= 4.0 for w in capitalised) >= 2


# A chart or slide the audience of a trailer or a post cannot see.
_POINTS_AT_VISUAL = re.compile(
    r"\b(?:this|that|these|those|the|my|our|following)\s+(?:[\w“”\"'’-]+\s+){0,4}?"
    r"(?:chart|graph|slide|diagram|screenshot|infographic)\b"  # singular: "top of the charts" is speech
    r"|\b(?:these|those)\s+(?:charts|graphs|slides|diagrams|screenshots)\b"
    r"|\b(?:see|shown|pictured|linked)\s+(?:below|above|here)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(r"^\W*(?:(?:many|special|huge|big)\s+)?(?:thanks|thank\s+you)\b", re.IGNORECASE)


def fragment_problem(quote: str) -> str | None:
    """Why ``quote`` cannot stand alone as a quote, or None.

    Flags list items (bullet or number markers at the start or inside), paragraph
    breaks, headings or titles (most words capitalised), a last sentence of a
    single word, thanks (a sign-off, not a point) and pointers at a chart or a
    slide that a listener or a reader of the post cannot see.
    """
    if "\n\n" in quote or "\n" in quote.strip():
        return "spans a line or paragraph break"
    if _LIST_MARKER.search(quote):
        return "a list item"
    if _THANKS.match(quote):
        return "thanks someone rather than makes a point"
    if _POINTS_AT_VISUAL.search(quote):
        return "points at a chart or slide the audience cannot see"
    # A cheap split is enough here: a title stays title-like in whatever pieces it falls.
    if any(_title_like(piece) for piece in _ROUGH_SENTENCE_END.split(quote)):
        return "reads as a heading or a title, not speech"
    tail = re.split(r"(?<=[.!?:])\s+", quote.strip())
    if len(tail) > 1 and len(words(tail[-1])) < 2:
        # The cheap split also cuts at abbreviations ("the U.S. economy."): confirm.
        last = sentences(quote.split(ELISION)[-1])
        if len(last) > 1 and len(words(last[-1].text)) < 2:
            return "ends on a dangling one-word sentence"
    return None


def near_duplicate(text: str, chosen: Iterable[str], threshold: float = 70) -> bool:
    """Does ``text`` read as one of ``chosen`` again: a close match, one inside the
    other, or the same opening words ("Software development is not about writing code")."""
    from rapidfuzz import fuzz

    opening = _opening_words(text)
    return any(
        (opening and opening == _opening_words(c)) or
        fuzz.ratio(text.lower(), c.lower()) >= threshold or fuzz.partial_ratio(text.lower(), c.lower()) >= 90
        for c in chosen
    )


def _opening_words(text: str, n: int = 6) -> tuple[str, ...]:
    tokens = [w.lower() for w in words(text)]
    return tuple(tokens[:n]) if len(tokens) >= n else ()


# -- what a quote needs from outside itself ---------------------------------------------

_TAG_WORDS = (
    r"laughs?|laughter|laughing|inaudible|unintelligible|crosstalk|cross-talk|applause|music|silence|pause|"
    r"chuckles?|sighs?|coughs?|indiscernible|unclear|noise|phonetic|overlapping|audio|break"
)
_TRANSCRIBER_TAG = re.compile(
    # a timestamp, a stage direction in lower case, or a known tag word; a producer's
    # capitalised "[Generalisation]" and the elision mark "[...]" are not tags.
    rf"\[(?:[^\]\n]*\d{{1,2}}:\d{{2}}[^\]\n]*|[a-z][^\]\n]{{0,40}}|(?i:{_TAG_WORDS})[^\]\n]{{0,30}}|\?+)\]"
    rf"|\((?i:{_TAG_WORDS})[^)\n]{{0,30}}\)"
)
# A sponsor read that the structure stage missed: its tell-tale phrases.
_SPONSOR_READ = re.compile(
    r"\b(?:brought\s+to\s+you\s+by|sponsored\s+by|(?:our|today's|this\s+episode's)\s+sponsors?\b|"
    r"promo\s+code|discount\s+code|use\s+(?:the\s+)?code\s+\w+|free\s+trial|"
    r"(?:head|go)\s+(?:over\s+)?to\s+[\w.-]+\s*(?:\.|dot)\s*(?:com|io|dev|ai|fm|co)\b|"
    r"[\w-]+\.(?:com|io|dev|fm|co)/[\w-]+|(?:dot\s+com|\.com)\s+slash\b)",
    re.IGNORECASE,
)


# "If I have... A software developer": the speaker broke off mid-sentence.
_RESTART = re.compile(r"\w(?:\.\.\.|…)\s+[A-Z]")


def standalone_problem(quote: str) -> str | None:
    """Why ``quote`` cannot go out as a preview or post as it is, or None.

    Adds to :func:`fragment_problem` what a reader of a post would trip over:
    a referent outside the quote (:func:`reference_problem`), a transcriber's
    tag inside it ("[inaudible 00:24:15]", "[laughs]") and the words of a
    sponsor read the structure stage did not tag.
    """
    if _TRANSCRIBER_TAG.search(quote.replace(ELISION, " ")):
        return "holds a transcriber's tag"
    if _SPONSOR_READ.search(quote):
        return "reads as a sponsor read"
    if _RESTART.search(quote):
        return "breaks off and starts again"
    return fragment_problem(quote) or reference_problem(quote)


# -- whose words, and how many ----------------------------------------------------------


def quotable_speakers(episode: Episode, *, min_share: float = 0.1) -> set[str] | None:
    """Speaker ids whose words previews and posts quote: the guests' (and anyone not a
    host) when a guest says at least ``min_share`` of the words; None (anyone) otherwise,
    as in a co-hosted show, where the hosts are the voices."""
    said: dict[str, int] = {}
    for t in episode.turns:
        if t.speaker and not set(t.tags) & _EXCLUDED:
            said[t.speaker] = said.get(t.speaker, 0) + len(t.text.split())
    total = sum(said.values()) or 1
    roles = {s.id: s.role for s in episode.speakers}
    if not any(roles.get(sid) == "guest" and n >= min_share * total for sid, n in said.items()):
        return None
    return {sid for sid in said if roles.get(sid) != "host"}


def respell_speakers(
    episode: Episode, spellings: Sequence[str], *, min_ratio: float = 80.0
) -> dict[str, str]:
    """Give each speaker the show's spelling of their name where one is close: ``{old: new}``.

    A name heard by ear ("Izo Kant") that nearly matches a spelling of the profile
    or the glossary with as many words ("Eiso Kant") takes that spelling, so posts
    are signed as the show spells its people. Placeholder names are left alone.
    """
    from rapidfuzz import fuzz

    changed: dict[str, str] = {}
    for speaker in episode.speakers:
        name = speaker.name.strip()
        if not name or name.lower() in _UNATTRIBUTED or name in spellings:
            continue
        n = len(name.split())
        best = max(
            ((fuzz.ratio(name.lower(), s.lower()), s) for s in spellings if len(s.split()) == n and n >= 2),
            default=(0.0, ""),
        )
        if best[0] >= min_ratio and best[1] != name:
            changed[name] = best[1]
            speaker.name = best[1]
    return changed
