"""Word lists and word look-ups that the segment stages share.

Passages, titles and chapters all need to know which capitalised words name
nothing (:data:`NOT_NAMES`), how common an English word is (:func:`zipf`) and
which words scikit-learn drops as stop words (:func:`english_stop_words`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

__all__ = ["NOT_NAMES", "english_stop_words", "uniq", "zipf"]

#: Capitalised words that open sentences or answer, but name nothing.
NOT_NAMES = frozenset(
    "I I'm I've I'd I'll OK Okay Yeah Yes No So And But The A An It This That We You They He She "
    "Well Oh Um Uh Right".split()
)


def uniq(items: Sequence[str]) -> list[str]:
    """``items`` stripped, in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item.strip(), None)
    return list(seen)


# scikit-learn's English stop words: titles skip them, and chapters' TF-IDF drops them too.
@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    # Imported on first use: scikit-learn costs a second at import time.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=4096)
def zipf(word: str) -> float:
    """How common ``word`` is in English (wordfreq's Zipf scale: 0 unseen, 7 "the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")
