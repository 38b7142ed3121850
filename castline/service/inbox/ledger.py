"""The ledger: every claim and its outcome, in sqlite (``work/ledger.sqlite3``).

Keyed by claim id and indexed by content hash, it is what makes a pass
idempotent (same content is processed once) and a killed pass recoverable
(an outcome recorded before the file moved is finished, not redone).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from castline.service.inbox.files import SIDECAR_SUFFIX, ensure_layout, now_iso

__all__ = [
    "Claim",
    "earlier_failure",
    "earlier_success",
    "ledger_entries",
    "ledger_row",
    "record_claim",
    "record_outcome",
]

_LEDGER_FILE = "ledger.sqlite3"


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
    hold:
        While a pass works on the claim: the descriptor holding its folder
        (:func:`~castline.service.inbox.holds.hold_dir`), so no other pass recovers it.
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
    hold: int | None = field(default=None, repr=False, compare=False)

    @property
    def data_dir(self) -> Path:
        """The data folder this claim belongs to."""
        return self.path.parent.parent.parent

    @property
    def sidecar(self) -> Path:
        """Where the claim's options sidecar lies, if it had one."""
        return self.path.with_name(self.path.name + SIDECAR_SUFFIX)


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


def record_claim(c: Claim) -> None:
    with _ledger(c.data_dir) as db:
        db.execute(
            "INSERT OR REPLACE INTO claims (claim_id, name, sha256, size, status, options, claimed_at)"
            " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
            (c.claim_id, c.name, c.sha256, c.size, json.dumps(c.options), c.claimed_at),
        )


def record_outcome(c: Claim, status: str, **fields: Any) -> None:
    if "outputs" in fields:
        fields["outputs"] = json.dumps(fields["outputs"])
    fields.setdefault("finished_at", now_iso())
    assignments = ", ".join(f"{key} = ?" for key in fields)
    with _ledger(c.data_dir) as db:
        db.execute(
            f"UPDATE claims SET status = ?, {assignments} WHERE claim_id = ?",
            (status, *fields.values(), c.claim_id),
        )


def ledger_row(data_dir: Path, claim_id: str) -> sqlite3.Row | None:
    with _ledger(data_dir) as db:
        return db.execute("SELECT * FROM claims WHERE claim_id = ?", (claim_id,)).fetchone()


def earlier_success(data_dir: Path, sha256: str) -> sqlite3.Row | None:
    with _ledger(data_dir) as db:
        return db.execute(
            "SELECT * FROM claims WHERE sha256 = ? AND status = 'done' ORDER BY finished_at LIMIT 1",
            (sha256,),
        ).fetchone()


def earlier_failure(data_dir: Path, sha256: str, *, since: str, other_than: str) -> sqlite3.Row | None:
    """A claim of the same content, other than ``other_than``, that failed at or after ``since``."""
    with _ledger(data_dir) as db:
        return db.execute(
            "SELECT * FROM claims WHERE sha256 = ? AND status = 'failed' AND finished_at >= ?"
            " AND claim_id != ? ORDER BY finished_at LIMIT 1",
            (sha256, since, other_than),
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
