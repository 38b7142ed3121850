"""Editor timelines, built with OpenTimelineIO and written by its adapters.

One timeline per episode: an audio track holding the whole episode as one clip
(the source audio for an audio input; a missing reference named after the episode
for a text input, to relink in the editor), with a marker per chapter, clip,
preview and clean-cut cut (:func:`castline.export.publish.markers.episode_markers`)
on that clip. For a clean-cut edit a second audio track, ``Clean cut``, lays out the
kept spans of each clip and preview one after another (a second of gap between two).

* ``timeline.otio`` (OpenTimelineIO JSON): times at a rate of 1000, so every time is
  the episode's to the millisecond; each marker's metadata (``castline``) repeats its
  kind, description and exact start and end in seconds.
* ``timeline.fcpxml`` (the ``fcpx_xml`` adapter; Final Cut Pro, DaVinci Resolve) and
  ``timeline.edl`` (the ``cmx_3600`` adapter, CMX 3600): editors work in frames, so
  these are built at :data:`EDITOR_FPS` (25 fps, a frame every 40 ms) and every time
  is rounded to the nearest frame (within 20 ms of the episode's). FCPXML needs a
  primary storyline: a gap on a video track carries the audio, connected below it.
  What the adapters cannot carry: a CMX 3600 EDL holds one track (the episode, so no
  ``Clean cut`` track) and its markers are ``* LOC:`` points (no duration), their
  names upper-cased by the adapter and folded to ASCII here.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

from castline.export.publish.markers import Mark, clean_cut_spans, episode_markers
from castline.model import Episode
from castline.segment.sentence_units import episode_end

__all__ = ["EDITOR_FPS", "OTIO_RATE", "build_timeline", "timeline_texts"]

log = logging.getLogger(__name__)

#: The rate of ``timeline.otio``: one unit per millisecond.
OTIO_RATE = 1000
#: The frame rate of the FCPXML and EDL timelines.
EDITOR_FPS = 25
#: Silence between two clips on the ``Clean cut`` track, seconds.
_CLEAN_GAP_S = 1.0


def _range(start: float, end: float, rate: int):
    from opentimelineio.opentime import RationalTime, TimeRange

    a = round(start * rate)
    b = max(round(end * rate), a)
    return TimeRange(RationalTime(a, rate), RationalTime(b - a, rate))


def _media(episode: Episode, rate: int):
    import opentimelineio as otio

    available = _range(0.0, episode_end(episode), rate)
    recording = episode.metadata.get("audio") or (episode.source if episode.source_format == "audio" else "")
    if recording:
        path = Path(recording)
        url = path.as_uri() if path.is_absolute() else path.name
        return otio.schema.ExternalReference(target_url=url, available_range=available)
    return otio.schema.MissingReference(
        name=episode.slug or "episode",
        available_range=available,
        metadata={"castline": {"note": "text input: no audio; relink to the episode's audio"}},
    )


def _ascii(text: str) -> str:
    text = text.replace("…", "...").replace("—", "-").replace("–", "-")
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def build_timeline(
    episode: Episode,
    *,
    rate: int = OTIO_RATE,
    layout: str = "otio",
    marks: list[Mark] | None = None,
):
    """The episode as an ``opentimelineio.schema.Timeline`` with its markers.

    ``layout`` picks the tracks a format can hold: ``"otio"`` (episode, clean cut),
    ``"fcpx"`` (a video gap as the storyline, then both audio tracks) or ``"edl"``
    (the episode first, the one video track the adapter asks for left empty).
    """
    import opentimelineio as otio
    from opentimelineio.opentime import RationalTime

    if layout not in {"otio", "fcpx", "edl"}:
        raise ValueError(f"unknown timeline layout {layout!r}")
    total = episode_end(episode)
    marks = episode_markers(episode) if marks is None else marks
    media = _media(episode, rate)
    title = episode.title or episode.slug
    timeline = otio.schema.Timeline(
        name=_ascii(title) if layout == "edl" else title, global_start_time=RationalTime(0, rate)
    )
    timeline.metadata["castline"] = {"slug": episode.slug, "source": episode.source,
                                     "times_estimated": episode.times_estimated}  # fmt: skip

    main = otio.schema.Track(name="Episode", kind=otio.schema.TrackKind.Audio)
    whole = otio.schema.Clip(
        name=episode.slug or "episode", media_reference=media, source_range=_range(0.0, total, rate)
    )
    for mark in marks:
        name = _ascii(mark.name) if layout == "edl" else mark.name
        whole.markers.append(
            otio.schema.Marker(
                name=name,
                marked_range=_range(mark.start, mark.end, rate),
                color=mark.colour,
                metadata={
                    "castline": {
                        "kind": mark.kind,
                        "description": mark.description,
                        "start": round(mark.start, 3),
                        "end": round(mark.end, 3),
                    }
                },  # fmt: skip
            )
        )
    main.append(whole)

    clean = None
    spans = clean_cut_spans(episode) if layout != "edl" else []
    if spans:
        clean = otio.schema.Track(name="Clean cut", kind=otio.schema.TrackKind.Audio)
        for number, (name, kept) in enumerate(spans):
            if number:
                clean.append(otio.schema.Gap(source_range=_range(0.0, _CLEAN_GAP_S, rate)))
            for k, (a, b) in enumerate(kept, 1):
                clean.append(otio.schema.Clip(name=f"{name} {k}/{len(kept)}", media_reference=media.clone(),
                                              source_range=_range(a, b, rate)))  # fmt: skip

    if layout == "fcpx":
        storyline = otio.schema.Track(name="Storyline", kind=otio.schema.TrackKind.Video)
        # Every connected clip needs the storyline under it: the clean-cut track (clips and
        # previews one after another) can outrun the episode.
        length = max(total, clean.duration().to_seconds() if clean is not None else 0.0)
        storyline.append(otio.schema.Gap(source_range=_range(0.0, length, rate)))
        timeline.tracks.append(storyline)
    timeline.tracks.append(main)
    if clean is not None:
        timeline.tracks.append(clean)
    if layout == "edl":
        timeline.tracks.append(otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video))
    return timeline


def timeline_texts(episode: Episode, *, marks: list[Mark] | None = None) -> tuple[dict[str, str], list[str]]:
    """``({"publish/timeline.otio": text, ...}, notes)``: the three timelines as text.

    A format whose adapter fails is left out and named in the notes (the others are
    still written).
    """
    import opentimelineio as otio

    marks = episode_markers(episode) if marks is None else marks
    texts = {
        "publish/timeline.otio": otio.adapters.write_to_string(
            build_timeline(episode, marks=marks), "otio_json"
        )
    }
    notes: list[str] = []
    for name, layout, adapter, options in (
        ("publish/timeline.fcpxml", "fcpx", "fcpx_xml", {}),
        ("publish/timeline.edl", "edl", "cmx_3600", {"rate": EDITOR_FPS}),
    ):
        try:
            timeline = build_timeline(episode, rate=EDITOR_FPS, layout=layout, marks=marks)
            texts[name] = otio.adapters.write_to_string(timeline, adapter, **options)
        except Exception as error:  # an adapter's limit must not cost the rest of the package
            log.warning("%s: %s not written: %s: %s", episode.slug, name, type(error).__name__, error)
            notes.append(f"{name} not written: {type(error).__name__}: {error}")
    return texts, notes
