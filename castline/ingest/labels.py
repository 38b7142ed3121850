"""Recognising speaker labels: ``Name: text`` lines and ``Name HH:MM:SS`` header lines.

The hard part is not firing on prose ("Here's an example: ..."): a label must look like a
name (1-4 capitalised words, no sentence punctuation, not a function word or a common
non-speaker label such as ``Note``), and a file only counts as labelled when such labels
repeat (see :func:`labels_are_speakers`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from castline.ingest.common import TIME_RE, parse_timestamp
from castline.text import STOPWORDS

__all__ = [
    "HeaderLine",
    "LabelLine",
    "labels_are_speakers",
    "parse_header_line",
    "parse_label_line",
    "plausible_name",
]

# Words that open "Label: text" lines but name no speaker.
_NOT_SPEAKERS = frozenset(
    """note notes nb ps pps update updates edit edited example examples source sources warning
    caution tip tips step part chapter section title subtitle date time location place episode
    season subject re fwd cc bcc from to link links url transcript summary tldr tl;dr disclaimer
    warning answer question result results reason reasons conclusion introduction intro outro
    background context definition problem solution fact idea lesson takeaway takeaways quote
    breaking correction important key bonus sponsor sponsors ad ads press email phone
    website twitter instagram youtube github http https www figure table image photo video audio
    read listen watch see also via credit credits thanks tags tag category topic topics keywords
    agenda goal goals pros cons input output error status version release day week month year
    monday tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december price cost total""".split()
)

# Stop words that are also given names ("Will MacAskill", "May Habib").
_GIVEN_NAME_STOPWORDS = frozenset({"will", "may"})

# Lowercase words allowed inside a name ("Ludwig van Beethoven", "Maria de la Cruz").
_PARTICLES = frozenset("van von der den de del della di da dos du la le bin al ibn st".split())

_NAME_WORD = re.compile(r"^(?:[^\W\d_][\w'’.\-]*|\d{1,3}|[A-Z]+_\d+)$")
_CAPITALISED = re.compile(r"^[^\W\d_]")

#: ``Name: text``, optionally with a time before or after the name and Markdown bold
#: around the label: ``[00:01:02] Name: text``, ``Name (00:01:02): text``, ``**Name:** text``.
_LABEL_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<time_before>{TIME_RE})[\])]?\s*[-–—|]?\s+)?"
    rf"(?:\*\*)?(?P<name>[^:：\n\[\]()*]{{1,48}}?)(?:\*\*)?"
    rf"(?:\s*[\[(]?(?P<time_after>{TIME_RE})[\])]?)?"
    r"\s*[:：](?:\*\*)?(?:\s+(?P<text>\S.*?)|\s*)$"
)

#: ``Name HH:MM:SS`` alone on a line (also ``Name (00:01)``, ``Name - 00:01:02``, ``Name | 1:02``).
_HEADER_LINE = re.compile(
    rf"^\s*(?P<name>[^:：\n\[\]()]{{1,48}}?)\s*[-–—|,]?\s*[\[(]?(?P<time>{TIME_RE})[\])]?\s*$"
)

#: The same with the time first: ``[00:01:02] Name``, ``00:01:02 - Name``.
_HEADER_LINE_TIME_FIRST = re.compile(
    rf"^\s*[\[(]?(?P<time>{TIME_RE})[\])]?\s*[-–—|,]?\s*(?P<name>[^:：\n\[\]()]{{1,48}}?)\s*$"
)


@dataclass(frozen=True)
class LabelLine:
    """A ``Name: text`` line; ``text`` is empty when the label stands alone."""

    name: str
    text: str
    time: float | None


@dataclass(frozen=True)
class HeaderLine:
    """A ``Name HH:MM:SS`` header line."""

    name: str
    time: float


def plausible_name(label: str) -> bool:
    """True when ``label`` could be a speaker name or speaker tag.

    Accepts 1-4 words, each capitalised (particles such as ``van``/``de`` allowed inside),
    an all-caps tag (``HOST``, ``Q``), ``SPEAKER_00``, or a tag ending in a number
    (``Speaker 1``). Rejects function words, sentence punctuation and common non-speaker
    labels (``Note``, ``Example``, ``Update``).
    """
    label = " ".join(label.split())
    if not label or len(label) > 48:
        return False
    tokens = label.split(" ")
    if len(tokens) > 4:
        return False
    first = re.sub(r"['’]s$", "", tokens[0]).casefold()
    if first in _NOT_SPEAKERS:
        return False
    if first in STOPWORDS and not (
        first in _GIVEN_NAME_STOPWORDS and len(tokens) > 1 and not tokens[1].isdigit()
    ):
        return False
    for position, token in enumerate(tokens):
        if not _NAME_WORD.match(token):
            return False
        if token.isdigit():
            # Numbers only as the tag's last word ("Speaker 2"), never alone.
            if position == 0 or position != len(tokens) - 1:
                return False
            continue
        # Capitalised, or a letter from a script without case (CJK, Arabic, ...).
        if _CAPITALISED.match(token) and not token[0].islower():
            continue
        if 0 < position < len(tokens) - 1 and token in _PARTICLES:
            continue
        return False
    # Possessives and trailing dots read as prose ("Kernighan’s Law", "etc.").
    last = tokens[-1]
    if re.search(r"['’]s$", last) or (last.endswith(".") and len(last) > 2):
        return False
    return True


def parse_label_line(line: str) -> LabelLine | None:
    """The label of a ``Name: text`` line, or None when the line has no plausible label."""
    match = _LABEL_LINE.match(line)
    if match is None:
        return None
    name = " ".join(match["name"].split())
    if not plausible_name(name):
        return None
    stamp = match["time_before"] or match["time_after"]
    return LabelLine(name, (match["text"] or "").strip(), parse_timestamp(stamp) if stamp else None)


def parse_header_line(line: str) -> HeaderLine | None:
    """The speaker and time of a ``Name HH:MM:SS`` (or ``[HH:MM:SS] Name``) header line, or None."""
    match = _HEADER_LINE.match(line) or _HEADER_LINE_TIME_FIRST.match(line)
    if match is None:
        return None
    name = " ".join(match["name"].split())
    if not plausible_name(name):
        return None
    return HeaderLine(name, parse_timestamp(match["time"]))


def labels_are_speakers(names: list[str], nonempty_lines: int) -> bool:
    """Decide whether label names found in a file are speaker labels rather than prose.

    Speaker labels repeat: at least two labels, and either most labelled lines use a name
    that occurs more than once, or labels start at least half of the file's lines.
    """
    if len(names) < 2:
        return False
    counts = Counter(" ".join(n.split()).casefold() for n in names)
    repeated = sum(c for c in counts.values() if c > 1)
    return repeated >= 0.5 * len(names) or len(names) >= 0.5 * max(nonempty_lines, 1)
