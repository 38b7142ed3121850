"""The episode's marks for editors: chapters, clips, previews and clean-cut cuts.

:func:`episode_markers` lists them once, in seconds (milliseconds kept); the timeline
writers (:mod:`castline.export.publish.timelines`) and the two marker files here read
that list:

* :func:`audacity_labels` -- an Audacity label track (``start<TAB>end<TAB>label``, seconds
  with six decimals, as Audacity's *Export Labels* writes it; a point label has start == end).
* :func:`audition_markers` -- Adobe Audition's marker list (*Export Markers*): a header
  ``Name Start Duration Time Format Type Description`` and one ``Cue`` per mark, fields
  separated by tabs as Audition writes them (the file is named ``.csv`` all the same),
  times in Audition's ``decimal`` format (``M:SS.mmm``, ``H:MM:SS.mmm`` past an hour).

Cuts exist only for a clean-cut edit: the episode was cut with ``clean_cut``
(``metadata["process"]["clean_cut"]``) and has word times. They are the audio that
:func:`castline.export.clean_cut.keep_spans` leaves out of each clip and preview
(removed fillers, stutters and false starts, long pauses, a preview's elisions).
"""

from __future__ import annotations

from dataclasses import dataclass

from castline.export.clean_cut import keep_spans, removed_words
from castline.export.clip_audio import span_times
from castline.model import Episode
from castline.segment.sentence_units import episode_end

__all__ = [
    "Mark",
    "audacity_labels",
    "audition_markers",
    "clean_cut_applied",
    "clean_cut_spans",
    "episode_markers",
]

#: Marker colours (OpenTimelineIO's names) per kind.
_COLOURS = {"chapter": "YELLOW", "clip": "BLUE", "preview": "CYAN", "cut": "RED"}
#: A removed word may reach this far past a cut (clean cuts keep a little air around words).
_SLACK = 0.05


@dataclass(frozen=True)
class Mark:
    """One mark on the episode's timeline; ``start == end`` for a point."""

    kind: str  # chapter, clip, preview, cut
    name: str
    start: float
    end: float
    description: str = ""

    @property
    def colour(self) -> str:
        """OpenTimelineIO marker colour name for the kind."""
        return _COLOURS.get(self.kind, "WHITE")

    @property
    def duration(self) -> float:
        """Length in seconds (0 for a point)."""
        return max(0.0, self.end - self.start)


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.replace("\t", " ").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_cut_applied(episode: Episode) -> bool:
    """True when the episode's clips were cut clean and it has word times to show the cuts."""
    process = episode.metadata.get("process") or {}
    return bool(process.get("clean_cut")) and any(turn.words for turn in episode.turns)


def _item_spans(episode: Episode) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each clip's and preview's audio span(s), as the clip audio cuts them."""
    items = [(f"clip-{n:02d}", [(c.start, c.end)]) for n, c in enumerate(episode.clips, 1)]
    for n, preview in enumerate(episode.previews, 1):
        turn = episode.turns[preview.turn] if 0 <= preview.turn < len(episode.turns) else None
        if turn is not None and preview.spans:
            spans = [span_times(turn, a, b) for a, b in preview.spans]
        else:
            spans = [(preview.start, preview.end)]
        items.append((f"preview-{n:02d}", spans))
    return items


def clean_cut_spans(episode: Episode) -> list[tuple[str, list[tuple[float, float]]]]:
    """``(name, kept spans)`` per clip and preview of a clean-cut edit; ``[]`` without one."""
    if not clean_cut_applied(episode):
        return []
    return [
        (name, [kept for a, b in spans if b > a for kept in keep_spans(episode, a, b)])
        for name, spans in _item_spans(episode)
    ]


def _removed_text(episode: Episode, start: float, end: float) -> str:
    """The removed words spoken in ``[start, end]``, else what the cut is (a pause)."""
    said = []
    for index, turn in enumerate(episode.turns):
        if not turn.words or turn.end < start or turn.start > end:
            continue
        gone = removed_words(turn, [e for e in episode.edits if e.turn == index])
        said += [w.text.strip().strip(",.;:!?") for i, w in enumerate(turn.words)
                 if i in gone and w.start >= start - _SLACK and w.end <= end + _SLACK]  # fmt: skip
    return ", ".join(s for s in said if s) or f"pause {end - start:.1f} s"


def _cuts(episode: Episode) -> list[Mark]:
    marks: dict[tuple[int, int], Mark] = {}
    for name, kept in clean_cut_spans(episode):
        for (_, a), (b, _) in zip(kept, kept[1:], strict=False):
            if b - a < 0.001:
                continue
            key = (round(a * 1000), round(b * 1000))
            if key not in marks:  # a clip and a preview over the same words share their cuts
                what = _removed_text(episode, a, b)
                marks[key] = Mark(
                    "cut", _one_line(f"Cut: {what}", 60), a, b, f"removed in the clean cut of {name}"
                )
    return list(marks.values())


def episode_markers(episode: Episode) -> list[Mark]:
    """Chapters, clips, previews and (for a clean-cut edit) cuts, sorted by start time.

    A chapter spans to its ``end``, else to the next chapter (the last one to the
    episode's end). Times are clamped into the episode.
    """
    total = episode_end(episode)

    def inside(t: float) -> float:
        return min(max(t, 0.0), total)

    marks: list[Mark] = []
    for n, chapter in enumerate(episode.chapters, 1):
        following = episode.chapters[n].start if n < len(episode.chapters) else total
        end = chapter.end if chapter.end is not None else following
        marks.append(Mark("chapter", _one_line(f"Chapter {n}: {chapter.title}"),
                          inside(chapter.start), inside(max(end, chapter.start))))  # fmt: skip
    for n, clip in enumerate(episode.clips, 1):
        names = ", ".join(episode.speaker_name(s) for s in clip.speakers)
        marks.append(
            Mark(
                "clip",
                _one_line(f"Clip {n}: {clip.title}"),
                inside(clip.start),
                inside(clip.end),
                _one_line(f"{names}; score {clip.score:.2f}" if names else f"score {clip.score:.2f}"),
            )
        )
    for n, preview in enumerate(episode.previews, 1):
        marks.append(
            Mark(
                "preview",
                _one_line(f"Preview {n}: {preview.text}", 80),
                inside(preview.start),
                inside(preview.end),
                _one_line(episode.speaker_name(preview.speaker)),
            )
        )
    marks += _cuts(episode)
    order = {"chapter": 0, "clip": 1, "preview": 2, "cut": 3}
    return sorted(marks, key=lambda m: (m.start, order.get(m.kind, 9), m.end))


def audacity_labels(marks: list[Mark]) -> str:
    """An Audacity label track: ``start\\tend\\tlabel`` per mark, seconds to six decimals."""
    return "".join(f"{m.start:.6f}\t{m.end:.6f}\t{m.name}\n" for m in marks)


def _audition_time(seconds: float) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    head = f"{hours}:{minutes:02d}" if hours else f"{minutes}"
    return f"{head}:{secs:02d}.{millis:03d}"


def audition_markers(marks: list[Mark]) -> str:
    """Adobe Audition's marker list: a header row, then a ``Cue`` row per mark (tab-separated)."""
    rows = ["Name\tStart\tDuration\tTime Format\tType\tDescription"]
    for m in marks:
        description = _one_line(f"{m.kind}: {m.description}" if m.description else m.kind, 200)
        rows.append(
            f"{m.name}\t{_audition_time(m.start)}\t{_audition_time(m.duration)}\tdecimal\tCue\t{description}"
        )
    return "\n".join(rows) + "\n"
