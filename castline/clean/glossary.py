"""Glossary repairs: misheard names and terms fixed by fuzzy + phonetic matching.

A source window of one to three words is replaced by a glossary term only when
(a) it looks like a name or term (capitalised mid-sentence, all caps, rare in
English, or spelling the term with spaces: "deep seek") and is not itself an
everyday lower-case word, and (b) it matches the term both in spelling
(rapidfuzz ratio) and in sound (jellyfish metaphone codes, compared with
Jaro-Winkler).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from castline.clean.units import Unit, ends_sentence, kept, tokenize
from castline.clean.words import COMMON_ZIPF, FUNCTION_WORDS, RARE_ZIPF, zipf

__all__ = [
    "GlossaryTerm",
    "compile_glossary",
    "load_glossary",
    "mark_glossary",
    "match_score",
    "suggest_glossary",
]

_COMMENT_RE = re.compile(r"(?:^|\s)#.*$")
_KEY_RE = re.compile(r"[^0-9a-z]+")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_POSSESSIVE_RE = re.compile(r"(['’]s|s['’])$")


def _key(text: str) -> str:
    return _KEY_RE.sub("", text.lower())


@lru_cache(maxsize=65536)
def _phonetic(text: str) -> str:
    """Metaphone of the alphabetic words, with any leading vowel sound written ``A``."""
    import jellyfish

    codes = []
    for word in re.findall(r"[A-Za-z]+", text):
        code = jellyfish.metaphone(word)
        # metaphone keeps a word-initial vowel as written; "Iso" and "Eiso" sound alike
        if code[:1] in "AEIOU" and code:
            code = "A" + code[1:]
        codes.append(code)
    return "".join(codes)


@dataclass(frozen=True)
class GlossaryTerm:
    """A glossary entry prepared for matching."""

    text: str
    key: str
    phonetic: str
    digits: tuple[str, ...]
    n_words: int


def compile_glossary(terms: Iterable[str]) -> list[GlossaryTerm]:
    """Prepare glossary terms; a multi-word name also contributes its rare words ("Eiso")."""
    seen: set[str] = set()
    compiled: list[GlossaryTerm] = []

    def add(text: str) -> None:
        text = " ".join(text.split())
        if not text or text in seen or len(_key(text)) < 3:
            return
        seen.add(text)
        compiled.append(
            GlossaryTerm(
                text=text,
                key=_key(text),
                phonetic=_phonetic(text),
                digits=tuple(_DIGITS_RE.findall(text)),
                n_words=len(text.split()),
            )
        )

    for term in terms:
        add(term)
        parts = term.split()
        if len(parts) > 1:
            for part in parts:
                if part[:1].isupper() and len(part) >= 3 and zipf(part.lower()) < COMMON_ZIPF:
                    add(part)
    return compiled


def load_glossary(path: str | Path) -> list[str]:
    """Read a glossary file: one term per line; ``#`` comments and blank lines ignored."""
    terms = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        # a comment starts the line or follows a space, so "C#" stays a term
        line = _COMMENT_RE.sub("", line).strip()
        if line:
            terms.append(line)
    return terms


def match_score(source: str, term: GlossaryTerm) -> float:
    """Similarity in [0, 1] of ``source`` to ``term``; 0 unless spelling and sound both agree."""
    import jellyfish
    from rapidfuzz import fuzz

    if tuple(_DIGITS_RE.findall(source)) != term.digits:
        return 0.0
    key = _key(source)
    if not key or key == term.key:
        return 1.0 if key else 0.0
    spelling = fuzz.ratio(key, term.key) / 100.0
    if spelling < 0.7:
        return 0.0
    source_sound = _phonetic(source)
    if not source_sound or not term.phonetic:
        return 0.0
    sound = jellyfish.jaro_winkler_similarity(source_sound, term.phonetic)
    if sound < 0.9 and spelling < 0.9:
        return 0.0
    return spelling * sound


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _only_case_differs(source: str, term: str) -> bool:
    return source.islower() and " " not in source and " " not in term


def _is_stylised(term: str) -> bool:
    """Acronyms and inner capitals (MLST, DeepSeek): spellings plain lower case loses."""
    return any(c.isupper() for c in term[1:])


def _looks_like_name(window: list[Unit], first_in_sentence: bool) -> bool:
    """Whether a window may hold a misheard name: never an everyday lower-case word."""
    for position, unit in enumerate(window):
        core = unit.core
        rare = zipf(unit.lower) < RARE_ZIPF
        capitalised = core[:1].isupper() and not (position == 0 and first_in_sentence)
        all_caps = len(core) >= 2 and core.isupper()
        if rare or capitalised or all_caps:
            return True
        if core[:1].isupper() and zipf(unit.lower) < COMMON_ZIPF:
            return True
    return False


def mark_glossary(units: list[Unit], terms: Sequence[GlossaryTerm], *, continues: bool = False) -> None:
    """Replace misheard names/terms in the kept units with glossary spellings."""
    if not terms:
        return
    order = kept(units)
    n = len(order)
    max_words = max(term.n_words for term in terms) + 1
    by_key = {term.key: term for term in terms}
    k = 0
    while k < n:
        first_in_sentence = (k == 0 and not continues) or (k > 0 and ends_sentence(units[order[k - 1]]))
        best: tuple[float, int, GlossaryTerm, str] | None = None
        for width in range(1, min(max_words, 3) + 1):
            if k + width > n:
                break
            window = [units[i] for i in order[k : k + width]]
            if any(u.is_punct or not u.deletable for u in window[1:]) or any(u.trail for u in window[:-1]):
                break
            if window[0].lower in FUNCTION_WORDS or window[-1].lower in FUNCTION_WORDS:
                continue
            cores = [u.core for u in window]
            suffix = ""
            possessive = _POSSESSIVE_RE.search(cores[-1])
            if possessive and len(cores[-1]) > 3:
                suffix = possessive.group()
                cores[-1] = cores[-1][: -len(suffix)]
            source = " ".join(cores)
            key = _key(source)
            spelled_out = key in by_key and width > 1
            if not spelled_out:
                if not _looks_like_name(window, first_in_sentence):
                    continue
                # an everyday word is never "corrected", whatever its case
                if all(zipf(u.lower) >= COMMON_ZIPF or not _has_letters(u.core) for u in window):
                    continue
            for term in terms:
                if source == term.text:
                    score = 0.0
                elif key == term.key and _only_case_differs(source, term.text):
                    # "poolside" (the word) is not "Poolside" (the company); only brand
                    # or acronym spellings such as DeepSeek / MLST are restored from lower case
                    score = 1.0 if _is_stylised(term.text) or zipf(key) < 2.0 else 0.0
                elif spelled_out and term.key == key:
                    score = 1.0
                elif term.n_words != width:
                    # "Claude CLI" is not a mishearing of "Claude": lengths must agree
                    continue
                else:
                    score = match_score(source, term)
                if score > 0 and (best is None or (score, width) > (best[0], best[1])):
                    best = (score, width, term, suffix)
        if best is None or best[0] < 0.6:
            k += 1
            continue
        _, width, term, suffix = best
        window_indices = order[k : k + width]
        head = units[window_indices[0]]
        last = units[window_indices[-1]]
        head.set_core(term.text + suffix, "glossary")
        if width > 1:
            head.set_trail(last.out_trail, "glossary")
            for i in window_indices[1:]:
                units[i].delete("glossary")
        k += width


def suggest_glossary(episode) -> list[tuple[str, str, float]]:
    """Rare tokens that nearly match a frequent proper noun of the same episode.

    Returns ``(rare, frequent, score)`` triples, best first, e.g.
    ``("DeepSeq", "DeepSeek", 0.8)``: candidates for a glossary the producer confirms.
    """
    surface: Counter[str] = Counter()
    lower_counts: Counter[str] = Counter()
    mid_capitalised: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for turn in episode.turns:
        units = tokenize(turn.verbatim)
        for index, unit in enumerate(units):
            core = _POSSESSIVE_RE.sub("", unit.core) if len(unit.core) > 3 else unit.core
            if not core or not any(c.isalpha() for c in core):
                continue
            surface[core] += 1
            lower_counts[core.lower()] += 1
            sentence_initial = index == 0 or ends_sentence(units[index - 1], output=False)
            if core[:1].isupper() and not sentence_initial:
                mid_capitalised[core] += 1
            if index + 1 < len(units) and not unit.trail:
                bigrams[(core, units[index + 1].core)] += 1

    frequent = [
        word
        for word, count in mid_capitalised.items()
        if count >= 2
        and surface[word] >= 3
        and word.lower() not in FUNCTION_WORDS
        and (zipf(word.lower()) < COMMON_ZIPF or word.isupper())
        and len(word) >= 3
    ]
    compiled = {word: compile_glossary([word])[0] for word in frequent}
    suggestions: dict[tuple[str, str], float] = {}
    for word in surface:
        if lower_counts[word.lower()] > 2 or len(word) < 3 or word in compiled:
            continue
        if word.islower() and zipf(word) >= RARE_ZIPF:
            continue
        if not word.islower() and zipf(word.lower()) >= COMMON_ZIPF and not word.isupper():
            continue
        for target, term in compiled.items():
            if target.lower() == word.lower():
                continue
            score = match_score(word, term)
            if score >= 0.7:
                suggestions[(word, target)] = max(score, suggestions.get((word, target), 0.0))
    for left, right in bigrams:
        joined = _key(left + right)
        for target, term in compiled.items():
            if term.key == joined and left + right != target:
                suggestions[(f"{left} {right}", target)] = 1.0
    return sorted(
        ((rare, target, round(score, 3)) for (rare, target), score in suggestions.items()),
        key=lambda item: (-item[2], item[0]),
    )
