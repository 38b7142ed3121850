"""Text helpers shared by the stages: sentence spans, words, X's weighted length.

Sentence boundaries come from pysbd (rule-based, offline); tweet lengths from
twitter-text-parser, which implements X's own weighting (URLs count 23, most
CJK and emoji count 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SPEAKING_RATE_WPS",
    "Sentence",
    "content_words",
    "format_timestamp",
    "sentences",
    "tweet_length",
    "tweet_valid",
    "words",
]

#: Typical conversational speaking rate (about 155 words a minute), used to
#: estimate times for text inputs that carry none.
SPEAKING_RATE_WPS = 2.6

_WORD_RE = re.compile(r"[\w'’-]+", re.UNICODE)

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been
    being it its it's this that these those i you he she we they me him her us them my your his our
    their do does did done have has had not no yes just very really like um uh er ah oh well okay
    yeah right there here what which who whom whose when where why how all any some more most
    other such only own same than too can will would should could may might must shall about
    into over under again further once also because while during before after above below up
    down out off through i'm you're we're they're don't that's there's i've we've i'd you'd""".split()
)


@dataclass(frozen=True)
class Sentence:
    """A sentence as a span ``[start, end)`` of a source string."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    # pysbd formats a regex per abbreviation on every call (hundreds of patterns), which
    # overflows re's 512-entry compile cache and recompiles them all, every sentence split.
    # A larger cache keeps them compiled: about 2 s less on a 2-hour episode.
    if getattr(re, "_MAXCACHE", 4096) < 4096:
        re._MAXCACHE = 4096
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with character offsets (trailing space excluded)."""
    return list(_sentences(text))


@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[Sentence, ...]:
    # Every stage splits the same turn texts; pysbd is slow (it compiles regexes per
    # call, thrashing re's cache), so each distinct text is segmented once per process.
    out: list[Sentence] = []
    if not text.strip():
        return ()
    cursor = 0
    for span in _segmenter().segment(text):
        raw = span.sent
        # pysbd's offsets can drift on repeated substrings; re-anchor by search.
        start = text.find(raw, cursor)
        if start < 0:
            start = span.start
        end = start + len(raw.rstrip())
        start += len(raw) - len(raw.lstrip())
        if end > start:
            out.append(Sentence(text[start:end], start, end))
        cursor = max(cursor, start + len(raw.rstrip()))
    return tuple(out)


def words(text: str) -> list[str]:
    """Word tokens of ``text`` (letters, digits, apostrophes and hyphens)."""
    return _WORD_RE.findall(text)


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` that are not stop words or fillers."""
    return [w for w in (t.lower() for t in words(text)) if w not in STOPWORDS]


def tweet_length(text: str) -> int:
    """Length of ``text`` as X counts it (weighted; URLs are 23)."""
    from twitter_text import parse_tweet

    return parse_tweet(text).weightedLength


def tweet_valid(text: str) -> bool:
    """True when X would accept ``text`` as one post (non-empty, at most 280 weighted)."""
    from twitter_text import parse_tweet

    return bool(text.strip()) and parse_tweet(text).valid


def format_timestamp(seconds: float) -> str:
    """``HH:MM:SS`` for a time in seconds."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
