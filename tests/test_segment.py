"""Chapters and clip candidates: small inline episodes and every seed.

The seed builders here stand in for the ingest/speakers/clean stages (one turn
per line, estimated times) so these stages can be tested on their own; the
highlights tests reuse them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from castline.model import Episode, Speaker, Turn
from castline.segment.chapters import make_chapters, tfidf_embed
from castline.segment.clips import find_clips
from castline.segment.passages import opening_problem
from castline.segment.sentence_units import sentence_units
from castline.segment.titles import title_case
from castline.text import SPEAKING_RATE_WPS, sentences, words

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


# ---------------------------------------------------------------------------
# Episode builders
# ---------------------------------------------------------------------------


def episode_from_lines(
    lines: list[tuple[str | None, str]],
    *,
    title: str = "Test episode",
    show: str | None = "Test Show",
    speakers: list[Speaker] | None = None,
    tags: dict[int, list[str]] | None = None,
) -> Episode:
    """One turn per ``(speaker, text)`` line, times estimated from word counts."""
    turns, clock = [], 0.0
    for i, (speaker, text) in enumerate(lines):
        duration = max(len(words(text)), 1) / SPEAKING_RATE_WPS
        turns.append(
            Turn(
                speaker=speaker,
                start=round(clock, 2),
                end=round(clock + duration, 2),
                text=text,
                verbatim=text,
                tags=list((tags or {}).get(i, [])),
            )
        )
        clock += duration
    return Episode(
        title=title,
        slug=re.sub(r"\W+", "-", title.lower()).strip("-"),
        show=show,
        duration=round(clock, 2),
        times_estimated=True,
        speakers=speakers or [],
        turns=turns,
    )


def mlst_episode() -> Episode:
    """The raw MLST ASR seed: one turn per line, speakers alternating host/guest."""
    lines = (SEEDS / "mlst-eiso-kant.raw.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    ids = ["S1", "S2"]
    return episode_from_lines(
        [(ids[i % 2], line) for i, line in enumerate(lines)],
        title="Eiso Kant on reinforcement learning for code",
        show="Machine Learning Street Talk",
        speakers=[Speaker("S1", "Tim Scarfe", "host"), Speaker("S2", "Eiso Kant", "guest")],
        # The opening quotes and the sponsor read of this seed.
        tags={0: ["cold_open"], 1: ["cold_open"], 6: ["ad"]},
    )


_HEADER_RE = re.compile(r"^([A-Z][\w.’'-]+(?: [A-Z][\w.’'-]+)+) (\d{1,2}):(\d{2}):(\d{2})$")
_LABEL_RE = re.compile(r"^([A-Z][\w.’'-]+(?: [A-Z][\w.’'-]+){0,3}): (.+)$")


def notebook_episode() -> Episode:
    """The producer notebook: ``Name HH:MM:SS`` blocks and ``Name: text`` lines keep
    their speakers; everything else is an unattributed turn."""
    raw = (SEEDS / "producer-notebook.labelled.txt").read_text(encoding="utf-8").splitlines()
    names: dict[str, str] = {}
    lines: list[tuple[str | None, str]] = []
    current: str | None = None
    for line in raw:
        line = line.strip()
        if not line:
            continue
        header = _HEADER_RE.match(line)
        if header:
            current = names.setdefault(header.group(1), f"S{len(names) + 1}")
            continue
        label = _LABEL_RE.match(line)
        if label:
            sid = names.setdefault(label.group(1), f"S{len(names) + 1}")
            lines.append((sid, label.group(2)))
            current = None
        else:
            lines.append((current, line))
    speakers = [Speaker(sid, name, "guest") for name, sid in names.items()]
    return episode_from_lines(lines, title="Producer notebook", show=None, speakers=speakers)


def notebook_blocks_episode() -> Episode:
    """Only the ``Name HH:MM:SS`` blocks of the notebook, with their given times."""
    raw = (SEEDS / "producer-notebook.labelled.txt").read_text(encoding="utf-8").splitlines()
    names: dict[str, str] = {}
    turns: list[Turn] = []
    block: list[str] = []
    current: tuple[str, float] | None = None

    def flush() -> None:
        if current and block:
            text = "\n\n".join(block)
            turns.append(Turn(current[0], current[1], current[1], text, text))

    for line in raw:
        header = _HEADER_RE.match(line.strip())
        if header:
            flush()
            sid = names.setdefault(header.group(1), f"S{len(names) + 1}")
            h, m, s = (int(g) for g in header.groups()[1:])
            current, block = (sid, h * 3600 + m * 60 + s), []
        elif current and line.strip():
            block.append(line.strip())
            if len(block) >= 4:
                flush()
                current, block = None, []
    flush()
    # The notebook's excerpts come from several episodes: re-time them in order.
    clock = 0.0
    for turn in turns:
        turn.start = round(clock, 2)
        clock += len(words(turn.text)) / SPEAKING_RATE_WPS
        turn.end = round(clock, 2)
    speakers = [Speaker(sid, name, "guest") for name, sid in names.items()]
    return Episode(
        title="Notebook excerpts",
        slug="notebook-excerpts",
        show="Dwarkesh Podcast",
        duration=round(clock, 2),
        times_estimated=True,
        speakers=speakers,
        turns=turns,
    )


def interconnects_episodes() -> list[Episode]:
    """Each episode text of the show page as one speaker's turns of six sentences."""
    from castline.text import sentences

    episodes = []
    for line in (SEEDS / "interconnects-show-page.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(https?://\S+) \[\S+\] (.+)$", line.strip())
        if not match:
            continue
        sents = [s.text for s in sentences(match.group(2))]
        chunks = [" ".join(sents[i : i + 6]) for i in range(0, len(sents), 6)]
        # Paragraph breaks inside turns, as the clean stage makes them.
        turns = ["\n\n".join(chunks[i : i + 3]) for i in range(0, len(chunks), 3)]
        episodes.append(
            episode_from_lines(
                [("S1", t) for t in turns],
                title=match.group(1).rstrip("/").rsplit("/", 1)[-1].replace("-", " "),
                show="Interconnects",
                speakers=[Speaker("S1", "Nathan Lambert", "host")],
            )
        )
    return episodes


def xposts_episode() -> Episode:
    """The X posts seed, one post per turn, alternating attributed and unattributed."""
    lines = (SEEDS / "x-posts-that-travel.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    return episode_from_lines(
        [("S1" if i % 2 else None, line) for i, line in enumerate(lines)],
        title="Posts that travel",
        show=None,
        speakers=[Speaker("S1", "Poster", "other")],
    )


def all_seed_episodes() -> list[Episode]:
    """Every seed as episodes."""
    return [
        mlst_episode(),
        notebook_episode(),
        notebook_blocks_episode(),
        *interconnects_episodes(),
        xposts_episode(),
    ]


@pytest.fixture(scope="module")
def mlst() -> Episode:
    return mlst_episode()


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def test_sentence_units_offsets_and_paragraphs():
    text = "First point here. Second one?\n\nNew paragraph starts. Ends."
    ep = episode_from_lines([("S1", text)])
    units = sentence_units(ep)
    assert [u.text for u in units] == [
        "First point here.",
        "Second one?",
        "New paragraph starts.",
        "Ends.",
    ]
    for u in units:
        assert ep.turns[0].text[u.start : u.end] == u.text
    assert units[0].turn_first and units[-1].turn_last
    assert units[1].time_start < units[2].time_start


@pytest.mark.parametrize(
    "sentence",
    [
        "And so that is what we did next.",
        "And that's the whole story of it.",
        "He said it was never going to work.",
        "That's why we built the company.",
        "Yeah, I think that is right overall.",
        "Right. So the model learns from it.",
        "This is exactly what I was worried about.",
        "It was a really hard time for everyone.",
        "But the results were not there yet.",
        "2 is when AlphaGo beats even Lee Sedol.",
        "Including a couple she'd never recorded in the county.",
        "Especially the ones on the north side of the roof.",
        "Therefore the whole budget has to come from the museum.",
    ],
)
def test_opening_problem_flags_dependent_openings(sentence):
    assert opening_problem(sentence) is not None


@pytest.mark.parametrize(
    "sentence",
    [
        "What does it take to build a frontier model from scratch?",
        "Reinforcement learning is the missing axis of scaling.",
        "I remember when we first ran the model on real code.",
        "It's hard to overstate how fast this field moves.",
        "Most people think scale is everything, but data matters more.",
        "2024 was the year agents finally shipped to real users.",
        "100,000 GPUs are training the next model right now.",
    ],
)
def test_opening_problem_accepts_standalone_openings(sentence):
    assert opening_problem(sentence) is None


def test_title_case_keeps_acronyms_and_lowers_small_words():
    assert title_case("reinforcement learning for code") == "Reinforcement Learning for Code"
    assert title_case("scaling GPT models") == "Scaling GPT Models"
    assert title_case("o1 style reasoning") == "o1 Style Reasoning"


def test_tfidf_embed_shape_and_norm():
    vecs = tfidf_embed(["cats purr loudly", "dogs bark loudly", "stock markets crashed today"])
    assert vecs.shape[0] == 3
    norms = (vecs**2).sum(axis=1)
    assert all(abs(n - 1) < 1e-6 for n in norms)


# ---------------------------------------------------------------------------
# Chapters
# ---------------------------------------------------------------------------


def _topic_episode() -> Episode:
    """Three clearly different topics, each about 10 minutes of speech."""
    topics = [
        "The bakery bakes sourdough bread every morning with flour, water, salt and a starter. "
        "Our baker shapes each loaf by hand and the oven crust gets dark and crisp. ",
        "Volcanoes erupt when magma pressure builds under the crust and lava flows downhill. "
        "Geologists measure seismic tremors and ash plumes near the crater. ",
        "The football team trained penalties all week and the striker scored twice in the final. "
        "Fans in the stadium sang while the goalkeeper saved a header. ",
    ]
    lines = []
    for k, topic in enumerate(topics):
        for i in range(22):  # ~27 words * 22 lines / 2.6 wps ~ 230 s... x2 per line below
            lines.append((f"S{1 + i % 2}", topic * 2 + f"Line {i} of part {k}."))
    return episode_from_lines(
        lines, speakers=[Speaker("S1", "Ann Host", "host"), Speaker("S2", "Bo Guest", "guest")]
    )


def test_chapters_find_topic_shifts_and_follow_spacing():
    ep = _topic_episode()
    chapters = make_chapters(ep)
    assert chapters[0].start == 0 and chapters[0].turn == 0
    starts = [c.start for c in chapters]
    assert starts == sorted(starts)
    assert all(b - a >= 300 for a, b in zip(starts, starts[1:], strict=False))
    # The true shifts are at turns 22 and 44; every one is found.
    found_turns = {c.turn for c in chapters[1:]}
    assert 22 in found_turns and 44 in found_turns
    titles = [c.title.lower() for c in chapters]
    assert any(w in titles[0] for w in ("bread", "baker", "sourdough", "loaf", "oven", "flour"))
    assert len(set(titles)) == len(titles)
    assert chapters[-1].end == pytest.approx(ep.duration, abs=0.01)
    for c, nxt in zip(chapters, chapters[1:], strict=False):
        assert c.end == nxt.start


def test_short_episode_gets_one_chapter():
    ep = episode_from_lines([("S1", "A short talk about gardens and tomatoes. " * 30)])
    chapters = make_chapters(ep)
    assert len(chapters) == 1 and chapters[0].start == 0
    assert chapters[0].title


def test_custom_embed_is_used():
    ep = _topic_episode()
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return tfidf_embed(texts)

    make_chapters(ep, embed=embed)
    assert calls and calls[0] == len(sentence_units(ep))


def test_mlst_chapters_house_rules(mlst):
    start = time.perf_counter()
    chapters = make_chapters(mlst)
    assert time.perf_counter() - start < 5
    assert chapters[0].start == 0
    gaps = [b.start - a.start for a, b in zip(chapters, chapters[1:], strict=False)]
    assert all(g >= 300 for g in gaps)
    assert mlst.duration - chapters[-1].start >= 300
    # Roughly every 8-15 minutes: the average lies in that band.
    assert 420 <= mlst.duration / len(chapters) <= 960
    titles = [c.title for c in chapters]
    assert len({t.lower() for t in titles}) == len(titles)
    assert all(1 <= len(t.split()) <= 6 for t in titles)
    # The sponsor read must not title the first chapter.
    assert "2forai" not in titles[0].lower().replace(" ", "")


# ---------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------


def test_clip_prefers_specific_story_over_hedged_filler():
    filler = (
        "I mean, it's kind of, you know, maybe sort of a thing, I guess, probably. "
        "Maybe it is sort of like that, kind of, I suppose, perhaps. "
    )
    story = (
        "I remember when I was at Google in 2012 we trained a model on 16,000 CPUs. "
        "It took three days and cost about $200,000, and the result changed my career. "
    )
    lines = [("S1", filler * 6), ("S2", "What happened when you scaled it up?"), ("S1", story * 3)]
    lines += [("S2", "Wow, that's incredible."), ("S1", filler * 6)]
    ep = episode_from_lines(lines, speakers=[Speaker("S1", "A B", "guest"), Speaker("S2", "C D", "host")])
    clips = find_clips(ep, count=1)
    assert clips
    clip = clips[0]
    assert clip.turn_start in (1, 2)
    assert "16,000" in clip.text
    assert any("number" in r for r in clip.reasons)
    assert any("story" in r for r in clip.reasons)


def test_clips_avoid_ads_and_dependent_openings(mlst):
    start = time.perf_counter()
    clips = find_clips(mlst, count=3)
    assert time.perf_counter() - start < 5
    assert len(clips) == 3
    for clip in clips:
        assert 30 <= clip.end - clip.start <= 180
        for ti in range(clip.turn_start, clip.turn_end + 1):
            assert not set(mlst.turns[ti].tags) & {"ad", "cold_open"}
        first_sentence = sentences(clip.text.split("\n")[0])[0].text
        assert opening_problem(first_sentence) is None
        assert clip.reasons and clip.title
        # A short question, claim or phrase; a question may run a little longer.
        assert len(clip.title.split()) <= (14 if clip.title.endswith("?") else 8)
        assert clip.speakers
    for a in clips:
        for b in clips:
            if a is b:
                continue
            overlap = max(0.0, min(a.end, b.end) - max(a.start, b.start))
            assert overlap <= 0.2 * min(a.end - a.start, b.end - b.start) + 1e-6
    scores = [c.score for c in clips]
    assert scores == sorted(scores, reverse=True)


def test_clip_text_is_verbatim_spans(mlst):
    for clip in find_clips(mlst, count=3):
        parts = clip.text.split("\n")
        first = mlst.turns[clip.turn_start].text
        last = mlst.turns[clip.turn_end].text
        assert parts[0] in first
        assert last.startswith(parts[-1]) or clip.turn_start == clip.turn_end


@pytest.mark.parametrize("episode", all_seed_episodes(), ids=lambda e: e.slug[:30])
def test_every_seed_segments(episode):
    chapters = make_chapters(episode)
    assert chapters and chapters[0].start == 0
    for a, b in zip(chapters, chapters[1:], strict=False):
        assert b.start - a.start >= 300
    for clip in find_clips(episode):
        assert 30 <= clip.end - clip.start <= 180


# ---------------------------------------------------------------------------
# Titles
# ---------------------------------------------------------------------------


def test_best_phrase_prefers_specific_noun_phrases():
    from castline.segment.titles import best_phrase

    text = (
        "We spent the year on the Kubernetes scheduler. The Kubernetes scheduler decides where pods run, "
        "and the Kubernetes scheduler was slow. We rewrote the bin packing step of the scheduler, "
        "and the bin packing step now takes a millisecond. Code is code, but this code matters."
    )
    phrase = best_phrase(text)
    assert phrase is not None and len(phrase.split()) >= 2
    assert phrase.lower() in {"kubernetes scheduler", "bin packing step", "bin packing"}
    # A lone everyday word is never a title on its own.
    assert best_phrase("Code. We write code. Code is code and more code, code all day.") is None


def test_titles_complete_clipped_phrases_and_skip_verb_phrases():
    from castline.segment.phrases import _complete, _noun_head, _phrase_problem, episode_lexicon

    text = (
        "We talk about human level intelligence. Is human level intelligence near? "
        "Human level intelligence is the goal of the lab. We build software at the lab."
    )
    lexicon = episode_lexicon(text)
    assert _complete("human level", text, lexicon).lower() == "human level intelligence"
    assert _phrase_problem("build software", lexicon)
    assert _phrase_problem("surprisingly few people", lexicon)
    assert not _noun_head("Sam Altman posted", lexicon)
    assert _noun_head("human level intelligence", lexicon)
    assert _phrase_problem("June", lexicon)
    assert _phrase_problem("Human Level Intelligence", lexicon) is None
    # An amount or a lone superlative names no topic; a forest or an interest does.
    assert _phrase_problem("Hundred Pounds", lexicon)
    assert _phrase_problem("Seventy Years", lexicon)
    assert _phrase_problem("Strangest", lexicon)
    assert _phrase_problem("Fridays", lexicon)
    assert _phrase_problem("Forest", lexicon) is None
    assert _phrase_problem("Fourteen-dollar Dessert Cost", lexicon) is None


def test_clip_titles_are_never_a_bare_everyday_word(mlst):
    from wordfreq import zipf_frequency

    for clip in find_clips(mlst, count=10):
        title_words = clip.title.split()
        if len(title_words) == 1:
            word = title_words[0]
            # One word only when it is a name or a rare term of art.
            assert word[:1].isupper()
            assert word[1:] != word[1:].lower() or zipf_frequency(word.lower(), "en") < 3.3 or word in " ".join(
                t.text for t in mlst.turns
            )


def test_clip_title_questions_must_stand_alone():
    from castline.segment.clips import _question_title

    assert _question_title("Why do bees leave a hive in June?", 8)
    # Nothing named, or a pointer back at earlier talk: no title.
    assert not _question_title("How do you know?", 8)
    assert not _question_title("Is there a lot of this?", 8)
    assert not _question_title("Allowed by whom?", 8)
    assert not _question_title("We moved the bees to the roof.", 8)


def test_a_lone_name_title_gives_way_to_the_clips_own_line_naming_it():
    from castline.model import Speaker
    from castline.segment.clips import _clip_title

    ep = Episode(
        title="t",
        slug="t",
        speakers=[Speaker("S1", "Lou", "host"), Speaker("S2", "Aiko", "guest")],
        turns=[
            Turn("S1", 0, 5, "So the kitchen runs itself now.", "So the kitchen runs itself now."),
            Turn(
                "S2", 5, 40,
                "Everything I stole from Darnell. Darnell ran the banquet kitchen for years. "
                "Darnell wrote every single step down, and Darnell never let anybody skip one.",
                "Everything I stole from Darnell. Darnell ran the banquet kitchen for years. "
                "Darnell wrote every single step down, and Darnell never let anybody skip one.",
            ),
        ],
    )
    units = sentence_units(ep)
    assert _clip_title(units) == "Everything I stole from Darnell"


def test_chapter_titles_use_meaning_when_an_embedder_is_given():
    """With a sentence-embedding function, the phrase nearest its chapter wins."""
    ep = _topic_episode()
    vocab = ["bread", "loaf", "oven", "baker", "magma", "lava", "crater", "football", "striker", "goalkeeper"]

    def embed(texts):
        # A toy bag-of-topics embedding: enough to exercise the rescoring path.
        import numpy as np

        rows = []
        for t in texts:
            low = t.lower()
            rows.append([low.count(w) for w in vocab] + [0.01])
        arr = np.asarray(rows, dtype=float)
        return arr / np.linalg.norm(arr, axis=1, keepdims=True)

    chapters = make_chapters(ep, embed=embed)
    assert len(chapters) >= 2
    for chapter in chapters:
        assert 1 <= len(chapter.title.split()) <= 6
    assert len({c.title for c in chapters}) == len(chapters)
    # Each title comes from its own chapter's words.
    assert all(chapter.keywords for chapter in chapters)
    assert any(w in chapters[0].title.lower() for w in ("bread", "bakery", "sourdough", "loaf", "oven"))


def test_clip_never_ends_on_a_sentence_that_trails_off():
    from castline.segment.clips import _payoff
    from castline.segment.sentence_units import SentenceUnit

    def unit(i, text, last):
        return SentenceUnit(i, 0, 0, len(text), text, i * 5.0, i * 5.0 + 5, "S1", frozenset(), i == 0, last)

    landed = [unit(0, "We cut the cost of a launch by ninety percent.", False),
              unit(1, "That is why the market moved.", True)]
    trailing = [landed[0], unit(1, "Yeah, I guess I agree that...", True)]
    dashed = [landed[0], unit(1, "And the thing is —", True)]
    assert _payoff(landed, 0, 1)
    assert not _payoff(trailing, 0, 1)
    assert not _payoff(dashed, 0, 1)


def test_chapters_survive_times_that_go_back():
    """A notebook of excerpts carries each excerpt's own times, which need not rise."""
    ep = _topic_episode()
    # The middle topic pasted with earlier times, as a notebook of clips would have it.
    for turn in ep.turns[22:44]:
        turn.start, turn.end = turn.start - 500, turn.end - 500
    chapters = make_chapters(ep)
    assert chapters[0].start == 0
    assert len(chapters) >= 2
    assert all(c.title for c in chapters)
