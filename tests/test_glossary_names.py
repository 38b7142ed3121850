"""Name repairs beyond the given glossary (issue 20 part 4): the episode's own spellings,
the field's well-known names, topic homophones, and the suggestions left after them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from castline.clean import apply_edits, clean_episode, edits_of, suggest_glossary
from castline.model import Episode, Turn

ROOT = Path(__file__).resolve().parents[1]
MLST_TITLE = "Eiso Kant (Poolside): scaling reinforcement learning for code"


def episode(*texts: str, title: str = "t") -> Episode:
    turns = [Turn(None, 10.0 * i, 10.0 * i + 10, t, t) for i, t in enumerate(texts)]
    return Episode(title=title, slug="t", turns=turns)


def mlst(title: str = MLST_TITLE) -> Episode:
    lines = [x for x in (ROOT / "seeds/mlst-eiso-kant.raw.txt").read_text().splitlines() if x.strip()]
    return episode(*lines, title=title)


def mlst_glossary() -> list[str]:
    profile = yaml.safe_load((ROOT / "shows/mlst.yaml").read_text())
    return [*profile["glossary"], "Tim Scarfe", "Eiso Kant"]


def text_of(ep: Episode) -> str:
    return " ".join(t.text for t in ep.turns)


@pytest.fixture(scope="module")
def cleaned_mlst() -> Episode:
    return clean_episode(mlst(), glossary=mlst_glossary())


def test_mlst_names_are_repaired(cleaned_mlst: Episode) -> None:
    text = text_of(cleaned_mlst)
    # a well-known name of the field, heard as no English word
    assert "Tranium" not in text and "Trainium 1 and Trainium 2" in text
    # spelled right elsewhere in the episode, and a name the field knows
    assert "Kapathi" not in text and "Gwern and Karpathy were on Twitter" in text
    # the sponsor as the show's profile spells it, "2" heard for "Tu"
    assert "MLST is sponsored by Tufa AI Labs." in text and "2forAI" not in text
    # the episode's own spelling: Poolside 14 times, Paulside once
    assert "Paulside" not in text


def test_skill_becomes_scale_only_where_the_talk_is_of_scaling(cleaned_mlst: Episode) -> None:
    text = text_of(cleaned_mlst)
    assert "we don't agree with scale. I think scale massively matters" in text
    assert "in terms of what scale means" in text
    # far from any talk of scaling, "skill" is the word meant
    assert "turn them into new skill programs" in text
    assert "work at certain skills that before" in text
    assert "they need to be skilled up" in text


def test_skill_stays_when_the_episode_is_not_about_scaling() -> None:
    ep = clean_episode(mlst(title="Eiso Kant on code agents"), glossary=mlst_glossary())
    text = text_of(ep)
    assert "agree with skill. I think skill massively matters" in text
    assert " scale means" not in text
    # the names do not need the title
    assert "Trainium 1" in text


def test_every_name_repair_is_on_record(cleaned_mlst: Episode) -> None:
    pairs = [(e.original, e.replacement) for e in cleaned_mlst.edits if e.kind == "glossary"]
    assert ("Tranium", "Trainium") in pairs
    assert ("skill", "scale") in pairs
    assert ("Gwen", "Gwern") in pairs
    # "Kapathi, you know," goes as one edit with the marker it stood beside
    assert any("Kapathi" in e.original and "Karpathy" in e.replacement for e in cleaned_mlst.edits)
    for index, turn in enumerate(cleaned_mlst.turns):
        assert apply_edits(turn.verbatim, edits_of(cleaned_mlst, index)) == turn.text


def test_suggestions_list_only_what_is_still_unrepaired(cleaned_mlst: Episode) -> None:
    heard = {h for h, _, _ in suggest_glossary(cleaned_mlst)}
    text = text_of(cleaned_mlst)
    assert not heard & {"Paulside", "Kapathi", "Tranium", "DeepSeq", "2forAI"}
    assert all(h in text for h in heard)


def test_a_name_spelled_twice_repairs_its_mishearing() -> None:
    ep = clean_episode(
        episode(
            "We read what Karpathy wrote.",
            "I agree with Karpathy on this.",
            "Then Kapathi said it again.",
        )
    )
    assert ep.turns[2].text == "Then Karpathy said it again."
    assert [(e.original, e.replacement) for e in ep.edits if e.kind == "glossary"] == [("Kapathi", "Karpathy")]


@pytest.mark.parametrize(
    "verbatim",
    [
        # real words are never names without evidence
        "You might grok something a little more general.",
        "In an LLM context it is about sampling.",
        "The second generation, XAI, Poolside, Mistral, all started then.",
        "Gwen said hello to us.",
        "We went to see Dale and Dale said that Dale likes Claude.",
        "And Frances told us about Francis.",
    ],
)
def test_real_words_and_names_are_left_alone(verbatim: str) -> None:
    ep = clean_episode(episode(verbatim))
    assert not [e for e in ep.edits if e.kind == "glossary"], ep.edits


def test_other_names_and_inflections_of_an_episode_name_are_kept() -> None:
    ep = clean_episode(
        episode(
            "We write JavaScript all day and JavaScript at night.",
            "Some of us loved JavaScript before LiveScript came along.",
            "The NodeList API returns NodeLists, and a NodeList is not an array.",
        )
    )
    assert not [e for e in ep.edits if e.kind == "glossary"]


def test_names_off_keeps_only_the_given_glossary() -> None:
    ep = clean_episode(episode("We have done a lot of work around Tranium 2."), names=False)
    assert ep.turns[0].text == "We have done a lot of work around Tranium 2."
    ep = clean_episode(episode("We have done a lot of work around Tranium 2."))
    assert ep.turns[0].text == "We have done a lot of work around Trainium 2."
