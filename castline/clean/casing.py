"""Sentence punctuation and capitals: final periods, run-on splits, sentence case.

Run-on splitting only fires where an ASR chunk has evidently lost its
punctuation (a long stretch with almost no commas) or where a sentence runs past
:data:`MAX_SENTENCE_WORDS`; breaks go before clear clause starts ("and so we",
"but I", a subject pronoun after a noun), chosen so that pieces stay readable.
"""

from __future__ import annotations

from collections import Counter

from castline.clean.units import (
    Unit,
    ends_sentence,
    is_question,
    kept,
    looks_like_code_or_link,
    sentence_spans,
)
from castline.clean.words import (
    AUXILIARIES,
    CONJUNCTIONS,
    CONTRACTIONS,
    FUNCTION_WORDS,
    OPEN_ENDINGS,
    SUBJECT_PRONOUNS,
)

__all__ = [
    "MAX_SENTENCE_WORDS",
    "build_case_lexicon",
    "mark_final_period",
    "mark_runon_breaks",
    "mark_sentence_case",
]

#: Sentences longer than this get split at clause starts.
MAX_SENTENCE_WORDS = 60
#: An unpunctuated stretch longer than this is treated as a chunk that lost its punctuation.
UNPUNCTUATED_WORDS = 30
#: Target sentence length when re-punctuating such a chunk.
TARGET_WORDS = 22

_CLAUSE_OPENERS = (
    frozenset("it's that's there's this these we're i'm they're you're we've i've they've".split())
    | SUBJECT_PRONOUNS
)
# after these a subject pronoun continues the clause ("we said that we", "I think we")
_NO_BREAK_BEFORE_SUBJECT = FUNCTION_WORDS | frozenset(
    """said say says think thought know knew mean meant guess believe hope feel felt see saw
    like unless until while since once before after whether because right""".split()
)
_RIGHT_AS_ADJECTIVE = frozenset("the that's is was all exactly you're be it's were are".split())
_NOT_A_VERB = (FUNCTION_WORDS - AUXILIARIES - CONTRACTIONS) | frozenset("very really".split())
# "right now", "right there": not a tag question
_RIGHT_ADVERBIAL = frozenset("now away there here then".split())
# pronouns and linking words that never take a capital mid-sentence ("The", "A" may be titles)
_STRAY_CAPITALS = (
    (SUBJECT_PRONOUNS - {"i"}) | CONJUNCTIONS | frozenset("it's we're they're you're that's there's".split())
)
_SUBJECT_OPENERS = frozenset(
    "i we they he she it's there's we're i'm they're you're we've i've they've".split()
)
_CLOSERS = "\"'”’)]}*"


def _capitalise(core: str) -> str | None:
    """Sentence-case ``core``; None when it should stay as is (mixed case like "iPhone")."""
    if not core[:1].islower() or looks_like_code_or_link(core):
        return None
    return core[0].upper() + core[1:]


def _with_period(trail: str, mark: str = ".") -> str:
    body = trail.rstrip(_CLOSERS)
    closers = trail[len(body) :]
    return body.rstrip(",;:") + mark + closers


def mark_final_period(units: list[Unit], *, continued: bool = False) -> None:
    """Give the turn's last sentence a period unless the next turn carries it on."""
    order = kept(units)
    if not order or continued:
        return
    last = units[order[-1]]
    if ends_sentence(last) or last.is_punct or looks_like_code_or_link(last.out_core):
        return
    if last.out_trail.rstrip(_CLOSERS)[-1:] in (".", "?", "!"):
        return  # a quoted question or exclamation closing the turn already ends it: “...want?”
    if last.lower in OPEN_ENDINGS and not last.out_trail:
        return  # broken off mid-sentence ("we went to the"): a period would invent an ending
    if last.out_trail.rstrip(_CLOSERS)[-1:] in ("-", "—", "–", "…", ":", ";"):
        return  # cut off, trailing away, or introducing what follows: leave as spoken
    sentence = sentence_spans(units, order)[-1]
    mark = "?" if is_question(units, sentence) else "."
    last.set_trail(_with_period(last.out_trail, mark), last.kinds.get("trail", "punctuation"))


def _break_score(units: list[Unit], order: list[int], j: int) -> float:
    """How clearly a new clause starts at kept position ``j`` (0 = not a break)."""
    prev, cur = units[order[j - 1]], units[order[j]]
    nxt = units[order[j + 1]] if j + 1 < len(order) else None
    if prev.out_trail not in ("", ",") or cur.is_punct or prev.is_punct or nxt is None:
        return 0.0
    word, following, before = cur.lower, nxt.lower, prev.lower
    comma_bonus = 0.5 if prev.out_trail == "," else 0.0
    if word == "and" and following == "so":
        return 3.5 + comma_bonus
    if word in ("so", "but") and (following in _CLAUSE_OPENERS or following == "the"):
        return 3.0 + comma_bonus
    if word == "because" and following in _CLAUSE_OPENERS:
        return 2.0 + comma_bonus
    if word == "and" and following in _CLAUSE_OPENERS - {"this", "these", "now", "well"}:
        return 2.0 + comma_bonus
    if before == "right" and j >= 2 and units[order[j - 2]].lower not in _RIGHT_AS_ADJECTIVE:
        if (word in _CLAUSE_OPENERS or word in CONJUNCTIONS) and word not in _RIGHT_ADVERBIAL:
            return 2.5
    if word in _SUBJECT_OPENERS and before not in _NO_BREAK_BEFORE_SUBJECT:
        # only unambiguous subjects: "it"/"you" may be objects ("make it work"), and
        # "that's"/"this" may open a relative clause or a noun phrase ("an agent that's ...")
        if following not in _NOT_A_VERB or word in ("it's", "there's"):
            return 1.5 + comma_bonus
    return 0.0


def _split(units: list[Unit], order: list[int], lo: int, hi: int, limit: int, floor: float):
    """Choose break positions in kept positions [lo, hi) so pieces are at most ``limit`` words."""
    if hi - lo <= limit:
        return []
    best: tuple[float, int] | None = None
    middle = (lo + hi) / 2
    for j in range(lo + 5, hi - 5):
        score = _break_score(units, order, j)
        if score < floor:
            continue
        # prefer strong cues near the middle of the piece
        value = score - abs(j - middle) / (hi - lo)
        if best is None or value > best[0]:
            best = (value, j)
    if best is None:
        return []
    j = best[1]
    return _split(units, order, lo, j, limit, floor) + [j] + _split(units, order, j, hi, limit, floor)


def mark_runon_breaks(units: list[Unit]) -> int:
    """Insert sentence breaks in run-on stretches; returns how many were added."""
    order = kept(units)
    position = {index: k for k, index in enumerate(order)}
    added = 0
    for sentence in sentence_spans(units, order):
        words = [i for i in sentence if not units[i].is_punct]
        if len(words) <= UNPUNCTUATED_WORDS:
            continue
        commas = sum(1 for i in sentence if units[i].out_trail.endswith(","))
        caseless = not any(c.isupper() for i in words for c in units[i].out_core if units[i].lower != "i")
        # ASR that dropped punctuation: a long stretch with no commas, or no capitals at all
        lost_punctuation = (commas == 0 and len(words) > 40) or (caseless and commas * 25 < len(words))
        if not lost_punctuation and len(words) <= MAX_SENTENCE_WORDS:
            continue
        lo, hi = position[sentence[0]], position[sentence[-1]] + 1
        if lost_punctuation:
            breaks = _split(units, order, lo, hi, TARGET_WORDS, 1.5)
        else:
            breaks = _split(units, order, lo, hi, MAX_SENTENCE_WORDS, 2.5)
        for j in breaks:
            prev, cur = units[order[j - 1]], units[order[j]]
            before = units[order[j - 2]]
            if prev.lower == "right" and before.lower not in _RIGHT_AS_ADJECTIVE:
                # a tag question: "..., right? So we ..."
                if not before.out_trail:
                    before.set_trail(",", "punctuation")
                prev.set_trail(_with_period(prev.out_trail, "?"), "punctuation")
            else:
                prev.set_trail(_with_period(prev.out_trail), "punctuation")
            capital = _capitalise(cur.out_core)
            if capital:
                cur.set_core(capital, "punctuation")
            added += 1
    return added


def build_case_lexicon(texts: list[str] | list[list[Unit]]) -> dict[str, str]:
    """Map lower-case words to the capitalised form the episode consistently uses mid-sentence.

    ``texts`` are the turns' verbatim strings (or their units, already tokenised).
    Used to restore names in chunks that lost their case ("nvidia" -> "Nvidia").
    """
    from castline.clean.units import tokenize

    capitalised: dict[str, Counter[str]] = {}
    lower_seen: Counter[str] = Counter()
    for text in texts:
        units = tokenize(text) if isinstance(text, str) else text
        lowercase_chunk = not any(c.isupper() for u in units for c in u.core if u.lower != "i")
        if lowercase_chunk:
            continue
        for index, unit in enumerate(units):
            core = unit.core.replace("’", "'")
            if not core or not core[0].isalpha():
                continue
            if index == 0 or ends_sentence(units[index - 1], output=False):
                continue
            if core[0].isupper():
                capitalised.setdefault(core.lower(), Counter())[core] += 1
            else:
                lower_seen[core] += 1
    lexicon = {}
    for word, forms in capitalised.items():
        form, count = forms.most_common(1)[0]
        if count >= 2 and lower_seen[word] == 0 and word not in FUNCTION_WORDS:
            lexicon[word] = form
    return lexicon


def mark_sentence_case(
    units: list[Unit], *, continues: bool = False, lexicon: dict[str, str] | None = None
) -> None:
    """Capitalise sentence starts and "i"; restore names in a chunk that lost its case."""
    order = kept(units)
    if not order:
        return
    caseless = (
        not any(c.isupper() for i in order for c in units[i].core if units[i].lower not in ("i",))
        and len(order) >= 8
    )
    for k, index in enumerate(order):
        unit = units[index]
        if unit.is_punct:
            continue
        lower = unit.out_core.lower().replace("’", "'")
        if lower == "i" or (lower.startswith("i'") and unit.out_core[:1] == "i"):
            unit.set_core("I" + unit.out_core[1:], "case")
        elif caseless and lexicon and unit.out_core in lexicon:
            unit.set_core(lexicon[unit.out_core], "case")
        starts = (k == 0 and not continues) or (k > 0 and ends_sentence(units[order[k - 1]]))
        if starts:
            capital = _capitalise(unit.out_core)
            if capital:
                unit.set_core(capital, unit.kinds.get("core", "case"))
        elif k > 0 and _stray_capital(units, order, k):
            unit.set_core(unit.out_core[0].lower() + unit.out_core[1:], "case")


def _stray_capital(units: list[Unit], order: list[int], k: int) -> bool:
    """A pronoun or other function word capitalised mid-sentence, as ASR writes a chunk's start.

    Joined chunks leave "And, you know, You can ...": only function words are
    lowered, never names, "I", or words inside quotes.
    """
    unit = units[order[k]]
    core = unit.out_core
    if unit.lead or not core[:1].isupper() or not core[1:].islower() and len(core) > 1:
        return False
    if unit.lower not in _STRAY_CAPITALS:
        return False
    previous = units[order[k - 1]]
    return previous.out_trail in (",", ";") or previous.lower in CONJUNCTIONS
