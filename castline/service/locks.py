"""Machine-wide slots for heavy work: at most N audio jobs at once, across processes.

Inbox passes, UI runs and the CLI may all start audio episodes; whisperX and
the diarizer each want the whole CPU (or GPU), so audio jobs queue for a slot
(``CASTLINE_AUDIO_JOBS``, default 1) held as an ``fcntl`` lock on a file in
``$CASTLINE_LOCKS`` (default: the system temp folder).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["slot", "try_lock"]


@contextmanager
def slot(name: str, capacity: int | None = None, poll_seconds: float = 0.5) -> Iterator[int]:
    """Hold one of ``capacity`` slots called ``name`` for the ``with`` block; yields its number."""
    if capacity is None:
        capacity = max(1, int(os.environ.get(f"CASTLINE_{name.upper()}_JOBS", "1")))
    folder = Path(os.environ.get("CASTLINE_LOCKS", tempfile.gettempdir())) / "castline-locks"
    folder.mkdir(parents=True, exist_ok=True)
    handles = [open(folder / f"{name}.{i}.lock", "a+") for i in range(capacity)]  # noqa: SIM115
    held = None
    try:
        while held is None:
            for number, handle in enumerate(handles):
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                held = number
                break
            else:
                time.sleep(poll_seconds)
        yield held
    finally:
        if held is not None:
            fcntl.flock(handles[held], fcntl.LOCK_UN)
        for handle in handles:
            handle.close()


@contextmanager
def try_lock(path: str | Path) -> Iterator[bool]:
    """Take an exclusive lock on ``path`` without waiting; yields whether it was taken.

    Used so that only one inbox pass (or feed poll) works on a data folder at a time:
    a second one sees ``False`` and leaves.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
