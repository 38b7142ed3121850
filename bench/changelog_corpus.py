"""Read ``thechangelog/transcripts`` into dialogues for training and judging attribution.

The corpus: about 2,000 human-made transcripts of The Changelog's shows, one
``**Name:** text`` paragraph per turn, licence CC BY-SA 4.0 (see
``bench/CORPUS.md``). It is never committed; this script reads a clone (or a
bare git directory) at the pinned commit :data:`PINNED_COMMIT`.

Run::

    .venv/bin/python bench/changelog_corpus.py --repo PATH/TO/transcripts[.git] --out data/corpus

writes ``train.jsonl``, ``validation.jsonl`` and ``test.jsonl`` (one dialogue a
line, the dev-set format of ``bench/devset/README.md`` plus ``show`` and
``episode``) and prints how many episodes, turns and words each split holds.

Splits are by **show**, never by episode (:data:`SPLITS`): no show has
episodes on two sides. Roles are learned from the corpus itself: a speaker who
appears in at least :data:`HOST_SHARE` of a show's episodes is one of its
hosts (``host``), everyone else is a ``guest``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "PINNED_COMMIT",
    "SPLITS",
    "clean_text",
    "load_split",
    "parse_transcript",
    "read_corpus",
]

#: The corpus commit the shipped weights were trained on.
PINNED_COMMIT = "44a0e16c5919d332e05de481919fbfca90a2c90b"

#: Show folder -> split. Test shows are never trained or tuned on; validation
#: shows pick training settings. ``news`` (a written newsletter read aloud, with
#: links) and ``rfc`` are left out: they are not conversations.
SPLITS = {
    "podcast": "train",
    "gotime": "train",
    "practicalai": "train",
    "friends": "train",
    "backstage": "train",
    "afk": "train",
    "bigtent": "train",
    "spotlight": "train",
    "shipit": "validation",
    "founderstalk": "test",
    "brainscience": "test",
    "jsparty": "test",
}

#: A speaker in at least this share of a show's episodes is one of its hosts.
HOST_SHARE = 0.15

_LABEL = re.compile(r"^\*\*([^*\n]{1,60}?):\*\*\s*(.*)$")
# Timestamps, stage directions and sound cues: [laughs], \[00:12\], [unintelligible 00:01:02.03].
_BRACKETED = re.compile(r"\\?\[[^\]\n]{0,60}?\\?\]")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_NOT_PEOPLE = {"break", "outro", "intro", "sponsor", "ad", "music", "announcer", "narrator", "voiceover"}


def clean_text(text: str) -> str:
    """A turn's spoken words: links, stage directions, timestamps and markdown escapes gone."""
    text = _LINK.sub(r"\1", text)
    text = _BRACKETED.sub(" ", text)
    text = _ESCAPE.sub(r"\1", text)
    text = re.sub(r"[*_]{1,3}(\S[^*_\n]*?)[*_]{1,3}", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def parse_transcript(markdown: str) -> list[dict]:
    """Turns ``[{"speaker", "text"}]`` of one transcript; unlabelled paragraphs join the turn before."""
    turns: list[dict] = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LABEL.match(line)
        if match:
            name = clean_text(match.group(1)).strip()
            turns.append({"speaker": name, "text": clean_text(match.group(2))})
        elif turns:
            turns[-1]["text"] = (turns[-1]["text"] + " " + clean_text(line)).strip()
    merged: list[dict] = []
    for turn in turns:
        if not turn["text"] or turn["speaker"].lower() in _NOT_PEOPLE:
            continue
        if merged and merged[-1]["speaker"] == turn["speaker"]:
            merged[-1]["text"] += " " + turn["text"]
        else:
            merged.append(dict(turn))
    return merged


def _files(repo: Path, commit: str) -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every markdown file of the corpus at ``commit``."""
    if (repo / ".git").exists() or (repo / "HEAD").exists() and (repo / "objects").exists():
        git_dir = repo / ".git" if (repo / ".git").exists() else repo
        blob = subprocess.run(
            ["git", f"--git-dir={git_dir}", "archive", commit], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(".md"):
                    yield member.name, tar.extractfile(member).read().decode("utf-8", "replace")
    else:  # an extracted tree
        for path in sorted(repo.rglob("*.md")):
            yield str(path.relative_to(repo)), path.read_text("utf-8", "replace")


def read_corpus(repo: Path, commit: str = PINNED_COMMIT, *, min_words: int = 300) -> dict[str, list[dict]]:
    """Dialogues of every show in :data:`SPLITS`, grouped by split, with host/guest roles."""
    by_show: dict[str, list[dict]] = {}
    for path, text in _files(repo, commit):
        show = path.split("/", 1)[0]
        if show not in SPLITS or "/" not in path:
            continue
        turns = parse_transcript(text)
        words = sum(len(t["text"].split()) for t in turns)
        if len(turns) < 2 or words < min_words:
            continue
        by_show.setdefault(show, []).append(
            {"show": show, "episode": Path(path).stem, "name": f"{show}/{Path(path).stem}", "turns": turns}
        )
    splits: dict[str, list[dict]] = {"train": [], "validation": [], "test": []}
    for show, episodes in sorted(by_show.items()):
        appearances = Counter(name for ep in episodes for name in {t["speaker"] for t in ep["turns"]})
        hosts = {n for n, c in appearances.items() if c >= max(2, HOST_SHARE * len(episodes))}
        for ep in sorted(episodes, key=lambda e: e["episode"]):
            names = list(dict.fromkeys(t["speaker"] for t in ep["turns"]))
            ep["speakers"] = [{"name": n, "role": "host" if n in hosts else "guest"} for n in names]
            ep["style"] = episode_style(ep)
            splits[SPLITS[show]].append(ep)
    return splits


def episode_style(dialogue: dict) -> str:
    """The bench's style of a dialogue: monologue, interview, co-hosts, panel or rapid."""
    words = Counter()
    for turn in dialogue["turns"]:
        words[turn["speaker"]] += len(turn["text"].split())
    total = sum(words.values())
    main = [n for n, w in words.items() if w >= 0.05 * total]
    hosts = {s["name"] for s in dialogue.get("speakers", []) if s["role"] == "host"}
    mean_turn = total / max(1, len(dialogue["turns"]))
    if len(main) <= 1:
        return "monologue"
    if mean_turn < 25:
        return "rapid"
    if len(main) == 2:
        return "co-hosts" if set(main) <= hosts else "interview"
    return "panel"


def load_split(folder: Path, split: str) -> list[dict]:
    """The dialogues of one split written by this script."""
    with open(Path(folder) / f"{split}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="clone or git dir of thechangelog/transcripts")
    parser.add_argument("--commit", default=PINNED_COMMIT)
    parser.add_argument("--out", type=Path, default=Path("data/corpus"))
    args = parser.parse_args()
    splits = read_corpus(args.repo, args.commit)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, episodes in splits.items():
        with open(args.out / f"{split}.jsonl", "w", encoding="utf-8") as handle:
            for ep in episodes:
                handle.write(json.dumps(ep, ensure_ascii=False) + "\n")
        styles = Counter(ep["style"] for ep in episodes)
        shows = sorted({ep["show"] for ep in episodes})
        words = sum(len(t["text"].split()) for ep in episodes for t in ep["turns"])
        turns = sum(len(ep["turns"]) for ep in episodes)
        print(f"{split:<10} {len(episodes):>5} episodes {turns:>7} turns {words:>9} words  "
              f"shows={','.join(shows)}  styles={dict(styles)}")
    (args.out / "COMMIT").write_text(args.commit + "\n")


if __name__ == "__main__":
    main()
