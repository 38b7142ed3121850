"""The stage sequence and its settings, runnable without Prefect.

``flows/episode.py`` runs the same stages as Prefect tasks (with caching and
artifacts); :func:`process` is the plain-Python path used by tests and benches.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from castline.model import Episode, Speaker

__all__ = [
    "STAGES", "Settings", "StageError", "build_settings", "fewer_gc_pauses", "process", "read_glossary",
    "run_stage", "stage_error", "stage_errors", "stage_key",
]


@dataclass
class Settings:
    """Everything a run can be told, beyond the input itself.

    Parameters
    ----------
    speakers:
        Known speakers, in order (``castline.diarize.parse_speakers``).
    glossary:
        Names and terms used to repair misheard words.
    title:
        Episode title overriding what the input says.
    show:
        Show name, used in attributions ("— Eiso Kant on MLST").
    clip_count:
        Number of clips to publish; None lets the episode's length decide
        (:func:`castline.segment.clips.pick_counts`).
    url:
        The episode's page: every post and the last post of each thread end on it,
        and the episode copy lists it (``metadata["url"]``).
    sponsors:
        Sponsor names as the show spells them, for the episode copy.
    quote_min_confidence:
        Previews and posts quote only turns whose speaker confidence reaches this.
    embedder:
        Sentence vectors for topic segmentation: ``"minilm"`` (the packaged
        all-MiniLM-L6-v2), ``"tfidf"``, or ``"auto"`` (MiniLM when installed).
    num_speakers, min_speakers, max_speakers:
        Speaker-count hints for audio diarization.
    corrections:
        Path of a producer's ``corrections.yaml``
        (``castline.diarize.corrections``), applied by the speakers stage; the
        stage's cache key includes the file's content hash.
    """

    speakers: list[Speaker] = field(default_factory=list)
    glossary: list[str] = field(default_factory=list)
    title: str | None = None
    show: str | None = None
    clip_count: int | None = None
    embedder: str = "auto"
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    corrections: str | None = None
    url: str | None = None
    sponsors: list[str] = field(default_factory=list)
    quote_min_confidence: float = 0.5

    def speaker_count_hints(self) -> dict[str, int]:
        """Diarization hints: explicit counts, else the number of named speakers."""
        hints = {k: v for k, v in (("num_speakers", self.num_speakers), ("min_speakers", self.min_speakers),
                                   ("max_speakers", self.max_speakers)) if v}
        if not hints and len(self.speakers) >= 2:
            hints["num_speakers"] = len(self.speakers)
        return hints

    def fingerprint(self, stage: str) -> str:
        """A short hash of the settings that ``stage`` depends on (for caching)."""
        relevant = {k: v for k, v in asdict(self).items() if k in _STAGE_SETTINGS.get(stage, ())}
        if stage == "speakers" and self.corrections:
            path = Path(self.corrections)
            relevant["corrections"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


_STAGE_SETTINGS = {
    "speakers": ("speakers",),
    "clean": ("glossary",),
    "chapters": ("embedder",),
    "clips": ("clip_count",),
    "highlights": ("show", "url", "sponsors", "quote_min_confidence", "speakers", "glossary"),
}


#: Speaker labels that are placeholders, not names to spell anything after.
_PLACEHOLDER_NAMES = re.compile(
    r"^(?:host|guest|speaker|interviewer|interviewee|narrator|moderator|unknown|unattributed|other)\b"
    r"|\d|_",
    re.IGNORECASE,
)


def _speakers(ep: Episode, s: Settings) -> Episode:
    from castline.diarize import attribute_speakers

    # Voices diarized from audio are named by ear, as are a transcript's turns re-cut by them.
    labelled = (ep.source_format != "audio" and "diarization" not in ep.metadata
                and any(t.speaker for t in ep.turns))
    ep = attribute_speakers(ep, speakers=s.speakers or None)
    corrected: list[str] = []
    if s.corrections and Path(s.corrections).is_file():
        from castline.diarize.corrections import apply_corrections, load_corrections

        fixes = load_corrections(s.corrections)
        ep = apply_corrections(ep, fixes)
        corrected = [f.name for f in fixes.speakers if f.name]
        corrected += [f.speaker for f in (*fixes.turns, *fixes.splits)]
    # Names the user gave or the input's labels spell out are a reference the
    # clean stage repairs misheard names to ("Marcus Oyler Ran"); a name found
    # by ear (audio, or heard in an intro) is the transcript's own spelling.
    names = [sp.name for sp in s.speakers] + ([sp.name for sp in ep.speakers] if labelled else [])
    names += [sp.name for sp in ep.speakers if sp.name in corrected]  # a producer's spelling
    ep.metadata["known_speaker_names"] = list(
        dict.fromkeys(n for n in names if n and not _PLACEHOLDER_NAMES.search(n))
    )
    return ep


def _structure(ep: Episode, s: Settings) -> Episode:
    from castline.segment.structure import tag_structure

    return tag_structure(ep)


def _clean(ep: Episode, s: Settings) -> Episode:
    from castline.clean import clean_episode, suggest_glossary

    ep = clean_episode(ep, glossary=[*s.glossary, *ep.metadata.get("known_speaker_names", [])])
    known = {term.lower() for term in s.glossary}
    # Near-misses of the episode's own proper nouns, for the producer to adopt into the show's glossary.
    ep.metadata["glossary_suggestions"] = [
        {"heard": heard, "likely": likely, "score": round(float(score), 3)}
        for heard, likely, score in suggest_glossary(ep)
        if heard.lower() not in known
    ]
    return ep


def _chapters(ep: Episode, s: Settings) -> Episode:
    from castline import embed
    from castline.segment.chapters import make_chapters

    use_minilm = s.embedder == "minilm" or (s.embedder == "auto" and embed.available())
    ep.chapters = make_chapters(ep, embed=embed.embed if use_minilm else None)
    return ep


def _clips(ep: Episode, s: Settings) -> Episode:
    from castline.segment.clips import find_clips

    ep.clips = find_clips(ep, count=s.clip_count)
    return ep


def _highlights(ep: Episode, s: Settings) -> Episode:
    from castline.highlights import (
        add_threads,
        make_episode_copy,
        make_highlights,
        make_previews,
        respell_speakers,
    )

    if s.show and not ep.show:
        ep.show = s.show
    # Posts are signed as the show spells its people ("Izo Kant" heard, "Eiso Kant" in the profile).
    respelled = respell_speakers(ep, [*(sp.name for sp in s.speakers), *s.glossary])
    if respelled:
        ep.metadata["respelled_speakers"] = respelled
    if s.url:
        ep.metadata["url"] = s.url.replace("{slug}", ep.slug)  # plain replace: a URL may hold braces
    ep.previews = make_previews(ep, min_confidence=s.quote_min_confidence)
    ep.highlights = make_highlights(ep, min_confidence=s.quote_min_confidence)
    add_threads(ep)
    ep.metadata["copy"] = make_episode_copy(ep, sponsors=s.sponsors, glossary=s.glossary)
    return ep


#: Stage name -> function ``(episode, settings) -> episode``, in run order.
STAGES: dict[str, Callable[[Episode, Settings], Episode]] = {
    "speakers": _speakers,
    "structure": _structure,
    "clean": _clean,
    "chapters": _chapters,
    "clips": _clips,
    "highlights": _highlights,
}


class StageError(Exception):
    """A stage failed on an input: one line naming the input, the stage and the reason.

    ``str(error)`` reads ``talk.txt: clean stage failed: IndexError: list index out of
    range``. :func:`stage_errors` raises one for any unexpected exception inside a stage
    (``from`` the original), as an instance of a subclass of both ``StageError`` and the
    original type, so ``except IndexError`` (or a retry rule that looks for ``OSError``)
    still sees what it saw before. Attributes: ``stage``, ``source`` (the input's path,
    ``""`` when unknown), ``error_type`` (the original exception's class name),
    ``reason`` (its message, one line) and ``transient`` (an I/O or timeout error that a
    second try may cure). Survives pickling (a result store, a subprocess).
    """

    def __init__(self, stage: str, source: str = "", reason: str = "", error_type: str = "StageError",
                 transient: bool = False) -> None:
        self.stage = stage
        self.source = str(source or "")
        self.reason = " ".join(str(reason).split()) or error_type
        self.error_type = error_type
        self.transient = transient
        Exception.__init__(self, self._message())

    def _message(self) -> str:
        name = Path(self.source).name or self.source
        what = self.reason if self.reason == self.error_type else f"{self.error_type}: {self.reason}"
        return f"{name + ': ' if name else ''}{self.stage} stage failed: {what}"

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self):
        bases = [b for b in type(self).__mro__[1:] if not issubclass(b, StageError)]
        return (_rebuild_stage_error, (bases[0] if bases else Exception, self.stage, self.source,
                                       self.reason, self.error_type, self.transient))


_STAGE_ERROR_CLASSES: dict[type, type] = {}


def _stage_error_class(base: type[BaseException]) -> type[StageError]:
    """``StageError`` mixed with ``base`` (cached; plain ``StageError`` where they cannot mix)."""
    # A StopIteration leaving a generator (this context manager) would become a RuntimeError.
    if issubclass(base, (StageError, StopIteration, StopAsyncIteration)) or base is Exception:
        return StageError
    cls = _STAGE_ERROR_CLASSES.get(base)
    if cls is None:
        try:
            cls = type("StageError", (StageError, base), {
                "__module__": __name__, "__qualname__": "StageError",
                "__init__": StageError.__init__, "__str__": StageError.__str__,
                "__reduce__": StageError.__reduce__,
            })
        except TypeError:  # a base with an incompatible layout
            cls = StageError
        _STAGE_ERROR_CLASSES[base] = cls
    return cls


def _rebuild_stage_error(base: type[BaseException], stage: str, source: str, reason: str, error_type: str,
                         transient: bool) -> StageError:
    cls = _stage_error_class(base)
    error = cls.__new__(cls)
    StageError.__init__(error, stage, source, reason, error_type, transient)
    return error


def stage_error(exc: BaseException, stage: str, source: str | Path | None = "") -> StageError:
    """``exc`` as a :class:`StageError` of ``stage`` on ``source`` (``exc`` itself when it is one)."""
    if isinstance(exc, StageError):
        return exc
    error_type = type(exc).__name__
    reason = " ".join(str(exc).split()) or error_type
    transient = isinstance(exc, (OSError, TimeoutError)) and not isinstance(exc, ValueError)
    try:
        error = _rebuild_stage_error(type(exc), stage, str(source or ""), reason, error_type, transient)
    except Exception:  # noqa: BLE001 - a base whose __new__ wants arguments: the plain type
        error = StageError(stage, str(source or ""), reason, error_type, transient)
    with contextlib.suppress(AttributeError, TypeError):
        for name, value in vars(exc).items():  # e.g. a reader's own attributes
            if name not in vars(error):
                setattr(error, name, value)
    return error


@contextlib.contextmanager
def stage_errors(name: str, source: str | Path | None = None) -> Iterator[None]:
    """Raise an unexpected exception inside as a :class:`StageError` of stage ``name`` on ``source``.

    An exception that already says its stage (a ``StageError`` from an inner
    block, an ``IngestError``, an ``AudioError``, or one tagged ``stage`` by
    whoever raised it) goes through unchanged. Either way the stage travels
    with the exception (it survives pickling), so whoever quarantines the
    input can say which stage broke without asking anyone, and the user reads
    one line naming the input, the stage and the reason, never a bare
    ``IndexError: list index out of range``.
    """
    try:
        yield
    except Exception as exc:
        if isinstance(exc, StageError) or getattr(exc, "stage", None):
            raise
        raise stage_error(exc, name, source) from exc


@contextlib.contextmanager
def fewer_gc_pauses(first_threshold: int = 50_000) -> Iterator[None]:
    """Collect cyclic garbage less often while an episode is processed (restored after).

    The stages allocate millions of short-lived, acyclic objects (tokens, spans,
    feature tuples); at Python's default threshold of 700 the collector runs
    several hundred times over a two-hour episode, about 0.2 s spent finding
    nothing. Reference counting frees these objects as before; only the cycle
    search runs less often.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(first_threshold, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


#: Stages whose cue phrases, features and templates are English: skipped on another language.
_ENGLISH_ONLY_STAGES = ("structure", "clips", "highlights")


def run_stage(name: str, episode: Episode, settings: Settings) -> Episode:
    """Run one named stage on ``episode``; a failure raises :class:`StageError` naming the stage and input.

    On an episode whose ``language`` is not English the English-only stages
    (structure, clips, highlights) are skipped and ``episode.notes`` says so
    once; speakers, clean (language-neutral edits only) and chapters run.
    """
    language = (episode.language or "en").lower()
    if name in _ENGLISH_ONLY_STAGES and not language.startswith("en"):
        note = (f"language {language!r}: English-only stages ({', '.join(_ENGLISH_ONLY_STAGES)}) skipped; "
                "cleanup made only language-neutral edits; chapter titles are English-tuned")
        if note not in episode.notes:
            episode.notes.append(note)
        return episode
    with stage_errors(name, episode.source):
        return STAGES[name](episode, settings)


def stage_key(previous_key: str, stage: str, settings: Settings) -> str:
    """Cache key of ``stage``: the upstream key chained with this stage's settings."""
    digest = hashlib.sha256(f"{previous_key}|{stage}|{settings.fingerprint(stage)}".encode())
    return digest.hexdigest()[:32]


def process(episode: Episode, settings: Settings | None = None) -> Episode:
    """Run every stage after ingest on ``episode`` and return it."""
    settings = settings or Settings()
    with fewer_gc_pauses():
        for name in STAGES:
            episode = run_stage(name, episode, settings)
    return episode


def read_glossary(path: str | Path | None) -> list[str]:
    """Terms from a glossary file (one per line, ``#`` comments); empty when no path."""
    if not path:
        return []
    from castline.clean import load_glossary

    return load_glossary(path)


def build_settings(
    *,
    speakers: str = "",
    glossary: str | Path | None = None,
    title: str | None = None,
    show: str | None = None,
    url: str | None = None,
) -> Settings:
    """Settings from user-facing options, merged with the show's profile when one exists.

    Explicit options win: ``speakers`` replaces the profile's hosts, a glossary
    file adds to the profile's glossary, ``url`` (the episode's page) replaces
    the profile's. A profile's ``url`` may hold ``{slug}``, filled by the
    highlights stage with the episode's slug.
    """
    from castline.diarize import parse_speakers
    from castline.model import Speaker
    from castline.shows import find_profile

    profile = find_profile(show)
    terms = list(profile.glossary) if profile else []
    terms += [t for t in read_glossary(glossary) if t not in terms]
    if speakers:
        people = parse_speakers(speakers)
    elif profile and profile.hosts:
        people = [Speaker(id=f"S{i}", name=h, role="host") for i, h in enumerate(profile.hosts, 1)]
    else:
        people = []
    return Settings(
        speakers=people,
        glossary=terms,
        title=title,
        show=(profile.name if profile else show) or None,
        embedder=os.environ.get("CASTLINE_EMBEDDER", "auto"),
        url=url or (profile.url if profile else None) or None,
        sponsors=list(profile.sponsors) if profile else [],
        quote_min_confidence=profile.quote_min_confidence if profile else 0.5,
    )
