"""Run-on sentences split where the model hears an end (issue 20 part 2); never a word changed."""

from __future__ import annotations

import re
from pathlib import Path

from castline.clean import apply_edits, clean_episode, edits_of
from castline.clean.units import ends_sentence, tokenize
from castline.model import Episode, Turn

ROOT = Path(__file__).resolve().parents[1]


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text.lower().replace("’", "'"))


def _lengths(text: str) -> list[int]:
    lengths, run = [], 0
    for unit in tokenize(text):
        run += not unit.is_punct
        if ends_sentence(unit):
            lengths.append(run)
            run = 0
    return lengths + ([run] if run else [])


def test_a_buried_question_is_split_out_and_marked() -> None:
    verbatim = (
        "We just get the model to do the thing and the whole thing is adaptive Are you excited "
        "about that my opinion over the years since 2016 has changed a lot on this and I used to "
        "think that everything would become a model"
    )
    ep = Episode(title="t", slug="t", turns=[Turn(None, 0, 30, verbatim, verbatim)])
    clean_episode(ep)
    text = ep.turns[0].text
    assert "adaptive. Are you excited about that?" in text
    assert _words(text) == _words(verbatim)
    assert apply_edits(verbatim, edits_of(ep, 0)) == text


def test_mlst_seed_has_few_sentences_over_45_words() -> None:
    lines = [x for x in (ROOT / "seeds/mlst-eiso-kant.raw.txt").read_text().splitlines() if x.strip()]
    ep = Episode(title="m", slug="m", turns=[Turn(None, i, i + 1.0, x, x) for i, x in enumerate(lines)])
    clean_episode(ep)
    lengths = [n for t in ep.turns for n in _lengths(t.text)]
    # 21 sentences over 45 words (longest 75) before the learned splits
    assert sum(n > 45 for n in lengths) <= 8
    assert max(lengths) <= 70
    for index, turn in enumerate(ep.turns):
        assert _words(turn.text) == _words(apply_edits(turn.verbatim, edits_of(ep, index)))


def test_a_short_punctuated_sentence_is_never_split() -> None:
    verbatim = "We built it in a year, and it works well for the teams that use it every day."
    ep = Episode(title="t", slug="t", turns=[Turn(None, 0, 5, verbatim, verbatim)])
    clean_episode(ep)
    assert ep.turns[0].text == verbatim
