"""Speech: audio in, words with times out.

* :mod:`castline.speech.audio` decodes and probes any file ffmpeg reads into
  16 kHz mono samples (:func:`~castline.speech.audio.load_audio`).
* :mod:`castline.speech.asr` transcribes them with whisperX into an
  :class:`~castline.model.Episode` whose words carry times
  (:func:`~castline.speech.asr.transcribe`).

Both import their heavy libraries on first use; this package import is cheap.
"""

from __future__ import annotations

__all__ = ["asr", "audio"]
