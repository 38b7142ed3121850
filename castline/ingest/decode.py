"""Bytes -> text: BOM-aware decoding with a Latin-1 family fallback, rejecting binary data."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from castline.ingest.errors import IngestError

__all__ = ["decode_bytes", "decode_with_encoding"]

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


def _sniff_binary(data: bytes) -> tuple[str, bool] | None:
    """(kind, is_media) when ``data`` starts with a known binary signature."""
    for offset, magic, kind, is_media in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind, is_media
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"AVI "):
        return ("WAV audio" if data[8:12] == b"WAVE" else "AVI video"), True
    # MPEG audio frame sync (MP3 without an ID3 tag).
    if len(data) > 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06:
        return "MP3 audio", True
    return None


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


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Text that is not valid UTF-8: mostly-UTF-8 with a few bad bytes, or 8-bit text."""
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 127 and ch != "\ufffd")
    # Valid multi-byte sequences far outnumber the broken ones: a UTF-8 file with a few
    # corrupt bytes, which an 8-bit decoding would turn into mojibake throughout.
    if good >= 5 * bad:
        return lenient, f"utf-8 ({bad} invalid bytes replaced)"
    # Legacy 8-bit text: cp1252 covers Windows smart quotes; a few byte values are
    # undefined there, and Latin-1 maps every byte.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def decode_with_encoding(data: bytes, path: Path | str) -> tuple[str, str]:
    """Decode ``data`` like :func:`decode_bytes` and also return the encoding used."""
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
            text, encoding = _decode_legacy(data)
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
    positions), else cp1252/Latin-1. Raises :class:`IngestError` naming ``path`` for empty,
    whitespace-only or binary data.
    """
    return decode_with_encoding(data, path)[0]
