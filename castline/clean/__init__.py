"""Readable-standard editing: every change from verbatim to text is an :class:`Edit`.

>>> from castline.model import Episode, Turn
>>> ep = Episode(title="t", slug="t", turns=[Turn(None, 0, 5, "", "um, so we we built it")])
>>> clean_episode(ep).turns[0].text
'So we built it.'

Passes, in order, over each turn's word units: fillers, restarts at a dash,
discourse markers, false starts, repeats (then punctuation/capitals around what was removed),
glossary repairs, learned punctuation and case where the ASR gave none
(:mod:`castline.clean.punctuation`), learned then rule-based run-on sentence
breaks, final period, sentence case,
paragraphs; whitespace is normalised when the text is rendered. Reverting is
reading ``Turn.verbatim``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from castline.clean.casing import (
    build_case_lexicon,
    mark_final_period,
    mark_runon_breaks,
    mark_sentence_case,
)
from castline.clean.disfluency import (
    mark_discourse,
    mark_false_starts,
    mark_fillers,
    mark_repeats,
    mark_restarts,
    repair_deletions,
)
from castline.clean.glossary import (
    compile_glossary,
    episode_names,
    lexicon_names,
    load_glossary,
    mark_glossary,
    suggest_glossary,
)
from castline.clean.homophones import mark_topic_homophones
from castline.clean.paragraphs import mark_heading_lines, mark_paragraphs
from castline.clean.punctuation import (
    mark_learned_sentences,
    mark_restored_punctuation,
    plan_bare_chunks,
    plan_ends_sentence,
)
from castline.clean.units import KIND_PRIORITY, Unit, apply_edits, kept, render, tokenize
from castline.clean.words import CONTRACTIONS, FUNCTION_WORDS, OPEN_ENDINGS
from castline.model import Edit, Episode, Turn

__all__ = [
    "EDIT_KINDS",
    "apply_edits",
    "clean_episode",
    "clean_turn",
    "edits_of",
    "load_glossary",
    "suggest_glossary",
]

#: Every kind of edit this stage records.
EDIT_KINDS = KIND_PRIORITY

_SENTENCE_END = (".", "?", "!", "…")
#: Capitalised, these open a new sentence after a chunk without terminal punctuation.
_SENTENCE_OPENERS = (FUNCTION_WORDS - {"i"}) | frozenset(
    """yeah yes okay well now also actually anyway anyways basically honestly look right sure
    however maybe perhaps first second third finally then there""".split()
)


def _ends_with_sentence_mark(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’)]}*").endswith(_SENTENCE_END)


def _carries_on(
    turn: Turn, following: Turn | None, lexicon: dict[str, str], tail: list[Unit], head: list[Unit]
) -> bool:
    """True when ``following`` carries on ``turn``'s sentence (one ASR chunk split mid-way).

    ASR chunks end with terminal punctuation where the sentence ended; without it
    the sentence usually goes on, unless the next chunk opens with a capitalised
    word that typically starts a sentence ("And then ...", "So we ..."). ASR
    capitalises chunk starts, so "Last Exam" after "Humanity's" carries on.
    """
    if following is None or following.speaker != turn.speaker:
        return False
    if _ends_with_sentence_mark(turn.verbatim) or not turn.verbatim.strip():
        return False
    if not head or not tail:
        return False
    first, last = head[0], tail[-1]
    if not first.core[:1].isupper():
        return True
    if last.trail or last.lower in OPEN_ENDINGS or last.lower in CONTRACTIONS:
        return True  # "at the end of the day," / "the customers ask for the" / "and it's"
    if last.lower == first.lower:
        return True  # "... get the answer. So" / "So then we get": one word said twice
    word = first.core
    if word == "I" or word.startswith(("I'", "I’")) or word.lower() in lexicon:
        return True
    return first.lower not in _SENTENCE_OPENERS


def _repeats_across(tail: list[Unit], head: list[Unit]) -> bool:
    """The chunk ends with the word the next chunk starts with ("that is" / "is by ...")."""
    if not tail or not head or tail[-1].trail or not tail[-1].deletable:
        return False
    word = tail[-1].lower
    return word == head[0].lower and word in FUNCTION_WORDS and word not in ("that", "had")


def clean_turn(
    turn: Turn,
    turn_index: int,
    *,
    glossary=(),
    continues: bool = False,
    continued: bool = False,
    lexicon: dict[str, str] | None = None,
    drop_last_word: bool = False,
    units: list[Unit] | None = None,
    english: bool = True,
    punctuation_plan=None,
    name_counts: dict[str, int] | None = None,
) -> tuple[str, list[Edit]]:
    """Edit one turn; returns its readable text and the edits that produce it.

    ``continues``: the turn carries on the previous turn's sentence (no capital
    at its start); ``continued``: the next turn carries this one's sentence on
    (no final period); ``drop_last_word``: the last word is repeated as the next
    turn's first. ``glossary`` is a list of compiled terms; ``units`` the turn's
    tokens when the caller already has them. With ``english=False`` only the
    language-neutral edits run (glossary, paragraphs, whitespace): the word lists
    are English ("um" is a German word). ``punctuation_plan``: the learned
    punctuation and case of a bare ASR chunk, predicted with its neighbours
    (:func:`~castline.clean.punctuation.plan_bare_chunks`). ``name_counts``: how
    often the episode writes each word, for the glossary's ``episode`` terms.
    """
    units = tokenize(turn.verbatim) if units is None else units
    mark_heading_lines(units, turn.verbatim)
    if units and not english:
        mark_glossary(units, glossary, continues=continues)
        mark_paragraphs(units)
    elif units:
        if drop_last_word and len(units) > 1:
            units[-1].delete("repeat")
        mark_fillers(units)
        mark_restarts(units, continues=continues)
        # repeats before discourse markers: "you, you know," is a stutter then a marker
        mark_repeats(units)
        mark_discourse(units, continues=continues)
        mark_false_starts(units, continues=continues)
        # and again, for repeats that removing a marker exposed: "we, you know, we"
        mark_repeats(units)
        if not kept(units):
            # a turn that is nothing but hesitation stays as spoken
            for unit in units:
                unit.deleted = None
        repair_deletions(units, continues=continues)
        mark_glossary(units, glossary, continues=continues, counts=name_counts)
        mark_restored_punctuation(units, plan=punctuation_plan)
        mark_learned_sentences(units)
        mark_runon_breaks(units)
        mark_final_period(units, continued=continued)
        mark_sentence_case(units, continues=continues, lexicon=lexicon)
        mark_paragraphs(units)
    return render(turn, units, turn_index)


def _stem_possessive(core: str) -> str:
    return core[:-2] if len(core) > 3 and core.endswith(("'s", "’s")) else core


def clean_episode(episode: Episode, *, glossary: Sequence[str] = (), names: bool = True) -> Episode:
    """Set every turn's readable ``text`` and replace ``episode.edits`` with the edits made.

    ``glossary`` lists correct spellings of names and terms ("Eiso Kant",
    "DeepSeek"); near misses in the transcript are repaired to them. With
    ``names`` (English only) the episode's own spellings of names, the field's
    well-known names and the episode's topic words repair mishearings too, on
    stronger evidence (:mod:`castline.clean.glossary`).
    """
    terms = compile_glossary(glossary)
    edits: list[Edit] = []
    turns = episode.turns
    english = not episode.language or episode.language.lower().startswith("en")
    tokens = [tokenize(turn.verbatim) for turn in turns]
    name_counts: dict[str, int] | None = None
    if english and names:
        # weaker references than the glossary, each with its own burden of evidence
        spelled = episode_names(tokens)
        have = {term.text for term in terms}
        terms += compile_glossary([n for n in spelled if n not in have], source="episode", counts=spelled)
        have |= {term.text for term in terms}
        terms += compile_glossary([n for n in lexicon_names() if n not in have], source="lexicon")
        name_counts = Counter(_stem_possessive(u.core) for units in tokens for u in units)
        mark_topic_homophones(tokens, episode.title)
    lexicon = build_case_lexicon(tokens)
    carries = [
        i + 1 < len(turns) and _carries_on(turn, turns[i + 1], lexicon, tokens[i], tokens[i + 1])
        for i, turn in enumerate(turns)
    ]
    plans = plan_bare_chunks(turns, tokens) if english else {}
    for index, plan in plans.items():
        if plan_ends_sentence(plan):
            carries[index] = False  # the model ends the sentence with the chunk
    for index, turn in enumerate(turns):
        continued = carries[index]
        text, turn_edits = clean_turn(
            turn,
            index,
            glossary=terms,
            continues=index > 0 and carries[index - 1],
            continued=continued,
            lexicon=lexicon,
            drop_last_word=english and continued and _repeats_across(tokens[index], tokens[index + 1]),
            units=tokens[index],
            english=english,
            punctuation_plan=plans.get(index),
            name_counts=name_counts,
        )
        turn.text = text
        edits.extend(turn_edits)
    episode.edits = edits
    return episode


def edits_of(episode: Episode, turn_index: int) -> list[Edit]:
    """The edits of one turn, in text order."""
    return sorted((e for e in episode.edits if e.turn == turn_index), key=lambda e: e.start)
