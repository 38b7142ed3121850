"""Clip and preview audio files with captions, cut from the episode audio.

For every :class:`~castline.model.Clip` and :class:`~castline.model.Preview`:

* the span is snapped to word boundaries (the nearest word start / end in the
  turns' ``words``) with a little air kept before and after, never reaching
  into the neighbouring word;
* only that span is decoded (ffmpeg input seek + duration, so an hour-long
  episode is never loaded whole); pydub does the fades, joins and export;
* a preview with several spans (elisions marked ``[...]``) is cut span by span
  and joined with a short crossfade;
* 40 ms fades in and out, then loudness normalised to -16 LUFS (pyloudnorm,
  ITU-R BS.1770), the podcast norm, checked again on the encoded file;
* written as ``clips/clip-01.mp3`` / ``clips/preview-01.mp3`` with ``.srt`` and
  ``.vtt`` captions whose word timing is relative to the clip start;
* ``clip.audio`` / ``preview.audio`` set to the path relative to the episode folder;
* unless turned off, a vertical and a square captioned video of each
  (:mod:`castline.export.clip_video`), listed in ``metadata["clip_video"]``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from castline.model import Episode, Turn, Word

__all__ = [
    "CLIP_FADE_MS",
    "CROSSFADE_MS",
    "TARGET_LUFS",
    "caption_cues",
    "cut_clips",
    "loudness",
    "span_times",
]

TARGET_LUFS = -16.0
CLIP_FADE_MS = 40
CROSSFADE_MS = 60
# Air kept around the first and last word (cross-attention word times run a little tight).
_EDGE_PAD_S = 0.12
# Snap only to a word boundary this close; further means the span was not word-based.
_SNAP_WINDOW_S = 1.5
_LOUDNESS_TOLERANCE_LU = 0.2
_CAPTION_MAX_CHARS = 42
_CAPTION_MAX_SECONDS = 3.5
_EXPORT = {"mp3": ("mp3", {"bitrate": "128k"}), "ogg": ("ogg", {"codec": "libvorbis"}),
           "m4a": ("ipod", {"codec": "aac"}), "wav": ("wav", {}), "flac": ("flac", {})}  # fmt: skip


@dataclass
class _Cue:
    start: float
    end: float
    text: str
    speaker: str | None


class _WordIndex:
    """All words of the episode in time order, for snapping and captions."""

    def __init__(self, episode: Episode) -> None:
        self.words: list[Word] = sorted(
            (w for turn in episode.turns for w in (turn.words or [])), key=lambda w: (w.start, w.end)
        )
        self.starts = [w.start for w in self.words]
        self.ends = sorted(w.end for w in self.words)

    def snap(self, start: float, end: float) -> tuple[float, float]:
        """``(start, end)`` moved to the nearest word start / end, padded into silence."""
        if not self.words:
            return start, end
        snapped_start = _nearest(self.starts, start)
        snapped_end = _nearest(self.ends, end)
        if abs(snapped_start - start) > _SNAP_WINDOW_S:
            snapped_start = start
        if abs(snapped_end - end) > _SNAP_WINDOW_S:
            snapped_end = end
        if snapped_end <= snapped_start:
            return start, end
        # Pad outwards, but only up to halfway into the gap to the neighbouring word.
        before = [w.end for w in self.words if w.end <= snapped_start]
        after = [w.start for w in self.words if w.start >= snapped_end]
        gap_before = snapped_start - max(before) if before else _EDGE_PAD_S * 2
        gap_after = min(after) - snapped_end if after else _EDGE_PAD_S * 2
        return (
            max(0.0, snapped_start - min(_EDGE_PAD_S, gap_before / 2)),
            snapped_end + min(_EDGE_PAD_S, gap_after / 2),
        )

    def within(self, start: float, end: float) -> list[Word]:
        """Words whose middle falls inside ``[start, end]``."""
        first = bisect.bisect_left(self.starts, start - 5.0)
        chosen = []
        for word in self.words[first:]:
            if word.start > end:
                break
            if start <= (word.start + word.end) / 2 <= end:
                chosen.append(word)
        return chosen


def _nearest(values: list[float], target: float) -> float:
    index = bisect.bisect_left(values, target)
    candidates = values[max(0, index - 1) : index + 1]
    return min(candidates, key=lambda v: abs(v - target))


def _word_offsets(turn: Turn) -> list[tuple[int, int, Word]]:
    """Character span of each word in ``turn.text`` (words found in order; edited-out words skipped)."""
    text = turn.text.lower()
    cursor = 0
    found = []
    for word in turn.words or []:
        token = word.text.lower().strip()
        if not token:
            continue
        position = text.find(token, cursor)
        if position < 0 or position - cursor > 40 + len(token):
            # Removed or rewritten by cleaning: leave the cursor where it was.
            continue
        found.append((position, position + len(token), word))
        cursor = position + len(token)
    return found


def span_times(turn: Turn, char_start: int, char_end: int) -> tuple[float, float]:
    """Audio time of ``turn.text[char_start:char_end]``, from word times when present."""
    offsets = _word_offsets(turn) if turn.words else []
    inside = [w for a, b, w in offsets if b > char_start and a < char_end]
    if inside:
        return inside[0].start, inside[-1].end
    return turn.time_at(char_start), turn.time_at(char_end)


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770) of float samples ``(n,)`` or ``(n, channels)``."""
    import pyloudnorm

    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def _as_float(segment) -> np.ndarray:
    samples = np.array(segment.get_array_of_samples(), dtype=np.float32)
    if segment.channels > 1:
        samples = samples.reshape(-1, segment.channels)
    return samples / float(1 << (8 * segment.sample_width - 1))


def _normalise(segment, target: float = TARGET_LUFS):
    """Gain ``segment`` so its integrated loudness is ``target`` LUFS."""
    measured = loudness(_as_float(segment), segment.frame_rate)
    if not np.isfinite(measured):
        return segment  # silence: nothing to normalise
    return segment.apply_gain(target - measured)


def _cut(audio_path: Path, start: float, end: float):
    """Decode only ``[start, end]`` (ffmpeg input seek), at the source's rate and channels."""
    import io
    import subprocess

    from pydub import AudioSegment

    start = max(0.0, start)
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-t", f"{max(0.05, end - start):.3f}",
        "-i", str(audio_path), "-map", "0:a:0", "-vn", "-acodec", "pcm_s16le", "-f", "wav", "-",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        from castline.speech.audio import AudioError

        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no audio"]
        raise AudioError(audio_path, "clip", f"cannot cut {start:.2f}-{end:.2f} s ({reason[0]})")
    return AudioSegment.from_file(io.BytesIO(result.stdout), format="wav")


def caption_cues(words: list[Word], offset: float, names: dict[str, str]) -> list[_Cue]:
    """Caption cues from ``words``, times relative to ``offset``; a new cue per speaker change."""
    cues: list[_Cue] = []
    for word in words:
        start, end = max(0.0, word.start - offset), max(0.0, word.end - offset)
        speaker = names.get(word.speaker or "", None)
        current = cues[-1] if cues else None
        if (
            current is None
            or current.speaker != speaker
            or len(current.text) + 1 + len(word.text) > _CAPTION_MAX_CHARS
            or end - current.start > _CAPTION_MAX_SECONDS
        ):
            cues.append(_Cue(start=start, end=max(end, start + 0.05), text=word.text, speaker=speaker))
        else:
            current.text += " " + word.text
            current.end = max(current.end, end)
    for previous, following in zip(cues, cues[1:], strict=False):
        previous.end = (
            min(previous.end, following.start) if following.start > previous.start else previous.end
        )
    return cues


def _write_captions(cues: list[_Cue], base: Path) -> None:
    import srt
    from webvtt import Caption, WebVTT

    def stamp(seconds: float) -> str:
        millis = int(round(seconds * 1000))
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"

    speakers = {cue.speaker for cue in cues}
    labelled = len(speakers) > 1
    subtitles = [
        srt.Subtitle(
            index=i + 1,
            start=dt.timedelta(seconds=cue.start),
            end=dt.timedelta(seconds=max(cue.end, cue.start + 0.05)),
            content=(f"{cue.speaker}: " if labelled and cue.speaker else "") + cue.text,
        )
        for i, cue in enumerate(cues)
    ]
    base.with_suffix(".srt").write_text(srt.compose(subtitles), encoding="utf-8")
    vtt = WebVTT()
    for cue in cues:
        text = f"<v {cue.speaker}>{cue.text}" if labelled and cue.speaker else cue.text
        vtt.captions.append(Caption(stamp(cue.start), stamp(max(cue.end, cue.start + 0.05)), text))
    vtt.save(str(base.with_suffix(".vtt")))


@dataclass
class _Rendered:
    """A clip's audio, its caption cues, and where its words and pieces fall in it."""

    audio: object
    cues: list[_Cue]
    #: ``(start, end, text, speaker id)`` of every word, in clip time.
    words: list[tuple[float, float, str, str | None]]
    #: ``(source_start, source_end, clip_start)`` of each span joined.
    pieces: list[tuple[float, float, float]]


def _render(
    audio_path: Path, spans: list[tuple[float, float]], index: _WordIndex, names: dict[str, str]
) -> _Rendered:
    """Cut and join ``spans``: the audio, its caption cues and its words in clip time."""
    joined = None
    cues: list[_Cue] = []
    words: list[tuple[float, float, str, str | None]] = []
    pieces: list[tuple[float, float, float]] = []
    for start, end in spans:
        piece = _cut(audio_path, start, end)
        fade = 0 if joined is None else min(CROSSFADE_MS, len(joined) // 2, len(piece) // 2)
        position = 0.0 if joined is None else (len(joined) - fade) / 1000
        inside = index.within(start, end)
        piece_cues = caption_cues(inside, start, names)
        for cue in piece_cues:
            cue.start += position
            cue.end += position
        cues.extend(piece_cues)
        words.extend(
            (max(0.0, w.start - start) + position, max(0.0, w.end - start) + position, w.text, w.speaker)
            for w in inside
        )
        pieces.append((max(0.0, start), max(0.0, start) + len(piece) / 1000, position))
        joined = piece if joined is None else joined.append(piece, crossfade=fade)
    fade = min(CLIP_FADE_MS, len(joined) // 4)
    return _Rendered(_normalise(joined.fade_in(fade).fade_out(fade)), cues, words, pieces)


def cut_clips(
    episode: Episode,
    audio_path: str | Path,
    out_dir: str | Path,
    *,
    fmt: str = "mp3",
    clean: bool = False,
    video: bool | None = None,
) -> None:
    """Cut every clip and preview of ``episode`` from ``audio_path`` into ``clips/``.

    ``out_dir`` is the episode's output folder (files go to ``out_dir/clips``)
    or that ``clips`` folder itself. Writes ``clip-01.<fmt>`` (+ ``.srt`` and
    ``.vtt``) per clip and ``preview-01.<fmt>`` (+ captions) per preview, and
    sets ``clip.audio`` / ``preview.audio`` to ``clips/<file>``. ``fmt`` is one
    of mp3, ogg, m4a, wav, flac. With ``clean``, words the cleanup removed and
    pauses over 0.7 s are cut out too (:mod:`castline.export.clean_cut`), and
    the captions follow the cut.

    With ``video`` (default: unless ``$CASTLINE_CLIP_VIDEO`` is ``0``), each also
    gets ``<stem>.vertical.mp4`` and ``<stem>.square.mp4`` with burnt-in word-timed
    captions (:mod:`castline.export.clip_video`), listed in
    ``episode.metadata["clip_video"]``; a video that cannot be made leaves a note
    there and the audio clip as it is.
    """
    if fmt not in _EXPORT:
        raise ValueError(f"unsupported clip format {fmt!r}; use one of {sorted(_EXPORT)}")
    audio_path = Path(audio_path)
    out_dir = Path(out_dir)
    folder = out_dir if out_dir.name == "clips" else out_dir / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    export_format, export_options = _EXPORT[fmt]
    index = _WordIndex(episode)
    names = {speaker.id: speaker.name for speaker in episode.speakers}

    from castline.export.clip_video import ClipVideos, clip_video_enabled

    if video is None:
        video = clip_video_enabled()
    videos = ClipVideos(episode, audio_path, folder) if video else None
    episode.metadata.pop("clip_video", None)

    jobs: list[tuple[object, str, list[tuple[float, float]]]] = []
    for number, clip in enumerate(episode.clips, start=1):
        jobs.append((clip, f"clip-{number:02d}", [index.snap(clip.start, clip.end)]))
    for number, preview in enumerate(episode.previews, start=1):
        turn = episode.turns[preview.turn] if 0 <= preview.turn < len(episode.turns) else None
        if turn is not None and preview.spans:
            spans = [index.snap(*span_times(turn, a, b)) for a, b in preview.spans]
        else:
            spans = [index.snap(preview.start, preview.end)]
        jobs.append((preview, f"preview-{number:02d}", spans))

    def render_one(item, stem: str, spans: list[tuple[float, float]]) -> None:
        if clean:
            from castline.export.clean_cut import keep_spans

            spans = [kept for a, b in spans for kept in keep_spans(episode, a, b)]
        rendered = _render(audio_path, spans, index, names)
        audio, cues = rendered.audio, rendered.cues
        base = folder / stem
        target = base.with_suffix(f".{fmt}")
        # Write beside and rename, so a crash never leaves half a clip behind.
        partial = folder / f".{stem}.partial.{fmt}"
        audio.export(str(partial), format=export_format, **export_options)
        # Lossy encoders shift loudness a little (about half a LU for mp3): measure
        # the encoded file and correct once, so the published file is on target.
        from pydub import AudioSegment

        encoded = AudioSegment.from_file(str(partial))
        drift = TARGET_LUFS - loudness(_as_float(encoded), encoded.frame_rate)
        if np.isfinite(drift) and abs(drift) > _LOUDNESS_TOLERANCE_LU:
            audio.apply_gain(drift).export(str(partial), format=export_format, **export_options)
        partial.replace(target)
        _write_captions(cues, base)
        item.audio = f"clips/{target.name}"
        if videos is not None:
            videos.render(item, stem, audio, rendered)

    # Each job is ffmpeg cuts and encodes in child processes: run two at a time.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for future in [pool.submit(render_one, *job) for job in jobs]:
            future.result()
    if videos is not None:
        episode.metadata["clip_video"] = videos.listing()
