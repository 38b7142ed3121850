"""Previews, highlights, threads and the fidelity check, inline and on every seed."""

from __future__ import annotations

import re
import time

import pytest
from test_segment import all_seed_episodes, episode_from_lines, mlst_episode

from castline.highlights import (
    ELISION,
    add_threads,
    fragment_problem,
    highlight_tweet,
    make_highlights,
    make_previews,
    post_quote,
    quote_in_post,
    verify_quotes,
)
from castline.model import Clip, Episode, Highlight, Preview, Speaker
from castline.segment.chapters import make_chapters
from castline.segment.clips import find_clips, pick_counts
from castline.text import tweet_length, tweet_valid


def _process(episode: Episode) -> Episode:
    episode.chapters = make_chapters(episode)
    episode.clips = find_clips(episode)
    episode.previews = make_previews(episode)
    episode.highlights = make_highlights(episode)
    add_threads(episode)
    return episode


@pytest.fixture(scope="module")
def mlst() -> Episode:
    start = time.perf_counter()
    episode = _process(mlst_episode())
    episode.metadata["elapsed"] = time.perf_counter() - start
    return episode


def _interview() -> Episode:
    speakers = [Speaker("S1", "Ann Host", "host"), Speaker("S2", "Bo Guest", "guest")]
    lines = [
        ("S1", "Welcome back. Today we talk about batteries and the grid. " * 3),
        (None, "This episode is brought to you by Acme. Acme makes 100% of the best widgets. " * 4),
        ("S1", "How cheap can solar power actually get?"),
        (
            "S2",
            "I remember when a solar panel cost $4 a watt in 2008. Today it is under 20 cents. "
            "The truth is that most people think storage is the bottleneck, but permits are. "
            "In Texas we built 10 acres of panels in six weeks. "
            "It took two years to get the interconnection approved. "
            "Honestly I guess it kind of depends, maybe, on a lot of things, sort of. "
            "Batteries will never be the hard part again.",
        ),
        ("S1", "Wow, that's fascinating. What about nuclear?"),
        (
            "S2",
            "Nuclear has a floor price because turbines cost $35 a megawatt hour before fuel. "
            "Solar has no such floor. That single fact decides the next thirty years of energy. "
            "Every utility I talk to knows this, and none of them says it in public.",
        ),
    ]
    return episode_from_lines(lines, speakers=speakers, tags={1: ["ad"]}, title="Solar", show="Grid Talk")


def test_previews_are_verbatim_pithy_and_not_ads():
    ep = _interview()
    previews = make_previews(ep)
    assert 1 <= len(previews) <= 8
    for p in previews:
        text = ep.turns[p.turn].text
        assert p.text == ELISION.join(text[a:b] for a, b in p.spans)
        assert "ad" not in ep.turns[p.turn].tags
        seconds = sum(ep.turns[p.turn].time_at(b) - ep.turns[p.turn].time_at(a) for a, b in p.spans)
        assert 5 - 1e-6 <= seconds <= 15 + 1e-6
    assert not any("Acme" in p.text for p in previews)
    # The hedged sentence is the worst quote on offer.
    assert not any("kind of depends" in p.text for p in previews)


def test_previews_use_distinct_sentences(mlst):
    seen = set()
    for p in mlst.previews:
        for a, _b in p.spans:
            key = (p.turn, a)
            assert key not in seen
            seen.add(key)


def test_highlight_tweet_format_and_fallback():
    ep = _interview()
    tweet = highlight_tweet(ep, "Solar has no such floor.", "S2", 3725)
    assert tweet == "“Solar has no such floor.” — Bo Guest on Grid Talk (01:02:05)"
    # A quote that only fits without the timestamp loses the timestamp, not words.
    long_quote = "X" + "x" * (280 - len("“” — Bo Guest on Grid Talk") - 4)
    fallback = highlight_tweet(ep, long_quote, "S2", 10)
    assert fallback is not None and "(00:00:10)" not in fallback and long_quote in fallback
    assert highlight_tweet(ep, "y" * 300, "S2", 10) is None


def test_highlights_attributed_verbatim_and_ranked():
    ep = _interview()
    highlights = make_highlights(ep, count=5)
    assert highlights
    for h in highlights:
        assert ep.turns[h.turn].text[h.char_start : h.char_end] == h.text
        assert h.speaker in {"S1", "S2"}
        assert tweet_valid(h.tweet) and h.weighted_length == tweet_length(h.tweet) <= 280
        assert h.tweet.startswith(f"“{post_quote(h.text)}” — ")
    assert not any("Acme" in h.text for h in highlights)
    scores = [h.score for h in highlights]
    assert scores == sorted(scores, reverse=True)
    # Specific, contrarian lines beat the hedge.
    assert not any("kind of depends" in h.text for h in highlights)
    assert any("$" in h.text or "floor" in h.text for h in highlights[:3])


def test_highlights_skip_unattributed_speakers():
    lines = [(None, "The truth is that 90% of startups never find product market fit in time. " * 3)]
    ep = episode_from_lines(lines)
    assert make_highlights(ep) == []


def test_highlights_have_no_near_duplicates(mlst):
    from rapidfuzz import fuzz

    hs = mlst.highlights
    # As many as the episode's length allows (pick_counts), or fewer when the material runs out.
    assert 3 <= len(hs) <= pick_counts(mlst)["highlights"]
    for i, a in enumerate(hs):
        for b in hs[i + 1 :]:
            assert fuzz.ratio(a.text, b.text) < 70


def test_threads_per_clip(mlst):
    assert 1 <= len(mlst.clips) <= pick_counts(mlst)["clips"]
    for clip in mlst.clips:
        n = len(clip.thread)
        assert 3 <= n <= 5
        for i, post in enumerate(clip.thread, start=1):
            assert tweet_valid(post)
            assert f"({i}/{n})" in post
        hook = clip.thread[0]
        # The hook is the clip's own opening question or its own claim, never a fill-in template.
        assert not re.search(r"learn first-hand|get wrong about|actually matters about|numbers really say|"
                             r"matters more than it seems|in their own words", hook)
        if "“" in hook:
            assert quote_in_post(hook.split("“", 1)[1].rsplit("”", 1)[0]) in clip.text
        else:
            assert hook.split("\n")[0] in clip.text and "?" in hook
        assert "“" in clip.thread[1] and "— " in clip.thread[1]
        # The quoted words in post 2 are verbatim clip text (a mid-sentence start shown "[T]he").
        quote = clip.thread[1].split("“", 1)[1].rsplit("”", 1)[0]
        assert quote_in_post(quote) in clip.text
        assert "Listen from" in clip.thread[-1]


def test_thread_hook_uses_opening_question():
    ep = _interview()
    clip_start = ep.turns[2].start
    clip = Clip(
        start=clip_start,
        end=ep.turns[3].end,
        title="Solar",
        text=ep.turns[2].text + "\n" + ep.turns[3].text,
        score=1.0,
        turn_start=2,
        turn_end=3,
    )
    ep.clips = [clip]
    add_threads(ep)
    assert clip.thread[0].startswith("How cheap can solar power actually get?")
    assert verify_quotes(ep) == []


def test_verify_quotes_catches_problems():
    ep = _interview()
    ep.highlights = [
        Highlight(
            text="not there",
            speaker="S2",
            start=0,
            end=1,
            tweet="x" * 300,
            weighted_length=300,
            turn=3,
            char_start=0,
            char_end=9,
        )
    ]
    ep.previews = [Preview(text="nope", speaker="S2", start=0, end=1, turn=3, spans=[(0, 5)])]
    ep.clips = [
        Clip(
            start=0,
            end=40,
            title="t",
            text="invented words",
            score=1,
            turn_start=3,
            turn_end=3,
            thread=["(1/1) ok", "y" * 300],
        )
    ]
    problems = verify_quotes(ep)
    assert any(p.startswith("highlight 0: text") for p in problems)
    good = ep.turns[3].text
    ep.clips.append(
        Clip(
            start=0,
            end=40,
            title="t",
            text=good,
            score=1,
            turn_start=3,
            turn_end=3,
            thread=["Hook? (1/2)", "“Words nobody said.” — Bo Guest (2/2)"],
        )
    )
    assert any(p.startswith("clip 1: thread post 2 quotes") for p in verify_quotes(ep))
    assert any("tweet invalid" in p for p in problems)
    assert any(p.startswith("preview 0") for p in problems)
    assert any(p.startswith("clip 0") for p in problems)


@pytest.mark.parametrize(
    ("quote", "shown"),
    [
        ("the reality is simple.", "[T]he reality is simple."),
        ("The reality is simple.", "The reality is simple."),
        ("42 models shipped.", "42 models shipped."),
        ("élan matters.", "[É]lan matters."),
        ("ßtraße is German.", "ßtraße is German."),  # no one-letter capital: left alone
        ("[a] b", "[a] b"),
    ],
)
def test_post_quote_marks_only_the_changed_letter(quote, shown):
    assert post_quote(quote) == shown
    assert quote_in_post(shown) == quote


def test_posts_capitalise_a_mid_sentence_quote_and_stay_verifiable():
    ep = _interview()
    turn = ep.turns[3]
    start = turn.text.index("most people think")
    end = turn.text.index("permits are.") + len("permits are.")
    quote = turn.text[start:end]
    tweet = highlight_tweet(ep, quote, "S2", 12.0)
    assert tweet.startswith("“[M]ost people think storage is the bottleneck, but permits are.” — Bo Guest")
    highlight = Highlight(text=quote, speaker="S2", start=12.0, end=15.0, tweet=tweet,
                          weighted_length=tweet_length(tweet), turn=3, char_start=start, char_end=end)
    ep.highlights = [highlight]
    assert verify_quotes(ep) == []
    # Any other change to the words is still caught.
    highlight.tweet = tweet.replace("bottleneck", "problem")
    highlight.weighted_length = tweet_length(highlight.tweet)
    assert any("does not carry the quote" in p for p in verify_quotes(ep))


def test_mlst_is_faithful(mlst):
    assert 3 <= len(mlst.previews) <= pick_counts(mlst)["previews"]
    assert verify_quotes(mlst) == []


@pytest.mark.parametrize("episode", all_seed_episodes(), ids=lambda e: e.slug[:30])
def test_every_seed_is_faithful(episode):
    _process(episode)
    assert verify_quotes(episode) == []
    for h in episode.highlights:
        assert h.speaker is not None
    # Previews and posts read as speech, not as layout: no list items, no
    # paragraph breaks, no dangling one-word last sentence.
    for text in [p.text for p in episode.previews] + [h.text for h in episode.highlights]:
        assert fragment_problem(text) is None, text
        assert "\n\n" not in text and not text.lstrip().startswith(("*", "•"))
    for clip in episode.clips:
        assert not clip.title.startswith(("*", "•", "- "))
        assert not clip.thread[0].startswith(("*", "•", "- "))


@pytest.mark.parametrize(
    "quote",
    [
        "* November 2023: Job search post. * October 2024: Why I build open models.",
        "The path has two milestones: * Finding something you care about.",
        "Steps: 1. write it down and 2. ship it.",
        "I find that to be something the model never does naturally. AI.",
        "First paragraph ends here.\n\nSecond paragraph starts.",
        "Changing Data With Confidence using DuckDB - Hannes Mühleisen (PyData Global 2024) Transcript here.",
        "The State of AI Report Is Out Now For Everyone.",
        # thanks are a sign-off, not a point
        "Thanks to Ross Taylor for some feedback on an early form of this taxonomy.",
        "Thank you so much for having me on the show today.",
        # a chart or slide the listener cannot see
        "For grounding, recall the popular “time horizon progression” chart from METR: models saturated.",
        "As you can see in this graph, usage doubled every quarter.",
        "The numbers are shown below and they are striking.",
    ],
)
def test_fragment_problem_flags_layout(quote):
    assert fragment_problem(quote)


@pytest.mark.parametrize(
    "quote",
    [
        "We raised 3.5 million dollars. It worked.",
        "It costs 5 - 10 dollars a month, and that is the whole point.",
        "Version 2. It is good.",
        "The U.S. economy is bigger than you think.",
        # Names are capitalised, everyday words are not: a run of names is still speech.
        "Sam Altman, Dario Amodei and Demis Hassabis all agree on this.",
        "We met Google, OpenAI, Anthropic, Meta and Mistral last week.",
        # thanks inside a point, and charts in the everyday sense, are speech
        "I owe my career to one teacher, and I never got to say thanks.",
        "That album went straight to the top of the charts in 1994.",
    ],
)
def test_fragment_problem_accepts_speech(quote):
    assert fragment_problem(quote) is None


def test_previews_skip_list_items_and_dangling_sentences():
    speakers = [Speaker("S1", "Ann Host", "host")]
    filler = "We talked about many things on the show today and it was a long chat. "
    lines = [
        ("S1", filler * 3),
        ("S1", "* January 2024: Why open models matter for science. * March 2024: What RLHF changed."),
        ("S1", "Diversity of punctuation is something a model never does naturally. AI."),
        ("S1", "The cheapest solar panel in history was installed in Texas last spring for nine cents a watt."),
        ("S1", "Most people think batteries are the bottleneck, but permits are the real constraint."),
        ("S1", filler * 3),
    ]
    episode = episode_from_lines(lines, speakers=speakers, title="Grid", show="Grid Talk")
    previews = make_previews(episode)
    assert previews
    for p in previews:
        assert "*" not in p.text and not p.text.endswith("AI.")


# ---------------------------------------------------------------------------
# Judgement-set benchmark (bench/highlights.py)
# ---------------------------------------------------------------------------


def _bench():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "highlights.py"
    spec = importlib.util.spec_from_file_location("bench_highlights", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_precision_at_k_and_anchor_matching():
    bench = _bench()
    anchors = ["You don't fine-tune your way to AGI", "18 to 36 months away"]
    assert bench.anchor_hit("and you don’t fine-tune your way to AGI!", anchors)
    # A small edit by the clean stage (a fixed word) still matches.
    assert bench.anchor_hit("you don't fine tune your way to AGI", anchors)
    assert bench.anchor_hit("nothing relevant here at all", anchors) is None
    texts = ["we are 18 to 36 months away", "unrelated", "You don't fine-tune your way to AGI."]
    assert bench.precision_at_k(texts, anchors, 1) == 1.0
    assert bench.precision_at_k(texts, anchors, 3) == pytest.approx(2 / 3)
    # Missing ranks count as misses.
    assert bench.precision_at_k(texts, anchors, 6) == pytest.approx(2 / 6)


def test_mlst_judgement_floor(processed_seeds):
    """Hold the ranking quality reached on the MLST judgement set (slightly below it).

    Measured on the real pipeline's output (the test builder gives every other line to
    the host, so the previews' and posts' guest-only rule would drop half the guest's
    words there). Previews and posts never share a line, so they are judged together.
    """
    from pathlib import Path

    bench = _bench()
    judgements = bench.load_judgements(
        Path(__file__).resolve().parent.parent / "bench" / "judgements" / "mlst.json"
    )
    assert 8 <= len(judgements) <= 15
    seed = (Path(__file__).resolve().parent.parent / "seeds" / "mlst-eiso-kant.raw.txt").read_text()
    for j in judgements:
        assert j.anchor.lower() in seed.lower() and j.reason
    (_raw, episode), = processed_seeds["mlst-eiso-kant.raw.txt"]
    metrics = bench.evaluate(episode, judgements)
    # Reached: clips p@5 0.6, p@10 0.6 (5 anchors); previews and posts together 4 anchors
    # (before the stand-alone rules: 5, one of them "I don't think they stole data", whose
    # "they" the quote never names). Floors sit one step below.
    assert metrics["clips"]["p@5"] >= 0.4
    assert metrics["clips"]["p@10"] >= 0.5
    assert metrics["clips"]["anchors_found"] >= 4
    anchors = [j.anchor for j in judgements]
    found = {bench.anchor_hit(x.text, anchors) for x in [*episode.previews, *episode.highlights]} - {None}
    assert len(found) >= 3


def test_empty_and_tiny_episodes_do_not_break():
    empty = Episode(title="Empty", slug="empty")
    assert [c.start for c in make_chapters(empty)] == [0.0]
    assert find_clips(empty) == []
    assert make_previews(empty) == []
    assert make_highlights(empty) == []
    add_threads(empty)
    assert verify_quotes(empty) == []
    tiny = episode_from_lines([("S1", "Hi.")], speakers=[Speaker("S1", "A B")])
    _process(tiny)
    assert verify_quotes(tiny) == []


def test_previews_spread_across_the_episode(mlst):
    starts = sorted(p.start for p in mlst.previews)
    # Not bunched: they reach across most of the running time.
    assert starts[-1] - starts[0] > 0.5 * mlst.duration
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) > 60


def test_preview_duration_uses_word_times():
    from castline.model import Word

    text = "Batteries will never be the hard part again, and solar has no floor price at all."
    tokens = text.split()
    # Slow speech: 1 s per word, so the 16-word sentence lasts 16 s (> 15 s).
    slow = [Word(w, float(i), float(i) + 0.9) for i, w in enumerate(tokens)]
    ep = episode_from_lines([("S1", text)], speakers=[Speaker("S1", "A B")])
    ep.turns[0].words, ep.turns[0].start, ep.turns[0].end = slow, 0.0, float(len(tokens))
    assert make_previews(ep) == []
    fast = [Word(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(tokens)]
    ep.turns[0].words, ep.turns[0].end = fast, len(tokens) * 0.4
    previews = make_previews(ep)
    assert previews and previews[0].text == text


def test_preview_clause_prefixes_never_end_at_a_colon():
    """What comes before a colon announces what follows; it cannot be cut off there."""
    from castline.highlights.quotes import clause_prefixes
    from castline.segment.sentence_units import SentenceUnit

    text = ("For example, here is what happens when the new model is asked a very hard problem from a benchmark: "
            "it thinks for ten minutes, then it answers.")
    unit = SentenceUnit(index=0, turn=0, start=0, end=len(text), text=text, time_start=0.0, time_end=10.0,
                        speaker=None, tags=frozenset(), turn_first=True, turn_last=True)
    ends = [text[a:b] for a, b in clause_prefixes(unit, text, 5)]
    assert ends and not any(e.endswith("benchmark") for e in ends)


def test_a_takeaway_states_a_claim_not_a_story_beat():
    from castline.highlights.posts import _takeaway
    from castline.segment.passages import passage_features

    assert _takeaway(passage_features("Software development is not about writing code."))
    # What the speaker thought at the time is the story, not what the listener learns.
    assert not _takeaway(passage_features("And my first thought was, it's a disease, something's wrong."))
    assert not _takeaway(passage_features("Bees will go for any sugar source."))
