"""Tests for castline.ingest: decoding, format detection, every reader, every seed, errors."""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import srt

from castline.ingest import IngestError, decode_bytes, detect_format, read_episodes
from castline.model import Episode
from castline.text import SPEAKING_RATE_WPS, words

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
MLST = SEEDS / "mlst-eiso-kant.raw.txt"
NOTEBOOK = SEEDS / "producer-notebook.labelled.txt"
SHOW_PAGE = SEEDS / "interconnects-show-page.txt"
POSTS = SEEDS / "x-posts-that-travel.txt"


@functools.cache
def read_seed(path: Path) -> tuple[Episode, ...]:
    """Seeds are read once per test session (a show page costs about a second)."""
    return tuple(read_episodes(path))


def spoken_tokens(episode: Episode) -> list[str]:
    """Word tokens of all turns' verbatim text, in order."""
    return [w for turn in episode.turns for w in words(turn.verbatim)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def check_common(episode: Episode) -> None:
    """Invariants every reader must keep."""
    assert episode.turns
    assert episode.slug and re.fullmatch(r"[a-z0-9-]+", episode.slug)
    assert len(episode.source_sha256) == 64
    ids = [s.id for s in episode.speakers]
    assert ids == [f"S{i}" for i in range(1, len(ids) + 1)]
    for turn in episode.turns:
        assert turn.text == turn.verbatim
        assert turn.verbatim == turn.verbatim.strip() and turn.verbatim
        assert turn.speaker is None or turn.speaker in ids
        assert turn.end >= turn.start >= 0
    assert episode.duration == pytest.approx(max(t.end for t in episode.turns))
    if episode.times_estimated:
        assert any("estimated" in note for note in episode.notes)


# -- decoding -------------------------------------------------------------------------


TEXT = "Zoë Lefèvre: Ça va, José? Straße.\r\nJosé Núñez: Très bien.\r\n"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("latin-1"),
        TEXT.encode("utf-16-le"),  # no BOM: byte order guessed from NUL positions
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "latin1", "utf16le-nobom", "utf32le-bom"],
)
def test_decode_bytes_round_trips_accents_and_normalises_newlines(encoded: bytes) -> None:
    text = decode_bytes(encoded, "x.txt")
    assert text == TEXT.replace("\r\n", "\n")


def test_decode_cp1252_smart_quotes() -> None:
    assert decode_bytes("“Quoted” – it’s".encode("cp1252"), "q.txt") == "“Quoted” – it’s"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)],
)
def test_read_episodes_with_bom_keeps_names(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = write(tmp_path, "bom.txt", bom + TEXT.encode(encoding))
    [episode] = read_episodes(path)
    assert episode.source_format == "name_colon"
    assert [s.name for s in episode.speakers] == ["Zoë Lefèvre", "José Núñez"]
    assert episode.turns[0].verbatim == "Ça va, José? Straße."


def test_latin1_file_round_trips_accented_names(tmp_path: Path) -> None:
    raw = (
        "Hélène Dubois: Bonjour à tous, c'est l'épisode numéro trois.\n"
        "Jürgen Müller: Grüß Gott! Schön, hier zu sein.\n"
        "Hélène Dubois: On parle de café et de crème brûlée.\n"
    ).encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    [episode] = read_episodes(write(tmp_path, "latin.txt", raw))
    assert [s.name for s in episode.speakers] == ["Hélène Dubois", "Jürgen Müller"]
    assert episode.turns[1].verbatim == "Grüß Gott! Schön, hier zu sein."
    assert "crème brûlée" in episode.turns[2].verbatim
    assert episode.metadata["encoding"] in ("cp1252", "latin-1")


# -- errors ---------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("episode.txt", b"", "empty file (0 bytes)"),
        ("blank.txt", b"  \n\t\r\n   \n", "empty"),
        ("noise.txt", bytes(range(256)) * 4, "binary"),
        ("controls.txt", b"hello\x01\x02\x03\x04\x05\x06\x07world\x0e\x0f\x10\x11", "binary"),
        ("image.txt", PNG, "PNG"),
        ("broken.json", b'{"segments": [{"start": 0, "end": 1, "text": "hi"}', "JSON"),
        ("other.json", b'{"hello": "world"}', "JSON"),
        ("nosegtimes.json", b'{"segments": [{"text": "hi there"}]}', "start/end"),
        ("symbols.txt", b"--- *** ---\n...\n", "no words"),
        ("cues.srt", b"just a plain sentence, not subtitles\n", "cue"),
        ("bad.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> banana\nX\n", "srt"),
    ],
)
def test_bad_inputs_raise_ingest_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(IngestError) as info:
        read_episodes(path)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    assert reason.lower() in message.lower()
    assert info.value.path == str(path)


def test_empty_file_message_exactly() -> None:
    with pytest.raises(IngestError, match=r"^episode\.txt: empty file \(0 bytes\)$"):
        decode_bytes(b"", Path("/somewhere/episode.txt"))


def test_missing_file_raises_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="missing.txt: cannot read"):
        read_episodes(tmp_path / "missing.txt")


def test_audio_bytes_point_to_asr(tmp_path: Path) -> None:
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" + bytes(64)
    with pytest.raises(IngestError, match="talk.wav: binary file \\(WAV audio\\).*ASR"):
        read_episodes(write(tmp_path, "talk.wav", wav))


# -- detection --------------------------------------------------------------------------


PROSE = (
    "Here's an example: the model learns quickly.\n"
    "There are roughly two groups of actors: those that care and those that don't.\n"
    "Note: this is not a transcript.\n"
    "Kernighan's Law goes:\n"
    "Debugging is twice as hard as writing the code in the first place.\n"
)


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ("so um we trained it\nand then it just worked\n", ".txt", "asr_text"),
        (PROSE, ".txt", "asr_text"),
        ("Alice Smith: Hi Bob.\nBob Jones: Hi Alice.\nAlice Smith: Shall we?\n", ".txt", "name_colon"),
        ("SPEAKER_00: yes\nSPEAKER_01: no\nSPEAKER_00: maybe\n", "", "name_colon"),
        ("Alice Smith 00:00:01\nHello there.\nBob Jones 00:00:04\nHi.\n", ".txt", "name_time_blocks"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHello\n", ".txt", "srt"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n", ".txt", "vtt"),
        ("00:00:01.000 --> 00:00:02.000\nHello\n", ".vtt", "vtt"),
        ('{"segments": [{"start": 0, "end": 1, "text": "Hi"}]}', ".json", "whisper_json"),
        ('[{"start": 0, "end": 1, "text": "Hi"}]', ".txt", "whisper_json"),
        # A chapter list ("Title 12:30" lines without bodies) is not speaker headers.
        ("Intro Talk 00:00\nScaling Laws 12:30\nOpen Questions 40:10\n", ".txt", "asr_text"),
    ],
)
def test_detect_format(text: str, suffix: str, expected: str) -> None:
    assert detect_format(text, suffix) == expected


def test_single_prose_colon_is_not_a_speaker(tmp_path: Path) -> None:
    [episode] = read_episodes(write(tmp_path, "prose.txt", PROSE))
    assert episode.source_format == "asr_text"
    assert episode.speakers == []
    assert [t.verbatim for t in episode.turns] == PROSE.strip().split("\n")


def test_detect_seeds() -> None:
    assert detect_format(MLST.read_text(encoding="utf-8"), ".txt") == "asr_text"
    assert detect_format(NOTEBOOK.read_text(encoding="utf-8"), ".txt") == "name_time_blocks"
    assert detect_format(SHOW_PAGE.read_text(encoding="utf-8"), ".txt") == "show_page"
    assert detect_format(POSTS.read_text(encoding="utf-8"), ".txt") == "asr_text"


def test_content_beats_suffix(tmp_path: Path) -> None:
    # SRT content saved as .txt is still read as subtitles.
    path = write(tmp_path, "subs.txt", (FIXTURES / "labelled.srt").read_text(encoding="utf-8"))
    [episode] = read_episodes(path)
    assert episode.source_format == "srt"


# -- readers on small inputs --------------------------------------------------------------


def test_asr_text_one_unlabelled_turn_per_line_with_estimated_times(tmp_path: Path) -> None:
    text = "so we trained the model\n\nand it kept getting better every week\nwhich was odd\n"
    [episode] = read_episodes(write(tmp_path, "raw-chunks.txt", text))
    check_common(episode)
    assert episode.source_format == "asr_text"
    assert episode.title == "Raw chunks" and episode.slug == "raw-chunks"
    assert [t.verbatim for t in episode.turns] == [
        "so we trained the model",
        "and it kept getting better every week",
        "which was odd",
    ]
    assert all(t.speaker is None for t in episode.turns)
    assert episode.times_estimated
    assert episode.turns[0].end == pytest.approx(5 / SPEAKING_RATE_WPS, abs=1e-3)
    assert episode.turns[1].start == episode.turns[0].end
    assert episode.duration == pytest.approx(15 / SPEAKING_RATE_WPS, abs=1e-2)


def test_asr_text_with_whisper_console_times(tmp_path: Path) -> None:
    text = "[00:00.000 --> 00:03.500]  So we trained it.\n[00:03.500 --> 00:07.250]  And it worked.\n"
    [episode] = read_episodes(write(tmp_path, "console.txt", text))
    assert episode.source_format == "asr_text"
    assert [(t.start, t.end, t.verbatim) for t in episode.turns] == [
        (0.0, 3.5, "So we trained it."),
        (3.5, 7.25, "And it worked."),
    ]
    assert not episode.times_estimated


def test_name_colon_reader() -> None:
    [episode] = read_episodes(FIXTURES / "interview.txt", title="Scaling Laws, Part 2")
    check_common(episode)
    assert episode.source_format == "name_colon"
    assert episode.title == "Scaling Laws, Part 2" and episode.slug == "scaling-laws-part-2"
    assert [(s.id, s.name, s.role) for s in episode.speakers] == [
        ("S1", "Sarah Chen", "other"),
        ("S2", "Marcus Webb", "other"),
    ]
    assert [t.speaker for t in episode.turns] == ["S1", "S2", "S1", "S2"]
    # The unlabelled line continues the previous speaker; prose colons stay in the text.
    assert episode.turns[1].verbatim == "Thanks for having me.\nIt's a pleasure to be here."
    assert "Here's an example: a model" in episode.turns[2].verbatim
    assert episode.turns[3].verbatim == "Sure. Note: this is a simplification."
    assert episode.times_estimated


def test_name_colon_with_inline_times(tmp_path: Path) -> None:
    text = (
        "[00:00:05] Alice Smith: Welcome.\n"
        "[00:00:09] Bob Jones: Thanks.\n"
        "[00:01:02] Alice Smith: Let's go.\n"
    )
    [episode] = read_episodes(write(tmp_path, "timed.txt", text))
    assert episode.source_format == "name_colon"
    assert [t.start for t in episode.turns] == [5.0, 9.0, 62.0]
    assert [t.verbatim for t in episode.turns] == ["Welcome.", "Thanks.", "Let's go."]
    assert episode.turns[0].end == 9.0


def test_name_time_blocks_reader() -> None:
    [episode] = read_episodes(FIXTURES / "blocks.txt")
    check_common(episode)
    assert episode.source_format == "name_time_blocks"
    assert [s.name for s in episode.speakers] == ["Ana Lima", "Tom Berg"]
    turns = [(t.speaker, t.start, t.verbatim) for t in episode.turns]
    assert turns[0] == (None, 0.0, "This line comes before any header.")
    assert turns[1] == ("S1", 5.0, "Good morning everyone. Let's get started.\nWe have a lot to cover today.")
    assert turns[2][:2] == ("S2", 21.0)
    # A ``Name: text`` line inside a header file is honoured.
    assert turns[3][0] == "S1" and turns[3][2] == "One quick note before we begin."
    assert turns[4] == ("S2", 40.0, "Great, let's go.")
    # Header block ends at the next header's start when that is later.
    assert episode.turns[1].end == 21.0
    assert episode.times_estimated


def test_srt_reader_built_with_srt_library(tmp_path: Path) -> None:
    subs = [
        srt.Subtitle(1, timedelta(seconds=1), timedelta(seconds=3.5), "so we started\nwith a tiny model"),
        srt.Subtitle(2, timedelta(seconds=3.5), timedelta(seconds=6.25), "<i>and it kept</i> getting better"),
        srt.Subtitle(3, timedelta(seconds=70), timedelta(seconds=72), "which nobody expected"),
    ]
    [episode] = read_episodes(write(tmp_path, "talk.srt", srt.compose(subs)))
    check_common(episode)
    assert episode.source_format == "srt"
    assert episode.speakers == []
    assert [(t.start, t.end, t.verbatim) for t in episode.turns] == [
        (1.0, 3.5, "so we started with a tiny model"),
        (3.5, 6.25, "and it kept getting better"),
        (70.0, 72.0, "which nobody expected"),
    ]
    assert not episode.times_estimated and episode.duration == 72.0


def test_srt_reader_with_name_labels() -> None:
    [episode] = read_episodes(FIXTURES / "labelled.srt")
    check_common(episode)
    assert [s.name for s in episode.speakers] == ["Tim Scarfe", "Eiso Kant"]
    assert [(t.speaker, t.start, t.end) for t in episode.turns] == [
        ("S1", 0.0, 4.0),
        ("S2", 4.0, 6.5),
        ("S1", 6.5, 9.0),
        ("S2", 9.0, 12.25),
    ]
    assert episode.turns[0].verbatim == "Eiso, welcome to MLST. It's great to have you."
    assert episode.turns[3].verbatim == "Sure, reinforcement learning is the axis."


def test_vtt_reader_with_voice_tags() -> None:
    [episode] = read_episodes(FIXTURES / "interview.vtt")
    check_common(episode)
    assert episode.source_format == "vtt"
    assert episode.title == "Scaling with Jane Roe"
    assert [s.name for s in episode.speakers] == ["Jane Roe", "Ravi Patel"]
    assert [t.speaker for t in episode.turns] == ["S1", "S2", "S1", "S2"]
    first, second, third, fourth = episode.turns
    assert first.verbatim == "Welcome back to the show. Today we talk about scaling. It is a big topic."
    assert (first.start, first.end) == (0.5, 5.75)  # millisecond times kept
    assert second.verbatim == "Thanks for having me & my notes."
    assert third.verbatim == "So, first question." and fourth.verbatim == "Go ahead."
    assert third.start == 9.125 and fourth.end == 11.0
    assert not episode.times_estimated


def test_vtt_reader_without_voice_tags() -> None:
    [episode] = read_episodes(FIXTURES / "plain.vtt")
    check_common(episode)
    assert episode.speakers == []
    assert [(t.speaker, t.start, t.verbatim) for t in episode.turns] == [
        (None, 1.0, "so we started with a tiny model"),
        (None, 2.5, "and it just kept getting better"),
        (None, 64.25, "which nobody expected"),
    ]
    assert episode.duration == 66.0


def test_whisperx_json_reader() -> None:
    [episode] = read_episodes(FIXTURES / "whisperx.json")
    check_common(episode)
    assert episode.source_format == "whisper_json"
    assert [(s.id, s.name) for s in episode.speakers] == [("S1", "SPEAKER_00"), ("S2", "SPEAKER_01")]
    first, second = episode.turns
    assert first.speaker == "S1" and second.speaker == "S2"
    assert first.verbatim == "Hello and welcome to the show. It has 2 guests."
    assert (first.start, first.end) == (0.031, 4.0)
    assert [w.text for w in first.words] == (
        "Hello and welcome to the show. It has 2 guests.".split()
    )
    assert first.words[0].score == pytest.approx(0.91)
    # The untimed "2" gets times between its neighbours.
    two = first.words[8]
    assert first.words[7].end <= two.start <= two.end <= first.words[9].start
    assert all(w.speaker == "S1" for w in first.words)
    assert not episode.times_estimated


def test_faster_whisper_bare_segment_list() -> None:
    [episode] = read_episodes(FIXTURES / "faster_whisper_segments.json")
    check_common(episode)
    assert episode.speakers == []
    assert [t.verbatim for t in episode.turns] == [
        "So the first thing is data.",
        "And the second is compute.",
    ]
    assert episode.turns[0].words[0].text == "So"
    assert episode.turns[0].words[-1].score == pytest.approx(0.7)
    assert episode.turns[1].start == 3.9


def test_show_page_reader_on_fixture() -> None:
    episodes = read_episodes(FIXTURES / "show_page.txt")
    assert [e.title for e in episodes] == ["Why fpgas came back", "The quiet radio revolution"]
    for episode in episodes:
        check_common(episode)
        assert episode.source_format == "show_page"
        assert episode.show == "Deep Signals"
        assert [(s.id, s.name, s.role) for s in episode.speakers] == [("S1", "Maya Ortiz", "host")]
        assert all(t.speaker == "S1" for t in episode.turns)
        assert episode.metadata["url"].startswith("https://deepsignals.example/p/")
    # Page footer lines are not episode text.
    assert "Subscribe" not in episodes[1].turns[-1].verbatim
    assert episodes[0].turns[0].verbatim.startswith("FPGAs came back")


# -- word invariant -------------------------------------------------------------------------

SPOKEN = {
    "interview.txt": (
        "Welcome to the show. Today: scaling laws. Thanks for having me. It's a pleasure to be "
        "here. Let's begin. Here's an example: a model with 7 billion parameters. Sure. Note: "
        "this is a simplification."
    ),
    "blocks.txt": (
        "This line comes before any header. Good morning everyone. Let's get started. We have a "
        "lot to cover today. Thanks, Ana. One quick note before we begin. Great, let's go."
    ),
    "labelled.srt": (
        "Eiso, welcome to MLST. It's great to have you. Thank you, Tim. Great to be here. "
        "Let's start with RL. Sure, reinforcement learning is the axis."
    ),
    "interview.vtt": (
        "Welcome back to the show. Today we talk about scaling. It is a big topic. Thanks for "
        "having me & my notes. So, first question. Go ahead."
    ),
    "plain.vtt": "so we started with a tiny model and it just kept getting better which nobody expected",
    "whisperx.json": "Hello and welcome to the show. It has 2 guests. Thanks, happy to be here.",
    "faster_whisper_segments.json": "So the first thing is data. And the second is compute.",
}


@pytest.mark.parametrize("name", sorted(SPOKEN))
def test_word_invariant_on_fixtures(name: str) -> None:
    [episode] = read_episodes(FIXTURES / name)
    assert spoken_tokens(episode) == words(SPOKEN[name])


def test_word_invariant_show_page_fixture() -> None:
    lines = (FIXTURES / "show_page.txt").read_text(encoding="utf-8").split("\n")
    expected = []
    for line in lines:
        if line.startswith("https://"):
            body = re.sub(r"^https://\S+(\s+\[https://[^\]]+\])?", "", line)
            expected += words(body)
    got = [w for e in read_episodes(FIXTURES / "show_page.txt") for w in spoken_tokens(e)]
    assert got == expected


# -- seeds ---------------------------------------------------------------------------------


def test_seed_mlst_raw_asr() -> None:
    episodes = read_seed(MLST)
    assert len(episodes) == 1
    [episode] = episodes
    check_common(episode)
    assert episode.source_format == "asr_text"
    lines = [line.strip() for line in MLST.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert 250 <= len(episode.turns) <= 270
    assert [t.verbatim for t in episode.turns] == lines
    assert all(t.speaker is None for t in episode.turns)
    assert episode.speakers == []
    assert episode.times_estimated
    assert spoken_tokens(episode) == words(MLST.read_text(encoding="utf-8"))
    # About two hours of speech at the house speaking rate.
    assert episode.duration == pytest.approx(len(spoken_tokens(episode)) / SPEAKING_RATE_WPS, rel=0.05)
    assert episode.source_sha256 == __import__("hashlib").sha256(MLST.read_bytes()).hexdigest()
    assert episode.source == str(MLST)


def test_seed_notebook_header_blocks() -> None:
    [episode] = read_seed(NOTEBOOK)
    check_common(episode)
    assert episode.source_format == "name_time_blocks"
    names = {s.name for s in episode.speakers}
    assert {"Casey Handmer", "Dwarkesh Patel", "Lewis Bollard", "Matt Turck", "Sholto Douglas"} <= names
    # Prose lines with colons never become speakers.
    assert all(len(n.split()) <= 4 and ":" not in n for n in names)
    by_id = {s.id: s.name for s in episode.speakers}
    timed = [(by_id[t.speaker], t.start) for t in episode.turns if t.speaker]
    assert ("Casey Handmer", 2013.0) in timed  # 00:33:33
    assert ("Dwarkesh Patel", 2098.0) in timed  # 00:34:58
    assert ("Lewis Bollard", 482.0) in timed  # 00:08:02
    # Lines before the first label are unlabelled, one turn per line.
    assert episode.turns[0].speaker is None
    assert episode.turns[0].verbatim.startswith("People are really worried about their jobs.")
    assert by_id[episode.turns[6].speaker] == "Matt Turck"
    assert episode.turns[6].verbatim.startswith("What do you make of")


def test_seed_notebook_word_invariant() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    expected: list[str] = []
    for line in text.split("\n"):
        if re.fullmatch(r"[A-Z][\w ]+ \d\d:\d\d:\d\d", line.strip()):
            continue  # a header line
        line = re.sub(r"^(Matt Turck|Sholto Douglas): ", "", line)
        expected += words(line)
    [episode] = read_seed(NOTEBOOK)
    assert spoken_tokens(episode) == expected


def test_seed_show_page() -> None:
    episodes = read_seed(SHOW_PAGE)
    assert len(episodes) == 5
    slugs = [e.slug for e in episodes]
    assert len(set(slugs)) == 5
    assert "how-i-write" in slugs
    text = SHOW_PAGE.read_text(encoding="utf-8")
    unlinked = re.sub(r"\s+", "", re.sub(r"\[https?://[^\]\s]+\]", "", text))
    for episode in episodes:
        check_common(episode)
        assert episode.source_format == "show_page"
        assert episode.show == "Interconnects"
        assert [(s.name, s.role) for s in episode.speakers] == [("Nathan Lambert", "host")]
        assert all(t.speaker == "S1" for t in episode.turns)
        assert episode.metadata["url"].startswith("https://www.interconnects.ai/p/")
        assert episode.metadata["url"].rsplit("/", 1)[-1] == episode.slug
        assert episode.times_estimated
        # Long essays are cut into turns of about a minute, never mid-word.
        assert len(episode.turns) > 3
        assert max(len(words(t.verbatim)) for t in episode.turns) < 600
        for turn in episode.turns:
            assert re.sub(r"\s+", "", turn.verbatim) in unlinked
    # Link targets leave the text for metadata; the anchor words stay.
    next_gen = next(e for e in episodes if e.slug == "next-gen-reasoners")
    assert "https://natolambert.substack.com/p/rewardbench-2-and-the-state-of-preference" in (
        next_gen.metadata["links"]
    )
    assert "Read more of my thoughts here." in next_gen.turns[0].verbatim
    assert not any("[http" in t.verbatim for e in episodes for t in e.turns)
    # Page furniture after the last episode is not read as speech.
    assert "Lydbøger" not in episodes[-1].turns[-1].verbatim
    assert "Prøv gratis" not in episodes[-1].turns[-1].verbatim


def test_seed_show_page_word_invariant() -> None:
    expected = []
    for line in SHOW_PAGE.read_text(encoding="utf-8").split("\n"):
        match = re.match(r"^https://\S+\s+\[https://[^\]]+\]\s*(.*)$", line)
        if match:
            # Bracketed link targets are page markup, not speech.
            expected += words(re.sub(r"\[https?://[^\]\s]+\]", "", match[1]))
    got = [w for e in read_seed(SHOW_PAGE) for w in spoken_tokens(e)]
    assert got == expected


def test_seed_posts_reads() -> None:
    [episode] = read_seed(POSTS)
    check_common(episode)
    assert episode.source_format == "asr_text"
    assert spoken_tokens(episode) == words(POSTS.read_text(encoding="utf-8"))


def test_speaker_ids_follow_first_appearance_and_same_name_same_id(tmp_path: Path) -> None:
    text = "Bo Li: one\nAl Ng: two\nBO  LI: three\nAl Ng: four\n"
    [episode] = read_episodes(write(tmp_path, "ids.txt", text))
    assert [(s.id, s.name) for s in episode.speakers] == [("S1", "Bo Li"), ("S2", "Al Ng")]
    assert [t.speaker for t in episode.turns] == ["S1", "S2", "S1", "S2"]


def test_episode_json_round_trip() -> None:
    [episode] = read_episodes(FIXTURES / "whisperx.json")
    again = Episode.from_json(episode.to_json())
    assert again == episode
    assert json.loads(episode.to_json())["source_format"] == "whisper_json"
    assert Counter(t.speaker for t in again.turns) == Counter({"S1": 1, "S2": 1})


# -- other shapes real files take ------------------------------------------------------------


def test_header_blocks_with_blank_lines_and_time_first_headers(tmp_path: Path) -> None:
    text = (
        "Dwarkesh Patel 00:00:00\n\nToday I'm speaking with Casey.\n\n"
        "[00:01:02] Casey Handmer\n\nThanks for having me.\n\nIt's great to be here.\n"
    )
    [episode] = read_episodes(write(tmp_path, "blank-lines.txt", text))
    assert episode.source_format == "name_time_blocks"
    assert [(t.speaker, t.start, t.end) for t in episode.turns][0] == ("S1", 0.0, 62.0)
    assert episode.turns[1].verbatim == "Thanks for having me.\nIt's great to be here."
    assert episode.turns[1].start == 62.0


def test_label_alone_on_its_line_with_time(tmp_path: Path) -> None:
    text = (
        "Jane Doe (00:00:03):\nHello there.\n\n"
        "John Roe (00:00:07):\nHi Jane.\n\n"
        "Jane Doe (00:00:09):\nBye.\n"
    )
    [episode] = read_episodes(write(tmp_path, "rev.txt", text))
    assert episode.source_format == "name_colon"
    assert [(t.speaker, t.start, t.verbatim) for t in episode.turns] == [
        ("S1", 3.0, "Hello there."),
        ("S2", 7.0, "Hi Jane."),
        ("S1", 9.0, "Bye."),
    ]


def test_youtube_rolling_captions_are_not_doubled() -> None:
    [episode] = read_episodes(FIXTURES / "youtube_auto.vtt")
    assert episode.source_format == "vtt" and episode.language == "en"
    assert " ".join(t.verbatim for t in episode.turns) == "so today we are talking about scaling laws again"
    assert episode.metadata["format_details"]["rolling_repeats_dropped"] == 4


def test_repeated_line_in_ordinary_subtitles_is_kept(tmp_path: Path) -> None:
    subs = [
        srt.Subtitle(1, timedelta(seconds=0), timedelta(seconds=1), "Yes."),
        srt.Subtitle(2, timedelta(seconds=1), timedelta(seconds=2), "Yes."),
        srt.Subtitle(3, timedelta(seconds=2), timedelta(seconds=3), "I mean it."),
        srt.Subtitle(4, timedelta(seconds=3), timedelta(seconds=4), "Really, I do."),
        srt.Subtitle(5, timedelta(seconds=4), timedelta(seconds=5), "Truly."),
        srt.Subtitle(6, timedelta(seconds=5), timedelta(seconds=6), "Believe me."),
    ]
    [episode] = read_episodes(write(tmp_path, "yes.srt", srt.compose(subs)))
    assert [t.verbatim for t in episode.turns][:2] == ["Yes.", "Yes."]


def test_vtt_without_header_by_suffix(tmp_path: Path) -> None:
    text = "00:00:01.000 --> 00:00:02.000\nHello there\n"
    [episode] = read_episodes(write(tmp_path, "noheader.vtt", text))
    assert episode.source_format == "vtt"
    assert [(t.start, t.end, t.verbatim) for t in episode.turns] == [(1.0, 2.0, "Hello there")]


def test_youtube_transcript_time_marks_on_own_lines(tmp_path: Path) -> None:
    text = "0:00\nso today we are talking\n0:05\nabout scaling laws\n1:02:09\nand why they matter\n"
    [episode] = read_episodes(write(tmp_path, "yt.txt", text))
    assert episode.source_format == "asr_text"
    assert [(t.start, t.verbatim) for t in episode.turns] == [
        (0.0, "so today we are talking"),
        (5.0, "about scaling laws"),
        (3729.0, "and why they matter"),
    ]
    assert episode.turns[0].end == 5.0


def test_mostly_utf8_with_one_bad_byte_is_not_mojibake() -> None:
    data = ("Zoë Lefèvre: Ça va? " * 5).encode("utf-8") + b"\xff end"
    text = decode_bytes(data, "x.txt")
    assert text.startswith("Zoë Lefèvre: Ça va?") and "\ufffd end" in text


def test_show_page_dialogue_is_left_unattributed(tmp_path: Path) -> None:
    body = (
        "Nathan Lambert: Welcome back, today I have a guest to talk about open models and data. "
        "Dylan Patel: Thanks for having me, it is great to be here again after last time. "
        "Nathan Lambert: Let's start with chips and the supply chain, what changed this year? "
        "Dylan Patel: A lot changed, mostly in packaging and memory bandwidth across vendors."
    )
    text = f"My Show\nPodcast by Nathan Lambert\nhttps://example.com/p/chips-talk {body}\n"
    [episode] = read_episodes(write(tmp_path, "page.txt", text))
    assert episode.source_format == "show_page"
    assert episode.speakers == [] and all(t.speaker is None for t in episode.turns)
    assert any("dialogue" in note for note in episode.notes)


def test_show_page_title_argument_prefixes_each_episode() -> None:
    episodes = read_episodes(FIXTURES / "show_page.txt", title="Deep Signals")
    assert [e.slug for e in episodes] == [
        "deep-signals-why-fpgas-came-back",
        "deep-signals-the-quiet-radio-revolution",
    ]


def test_markdown_bold_labels_and_uncased_scripts(tmp_path: Path) -> None:
    text = "**Nathan Lambert:** Welcome back.\n**Ross Taylor:** Thanks.\n**Nathan Lambert:** Let's start.\n"
    [episode] = read_episodes(write(tmp_path, "md.txt", text))
    assert [s.name for s in episode.speakers] == ["Nathan Lambert", "Ross Taylor"]
    assert [t.verbatim for t in episode.turns] == ["Welcome back.", "Thanks.", "Let's start."]
    cjk = "王伟: 你好，欢迎收听。\n李娜: 谢谢邀请。\n王伟: 我们开始吧。\n"
    [episode] = read_episodes(write(tmp_path, "cjk.txt", cjk))
    assert [s.name for s in episode.speakers] == ["王伟", "李娜"]
    assert episode.turns[1].verbatim == "谢谢邀请。"
