"""Sentence splits (issue 20 part 2): run-ons split where the transcript's editor ended sentences.

Run::

    .venv/bin/python bench/sentences.py --corpus data/corpus --split test --turns 400

Each turn of more than 45 words with two or more sentences in the corpus's
human transcripts has its inner sentence ends taken out (the mark goes, the next
word is lower-cased unless it is "I" or a name), which leaves the kind of run-on
ASR gives; the clean stage then edits the turn. Scored per word: a sentence end
after it in the output against one in the transcript (F1, precision, recall;
"?" scored alone too), the turn's last word left out. Beside it, the share of
output sentences over 45 words.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.clean import clean_turn  # noqa: E402
from castline.clean.units import ends_sentence, tokenize  # noqa: E402
from castline.clean.words import is_common_word  # noqa: E402
from castline.model import Turn  # noqa: E402

_END = re.compile(r"[.?!]+([\"'”’)]*)$")


def run_on(text: str) -> tuple[str, list[str]] | None:
    """``text`` with its inner sentence ends taken out, and the mark each word had ("", ".", "?")."""
    tokens = text.split()
    if len(tokens) <= 45:
        return None
    marks, out = [], []
    for i, token in enumerate(tokens):
        match = _END.search(token)
        mark = ""
        if match and i < len(tokens) - 1 and token.rstrip("\"'”’)")[:-1][-1:].isalpha():
            mark = "?" if "?" in token else "."
            token = token[: match.start()] + match.group(1)
        marks.append(mark)
        if i and marks[i - 1]:
            core = token.strip("\"'“‘(")
            if core[:1].isupper() and core != "I" and not core.startswith("I'") and is_common_word(core):
                token = token.replace(core[0], core[0].lower(), 1)
        out.append(token)
    if sum(1 for m in marks if m) < 1:
        return None
    return " ".join(out), marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data/corpus")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args(argv)

    counts = {"tp": 0, "fp": 0, "fn": 0, "qtp": 0, "qfp": 0, "qfn": 0}
    long_out = sentences = turns = 0
    started = time.perf_counter()
    with (args.corpus / f"{args.split}.jsonl").open() as handle:
        for line in handle:
            if turns >= args.turns:
                break
            for turn in json.loads(line)["turns"]:
                made = run_on(" ".join(turn["text"].split()))
                if made is None or turns >= args.turns:
                    continue
                text, marks = made
                turns += 1
                units = tokenize(text)
                clean_turn(Turn(None, 0.0, 60.0, text, text), 0, units=units)
                length = 0
                for i, unit in enumerate(units):
                    if unit.deleted is not None:
                        continue
                    length += 1
                    end = ends_sentence(unit)
                    if end or i == len(units) - 1:
                        sentences += 1
                        long_out += length > 45
                        length = 0
                    if i == len(units) - 1:
                        continue
                    said = unit.out_trail.rstrip("\"'”’)]}*")[-1:] if end else ""
                    truth = marks[i]
                    counts["tp"] += bool(end and truth)
                    counts["fp"] += bool(end and not truth)
                    counts["fn"] += bool(truth and not end)
                    counts["qtp"] += said == "?" and truth == "?"
                    counts["qfp"] += said == "?" and truth != "?"
                    counts["qfn"] += truth == "?" and said != "?"

    def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0

    p, r, f = f1(counts["tp"], counts["fp"], counts["fn"])
    qp, qr, qf = f1(counts["qtp"], counts["qfp"], counts["qfn"])
    print(f"{args.split} shows, {turns} run-on turns ({time.perf_counter() - started:.1f} s)")
    print(f"sentence ends: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    print(f"question marks: precision {qp:.3f} recall {qr:.3f} F1 {qf:.3f}")
    print(f"output sentences over 45 words: {long_out} of {sentences}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
