"""The edit log says only what changed (issue 20 part 5): no edit that changes nothing.

A paragraph break used to be recorded as " We" -> "\n\nWe", which edits.md
rendered as "~~We~~**We**"; it is now " " -> "\n\n". The episode text comes
from ``tests/fixtures/changelog/test-slice.jsonl`` (CC BY-SA 4.0, see ``bench/CORPUS.md``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from castline.clean import clean_episode
from castline.clean.units import apply_edits
from castline.export.markdown import edits_markdown
from castline.model import Episode, Turn

SLICE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "changelog" / "test-slice.jsonl"


def _paragraphed_episode() -> Episode:
    dialogue = json.loads(SLICE.read_text(encoding="utf-8").splitlines()[0])
    text = " ".join(t["text"] for t in dialogue["turns"][:60])
    return clean_episode(Episode(title="t", slug="t", turns=[Turn(None, 0.0, 600.0, "", text)]))


def test_no_edit_on_record_changes_nothing():
    episode = _paragraphed_episode()
    assert any(e.kind == "paragraph" for e in episode.edits)
    for edit in episode.edits:
        assert edit.original != edit.replacement
        if edit.kind == "paragraph":
            # a paragraph break is a change of whitespace only, recorded as such
            assert not edit.original.strip() and not edit.replacement.strip()
    assert apply_edits(episode.turns[0].verbatim, episode.edits) == episode.turns[0].text


def test_edits_md_shows_no_word_struck_and_written_back_unchanged():
    review = edits_markdown(_paragraphed_episode())
    same = re.findall(r"~~([^~]+?)~~\*\*\1\*\*", review)
    assert same == []

