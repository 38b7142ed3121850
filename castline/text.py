"""Text helpers shared by the stages: sentence spans, words, X's weighted length.

Sentence boundaries come from pysbd (rule-based, offline); tweet lengths from
twitter-text-parser, which implements X's own weighting (URLs count 23, most
CJK and emoji count 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Imported here, not lazily: two threads making pysbd's first import at once (two inbox
# workers) deadlock on its circular imports ("partially initialized module pysbd.lang.english").
import pysbd
from pysbd.lang.english import English

__all__ = [
    "SPEAKING_RATE_WPS",
    "STOPWORDS",
    "FIRST_PERSON_CAPS",
    "Sentence",
    "content_words",
    "format_timestamp",
    "heading_line",
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
    # pysbd formats a regex per abbreviation on every call (hundreds of patterns), which
    # overflows re's 512-entry compile cache and recompiles them all, every sentence split.
    # A larger cache keeps them compiled: about 2 s less on a 2-hour episode.
    if getattr(re, "_MAXCACHE", 4096) < 4096:
        re._MAXCACHE = 4096
    # Without char_span: pysbd would compile a regex per sentence to find its offsets,
    # which _pysbd_sentences finds itself with str.find.
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with character offsets (trailing space excluded)."""
    return list(_sentences(text))


@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[Sentence, ...]:
    # Every stage splits the same turn texts, so each distinct text is split once per
    # process; most need no pysbd at all (see _plain_sentences).
    if not text.strip():
        return ()
    plain = _plain_sentences(text)
    if plain is not None:
        return plain
    pieces = _independent_pieces(text)
    if pieces is None:
        return _pysbd_sentences(text)
    # Each piece is split on its own (cached, most of them plain): pysbd's rules never
    # reach across a line break or a sure end in text free of its long-range constructs.
    return tuple(
        Sentence(s.text, s.start + offset, s.end + offset)
        for offset, piece in pieces
        for s in _sentences(piece)
    )


# List markers ("2.", "-3.", "b.", "iv)", "3)"): pysbd checks their numbering over the
# whole text, line breaks included. A ")" anywhere could close one.
_LIST_MARKER_RE = re.compile(r"(?:^|(?<=[\s\-⁃]))\d{1,2}\.(?=[\s)])|\)|(?:^|(?<=\s))[a-z]\.")
# What else pysbd matches across sentences within a line: quotes, brackets, dashed
# asides, an apostrophe that opens or closes a quotation.
_QUOTED_RE = re.compile(r"[\"“”‘«»(\[\]{}]|--|['’](?=\s)|(?:^|(?<=\s))['’]")
_LINE_BREAKS_RE = re.compile(r"[\r\n]+")
# A sure end: a mark after a word of two or more lower-case letters, one space, then a
# capitalised word. Abbreviations and exclamation words are excluded by the caller.
_SURE_END_RE = re.compile(r"(?:^|(?<=\s))([a-z]{2,})[.?!](?= [A-Z][a-z ])")


@lru_cache(maxsize=1)
def _listed_abbreviations() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """pysbd's English abbreviation lists, stripped: (general, titles such as "dr", before numbers)."""
    listed = English.Abbreviation

    def names(group: list[str]) -> tuple[str, ...]:
        return tuple(name.strip() for name in group)

    return (
        names(listed.ABBREVIATIONS),
        names(listed.PREPOSITIVE_ABBREVIATIONS),
        names(listed.NUMBER_ABBREVIATIONS),
    )


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[frozenset[str], tuple[str, ...]]:
    """pysbd's abbreviations, and those it matches as patterns ("u.s" also finds "uis")."""
    general, titles, numbers = _listed_abbreviations()
    every = frozenset(name.lower() for name in (*general, *titles, *numbers))
    patterns = tuple(name.lower() for name in general if re.escape(name) != name)
    return every, patterns


def _independent_pieces(text: str) -> list[tuple[int, str]] | None:
    """``text`` cut where pysbd's splitting of the parts equals its splitting of the
    whole, as ``(offset, piece)``; None when there is no such cut.

    Long turns (minutes of speech) are where pysbd is slowest: it searches the whole
    text once per abbreviation it lists. Cut first, pysbd sees only the short pieces
    that need it. Two kinds of cut: line breaks (pysbd ends a sentence at every one
    and reads lines apart, except for list numbering) and, in a line with no quotes or
    brackets, a sure sentence end (tests/test_text_speed_paths.py compares the results
    with pysbd's on the whole text).
    """
    if _LIST_MARKER_RE.search(text):
        return None
    if "\n" in text or "\r" in text:
        pieces, start = [], 0
        for brk in _LINE_BREAKS_RE.finditer(text):
            if brk.start() > start:
                pieces.append((start, text[start : brk.start()]))
            start = brk.end()
        if start < len(text):
            pieces.append((start, text[start:]))
        return pieces
    if len(text) < 200 or _QUOTED_RE.search(text):
        return None
    abbreviations, patterns = _abbreviations()
    lowered = text.lower()
    if any(p in lowered for p in patterns):
        # pysbd looks such an abbreviation up as a pattern over the whole line once the
        # abbreviation occurs anywhere in it: a word in another piece can match.
        return None
    exclamations = _exclamation_words()
    cuts = [
        m.end()
        for m in _SURE_END_RE.finditer(text)
        if m.group(1) not in abbreviations
        and not (text[m.end() - 1] == "!" and any(text[: m.end()].endswith(w) for w in exclamations))
    ]
    if not cuts:
        return None
    pieces, start = [], 0
    for cut in cuts:
        pieces.append((start, text[start:cut]))
        start = cut + 1  # the one space after the mark belongs to neither sentence
    pieces.append((start, text[start:]))
    return pieces


def _pysbd_sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences of ``text`` as pysbd splits them (uncached)."""
    if not text.strip():
        return ()
    found = _anchored(text, ((raw, None) for raw in _segmenter().segment(text)))
    # pysbd returned text that is not in the source (it never has on the seeds, dev
    # set or cleanup corpus): let pysbd locate every sentence itself.
    return _pysbd_spans(text) if found is None else found


def _pysbd_spans(text: str) -> tuple[Sentence, ...]:
    """Sentences with pysbd's own character spans (slower: a regex per sentence)."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    found = _anchored(text, ((span.sent, span.start) for span in segmenter.segment(text)))
    return found or ()


def _anchored(text: str, pieces: Iterable[tuple[str, int | None]]) -> tuple[Sentence, ...] | None:
    """Sentences of ``text`` from pysbd's ``(sentence, start or None)`` pieces, in order.

    Each piece is found by search from the end of the one before (pysbd's own
    offsets drift on repeated substrings); a piece not found falls back to its
    start, or, without one, makes the result None.
    """
    out: list[Sentence] = []
    cursor = 0
    for raw, fallback in pieces:
        start = text.find(raw, cursor)
        if start < 0:
            if fallback is None:
                return None
            start = fallback
        end = start + len(raw.rstrip())
        start += len(raw) - len(raw.lstrip())
        if end > start:
            out.append(Sentence(text[start:end], start, end))
        cursor = max(cursor, end)
    return tuple(out)


# Plain prose: word characters, single spaces and unremarkable punctuation. No quotes,
# brackets, newlines, ellipses or other marks that pysbd treats specially.
_PLAIN_TEXT_RE = re.compile(r"(?:[^\W_]|[ ,;:'’\-—–%$&/.?!])+")
_TERMINAL_RE = re.compile(r"[.?!]")
# An apostrophe that does not follow a letter or digit may open a quotation for pysbd.
_OPENING_APOSTROPHE_RE = re.compile(r"(?:^|[^\w])['’]")


@lru_cache(maxsize=1)
def _abbreviation_periods() -> tuple[re.Pattern, re.Pattern]:
    """Where pysbd's abbreviation rules could claim a period in plain text.

    pysbd matches its listed abbreviations case-insensitively, "." in them as a
    wildcard, as whole words before a period. A title such as "Dr." keeps its period
    before any space; any other abbreviation before a lower-case word or " I"
    ("approx. I think"; the rest of what it looks for cannot follow a period here). Both patterns match more
    than pysbd would change, never less.
    """
    general, prepositive, _ = _listed_abbreviations()
    titles = set(prepositive)
    others = set(general) - titles

    def before_period(names: set[str], then: str) -> re.Pattern:
        return re.compile(r"(?:^|(?<=\s))(?:" + "|".join(sorted(names)) + r")\." + then, re.IGNORECASE)

    return before_period(titles, r"(?=\s)"), before_period(others, r"(?=\s[a-zI])")


def _abbreviation_before_period(text: str) -> bool:
    """Does either :func:`_abbreviation_periods` pattern match in ``text``?

    A match ends on a period, so only the few characters before each period are
    searched: the same answer as searching the whole text, without trying some
    two hundred alternatives at every position.
    """
    general, titles, _ = _listed_abbreviations()
    reach = max(map(len, (*general, *titles))) + 1
    patterns = _abbreviation_periods()
    i = text.find(".")
    while i >= 0:
        window = (max(0, i - reach), i + 3)  # the lookaheads read two characters on
        if any(pattern.search(text, *window) for pattern in patterns):
            return True
        i = text.find(".", i + 1)
    return False


@lru_cache(maxsize=1)
def _exclamation_words() -> tuple[str, ...]:
    from pysbd.exclamation_words import ExclamationWords

    return tuple(ExclamationWords.EXCLAMATION_WORDS)


def _plain_sentences(text: str) -> tuple[Sentence, ...] | None:
    """The sentences of ``text`` when nothing in it needs pysbd's rules, else None.

    pysbd's rules exist for what makes a period, "?" or "!" ambiguous: abbreviations,
    initials, decimals and list numbers, ellipses, runs of marks, quotes and brackets.
    In text with none of those, every mark that follows a word of two or more
    characters and one space ends a sentence, and pysbd splits there and nowhere
    else (tests/test_text_speed_paths.py checks this against pysbd itself). Anything
    else goes to pysbd: this is a filter, not a splitter.
    """
    body = text.strip(" ")
    offset = text.find(body[:1])
    text, n = body, len(body)
    if "  " in text or "--" in text:
        return None
    if not _PLAIN_TEXT_RE.fullmatch(text) or _OPENING_APOSTROPHE_RE.search(text):
        return None
    if "!" in text and any(word in text for word in _exclamation_words()):
        return None
    ends = []
    for match in _TERMINAL_RE.finditer(text):
        i = match.start()
        if i == 0 or not text[i - 1].isalnum():
            return None  # "?!", "..", marks after quotes or other marks
        if i + 1 < n:
            # one space, then a letter: "2. 5" and "wait!, no" are pysbd's to judge
            if text[i + 1] != " ":
                return None
            after = text[i + 2]  # the text ends in no space, so there is one
            if not ("A" <= after <= "Z" or "a" <= after <= "z"):
                return None
            if after >= "a" and match.group() == "!":
                return None  # "!" before lower case is mid-sentence for pysbd
        word = text[text.rfind(" ", 0, i) + 1 : i]
        if match.group() == "." and (len(word) < 3 if text[i - 1].isdigit() else len(word) < 2):
            return None  # an initial, a list letter or list number: "B. Then", "2. Then"
        if text[i - 1].isdigit() and word[0] == "-":
            return None  # "-2. ": a list marker for pysbd
        ends.append(i + 1)
    if "." in text and _abbreviation_before_period(text):
        return None
    out = []
    start = 0
    for end in ends:
        out.append(Sentence(text[start:end], start + offset, end + offset))
        start = end + 1
    if start < n:
        out.append(Sentence(text[start:], start + offset, n + offset))
    return tuple(out)


def words(text: str) -> list[str]:
    """Word tokens of ``text`` (letters, digits, apostrophes and hyphens)."""
    return _WORD_RE.findall(text)


#: Words capitalised wherever they stand: a capital on them says nothing about a sentence start or a name.
FIRST_PERSON_CAPS = frozenset({"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll"})

#: Longest line read as a heading or a title; a wrapped line of speech is usually longer.
HEADING_MAX_WORDS = 12


def heading_line(line: str, following: str, previous: str | None = None) -> bool:
    """Is ``line`` a heading or a title on a line of its own, rather than speech cut by a wrap?

    A short line (at most :data:`HEADING_MAX_WORDS` words, or twice that in
    title case) that ends on a word, with no closing punctuation, before a
    line that starts capitalised, after a line that closed its sentence (or no
    line at all). "Image segmentation
    using Gemini 2.5" above "Ultra-cheap image segmentation ..." is one; a
    chunk of speech that stops mid-phrase ("and then we") is not, nor is a line
    before "I ...", which is capitalised anywhere.
    """
    line, following = line.strip(), following.lstrip()
    if not line or not following or not (line[-1].isalnum() or line[-1] == ")"):
        return False
    first = following.split(maxsplit=1)[0]
    if not first[:1].isupper() or first.rstrip(",.;:!?") in FIRST_PERSON_CAPS:
        return False
    tokens = words(line)
    if not tokens:
        return False
    if len(tokens) > HEADING_MAX_WORDS:
        # A longer line still reads as a title when it is written in title case.
        later = [t for t in tokens[1:] if t[0].isalpha()]
        capitalised = sum(t[0].isupper() for t in later)
        if len(tokens) > 2 * HEADING_MAX_WORDS or capitalised < 0.5 * len(later):
            return False
    if previous is not None and previous.strip():
        before = previous.strip()
        # A line that ran on unpunctuated is speech wrapped twice, unless it was a heading too.
        if (before[-1].isalnum() or before[-1] in ",;") and len(words(before)) > HEADING_MAX_WORDS:
            return False
    return True


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
