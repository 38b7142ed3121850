"""The fast paths of the text helpers give exactly what the slow ones give.

``castline.text`` hands only ambiguous text to pysbd; plain prose is split
directly. Every split here is compared with pysbd's own. The clean stage's token
cache is checked against fresh tokenisation.
"""

from __future__ import annotations

import random

import pytest

from castline.clean.units import scan, tokenize
from castline.text import _independent_pieces, _plain_sentences, _pysbd_sentences, _pysbd_spans, sentences

SAMPLES = [
    "So we built it. Then we shipped it. Did it work? Yes! It did.",
    "we went home. then we slept. and that was it",
    "Dr. Smith met Mr. Jones at the U.S. embassy. They talked.",
    "Use a tool, e.g. a linter. It helps, i.e. it finds bugs.",
    "The score was 3.5 out of 5. Not bad.",
    "It was 2019. Then 2020 came. Then 5. Then 12. Done.",
    "Wait... what? I mean... okay. Sure.",
    'He said "stop. go now." and left. Then he came back.',
    "She asked (quietly. very quietly.) and waited. Nothing.",
    "Visit https://example.com/a.b today. Or www.castline.io. Thanks.",
    "J. R. R. Tolkien wrote it. Plan B. Then plan C.",
    "Really? yes. Is it? no! it isn't. Wow! Great.",
    "It is. is it? That is is. So it is. I think so.",
    "Send it to me. I will read it. me. I.",
    "Approx. I think ten. No. 5 is next. Art. 3 applies.",
    "It costs $5. That's 20%. Fine.",
    "Yahoo! Is a company. Yum! Good.",
    "  Leading and trailing spaces. Both sides.  ",
    "One sentence with no end",
    "The 1st. The 2nd. The -3. The 100. Done.",
    "Item a. first. Item b. second. Item iv. fourth.",
    "Line one.\nLine two.\n\nNew paragraph. End.",
    "We use GPT-4o. It's fast. Claude 3.7 is slow.",
    "That's what ‘they’ said. Then 'we' said it. ’Tis fine.",
    "Stop-- wait --go. Now.",
    "What?! No way!! Really??? Yes.",
    "He left at 5 p.m. Then he came back at 6 a.m. The end.",
    "The D.Phil. thesis. The Ph.D. defence. The d phil. ok.",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_sentences_equal_pysbd(text: str) -> None:
    assert tuple(sentences(text)) == _pysbd_sentences(text)


def test_plain_path_takes_plain_prose() -> None:
    # the fast path must actually be used for ordinary prose, or it saves nothing
    assert _plain_sentences("So we built it. Then we shipped it. did it work? Yes!") is not None
    assert _plain_sentences("Dr. Smith arrived. Then he left.") is None
    assert _plain_sentences("The score was 3.5 out of 5. Not bad.") is None


_WORDS = (
    "we it the model is was so and I me is no etc approx Dr Mr e.g i.e U.S UIs Arc vs "
    "St Jan al co Inc it's don't GPT-4o 2019 12 5 a B iv x Yahoo Yum 3.5 20% $5"
).split()
_MARKS = ["", "", "", ",", ".", ".", "?", "!", ";", ":", "...", "?!", '."', ".)"]


_PLAIN_MARKS = ["", "", "", ",", ".", ".", "?", "!"]


def _random_text(rng: random.Random) -> str:
    # half the texts near the fast path's edge (plain marks, single spaces), half anywhere
    marks, spaces = (_PLAIN_MARKS, [" "]) if rng.random() < 0.5 else (_MARKS, [" ", " ", "  "])
    parts = []
    for _ in range(rng.randint(1, 12)):
        word = rng.choice(_WORDS)
        if rng.random() < 0.4:
            word = word.capitalize()
        parts.append(word + rng.choice(marks))
    return rng.choice(["", " "]) + rng.choice(spaces).join(parts)


def test_sentences_equal_pysbd_on_random_text() -> None:
    rng = random.Random(7)
    plain = 0
    for _ in range(4000):
        text = _random_text(rng)
        if not text.strip():
            continue
        fast = _plain_sentences(text)
        if fast is not None:
            plain += 1
            assert fast == _pysbd_sentences(text), text
    assert plain > 400  # the generator reaches the fast path often enough to test it


_SENTENCES = [
    "So we built the whole thing ourselves over about two years.",
    "Did it work for the customers we had?",
    "Yes, and then we raised money from investors.",
    "that was the hard part, honestly.",
    "Dr. Smith joined us in Jan. and left in June.",
    "Claude 3.7 came out and we tried it with a temperature of 0.7 first.",
    "It was fine, e.g. for tests, i.e. the boring bits.",
    "Wow! Great stuff there.",
    "Yahoo! Was the name of the company.",
    "Wait... what happened next?",
    "So the answer is no. The plan stays.",
    "He works at Acme Inc. in the U.S. these days.",
    "and we never looked back",
]
# What makes pysbd read across sentences: quotes, brackets, lists.
_RISKY = [
    "We said 'no' to them.",
    'He said "stop. go now." and left.',
    "The players' union said nothing at all.",
    "Item a. first and item b. second.",
    "They counted 1. apples and 2. pears.",
    "She asked (quietly. very quietly.) and waited.",
]


def _long_text(rng: random.Random) -> str:
    def part() -> str:
        roll = rng.random()
        return rng.choice(_RISKY) if roll < 0.02 else rng.choice(_SENTENCES) if roll < 0.96 else _random_text(rng)

    parts = [part() for _ in range(rng.randint(2, 40))]
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice([" ", " ", " ", " ", "\n", "\n\n", " \n"]) + part
    return text


def test_split_at_independent_cuts_equals_pysbd_on_the_whole() -> None:
    rng = random.Random(11)
    pieced = 0
    for _ in range(1500):
        text = _long_text(rng)
        pieced += _independent_pieces(text) is not None
        assert tuple(sentences(text)) == _pysbd_sentences(text), text
    assert pieced > 200  # the cut path is taken often enough to be tested


def test_seed_turns_split_as_pysbd_splits_them() -> None:
    from pathlib import Path

    from castline.ingest import read_episodes

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    pieced = 0
    for path in sorted(seeds.glob("*.txt")):
        for episode in read_episodes(path):
            for turn in episode.turns:
                pieced += _independent_pieces(turn.text) is not None
                assert tuple(sentences(turn.text)) == _pysbd_sentences(turn.text), turn.text[:200]
    assert pieced >= 20


def test_scan_matches_tokenize() -> None:
    text = 'Well, "so"  we\n\nbuilt (it) -- um... the the thing.'
    units = tokenize(text)
    assert [(u.start, u.end, u.gap_start, u.lead, u.core, u.trail, u.paragraph) for u in units] == list(
        scan(text)
    )
    assert units[0] is not tokenize(text)[0]  # fresh units each call: passes mutate them


@pytest.mark.parametrize("text", SAMPLES)
def test_found_offsets_equal_pysbd_spans(text: str) -> None:
    # Offsets found by search must be the ones pysbd's char_span mode reports.
    assert _pysbd_sentences(text) == _pysbd_spans(text)
