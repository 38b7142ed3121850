"""Glossary repairs: misheard names and terms fixed by fuzzy + phonetic matching.

A source window of one to three words is replaced by a glossary term only when
(a) it looks like a name or term (capitalised mid-sentence, all caps, rare in
English, or spelling the term with spaces: "deep seek") and is not itself an
everyday lower-case word, and (b) it matches the term both in spelling
(rapidfuzz ratio) and in sound (jellyfish metaphone codes, compared with
Jaro-Winkler). Digits are read as spoken ("2forAI Labs" is "Tufa AI Labs").

Terms come from three places, each with its own burden of evidence
(:attr:`GlossaryTerm.source`):

* ``glossary``: the show profile, a glossary file, the speakers' names: trusted;
* ``episode``: a name the episode itself spells the same way at least twice
  mid-sentence ("Karpathy"); it repairs only a heard form that is no English
  word and is heard less often ("Kapathi");
* ``lexicon``: castline's list of well-known names of the field
  (:mod:`castline.clean.names`: "Trainium", "Karpathy"); it repairs a heard
  form that is no English word, or a capitalised real name said once ("Gwen")
  only beside another name ("Gwen and Kapathi").

Everyday words the episode's topic says were misheard ("skill" where the talk
is about scaling) are :mod:`castline.clean.homophones`' job.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from castline.clean.units import Unit, closes_sentence, ends_sentence, kept, scan
from castline.clean.words import COMMON_ZIPF, FUNCTION_WORDS, RARE_ZIPF, zipf

__all__ = [
    "GlossaryTerm",
    "compile_glossary",
    "episode_names",
    "lexicon_names",
    "load_glossary",
    "mark_glossary",
    "match_score",
    "suggest_glossary",
]

_COMMENT_RE = re.compile(r"(?:^|\s)#.*$")
_KEY_RE = re.compile(r"[^0-9a-z]+")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_POSSESSIVE_RE = re.compile(r"(['’]s|s['’])$")
#: last characters of every :data:`_POSSESSIVE_RE` match: a cheap test before the regex
_POSSESSIVE_ENDINGS = ("s", "'", "’")


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
    #: ``glossary`` (given: trusted), ``episode`` (spelled so in the episode) or ``lexicon``
    #: (castline's list of well-known names): the last two need a heard form no English word
    source: str = "glossary"
    #: for an ``episode`` term: how often the episode spells it so
    count: int = 0


def compile_glossary(
    terms: Iterable[str], *, source: str = "glossary", counts: dict[str, int] | None = None
) -> list[GlossaryTerm]:
    """Prepare glossary terms; a multi-word name also contributes its rare words ("Eiso").

    ``source`` says how far a term is trusted (:attr:`GlossaryTerm.source`);
    ``counts`` how often the episode spells each ``episode`` term.
    """
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
                source=source,
                count=(counts or {}).get(text, 0),
            )
        )

    for term in terms:
        add(term)
        parts = term.split()
        # only a given name lends its parts: the field's "Yann LeCun" is no reference for "Yang"
        if len(parts) > 1 and source == "glossary":
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
        spoken = _spoken_digits(source) if not term.digits else None
        if spoken is None:
            return 0.0
        source = spoken  # "2forAI" is heard "two for AI": compare it as said
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


#: each digit as the short word it stands for when ASR wrote a syllable as a digit ("2" for "tu")
_SPOKEN_DIGITS = "zero one to three for five six seven ate nine".split()
_GLUED_DIGIT_RE = re.compile(r"(?<=[A-Za-z])\d|\d(?=[A-Za-z])")


def _spoken_digits(source: str) -> str | None:
    """``source`` with a digit glued to letters said as a word ("2forAI" -> "to for AI"), or None.

    ASR writes a spoken "two"/"for" as a digit inside a name it does not know; a
    number standing alone ("Claude 3.7", "GPT 4.5") is a number and gets None.
    """
    if not _GLUED_DIGIT_RE.search(source):
        return None
    spoken = re.sub(r"\d", lambda m: f" {_SPOKEN_DIGITS[int(m.group())]} ", source)
    # "forAI": a word and an acronym run together
    return " ".join(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", spoken).split())


def _has_letters(text: str) -> bool:
    # most words are letters only, and isalpha() answers those without a Python loop
    return text.isalpha() or any(c.isalpha() for c in text)


def _only_case_differs(source: str, term: str) -> bool:
    return source.islower() and " " not in source and " " not in term


def _is_stylised(term: str) -> bool:
    """Acronyms and inner capitals (MLST, DeepSeek): spellings plain lower case loses."""
    return any(c.isupper() for c in term[1:])


class _UnitFacts(NamedTuple):
    """What :func:`mark_glossary` asks of one unit, worked out once per unit, not per window."""

    #: name-like wherever it stands: rare, all caps, or capitalised and uncommon
    namelike: bool
    #: capitalised: name-like too, unless it is the capital of a sentence start
    capitalised: bool
    #: an everyday word (or no letters at all): never "corrected" on its own
    common: bool
    #: the core without a possessive ending, that ending, and the key of each form
    stem: str
    suffix: str
    key: str
    stem_key: str


@lru_cache(maxsize=65536)
def _unit_facts(core: str) -> _UnitFacts:
    # depends on the word alone, and the same words recur in every turn: cached
    frequency = zipf(core.lower().replace("’", "'"))  # the unit's ``lower``
    capitalised = core[:1].isupper()
    suffix = ""
    possessive = _POSSESSIVE_RE.search(core)
    if possessive and len(core) > 3:
        suffix = possessive.group()
    stem = core[: -len(suffix)] if suffix else core
    key = _key(core)
    return _UnitFacts(
        namelike=frequency < RARE_ZIPF
        or (len(core) >= 2 and core.isupper())
        or (capitalised and frequency < COMMON_ZIPF),
        capitalised=capitalised,
        common=frequency >= COMMON_ZIPF or not _has_letters(core),
        stem=stem,
        suffix=suffix,
        key=key,
        stem_key=_key(stem) if suffix else key,
    )


def _words_sound_alike(source: str, term: str, floor: float = 0.85) -> bool:
    """Does each word of ``source`` that differs from ``term``'s word in its place sound
    like it? A shared first name does not make "Dwarkesh Podcast" "Dwarkesh Patel"."""
    import jellyfish

    for heard, meant in zip(source.split(), term.split(), strict=False):
        if _key(heard) == _key(meant):
            continue
        a, b = _phonetic(heard), _phonetic(meant)
        if not a or not b or jellyfish.jaro_winkler_similarity(a, b) < floor:
            return False
    return True


def _split_name(window: Sequence[Unit], key: str, term: GlossaryTerm) -> bool:
    """Could ``window`` be ``term`` with one word heard as two? Every word capitalised,
    the letters, joined, about as many as the term's, and the term's last word not
    there intact ("Poolside AI" is Poolside and more, not a mishearing of it)."""
    last = _key(term.text.split()[-1])
    return (
        all(u.core[:1].isupper() for u in window)
        and abs(len(key) - len(term.key)) <= 2
        and all(_key(u.core) != last for u in window)
    )


def _glued(window: Sequence[Unit], term: GlossaryTerm) -> bool:
    """Could ``window`` be ``term`` with two of its words heard as one token ("2forAI Labs")?
    A digit or an inner capital shows the join, and the term's last word is there intact."""
    last = _key(term.text.split()[-1])
    return _key(window[-1].core) == last and any(
        _GLUED_DIGIT_RE.search(u.core) or re.search(r"[a-z][A-Z]", u.core) for u in window[:-1]
    )


def _folded(text: str) -> str:
    """Lower case without accents: "François" -> "francois"."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _evidence(term: GlossaryTerm, source: str, width: int, opening: bool, counts) -> str:
    """May ``source`` be repaired to ``term``: ``yes``, ``no``, or ``defer`` (only where the
    sentence names another term). A given term is trusted; a name the episode spells or a
    well-known name of the field repairs only what is no English word ("Kapathi",
    "Tranium"), and a listed name a capitalised real name ("Gwen") only beside another name."""
    if term.source == "glossary":
        return "yes"
    if not source[:1].isupper():
        return "no"  # "grok" the verb: ASR capitalises the names it hears as names
    acronym = source[:-1] if source.endswith("s") else source
    if len(acronym) <= 4 and acronym.isupper() and not term.text.isupper():
        return "no"  # "LLM", "APMs" are acronyms, not a misheard "Llama" or "APIs"
    if any(c in source for c in "./@-_") or any(c.isdigit() for c in source):
        return "no"  # "LifeChurch.tv", "EventEmitter-based": an address or a compound, as written
    if _folded(source) == _folded(term.text):
        return "no"  # "Francois" for "François": a way to write it, not a mishearing
    key = _key(source)
    if key[:1] != term.key[:1] or key.startswith(term.key) or term.key.startswith(key):
        # "LiveScript" is another language than "JavaScript"; "NodeLists", "KBall" are the
        # name as inflected or cased, not misheard
        return "no"
    meant = {_key(word) for word in term.text.split()}
    heard = [word for word in source.split() if _key(word) not in meant]
    real = [word for word in heard if zipf(word.lower().replace("’", "'")) >= RARE_ZIPF]
    if term.source == "episode":
        if real or (counts is not None and counts.get(source, 0) >= term.count):
            return "no"  # heard as often as the spelling it would take: no evidence either way
        return "yes"
    if not real:
        return "yes"
    if (
        (width > 1 or not opening)
        and (counts is None or counts.get(source, 0) <= 1)
        and all(word[:1].isupper() and zipf(word.lower()) < COMMON_ZIPF for word in real)
    ):
        return "defer"  # a real name said once ("Gwen"), not one the episode keeps saying ("Dale")
    return "no"


#: A listed name for a real one needs another name this close ("Gwen and Kapathi").
NAME_NEIGHBOUR_WORDS = 3


def _names_beside(units: list[Unit], index: int, names: frozenset[str]) -> bool:
    """Is another name (repaired, or spelled as a term) within :data:`NAME_NEIGHBOUR_WORDS`
    kept words of ``units[index]``, in the same sentence: names said as a list?"""
    def named(unit: Unit) -> bool:
        core = _POSSESSIVE_RE.sub("", unit.out_core) if len(unit.out_core) > 3 else unit.out_core
        return unit.kinds.get("core") == "glossary" or core in names

    for step in (-1, 1):
        p, seen = index + step, 0
        while 0 <= p < len(units) and seen < NAME_NEIGHBOUR_WORDS:
            unit = units[p]
            if step < 0 and ends_sentence(unit, output=False):
                break
            if unit.deleted is None:
                if named(unit):
                    return True
                seen += 1
            if step > 0 and ends_sentence(unit, output=False):
                break
            p += step
    return False


def _apply_term(units: list[Unit], window_indices: list[int], term: GlossaryTerm, suffix: str) -> None:
    head = units[window_indices[0]]
    last_unit = units[window_indices[-1]]
    head.set_core(term.text + suffix, "glossary")
    if len(window_indices) > 1:
        head.set_trail(last_unit.out_trail, "glossary")
        for i in window_indices[1:]:
            units[i].delete("glossary")


def mark_glossary(
    units: list[Unit],
    terms: Sequence[GlossaryTerm],
    *,
    continues: bool = False,
    counts: dict[str, int] | None = None,
) -> None:
    """Replace misheard names/terms in the kept units with glossary spellings.

    ``counts``: how often the episode has each word as written, so that an
    ``episode`` term repairs only a form heard less often than itself.
    """
    if not terms:
        return
    order = kept(units)
    n = len(order)
    max_words = max(term.n_words for term in terms) + 1
    by_key = {term.key: term for term in terms}
    # a window spelled as a given or listed term is that term ("Mistral" is no misheard
    # "Mixtral"); the episode's own spellings are what is heard, not a reference for it
    spelled = {term.text for term in terms if term.source != "episode"}
    row = [units[i] for i in order]
    facts: list[_UnitFacts | None] = [None] * n

    def facts_at(p: int) -> _UnitFacts:
        found = facts[p]
        if found is None:
            found = facts[p] = _unit_facts(row[p].core)
        return found

    deferred: list[tuple[list[int], GlossaryTerm, str]] = []
    k = 0
    while k < n:
        if row[k].lower in FUNCTION_WORDS or not _has_letters(row[k].core):
            # every window starting here starts with a function word or a symbol
            # ("Cowen / Dwarkesh"): none can match
            k += 1
            continue
        first_in_sentence = (k == 0 and not continues) or (k > 0 and ends_sentence(row[k - 1]))
        best: tuple[float, int, GlossaryTerm, str, bool] | None = None
        # what the windows k..k+width share is carried from one width to the next
        prefix_key = ""
        namelike = common = everyday = False
        for width in range(1, min(max_words, 3, n - k) + 1):
            newest = row[k + width - 1]
            if width > 1 and (newest.is_punct or not newest.deletable or row[k + width - 2].trail):
                break  # punctuation inside: no longer one name
            last = facts_at(k + width - 1)
            # a word is name-like when rare, all caps, capitalised and uncommon, or
            # capitalised anywhere but at the start of a sentence
            opening_capital = width == 1 and first_in_sentence
            namelike = namelike or last.namelike or (last.capitalised and not opening_capital)
            common = last.common and (width == 1 or common)
            # "Elena said" is a name and a verb, not a mishearing of "Elena Sousa":
            # past the first word, an everyday lower-case word ends the name.
            everyday = everyday or (
                width > 1
                and last.common
                and not last.capitalised
                and newest.lower not in FUNCTION_WORDS
                and _has_letters(newest.core)
            )
            key = prefix_key + last.stem_key
            prefix_key += last.key
            if newest.lower in FUNCTION_WORDS:
                continue
            # keys drop every non-alphanumeric, so a window's key is its words' keys joined
            spelled_out = key in by_key and width > 1
            # unless spelled out, only a name-like window that is not all everyday words
            # (whatever their case) is ever "corrected"
            if not spelled_out and (not namelike or common or everyday):
                continue
            suffix = last.suffix
            source = " ".join([u.core for u in row[k : k + width - 1]] + [last.stem])
            if source in spelled:
                continue
            for term in terms:
                if source == term.text:
                    score = 0.0
                elif key == term.key and _only_case_differs(source, term.text):
                    # "poolside" (the word) is not "Poolside" (the company); only brand
                    # or acronym spellings such as DeepSeek / MLST are restored from lower
                    # case, and never inside a web address ("oyelaran honey dot com")
                    in_address = any(u.lower == "dot" for u in row[k + width : k + width + 3])
                    score = 1.0 if not in_address and (_is_stylised(term.text) or zipf(key) < 2.0) else 0.0
                elif spelled_out and term.key == key:
                    score = 1.0
                elif term.n_words == width:
                    score = match_score(source, term) if _words_sound_alike(source, term.text) else 0.0
                elif width == term.n_words + 1 and _split_name(row[k : k + width], key, term):
                    # ASR splits a rare surname it does not know: "Oyler Ran" is "Oyelaran".
                    score = match_score(source, term)
                elif width == term.n_words - 1 and _glued(row[k : k + width], term):
                    score = match_score(source, term)
                else:
                    # "Claude CLI" is not a mishearing of "Claude": lengths must agree
                    continue
                if score < 0.6 or (best is not None and (score, width) <= (best[0], best[1])):
                    continue
                verdict = _evidence(term, source, width, first_in_sentence, counts)
                if verdict != "no":
                    best = (score, width, term, suffix, verdict == "defer")
        if best is None:
            k += 1
            continue
        _, width, term, suffix, defer = best
        window_indices = order[k : k + width]
        if defer:
            deferred.append((window_indices, term, suffix))
        else:
            _apply_term(units, window_indices, term, suffix)
        k += width
    if deferred:
        # a listed name for a real one ("Gwen" -> "Gwern") only beside another name ("Karpathy")
        names = frozenset(
            word for t in terms for word in (t.text, *t.text.split()) if word[:1].isupper() and len(word) >= 3
        )
        for window_indices, term, suffix in deferred:
            if _names_beside(units, window_indices[0], names - {term.text}):
                _apply_term(units, window_indices, term, suffix)


def suggest_glossary(episode) -> list[tuple[str, str, float]]:
    """Rare tokens that nearly match a frequent proper noun of the same episode.

    Returns ``(rare, frequent, score)`` triples, best first, e.g.
    ``("DeepSeq", "DeepSeek", 0.8)``: candidates for a glossary the producer confirms.
    Read from each turn's readable text once the clean stage has set it, so only
    what it left unrepaired is suggested.
    """
    # occurrences are listed first and counted at the end (Counter counts a list in C)
    words: list[str] = []
    mid_sentence_capitals: list[str] = []
    pairs: list[tuple[str, str]] = []
    for turn in episode.turns:
        # the cached tokens of the text: no units to build
        tokens = scan(turn.text or turn.verbatim)
        previous_closes = True  # the first word opens a sentence
        for index, (_, _, _, _, raw_core, trail, _) in enumerate(tokens):
            after_sentence_end = previous_closes
            previous_closes = closes_sentence(trail, raw_core, not raw_core)
            core = raw_core
            if len(core) > 3 and core.endswith(_POSSESSIVE_ENDINGS):
                core = _POSSESSIVE_RE.sub("", core)
            if not core or not _has_letters(core):
                continue
            words.append(core)
            if core[:1].isupper() and not after_sentence_end:
                mid_sentence_capitals.append(core)
            if not trail and index + 1 < len(tokens):
                pairs.append((core, tokens[index + 1][4]))
    surface = Counter(words)
    lower_counts = Counter(word.lower() for word in words)
    mid_capitalised = Counter(mid_sentence_capitals)
    bigrams = Counter(pairs)

    frequent = [
        word
        for word, count in mid_capitalised.items()
        if count >= 2
        and surface[word] >= 3
        and word.lower() not in FUNCTION_WORDS
        and (zipf(word.lower()) < COMMON_ZIPF or word.isupper())
        and len(word) >= 3
    ]
    # compile_glossary drops a term with fewer than three letters and digits in it ("C++",
    # "M&A", "U.S.", "A/B" are long enough on the surface, not in their key): such a word
    # is no target, so keep only the terms it returns rather than assume one per word
    compiled: dict[str, GlossaryTerm] = {}
    for word in frequent:
        for term in compile_glossary([word]):
            if term.text == word:
                compiled[word] = term
    targets = [(target, term, target.lower()) for target, term in compiled.items()]
    suggestions: dict[tuple[str, str], float] = {}
    for word in surface:
        if lower_counts[word.lower()] > 2 or len(word) < 3 or word in compiled:
            continue
        if word.islower() and zipf(word) >= RARE_ZIPF:
            continue
        if not word.islower() and zipf(word.lower()) >= COMMON_ZIPF and not word.isupper():
            continue
        lower = word.lower()
        for target, term, target_lower in targets:
            if target_lower == lower:
                continue
            score = match_score(word, term)
            if score >= 0.7:
                suggestions[(word, target)] = max(score, suggestions.get((word, target), 0.0))
    # a word said as two ("Deep Seek"): look the pair's key up instead of scanning every target
    by_key: dict[str, list[str]] = {}
    for target, term in compiled.items():
        by_key.setdefault(term.key, []).append(target)
    for left, right in bigrams if by_key else ():
        for target in by_key.get(_key(left + right), ()):
            if left + right != target:
                suggestions[(f"{left} {right}", target)] = 1.0
    return sorted(
        ((rare, target, round(score, 3)) for (rare, target), score in suggestions.items()),
        key=lambda item: (-item[2], item[0]),
    )


def episode_names(tokens: Sequence[Sequence[Unit]]) -> dict[str, int]:
    """Names the episode spells one way at least twice mid-sentence, with how often it does.

    "You mentioned Karpathy" twice makes "Karpathy" the episode's spelling, the
    reference for a "Kapathi" heard once (:attr:`GlossaryTerm.source` ``episode``).
    """
    seen: Counter[str] = Counter()
    for units in tokens:
        for index, unit in enumerate(units):
            core = unit.core
            if len(core) > 3 and core.endswith(_POSSESSIVE_ENDINGS):
                core = _POSSESSIVE_RE.sub("", core)
            if len(core) < 4 or not core[:1].isupper() or not core.isalpha():
                continue
            if index == 0 or ends_sentence(units[index - 1], output=False):
                continue
            seen[core] += 1
    return {
        name: count
        for name, count in seen.items()
        if count >= 2 and name.lower() not in FUNCTION_WORDS and zipf(name.lower()) < COMMON_ZIPF
    }


def lexicon_names() -> tuple[str, ...]:
    """The well-known names of the field (:data:`castline.clean.names.FIELD_NAMES`)."""
    from castline.clean.names import FIELD_NAMES

    return FIELD_NAMES
