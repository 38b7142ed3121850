"""Train the punctuation and casing model (:mod:`castline.clean.punctuation`) on the corpus.

Run (after ``bench/changelog_corpus.py`` wrote ``data/corpus``)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/train_punctuation.py --corpus data/corpus \
        --out castline/clean/punctuation_model.npz --minutes 20

Fixed seed, one CPU thread. Each dialogue of the ``train`` shows becomes one
stream of words with its punctuation and case stripped (what unpunctuated,
lower-case ASR gives); the labels are the punctuation after each word (none,
comma, period, question mark: ``; :`` count as commas, ``! …`` as periods) and
each word's case. Windows of 64 words at random offsets; the step kept is the
best on a slice of the ``validation`` show (mean of the three F1s and casing
accuracy), then offsets on the punctuation classes' scores are tuned on the
validation show for mean F1 (``--tune`` redoes only that). The test shows are never read here (``bench/punctuation.py`` scores
them). ``--smoke`` trains a tiny model on a few dialogues (tests).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.clean.punctuation import (  # noqa: E402
    N_SHAPE,
    SUFFIX_BUCKETS,
    case_label,
    featurize,
    normalise_word,
    punctuation_label,
)

_TRAIL = ".,;:!?\"'”’)]}…*-—–"
_LEAD = "\"'“‘([{¿¡*"


def dialogue_words(dialogue: dict) -> tuple[list[str], list[str], list[int], list[int]]:
    """``(normalised words, written forms, punctuation labels, case labels)`` of one dialogue's turns."""
    words, forms, punct, case = [], [], [], []
    for turn in dialogue["turns"]:
        for token in turn["text"].split():
            body = token.lstrip(_LEAD)
            core = body.rstrip(_TRAIL)
            trail = body[len(core):]
            if not core:
                # a lone dash or mark belongs to the word before it
                if punct and punct[-1] == 0:
                    label = punctuation_label(token)
                    punct[-1] = label if label else (1 if any(c in token for c in "-—–") else 0)
                continue
            words.append(normalise_word(core))
            forms.append(core)
            punct.append(punctuation_label(trail))
            case.append(case_label(core))
        if punct and punct[-1] == 0:
            punct[-1] = 2  # a turn ends a sentence
    return words, forms, punct, case


def read_split(path: Path, limit_words: int, rng: random.Random) -> list[tuple]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rng.shuffle(lines)
    out, total = [], 0
    for line in lines:
        item = dialogue_words(json.loads(line))
        if len(item[0]) < 50:
            continue
        out.append(item)
        total += len(item[0])
        if total >= limit_words:
            break
    return out


def build_vocabulary(dialogues, size: int) -> list[str]:
    counts = Counter(w for d in dialogues for w in d[0])
    return [w for w, _ in counts.most_common(size)]


def mixed_forms(dialogues, limit: int = 3000) -> list[str]:
    """Written forms of words usually in mixed case ("GitHub", "iPhone")."""
    forms: dict[str, Counter] = {}
    for words, written, _, case in dialogues:
        for w, f, c in zip(words, written, case, strict=True):
            if c == 3:
                forms.setdefault(w, Counter())[f] += 1
    totals = Counter(w for d in dialogues for w in d[0] if w in forms)
    keep = []
    for w, counter in forms.items():
        form, count = counter.most_common(1)[0]
        if count >= 3 and count * 2 >= totals[w]:
            keep.append((count, form))
    return [form for _, form in sorted(keep, reverse=True)[:limit]]


def arrays(dialogues, vocabulary: dict[str, int]):
    words = [w for d in dialogues for w in d[0]]
    ids, suffixes, shape = featurize(words, vocabulary)
    punct = np.array([p for d in dialogues for p in d[2]], dtype=np.int64)
    case = np.array([c for d in dialogues for c in d[3]], dtype=np.int64)
    return ids, suffixes, shape, punct, case


def make_net(vocab_size: int, dim: int, suffix_dim: int, hidden: int):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size + 1, dim)
            self.suffix = nn.Embedding(SUFFIX_BUCKETS, suffix_dim)
            self.gru = nn.GRU(dim + suffix_dim + N_SHAPE, hidden, batch_first=True, bidirectional=True)
            self.drop = nn.Dropout(0.2)
            self.punct = nn.Linear(2 * hidden, 4)
            self.case = nn.Linear(2 * hidden, 4)

        def forward(self, ids, suffixes, shape):
            x = torch.cat([self.embed(ids), self.suffix(suffixes), shape], dim=-1)
            h, _ = self.gru(self.drop(x))
            h = self.drop(h)
            return self.punct(h), self.case(h)

    return Net()


def f1_scores(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    out = {}
    for label, name in ((1, "comma"), (2, "period"), (3, "question")):
        tp = float(np.sum((pred == label) & (true == label)))
        fp = float(np.sum((pred == label) & (true != label)))
        fn = float(np.sum((pred != label) & (true == label)))
        out[name] = 2 * tp / max(2 * tp + fp + fn, 1.0)
    return out


def export(net, path: Path, vocabulary: list[str], mixed: list[str], meta: dict) -> None:
    sd = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    out = {
        "embed": sd["embed.weight"].astype(np.float16),
        "suffix": sd["suffix.weight"].astype(np.float16),
        "punct_w": sd["punct.weight"], "punct_b": sd["punct.bias"],
        "case_w": sd["case.weight"], "case_b": sd["case.bias"],
        "vocabulary": np.array("\n".join(vocabulary)),
        "mixed_forms": np.array("\n".join(mixed)),
    }
    for direction, suffix in (("fw", ""), ("bw", "_reverse")):
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            out[f"{direction}_{name}"] = sd[f"gru.{name.replace('w_', 'weight_').replace('b_', 'bias_')}_l0{suffix}"]
    for key, value in meta.items():
        out[f"meta_{key}"] = np.array(str(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)


def tune_bias(weights: Path, corpus: Path, words: int, seed: int) -> None:
    """Offsets on the punctuation classes' scores that maximise mean F1 on the validation show."""
    from castline.clean.punctuation import PunctuationModel

    rng = random.Random(seed)
    validation = read_split(corpus / "validation.jsonl", words, rng)
    with np.load(weights, allow_pickle=False) as data:
        stored = {k: data[k] for k in data.files}
    stored.pop("punct_bias", None)
    model = PunctuationModel(stored)
    true = np.array([p for d in validation for p in d[2]])
    logits = []
    for d in validation:
        probs, _ = model.probabilities(d[0])
        logits.append(np.log(np.maximum(probs, 1e-9)))
    scores = np.vstack(logits)

    def value(bias: np.ndarray) -> float:
        return float(np.mean(list(f1_scores(true, (scores + bias).argmax(1)).values())))

    bias = np.zeros(4, dtype=np.float32)
    best = value(bias)
    print(f"validation mean F1 before tuning {best:.4f}", flush=True)
    for _ in range(3):
        for k in (1, 2, 3):
            for delta in np.arange(-1.5, 1.51, 0.1):
                trial = bias.copy()
                trial[k] = delta
                v = value(trial)
                if v > best + 1e-4:
                    best, bias = v, trial
    stored["punct_bias"] = bias
    stored["meta_punct_bias_validation"] = np.array(
        json.dumps({k: round(v, 4) for k, v in f1_scores(true, (scores + bias).argmax(1)).items()})
    )
    np.savez_compressed(weights, **stored)
    print(f"bias {bias.round(2).tolist()}: validation mean F1 {best:.4f} -> {weights}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--out", type=Path, default=ROOT / "castline" / "clean" / "punctuation_model.npz")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-words", type=int, default=5_000_000)
    p.add_argument("--validation-words", type=int, default=150_000)
    p.add_argument("--vocabulary", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--eval-every", type=int, default=400)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--tune", action="store_true", help="only tune the class offsets of --out on validation")
    args = p.parse_args(argv)
    if args.tune:
        tune_bias(args.out, args.corpus, args.validation_words, args.seed)
        return 0
    if args.smoke:
        args.train_words, args.validation_words, args.vocabulary = 20_000, 5_000, 2000
        args.dim, args.hidden, args.minutes, args.eval_every = 16, 16, 0.2, 20

    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    t0 = time.time()
    train = read_split(args.corpus / "train.jsonl", args.train_words, rng)
    validation = read_split(args.corpus / "validation.jsonl", args.validation_words, rng)
    vocabulary = build_vocabulary(train, args.vocabulary)
    index = {w: i + 1 for i, w in enumerate(vocabulary)}
    mixed = mixed_forms(train)
    tr = [torch.from_numpy(a) for a in arrays(train, index)]
    va = [torch.from_numpy(a) for a in arrays(validation, index)]
    print(f"train {len(tr[0])} words from {len(train)} dialogues, validation {len(va[0])}; "
          f"{len(mixed)} mixed forms; {time.time() - t0:.0f} s", flush=True)

    net = make_net(len(vocabulary), args.dim, 16 if not args.smoke else 4, args.hidden)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    punct_weight = torch.tensor([1.0, 1.0, 1.0, 2.0])
    n, w = len(tr[0]), args.window
    best = (-1.0, None, 0)
    deadline = time.time() + args.minutes * 60
    step = 0

    def evaluate() -> tuple[float, dict]:
        net.eval()
        with torch.no_grad():
            length = (len(va[0]) // 256) * 256
            shaped = [a[:length].view(-1, 256, *a.shape[1:]) for a in va[:3]]
            punct, case = net(*shaped)
        net.train()
        scores = f1_scores(va[3][:length].numpy(), punct.argmax(-1).reshape(-1).numpy())
        scores["case"] = float((case.argmax(-1).reshape(-1) == va[4][:length]).float().mean())
        return sum(scores.values()) / 4, scores

    while time.time() < deadline:
        starts = torch.from_numpy(nprng.integers(0, n - w, size=args.batch))
        idx = starts[:, None] + torch.arange(w)[None, :]
        punct, case = net(tr[0][idx], tr[1][idx], tr[2][idx])
        loss = torch.nn.functional.cross_entropy(punct.reshape(-1, 4), tr[3][idx].reshape(-1), weight=punct_weight)
        loss = loss + torch.nn.functional.cross_entropy(case.reshape(-1, 4), tr[4][idx].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        if step % args.eval_every == 0:
            value, scores = evaluate()
            marks = " ".join(f"{k} {v:.3f}" for k, v in scores.items())
            print(f"step {step} loss {loss.item():.3f} validation {marks} ({time.time() - t0:.0f} s)", flush=True)
            if value > best[0]:
                best = (value, {k: v.clone() for k, v in net.state_dict().items()}, step)
    if best[1] is None:
        best = (evaluate()[0], net.state_dict(), step)
    net.load_state_dict(best[1])
    _, scores = evaluate()
    commit = (args.corpus / "COMMIT").read_text().strip() if (args.corpus / "COMMIT").exists() else "unknown"
    meta = {"corpus_commit": commit, "seed": args.seed, "step": best[2], "train_words": len(tr[0]),
            "validation": json.dumps({k: round(v, 4) for k, v in scores.items()})}
    export(net, args.out, vocabulary, mixed, meta)
    # the numpy forward pass must agree with torch (float16 embeddings aside)
    from castline.clean.punctuation import load_punctuation_model

    words = [w for d in validation for w in d[0]][:80]
    net.eval()
    with torch.no_grad():
        logits = net(*[a[:80][None] for a in va[:3]])[0][0].numpy()
    numpy_p = load_punctuation_model(args.out).probabilities(words)[0]
    torch_p = np.exp(logits - logits.max(1, keepdims=True))
    torch_p /= torch_p.sum(1, keepdims=True)
    print(f"numpy vs torch: largest probability gap {np.abs(numpy_p - torch_p).max():.4f}", flush=True)
    print(f"kept step {best[2]}: {meta['validation']} -> {args.out}", flush=True)
    tune_bias(args.out, args.corpus, args.validation_words, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
