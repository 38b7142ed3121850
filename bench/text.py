"""Speed of the text path against the floor of embedding the episode's sentences once.

Runs what ``castline process`` does for a text seed (ingest, every stage of
:func:`castline.pipeline.process` with the seed's options from
``seeds/manifest.yaml``, and :func:`castline.export.write_outputs` into a
temporary folder), then times one MiniLM pass over the episode's sentences with
the same model. The model is loaded before either timing, so its load time
(about 6 s) counts in neither; everything else (imports of scikit-learn, YAKE,
pysbd, ...) counts in the pipeline time, as it would in a fresh ``castline
process``.

Usage::

    .venv/bin/python bench/text.py                       # the MLST seed, median of 3 runs
    .venv/bin/python bench/text.py --runs 1 --seed producer-notebook.labelled.txt
    .venv/bin/python bench/text.py --runs 1 --profile 25  # plus the top 25 functions by cumulative time

Each run is a fresh Python process, so every run pays the same imports a fresh
``castline process`` would; on a shared machine single runs scatter by a tenth
or more, so the median ratio is the figure to quote.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["TARGET_RATIO", "main", "run_pipeline", "time_floor"]

#: The text path should cost at most this many times the embedding floor.
TARGET_RATIO = 1.5


def _manifest_entry(seed: str) -> dict:
    import yaml

    manifest = yaml.safe_load((ROOT / "seeds" / "manifest.yaml").read_text(encoding="utf-8"))
    return next(e for e in manifest if e["input"] == seed)


def run_pipeline(seed: str, out_dir: Path) -> tuple[list, dict[str, float]]:
    """Ingest ``seed``, run every stage and write the outputs; return episodes and stage times."""
    from castline.pipeline import fewer_gc_pauses

    with fewer_gc_pauses():  # as the process-episode flow runs
        return _run_stages(seed, out_dir)


def _run_stages(seed: str, out_dir: Path) -> tuple[list, dict[str, float]]:
    from castline.export import write_outputs
    from castline.ingest import read_episodes
    from castline.pipeline import STAGES, build_settings, run_stage

    entry = _manifest_entry(seed)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    settings = build_settings(speakers=entry.get("speakers", ""), title=entry.get("title"), show=entry.get("show"))
    episodes = read_episodes(ROOT / "seeds" / seed, title=entry.get("title"))
    times["ingest"] = time.perf_counter() - t0
    done = []
    for k, episode in enumerate(episodes):
        for name in STAGES:
            t = time.perf_counter()
            episode = run_stage(name, episode, settings)
            times[name] = times.get(name, 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        write_outputs(episode, out_dir / f"{k:02d}-{episode.slug}")
        times["export"] = times.get("export", 0.0) + time.perf_counter() - t
        done.append(episode)
    return done, times


def _seed_sentences(seed: str) -> list[str]:
    """The seed's sentences as the pipeline will see them after cleaning: the
    cleaned MLST text is not at hand before the run, so split the ingested turns."""
    from castline.ingest import read_episodes
    from castline.text import sentences

    entry = _manifest_entry(seed)
    out = []
    for episode in read_episodes(ROOT / "seeds" / seed, title=entry.get("title")):
        for turn in episode.turns:
            out += [s.text for s in sentences(turn.text)]
    return out


def time_floor(sentences: Sequence[str]) -> float:
    """Seconds to embed ``sentences`` once with the loaded MiniLM model."""
    from castline import embed

    t = time.perf_counter()
    embed.embed(list(sentences))
    return time.perf_counter() - t


def main(argv: Sequence[str] | None = None) -> int:
    """Time the pipeline and the embedding floor; print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="mlst-eiso-kant.raw.txt")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the top N functions")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to run; the median ratio is reported")
    args = parser.parse_args(argv)
    os.environ.setdefault("CASTLINE_SHOWS", str(ROOT / "shows"))
    if args.runs > 1 and not args.profile:
        return _median_of_runs(args.seed, args.runs)

    from castline import embed

    if not embed.available():
        print("MiniLM is not installed (castline[audio]): no floor to compare against.")
        return 1
    t = time.perf_counter()
    embed.load_model()
    embed.embed(["warm-up sentence."])  # first call allocates; not part of either timing
    print(f"model load (excluded from both timings): {time.perf_counter() - t:.2f} s")

    # The floor's sentences: the seed's own sentences, read and split the way the
    # pipeline will (one pass here, outside both timings).
    floor_sentences = _seed_sentences(args.seed)
    # Timing the floor on both sides of the pipeline evens out a busy machine.
    floors = [time_floor(floor_sentences)]

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        episodes, stage_times = run_pipeline(args.seed, Path(tmp))
        pipeline_s = time.perf_counter() - t
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)

    from castline.segment.sentence_units import sentence_units

    processed = [u.text for ep in episodes for u in sentence_units(ep)]
    floors.append(time_floor(floor_sentences))
    floor_s = sum(floors) / len(floors)
    ratio = pipeline_s / floor_s if floor_s else float("inf")
    print(f"seed: {args.seed} ({len(episodes)} episode(s); {len(floor_sentences)} sentences in the floor, "
          f"{len(processed)} after the pipeline's speaker regrouping and cleaning)")
    print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stage_times.items()))
    print(f"pipeline (ingest + process + write_outputs): {pipeline_s:.2f} s")
    print(f"floor (MiniLM over every sentence once):     {floor_s:.2f} s "
          f"(mean of {', '.join(f'{f:.2f}' for f in floors)} s, before and after the pipeline)")
    verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
    print(f"ratio: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0


def _median_of_runs(seed: str, runs: int) -> int:
    """Run this bench ``runs`` times, each in a fresh process; print every run and the median."""
    import re
    import statistics
    import subprocess

    ratios, pipelines, floors = [], [], []
    for k in range(1, runs + 1):
        done = subprocess.run(
            [sys.executable, __file__, "--runs", "1", "--seed", seed],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            print(done.stdout + done.stderr)
            return done.returncode
        if k == 1:
            print("\n".join(line for line in done.stdout.splitlines() if line.startswith(("seed:", "stages:"))))
        pipeline = float(re.search(r"^pipeline .*?: ([\d.]+) s", done.stdout, re.M).group(1))
        floor = float(re.search(r"^floor .*?: +([\d.]+) s", done.stdout, re.M).group(1))
        ratio = float(re.search(r"^ratio: ([\d.]+)x", done.stdout, re.M).group(1))
        pipelines.append(pipeline)
        floors.append(floor)
        ratios.append(ratio)
        print(f"run {k}: pipeline {pipeline:.2f} s, floor {floor:.2f} s, ratio {ratio:.2f}x")
    ratio = statistics.median(ratios)
    verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
    print(f"median of {runs} runs: pipeline {statistics.median(pipelines):.2f} s, "
          f"floor {statistics.median(floors):.2f} s")
    print(f"ratio: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
