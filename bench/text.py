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

    .venv/bin/python bench/text.py                       # the MLST seed
    .venv/bin/python bench/text.py --seed producer-notebook.labelled.txt
    .venv/bin/python bench/text.py --profile 25          # plus the top 25 functions by cumulative time
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
    args = parser.parse_args(argv)
    os.environ.setdefault("CASTLINE_SHOWS", str(ROOT / "shows"))

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

    from castline.sentence_units import sentence_units

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


if __name__ == "__main__":
    raise SystemExit(main())
