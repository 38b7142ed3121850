"""Speaker names the user gave, or the input's labels spell, repair misheard names."""

from __future__ import annotations

from castline.ingest import read_text
from castline.pipeline import build_settings, run_stage

LABELLED = """Priya Raman: This is Deep Water Hour. My guests today are Tom Keswig and Elena Souza. Welcome to the show.

Tom Keswick: Thanks for having us.

Elena Sousa: Glad to be here. Elena said that to everyone, Tom says.

Priya Raman: Speaker two will answer first, then.
"""


def _through_clean(text: str, path: str, speakers: str = ""):
    [episode] = read_text(text, path=path)
    settings = build_settings(speakers=speakers)
    for stage in ("speakers", "structure", "clean"):
        episode = run_stage(stage, episode, settings)
    return episode


def test_labels_spell_the_names_the_intro_misheard():
    episode = _through_clean(LABELLED, "deep-water.txt")
    assert episode.metadata["known_speaker_names"] == ["Priya Raman", "Tom Keswick", "Elena Sousa"]
    text = " ".join(t.text for t in episode.turns)
    assert "Tom Keswick and Elena Sousa" in text
    # The repairs are recorded edits, and a first name with a verb stays as spoken.
    assert {(e.original, e.replacement) for e in episode.edits if e.kind == "glossary"} == {
        ("Keswig", "Keswick"),
        ("Souza", "Sousa"),
    }
    assert "Elena said that to everyone, Tom says." in text


def test_given_names_repair_an_unlabelled_transcript_but_heard_names_do_not():
    raw = (
        "Welcome to Field Notes. I'm Dana Whitfield. My guest today keeps bees on eleven roofs.\n"
        "Marcus Oyler Ran, welcome to the show.\nThanks, Dana. It's great to be here.\n"
        "So how did a structural engineer end up with forty colonies of bees?\n"
        "It started with a wall full of them, in a building I was inspecting.\n"
    )
    given = _through_clean(raw, "field-notes.txt", speakers="Dana Whitfield:host,Marcus Oyelaran:guest")
    assert "Marcus Oyelaran, welcome to the show." in " ".join(t.text for t in given.turns)
    heard = _through_clean(raw, "field-notes.txt")
    # Names found by ear are the transcript's own spelling: nothing to repair towards.
    assert heard.metadata["known_speaker_names"] == []
    assert not [e for e in heard.edits if e.kind == "glossary"]
