"""The drop folder: claim finished files from ``inbox/``, process each once, archive or quarantine.

A data folder ``DIR`` holds ``inbox/ work/ output/ archive/ failed/``. One pass
(:func:`run_once`) does:

1. **recover** claims left in ``work/`` by a pass that was killed;
2. **scan** ``inbox/`` for regular files whose size, mtime and inode have not
   changed for ``settle_seconds`` (a file still being copied is left alone);
   symlinks and special files are quarantined without being followed or opened;
3. **claim** each ready file: an atomic ``os.rename`` into its own folder
   ``work/<claim id>/<sanitised name>``, then its sha256;
4. **process** it with the caller's ``process`` callable (files with a hash
   that was already processed successfully are archived as duplicates instead);
5. **archive** it (``archive/``) on success or **quarantine** it (``failed/``
   with ``<name>.error.json``) on failure. Files are moved, never rewritten.

Every claim and its outcome is recorded in a sqlite ledger
(``work/ledger.sqlite3``), keyed by claim id and indexed by content hash, which
is what makes a pass idempotent and a killed pass recoverable. Only one pass
runs per data folder at a time (an exclusive ``flock`` on ``work/.inbox.lock``,
released by the OS if the process dies); a pass that finds the lock taken
returns at once with ``InboxReport.busy`` set.

Options for a file (title, show, speakers, glossary) may come in a sidecar
``<name>.meta.json`` dropped beside it (the feed poller writes one). A
``process`` callable that takes two positional parameters is called as
``process(path, options)``; one that takes one is called as ``process(path)``.
"""

from __future__ import annotations

import contextvars
import errno
import hashlib
import inspect
import json
import logging
import os
import secrets
import shutil
import sqlite3
import stat
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from castline.service.locks import try_lock

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HOW_TO_RETRY",
    "LAYOUT",
    "OPTION_KEYS",
    "SIDECAR_SUFFIX",
    "Claim",
    "FileOutcome",
    "InboxReport",
    "archive",
    "claim",
    "cli_summary",
    "ensure_layout",
    "ledger_entries",
    "quarantine",
    "read_sidecar",
    "run_once",
    "safe_name",
    "scan_inbox",
]

log = logging.getLogger(__name__)

#: Sub-folders of a data folder.
LAYOUT = ("inbox", "work", "output", "archive", "failed")
#: Files larger than this are quarantined unread (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Keys a ``<name>.meta.json`` sidecar may set; anything else in it is ignored.
OPTION_KEYS = ("title", "show", "speakers", "glossary", "source_url", "guid", "feed")

HOW_TO_RETRY = "fix the file and move it back into inbox/ (or run: castline inbox --once --data DIR)"

SIDECAR_SUFFIX = ".meta.json"
_REPORT_SUFFIXES = (".error.json", ".duplicate.json", SIDECAR_SUFFIX)
# Names that download managers, editors and copy tools use while a file is incomplete.
_TEMP_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", "~")
_SIDECAR_MAX_BYTES = 64 * 1024
_NAME_MAX_BYTES = 200
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
_STATE_FILE = ".inbox-state.json"
_LOCK_FILE = ".inbox.lock"
_LEDGER_FILE = "ledger.sqlite3"
# An empty claim folder younger than this may belong to a claim being made right now.
_STALE_EMPTY_CLAIM_SECONDS = 60.0


# ---------------------------------------------------------------------------------------------
# value types


@dataclass
class Claim:
    """A file moved out of the inbox into its own work folder.

    Parameters
    ----------
    claim_id:
        Name of the work folder (``20261123T134500Z-1a2b3c4d``), unique per claim.
    name:
        The file's name as it was dropped (may hold anything a file name can).
    path:
        Where the file lies now: ``work/<claim_id>/<sanitised name>``.
    sha256:
        Hex digest of the content; ``None`` when the file was not read (over the
        size limit, or not a regular file).
    size:
        Size in bytes at claim time.
    claimed_at:
        ISO 8601 UTC time of the claim.
    options:
        Options from the file's ``.meta.json`` sidecar (keys from :data:`OPTION_KEYS`).
    options_error:
        Why the sidecar could not be used, if it could not.
    kind:
        ``"file"``, ``"symlink"`` or ``"special"`` (fifo, socket, device).
    """

    claim_id: str
    name: str
    path: Path
    sha256: str | None
    size: int
    claimed_at: str
    options: dict[str, str] = field(default_factory=dict)
    options_error: str | None = None
    kind: str = "file"

    @property
    def data_dir(self) -> Path:
        """The data folder this claim belongs to."""
        return self.path.parent.parent.parent

    @property
    def sidecar(self) -> Path:
        """Where the claim's options sidecar lies, if it had one."""
        return self.path.with_name(self.path.name + SIDECAR_SUFFIX)


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


# ---------------------------------------------------------------------------------------------
# names and small file helpers


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_name(name: str, default: str = "episode") -> str:
    """A file name that is safe to create anywhere under the data folder.

    Keeps letters of any script, digits, spaces and punctuation; drops control
    and format characters, path separators and characters Windows forbids; never
    starts with a dot (so never ``..`` or a hidden file); keeps the extension and
    stays under 200 UTF-8 bytes. ``"../../etc/passwd"`` becomes ``"etc_passwd"``.
    """
    name = unicodedata.normalize("NFC", str(name))
    cleaned = []
    for char in name:
        if char.isspace():  # tabs and newlines included: they become plain spaces
            cleaned.append(" ")
        elif char in '/\\<>:"|?*':
            cleaned.append("_")
        elif unicodedata.category(char)[0] != "C":  # drop control, format, surrogate, private use
            cleaned.append(char)
    text = " ".join("".join(cleaned).split())
    # Leading dots/underscores left by "../" make hidden or odd names; trailing dots vanish on Windows.
    text = text.lstrip("._ -").rstrip(". ")
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem or len(suffix) > 16 or " " in suffix:
        stem, suffix = text, ""
    stem = stem.rstrip(". ") or default
    if stem.lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    suffix = f".{suffix}" if suffix else ""
    budget = _NAME_MAX_BYTES - len(suffix.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return (stem.rstrip(". ") or default) + suffix


def _is_ignored_name(name: str) -> bool:
    lowered = name.lower()
    return (
        name.startswith(".")
        or lowered.endswith(_TEMP_SUFFIXES)
        or lowered.endswith(_REPORT_SUFFIXES)
        or name.startswith("~$")  # office lock files
    )


def _stat_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "special"


def _sha256_of(path: Path) -> str:
    # O_NOFOLLOW: a file swapped for a symlink after the claim is refused, not followed.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _numbered(name: str, n: int) -> str:
    if n == 1:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{suffix}"


def _free_name(folder: Path, name: str, reports: tuple[str, ...] = _REPORT_SUFFIXES) -> str:
    """The first of ``name``, ``name (2)``... not taken in ``folder`` (nor by a report of that name)."""
    for n in range(1, 10_000):
        candidate = _numbered(name, n)
        if not any(os.path.lexists(folder / (candidate + r)) for r in ("", *reports)):
            return candidate
    raise FileExistsError(f"no free name for {name} in {folder}")


def _move_no_overwrite(src: Path, folder: Path, name: str, *, reports: tuple[str, ...] = ()) -> Path:
    """Move ``src`` into ``folder`` as ``name`` or ``name (2)``...; never replaces anything.

    A name counts as taken when it or any ``name + report suffix`` exists, so a
    moved file and its report always pair up.
    """
    is_regular = stat.S_ISREG(os.lstat(src).st_mode)
    for n in range(1, 10_000):
        candidate = folder / _numbered(name, n)
        if os.path.lexists(candidate) or any(
            os.path.lexists(candidate.with_name(candidate.name + r)) for r in reports
        ):
            continue
        if is_regular:
            try:
                # link() fails if the target exists, so a concurrent writer can never be overwritten.
                os.link(src, candidate, follow_symlinks=False)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK, errno.EACCES):
                    raise
                os.rename(src, candidate)  # filesystem without hard links: checked free just above
                return candidate
            os.unlink(src)
            return candidate
        os.rename(src, candidate)
        return candidate
    raise FileExistsError(f"no free name for {name} in {folder}")


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_layout(data_dir: str | Path) -> Path:
    """Create ``inbox/ work/ output/ archive/ failed/`` under ``data_dir``; return it as a Path."""
    root = Path(data_dir)
    for sub in LAYOUT:
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


# ---------------------------------------------------------------------------------------------
# ledger


_connections: dict[tuple[int, str], tuple[sqlite3.Connection, threading.Lock]] = {}
_connections_lock = threading.Lock()


def _connect(data_dir: Path) -> tuple[sqlite3.Connection, threading.Lock]:
    # One connection per process and ledger, kept open: closing the last connection checkpoints
    # and deletes the WAL, which costs more than the write itself. Keyed by pid so a forked
    # child never reuses its parent's connection.
    path = os.path.abspath(data_dir / "work" / _LEDGER_FILE)
    key = (os.getpid(), path)
    with _connections_lock:
        if key in _connections and os.path.exists(path):
            return _connections[key]
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # WAL + NORMAL: a commit survives a killed process without an fsync per write; only a
        # power cut can lose the last few, and recovery then redoes those files.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS claims (
                claim_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                sha256 TEXT,
                size INTEGER,
                status TEXT NOT NULL,          -- claimed | done | duplicate | failed
                stage TEXT,
                error TEXT,
                error_type TEXT,
                outputs TEXT,                  -- JSON list of output folders
                final_path TEXT,
                duplicate_of TEXT,
                options TEXT,                  -- JSON object from the sidecar
                claimed_at TEXT NOT NULL,
                finished_at TEXT
            )"""
        )
        conn.execute("CREATE INDEX IF NOT EXISTS claims_sha256 ON claims (sha256, status)")
        conn.commit()
        _connections[key] = (conn, threading.Lock())
        return _connections[key]


@contextmanager
def _ledger(data_dir: Path) -> Iterator[sqlite3.Connection]:
    conn, lock = _connect(data_dir)
    with lock, conn:  # one transaction at a time on the shared connection
        yield conn


def _record_claim(c: Claim) -> None:
    with _ledger(c.data_dir) as db:
        db.execute(
            "INSERT OR REPLACE INTO claims (claim_id, name, sha256, size, status, options, claimed_at)"
            " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
            (c.claim_id, c.name, c.sha256, c.size, json.dumps(c.options), c.claimed_at),
        )


def _record_outcome(c: Claim, status: str, **fields: Any) -> None:
    if "outputs" in fields:
        fields["outputs"] = json.dumps(fields["outputs"])
    fields.setdefault("finished_at", _now_iso())
    assignments = ", ".join(f"{key} = ?" for key in fields)
    with _ledger(c.data_dir) as db:
        db.execute(
            f"UPDATE claims SET status = ?, {assignments} WHERE claim_id = ?",
            (status, *fields.values(), c.claim_id),
        )


def _ledger_row(data_dir: Path, claim_id: str) -> sqlite3.Row | None:
    with _ledger(data_dir) as db:
        return db.execute("SELECT * FROM claims WHERE claim_id = ?", (claim_id,)).fetchone()


def _earlier_success(data_dir: Path, sha256: str) -> sqlite3.Row | None:
    with _ledger(data_dir) as db:
        return db.execute(
            "SELECT * FROM claims WHERE sha256 = ? AND status = 'done' ORDER BY finished_at LIMIT 1",
            (sha256,),
        ).fetchone()


def ledger_entries(data_dir: str | Path) -> list[dict[str, Any]]:
    """Every claim the ledger of ``data_dir`` holds, oldest first, as plain dicts."""
    root = ensure_layout(data_dir)
    with _ledger(root) as db:
        rows = db.execute("SELECT * FROM claims ORDER BY claimed_at, claim_id").fetchall()
    entries = []
    for row in rows:
        entry = dict(row)
        entry["outputs"] = json.loads(entry["outputs"]) if entry["outputs"] else []
        entry["options"] = json.loads(entry["options"]) if entry["options"] else {}
        entries.append(entry)
    return entries


# ---------------------------------------------------------------------------------------------
# scanning


@dataclass
class _Survey:
    ready: list[Path] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)
    unsafe: list[tuple[Path, str]] = field(default_factory=list)  # (path, kind)


def _survey(root: Path, settle_seconds: float) -> _Survey:
    """Sort the inbox into ready, still-changing and unsafe entries; remember what was seen."""
    inbox, state_path = root / "inbox", root / "work" / _STATE_FILE
    try:
        previous = json.loads(state_path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        previous = {}
    now, seen, survey = time.time(), {}, _Survey()
    with os.scandir(inbox) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if _is_ignored_name(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            kind = _stat_kind(st.st_mode)
            if kind == "dir":
                continue
            path = inbox / entry.name
            if kind != "file":
                survey.unsafe.append((path, kind))
                continue
            signature = [st.st_size, st.st_mtime_ns, st.st_ino]
            record = previous.get(entry.name)
            if not isinstance(record, dict) or record.get("signature") != signature:
                record = {"signature": signature, "since": now}
            seen[entry.name] = record
            if now - float(record.get("since", now)) >= settle_seconds:
                survey.ready.append(path)
            else:
                survey.waiting.append(path)
    try:
        _write_json_atomic(state_path, {"files": seen})
    except OSError as exc:  # a read-only work folder only costs us the memory between passes
        log.warning("cannot save inbox state %s: %s", state_path, exc)
    return survey


def scan_inbox(data_dir: str | Path, *, settle_seconds: float = 3.0) -> list[Path]:
    """Files in ``data_dir/inbox`` that are ready to claim, in name order.

    A regular file is ready once its size, mtime and inode have stayed the same
    for ``settle_seconds`` across passes (remembered in
    ``work/.inbox-state.json``), so the first pass that sees a new file only
    records it unless ``settle_seconds`` is 0. Dotfiles, temp names (``.part``,
    ``.crdownload``, ``~``...), ``.meta.json`` sidecars, reports and sub-folders
    are ignored. Symlinks and special files are never returned (``run_once``
    quarantines them).
    """
    return _survey(ensure_layout(data_dir), settle_seconds).ready


# ---------------------------------------------------------------------------------------------
# claim, archive, quarantine


def read_sidecar(path: Path) -> tuple[dict[str, str], str | None]:
    """Options from the ``.meta.json`` sidecar at ``path``: ``(options, problem)``.

    A missing sidecar gives ``({}, None)``. Only keys in :data:`OPTION_KEYS` with
    string values are kept; a sidecar that is not a small JSON object gives a
    problem string instead of options.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {}, None
    if not stat.S_ISREG(st.st_mode):
        return {}, f"{path.name}: sidecar is not a regular file"
    if st.st_size > _SIDECAR_MAX_BYTES:
        return {}, f"{path.name}: sidecar larger than {_SIDECAR_MAX_BYTES} bytes"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {}, f"{path.name}: sidecar is not valid UTF-8 JSON ({exc})"
    if not isinstance(data, dict):
        return {}, f"{path.name}: sidecar must hold a JSON object"
    options = {}
    for key in OPTION_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, list) and key == "speakers":
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            return {}, f"{path.name}: option {key!r} must be a string"
        options[key] = value
    return options, None


def _move_into_claim(source: Path, target: Path, kind: str) -> None:
    """``os.rename``; across filesystems (an inbox mounted separately) copy, then unlink the source."""
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV or kind == "special":  # a fifo cannot be copied without reading it
            raise
    partial = target.with_name(f".{target.name}.copying")
    shutil.copy2(source, partial, follow_symlinks=False)
    os.rename(partial, target)
    os.unlink(source)  # only once the complete copy has its name


def _new_claim_dir(root: Path) -> Path:
    while True:
        claim_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
        claim_dir = root / "work" / claim_id
        try:
            claim_dir.mkdir()  # exclusive: two claims can never share a folder
        except FileExistsError:
            continue
        return claim_dir


def claim(path: str | Path, data_dir: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Claim:
    """Move ``path`` (a file in ``data_dir/inbox``) into its own work folder and hash it.

    The move is one ``os.rename`` within the data folder, to
    ``work/<claim id>/<safe_name(name)>``; a ``<name>.meta.json`` sidecar moves
    with it. The content is hashed (sha256) unless the file is larger than
    ``max_bytes`` or not a regular file, which are never read. The claim is
    recorded in the ledger as ``claimed``. Raises ``FileNotFoundError`` when the
    file has already left the inbox.
    """
    root = ensure_layout(data_dir)
    source = Path(path)
    st = os.lstat(source)
    kind = _stat_kind(st.st_mode)
    if kind == "dir":
        raise IsADirectoryError(f"{source}: folders are not claimed")
    claim_dir = _new_claim_dir(root)
    target = claim_dir / safe_name(source.name)
    try:
        _move_into_claim(source, target, kind)
    except BaseException:
        shutil.rmtree(claim_dir, ignore_errors=True)  # holds at most our own partial copy
        raise
    sidecar_source = source.with_name(source.name + SIDECAR_SUFFIX)
    options, problem = {}, None
    if kind == "file" and os.path.lexists(sidecar_source):
        sidecar_target = target.with_name(target.name + SIDECAR_SUFFIX)
        try:
            _move_into_claim(sidecar_source, sidecar_target, _stat_kind(os.lstat(sidecar_source).st_mode))
            options, problem = read_sidecar(sidecar_target)
        except FileNotFoundError:
            pass
        except OSError as exc:  # the file itself is claimed already: report, do not lose it
            problem = f"{sidecar_source.name}: sidecar could not be moved with the file ({exc})"
    st = os.lstat(target)
    kind = _stat_kind(st.st_mode)  # the entry may have been swapped between scan and rename
    sha = _sha256_of(target) if kind == "file" and st.st_size <= max_bytes else None
    result = Claim(
        claim_id=claim_dir.name,
        name=source.name,
        path=target,
        sha256=sha,
        size=st.st_size,
        claimed_at=_now_iso(),
        options=options,
        options_error=problem,
        kind=kind,
    )
    _record_claim(result)
    return result


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
    intended = folder / _free_name(folder, c.path.name)
    _record_outcome(c, status, final_path=str(intended), **fields)
    destination = _move_no_overwrite(c.path, folder, intended.name, reports=_REPORT_SUFFIXES)
    if destination != intended:  # someone took the name in between
        _record_outcome(c, status, final_path=str(destination), **fields)
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
            "time": _now_iso(),
        }
        _write_json_atomic(destination.with_name(destination.name + ".duplicate.json"), note)
    _finish_claim_dir(c, destination)
    return destination


def _error_report(c: Claim, error: str, error_type: str, stage: str, destination: Path) -> dict[str, Any]:
    report = {
        "file": c.name,
        "sha256": c.sha256,
        "size": c.size,
        "stage": stage,
        "error": error,
        "error_type": error_type,
        "time": _now_iso(),
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
    _write_json_atomic(report_path, _error_report(c, message, error_type, stage, destination))
    _finish_claim_dir(c, destination)
    return destination


# ---------------------------------------------------------------------------------------------
# one pass


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
    row = _ledger_row(root, claim_dir.name)
    st = os.lstat(payload)
    kind = _stat_kind(st.st_mode)
    sha = row["sha256"] if row is not None else None
    if sha is None and kind == "file" and row is None:
        sha = _sha256_of(payload)
    options, problem = read_sidecar(payload.with_name(payload.name + SIDECAR_SUFFIX))
    recovered = Claim(
        claim_id=claim_dir.name,
        name=row["name"] if row is not None else payload.name,
        path=payload,
        sha256=sha,
        size=st.st_size,
        claimed_at=row["claimed_at"] if row is not None else _now_iso(),
        options=options,
        options_error=problem,
        kind=kind,
    )
    if row is None:  # killed between the rename and the ledger insert
        _record_claim(recovered)
    return recovered


def _tidy_finished_claim_dir(root: Path, claim_dir: Path) -> None:
    """A work folder whose file has already moved: finish the report and sidecar, drop the folder."""
    row = _ledger_row(root, claim_dir.name)
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
    report_path = _report_path(destination, "error")
    if row["status"] == "failed" and os.path.lexists(destination) and not report_path.exists():
        c = Claim(row["claim_id"], row["name"], destination, row["sha256"], row["size"] or 0,
                  row["claimed_at"], json.loads(row["options"] or "{}"))
        report = _error_report(c, row["error"] or "", row["error_type"] or "Error", row["stage"] or "process",
                               destination)
        _write_json_atomic(report_path, report)
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
        row = _ledger_row(root, recovered.claim_id)
        status = row["status"] if row is not None else "claimed"
        log.info("recovering %s (%s) left in work/ as %s", recovered.name, recovered.claim_id, status)
        # The pass was killed after recording an outcome but before moving the file: finish the move.
        if status == "failed":
            error = row["error"] or "failed in an earlier pass"
            stage = row["stage"] or "process"
            destination = quarantine(recovered, error, stage, error_type=row["error_type"])
            report.outcomes.append(
                FileOutcome(recovered.name, "failed", recovered.sha256, stage=row["stage"], error=error,
                            path=destination, report=_report_path(destination, "error"), recovered=True)
            )
        elif status in ("done", "duplicate"):
            outputs = json.loads(row["outputs"] or "[]")
            earlier = _ledger_row(root, row["duplicate_of"]) if row["duplicate_of"] else None
            destination = archive(recovered, outputs, duplicate_of=dict(earlier) if earlier else None)
            report.outcomes.append(
                FileOutcome(recovered.name, "duplicate" if earlier else "archived", recovered.sha256,
                            outputs=outputs, path=destination, recovered=True)
            )
        else:
            if recovered.sha256 is None and recovered.kind == "file" and recovered.size <= max_bytes:
                recovered.sha256 = _sha256_of(recovered.path)
            redo.append(recovered)
    return redo


def _report_path(destination: Path, kind: str) -> Path:
    return destination.with_name(f"{destination.name}.{kind}.json")


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
    report = InboxReport(data_dir=root, started_at=_now_iso())
    with try_lock(root / "work" / _LOCK_FILE) as locked:
        if not locked:
            report.busy = True
            report.finished_at = _now_iso()
            log.info("another inbox pass holds %s; skipping this one", root / "work" / _LOCK_FILE)
            return report
        queue = _recover(root, report, max_bytes)
        recovered_ids = {c.claim_id for c in queue}
        survey = _survey(root, settle_seconds)
        if wait and survey.waiting and settle_seconds > 0:
            time.sleep(settle_seconds)
            survey = _survey(root, settle_seconds)
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
    report.finished_at = _now_iso()
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
                           report=_report_path(destination, "error"), seconds=seconds)

    def archive_duplicate(c: Claim, earlier: sqlite3.Row) -> FileOutcome:
        outputs = json.loads(earlier["outputs"] or "[]")
        destination = archive(c, outputs, duplicate_of=dict(earlier))
        log.info("%s: same content as %s (processed %s); archived, not processed again",
                 c.name, earlier["name"], earlier["finished_at"])
        return FileOutcome(c.name, "duplicate", c.sha256, outputs=outputs, path=destination,
                           report=_report_path(destination, "duplicate"))

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
            earlier = _earlier_success(c.data_dir, c.sha256) if c.sha256 else None
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
        earlier = _earlier_success(c.data_dir, c.sha256)
        if earlier is not None:
            finish(c, archive_duplicate(c, earlier))
        else:
            leader = leaders[c.sha256]
            reason = f"same content as {leader.name!r}, which failed in this pass; not processed twice"
            finish(c, fail(c, reason, "duplicate"))


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
            lines.append(f"✗ {o.name}{again}: {o.stage}: {o.error} (report: {o.report})")
        else:
            lines.append(f"… {o.name}: still being written; next pass")
    counts = report.counts
    lines.append(
        f"{counts['archived']} processed, {counts['duplicate']} duplicate, {counts['failed']} failed,"
        f" {counts['waiting']} waiting"
    )
    return "\n".join(lines)
