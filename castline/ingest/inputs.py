"""What kind of input a file is: audio or video for the speech path, else text for ingest."""

from __future__ import annotations

from pathlib import Path

__all__ = ["AUDIO_SUFFIXES", "is_audio_path"]

#: Extensions ffmpeg decodes that castline treats as audio (video keeps only its sound).
AUDIO_SUFFIXES = frozenset(
    {".mp3", ".wav", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".mp4", ".m4v", ".mov",
     ".webm", ".mkv", ".wma"}
)

# Leading bytes of common containers, so a renamed file still takes the right path.
_MAGIC = (b"ID3", b"RIFF", b"fLaC", b"OggS", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\x1aE\xdf\xa3")


def is_audio_path(path: str | Path) -> bool:
    """True when ``path`` should go to the audio path (by extension or container magic)."""
    path = Path(path)
    if path.suffix.lower() in AUDIO_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return False
    return head.startswith(_MAGIC) or head[4:8] == b"ftyp"
