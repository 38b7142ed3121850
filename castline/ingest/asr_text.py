"""Reader for raw ASR text: one chunk per line, no speakers.

Times written in the text are kept, in the two shapes transcript tools produce:

* a leading time or time range on each line, as Whisper's console output
  (``[00:01.000 --> 00:04.000]  text``), when most lines have one;
* a time alone on its own line before the text, as copied from YouTube's transcript panel
  (``0:05`` then ``so today we're...``), when such lines recur.

Otherwise every non-empty line is one turn, text as is.
"""

from __future__ import annotations

import re

from castline.ingest.common import TIME_RE, DraftTurn, parse_timestamp

__all__ = ["read_asr_text", "timed_line_share"]

_TIMED_LINE = re.compile(
    rf"^\s*[\[(]?(?P<start>{TIME_RE})(?:\s*(?:-->|–|-|to)\s*(?P<end>{TIME_RE}))?[\])]?"
    r"\s*[-–|:]?\s+(?P<text>\S.*)$"
)
_BARE_TIME = re.compile(rf"^\s*[\[(]?(?P<start>{TIME_RE})[\])]?\s*$")


def timed_line_share(lines: list[str]) -> float:
    """Share of non-empty lines that open with a time or time range."""
    nonempty = [line for line in lines if line.strip()]
    if not nonempty:
        return 0.0
    return sum(1 for line in nonempty if _TIMED_LINE.match(line)) / len(nonempty)


def _bare_time_lines(lines: list[str]) -> bool:
    """True when times alone on a line recur often enough to be the file's time marks."""
    nonempty = [line for line in lines if line.strip()]
    bare = sum(1 for line in nonempty if _BARE_TIME.match(line))
    return bare >= 2 and bare >= 0.25 * len(nonempty)


def read_asr_text(text: str) -> tuple[list[DraftTurn], dict[str, object]]:
    """One unlabelled draft turn per non-empty line (times kept when lines carry them)."""
    lines = text.split("\n")
    timed = timed_line_share(lines) >= 0.5
    bare_times = not timed and _bare_time_lines(lines)
    drafts: list[DraftTurn] = []
    pending: float | None = None
    for line in lines:
        if not line.strip():
            continue
        if bare_times and (mark := _BARE_TIME.match(line)):
            pending = parse_timestamp(mark["start"])
            continue
        match = _TIMED_LINE.match(line) if timed else None
        if match:
            end = parse_timestamp(match["end"]) if match["end"] else None
            drafts.append(DraftTurn(None, match["text"].strip(), parse_timestamp(match["start"]), end))
        else:
            drafts.append(DraftTurn(None, line.strip(), pending))
        pending = None
    return drafts, {"timed_lines": timed, "time_mark_lines": bare_times}
