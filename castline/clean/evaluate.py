"""Measuring cleanup: inject realistic disfluencies into clean text, clean it, compare.

The injector turns edited prose into something like raw ASR: fillers, "you know" /
"I mean" / "like", hedges, stutters, false starts, tag questions, ~45-word
chunks (one per turn, as Whisper emits them) and one chunk that has lost its
case and punctuation. The metrics compare the cleaned text with the original:
word error rate on plain words and on cased, punctuated tokens, the share of
the injected error removed, and the share of content words kept.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from castline.model import Episode, Turn
from castline.text import SPEAKING_RATE_WPS, content_words

__all__ = [
    "CleanupScore",
    "NoisyText",
    "content_kept",
    "episode_from_chunks",
    "inject_disfluencies",
    "labelled_prose",
    "score_cleanup",
    "show_page_texts",
    "wer_cased",
    "wer_plain",
]

_PLAIN_WORD_RE = re.compile(r"[\w'-]+")
_STRIP_PUNCT_RE = re.compile(r"[.,;:!?\"“”()\[\]…]|(?<!\w)['‘’]|['‘’](?!\w)")
_HEADER_RE = re.compile(r"^[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3} \d{1,2}:\d{2}(?::\d{2})?$")
_LABEL_RE = re.compile(r"^[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}: ")
_URL_LINE_RE = re.compile(r"^(https?://\S+) \[\1\] (.*)$")

_FALSE_STARTS = ("It's,", "We're,", "I was,", "The,", "We,", "There's,", "That's,")
_SENTENCE_OPENERS = ("Um,", "Uh,", "You know,", "I mean,", "Like,", "Uh, you know,")
_MID_FILLERS = ("um", "uh", "uh,", "um,")
_AFTER_COMMA = ("you know,", "I mean,", "like,", "um,")
_HEDGE_AFTER = frozenset("is was it's that's i we they you".split())
_REPEATABLE = frozenset("the a an i we it's and to in of that's they you it so but this".split())


@dataclass
class NoisyText:
    """A reference text, its disfluent chunks, and what was injected."""

    reference: str
    chunks: list[str]
    injected: Counter[str] = field(default_factory=Counter)
    caseless_chunk: int = -1

    @property
    def noisy(self) -> str:
        """The chunks joined as one text."""
        return " ".join(self.chunks)


def _lower_start(word: str) -> str:
    """Lower-case a sentence-initial word the way ASR would after a filler (not "I", not names)."""
    from castline.clean.words import is_common_word

    core = word.strip(".,;:!?\"'“”")
    if core in ("I",) or core.startswith(("I'", "I’")) or not is_common_word(core):
        return word
    if not core[1:].islower():
        return word  # "AI", "GPT-4": an acronym keeps its capitals
    return word[:1].lower() + word[1:]


_RESTART_AT = frozenset("i we you they he she it it's that's there's the a this".split())
_DASH_FRAGMENTS = ("So the --", "And we --", "It's a --", "The --", "I --", "But the --", "We --")
_WH_REPEATS = frozenset("what how why where which".split())


def _inject_restarts(out: list[str], rng: random.Random, rate: float, injected: Counter[str]) -> list[str]:
    """Restarts as speech has them: "we -- we built", "So the -- we built", "so what, what I".

    A second pass with its own random stream, so that ``rate=0`` leaves the
    other injections exactly as they were.
    """
    result: list[str] = []
    for index, word in enumerate(out):
        previous = result[-1] if result else ""
        sentence_start = not previous or previous.rstrip("\"'”’)").endswith((".", "?", "!"))
        lower = word.lower().strip(",.?!")
        roll = rng.random()
        if sentence_start and word[:1].isalpha() and roll < 0.04 * rate:
            result.extend(rng.choice(_DASH_FRAGMENTS).split())
            word = _lower_start(word)
            injected["dash_fragment"] += 1
        elif lower in _RESTART_AT and word[-1:].isalnum() and roll < 0.1 * rate:
            # the speaker says one or two words, stops, and says them again
            width = 2 if rng.random() < 0.4 and index + 1 < len(out) and out[index + 1][-1:].isalnum() else 1
            result.extend([*out[index : index + width - 1], out[index + width - 1] if width > 1 else word])
            result.append("--")
            if sentence_start:
                word = _lower_start(word)
            injected["dash_repeat"] += 1
        elif lower in _WH_REPEATS and word[-1:].isalnum() and roll < 0.3 * rate:
            result.append(word + ",")
            if sentence_start:
                word = _lower_start(word)
            injected["wh_repeat"] += 1
        result.append(word)
    return result


def inject_disfluencies(
    text: str, *, seed: int = 0, chunk_words: int = 45, strength: float = 1.0, restarts: float = 0.0
) -> NoisyText:
    """Make ``text`` read like raw ASR of someone saying it, reproducibly from ``seed``.

    ``strength`` scales every injection probability; ``restarts`` adds restarts
    across a dash and repeated question words (:func:`_inject_restarts`) at
    that rate (0: none, the injection of earlier figures).
    """
    rng = random.Random(seed)
    words = text.split()
    out: list[str] = []
    injected: Counter[str] = Counter()

    def chance(p: float) -> bool:
        return rng.random() < p * strength

    for index, word in enumerate(words):
        sentence_start = index == 0 or words[index - 1].rstrip("\"'”’)").endswith((".", "?", "!"))
        previous = out[-1] if out else ""
        if sentence_start and word[:1].isalpha():
            roll = rng.random() / strength
            if roll < 0.05:
                out.append(rng.choice(_FALSE_STARTS))
                word = _lower_start(word)
                injected["false_start"] += 1
            elif roll < 0.12:
                out.extend(rng.choice(_SENTENCE_OPENERS).split())
                word = _lower_start(word)
                injected["opener"] += 1
        elif previous.endswith(",") and chance(0.12):
            out.extend(rng.choice(_AFTER_COMMA).split())
            injected["discourse"] += 1
        elif previous and previous[-1:].isalnum() and chance(0.025):
            filler = rng.choice(_MID_FILLERS)
            out.append(filler)
            injected["filler"] += 1
        elif previous.lower() in _HEDGE_AFTER and word[:1].islower() and chance(0.08):
            out.extend(rng.choice(("kind of", "sort of")).split())
            injected["hedge"] += 1
        lower = word.lower().strip(",")
        if lower in _REPEATABLE and word[-1:].isalnum() and chance(0.06):
            separator = "," if lower in ("i", "we", "they", "you", "it's", "that's") else ""
            out.append(word + separator)
            word = word if sentence_start is False else word
            if sentence_start:
                word = _lower_start(word)
            injected["repeat"] += 1
        if word.endswith(".") and not word.endswith("..") and word[-2:-1].isalpha() and chance(0.03):
            word = word[:-1] + ", right?"
            injected["tag"] += 1
        out.extend(word.split())

    if restarts > 0:
        out = _inject_restarts(out, random.Random(seed * 7919 + 17), restarts, injected)
    chunks: list[str] = []
    cursor = 0
    while cursor < len(out):
        size = max(10, int(rng.gauss(chunk_words, chunk_words / 6)))
        chunks.append(" ".join(out[cursor : cursor + size]))
        cursor += size
    caseless = rng.randrange(len(chunks)) if chunks else -1
    if caseless >= 0:
        stripped = _STRIP_PUNCT_RE.sub("", chunks[caseless].lower())
        chunks[caseless] = " ".join(stripped.split())
        injected["caseless_chunk"] += 1
    return NoisyText(reference=text, chunks=chunks, injected=injected, caseless_chunk=caseless)


def episode_from_chunks(chunks: list[str], *, title: str = "bench") -> Episode:
    """An unattributed episode with one turn per chunk and estimated times."""
    turns = []
    clock = 0.0
    for chunk in chunks:
        duration = max(1.0, len(chunk.split()) / SPEAKING_RATE_WPS)
        turns.append(Turn(None, clock, clock + duration, chunk, chunk))
        clock += duration
    return Episode(title=title, slug=title, turns=turns, times_estimated=True, duration=clock)


def _plain(text: str) -> str:
    return " ".join(_PLAIN_WORD_RE.findall(text.lower().replace("’", "'")))


def _cased(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def wer_plain(reference: str, hypothesis: str) -> float:
    """Word error rate on lower-cased words without punctuation."""
    import jiwer

    return jiwer.wer(_plain(reference), _plain(hypothesis))


def wer_cased(reference: str, hypothesis: str) -> float:
    """Word error rate on whitespace tokens as written (case and punctuation count)."""
    import jiwer

    return jiwer.wer(_cased(reference), _cased(hypothesis))


def content_kept(reference: str, hypothesis: str) -> float:
    """Share of the reference's content words (with multiplicity) still in ``hypothesis``."""
    wanted = Counter(content_words(reference))
    if not wanted:
        return 1.0
    present = Counter(content_words(hypothesis))
    return sum((wanted & present).values()) / sum(wanted.values())


@dataclass
class CleanupScore:
    """Figures for one reference text (or a pooled set)."""

    words: int
    wer_noisy: float
    wer_clean: float
    wer_cased_noisy: float
    wer_cased_clean: float
    content_kept: float
    wer_untouched: float  # cleaning the reference itself: edits that were not needed
    injected: Counter[str] = field(default_factory=Counter)

    @property
    def error_removed(self) -> float:
        """Share of the injected (plain) word error that cleanup removed."""
        return 1.0 - self.wer_clean / self.wer_noisy if self.wer_noisy else 1.0

    @property
    def cased_error_removed(self) -> float:
        """Share of the cased+punctuated error removed."""
        if not self.wer_cased_noisy:
            return 1.0
        return 1.0 - self.wer_cased_clean / self.wer_cased_noisy


def score_cleanup(
    reference: str, *, seed: int = 0, strength: float = 1.0, restarts: float = 0.0
) -> CleanupScore:
    """Inject disfluencies into ``reference``, clean them, and score the result."""
    from castline.clean import clean_episode

    noisy = inject_disfluencies(reference, seed=seed, strength=strength, restarts=restarts)
    cleaned = clean_episode(episode_from_chunks(noisy.chunks))
    clean_text = " ".join(turn.text for turn in cleaned.turns)
    untouched = clean_episode(episode_from_chunks([reference]))
    untouched_text = " ".join(turn.text for turn in untouched.turns)
    return CleanupScore(
        words=len(reference.split()),
        wer_noisy=wer_plain(reference, noisy.noisy),
        wer_clean=wer_plain(reference, clean_text),
        wer_cased_noisy=wer_cased(reference, noisy.noisy),
        wer_cased_clean=wer_cased(reference, clean_text),
        content_kept=content_kept(reference, clean_text),
        wer_untouched=wer_plain(reference, untouched_text),
        injected=noisy.injected,
    )


def show_page_texts(page: str, *, min_words: int = 100) -> list[str]:
    """Episode texts of a show page: the body after each ``URL [URL]`` prefix."""
    texts = []
    for line in page.splitlines():
        match = _URL_LINE_RE.match(line.strip())
        if match and len(match.group(2).split()) >= min_words:
            texts.append(match.group(2))
    return texts


def labelled_prose(text: str, *, min_words: int = 100) -> list[str]:
    """Prose of a labelled transcript: ``Name:`` prefixes and ``Name HH:MM:SS`` headers removed.

    Consecutive lines are pooled into texts of at least ``min_words`` words.
    """
    texts: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _HEADER_RE.match(line):
            continue
        line = _LABEL_RE.sub("", line, count=1)
        current.append(line)
        if sum(len(part.split()) for part in current) >= min_words * 3:
            texts.append(" ".join(current))
            current = []
    if current and sum(len(part.split()) for part in current) >= min_words:
        texts.append(" ".join(current))
    return texts
