"""Word lists and word-frequency look-ups shared by the editing passes."""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "AUXILIARIES",
    "COMMON_ZIPF",
    "CONJUNCTIONS",
    "CONTRACTIONS",
    "FUNCTION_WORDS",
    "OPEN_ENDINGS",
    "RARE_ZIPF",
    "SUBJECT_PRONOUNS",
    "is_common_word",
    "zipf",
]

SUBJECT_PRONOUNS = frozenset("i we you they he she it".split())
CONJUNCTIONS = frozenset("and but so or because cause then plus".split())
AUXILIARIES = frozenset(
    """is was are were am be been being have has had will would can could should shall may
    might must do does did""".split()
)
CONTRACTIONS = frozenset(
    """it's we're i'm they're you're he's she's there's that's we've i've they've you've we'll
    i'll they'll you'll he'll she'll it'll i'd we'd they'd you'd he'd she'd let's what's
    don't doesn't didn't isn't wasn't aren't weren't can't couldn't won't wouldn't shouldn't""".split()
)
#: Words that carry grammar rather than content: a repeated one is a stutter.
FUNCTION_WORDS = (
    SUBJECT_PRONOUNS
    | CONJUNCTIONS
    | AUXILIARIES
    | CONTRACTIONS
    | frozenset(
        """a an the this that these those my your our their his her its me us them him
        of to in on at by for with from as into onto about over under than if when where
        what which who how why whether not no just also there here some any all each every
        one""".split()
    )
)

#: Words a sentence cannot end on: a chunk ending with one runs on into the next.
OPEN_ENDINGS = frozenset(
    """a an the and but or nor my your our their his its if because whether whose which than
    into onto""".split()
)

#: Zipf frequency (log10 per billion words) above which a word is everyday English.
COMMON_ZIPF = 4.0
#: Below this a word is rare enough to be a name or a mishearing.
RARE_ZIPF = 3.0


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency of ``word`` in English (wordfreq); 0.0 for unknown words."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def is_common_word(word: str) -> bool:
    """True when ``word`` is everyday English (so it is never "corrected")."""
    return zipf(word.lower()) >= COMMON_ZIPF
