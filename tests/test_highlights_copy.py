"""Copy a producer would post: quotes that stand alone, hooks from the clip's own words,
links on every post, clips that are not the guest's biography, and the episode copy."""

from __future__ import annotations

import copy
import re

import pytest
from test_segment import episode_from_lines

from castline import pipeline
from castline.highlights import (
    copy_problems,
    make_episode_copy,
    make_highlights,
    make_previews,
    quote_in_post,
    reference_problem,
    standalone_problem,
    verify_quotes,
)
from castline.model import Episode, Speaker, Turn
from castline.segment.clips import biography_turns, find_clips, pick_counts
from castline.segment.sentence_units import sentence_units

MLST = "mlst-eiso-kant.raw.txt"
TEMPLATES = re.compile(
    r"learn first-hand|get wrong about|actually matters about|numbers really say|matters more than it seems"
    r"|in their own words"
)


def _mlst(processed_seeds) -> Episode:
    (_raw, episode), = processed_seeds[MLST]
    return episode


def _all(processed_seeds) -> list[Episode]:
    return [ep for pairs in processed_seeds.values() for _raw, ep in pairs]


@pytest.mark.parametrize(
    "quote",
    [
        "I don't buy it. I don't think that's actually what I'm seeing in the models.",
        "I will even say to the controversy of some that I don't think they stole data.",
        "We've also done a lot of work with them, not just on the go-to-market side.",
        "He was wrong about reinforcement learning.",
        "That is the whole point of the exercise.",
        "I love that, and I think we should all do more of it.",
        "It costs 5 dollars a month and everyone pays.",
    ],
)
def test_reference_problem_flags_a_referent_outside_the_quote(quote):
    assert reference_problem(quote)


@pytest.mark.parametrize(
    "quote",
    [
        "It's hard to overstate how much compute matters.",
        "The models are getting better, and they learn fast.",
        "Anthropic built Claude and they did it well.",
        "I think that the reality is simple.",
        "This year we shipped three products.",
        "[Generalisation] isn't what we see in the models.",
        "My dad taught me to code and he was right about it.",
        "Software development is not about writing code. It's about the world.",
    ],
)
def test_reference_problem_accepts_quotes_that_name_their_subject(quote):
    assert reference_problem(quote) is None


def test_standalone_problem_flags_tags_and_sponsor_reads():
    assert standalone_problem("I was at the [inaudible 00:24:15] meeting and the demo broke.")
    assert standalone_problem("The demo broke [laughs] and the room went quiet.")
    assert standalone_problem("This episode is brought to you by Acme, the widget people.")
    assert standalone_problem("Use code CAST for 20% off your first order today.")
    assert standalone_problem("If I have... A software developer who never makes a mistake.")
    assert standalone_problem("Batteries will never be the hard part of the grid again.") is None


def test_real_quotes_stand_alone_and_are_not_reused(processed_seeds):
    """On every seed's real output: no preview or post opens on a referent it never names,
    none starts lower-case or holds a transcriber's tag, and no post repeats a preview."""
    checked = 0
    for ep in _all(processed_seeds):
        units = sentence_units(ep)
        preview_units = {
            u.index for p in ep.previews for a, b in p.spans for u in units if u.turn == p.turn and u.start < b and a < u.end
        }
        for p in ep.previews:
            assert reference_problem(p.text) is None, p.text
            assert p.text[:1].isupper() or p.text[:1].isdigit(), p.text
            assert standalone_problem(p.text) is None, p.text
            checked += 1
        for h in ep.highlights:
            assert reference_problem(h.text) is None, h.text
            assert standalone_problem(h.text) is None, h.text
            used = {u.index for u in units if u.turn == h.turn and u.start < h.char_end and h.char_start < u.end}
            assert not used & preview_units, h.text
            assert all(h.text not in p.text and p.text not in h.text for p in ep.previews)
            checked += 1
        for clip in ep.clips:
            for post in clip.thread[1:]:
                for quoted in re.findall(r"“([^”]+)”", post):
                    words = quote_in_post(quoted)
                    assert not any(words in p.text or p.text in words for p in ep.previews), post
    assert checked >= 20


def test_mlst_previews_and_posts_are_the_guests_sure_words(processed_seeds):
    ep = _mlst(processed_seeds)
    roles = {s.id: s.role for s in ep.speakers}
    assert ep.previews and ep.highlights
    for item in [*ep.previews, *ep.highlights]:
        assert roles.get(item.speaker) == "guest"
        # The MLST profile's quote_min_confidence (0.5): no quote from an uncertain turn.
        assert ep.turns[item.turn].confidence >= 0.5


def test_tags_and_untagged_sponsor_reads_stay_out_of_quotes():
    speakers = [Speaker("S1", "Ann Host", "host"), Speaker("S2", "Bo Guest", "guest")]
    lines = [
        ("S1", "How cheap can solar power actually get in the next ten years?"),
        ("S2", "Solar panels cost four dollars a watt in 2008 [inaudible 00:24:15] and now twenty cents. "
               "Permits are the real bottleneck for the grid, not storage [laughs]. "
               "Batteries will never be the hard part of the energy transition again. "
               "Every utility in Texas knows the interconnection queue is the whole game."),
        ("S1", "This show is brought to you by Acme. Head over to acme.com slash cast for a free trial today. "
               "Acme makes the best widgets for every grid engineer in the whole wide world."),
        ("S2", "Nuclear has a floor price because turbines cost thirty five dollars a megawatt hour. "
               "Solar has no such floor, and that single fact decides the next thirty years of energy."),
    ]
    ep = episode_from_lines(lines, speakers=speakers, title="Solar", show="Grid Talk")
    ep.previews = make_previews(ep)
    ep.highlights = make_highlights(ep)
    quotes = [p.text for p in ep.previews] + [h.tweet for h in ep.highlights]
    assert quotes
    for q in quotes:
        assert "[inaudible" not in q and "[laughs]" not in q
        assert "Acme" not in q and "free trial" not in q
    # A guest is on: the host's question is no preview.
    assert all(p.speaker == "S2" for p in ep.previews)


def _timed_episode(minutes: float) -> Episode:
    turns, t = [], 0.0
    while t < minutes * 60:
        turns.append(Turn(speaker="S1", start=t, end=t + 60, text="Words here.", verbatim="Words here."))
        t += 60
    return Episode(title="T", slug="t", turns=turns, speakers=[Speaker("S1", "Ann", "host")])


def test_counts_follow_the_episodes_length():
    short, hour, long = (pick_counts(_timed_episode(m)) for m in (12, 60, 150))
    assert short == {"previews": 3, "highlights": 3, "clips": 1}
    assert hour == {"previews": 8, "highlights": 12, "clips": 3}
    assert long == {"previews": 8, "highlights": 12, "clips": 5}
    # Sponsor reads and the introduction are not talk.
    ep = _timed_episode(60)
    for turn in ep.turns[:30]:
        turn.tags = ["ad"]
    assert pick_counts(ep)["highlights"] == 6


def test_every_post_ends_on_the_link(processed_seeds):
    ep = copy.deepcopy(_mlst(processed_seeds))
    settings = pipeline.Settings(show="MLST", url="https://example.org/ep/{slug}")
    ep = pipeline.run_stage("highlights", ep, settings)
    link = f"https://example.org/ep/{ep.slug}"
    assert ep.metadata["url"] == link
    assert ep.highlights and ep.clips
    for h in ep.highlights:
        assert h.tweet.endswith(link), h.tweet
    for clip in ep.clips:
        assert link in clip.thread[-1]
    assert link in ep.metadata["copy"]["description"]
    assert verify_quotes(ep) == []


def test_biography_exchange_is_no_clip_and_no_quote(processed_seeds):
    ep = _mlst(processed_seeds)
    bio = biography_turns(ep)
    asked = [i for i in bio if "about yourself" in ep.turns[i].text]
    assert asked, "the seed's 'tell us a little bit about yourself' is found"
    for clip in ep.clips:
        assert "about yourself" not in clip.text
        assert not set(range(clip.turn_start, clip.turn_end + 1)) & bio
    for item in [*ep.previews, *ep.highlights]:
        assert item.turn not in bio


def test_clips_open_on_a_threads_start(processed_seeds):
    ep = _mlst(processed_seeds)
    roles = {s.id: s.role for s in ep.speakers}
    units = sentence_units(ep)
    for clip in ep.clips:
        first = next(u for u in units if u.turn == clip.turn_start and abs(u.time_start - clip.start) < 0.05)
        if roles.get(first.speaker) == "host":
            assert first.text.rstrip().endswith("?"), first.text
        assert reference_problem(first.text) is None, first.text


def test_mlst_hooks_are_the_clips_own_words(processed_seeds):
    ep = _mlst(processed_seeds)
    assert ep.clips
    for clip in ep.clips:
        hook = clip.thread[0]
        assert not TEMPLATES.search(hook), hook
        quoted = re.findall(r"“([^”]+)”", hook)
        if quoted:
            assert all(quote_in_post(q) in clip.text for q in quoted)
        else:
            assert hook.split("\n")[0] in clip.text or hook.startswith(clip.title)
        # Threads say who is speaking.
        assert "Eiso Kant" in hook or "Tim Scarfe" in hook


@pytest.mark.parametrize(
    "question",
    ["So given everything you just said about that, how does it play out?",
     "How much of the world's critical code doesn't?"],
)
def test_a_host_setup_question_that_leans_back_opens_no_clip(question):
    speakers = [Speaker("S1", "Ann Host", "host"), Speaker("S2", "Bo Guest", "guest")]
    answer = ("Solar panels cost four dollars a watt in 2008 and under twenty cents today. "
              "The truth is that most people think storage is the bottleneck, but permits are. "
              "In Texas we built ten acres of panels in six weeks and waited two years for a permit. "
              "Batteries will never be the hard part again, and every utility I talk to knows it. "
              "Nuclear has a floor price because turbines cost thirty five dollars a megawatt hour before fuel. "
              "Solar has no such floor, and that single fact decides the next thirty years of energy.")
    lines = [("S1", question), ("S2", answer)]
    ep = episode_from_lines(lines, speakers=speakers, title="Solar", show="Grid Talk")
    clips = find_clips(ep, count=1)
    assert clips and clips[0].turn_start == 1


def test_mlst_episode_copy_follows_the_rules(processed_seeds):
    ep = _mlst(processed_seeds)
    c = ep.metadata["copy"]
    assert copy_problems(ep, c) == []
    titles = c["titles"]
    assert len(titles) == 5
    assert all(len(t) <= 70 and "Eiso Kant" in t for t in titles)
    assert len({t.lower() for t in titles}) == 5
    assert 120 <= c["description_words"] <= 300
    assert "Eiso Kant is the co-founder and CTO of Poolside AI" in c["description"]
    assert 3 <= len(c["takeaways"]) <= 5
    for t in c["takeaways"]:
        assert ep.turns[t["turn"]].text[t["char_start"] : t["char_end"]] == t["text"]
        assert t["time"] in c["description"]
    assert c["sponsors"] == ["Tufa AI Labs"] and "Sponsor: Tufa AI Labs." in c["description"]
    assert all(ch.title in c["description"] for ch in ep.chapters)
    assert 1 <= len(c["cover"]) <= 3 and all(len(x.split()) <= 6 for x in c["cover"])


def test_topics_are_topics_not_lines_or_everyday_words(processed_seeds):
    from castline.highlights.episode_copy import _generic

    assert _generic("Real World") and _generic("Point of View") and not _generic("Reinforcement Learning")
    topics = _mlst(processed_seeds).metadata["copy"]["topics"]
    assert topics and not any(_generic(t) or t.startswith(("You ", "I ", "We ")) for t in topics)


def test_every_seed_gets_copy_with_sound_titles(processed_seeds):
    for ep in _all(processed_seeds):
        c = ep.metadata["copy"]
        assert c["titles"], ep.title
        assert all(len(t) <= 70 for t in c["titles"])
        assert len({t.lower() for t in c["titles"]}) == len(c["titles"])
        assert c["description"].strip()


def test_episode_copy_of_an_empty_episode():
    c = make_episode_copy(Episode(title="Empty", slug="empty"))
    assert c["titles"] == ["Empty"] and c["takeaways"] == [] and c["guest"] is None


def test_profile_gives_url_sponsors_and_confidence(tmp_path, monkeypatch):
    from castline.shows import find_profile

    (tmp_path / "grid.yaml").write_text(
        "name: Grid Talk\nhosts: [Ann Host]\nsponsors: [Acme Widgets]\n"
        "url: https://example.org/grid/{slug}\nquote_min_confidence: 0.7\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CASTLINE_SHOWS", str(tmp_path))
    settings = pipeline.build_settings(show="grid")
    assert settings.url == "https://example.org/grid/{slug}"
    assert settings.sponsors == ["Acme Widgets"] and settings.quote_min_confidence == 0.7
    assert pipeline.build_settings(show="grid", url="https://x.test/1").url == "https://x.test/1"
    (tmp_path / "bad.yaml").write_text("name: Bad\nquote_min_confidence: lots\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml: quote_min_confidence"):
        find_profile("bad", tmp_path)


def test_episode_copy_is_written_beside_episode_json(processed_seeds, tmp_path):
    import json

    from castline.export import write_outputs

    ep = _mlst(processed_seeds)
    paths = write_outputs(ep, tmp_path / "out")
    text = paths["episode-copy.md"].read_text(encoding="utf-8")
    c = ep.metadata["copy"]
    assert all(t in text for t in c["titles"]) and c["description"] in text
    data = json.loads(paths["episode.json"].read_text(encoding="utf-8"))
    assert data["metadata"]["copy"]["titles"] == c["titles"]
    assert data["metadata"]["copy"]["takeaways"][0]["turn"] == c["takeaways"][0]["turn"]
    # An episode without copy says so instead of writing an empty file.
    bare = Episode(title="Bare", slug="bare")
    assert "No copy" in write_outputs(bare, tmp_path / "bare")["episode-copy.md"].read_text(encoding="utf-8")


def test_speakers_take_the_profiles_spelling():
    from castline.highlights import respell_speakers

    ep = episode_from_lines(
        [("S1", "How cheap can solar power actually get, do you think?"),
         ("S2", "Solar has no floor price, and that single fact decides the next thirty years of energy.")],
        speakers=[Speaker("S1", "Tim Scarfe", "host"), Speaker("S2", "Izo Kant", "guest"),
                  Speaker("S3", "Unknown", "other")],
        title="Solar", show="MLST",
    )
    settings = pipeline.Settings(show="MLST", speakers=[Speaker("S1", "Tim Scarfe", "host")],
                                 glossary=["Eiso Kant", "Eiso", "Poolside"])
    ep = pipeline.run_stage("highlights", ep, settings)
    assert [s.name for s in ep.speakers] == ["Tim Scarfe", "Eiso Kant", "Unknown"]
    assert ep.metadata["respelled_speakers"] == {"Izo Kant": "Eiso Kant"}
    assert all("Izo" not in h.tweet for h in ep.highlights)
    # A name far from every spelling stays as heard.
    other = Episode(title="t", slug="t", speakers=[Speaker("S1", "Maria Lopez", "guest")])
    assert respell_speakers(other, ["Eiso Kant"]) == {} and other.speakers[0].name == "Maria Lopez"


def test_titles_alike_compares_what_titles_say():
    from castline.highlights.episode_copy import titles_alike

    names = ["Eiso Kant"]
    assert titles_alike("“You don't fine-tune your way to AGI” — Eiso Kant", "Eiso Kant: You can't fine tune your way to AGI", names)
    assert titles_alike("Eiso Kant on Reinforcement Learning", "Eiso Kant on Reinforcement Learning and Scale", names)
    # The shared name alone, or one title inside another, does not make two titles alike.
    assert not titles_alike("Eiso Kant on Reinforcement Learning", "Eiso Kant on Human Level Intelligence", names)
    assert not titles_alike("Nathan Lambert on Anthropic", "Claude 4 and anthropics bet on code", ["Nathan Lambert"])
