"""``process-episode``: one input file -> one output folder per episode it holds.

Thin orchestration over ``castline.pipeline``: every stage is a task whose
result is cached under a key chained from the input's content hash, the code
version and the settings each stage depends on, so a rerun of the same input
reuses finished stages and a changed setting reruns only what follows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from castline import code_version
from castline.export import write_outputs
from castline.export.markdown import highlights_markdown
from castline.ingest import IngestError, read_episodes
from castline.model import Episode
from castline.pipeline import STAGES, Settings, build_settings, run_stage, stage_key
from castline.text import format_timestamp

__all__ = ["process_episode", "progress_hooks"]

#: Callables ``(stage, slug) -> None`` told when a stage starts (the CLI's progress).
progress_hooks: list[Callable[[str, str], None]] = []


def _tell(stage: str, slug: str) -> None:
    for hook in progress_hooks:
        hook(stage, slug)


def _key_from_parameters(context, parameters) -> str:
    return parameters["key"]


def _retry_io_only(task, task_run, state) -> bool:
    # Bad input stays bad: only retry errors that a second try can cure.
    try:
        state.result()
    except (IngestError, ValueError):
        return False
    except Exception:  # noqa: BLE001
        return True
    return False


@task(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_retry_io_only)
def ingest(path: str, title: str | None) -> list[Episode]:
    """Read the input file into episodes."""
    _tell("ingest", Path(path).name)
    return read_episodes(path, title=title)


@task(cache_key_fn=_key_from_parameters, persist_result=True)
def stage(name: str, episode: Episode, settings: Settings, key: str) -> Episode:
    """Run one castline stage (cached by ``key``)."""
    _tell(name, episode.slug)
    return run_stage(name, episode, settings)


@task(retries=2, retry_delay_seconds=[1, 5])
def export(episode: Episode, out_dir: str) -> dict[str, str]:
    """Write the episode's outputs into its folder."""
    _tell("export", episode.slug)
    paths = write_outputs(episode, Path(out_dir) / episode.slug)
    return {name: str(path) for name, path in paths.items()}


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
) -> list[str]:
    """Process one input file end to end; return the output folders.

    ``speakers`` is ``"Name:role,Name:role"``; ``glossary`` a file of terms.
    """
    logger = get_run_logger()
    settings = build_settings(speakers=speakers, glossary=glossary, title=title, show=show)
    content_hash = hashlib.sha256(Path(input_path).read_bytes()).hexdigest()
    folders = []
    for index, episode in enumerate(ingest(input_path, title)):
        key = f"{content_hash}:{index}:{code_version()}"
        for name in STAGES:
            key = stage_key(key, name, settings)
            episode = stage.with_options(name=name, task_run_name=name)(name, episode, settings, key)
        outputs = export(episode, out_dir)
        _publish_artifacts(episode, outputs)
        folder = str(Path(outputs["episode.json"]).parent)
        logger.info("%s: %d turns, %d chapters, %d clips -> %s", episode.title,
                    len(episode.turns), len(episode.chapters), len(episode.clips), folder)
        folders.append(folder)
    return folders
