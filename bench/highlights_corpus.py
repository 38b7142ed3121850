"""What editors pick: previews and highlights against the cold opens of real episodes.

Many Changelog episodes open on a cold open: lines the editors lifted from the
episode's own body and put first. Those lines are a human editor's picks. On
the corpus's held-out **test shows** (Founders Talk, Brain Science, JS Party;
never trained or tuned on, see bench/CORPUS.md), this bench

1. finds, in each episode's first turns, sentences that come back later in the
   body (normalised, fuzzy: the transcribers' punctuation differs);
2. strips the cold open (every turn up to the last one that holds such a line);
3. builds the rest as a labelled episode (names and roles as the corpus gives
   them, times from a speaking rate) and runs structure, chapters (TF-IDF),
   clips and highlights;
4. counts how many picks the previews and highlights hit, beside random
   sentences of the same number (5 draws), and what else a producer would
   notice: host lines among previews, reuse between previews and highlights,
   quotes opening on an unresolved referent, how counts vary.

What it found (pinned corpus commit, 2026-12-07): such cold opens are rare in
these transcripts. Only 2 test-show episodes (3 lines), no validation episode
and 1 training episode have a cold-open line that comes back after the show's
own opening; a looser match (fuzzy ``partial_ratio`` against every later turn)
"finds" dozens per episode, all short turns such as "Right." scoring 100 inside
the longer line. So the recall figure has too few picks to mean anything, and
``--any-episode`` measures the producer's other figures on any episodes.

Usage::

    .venv/bin/python bench/changelog_corpus.py --repo PATH --out data/corpus   # once
    .venv/bin/python bench/highlights_corpus.py --episodes 15
    .venv/bin/python bench/highlights_corpus.py --episodes 15 --code /tmp/old  # another castline tree
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["cold_open_picks", "episode_from_dialogue", "hits", "normalise"]

_SPLIT = re.compile(r"(?<=[.!?])\s+")


def normalise(text: str) -> str:
    """Lower-case words only: punctuation and quotes do not decide a match."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")))


# The show's own opening after a cold open: "Welcome to Founders Talk", "This is JS Party".
_SHOWS = r"(?:the\s+)?(?:founders\s+talk|brain\s+science|js\s+party|ship\s+it|changelog|go\s+time|practical\s+ai|episode)"
_INTRO = re.compile(
    rf"\bwelcome(?:\s+back)?\s+to\b|\byou(?:'re|’re|\s+are)\s+listening\s+to\b|\bi(?:'m|’m)\s+your\s+host\b"
    rf"|\bthis\s+is\s+{_SHOWS}\b",
    re.IGNORECASE,
)


def cold_open_picks(turns: list[dict], *, max_intro_turn: int = 20, min_words: int = 6) -> tuple[int, list[str]]:
    """``(body_start, picks)``: where the episode proper starts and the cold-open lines found in it.

    The cold open is every turn before the show's own opening ("Welcome to ...",
    "This is ...", within the first ``max_intro_turn`` turns, not the first turn);
    a pick is one of its sentences of at least ``min_words`` words whose words
    come back after that opening (normalised; fuzzy for the transcribers'
    punctuation). No opening found, or no line found again: no cold open.
    """
    from rapidfuzz import fuzz

    intro = next((i for i, t in enumerate(turns[:max_intro_turn]) if i and _INTRO.search(t["text"])), None)
    if intro is None:
        return 0, []
    body = [normalise(t["text"]) for t in turns[intro:]]
    found = []
    for turn in turns[:intro]:
        for sentence in _SPLIT.split(turn["text"]):
            key = normalise(sentence)
            if len(key.split()) < min_words:
                continue
            # partial_ratio scores a short turn inside the key at 100 ("Right."): only longer turns count.
            if any(key in b or (30 <= len(key) <= len(b) and fuzz.partial_ratio(key, b) >= 92) for b in body):
                found.append(sentence)
    return (intro, found) if found else (0, [])


def episode_from_dialogue(dialogue: dict, body_start: int):
    """The dialogue's body as a labelled castline episode (times from a speaking rate)."""
    from castline.model import Episode, Speaker, Turn
    from castline.text import SPEAKING_RATE_WPS

    ids = {s["name"]: f"S{i}" for i, s in enumerate(dialogue["speakers"], 1)}
    speakers = [Speaker(ids[s["name"]], s["name"], s["role"]) for s in dialogue["speakers"]]
    turns, clock = [], 0.0
    for t in dialogue["turns"][body_start:]:
        n = max(1, len(t["text"].split()))
        turns.append(Turn(speaker=ids.get(t["speaker"]), start=round(clock, 2),
                          end=round(clock + n / SPEAKING_RATE_WPS, 2), text=t["text"], verbatim=t["text"]))
        clock += n / SPEAKING_RATE_WPS
    slug = re.sub(r"[^a-z0-9]+", "-", dialogue["name"].lower()).strip("-")
    return Episode(title=dialogue["name"], slug=slug, show=dialogue["show"], duration=clock,
                   times_estimated=True, speakers=speakers, turns=turns, source_format="labelled_text")


def hits(texts: list[str], picks: list[str]) -> int:
    """How many ``picks`` one of ``texts`` holds (or is held by, for a pick longer than the quote)."""
    from rapidfuzz import fuzz

    bodies = [normalise(t) for t in texts]
    n = 0
    for pick in picks:
        key = normalise(pick)
        for body in bodies:
            short, long_ = sorted((key, body), key=len)
            if short and (short in long_ or (len(short) >= 30 and fuzz.partial_ratio(short, long_) >= 90)):
                n += 1
                break
    return n


def _random_texts(episode, k: int, rng: random.Random, lengths: list[int]) -> list[str]:
    """``k`` random runs of sentences of the body, each about as long as a chosen quote."""
    from castline.segment.sentence_units import sentence_units

    units = [u for u in sentence_units(episode) if not u.excluded]
    if not units:
        return []
    out = []
    for i in range(k):
        want = lengths[i % len(lengths)] if lengths else 25
        a = rng.randrange(len(units))
        b, n = a, units[a].n_words
        while n < want and b + 1 < len(units) and units[b + 1].turn == units[a].turn:
            b += 1
            n += units[b].n_words
        out.append(" ".join(u.text for u in units[a : b + 1]))
    return out


def run(episodes: int, *, style: str = "any", show_rows: bool = False, split: str = "test",
        need_picks: int = 2) -> dict:
    """The bench over the first ``episodes`` dialogues of ``style`` with a cold open in ``split``
    (``test``: the held-out shows, for figures; ``train`` or ``validation`` for tuning)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # after any --code tree
    import castline
    from castline.pipeline import Settings, run_stage

    print(f"castline from {Path(castline.__file__).parent}", file=sys.stderr)

    try:
        from castline.segment.references import reference_problem
    except ImportError:  # an older tree
        reference_problem = None

    with open(ROOT / "data" / "corpus" / f"{split}.jsonl", encoding="utf-8") as handle:
        dialogues = [json.loads(line) for line in handle]
    settings = Settings(embedder="tfidf")
    rows, picked_total = [], 0
    for dialogue in dialogues:
        if len(rows) >= episodes:
            break
        if style != "any" and dialogue["style"] != style:
            continue
        start, picks = cold_open_picks(dialogue["turns"])
        if len(picks) < need_picks:
            continue
        ep = episode_from_dialogue(dialogue, start)
        t0 = time.perf_counter()
        try:
            for stage in ("structure", "chapters", "clips", "highlights"):
                ep = run_stage(stage, ep, settings)
        except Exception as exc:  # noqa: BLE001 - a crash is a result here
            rows.append({"name": dialogue["name"], "error": f"{type(exc).__name__}: {exc}"[:120]})
            continue
        texts = [p.text for p in ep.previews] + [h.text for h in ep.highlights]
        lengths = [len(t.split()) for t in texts]
        rng = random.Random(0)
        rand = [hits(_random_texts(ep, len(texts), rng, lengths), picks) for _ in range(5)]
        roles = {s.id: s.role for s in ep.speakers}
        reused = sum(
            any(h.turn == p.turn and any(a < h.char_end and h.char_start < b for a, b in p.spans) for p in ep.previews)
            for h in ep.highlights
        )
        rows.append({
            "name": dialogue["name"],
            "minutes": round(ep.duration / 60, 1),
            "picks": len(picks),
            "previews": len(ep.previews),
            "highlights": len(ep.highlights),
            "clips": len(ep.clips),
            "hit": hits(texts, picks),
            "hit_previews": hits([p.text for p in ep.previews], picks),
            "random": statistics.mean(rand),
            "host_previews": sum(roles.get(p.speaker) == "host" for p in ep.previews),
            "reused": reused,
            "unresolved": sum(reference_problem(t) is not None for t in texts) if reference_problem else None,
            "tags": sum(bool(re.search(r"\[[^\]]*\d:\d\d|\[(?:laughs?|inaudible|crosstalk)", t)) for t in texts),
            "copy": bool(ep.metadata.get("copy")),
            "seconds": round(time.perf_counter() - t0, 1),
        })
        if show_rows:
            print(json.dumps(rows[-1]), flush=True)
        picked_total += len(picks)
    ok = [r for r in rows if "error" not in r]
    summary = {
        "episodes": len(rows),
        "crashed": len(rows) - len(ok),
        "picks": sum(r["picks"] for r in ok),
        "hit": sum(r["hit"] for r in ok),
        "hit_previews": sum(r["hit_previews"] for r in ok),
        "random_hit": round(sum(r["random"] for r in ok), 1),
        "quotes": sum(r["previews"] + r["highlights"] for r in ok),
        "previews": sum(r["previews"] for r in ok),
        "host_previews": sum(r["host_previews"] for r in ok),
        "reused": sum(r["reused"] for r in ok),
        "unresolved": sum(r["unresolved"] or 0 for r in ok) if ok and ok[0]["unresolved"] is not None else None,
        "tags": sum(r["tags"] for r in ok),
        "preview_counts": sorted({r["previews"] for r in ok}),
        "highlight_counts": sorted({r["highlights"] for r in ok}),
        "clip_counts": sorted({r["clips"] for r in ok}),
    }
    if summary["picks"]:
        summary["recall"] = round(summary["hit"] / summary["picks"], 3)
        summary["random_recall"] = round(summary["random_hit"] / summary["picks"], 3)
    return {"summary": summary, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=15)
    parser.add_argument("--style", default="any", help="a corpus style (interview, panel, ...) or any")
    parser.add_argument("--code", type=Path, help="another castline tree to measure (e.g. an old commit's)")
    parser.add_argument("--rows", action="store_true", help="print every episode's row")
    parser.add_argument("--any-episode", action="store_true",
                        help="every episode, with or without a cold open (the producer's figures: host lines, "
                             "reuse, unresolved openings, counts, crashes)")
    parser.add_argument("--split", default="test", choices=["test", "validation", "train"],
                        help="test: the held-out shows (report these); the others are for tuning")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    result = run(args.episodes, style=args.style, show_rows=args.rows, split=args.split,
                 need_picks=0 if args.any_episode else 2)
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
