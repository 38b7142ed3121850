"""Restarts and repairs (issue 20 part 3): what a speaker abandons goes, on record; what is meant stays."""

from __future__ import annotations

import pytest

from castline.clean import apply_edits, clean_episode, edits_of
from castline.clean.evaluate import inject_disfluencies, score_cleanup
from castline.model import Episode, Turn


def clean(text: str) -> tuple[str, list]:
    ep = Episode(title="t", slug="t", turns=[Turn(None, 0, 5, text, text)])
    clean_episode(ep)
    assert apply_edits(ep.turns[0].verbatim, edits_of(ep, 0)) == ep.turns[0].text
    return ep.turns[0].text, ep.edits


@pytest.mark.parametrize(
    ("verbatim", "expected", "kind", "removed"),
    [
        ("And then we -- we built the engine in a year.", "And then we built the engine in a year.",
         "repeat", " we --"),
        ("It -- it took us a lot longer.", "It took us a lot longer.", "repeat", "It -- it"),
        ("We built -- we built it ourselves.", "We built it ourselves.", "repeat", "We built -- we"),
        ("And I— I think that is right.", "And I think that is right.", "repeat", " I—"),
        ("So the -- we built it ourselves.", "So we built it ourselves.", "false_start", " the --"),
        ("I think the, the model is good.", "I think the model is good.", "repeat", " the,"),
        ("So what, what I mean is that it works.", "So what I mean is that it works.", "repeat", " what,"),
    ],
)
def test_restarts_are_removed_with_an_edit(verbatim: str, expected: str, kind: str, removed: str) -> None:
    text, edits = clean(verbatim)
    assert text == expected
    assert [(e.kind, e.original) for e in edits if e.kind in ("repeat", "false_start")] == [(kind, removed)]


@pytest.mark.parametrize(
    "verbatim",
    [
        "It was very, very hard.",
        "No, no, no, that is wrong.",
        "Yeah, yeah, we shipped it.",
        "It was really, really good.",
        # a parenthetical between two dashes, and an apposition of content words
        "The model -- which we trained -- is small.",
        "We -- this matters a lot -- built it.",
        "The most powerful form of writing — writing about why you write.",
        "It is good -- the best we have.",
        "And -- we did it.",
    ],
)
def test_meant_repetition_and_asides_stay(verbatim: str) -> None:
    text, edits = clean(verbatim)
    assert text == verbatim
    assert not [e for e in edits if e.kind in ("repeat", "false_start")]


def test_restart_injection_leaves_the_earlier_injection_alone() -> None:
    text = "We built the engine in a year. What do you think of it? The team said we should try. " * 6
    plain = inject_disfluencies(text, seed=2)
    restarted = inject_disfluencies(text, seed=2, restarts=1.0)
    assert plain.chunks == inject_disfluencies(text, seed=2, restarts=0.0).chunks
    assert restarted.injected["dash_repeat"] + restarted.injected["dash_fragment"] > 0
    assert " -- " in restarted.noisy and " -- " not in plain.noisy


def test_most_put_in_restarts_are_removed() -> None:
    text = (
        "We built the engine in a year, and it took us a while to get there. I think the model "
        "is good. What do you think of it? The team said we should try it on the new data. So "
        "what we did was simple: we wrote the tests first and then the code. It was hard work. "
    ) * 8
    score = score_cleanup(text, seed=1, restarts=1.0)
    assert score.error_removed > 0.8
    assert score.content_kept > 0.995
