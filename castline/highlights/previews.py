"""Previews: pithy stand-alone quotes of 5-15 s for a cold open or trailer (3 to 8, by length).

Example
-------
>>> episode.previews = make_previews(episode)      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

from castline.highlights.quotes import (
    ELISION,
    Candidate,
    by_turn,
    clause_prefixes,
    near_duplicate,
    pick_counts,
    quotable_speakers,
    quote_score,
    quote_start,
    spans_time,
    standalone_problem,
)
from castline.model import Episode, Preview
from castline.segment.clips import biography_turns
from castline.segment.passages import is_finished
from castline.segment.sentence_units import SentenceUnit, episode_end, sentence_units

__all__ = ["make_previews"]


def _preview_candidates(
    episode: Episode, units: Sequence[SentenceUnit], min_s: float, max_s: float, min_confidence: float = 0.0
) -> list[Candidate]:
    out: list[Candidate] = []
    voices = quotable_speakers(episode)
    bio = biography_turns(episode)
    for ti, turn_units in by_turn(units).items():
        if ti in bio:
            continue  # "I started programming when I was young": the show notes say who the guest is
        turn = episode.turns[ti]
        if voices is not None and turn.speaker not in voices:
            continue  # a guest is on: the host's lines set up, the guest's make the trailer
        if turn.confidence < min_confidence:
            continue  # who said it is in doubt
        text = turn.text
        options: list[tuple[list[tuple[int, int]], list[int], float]] = []
        for i, u in enumerate(turn_units):
            a = quote_start(u)
            if a is None:
                continue
            for j in range(i, min(i + 3, len(turn_units))):
                if "\n" in text[a : turn_units[j].start]:
                    break  # a quote stays inside one paragraph
                options.append(([(a, turn_units[j].end)], list(range(i, j + 1)), 0.0))
            for j in range(i + 2, min(i + 4, len(turn_units))):
                if "\n" in text[a : turn_units[j].start]:
                    break
                b = quote_start(turn_units[j])
                if b is None:
                    continue  # what follows the elision must read on its own too
                # Elide the middle, within this speaker's turn only.
                options.append(([(a, u.end), (b, turn_units[j].end)], [i, j], -0.4))
            for _a, end in clause_prefixes(u, text, 10):
                if end - a > 20:
                    options.append(([(a, end)], [i], -0.2))
        for spans, idx, adjust in options:
            duration = spans_time(episode, ti, spans)
            if not min_s <= duration <= max_s:
                continue
            last = turn_units[idx[-1]]
            if spans[-1][1] == last.end and (last.n_words < 2 or not is_finished(last.text)):
                continue  # ends on a dangling one-word sentence ("... naturally. AI.") or an unfinished one
            quote = ELISION.join(text[a:b] for a, b in spans)
            if not quote[:1].isupper() and not quote[:1].isdigit():
                continue  # a trailer line starts where a sentence does, capital and all
            if standalone_problem(quote):
                continue
            score = quote_score(quote, ideal_words=(14, 30), question=0.0) + adjust
            t = episode.turns[ti]
            out.append(
                Candidate(
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


def make_previews(
    episode: Episode,
    *,
    count: tuple[int, int] | None = None,
    min_s: float = 5.0,
    max_s: float = 15.0,
    min_confidence: float = 0.0,
) -> list[Preview]:
    """Pithy stand-alone quotes of 5-15 s for a cold open or trailer, best first.

    Quotes are whole sentences, a clause that opens a long sentence, or two
    sentences of one turn joined by an elision (``[...]``), starting with a
    capital. They come from neither ads nor the cold open, introduction or
    closing, from the guests when a guest is on (:func:`quotable_speakers`),
    from turns whose speaker confidence is at least ``min_confidence``, and
    name what they talk about (:func:`standalone_problem`). No two share a
    sentence, and they are spread across the episode (a minimum gap between
    them, relaxed only when needed to reach the minimum count). ``count`` is
    ``(minimum, maximum)``; by default the maximum follows the episode's length
    (:func:`pick_counts`) and the minimum is half of it.
    """
    units = sentence_units(episode)
    candidates = sorted(
        _preview_candidates(episode, units, min_s, max_s, min_confidence), key=lambda c: -c.score
    )
    if count is None:
        high = pick_counts(episode)["previews"]
        count = (max(1, (high + 1) // 2), high)
    low, high = count
    total = episode_end(episode) or 1.0
    chosen: list[Candidate] = []
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
            if near_duplicate(cand.text, (c.text for c in chosen)):
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
