"""Reader for a show page: a listing of several episode texts.

Layout (as copied from a podcast directory page)::

    Show name
    Podcast by Host Name           <- also "Podcast af ...", "Hosted by ...", ...
    Show description ...
    https://show.example/p/slug [https://show.example/p/slug] Episode text ...
    https://show.example/p/other Episode text ...
    <page footer>

Each URL-led section is one episode (title from the URL slug). Bracketed link targets
inside the text (``read more here [https://...]``) are how the page renders hyperlinks:
they are not spoken, so they leave the text and are kept in ``metadata["links"]``. Such pages list audio
essays read by the host, so every turn goes to the host named in the header, unless the
text is clearly a dialogue (repeated ``Name:`` labels); then speakers are left for the
attribution stage. Long texts are cut at sentence ends into turns of about a minute.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from castline.ingest.common import DraftTurn, readable_title
from castline.ingest.labels import labels_are_speakers, plausible_name
from castline.text import sentences, words

__all__ = [
    "TURN_WORDS",
    "ShowPage",
    "episode_title",
    "is_dialogue",
    "looks_like_show_page",
    "parse_show_page",
    "show_page_drafts",
    "split_into_turns",
    "strip_link_targets",
]

_URL_LINE = re.compile(r"^\s*(?P<url>https?://\S+)(?:\s+\[(?P<link>https?://[^\]\s]+)\])?(?P<rest>.*)$")
# "Podcast by Name" in the page's language ("Podcast af" is Danish), or "Hosted by Name".
# The short prepositions need the word "podcast" before them: "De Correspondent" is a show.
_HOST_LINE = re.compile(
    r"^\s*(?:(?:an?\s+)?(?:podcast|show|podcasten|serie|série)\s+"
    r"(?:by|af|av|von|de|di|door|par|por|från|with|hosted by)"
    r"|(?:hosted|presented)\s+by|by)\s+(?P<host>.+?)\s*$",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"[ \t]*\[(https?://[^\]\s]+)\]")
_INLINE_LABEL = re.compile(r"(?:^|(?<=[.!?\"”]\s))([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}):\s")
_SENTENCE_END = re.compile(r"[.!?…\"”’)]\s*$")

#: About a minute of speech per turn when a long text has no paragraph breaks.
TURN_WORDS = 150
# Characters either side of a wanted cut searched for a sentence start.
_CUT_WINDOW = 700


@dataclass
class ShowPage:
    """A parsed show page: header facts and one text per listed episode."""

    show: str | None
    host: str | None
    description: str | None
    episodes: list[tuple[str, str]] = field(default_factory=list)  # (url, text)
    # Page furniture dropped after each episode's text, by episode index.
    chrome: dict[int, list[str]] = field(default_factory=dict)


def _sections(lines: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(header lines, [(url, text lines)]) split at lines that start with a URL."""
    header: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _URL_LINE.match(line)
        if match:
            rest = match["rest"].strip()
            sections.append((match["url"], [rest] if rest else []))
        elif sections:
            if line.strip():
                sections[-1][1].append(line.strip())
        elif line.strip():
            header.append(line.strip())
    return header, sections


def looks_like_show_page(text: str) -> bool:
    """True when lines that open with a URL and go on with a long text hold most words.

    The text must start on the URL's own line: a bare link on a line of its own (common in
    posts and notes) does not make a listing.
    """
    header, sections = _sections(text.split("\n"))
    substantial = [
        s for s in sections if s[1] and len(words(s[1][0])) >= 40 and not _URL_LINE.match(s[1][0])
    ]
    if not substantial:
        return False
    section_words = sum(len(words(" ".join(lines))) for _, lines in substantial)
    return section_words >= 0.6 * max(len(words(text)), 1)


def _is_chrome(line: str, header: set[str]) -> bool:
    """Page furniture: repeats a header line, or is short with no sentence ending."""
    return line in header or (len(line.split()) <= 8 and not _SENTENCE_END.search(line))


def parse_show_page(text: str) -> ShowPage:
    """Header facts, episode texts and page footer of a show page."""
    header, sections = _sections(text.split("\n"))
    header_set = set(header)
    page = ShowPage(show=None, host=None, description=None)
    for line in header:
        match = _HOST_LINE.match(line)
        if page.host is None and match and plausible_name(match["host"]):
            page.host = " ".join(match["host"].split())
    descriptive = [line for line in header if len(line.split()) >= 12]
    page.description = max(descriptive, key=len) if descriptive else None
    for line in header:
        if line != page.description and not _HOST_LINE.match(line) and len(line.split()) <= 8:
            page.show = line
            break
    for url, lines in sections:
        # Trailing page furniture (subscription offers, nav links) is not episode text.
        dropped: list[str] = []
        while lines and _is_chrome(lines[-1], header_set) and len(lines) > 1:
            dropped.insert(0, lines.pop())
        if dropped:
            page.chrome[len(page.episodes)] = dropped
        page.episodes.append((url, "\n".join(lines)))
    return page


def episode_title(url: str) -> str:
    """Readable title from the last path segment of an episode URL."""
    path = urlparse(url).path.rstrip("/")
    slug = path.rsplit("/", 1)[-1] if path else urlparse(url).netloc
    slug = re.sub(r"\.(html?|php|aspx?)$", "", slug)
    return readable_title(slug)


def is_dialogue(text: str) -> bool:
    """True when the text carries repeated ``Name:`` speaker labels."""
    names = [m[1] for m in _INLINE_LABEL.finditer(text) if plausible_name(m[1])]
    return len(set(names)) >= 2 and labels_are_speakers(names, len(names) * 4)


def _sentence_cuts(paragraph: str, target_words: int) -> list[int]:
    """Offsets of sentence starts that cut ``paragraph`` into pieces of about
    ``target_words`` words.

    Sentence boundaries come from :func:`castline.text.sentences`, run only on a window
    around each wanted cut: a full pass over a long essay costs seconds.
    """
    word_starts = [m.start() for m in re.finditer(r"\S+", paragraph)]
    cuts = [0]
    index = 0  # word index where the current piece starts
    while index + target_words + target_words // 2 < len(word_starts):
        target = word_starts[index + target_words]
        low = max(cuts[-1], target - _CUT_WINDOW)
        window = paragraph[low : target + _CUT_WINDOW]
        found = sentences(window)
        # The window's first "sentence" may be a fragment cut by the window itself.
        starts = [low + s.start for s in (found if low == cuts[-1] else found[1:])]
        candidates = [p for p in starts if p > cuts[-1]]
        if not candidates:
            index += target_words  # no boundary near: let this piece run longer
            continue
        cut = min(candidates, key=lambda p: abs(p - target))
        cuts.append(cut)
        index = bisect.bisect_left(word_starts, cut)
    return cuts


def split_into_turns(text: str, target_words: int = TURN_WORDS) -> list[str]:
    """Cut ``text`` at paragraph breaks and, within long paragraphs, at sentence starts
    near every ``target_words`` words.

    Pieces are exact slices of the text (only whitespace between them is dropped), so
    every word is kept in order.
    """
    pieces: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph.split()) <= target_words * 1.5:
            pieces.append(paragraph)
            continue
        cuts = _sentence_cuts(paragraph, target_words) + [len(paragraph)]
        pieces.extend(
            paragraph[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False) if paragraph[a:b].strip()
        )
    return pieces


def strip_link_targets(text: str) -> tuple[str, list[str]]:
    """``text`` without bracketed link targets, and the targets in order."""
    links = _LINK_TARGET.findall(text)

    def gap(match: re.Match[str]) -> str:
        # "token [url]per day" was "token per day" on the page: keep words apart.
        following = text[match.end() : match.end() + 1]
        return " " if following.isalnum() else ""

    return _LINK_TARGET.sub(gap, text), links


def show_page_drafts(text: str, host: str | None) -> tuple[list[DraftTurn], bool]:
    """Draft turns of one episode text and whether it was attributed to the host."""
    dialogue = is_dialogue(text)
    speaker = host if host and not dialogue else None
    # The host is assumed from the page header, not labelled in the text.
    confidence = 0.9 if speaker else 0.0
    drafts = [DraftTurn(speaker, piece, confidence=confidence) for piece in split_into_turns(text)]
    return drafts, speaker is not None
