"""Recurring voices: recognise a show's regular speakers from one episode to the next.

A :class:`VoiceLibrary` keeps one voice print per known person (the mean
Resemblyzer embedding of their speech, unit length) in a small JSON file, e.g.
``shows/<show>/voices.json``. After diarization, :func:`voice_prints` embeds
each diarized label's speech, :meth:`VoiceLibrary.match` pairs labels with
known voices (one-to-one, Hungarian assignment, above a similarity threshold),
and :func:`name_voices` renames the episode's speakers accordingly. Confirmed
names go back into the library with :meth:`VoiceLibrary.enroll`.

Examples
--------
>>> library = VoiceLibrary.load("shows/mlst/voices.json")        # doctest: +SKIP
>>> prints = voice_prints(audio, segments)                      # doctest: +SKIP
>>> episode = name_voices(episode, library.match(prints))       # doctest: +SKIP
>>> library.enroll("Tim Scarfe", prints["SPEAKER_00"], role="host"); library.save()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from castline.model import Episode
from castline.speech.audio import SAMPLE_RATE

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "Voice",
    "VoiceLibrary",
    "enroll_voice",
    "library_path",
    "name_voices",
    "recognise_voices",
    "voice_prints",
]

# Cosine similarity of two voice prints above which they are taken as one person.
DEFAULT_MATCH_THRESHOLD = 0.9
_WINDOW_S = 1.6
_BATCH = 16


@dataclass
class Voice:
    """A known person's voice print (unit vector) and how many episodes formed it."""

    name: str
    embedding: list[float]
    role: str = "other"
    episodes: int = 1


@dataclass
class VoiceLibrary:
    """Voice prints of a show's recurring speakers, stored as JSON at ``path``."""

    path: Path | None = None
    voices: list[Voice] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> VoiceLibrary:
        """Read a library (an empty one when the file does not exist yet)."""
        path = Path(path)
        if not path.exists():
            return cls(path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path=path, voices=[Voice(**voice) for voice in data.get("voices", [])])

    def save(self, path: str | Path | None = None) -> Path:
        """Write the library as JSON (atomically) and return its path."""
        target = Path(path or self.path or "voices.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.tmp")
        text = json.dumps({"voices": [asdict(v) for v in self.voices]}, indent=1)
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        self.path = target
        return target

    def enroll(self, name: str, embedding: np.ndarray, *, role: str = "other") -> Voice:
        """Add ``name``'s voice print, or fold it into the existing one (running mean)."""
        vector = _unit(np.asarray(embedding, dtype=np.float64))
        for voice in self.voices:
            if voice.name == name:
                merged = _unit(np.asarray(voice.embedding) * voice.episodes + vector)
                voice.embedding = [round(float(x), 6) for x in merged]
                voice.episodes += 1
                voice.role = role if role != "other" else voice.role
                return voice
        voice = Voice(name=name, embedding=[round(float(x), 6) for x in vector], role=role)
        self.voices.append(voice)
        return voice

    def match(
        self, prints: Mapping[str, np.ndarray], *, threshold: float = DEFAULT_MATCH_THRESHOLD
    ) -> dict[str, tuple[Voice, float]]:
        """Pair diarization labels with known voices: ``{label: (voice, similarity)}``.

        One-to-one (two labels never get the same person), best total
        similarity first, and only pairs at or above ``threshold``.
        """
        from scipy.optimize import linear_sum_assignment

        labels = list(prints)
        if not labels or not self.voices:
            return {}
        known = np.stack([np.asarray(v.embedding, dtype=np.float64) for v in self.voices])
        found = np.stack([_unit(np.asarray(prints[label], dtype=np.float64)) for label in labels])
        similarity = found @ known.T
        rows, cols = linear_sum_assignment(-similarity)
        return {
            labels[r]: (self.voices[c], round(float(similarity[r, c]), 3))
            for r, c in zip(rows, cols, strict=True)
            if similarity[r, c] >= threshold
        }


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) + 1e-12)


def voice_prints(
    audio: np.ndarray, segments: Sequence[tuple[float, float, str]], *, max_seconds: float = 120.0
) -> dict[str, np.ndarray]:
    """One voice print per diarization label: the mean embedding of its turns.

    Uses turns of at least one window (1.6 s), longest first, up to
    ``max_seconds`` of speech per label, so a long episode costs no more than a
    short one.
    """
    import torch
    from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
    from resemblyzer.hparams import audio_norm_target_dBFS

    from castline.diarize.offline import best_device, load_offline_diarizer

    encoder = load_offline_diarizer(best_device()).encoder
    by_label: dict[str, list[tuple[float, float]]] = {}
    for start, end, label in segments:
        by_label.setdefault(label, []).append((start, end))
    prints: dict[str, np.ndarray] = {}
    frames = int(_WINDOW_S * 100)
    for label, spans in by_label.items():
        spans = sorted(spans, key=lambda span: span[0] - span[1])  # longest first
        usable = [span for span in spans if span[1] - span[0] >= _WINDOW_S] or spans[:1]
        mels, total = [], 0.0
        for start, end in usable:
            if total >= max_seconds:
                break
            piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            if len(piece) < SAMPLE_RATE * _WINDOW_S:
                piece = np.tile(piece, int(np.ceil(SAMPLE_RATE * _WINDOW_S / max(len(piece), 1))) + 1)
            mel = wav_to_mel_spectrogram(normalize_volume(piece, audio_norm_target_dBFS)).astype(np.float32)
            for offset in range(0, len(mel) - frames + 1, frames):
                mels.append(mel[offset : offset + frames])
            total += end - start
        if not mels:
            continue
        vectors = []
        for first in range(0, len(mels), _BATCH):
            # Fixed batch shape: CPU kernels are set up once per shape.
            batch = np.zeros((_BATCH, frames, mels[0].shape[1]), dtype=np.float32)
            chunk = mels[first : first + _BATCH]
            batch[: len(chunk)] = np.stack(chunk)
            with torch.no_grad():
                embedded = encoder(torch.from_numpy(batch).to(encoder.device)).cpu().numpy()
            vectors.extend(embedded[: len(chunk)])
        prints[label] = _unit(np.mean(vectors, axis=0).astype(np.float64))
    return prints


def name_voices(episode: Episode, matches: Mapping[str, tuple[Voice, float]]) -> Episode:
    """Rename the episode's speakers whose diarization label matched a known voice.

    Speakers are found by their current name (the label :func:`assign_words`
    gave them); name and role come from the library, and
    ``metadata["voice_matches"]`` records each match and its similarity.
    """
    record = {}
    for speaker in episode.speakers:
        matched = matches.get(speaker.name)
        if matched is None:
            continue
        voice, similarity = matched
        record[speaker.id] = {"label": speaker.name, "name": voice.name, "similarity": similarity}
        speaker.name, speaker.role = voice.name, voice.role
    episode.metadata["voice_matches"] = record
    return episode


def library_path() -> Path:
    """Where enrolled voices live: ``$CASTLINE_VOICES``, else ``$CASTLINE_DATA/voices/voices.json``."""
    configured = os.environ.get("CASTLINE_VOICES")
    if configured:
        return Path(configured)
    return Path(os.environ.get("CASTLINE_DATA", "data")) / "voices" / "voices.json"


def enroll_voice(name: str, audio_path: str | Path, *, role: str = "other",
                 library: str | Path | None = None) -> Path:
    """Store ``name``'s voice print from a recording of that person alone; return the library path.

    Enrolling the same name again folds the new recording into the stored print.
    """
    from castline.speech.audio import load_audio

    audio = load_audio(audio_path)
    prints = voice_prints(audio, [(0.0, len(audio) / SAMPLE_RATE, name)])
    if name not in prints:
        raise ValueError(f"{audio_path}: no usable speech to enroll {name!r}")
    path = Path(library) if library else library_path()
    voices = VoiceLibrary.load(path)
    voices.enroll(name, prints[name], role=role)
    return voices.save(path)


def recognise_voices(episode: Episode, audio_path: str | Path, segments: Sequence[tuple[float, float, str]],
                     *, library: str | Path | None = None,
                     threshold: float = DEFAULT_MATCH_THRESHOLD) -> set[str]:
    """Name the episode's diarized voices that match enrolled ones; return the matched speaker ids.

    Voices below ``threshold`` stay unknown (later named from the hint or the
    intro). With no library on disk this does nothing and costs nothing.
    """
    path = Path(library) if library else library_path()
    if not path.exists():
        return set()
    voices = VoiceLibrary.load(path)
    if not voices.voices:
        return set()
    from castline.speech.audio import load_audio

    prints = voice_prints(load_audio(audio_path), segments)
    name_voices(episode, voices.match(prints, threshold=threshold))
    return set(episode.metadata.get("voice_matches", {}))
