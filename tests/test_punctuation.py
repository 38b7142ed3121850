"""Learned punctuation and casing (issue 20 part 1) and an edit log without no-op edits (part 5).

``tests/fixtures/changelog/test-slice.jsonl`` holds episodes of the corpus test
shows (CC BY-SA 4.0, see ``bench/CORPUS.md``), never trained or tuned on.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import pytest

from castline.clean import clean_episode, clean_turn
from castline.clean.punctuation import load_punctuation_model, mark_restored_punctuation, strip_text
from castline.clean.units import apply_edits, render, tokenize
from castline.model import Episode, Turn

ROOT = Path(__file__).resolve().parents[1]
SLICE = ROOT / "tests" / "fixtures" / "changelog" / "test-slice.jsonl"


def _bench(name: str):
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dialogues() -> list[dict]:
    return [json.loads(line) for line in SLICE.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def model():
    loaded = load_punctuation_model()
    assert loaded is not None, "castline/clean/punctuation_model.npz is shipped with the package"
    return loaded


def test_the_shipped_weights_record_their_corpus(model):
    pinned = _bench("changelog_corpus").PINNED_COMMIT
    assert model.meta["corpus_commit"] == pinned


def test_restores_punctuation_on_held_out_shows_better_than_the_baseline(model):
    bench = _bench("punctuation")
    result = bench.evaluate(_dialogues()[:3], model)
    m, b = result["model"], result["baseline"]
    assert result["words"] > 10_000
    assert m["period"] > b["period"] + 0.15
    assert m["comma"] > 0.5 > b["comma"]
    assert m["question"] > 0.5 > b["question"]
    assert m["case"] > b["case"] + 0.02


def _bare_turn(text: str) -> Turn:
    return Turn(None, 0.0, 60.0, "", " ".join(strip_text(text)))


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text.lower().replace("’", "'"))


def test_only_punctuation_and_case_change_never_a_word(model):
    turns = [t for d in _dialogues()[:2] for t in d["turns"] if len(t["text"].split()) > 40][:40]
    assert turns
    restored_marks = 0
    for index, source in enumerate(turns):
        turn = _bare_turn(source["text"])
        units = tokenize(turn.verbatim)
        mark_restored_punctuation(units, model=model)
        text, edits = render(turn, units, index)
        assert _words(text) == _words(turn.verbatim)
        assert apply_edits(turn.verbatim, edits) == text
        assert {e.kind for e in edits} <= {"punctuation", "case"}
        for edit in edits:
            assert _words(edit.original) == _words(edit.replacement)
        restored_marks += sum(text.count(c) for c in ".,?")
    assert restored_marks > 100


def test_the_clean_stage_punctuates_a_chunk_the_asr_left_bare(model):
    chunk = (
        "so we said well where does the majority sit and it sits in software development in enterprises "
        "right seventy percent of all dollars go there so what do you think about that"
    )
    episode = clean_episode(Episode(title="t", slug="t", turns=[Turn(None, 0.0, 20.0, "", chunk)]))
    text = episode.turns[0].text
    assert text.count(".") + text.count("?") >= 2
    assert text.rstrip().endswith("?")
    assert text[0].isupper()
    assert apply_edits(chunk, episode.edits) == text
    kinds = {e.kind for e in episode.edits}
    assert "punctuation" in kinds and "case" in kinds


def test_already_punctuated_text_is_left_alone(model, monkeypatch):
    turns = [t["text"] for d in _dialogues()[:2] for t in d["turns"]][:200]
    with_model = [clean_turn(Turn(None, 0.0, 5.0, "", text), 0)[0] for text in turns]
    monkeypatch.setenv("CASTLINE_PUNCTUATION_MODEL", str(ROOT / "no-such-weights.npz"))
    assert load_punctuation_model() is None
    without = [clean_turn(Turn(None, 0.0, 5.0, "", text), 0)[0] for text in turns]
    from castline.clean.units import ends_sentence, tokenize

    def longest(text: str, stop) -> int:
        most = run = 0
        for unit in tokenize(text):
            run += not unit.is_punct
            most = max(most, run)
            run = 0 if stop(unit) else run
        return most

    for text, a, b in zip(turns, with_model, without, strict=True):
        # a run-on sentence, or a stretch of 30 words without a mark, is split by the model
        if longest(text, ends_sentence) <= 45 and longest(text, lambda u: bool(u.out_trail)) < 30:
            assert a == b  # nothing for the model to do
        else:
            # only a run-on sentence is split, and no word changes
            assert _words(a) == _words(b)


def test_a_long_bare_stretch_inside_a_punctuated_turn_is_restored(model):
    bare = " ".join(strip_text(
        "We moved everything to the cloud, and it was fine. We had no choice at all. "
        "If the system is old, the team knows it well. What would you do? Would you rewrite it "
        "or would you keep the old one running for another year?"
    ))
    verbatim = f"Thanks for having me. {bare} That's the story."
    text, edits = clean_turn(Turn(None, 0.0, 30.0, "", verbatim), 0)
    assert text.startswith("Thanks for having me.") and text.endswith("That's the story.")
    assert text.count("?") + text.count(".") + text.count(",") >= 5
    assert _words(text) == _words(verbatim)


def test_twenty_thousand_words_restore_well_under_two_seconds(model):
    words = [w for d in _dialogues()[:2] for t in d["turns"] for w in strip_text(t["text"])]
    words = (words * (20_000 // len(words) + 1))[:20_000]
    model.predict(words[:50])
    # CPU time of this process, not wall time: the suite shares its cores with others
    t0 = time.process_time()
    punct, case = model.predict(words)
    assert len(punct) == len(case) == 20_000
    assert time.process_time() - t0 < 2.0
