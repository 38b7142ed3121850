"""Segment: the episode's structure and the passages worth publishing, in pipeline order.

* :mod:`~castline.segment.structure` tags sponsor reads, the cold open, the
  host's introduction and the closing (``tag_structure``);
* :mod:`~castline.segment.sentence_units` splits the clean turns into the
  sentences the later stages choose from;
* :mod:`~castline.segment.passages` scores a stretch of speech on explainable
  features and says where a quote may open;
* :mod:`~castline.segment.chapters` finds topic chapters (``make_chapters``),
  titled by :mod:`~castline.segment.titles` from the noun phrases of
  :mod:`~castline.segment.phrases`;
* :mod:`~castline.segment.clips` picks self-contained clips (``find_clips``).

:mod:`~castline.segment.words` holds the word lists they share. Import from
the modules: this package import stays cheap.
"""

from __future__ import annotations

__all__ = ["chapters", "clips", "passages", "phrases", "sentence_units", "structure", "titles", "words"]
