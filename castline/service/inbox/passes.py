"""One pass over the data folder: recover, scan, claim, process, archive or quarantine.

Up to ``max_passes`` passes work on one data folder at a time (pass slots,
:mod:`~castline.service.inbox.holds`; one by default); a pass that finds no
slot free returns at once with ``InboxReport.busy`` set. Passes that run
together share the inbox: each worker claims the next ready file when it is
free (one ``os.rename`` decides who gets it), holds its claim until the file
has moved on, and processes a content only in that content's turn, so the
same bytes under two names are processed once whichever pass takes them.
Claims left in ``work/`` by a killed pass (no live pass holds them) are
finished from the ledger or redone.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from castline.service.inbox.claims import claim, claim_dirs, read_sidecar, survey_inbox
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
from castline.service.inbox.holds import content_turn, hold_dir, pass_slot, release
from castline.service.inbox.ledger import Claim, earlier_failure, earlier_success, ledger_row, record_claim
from castline.service.inbox.outcomes import archive, error_report, quarantine
from castline.service.inbox.reports import FileOutcome, InboxReport

__all__ = [
    "run_once",
]

log = logging.getLogger(__name__)

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
    """Claims in ``work/`` that no live pass holds: finish recorded outcomes, return the rest to redo.

    The claims returned are held by this pass (``Claim.hold``) until released; if
    recovery itself fails, it lets go of every claim it took, so a long-running
    ``castline inbox`` never sits on a claim it is not working on.
    """
    redo: list[Claim] = []
    try:
        for claim_dir in claim_dirs(root):
            recovered = _hold_and_rebuild(root, claim_dir)
            if recovered is None:
                continue
            keep = False
            try:
                keep = _recover_claim(root, recovered, report, max_bytes)
            finally:
                if not keep:  # finished here (archived or quarantined), or recovery failed
                    release(recovered.hold)
            if keep:
                redo.append(recovered)
    except BaseException:
        for c in redo:
            release(c.hold)
        raise
    return redo


def _hold_and_rebuild(root: Path, claim_dir: Path) -> Claim | None:
    """Hold ``claim_dir`` and rebuild its claim; ``None`` when a live pass holds it or it holds no file."""
    fd = hold_dir(claim_dir)
    if fd is None:
        return None  # a live pass works on it (or it has just finished)
    try:
        recovered = _claim_from_dir(root, claim_dir)
        if recovered is None:
            _tidy_finished_claim_dir(root, claim_dir)
            return None
        recovered.hold, fd = fd, None
        return recovered
    except OSError as exc:
        log.warning("cannot recover %s: %s", claim_dir, exc)
        return None
    finally:
        release(fd)


def _recover_claim(root: Path, recovered: Claim, report: InboxReport, max_bytes: int) -> bool:
    """Finish a recovered claim whose outcome is recorded (False), or get it ready to redo (True)."""
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
        return True
    return False


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
    max_passes: int = 1,
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
    max_passes:
        How many passes may work on ``data_dir`` at once, this one included
        (passes given the same number never exceed it). With 1 (the default) a
        pass leaves at once, ``busy``, while another runs; with more, passes
        share the inbox file by file.

    Returns
    -------
    InboxReport
        One :class:`FileOutcome` per file handled (or left waiting).
    """
    root = ensure_layout(data_dir)
    report = InboxReport(data_dir=root, started_at=now_iso())
    with pass_slot(root, max_passes) as slot:
        if slot is None:
            report.busy = True
            report.finished_at = now_iso()
            log.info("%d inbox pass%s already running on %s; skipping this one", max(1, max_passes),
                     "es" if max_passes > 1 else "", root)
            return report
        recovered = _recover(root, report, max_bytes)
        try:
            survey = survey_inbox(root, settle_seconds)
            if wait and survey.waiting and settle_seconds > 0:
                time.sleep(settle_seconds)
                survey = survey_inbox(root, settle_seconds)
        except BaseException:
            for c in recovered:
                release(c.hold)
            raise
        for path in survey.waiting:
            report.outcomes.append(FileOutcome(path.name, "waiting", error="still being written"))
        todo: list[Claim | Path] = [*recovered, *survey.ready, *(p for p, _ in survey.unsafe)]
        _process_claims(todo, process, report, max_bytes, max_workers, {c.claim_id for c in recovered})
    report.finished_at = now_iso()
    return report


def _take(item: Claim | Path, root: Path, max_bytes: int) -> Claim | None:
    """The claim to work on: a recovered one as it is, an inbox path claimed now (None if gone)."""
    if isinstance(item, Claim):
        return item
    try:
        return claim(item, root, max_bytes=max_bytes, hold=True)
    except FileNotFoundError:
        log.debug("%s left the inbox before this pass could claim it (another pass took it)", item.name)
    except OSError as exc:
        log.warning("cannot claim %s: %s", item.name, exc)
    return None


def _process_claims(
    todo: list[Claim | Path],
    process: Callable[..., list[str]],
    report: InboxReport,
    max_bytes: int,
    max_workers: int,
    recovered_ids: set[str],
) -> None:
    """Work through ``todo`` with ``max_workers`` threads, each claiming its next file when free."""
    root = report.data_dir
    with_options = _wants_options(process)
    lock = threading.Lock()  # guards the list and the report
    pending = list(reversed(todo))

    def finish(c: Claim, outcome: FileOutcome) -> None:
        outcome.recovered = c.claim_id in recovered_ids
        with lock:
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

    def run(c: Claim) -> FileOutcome:
        started = time.perf_counter()
        try:
            outputs = process(c.path, dict(c.options)) if with_options else process(c.path)
            outputs = [str(o) for o in (outputs or [])]
        except Exception as exc:  # noqa: BLE001 - any failure of one file quarantines only that file
            return fail(c, exc, _error_stage(exc), time.perf_counter() - started)
        took = time.perf_counter() - started
        destination = archive(c, outputs)
        log.info("%s -> %s", c.name, ", ".join(outputs) or "(no outputs)")
        return FileOutcome(c.name, "archived", c.sha256, outputs=outputs, path=destination, seconds=took)

    def handle(c: Claim) -> FileOutcome:
        reason = _reject_reason(c, max_bytes)
        if reason:
            return fail(c, reason, "options" if c.options_error and c.kind == "file" else "inbox")
        if c.sha256 is None:  # not read at its claim (cannot happen to a file within max_bytes)
            return run(c)
        # The content's turn: of the same bytes under several names, in this pass or one
        # alongside, one is processed and the others follow its outcome.
        with content_turn(root, c.sha256):
            earlier = earlier_success(root, c.sha256)
            if earlier is not None:
                return archive_duplicate(c, earlier)
            failed = earlier_failure(root, c.sha256, since=report.started_at, other_than=c.claim_id)
            if failed is not None:
                reason = (f"same content as {failed['name']!r}, which failed at {failed['stage']} in this "
                          "pass or one beside it; not processed twice")
                return fail(c, reason, "duplicate")
            return run(c)

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                item = pending.pop()
            c = _take(item, root, max_bytes)
            if c is None:
                continue
            try:
                finish(c, handle(c))
            finally:
                release(c.hold)
                c.hold = None

    workers = max(1, max_workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbox") as pool:
        # copy_context: callers' context (e.g. a Prefect flow run) follows the work into each thread.
        futures = [pool.submit(contextvars.copy_context().run, worker) for _ in range(workers)]
    try:
        for future in futures:
            future.result()  # an error of the inbox itself (not of a file) ends the pass, as before
    finally:
        for item in pending:  # left by a worker that stopped on such an error
            if isinstance(item, Claim):
                release(item.hold)
