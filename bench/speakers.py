"""Evaluate text-only speaker attribution on the dev set; prints a table.

Run: ``.venv/bin/python bench/speakers.py [--no-hint] [--rebuild] [--show NAME] [--part P]``

The dev set (``bench/devset/*.json``) holds dialogues with known turns:

* ``notebook-*.json`` — the labelled dialogues of
  ``seeds/producer-notebook.labelled.txt`` (``Name: text`` runs and
  ``Name HH:MM:SS`` blocks), rebuilt by ``--rebuild`` (or when missing);
* the rest — interviews written for this bench in several styles (long
  answers, rapid back-and-forth, a three-person panel, a talkative host).

Those are the **tuning** part: the first, cue-based attribution was fitted on
them. ``bench/devset/heldout/*.json`` is the **held-out** part: dialogues in
the same styles written after that model was built. The learned attribution
shipped now was trained and tuned on neither (it learned from real shows, see
``bench/CORPUS.md`` and ``bench/speakers_corpus.py``); both parts are written
dialogues, so they check behaviour on clean written turns, not on real talk. The bench prints both,
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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.diarize import attribute_speakers  # noqa: E402
from castline.diarize.evaluate import (  # noqa: E402
    asr_episode,
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


# -- attribution units ----------------------------------------------------------------


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
    args = parser.parse_args()
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
