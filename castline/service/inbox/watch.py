"""Whether the inbox has work for a pass: what the service's watcher asks between passes.

The service starts an inbox pass only when there is something to do, so the
Prefect UI lists the passes that processed files, not one idle poll every 30
seconds. The question is answered with the same survey a pass makes
(:func:`~castline.service.inbox.claims.survey_inbox`, which remembers when it
first saw each file), so a file counts as ready for the watcher exactly when
it is ready for the pass it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from castline.service.inbox.claims import claim_dirs, survey_inbox
from castline.service.inbox.files import ensure_layout

__all__ = ["InboxWork", "inbox_work"]


@dataclass(frozen=True)
class InboxWork:
    """What a pass would find: files ready to claim, entries to quarantine, claims left in ``work/``."""

    ready: int
    unsafe: int
    left_in_work: int

    def __bool__(self) -> bool:
        return bool(self.ready or self.unsafe or self.left_in_work)

    def describe(self) -> str:
        """A short name for the pass it starts, e.g. ``2 ready, 1 to recover``."""
        parts = [f"{self.ready} ready" if self.ready else "", f"{self.unsafe} unsafe" if self.unsafe else "",
                 f"{self.left_in_work} to recover" if self.left_in_work else ""]  # fmt: skip
        return ", ".join(p for p in parts if p) or "nothing"


def inbox_work(data_dir: str | Path, *, settle_seconds: float = 3.0) -> InboxWork:
    """Survey ``data_dir`` as a pass would (recording first sightings) and say what it would do."""
    root = ensure_layout(data_dir)
    survey = survey_inbox(root, settle_seconds)
    return InboxWork(len(survey.ready), len(survey.unsafe), len(claim_dirs(root)))
