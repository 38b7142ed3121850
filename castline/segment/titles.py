"""Titles: the noun phrase that names a chapter or a clip.

:func:`distinct_titles` gives each of several texts (an episode's chapters) a
title no other text shares, scored on distinctiveness, recurrence, specificity
and, with a sentence-embedding model, closeness in meaning;
:func:`best_phrase` and :func:`ranked_phrases` name one passage (a clip). The
candidates come from :mod:`castline.segment.phrases`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from castline.segment.phrases import (
    STANCE,
    Lexicon,
    episode_lexicon,
    is_bare_word,
    lexical_score,
    noun_evidence,
    phrase_candidates,
)
from castline.segment.words import uniq
from castline.text import content_words, words

__all__ = ["best_phrase", "distinct_titles", "ranked_phrases", "same_title", "title_case"]


_SMALL_WORDS = frozenset("a an and as at but by for from in into of on or per the to vs via with".split())


def title_case(phrase: str) -> str:
    """Title-case ``phrase``, keeping acronyms, names and mixed-case tokens as written."""
    out = []
    tokens = phrase.split()
    for i, token in enumerate(tokens):
        if any(c.isupper() for c in token) or any(c.isdigit() for c in token):
            out.append(token)
        elif 0 < i < len(tokens) - 1 and token.lower() in _SMALL_WORDS:
            out.append(token.lower())
        else:
            out.append(token[:1].upper() + token[1:])
    return " ".join(out)


def _stem(word: str) -> str:
    """A crude English stem, enough to see "write"/"writing"/"writes" as one word."""
    word = word.lower()
    for suffix in ("ings", "ing", "ers", "er", "ies", "es", "ed", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(phrase: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in content_words(phrase))


def same_title(a: str, b: str) -> bool:
    """True when two titles name the same thing (near-equal, or one's content stems within the other's)."""
    from rapidfuzz import fuzz

    sa, sb = _stems(a), _stems(b)
    return fuzz.ratio(a.lower(), b.lower()) >= 80 or (bool(sa) and sa <= sb) or (bool(sb) and sb <= sa)



def _rescore_by_meaning(
    scored_all: list[list[tuple[float, str]]],
    embed: Callable[[list[str]], np.ndarray],
    centroids: np.ndarray,
    top: int = 8,
) -> list[list[tuple[float, str]]]:
    """Rescore each text's ``top`` candidates by meaning: how close a phrase sits to
    that text's centroid, less half its closeness to the nearest other text."""
    # Only each text's first few candidates (the caller's order) are worth a model call.
    scored_all = [scored[:top] for scored in scored_all]
    unique = list(dict.fromkeys(p for scored in scored_all for _, p in scored))
    if not unique:
        return scored_all
    vectors = np.asarray(embed(unique), dtype=float)
    if vectors.ndim != 2 or vectors.shape[1] != centroids.shape[1]:
        return scored_all  # an embedder fitted per call (TF-IDF) lives in another space
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    sims = vectors @ centroids.T  # phrase x text
    row = {p: k for k, p in enumerate(unique)}
    out = []
    for i, scored in enumerate(scored_all):
        top = max((s for s, _ in scored), default=1.0) or 1.0
        rescored = []
        for score, phrase in scored:
            others = np.delete(sims[row[phrase]], i)
            semantic = sims[row[phrase], i] - 0.5 * (float(others.max()) if len(others) else 0.0)
            # Lexical prior in (0, 1]; a 0.1 gain in meaning outweighs a third of it.
            rescored.append((score / top + 3.0 * semantic, phrase))
        out.append(rescored)
    return out


def _names_a_speaker(phrase: str, names: Sequence[str]) -> bool:
    """Is ``phrase`` only words of one of ``names`` ("Kant", "Eiso Kant")?"""
    tokens = {t.lower() for t in words(phrase)}
    return any(tokens <= {t.lower() for t in words(name)} for name in names if name)


def _title_tier(phrase: str, lexicon: Lexicon) -> int:
    """2: a noun phrase by the episode's own usage; 1: no evidence against; 0: weak."""
    if is_bare_word(phrase, lexicon):
        return 0
    evidence = noun_evidence(phrase.split()[-1], lexicon)
    if evidence > 0:
        return 2
    # A head ending in -ing with no noun use ("time maintaining") is a verb.
    return 1 if evidence == 0 and not phrase.lower().endswith("ing") else 0


def distinct_titles(
    texts: Sequence[str],
    fallbacks: Sequence[str],
    summaries: Sequence[str] | None = None,
    *,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    centroids: np.ndarray | None = None,
    exclude: Sequence[str] = (),
) -> list[tuple[str, list[str]]]:
    """A distinct title and keywords for each text; ``fallbacks`` when a text has none.

    Candidates are the texts' YAKE key phrases (from ``summaries``, the most
    central sentences, when given), completed where the text shows they were
    clipped and kept only when they read as noun phrases. Each is scored on
    distinctiveness across texts, recurrence, specificity (names and rare terms
    beat everyday words) and a noun head. With ``embed`` and ``centroids`` (one
    unit vector per text, same model), the phrase nearest its own text's
    centroid and far from the others' gains most: the title says what the
    chapter is about rather than what it mentions. Phrases made of the words of
    ``exclude`` (the speakers' names) never title a chapter: they name the show.
    """
    lexicon = episode_lexicon(" ".join(texts))
    lowered = [t.lower() for t in texts]
    n = len(texts)
    per_text = [
        phrase_candidates(t, lexicon, source=(summaries[i] if summaries else None))
        for i, t in enumerate(texts)
    ]
    scored_all: list[list[tuple[float, str]]] = []
    for i, phrases in enumerate(per_text):
        scored = []
        for phrase, weight in phrases:
            if _names_a_speaker(phrase, exclude):
                continue
            key = phrase.lower()
            # Distinctiveness: a phrase every chapter uses names the show, not the chapter.
            df = sum(1 for t in lowered if key in t) or 1
            idf = math.log(1 + n / df)
            scored.append((lexical_score(phrase, weight, lowered[i], lexicon) * idf, phrase))
        scored_all.append(scored)
    if embed is not None and centroids is not None and len(centroids) == n:
        # The model sees each text's best few usable phrases (tiered, then by score).
        for scored in scored_all:
            scored.sort(key=lambda x: (_title_tier(x[1], lexicon) == 0, -x[0]))
        scored_all = _rescore_by_meaning(scored_all, embed, centroids)
    results: list[tuple[str, list[str]]] = []
    used: list[str] = []
    for i, scored in enumerate(scored_all):
        scored.sort(key=lambda x: -x[0])
        keywords = uniq([p for _, p in scored])[:5]
        title = ""
        # Phrases ending on a word the episode uses as a noun come first, then
        # those it says nothing about; a lone everyday word or a phrase ending on
        # a verb is a last resort.
        for tier in (2, 1, 0):
            for _score, phrase in scored:
                candidate = title_case(phrase)
                if _title_tier(phrase, lexicon) < tier:
                    continue
                if not any(same_title(candidate, u) for u in used):
                    title = candidate
                    break
            if title:
                break
        if not title:
            base = fallbacks[i]
            title, k = base, 2
            while any(same_title(title, u) for u in used):
                title, k = f"{base} {k}", k + 1
        used.append(title)
        results.append((title, keywords))
    return results


def best_phrase(text: str, *, context: str | None = None, exclude: Sequence[str] = ()) -> str | None:
    """The noun phrase that best names ``text``, or None when it has none worth using.

    Candidates are YAKE key phrases, completed where the text shows they were
    clipped ("human level" -> "human level intelligence") and kept only when
    they read as noun phrases (no verb or adverb at either end, a last word the
    ``context`` - by default ``text`` - uses as a noun). Phrases the passage
    returns to, names and rare terms score higher; a lone everyday word ("Code",
    "Job"), a stance word ("wrong") or a name from ``exclude`` is never returned.
    """
    ranked = ranked_phrases(text, context=context, exclude=exclude)
    return ranked[0] if ranked else None


def ranked_phrases(text: str, *, context: str | None = None, exclude: Sequence[str] = ()) -> list[str]:
    """Every noun phrase :func:`best_phrase` would accept for ``text``, best first."""
    lexicon = episode_lexicon(context or text)
    lowered = text.lower()
    scored = []
    for phrase, weight in phrase_candidates(text, lexicon, top=10):
        if is_bare_word(phrase, lexicon) or STANCE.search(phrase) or _names_a_speaker(phrase, exclude):
            continue
        tier = _title_tier(phrase, lexicon)
        if tier > 0:
            scored.append((tier, lexical_score(phrase, weight, lowered, lexicon), phrase))
    if not scored:
        return []
    # Phrases with a head the episode uses as a noun first, then by score.
    scored.sort(key=lambda x: (-x[0], -x[1]))
    ranked = [(score, phrase) for _, score, phrase in scored]
    best_score, best = ranked[0]
    if len(best.split()) == 1:
        # A name alone ("Claude") reads better with the phrase it heads ("Claude Code").
        for score, phrase in ranked[1:]:
            longer = len(phrase.split()) > 1 and best.lower() in phrase.lower().split()
            if longer and score >= 0.5 * best_score:
                ranked.remove((score, phrase))
                ranked.insert(0, (score, phrase))
                break
    return [phrase for _, phrase in ranked]
