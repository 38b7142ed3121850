"""A single self-contained HTML page per episode, for a producer to review and share.

``report.html`` shows everything castline made: chapters (linked into the
transcript), the readable transcript with chapter marks, sponsor reads set
apart and uncertain speaker attributions flagged, the clips with their reasons,
transcripts, threads and audio players, the previews, and the posts. It needs
no network and no other file, except the clip audio that ``clip.audio`` /
``preview.audio`` point to and the clip videos ``metadata["clip_video"]`` lists
(paths relative to the episode folder, where the report is written).

Rendering uses Jinja2 (a Prefect dependency) with autoescaping on, so no text
from a transcript, a title or a speaker name can inject markup.

Example
-------
>>> html = episode_report_html(episode)                                # doctest: +SKIP
>>> Path(out_dir, "report.html").write_text(html, encoding="utf-8")    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from castline.export.markdown import LOW_CONFIDENCE, structure_labels
from castline.model import Chapter, Episode
from castline.text import format_timestamp

__all__ = ["episode_report_html"]


_CSS = """
:root { --ink:#1d1d1f; --muted:#6b6b70; --line:#e3e3e8; --accent:#3b5bdb; --ad:#fff7e0; --warn:#b54708; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); background: #fafafa; }
main { max-width: 860px; margin: 0 auto; padding: 2rem 1.25rem 4rem; background: #fff; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2.4rem 0 .8rem; padding-bottom: .3rem;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .3rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.note { background: #f1f3f9; border-left: 3px solid var(--accent); padding: .5rem .8rem; margin: 1rem 0; }
nav.toc a { margin-right: 1rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
time, .stamp { font-variant-numeric: tabular-nums; color: var(--muted); }
ol.chapters { padding-left: 0; list-style: none; }
ol.chapters li { margin: .15rem 0; }
.chapter-mark { margin: 2rem 0 .6rem; padding: .35rem .6rem; background: #eef2ff; border-radius: 4px;
                font-weight: 600; }
.turn { margin: 0 0 1.1rem; }
.turn-header { font-weight: 600; margin: 0 0 .2rem; }
.turn p { margin: 0 0 .6rem; }
.turn.ad { background: var(--ad); border-left: 3px solid #f0b429; padding: .5rem .8rem; }
.turn.cold-open { border-left: 3px solid var(--line); padding-left: .8rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .45rem; border-radius: 9px;
         background: var(--line); color: var(--ink); margin-left: .4rem; vertical-align: middle; }
.badge.warn { background: #fef0c7; color: var(--warn); }
.clip { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem 1rem; margin: 1rem 0; }
.clip blockquote, .quote { margin: .5rem 0; padding: .1rem .9rem; border-left: 3px solid var(--line); }
.thread li { margin: .35rem 0; white-space: pre-wrap; }
ul.reasons { margin: .3rem 0; color: var(--muted); }
audio { display: block; width: 100%; margin: .5rem 0; }
video.clip-video { display: block; width: 270px; max-width: 100%; margin: .5rem 0; background: #000; }
ul.quotes { padding-left: 1.1rem; }
ul.quotes li { margin: .6rem 0; }
"""

_TEMPLATE = """{% macro video_player(v) -%}
<video class="clip-video" controls preload="none" playsinline src="{{ v.vertical }}"></video>
<span class="meta">Video: <a href="{{ v.vertical }}">vertical</a> · <a href="{{ v.square }}">square</a></span>
{%- endmacro %}<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<header>
<h1>{{ title }}</h1>
<p class="meta">
{%- if show %}<span class="show">{{ show }}</span> · {% endif -%}
<span class="duration">{{ duration }}</span>
{%- if speakers %} · <span class="speakers">{% for s in speakers %}{{ s.name }}
{%- if s.role != "other" %} ({{ s.role }}){% endif %}{% if not loop.last %}, {% endif %}{% endfor %}</span>
{%- endif %}</p>
{% if times_estimated %}<p class="note">Times are estimated from a speaking rate: the input carried none.</p>
{% endif %}
<nav class="toc"><a href="#chapters">Chapters</a><a href="#clips">Clips</a><a href="#previews">Previews</a>
<a href="#highlights">Posts</a>{% if publish %}<a href="#publish">Publish</a>{% endif %}
<a href="#transcript">Transcript</a></nav>
</header>

<section id="chapters">
<h2>Chapters</h2>
{% if chapters %}<ol class="chapters">
{% for c in chapters %}<li><a href="#chapter-{{ loop.index }}">
<time>({{ c.stamp }})</time> – {{ c.title }}</a></li>
{% endfor %}</ol>{% else %}<p class="meta">No chapters.</p>{% endif %}
</section>

<section id="clips">
<h2>Clips</h2>
{% for clip in clips %}<article class="clip" id="clip-{{ loop.index }}">
<h3>{{ loop.index }}. {{ clip.title }}</h3>
<p class="meta"><time>{{ clip.stamp }}</time>{% if clip.names %} · {{ clip.names }}{% endif %}
 · score {{ clip.score }}</p>
{% if clip.audio %}<audio controls preload="none" src="{{ clip.audio }}"></audio>{% endif %}
{% if clip.video %}{{ video_player(clip.video) }}{% endif %}
{% if clip.reasons %}<ul class="reasons">{% for r in clip.reasons %}<li>{{ r }}</li>{% endfor %}</ul>
{% endif %}
<blockquote>{% for para in clip.paragraphs %}<p>{{ para }}</p>{% endfor %}</blockquote>
{% if clip.thread %}<p><strong>Thread</strong></p>
<ol class="thread">{% for post in clip.thread %}<li>{{ post }}</li>{% endfor %}</ol>{% endif %}
</article>
{% else %}<p class="meta">No clips.</p>{% endfor %}
{% for note in video_notes %}<p class="note">{{ note }}</p>
{% endfor %}</section>

<section id="previews">
<h2>Previews</h2>
{% if previews %}<ul class="quotes">
{% for p in previews %}<li class="preview"><span class="quote">“{{ p.text }}”</span> — {{ p.name }}
<span class="stamp">({{ p.stamp }})</span>
{% if p.audio %}<audio controls preload="none" src="{{ p.audio }}"></audio>{% endif %}
{% if p.video %}{{ video_player(p.video) }}{% endif %}</li>
{% endfor %}</ul>{% else %}<p class="meta">No previews.</p>{% endif %}
</section>

<section id="highlights">
<h2>Posts</h2>
{% if highlights %}<ul class="quotes">
{% for h in highlights %}<li class="highlight"><span class="quote">{{ h.tweet }}</span>
<span class="stamp">({{ h.stamp }} · {{ h.weighted_length }}/280)</span></li>
{% endfor %}</ul>{% else %}<p class="meta">No posts.</p>{% endif %}
</section>

{% if publish %}<section id="publish">
<h2>Publish</h2>
<ul class="files">
{% for f in publish %}<li><a href="{{ f.path }}">{{ f.path }}</a> – {{ f.what }}</li>
{% endfor %}</ul>
{% if soundbites %}<p><strong>Soundbites</strong></p>
<ul class="soundbites">{% for b in soundbites %}<li>{{ b.kind }} {{ b.number }}: <time>{{ b.stamp }}</time>
 · {{ b.duration }} s{% if b.adjusted %} <span class="meta">({{ b.adjusted }})</span>{% endif %}</li>
{% endfor %}</ul>{% endif %}
{% for note in publish_notes %}<p class="note">{{ note }}</p>
{% endfor %}</section>
{% endif %}

<section id="transcript">
<h2>Transcript</h2>
{% for block in transcript %}
{%- for c in block.chapters %}<h3 class="chapter-mark" id="chapter-{{ c.number }}">
<time>{{ c.stamp }}</time> · {{ c.title }}</h3>
{% endfor -%}
<div class="turn{% if block.ad %} ad{% endif %}{% if block.cold_open %} cold-open{% endif %}"
 id="turn-{{ block.index }}">
<p class="turn-header">{{ block.name }} <time>{{ block.stamp }}</time>
{%- if block.ad %}<span class="badge">sponsor read</span>{% endif %}
{%- for label in block.labels %}<span class="badge">{{ label }}</span>{% endfor %}
{%- if block.uncertain %}<span class="badge warn"
 title="speaker attribution confidence {{ block.confidence }}">speaker uncertain</span>{% endif %}</p>
{% for para in block.paragraphs %}<p>{{ para }}</p>
{% endfor %}</div>
{% endfor %}
</section>
</main>
</body>
</html>
"""


@lru_cache(maxsize=1)
def _template():
    # Imported on first use; autoescape on every value is what makes hostile text safe.
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=False)
    return env.from_string(_TEMPLATE)


@dataclass
class _Block:
    """One turn of the transcript as the template shows it."""

    index: int
    name: str
    stamp: str
    paragraphs: list[str]
    ad: bool
    cold_open: bool
    labels: list[str]
    uncertain: bool
    confidence: str
    chapters: list[dict] = field(default_factory=list)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _span(start: float, end: float) -> str:
    return f"{format_timestamp(start)}–{format_timestamp(end)}"


def _chapter_marks(chapters: list[Chapter], n_turns: int) -> dict[int, list[dict]]:
    """Chapter headings keyed by the turn they open (clamped into the transcript)."""
    marks: dict[int, list[dict]] = {}
    for number, chapter in enumerate(chapters, 1):
        turn = min(max(chapter.turn, 0), max(n_turns - 1, 0))
        marks.setdefault(turn, []).append(
            {"number": number, "stamp": format_timestamp(chapter.start), "title": chapter.title}
        )
    return marks


def episode_report_html(episode: Episode) -> str:
    """The episode as one self-contained HTML page (inline CSS, escaped text).

    Sections: title, show, speakers and duration; chapter list linked to marks
    in the transcript; clips (title, times, reasons, transcript, thread, audio
    player when ``clip.audio`` is set, video player and links when
    ``metadata["clip_video"]`` lists its videos); previews (with players when
    ``preview.audio`` / its videos are set); posts; and the readable transcript with a
    ``Name HH:MM:SS`` header per turn, sponsor reads set apart and
    low-confidence speaker attributions marked; when ``metadata["publish"]`` lists
    them, the ``publish/`` files (linked) and the soundbites. Audio ``src`` and file
    paths are used as given: relative to the folder the report is written to.
    """
    from markupsafe import Markup

    visible = [(i, t) for i, t in enumerate(episode.turns) if t.text.strip()]
    marks = _chapter_marks(episode.chapters, len(episode.turns))
    blocks: list[_Block] = []
    pending: list[dict] = []
    for index, turn in enumerate(episode.turns):
        pending += marks.get(index, [])
        if not turn.text.strip():
            continue  # an empty turn carries its chapter mark on to the next one shown
        blocks.append(
            _Block(
                index=index,
                name=episode.speaker_name(turn.speaker),
                stamp=format_timestamp(turn.start),
                paragraphs=_paragraphs(turn.text),
                ad="ad" in turn.tags,
                cold_open="cold_open" in turn.tags,
                labels=structure_labels(turn),
                uncertain=turn.speaker is None or turn.confidence < LOW_CONFIDENCE,
                confidence=f"{turn.confidence:.2f}",
                chapters=pending,
            )
        )
        pending = []
    if pending and blocks:
        blocks[-1].chapters += pending
    elif pending:
        blocks.append(_Block(0, "", "", [], False, False, False, "", chapters=pending))
    end = max([episode.duration or 0.0, *(t.end for _, t in visible)])
    publish = episode.metadata.get("publish") or {}
    clip_video = episode.metadata.get("clip_video") or {}
    videos = {(v.get("kind"), v.get("number")): v for v in clip_video.get("files", [])}
    context = {
        "language": episode.language or "en",
        "title": episode.title,
        "show": episode.show,
        "duration": format_timestamp(end),
        "speakers": episode.speakers,
        "times_estimated": episode.times_estimated,
        # The CSS is ours, not the episode's: marked safe so autoescape leaves it be.
        "css": Markup(_CSS),
        "chapters": [{"stamp": format_timestamp(c.start), "title": c.title} for c in episode.chapters],
        "clips": [
            {
                "title": clip.title,
                "stamp": _span(clip.start, clip.end),
                "names": ", ".join(episode.speaker_name(s) for s in clip.speakers),
                "score": f"{clip.score:.2f}",
                "audio": clip.audio,
                "reasons": clip.reasons,
                "paragraphs": [line for line in clip.text.splitlines() if line.strip()],
                "thread": clip.thread,
                "video": videos.get(("clip", number)),
            }
            for number, clip in enumerate(episode.clips, start=1)
        ],
        "video_notes": clip_video.get("notes", []),
        "previews": [
            {
                "text": p.text,
                "name": episode.speaker_name(p.speaker),
                "stamp": _span(p.start, p.end),
                "audio": p.audio,
                "video": videos.get(("preview", number)),
            }
            for number, p in enumerate(episode.previews, start=1)
        ],
        "highlights": [
            {"tweet": h.tweet, "stamp": format_timestamp(h.start), "weighted_length": h.weighted_length}
            for h in episode.highlights
        ],
        "transcript": blocks,
        "publish": [{"path": path, "what": what} for path, what in publish.get("files", {}).items()],
        "soundbites": [
            {**b, "adjusted": b.get("adjusted", ""), "stamp": format_timestamp(b.get("startTime", 0.0))}
            for b in publish.get("soundbites", [])
        ],
        "publish_notes": publish.get("notes", []),
    }
    return _template().render(**context)
