"""Audio decoding and probing through the ffmpeg command-line tools.

Every audio stage works on one representation: 16 kHz mono float32 samples in
``[-1, 1]``, decoded once by :func:`load_audio` (a 1-hour episode is about
230 MB). Anything ffmpeg reads works (mp3, wav, m4a, flac, ogg, mp4, ...).

Bad input raises :class:`AudioError` naming the stage that failed and why, so
callers (the inbox flow) can quarantine the file with a one-line reason. These
helpers never modify or delete the input.

Examples
--------
>>> info = probe("episode.mp3")            # doctest: +SKIP
>>> samples = load_audio("episode.mp3")    # doctest: +SKIP
>>> len(samples) / SAMPLE_RATE             # doctest: +SKIP
3601.2
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "AudioInfo",
    "file_sha256",
    "load_audio",
    "probe",
]

SAMPLE_RATE = 16_000

# Peak below -60 dBFS over the whole file: nothing anyone could transcribe.
_SILENCE_PEAK = 10 ** (-60 / 20)
# A decode may come up this short of the declared duration before we call the
# file truncated (encoder padding and header estimates differ by a frame or two).
_TRUNCATION_TOLERANCE_S = 1.0
_TRUNCATION_TOLERANCE_FRACTION = 0.02
_READ_CHUNK_BYTES = 1 << 20


class AudioError(Exception):
    """An input that cannot be used as audio.

    Parameters
    ----------
    path : str or Path
        The offending file.
    stage : str
        Where it failed: ``read`` (missing or empty), ``probe`` (ffprobe finds no
        audio stream), ``decode`` (ffmpeg fails or the file is truncated),
        ``speech`` (decodes, but there is no speech in it), ``clip`` (a span
        cannot be cut for a clip).
    reason : str
        What went wrong, in a few words.
    """

    def __init__(self, path: str | Path, stage: str, reason: str) -> None:
        self.path = str(path)
        self.stage = stage
        self.reason = reason
        super().__init__(f"{self.path}: {stage} failed: {reason}")


@dataclass
class AudioInfo:
    """What ffprobe says about a file's first audio stream."""

    duration: float | None
    codec: str
    sample_rate: int
    channels: int
    format_name: str
    has_video: bool = False


def _require_tool(name: str, path: str | Path, stage: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise AudioError(path, stage, f"{name} is not installed (castline decodes audio with ffmpeg)")
    return tool


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise AudioError(path, "read", "file does not exist")
    if not path.is_file():
        raise AudioError(path, "read", "not a regular file")
    if path.stat().st_size == 0:
        raise AudioError(path, "read", "file is empty (0 bytes)")


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


def probe(path: str | Path) -> AudioInfo:
    """Describe the first audio stream of ``path`` with ffprobe.

    Raises :class:`AudioError` (stage ``read`` or ``probe``) when the file is
    missing, empty, not a media file, or has no audio stream.
    """
    path = Path(path)
    _check_readable(path)
    ffprobe = _require_tool("ffprobe", path, "probe")
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = _last_error_line(result.stderr).replace(f"{path}: ", "")
        raise AudioError(path, "probe", f"not audio: ffprobe cannot read it ({detail})")
    data = json.loads(result.stdout or "{}")
    streams = data.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        raise AudioError(path, "probe", "no audio stream")
    stream = audio[0]
    fmt = data.get("format", {})
    duration = stream.get("duration") or fmt.get("duration")
    return AudioInfo(
        duration=float(duration) if duration not in (None, "N/A") else None,
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
        format_name=str(fmt.get("format_name", "")),
        has_video=any(s.get("codec_type") == "video" for s in streams),
    )


def load_audio(
    path: str | Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    allow_truncated: bool = False,
    allow_silence: bool = False,
) -> np.ndarray:
    """Decode ``path`` to mono float32 samples at ``sample_rate`` (16 kHz).

    The samples are read from ffmpeg straight into one preallocated array, so
    the decoded audio is held once (no bytes copy beside it).

    Raises :class:`AudioError` when the file is empty or not audio (``read`` /
    ``probe``), when ffmpeg fails or decodes noticeably less than the container
    declares (``decode``, "truncated"), and when the whole file is digital
    silence (``speech``, "no speech"), unless ``allow_truncated`` /
    ``allow_silence``.
    """
    path = Path(path)
    info = probe(path)
    ffmpeg = _require_tool("ffmpeg", path, "decode")
    command = [
        ffmpeg, "-nostdin", "-v", "error", "-threads", "0", "-i", str(path),
        "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate),
        "-f", "f32le", "-acodec", "pcm_f32le", "-",
    ]  # fmt: skip
    estimated = int(((info.duration or 60.0) + 1.0) * sample_rate)
    samples = np.empty(estimated, dtype=np.float32)
    filled = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        # stderr is drained after stdout; "-v error" keeps it far below a pipe buffer.
        pending = b""
        while True:
            chunk = process.stdout.read(_READ_CHUNK_BYTES)
            if not chunk:
                break
            chunk = pending + chunk
            usable = len(chunk) - len(chunk) % 4
            pending = chunk[usable:]
            block = np.frombuffer(chunk[:usable], dtype=np.float32)
            if filled + len(block) > len(samples):
                # Only when the container under-declared its duration: grow in place.
                samples.resize(max(len(samples) * 3 // 2, filled + len(block)), refcheck=False)
            samples[filled : filled + len(block)] = block
            filled += len(block)
        stderr = process.stderr.read().decode("utf-8", "replace")
        returncode = process.wait()
    if returncode != 0:
        raise AudioError(path, "decode", f"ffmpeg could not decode it ({_last_error_line(stderr)})")
    samples.resize(filled, refcheck=False)
    if filled == 0:
        raise AudioError(path, "decode", "no audio samples decoded (truncated or corrupt)")
    decoded = filled / sample_rate
    declared = max(info.duration or 0.0, _wav_header_seconds(path) or 0.0)
    if declared and not allow_truncated:
        missing = declared - decoded
        if missing > max(_TRUNCATION_TOLERANCE_S, _TRUNCATION_TOLERANCE_FRACTION * declared):
            raise AudioError(
                path, "decode", f"truncated: decoded {decoded:.1f} s of the {declared:.1f} s declared"
            )
    if not allow_silence:
        peak = float(np.max(np.abs(samples)))
        if peak < _SILENCE_PEAK:
            level = "-inf" if peak == 0 else f"{20 * np.log10(peak):.0f}"
            raise AudioError(path, "speech", f"no speech: the audio is silent (peak {level} dBFS)")
    return samples


def _wav_header_seconds(path: Path) -> float | None:
    """The length a PCM WAV's header declares, or None (not a WAV, not PCM, length left open).

    ffprobe (and libsndfile) take a WAV's length from the file's size, so a
    half-copied WAV reads as a shorter, complete one; its header still says how
    long it was meant to be.
    """
    import wave

    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            handle.seek(0)
            with wave.open(handle) as reader:
                frames, rate = reader.getnframes(), reader.getframerate()
                block = reader.getnchannels() * reader.getsampwidth()
    except (OSError, EOFError, wave.Error):
        return None  # float or extensible WAVs: stdlib wave reads PCM only; ffprobe's figure stands
    # Streamed WAVs (written to a pipe) leave the size at 0 or at its maximum: unknown, not truncated.
    if not rate or frames == 0 or frames * block >= 0xFFFFFFFF - 64:
        return None
    return frames / rate


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (episodes can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_READ_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
