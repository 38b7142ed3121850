"""WER and real-time factor of the packaged Whisper models, side by side in one process.

    .venv/bin/python bench/asr_models.py                       # base and tiny.en, all sets
    .venv/bin/python bench/asr_models.py --models base --sets sample german
    .venv/bin/python bench/asr_models.py --minutes 3 --threads 2

Sets: ``sample`` (the pyannote.audio sample, 30 s, two people on a phone line,
reference words from its STM), ``interview`` (a synthetic espeak-ng interview of
``--minutes`` from the MLST seed's sentences; reference = its turns' text),
``german`` and ``spanish`` (a few sentences spoken by espeak-ng's ``de`` / ``es``
voices; reference = the sentences). Each model transcribes every set through
``castline.speech.asr.transcribe_array`` with ``language=None``, so a
multilingual model detects the language and that cost is counted.

Columns: WER (jiwer, lower-cased, punctuation removed), the language found,
wall RTF (seconds of transcription, language detection and word times per
second of audio) and CPU RTF (process CPU seconds per audio second divided by
the CTranslate2 threads: the wall RTF the run would have had on otherwise idle
cores, which is what to read on a shared machine). Model loading is timed
apart, after a 5 s warm-up transcription (from the middle of the first set) that is not counted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

#: Plain sentences for espeak-ng's German and Spanish voices (written for this benchmark).
SENTENCES = {
    "german": (
        "de",
        "Guten Morgen und herzlich willkommen zu unserer neuen Folge. "
        "Heute sprechen wir über das Wetter in Berlin und über die Bahn. "
        "Mein Gast ist seit vielen Jahren Lehrerin an einer Schule in Hamburg. "
        "Sie erzählt uns, warum sie jeden Morgen mit dem Fahrrad zur Arbeit fährt. "
        "Wir reden auch über Bücher, Musik und das Leben auf dem Land. "
        "Vielen Dank, dass Sie heute dabei sind.",
    ),
    "spanish": (
        "es",
        "Buenos días y bienvenidos a un nuevo episodio de nuestro programa. "
        "Hoy hablamos con una médica que trabaja en un hospital de Madrid. "
        "Nos cuenta por qué le gusta caminar por la ciudad cada mañana. "
        "También hablamos de libros, de música y de la vida en el campo. "
        "Muchas gracias por escucharnos una semana más.",
    ),
}


def normalise(text: str) -> str:
    """Lower-cased words without punctuation, for WER."""
    import jiwer

    transform = jiwer.Compose(
        [jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()]
    )
    return transform(text)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after :func:`normalise`."""
    import jiwer

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def spoken(language: str, text: str, out_dir: Path):
    """``text`` spoken by espeak-ng's ``language`` voice: 16 kHz float samples with 0.5 s of silence around."""
    import numpy as np
    from audio_fixtures import _render

    samples = _render(text, (language, 50, 150), out_dir / f"_{language}.wav") / 32768.0
    pad = np.zeros(8000, dtype=np.float32)
    rng = np.random.default_rng(0)
    audio = np.concatenate([pad, samples.astype(np.float32), pad])
    return (audio + rng.normal(0.0, 20 / 32768, len(audio))).astype(np.float32)


def build_sets(names: list[str], minutes: float, work: Path) -> dict[str, tuple]:
    """``{set: (16 kHz samples, reference text)}``."""
    from audio_fixtures import build_interview, reference_words, sample_files

    from castline.speech.audio import load_audio

    sets = {}
    for name in names:
        if name == "sample":
            files = sample_files()
            sets[name] = (load_audio(files["wav"]), reference_words(files["stm"]))
        elif name == "interview":
            interview = build_interview(work, ("host", "guest"), minutes=minutes, seed=3)
            sets[name] = (load_audio(interview.path), " ".join(text for *_, text in interview.turns))
        else:
            language, text = SENTENCES[name]
            sets[name] = (spoken(language, text, work), text)
    return sets


def main() -> None:
    """Run every model on every set and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--sets", nargs="+", default=["sample", "interview", "german"],
                        choices=["sample", "interview", "german", "spanish"])
    parser.add_argument("--minutes", type=float, default=1.5, help="length of the synthetic interview")
    parser.add_argument("--threads", type=int, help="CTranslate2 threads (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        os.environ["CASTLINE_ASR_THREADS"] = str(args.threads)

    from castline.speech.asr import (
        _threads,
        load_asr_pipeline,
        resolve_asr_model,
        resolve_device,
        transcribe_array,
    )
    from castline.speech.audio import SAMPLE_RATE

    threads = _threads()
    work = Path(tempfile.mkdtemp(prefix="castline-asr-bench-"))
    clock = time.perf_counter()
    sets = build_sets(args.sets, args.minutes, work)
    print(f"sets built in {time.perf_counter() - clock:.1f} s: "
          + ", ".join(f"{name} {len(audio) / SAMPLE_RATE:.1f} s" for name, (audio, _) in sets.items()))
    print(f"{threads} CTranslate2 threads, {os.cpu_count()} cores; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    device, compute_type = resolve_device("auto")
    rows = []
    texts: dict[tuple[str, str], str] = {}
    for name in args.models:
        clock = time.perf_counter()
        folder = resolve_asr_model(name)
        load_asr_pipeline(folder, device, compute_type, None, "whisperx")
        load = time.perf_counter() - clock
        first = next(iter(sets.values()))[0]
        warm = first[len(first) // 2 :][: 5 * SAMPLE_RATE]  # the middle: speech, not a silent lead-in
        transcribe_array(warm, model=folder, language=None)
        for set_name, (audio, reference) in sets.items():
            seconds = len(audio) / SAMPLE_RATE
            wall, cpu = time.perf_counter(), time.process_time()
            turns, info = transcribe_array(audio, model=folder, language=None)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            hypothesis = " ".join(turn.verbatim for turn in turns)
            texts[name, set_name] = hypothesis
            rows.append((name, set_name, wer(reference, hypothesis), info["language"],
                         info["language_probability"], wall / seconds, cpu / seconds / threads, load))
            print(f"  {name} {set_name}: {hypothesis[:100]!r}", flush=True)
    print()
    print(f"{'model':8} {'set':10} {'WER':>6} {'lang':>5} {'p':>5} {'RTF wall':>9} {'RTF cpu':>8} {'load s':>7}")
    for model, set_name, error, language, probability, rtf_wall, rtf_cpu, load in rows:
        p = "-" if probability is None else f"{probability:.2f}"
        print(f"{model:8} {set_name:10} {error:6.3f} {language:>5} {p:>5} {rtf_wall:9.3f} {rtf_cpu:8.3f} {load:7.1f}")
    english: dict[str, tuple[list[str], list[str]]] = {}
    for model, set_name, *_ in rows:
        if set_name in ("sample", "interview"):
            references, hypotheses = english.setdefault(model, ([], []))
            references.append(normalise(sets[set_name][1]))
            hypotheses.append(normalise(texts[model, set_name]))
    if english:
        print()
    for model, (references, hypotheses) in english.items():
        import jiwer

        # pooled: all English words together, so the longer set weighs more
        print(f"English WER {model} (pooled over {len(references)} sets): {jiwer.wer(references, hypotheses):.3f}")

if __name__ == "__main__":
    main()
