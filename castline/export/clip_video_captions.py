"""Word-timed captions for the video clips: ASS subtitles built with pysubs2.

A clip's words (times relative to the clip) are grouped into captions of at
most two short lines; each caption is shown as one ASS event per word, the
whole caption on screen with the word being said in the highlight colour, so
libass burns in exactly what the viewer should read at each moment. Lines are
broken here (``WrapStyle: 2``, no wrapping by libass), measured with a
conservative estimate of the font's advance widths, so a caption never grows a
third line or leaves its box.

Besides the captions an ASS file holds the audiogram's labels: the show name,
the clip's title (vertical only) and the speaker's name, one event per turn.
Each :class:`Layout` places all of these inside the platforms' safe area (the
part of the frame no app button, caption bar or profile line covers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "LAYOUTS",
    "Box",
    "CaptionStyle",
    "Layout",
    "TimedWord",
    "build_subtitles",
    "caption_groups",
    "text_width_em",
]

#: Longest pause inside one caption; a longer one starts the next caption.
_MAX_GAP_S = 0.8
#: Longest a caption stays up, so the eye never falls far behind the voice.
_MAX_CAPTION_S = 3.0
#: A caption that ends between words stays up this much longer (or until the next one).
_HOLD_S = 0.4
#: libass sizes a font by its ascent + descent, so one em is smaller than the font size:
#: 0.86 of it for DejaVu Sans, 0.8-0.9 for most sans fonts; 0.9 errs wide.
_EM_PER_FONT_SIZE = 0.9
#: Words that end a sentence close their caption once it holds this many words.
_SENTENCE_MIN_WORDS = 2


@dataclass
class TimedWord:
    """One spoken word in clip time (seconds from the clip's first sample)."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class Box:
    """A rectangle in frame pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Layout:
    """Where everything goes on one output frame (pixels of that frame)."""

    name: str
    width: int
    height: int
    #: The safe area: inset from each edge (left, top, right, bottom).
    safe: tuple[int, int, int, int]
    caption_size: int
    #: Bottom edge of the captions, in pixels from the frame's bottom.
    caption_bottom: int
    show_size: int
    show_top: int
    speaker_size: int
    speaker_top: int
    title_size: int | None
    title_top: int
    #: The waveform's box in an audiogram.
    wave: Box
    #: Top of the picture when a video source is framed (fitted, not cropped).
    picture_top: int

    @property
    def safe_box(self) -> Box:
        """The safe area as a box."""
        left, top, right, bottom = self.safe
        return Box(left, top, self.width - left - right, self.height - top - bottom)

    @property
    def caption_width(self) -> int:
        """Widest a caption line may be, in pixels."""
        return self.safe_box.width

    @property
    def caption_em(self) -> float:
        """Widest a caption line may be, in em of the caption font."""
        return self.caption_width / (self.caption_size * _EM_PER_FONT_SIZE)


# Safe areas follow the platforms' published overlays: TikTok and Reels cover
# about the top 250 px and bottom 480-520 px of a 1080x1920 frame with the
# profile, caption and audio lines, and the right 120-150 px with the action
# buttons; feed squares are cropped and badged at the edges, so keep 80 px off.
LAYOUTS: dict[str, Layout] = {
    "vertical": Layout(
        name="vertical", width=1080, height=1920, safe=(90, 250, 150, 520),
        caption_size=76, caption_bottom=560, show_size=54, show_top=270,
        speaker_size=46, speaker_top=690, title_size=40, title_top=350,
        wave=Box(90, 770, 900, 330), picture_top=460,
    ),
    "square": Layout(
        name="square", width=1080, height=1080, safe=(80, 80, 80, 80),
        caption_size=64, caption_bottom=110, show_size=44, show_top=90,
        speaker_size=40, speaker_top=170, title_size=None, title_top=0,
        wave=Box(90, 240, 900, 300), picture_top=0,
    ),
}  # fmt: skip


@dataclass
class CaptionStyle:
    """Fonts and colours of the burnt-in text (``#RRGGBB`` strings)."""

    font: str = "DejaVu Sans"
    text: str = "#FFFFFF"
    highlight: str = "#FFD23F"
    outline: str = "#000000"
    accent: str = "#F4C95D"
    extra: dict = field(default_factory=dict)


# Advance widths (in em) of DejaVu Sans Bold, rounded up by class: an estimate that
# errs wide for the Latin letters, digits and punctuation captions are made of.
_NARROW = set("iljI.,:;'!|`")
_SEMI = set('ftr-()[]"/ ')
_WIDE = set("mwMW@%")


def text_width_em(text: str) -> float:
    """Estimated width of ``text`` in em of a bold sans font (errs wide)."""
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 0.36
        elif char in _SEMI:
            width += 0.50
        elif char in _WIDE:
            width += 1.10
        elif char.isupper() or char.isdigit():
            width += 0.86
        elif ord(char) > 0x2E80:
            width += 1.0  # CJK and other full-width scripts
        else:
            width += 0.72
    return width


def _line_width(words: list[TimedWord]) -> float:
    return text_width_em(" ".join(w.text for w in words))


def _ends_sentence(word: TimedWord) -> bool:
    return word.text.rstrip("\"'”’)").endswith((".", "?", "!", "…"))


def _two_lines(words: list[TimedWord], max_em: float) -> list[list[TimedWord]]:
    """``words`` as one line if it fits, else two lines of as even a width as fits."""
    if _line_width(words) <= max_em or len(words) == 1:
        return [words]
    best = None
    for cut in range(1, len(words)):
        widths = (_line_width(words[:cut]), _line_width(words[cut:]))
        if max(widths) > max_em and best is not None:
            continue
        key = max(widths)
        if best is None or key < best[0]:
            best = (key, cut)
    cut = best[1]
    return [words[:cut], words[cut:]]


def caption_groups(words: list[TimedWord], max_em: float, max_lines: int = 2) -> list[list[list[TimedWord]]]:
    """Captions of ``words``: each a list of at most ``max_lines`` lines of at most ``max_em`` em.

    A caption closes at a speaker change, a pause over 0.8 s, after 3 s, at
    a sentence end once it holds two words, and when the next word would
    need a third line.
    """
    groups: list[list[TimedWord]] = []
    current: list[TimedWord] = []
    for word in words:
        if current:
            previous = current[-1]
            trial = current + [word]
            closes = (
                word.speaker != previous.speaker
                or word.start - previous.end > _MAX_GAP_S
                or word.end - current[0].start > _MAX_CAPTION_S
                or (_ends_sentence(previous) and len(current) >= _SENTENCE_MIN_WORDS)
                or len(_fit_lines(trial, max_em)) > max_lines
            )
            if closes:
                groups.append(current)
                current = []
        current.append(word)
    if current:
        groups.append(current)
    out = []
    for group in groups:
        lines = _two_lines(group, max_em) if max_lines >= 2 else [group]
        out.append(lines)
    return out


def _fit_lines(words: list[TimedWord], max_em: float) -> list[list[TimedWord]]:
    """Greedy lines of at most ``max_em`` (how many lines ``words`` need at the least)."""
    lines: list[list[TimedWord]] = [[]]
    for word in words:
        if lines[-1] and _line_width(lines[-1] + [word]) > max_em:
            lines.append([])
        lines[-1].append(word)
    return lines


def _ass_text(text: str) -> str:
    # ASS has no escape for braces or a backslash in dialogue text: swap them for look-alikes.
    return text.replace("\\", "\u29f5").replace("{", "(").replace("}", ")").replace("\n", " ")


def _ass_colour(hex_colour: str) -> str:
    """``#RRGGBB`` as an ASS override colour, ``&HBBGGRR&``."""
    value = hex_colour.lstrip("#").upper()
    return f"&H{value[4:6]}{value[2:4]}{value[0:2]}&"


def _color(hex_colour: str, alpha: int = 0):
    import pysubs2

    value = hex_colour.lstrip("#")
    return pysubs2.Color(int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha)


def _scale_tag(lines: list[list[TimedWord]], max_em: float) -> str:
    # One word wider than the line (a long URL, a compound): squeeze the caption to fit.
    widest = max(_line_width(line) for line in lines)
    return "" if widest <= max_em else f"{{\\fscx{int(100 * max_em / widest)}}}"


def build_subtitles(
    words: list[TimedWord],
    layout: Layout,
    style: CaptionStyle,
    *,
    duration: float,
    show: str | None = None,
    title: str | None = None,
    speakers: bool = True,
):
    """The clip's ASS subtitles (a ``pysubs2.SSAFile``) for ``layout``.

    ``Caption`` events: one per word, the word's caption with that word in
    ``style.highlight``. With ``speakers``, ``Speaker`` events name who speaks,
    one per turn (words whose speaker is None show no name). ``show`` and
    ``title`` are shown for the whole clip.
    """
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.info.update(
        {"PlayResX": str(layout.width), "PlayResY": str(layout.height), "WrapStyle": "2",
         "ScaledBorderAndShadow": "yes", "Title": _ass_text(title or show or "castline clip")}
    )  # fmt: skip
    left, _, right, _ = layout.safe
    base = dict(fontname=style.font, bold=True, borderstyle=1, encoding=1)
    subs.styles = {
        "Caption": pysubs2.SSAStyle(
            **base, fontsize=layout.caption_size, primarycolor=_color(style.text),
            outlinecolor=_color(style.outline), backcolor=_color(style.outline, 96), outline=5, shadow=2,
            alignment=pysubs2.Alignment.BOTTOM_CENTER, marginl=left, marginr=right,
            marginv=layout.caption_bottom,
        ),
        "Show": pysubs2.SSAStyle(
            **base, fontsize=layout.show_size, primarycolor=_color(style.accent),
            outlinecolor=_color(style.outline), outline=2, shadow=0,
            alignment=pysubs2.Alignment.TOP_CENTER, marginl=left, marginr=right, marginv=layout.show_top,
        ),
        "Title": pysubs2.SSAStyle(
            **{**base, "bold": False}, fontsize=layout.title_size or 40, primarycolor=_color(style.text),
            outlinecolor=_color(style.outline), outline=2, shadow=0,
            alignment=pysubs2.Alignment.TOP_CENTER, marginl=left, marginr=right, marginv=layout.title_top,
        ),
        "Speaker": pysubs2.SSAStyle(
            **base, fontsize=layout.speaker_size, primarycolor=_color(style.text),
            outlinecolor=_color(style.outline), outline=2, shadow=0,
            alignment=pysubs2.Alignment.TOP_CENTER, marginl=left, marginr=right, marginv=layout.speaker_top,
        ),
    }  # fmt: skip
    end_ms = int(round(duration * 1000))

    def add(start: float, end: float, text: str, style_name: str) -> None:
        start_ms, stop_ms = int(round(start * 1000)), min(end_ms, int(round(end * 1000)))
        if stop_ms > start_ms:
            subs.events.append(pysubs2.SSAEvent(start=start_ms, end=stop_ms, text=text, style=style_name))

    if show:
        add(0.0, duration, _ass_text(show), "Show")
    if title and layout.title_size:
        # The title may wrap (\q0: libass's even wrapping) but is cut to fit two lines.
        max_chars = int(2 * layout.caption_width / (0.72 * layout.title_size))
        short = title if len(title) <= max_chars else title[: max_chars - 1].rsplit(" ", 1)[0] + "…"
        add(0.0, duration, "{\\q0}" + _ass_text(short), "Title")
    if speakers:
        turns: list[tuple[float, str | None]] = []
        for word in words:
            if not turns or turns[-1][1] != word.speaker:
                turns.append((word.start, word.speaker))
        for number, (start, name) in enumerate(turns):
            stop = turns[number + 1][0] if number + 1 < len(turns) else duration
            if name:
                add(0.0 if number == 0 else start, stop, _ass_text(name), "Speaker")

    max_em = layout.caption_em
    groups = caption_groups(words, max_em)
    highlight, plain = _ass_colour(style.highlight), _ass_colour(style.text)
    for number, lines in enumerate(groups):
        flat = [w for line in lines for w in line]
        following = groups[number + 1][0][0].start if number + 1 < len(groups) else duration
        last_end = max(flat[-1].end, min(following, flat[-1].end + _HOLD_S))
        prefix = _scale_tag(lines, max_em)
        for index, word in enumerate(flat):
            end = flat[index + 1].start if index + 1 < len(flat) else last_end
            pieces, position = [], 0
            for line in lines:
                rendered = []
                for item in line:
                    text = _ass_text(item.text)
                    said = position == index
                    rendered.append(f"{{\\1c{highlight}}}{text}{{\\1c{plain}}}" if said else text)
                    position += 1
                pieces.append(" ".join(rendered))
            add(word.start, end, prefix + "\\N".join(pieces), "Caption")
    return subs
