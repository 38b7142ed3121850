"""The one error type ingest raises."""

from __future__ import annotations

from pathlib import Path

__all__ = ["IngestError"]


class IngestError(ValueError):
    """An input that cannot be read as an episode (empty, binary, unrecognised, malformed).

    ``str(error)`` is one line naming the file and the reason, e.g.
    ``episode.txt: empty file (0 bytes)``; ``path`` and ``reason`` keep both parts, and
    ``stage`` is ``"ingest"`` (so the inbox's failure report names it).
    """

    stage = "ingest"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{Path(self.path).name or self.path}: {self.reason}")
