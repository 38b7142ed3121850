"""Chapters: topic segmentation under the house spacing rules.

Chapters come from TextTiling-style topic segmentation: every sentence is a
vector (TF-IDF + LSA by default, or any ``embed`` function such as a sentence
embedding model), the similarity of the text before and after each sentence gap
gives a depth score, and a dynamic programme picks the boundaries that maximise
depth under the house spacing rules (first chapter at 0, 8-15 minutes apart,
never closer than 5). Titles are the chapter's own distinctive key phrases
(:mod:`castline.segment.titles`).

Example
-------
>>> chapters = make_chapters(episode)            # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from castline.model import Chapter, Episode
from castline.segment.passages import opening_problem
from castline.segment.sentence_units import SentenceUnit, episode_end, sentence_units
from castline.segment.titles import distinct_titles
from castline.segment.words import english_stop_words, zipf
from castline.text import STOPWORDS

__all__ = ["make_chapters", "tfidf_embed"]


def tfidf_embed(texts: Sequence[str], *, dims: int = 100) -> np.ndarray:
    """Unit-length LSA vectors (TF-IDF reduced by truncated SVD) for ``texts``.

    The default sentence-vector function of :func:`make_chapters`; any function
    with the same shape (texts in, one row per text out), e.g. a sentence
    embedding model's ``encode``, can replace it.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = list(texts)
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        stop_words=sorted(STOPWORDS | english_stop_words()),
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9'-]{2,}\b",
        min_df=1,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return np.zeros((len(texts), 1))
    k = min(dims, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if k >= 2:
        from threadpoolctl import threadpool_limits

        # Small dense products: extra BLAS threads only contend on a busy 2-core box.
        with threadpool_limits(1):
            svd = TruncatedSVD(n_components=k, n_iter=3, random_state=0)
            dense = svd.fit_transform(matrix)
    else:
        dense = matrix.toarray()
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.where(norms == 0, 1, norms)


def _gap_similarities(units: Sequence[SentenceUnit], vectors: np.ndarray, window_s: float) -> np.ndarray:
    """Cosine similarity of the ``window_s`` seconds before and after each gap.

    Entry ``g`` is the gap before unit ``g`` (entry 0 unused). Windows are in
    time rather than sentence counts so long and short sentences weigh alike.
    """
    n = len(units)
    weights = np.array([max(u.n_words, 1) for u in units], dtype=float)[:, None]
    prefix = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors * weights, axis=0)])
    starts = [u.time_start for u in units]
    sims = np.zeros(n)
    for g in range(1, n):
        t = starts[g]
        lo = min(bisect.bisect_left(starts, t - window_s), g - 1)
        hi = max(bisect.bisect_right(starts, t + window_s), g + 1)
        left = prefix[g] - prefix[lo]
        right = prefix[hi] - prefix[g]
        denom = np.linalg.norm(left) * np.linalg.norm(right)
        sims[g] = float(left @ right / denom) if denom > 0 else 0.0
    return sims


def _depth_scores(sims: np.ndarray) -> np.ndarray:
    """TextTiling depth: how far each gap's similarity sits below its flanking peaks."""
    n = len(sims)
    smooth = sims.copy()
    if n > 3:
        smooth[1:] = np.convolve(np.pad(sims[1:], 1, mode="edge"), np.ones(3) / 3, "valid")
    depth = np.zeros(n)
    for g in range(1, n):
        left = g
        while left > 1 and smooth[left - 1] >= smooth[left]:
            left -= 1
        right = g
        while right < n - 1 and smooth[right + 1] >= smooth[right]:
            right += 1
        depth[g] = (smooth[left] - smooth[g]) + (smooth[right] - smooth[g])
    return depth


def _choose_boundaries(
    times: Sequence[float],
    gains: Sequence[float],
    end_time: float,
    *,
    min_gap: float,
    target: tuple[float, float],
    per_boundary_cost: float = 0.15,
) -> list[int]:
    """Dynamic programme: indexes of candidate boundaries with the best total gain.

    Spacing below ``min_gap`` is forbidden; spacing outside ``target`` is
    penalised (gently when short, steeply when long), so the chosen chapters
    follow the strongest topic shifts while keeping the house rhythm.
    """
    lo, hi = target

    def penalty(d: float) -> float:
        if d < min_gap:
            return math.inf
        if d < lo:
            return 0.5 * (lo - d) / 60.0
        if d > hi:
            return 1.0 * (d - hi) / 60.0
        return 0.0

    k = len(times)
    best = [-math.inf] * k
    back = [-1] * k
    for j in range(k):
        # Start of the episode (time 0) as the previous boundary.
        score, prev = gains[j] - per_boundary_cost - penalty(times[j]), -1
        for i in range(j):
            if best[i] == -math.inf:
                continue
            cand = best[i] + gains[j] - per_boundary_cost - penalty(times[j] - times[i])
            if cand > score:
                score, prev = cand, i
        best[j], back[j] = score, prev
    final, last = -penalty(end_time), -1
    for j in range(k):
        if best[j] == -math.inf:
            continue
        cand = best[j] - penalty(end_time - times[j])
        if cand > final:
            final, last = cand, j
    chosen = []
    while last >= 0:
        chosen.append(last)
        last = back[last]
    return chosen[::-1]


def _neighbourhood(starts: list[float], g: int, reach: float) -> tuple[int, int]:
    """Indexes ``[lo, hi)`` around gap ``g`` (never gap 0) whose starts lie within ``reach`` of its own.

    Walks outwards from ``g`` rather than bisecting: times pasted from several
    sources (a notebook of excerpts) need not rise, and a bisection over them
    can miss ``g`` itself.
    """
    here = starts[g]
    lo = g
    while lo > 1 and abs(starts[lo - 1] - here) <= reach:
        lo -= 1
    hi = g + 1
    while hi < len(starts) and abs(starts[hi] - here) <= reach:
        hi += 1
    return lo, hi


#: Libraries and modules the later stages need; importing them costs about a second and a half.
_LATER_IMPORTS = (
    "yake", "wordfreq", "twitter_text", "castline.segment.clips", "castline.highlights", "castline.export",
    "jsonschema.validators", "jinja2", "srt", "webvtt",
)


def _warm_imports() -> None:
    import importlib

    for name in _LATER_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # the stage that needs it reports the problem itself
            continue
    zipf("the")  # wordfreq loads its frequency table on first use


@lru_cache(maxsize=1)
def _prefetch_imports() -> None:
    """Import the later stages' libraries in a background thread, once per process.

    Sentence embedding spends its time in native code that releases the GIL,
    so the imports overlap with it instead of adding to the run time.
    """
    import threading

    threading.Thread(target=_warm_imports, name="castline-prefetch", daemon=True).start()


def make_chapters(
    episode: Episode,
    *,
    min_gap: float = 300,
    target: tuple[float, float] = (480, 900),
    embed: Callable[[list[str]], np.ndarray] | None = None,
    window_s: float = 120.0,
    snap_s: float = 20.0,
) -> list[Chapter]:
    """Chapters for ``episode`` under the house rules, with concise titles.

    Parameters
    ----------
    episode:
        An episode with clean turn texts and (possibly estimated) times.
    min_gap:
        No two chapter starts closer than this many seconds (and the last
        chapter lasts at least this long).
    target:
        Preferred chapter length range in seconds (8-15 minutes).
    embed:
        Sentence-vector function, ``list[str] -> ndarray`` (one row per
        sentence); defaults to :func:`tfidf_embed`. Pass a sentence-embedding
        model's encoder to segment on meaning rather than shared words.
    window_s:
        Seconds of speech compared on each side of a candidate boundary.
    snap_s:
        A boundary may move this many seconds to start on a turn.

    Returns
    -------
    Chapters in order; the first starts at 0. Ads and the cold open never
    give a chapter its title.
    """
    units = sentence_units(episode)
    end_time = episode_end(episode)
    boundaries: list[int] = []  # unit indexes where chapters 2.. start
    vectors: np.ndarray | None = None
    if units and end_time >= max(600.0, 2 * min_gap):
        _prefetch_imports()
        vectors = np.asarray((embed or tfidf_embed)([u.text for u in units]), dtype=float)
        depth = _depth_scores(_gap_similarities(units, vectors, window_s))
        # Topic seams are fuzzy by a sentence or two: pool depth over +-snap_s so a
        # nearby turn start (where a new question begins) can take the boundary.
        starts = [u.time_start for u in units]
        pooled = depth.copy()
        for g in range(1, len(units)):
            lo, hi = _neighbourhood(starts, g, snap_s)
            near = np.abs(np.asarray(starts[lo:hi]) - starts[g]) / (2 * snap_s)
            pooled[g] = float((depth[lo:hi] * (1 - near)).max())
        top = float(pooled.max()) or 1.0
        gains = pooled / top
        candidates: list[int] = []
        for g in range(1, len(units)):
            u, prev = units[g], units[g - 1]
            if u.time_start < min_gap or end_time - u.time_start < min_gap:
                continue
            bonus = 0.0
            if u.turn_first:
                bonus += 0.15
                if prev.speaker != u.speaker and "?" in u.text + _next_text(units, g):
                    bonus += 0.1  # a new question usually opens a topic
            elif not _opening_ok(u.text):
                continue  # mid-turn and leaning on what came before
            if prev.excluded != u.excluded:
                bonus += 0.3  # entering or leaving an ad break is a real seam
            gains[g] += bonus
            candidates.append(g)
        # Keep the strongest few hundred gaps: the DP is quadratic in them.
        candidates = sorted(sorted(candidates, key=lambda g: -gains[g])[:400])
        picked = _choose_boundaries(
            [units[g].time_start for g in candidates],
            [float(gains[g]) for g in candidates],
            end_time,
            min_gap=min_gap,
            target=target,
        )
        boundaries = [candidates[p] for p in picked]

    starts = [0, *boundaries]
    spans = [(a, b) for a, b in zip(starts, [*boundaries, len(units)], strict=True)]
    texts, fallbacks, summaries = [], [], []
    for i, (a, b) in enumerate(spans):
        body = [u for u in units[a:b] if not u.excluded]
        texts.append(" ".join(u.text for u in body))
        summaries.append(_central_text(body, vectors))
        fallbacks.append("Introduction" if i == 0 else ("Sponsor Break" if not body else "Part"))
    centroids = None
    if embed is not None and vectors is not None:
        # Meaning-level centroids only mean something for a real sentence-embedding model.
        centroids = np.zeros((len(spans), vectors.shape[1]))
        for i, (a, b) in enumerate(spans):
            rows = [u.index for u in units[a:b] if not u.excluded]
            if rows:
                mean = vectors[rows].mean(axis=0)
                centroids[i] = mean / (np.linalg.norm(mean) or 1.0)
    titled = (
        distinct_titles(
            texts,
            fallbacks,
            summaries,
            embed=embed,
            centroids=centroids,
            exclude=[s.name for s in episode.speakers],
        )
        if units
        else [(episode.title or "Episode", [])]
    )
    chapters: list[Chapter] = []
    for i, (a, _b) in enumerate(spans or [(0, 0)]):
        start = 0.0 if i == 0 else units[a].time_start
        turn = units[a].turn if units and i > 0 else 0
        title, keywords = titled[i]
        chapters.append(Chapter(start=round(start, 2), title=title, turn=turn, keywords=keywords))
    for chapter, nxt in zip(chapters, [*chapters[1:], None], strict=True):
        chapter.end = round(nxt.start if nxt else end_time, 2)
    return chapters


def _central_text(body: Sequence[SentenceUnit], vectors: np.ndarray | None, max_words: int = 700) -> str:
    """The chapter's sentences closest to its centroid, in order, up to ``max_words``."""
    if vectors is None or not body or sum(u.n_words for u in body) <= max_words:
        return " ".join(u.text for u in body)
    chunk = vectors[[u.index for u in body]]
    closeness = chunk @ chunk.mean(axis=0)
    keep, total = set(), 0
    for k in np.argsort(-closeness):
        keep.add(int(k))
        total += body[int(k)].n_words
        if total >= max_words:
            break
    return " ".join(u.text for k, u in enumerate(body) if k in keep)


def _next_text(units: Sequence[SentenceUnit], g: int) -> str:
    return units[g + 1].text if g + 1 < len(units) and units[g + 1].turn == units[g].turn else ""


def _opening_ok(sentence: str) -> bool:
    return opening_problem(sentence) is None
