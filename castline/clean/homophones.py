"""Topic homophones: everyday words heard for a word the episode is about.

"skill" becomes "scale" only where the episode's title and word statistics say
the talk is about scaling and a word of that family is close by
(:func:`mark_topic_homophones`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from castline.clean.units import Unit
from castline.clean.words import FUNCTION_WORDS, zipf

__all__ = [
    "TOPIC_COUNT",
    "TOPIC_LIFT",
    "TOPIC_MAX_ZIPF",
    "TOPIC_RATIO",
    "TOPIC_WINDOW",
    "mark_topic_homophones",
]

#: A word family the episode uses this often is a topic of the episode ("scale", "scaling").
TOPIC_COUNT = 15
#: ... this many times as often as English at large uses it (per word, wordfreq) ...
TOPIC_LIFT = 25
#: Topics and the words heard for them are content words, rarer than this in English.
TOPIC_MAX_ZIPF = 5.0
#: ... and at least this many times as often as the word that sounds like it.
TOPIC_RATIO = 4
#: A homophone is repaired only with a word of the topic's family this close (in words).
TOPIC_WINDOW = 20


_INFLECTIONS = ("", "s", "es", "d", "ed", "ing", "er", "ers", "able", "ability")


def _stem(word: str) -> str:
    """The family prefix of a word: "scale" -> "scal" (scaling, scalable), "model" -> "model"."""
    return word[:-1] if word.endswith("e") else word


def _in_family(word: str, stem: str) -> bool:
    return word.startswith(stem) and word[len(stem) :] in _INFLECTIONS or word == stem + "e"


def _root(word: str) -> str:
    """``word`` without an inflection: "scaling", "scales", "scale" -> "scal"."""
    for ending in ("ability", "able", "ing", "ers", "er", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return _stem(word)


def mark_topic_homophones(tokens: Sequence[Sequence[Unit]], title: str = "") -> int:
    """Repair everyday words heard for a homophone the episode is about; returns the repairs.

    "skill" becomes "scale" only where the episode talks about scaling: its
    title names the topic ("scaling reinforcement learning"), the two
    sound alike (same metaphone code and first letter, lengths within one, yet
    spelled differently from the third letter on, so "built" is never "build"), the family of "scale" (scale,
    scales, scaling, scalable) is a topic of the episode (at least
    :data:`TOPIC_COUNT` uses, :data:`TOPIC_LIFT` times as frequent as in English
    at large, and :data:`TOPIC_RATIO` times the family of "skill"), and a word of
    that family is within :data:`TOPIC_WINDOW` words. "new skill programs" far
    from any talk of scaling stays as said.
    """
    import jellyfish

    # what the episode is said to be about; word statistics alone cannot tell "skill" for
    # "scale" from "fill" for "fail" in a talk that often says "fail"
    announced = {_root(w) for w in re.findall(r"[a-z]+", title.lower()) if len(w) >= 4}
    flat = [u for units in tokens for u in units if u.core.isalpha()]
    if not flat or not announced:
        return 0
    lowers = [u.lower for u in flat]
    counts = Counter(lowers)
    vocabulary = [w for w in counts if len(w) >= 4 and w not in FUNCTION_WORDS]
    families: dict[str, int] = {}

    def family(word: str) -> int:
        stem = _stem(word)
        if stem not in families:
            families[stem] = sum(counts[stem + ending] for ending in _INFLECTIONS) + counts[stem + "e"]
        return families[stem]

    topics: dict[str, list[str]] = {}
    for word in vocabulary:
        uses = family(word)
        if _root(word) not in announced:
            continue
        if counts[word] >= 3 and uses >= TOPIC_COUNT and zipf(word) < TOPIC_MAX_ZIPF:
            # a topic is used far more than English at large uses it ("come" is not one)
            if uses / len(flat) >= TOPIC_LIFT * 10 ** (zipf(word) - 9):
                topics.setdefault(jellyfish.metaphone(word), []).append(word)
    pairs: dict[str, str] = {}
    for word in vocabulary:
        if zipf(word) >= TOPIC_MAX_ZIPF:
            continue  # the words of every conversation ("many", "guys", "still") are said as meant
        for topic in topics.get(jellyfish.metaphone(word), ()):
            if (
                topic[0] == word[0]
                and topic[:3] != word[:3]
                and abs(len(topic) - len(word)) <= 1
                and family(word) * TOPIC_RATIO <= family(topic)
            ):
                pairs[word] = topic
    if not pairs:
        return 0
    near_stems = {topic: _stem(topic) for topic in pairs.values()}
    repaired = 0
    for i, word in enumerate(lowers):
        topic = pairs.get(word)
        if topic is None:
            continue
        unit = flat[i]
        if unit.deleted is not None or not unit.deletable or unit.out_core != unit.core:
            continue
        stem = near_stems[topic]
        window = lowers[max(0, i - TOPIC_WINDOW) : i + TOPIC_WINDOW + 1]
        if not any(_in_family(w, stem) for w in window):
            continue
        core = unit.core
        if core.isupper() and len(core) > 1:
            replacement = topic.upper()
        else:
            replacement = topic.capitalize() if core[:1].isupper() else topic
        unit.set_core(replacement, "glossary")
        repaired += 1
    return repaired
