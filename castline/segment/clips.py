"""Clips: self-contained passages worth posting.

Clips are windows of whole sentences lasting 30 s - 3 min that stand alone and
carry a payoff, scored on plain, explainable features (specificity, claims,
stories, emotion, a reaction that follows) minus hedging and filler
(:mod:`castline.segment.passages`).

Example
-------
>>> clips = find_clips(episode, count=3)          # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache

from castline.model import Clip, Episode
from castline.segment.passages import (
    PassageFeatures,
    is_question,
    makes_claim,
    opening_problem,
    passage_features,
    strip_list_marker,
)
from castline.segment.references import reference_problem
from castline.segment.sentence_units import EXCLUDED_TAGS, SentenceUnit, sentence_units
from castline.segment.titles import ranked_phrases, same_title, title_case
from castline.text import content_words, words

__all__ = ["biography_turns", "find_clips", "pick_counts", "talk_minutes"]

# The other speaker's reply opening on a reaction ("Wow", "Great point"): the passage landed.
_REACTION = re.compile(
    r"^\W*(?:wow|oh wow|amazing|fascinating|incredible|interesting|that's (?:fascinating|amazing|"
    r"incredible|brilliant|great|interesting|so interesting|wild|crazy|a great)|that is (?:fascinating|"
    r"amazing|incredible)|i love (?:that|this|it)|great point|good point|brilliant|exactly|ha+|"
    r"so true|yes!|mind-blowing|beautiful)",
    re.IGNORECASE,
)


# The host's invitation to introduce oneself: what follows is a biography, not a clip.
_BIO_PROMPT = re.compile(
    r"\b(?:tell\s+(?:us|me|the\s+audience|our\s+(?:listeners|audience)|people|everyone|folks)\s+"
    r"(?:a\s+(?:little\s+)?(?:bit\s+)?)?(?:more\s+)?about\s+(?:yourself|you\b|your\s+(?:background|journey|story|career))"
    r"|introduce\s+yourself|a\s+(?:little\s+)?(?:bit\s+)?about\s+yourself|who\s+are\s+you\b"
    r"|(?:your|you're\s+from\s+a)\s+background\b|how\s+did\s+you\s+(?:get\s+(?:started|into)|end\s+up|first\s+get))",
    re.IGNORECASE,
)


def biography_turns(episode: Episode, *, early: float = 0.3) -> set[int]:
    """Turns of the guests' biography exchange: the prompt to introduce oneself and its answer.

    "Can you tell us a little bit about yourself?" anywhere, and "your
    background" or "how did you get started" in the first ``early`` share of
    the episode, mark the asking turn and the other speaker's reply that
    follows; previews, posts and clips leave both out (the show notes say who
    the guest is).
    """
    turns = episode.turns
    if not turns:
        return set()
    end = max(t.end for t in turns) or 1.0
    out: set[int] = set()
    for i, t in enumerate(turns):
        m = _BIO_PROMPT.search(t.text)
        if not m:
            continue
        strong = re.search(r"yourself|about\s+you\b|who\s+are\s+you", m.group(), re.IGNORECASE)
        if not strong and t.start > early * end:
            continue
        out.add(i)
        j = i + 1
        while j < len(turns) and not turns[j].text.strip():
            j += 1
        if j < len(turns) and turns[j].speaker != t.speaker:
            out.add(j)
    return out


def talk_minutes(episode: Episode) -> float:
    """Minutes of the episode's own talk: sponsor reads, cold open, intro and closing left out."""
    total = 0.0
    for t in episode.turns:
        if not set(t.tags) & EXCLUDED_TAGS and t.text.strip():
            total += max(0.0, t.end - t.start)
    return total / 60.0


def pick_counts(episode: Episode) -> dict[str, int]:
    """How many previews, highlights and clips an episode gets: it follows its length.

    The rule: one preview per 6 minutes of talk (3 to 8), one highlight per 5
    minutes (3 to 12), one clip per 20 minutes (1 to 5), counted on the talk
    left after sponsor reads, the cold open, the introduction and the closing.
    These are ceilings: each maker stops earlier when the material runs out
    (too few candidates, or candidates far below the best).
    """
    minutes = talk_minutes(episode)

    def rule(per: float, lo: int, hi: int) -> int:
        return max(lo, min(hi, round(minutes / per)))

    return {"previews": rule(6.0, 3, 8), "highlights": rule(5.0, 3, 12), "clips": rule(20.0, 1, 5)}


def _payoff(units: Sequence[SentenceUnit], a: int, b: int) -> bool:
    """Does the window ``units[a..b]`` end on a landed point rather than mid-thought?"""
    last = units[b]
    ending = last.text.rstrip()
    # A question hands over; a sentence that trails off ("I agree that...") never lands.
    if ending.endswith(("?", "...", "…", "-", "—", "–")):
        return False
    if last.turn_last:
        return True
    return _lands(" ".join(u.text for u in units[max(a, b - 1) : b + 1]))


@lru_cache(maxsize=16384)
def _lands(tail: str) -> bool:
    # Only whether a claim or a contrarian line fires matters here: one search each
    # instead of every feature's findall (clips test thousands of window tails).
    return makes_claim(tail)


def _clip_title(
    text_units: Sequence[SentenceUnit],
    context: str | None = None,
    exclude: Sequence[str] = (),
    taken: Sequence[str] = (),
) -> str:
    """A short, specific title for a clip, unlike any title in ``taken``.

    In order: a short question that opens the clip; the clip's own short claim;
    its noun phrases, best first (never a lone everyday word such as "Software");
    a question of up to 14 words anywhere in it; its opening words. The first
    that does not repeat an earlier clip's title wins, so an episode's clips
    never share a title.
    """
    texts = [strip_list_marker(u.text) for u in text_units]
    for title in _title_candidates(texts, context, exclude):
        if not any(same_title(title, other) for other in taken):
            return title
    first = texts[0]
    return first.rstrip(".!") if len(words(first)) <= 10 else " ".join(first.split()[:8]) + " …"


# Words that point back at earlier talk: a title holding one makes no sense alone.
_POINTS_BACK = frozenset("this that these those it they them he she him her his hers its their".split())


# A question that ends on its auxiliary leans on the sentence before: "How much of it doesn't?"
_ELLIPTICAL = re.compile(
    r"\b(?:do|does|did|don't|doesn't|didn't|is|isn't|are|aren't|was|wasn't|can|can't|will|won't|would|"
    r"wouldn't|should|shouldn't|have|haven't|has|hasn't)\W*\?\s*$",
    re.IGNORECASE,
)


def _question_title(text: str, max_words: int) -> bool:
    """A question that can title a clip alone: short, about something named, not "How do you know?"."""
    tokens = [w.lower() for w in words(text)]
    return (
        is_question(text)
        and not _ELLIPTICAL.search(text)
        and 3 <= len(tokens) <= max_words
        and len(content_words(text)) >= 2
        and not _POINTS_BACK.intersection(tokens)
        and opening_problem(text) is None
    )


def _title_candidates(texts: list[str], context: str | None, exclude: Sequence[str]) -> Iterator[str]:
    opening = texts[0]
    if _question_title(opening, 8):
        yield opening
    claims = []
    for text in texts:
        n = len(words(text))
        feats = passage_features(text)
        if (
            4 <= n <= 8
            and (feats.claims or feats.contrarian)
            and opening_problem(text) is None
            and reference_problem(text) is None
        ):
            claims.append((feats.score(), text.rstrip(".!")))
    for _, claim in sorted(claims, reverse=True):
        yield claim
    phrases = ranked_phrases(" ".join(texts), context=context, exclude=exclude)
    if phrases and len(phrases[0].split()) == 1:
        # A lone name ("Darnell") says who, not what: the clip's own short line
        # with that name in it ("Everything I stole from Darnell") says both.
        yield from _lines_naming(texts, phrases[0])
    for phrase in phrases:
        yield title_case(phrase)
    for text in texts:
        if _question_title(text, 14):
            yield text


def _lines_naming(texts: list[str], name: str, max_words: int = 9) -> list[str]:
    """The clip's short, self-standing sentences that mention ``name``, best scored first."""
    found = []
    for text in texts:
        tokens = [w.lower() for w in words(text)]
        if 4 <= len(tokens) <= max_words and name.lower() in tokens and opening_problem(text) is None:
            found.append((passage_features(text).score(), text.rstrip(".!")))
    return [text for _, text in sorted(found, reverse=True)]


def find_clips(
    episode: Episode, *, count: int | None = None, min_s: float = 30, max_s: float = 180
) -> list[Clip]:
    """The ``count`` most compelling self-contained passages, best first.

    A candidate is a run of whole sentences lasting ``min_s``-``max_s`` seconds
    that opens without leaning on earlier talk, opens on a question or a claim
    where it can, ends on a payoff, and touches no ``ad`` or ``cold_open`` turn
    nor the guest's biography exchange (:func:`biography_turns`). With a guest
    on, a clip opens where a thread starts: the host's question only when it
    stands alone (short, naming its subject), else the first words of an answer.
    ``count`` defaults to :func:`pick_counts` (it follows the episode's length).
    Scores add specificity, claims, stories, emotion and a reaction that follows,
    minus hedging and filler; ``Clip.reasons`` says which fired. Chosen clips
    overlap each other by at most 20% of the shorter one.
    """
    if count is None:
        count = pick_counts(episode)["clips"]
    units = sentence_units(episode)
    n = len(units)
    bio = biography_turns(episode)
    roles = {s.id: s.role for s in episode.speakers}
    guest_on = any(roles.get(t.speaker) == "guest" for t in episode.turns if t.text.strip())
    # The best single line of a window: a clip needs at least one quotable moment.
    peaks = [max(passage_features(u.text).score(), 0.0) for u in units]
    # (score, a, b, features, reactor follows): reasons are worded only for the chosen few.
    candidates: list[tuple[float, int, int, PassageFeatures, bool]] = []

    @cache
    def payoff(b: int, with_previous: bool) -> bool:
        # A window's payoff reads only its last one or two sentences: judged once per end.
        return _payoff(units, b - 1 if with_previous else b, b)

    for a in range(n):
        first = units[a]
        if first.excluded or first.turn in bio or opening_problem(first.text):
            continue
        if reference_problem(first.text):
            continue  # "We've done a lot of work with them": who?
        opening = _opening(first.text)
        if opening == "question" and not _question_title(first.text, 25):
            continue  # "How hard is it?" hooks nobody who missed what "it" is
        if guest_on and roles.get(first.speaker) == "host":
            # The host's set-up is no thread's start; a question that stands alone is.
            if opening != "question" or not _question_title(first.text, 20):
                continue
        opens_question = opening == "question"
        open_bonus = {"question": 0.6, "claim": 0.4}.get(opening, 0.0)
        if first.turn_first:
            open_bonus += 0.2
        feats = PassageFeatures()
        peak = 0.0
        for b in range(a, n):
            if units[b].excluded or units[b].turn in bio:
                break
            duration = units[b].time_end - first.time_start
            if duration > max_s:
                break
            # Features add up sentence by sentence: no re-scan of the whole window.
            feats = feats.merged(passage_features(units[b].text))
            peak = max(peak, peaks[b])
            if duration < min_s or not payoff(b, b > a):
                continue
            if opens_question and all(u.turn == first.turn for u in units[a : b + 1]):
                # A question the same speaker never answers in the window is not a hook.
                if all(u.text.rstrip().endswith("?") for u in units[a : b + 1]):
                    continue
            score = feats.score() + open_bonus + 0.4 * peak
            nxt = units[b + 1] if b + 1 < n else None
            reacted = bool(
                nxt and nxt.turn_first and nxt.speaker != units[b].speaker and _REACTION.match(nxt.text)
            )
            if reacted:
                score += 0.6
            if units[b].turn_last:
                score += 0.2
            # Mild preference for 60-120 s: long enough to land, short enough to post.
            score -= 0.015 * max(0.0, 50 - duration) + 0.004 * max(0.0, duration - 120)
            candidates.append((score, a, b, feats, reacted))
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[float, int, int, PassageFeatures, bool]] = []
    for cand in candidates:
        _, a, b = cand[:3]
        t0, t1 = units[a].time_start, units[b].time_end
        ok = True
        for _, ca, cb, _f, _r in chosen:
            c0, c1 = units[ca].time_start, units[cb].time_end
            overlap = max(0.0, min(t1, c1) - max(t0, c0))
            if overlap > 0.2 * min(t1 - t0, c1 - c0):
                ok = False
                break
        if ok:
            chosen.append(cand)
            if len(chosen) >= count:
                break
    clips: list[Clip] = []
    for score, a, b, feats, reacted in chosen:
        reasons = _clip_reasons(units, a, b, feats, reacted)
        clips.append(_make_clip(episode, units, a, b, score, reasons, taken=[c.title for c in clips]))
    return clips


def _opening(sentence: str) -> str | None:
    """How a clip opening on ``sentence`` hooks: ``"question"``, ``"claim"`` or None."""
    if is_question(sentence):
        return "question"
    feats = passage_features(sentence)
    return "claim" if feats.claims or feats.contrarian else None


def _clip_reasons(
    units: Sequence[SentenceUnit], a: int, b: int, feats: PassageFeatures, reacted: bool
) -> list[str]:
    """Plain-words reasons for the clip ``units[a..b]``, in the order its score adds them up."""
    opening = _opening(units[a].text)
    reasons = [f"opens on a {opening}"] if opening else []
    reasons += feats.reasons()
    if reacted:
        reasons.append("the other speaker reacts right after")
    if units[b].turn_last:
        reasons.append("ends where the speaker finishes the point")
    else:
        reasons.append("ends on a payoff line")
    return reasons


def _episode_text(episode: Episode) -> str:
    return " ".join(t.text for t in episode.turns if not set(t.tags) & EXCLUDED_TAGS)


def _make_clip(
    episode: Episode,
    units: Sequence[SentenceUnit],
    a: int,
    b: int,
    score: float,
    reasons: list[str],
    *,
    taken: Sequence[str] = (),
) -> Clip:
    first, last = units[a], units[b]
    parts = []
    for ti in range(first.turn, last.turn + 1):
        text = episode.turns[ti].text
        lo = first.start if ti == first.turn else 0
        hi = last.end if ti == last.turn else len(text)
        parts.append(text[lo:hi])
    speakers: list[str] = []
    for u in units[a : b + 1]:
        if u.speaker is not None and u.speaker not in speakers:
            speakers.append(u.speaker)
    return Clip(
        start=round(first.time_start, 2),
        end=round(last.time_end, 2),
        title=_clip_title(
            units[a : b + 1],
            context=_episode_text(episode),
            exclude=[s.name for s in episode.speakers],
            taken=taken,
        ),
        text="\n".join(parts),
        score=round(score, 3),
        reasons=reasons,
        speakers=speakers,
        turn_start=first.turn,
        turn_end=last.turn,
    )
