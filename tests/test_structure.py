"""Structure tagging: sponsor reads and cold opens, with turn splitting."""

from __future__ import annotations

from pathlib import Path

from castline.model import Episode, Speaker, Turn
from castline.segment.structure import (
    find_cold_open,
    intro_span,
    is_host_intro,
    outro_start,
    sponsor_spans,
    tag_structure,
)
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


def test_a_show_named_sponsor_line_with_a_spoken_address_is_an_ad():
    # How ASR writes a read: the show's own name before "is supported by", the
    # address spelled out ("dot com"), and the host handing back by the guest's name.
    texts = [
        "You told me a number before we started recording that I did not believe.",
        "Field Notes is supported by Thistle and Loam, the seed company that ships regional seed.",
        "They test every lot for germination each season.",
        "Go to thistleandloam dot com and use the code FIELDNOTES for twenty percent off.",
        "That's thistleandloam dot com, code FIELDNOTES.",
        "Okay, back to Marcus.",
        "So. The roof. Give me the number.",
    ]
    assert sponsor_spans(texts) == [(1, 5)]


def test_supported_by_in_ordinary_talk_is_not_an_ad():
    texts = [
        "The claim is supported by about forty years of data.",
        "Most of it is from field stations in the north.",
        "And the rest of it comes from the dot com era's old surveys.",
    ]
    assert sponsor_spans(texts) == []


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


def test_intro_runs_from_the_show_welcome_to_the_guest_welcome():
    texts = [
        "Welcome to Field Notes, the show about people who work outside.",
        "I'm Dana Whitfield.",
        "My guest today spent fifteen years as a structural engineer.",
        "He now keeps forty colonies across eleven roofs.",
        "Marcus, welcome to the show.",
        "Thanks for having me, Dana.",
        "So how did an engineer end up with bees?",
        "It started with a wall that was full of them.",
    ]
    assert intro_span(texts) == (0, 6)
    # After a cold open the search starts past it.
    assert intro_span(["A line we will hear later.", *texts], start_from=1) == (1, 7)


def test_no_welcome_means_the_intro_is_its_one_sentence():
    texts = ["My guest today is a historian of maps.", "She found the oldest one in a drawer.", "Really?"]
    assert intro_span(texts) == (0, 1)
    # The show's opening lines before the cue belong to the introduction.
    assert intro_span(["This is Deep Water.", "I'm Priya Raman.", *texts]) == (0, 3)
    talk = [f"Sentence {k} of the conversation about maps and rivers." for k in range(12)]
    assert intro_span([*talk, *texts]) == (12, 13)
    assert intro_span(["We talked about maps.", "Then about rivers."]) is None


def test_outro_is_found_in_the_closing_stretch_only():
    body = [f"Point number {k} about the harbour and its trade." for k in range(40)]
    thanks_midway = [*body[:10], "Thank you so much for joining the team back then, she said.", *body[10:]]
    closing = [
        "Marcus, this has been so much fun.",
        "Where can people find you?",
        "I'm at the farmers market every Saturday.",
        "That's it for this episode.",
    ]
    assert outro_start([*thanks_midway, *closing]) == len(thanks_midway)
    assert outro_start(thanks_midway) is None


def test_intro_and_closing_are_tagged_and_never_quoted():
    turns = [
        ("S1", "Welcome to the Harbour Hour. My guest today is Ana Ruiz, who dives on wrecks. Ana, welcome to the show."),
        ("S2", "Thanks for having me."),
        *[
            ("S1" if k % 2 == 0 else "S2", f"Here is a longer answer number {k} about the wreck and the divers who found it.")
            for k in range(30)
        ],
        ("S1", "Ana, it's been a pleasure. Where can people find you?"),
        ("S2", "My lab's website, and I'm on the radio on Sundays."),
    ]
    episode = tag_structure(episode_of(turns))
    tags = [t.tags for t in episode.turns]
    assert tags[0] == ["intro"] and tags[1] == ["intro"]
    assert tags[-2] == ["outro"] and tags[-1] == ["outro"]
    assert all(t == [] for t in tags[2:-2])
