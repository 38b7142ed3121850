"""Reader for labelled text: ``Name: text`` lines and ``Name HH:MM:SS`` header blocks.

One reader serves both formats because real files mix them (a notebook of excerpts has
header blocks, ``Name: text`` exchanges and unlabelled lines side by side). A header line
opens a block: the lines after it are that speaker's until the next header or label. A
``Name: text`` line is one turn; unlabelled lines after it continue that speaker. Lines
before the first label or header are unlabelled turns (speaker None), one per line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from castline.ingest.common import DraftTurn, merge_same_speaker
from castline.ingest.labels import (
    HeaderLine,
    LabelLine,
    labels_are_speakers,
    parse_header_line,
    parse_label_line,
)

__all__ = ["LineScan", "read_labelled", "scan_lines"]


@dataclass
class LineScan:
    """Which lines of a text are speaker headers or speaker labels (by line index)."""

    headers: dict[int, HeaderLine]
    labels: dict[int, LabelLine]
    nonempty: int


def _headers_with_body(lines: list[str], headers: dict[int, HeaderLine]) -> int:
    """How many headers are followed (blank lines aside) by a line that is not a header."""
    count = 0
    for index in headers:
        following = next((j for j in range(index + 1, len(lines)) if lines[j].strip()), None)
        if following is not None and following not in headers:
            count += 1
    return count


def scan_lines(lines: list[str]) -> LineScan:
    """Find header lines and *accepted* speaker-label lines in ``lines``.

    Label lines count only when the file's labels behave like speaker labels
    (:func:`labels_are_speakers`); then a label is kept when its name repeats, names a
    header speaker, or labels are dense enough that single-turn speakers are plausible.
    """
    headers: dict[int, HeaderLine] = {}
    candidates: dict[int, LabelLine] = {}
    nonempty = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        nonempty += 1
        header = parse_header_line(line)
        if header is not None:
            headers[index] = header
            continue
        label = parse_label_line(line)
        if label is not None:
            candidates[index] = label
    # Headers need bodies: a run of "Title 12:30" lines is a chapter list, not speech.
    if _headers_with_body(lines, headers) < max(1, 2 / 3 * len(headers)):
        headers = {}
    header_names = {h.name.casefold() for h in headers.values()}
    names = [c.name for c in candidates.values()]
    labels: dict[int, LabelLine] = {}
    if labels_are_speakers(names, nonempty) or (header_names and names):
        counts = Counter(n.casefold() for n in names)
        dense = len(names) >= 0.5 * max(nonempty, 1)
        labels = {
            i: c
            for i, c in candidates.items()
            if dense or counts[c.name.casefold()] > 1 or c.name.casefold() in header_names
        }
    return LineScan(headers, labels, nonempty)


def read_labelled(text: str) -> tuple[list[DraftTurn], dict[str, int]]:
    """Draft turns of a labelled text and counts of what was found (for metadata)."""
    lines = text.split("\n")
    scan = scan_lines(lines)
    drafts: list[DraftTurn] = []
    current: str | None = None
    pending_time: float | None = None
    unlabelled = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if index in scan.headers:
            header = scan.headers[index]
            current, pending_time = header.name, header.time
            continue
        if index in scan.labels:
            label = scan.labels[index]
            current, pending_time = label.name, label.time
            if not label.text:
                continue  # a label alone on its line: the text follows
            drafts.append(DraftTurn(current, label.text, start=pending_time))
            pending_time = None
            continue
        if current is None:
            unlabelled += 1
        drafts.append(DraftTurn(current, line.strip(), start=pending_time))
        pending_time = None
    counts = {
        "header_lines": len(scan.headers),
        "label_lines": len(scan.labels),
        "unlabelled_lines": unlabelled,
    }
    return merge_same_speaker(drafts, "\n"), counts
