"""Braces in user text never reach a format string (regression: add_threads used str.format).

``castline/highlights/posts.py`` drafted thread posts with a ``{mark}`` placeholder and
filled it with ``str.format``, so a quote such as "A set literal like {1, 2} ..." raised
``KeyError: '1, 2'`` and sank the highlights stage. The quote, the speaker's name, the
title and the link are data: they must come out of the thread exactly as they went in.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_segment import episode_from_lines

from castline import pipeline
from castline.highlights import add_threads, make_highlights, verify_quotes
from castline.model import Clip, Episode, Speaker, Turn
from castline.text import tweet_valid

#: Text that a format string would read as fields, conversions, specs or escapes.
FORMAT_HOSTILE = ["{1, 2}", "{}", "{0}", "{mark}", "{{", "}}", "{", "}", "{!r}", "{0[1]}", "{a.b}", "{:>10}",
                  "{mark}{mark}", "%s", "%(x)d", "$x", "${x}"]


def _set_literal_episode() -> Episode:
    text = ("A set literal like {1, 2} is the first thing people learn in Python, and it surprises them. "
            "The braces look like a dict, but there are no keys at all. "
            "Most people think it is a dict until it bites them. "
            "That is why I always teach sets before dicts now, because the mistake is so common.")
    return Episode(title="Braces", slug="braces", source="braces.txt", source_format="asr_text",
                   times_estimated=True, duration=40.0, speakers=[],
                   turns=[Turn(speaker=None, start=0.0, end=40.0, text=text, verbatim=text)])


def test_the_reported_episode_gets_its_threads():
    """The report's reproduction: ~40 s on "{1, 2}" used to raise KeyError: '1, 2'."""
    episode = pipeline.process(_set_literal_episode(), pipeline.Settings(embedder="tfidf", clip_count=2))
    assert episode.clips, "the episode should still yield a clip"
    assert verify_quotes(episode) == []
    # The line is the episode's best preview, and a thread never repeats a preview:
    # with the previews gone, the thread quotes it, braces and all.
    assert any("{1, 2}" in p.text for p in episode.previews)
    episode.previews = []
    add_threads(episode)
    posts = [post for clip in episode.clips for post in clip.thread]
    assert any("{1, 2}" in post for post in posts)
    assert verify_quotes(episode) == []


def _clip_over(episode: Episode, first: int, last: int) -> Clip:
    return Clip(start=episode.turns[first].start, end=episode.turns[last].end, title="Sets",
                text="\n".join(t.text for t in episode.turns[first:last + 1]), score=1.0,
                turn_start=first, turn_end=last)


@pytest.mark.parametrize("hostile", FORMAT_HOSTILE)
def test_quote_name_title_and_link_pass_through_verbatim(hostile: str):
    speakers = [Speaker("S1", f"Ann {hostile} Host", "host"), Speaker("S2", f"Bo {hostile} Guest", "guest")]
    quote = f"The truth is that most people think {hostile} means a dict, but it is really a set."
    claim = f"Every teacher I know says {hostile} should come before dicts, and they are right about it."
    lines = [
        ("S1", "What do people get wrong about sets in Python?"),
        ("S2", f"{quote} {claim} Nobody reads the documentation until something breaks in production."),
    ]
    episode = episode_from_lines(lines, speakers=speakers, title=f"Sets {hostile} and dicts",
                                 show=f"Code {hostile} Talk")
    episode.metadata["url"] = f"https://example.com/ep?q={hostile}"
    episode.clips = [_clip_over(episode, 0, 1)]
    add_threads(episode)
    thread = episode.clips[0].thread
    n = len(thread)
    assert 3 <= n <= 4
    for i, post in enumerate(thread, start=1):
        assert post.endswith(f"({i}/{n})"), post
        assert tweet_valid(post)
    # The quote post names its speaker with the braces untouched and quotes the words exactly.
    assert any(hostile in post and f"Bo {hostile} Guest" in post for post in thread[1:-1]), thread
    assert hostile in thread[-1]  # the title or the link
    assert verify_quotes(episode) == []


def test_marks_are_unchanged_for_ordinary_text():
    """The fix changes nothing where there are no braces: each post still ends ' (i/n)'."""
    lines = [("S1", "How cheap can solar power actually get?"),
             ("S2", "The truth is that most people think storage is the bottleneck, but permits are. "
                    "Batteries will never be the hard part again, and every utility knows it.")]
    episode = episode_from_lines(lines, speakers=[Speaker("S1", "Ann Host", "host"),
                                                  Speaker("S2", "Bo Guest", "guest")],
                                 title="Solar", show="Grid Talk")
    episode.clips = [_clip_over(episode, 0, 1)]
    add_threads(episode)
    thread = episode.clips[0].thread
    n = len(thread)
    assert thread[1].endswith(f"” — Bo Guest (2/{n})")
    assert thread[-1] == f"Listen from 00:00:00 in “Solar” on Grid Talk. ({n}/{n})"


word = st.one_of(st.sampled_from(FORMAT_HOSTILE),
                 st.sampled_from(["the", "set", "dict", "people", "think", "really", "Python", "is", "a",
                                  "because", "most", "learn", "first", "never", "code", "braces"]))
sentence = st.lists(word, min_size=6, max_size=20).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sentences=st.lists(sentence, min_size=3, max_size=8))
def test_any_braces_through_clips_highlights_and_threads(sentences: list[str]):
    half = len(sentences) // 2
    lines = [("S1", " ".join(sentences[:half])), ("S2", " ".join(sentences[half:]))]
    episode = episode_from_lines(lines, speakers=[Speaker("S1", "Ann {0}", "host"),
                                                  Speaker("S2", "Bo {}", "guest")], title="{mark}")
    episode.highlights = make_highlights(episode)
    episode.clips = [_clip_over(episode, 0, 1)]
    add_threads(episode)
    for i, post in enumerate(episode.clips[0].thread, start=1):
        assert post.endswith(f"({i}/{len(episode.clips[0].thread)})")
    assert verify_quotes(episode) == []
