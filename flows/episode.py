"""``process-episode``: one input file -> one output folder per episode it holds.

Thin orchestration over ``castline.pipeline``: every stage is a task whose
result is cached under a key chained from the input's content hash, the code
version and the settings each stage depends on, so a rerun of the same input
reuses finished stages and a changed setting reruns only what follows it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import itertools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from castline import code_version
from castline.export import write_outputs
from castline.export.markdown import highlights_markdown
from castline.ingest import IngestError, is_audio_path, read_episodes
from castline.model import Episode
from castline.pipeline import (
    STAGES,
    Settings,
    StageError,
    build_settings,
    fewer_gc_pauses,
    run_stage,
    stage_errors,
    stage_key,
)
from castline.text import format_timestamp

__all__ = ["OWNER_FILE", "output_folder", "process_episode", "progress_hooks", "reserve_output_folder"]


def _file_sha256(path: str) -> str:
    # Streamed: audio files can be gigabytes.
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

#: Callables ``(stage, slug) -> None`` told when a stage starts (the CLI's progress).
progress_hooks: list[Callable[[str, str], None]] = []


def _tell(stage: str, slug: str) -> None:
    for hook in progress_hooks:
        hook(stage, slug)


def _key_from_parameters(context, parameters) -> str:
    return parameters["key"]


def _retry_io_only(task, task_run, state) -> bool:
    # Bad input (and a stage's bug) stays bad: only retry errors that a second try can cure.
    try:
        state.result()
    except StageError as exc:
        return exc.transient
    except (IngestError, ValueError):
        return False
    except Exception:  # noqa: BLE001
        return True
    return False


@task(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_retry_io_only)
def ingest(path: str, title: str | None) -> list[Episode]:
    """Read the input file into episodes."""
    _tell("ingest", Path(path).name)
    with stage_errors("ingest", path):
        episodes = read_episodes(path, title=title)
    encoding = str(episodes[0].metadata.get("encoding", "")) if episodes else ""
    if "(" in encoding:  # e.g. "utf-8 (line 12 re-decoded as cp1252)"
        get_run_logger().warning("%s: not all UTF-8: %s", Path(path).name, encoding)
    return episodes


@task(cache_key_fn=_key_from_parameters, persist_result=True)
def transcribe_audio(path: str, title: str | None, key: str) -> Episode:
    """Transcribe an audio/video file with whisperX (cached by content hash)."""
    from castline.service.locks import slot
    from castline.speech.asr import transcribe
    from castline.speech.audio import probe

    _tell("transcribe", Path(path).name)
    with stage_errors("transcribe", path):
        probe(path)  # a file with no audio stream is told so at once, not after waiting for the audio slot
    with stage_errors("transcribe", path), slot("audio"):
        episode = transcribe(path)
    if title:
        episode.title = title
    return episode


@task(cache_key_fn=_key_from_parameters, persist_result=True)
def diarize_audio(path: str, hints: dict, key: str) -> list[tuple[float, float, str]]:
    """Who spoke when in the audio (cached by content hash and speaker-count hints)."""
    from castline.diarize.audio import diarize
    from castline.service.locks import slot

    _tell("diarize", Path(path).name)
    with stage_errors("diarize", path), slot("audio"):
        return [tuple(segment) for segment in diarize(path, **hints)]


@task
def align_audio(episode: Episode, heard: Episode, path: str) -> Episode:
    """The transcript's words timed from the ASR of its audio (``castline.speech.align``)."""
    from castline.speech.align import align_transcript

    _tell("align", episode.slug)
    with stage_errors("align", path):
        aligned = align_transcript(episode, heard, audio_path=os.path.abspath(path))
        found = aligned.metadata["alignment"]["matched"] + aligned.metadata["alignment"]["substituted"]
        if found < MIN_ALIGNED_SHARE:
            raise ValueError(
                f"the audio does not match the transcript: only {found:.0%} of the transcript's words "
                f"were heard in it (is it the right recording?)")
        return aligned


#: Share of a transcript's words the audio must account for before it is taken as the same episode.
MIN_ALIGNED_SHARE = 0.3


@task
def label_voices(episode: Episode, path: str, segments: list, settings: Settings) -> Episode:
    """Assign words to diarized voices; name them from the voice library, the hint and the intro."""
    from castline.diarize.assign import assign_words
    from castline.diarize.naming import name_diarized_speakers
    from castline.diarize.voices import recognise_voices

    _tell("voices", episode.slug)
    with stage_errors("voices", path):
        episode = assign_words(episode, segments)
        episode.metadata["diarization"] = [list(segment) for segment in segments]
        recognised = recognise_voices(episode, path, segments)
        return name_diarized_speakers(episode, settings.speakers, fixed=recognised)


@task(retries=1, retry_delay_seconds=[2], retry_condition_fn=_retry_io_only)
def cut_audio(episode: Episode, path: str, folder: str, clean: bool, fmt: str = "mp3",
              video: bool | None = None) -> Episode:
    """Cut clip and preview audio (and captioned videos unless ``video`` is False) into clips/."""
    from castline.export.clip_audio import cut_clips

    _tell("clip audio", episode.slug)
    with stage_errors("clip audio", path):
        cut_clips(episode, path, Path(folder) / "clips", clean=clean, fmt=fmt, video=video)
    return episode


@task(cache_key_fn=_key_from_parameters, persist_result=True)
def stage(name: str, episode: Episode, settings: Settings, key: str) -> Episode:
    """Run one castline stage (cached by ``key``)."""
    _tell(name, episode.slug)
    return run_stage(name, episode, settings)


@task(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_retry_io_only)
def export(episode: Episode, folder: str) -> dict[str, str]:
    """Write the episode's outputs into its folder."""
    _tell("export", episode.slug)
    with stage_errors("export", episode.source):
        paths = write_outputs(episode, folder)
    return {name: str(path) for name, path in paths.items()}


#: The file in an output folder that says which input's episode owns it.
OWNER_FILE = ".castline-owner.json"
_OWNER_READ_TRIES = 50  # an owner file is written whole before it appears; this covers odd filesystems


def _owner_key(content_hash: str, index: int) -> str:
    return f"{content_hash}#{index}"


def _read_owner(path: Path) -> str | None:
    """The owner key in ``path`` (``None`` when unreadable or not an owner file)."""
    for _ in range(_OWNER_READ_TRIES):
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError:
            return None
        if raw.strip():
            try:
                owner = json.loads(raw).get("owner")
            except (ValueError, AttributeError):
                return None
            return owner if isinstance(owner, str) else None
        time.sleep(0.02)  # created by O_EXCL on a filesystem without hard links, being written now
    return None


def _create_owner_file(path: Path, record: dict) -> bool:
    """Create ``path`` holding ``record`` unless it exists (atomic); whether this call created it.

    The record is written to a private temporary file and hard-linked into
    place, so the owner file appears complete or not at all; where hard links
    are not supported it is created with ``O_EXCL`` and written straight after.
    """
    payload = json.dumps(record, indent=2).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".owner-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network or FUSE filesystems)
            pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _legacy_owner(folder: Path, content_hash: str) -> bool | None:
    """For a folder without an owner file: ``False`` when its ``episode.json`` is another input's."""
    existing = folder / "episode.json"
    if not existing.exists():
        return None
    try:
        previous = json.loads(existing.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(previous, dict) and previous.get("source_sha256") == content_hash


def reserve_output_folder(out_dir: str | Path, slug: str, content_hash: str, index: int = 0,
                          *, input_path: str | None = None) -> Path:
    """Reserve ``out_dir/<slug>`` for episode ``index`` of the input hashed ``content_hash``.

    The reservation is the folder's owner file (:data:`OWNER_FILE`), created
    atomically: of two runs that want the same folder at the same moment
    exactly one creates it, and the other moves on to ``<slug>-2``,
    ``<slug>-3``, ... A folder this input already owns (a rerun, ``castline
    fix``) is returned again; so is one from before owner files whose
    ``episode.json`` came from this input (the old ``<slug>-<hash>`` name
    included). Two different inputs never get the same folder.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = slug.replace("/", "-").replace(os.sep, "-").strip(". ") or "episode"  # one folder inside out_dir
    key = _owner_key(content_hash, index)
    record = {"owner": key, "sha256": content_hash, "episode": index, "slug": slug,
              "input": os.path.abspath(input_path) if input_path else None,
              "reserved_at": datetime.now(UTC).isoformat(timespec="seconds")}
    legacy = out_dir / f"{slug}-{content_hash[:8] or 'x'}"
    first = [legacy] if index == 0 and legacy.is_dir() and _legacy_owner(legacy, content_hash) else []
    numbered = (out_dir / (slug if n == 1 else f"{slug}-{n}") for n in range(1, 10_000))
    for folder in itertools.chain(first, numbered):
        try:
            folder.mkdir(exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file by that name
            continue
        owner_path = folder / OWNER_FILE
        if not owner_path.exists() and _legacy_owner(folder, content_hash) is False:
            continue  # another input's outputs from before owner files
        if _create_owner_file(owner_path, record) or _read_owner(owner_path) == key:
            return folder
    raise RuntimeError(f"no free output folder for {slug!r} in {out_dir}")


@contextlib.contextmanager
def output_folder(out_dir: str | Path, slug: str, content_hash: str, index: int = 0,
                  *, input_path: str | None = None) -> Iterator[Path]:
    """:func:`reserve_output_folder`, held for the ``with`` block.

    An exclusive ``flock`` on the owner file keeps a second run of the same
    input (which owns the same folder) waiting until this one has written
    its outputs, so no two runs ever write one folder at the same time.
    """
    folder = reserve_output_folder(out_dir, slug, content_hash, index, input_path=input_path)
    fd = os.open(folder / OWNER_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _publish_artifacts(episode: Episode, outputs: dict[str, str]) -> None:
    key = "".join(c if c.isalnum() else "-" for c in episode.slug.lower())[:60].strip("-") or "episode"
    folder = Path(outputs["episode.json"]).parent
    create_markdown_artifact(
        key=f"{key}-highlights",
        markdown=highlights_markdown(episode) + f"\n\nOutputs: `{folder}`\n",
        description=f"Chapters, previews, clips and posts for {episode.title}",
    )
    create_table_artifact(
        key=f"{key}-clips",
        table=[
            {
                "rank": i,
                "title": clip.title,
                "start": format_timestamp(clip.start),
                "end": format_timestamp(clip.end),
                "score": round(clip.score, 3),
                "reasons": "; ".join(clip.reasons),
            }
            for i, clip in enumerate(episode.clips, 1)
        ],
        description=f"Top clips of {episode.title}",
    )


@flow(name="process-episode", log_prints=True)
def process_episode(
    input_path: str,
    out_dir: str = "data/output",
    speakers: str = "",
    glossary: str | None = None,
    title: str | None = None,
    show: str | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    clean_cut: bool = False,
    clip_format: str = "mp3",
    audio: str | None = None,
    url: str | None = None,
    video: bool | None = None,
) -> list[str]:
    """Process one input file end to end; return the output folders.

    ``speakers`` is ``"Name:role,Name:role"``; ``glossary`` a file of terms;
    the speaker counts are hints for audio diarization; ``clean_cut`` cuts
    removed fillers, stutters and long pauses out of clip audio, written as
    ``clip_format`` (mp3, wav, flac, ogg, m4a). A ``corrections.yaml`` in an
    episode's output folder is applied by its speakers stage, and
    ``metadata["process"]`` records the input and these options so
    ``castline fix`` can re-run the episode. ``audio`` is the recording of a
    transcript input: the transcript's words take its times, an unlabelled
    transcript takes its speakers from the audio's voices, and clips are cut
    from it. ``url`` is the episode's page (``{slug}`` filled in): every post
    links it. ``video`` False skips the captioned clip videos (None: unless
    ``$CASTLINE_CLIP_VIDEO`` is 0).
    """
    with fewer_gc_pauses():
        logger = get_run_logger()
        # Every step names its stage when it fails, inside a task or not (stage_errors).
        with stage_errors("settings", input_path):
            settings = build_settings(speakers=speakers, glossary=glossary, title=title, show=show,
                                      url=url)
        settings.num_speakers, settings.min_speakers, settings.max_speakers = (
            num_speakers, min_speakers, max_speakers)
        with stage_errors("ingest", input_path):
            content_hash = _file_sha256(input_path)
        audio_path = input_path if is_audio_path(input_path) else audio
        audio_hash = content_hash
        if audio_path and audio_path != input_path:
            with stage_errors("ingest", audio_path):
                if not is_audio_path(audio_path):
                    raise ValueError(f"--audio {Path(audio_path).name} is not an audio or video file")
                audio_hash = _file_sha256(audio_path)
            content_hash = hashlib.sha256(f"{content_hash}:{audio_hash}".encode()).hexdigest()
        if audio_path:
            base = f"{audio_hash}:{code_version()}"
            hints = settings.speaker_count_hints()
            # The model is part of the key: CASTLINE_ASR_MODEL=tiny.en must not reuse base's transcript.
            model = os.environ.get("CASTLINE_ASR_MODEL", "default")
            heard = transcribe_audio(audio_path, title, key=f"{base}:asr:{model}")
            if audio_path == input_path:
                episodes = [heard]
            else:
                episodes = ingest(input_path, title)
                if len(episodes) != 1:
                    with stage_errors("align", input_path):
                        raise ValueError(f"one recording for {len(episodes)} episodes in one file")
                episodes = [align_audio(episodes[0], heard, audio_path)]
            if not any(turn.speaker for turn in episodes[0].turns):  # a labelled transcript keeps its names
                segments = diarize_audio(audio_path, hints, key=f"{base}:diarize:{sorted(hints.items())}")
                episodes = [label_voices(episodes[0], audio_path, segments, settings)]
        else:
            episodes = ingest(input_path, title)
        run = {
            "input": os.path.abspath(input_path), "speakers": speakers,
            "glossary": os.path.abspath(glossary) if glossary else None, "title": title, "show": show,
            "num_speakers": num_speakers, "min_speakers": min_speakers, "max_speakers": max_speakers,
            "clean_cut": clean_cut, "clip_format": clip_format,
            "audio": os.path.abspath(audio) if audio else None, "url": url,
            "video": video,
        }
        folders = []
        for index, episode in enumerate(episodes):
            # The folder is reserved (and held) before anything is written to it: an input whose
            # name slugs alike to another's, run at the same time, gets <slug>-2 instead of sharing.
            with contextlib.ExitStack() as held:
                with stage_errors("export", input_path):
                    path = held.enter_context(
                        output_folder(out_dir, episode.slug, content_hash, index, input_path=input_path))
                folder = str(path)
                corrections = path / "corrections.yaml"
                ep_settings = dataclasses.replace(
                    settings, corrections=str(corrections) if corrections.is_file() else None)
                key = f"{content_hash}:{index}:{code_version()}"
                for name in STAGES:
                    key = stage_key(key, name, ep_settings)
                    run_named = stage.with_options(name=name, task_run_name=name)
                    episode = run_named(name, episode, ep_settings, key)
                episode.metadata["process"] = run
                if audio_path:
                    episode = cut_audio(episode, audio_path, folder, clean_cut, clip_format, video)
                outputs = export(episode, folder)
                with stage_errors("export", input_path):
                    _publish_artifacts(episode, outputs)
            logger.info("%s: %d turns, %d chapters, %d clips -> %s", episode.title,
                        len(episode.turns), len(episode.chapters), len(episode.clips), folder)
            folders.append(folder)
        return folders
