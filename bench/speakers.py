"""Evaluate text-only speaker attribution on the dev set; prints a table.

Run: ``.venv/bin/python bench/speakers.py [--no-hint] [--rebuild] [--show NAME] [--part P]``

Fit: ``.venv/bin/python bench/speakers.py --fit`` refits the cue models and
decoder settings on the tuning part and rewrites
``castline/diarize/text_weights.py`` (see :func:`fit`).

The dev set (``bench/devset/*.json``) holds dialogues with known turns:

* ``notebook-*.json`` — the labelled dialogues of
  ``seeds/producer-notebook.labelled.txt`` (``Name: text`` runs and
  ``Name HH:MM:SS`` blocks), rebuilt by ``--rebuild`` (or when missing);
* the rest — interviews written for this bench in several styles (long
  answers, rapid back-and-forth, a three-person panel, a talkative host).

Those are the **tuning** part: model weights are fitted and checked on them.
``bench/devset/heldout/*.json`` is the **held-out** part: dialogues in the
same styles written after the model was built and never used to fit or adjust
it, so its figures estimate accuracy on unseen shows. The bench prints both,
one row per dialogue (its style) beside the majority-speaker baseline.

Each dialogue is stripped of labels and re-wrapped into ~45-word ASR-like lines
that ignore turn boundaries, attributed with
:func:`castline.diarize.attribute_speakers`, and scored per word with
:mod:`castline.diarize.evaluate` beside the majority-speaker baseline.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.diarize import attribute_speakers  # noqa: E402
from castline.diarize.evaluate import (  # noqa: E402
    change_f1,
    episode_word_labels,
    majority_baseline,
    role_accuracy,
    word_accuracy,
)
from castline.model import Episode, Speaker, Turn  # noqa: E402
from castline.text import SPEAKING_RATE_WPS  # noqa: E402

DEVSET = ROOT / "bench" / "devset"
HELDOUT = DEVSET / "heldout"
#: Dev-set parts: ``tuning`` may be used to fit weights, ``heldout`` never.
PARTS = ("tuning", "heldout")
NOTEBOOK = ROOT / "seeds" / "producer-notebook.labelled.txt"

# The notebook mixes dialogue excerpts with unrelated notes; these line ranges
# (1-based, inclusive) are its dialogues. Line 18 is an unlabelled question that
# the transcript gives to the interviewer (its answer follows on line 19).
NOTEBOOK_DIALOGUES = {
    "notebook-turck-douglas": {"lines": (7, 21), "overrides": {18: "Matt Turck"}},
    "notebook-handmer-power": {"lines": (24, 33), "overrides": {}},
    "notebook-handmer-turbines": {"lines": (35, 42), "overrides": {}},
    "notebook-bollard": {"lines": (44, 48), "overrides": {}},
}
NOTEBOOK_HOSTS = {"Matt Turck", "Dwarkesh Patel"}

# The opening of the raw MLST transcript (lines 1-32, about 14 minutes), with
# turn starts marked by hand from the content: (first words of the turn, speaker).
MLST = ROOT / "seeds" / "mlst-eiso-kant.raw.txt"
MLST_OPENING = {
    "lines": (1, 32),
    "speakers": [{"name": "Tim Scarfe", "role": "host"}, {"name": "Eiso Kant", "role": "guest"}],
    "starts": [
        ("You will never hear me argue against scale.", "Eiso Kant"),
        ("I've just had the most amazing conversation", "Tim Scarfe"),
        ("No, thank you so much for having me.", "Eiso Kant"),
        ("Can you tell us a little bit about yourself", "Tim Scarfe"),
        ("Personally, I'm a computer geek.", "Eiso Kant"),
        ("And your co-founder is Jason.", "Tim Scarfe"),
        ("Correct. Yeah, Jason I met", "Eiso Kant"),
        ("So tell us a little bit more about Poolside.", "Tim Scarfe"),
        ("Poolside's main goal comes down", "Eiso Kant"),
        ("So there's a kind of winner-takes-all", "Tim Scarfe"),
        ("So I think all of us at the frontier are constantly", "Eiso Kant"),
        ("So I'm trying to understand this because", "Tim Scarfe"),
        ("So I think it's a spectrum.", "Eiso Kant"),
        ("It's interesting because I'm trying to tease out", "Tim Scarfe"),
        ("You will never hear me argue against scale. Scaling", "Eiso Kant"),
    ],
}

_COLON = re.compile(r"^([A-Z][\w.'’ -]{1,40}?):\s+(.*)$")
_HEADER = re.compile(r"^([A-Z][\w.'’ -]{1,40}?)\s+\d{1,2}:\d{2}:\d{2}\s*$")


def build_notebook_devset() -> list[Path]:
    """Write the notebook's labelled dialogues as dev-set JSON files."""
    lines = NOTEBOOK.read_text(encoding="utf-8").splitlines()
    written = []
    for name, spec in NOTEBOOK_DIALOGUES.items():
        first, last = spec["lines"]
        turns: list[dict] = []
        current = None
        for number in range(first, last + 1):
            line = lines[number - 1].strip()
            if not line:
                continue
            text = line
            if m := _HEADER.match(line):
                current = m.group(1)
                continue
            if m := _COLON.match(line):
                current, text = m.group(1), m.group(2)
            speaker = spec["overrides"].get(number, current)
            if turns and turns[-1]["speaker"] == speaker:
                turns[-1]["text"] += " " + text
            else:
                turns.append({"speaker": speaker, "text": text})
        people = list(dict.fromkeys(t["speaker"] for t in turns))
        data = {
            "name": name,
            "style": f"producer notebook, lines {first}-{last}",
            "speakers": [{"name": p, "role": "host" if p in NOTEBOOK_HOSTS else "guest"} for p in people],
            "turns": turns,
        }
        path = DEVSET / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def build_mlst_devset() -> Path:
    """Write the hand-marked opening of the MLST seed as a dev-set JSON file."""
    first, last = MLST_OPENING["lines"]
    lines = [line.strip() for line in MLST.read_text(encoding="utf-8").splitlines()]
    text = " ".join(line for line in lines[first - 1 : last] if line)
    cuts, cursor = [], 0
    for phrase, speaker in MLST_OPENING["starts"]:
        at = text.index(phrase, cursor)
        cuts.append((at, speaker))
        cursor = at + 1
    turns = []
    for (at, speaker), (nxt, _) in zip(cuts, cuts[1:] + [(len(text), None)], strict=True):
        turns.append({"speaker": speaker, "text": text[at:nxt].strip()})
    data = {
        "name": "mlst-opening",
        "style": f"raw Whisper ASR (seed), lines {first}-{last}, turns marked by hand",
        "speakers": MLST_OPENING["speakers"],
        "turns": turns,
    }
    path = DEVSET / "mlst-opening.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def asr_episode(data: dict, *, line_words: int = 45) -> tuple[Episode, list[str], list[str]]:
    """An unlabelled episode of ~``line_words``-word lines, plus per-word truth."""
    roles = {s["name"]: s["role"] for s in data["speakers"]}
    words: list[str] = []
    labels: list[str] = []
    for turn in data["turns"]:
        for word in turn["text"].split():
            words.append(word)
            labels.append(turn["speaker"])
    turns = []
    clock = 0.0
    # Vary the line length a little, as ASR chunking does.
    sizes = [line_words - 8, line_words + 5, line_words, line_words + 9, line_words - 4]
    i = 0
    k = 0
    while i < len(words):
        size = sizes[k % len(sizes)]
        chunk = " ".join(words[i : i + size])
        duration = len(chunk.split()) / SPEAKING_RATE_WPS
        turns.append(Turn(None, clock, clock + duration, chunk, chunk))
        clock += duration
        i += size
        k += 1
    episode = Episode(title=data["name"], slug=data["name"], turns=turns, times_estimated=True)
    return episode, labels, [roles[s] for s in labels]


def score_row(name: str, style: str, ref: list, ref_roles: list, hyp: list, hyp_roles: list,
              *, speakers: int, found: int, episode: Episode) -> dict:
    """One table row: the attribution's figures beside the majority-speaker baseline."""
    base = majority_baseline(ref, ref_roles)
    return {
        "name": name,
        "style": style,
        "words": len(ref),
        "speakers": speakers,
        "found": found,
        "acc": word_accuracy(ref, hyp),
        "base_acc": base["word_accuracy"],
        "f1": change_f1(ref, hyp),
        "base_f1": base["change_f1"],
        "role": role_accuracy(ref_roles, hyp_roles),
        "base_role": base["role_accuracy"],
        "episode": episode,
    }


def evaluate_item(data: dict, *, hint: bool = True) -> dict:
    """Attribute one dev dialogue and score it; returns a row of metrics."""
    episode, ref, ref_roles = asr_episode(data)
    speakers = (
        [Speaker(f"S{i + 1}", s["name"], s["role"]) for i, s in enumerate(data["speakers"])] if hint else None
    )
    attribute_speakers(episode, speakers=speakers)
    hyp, hyp_roles = episode_word_labels(episode)
    hyp = [str(h) for h in hyp]
    return score_row(data["name"], data.get("style", ""), ref, ref_roles, hyp, hyp_roles,
                     speakers=len(set(ref)), found=len(set(hyp)), episode=episode)


def load_devset(part: str = "tuning", *, rebuild: bool = False) -> list[dict]:
    """Dev dialogues of one part (``tuning``, ``heldout`` or ``all``).

    The notebook and MLST files of the tuning part are built when missing.
    """
    if part not in (*PARTS, "all"):
        raise ValueError(f"unknown dev-set part {part!r}; expected one of {PARTS + ('all',)}")
    if part != "heldout":
        if rebuild or not any(DEVSET.glob("notebook-*.json")):
            build_notebook_devset()
        if rebuild or not (DEVSET / "mlst-opening.json").exists():
            build_mlst_devset()
    folders = {"tuning": [DEVSET], "heldout": [HELDOUT], "all": [DEVSET, HELDOUT]}[part]
    return [json.loads(p.read_text(encoding="utf-8")) for f in folders for p in sorted(f.glob("*.json"))]


def run(*, hint: bool = True, rebuild: bool = False, part: str = "tuning") -> list[dict]:
    """Evaluate the dev dialogues of ``part``; returns the rows (last one is the total)."""
    rows = [evaluate_item(d, hint=hint) for d in load_devset(part, rebuild=rebuild)]
    words = sum(r["words"] for r in rows)
    matched = sum(r["f1"].matched for r in rows)
    n_ref = sum(r["f1"].reference for r in rows)
    n_hyp = sum(r["f1"].hypothesis for r in rows)
    p = matched / n_hyp if n_hyp else 0.0
    r = matched / n_ref if n_ref else 0.0
    total_f1 = 2 * p * r / (p + r) if p + r else 0.0
    rows.append(
        {
            "name": f"ALL {part} (word-weighted; F1 pooled)",
            "style": "",
            "words": words,
            "speakers": "",
            "found": "",
            "acc": sum(r["acc"] * r["words"] for r in rows) / words,
            "base_acc": sum(r["base_acc"] * r["words"] for r in rows) / words,
            "f1": type(rows[0]["f1"])(p, r, total_f1, n_ref, n_hyp, matched),
            "base_f1": 0.0,
            "role": sum(r["role"] * r["words"] for r in rows) / words,
            "base_role": sum(r["base_role"] * r["words"] for r in rows) / words,
        }
    )
    return rows


def evaluate_mlst_full(*, hint: bool = True) -> dict:
    """Attribute the whole MLST seed as read (one chunk per line) and score its opening.

    The seed's first 32 lines carry hand-marked turns (``mlst-opening.json``);
    this scores them inside a full two-hour run, where speaker adaptation and
    the cold-open matching see the entire episode.
    """
    gold = json.loads((DEVSET / "mlst-opening.json").read_text(encoding="utf-8"))
    ref = [t["speaker"] for t in gold["turns"] for _ in t["text"].split()]
    roles = {s["name"]: s["role"] for s in gold["speakers"]}
    turns, clock = [], 0.0
    for line in MLST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            duration = len(line.split()) / SPEAKING_RATE_WPS
            turns.append(Turn(None, clock, clock + duration, line, line))
            clock += duration
    episode = Episode(title="mlst", slug="mlst", turns=turns, times_estimated=True)
    speakers = [Speaker(f"S{i + 1}", s["name"], s["role"]) for i, s in enumerate(gold["speakers"])]
    attribute_speakers(episode, speakers=speakers if hint else None)
    hyp, hyp_roles = episode_word_labels(episode)
    hyp, hyp_roles = [str(h) for h in hyp[: len(ref)]], hyp_roles[: len(ref)]
    ref_roles = [roles[r] for r in ref]
    return score_row("mlst full episode (opening scored)", "", ref, ref_roles, hyp, hyp_roles,
                     speakers=2, found=len(episode.speakers), episode=episode)


# -- fitting the cue models and the decoder settings ------------------------------------


def unit_data(data: dict) -> dict:
    """The attribution units of one dev dialogue with their true speakers.

    Units are made exactly as :func:`castline.diarize.attribute_speakers` makes
    them; each gets the speaker of most of its words.
    """
    from collections import Counter

    from castline.diarize.units import join_chunks, sentence_units

    episode, labels, _ = asr_episode(data)
    full, spans = join_chunks(episode.turns)
    units = sentence_units(full, spans)
    roles = {s["name"]: s["role"] for s in data["speakers"]}
    # A unit may start inside a token ("end.Next"); the token goes with the earlier unit.
    token_starts = [m.start() for m in re.finditer(r"\S+", full)]
    firsts = [0, *[bisect.bisect_left(token_starts, u.start) for u in units[1:]], len(token_starts)]
    counts = [b - a for a, b in zip(firsts, firsts[1:], strict=False)]
    unit_labels, at = [], 0
    for n in counts:
        unit_labels.append(Counter(labels[at : at + n]).most_common(1)[0][0] if n else labels[max(at - 1, 0)])
        at += n
    speakers = [Speaker(f"S{i + 1}", s["name"], s["role"]) for i, s in enumerate(data["speakers"])]
    return {
        "name": data["name"],
        "units": units,
        "texts": [u.text for u in units],
        "labels": unit_labels,
        "roles": [roles[x] for x in unit_labels],
        "counts": counts,
        "words": labels,
        "speakers": speakers,
    }


def _design(items: list[dict]):
    """Stacked sentence and boundary features, targets and dialogue groups."""
    import numpy as np

    from castline.diarize.text_features import boundary_features, sentence_features

    xs, ys, gs, xb, yb, gb = [], [], [], [], [], []
    for g, item in enumerate(items):
        rows = sentence_features(item["texts"])
        keep = [i for i, r in enumerate(item["roles"]) if r in ("host", "guest")]
        xs.append(rows[keep])
        ys += [item["roles"][i] == "host" for i in keep]
        gs += [g] * len(keep)
        brows = boundary_features(item["texts"])[1:]
        xb.append(brows)
        yb += [a != b for a, b in zip(item["labels"], item["labels"][1:], strict=False)]
        gb += [g] * len(brows)
    return (np.vstack(xs), np.array(ys), np.array(gs), np.vstack(xb), np.array(yb), np.array(gb))


def _logistic(x, y, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000).fit(x, y)


def _pick_c(x, y, groups) -> float:
    """Regularisation strength with the best leave-one-dialogue-out log-loss."""
    import numpy as np
    from sklearn.metrics import log_loss

    best, best_loss = 1.0, np.inf
    for c in (0.03, 0.1, 0.3, 1.0, 3.0):
        losses = []
        for g in np.unique(groups):
            train, test = groups != g, groups == g
            if len(set(y[train])) < 2:
                continue
            model = _logistic(x[train], y[train], c)
            losses.append(
                log_loss(y[test], model.predict_proba(x[test])[:, 1], labels=[False, True]) * test.sum()
            )
        loss = sum(losses) / len(y)
        if loss < best_loss:
            best, best_loss = c, loss
    return best


def _out_of_fold(items: list[dict], c_sentence: float, c_boundary: float) -> list[tuple]:
    """Per dialogue: host and switch log-odds from models fitted on the other dialogues."""
    import numpy as np

    from castline.diarize.text_features import boundary_features, sentence_features

    xs, ys, gs, xb, yb, gb = _design(items)
    out = []
    for g, item in enumerate(items):
        sm = _logistic(xs[gs != g], ys[gs != g], c_sentence)
        bm = _logistic(xb[gb != g], yb[gb != g], c_boundary)
        share = ys[gs != g].mean()
        host = sm.decision_function(sentence_features(item["texts"])) - np.log(share / (1 - share))
        switch = np.concatenate([[0.0], bm.decision_function(boundary_features(item["texts"])[1:])])
        out.append((host, switch))
    return out


def decode_score(items: list[dict], logits: list[tuple], weights) -> dict:
    """Word accuracy and change F1 of decoding ``items`` with ``weights``.

    ``acc`` and ``f1`` are pooled over words; ``objective`` averages
    ``acc + 0.5 * f1`` over dialogues, so that one long dialogue does not
    decide the settings for every style.
    """
    from castline.diarize import text_attribution as ta

    right = words = matched = n_ref = n_hyp = 0
    per_dialogue = []
    for item, (host, switch) in zip(items, logits, strict=True):
        path, _ = ta._decode_speakers(
            item["units"],
            [Speaker(s.id, s.name, s.role) for s in item["speakers"]],
            weights=weights,
            host=host.copy(),
            switch=switch.copy(),
        )
        hyp = [str(state) for state, n in zip(path, item["counts"], strict=True) for _ in range(n)]
        ref = item["words"]
        acc = word_accuracy(ref, hyp)
        right += acc * len(ref)
        words += len(ref)
        f = change_f1(ref, hyp)
        matched, n_ref, n_hyp = matched + f.matched, n_ref + f.reference, n_hyp + f.hypothesis
        per_dialogue.append(acc + 0.5 * f.f1)
    p = matched / n_hyp if n_hyp else 0.0
    r = matched / n_ref if n_ref else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"acc": right / words, "f1": f1, "objective": sum(per_dialogue) / len(per_dialogue)}


def fit(*, trials: int = 60, seed: int = 0, write: bool = True) -> dict:
    """Fit the cue models and decoder settings on the tuning part only.

    1. Logistic regressions for "the host says this sentence" and "the speaker
       changes before this sentence", regularisation chosen by
       leave-one-dialogue-out log-loss.
    2. Decoder settings (:class:`castline.diarize.text_attribution.Weights`) by
       random search, scored on out-of-fold cue predictions (each dialogue
       decoded with models that never saw it), so they suit unseen shows.
    3. Final models on all tuning dialogues, written to ``text_weights.py``.
    """
    import dataclasses
    import random

    import numpy as np

    from castline.diarize import text_attribution as ta
    from castline.diarize.text_features import BOUNDARY_FEATURES, SENTENCE_FEATURES

    items = [unit_data(d) for d in load_devset("tuning")]
    xs, ys, gs, xb, yb, gb = _design(items)
    c_sentence = _pick_c(xs, ys, gs)
    c_boundary = _pick_c(xb, yb, gb)
    logits = _out_of_fold(items, c_sentence, c_boundary)
    rng = random.Random(seed)
    best = ta.Weights(emission_scale=1.0, host_bias=0.0, switch_scale=1.0, switch_bias=0.0)
    best_score = decode_score(items, logits, best)
    space = {
        "emission_scale": (0.5, 2.5),
        "host_bias": (-1.0, 1.0),
        "switch_scale": (0.5, 1.5),
        "switch_bias": (-1.5, 1.5),
        "host_median": (5.0, 60.0),
        "host_spread": (1.5, 3.0),
        "guest_median": (20.0, 90.0),
        "guest_spread": (1.2, 3.0),
        "host_first": (0.0, 2.0),
        "cold_open_guest": (0.0, 3.0),
        "turn_end_question": (0.0, 3.0),
        "adaptation": (0.0, 1.0),
        "adapt_min_words": (600.0, 3000.0),
    }
    # The objective is jagged (discrete decoding of a few dialogues), so the
    # single best trial may be a lucky peak. Candidates (the best trials and the
    # centre of the best tenth) are judged by their mean objective under small
    # random perturbations: a setting in a broad good region carries over to
    # unseen shows better than a sharp peak does.
    trials_run = []
    for _ in range(trials):
        params = {k: rng.uniform(*span) for k, span in space.items()}
        score = decode_score(items, logits, dataclasses.replace(best, **params))
        trials_run.append((score["objective"], params))
    trials_run.sort(key=lambda t: -t[0])
    top = [params for _, params in trials_run[: max(3, trials // 10)]]
    centre = {k: float(np.median([p[k] for p in top])) for k in space}
    # The settings in use are a candidate too, so a refit never loses ground.
    current = {k: float(getattr(ta.WEIGHTS, k)) for k in space}
    candidates = [centre, current, *top[:5]]

    def robust(params: dict) -> float:
        jitters = [params] + [
            {
                k: min(max(v + rng.gauss(0, 0.08) * (space[k][1] - space[k][0]), space[k][0]), space[k][1])
                for k, v in params.items()
            }
            for _ in range(6)
        ]
        return float(
            np.mean(
                [decode_score(items, logits, dataclasses.replace(best, **j))["objective"] for j in jitters]
            )
        )

    robustness = [robust(c) for c in candidates]
    chosen = candidates[int(np.argmax(robustness))]
    best = dataclasses.replace(best, **chosen)
    best_score = decode_score(items, logits, best)
    print(
        f"best trial {trials_run[0][0]:.3f}; robust objectives {np.round(robustness, 3).tolist()}"
        f" (centre, current, best trials); chosen: {best_score}",
        flush=True,
    )
    sentence_model = _logistic(xs, ys, c_sentence)
    boundary_model = _logistic(xb, yb, c_boundary)
    share = float(ys.mean())
    result = {
        "SENTENCE_MODEL": {
            "coef": dict(zip(SENTENCE_FEATURES, np.round(sentence_model.coef_[0], 4).tolist(), strict=True)),
            "intercept": round(float(sentence_model.intercept_[0]), 4),
            "prior": round(float(np.log(share / (1 - share))), 4),
        },
        "BOUNDARY_MODEL": {
            "coef": dict(zip(BOUNDARY_FEATURES, np.round(boundary_model.coef_[0], 4).tolist(), strict=True)),
            "intercept": round(float(boundary_model.intercept_[0]), 4),
        },
        "DECODER": {k: round(float(v), 4) for k, v in dataclasses.asdict(best).items()},
        "cross_validated": best_score,
        "C": (c_sentence, c_boundary),
    }
    if write:
        _write_weights(result, len(items), len(ys), len(yb))
    return result


WEIGHTS_FILE = ROOT / "castline" / "diarize" / "text_weights.py"


def _write_weights(result: dict, dialogues: int, sentences: int, boundaries: int) -> None:
    import pprint

    cv = result["cross_validated"]
    lines = [
        '"""Fitted weights of text-only speaker attribution.',
        "",
        "Generated by ``bench/speakers.py --fit`` from the tuning part of the dev set",
        f"({dialogues} dialogues, {sentences} sentences, {boundaries} boundaries); do not edit by hand.",
        "The held-out part (``bench/devset/heldout``) was not used.",
        "",
        "* ``SENTENCE_MODEL`` — logistic regression, host (1) vs guest (0) per sentence,",
        f"  over :data:`castline.diarize.text_features.SENTENCE_FEATURES` (C={result['C'][0]});",
        "  ``prior`` is the log-odds of the tuning set's share of host sentences.",
        "* ``BOUNDARY_MODEL`` — logistic regression, speaker change before a sentence,",
        f"  over :data:`castline.diarize.text_features.BOUNDARY_FEATURES` (C={result['C'][1]}).",
        "* ``DECODER`` — :class:`castline.diarize.text_attribution.Weights`, by random search",
        f"  on out-of-fold predictions (word accuracy {cv['acc']:.3f}, change F1 {cv['f1']:.3f}).",
        '"""',
        "",
        '__all__ = ["BOUNDARY_MODEL", "DECODER", "SENTENCE_MODEL"]',
        "",
    ]
    for name in ("SENTENCE_MODEL", "BOUNDARY_MODEL", "DECODER"):
        lines.append(f"{name} = " + pprint.pformat(result[name], width=100, sort_dicts=False))
        lines.append("")
    WEIGHTS_FILE.write_text("\n".join(lines), encoding="utf-8")
    # Keep the generated module in the house format.
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(WEIGHTS_FILE)], check=False)


def print_table(rows: list[dict], title: str) -> None:
    """Print the metrics table."""
    print(title)
    header = (
        f"{'dialogue':40} {'words':>6} {'spk':>3} {'hyp':>3}  {'word acc':>8} {'base':>5}"
        f"  {'chg F1':>6} {'P':>5} {'R':>5} {'base':>5}  {'role':>5} {'base':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        f = r["f1"]
        style = r.get("style", "").split(":")[0].split(",")[0]
        if style:
            print(f"  ({style[:60]})")
        print(
            f"{r['name'][:40]:40} {r['words']:>6} {r['speakers']!s:>3} {r['found']!s:>3}"
            f"  {r['acc']:8.3f} {r['base_acc']:5.2f}  {f.f1:6.3f} {f.precision:5.2f}"
            f" {f.recall:5.2f} {r['base_f1']:5.2f}  {r['role']:5.3f} {r['base_role']:5.2f}"
        )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-hint", action="store_true", help="attribute without names/roles")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the notebook dev files")
    parser.add_argument("--show", help="print the attributed turns of one dialogue")
    parser.add_argument("--part", choices=[*PARTS, "both"], default="both", help="dev-set part to score")
    parser.add_argument("--fit", action="store_true", help="refit the weights on the tuning part")
    parser.add_argument("--trials", type=int, default=60, help="random-search trials for --fit")
    args = parser.parse_args()
    if args.fit:
        result = fit(trials=args.trials)
        print("cross-validated on tuning:", result["cross_validated"], "C:", result["C"])
        return
    modes = [False] if args.no_hint else [True, False]
    for hint in modes:
        rows = []
        for part in PARTS if args.part == "both" else [args.part]:
            part_rows = run(hint=hint, rebuild=args.rebuild, part=part)
            if part == "tuning":
                part_rows.append(evaluate_mlst_full(hint=hint))
            label = "with" if hint else "without"
            print_table(part_rows, f"\nspeaker attribution, {part} part, {label} speakers hint")
            rows += part_rows
        if args.show:
            for r in rows:
                if r["name"] == args.show:
                    ep = r["episode"]
                    for t in ep.turns:
                        print(f"  [{ep.speaker_name(t.speaker)} {t.confidence:.2f}] {t.verbatim}")


if __name__ == "__main__":
    main()
