"""Learning curve of the turn model: 1 %, 10 % and 100 % of the training shows' episodes.

Run (after ``bench/changelog_corpus.py`` wrote ``data/corpus``)::

    .venv/bin/python bench/learning_curve.py [--per-show 10]

For each share it trains a model with ``bench/train_turn_model.py`` (same
seed and settings; 100 % is the shipped model), gives it the shipped decoder
settings, and scores it on the test shows without a hint, as
``bench/speakers_corpus.py`` does. Prints one row per share beside the
majority-speaker baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _speakers_corpus():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_speakers_corpus", ROOT / "bench" / "speakers_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _with_decoder(model: Path, shipped: Path) -> None:
    with np.load(shipped, allow_pickle=False) as data:
        decoder = data["meta_decoder"]
    with np.load(model, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["meta_decoder"] = decoder
    np.savez_compressed(model, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--per-show", type=int, default=10)
    args = parser.parse_args()
    from castline.diarize.turn_model import weights_path

    shipped = weights_path()
    python = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fraction, epochs in ((0.01, 8), (0.1, 4), (1.0, 0)):
            model = shipped
            if fraction < 1.0:
                model = Path(tmp) / f"model-{fraction}.npz"
                subprocess.run([python, str(ROOT / "bench" / "train_turn_model.py"), "--corpus", str(args.corpus),
                                "--fraction", str(fraction), "--epochs", str(epochs), "--out", str(model),
                                "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
                _with_decoder(model, shipped)
            out = Path(tmp) / f"rows-{fraction}.json"
            env = dict(os.environ, CASTLINE_TURN_MODEL=str(model))
            subprocess.run([python, str(ROOT / "bench" / "speakers_corpus.py"), "--corpus", str(args.corpus),
                            "--per-show", str(args.per_show), "--json", str(out)], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            rows.append((fraction, json.loads(out.read_text())["turn model"]))
    corpus_bench = _speakers_corpus()
    print(f"{'share of training':<18} {'episodes':>8} {'word acc':>8} {'majority':>8} {'chg F1':>7} {'count err':>9}")
    for fraction, result in rows:
        s = corpus_bench.summarise(result)
        print(f"{fraction:>17.0%} {round(fraction * 1319):>8} {s['acc']:>8.3f} {s['base_acc']:>8.3f} "
              f"{s['f1']:>7.3f} {s['count_err']:>9.2f}")


if __name__ == "__main__":
    main()
