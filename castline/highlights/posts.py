"""Posts: tweetable highlights of the episode, and a thread for every clip.

Example
-------
>>> episode.highlights = make_highlights(episode)  # doctest: +SKIP
>>> add_threads(episode)                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from castline.highlights.quotes import (
    Candidate,
    attributed,
    by_turn,
    fragment_problem,
    near_duplicate,
    post_quote,
    quote_score,
    quote_start,
)
from castline.model import Clip, Episode, Highlight
from castline.segment.passages import (
    PassageFeatures,
    is_finished,
    is_question,
    passage_features,
    strip_list_marker,
)
from castline.segment.sentence_units import EXCLUDED_TAGS, SentenceUnit, episode_end, sentence_units
from castline.segment.titles import best_phrase
from castline.text import format_timestamp, tweet_length, tweet_valid, words

__all__ = ["add_threads", "highlight_tweet", "make_highlights"]


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
) -> list[Candidate]:
    grouped = by_turn(units)
    allowed = set(turns) if turns is not None else None
    out: list[Candidate] = []
    for ti, turn_units in grouped.items():
        if allowed is not None and ti not in allowed:
            continue
        turn = episode.turns[ti]
        if not attributed(episode, turn.speaker):
            continue
        for i, u in enumerate(turn_units):
            a = quote_start(u)
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
                    Candidate(
                        turn=ti,
                        spans=[(a, b)],
                        units=[turn_units[k].index for k in range(i, j + 1)],
                        text=quote,
                        score=quote_score(quote, ideal_words=(8, 40), question=-0.8),
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
    chosen: list[tuple[Candidate, str]] = []
    for cand in candidates:
        if len(chosen) >= count:
            break
        if any(set(cand.units) & set(c.units) for c, _ in chosen):
            continue
        # Different moments, not three takes on one anecdote.
        if any(abs(cand.start - c.start) < min_gap_s for c, _ in chosen):
            continue
        if near_duplicate(cand.text, (c.text for c, _ in chosen)):
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


# -- threads ------------------------------------------------------------------------


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
        if attributed(episode, u.speaker):
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


def _marked(post: str, i: int, n: int) -> str:
    """``post`` with its thread mark, ``"… (2/4)"``: plain concatenation, so braces in it stay as they are."""
    return f"{post} ({i}/{n})"


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
        # Posts 2 to n without their "(i/n)" mark, which _marked appends once n is known.
        # Quote text goes in as data, never as a format string: a quote may hold "{1, 2}".
        drafts: list[str] = []
        used: set[int] = set()
        for cand in quotes:
            name = episode.speaker_name(episode.turns[cand.turn].speaker)
            post = f"“{post_quote(cand.text)}” — {name}"
            if tweet_valid(_marked(post, 9, 9)):
                drafts.append(post)
                used.update(cand.units)
                break
        claims = [
            (u, episode.turns[u.turn].text[start : u.end])
            for u in cunits
            if u.index not in used
            and (start := quote_start(u)) is not None
            and not is_question(u.text)
            and len(words(u.text)) >= 6
            and _takeaway(passage_features(u.text))
        ]
        claims.sort(key=lambda c: -passage_features(c[1]).score())
        for _u, sentence in claims:
            post = f"The takeaway: “{post_quote(sentence)}”"
            if tweet_valid(_marked(post, 9, 9)):
                drafts.append(post)
                break
        listen = f"Listen from {format_timestamp(clip.start)} in “{episode.title}”"
        if where != episode.title:
            listen += f" on {where}"
        listen += f". {link}" if link else "."
        if not tweet_valid(_marked(listen, 9, 9)):
            listen = f"Listen from {format_timestamp(clip.start)}."
        drafts.append(listen)
        n = 1 + len(drafts)
        thread = [_hook(episode, clip, cunits, f"(1/{n})")]
        thread += [_marked(d, i, n) for i, d in enumerate(drafts, start=2)]
        clip.thread = thread
