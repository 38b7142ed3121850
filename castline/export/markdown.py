"""Markdown outputs: readable and verbatim transcripts, edit review, show notes, highlights."""

from __future__ import annotations

from collections import defaultdict

from castline.model import Edit, Episode, Turn
from castline.text import format_timestamp

__all__ = [
    "LOW_CONFIDENCE",
    "STRUCTURE_LABELS",
    "edits_markdown",
    "episode_copy_markdown",
    "highlights_markdown",
    "show_notes_markdown",
    "structure_labels",
    "transcript_markdown",
    "verbatim_markdown",
]

#: Turns whose speaker attribution is less sure than this are marked for review.
LOW_CONFIDENCE = 0.6


def _preamble(episode: Episode, kind: str) -> list[str]:
    facts = [kind]
    if episode.show:
        facts.append(episode.show)
    # Roles in the list so that castline can read its own transcript back (ingest).
    named = [f"{s.name} ({s.role})" if s.role in ("host", "guest") else s.name for s in episode.speakers]
    if named:
        facts.append(", ".join(named))
    if episode.duration:
        facts.append(format_timestamp(episode.duration))
    lines = [f"# {episode.title}", "", "*" + " · ".join(facts) + "*", ""]
    if episode.times_estimated:
        lines += ["> Times are estimated from a speaking rate: the input carried none.", ""]
    return lines


def _header(episode: Episode, turn: Turn) -> str:
    header = f"{episode.speaker_name(turn.speaker)} {format_timestamp(turn.start)}"
    if turn.confidence < LOW_CONFIDENCE:
        header += f" (speaker uncertain, {turn.confidence:.2f})"
    return header


#: Reader-facing names of structure tags (a sponsor read gets a block of its own).
STRUCTURE_LABELS = {"cold_open": "cold open", "intro": "introduction", "outro": "closing"}


def structure_labels(turn: Turn) -> list[str]:
    """Names of ``turn``'s structure tags for a transcript reader, sponsor reads aside."""
    return [label for tag, label in STRUCTURE_LABELS.items() if tag in turn.tags]


def _turn_block(episode: Episode, turn: Turn, body: str) -> list[str]:
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    header = _header(episode, turn)
    for label in structure_labels(turn):
        header += f" · {label}"
    if "ad" in turn.tags:
        quoted = [f"> {p}" for p in paragraphs]
        return [f"> **Sponsor read** — {header}", ">", *_interleave(quoted, ">"), ""]
    return [header, *_interleave(paragraphs, ""), ""]


def _interleave(items: list[str], sep: str) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def transcript_markdown(episode: Episode) -> str:
    """The readable transcript: a ``Name HH:MM:SS`` header per turn, then paragraphs.

    Sponsor reads are set apart as quoted blocks; low-confidence speaker
    attributions are marked in the header.
    """
    lines = _preamble(episode, "Readable transcript")
    for turn in episode.turns:
        if turn.text.strip():
            lines += _turn_block(episode, turn, turn.text)
    return "\n".join(lines)


def verbatim_markdown(episode: Episode) -> str:
    """The verbatim transcript: the source words per turn, unedited."""
    lines = _preamble(episode, "Verbatim transcript")
    for turn in episode.turns:
        if turn.verbatim.strip():
            lines += [_header(episode, turn), turn.verbatim.strip(), ""]
    return "\n".join(lines)


def _review_text(verbatim: str, edits: list[Edit]) -> str:
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        out.append(verbatim[cursor : edit.start])
        if edit.original.strip():
            out.append(f"~~{edit.original.strip()}~~")
            if edit.original[:1].isspace():
                out.insert(-1, " ")
        if edit.replacement.strip():
            out.append(f"**{edit.replacement.strip()}**")
        elif edit.original.strip() and edit.original[-1:].isspace():
            out.append(" ")
        cursor = edit.end
    out.append(verbatim[cursor:])
    return "".join(out)


def edits_markdown(episode: Episode) -> str:
    """An audit file: every turn that was edited, deletions struck through.

    Insertions are in bold; each turn lists its edits by kind so an editor can
    check or revert them (the verbatim text is always kept in episode.json).
    """
    by_turn: dict[int, list[Edit]] = defaultdict(list)
    for edit in episode.edits:
        by_turn[edit.turn].append(edit)
    kinds: dict[str, int] = defaultdict(int)
    for edit in episode.edits:
        kinds[edit.kind] += 1
    summary = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) or "none"
    lines = _preamble(episode, "Edit review") + [f"{len(episode.edits)} edits ({summary}).", ""]
    suggestions = episode.metadata.get("glossary_suggestions") or []
    if suggestions:
        lines += ["## Glossary suggestions", "",
                  "Rare spellings that nearly match a name used elsewhere in this episode; "
                  "add the right one to the show's glossary to repair them next time.", ""]
        lines += [f"- “{s['heard']}” → “{s['likely']}” ({s['score']:.2f})" for s in suggestions]
        lines += [""]
    for index, turn in enumerate(episode.turns):
        edits = by_turn.get(index)
        if not edits:
            continue
        lines += [f"## Turn {index} — {_header(episode, turn)}", "", _review_text(turn.verbatim, edits), ""]
    return "\n".join(lines)


def _chapter_lines(episode: Episode) -> list[str]:
    return [f"({format_timestamp(c.start)}) – {c.title}" for c in episode.chapters]


def show_notes_markdown(episode: Episode) -> str:
    """Show notes: the chapter list in the house format ``(HH:MM:SS) – Title``."""
    lines = [f"# {episode.title}", "", "## Chapters", "", *_chapter_lines(episode), ""]
    return "\n".join(lines)


def highlights_markdown(episode: Episode) -> str:
    """Everything a producer pastes: chapters, previews, clips with threads, posts."""
    lines = [f"# {episode.title} — highlights", ""]
    if episode.times_estimated:
        lines += ["> Times are estimated from a speaking rate: the input carried none.", ""]
    lines += ["## Chapters", "", *_chapter_lines(episode), "", "## Previews", ""]
    for preview in episode.previews:
        who = episode.speaker_name(preview.speaker)
        stamp = f"{format_timestamp(preview.start)}–{format_timestamp(preview.end)}"
        lines += [f"- “{preview.text}” — {who} ({stamp})"]
    lines += ["", "## Clips", ""]
    for number, clip in enumerate(episode.clips, 1):
        names = ", ".join(episode.speaker_name(s) for s in clip.speakers)
        stamp = f"{format_timestamp(clip.start)}–{format_timestamp(clip.end)}"
        lines += [
            f"### {number}. {clip.title}",
            "",
            f"*{stamp} · {names} · score {clip.score:.2f}*",
            "",
            f"Why: {'; '.join(clip.reasons) or 'highest overall score'}.",
            "",
            *[f"> {line}" if line.strip() else ">" for line in clip.text.splitlines()],
            "",
        ]
        if clip.thread:
            lines += ["Thread:", "", *[f"{i}. {post}" for i, post in enumerate(clip.thread, 1)], ""]
        if clip.audio:
            lines += [f"Audio: `{clip.audio}`", ""]
    lines += ["## Posts", ""]
    for highlight in episode.highlights:
        lines += [
            f"- {highlight.tweet}",
            f"  <sub>{highlight.weighted_length}/280 · {format_timestamp(highlight.start)}</sub>",
        ]
    return "\n".join(lines) + "\n"


def episode_copy_markdown(episode: Episode) -> str:
    """``episode-copy.md``: the episode's copy for a producer to pick from and paste.

    Title options, cover texts, the description (guest line, topics, takeaways with
    their times, chapters, sponsor, mentions, link), then where each takeaway comes from.
    Empty of copy (an episode processed before copy existed) it says so in one line.
    """
    copy = (episode.metadata or {}).get("copy") or {}
    lines = [f"# {episode.title} — episode copy", ""]
    if not copy:
        return "\n".join(lines + ["No copy was made for this episode (run the highlights stage).", ""])
    lines += ["## Title options", ""]
    lines += [f"{i}. {t} <sub>({len(t)} characters)</sub>" for i, t in enumerate(copy.get("titles") or [], 1)]
    lines += ["", "## Cover text", ""]
    lines += [f"- {c}" for c in copy.get("cover") or []]
    words = copy.get("description_words", 0)
    lines += ["", f"## Description ({words} words)", "", copy.get("description", ""), ""]
    takeaways = copy.get("takeaways") or []
    if takeaways:
        lines += ["## Where the takeaways come from", ""]
        lines += [f"- {t['time']} · turn {t['turn']} · {t['speaker']}" for t in takeaways]
        lines += [""]
    return "\n".join(lines)
