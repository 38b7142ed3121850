"""Archive or quarantine: where a claimed file goes once its pass knows the outcome.

Processed files go to ``archive/`` (a duplicate with ``<name>.duplicate.json``
naming the earlier run), failed ones to ``failed/`` with ``<name>.error.json``.
The ledger learns the outcome before the file moves, so a pass killed in
between finishes the move instead of processing again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from castline.service.inbox.files import (
    REPORT_SUFFIXES,
    SIDECAR_SUFFIX,
    free_name,
    move_no_overwrite,
    now_iso,
    write_json_atomic,
)
from castline.service.inbox.ledger import Claim, record_outcome

__all__ = [
    "HOW_TO_RETRY",
    "archive",
    "error_report",
    "quarantine",
]

log = logging.getLogger(__name__)

HOW_TO_RETRY = "fix the file and move it back into inbox/ (or run: castline inbox --once --data DIR)"


def _finish_claim_dir(c: Claim, destination: Path) -> None:
    # Sidecar goes beside the archived/failed file; then the claim folder is empty and goes.
    if os.path.lexists(c.sidecar):
        try:
            os.rename(c.sidecar, destination.with_name(destination.name + SIDECAR_SUFFIX))
        except OSError as exc:
            log.warning("cannot move sidecar %s: %s", c.sidecar, exc)
    try:
        c.path.parent.rmdir()
    except OSError as exc:
        log.warning("claim folder %s not removed: %s", c.path.parent, exc)


def _move_recorded(c: Claim, folder: Path, status: str, fields: dict[str, Any]) -> Path:
    """Record the outcome (with the intended path) in the ledger, then move the file there.

    Ledger first: a pass killed after this point leaves a ledger that knows the
    outcome, so the next pass finishes the move instead of processing again.
    """
    intended = folder / free_name(folder, c.path.name)
    record_outcome(c, status, final_path=str(intended), **fields)
    destination = move_no_overwrite(c.path, folder, intended.name, reports=REPORT_SUFFIXES)
    if destination != intended:  # someone took the name in between
        record_outcome(c, status, final_path=str(destination), **fields)
    return destination


def archive(c: Claim, outputs: list[str], *, duplicate_of: dict[str, Any] | None = None) -> Path:
    """Move a processed claim into ``archive/`` (name kept, ``name (2)`` if taken); return its path.

    With ``duplicate_of`` (the ledger entry of the earlier run with the same
    content) the file is archived as a duplicate and ``<name>.duplicate.json``
    beside it names the earlier run and its outputs.
    """
    root = c.data_dir
    status = "duplicate" if duplicate_of else "done"
    fields = {"outputs": list(outputs), "duplicate_of": duplicate_of["claim_id"] if duplicate_of else None}
    destination = _move_recorded(c, root / "archive", status, fields)
    if duplicate_of:
        earlier_outputs = duplicate_of.get("outputs") or "[]"
        if isinstance(earlier_outputs, str):
            earlier_outputs = json.loads(earlier_outputs)
        note = {
            "file": c.name,
            "sha256": c.sha256,
            "status": "duplicate",
            "note": "same content as a file processed earlier; not processed again",
            "duplicate_of": {
                "claim_id": duplicate_of["claim_id"],
                "file": duplicate_of["name"],
                "processed_at": duplicate_of["finished_at"],
                "archived_as": duplicate_of["final_path"],
                "outputs": earlier_outputs,
            },
            "time": now_iso(),
        }
        write_json_atomic(destination.with_name(destination.name + ".duplicate.json"), note)
    _finish_claim_dir(c, destination)
    return destination


def error_report(c: Claim, error: str, error_type: str, stage: str, destination: Path) -> dict[str, Any]:
    report = {
        "file": c.name,
        "sha256": c.sha256,
        "size": c.size,
        "stage": stage,
        "error": error,
        "error_type": error_type,
        "time": now_iso(),
        "quarantined_as": str(destination),
        "claim_id": c.claim_id,
        "how_to_retry": HOW_TO_RETRY,
    }
    if c.options:
        report["options"] = c.options
    return report


def quarantine(c: Claim, error: BaseException | str, stage: str, *, error_type: str | None = None) -> Path:
    """Move a claim into ``failed/`` with ``<name>.error.json`` beside it; return the file's new path.

    The report holds ``file, sha256, stage, error, error_type, time, how_to_retry``.
    """
    root = c.data_dir
    if isinstance(error, BaseException):
        message = " ".join(str(error).split()) or type(error).__name__
        error_type = error_type or type(error).__name__
    else:
        message, error_type = str(error), error_type or "Rejected"
    fields = {"stage": stage, "error": message, "error_type": error_type}
    destination = _move_recorded(c, root / "failed", "failed", fields)
    report_path = destination.with_name(destination.name + ".error.json")
    write_json_atomic(report_path, error_report(c, message, error_type, stage, destination))
    _finish_claim_dir(c, destination)
    return destination
