"""Settle and claim: which inbox files are ready, and the atomic move that takes one.

A regular file is ready once its size, mtime and inode have stayed the same
for ``settle_seconds`` (:func:`scan_inbox`); symlinks and special files are
set apart without being followed or opened. :func:`claim` moves a ready file
into its own work folder with one ``os.rename``, hashes it and records the
claim; options come from its ``.meta.json`` sidecar (:func:`read_sidecar`).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from castline.service.inbox.files import (
    DEFAULT_MAX_BYTES,
    SIDECAR_SUFFIX,
    ensure_layout,
    is_ignored_name,
    now_iso,
    safe_name,
    sha256_of,
    stat_kind,
    write_json_atomic,
)
from castline.service.inbox.holds import hold_dir, release, survey_lock
from castline.service.inbox.ledger import Claim, record_claim

__all__ = [
    "OPTION_KEYS",
    "Survey",
    "claim",
    "claim_dirs",
    "read_sidecar",
    "scan_inbox",
    "survey_inbox",
]

log = logging.getLogger(__name__)

#: Keys a ``<name>.meta.json`` sidecar may set; anything else in it is ignored.
OPTION_KEYS = ("title", "show", "speakers", "glossary", "source_url", "guid", "feed")
_SIDECAR_MAX_BYTES = 64 * 1024
_STATE_FILE = ".inbox-state.json"


@dataclass
class Survey:
    ready: list[Path] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)
    unsafe: list[tuple[Path, str]] = field(default_factory=list)  # (path, kind)


def survey_inbox(root: Path, settle_seconds: float) -> Survey:
    """Sort the inbox into ready, still-changing and unsafe entries; remember what was seen.

    One survey at a time per data folder (:func:`~castline.service.inbox.holds.survey_lock`):
    passes that share the inbox share what it has seen, and none loses another's record.
    """
    with survey_lock(root):
        return _survey(root, settle_seconds)


def _survey(root: Path, settle_seconds: float) -> Survey:
    inbox, state_path = root / "inbox", root / "work" / _STATE_FILE
    try:
        previous = json.loads(state_path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        previous = {}
    now, seen, survey = time.time(), {}, Survey()
    with os.scandir(inbox) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if is_ignored_name(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            kind = stat_kind(st.st_mode)
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
        write_json_atomic(state_path, {"files": seen})
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
    return survey_inbox(ensure_layout(data_dir), settle_seconds).ready


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


def claim_dirs(root: Path) -> list[Path]:
    """The claim folders in ``root/work/``, in name order (their names start with the claim's time)."""
    return sorted(p for p in (root / "work").iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))  # fmt: skip


def _new_claim_dir(root: Path) -> tuple[Path, int]:
    """A new, empty claim folder, and the descriptor holding it."""
    while True:
        claim_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
        claim_dir = root / "work" / claim_id
        try:
            claim_dir.mkdir()  # exclusive: two claims can never share a folder
        except FileExistsError:
            continue
        # Held at once. Until then another pass's recovery may look in (an empty folder this
        # young it leaves alone) and hold it for a moment: wait that out.
        for _ in range(1000):
            fd = hold_dir(claim_dir)
            if fd is not None:
                return claim_dir, fd
            if not claim_dir.is_dir():
                break
            time.sleep(0.005)


def claim(path: str | Path, data_dir: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
          hold: bool = False) -> Claim:
    """Move ``path`` (a file in ``data_dir/inbox``) into its own work folder and hash it.

    The move is one ``os.rename`` within the data folder, to
    ``work/<claim id>/<safe_name(name)>``; a ``<name>.meta.json`` sidecar moves
    with it. The content is hashed (sha256) unless the file is larger than
    ``max_bytes`` or not a regular file, which are never read. The claim is
    recorded in the ledger as ``claimed``. Raises ``FileNotFoundError`` when the
    file has already left the inbox (another pass took it).

    With ``hold``, the claim folder stays held (``Claim.hold``) until
    :func:`~castline.service.inbox.holds.release`: no pass recovers a claim
    that a live pass holds. Without it the claim is free once recorded.
    """
    root = ensure_layout(data_dir)
    source = Path(path)
    st = os.lstat(source)
    kind = stat_kind(st.st_mode)
    if kind == "dir":
        raise IsADirectoryError(f"{source}: folders are not claimed")
    claim_dir, fd = _new_claim_dir(root)
    target = claim_dir / safe_name(source.name)
    try:
        _move_into_claim(source, target, kind)
    except BaseException:
        shutil.rmtree(claim_dir, ignore_errors=True)  # holds at most our own partial copy
        release(fd)
        raise
    sidecar_source = source.with_name(source.name + SIDECAR_SUFFIX)
    options, problem = {}, None
    if kind == "file" and os.path.lexists(sidecar_source):
        sidecar_target = target.with_name(target.name + SIDECAR_SUFFIX)
        try:
            _move_into_claim(sidecar_source, sidecar_target, stat_kind(os.lstat(sidecar_source).st_mode))
            options, problem = read_sidecar(sidecar_target)
        except FileNotFoundError:
            pass
        except OSError as exc:  # the file itself is claimed already: report, do not lose it
            problem = f"{sidecar_source.name}: sidecar could not be moved with the file ({exc})"
    st = os.lstat(target)
    kind = stat_kind(st.st_mode)  # the entry may have been swapped between scan and rename
    sha = sha256_of(target) if kind == "file" and st.st_size <= max_bytes else None
    result = Claim(
        claim_id=claim_dir.name,
        name=source.name,
        path=target,
        sha256=sha,
        size=st.st_size,
        claimed_at=now_iso(),
        options=options,
        options_error=problem,
        kind=kind,
    )
    try:
        record_claim(result)
    except BaseException:
        release(fd)  # the folder holds the file: the next pass's recovery finishes this claim
        raise
    if hold:
        result.hold = fd
    else:
        release(fd)
    return result
