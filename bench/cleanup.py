"""Cleanup benchmark: inject disfluencies into edited prose, clean, compare with the original.

Run: ``.venv/bin/python bench/cleanup.py [--seeds 3] [--strength 1.0] [--restarts 1.0]``
or, on human transcripts of the corpus (bench/CORPUS.md; tune on ``validation``,
report on ``test``)::

    .venv/bin/python bench/cleanup.py --corpus data/corpus --split test --episodes 12 --restarts 1

Texts: the episode essays of ``seeds/interconnects-show-page.txt`` and the prose
of ``seeds/producer-notebook.labelled.txt``. For each text and random seed the
injector (``castline.clean.evaluate``) adds fillers, discourse markers, hedges,
stutters, false starts and tag questions, cuts ~45-word ASR chunks and strips
one chunk of case and punctuation; ``clean_episode`` then edits it. Reported:
WER of the noisy input and of the cleaned output against the original (plain
words, and cased tokens with punctuation), the share of the injected error
removed, content words kept, and WER from cleaning the untouched original
(edits that were not needed). Targets: >= 70 % error removed, >= 99.5 % content kept.
``--restarts R`` also puts in restarts across a dash ("we -- we built", "So the
-- we built") and repeated question words ("so what, what I mean"), at rate R.
Corpus references are the first ``--words`` words of each dialogue, its turns
joined (the speakers' own kept repetitions stay in the reference).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collections import Counter  # noqa: E402

from castline.clean.evaluate import (  # noqa: E402
    labelled_prose,
    score_cleanup,
    show_page_texts,
)


def load_texts() -> list[tuple[str, str]]:
    """(name, text) pairs from the seeds."""
    seeds = ROOT / "seeds"
    texts = []
    for i, text in enumerate(show_page_texts((seeds / "interconnects-show-page.txt").read_text())):
        texts.append((f"interconnects-{i + 1}", text))
    notebook = (seeds / "producer-notebook.labelled.txt").read_text()
    for i, text in enumerate(labelled_prose(notebook)):
        texts.append((f"notebook-{i + 1}", text))
    return texts


def corpus_texts(corpus: Path, split: str, episodes: int, words: int) -> list[tuple[str, str]]:
    """(name, text) of the first ``episodes`` dialogues of a corpus split, spread over its shows."""
    import json

    by_show: dict[str, list[dict]] = {}
    with (corpus / f"{split}.jsonl").open() as handle:
        for line in handle:
            dialogue = json.loads(line)
            by_show.setdefault(dialogue["show"], []).append(dialogue)
    texts: list[tuple[str, str]] = []
    while len(texts) < episodes and any(by_show.values()):
        for dialogues in by_show.values():
            if dialogues and len(texts) < episodes:
                dialogue = dialogues.pop(0)
                text = " ".join(" ".join(t["text"] for t in dialogue["turns"]).split()[:words])
                texts.append((dialogue["episode"][:17], text))
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random seeds per text")
    parser.add_argument("--strength", type=float, default=1.0, help="scale injection rates")
    parser.add_argument("--restarts", type=float, default=0.0, help="rate of dash restarts and wh-repeats")
    parser.add_argument("--corpus", type=Path, help="corpus folder (data/corpus): texts from it")
    parser.add_argument("--split", default="validation", choices=("train", "validation", "test"))
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--words", type=int, default=1500)
    args = parser.parse_args()
    texts = (
        corpus_texts(args.corpus, args.split, args.episodes, args.words) if args.corpus else load_texts()
    )

    header = (
        f"{'text':<18}{'words':>7}{'WER in':>8}{'WER out':>9}{'removed':>9}"
        f"{'cWER in':>9}{'cWER out':>10}{'c-removed':>11}{'content':>9}{'untouched':>11}"
    )
    print(header)
    print("-" * len(header))
    totals = {"words": 0, "in": 0.0, "out": 0.0, "cin": 0.0, "cout": 0.0, "kept": 0.0, "u": 0.0}
    injected: Counter[str] = Counter()
    started = time.perf_counter()
    for name, text in texts:
        for seed in range(args.seeds):
            s = score_cleanup(text, seed=seed, strength=args.strength, restarts=args.restarts)
            w = s.words
            injected += s.injected
            totals["words"] += w
            totals["in"] += s.wer_noisy * w
            totals["out"] += s.wer_clean * w
            totals["cin"] += s.wer_cased_noisy * w
            totals["cout"] += s.wer_cased_clean * w
            totals["kept"] += s.content_kept * w
            totals["u"] += s.wer_untouched * w
            print(
                f"{name + '/' + str(seed):<18}{w:>7}{s.wer_noisy:>8.3f}{s.wer_clean:>9.3f}"
                f"{s.error_removed:>9.1%}{s.wer_cased_noisy:>9.3f}{s.wer_cased_clean:>10.3f}"
                f"{s.cased_error_removed:>11.1%}{s.content_kept:>9.2%}{s.wer_untouched:>11.3f}"
            )
    w = totals["words"]
    wer_in, wer_out = totals["in"] / w, totals["out"] / w
    cin, cout = totals["cin"] / w, totals["cout"] / w
    kept = totals["kept"] / w
    print("-" * len(header))
    print(
        f"{'ALL (word-weighted)':<18}{w:>7}{wer_in:>8.3f}{wer_out:>9.3f}{1 - wer_out / wer_in:>9.1%}"
        f"{cin:>9.3f}{cout:>10.3f}{1 - cout / cin:>11.1%}{kept:>9.2%}{totals['u'] / w:>11.3f}"
    )
    print("injected: " + ", ".join(f"{kind} {count}" for kind, count in injected.most_common()))
    print(f"\n{time.perf_counter() - started:.1f} s; targets: removed >= 70%, content >= 99.5%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
