"""Benchmark the audio path against bare whisperX on the same file, in one process.

    .venv/bin/python bench/audio.py                     # 10-minute synthetic interview
    .venv/bin/python bench/audio.py --minutes 60        # an hour (takes a while on CPU)
    .venv/bin/python bench/audio.py --audio episode.mp3

Stages timed: decode, transcribe (whisperX + word times), diarize, assign words,
cut three clips and two previews. The baseline is bare whisperX
(``whisperx.load_audio`` + ``FasterWhisperPipeline.transcribe``) on the same
pipeline object: same model, device, compute type, batch size and VAD; it runs
after castline's path so the RSS column up to there is castline's own. Model
loading and a 20 s warm-up are timed apart from processing. RTF = processing
seconds / audio seconds. Peak RSS comes from ``resource.getrusage`` (the
process high-water mark after each stage).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, help="audio file (default: build a synthetic interview)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the synthetic interview")
    parser.add_argument("--voices", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="castline-bench-"))
    reference = None
    if args.audio is None:
        from concurrent.futures import ProcessPoolExecutor

        from audio_fixtures import build_interview

        clock = time.perf_counter()
        speakers = ("host", "guest", "third")[: args.voices]
        # Built in a child process: its arrays must not count towards this process's peak RSS.
        with ProcessPoolExecutor(max_workers=1) as pool:
            interview = pool.submit(build_interview, work, speakers, minutes=args.minutes, seed=1).result()
        args.audio, reference = interview.path, interview
        print(f"built synthetic interview {interview.duration:.0f} s in {time.perf_counter() - clock:.1f} s")

    from castline.diarize.assign import assign_words
    from castline.diarize.audio import diarize
    from castline.diarize.offline import load_offline_diarizer
    from castline.export.clip_audio import cut_clips
    from castline.model import Episode
    from castline.speech.asr import default_asr_model, load_asr_pipeline, resolve_device, transcribe_array
    from castline.speech.audio import SAMPLE_RATE, load_audio

    model = default_asr_model()
    device, compute_type = resolve_device("auto", None)
    rows: list[tuple[str, float, float]] = []

    def record(name: str, seconds: float) -> None:
        rows.append((name, seconds, peak_rss_mb()))

    # Models, loaded once; the baseline reuses the same cached whisperX pipeline object.
    clock = time.perf_counter()
    import whisperx

    record("import whisperx", time.perf_counter() - clock)
    clock = time.perf_counter()
    load_asr_pipeline(model, device, compute_type, "en", "whisperx")
    record("load ASR + VAD", time.perf_counter() - clock)
    clock = time.perf_counter()
    load_offline_diarizer(device)
    record("load diarizer", time.perf_counter() - clock)

    # Warm-up on 20 s, so neither side pays first-call kernel set-up in its timing.
    warm = load_audio(args.audio)[: 20 * SAMPLE_RATE]
    clock = time.perf_counter()
    transcribe_array(warm, model=model, device=device, compute_type=compute_type, batch_size=args.batch_size)
    diarize(warm)
    record("warm-up (20 s of audio)", time.perf_counter() - clock)
    del warm

    clock = time.perf_counter()
    audio = load_audio(args.audio)
    duration = len(audio) / SAMPLE_RATE
    record("decode (ffmpeg -> float32 16 kHz)", time.perf_counter() - clock)
    clock = time.perf_counter()
    turns, info = transcribe_array(audio, model=model, device=device, compute_type=compute_type,
                                   batch_size=args.batch_size)  # fmt: skip
    record(f"transcribe ({info['word_timing']})", time.perf_counter() - clock)
    clock = time.perf_counter()
    segments = diarize(audio)
    record("diarize", time.perf_counter() - clock)
    clock = time.perf_counter()
    episode = Episode(title="bench", slug="bench", turns=turns, duration=duration, source_format="audio")
    episode = assign_words(episode, segments)
    record("assign words", time.perf_counter() - clock)

    # The text stages castline runs after diarization, as `castline process` does.
    from castline import embed
    from castline.diarize.naming import name_diarized_speakers
    from castline.export import write_outputs
    from castline.pipeline import Settings, process

    if embed.available():
        clock = time.perf_counter()
        embed.load_model()
        record("load MiniLM (once per process)", time.perf_counter() - clock)
    clock = time.perf_counter()
    episode = process(name_diarized_speakers(episode), Settings())
    record("text stages (speakers..highlights)", time.perf_counter() - clock)
    clock = time.perf_counter()
    write_outputs(episode, work / "out")
    record("export (json, md, srt, vtt, html)", time.perf_counter() - clock)
    clock = time.perf_counter()
    cut_clips(episode, args.audio, work)
    record("cut clips + captions", time.perf_counter() - clock)
    del audio

    baseline = None
    if not args.skip_baseline:
        # Bare whisperX on the very same pipeline object (same model, VAD and options).
        bare = load_asr_pipeline(model, device, compute_type, "en", "whisperx")
        clock = time.perf_counter()
        samples = whisperx.load_audio(str(args.audio))
        bare.transcribe(samples, batch_size=args.batch_size, language="en")
        baseline = time.perf_counter() - clock
        record("baseline: bare whisperX (decode + transcribe)", baseline)
        del samples

    print(f"\naudio: {args.audio} ({duration:.0f} s), model {Path(model).name}, {device}/{compute_type}")
    print(f"{'stage':48s} {'seconds':>9s} {'RTF':>7s} {'peak RSS MB':>12s}")
    for name, seconds, rss in rows:
        rtf = f"{seconds / duration:.3f}" if not name.startswith(("import", "load", "warm")) else ""
        print(f"{name:48s} {seconds:9.2f} {rtf:>7s} {rss:12.0f}")
    processing = [s for n, s, _ in rows if not n.startswith(("import", "load", "warm", "baseline"))]
    total = sum(processing)
    ours_peak = max(rss for name, _, rss in rows if not name.startswith("baseline"))
    label = "castline audio path (decode..clips)"
    print(f"{label:48s} {total:9.2f} {total / duration:7.3f} {ours_peak:12.0f}")
    if baseline:
        print(f"ratio castline path / bare whisperX: {total / baseline:.2f}x")
    asr = next(s for n, s, _ in rows if n.startswith("transcribe"))
    core = asr + next(s for n, s, _ in rows if n == "diarize")
    print(f"beyond ASR and diarization: {total - core:.2f} s = {(total - core) / asr:.1%} of the ASR time "
          "(target < 15%)")
    speakers = len({label for *_, label in segments})
    print(f"speakers found: {speakers}; turns: {len(episode.turns)}; words: {episode.spoken_words()}")
    if reference is not None:
        from audio_fixtures import der

        print(f"DER vs synthetic reference: {der(reference.rttm(), segments):.3f}")
    hour_factor = 3600 / duration
    audio_mb = 3600 * SAMPLE_RATE * 4 / 2**20
    extra_mb = audio_mb * max(0.0, 1 - duration / 3600)
    print(
        f"1-hour estimate: {total * hour_factor / 60:.1f} min processing on this machine; "
        f"decoded audio {audio_mb:.0f} MB held once; peak RSS at least {ours_peak + extra_mb:.0f} MB "
        f"(measured peak {ours_peak:.0f} MB + {extra_mb:.0f} MB more audio; run --minutes 60 to measure)"
    )


if __name__ == "__main__":
    main()
