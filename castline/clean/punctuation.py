"""Learned punctuation and casing for ASR text that has none.

A small bidirectional GRU over word embeddings (a capped vocabulary, hashed
suffixes, a few shape flags) predicts, after each word, nothing / comma /
period / question mark, and each word's case (lower, Capitalised, UPPER, or a
mixed form such as "GitHub" taken from a lexicon). Trained by
``bench/train_punctuation.py`` (torch) on the training shows of the corpus with
punctuation and case stripped; shipped as ``punctuation_model.npz`` and run
here in numpy.

:func:`mark_restored_punctuation` applies it in the clean stage only where the
ASR gave no punctuation and no case: a whole chunk, or a long stretch inside a
turn. Only trailing punctuation and letter case change, never a word; every
change becomes a ``punctuation`` or ``case`` edit through the units.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "CASES",
    "PUNCTUATION",
    "PunctuationModel",
    "case_label",
    "featurize",
    "load_punctuation_model",
    "is_bare_chunk",
    "mark_learned_sentences",
    "mark_restored_punctuation",
    "normalise_word",
    "plan_bare_chunks",
    "plan_ends_sentence",
    "punctuation_label",
    "restore_text",
    "strip_text",
]

#: Punctuation classes after a word.
PUNCTUATION = ("", ",", ".", "?")
#: Case classes of a word: lower, Capitalised, UPPER, Mixed (lexicon form).
CASES = ("lower", "title", "upper", "mixed")
SUFFIX_BUCKETS = 4096
N_SHAPE = 4
#: Windows the numpy forward pass runs in parallel; only their middles are kept.
WINDOW = 96
CONTEXT = 16
#: A stretch inside a punctuated turn needs this many caseless, unpunctuated words to be restored
#: (more than 40, as the run-on pass reads a stretch without commas as lost punctuation).
MIN_STRETCH_WORDS = 41
#: A chunk without capitals that ends in a period is bare only when it is this long.
MIN_CLOSED_CHUNK_WORDS = 20
#: A whole chunk with no punctuation and no capitals needs this many words.
MIN_CHUNK_WORDS = 6

#: The least probability of a mark the clean stage writes.
MARK_CONFIDENCE = 0.5
#: The least probability of a capital the clean stage writes mid-sentence.
CASE_CONFIDENCE = 0.8
_SENTENCE_WORDS = frozenset("well go yeah yes okay right now also actually anyway sure then there".split())
_TRAIL_STRIP = ".,;:!?\"'”’)]}…*-—–"
_LEAD_STRIP = "\"'“‘([{¿¡*"


def normalise_word(core: str) -> str:
    """The model's view of a word: lower case, plain apostrophes."""
    return core.lower().replace("’", "'")


def punctuation_label(trail: str) -> int:
    """The class of a word's trailing punctuation (index into :data:`PUNCTUATION`)."""
    if "?" in trail:
        return 3
    if any(c in trail for c in ".!…"):
        return 2
    if any(c in trail for c in ",;:"):
        return 1
    return 0


def case_label(core: str) -> int:
    """The class of a word's case (index into :data:`CASES`)."""
    letters = [c for c in core if c.isalpha()]
    if not letters or all(c.islower() for c in letters):
        return 0
    if all(c.isupper() for c in letters):
        return 2 if len(letters) > 1 else 1
    if core[:1].isupper() and all(c.islower() for c in letters[1:]):
        return 1
    return 3


def _suffix_bucket(word: str) -> int:
    return zlib.crc32(word[-3:].encode("utf-8")) % SUFFIX_BUCKETS


def featurize(words: Sequence[str], vocabulary: dict[str, int]):
    """``(word ids, suffix ids, shape flags)`` of normalised words; id 0 is the unknown word."""
    ids = np.fromiter((vocabulary.get(w, 0) for w in words), dtype=np.int64, count=len(words))
    suffixes = np.fromiter((_suffix_bucket(w) for w in words), dtype=np.int64, count=len(words))
    shape = np.zeros((len(words), N_SHAPE), dtype=np.float32)
    for i, w in enumerate(words):
        shape[i, 0] = any(c.isdigit() for c in w)
        shape[i, 1] = "'" in w
        shape[i, 2] = "-" in w
        shape[i, 3] = len(w) > 7
    return ids, suffixes, shape


def strip_text(text: str) -> list[str]:
    """The words of ``text`` as unpunctuated, lower-case ASR would give them (empties dropped)."""
    out = []
    for token in text.split():
        core = token.lstrip(_LEAD_STRIP).rstrip(_TRAIL_STRIP)
        if core:
            out.append(normalise_word(core))
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class PunctuationModel:
    """The weights saved by ``bench/train_punctuation.py`` and a batched numpy forward pass."""

    def __init__(self, weights: dict[str, np.ndarray]):
        words = str(weights["vocabulary"]).split("\n")
        self.vocabulary = {w: i + 1 for i, w in enumerate(words)}
        mixed = str(weights.get("mixed_forms", np.array(""))).split("\n")
        self.mixed = {form.lower(): form for form in mixed if form}
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()
                  if not k.startswith("meta_") and k not in ("vocabulary", "mixed_forms")}
        self.meta = {k[5:]: str(weights[k]) for k in weights if k.startswith("meta_")}

    def _gru(self, x: np.ndarray, prefix: str, reverse: bool) -> np.ndarray:
        """GRU over ``x`` (batch, time, features), torch's gate order r, z, n."""
        w_ih, w_hh = self.w[f"{prefix}_w_ih"], self.w[f"{prefix}_w_hh"]
        b_ih, b_hh = self.w[f"{prefix}_b_ih"], self.w[f"{prefix}_b_hh"]
        hidden = w_hh.shape[1]
        gates_x = x @ w_ih.T + b_ih
        batch, steps = x.shape[0], x.shape[1]
        h = np.zeros((batch, hidden), dtype=np.float32)
        out = np.zeros((batch, steps, hidden), dtype=np.float32)
        w_hh_t = w_hh.T
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            gx = gates_x[:, t]
            gh = h @ w_hh_t + b_hh
            r = _sigmoid(gx[:, :hidden] + gh[:, :hidden])
            z = _sigmoid(gx[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
            n = np.tanh(gx[:, 2 * hidden :] + r * gh[:, 2 * hidden :])
            h = (1.0 - z) * n + z * h
            out[:, t] = h
        return out

    def _forward(self, ids, suffixes, shape) -> tuple[np.ndarray, np.ndarray]:
        w = self.w
        x = np.concatenate([w["embed"][ids], w["suffix"][suffixes], shape], axis=-1)
        h = np.concatenate([self._gru(x, "fw", False), self._gru(x, "bw", True)], axis=-1)
        punct = h @ w["punct_w"].T + w["punct_b"]
        if "punct_bias" in w:  # per-class offsets tuned on the validation show
            punct = punct + w["punct_bias"]
        return punct, h @ w["case_w"].T + w["case_b"]

    def probabilities(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Punctuation and case probabilities, ``(n, 4)`` each, for normalised ``words``."""
        n = len(words)
        if n == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)
        ids, suffixes, shape = featurize(words, self.vocabulary)
        # overlapping windows run as one batch; each keeps its middle
        step = WINDOW - 2 * CONTEXT
        starts = list(range(0, max(n - 2 * CONTEXT, 1), step)) if n > WINDOW else [0]
        length = min(WINDOW, n)
        index = np.array([[min(s + t, n - 1) for t in range(length)] for s in starts])
        # the GRU's matrices are small: BLAS threads only spin, and on shared cores they
        # spin for seconds (20k words: 5 s of CPU with threads, 0.3 s with one)
        with _one_blas_thread():
            punct, case = self._forward(ids[index], suffixes[index], shape[index])
        out_p = np.zeros((n, 4), np.float32)
        out_c = np.zeros((n, 4), np.float32)
        for b, s in enumerate(starts):
            lo = 0 if b == 0 else CONTEXT
            hi = length if b == len(starts) - 1 else CONTEXT + step
            hi = min(hi, n - s)
            out_p[s + lo : s + hi] = punct[b, lo:hi]
            out_c[s + lo : s + hi] = case[b, lo:hi]
        return _softmax(out_p), _softmax(out_c)

    def predict(self, words: Sequence[str]) -> tuple[list[int], list[int]]:
        """Punctuation and case classes for normalised ``words``."""
        punct, case = self.probabilities(words)
        return [int(k) for k in punct.argmax(1)], [int(k) for k in case.argmax(1)]

    def predict_edits(self, words: Sequence[str]) -> tuple[list[int], list[int]]:
        """What the clean stage writes: marks and cases only where they are clear.

        A mark needs :data:`MARK_CONFIDENCE` (a near tie with "none" writes nothing).

        A capital mid-sentence needs :data:`CASE_CONFIDENCE` and never goes on a
        function word ("Well", "So" are sentence starts, which the sentence case
        pass capitalises after the model's periods).
        """
        from castline.clean.words import FUNCTION_WORDS

        punct, case = self.probabilities(words)
        marks = [int(k) if punct[i, k] >= MARK_CONFIDENCE else 0 for i, k in enumerate(punct.argmax(1))]
        cases = []
        for word, row in zip(words, case, strict=True):
            k = int(row.argmax())
            if k and (row[k] < CASE_CONFIDENCE or (k == 1 and word in _SENTENCE_WORDS | FUNCTION_WORDS)):
                k = 0
            cases.append(k)
        return marks, cases

    def cased(self, word: str, label: int) -> str:
        """``word`` (normalised) written in case class ``label``."""
        if label == 1:
            return word[:1].upper() + word[1:]
        if label == 2:
            return word.upper()
        if label == 3:
            return self.mixed.get(word, word[:1].upper() + word[1:])
        return word


def _one_blas_thread():
    """A context in which BLAS runs on one thread (threadpoolctl, scikit-learn's dependency)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def weights_path() -> Path:
    """The shipped weights (``CASTLINE_PUNCTUATION_MODEL`` names another ``.npz``)."""
    custom = os.environ.get("CASTLINE_PUNCTUATION_MODEL")
    return Path(custom) if custom else Path(__file__).with_name("punctuation_model.npz")


@lru_cache(maxsize=4)
def _load(path: str) -> PunctuationModel:
    with np.load(path, allow_pickle=False) as data:
        return PunctuationModel({k: data[k] for k in data.files})


def load_punctuation_model(path: str | Path | None = None) -> PunctuationModel | None:
    """The model at ``path`` (default :func:`weights_path`), loaded once; None when there are no weights."""
    target = Path(path) if path else weights_path()
    if not target.exists():
        return None
    return _load(str(target.resolve()))


def restore_text(words: Sequence[str], model: PunctuationModel | None = None) -> str:
    """Punctuate and case a list of normalised words (bench and tests): sentence starts capitalised."""
    model = model or load_punctuation_model()
    punct, case = model.predict(words)
    out = []
    start = True
    for word, p, c in zip(words, punct, case, strict=True):
        form = model.cased(word, c)
        if start and form[:1].islower():
            form = form[:1].upper() + form[1:]
        if word == "i" or word.startswith("i'"):
            form = "I" + form[1:]
        out.append(form + PUNCTUATION[p])
        start = p in (2, 3)
    return " ".join(out)


def _bare(unit) -> bool:
    """A word with no punctuation of its own and no capital (ASR that gave none)."""
    if unit.is_punct or unit.lead or unit.trail:
        return False
    core = unit.core
    return core == core.lower() or unit.lower == "i" or unit.lower.startswith("i'")


def is_bare_chunk(units) -> bool:
    """The whole turn is one chunk without punctuation or case (a long one may end in a period)."""
    words = [u for u in units if not u.is_punct]
    if len(words) < MIN_CHUNK_WORDS or not all(_bare(u) for u in words[:-1]):
        return False
    last = words[-1]
    if _bare(last):
        return True  # not even a final mark: written text always has one
    # some ASR closes every chunk with a period; a short sentence that does may be written text
    first = words[0].core
    return (
        len(words) >= MIN_CLOSED_CHUNK_WORDS
        and not first[:1].isupper()
        and not last.lead
        and last.core == last.core.lower()
        and last.trail == "."
    )


def bare_stretches(units, order: list[int], *, whole: bool) -> list[list[int]]:
    """Runs of kept positions whose words carry no punctuation and no case.

    ``whole``: the turn is one chunk; it qualifies as a whole when every word is
    bare (its last word may end in a period, as some ASR closes every chunk).
    Inside a turn that has punctuation only runs of :data:`MIN_STRETCH_WORDS`
    qualify: punctuated speech rarely goes that long without a comma or a capital.
    """
    words = [k for k in order if not units[k].is_punct]
    if not words:
        return []
    if whole and is_bare_chunk([units[k] for k in words]):
        return [words]
    runs, current = [], []
    for k in words:
        if _bare(units[k]):
            current.append(k)
            continue
        # a word with trailing punctuation but no capital closes the stretch, it belongs to it
        if units[k].core == units[k].core.lower() and not units[k].lead:
            current.append(k)
            if len(current) >= MIN_STRETCH_WORDS:
                runs.append(current)
            current = []
            continue
        if len(current) >= MIN_STRETCH_WORDS:
            runs.append(current)
        current = []
    if len(current) >= MIN_STRETCH_WORDS:
        runs.append(current)
    return runs


#: The model's classes for one bare chunk: (punctuation, case) per unit of its tokens (None: a mark).
Plan = list[tuple[int, int] | None]


def plan_bare_chunks(turns, tokens, *, model: PunctuationModel | None = None) -> dict[int, Plan]:
    """Predict punctuation and case for turns that are each one bare ASR chunk.

    Consecutive bare chunks of the same speaker are read as one stream, so a
    chunk's words see the next chunk's and its last word learns whether the
    sentence ends there. Returns, by turn index, the classes of each of its units.
    """
    runs: list[list[int]] = []
    for index, units in enumerate(tokens):
        if not is_bare_chunk(units):
            continue
        if runs and runs[-1][-1] == index - 1 and turns[index - 1].speaker == turns[index].speaker:
            runs[-1].append(index)
        else:
            runs.append([index])
    if not runs:
        return {}
    model = model or load_punctuation_model()
    if model is None:
        return {}
    plans: dict[int, Plan] = {}
    for run in runs:
        words = [u.lower for i in run for u in tokens[i] if not u.is_punct]
        punct, case = model.predict_edits(words)
        position = 0
        for i in run:
            plan: Plan = []
            for unit in tokens[i]:
                if unit.is_punct:
                    plan.append(None)
                    continue
                plan.append((punct[position], case[position]))
                position += 1
            plans[i] = plan
        # the run's last word has no following context: the turn-end passes decide it,
        # except a question the model hears ("so what do you think about that")
        last = plans[run[-1]]
        for k in range(len(last) - 1, -1, -1):
            if last[k] is not None:
                last[k] = (last[k][0] if last[k][0] == 3 else 0, last[k][1])
                break
    return plans


def plan_ends_sentence(plan: Plan) -> bool:
    """The planned chunk's last word ends a sentence."""
    last = next((p for p in reversed(plan) if p is not None), None)
    return last is not None and last[0] in (2, 3)


def _apply(units, index: int, punct: int, case: int, model: PunctuationModel, *, trail: bool) -> int:
    from castline.clean.units import looks_like_code_or_link

    unit = units[index]
    if looks_like_code_or_link(unit.core):
        return 0
    changed = 0
    # a word another pass already rewrote ("tranium" -> "Trainium") keeps that spelling
    if case and unit.core == unit.core.lower() and unit.out_core == unit.core:
        form = model.cased(unit.core, case)
        if form.lower() == unit.core.lower() and form != unit.core:
            unit.set_core(form, "case")
            changed += 1
    if trail and punct and not unit.trail and unit.out_trail == unit.trail:
        unit.set_trail(PUNCTUATION[punct], "punctuation")
        changed += 1
    return changed


def mark_restored_punctuation(
    units, *, plan: Plan | None = None, model: PunctuationModel | None = None
) -> int:
    """Punctuate and case the turn's unpunctuated, lower-case stretches; returns the changes made.

    ``plan``: the turn is a bare chunk whose classes :func:`plan_bare_chunks`
    predicted with its neighbours; a mark predicted on a deleted word moves to
    the kept word before it. Otherwise long bare stretches inside the turn are
    predicted here, and a stretch's last word keeps what it has (the final
    period and sentence case passes decide the turn's ending and sentence
    starts). Trailing punctuation goes on as ``punctuation`` edits, capitals as
    ``case`` edits; words already punctuated or cased are left alone.
    """
    from castline.clean.units import kept

    stretches = [] if plan is not None else bare_stretches(units, kept(units), whole=True)
    if plan is None and not stretches:
        return 0
    model = model or load_punctuation_model()
    if model is None:
        return 0
    changed = 0
    if plan is not None and len(plan) == len(units):
        previous = None  # the last kept word and its pending mark
        pending = 0
        for index, (unit, classes) in enumerate(zip(units, plan, strict=True)):
            if classes is None:
                continue
            punct, case = classes
            if unit.deleted is not None:
                pending = max(pending, punct, key=lambda p: (p in (2, 3), p))
                continue
            if previous is not None and pending:
                changed += _apply(units, previous, pending, 0, model, trail=True)
            changed += _apply(units, index, 0, case, model, trail=False)
            previous, pending = index, punct
        if previous is not None and pending:
            changed += _apply(units, previous, pending, 0, model, trail=True)
        return changed
    for stretch in stretches:
        punct, case = model.predict_edits([units[k].lower for k in stretch])
        for position, k in enumerate(stretch):
            last = position == len(stretch) - 1
            changed += _apply(units, k, punct[position], case[position], model, trail=not last)
    return changed


#: A sentence longer than this is split where the model most expects a sentence end.
MAX_SENTENCE_WORDS = 45
#: ... if the model gives that point at least this probability of a sentence end.
SPLIT_FLOOR = 0.25
#: A stretch of this many words without a mark of their own lost its punctuation ...
STRETCH_WORDS = 30
#: ... and gets a sentence end wherever the model is this sure of one.
STRETCH_FLOOR = 0.5
#: A break the model hears as a question this surely ends in "?".
QUESTION_FLOOR = 0.5
#: Neither piece of a split is shorter than this.
MIN_PIECE_WORDS = 6


def mark_learned_sentences(units, *, model: PunctuationModel | None = None) -> int:
    """Split run-on sentences and unpunctuated stretches where the model hears sentence ends.

    A sentence of more than :data:`MAX_SENTENCE_WORDS` words is split, again
    and again, at the point where the model's probability of a period or
    question mark is highest, if it is at least :data:`SPLIT_FLOOR` and leaves
    pieces of :data:`MIN_PIECE_WORDS`; a stretch of :data:`STRETCH_WORDS` words
    with no mark gets an end wherever that probability is over
    :data:`STRETCH_FLOOR` ("... is adaptive Are you excited about that my
    opinion ..." -> "... is adaptive. Are you excited about that? My opinion
    ..."). A question is recognised by the model's question mark, not by a "?"
    the ASR wrote. Only the mark after a word (a comma may become a period) and
    the case of the next word change, as ``punctuation`` edits; returns the breaks.
    """
    from castline.clean.units import ends_sentence, kept, looks_like_code_or_link

    words = [i for i in kept(units) if not units[i].is_punct]
    n = len(words)
    if n <= STRETCH_WORDS:
        return 0
    # a mark standing alone ("...", "?") ends the sentence of the word before it
    position = {i: k for k, i in enumerate(words)}
    ends = [False] * n
    last = -1
    for i in kept(units):
        if i in position:
            last = position[i]
        if last >= 0 and ends_sentence(units[i]):
            ends[last] = True
    spans, start = [], 0
    for k in range(n):
        if ends[k] or k == n - 1:
            spans.append((start, k + 1))
            start = k + 1
    runs, run = [], 0
    for k in range(n):
        run = 0 if units[words[k]].out_trail else run + 1
        if run == STRETCH_WORDS:
            runs.append(k)
    if not runs and all(hi - lo <= MAX_SENTENCE_WORDS for lo, hi in spans):
        return 0
    model = model or load_punctuation_model()
    if model is None:
        return 0
    punct, _ = model.probabilities([units[i].lower for i in words])
    end_p = punct[:, 2] + punct[:, 3]

    def allowed(k: int) -> bool:
        # a break after words[k]: its own mark (none or a comma) becomes an end
        unit, following = units[words[k]], units[words[k + 1]]
        return (
            words[k + 1] == words[k] + 1  # nothing stands between ("fuel - maybe")
            and unit.out_trail in ("", ",")
            and not looks_like_code_or_link(unit.out_core)
            and following.out_core[:1].isalpha()
            and not following.lead  # "(a first to my knowledge)": never inside brackets or quotes
        )

    breaks: set[int] = set()
    for lo, hi in spans:
        # unpunctuated stretches inside the sentence: every confident end
        for k in range(lo, hi - 1):
            if (
                end_p[k] >= STRETCH_FLOOR
                and not units[words[k]].out_trail
                and k - lo + 1 >= MIN_PIECE_WORDS // 2
                and hi - k - 1 >= MIN_PIECE_WORDS // 2
                and _in_bare_run(units, words, k, lo, hi)
                and allowed(k)
            ):
                breaks.add(k)
        # then the long pieces that are left: their best point, again and again
        pieces = [(lo, hi)]
        while pieces:
            a, b = pieces.pop()
            inner = sorted(k for k in breaks if a <= k < b - 1)
            if inner:
                edges = [a, *[k + 1 for k in inner], b]
                bounds = zip(edges, edges[1:], strict=False)
                pieces += [(x, y) for x, y in bounds if y - x > MAX_SENTENCE_WORDS]
                continue
            if b - a <= MAX_SENTENCE_WORDS:
                continue
            candidates = [
                k for k in range(a + MIN_PIECE_WORDS - 1, b - MIN_PIECE_WORDS) if allowed(k)
            ]
            if not candidates:
                continue
            best = max(candidates, key=lambda k: end_p[k])
            if end_p[best] < SPLIT_FLOOR:
                continue
            breaks.add(best)
            pieces.append((a, b))
    for k in sorted(breaks):
        unit, following = units[words[k]], units[words[k + 1]]
        mark = "?" if punct[k, 3] >= QUESTION_FLOOR else "."
        unit.set_trail(mark, "punctuation")
        core = following.out_core
        if core[:1].islower() and not looks_like_code_or_link(core):
            following.set_core(core[0].upper() + core[1:], "punctuation")
    return len(breaks)


def _in_bare_run(units, words: list[int], k: int, lo: int, hi: int) -> bool:
    """Is ``words[k]`` inside a run of :data:`STRETCH_WORDS` words without a mark?"""
    left = k
    while left > lo and not units[words[left - 1]].out_trail:
        left -= 1
    right = k
    while right < hi - 1 and not units[words[right]].out_trail:
        right += 1
    return right - left + 1 >= STRETCH_WORDS
