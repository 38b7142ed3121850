"""What a pass reports: one outcome per file, the counts, and the CLI's summary lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from castline.service.inbox.files import safe_name

__all__ = [
    "FileOutcome",
    "InboxReport",
    "cli_summary",
]

@dataclass
class FileOutcome:
    """What one pass did with one file.

    ``status`` is ``"archived"`` (processed), ``"duplicate"`` (same content was
    processed before: archived, not processed), ``"failed"`` (quarantined with a
    report) or ``"waiting"`` (still being written; left in the inbox).
    """

    name: str
    status: str
    sha256: str | None = None
    outputs: list[str] = field(default_factory=list)
    stage: str | None = None
    error: str | None = None
    path: Path | None = None
    report: Path | None = None
    seconds: float = 0.0
    recovered: bool = False


@dataclass
class InboxReport:
    """The result of one :func:`run_once` pass."""

    data_dir: Path
    started_at: str
    finished_at: str = ""
    outcomes: list[FileOutcome] = field(default_factory=list)
    busy: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Number of files per status (every status present, zeros included)."""
        counts = {status: 0 for status in ("archived", "duplicate", "failed", "waiting")}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the report."""
        return {
            "data_dir": str(self.data_dir),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "busy": self.busy,
            "counts": self.counts,
            "files": [
                {
                    "name": o.name,
                    "status": o.status,
                    "sha256": o.sha256,
                    "outputs": o.outputs,
                    "stage": o.stage,
                    "error": o.error,
                    "path": str(o.path) if o.path else None,
                    "report": str(o.report) if o.report else None,
                    "seconds": round(o.seconds, 3),
                    "recovered": o.recovered,
                }
                for o in self.outcomes
            ],
        }


def cli_summary(report: InboxReport) -> str:
    """One line per file (status, name, where it went or why it failed), then a totals line.

    An empty string when the pass found nothing to do (so a polling loop stays quiet).
    """
    if report.busy:
        return f"another inbox pass is running on {report.data_dir}; nothing done"
    if not report.outcomes:
        return ""
    lines = []
    for o in report.outcomes:
        again = " (recovered)" if o.recovered else ""
        if o.status == "archived":
            lines.append(f"✓ {o.name}{again} -> {', '.join(o.outputs) or '(no outputs)'}")
        elif o.status == "duplicate":
            lines.append(f"= {o.name}{again}: already processed -> {', '.join(o.outputs) or '(no outputs)'}"
                         f" (note: {o.report})")
        elif o.status == "failed":
            lines.append(f"✗ {o.name}{again}: {o.stage}: {_reason(o)} (report: {o.report})")
        else:
            lines.append(f"… {o.name}: still being written; next pass")
    counts = report.counts
    lines.append(
        f"{counts['archived']} processed, {counts['duplicate']} duplicate, {counts['failed']} failed,"
        f" {counts['waiting']} waiting"
    )
    return "\n".join(lines)


def _reason(o: FileOutcome) -> str:
    """The error without the file name and stage the summary line already gives.

    Errors name their input ("talk.txt: clean stage failed: IndexError: ...", the
    ingest's "talk.txt: empty file (0 bytes)"); the line reads "✗ talk.txt: clean:
    IndexError: ...".
    """
    reason = o.error or ""
    for name in dict.fromkeys((o.name, safe_name(o.name), o.path.name if o.path else "")):
        if name and reason.startswith(f"{name}: "):
            reason = reason[len(name) + 2 :]
            break
    if o.stage and reason.startswith(f"{o.stage} stage failed: "):
        reason = reason[len(o.stage) + len(" stage failed: ") :]
    return reason or o.error or "failed"
