"""Name repairs (issue 20 part 4): what they fix on the MLST seed, what they wrongly touch elsewhere.

Run::

    .venv/bin/python bench/names.py                       # MLST seed + 40 test-show episodes
    .venv/bin/python bench/names.py --corpus data/corpus --episodes 100

On the MLST seed (its show profile's glossary and the two speakers given, as
``make run`` gives them) every glossary-kind change is listed. On human
transcripts of the corpus's test shows (spelled by people, so a repair there is
almost always wrong) the clean stage runs with and without the episode's own
names, the field's list and the topic homophones (``names=``); each extra change
of a word is counted as a false repair, per 10,000 words, and the first few are
shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.clean import clean_episode  # noqa: E402
from castline.model import Episode, Turn  # noqa: E402

#: The seed's title, as seeds/manifest.yaml gives it.
MLST_TITLE = "Eiso Kant (Poolside): scaling reinforcement learning for code"


def mlst_episode() -> Episode:
    """The MLST seed, one turn a line (as the clean tests read it)."""
    lines = [x for x in (ROOT / "seeds/mlst-eiso-kant.raw.txt").read_text().splitlines() if x.strip()]
    turns = [Turn(None, i, i + 1.0, x, x) for i, x in enumerate(lines)]
    return Episode(title=MLST_TITLE, slug="mlst", turns=turns)


def mlst_glossary() -> list[str]:
    """The MLST profile's glossary and the seed's speakers."""
    import yaml

    profile = yaml.safe_load((ROOT / "shows/mlst.yaml").read_text())
    return [*profile.get("glossary", []), "Tim Scarfe", "Eiso Kant"]


def word_changes(episode: Episode) -> set[tuple[int, int, str, str]]:
    """Edits that change a word (not only its case or punctuation)."""
    return {
        (e.turn, e.start, e.original, e.replacement)
        for e in episode.edits
        if e.kind == "glossary"
    }


def corpus_episodes(path: Path, count: int) -> list[Episode]:
    """The first ``count`` test-show dialogues, spread over the shows."""
    by_show: dict[str, list[dict]] = {}
    with path.open() as handle:
        for line in handle:
            dialogue = json.loads(line)
            by_show.setdefault(dialogue["show"], []).append(dialogue)
    picked: list[dict] = []
    while len(picked) < count and any(by_show.values()):
        for dialogues in by_show.values():
            if dialogues and len(picked) < count:
                picked.append(dialogues.pop(0))
    episodes = []
    for dialogue in picked:
        turns = [
            Turn(t["speaker"], i, i + 1.0, t["text"], t["text"]) for i, t in enumerate(dialogue["turns"])
        ]
        episodes.append(Episode(title=dialogue["name"], slug=dialogue["name"], turns=turns))
    return episodes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data/corpus")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--show", type=int, default=12, help="false repairs to print")
    args = parser.parse_args(argv)

    ep = mlst_episode()
    clean_episode(ep, glossary=mlst_glossary())
    print("MLST seed, glossary repairs:")
    for _, _, before, after in sorted(word_changes(ep)):
        print(f"  {before!r} -> {after!r}")

    test = args.corpus / "test.jsonl"
    if not test.exists():
        print(f"\n{test} missing: build the corpus (bench/CORPUS.md)")
        return 0
    words = false = 0
    examples: list[str] = []
    for episode in corpus_episodes(test, args.episodes):
        clean_episode(episode, names=False)
        given = word_changes(episode)
        clean_episode(episode, names=True)
        extra = word_changes(episode) - given
        words += sum(len(t.verbatim.split()) for t in episode.turns)
        false += len(extra)
        examples += [f"  {episode.slug}: {b!r} -> {a!r}" for _, _, b, a in sorted(extra)]
    print(f"\ntest shows, {args.episodes} episodes, {words} words: {false} changes by the episode's names,")
    print(f"the field's list and topic homophones ({false / words * 10_000:.2f} per 10,000 words)")
    print("\n".join(examples[: args.show]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
