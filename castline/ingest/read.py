"""``read_episodes``: one input file -> one or more :class:`~castline.model.Episode`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from castline.ingest.asr_text import read_asr_text
from castline.ingest.castline_markdown import read_castline_markdown
from castline.ingest.common import DraftTurn, SpeakerRegistry, build_episode, readable_title
from castline.ingest.decode import decode_with_encoding
from castline.ingest.detect import detect_format
from castline.ingest.errors import IngestError
from castline.ingest.labelled import read_labelled
from castline.ingest.podcasting import read_podcasting_html, read_podcasting_json
from castline.ingest.show_page import (
    episode_title,
    parse_show_page,
    show_page_drafts,
    strip_link_targets,
)
from castline.ingest.subtitles import cues_to_drafts, parse_srt_cues, parse_vtt_cues, vtt_header
from castline.ingest.whisper_json import read_whisper_json
from castline.model import Episode
from castline.text import words

__all__ = ["read_episodes", "read_text"]


def read_episodes(path: Path | str, *, title: str | None = None) -> list[Episode]:
    """Read a transcript file into episodes (several for a show page, else one).

    Detects the format (:func:`castline.ingest.detect_format`), keeps every spoken word
    in ``Turn.verbatim`` (== ``Turn.text``), creates speakers ``S1``, ``S2``, ... for
    labelled inputs and estimates times where the source has none. ``title`` overrides
    any title found in the file or taken from the file name. Raises :class:`IngestError`
    for missing, empty, binary, unrecognised or malformed input.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read file ({exc.strerror or exc})") from None
    text, encoding = decode_with_encoding(data, path)
    return read_text(
        text,
        path=path,
        title=title,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def read_text(
    text: str,
    *,
    path: Path | str,
    title: str | None = None,
    sha256: str = "",
    encoding: str = "utf-8",
) -> list[Episode]:
    """Like :func:`read_episodes` for text already decoded (``path`` names the source)."""
    path = Path(path)
    if not any(ch.isalnum() for ch in text):
        raise IngestError(path, "no words found (unrecognised content)")
    try:
        source_format = detect_format(text, path.suffix)
    except ValueError as exc:
        raise IngestError(path, str(exc)) from None
    common: dict[str, Any] = {
        "source": str(path),
        "source_format": source_format,
        "source_sha256": sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    metadata: dict[str, Any] = {"encoding": encoding}
    if source_format == "show_page":
        return _read_show_page(text, path, title, common, metadata)
    if source_format == "castline_markdown":
        return [_read_castline_markdown(text, path, title, common, metadata)]

    file_title: str | None = None
    language = "en"
    try:
        drafts: list[DraftTurn]
        if source_format == "asr_text":
            drafts, details = read_asr_text(text)
        elif source_format in ("name_colon", "name_time_blocks"):
            drafts, details = read_labelled(text)
        elif source_format == "srt":
            drafts, details = cues_to_drafts(parse_srt_cues(text))
        elif source_format == "podcasting_json":
            drafts, details = read_podcasting_json(text)
        elif source_format == "podcasting_html":
            drafts, details = read_podcasting_html(text)
        elif source_format == "vtt":
            body = text if text.lstrip().startswith("WEBVTT") else "WEBVTT\n\n" + text
            drafts, details = cues_to_drafts(parse_vtt_cues(body.lstrip()))
            header = vtt_header(body.lstrip())
            file_title = header.get("title")
            language = header.get("language", language)
        else:  # whisper_json
            drafts, details = read_whisper_json(text)
            file_title = details.get("title") if isinstance(details.get("title"), str) else None
            # whisper writes codes ("en"); OpenAI's verbose_json writes names ("english").
            code = details.get("language")
            if isinstance(code, str) and 2 <= len(code) <= 3 and code.isalpha():
                language = code.lower()
    except ValueError as exc:
        raise IngestError(path, f"malformed {source_format} input: {exc}") from None
    if not any(d.text.strip() for d in drafts):
        raise IngestError(path, f"no spoken text found in {source_format} input")
    metadata["format_details"] = details
    episode = build_episode(
        drafts=drafts,
        title=title or file_title or readable_title(path.name.split(".")[0] or path.stem),
        language=language,
        metadata=metadata,
        **common,
    )
    return [episode]


def _read_castline_markdown(
    text: str, path: Path, title: str | None, common: dict[str, Any], metadata: dict[str, Any]
) -> Episode:
    """castline's own transcript read back: its speakers, roles, tags, confidences and times."""
    found = read_castline_markdown(text)
    drafts = [d for d in found.drafts if d.text.strip()]
    if not drafts:
        raise IngestError(path, "no spoken text found in castline_markdown input")
    last = drafts[-1]
    if found.duration is not None and last.start is not None and found.duration > last.start:
        last.end = found.duration
    registry = SpeakerRegistry()
    used = {SpeakerRegistry.key(d.speaker) for d in drafts if d.speaker}
    # The preamble's speakers first, in its order, so ids follow the run that wrote the file;
    # a name no header uses any more (a producer renamed every turn) is dropped.
    for name, role in found.roles.items():
        if SpeakerRegistry.key(name) in used:
            registry.id_for(name, role=role)
    notes = []
    if found.times_estimated:
        notes.append(
            "Times are those of the transcript read, which estimated them from a speaking rate."
        )
    episode = build_episode(
        drafts=drafts,
        title=title or found.title or readable_title(path.name.split(".")[0] or path.stem),
        registry=registry,
        show=found.show,
        metadata={**metadata, "format_details": found.details},
        notes=notes,
        **common,
    )
    for turn, draft in zip(episode.turns, drafts, strict=True):
        turn.tags = list(draft.meta.get("tags", []))
    episode.times_estimated = episode.times_estimated or found.times_estimated
    return episode


def _read_show_page(
    text: str, path: Path, title: str | None, common: dict[str, Any], metadata: dict[str, Any]
) -> list[Episode]:
    page = parse_show_page(text)
    episodes: list[Episode] = []
    listed = [(i, url, body) for i, (url, body) in enumerate(page.episodes) if words(body)]
    for index, url, body in listed:
        registry = SpeakerRegistry()
        spoken, links = strip_link_targets(body)
        drafts, attributed = show_page_drafts(spoken, page.host)
        if attributed:
            registry.id_for(page.host, role="host")
        notes = []
        if attributed:
            notes.append(
                f"All turns attributed to the show's host {page.host} (named on the show page); "
                "the page lists audio essays read by the host."
            )
        elif page.host:
            notes.append("Text reads as a dialogue; speakers left for attribution.")
        else:
            notes.append("The show page names no host; speakers left for attribution.")
        episode_metadata = {
            **metadata,
            "url": url,
            "links": links,
            "host": page.host,
            "show_description": page.description,
            "page_position": len(episodes) + 1,
            "page_episodes": len(listed),
            "format_details": {"dropped_page_lines": page.chrome.get(index, [])},
        }
        # A caller's title would make every episode of the page alike; use it as a prefix.
        own_title = episode_title(url)
        episodes.append(
            build_episode(
                drafts=drafts,
                title=f"{title}: {own_title}" if title and len(listed) > 1 else title or own_title,
                registry=registry,
                show=page.show,
                metadata=episode_metadata,
                notes=notes,
                **common,
            )
        )
    if not episodes:
        raise IngestError(path, "show page lists no episode text")
    return episodes
