"""Clean-cut spans: removed fillers and long pauses are cut out, everything else kept."""

from __future__ import annotations

from castline.clean import clean_episode
from castline.export.clean_cut import keep_spans, removed_words
from castline.model import Episode, Speaker, Turn, Word


def _episode(timed: list[tuple[str, float, float]]) -> Episode:
    words = [Word(t, a, b) for t, a, b in timed]
    verbatim = " ".join(w.text for w in words)
    turn = Turn("S1", words[0].start, words[-1].end, verbatim, verbatim, words=words)
    return Episode(title="t", slug="t", speakers=[Speaker("S1", "Ada", "guest")], turns=[turn])


def test_filler_and_repeat_are_cut_and_content_kept():
    ep = clean_episode(_episode([
        ("Um,", 0.0, 0.3), ("we", 0.5, 0.7), ("we", 0.8, 1.0), ("built", 1.1, 1.4), ("it.", 1.5, 1.8),
    ]))
    assert ep.turns[0].text == "We built it."
    gone = removed_words(ep.turns[0], ep.edits)
    assert {ep.turns[0].words[i].text for i in gone} == {"Um,", "we"}
    assert len(gone) == 2
    spans = keep_spans(ep, 0.0, 1.8)
    kept = sum(b - a for a, b in spans)
    assert spans[0][0] >= 0.45  # the "Um," is gone
    assert all(not (a < 0.15 < b) for a, b in spans)
    assert kept < 1.8 - 0.3  # filler and stutter removed


def test_long_pause_shortened():
    ep = clean_episode(_episode([("Yes.", 0.0, 0.4), ("Absolutely", 2.4, 3.0), ("right.", 3.1, 3.4)]))
    spans = keep_spans(ep, 0.0, 3.4)
    assert len(spans) == 2
    assert sum(b - a for a, b in spans) < 3.4 - 1.5


def test_without_word_times_the_whole_span_is_kept():
    turn = Turn("S1", 0, 10, "Um, hello there.", "Um, hello there.")
    ep = clean_episode(Episode(title="t", slug="t", speakers=[Speaker("S1", "A")], turns=[turn]))
    assert keep_spans(ep, 0.0, 10.0) == [(0.0, 10.0)]
