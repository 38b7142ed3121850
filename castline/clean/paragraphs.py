"""Paragraph breaks for long turns, placed where the topic shifts.

Boundaries are chosen between sentences, TextTiling-style: the lexical overlap
(cosine of content-word counts) between the sentences before and after each
candidate; the lowest overlap within the allowed paragraph length wins.
"""

from __future__ import annotations

import math
from collections import Counter

from castline.clean.units import Unit, kept, sentence_spans
from castline.clean.words import FUNCTION_WORDS
from castline.text import heading_line

__all__ = ["MAX_PARAGRAPH_WORDS", "MIN_PARAGRAPH_WORDS", "mark_heading_lines", "mark_paragraphs"]

MIN_PARAGRAPH_WORDS = 40
MAX_PARAGRAPH_WORDS = 140
_WINDOW = 2


def _bag(units: list[Unit], sentence: list[int]) -> Counter[str]:
    bag: Counter[str] = Counter()
    for i in sentence:
        word = units[i].out_core.lower()
        if word and word not in FUNCTION_WORDS and len(word) > 2:
            bag[word.rstrip("s") if len(word) > 4 else word] += 1
    return bag


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def mark_paragraphs(units: list[Unit]) -> int:
    """Split a long turn into paragraphs of a few sentences; returns breaks added.

    Paragraph breaks already in the source (blank lines) are kept; only blocks
    that are still too long are divided.
    """
    blocks: list[list[int]] = []
    for index in kept(units):
        if not blocks or units[index].paragraph:
            blocks.append([])
        blocks[-1].append(index)
    return sum(_divide(units, block) for block in blocks)


def _divide(units: list[Unit], order: list[int]) -> int:
    sentences = sentence_spans(units, order)
    lengths = [sum(1 for i in s if not units[i].is_punct) for s in sentences]
    total = sum(lengths)
    if total <= MAX_PARAGRAPH_WORDS or len(sentences) < 4:
        return 0
    bags = [_bag(units, s) for s in sentences]
    added = 0
    start = 0
    while sum(lengths[start:]) > MAX_PARAGRAPH_WORDS:
        best: tuple[float, int] | None = None
        running = 0
        for b in range(start + 1, len(sentences)):
            running += lengths[b - 1]
            if running < MIN_PARAGRAPH_WORDS:
                continue
            if running > MAX_PARAGRAPH_WORDS and best is not None:
                break
            if sum(lengths[b:]) < MIN_PARAGRAPH_WORDS * 0.75:
                break
            left = sum((bags[i] for i in range(max(start, b - _WINDOW), b)), Counter())
            right = sum((bags[i] for i in range(b, min(len(bags), b + _WINDOW))), Counter())
            # low overlap = topic shift; a mild pull towards ~90-word paragraphs
            value = _cosine(left, right) + abs(running - 90) / 300
            if best is None or value < best[0]:
                best = (value, b)
        if best is None:
            break
        b = best[1]
        units[sentences[b][0]].paragraph = True
        added += 1
        start = b
    return added


def mark_heading_lines(units: list[Unit], verbatim: str) -> int:
    """Set a heading line of a turn apart as its own paragraph; returns breaks added.

    Written sources (show notes, newsletters read aloud, pasted posts) put a
    title on a line of its own, with no closing punctuation. Joined to the next
    line by a space it reads as one run-on sentence ("Image segmentation using
    Gemini 2.5 Ultra-cheap image segmentation feature ..."); a paragraph break
    on both sides keeps it a line of its own. See :func:`castline.text.heading_line`.
    """
    if "\n" not in verbatim.strip():
        return 0
    lines: list[tuple[int, str]] = []  # (offset, text) of each line
    offset = 0
    for text in verbatim.split("\n"):
        lines.append((offset, text))
        offset += len(text) + 1
    first_unit = {unit.start: i for i, unit in enumerate(units)}

    def unit_at(line: int) -> Unit | None:
        start, text = lines[line]
        index = first_unit.get(start + len(text) - len(text.lstrip()))
        return units[index] if index is not None and index > 0 else None

    added = 0
    for k in range(len(lines) - 1):
        line, following = lines[k][1], lines[k + 1][1]
        previous = lines[k - 1][1] if k > 0 else None
        if not heading_line(line, following, previous):
            continue
        for unit in (unit_at(k), unit_at(k + 1)):
            if unit is not None and not unit.paragraph:
                unit.paragraph = True
                added += 1
    return added
