"""Speaker attribution: who spoke when, with real names and roles.

Text-only attribution for transcripts without speaker labels lives in
:mod:`castline.diarize.text_attribution`; evaluation helpers in
:mod:`castline.diarize.evaluate`.
"""

from castline.diarize.text_attribution import (
    UNATTRIBUTED,
    attribute_speakers,
    discover_names,
    parse_speakers,
)

__all__ = ["UNATTRIBUTED", "attribute_speakers", "discover_names", "parse_speakers"]
