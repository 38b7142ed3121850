"""Sentence units of an unlabelled transcript: the pieces a speaker change can fall between.

ASR chunks are joined into one text (:func:`join_chunks`), split into
sentences across chunk boundaries, and run-on sentences are also cut where a
chunk ends (:func:`sentence_units`). Offsets into the joined text map back to
the chunks' times (:func:`time_at`).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from castline.model import Turn
from castline.text import heading_line
from castline.text import sentences as split_sentences

__all__ = ["SentenceUnit", "join_chunks", "regroup_turns", "sentence_units", "time_at", "token_start"]


@dataclass
class SentenceUnit:
    """A sentence (or a piece of a run-on sentence) of the joined transcript."""

    text: str
    start: int
    end: int
    words: int


def sentence_units(text: str, spans_of_chunks: list[tuple[int, int]]) -> list[SentenceUnit]:
    """Sentences of ``text``; run-on sentences are also cut at chunk boundaries."""
    chunk_starts = [s for s, _ in spans_of_chunks]
    units: list[SentenceUnit] = []
    for s in _sentences_by_block(text, spans_of_chunks):
        pieces = [(s.start, s.end)]
        if len(s.text.split()) > 40:
            cuts = [c for c in chunk_starts if s.start < c < s.end]
            bounds = [s.start, *cuts, s.end]
            pieces = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
        for a, b in pieces:
            piece = text[a:b].strip()
            if piece:
                lead = len(text[a:b]) - len(text[a:b].lstrip())
                units.append(SentenceUnit(piece, a + lead, a + lead + len(piece), len(piece.split())))
    return units


def _sentences_by_block(text: str, spans_of_chunks: list[tuple[int, int]]):
    """Sentences of ``text``, segmenting blocks of chunks separately.

    pysbd slows down sharply on long texts, so the text is cut where a chunk
    ends a sentence (terminal punctuation) and each block is segmented alone;
    sentences still run across chunks that end mid-sentence.
    """
    from castline.text import Sentence

    block_start = 0
    out = []
    for index, (_, end) in enumerate(spans_of_chunks):
        last = index == len(spans_of_chunks) - 1
        block_words = len(text[block_start:end].split())
        if last or (re.search(r"[.?!…][\"”')\]]*$", text[block_start:end]) and block_words >= 30):
            stop = len(text) if last else end
            for s in split_sentences(text[block_start:stop]):
                out.append(Sentence(s.text, s.start + block_start, s.end + block_start))
            block_start = stop
    return out


def join_chunks(chunks: list[Turn]) -> tuple[str, list[tuple[int, int]]]:
    """The chunks' stripped texts joined by spaces, and each chunk's span in it.

    A chunk that is a heading (:func:`castline.text.heading_line`) is joined by
    a line break instead, so it does not run on into the next chunk's sentence.
    """
    texts = [turn.verbatim.strip() for turn in chunks]
    joined: list[str] = []
    spans: list[tuple[int, int]] = []
    cursor = 0
    for k, text in enumerate(texts):
        if k:
            heading = heading_line(texts[k - 1], text, texts[k - 2] if k > 1 else None)
            joined.append("\n" if heading else " ")
            cursor += 1
        spans.append((cursor, cursor + len(text)))
        joined.append(text)
        cursor += len(text)
    return "".join(joined), spans


def token_start(text: str, offset: int) -> int:
    """``offset`` moved back to the start of the token it falls in.

    Sentences can start inside a token when ASR glues them ("end.Next"); a turn
    cut there would split one word in two.
    """
    while offset > 0 and not text[offset - 1].isspace():
        offset -= 1
    return offset


def time_at(offset: int, spans: list[tuple[int, int]], chunks: list[Turn]) -> float:
    """Time at character ``offset`` of the joined text, from the source chunk's times."""
    starts = [s for s, _ in spans]
    k = max(0, bisect.bisect_right(starts, offset) - 1)
    start, end = spans[k]
    local = min(max(offset - start, 0), end - start)
    chunk = chunks[k]
    # Offsets are into the stripped chunk; shift back to its verbatim.
    lead = len(chunk.verbatim) - len(chunk.verbatim.lstrip())
    if offset >= end and k + 1 < len(chunks):
        return chunk.end
    return chunk.time_at(local + lead, of="verbatim")


def regroup_turns(
    chunks: list[Turn],
    full: str,
    spans: list[tuple[int, int]],
    units: list[SentenceUnit],
    states: Sequence[int],
    speaker_ids: Sequence[str],
    confidence: Callable[[int, int, int], float],
) -> list[Turn]:
    """Turns of the decoded ``states`` (one per unit): a new turn where the state changes.

    Each turn's ``verbatim`` is the exact source text of its units (turns start
    between tokens, see :func:`token_start`), its times come from the chunks'
    times or, when every chunk has one per word, from the word timings, and
    its ``confidence`` is ``confidence(first unit, end unit, state)``.
    """
    # Word timings survive regrouping when every chunk has one per word.
    all_words = None
    if all(t.words and len(t.words) == len(t.verbatim.split()) for t in chunks):
        all_words = [w for t in chunks for w in t.words]
    new_turns: list[Turn] = []
    run_start = 0
    for i in range(1, len(units) + 1):
        if i < len(units) and states[i] == states[run_start]:
            continue
        a = 0 if run_start == 0 else token_start(full, units[run_start].start)
        b = len(full) if i == len(units) else token_start(full, units[i].start)
        raw = full[a:b]
        lead = len(raw) - len(raw.lstrip())
        text = raw.strip()
        if not text:  # a turn inside one token ("end.Next"): its words go on
            run_start = i
            continue
        a += lead
        b = a + len(text)
        state = states[run_start]
        conf = confidence(run_start, i, state)
        turn = Turn(
            speaker=speaker_ids[state],
            start=time_at(a, spans, chunks),
            end=time_at(b, spans, chunks),
            text=text,
            verbatim=text,
            confidence=round(min(max(conf, 0.0), 1.0), 3),
        )
        # Only when the turn starts between words (not inside "end.Next").
        if all_words is not None and (a == 0 or full[a - 1].isspace()):
            first = len(full[:a].split())
            turn_words = all_words[first : first + len(text.split())]
            if len(turn_words) == len(text.split()):
                turn.words = [dataclasses.replace(w, speaker=turn.speaker) for w in turn_words]
                turn.start, turn.end = turn_words[0].start, turn_words[-1].end
        new_turns.append(turn)
        run_start = i
    return new_turns
