"""One pass over the data folder: recover, scan, claim, process, archive or quarantine.

Only one pass runs per data folder at a time (an exclusive ``flock`` on
``work/.inbox.lock``, released by the OS if the process dies); a pass that
finds the lock taken returns at once with ``InboxReport.busy`` set. Claims
left in ``work/`` by a killed pass are finished from the ledger or redone.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from castline.service.inbox.claims import claim, read_sidecar, survey_inbox
from castline.service.inbox.files import (
    DEFAULT_MAX_BYTES,
    SIDECAR_SUFFIX,
    ensure_layout,
    now_iso,
    report_file,
    sha256_of,
    stat_kind,
    write_json_atomic,
)
from castline.service.inbox.ledger import Claim, earlier_success, ledger_row, record_claim
from castline.service.inbox.outcomes import archive, error_report, quarantine
from castline.service.inbox.reports import FileOutcome, InboxReport
from castline.service.locks import try_lock

__all__ = [
    "run_once",
]

log = logging.getLogger(__name__)

_LOCK_FILE = ".inbox.lock"
# An empty claim folder younger than this may belong to a claim being made right now.
_STALE_EMPTY_CLAIM_SECONDS = 60.0


def _error_stage(exc: BaseException) -> str:
    stage = getattr(exc, "stage", None)
    if isinstance(stage, str) and stage:
        return stage
    # Checked by name so this module does not import the ingest package (and its readers).
    if any(cls.__name__ == "IngestError" for cls in type(exc).__mro__):
        return "ingest"
    return "process"


def _wants_options(process: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(process).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def _claim_from_dir(root: Path, claim_dir: Path) -> Claim | None:
    """Rebuild the claim of a work folder left by a killed pass (``None`` if it holds no file)."""
    payloads = [
        p for p in claim_dir.iterdir() if not p.name.endswith(SIDECAR_SUFFIX) and not p.name.startswith(".")
    ]
    if not payloads:
        return None
    payload = payloads[0]
    row = ledger_row(root, claim_dir.name)
    st = os.lstat(payload)
    kind = stat_kind(st.st_mode)
    sha = row["sha256"] if row is not None else None
    if sha is None and kind == "file" and row is None:
        sha = sha256_of(payload)
    options, problem = read_sidecar(payload.with_name(payload.name + SIDECAR_SUFFIX))
    recovered = Claim(
        claim_id=claim_dir.name,
        name=row["name"] if row is not None else payload.name,
        path=payload,
        sha256=sha,
        size=st.st_size,
        claimed_at=row["claimed_at"] if row is not None else now_iso(),
        options=options,
        options_error=problem,
        kind=kind,
    )
    if row is None:  # killed between the rename and the ledger insert
        record_claim(recovered)
    return recovered


def _tidy_finished_claim_dir(root: Path, claim_dir: Path) -> None:
    """A work folder whose file has already moved: finish the report and sidecar, drop the folder."""
    row = ledger_row(root, claim_dir.name)
    if row is None:
        # Either a claim being made right now (another process without the pass lock) or a crash
        # between mkdir and rename: only an old folder holding at most a partial copy (whose
        # source is still in the inbox) is safe to remove.
        age = time.time() - claim_dir.stat().st_mtime
        leftovers = list(claim_dir.iterdir())
        if age > _STALE_EMPTY_CLAIM_SECONDS and all(p.name.endswith(".copying") for p in leftovers):
            shutil.rmtree(claim_dir, ignore_errors=True)
        return
    if not row["final_path"]:
        return
    destination = Path(row["final_path"])
    report_path = report_file(destination, "error")
    if row["status"] == "failed" and os.path.lexists(destination) and not report_path.exists():
        c = Claim(row["claim_id"], row["name"], destination, row["sha256"], row["size"] or 0,
                  row["claimed_at"], json.loads(row["options"] or "{}"))
        report = error_report(c, row["error"] or "", row["error_type"] or "Error", row["stage"] or "process",
                               destination)
        write_json_atomic(report_path, report)
    for leftover in claim_dir.iterdir():
        if leftover.name.endswith(SIDECAR_SUFFIX):
            target = destination.with_name(destination.name + SIDECAR_SUFFIX)
            if not os.path.lexists(target):
                os.rename(leftover, target)
    try:
        claim_dir.rmdir()
    except OSError as exc:
        log.warning("claim folder %s not removed: %s", claim_dir, exc)


def _recover(root: Path, report: InboxReport, max_bytes: int) -> list[Claim]:
    """Claims in ``work/`` that no live pass owns: finish recorded outcomes, return the rest to redo."""
    redo = []
    for claim_dir in sorted(p for p in (root / "work").iterdir() if p.is_dir() and not p.is_symlink()):
        try:
            recovered = _claim_from_dir(root, claim_dir)
        except OSError as exc:
            log.warning("cannot recover %s: %s", claim_dir, exc)
            continue
        if recovered is None:
            _tidy_finished_claim_dir(root, claim_dir)
            continue
        row = ledger_row(root, recovered.claim_id)
        status = row["status"] if row is not None else "claimed"
        log.info("recovering %s (%s) left in work/ as %s", recovered.name, recovered.claim_id, status)
        # The pass was killed after recording an outcome but before moving the file: finish the move.
        if status == "failed":
            error = row["error"] or "failed in an earlier pass"
            stage = row["stage"] or "process"
            destination = quarantine(recovered, error, stage, error_type=row["error_type"])
            report.outcomes.append(
                FileOutcome(recovered.name, "failed", recovered.sha256, stage=row["stage"], error=error,
                            path=destination, report=report_file(destination, "error"), recovered=True)
            )
        elif status in ("done", "duplicate"):
            outputs = json.loads(row["outputs"] or "[]")
            earlier = ledger_row(root, row["duplicate_of"]) if row["duplicate_of"] else None
            destination = archive(recovered, outputs, duplicate_of=dict(earlier) if earlier else None)
            report.outcomes.append(
                FileOutcome(recovered.name, "duplicate" if earlier else "archived", recovered.sha256,
                            outputs=outputs, path=destination, recovered=True)
            )
        else:
            if recovered.sha256 is None and recovered.kind == "file" and recovered.size <= max_bytes:
                recovered.sha256 = sha256_of(recovered.path)
            redo.append(recovered)
    return redo


def _reject_reason(c: Claim, max_bytes: int) -> str | None:
    if c.kind == "symlink":
        try:
            target = os.readlink(c.path)  # the link's own text; the target is never opened
        except OSError:
            target = "?"
        return f"symlink to {target!r}: links are never followed out of the inbox; drop the file itself"
    if c.kind == "special":
        return "not a regular file (fifo, socket or device): never opened"
    if c.size > max_bytes:
        return f"file is {c.size} bytes, over the size limit of {max_bytes} bytes (max_bytes); not read"
    if c.options_error:
        return c.options_error
    return None


def run_once(
    data_dir: str | Path,
    process: Callable[..., list[str]],
    *,
    settle_seconds: float = 3.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_workers: int = 1,
    wait: bool = True,
) -> InboxReport:
    """One pass over ``data_dir``: recover, scan, claim, process, archive or quarantine.

    Parameters
    ----------
    data_dir:
        The data folder (``inbox/ work/ output/ archive/ failed/`` are created).
    process:
        Called once per new file with its work path (and, if it takes two
        positional parameters, the options dict from its sidecar); returns the
        output folders. An exception quarantines the file, with the exception's
        ``stage`` attribute as the stage if it has one (``"ingest"`` for
        ``IngestError``, else ``"process"``); the other files go on.
    settle_seconds:
        How long a file's size and mtime must stay unchanged before it is claimed.
    max_bytes:
        Larger files are quarantined without being read.
    max_workers:
        How many files are processed at the same time (threads).
    wait:
        When new files are still settling, wait ``settle_seconds`` once and look
        again, so a single pass (``castline inbox --once``) takes files dropped
        just before it.

    Returns
    -------
    InboxReport
        One :class:`FileOutcome` per file handled (or left waiting).
    """
    root = ensure_layout(data_dir)
    report = InboxReport(data_dir=root, started_at=now_iso())
    with try_lock(root / "work" / _LOCK_FILE) as locked:
        if not locked:
            report.busy = True
            report.finished_at = now_iso()
            log.info("another inbox pass holds %s; skipping this one", root / "work" / _LOCK_FILE)
            return report
        queue = _recover(root, report, max_bytes)
        recovered_ids = {c.claim_id for c in queue}
        survey = survey_inbox(root, settle_seconds)
        if wait and survey.waiting and settle_seconds > 0:
            time.sleep(settle_seconds)
            survey = survey_inbox(root, settle_seconds)
        for path in survey.ready + [p for p, _ in survey.unsafe]:
            try:
                queue.append(claim(path, root, max_bytes=max_bytes))
            except FileNotFoundError:
                log.info("%s left the inbox before it could be claimed", path.name)
            except OSError as exc:
                log.warning("cannot claim %s: %s", path.name, exc)
        for path in survey.waiting:
            report.outcomes.append(FileOutcome(path.name, "waiting", error="still being written"))
        _process_claims(queue, process, report, max_bytes, max_workers, recovered_ids)
    report.finished_at = now_iso()
    return report


def _process_claims(
    queue: list[Claim],
    process: Callable[..., list[str]],
    report: InboxReport,
    max_bytes: int,
    max_workers: int,
    recovered_ids: set[str],
) -> None:
    with_options = _wants_options(process)
    outcome_lock = threading.Lock()
    leaders: dict[str, Claim] = {}  # sha256 -> the claim of this pass that processes that content
    followers: list[Claim] = []
    jobs: list[tuple[Claim, Future]] = []
    took: dict[str, float] = {}  # claim id -> seconds its process call ran

    def finish(c: Claim, outcome: FileOutcome) -> None:
        outcome.recovered = c.claim_id in recovered_ids
        with outcome_lock:
            report.outcomes.append(outcome)

    def fail(c: Claim, error: BaseException | str, stage: str, seconds: float = 0.0) -> FileOutcome:
        destination = quarantine(c, error, stage)
        message = error if isinstance(error, str) else " ".join(str(error).split()) or type(error).__name__
        log.warning("%s failed at %s: %s -> %s", c.name, stage, message, destination)
        return FileOutcome(c.name, "failed", c.sha256, stage=stage, error=message, path=destination,
                           report=report_file(destination, "error"), seconds=seconds)

    def archive_duplicate(c: Claim, earlier: sqlite3.Row) -> FileOutcome:
        outputs = json.loads(earlier["outputs"] or "[]")
        destination = archive(c, outputs, duplicate_of=dict(earlier))
        log.info("%s: same content as %s (processed %s); archived, not processed again",
                 c.name, earlier["name"], earlier["finished_at"])
        return FileOutcome(c.name, "duplicate", c.sha256, outputs=outputs, path=destination,
                           report=report_file(destination, "duplicate"))

    def run(c: Claim) -> list[str]:
        started = time.perf_counter()
        try:
            outputs = process(c.path, dict(c.options)) if with_options else process(c.path)
        finally:
            took[c.claim_id] = time.perf_counter() - started
        return [str(o) for o in (outputs or [])]

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="inbox") as pool:
        for c in queue:
            reason = _reject_reason(c, max_bytes)
            if reason:
                finish(c, fail(c, reason, "options" if c.options_error and c.kind == "file" else "inbox"))
                continue
            earlier = earlier_success(c.data_dir, c.sha256) if c.sha256 else None
            if earlier is not None:
                finish(c, archive_duplicate(c, earlier))
                continue
            if c.sha256 in leaders:
                followers.append(c)
                continue
            leaders[c.sha256] = c
            # copy_context: callers' context (e.g. a Prefect flow run) follows the work into the thread.
            context = contextvars.copy_context()
            jobs.append((c, pool.submit(context.run, run, c)))
        for c, future in jobs:
            try:
                outputs = future.result()
            except Exception as exc:  # noqa: BLE001 - any failure of one file quarantines only that file
                finish(c, fail(c, exc, _error_stage(exc), took.get(c.claim_id, 0.0)))
                continue
            destination = archive(c, outputs)
            log.info("%s -> %s", c.name, ", ".join(outputs) or "(no outputs)")
            finish(c, FileOutcome(c.name, "archived", c.sha256, outputs=outputs, path=destination,
                                  seconds=took.get(c.claim_id, 0.0)))
    # Same content dropped twice in one pass: processed once, the copies follow its outcome.
    for c in followers:
        earlier = earlier_success(c.data_dir, c.sha256)
        if earlier is not None:
            finish(c, archive_duplicate(c, earlier))
        else:
            leader = leaders[c.sha256]
            reason = f"same content as {leader.name!r}, which failed in this pass; not processed twice"
            finish(c, fail(c, reason, "duplicate"))
