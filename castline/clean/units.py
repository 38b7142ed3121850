"""Word units of a turn's verbatim text, the edit decisions made on them, and rendering.

A turn is split into *units*: maximal runs of non-space characters, each with
leading punctuation (``lead``), the word itself (``core``) and trailing
punctuation (``trail``). Editing passes never touch strings directly; they mark
units deleted or set their output ``core``/``trail``/gap, each change tagged
with an edit kind. :func:`render` then rebuilds the text and derives the
:class:`~castline.model.Edit` records, so the edits always reproduce the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from castline.model import Edit, Turn

__all__ = [
    "KIND_PRIORITY",
    "Unit",
    "apply_edits",
    "closes_sentence",
    "ends_sentence",
    "is_question",
    "kept",
    "looks_like_code_or_link",
    "render",
    "scan",
    "sentence_spans",
    "tokenize",
]

LEAD_CHARS = "\"'“‘([{¿¡*"
TRAIL_CHARS = ".,;:!?\"'”’)]}…*-—–"
#: Quote and bracket characters: units carrying them are never deleted, so pairs stay balanced.
PAIRED_CHARS = frozenset('"“”‘’()[]{}')
SENTENCE_END = frozenset(".?!…")
#: When one output piece carries several changes, the edit takes the first kind listed here.
KIND_PRIORITY = (
    "false_start",
    "repeat",
    "discourse",
    "filler",
    "glossary",
    "punctuation",
    "case",
    "paragraph",
    "whitespace",
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr vs etc inc ltd co corp approx dept e.g i.e fig vol".split()
)
_QUESTION_SUBJECTS = frozenset("i we you they he she it".split())
_DOTTED_ABBREVIATION = re.compile(r"^(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}$")
_UNIT_RE = re.compile(r"\S+")


@dataclass
class Unit:
    """One whitespace-delimited token of a turn's verbatim, and what editing made of it."""

    start: int
    end: int
    gap_start: int
    lead: str
    core: str
    trail: str
    out_core: str = ""
    out_trail: str = ""
    deleted: str | None = None
    paragraph: bool = False
    kinds: dict[str, str] = field(default_factory=dict)

    #: the core, lower-cased, with typographic apostrophes made plain
    lower: str = field(init=False)
    #: True for a unit made only of punctuation (a dash, a stray comma)
    is_punct: bool = field(init=False)
    #: units holding quotes or brackets are kept so that pairs stay balanced
    deletable: bool = field(init=False)

    def __post_init__(self) -> None:
        self.lower = self.core.lower().replace("’", "'")
        self.is_punct = not self.core
        # most units have no lead and no trail: skip the set tests for them
        lead, trail = self.lead, self.trail
        self.deletable = (not lead or PAIRED_CHARS.isdisjoint(lead)) and (
            not trail or PAIRED_CHARS.isdisjoint(trail)
        )

    def set_core(self, value: str, kind: str) -> None:
        """Set the output word, recording which edit kind changed it."""
        if value != self.out_core:
            self.out_core = value
            self.kinds["core"] = kind

    def set_trail(self, value: str, kind: str) -> None:
        """Set the output trailing punctuation, recording the edit kind."""
        if value != self.out_trail:
            self.out_trail = value
            self.kinds["trail"] = kind

    def delete(self, kind: str) -> None:
        """Drop the unit from the output (first kind wins when passes overlap)."""
        if self.deleted is None:
            self.deleted = kind


#: One token of a verbatim text: start, end, gap_start, lead, core, trail, paragraph.
Token = tuple[int, int, int, str, str, str, bool]


@lru_cache(maxsize=4096)
def scan(verbatim: str) -> tuple[Token, ...]:
    """The tokens of ``verbatim`` as immutable tuples (what :func:`tokenize` turns into units).

    Cached: the clean stage and :func:`~castline.clean.glossary.suggest_glossary`
    both read every turn's tokens.
    """
    tokens: list[Token] = []
    previous_end = 0
    count = verbatim.count
    for match in _UNIT_RE.finditer(verbatim):
        token = match.group()
        start, end = match.span()
        body = token.lstrip(LEAD_CHARS)
        lead = token[: len(token) - len(body)]
        core = body.rstrip(TRAIL_CHARS)
        trail = body[len(core) :]
        if not core:
            # pure punctuation keeps everything in ``trail``; nothing to edit inside
            lead, core, trail = "", "", token
        # a blank line in the source is a paragraph break already (two newlines need a
        # gap of at least two characters, which spares the count for single spaces)
        paragraph = bool(previous_end) and start - previous_end >= 2 and count("\n", previous_end, start) >= 2
        tokens.append((start, end, previous_end, lead, core, trail, paragraph))
        previous_end = end
    return tuple(tokens)


def tokenize(verbatim: str) -> list[Unit]:
    """Split ``verbatim`` into :class:`Unit` s with their character offsets."""
    units: list[Unit] = []
    for start, end, gap_start, lead, core, trail, paragraph in scan(verbatim):
        unit = Unit(
            start=start,
            end=end,
            gap_start=gap_start,
            lead=lead,
            core=core,
            trail=trail,
            out_core=core,
            out_trail=trail,
        )
        if paragraph:
            unit.paragraph = True
            unit.kinds["gap"] = "whitespace"
        units.append(unit)
    return units


def kept(units: list[Unit]) -> list[int]:
    """Indices of the units not deleted so far."""
    return [i for i, unit in enumerate(units) if unit.deleted is None]


def ends_sentence(unit: Unit, *, output: bool = True) -> bool:
    """True when ``unit`` closes a sentence (terminal punctuation, not an abbreviation)."""
    if output:
        return closes_sentence(unit.out_trail, unit.out_core, unit.is_punct)
    return closes_sentence(unit.trail, unit.core, unit.is_punct)


def closes_sentence(raw: str, core: str, is_punct: bool) -> bool:
    """:func:`ends_sentence` on a unit's parts: its trailing punctuation and word."""
    if not raw:
        return False  # the common case: no trailing punctuation at all
    if is_punct and raw[:1] in "([{":
        return False  # "(!!!)" or "[…]" inside a sentence
    trail = raw.rstrip("\"'”’)]}*")
    if not trail or trail[-1] not in SENTENCE_END:
        return False
    if trail[-1] in "?!" and len(trail) < len(raw):
        return False  # a quoted question inside a sentence: “Are we on track?” debate
    if trail.endswith(".") and not trail.endswith("..."):
        # "Dr.", "etc.", "Ph.D.", "U.S." rarely end a sentence
        if core.lower() in _ABBREVIATIONS or _DOTTED_ABBREVIATION.match(core):
            return False
    return True


def looks_like_code_or_link(core: str) -> bool:
    """URLs, e-mail addresses, paths, handles and model names such as "o3" or "iPhone"."""
    return (
        "://" in core
        or core.startswith(("www.", "@", "#", "/"))
        or "@" in core
        or any(c.isdigit() for c in core)
        or any(c.isupper() for c in core[1:])
        or "_" in core
    )


_QUESTION_AUX = frozenset(
    "do does did is are was were can could would will should have has don't doesn't isn't".split()
)
_WH = frozenset("what why how where who when which".split())


def is_question(units: list[Unit], sentence: list[int]) -> bool:
    """An inverted question: "Do you ...", "What is ...", "How did we ..."."""
    words = [units[i].lower for i in sentence if not units[i].is_punct]
    if len(words) < 2:
        return False
    if words[0] in _QUESTION_AUX:
        return words[1] in _QUESTION_SUBJECTS | {"the", "this", "that", "there", "anyone"}
    return words[0] in _WH and words[1] in _QUESTION_AUX


def sentence_spans(units: list[Unit], order: list[int]) -> list[list[int]]:
    """Group the unit indices in ``order`` into sentences by their output punctuation."""
    spans: list[list[int]] = []
    current: list[int] = []
    for i in order:
        current.append(i)
        if ends_sentence(units[i]):
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    return spans


def _gap_out(units: list[Unit], i: int, first_kept: bool) -> tuple[str, str | None]:
    unit = units[i]
    if first_kept:
        return "", None
    if unit.paragraph:
        return "\n\n", "paragraph"
    if unit.is_punct and unit.trail[:1] in ",.;:!?":
        return "", None
    return " ", None


def _word_char(char: str) -> bool:
    return char.isalnum() or char in "'’-"


def _keeps_word_whole(original: str, replacement: str, cut: int, rcut: int, *, kept_before: bool) -> bool:
    """True when trimming at ``cut``/``rcut`` would leave part of a word unchanged and part edited.

    ``kept_before``: the unchanged part is before the cut (a common prefix), else after it
    (a common suffix). A cut between a word and whitespace in both strings splits nothing:
    a paragraph break is recorded as " " -> "\n\n", not "We" -> "We".
    """
    kept = original[cut - 1] if kept_before else original[cut]
    if not _word_char(kept):
        return False
    if kept_before:
        edge = original[cut : cut + 1], replacement[rcut : rcut + 1]
    else:
        edge = original[cut - 1 : cut], replacement[rcut - 1 : rcut]
    return not (edge[0].isspace() and edge[1].isspace())


def render(turn: Turn, units: list[Unit], turn_index: int) -> tuple[str, list[Edit]]:
    """Rebuild the turn's text from the unit decisions and derive its edits."""
    verbatim = turn.verbatim
    pieces: list[tuple[int, int, str, str | None]] = []  # start, end, output, kind
    first = True
    for i, unit in enumerate(units):
        original = verbatim[unit.gap_start : unit.end]
        if unit.deleted is not None:
            pieces.append((unit.gap_start, unit.end, "", unit.deleted))
            continue
        gap, gap_kind = _gap_out(units, i, first)
        first = False
        output = gap + unit.lead + unit.out_core + unit.out_trail
        if output == original:
            pieces.append((unit.gap_start, unit.end, output, None))
            continue
        candidates = []
        if unit.out_core != unit.core:
            candidates.append(unit.kinds.get("core", "case"))
        if unit.out_trail != unit.trail:
            candidates.append(unit.kinds.get("trail", "punctuation"))
        if gap != verbatim[unit.gap_start : unit.start]:
            candidates.append(unit.kinds.get("gap", gap_kind or "whitespace"))
        kind = min(candidates, key=KIND_PRIORITY.index) if candidates else "whitespace"
        pieces.append((unit.gap_start, unit.end, output, kind))
    tail_start = units[-1].end if units else 0
    if tail_start < len(verbatim):
        pieces.append((tail_start, len(verbatim), "", "whitespace"))

    text = "".join(piece[2] for piece in pieces)
    edits: list[Edit] = []
    run: list[tuple[int, int, str, str | None]] = []

    def flush() -> None:
        if not run:
            return
        start, end = run[0][0], run[-1][1]
        original = verbatim[start:end]
        replacement = "".join(piece[2] for piece in run)
        # trim what the edit leaves unchanged so the record shows only the change
        prefix = 0
        while prefix < min(len(original), len(replacement)) and original[prefix] == replacement[prefix]:
            prefix += 1
        suffix = 0
        while (
            suffix < min(len(original), len(replacement)) - prefix
            and original[-1 - suffix] == replacement[-1 - suffix]
        ):
            suffix += 1
        # ...but never inside a word: "DeepSeq" -> "DeepSeek" is the record, not "q" -> "ek".
        # A cut at a word's edge is fine: a paragraph break is " " -> "\n\n", not "We" -> "We".
        while prefix > 0 and _keeps_word_whole(original, replacement, prefix, prefix, kept_before=True):
            prefix -= 1
        while suffix > 0 and _keeps_word_whole(
            original, replacement, len(original) - suffix, len(replacement) - suffix, kept_before=False
        ):
            suffix -= 1
        start, end = start + prefix, end - suffix
        replacement = replacement[prefix : len(replacement) - suffix]
        if verbatim[start:end] == replacement:
            run.clear()  # pieces that undo each other change nothing: no edit on record
            return
        edits.append(
            Edit(
                kind=run[0][3] or "whitespace",
                original=verbatim[start:end],
                replacement=replacement,
                turn=turn_index,
                start=start,
                end=end,
                time_start=turn.time_at(start, of="verbatim"),
                time_end=turn.time_at(end, of="verbatim"),
            )
        )
        run.clear()

    for piece in pieces:
        if piece[3] is None:
            flush()
            continue
        if run and run[-1][3] != piece[3]:
            flush()
        run.append(piece)
    flush()
    return text, edits


def apply_edits(verbatim: str, edits: list[Edit]) -> str:
    """Apply ``edits`` (offsets into ``verbatim``) and return the edited text.

    Raises ``ValueError`` when edits overlap or do not match ``verbatim``.
    """
    out: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            raise ValueError(f"overlapping edit at {edit.start}: {edit!r}")
        if verbatim[edit.start : edit.end] != edit.original:
            raise ValueError(f"edit does not match verbatim at {edit.start}: {edit!r}")
        out.append(verbatim[cursor : edit.start])
        out.append(edit.replacement)
        cursor = edit.end
    out.append(verbatim[cursor:])
    return "".join(out)
