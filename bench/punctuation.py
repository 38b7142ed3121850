"""Held-out figures for the punctuation and casing model (issue 20 part 1).

Run::

    .venv/bin/python bench/punctuation.py --corpus data/corpus            # the test shows
    .venv/bin/python bench/punctuation.py --jsonl tests/fixtures/changelog/test-slice.jsonl

Each dialogue's turns are stripped of punctuation and case and joined into one
stream of words (what unpunctuated, lower-case ASR gives for an episode); the
model puts punctuation after each word and a case on each word, sentence starts
capitalised after its periods and question marks. Scored per word against the
transcript: F1 for comma (``, ; :``), period (``. ! …``) and question mark, and
casing accuracy (the word's written form, letters only, exactly as written).
Baseline: a period at each turn end (the speaker change is known), a capital
after it and on "I", nothing else. Speed: the model on a 20,000-word stream.
``--clean-words N`` also runs the whole clean stage on raw ASR chunks, beside
the clean stage's rules alone (run-on breaks, final periods, sentence case).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.train_punctuation import dialogue_words, f1_scores  # noqa: E402
from castline.clean.punctuation import PunctuationModel, load_punctuation_model  # noqa: E402


def turn_ends(dialogue: dict) -> np.ndarray:
    """1 where a word ends a turn (baseline punctuation)."""
    ends = []
    for turn in dialogue["turns"]:
        n = len(dialogue_words({"turns": [turn]})[0])
        ends += [0] * (n - 1) + [1] if n else []
    return np.array(ends, dtype=bool)


def _case_forms(model: PunctuationModel, words: list[str], punct: list[int], case: list[int]) -> list[str]:
    out, start = [], True
    for word, p, c in zip(words, punct, case, strict=True):
        form = model.cased(word, c)
        if start:
            form = form[:1].upper() + form[1:]
        if word == "i" or word.startswith("i'"):
            form = "I" + form[1:]
        out.append(form)
        start = p in (2, 3)
    return out


def _same_case(form: str, written: str) -> bool:
    return [c for c in form if c.isalpha()] == [c for c in written if c.isalpha()]


def evaluate(dialogues: list[dict], model: PunctuationModel) -> dict:
    true_p, model_p, base_p = [], [], []
    case_ok = base_ok = total = 0
    for dialogue in dialogues:
        words, written, punct, _ = dialogue_words(dialogue)
        if not words:
            continue
        predicted_p, predicted_c = model.predict(words)
        ends = turn_ends(dialogue)
        baseline = [2 if e else 0 for e in ends]
        true_p += punct
        model_p += predicted_p
        base_p += baseline
        forms = _case_forms(model, words, predicted_p, predicted_c)
        base_forms = _case_forms(model, words, baseline, [0] * len(words))
        case_ok += sum(_same_case(f, w) for f, w in zip(forms, written, strict=True))
        base_ok += sum(_same_case(f, w) for f, w in zip(base_forms, written, strict=True))
        total += len(words)
    t = np.array(true_p)
    model_scores = f1_scores(t, np.array(model_p))
    model_scores["case"] = case_ok / max(total, 1)
    base_scores = f1_scores(t, np.array(base_p))
    base_scores["case"] = base_ok / max(total, 1)
    return {"words": total, "dialogues": len(dialogues), "model": model_scores, "baseline": base_scores}


def speed(dialogues: list[dict], model: PunctuationModel, size: int = 20_000) -> float:
    words: list[str] = []
    for dialogue in dialogues:
        words += dialogue_words(dialogue)[0]
        if len(words) >= size:
            break
    words = (words * (size // max(len(words), 1) + 1))[:size]
    model.predict(words[:100])
    t0 = time.perf_counter()
    model.predict(words)
    return time.perf_counter() - t0


def through_clean(dialogues: list[dict], seed: int = 0) -> dict:
    """The clean stage on raw ASR: each turn stripped and cut into 6-30-word chunks, labelled by speaker.

    Scored on the words the stage keeps (aligned with difflib), with the model
    and with the rules alone (``CASTLINE_PUNCTUATION_MODEL`` pointed at nothing).
    """
    import difflib
    import os
    import random

    from castline.clean import clean_episode
    from castline.clean.punctuation import case_label, punctuation_label
    from castline.clean.units import tokenize
    from castline.model import Episode, Turn

    rng = random.Random(seed)
    episodes, truths = [], []
    for dialogue in dialogues:
        turns, truth = [], []
        for number, turn in enumerate(dialogue["turns"]):
            words, written, punct, _ = dialogue_words({"turns": [turn]})
            while words:
                size = rng.randint(6, 30)
                chunk = " ".join(words[:size])
                turns.append(Turn(f"S{number % 2}", 0.0, 1.0, chunk, chunk))
                truth.append(list(zip(words[:size], written[:size], punct[:size], strict=True)))
                words, written, punct = words[size:], written[size:], punct[size:]
        episodes.append(turns)
        truths.append(truth)
    results = {}
    for name, weights in (("model", None), ("rules", "/nonexistent/punctuation_model.npz")):
        saved = os.environ.get("CASTLINE_PUNCTUATION_MODEL")
        if weights:
            os.environ["CASTLINE_PUNCTUATION_MODEL"] = weights
        true_p, pred_p, case_ok, total, seconds = [], [], 0, 0, 0.0
        try:
            for turns, truth in zip(episodes, truths, strict=True):
                episode = Episode(title="t", slug="t", turns=[Turn(t.speaker, 0, 1, t.verbatim, t.verbatim)
                                                             for t in turns])
                t0 = time.perf_counter()
                clean_episode(episode)
                seconds += time.perf_counter() - t0
                for turn, words in zip(episode.turns, truth, strict=True):
                    out = [u for u in tokenize(turn.text) if u.core]
                    matcher = difflib.SequenceMatcher(
                        a=[w for w, _, _ in words], b=[u.lower for u in out], autojunk=False
                    )
                    for block in matcher.get_matching_blocks():
                        for k in range(block.size):
                            _, form, label = words[block.a + k]
                            unit = out[block.b + k]
                            true_p.append(label)
                            pred_p.append(punctuation_label(unit.trail))
                            case_ok += case_label(unit.core) == case_label(form) and (
                                case_label(form) != 3 or unit.core == form
                            )
                            total += 1
        finally:
            if weights:
                if saved is None:
                    os.environ.pop("CASTLINE_PUNCTUATION_MODEL", None)
                else:
                    os.environ["CASTLINE_PUNCTUATION_MODEL"] = saved
        scores = f1_scores(np.array(true_p), np.array(pred_p))
        scores["case"] = case_ok / max(total, 1)
        scores["words"] = total
        scores["seconds"] = seconds
        results[name] = scores
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--jsonl", type=Path, help="score these dialogues instead of the corpus test shows")
    p.add_argument("--weights", type=Path, default=None)
    p.add_argument("--max-words", type=int, default=1_000_000, help="stop after this many test words")
    p.add_argument("--clean-words", type=int, default=0,
                   help="also score the whole clean stage on this many words cut into raw ASR chunks")
    args = p.parse_args(argv)
    model = load_punctuation_model(args.weights)
    if model is None:
        raise SystemExit("no weights: run bench/train_punctuation.py")
    path = args.jsonl or args.corpus / "test.jsonl"
    dialogues, count = [], 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            dialogue = json.loads(line)
            dialogues.append(dialogue)
            count += sum(len(t["text"].split()) for t in dialogue["turns"])
            if count >= args.max_words:
                break
    shows = sorted({d.get("show", "?") for d in dialogues})
    result = evaluate(dialogues, model)
    result["seconds_per_20k_words"] = round(speed(dialogues, model), 3)
    print(f"{path.name}: {result['words']} words, {result['dialogues']} dialogues, shows {', '.join(shows)}")
    print(f"model meta: {model.meta}")
    print(f"{'':10s} {'period':>8s} {'question':>8s} {'comma':>8s} {'casing':>8s}")
    for name in ("model", "baseline"):
        s = result[name]
        print(f"{name:10s} {s['period']:8.3f} {s['question']:8.3f} {s['comma']:8.3f} {s['case']:8.3f}")
    print(f"speed: {result['seconds_per_20k_words']:.3f} s for 20,000 words (numpy, after loading)")
    if args.clean_words:
        subset, count = [], 0
        for dialogue in dialogues:
            subset.append(dialogue)
            count += sum(len(t["text"].split()) for t in dialogue["turns"])
            if count >= args.clean_words:
                break
        stage = through_clean(subset)
        print(f"through the clean stage (raw ASR chunks of 6-30 words, {len(subset)} dialogues):")
        for name in ("model", "rules"):
            s = stage[name]
            print(f"{name:10s} {s['period']:8.3f} {s['question']:8.3f} {s['comma']:8.3f} {s['case']:8.3f}"
                  f"   ({s['words']} kept words scored, {s['seconds']:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
