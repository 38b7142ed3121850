"""Speaker attribution: the speakers hint, text-only attribution, labelled input."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from castline.diarize import UNATTRIBUTED, attribute_speakers, discover_names, parse_speakers
from castline.diarize.evaluate import change_f1, majority_baseline, role_accuracy, word_accuracy
from castline.model import Episode, Speaker, Turn
from castline.segment.structure import tag_structure
from castline.text import SPEAKING_RATE_WPS

ROOT = Path(__file__).resolve().parents[1]
MLST = ROOT / "seeds" / "mlst-eiso-kant.raw.txt"


def unlabelled(lines: list[str]) -> Episode:
    """One unattributed turn per non-empty line, times estimated from word counts."""
    turns, clock = [], 0.0
    for line in lines:
        if not line.strip():
            continue
        duration = len(line.split()) / SPEAKING_RATE_WPS
        turns.append(Turn(None, clock, clock + duration, line, line))
        clock += duration
    return Episode(title="t", slug="t", turns=turns, times_estimated=True)


def words_of(episode: Episode) -> list[str]:
    return " ".join(t.verbatim for t in episode.turns).split()


def turn_of(episode: Episode, phrase: str) -> Turn:
    hits = [t for t in episode.turns if phrase in t.verbatim]
    assert hits, f"no turn contains {phrase!r}"
    return hits[0]


# -- parse_speakers ----------------------------------------------------------------


def test_parse_speakers_roles_given():
    speakers = parse_speakers("Tim Scarfe:host, Eiso Kant:guest")
    assert [(s.id, s.name, s.role) for s in speakers] == [
        ("S1", "Tim Scarfe", "host"),
        ("S2", "Eiso Kant", "guest"),
    ]


def test_parse_speakers_default_roles_first_host_then_guests():
    speakers = parse_speakers("Sam Okafor,Elena Ruiz,Marcus Webb")
    assert [s.role for s in speakers] == ["host", "guest", "guest"]


def test_parse_speakers_mixed_roles_and_other():
    speakers = parse_speakers("Ann Lee:guest,Bo Diaz:host,Producer:other")
    assert [s.role for s in speakers] == ["guest", "host", "other"]


@pytest.mark.parametrize("spec", ["", "  ,  ", "Tim:hots", ":host", "Tim Scarfe:presenter"])
def test_parse_speakers_rejects_bad_specs(spec):
    with pytest.raises(ValueError) as info:
        parse_speakers(spec)
    assert "role" in str(info.value) or "empty" in str(info.value) or "name" in str(info.value)


# -- names from the intro -----------------------------------------------------------


def test_discover_names_from_intro():
    host, guests = discover_names(
        [
            "Welcome to Deep Currents, I'm Rosa Alvarez.",
            "Today I'm joined by Kwame Mensah and Lotte de Vries.",
            "Let's get started.",
        ]
    )
    assert host == "Rosa Alvarez"
    assert guests == ["Kwame Mensah", "Lotte de Vries"]


def test_discover_names_keeps_misheard_guest_name():
    _, guests = discover_names(["I've just had the most amazing conversation with Izo Kant."])
    assert guests == ["Izo Kant"]


# -- unlabelled input, small inline example -------------------------------------------

INTERVIEW = [
    "Welcome to the show. My guest today is Nora Quist, who builds weather models at a small lab.",
    "Nora, thanks for joining us. Thanks so much for having me, it's great to be here. So how did",
    "you get into forecasting? Honestly by accident. We were building flood maps for insurers and "
    "our models kept failing because the rain forecasts were bad, so we started fixing those instead.",
    "That's a great origin story. What makes your approach different from the big national centres?",
    "We train on radar directly rather than on reanalysis. Our models are small, they run every five",
    "minutes, and they are very good at the next two hours, which is exactly the window our customers "
    "care about. Interesting. And where does it break? It breaks on convective storms in summer.",
    "We still can't see those coming early enough, and that's the problem our team works on now.",
]


def test_unlabelled_words_are_kept_exactly_in_order():
    episode = unlabelled(INTERVIEW)
    before = words_of(episode)
    attribute_speakers(episode, speakers=parse_speakers("Ivo Brandt:host,Nora Quist:guest"))
    assert words_of(episode) == before
    for turn in episode.turns:
        assert turn.text == turn.verbatim
        assert 0.0 <= turn.confidence <= 1.0
        assert turn.start <= turn.end
    starts = [t.start for t in episode.turns]
    assert starts == sorted(starts)
    assert episode.turns[-1].end == pytest.approx(len(before) / SPEAKING_RATE_WPS, rel=1e-6)


def test_unlabelled_interview_alternates_host_and_guest():
    episode = attribute_speakers(
        unlabelled(INTERVIEW), speakers=parse_speakers("Ivo Brandt:host,Nora Quist:guest")
    )
    name = episode.speaker_name
    assert name(turn_of(episode, "My guest today is").speaker) == "Ivo Brandt"
    assert name(turn_of(episode, "how did you get into forecasting?").speaker) == "Ivo Brandt"
    assert name(turn_of(episode, "Honestly by accident.").speaker) == "Nora Quist"
    assert name(turn_of(episode, "We train on radar directly").speaker) == "Nora Quist"
    assert name(turn_of(episode, "And where does it break?").speaker) == "Ivo Brandt"
    assert name(turn_of(episode, "It breaks on convective storms").speaker) == "Nora Quist"
    assert name(turn_of(episode, "Thanks so much for having me").speaker) == "Nora Quist"


def test_unlabelled_without_hint_uses_intro_names():
    episode = attribute_speakers(unlabelled(INTERVIEW))
    names = {s.name: s.role for s in episode.speakers}
    assert names.get("Nora Quist") == "guest"
    assert len(episode.speakers) == 2
    assert episode.speaker_name(turn_of(episode, "We train on radar").speaker) == "Nora Quist"


def test_unlabelled_without_any_names_falls_back_to_generic_labels():
    episode = attribute_speakers(
        unlabelled(["What do you do all day? I fix bicycles, mostly road bikes and some cargo bikes."])
    )
    assert {s.name for s in episode.speakers} <= {"Host", "Guest"}


def test_two_person_interview_never_gets_a_third_speaker():
    episode = attribute_speakers(unlabelled(INTERVIEW * 3))
    assert len(episode.speakers) <= 2


# -- labelled input ------------------------------------------------------------------


def labelled_episode() -> Episode:
    turns = [
        Turn("S1", 0, 5, "Why did you start the company?", "Why did you start the company?"),
        Turn("S2", 5, 20, "Because nobody else would build it.", "Because nobody else would build it."),
        Turn(None, 20, 25, "An excerpt with no speaker.", "An excerpt with no speaker."),
        Turn("S1", 25, 30, "And what comes next?", "And what comes next?"),
        Turn("S2", 30, 40, "A bigger factory.", "A bigger factory."),
    ]
    speakers = [Speaker("S1", "Dwarkesh Patel"), Speaker("S2", "Casey Handmer")]
    return Episode(title="t", slug="t", turns=turns, speakers=speakers)


def test_labelled_keeps_names_and_turns_and_finds_host_by_questions():
    episode = labelled_episode()
    texts = [t.verbatim for t in episode.turns]
    attribute_speakers(episode)
    assert [t.verbatim for t in episode.turns] == texts
    roles = {s.name: s.role for s in episode.speakers}
    assert roles["Dwarkesh Patel"] == "host"
    assert roles["Casey Handmer"] == "guest"
    assert episode.speaker_name(episode.turns[2].speaker) == UNATTRIBUTED
    assert episode.speaker(episode.turns[2].speaker).role == "other"


def test_labelled_roles_from_fuzzy_hint():
    episode = attribute_speakers(
        labelled_episode(), speakers=parse_speakers("Casey Handmer:host,Dwarkesh Patell:guest")
    )
    roles = {s.name: s.role for s in episode.speakers}
    assert roles["Casey Handmer"] == "host"
    assert roles["Dwarkesh Patel"] == "guest"
    assert [s.name for s in episode.speakers[:2]] == ["Dwarkesh Patel", "Casey Handmer"]


def test_labelled_roles_given_are_kept_when_one_speaker_has_none():
    episode = labelled_episode()
    episode.speakers[0].role = "host"
    episode.speakers[1].role = "guest"
    episode.speakers.append(Speaker("S3", "Keith Duggar"))
    episode.turns[3].speaker = "S3"  # a producer typed a new name into one header
    attribute_speakers(episode)
    roles = {s.name: s.role for s in episode.speakers}
    assert roles["Dwarkesh Patel"] == "host"
    assert roles["Casey Handmer"] == "guest"
    assert roles["Keith Duggar"] == "guest"


# -- the MLST seed -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlst() -> tuple[Episode, list[str]]:
    lines = MLST.read_text(encoding="utf-8").splitlines()
    episode = unlabelled(lines)
    before = words_of(episode)
    attribute_speakers(episode, speakers=parse_speakers("Tim Scarfe:host,Eiso Kant:guest"))
    tag_structure(episode)
    return episode, before


def test_mlst_keeps_every_word(mlst):
    episode, before = mlst
    assert words_of(episode) == before


def test_mlst_two_named_speakers(mlst):
    episode, _ = mlst
    assert {(s.name, s.role) for s in episode.speakers} == {
        ("Tim Scarfe", "host"),
        ("Eiso Kant", "guest"),
    }
    used = {t.speaker for t in episode.turns}
    assert len(used) == 2
    assert all(episode.speaker_name(s) not in {"Host", "Guest", "Unknown speaker"} for s in used)
    assert len(episode.turns) > 30  # an interview, not two monologues (see the opening test below)


def test_mlst_opening_against_its_hand_marked_turns():
    # The seed's first 32 lines carry hand-marked turns (bench/devset/mlst-opening.json),
    # scored inside a run over the whole two-hour episode. Measured with the
    # shipped model: word accuracy 0.879, change F1 0.727 (the cue model it
    # replaced: 0.866 and 0.714; the main speaker alone: 0.71).
    row = _bench().evaluate_mlst_full(hint=True)
    assert row["acc"] >= 0.86
    assert row["f1"].f1 >= 0.70


def test_mlst_intro_and_questions_are_the_hosts(mlst):
    episode, _ = mlst
    host = next(s.id for s in episode.speakers if s.role == "host")
    assert turn_of(episode, "I've just had the most amazing conversation with").speaker == host
    questions = (
        "Can you tell us a little bit about yourself and Poolside?",
        "How hard is it to build a foundation model?",
        "What's your relationship with the cloud providers?",
        "Would you encourage your kids today to learn how to code?",
        "Iso, it's an honor to have you",
    )
    missed = [q for q in questions if turn_of(episode, q).speaker != host]
    # The shipped model hands the host's turn over four sentences late after
    # "How hard is it to build a foundation model?" (it opens a long question
    # whose first sentences read like the guest's answer); one miss at most.
    assert len(missed) <= 1, missed


def test_mlst_guest_answers_are_the_guests(mlst):
    episode, _ = mlst
    guest = next(s.id for s in episode.speakers if s.role == "guest")
    for answer in (
        "No, thank you so much for having me.",
        "Personally, I'm a computer geek.",
        "Publicly, we have announced in December",
    ):
        assert turn_of(episode, answer).speaker == guest, answer


def test_mlst_cold_open_is_the_guests_and_ad_the_hosts(mlst):
    episode, _ = mlst
    guest = next(s.id for s in episode.speakers if s.role == "guest")
    host = next(s.id for s in episode.speakers if s.role == "host")
    cold = [t for t in episode.turns if "cold_open" in t.tags]
    assert cold and episode.turns[0] is cold[0]
    assert "You will never hear me argue against scale." in cold[0].verbatim
    assert all(t.speaker == guest for t in cold)
    assert not any("conversation with" in t.verbatim for t in cold)
    ads = [t for t in episode.turns if "ad" in t.tags]
    assert ads and ads[0].verbatim.startswith("MLST is sponsored by")
    assert all(t.speaker == host for t in ads)
    assert "go to twoforlabs.ai" in ads[-1].verbatim
    assert not any("it's an honor to have you" in t.verbatim for t in ads)


# -- the dev set ---------------------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location("bench_speakers", ROOT / "bench" / "speakers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_speakers", module)
    spec.loader.exec_module(module)
    return module


# The dev set is written dialogues (bench/devset), a check on clean written
# turns; the learned attribution never trained or tuned on them (it learned
# from real shows: tests/test_attribution_real.py and bench/CORPUS.md hold its
# figures there). Floors sit a little below what bench/speakers.py measures
# with the shipped model (word accuracy, change F1, role accuracy): tuning part
# 0.726 0.626 0.753 with hint, 0.735 0.650 0.729 without; held-out part 0.723
# 0.663 0.758 with hint, 0.698 0.585 0.730 without. On these written
# dialogues it is only a little above the majority baseline (0.715 and 0.690),
# where the cue model fitted on them reached 0.795 and 0.785: the written
# turns are cleaner and more regular than real talk, and the learned model
# is judged on real talk.
FLOORS = {
    ("tuning", True): (0.70, 0.60, 0.73),
    ("tuning", False): (0.71, 0.62, 0.70),
    ("heldout", True): (0.70, 0.63, 0.73),
    ("heldout", False): (0.67, 0.55, 0.70),
}


@pytest.mark.parametrize(("part", "hint"), list(FLOORS))
def test_devset_floors(part, hint):
    total = _bench().run(hint=hint, part=part)[-1]
    accuracy, change, role = FLOORS[part, hint]
    assert total["acc"] >= accuracy
    assert total["f1"].f1 >= change
    assert total["role"] >= role
    assert total["acc"] > total["base_acc"]


def test_devset_parts_do_not_overlap():
    bench = _bench()
    tuning = {d["name"] for d in bench.load_devset("tuning")}
    heldout = {d["name"] for d in bench.load_devset("heldout")}
    assert len(heldout) >= 4 and len(tuning) >= 8
    assert not tuning & heldout


def test_unit_data_labels_every_word_once():
    bench = _bench()
    data = {
        "name": "toy",
        "speakers": [{"name": "A", "role": "host"}, {"name": "B", "role": "guest"}],
        "turns": [
            {"speaker": "A", "text": "Why now? Tell me.end.Next"},
            {"speaker": "B", "text": "Because the costs fell. We could finally build it."},
        ],
    }
    item = bench.unit_data(data)
    assert sum(item["counts"]) == len(item["words"]) == 13
    assert len(item["labels"]) == len(item["texts"])
    assert item["labels"][0] == "A" and item["labels"][-1] == "B"


# -- evaluation helpers ----------------------------------------------------------------


def test_evaluate_metrics_on_a_toy_example():
    ref = ["a"] * 10 + ["b"] * 10 + ["a"] * 10
    hyp = ["x"] * 12 + ["y"] * 8 + ["x"] * 10
    assert word_accuracy(ref, hyp) == pytest.approx(28 / 30)
    score = change_f1(ref, hyp, tolerance=3)
    assert (score.matched, score.f1) == (2, 1.0)
    assert change_f1(ref, ["x"] * 30).f1 == 0.0
    assert role_accuracy(["host", "guest"], ["host", "host"]) == 0.5
    base = majority_baseline(ref, ["guest" if r == "a" else "host" for r in ref])
    assert base["word_accuracy"] == pytest.approx(20 / 30)
    with pytest.raises(ValueError):
        word_accuracy(ref, hyp[:-1])


# -- through the ingest reader -----------------------------------------------------


def test_notebook_seed_roles_per_conversation():
    from castline.ingest import read_episodes

    episode = attribute_speakers(read_episodes(ROOT / "seeds" / "producer-notebook.labelled.txt")[0])
    roles = {s.name: s.role for s in episode.speakers}
    assert roles["Matt Turck"] == "host"
    assert roles["Dwarkesh Patel"] == "host"
    assert roles["Sholto Douglas"] == roles["Casey Handmer"] == roles["Lewis Bollard"] == "guest"
    if UNATTRIBUTED in roles:
        assert roles[UNATTRIBUTED] == "other"
    assert all(t.speaker is not None for t in episode.turns)


def test_mlst_seed_without_hint_names_the_guest_from_the_intro():
    from castline.ingest import read_episodes

    episode = read_episodes(MLST)[0]
    before = words_of(episode)
    attribute_speakers(episode)
    assert words_of(episode) == before
    names = {s.name: s.role for s in episode.speakers}
    assert names == {"Host": "host", "Izo Kant": "guest"}
    host = next(s.id for s in episode.speakers if s.role == "host")
    assert turn_of(episode, "Can you tell us a little bit about yourself").speaker == host


def test_word_timings_follow_the_words_into_new_turns():
    from castline.model import Word

    episode = unlabelled(INTERVIEW)
    for turn in episode.turns:
        tokens = turn.verbatim.split()
        step = (turn.end - turn.start) / len(tokens)
        turn.words = [
            Word(tok, turn.start + k * step, turn.start + (k + 1) * step) for k, tok in enumerate(tokens)
        ]
    attribute_speakers(episode, speakers=parse_speakers("Ivo Brandt:host,Nora Quist:guest"))
    for turn in episode.turns:
        assert turn.words is not None
        assert [w.text for w in turn.words] == turn.verbatim.split()
        assert {w.speaker for w in turn.words} == {turn.speaker}
        assert (turn.start, turn.end) == (turn.words[0].start, turn.words[-1].end)


# -- what the turn model learned ----------------------------------------------------------


def test_turn_model_reads_questions_as_the_hosts_and_answers_as_the_guests():
    from castline.diarize.turn_model import load_turn_model

    texts = [
        "So what made you start the company in the first place?",
        "We built the first version in my garage, and our customers were all local farms.",
        "Thanks so much for having me.",
    ]
    host = load_turn_model().predict(texts).host
    assert host[0] > 0 > host[1]
    assert host[2] < host[0]


def test_turn_model_favours_a_change_after_a_question():
    from castline.diarize.turn_model import load_turn_model

    texts = [
        "How did you get into forecasting?",
        "Honestly, by accident.",
        "I was studying physics and",
        "ended up in a weather lab.",
    ]
    change = load_turn_model().predict(texts).change
    assert change[1] > change[3]  # after a question vs. inside an unfinished sentence
    assert change[1] > 0


def test_glued_sentences_keep_their_words():
    # ASR sometimes glues sentences ("it.Why"); a turn may start there.
    lines = [
        "My guest is Ana Ruiz. Ana, why did you start the bakery?I needed the money, honestly, and",
        "nobody else in town sold rye bread.So was it hard?Very hard, the first winter we nearly closed.",
    ]
    episode = unlabelled(lines)
    before = words_of(episode)
    attribute_speakers(episode, speakers=parse_speakers("Tom Hale:host,Ana Ruiz:guest"))
    assert words_of(episode) == before
