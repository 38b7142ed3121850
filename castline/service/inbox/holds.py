"""Who holds what in a data folder, so several passes can share one inbox.

Every hold is an ``flock``, released by the OS when its process dies, so a killed
pass never leaves anything held:

* **a pass slot** (:func:`pass_slot`): ``work/.inbox.lock``, then
  ``work/.inbox.2.lock``, ...; at most ``max_passes`` passes work on one data
  folder at once, a pass that finds none free leaves (``busy``);
* **a claim** (:func:`hold_dir`): the claim's own folder ``work/<claim id>/``,
  held by the pass that claimed (or recovered) it until the file has moved on,
  so recovery in another pass never takes a claim a live pass is working on;
* **a content's turn** (:func:`content_turn`): one file per sha256 being
  processed (``work/.content-<hash>.lock``, removed after), so two passes
  given the same bytes under two names process them once;
* **the survey** (:func:`survey_lock`): ``work/.inbox-state.lock`` while a pass
  reads and rewrites what it has seen of the inbox (``.inbox-state.json``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["content_turn", "hold_dir", "pass_slot", "release", "survey_lock"]


def _slot_file(root: Path, number: int) -> Path:
    # Slot 1 keeps the lock's old name: a pass of an older castline still excludes this one.
    return root / "work" / (".inbox.lock" if number == 1 else f".inbox.{number}.lock")


@contextlib.contextmanager
def pass_slot(root: Path, max_passes: int = 1) -> Iterator[int | None]:
    """Take the first free of ``max_passes`` pass slots of ``root`` without waiting; yield its number.

    Yields ``None`` when all are taken (another pass, or ``max_passes`` of them, are
    running). Passes with the same ``max_passes`` are never more than that many.
    """
    for number in range(1, max(1, max_passes) + 1):
        fd = os.open(_slot_file(root, number), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield number
        finally:
            os.close(fd)  # closing the last descriptor releases the lock
        return
    yield None


def hold_dir(path: Path) -> int | None:
    """Hold the folder ``path`` (an exclusive ``flock`` on it) without waiting; return the descriptor.

    ``None`` when another holder has it, or the folder is gone (its owner finished
    and removed it). Give the descriptor to :func:`release` when done.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if not os.path.isdir(path) or os.stat(path).st_ino != os.fstat(fd).st_ino:
        os.close(fd)  # removed (or replaced) by its holder just before we got it
        return None
    return fd


def release(fd: int | None) -> None:
    """Let go of a hold from :func:`hold_dir` (``None`` is ignored)."""
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


@contextlib.contextmanager
def content_turn(root: Path, sha256: str) -> Iterator[None]:
    """Wait for, then hold, the turn of the content ``sha256`` in ``root`` for the ``with`` block.

    Whoever holds it is the only one processing those bytes; the next holder finds
    the outcome in the ledger. The lock file goes when its holder leaves; a holder
    that got the lock of a file already removed (or replaced) tries again.
    """
    path = root / "work" / f".content-{sha256[:32]}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # while still held: a waiter on this file sees it gone and retries
        os.close(fd)


@contextlib.contextmanager
def survey_lock(root: Path) -> Iterator[None]:
    """Hold the inbox survey of ``root`` (waits for another pass's survey, which takes milliseconds)."""
    fd = os.open(root / "work" / ".inbox-state.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
