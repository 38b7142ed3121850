"""Structure tagging: sponsor reads and cold opens, with turn splitting."""

from __future__ import annotations

from pathlib import Path

from castline.model import Episode, Speaker, Turn
from castline.structure import find_cold_open, is_host_intro, sponsor_spans, tag_structure
from castline.text import sentences

ROOT = Path(__file__).resolve().parents[1]


def episode_of(turns: list[tuple[str, str]]) -> Episode:
    out, clock = [], 0.0
    for speaker, text in turns:
        duration = len(text.split()) / 2.6
        out.append(Turn(speaker, clock, clock + duration, text, text))
        clock += duration
    return Episode(
        title="t",
        slug="t",
        turns=out,
        speakers=[Speaker("S1", "Host Person", "host"), Speaker("S2", "Guest Person", "guest")],
    )


AD_TURN = (
    "That's where we'll pick up after the break. This episode is brought to you by Linewise. "
    "Linewise turns your meeting notes into tickets automatically, and their new planner is "
    "genuinely good. Go to linewise.com slash cast and use code CAST for a month free. "
    "Okay, so back to the conversation. What did the first prototype look like?"
)


def test_sponsor_spans_cover_trigger_to_call_to_action():
    texts = [s.text for s in sentences(AD_TURN)]
    spans = sponsor_spans(texts)
    assert len(spans) == 1
    start, end = spans[0]
    assert texts[start].startswith("This episode is brought to you by")
    assert "use code CAST" in texts[end - 1]
    assert all("back to the conversation" not in t for t in texts[start:end])


def test_sponsor_spans_ignore_ordinary_talk():
    texts = [
        "We were supported by a grant early on.",
        "Go to the second slide and you can see the curve.",
        "Our sponsor at the university was very patient with us.",
        "She read every draft.",
    ]
    assert sponsor_spans(texts) == []
    assert sponsor_spans(["The weather was bad.", "We stayed in."]) == []


def test_weak_trigger_with_call_to_action_is_an_ad():
    texts = [
        "Thanks to our sponsor, Northwind.",
        "Northwind makes standing desks that actually fit in a flat.",
        "Visit northwind.co slash desk for ten percent off.",
        "Right, where were we?",
    ]
    assert sponsor_spans(texts) == [(0, 3)]


def test_tag_structure_splits_the_ad_out_of_a_turn():
    episode = episode_of(
        [("S2", "I think that covers the hardware side."), ("S1", AD_TURN), ("S2", "It was a mess.")]
    )
    words_before = " ".join(t.verbatim for t in episode.turns).split()
    tag_structure(episode)
    assert " ".join(t.verbatim for t in episode.turns).split() == words_before
    ads = [t for t in episode.turns if "ad" in t.tags]
    assert len(ads) == 1
    assert ads[0].verbatim.startswith("This episode is brought to you by Linewise.")
    assert ads[0].verbatim.endswith("use code CAST for a month free.")
    assert ads[0].speaker == "S1"
    host_turns = [t for t in episode.turns if t.speaker == "S1"]
    assert len(host_turns) == 3  # before, ad, after
    assert host_turns[0].end <= ads[0].start + 1e-9 <= ads[0].end <= host_turns[2].start + 1e-9
    assert all(t.text == t.verbatim for t in episode.turns)


def test_edited_turns_are_tagged_whole_not_split():
    episode = episode_of([("S1", AD_TURN)])
    episode.turns[0].text = AD_TURN.replace("genuinely ", "")
    tag_structure(episode)
    assert len(episode.turns) == 1
    assert episode.turns[0].tags == ["ad"] or episode.turns[0].tags == []


QUOTE_A = (
    "The hardest part of building the telescope was not the mirror but the patience to wait for clear nights."
)
QUOTE_B = "Every dataset we trust was once somebody's messy spreadsheet that nobody wanted to clean."


def cold_open_episode() -> Episode:
    body = [
        ("S1", "Welcome to Far Field. I'm joined today by Ines Okoro, who builds small telescopes."),
        ("S2", "Thanks for having me."),
        ("S1", "Where did it start?"),
        ("S2", "In a garage, like everything. " + QUOTE_A + " We lost two winters to clouds."),
        ("S1", "And the data side?"),
        ("S2", "Honestly it was chaos at first. " + QUOTE_B + " So we cleaned it ourselves."),
        ("S1", "What's next for the project?"),
        ("S2", "A second site in the desert, where the nights are clear and the sky is dark."),
    ]
    return episode_of([("S2", QUOTE_A + " " + QUOTE_B)] + body)


def test_find_cold_open_on_sentences():
    episode = cold_open_episode()
    texts = [s.text for t in episode.turns for s in sentences(t.verbatim)]
    assert is_host_intro(texts[2])
    cold = find_cold_open(texts)
    assert cold is not None and cold.end == 2
    assert all(m is not None and m > 2 for m in cold.matches)


def test_tag_structure_tags_cold_open():
    episode = tag_structure(cold_open_episode())
    assert episode.turns[0].tags == ["cold_open"]
    assert not any("cold_open" in t.tags for t in episode.turns[1:])


def test_no_cold_open_without_repetition():
    episode = cold_open_episode()
    episode.turns[0].verbatim = episode.turns[0].text = (
        "Clouds are the enemy of every observatory. Patience is the only tool that always works."
    )
    tag_structure(episode)
    assert not any("cold_open" in t.tags for t in episode.turns)


def test_cold_open_split_from_the_intro_turn():
    episode = cold_open_episode()
    first = episode.turns.pop(0)
    episode.turns[0].speaker = "S1"
    merged = first.verbatim + " " + episode.turns[0].verbatim
    episode.turns[0] = Turn("S1", 0.0, 20.0, merged, merged)
    tag_structure(episode)
    assert episode.turns[0].tags == ["cold_open"]
    assert episode.turns[0].verbatim == QUOTE_A + " " + QUOTE_B
    assert episode.turns[1].verbatim.startswith("Welcome to Far Field.")
    assert "cold_open" not in episode.turns[1].tags


def test_labelled_notebook_lines_get_no_spurious_tags():
    lines = (ROOT / "seeds" / "producer-notebook.labelled.txt").read_text(encoding="utf-8").splitlines()
    episode = episode_of([("S1", line) for line in lines if line.strip()][:60])
    tag_structure(episode)
    assert not any("cold_open" in t.tags for t in episode.turns)
