"""Names and small file helpers of the data folder: its layout, safe names, moves that never overwrite.

A data folder ``DIR`` holds ``inbox/ work/ output/ archive/ failed/``
(:data:`LAYOUT`, made by :func:`ensure_layout`). Every name the inbox creates
passes :func:`safe_name`; files are moved with :func:`move_no_overwrite` and
reports written with :func:`write_json_atomic`, so nothing is ever replaced
or left half-written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MAX_BYTES",
    "LAYOUT",
    "REPORT_SUFFIXES",
    "SIDECAR_SUFFIX",
    "ensure_layout",
    "free_name",
    "is_ignored_name",
    "move_no_overwrite",
    "now_iso",
    "report_file",
    "safe_name",
    "sha256_of",
    "stat_kind",
    "write_json_atomic",
]

#: Sub-folders of a data folder.
LAYOUT = ("inbox", "work", "output", "archive", "failed")
#: Files larger than this are quarantined unread (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3
SIDECAR_SUFFIX = ".meta.json"
REPORT_SUFFIXES = (".error.json", ".duplicate.json", SIDECAR_SUFFIX)
# Names that download managers, editors and copy tools use while a file is incomplete.
_TEMP_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", "~")
_NAME_MAX_BYTES = 200
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}


def now_iso() -> str:
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


def is_ignored_name(name: str) -> bool:
    lowered = name.lower()
    return (
        name.startswith(".")
        or lowered.endswith(_TEMP_SUFFIXES)
        or lowered.endswith(REPORT_SUFFIXES)
        or name.startswith("~$")  # office lock files
    )


def stat_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "special"


def sha256_of(path: Path) -> str:
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


def free_name(folder: Path, name: str, reports: tuple[str, ...] = REPORT_SUFFIXES) -> str:
    """The first of ``name``, ``name (2)``... not taken in ``folder`` (nor by a report of that name)."""
    for n in range(1, 10_000):
        candidate = _numbered(name, n)
        if not any(os.path.lexists(folder / (candidate + r)) for r in ("", *reports)):
            return candidate
    raise FileExistsError(f"no free name for {name} in {folder}")


def move_no_overwrite(src: Path, folder: Path, name: str, *, reports: tuple[str, ...] = ()) -> Path:
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


def write_json_atomic(path: Path, data: Any) -> None:
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


def report_file(destination: Path, kind: str) -> Path:
    return destination.with_name(f"{destination.name}.{kind}.json")
