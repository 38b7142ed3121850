"""Highlights: previews, tweetable highlights, clip threads, and a fidelity check.

Every quote made here is a verbatim span of a turn's clean text, addressed by
``(turn, char_start, char_end)``: nothing is paraphrased or truncated inside a
quote. Shorter posts come from choosing shorter spans. Candidates are scored on
the same explainable features as clips (:func:`castline.segment.passages.passage_features`).

* :mod:`~castline.highlights.quotes`: what previews and posts share (candidate
  spans, scores, fragments, how a post shows a quote);
* :mod:`~castline.highlights.previews`: quotes for a cold open or trailer;
* :mod:`~castline.highlights.posts`: highlights with their posts, clip threads;
* :mod:`~castline.highlights.verify`: the verbatim check;
* :mod:`~castline.highlights.episode_copy`: title options, description and cover text.

Example
-------
>>> episode.previews = make_previews(episode)      # doctest: +SKIP
>>> episode.highlights = make_highlights(episode)  # doctest: +SKIP
>>> add_threads(episode)                           # doctest: +SKIP
>>> assert verify_quotes(episode) == []            # doctest: +SKIP
"""

from __future__ import annotations

from castline.highlights.episode_copy import copy_problems, make_episode_copy
from castline.highlights.posts import add_threads, episode_link, highlight_tweet, make_highlights
from castline.highlights.previews import make_previews
from castline.highlights.quotes import (
    ELISION,
    fragment_problem,
    post_quote,
    quote_in_post,
    reference_problem,
    respell_speakers,
    standalone_problem,
)
from castline.highlights.verify import verify_quotes

__all__ = [
    "ELISION",
    "add_threads",
    "copy_problems",
    "episode_link",
    "fragment_problem",
    "highlight_tweet",
    "make_episode_copy",
    "make_highlights",
    "make_previews",
    "post_quote",
    "quote_in_post",
    "reference_problem",
    "respell_speakers",
    "standalone_problem",
    "verify_quotes",
]
