"""Posts: tweetable highlights of the episode, and a thread for every clip.

Example
-------
>>> episode.highlights = make_highlights(episode)  # doctest: +SKIP
>>> add_threads(episode)                           # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from castline.highlights.quotes import (
    Candidate,
    attributed,
    by_turn,
    near_duplicate,
    pick_counts,
    post_quote,
    quotable_speakers,
    quote_score,
    quote_start,
    reference_problem,
    standalone_problem,
)
from castline.model import Clip, Episode, Highlight
from castline.segment.clips import biography_turns
from castline.segment.passages import (
    PassageFeatures,
    is_finished,
    is_question,
    opening_problem,
    passage_features,
    strip_list_marker,
)
from castline.segment.sentence_units import SentenceUnit, episode_end, sentence_units
from castline.text import format_timestamp, tweet_length, tweet_valid, words

__all__ = ["add_threads", "episode_link", "highlight_tweet", "make_highlights"]


def episode_link(episode: Episode) -> str | None:
    """The episode's page, when the run was given one (``metadata["url"]``)."""
    meta = episode.metadata or {}
    link = meta.get("url") or meta.get("link")
    return str(link).strip() or None if link else None


def _signature(episode: Episode, speaker_id: str | None) -> str:
    """``Name on Show``; the name alone when no show is known (an input's file name is no show's)."""
    name = episode.speaker_name(speaker_id)
    return f"{name} on {episode.show}" if episode.show else name


def highlight_tweet(
    episode: Episode, quote: str, speaker_id: str | None, start: float, link: str | None = None
) -> str | None:
    """The post for ``quote``: ``“quote” — Name on Show (HH:MM:SS) link``.

    The quote is shown as :func:`post_quote` shows it.

    ``link`` defaults to the episode's (:func:`episode_link`); every post ends on it
    when there is one. Drops the timestamp only when the post would otherwise
    overflow; None when even that is too long (choose a shorter quote then).
    """
    link = link if link is not None else episode_link(episode)
    tail = f" {link}" if link else ""
    shown = post_quote(quote)
    byline = _signature(episode, speaker_id)
    with_time = f"“{shown}” — {byline} ({format_timestamp(start)}){tail}"
    if tweet_valid(with_time):
        return with_time
    without_time = f"“{shown}” — {byline}{tail}"
    return without_time if tweet_valid(without_time) else None


def _highlight_candidates(
    episode: Episode,
    units: Sequence[SentenceUnit],
    turns: Iterable[int] | None = None,
    *,
    voices: set[str] | None = None,
    min_confidence: float = 0.0,
) -> list[Candidate]:
    grouped = by_turn(units)
    allowed = set(turns) if turns is not None else None
    bio = biography_turns(episode)
    out: list[Candidate] = []
    for ti, turn_units in grouped.items():
        if (allowed is not None and ti not in allowed) or ti in bio:
            continue
        turn = episode.turns[ti]
        if not attributed(episode, turn.speaker):
            continue
        if voices is not None and turn.speaker not in voices:
            continue
        if turn.confidence < min_confidence:
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
                if standalone_problem(quote) or _ASKS_YOU.search(quote):
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


def _preview_units(episode: Episode, units: Sequence[SentenceUnit]) -> set[int]:
    """Indexes of the sentence units the episode's previews quote from."""
    spans = [(p.turn, a, b) for p in episode.previews for a, b in p.spans]
    return {u.index for u in units for t, a, b in spans if u.turn == t and u.start < b and a < u.end}


def make_highlights(
    episode: Episode,
    *,
    count: int | None = None,
    min_gap_s: float = 45.0,
    min_confidence: float = 0.0,
    floor: float = 3.0,
) -> list[Highlight]:
    """Verbatim quotes with ready-to-post tweets, best first.

    Quotes are 1-3 whole sentences of one attributed speaker's turn (never an
    ad, the cold open, the introduction or the closing; the guests' words when
    a guest is on; a turn whose speaker confidence is at least
    ``min_confidence``), that name what they talk about, and whose post fits
    X's 280 weighted characters. None repeats a sentence of a preview
    (``episode.previews``: a trailer line is not posted again); no two overlap,
    read as near duplicates, or start within ``min_gap_s`` seconds. ``count``
    defaults to :func:`pick_counts`'s ceiling; past half of it, a quote scoring
    more than ``floor`` below the best is left out.
    """
    units = sentence_units(episode)
    voices = quotable_speakers(episode)
    candidates = sorted(
        _highlight_candidates(episode, units, voices=voices, min_confidence=min_confidence),
        key=lambda c: -c.score,
    )
    if count is None:
        count = pick_counts(episode)["highlights"]
    in_previews = _preview_units(episode, units)
    preview_texts = [p.text for p in episode.previews]
    # Short episodes cannot spread ten quotes 45 s apart: scale the gap down.
    min_gap_s = min(min_gap_s, episode_end(episode) / (2.0 * max(count, 1)))
    chosen: list[tuple[Candidate, str]] = []
    for cand in candidates:
        if len(chosen) >= count:
            break
        if chosen and len(chosen) >= (count + 1) // 2 and cand.score < chosen[0][0].score - floor:
            break
        if in_previews.intersection(cand.units) or near_duplicate(cand.text, preview_texts):
            continue
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


def _clip_speaker(episode: Episode, cunits: Sequence[SentenceUnit]) -> str | None:
    """Whoever does most of the talking in the clip (attributed speakers only)."""
    spoken: dict[str, int] = {}
    for u in cunits:
        if attributed(episode, u.speaker):
            spoken[u.speaker] = spoken.get(u.speaker, 0) + u.n_words
    return max(spoken, key=spoken.get) if spoken else None


_QUESTION_WORD = re.compile(
    r"^\W*(?:what|why|how|when|where|who|which|can|could|should|would|will|is|are|do|does|did|has|have)\b",
    re.IGNORECASE,
)
# An interviewer's question inside a quote ("Can you help the audience ...?"): not the guest's point.
_ASKS_YOU = re.compile(r"(?:^|[.!?]\s+)[^.!?]*\b(?:you|your)\b[^.!?]*\?", re.IGNORECASE)


# "How much of it doesn't?": a question ending on its auxiliary leans on what came before.
_ELLIPTICAL = re.compile(
    r"\b(?:do|does|did|is|are|was|can|will|would|should|have|has)(?:n['’]t)?\W*\?\s*$", re.IGNORECASE
)


def _standalone_question(text: str) -> bool:
    """A question a thread may open on: short, real, opening on a question word, and naming its subject."""
    return (
        is_question(text)
        and bool(_QUESTION_WORD.match(text))
        and not _ELLIPTICAL.search(text)
        and 5 <= len(words(text)) <= 25
        and opening_problem(text) is None
        and reference_problem(text) is None
    )


def _hook(
    episode: Episode, clip: Clip, cunits: Sequence[SentenceUnit], claim: Candidate | None, mark: str
) -> str:
    """Post 1: the clip's opening question when it stands alone, else the clip's strongest claim.

    The claim is quoted verbatim and signed, so the thread says who speaks
    from its first post; with neither, the clip's title opens the thread.
    """
    byline = _signature(episode, _clip_speaker(episode, cunits))
    opening = strip_list_marker(cunits[0].text) if cunits else ""
    if opening and _standalone_question(opening):
        post = f"{opening}\n\n{byline} 🧵 {mark}"
        if tweet_valid(post):
            return post
    if claim is not None:
        shown = f"“{post_quote(claim.text)}”"
        for post in (f"{shown}\n\n— {byline} 🧵 {mark}", f"{shown} 🧵 {mark}"):
            if tweet_valid(post):
                return post
    title = clip.title.strip()
    post = f"{title}\n\n{byline} 🧵 {mark}"
    return post if tweet_valid(post) else f"{title} {mark}"


def _takeaway(feats: PassageFeatures) -> bool:
    """A line that states what the listener learns: a claim, not a beat of a story
    ("my first thought was, something's wrong" tells what happened, not what is so)."""
    return bool(feats.claims or feats.contrarian) and not feats.story


def _marked(post: str, i: int, n: int) -> str:
    """``post`` with its thread mark, ``"… (2/4)"``: plain concatenation, so braces in it stay as they are."""
    return f"{post} ({i}/{n})"


def add_threads(episode: Episode) -> None:
    """Give every clip in ``episode.clips`` a 3-4 post thread, each post marked ``(i/n)``.

    1. a hook: the clip's opening question when it stands alone, else its
       strongest claim, verbatim and signed (never a fill-in template);
    2. another verbatim quote of the clip, attributed;
    3. what the listener learns: a key claim sentence of the clip, verbatim;
    4. where to listen: the timestamp, and the episode's link when it has one.

    Quotes are the guests' words when a guest is on, and none repeats a preview;
    a highlight is reused only when the clip offers nothing else.
    """
    units = sentence_units(episode)
    where = episode.show or episode.title
    link = episode_link(episode)
    voices = quotable_speakers(episode)
    in_previews = _preview_units(episode, units)
    in_highlights = {
        u.index
        for h in episode.highlights
        for u in units
        if u.turn == h.turn and u.start < h.char_end and h.char_start < u.end
    }
    for clip in episode.clips:
        cunits = _clip_units(episode, clip, units)
        turns = {u.turn for u in cunits}
        quotes = [
            c
            for c in _highlight_candidates(episode, cunits, turns, voices=voices)
            if all(clip.start - 0.05 <= t <= clip.end + 0.05 for t in (c.start, c.end))
            and not in_previews.intersection(c.units)
        ]
        # Fresh words first: a line already posted as a highlight only when nothing else is left.
        quotes.sort(key=lambda c: (bool(in_highlights.intersection(c.units)), -c.score))
        used: set[int] = set()
        opening = strip_list_marker(cunits[0].text) if cunits else ""
        claim = None
        if not (opening and _standalone_question(opening)):
            claims = [c for c in quotes if len(c.text) <= 200 and _takeaway(passage_features(c.text))]
            claim = claims[0] if claims else (quotes[0] if quotes else None)
            if claim is not None:
                used.update(claim.units)
        # Posts 2 to n without their "(i/n)" mark, which _marked appends once n is known.
        # Quote text goes in as data, never as a format string: a quote may hold "{1, 2}".
        drafts: list[str] = []
        for cand in quotes:
            if used.intersection(cand.units):
                continue
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
            and u.index not in in_previews
            and (voices is None or u.speaker in voices)
            and (start := quote_start(u)) is not None
            and not is_question(u.text)
            and len(words(u.text)) >= 6
            and _takeaway(passage_features(u.text))
            and standalone_problem(episode.turns[u.turn].text[start : u.end]) is None
        ]
        claims.sort(key=lambda c: -passage_features(c[1]).score())
        for _u, sentence in claims:
            post = f"The takeaway: “{post_quote(sentence)}”"
            if tweet_valid(_marked(post, 9, 9)):
                drafts.append(post)
                break
        listen = f"Listen from {format_timestamp(clip.start)} in “{episode.title}”"
        if where != episode.title and episode.show:
            listen += f" on {where}"
        listen += f": {link}" if link else "."
        if not tweet_valid(_marked(listen, 9, 9)):
            listen = f"Listen from {format_timestamp(clip.start)}" + (f": {link}" if link else ".")
        drafts.append(listen)
        n = 1 + len(drafts)
        thread = [_hook(episode, clip, cunits, claim, f"(1/{n})")]
        thread += [_marked(d, i, n) for i, d in enumerate(drafts, start=2)]
        clip.thread = thread
