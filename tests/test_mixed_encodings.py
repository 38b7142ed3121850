"""Mixed encodings: a UTF-8 file with a Latin-1 (or cp1252) line is text, not "binary data".

Issue 19: a UTF-8 transcript with smart quotes and one line pasted from a Latin-1 source
was refused as "binary data (12 control characters)": the whole file fell back to one
8-bit decoding, which turned UTF-8's continuation bytes into C1 control characters. The
decoder now goes line by line and says which lines it re-decoded.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from castline.ingest import IngestError, decode_bytes, read_episodes
from castline.ingest.decode import decode_with_encoding

UTF8_LINE = "Tim Scarfe: “Welcome back” — it’s great to have you, Zoë.\n"
LATIN1_LINE = "Hélène Dubois: Merci! On parle de café, de crème brûlée et de Noël.\n"
CP1252_LINE = "Hélène Dubois: It’s “lovely” – a 5 € café… really.\n"


def _mixed(middle: bytes, copies: int = 6) -> bytes:
    return (UTF8_LINE * copies).encode("utf-8") + middle + (UTF8_LINE * copies).encode("utf-8")


def test_the_issue_case_utf8_with_one_latin1_line_reads_every_line(tmp_path: Path) -> None:
    data = _mixed(LATIN1_LINE.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text, encoding = decode_with_encoding(data, "mixed.txt")
    assert text == UTF8_LINE * 6 + LATIN1_LINE + UTF8_LINE * 6
    assert encoding == "utf-8 (line 7 re-decoded as cp1252)"
    (tmp_path / "mixed.txt").write_bytes(data)
    [episode] = read_episodes(tmp_path / "mixed.txt")
    assert [s.name for s in episode.speakers] == ["Tim Scarfe", "Hélène Dubois"]
    assert "crème brûlée" in " ".join(t.verbatim for t in episode.turns)
    assert episode.metadata["encoding"] == "utf-8 (line 7 re-decoded as cp1252)"


def test_cp1252_lines_keep_their_smart_quotes_and_euro_sign() -> None:
    data = _mixed(CP1252_LINE.encode("cp1252") * 2, copies=2)
    text, encoding = decode_with_encoding(data, "x.txt")
    assert text == UTF8_LINE * 2 + CP1252_LINE * 2 + UTF8_LINE * 2
    assert encoding == "utf-8 (lines 3-4 re-decoded as cp1252)"


def test_a_warning_names_the_file_and_the_lines(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="castline.ingest.decode"):
        decode_bytes(_mixed(LATIN1_LINE.encode("latin-1")), "/shows/mixed.txt")
    assert any("mixed.txt" in r.getMessage() and "line 7 re-decoded" in r.getMessage() for r in caplog.records)


def test_a_line_mixing_utf8_and_cp1252_bytes_keeps_both() -> None:
    # A Windows apostrophe and a Latin-1 "é" pasted into a line that is otherwise UTF-8.
    line = "Zoë said it".encode() + b"\x92s the caf\xe9 on the corner.\n"
    text, encoding = decode_with_encoding(UTF8_LINE.encode() + line, "x.txt")
    assert text == UTF8_LINE + "Zoë said it’s the café on the corner.\n"
    assert encoding == "utf-8 (line 2 re-decoded as cp1252)"


def test_a_cut_off_utf8_character_is_replaced_not_turned_into_mojibake() -> None:
    data = ("Zoë Lefèvre: Ça va? " * 5).encode() + "“cut".encode()[:2] + b" here\n"
    text, encoding = decode_with_encoding(data, "x.txt")
    assert text.endswith("Ça va? \ufffd here\n") and "â€" not in text
    assert encoding == "utf-8 (2 invalid bytes replaced)"


def test_whole_files_in_one_encoding_are_unchanged() -> None:
    assert decode_with_encoding(LATIN1_LINE.encode("latin-1") * 3, "x.txt") == (LATIN1_LINE * 3, "cp1252")
    assert decode_with_encoding(CP1252_LINE.encode("cp1252"), "x.txt") == (CP1252_LINE, "cp1252")
    assert decode_with_encoding((UTF8_LINE + LATIN1_LINE).encode(), "x.txt") == (
        UTF8_LINE + LATIN1_LINE, "utf-8")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        bytes(range(1, 256)) * 4,  # no NUL byte: refused for its control characters
        UTF8_LINE.encode() * 3 + bytes(range(1, 32)) * 8 + b"\n",
        b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)),
    ],
    ids=["all-bytes", "no-nul", "utf8-then-controls", "png"],
)
def test_binary_data_is_still_refused(data: bytes) -> None:
    with pytest.raises(IngestError, match="binary"):
        decode_bytes(data, "noise.txt")


@pytest.mark.parametrize(
    "first_line",
    [b"ID3 tags are how podcasts store chapters.", b"OggS is the page marker of an Ogg file.",
     b"fLaC files are lossless, he said.", b"RIFF, the container, came from Microsoft and IBM."],
)
def test_a_transcript_that_starts_like_an_audio_signature_is_text(first_line: bytes) -> None:
    data = first_line + b"\nAnd that is the whole story.\n"
    assert decode_bytes(data, "x.txt") == data.decode()


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"ID3\x04\x00\x00\x00\x00\x01\x00" + b"TIT2" + bytes(40), "MP3"),
     (b"OggS\x00\x02" + bytes(60), "Ogg"),
     (b"fLaC\x00\x00\x00\x22" + bytes(60), "FLAC"),
     (b"\x00\x00\x00\x20ftypisom" + bytes(60), "MP4"),
     (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(64), "WAV")],
)
def test_real_audio_headers_still_point_to_asr(data: bytes, kind: str) -> None:
    with pytest.raises(IngestError, match=f"binary file \\({kind}.*ASR"):
        decode_bytes(data, "talk.txt")
