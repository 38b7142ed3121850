"""Disfluency passes: fillers, discourse markers, repeats and false starts.

Each pass marks units deleted (with its edit kind). The rules are deliberately
conservative: a marker is removed only where punctuation or position shows it
is parenthetical ("So, you know, we ..."), never where it carries meaning
("you know what I said", "I like it", "what kind of model").
"""

from __future__ import annotations

import re

from castline.clean.units import Unit, ends_sentence, is_question, kept
from castline.clean.words import (
    AUXILIARIES,
    CONJUNCTIONS,
    CONTRACTIONS,
    FUNCTION_WORDS,
    SUBJECT_PRONOUNS,
)

__all__ = [
    "mark_discourse",
    "mark_false_starts",
    "mark_fillers",
    "mark_repeats",
    "mark_restarts",
    "repair_deletions",
]

_FILLER_RE = re.compile(r"^(?:u+h+|u+h*m+|e+r+m*|e+h+|a+h+|h+m+|m{2,}|hm+)$", re.IGNORECASE)
#: Words whose doubling is emphasis or grammar ("very, very", "that that", "had had").
_KEEP_DOUBLED = frozenset(
    "that had very really so much many no yes yeah bye ha far long more too well".split()
)
_CLAUSE_NOUNS = frozenset(
    "what where how why who thing problem question point issue reason truth fact idea".split()
)
#: Words after which "kind of" / "sort of" is a hedge rather than a noun phrase.
_HEDGE_PREVIOUS = (
    SUBJECT_PRONOUNS
    | AUXILIARIES
    | (CONTRACTIONS - {"what's", "let's"})
    | frozenset("just really also actually still to and but so then get gets got".split())
)
_NOUN_AFTER_KIND = frozenset("thing things stuff person people way of".split())
#: Articles and possessives never end a phrase: "a, an engine" is an abandoned start.
_DANGLING = frozenset("a an the my your our their his its".split())
_DANGLING_SUBJECT = frozenset(
    """it's we're i'm they're you're he's she's there's that's we've i've they've you've
    we'll i'll they'll i'd we'd let's""".split()
)
_FALSE_START_AUX = frozenset("was were am are have had will would can could should do did".split())
_RESTART_WORDS = (
    SUBJECT_PRONOUNS
    | _DANGLING_SUBJECT
    | frozenset("yes no yeah the a this that there so well what how why when if".split())
)
# a comma before one of these marks a clause boundary and survives a removed aside
_CLAUSE_STARTERS = (
    SUBJECT_PRONOUNS
    | _DANGLING_SUBJECT
    | CONJUNCTIONS
    | frozenset("which where who when while if although though whereas since".split())
)
_IDIOM_LINKS = frozenset("to by for after on in and".split())
_ASIDES = frozenset(
    {
        ("i", "think"),
        ("i", "guess"),
        ("i", "mean"),
        ("i", "believe"),
        ("i", "suppose"),
        ("you", "know"),
        ("i'd", "say"),
        ("let's", "say"),
        ("if", "you"),
        ("as", "i"),
    }
)
_UNPUNCTUATED_WORDS = 25
# words after which "you know" / "I mean" are the verb itself ("if you know", "what I mean")
_MARKER_GOVERNORS = frozenset(
    """do did does don't didn't doesn't if as what how whether when where why who that
    because and but or so than let""".split()
)
# clause openers that show the marker stood between two clauses
_CLAUSE_AFTER_MARKER = frozenset(
    """so and but like i we they he she it's there's we're i'm they're you're that's""".split()
)
_WH_WORDS = frozenset("what where how who which whatever whoever".split())


def _sentence_start(units: list[Unit], order: list[int], k: int, continues: bool) -> bool:
    if k == 0:
        return not continues
    return ends_sentence(units[order[k - 1]], output=False)


def _clause_start(units: list[Unit], order: list[int], k: int, continues: bool) -> bool:
    """True at a sentence start, after a comma-like mark, or after a bare conjunction."""
    if k == 0:
        return True
    previous = units[order[k - 1]]
    if ends_sentence(previous, output=False) or previous.trail[-1:] in (",", ";", ":", "—", "–"):
        return True
    here = units[order[k]]
    if here.core[:1].isupper() and here.lower in ("you", "i") and here.core != "I":
        return True  # "trade off You know, not ...": a capital left by an ASR chunk start
    return previous.lower in CONJUNCTIONS and not previous.trail


def mark_fillers(units: list[Unit]) -> None:
    """Delete hesitation sounds: uh, um, er, ah, hmm, mm (and their stretched spellings)."""
    for index, unit in enumerate(units):
        if unit.deleted is None and unit.deletable and _FILLER_RE.match(unit.core):
            if len(unit.core) > 1 and unit.core.isupper() and unit.core not in ("UM", "UH"):
                continue  # an acronym such as "ER"
            if index > 0 and units[index - 1].core[-1:].isdigit():
                continue  # "5 mm": a unit, not a murmur
            unit.delete("filler")


def _unpunctuated(units: list[Unit], order: list[int]) -> set[int]:
    """Kept positions inside long stretches with no punctuation at all (ASR that lost it)."""
    inside: set[int] = set()
    start = 0
    for k in range(len(order) + 1):
        if k == len(order) or units[order[k]].trail or units[order[k]].is_punct:
            if k - start >= _UNPUNCTUATED_WORDS:
                inside.update(range(start, k + 1))
            start = k + 1
    return inside


def _marker_opens_clause(units: list[Unit], order: list[int], k: int, width: int) -> bool:
    """Without commas to go by: a marker between two clauses ("... years you know so we ...")."""
    if k == 0 or k + width >= len(order):
        return False
    before, after = units[order[k - 1]].lower, units[order[k + width]].lower
    return before not in _MARKER_GOVERNORS and after in _CLAUSE_AFTER_MARKER


def mark_discourse(units: list[Unit], *, continues: bool = False) -> None:
    """Delete parenthetical "you know", "I mean", "like", hedging "kind of"/"sort of", tag "right?".

    Punctuation decides where a marker is parenthetical; in a long stretch that
    lost its punctuation, "you know" / "I mean" go only between two clauses.
    """
    order = kept(units)
    n = len(order)
    bare = _unpunctuated(units, order)
    for k in range(n):
        unit = units[order[k]]
        word = unit.lower
        nxt = units[order[k + 1]] if k + 1 < n else None
        prev = units[order[k - 1]] if k > 0 else None
        if unit.deleted is not None or not unit.deletable:
            continue
        if word == "you" and nxt is not None and nxt.lower == "know" and not unit.trail:
            if not nxt.deletable:
                continue
            trail = nxt.trail
            if trail.startswith(",") and _clause_start(units, order, k, continues):
                unit.delete("discourse")
                nxt.delete("discourse")
            elif k in bare and not trail and _marker_opens_clause(units, order, k, 2):
                unit.delete("discourse")
                nxt.delete("discourse")
            elif trail[:1] in ("?", ".") and prev is not None and prev.trail.endswith(","):
                unit.delete("discourse")
                nxt.delete("discourse")
        elif word == "i" and nxt is not None and nxt.lower == "mean" and not unit.trail:
            if (
                nxt.deletable and nxt.trail.startswith(",") and _clause_start(units, order, k, continues)
            ) or (k in bare and not nxt.trail and _marker_opens_clause(units, order, k, 2)):
                unit.delete("discourse")
                nxt.delete("discourse")
        elif word == "like" and unit.trail == ",":
            if nxt is not None and nxt.core[:1].isdigit():
                continue  # "like, 128,000": an approximation, not a filler
            if k + 1 < n and (
                _sentence_start(units, order, k, continues)
                or (prev is not None and prev.trail.endswith(","))
                or (prev is not None and prev.lower in CONJUNCTIONS and not prev.trail)
            ):
                unit.delete("discourse")
        elif word in ("kind", "sort") and nxt is not None and nxt.lower == "of" and not unit.trail:
            after = units[order[k + 2]] if k + 2 < n else None
            if (
                prev is not None
                and not prev.trail
                and prev.lower in _HEDGE_PREVIOUS
                and after is not None
                and after.lower not in _NOUN_AFTER_KIND
                and nxt.deletable
                and nxt.trail in ("", ",")
            ):
                unit.delete("discourse")
                nxt.delete("discourse")
        elif word == "right" and unit.trail[:1] in ("?", "."):
            # a tag at the very end of a turn may be a real question to the other speaker
            if k + 1 < n and prev is not None and prev.trail.endswith(","):
                unit.delete("discourse")


def _parenthetical_follows(units: list[Unit], order: list[int], k: int) -> bool:
    """True when a short aside set off by a comma follows position ``k`` ("I think,", "in a way,")."""
    following = [units[i] for i in order[k + 1 : k + 4]]
    words = [u.lower for u in following]
    if tuple(words[:2]) in _ASIDES:
        return True
    return any(u.trail.startswith(",") for u in following)


def mark_false_starts(units: list[Unit], *, continues: bool = False) -> None:
    """Delete abandoned starts such as "It's, yes, of course" or "we built a, an engine".

    Only a comma written right after the fragment counts (a comma left by a removed
    "uh" does not), and never before an aside such as "I think,".
    """
    order = kept(units)
    n = len(order)
    for k in range(n - 1):
        unit = units[order[k]]
        nxt = units[order[k + 1]]
        if unit.deleted is not None or unit.trail != "," or not unit.deletable:
            continue
        if order[k + 1] != order[k] + 1 or nxt.is_punct:
            continue  # something was removed in between: "the, um, results" keeps "the"
        if nxt.lower == unit.lower:
            continue  # a plain repeat; that pass handles it
        word = unit.lower
        prev = units[order[k - 1]] if k > 0 else None
        restart = nxt.lower in _RESTART_WORDS
        if word in _DANGLING:
            # "in his, I think it was ..." is an aside, not a new noun phrase
            if tuple(u.lower for u in units[order[k + 1] : order[k + 1] + 2]) not in _ASIDES:
                unit.delete("false_start")
        elif word in _DANGLING_SUBJECT:
            if prev is not None and prev.lower in _WH_WORDS:
                continue
            if not _clause_start(units, order, k, continues):
                continue
            if nxt.lower in ("yes", "no", "yeah") or not _parenthetical_follows(units, order, k):
                unit.delete("false_start")
        elif (
            word in SUBJECT_PRONOUNS - {"it", "you"}
            and restart
            and nxt.lower not in ("the", "a", "an", word)
            and _clause_start(units, order, k, continues)
            and not _parenthetical_follows(units, order, k)
        ):
            unit.delete("false_start")  # "So we, there can be ..."
        elif (
            word in _FALSE_START_AUX
            and prev is not None
            and prev.lower in SUBJECT_PRONOUNS
            and not prev.trail
            and prev.deletable
            and restart
            and _clause_start(units, order, k - 1, continues)
        ):
            prev.delete("false_start")
            unit.delete("false_start")


_DASHES = frozenset(("-", "--", "---", "—", "–", "—-"))
#: Words an abandoned start ends on before a dash ("So the --", "and we --", "it's a --").
_FRAGMENT_ENDINGS = _DANGLING | SUBJECT_PRONOUNS | _DANGLING_SUBJECT | CONJUNCTIONS | _FALSE_START_AUX
#: A second dash this close after the first makes the pair a parenthetical ("X -- an aside -- Y").
_ASIDE_WORDS = 10


def _dash_at(unit: Unit) -> str:
    """``"alone"`` for a dash standing alone, ``"glued"`` for a word ending in one ("we--"), else ""."""
    if unit.is_punct:
        return "alone" if unit.trail in _DASHES else ""
    trail = unit.trail
    # one hyphen on a word is a word cut off ("th- the"), which the repeat pass reads
    return "glued" if trail.endswith(("--", "—", "–")) else ""


def mark_restarts(units: list[Unit], *, continues: bool = False) -> None:
    """Delete what a speaker abandons at a dash: "we -- we built", "So the -- we built".

    Restarts across a dash: the words before the dash said again after it go,
    with the dash (a ``repeat``), when they hold a function word: in the training
    shows' human transcripts, words doubled across a dash are function words
    ("I -- I", "the -- the", "it -- it": restarts), where words doubled across a
    comma are mostly emphasis ("yeah, yeah", "really, really", "no, no"), as are
    content words across a dash ("writing — writing about why"). An abandoned start: one to three words
    from a clause start that end on a word no phrase ends on ("the", "we", "and"),
    a dash, and a fresh start ("we", "the", "so") go as a ``false_start``. Two
    dashes close together are a parenthetical and stay.
    """
    order = kept(units)
    n = len(order)
    dashes = [k for k in range(n) if _dash_at(units[order[k]])]
    for d in dashes:
        dash = units[order[d]]
        if dash.deleted is not None or not dash.deletable:
            continue
        glued = _dash_at(dash) == "glued"
        end = d + 1 if glued else d  # the words before the dash are order[lo:end]
        after = [k for k in range(d + 1, min(n, d + 6)) if not units[order[k]].is_punct]
        if not after or end == 0:
            continue
        for width in range(min(4, end, len(after)), 0, -1):
            before = [units[order[k]] for k in range(end - width, end)]
            again = [units[order[k]] for k in after[:width]]
            if (
                [u.lower for u in before] == [u.lower for u in again]
                and all(u.core and u.deletable and u.deleted is None for u in before)
                and all(not u.trail for u in before[:-1])
                and (glued or not before[-1].trail)
                and after[:width] == list(range(d + 1, d + 1 + width))
                # "the most powerful form of writing — writing about why": content words
                # said again across a dash are an apposition
                and any(u.lower in FUNCTION_WORDS for u in before)
            ):
                for u in before:
                    u.delete("repeat")
                if not glued:
                    dash.delete("repeat")
                break
        else:
            if any(_dash_at(units[order[k]]) for k in range(d + 1, min(n, d + 1 + _ASIDE_WORDS))):
                continue  # "the model -- which we trained -- is small"
            nxt = units[order[after[0]]]
            if nxt.lower not in _RESTART_WORDS or after[0] != d + 1:
                continue
            for width in range(1, min(3, end) + 1):
                start = end - width
                fragment = [units[order[k]] for k in range(start, end)]
                if not _clause_start(units, order, start, continues):
                    continue
                if (
                    fragment[-1].lower in _FRAGMENT_ENDINGS
                    and all(u.lower in FUNCTION_WORDS for u in fragment)
                    and all(u.core and u.deletable and u.deleted is None for u in fragment)
                    and all(not u.trail for u in fragment[:-1])
                    and (glued or not fragment[-1].trail)
                    and not (width == 1 and fragment[0].lower in CONJUNCTIONS)
                ):
                    for u in fragment:
                        u.delete("false_start")
                    if not glued:
                        dash.delete("false_start")
                    break


def _repeat_allowed(phrase: list[str], units: list[Unit], order: list[int], k: int) -> bool:
    width = len(phrase)
    after = units[order[k + 2 * width]].lower if k + 2 * width < len(order) else None
    if (phrase[-1], after) in (("you", "know"), ("i", "mean")) and not units[order[k + width - 1]].trail:
        return False  # "make you, you know, hate": the second copy opens a marker
    if width == 2 and phrase[0] not in FUNCTION_WORDS and phrase[1] in _IDIOM_LINKS:
        return False  # "end to end to": "X to X" idioms (end to end, face to face)
    if len(phrase) == 1:
        word = phrase[0]
        if word not in FUNCTION_WORDS or word in _KEEP_DOUBLED:
            return False
        if word in ("is", "was"):
            # "what it is is ..." is grammatical
            context = {units[i].lower for i in order[max(0, k - 6) : k]}
            return not context & _CLAUSE_NOUNS
        return True
    if all(word in _KEEP_DOUBLED for word in phrase):
        return False
    if all(word in FUNCTION_WORDS for word in phrase):
        return True
    # a repeated phrase with content words is a stutter only when short and unpunctuated
    # ("in our in our"); "on top, on top" and "looks good to me, looks good to me" are rhetoric
    first_last = units[order[k + len(phrase) - 1]]
    before = units[order[k - 1]].lower if k > 0 else None
    return (
        width <= 3
        # a pattern that runs on ("build something and build something and build ...")
        # is said deliberately
        and after != phrase[0]
        and before != phrase[-1]
        and not first_last.trail
        and not first_last.trail
        and any(word in FUNCTION_WORDS for word in phrase)
    )


def _sentence_end_between(units: list[Unit], first: int, last: int) -> bool:
    """True when a (possibly deleted) unit between ``first`` and ``last`` ends a sentence."""
    return any(ends_sentence(units[i], output=False) for i in range(first, last))


def mark_repeats(units: list[Unit], *, max_n: int = 4) -> None:
    """Delete stutters and repeated words or phrases ("the the", "I, I", "in our in our")."""
    order = kept(units)
    for k in range(len(order) - 1):
        unit, nxt = units[order[k]], units[order[k + 1]]
        # a word cut off and restarted: "th- the", "comp- compute"
        if (
            unit.trail in ("-", "—", "–")
            and unit.core
            and unit.deletable
            and unit.core[-1:].isalpha()
            and nxt.lower.startswith(unit.lower)
        ):
            unit.delete("repeat")
    changed = True
    while changed:
        changed = False
        order = kept(units)
        lowers = [units[i].lower for i in order]
        for n in range(max_n, 0, -1):
            # only positions whose first word recurs n words later can start a repeat;
            # finding them in one pass spares building windows everywhere else
            candidates = [k for k in range(len(order) - 2 * n + 1) if lowers[k] == lowers[k + n]]
            for k in candidates:
                if lowers[k : k + n] != lowers[k + n : k + 2 * n]:
                    continue
                first = [units[i] for i in order[k : k + n]]
                second = [units[i] for i in order[k + n : k + 2 * n]]
                if (
                    all(u.core for u in first)
                    and all(not u.trail for u in first[:-1])
                    and all(not u.trail for u in second[:-1])
                    and first[-1].trail in ("", ",")
                    and all(u.deletable and u.deleted is None for u in first)
                    and not _sentence_end_between(units, order[k], order[k + 2 * n - 1])
                    and _repeat_allowed(lowers[k : k + n], units, order, k)
                ):
                    # drop the earlier copy: the later one carries the sentence on
                    for u in first:
                        u.delete("repeat")
                    changed = True
                    break
            if changed:
                break


def _sentence_before(units: list[Unit], index: int) -> list[int]:
    """Kept unit indices of the sentence that runs up to ``index``."""
    sentence: list[int] = []
    for p in range(index - 1, -1, -1):
        unit = units[p]
        if unit.deleted is not None:
            continue
        if ends_sentence(unit):
            break
        sentence.append(p)
    return sentence[::-1]


def repair_deletions(units: list[Unit], *, continues: bool = False) -> None:
    """Fix punctuation and capitals around deleted runs so the text reads cleanly.

    A sentence end carried by a deleted run moves to the kept word before it; a
    comma left dangling before a removed parenthetical goes; the word that now
    starts a sentence gets a capital. Changes are tagged with the deletion's kind.
    """
    i = 0
    n = len(units)
    while i < n:
        if units[i].deleted is None:
            i += 1
            continue
        j = i
        while j + 1 < n and units[j + 1].deleted is not None:
            j += 1
        run_first, run_last = units[i], units[j]
        prev_index = next((p for p in range(i - 1, -1, -1) if units[p].deleted is None), None)
        next_index = j + 1 if j + 1 < n else None
        prev = units[prev_index] if prev_index is not None else None
        tail = run_last.trail.rstrip("\"'”’)]}*")
        # the last sentence end inside the run ("right? You know,") still ends a sentence
        closer = next((u for u in reversed(units[i : j + 1]) if ends_sentence(u, output=False)), None)
        if prev is not None and not ends_sentence(prev):
            kind = run_first.deleted or "filler"
            if closer is not None:
                mark = closer.trail.rstrip("\"'”’)]}*")[-1]
                if closer.lower in ("right", "know"):
                    # a tag question: the sentence it tagged keeps its own mood
                    mark = "?" if is_question(units, _sentence_before(units, i)) else "."
                prev.set_trail(prev.out_trail.rstrip(",;:") + mark, kind)
            elif (
                tail.endswith(",")
                and prev.out_trail.endswith(",")
                and (
                    next_index is None
                    or units[next_index].lower not in _CLAUSE_STARTERS
                    or prev.lower in CONJUNCTIONS
                )
            ):
                # "it was, you know, hard" -> "it was hard"; but "say, I mean, it works"
                # keeps its comma before the new clause
                prev.set_trail(prev.out_trail[:-1], kind)
            elif tail[-1:] in (";", ":") and prev.out_trail in ("", ","):
                prev.set_trail(tail[-1], kind)
        at_sentence_start = (prev is None and not continues) or (prev is not None and ends_sentence(prev))
        if next_index is not None:
            units[next_index].kinds.setdefault("gap", run_last.deleted or "filler")
        if at_sentence_start and next_index is not None:
            follower = units[next_index]
            core = follower.out_core
            if core[:1].islower() and (len(core) == 1 or not any(c.isupper() for c in core[1:])):
                follower.set_core(core[0].upper() + core[1:], run_last.deleted or "filler")
        i = j + 1
