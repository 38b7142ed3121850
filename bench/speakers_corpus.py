"""Speaker attribution on real conversations of shows never trained on; tunes the decoder.

Run (after ``bench/changelog_corpus.py`` wrote ``data/corpus``)::

    .venv/bin/python bench/speakers_corpus.py                 # test shows, new model beside baselines
    .venv/bin/python bench/speakers_corpus.py --old-commit 3215894   # also the cue model it replaced
    .venv/bin/python bench/speakers_corpus.py --tune          # pick decoder settings on the validation show

Each dialogue is stripped of its labels and re-wrapped into ~45-word ASR-like
lines that ignore turn boundaries (as ``bench/speakers.py`` does), attributed
with :func:`castline.diarize.attribute_speakers` (no hint: the number of
speakers is estimated; ``--hint``: names, roles and count given), and scored
per word: mapped word accuracy, role accuracy, change F1 (±10 words) and the
speaker-count error against the speakers who say at least 2 % of the words.
Rows are per style (``bench/changelog_corpus.py``: interview, co-hosts, panel,
rapid, monologue) and overall, each beside the majority-speaker baseline.
A reliability table shows how often turns are right at each confidence.

``--tune`` runs the turn model once per validation episode and searches the
decoder settings (:class:`castline.diarize.turn_decoder.DecoderSettings`) for
the best mean of word accuracy and change F1, fits the confidence
temperature, and stores them in the weights file (``meta_decoder``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TREE = Path(os.environ.get("CASTLINE_BENCH_TREE", ROOT))
sys.path.insert(0, str(TREE))

from castline.diarize.evaluate import (  # noqa: E402
    change_f1,
    majority_baseline,
    role_accuracy,
    speaker_mapping,
    word_accuracy,
)
from castline.model import Speaker  # noqa: E402

STYLES = ("interview", "co-hosts", "panel", "rapid", "monologue")


def _bench_speakers():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_speakers_mod", ROOT / "bench" / "speakers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(split: str, corpus: Path) -> list[dict]:
    with open(corpus / f"{split}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def sample(dialogues: list[dict], per_show: int, seed: int = 0, max_words: int = 15000) -> list[dict]:
    """Up to ``per_show`` dialogues of each show, fixed seed, at most ``max_words`` words each."""
    rng = random.Random(seed)
    by_show = defaultdict(list)
    for d in dialogues:
        if sum(len(t["text"].split()) for t in d["turns"]) <= max_words:
            by_show[d["show"]].append(d)
    out = []
    for show in sorted(by_show):
        items = by_show[show]
        out += rng.sample(items, min(per_show, len(items)))
    return out


def true_count(ref: list[str], share: float = 0.02) -> int:
    counts = defaultdict(int)
    for r in ref:
        counts[r] += 1
    return sum(1 for c in counts.values() if c >= share * len(ref))


def turn_reliability(ref: list[str], hyp: list[str], episode) -> list[tuple[float, bool]]:
    """``(confidence, right)`` per hypothesis turn (right: most of its words mapped correctly)."""
    mapping = speaker_mapping(ref, hyp)
    out = []
    i = 0
    for turn in episode.turns:
        n = len(turn.verbatim.split())
        refs = ref[i : i + n]
        good = sum(1 for r in refs if mapping.get(str(turn.speaker)) == r)
        if n and turn.confidence is not None:
            out.append((float(turn.confidence), good * 2 > n))
        i += n
    return out


def evaluate_dialogue(d: dict, *, hint: bool) -> dict:
    """Attribute one corpus dialogue from text alone and score it."""
    from castline.diarize import attribute_speakers  # this tree's, or an older one's (--old-commit)
    from castline.diarize.evaluate import episode_word_labels

    bench = _bench_speakers()
    episode, ref, ref_roles = bench.asr_episode(d)
    speakers = [Speaker(f"S{i + 1}", s["name"], s["role"]) for i, s in enumerate(d["speakers"])] if hint else None
    t0 = time.perf_counter()
    attribute_speakers(episode, speakers=speakers)
    seconds = time.perf_counter() - t0
    hyp, hyp_roles = episode_word_labels(episode)
    hyp = [str(h) for h in hyp]
    base = majority_baseline(ref, ref_roles)
    f1 = change_f1(ref, hyp)
    return {
        "name": d["name"], "show": d["show"], "style": d["style"], "words": len(ref),
        "acc": word_accuracy(ref, hyp), "base_acc": base["word_accuracy"],
        "role": role_accuracy(ref_roles, hyp_roles), "base_role": base["role_accuracy"],
        "f1_matched": f1.matched, "f1_ref": f1.reference, "f1_hyp": f1.hypothesis,
        "speakers": true_count(ref), "found": len(set(hyp)), "seconds": seconds,
        "reliability": turn_reliability(ref, hyp, episode),
    }


def summarise(rows: list[dict]) -> dict:
    words = sum(r["words"] for r in rows)
    matched = sum(r["f1_matched"] for r in rows)
    p = matched / max(sum(r["f1_hyp"] for r in rows), 1)
    rec = matched / max(sum(r["f1_ref"] for r in rows), 1)
    return {
        "n": len(rows),
        "acc": sum(r["acc"] * r["words"] for r in rows) / words,
        "base_acc": sum(r["base_acc"] * r["words"] for r in rows) / words,
        "role": sum(r["role"] * r["words"] for r in rows) / words,
        "base_role": sum(r["base_role"] * r["words"] for r in rows) / words,
        "f1": 2 * p * rec / (p + rec) if p + rec else 0.0,
        "count_err": float(np.mean([abs(r["found"] - r["speakers"]) for r in rows])),
        "base_count_err": float(np.mean([abs(1 - r["speakers"]) for r in rows])),
    }


def print_table(title: str, groups: dict[str, dict[str, list[dict]]]) -> None:
    """One row per style and system: accuracy, role, change F1, count error."""
    print(f"\n{title}")
    print(f"{'style':<10} {'system':<12} {'n':>3} {'word acc':>8} {'role acc':>8} {'chg F1':>7} {'count err':>9}")
    systems = list(groups)
    for style in (*STYLES, "ALL"):
        first = True
        for system in systems:
            rows = [r for r in groups[system].get("rows", []) if style == "ALL" or r["style"] == style]
            if not rows:
                continue
            s = summarise(rows)
            if first:
                print(f"{style:<10} {'majority':<12} {s['n']:>3} {s['base_acc']:>8.3f} {s['base_role']:>8.3f} "
                      f"{0.0:>7.3f} {s['base_count_err']:>9.2f}")
                first = False
            print(f"{'':<10} {system:<12} {s['n']:>3} {s['acc']:>8.3f} {s['role']:>8.3f} {s['f1']:>7.3f} "
                  f"{s['count_err']:>9.2f}")


def reliability_table(rows: list[dict]) -> None:
    pairs = [p for r in rows for p in r["reliability"]]
    print("\nreliability (turns): confidence bin -> share right")
    for lo, hi in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        sel = [ok for c, ok in pairs if lo <= c < hi]
        if sel:
            print(f"  [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}  turns {len(sel):>6}  right {np.mean(sel):.3f}")


def run_old(commit: str, args) -> list[dict]:
    """The same evaluation with the castline tree of an earlier commit (the old cue model)."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "castline"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        out = Path(tree) / "rows.json"
        cmd = [sys.executable, __file__, "--worker", str(out), "--split", args.split, "--per-show",
               str(args.per_show), "--corpus", str(args.corpus)] + (["--hint"] if args.hint else [])
        env = dict(os.environ, CASTLINE_BENCH_TREE=tree, PYTHONPATH=tree)
        subprocess.run(cmd, check=True, env=env)
        return json.loads(out.read_text())


# -- tuning the decoder ------------------------------------------------------------------


def _prepared(dialogues: list[dict]) -> list[dict]:
    """Per validation dialogue: its units, the model's prediction and per-word truth."""
    import bisect
    import re

    from castline.diarize.text_attribution import address_lists, host_sentences, name_evidence
    from castline.diarize.turn_model import load_turn_model
    from castline.diarize.units import join_chunks, sentence_units

    bench = _bench_speakers()
    model = load_turn_model()
    out = []
    for d in dialogues:
        episode, ref, _ = bench.asr_episode(d)
        full, spans = join_chunks(episode.turns)
        units = sentence_units(full, spans)
        # Each word belongs to the unit its first character falls in (units may cut glued tokens).
        starts = [u.start for u in units]
        owner = [max(0, bisect.bisect_right(starts, m.start()) - 1) for m in re.finditer(r"\S+", full)]
        if len(owner) != len(ref):
            continue
        texts = [u.text for u in units]
        evidence = name_evidence(texts)
        addressed, announced = evidence.counts
        hinted = [Speaker(f"S{i + 1}", s["name"], s["role"]) for i, s in enumerate(d["speakers"])]
        out.append({"ref": ref, "owner": np.array(owner), "words": [u.words for u in units], "texts": texts,
                    "prediction": model.predict(texts), "forced": host_sentences(texts),
                    "count": true_count(ref), "addressed": addressed, "announced": announced,
                    "address_hint": address_lists(texts, evidence.names(hinted)),
                    "address_free": address_lists(texts, evidence.names(None))})
    return out


def _decode(it: dict, settings, *, hint: bool):
    from castline.diarize.turn_decoder import decode_speakers

    before, own = it["address_hint"] if hint else it["address_free"]
    return decode_speakers(it["prediction"], it["words"], speakers=it["count"] if hint else None,
                           forced=it["forced"], settings=settings, texts=it["texts"],
                           addressed=it["addressed"], announced=it["announced"],
                           addressees=before, addressers=own)


def _score(items: list[dict], settings, *, hint: bool) -> tuple[float, float, float, list]:
    """Mean word accuracy, change F1, count error, and ``(raw posterior, right, 1)`` per decoded turn."""
    accs, f1s, errs, conf = [], [], [], []
    for it in items:
        path = _decode(it, settings, hint=hint)
        states = np.array(path.states)
        hyp = [str(s) for s in states[it["owner"]]]
        accs.append(word_accuracy(it["ref"], hyp))
        f1s.append(change_f1(it["ref"], hyp).f1)
        errs.append(abs(path.count - it["count"]))
        mapping = speaker_mapping(it["ref"], hyp)
        # Turn level, as the transcript shows it: a decoded turn is right when most of its words are.
        word_right = np.array([mapping.get(h) == r for h, r in zip(hyp, it["ref"], strict=True)])
        unit_right = np.bincount(it["owner"], weights=word_right, minlength=len(states))
        unit_words = np.bincount(it["owner"], minlength=len(states))
        start = 0
        for i in range(1, len(states) + 1):
            if i < len(states) and states[i] == states[start]:
                continue
            n = unit_words[start:i].sum()
            if n:
                conf.append((path.turn_features(start, i), unit_right[start:i].sum() * 2 > n, 1))
            start = i
    return float(np.mean(accs)), float(np.mean(f1s)), float(np.mean(errs)), conf


def fit_count_model(items: list[dict], threshold: float):
    """A multinomial logistic regression from episode features to the number of speakers."""
    from sklearn.linear_model import LogisticRegression

    from castline.diarize.turn_decoder import CountModel, count_features

    x = np.array([count_features(it["prediction"], it["words"], addressed=it["addressed"],
                                 announced=it["announced"], threshold=threshold) for it in items])
    y = np.array([min(max(it["count"], 1), 6) for it in items])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=0.5, max_iter=2000).fit((x - mean) / scale, y)
    return CountModel(classes=tuple(int(c) for c in model.classes_), mean=tuple(mean.tolist()),
                      scale=tuple(scale.tolist()), coef=tuple(tuple(r) for r in model.coef_.tolist()),
                      intercept=tuple(model.intercept_.tolist()))


def tune(args) -> None:
    """Decoder settings, count model and calibration on the validation show; stored with the weights."""
    import dataclasses

    from sklearn.linear_model import LogisticRegression

    from castline.diarize.turn_decoder import DecoderSettings, settings_to_json
    from castline.diarize.turn_model import weights_path

    dialogues = sample(load("validation", args.corpus), args.per_show * 2, seed=1)
    items = _prepared(dialogues)
    print(f"tuning on {len(items)} validation dialogues ({sum(len(i['ref']) for i in items)} words)")
    grid = {
        "change_threshold": [0.35, 0.45, 0.55, 0.65],
        "voice_weight": [0.0, 2.0, 4.0, 8.0],
        "host_weight": [0.0, 0.5, 1.0, 2.0],
        "style_weight": [0.0, 0.3, 0.6],
        "address_weight": [0.0, 1.0, 2.0, 4.0],
        "guest_weight": [0.0, 1.5, 3.0, 6.0],
    }
    settings = DecoderSettings()
    best = None
    # Coordinate search, two sweeps, the number of speakers given (identity given the count).
    for _ in range(2):
        for key, values in grid.items():
            for value in values:
                trial = dataclasses.replace(settings, **{key: value})
                acc, f1, _, _ = _score(items, trial, hint=True)
                objective = acc + 0.5 * f1
                if best is None or objective > best[0] + 1e-9:
                    best = (objective, trial)
                    print(f"  {key}={value}: acc {acc:.3f} f1 {f1:.3f} (count given)", flush=True)
            settings = best[1]
    # The count model and the calibrator see every validation episode of up to 15k words (the
    # grid above used a sample, for speed).
    every = _prepared(sample(load("validation", args.corpus), 10**6, seed=1))
    count_model = fit_count_model(every, settings.change_threshold)
    settings = dataclasses.replace(settings, count_model=count_model)
    acc, f1, err, conf = _score(every, settings, hint=False)
    print(f"  count model and calibration on {len(every)} validation dialogues")
    print(f"  count estimated: acc {acc:.3f} f1 {f1:.3f} count err {err:.2f}")
    x = np.array([c for c, _, _ in conf])
    right = np.array([ok for _, ok, _ in conf], dtype=int)
    calibrator = LogisticRegression(C=1.0, max_iter=2000).fit(x, right)
    calibration = (float(calibrator.intercept_[0]), *[float(c) for c in calibrator.coef_[0]])
    settings = dataclasses.replace(settings, calibration=calibration)
    p = calibrator.predict_proba(x)[:, 1]
    for lo, hi in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        sel = (p >= lo) & (p < hi)
        if sel.any():
            print(f"  validation turns with confidence in [{lo:.1f}, {min(hi, 1):.1f}): {int(sel.sum())}, "
                  f"right {right[sel].mean():.3f}")
    path = weights_path()
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["meta_decoder"] = np.array(settings_to_json(settings))
    np.savez_compressed(path, **arrays)
    shown = {k: v for k, v in dataclasses.asdict(settings).items() if k not in ("calibration", "count_model")}
    print(f"wrote decoder settings to {path}: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--split", default="test")
    parser.add_argument("--per-show", type=int, default=20)
    parser.add_argument("--hint", action="store_true", help="give names, roles and the number of speakers")
    parser.add_argument("--old-commit", default=None, help="also evaluate the castline tree of this commit")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args()
    if args.tune:
        tune(args)
        return
    dialogues = sample(load(args.split, args.corpus), args.per_show)
    if args.worker:
        rows = [evaluate_dialogue(d, hint=args.hint) for d in dialogues]
        args.worker.write_text(json.dumps(rows))
        return
    t0 = time.time()
    rows = [evaluate_dialogue(d, hint=args.hint) for d in dialogues]
    groups = {"turn model": {"rows": rows}}
    if args.old_commit:
        groups[f"old {args.old_commit[:7]}"] = {"rows": run_old(args.old_commit, args)}
    shows = sorted({d["show"] for d in dialogues})
    print_table(f"{args.split} shows {', '.join(shows)}: {len(rows)} dialogues, "
                f"{'hint given' if args.hint else 'no hint (speaker count estimated)'}", groups)
    reliability_table(rows)
    secs = sum(r["seconds"] for r in rows)
    words = sum(r["words"] for r in rows)
    print(f"\nattribution time: {secs:.1f} s for {words} words ({words / secs:.0f} words/s); "
          f"bench {time.time() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({k: v["rows"] for k, v in groups.items()}, indent=1))


if __name__ == "__main__":
    main()
