"""The verbatim check: every quote and post says only what was said, where it was said.

Example
-------
>>> assert verify_quotes(episode) == []            # doctest: +SKIP
"""

from __future__ import annotations

import re

from castline.highlights.quotes import ELISION, attributed, post_quote, quote_in_post
from castline.model import Clip, Episode
from castline.segment.sentence_units import EXCLUDED_TAGS
from castline.text import tweet_length, tweet_valid

__all__ = ["verify_quotes"]


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
        if not attributed(episode, h.speaker):
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
