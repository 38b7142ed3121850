"""Captioned video clips: ``clips/<clip>.vertical.mp4`` (1080x1920) and ``.square.mp4`` (1080x1080).

Called by :func:`castline.export.clip_audio.cut_clips` for each clip and
preview once its audio is cut and loudness-normalised: the video carries that
same audio (AAC), so it sounds as the audio clip does.

* An audio episode gets an audiogram: ffmpeg's ``showwaves`` (or ``showfreqs``)
  moving with the sound on the show's background, the show name on top, the
  clip's title (vertical) and the speaker's name, changing at each turn.
* A video episode gets its own picture, cut to the same spans as the audio and
  centre-cropped to the aspect, or fitted and framed on the background when a
  crop would keep less than half of the picture (a landscape source in the
  vertical frame), so nobody is cut out of the shot.
* Captions are word-timed ASS events (:mod:`castline.export.clip_video_captions`)
  burnt in by libass: at most two short lines, the word being said highlighted,
  inside the platforms' safe area.

Both sizes come from one ffmpeg run (one decode, two libx264 ``veryfast``
``zerolatency`` encodes at 25 fps). Style comes from the show profile's ``video:`` section
(``font``, ``text``, ``highlight``, ``accent``, ``outline``, ``background`` as
``#RRGGBB``, ``waveform``: ``waves`` or ``freqs``); a font fontconfig does not
know falls back to DejaVu Sans with a note. ``CASTLINE_CLIP_VIDEO=0`` turns the
videos off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from castline.export.clip_video_captions import LAYOUTS, CaptionStyle, Layout, TimedWord, build_subtitles

__all__ = [
    "ClipVideos",
    "FPS",
    "MIN_VIDEO_SECONDS",
    "Picture",
    "VideoError",
    "VideoStyle",
    "clip_video_enabled",
    "font_available",
    "probe_picture",
    "render_clip_video",
    "video_style",
]

FPS = 25
#: Shorter clips get no video: nothing can be read or heard in less.
MIN_VIDEO_SECONDS = 1.0
_DEFAULT_FONT = "DejaVu Sans"
_PRESET = "veryfast"
# No lookahead, B-frames or macroblock tree: a third less CPU for the encode (the
# whole budget, nearly) on these mostly still frames, for files about half as big again.
_TUNE = "zerolatency"
_CRF = 23
_AUDIO_BITRATE = "160k"
#: A crop keeping less than this share of the source picture frames it instead.
_MIN_CROP_SHARE = 0.5
_COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


class VideoError(Exception):
    """A clip video that could not be made (the audio clip is kept)."""


@dataclass
class VideoStyle(CaptionStyle):
    """Caption fonts and colours plus the audiogram's background and waveform."""

    background: str = "#1B1F3B"
    waveform: str = "waves"


def clip_video_enabled() -> bool:
    """False when ``$CASTLINE_CLIP_VIDEO`` is ``0``/``no``/``off``/``false``."""
    return os.environ.get("CASTLINE_CLIP_VIDEO", "1").strip().lower() not in {"0", "no", "off", "false"}


@lru_cache(maxsize=32)
def font_available(family: str) -> bool:
    """True when fontconfig knows a font of ``family`` (what libass will find)."""
    if shutil.which("fc-list") is None:
        return family == _DEFAULT_FONT  # no fontconfig tools: trust only the Debian default
    result = subprocess.run(["fc-list", f":family={family}", "family"], capture_output=True, text=True)
    return bool(result.stdout.strip())


def video_style(show: str | None, notes: list[str] | None = None) -> VideoStyle:
    """The style of ``show``'s profile ``video:`` section over the defaults.

    Unknown keys, colours that are not ``#RRGGBB``, an unknown waveform and a
    font fontconfig does not have are each left at the default, with a line
    in ``notes``.
    """
    notes = notes if notes is not None else []
    style = VideoStyle()
    section = _profile_video_section(show)
    known = {f.name for f in fields(VideoStyle)} - {"extra"}
    for key, value in section.items():
        if key not in known:
            notes.append(f"show profile video.{key}: unknown setting, ignored")
        elif key == "font":
            style.font = str(value)
        elif key == "waveform":
            if value in ("waves", "freqs"):
                style.waveform = value
            else:
                notes.append(f"show profile video.waveform {value!r}: use waves or freqs; waves used")
        elif isinstance(value, str) and _COLOUR_RE.match(value):
            setattr(style, key, value)
        else:
            notes.append(f"show profile video.{key} {value!r}: not a #RRGGBB colour; default used")
    if not font_available(style.font):
        notes.append(f"font {style.font!r} not found by fontconfig (fc-list); captions use {_DEFAULT_FONT}")
        style.font = _DEFAULT_FONT
    return style


def _profile_video_section(show: str | None) -> dict:
    from castline.shows import find_profile, shows_dir

    profile = find_profile(show)
    if profile is None:
        return {}
    import yaml

    for path in sorted(shows_dir().glob(f"{profile.key}.y*ml")):
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("video") or {}
        return section if isinstance(section, dict) else {}
    return {}


@dataclass(frozen=True)
class Picture:
    """The source's video stream as it plays (rotation applied)."""

    width: int
    height: int


def probe_picture(path: str | Path) -> Picture | None:
    """The first real video stream of ``path`` (cover art excluded), or None for audio."""
    command = [
        "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
        "stream=width,height:stream_disposition=attached_pic:stream_side_data=rotation", "-of", "json",
        str(path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    for stream in json.loads(result.stdout or "{}").get("streams", []):
        if (stream.get("disposition") or {}).get("attached_pic"):
            continue
        width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
        if width <= 0 or height <= 0:
            continue
        rotation = next((int(d.get("rotation", 0)) for d in stream.get("side_data_list", [])), 0)
        if abs(rotation) % 180 == 90:
            width, height = height, width
        return Picture(width, height)
    return None


@dataclass
class ClipMedia:
    """What one clip's video is made from.

    ``audio`` is the clip's normalised audio (a wav); ``pieces`` are
    ``(source_start, source_end, clip_start)`` of each span cut from the
    source, in clip order; ``words`` are in clip time.
    """

    stem: str
    audio: Path
    duration: float
    words: list[TimedWord]
    pieces: list[tuple[float, float, float]]
    source: Path
    picture: Picture | None
    show: str | None = None
    title: str | None = None
    style: VideoStyle = field(default_factory=VideoStyle)


def _hex(colour: str) -> str:
    return "0x" + colour.lstrip("#").upper()


def _audiogram_chain(label: str, audio_label: str, layout: Layout, style: VideoStyle, ass: str) -> str:
    box = layout.wave
    if style.waveform == "freqs":
        wave = (f"showfreqs=s={box.width}x{box.height}:mode=bar:ascale=sqrt:fscale=log:win_size=1024:"
                f"rate={FPS}:colors={_hex(style.accent)}")  # fmt: skip
    else:
        wave = (f"showwaves=s={box.width}x{box.height}:mode=cline:scale=sqrt:rate={FPS}:"
                f"colors={_hex(style.accent)}")  # fmt: skip
    # The wave is drawn on a small tile of the background, then padded out to the frame:
    # blending only the tile costs far less than overlaying onto a full 1080x1920 frame.
    return (
        f"color=c={_hex(style.background)}:s={box.width}x{box.height}:r={FPS}[{label}bg];"
        f"[{audio_label}]aformat=channel_layouts=mono,{wave}[{label}w];"
        f"[{label}bg][{label}w]overlay=0:0:shortest=1:format=yuv420,"
        f"pad={layout.width}:{layout.height}:{box.x}:{box.y}:color={_hex(style.background)},"
        f"ass={ass}[{label}]"
    )


def _picture_chain(
    label: str, picture_label: str, layout: Layout, style: VideoStyle, picture: Picture, ass: str
) -> tuple[str, bool]:
    """The filter that fits the source picture to ``layout``; also whether it was framed."""
    source_aspect = picture.width / picture.height
    target_aspect = layout.width / layout.height
    share = min(source_aspect, target_aspect) / max(source_aspect, target_aspect)
    width, height = layout.width, layout.height
    if share >= _MIN_CROP_SHARE:
        fit = (f"crop='min(iw,ih*{width}/{height})':'min(ih,iw*{height}/{width})',"
               f"scale={width}:{height},setsar=1")  # fmt: skip
        framed = False
    else:
        top = layout.picture_top or "(oh-ih)/2"
        fit = (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease,setsar=1,"
            f"pad={width}:{height}:(ow-iw)/2:'min({top},(oh-ih)/2)':color={_hex(style.background)}"
        )
        framed = True
    return f"[{picture_label}]{fit},ass={ass}[{label}]", framed


def _select(pieces: list[tuple[float, float, float]], duration: float) -> tuple[float, float, str]:
    """Input seek, input length and a ``select`` expression for the pieces' picture.

    Piece ``k`` shows the source from its start for as long as it lasts in the
    clip (until piece ``k+1`` starts there: the audio crossfades eat into the
    spans, and the picture follows the audio, not the spans).
    """
    first = pieces[0][0]
    terms = []
    for number, (start, _end, at) in enumerate(pieces):
        following = pieces[number + 1][2] if number + 1 < len(pieces) else duration
        length = max(0.0, following - at)
        terms.append(f"between(t,{start - first:.3f},{start - first + length - 0.001:.3f})")
    last_start, _, last_at = pieces[-1]
    span = last_start + (duration - last_at) - first
    return first, span + 0.5, "+".join(terms)


def render_clip_video(media: ClipMedia, folder: Path) -> dict:
    """Render ``<stem>.vertical.mp4`` and ``<stem>.square.mp4`` (and their ``.ass``) into ``folder``.

    Returns the clip's listing: paths relative to the episode folder, the
    duration and what the picture is (``audiogram`` or ``video``). Raises
    :class:`VideoError` with ffmpeg's reason when the render fails; nothing
    half-written is left.
    """
    if media.duration < MIN_VIDEO_SECONDS:
        raise VideoError(_too_short(media.stem, media.duration))
    if shutil.which("ffmpeg") is None:
        raise VideoError("ffmpeg not found: install it (Debian: apt-get install ffmpeg)")
    audiogram = media.picture is None
    names = ["vertical", "square"]
    ass_names = {name: f"{media.stem}.{name}.ass" for name in names}
    partial = {name: f".{media.stem}.{name}.partial.mp4" for name in names}
    chains, framing = [], {}
    for name in names:
        layout = LAYOUTS[name]
        framed = False
        if not audiogram:
            chain, framed = _picture_chain(
                name, f"p{name}", layout, media.style, media.picture, ass_names[name]
            )
            framing[name] = "framed" if framed else "cropped"
        show = media.show if audiogram or framed else None
        subs = build_subtitles(
            media.words, layout, media.style, duration=media.duration, show=show,
            title=media.title if audiogram else None, speakers=audiogram,
        )  # fmt: skip
        subs.save(str(folder / ass_names[name]))
        chains.append(
            _audiogram_chain(name, f"a{name}", layout, media.style, ass_names[name]) if audiogram else chain
        )
    if audiogram:
        inputs = ["-i", str(media.audio)]
        head = "[0:a]asplit=2[avertical][asquare];"
        audio_map = "0:a"
    else:
        seek, length, expression = _select(media.pieces, media.duration)
        inputs = ["-ss", f"{seek:.3f}", "-t", f"{length:.3f}", "-i", str(media.source.resolve()),
                  "-i", str(media.audio)]  # fmt: skip
        # Constant rate first, so frames are picked by time; clone the last frame should the
        # source's picture end before its sound does.
        head = (f"[0:v]fps={FPS},select='{expression}',setpts=N/({FPS}*TB),"
                f"tpad=stop_mode=clone:stop=-1,split=2[pvertical][psquare];")  # fmt: skip
        audio_map = "1:a"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", head + ";".join(chains)]
    for name in names:
        command += [
            "-map", f"[{name}]", "-map", audio_map, "-c:v", "libx264", "-preset", _PRESET, "-tune", _TUNE,
            "-crf", str(_CRF),
            "-pix_fmt", "yuv420p", "-r", str(FPS), "-c:a", "aac", "-b:a", _AUDIO_BITRATE,
            "-t", f"{media.duration:.3f}", "-movflags", "+faststart", partial[name],
        ]  # fmt: skip
    # Run in the clips folder: the ass filter then reads plain relative names, with
    # nothing in the episode's path to escape inside the filter graph.
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        for name in names:
            (folder / partial[name]).unlink(missing_ok=True)
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise VideoError(f"{media.stem}: ffmpeg failed: {lines[-1] if lines else 'no output'}")
    for name in names:
        (folder / partial[name]).replace(folder / f"{media.stem}.{name}.mp4")
    entry = {
        "vertical": f"clips/{media.stem}.vertical.mp4",
        "square": f"clips/{media.stem}.square.mp4",
        "captions": [f"clips/{ass_names[name]}" for name in names],
        "duration": round(media.duration, 3),
        "picture": "audiogram" if audiogram else "video",
    }
    if framing:
        entry["framing"] = framing
    return entry


def _too_short(stem: str, duration: float) -> str:
    return f"{stem}: {duration:.2f} s is too short for a video (at least {MIN_VIDEO_SECONDS:.0f} s)"


_STEM_RE = re.compile(r"^(clip|preview)-(\d+)$")


class ClipVideos:
    """The videos of one episode's clips: what they share, and what was made.

    :func:`castline.export.clip_audio.cut_clips` makes one per episode and calls
    :meth:`render` for each clip and preview (from two threads at once);
    :meth:`listing` is what ``episode.json`` records as ``metadata["clip_video"]``.
    """

    def __init__(self, episode, source: str | Path, folder: Path) -> None:
        import threading

        from castline.export.publish.podcasting import named_speakers
        from castline.shows import find_profile

        self.notes: list[str] = []
        self.entries: list[dict] = []
        self.folder = folder
        self.source = Path(source)
        self.episode_title = episode.title
        profile = find_profile(episode.show)
        self.show = (profile.title or profile.name) if profile else (episode.show or episode.title)
        self.style = video_style(episode.show, self.notes)
        self.picture = probe_picture(self.source)
        self.named = {s.id: " ".join(s.name.split()) for s in named_speakers(episode)}
        self.unnamed = {s.id: s.name for s in episode.speakers if s.id not in self.named}
        self._lock = threading.Lock()

    def _note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def render(self, item, stem: str, audio, rendered) -> None:
        """Render ``stem``'s two videos from its cut ``audio`` (a pydub segment) and words.

        A clip too short, a failed render or a speaker without a name leaves a
        note; the audio clip is never touched.
        """
        duration = len(audio) / 1000
        words = []
        unnamed = set()
        for start, end, text, speaker in rendered.words:
            start, end = min(start, duration), min(max(end, start), duration)
            if speaker in self.unnamed or speaker is None:
                unnamed.add(self.unnamed.get(speaker, "unattributed"))
            words.append(TimedWord(start, end, text, self.named.get(speaker or "")))
        if unnamed and self.picture is None:
            self._note(f"{stem}: no name for {', '.join(sorted(unnamed))}; the audiogram names nobody there")
        wav = self.folder / f".{stem}.video.wav"
        try:
            if duration < MIN_VIDEO_SECONDS:
                raise VideoError(_too_short(stem, duration))
            audio.export(str(wav), format="wav")
            media = ClipMedia(
                stem=stem, audio=wav.resolve(), duration=duration, words=words, pieces=rendered.pieces,
                source=self.source, picture=self.picture, show=self.show,
                title=getattr(item, "title", None) or self.episode_title, style=self.style,
            )  # fmt: skip
            entry = render_clip_video(media, self.folder)
        except (VideoError, OSError) as error:
            self._note(f"no video for {stem}: {error}")
            return
        finally:
            wav.unlink(missing_ok=True)
        match = _STEM_RE.match(stem)
        kind, number = (match.group(1), int(match.group(2))) if match else ("clip", 0)
        with self._lock:
            self.entries.append({"kind": kind, "number": number, "audio": item.audio, **entry})

    def listing(self) -> dict:
        """``{"files": [...], "notes": [...]}``: every video made, clips first, and what went wrong."""
        order = {"clip": 0, "preview": 1}
        files = sorted(self.entries, key=lambda e: (order.get(e["kind"], 2), e["number"]))
        return {"files": files, "notes": list(self.notes)}
