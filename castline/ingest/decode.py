"""Bytes -> text: BOM-aware decoding with a per-line cp1252/Latin-1 fallback, rejecting binary data."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from pathlib import Path

from castline.ingest.errors import IngestError

__all__ = ["decode_bytes", "decode_with_encoding"]

log = logging.getLogger(__name__)

# Signatures of common non-text files, so the error can say what the file is.
# Audio/video get their own hint because they are valid castline inputs for the ASR stage.
_MAGIC: tuple[tuple[int, bytes, str, bool], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG image", False),
    (0, b"\xff\xd8\xff", "JPEG image", False),
    (0, b"GIF87a", "GIF image", False),
    (0, b"GIF89a", "GIF image", False),
    (0, b"%PDF-", "PDF document", False),
    (0, b"PK\x03\x04", "ZIP archive (or docx/xlsx)", False),
    (0, b"\x1f\x8b", "gzip archive", False),
    (0, b"7z\xbc\xaf\x27\x1c", "7z archive", False),
    (0, b"ID3", "MP3 audio", True),
    (0, b"fLaC", "FLAC audio", True),
    (0, b"OggS", "Ogg audio", True),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM video", True),
    (4, b"ftyp", "MP4/M4A audio or video", True),
)

# BOMs, longest first: the UTF-32 LE BOM begins with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Share of control characters above which decoded "text" is treated as binary data.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


# Bytes no text file holds (C0 controls but tab and line breaks): every real audio or video
# header has some (NULs in ID3, Ogg, FLAC and MP4 headers), a transcript has none.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def _sniff_binary(data: bytes) -> tuple[str, bool] | None:
    """(kind, is_media) when ``data`` starts with a known binary signature.

    Audio and video signatures are short and spell words ("ID3 tags are...",
    "OggS", "fLaC"), so they count only when the first 4 KB also hold a byte
    that no text has.
    """
    found: tuple[str, bool] | None = None
    for offset, magic, kind, is_media in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            found = kind, is_media
            break
    else:
        if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"AVI "):
            found = ("WAV audio" if data[8:12] == b"WAVE" else "AVI video"), True
        # MPEG audio frame sync (MP3 without an ID3 tag).
        elif len(data) > 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06:
            found = "MP3 audio", True
    if found and found[1] and not _BINARY_BYTES.search(data[:4096]):
        return None
    return found


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 byte order from where the NUL bytes fall (ASCII-heavy text has many)."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u2028", "\n").replace("\u2029", "\n\n").lstrip("\ufeff")


# cp1252 for one byte, Latin-1 where cp1252 leaves the byte undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
_CP1252_TABLE = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0x100)}
# decode("latin-1") then this table: cp1252 over every byte.
_CP1252_FIX = {b: ch for b, ch in _CP1252_TABLE.items() if ch != chr(b)}
# Characters an 8-bit byte in running text stands for even outside a word: cp1252's quotes,
# dashes and symbols, and Latin-1's currency, marks, fractions and the no-break space.
_TEXT_SYMBOLS = frozenset("‘’‚“”„–—…•€£¥¢°©®™«»±½¼¾·§¶¿¡×÷µ²³\u00a0")
# One escaped (invalid) byte of surrogateescape decoding, and a run of them.
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
# A character that UTF-8 decoding found valid and multi-byte.
_VALID_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")
# A valid UTF-8 start byte and how many bytes its character takes.
_UTF8_LENGTH = {**dict.fromkeys(range(0xC2, 0xE0), 2), **dict.fromkeys(range(0xE0, 0xF0), 3),
                **dict.fromkeys(range(0xF0, 0xF5), 4)}


def _cp1252(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252_FIX)


def _truncated_utf8(run: bytes, at: int) -> int:
    """Length of the cut-off UTF-8 character starting at ``run[at]`` (0 when it is not one)."""
    need = _UTF8_LENGTH.get(run[at], 0)
    length = 1
    while length < need and at + length < len(run) and 0x80 <= run[at + length] < 0xC0:
        length += 1
    return length if 2 <= length < need else 0


def _decode_mixed_line(line: bytes) -> tuple[str, int, int]:
    """A line of UTF-8 with a few invalid bytes: ``(text, bytes re-decoded, bytes replaced)``.

    Each invalid byte is read as cp1252 when that gives text: a quote, dash or
    symbol (a Windows apostrophe pasted into UTF-8), a letter inside a word
    ("caf\\xe9"), or any letter when the line has about as many invalid bytes as
    valid accented characters. A cut-off UTF-8 character and anything else
    becomes U+FFFD.
    """
    text = line.decode("utf-8", errors="surrogateescape")
    runs = list(_ESCAPED_RUN.finditer(text))
    invalid = sum(len(m.group()) for m in runs)
    accented = sum(1 for ch in text if ord(ch) > 127) - invalid
    letters_too = accented < 5 * invalid
    out: list[str] = []
    redecoded = replaced = 0
    last = 0
    for match in runs:
        out.append(text[last : match.start()])
        last = match.end()
        run = bytes(ord(ch) - 0xDC00 for ch in match.group())
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        at = 0
        while at < len(run):
            cut = _truncated_utf8(run, at)
            if cut:
                out.append("\ufffd")
                replaced += cut
                at += cut
                continue
            ch = _CP1252_TABLE[run[at]]
            left = before if at == 0 else _CP1252_TABLE[run[at - 1]]
            right = after if at == len(run) - 1 else _CP1252_TABLE[run[at + 1]]
            in_word = left.isalpha() or right.isalpha()
            if ch in _TEXT_SYMBOLS or (ch.isalpha() and (in_word or letters_too)):
                out.append(ch)
                redecoded += 1
            else:
                out.append("\ufffd")
                replaced += 1
            at += 1
    out.append(text[last:])
    return "".join(out), redecoded, replaced


def _line_ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    parts: list[str] = []
    for n in numbers:
        if parts and parts[-1][1] == n - 1:
            parts[-1] = (parts[-1][0], n)
        else:
            parts.append((n, n))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def _decode_legacy(data: bytes, path: Path | str) -> tuple[str, str]:
    """Text that is not valid UTF-8, decoded line by line.

    A file without one valid multi-byte UTF-8 character is 8-bit text (cp1252,
    which covers Latin-1's letters and Windows smart quotes). Otherwise each
    line that is valid UTF-8 stays so, a line with no valid multi-byte character
    is read as cp1252 (a Latin-1 line pasted into a UTF-8 file), and a line
    mixing both keeps its UTF-8 and reads the invalid bytes one by one
    (:func:`_decode_mixed_line`). The returned encoding says which lines were
    re-decoded, e.g. ``utf-8 (lines 3, 7-9 re-decoded as cp1252)``, and the
    same warning is logged.
    """
    if not _VALID_MULTIBYTE.search(data.decode("utf-8", errors="surrogateescape")):
        return _cp1252(data), "cp1252"
    lines = data.split(b"\n")
    decoded: list[str | None] = []
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(None)
    redecoded_lines: list[int] = []
    replaced = 0
    for number, line in enumerate(lines):
        if decoded[number] is not None:
            continue
        if _VALID_MULTIBYTE.search(line.decode("utf-8", errors="surrogateescape")):
            text, fixed, bad = _decode_mixed_line(line)
        else:
            text, fixed, bad = _cp1252(line), 1, 0
        decoded[number] = text
        replaced += bad
        if fixed:
            redecoded_lines.append(number + 1)
    notes = []
    if redecoded_lines:
        plural = "s" if len(redecoded_lines) > 1 else ""
        notes.append(f"line{plural} {_line_ranges(redecoded_lines)} re-decoded as cp1252")
    if replaced:
        notes.append(f"{replaced} invalid byte{'s' if replaced > 1 else ''} replaced")
    encoding = f"utf-8 ({'; '.join(notes)})"
    log.warning("%s: not all UTF-8: %s", Path(path).name or path, encoding)
    return "\n".join(t or "" for t in decoded), encoding


def decode_with_encoding(data: bytes, path: Path | str) -> tuple[str, str]:
    """Decode ``data`` like :func:`decode_bytes` and also return the encoding used.

    The encoding is a codec name (``utf-8``, ``cp1252``, ``utf-16-le``, ...) or, for a
    UTF-8 file with lines or bytes that are not UTF-8, ``utf-8`` with a warning saying
    which lines were re-decoded and how many bytes were replaced, e.g.
    ``utf-8 (line 12 re-decoded as cp1252)``; ingest keeps it as ``metadata["encoding"]``.
    """
    if not data:
        raise IngestError(path, "empty file (0 bytes)")
    encoding: str | None = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    if encoding is None:
        sniffed = _sniff_binary(data)
        if sniffed is not None:
            kind, is_media = sniffed
            hint = "; transcribe it with the ASR stage first" if is_media else ""
            raise IngestError(path, f"binary file ({kind}), not a transcript{hint}")
        encoding = _utf16_without_bom(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise IngestError(path, f"invalid {encoding} text at byte {exc.start}") from None
    elif b"\x00" in data:
        raise IngestError(path, f"binary data ({data.count(0)} NUL bytes), not a text transcript")
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(data, path)
    controls = sum(
        1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    if controls and (controls > _MAX_CONTROL_SHARE * len(text) or "\x00" in text):
        raise IngestError(path, f"binary data ({controls} control characters), not a text transcript")
    text = _normalise_newlines(text)
    if not text.strip():
        raise IngestError(path, f"empty file (only whitespace, {len(data)} bytes)")
    return text, encoding


def decode_bytes(data: bytes, path: Path | str) -> str:
    """Decode a transcript file's bytes to text with ``\\n`` newlines.

    UTF-8 (with or without BOM), UTF-16/32 with BOM (and BOM-less UTF-16 guessed from NUL
    positions), else cp1252/Latin-1, line by line where a UTF-8 file has a few lines (or
    bytes) in an 8-bit encoding (:func:`decode_with_encoding` says which). Raises
    :class:`IngestError` naming ``path`` for empty, whitespace-only or binary data.
    """
    return decode_with_encoding(data, path)[0]
