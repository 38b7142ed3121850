"""Ingest: read a transcript file of any supported format into :class:`~castline.model.Episode`\\ s.

Formats (see :data:`FORMATS`): ``asr_text`` (raw ASR text, one chunk per line),
``name_colon`` (``Name: text``), ``name_time_blocks`` (``Name HH:MM:SS`` headers over
paragraphs), ``srt``, ``vtt``, ``whisper_json`` (whisperX / faster-whisper segments) and
``show_page`` (a listing of several episode texts) and ``castline_markdown`` (castline's
own ``transcript.md``, edited by a producer and processed again). Each lives in its own module.
:func:`is_audio_path` (:mod:`castline.ingest.inputs`) tells audio and video, which take
the speech path (:mod:`castline.speech`), from the text this package reads.

Example
-------
>>> from castline.ingest import read_episodes
>>> [episode] = read_episodes("seeds/mlst-eiso-kant.raw.txt")  # doctest: +SKIP
>>> episode.source_format, episode.times_estimated  # doctest: +SKIP
('asr_text', True)
"""

from castline.ingest.decode import decode_bytes
from castline.ingest.detect import FORMATS, detect_format
from castline.ingest.errors import IngestError
from castline.ingest.inputs import AUDIO_SUFFIXES, is_audio_path
from castline.ingest.read import read_episodes, read_text

__all__ = [
    "AUDIO_SUFFIXES",
    "FORMATS",
    "IngestError",
    "decode_bytes",
    "detect_format",
    "is_audio_path",
    "read_episodes",
    "read_text",
]
