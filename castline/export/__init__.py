"""Writers for the output contract: one folder per episode.

``write_outputs(episode, out_dir)`` writes ``episode.json`` (validated against
the committed JSON Schema), ``transcript.md``, ``transcript.srt``,
``transcript.vtt``, ``verbatim.md``, ``edits.md``, ``chapters.json``
(Podcasting 2.0), ``show-notes.md``, ``highlights.md``, ``episode-copy.md`` (title options,
description and cover text, also in ``episode.json`` as ``metadata["copy"]``),
``report.html`` (the episode at a
glance, with audio players), for audio ``diarization.rttm``, and ``publish/``
(:mod:`castline.export.publish`): Podcasting 2.0 transcripts and RSS item, editor
timelines and marker files, listed in ``episode.json`` as ``metadata["publish"]``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from castline.export.chapters import podcast_chapters
from castline.export.episode_json import load_schema, validate_episode, write_episode_json
from castline.export.markdown import (
    edits_markdown,
    episode_copy_markdown,
    highlights_markdown,
    show_notes_markdown,
    transcript_markdown,
    verbatim_markdown,
)
from castline.export.publish import publish_package
from castline.export.report import episode_report_html
from castline.export.subtitles import caption_cues, transcript_srt, transcript_vtt
from castline.model import Episode

__all__ = [
    "load_schema",
    "podcast_chapters",
    "transcript_markdown",
    "transcript_srt",
    "transcript_vtt",
    "validate_episode",
    "write_outputs",
]


def write_outputs(episode: Episode, out_dir: str | Path) -> dict[str, Path]:
    """Write every text output of ``episode`` into ``out_dir``; return name -> path."""
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    published, listing = publish_package(episode)
    # episode.json and the report list the publish/ files; the caller's episode is left as it was.
    episode = dataclasses.replace(episode, metadata={**episode.metadata, "publish": listing})
    cues = caption_cues(episode)  # shared by the SRT and the VTT
    texts = {
        "transcript.md": transcript_markdown(episode),
        "verbatim.md": verbatim_markdown(episode),
        "edits.md": edits_markdown(episode),
        "transcript.srt": transcript_srt(episode, cues=cues),
        "transcript.vtt": transcript_vtt(episode, cues=cues),
        "chapters.json": json.dumps(podcast_chapters(episode), ensure_ascii=False, indent=2),
        "show-notes.md": show_notes_markdown(episode),
        "highlights.md": highlights_markdown(episode),
        "report.html": episode_report_html(episode),
        # Beside episode.json, not in publish/: that folder holds exactly PUBLISH_FILES.
        "episode-copy.md": episode_copy_markdown(episode),
    }
    if episode.metadata.get("diarization"):
        from castline.diarize.audio import to_rttm

        texts["diarization.rttm"] = to_rttm([tuple(s) for s in episode.metadata["diarization"]], episode.slug)
    texts.update(published)
    paths = {"episode.json": write_episode_json(episode, out / "episode.json")}
    for name, text in texts.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, text if text.endswith("\n") else text + "\n")
        paths[name] = path
    return paths


def _write_atomic(path: Path, text: str) -> None:
    # A reader (or a crash) never sees half a file: write beside, then rename.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
