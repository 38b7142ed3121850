"""Previews, tweetable highlights, clip threads, and a fidelity check.

Every quote made here is a verbatim span of a turn's clean text, addressed by
``(turn, char_start, char_end)``: nothing is paraphrased or truncated inside a
quote. Shorter posts come from choosing shorter spans. Candidates are scored on
the same explainable features as clips (:func:`castline.segment.passages.passage_features`).

Example
-------
>>> episode.previews = make_previews(episode)      # doctest: +SKIP
>>> episode.highlights = make_highlights(episode)  # doctest: +SKIP
>>> add_threads(episode)                           # doctest: +SKIP
>>> assert verify_quotes(episode) == []            # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from castline.model import Clip, Episode, Highlight, Preview
from castline.segment.passages import (
    PassageFeatures,
    is_finished,
    is_question,
    lead_trim,
    opening_problem,
    passage_features,
    strip_list_marker,
)
from castline.segment.sentence_units import EXCLUDED_TAGS, SentenceUnit, episode_end, sentence_units
from castline.segment.titles import best_phrase
from castline.text import FIRST_PERSON_CAPS, format_timestamp, sentences, tweet_length, tweet_valid, words

__all__ = [
    "ELISION",
    "add_threads",
    "fragment_problem",
    "highlight_tweet",
    "make_highlights",
    "make_previews",
    "post_quote",
    "quote_in_post",
    "verify_quotes",
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
class _Candidate:
    """A quote candidate: spans of one turn's text and its score."""

    turn: int
    spans: list[tuple[int, int]]
    units: list[int]  # sentence-unit indexes used
    text: str
    score: float
    start: float
    end: float


def _by_turn(units: Sequence[SentenceUnit]) -> dict[int, list[SentenceUnit]]:
    grouped: dict[int, list[SentenceUnit]] = {}
    for u in units:
        if not u.excluded:
            grouped.setdefault(u.turn, []).append(u)
    return grouped


def _attributed(episode: Episode, speaker_id: str | None) -> bool:
    if speaker_id is None or episode.speaker(speaker_id) is None:
        return False
    return episode.speaker_name(speaker_id).strip().lower() not in _UNATTRIBUTED


_DISCOURSE_START = re.compile(
    r"^\W*(?:so|well|now|look|i mean|you know|like|okay|ok|anyway|basically|actually)\b", re.IGNORECASE
)


def _quote_score(text: str, *, ideal_words: tuple[int, int], question: float = 0.0) -> float:
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


def _quote_start(u: SentenceUnit) -> int | None:
    """Where a quote of ``u`` may start: the sentence start, or just past a leading
    conjunction ("And so ..."); None when it leans on earlier talk either way."""
    if opening_problem(u.text) is None:
        return u.start
    skip = lead_trim(u.text)
    return u.start + skip if skip else None


def _spans_time(episode: Episode, turn: int, spans: Sequence[tuple[int, int]]) -> float:
    t = episode.turns[turn]
    return sum(t.time_at(b) - t.time_at(a) for a, b in spans)


def _clause_prefixes(u: SentenceUnit, text: str, min_words: int) -> Iterable[tuple[int, int]]:
    """Spans from the start of a long sentence to one of its clause breaks.

    Never to a colon: what comes before one announces what follows it
    ("here's what happens when ...:").
    """
    for m in re.finditer(r"[,;—–]\s", u.text):
        end = u.start + m.start()
        if len(words(text[u.start : end])) >= min_words:
            yield (u.start, end)


# ---------------------------------------------------------------------------
# Previews
# ---------------------------------------------------------------------------


def _preview_candidates(
    episode: Episode, units: Sequence[SentenceUnit], min_s: float, max_s: float
) -> list[_Candidate]:
    out: list[_Candidate] = []
    for ti, turn_units in _by_turn(units).items():
        text = episode.turns[ti].text
        options: list[tuple[list[tuple[int, int]], list[int], float]] = []
        for i, u in enumerate(turn_units):
            a = _quote_start(u)
            if a is None:
                continue
            for j in range(i, min(i + 3, len(turn_units))):
                if "\n" in text[a : turn_units[j].start]:
                    break  # a quote stays inside one paragraph
                options.append(([(a, turn_units[j].end)], list(range(i, j + 1)), 0.0))
            for j in range(i + 2, min(i + 4, len(turn_units))):
                if "\n" in text[a : turn_units[j].start]:
                    break
                b = _quote_start(turn_units[j])
                if b is None:
                    continue  # what follows the elision must read on its own too
                # Elide the middle, within this speaker's turn only.
                options.append(([(a, u.end), (b, turn_units[j].end)], [i, j], -0.4))
            for _a, end in _clause_prefixes(u, text, 10):
                if end - a > 20:
                    options.append(([(a, end)], [i], -0.2))
        for spans, idx, adjust in options:
            duration = _spans_time(episode, ti, spans)
            if not min_s <= duration <= max_s:
                continue
            last = turn_units[idx[-1]]
            if spans[-1][1] == last.end and (last.n_words < 2 or not is_finished(last.text)):
                continue  # ends on a dangling one-word sentence ("... naturally. AI.") or an unfinished one
            quote = ELISION.join(text[a:b] for a, b in spans)
            if fragment_problem(quote):
                continue
            score = _quote_score(quote, ideal_words=(14, 30), question=0.0) + adjust
            t = episode.turns[ti]
            out.append(
                _Candidate(
                    turn=ti,
                    spans=spans,
                    units=[turn_units[k].index for k in idx],
                    text=quote,
                    score=score,
                    start=t.time_at(spans[0][0]),
                    end=t.time_at(spans[-1][1]),
                )
            )
    return out


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


def _near_duplicate(text: str, chosen: Iterable[str], threshold: float = 70) -> bool:
    from rapidfuzz import fuzz

    return any(
        fuzz.ratio(text.lower(), c.lower()) >= threshold or fuzz.partial_ratio(text.lower(), c.lower()) >= 90
        for c in chosen
    )


def make_previews(
    episode: Episode,
    *,
    count: tuple[int, int] = (5, 8),
    min_s: float = 5.0,
    max_s: float = 15.0,
) -> list[Preview]:
    """5-8 pithy stand-alone quotes of 5-15 s for a cold open or trailer, best first.

    Quotes are whole sentences, a clause that opens a long sentence, or two
    sentences of one turn joined by an elision (``[...]``). They come from
    neither ads nor the cold open, no two share a sentence, and they are spread
    across the episode (a minimum gap between them, relaxed only when needed to
    reach the minimum count).
    """
    units = sentence_units(episode)
    candidates = sorted(_preview_candidates(episode, units, min_s, max_s), key=lambda c: -c.score)
    low, high = count
    total = episode_end(episode) or 1.0
    chosen: list[_Candidate] = []
    for spread in (total / (high * 2.0), total / (high * 6.0), 0.0):
        for cand in candidates:
            if len(chosen) >= high:
                break
            if any(cand is c for c in chosen):
                continue
            if any(set(cand.units) & set(c.units) for c in chosen):
                continue
            if any(abs(cand.start - c.start) < spread for c in chosen):
                continue
            if _near_duplicate(cand.text, (c.text for c in chosen)):
                continue
            chosen.append(cand)
        if len(chosen) >= low:
            break
    # Beyond the minimum, keep only quotes not far below the best.
    if chosen:
        floor = chosen[0].score - 2.5
        chosen = chosen[:low] + [c for c in chosen[low:] if c.score >= floor]
    chosen.sort(key=lambda c: -c.score)
    return [
        Preview(
            text=c.text,
            speaker=episode.turns[c.turn].speaker,
            start=round(c.start, 2),
            end=round(c.end, 2),
            turn=c.turn,
            spans=list(c.spans),
        )
        for c in chosen
    ]


# ---------------------------------------------------------------------------
# Highlights
# ---------------------------------------------------------------------------


def highlight_tweet(episode: Episode, quote: str, speaker_id: str | None, start: float) -> str | None:
    """The post for ``quote``: ``“quote” — Name on Show (HH:MM:SS)`` (quote as :func:`post_quote` shows it).

    Drops the timestamp only when the post would otherwise overflow; None when
    even that is too long (choose a shorter quote then).
    """
    name = episode.speaker_name(speaker_id)
    where = episode.show or episode.title
    shown = post_quote(quote)
    with_time = f"“{shown}” — {name} on {where} ({format_timestamp(start)})"
    if tweet_valid(with_time):
        return with_time
    without_time = f"“{shown}” — {name} on {where}"
    return without_time if tweet_valid(without_time) else None


def _highlight_candidates(
    episode: Episode, units: Sequence[SentenceUnit], turns: Iterable[int] | None = None
) -> list[_Candidate]:
    grouped = _by_turn(units)
    allowed = set(turns) if turns is not None else None
    out: list[_Candidate] = []
    for ti, turn_units in grouped.items():
        if allowed is not None and ti not in allowed:
            continue
        turn = episode.turns[ti]
        if not _attributed(episode, turn.speaker):
            continue
        for i, u in enumerate(turn_units):
            a = _quote_start(u)
            if a is None:
                continue
            for j in range(i, min(i + 3, len(turn_units))):
                b = turn_units[j].end
                quote = turn.text[a:b]
                if "\n" in quote:
                    break  # a quote stays inside one paragraph
                n = len(words(quote))
                # X's 280 minus attribution leaves roughly 45 words at most.
                if len(quote) > 250:
                    break
                if n < 6 or not is_finished(quote):
                    continue  # too slight alone, or unfinished; a longer run from here may do
                if fragment_problem(quote):
                    continue
                out.append(
                    _Candidate(
                        turn=ti,
                        spans=[(a, b)],
                        units=[turn_units[k].index for k in range(i, j + 1)],
                        text=quote,
                        score=_quote_score(quote, ideal_words=(8, 40), question=-0.8),
                        start=turn.time_at(a),
                        end=turn.time_at(b),
                    )
                )
    return out


def make_highlights(episode: Episode, *, count: int = 10, min_gap_s: float = 45.0) -> list[Highlight]:
    """Up to ``count`` verbatim quotes with ready-to-post tweets, best first.

    Quotes are 1-3 whole sentences of one attributed speaker's turn (never an
    ad or the cold open), whose post fits X's 280 weighted characters; no two
    overlap, read as near duplicates, or start within ``min_gap_s`` seconds.
    """
    units = sentence_units(episode)
    candidates = sorted(_highlight_candidates(episode, units), key=lambda c: -c.score)
    # Short episodes cannot spread ten quotes 45 s apart: scale the gap down.
    min_gap_s = min(min_gap_s, episode_end(episode) / (2.0 * max(count, 1)))
    chosen: list[tuple[_Candidate, str]] = []
    for cand in candidates:
        if len(chosen) >= count:
            break
        if any(set(cand.units) & set(c.units) for c, _ in chosen):
            continue
        # Different moments, not three takes on one anecdote.
        if any(abs(cand.start - c.start) < min_gap_s for c, _ in chosen):
            continue
        if _near_duplicate(cand.text, (c.text for c, _ in chosen)):
            continue
        tweet = highlight_tweet(episode, cand.text, episode.turns[cand.turn].speaker, cand.start)
        if tweet is None:
            continue
        chosen.append((cand, tweet))
    return [
        Highlight(
            text=c.text,
            speaker=episode.turns[c.turn].speaker,
            start=round(c.start, 2),
            end=round(c.end, 2),
            tweet=tweet,
            weighted_length=tweet_length(tweet),
            turn=c.turn,
            char_start=c.spans[0][0],
            char_end=c.spans[0][1],
            score=round(c.score, 3),
        )
        for c, tweet in chosen
    ]


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------


def _clip_units(episode: Episode, clip: Clip, units: Sequence[SentenceUnit]) -> list[SentenceUnit]:
    eps = 0.05
    return [
        u
        for u in units
        if clip.turn_start <= u.turn <= clip.turn_end
        and u.time_start >= clip.start - eps
        and u.time_end <= clip.end + eps
        and u.text in clip.text
    ]


def _hook(episode: Episode, clip: Clip, cunits: Sequence[SentenceUnit], mark: str) -> str:
    """Post 1: the clip's own opening question, or a question built from its key phrase."""
    where = episode.show or episode.title
    spoken: dict[str, int] = {}
    for u in cunits:
        if _attributed(episode, u.speaker):
            spoken[u.speaker] = spoken.get(u.speaker, 0) + u.n_words
    # The clip belongs to whoever does most of the talking in it.
    speaker = max(spoken, key=spoken.get) if spoken else None
    name = episode.speaker_name(speaker) if speaker else None
    byline = f"{name} on {where}" if name else where
    if cunits and is_question(cunits[0].text):
        post = f"{strip_list_marker(cunits[0].text)}\n\n{byline} 🧵 {mark}"
        if tweet_valid(post):
            return post
    body = " ".join(u.text for u in cunits)
    context = " ".join(t.text for t in episode.turns if not set(t.tags) & EXCLUDED_TAGS)
    names = [s.name for s in episode.speakers]
    phrase = best_phrase(body, context=context, exclude=names) if body else None
    if phrase is None:
        # No topic phrase to ask about: open on the clip's title instead, a
        # question as is, or its own claim in quotation marks.
        title = clip.title.strip()
        if is_question(title):
            hook = title
        elif title and title in clip.text and _takeaway(passage_features(title)):
            hook = f"“{title.rstrip('.!')}.” Do you agree?"
        else:
            minutes = max(1, round((clip.end - clip.start) / 60))
            plural = "s" if minutes > 1 else ""
            hook = f"{minutes} minute{plural} of {name or 'our guest'}, in their own words:"
        post = f"{hook}\n\n{byline} 🧵 {mark}"
        return post if tweet_valid(post) else f"{hook} {mark}"
    feats = passage_features(body)
    if feats.story:
        question = f"What did {name or 'our guest'} learn first-hand about {phrase}?"
    elif feats.contrarian:
        question = f"What does almost everyone get wrong about {phrase}?"
    elif feats.claims:
        question = f"What actually matters about {phrase}?"
    elif feats.numbers:
        question = f"What do the numbers really say about {phrase}?"
    else:
        question = f"Why does {phrase} matter more than it seems?"
    post = f"{question}\n\n{byline} 🧵 {mark}"
    return post if tweet_valid(post) else f"{question} {mark}"


def _takeaway(feats: PassageFeatures) -> bool:
    """A line that states what the listener learns: a claim, not a beat of a story
    ("my first thought was, something's wrong" tells what happened, not what is so)."""
    return bool(feats.claims or feats.contrarian) and not feats.story


def add_threads(episode: Episode) -> None:
    """Give every clip in ``episode.clips`` a 3-4 post thread, each post marked ``(i/n)``.

    1. a hook: the clip's opening question, or a question from its key phrase;
    2. the clip's best verbatim quote, attributed;
    3. what the listener learns: a key claim sentence of the clip, verbatim;
    4. where to listen: the timestamp (and link when the episode has one).
    """
    units = sentence_units(episode)
    where = episode.show or episode.title
    link = episode.metadata.get("url") or episode.metadata.get("link") if episode.metadata else None
    for clip in episode.clips:
        cunits = _clip_units(episode, clip, units)
        turns = {u.turn for u in cunits}
        quotes = [
            c
            for c in _highlight_candidates(episode, cunits, turns)
            if all(clip.start - 0.05 <= t <= clip.end + 0.05 for t in (c.start, c.end))
        ]
        quotes.sort(key=lambda c: -c.score)
        drafts: list[str] = []  # posts 2 and 3 with "{mark}" placeholders
        used: set[int] = set()
        for cand in quotes:
            name = episode.speaker_name(episode.turns[cand.turn].speaker)
            post = f"“{post_quote(cand.text)}” — {name} {{mark}}"
            if tweet_valid(post.format(mark="(9/9)")):
                drafts.append(post)
                used.update(cand.units)
                break
        claims = [
            (u, episode.turns[u.turn].text[start : u.end])
            for u in cunits
            if u.index not in used
            and (start := _quote_start(u)) is not None
            and not is_question(u.text)
            and len(words(u.text)) >= 6
            and _takeaway(passage_features(u.text))
        ]
        claims.sort(key=lambda c: -passage_features(c[1]).score())
        for _u, sentence in claims:
            post = f"The takeaway: “{post_quote(sentence)}” {{mark}}"
            if tweet_valid(post.format(mark="(9/9)")):
                drafts.append(post)
                break
        listen = f"Listen from {format_timestamp(clip.start)} in “{episode.title}”"
        if where != episode.title:
            listen += f" on {where}"
        listen += f". {link} {{mark}}" if link else ". {mark}"
        if not tweet_valid(listen.format(mark="(9/9)")):
            listen = f"Listen from {format_timestamp(clip.start)}. {{mark}}"
        drafts.append(listen)
        n = 1 + len(drafts)
        thread = [_hook(episode, clip, cunits, f"(1/{n})")]
        thread += [d.format(mark=f"({i}/{n})") for i, d in enumerate(drafts, start=2)]
        clip.thread = thread


# ---------------------------------------------------------------------------
# Fidelity
# ---------------------------------------------------------------------------


def _clip_text_problem(episode: Episode, clip: Clip) -> str | None:
    """Is ``clip.text`` the clean text from inside turn_start to inside turn_end, joined by newlines?"""
    turns = episode.turns
    if not 0 <= clip.turn_start <= clip.turn_end < len(turns):
        return "turn range out of bounds"
    first, last = turns[clip.turn_start].text, turns[clip.turn_end].text
    if clip.turn_start == clip.turn_end:
        return None if clip.text and clip.text in first else "text is not a span of its turn"
    middle = [turns[i].text for i in range(clip.turn_start + 1, clip.turn_end)]
    for cut in (m.start() for m in re.finditer("\n", clip.text)):
        head, rest = clip.text[:cut], clip.text[cut + 1 :]
        if not first.endswith(head):
            continue
        expected_mid = "".join(m + "\n" for m in middle)
        if rest.startswith(expected_mid) and last.startswith(rest[len(expected_mid) :]):
            return None
    return "text is not the clean transcript from its first to its last turn"


def _excluded(episode: Episode, turn: int) -> bool:
    return bool(set(episode.turns[turn].tags) & EXCLUDED_TAGS)


def verify_quotes(episode: Episode) -> list[str]:
    """Problems with the episode's quotes and posts; empty when all is faithful.

    Checks that every preview, highlight and clip text is a verbatim span of the
    clean transcript at its offsets, that none comes from an ad, that every
    tweet and thread post is valid on X, and that whatever a thread post puts in
    quotation marks is the clip's own words.
    """
    problems: list[str] = []
    n_turns = len(episode.turns)
    for k, p in enumerate(episode.previews):
        tag = f"preview {k}"
        if not 0 <= p.turn < n_turns:
            problems.append(f"{tag}: turn {p.turn} out of range")
            continue
        text = episode.turns[p.turn].text
        spans = [tuple(s) for s in p.spans]
        if not spans:
            problems.append(f"{tag}: no spans")
            continue
        if any(not 0 <= a < b <= len(text) for a, b in spans) or any(
            spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)
        ):
            problems.append(f"{tag}: spans {spans} out of order or bounds")
            continue
        if p.text != ELISION.join(text[a:b] for a, b in spans):
            problems.append(f"{tag}: text differs from its spans")
        if _excluded(episode, p.turn):
            problems.append(f"{tag}: taken from an ad, the cold open, the introduction or the closing")
    for k, h in enumerate(episode.highlights):
        tag = f"highlight {k}"
        if not 0 <= h.turn < n_turns:
            problems.append(f"{tag}: turn {h.turn} out of range")
            continue
        if episode.turns[h.turn].text[h.char_start : h.char_end] != h.text or not h.text:
            problems.append(f"{tag}: text is not turns[{h.turn}].text[{h.char_start}:{h.char_end}]")
        if f"“{post_quote(h.text)}”" not in h.tweet:
            problems.append(f"{tag}: tweet does not carry the quote verbatim (first letter aside)")
        if not tweet_valid(h.tweet):
            problems.append(f"{tag}: tweet invalid ({tweet_length(h.tweet)} weighted)")
        if h.weighted_length != tweet_length(h.tweet):
            problems.append(f"{tag}: weighted_length {h.weighted_length} is wrong")
        if _excluded(episode, h.turn):
            problems.append(f"{tag}: taken from an ad, the cold open, the introduction or the closing")
        if not _attributed(episode, h.speaker):
            problems.append(f"{tag}: speaker not attributed")
    for k, c in enumerate(episode.clips):
        tag = f"clip {k}"
        problem = _clip_text_problem(episode, c)
        if problem:
            problems.append(f"{tag}: {problem}")
            continue
        if any(_excluded(episode, t) for t in range(c.turn_start, c.turn_end + 1)):
            problems.append(f"{tag}: touches an ad, the cold open, the introduction or the closing")
        for i, post in enumerate(c.thread, start=1):
            if not tweet_valid(post):
                problems.append(f"{tag}: thread post {i} invalid ({tweet_length(post)} weighted)")
            if f"({i}/{len(c.thread)})" not in post:
                problems.append(f"{tag}: thread post {i} lacks its ({i}/{len(c.thread)}) mark")
            # Anything a post puts in quotation marks must be the clip's own words.
            for quoted in re.findall(r"“([^”]+)”", post):
                if quote_in_post(quoted) not in c.text and quoted != episode.title:
                    problems.append(f"{tag}: thread post {i} quotes words not in the clip")
    return problems
