"""castline.text.heading_line: a title on a line of its own versus speech cut by a wrap."""

from __future__ import annotations

import pytest

from castline.text import heading_line


@pytest.mark.parametrize(
    ("line", "following", "previous"),
    [
        ("Image segmentation using Gemini 2.5", "Ultra-cheap image segmentation feature.", "A question?"),
        ("AI Creativity and Discovery", "Good day ladies and gentlemen.", None),
        ("Render Markdown - A handy tool by Simon Willison", "Useful markdown rendering tool.", None),
        # longer, but in title case
        (
            "Share Python Scripts Like a Pro: uv and PEP 723 for Easy Deployment",
            "Good lengthy article about using uv.",
            "Something else ended here.",
        ),
        ("Changing Data With Confidence using DuckDB - Hannes Mühleisen (PyData Global 2024)", "Transcript here.", None),
    ],
)
def test_headings(line, following, previous):
    assert heading_line(line, following, previous)


@pytest.mark.parametrize(
    ("line", "following", "previous"),
    [
        ("That is the end of it.", "Next line.", None),  # closes its sentence
        ("we went to the", "store after that.", None),  # next line carries on in lower case
        ("and then at some point", "I just stopped.", None),  # "I" is capitalised anywhere
        ("we tested it, and it held up, mostly,", "Sometimes it did not.", None),  # ends on a comma
        (
            "so the long line of speech went on and on without any punctuation at all for a while",
            "Then it stopped.",
            None,
        ),
        # after a run-on line of speech, a short chunk is its tail, not a title
        ("for a long time", "Then it stopped.", "we kept on talking about the thing we had built over the years and"),
    ],
)
def test_not_headings(line, following, previous):
    assert not heading_line(line, following, previous)
