"""Train the text-only turn model (:mod:`castline.diarize.turn_model`) on the Changelog corpus.

Run (after ``bench/changelog_corpus.py`` wrote ``data/corpus``)::

    .venv/bin/python bench/train_turn_model.py --corpus data/corpus \
        --out castline/diarize/turn_model.npz

Fixed seed, CPU, about four minutes on two cores. Trains on the ``train`` shows,
picks the epoch on the ``validation`` show and prints validation figures per
epoch (change F1 at 0.5, host accuracy, voice same-speaker AUC). ``--fraction``
keeps that share of the training episodes (learning curves); ``--smoke``
trains a tiny model on a few dialogues (used by the tests).

What the model sees is made to look like ASR output: sentences are split with
a plain regex, run-on sentences are cut into 30-45-word pieces as
ASR chunks cut them, a share of the episodes is lower-cased with its
question marks and commas gone, and another share has no case and no
punctuation at all, cut into 6-30-word chunks (raw, unpunctuated ASR).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from castline.diarize.turn_model import N_FEATURES, N_SCALARS, featurize, scalar_features  # noqa: E402

_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=\S)")


def sentences_of(text: str, rng: random.Random, *, raw: bool = False) -> list[str]:
    """ASR-like sentence units of one turn (``raw``: ASR chunks of 6-30 words, sentences unknown)."""
    out: list[str] = []
    if raw:
        words = text.split()
        while words:
            size = rng.randint(6, 30)
            out.append(" ".join(words[:size]))
            words = words[size:]
        return out
    for piece in _SPLIT.split(text):
        words = piece.split()
        while len(words) > 45:
            size = rng.randint(30, 45)
            out.append(" ".join(words[:size]))
            words = words[size:]
        if words:
            out.append(" ".join(words))
    return out


def roughen(text: str, mode: str) -> str:
    """``text`` as a rougher ASR would write it.

    ``lower``: no case, no ? or commas; ``noq``: ? -> .; ``raw``: no case and
    no punctuation at all.
    """
    if mode == "raw":
        return re.sub(r"[?,;:!.…]", "", text.lower())
    if mode == "lower":
        return re.sub(r"[?,;:!]", "", text.lower())
    if mode == "noq":
        return text.replace("?", ".")
    return text


def episode_units(dialogue: dict, rng: random.Random, *, augment: bool, raw_share: float = 0.0) -> dict:
    """Sentences of one dialogue with their speaker index and host flag."""
    hosts = {s["name"] for s in dialogue.get("speakers", []) if s["role"] == "host"}
    # "Host" is a clean label only where one host talks with guests; in panels of
    # regulars every panellist is a "host" of the show and the label says little.
    names = {t["speaker"] for t in dialogue["turns"]}
    host_known = len(hosts & names) == 1 and len(names - hosts) >= 1
    mode = (rng.choices(["plain", "lower", "noq", "raw"], weights=[0.6 - raw_share, 0.2, 0.2, raw_share])[0]
            if augment else "plain")
    ids: dict[str, int] = {}
    texts, speaker, host = [], [], []
    for turn in dialogue["turns"]:
        k = ids.setdefault(turn["speaker"], len(ids))
        for s in sentences_of(turn["text"], rng, raw=mode == "raw"):
            texts.append(roughen(s, mode))
            speaker.append(k)
            host.append(1.0 if turn["speaker"] in hosts else 0.0)
    mask = np.full(len(texts), host_known, dtype=bool)
    return {"texts": texts, "speaker": np.array(speaker), "host": np.array(host, dtype=np.float32),
            "host_mask": mask}


def shared_vocabulary(episodes: list[dict], shows: list[str], min_shows: int, min_count: int = 5,
                      limit: int = 150_000) -> dict[str, int] | None:
    """Features used in at least ``min_shows`` training shows (None: hash everything).

    Words only one or two shows use (their topics, sponsors, hosts' pet
    phrases) let the model learn those shows instead of conversation.
    """
    if min_shows <= 1:
        return None
    from collections import Counter

    from castline.diarize.turn_model import sentence_tokens

    total: Counter = Counter()
    per_show: dict[str, set] = {}
    for ep, show in zip(episodes, shows, strict=True):
        seen = per_show.setdefault(show, set())
        for text in ep["texts"]:
            toks = sentence_tokens(text)
            total.update(toks)
            seen.update(toks)
    need = min(min_shows, len(per_show))
    shows_of: Counter = Counter()
    for seen in per_show.values():
        shows_of.update(seen)
    kept = [t for t, c in total.most_common() if c >= min_count and shows_of[t] >= need][:limit]
    print(f"vocabulary: {len(kept)} features used in >= {need} of {len(per_show)} shows "
          f"(of {len(total)} seen)", flush=True)
    return {t: i for i, t in enumerate(kept)}


def load_dialogues(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def build_model(torch, *, dim: int, hidden: int, voice_dim: int, n_features: int, dropout: float = 0.1,
                n_scalars: int = N_SCALARS):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.EmbeddingBag(n_features, dim, mode="sum", sparse=True)
            nn.init.normal_(self.embed.weight, std=0.1)
            self.proj = nn.Linear(dim + n_scalars, 128)
            self.gru = nn.GRU(128, hidden, batch_first=True, bidirectional=True)
            self.change1 = nn.Linear(4 * hidden, 64)
            self.change2 = nn.Linear(64, 1)
            self.host = nn.Linear(2 * hidden, 1)
            self.voice = nn.Linear(2 * hidden, voice_dim)
            self.voice_scale = nn.Parameter(torch.tensor([5.0, -1.0]))
            self.drop = nn.Dropout(dropout)

        def forward(self, indices, offsets, weights, scalars, shape):
            b, w = shape
            bag = self.embed(indices, offsets, per_sample_weights=weights).view(b, w, -1)
            x = torch.tanh(self.proj(torch.cat([self.drop(bag), scalars], dim=-1)))
            h, _ = self.gru(x)
            h = self.drop(h)
            prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)
            change = self.change2(torch.tanh(self.change1(torch.cat([prev, h], dim=-1)))).squeeze(-1)
            host = self.host(h).squeeze(-1)
            voice = torch.nn.functional.normalize(self.voice(h), dim=-1)
            return change, host, voice

    return Net()


#: Weight name in the exported file -> parameter of the torch net (torch's GRU gate order r, z, n).
EXPORTED = {
    "embed": "embed.weight",
    "proj_w": "proj.weight", "proj_b": "proj.bias",
    "fw_w_ih": "gru.weight_ih_l0", "fw_w_hh": "gru.weight_hh_l0",
    "fw_b_ih": "gru.bias_ih_l0", "fw_b_hh": "gru.bias_hh_l0",
    "bw_w_ih": "gru.weight_ih_l0_reverse", "bw_w_hh": "gru.weight_hh_l0_reverse",
    "bw_b_ih": "gru.bias_ih_l0_reverse", "bw_b_hh": "gru.bias_hh_l0_reverse",
    "change_w1": "change1.weight", "change_b1": "change1.bias",
    "change_w2": "change2.weight", "change_b2": "change2.bias",
    "host_w": "host.weight", "host_b": "host.bias",
    "voice_w": "voice.weight", "voice_b": "voice.bias",
    "voice_scale": "voice_scale",
}


def export(net, path: Path, meta: dict, vocabulary: dict[str, int] | None = None) -> None:
    """Save the weights in the layout :class:`castline.diarize.turn_model.TurnModel` reads."""
    sd = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    out = {name: sd[param] for name, param in EXPORTED.items()}
    out["embed"] = out["embed"].astype(np.float16)
    if vocabulary is not None:
        words = sorted(vocabulary, key=vocabulary.get)
        out["vocabulary"] = np.array("\n".join(words))
    for key, value in meta.items():
        out[f"meta_{key}"] = np.array(str(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)


class Batches:
    """Windows of consecutive sentences from many episodes, featurized once."""

    def __init__(self, episodes: list[dict], window: int, vocabulary: dict[str, int] | None = None,
                 positions: bool = False):
        self.window = window
        texts = [t for ep in episodes for t in ep["texts"]]
        self.matrix = featurize(texts, vocabulary).tocsr()
        self.scalars = np.vstack([scalar_features(ep["texts"], positions=positions) for ep in episodes])
        self.speaker = np.concatenate([ep["speaker"] + 1000 * i for i, ep in enumerate(episodes)])
        self.host = np.concatenate([ep["host"] for ep in episodes])
        self.host_mask = np.concatenate([ep["host_mask"] for ep in episodes])
        starts = np.cumsum([0] + [len(ep["texts"]) for ep in episodes])
        self.bounds = list(zip(starts[:-1], starts[1:], strict=True))

    def windows(self, rng: np.random.Generator | None) -> list[tuple[int, int]]:
        out = []
        for a, b in self.bounds:
            shift = int(rng.integers(0, self.window)) if rng is not None else 0
            start = a - shift if rng is not None else a
            while start < b:
                lo = max(start, a)
                hi = min(start + self.window, b)
                if hi - lo >= 2:
                    out.append((lo, hi))
                start += self.window
        return out

    def tensors(self, torch, group: list[tuple[int, int]], drop: float = 0.0, rng=None):
        w = max(hi - lo for lo, hi in group)
        rows = np.full((len(group), w), -1, dtype=np.int64)
        for r, (lo, hi) in enumerate(group):
            rows[r, : hi - lo] = np.arange(lo, hi)
        valid = rows >= 0
        flat = np.where(valid, rows, 0).ravel()
        sub = self.matrix[flat]
        sub.data[~np.repeat(valid.ravel(), np.diff(sub.indptr))] = 0.0
        if drop and rng is not None:
            # Feature dropout: the model may not lean on any one word.
            sub.data = sub.data * (rng.random(len(sub.data)) >= drop).astype(np.float32) / (1.0 - drop)
        t = torch.as_tensor
        speaker = np.where(valid, self.speaker[flat].reshape(rows.shape), -1)
        change = np.zeros(rows.shape, dtype=np.float32)
        change[:, 1:] = speaker[:, 1:] != speaker[:, :-1]
        change_mask = valid.copy()
        change_mask[:, 0] = False
        change_mask[:, 1:] &= valid[:, :-1]
        return {
            "indices": t(sub.indices.astype(np.int64)),
            "offsets": t(sub.indptr[:-1].astype(np.int64)),
            "weights": t(sub.data.astype(np.float32)),
            "scalars": t(self.scalars[flat].reshape(*rows.shape, -1)),
            "shape": rows.shape,
            "valid": t(valid),
            "speaker": t(speaker),
            "change": t(change),
            "change_mask": t(change_mask),
            "host": t(self.host[flat].reshape(rows.shape)),
            "host_mask": t(self.host_mask[flat].reshape(rows.shape) & valid),
        }


def losses(torch, net, batch, weights=(0.5, 1.0)):
    F = torch.nn.functional
    change, host, voice = net(batch["indices"], batch["offsets"], batch["weights"], batch["scalars"],
                              batch["shape"])
    cm, valid = batch["change_mask"], batch["valid"]
    l_change = F.binary_cross_entropy_with_logits(change[cm], batch["change"][cm])
    hm = batch["host_mask"]
    l_host = (F.binary_cross_entropy_with_logits(host[hm], batch["host"][hm]) if bool(hm.any())
              else host.sum() * 0.0)
    sim = torch.bmm(voice, voice.transpose(1, 2))
    logits = net.voice_scale[0] * sim + net.voice_scale[1]
    spk = batch["speaker"]
    same = (spk[:, :, None] == spk[:, None, :]).float()
    pair_mask = valid[:, :, None] & valid[:, None, :]
    eye = torch.eye(spk.shape[1], dtype=torch.bool)[None]
    pair_mask = pair_mask & ~eye
    l_voice = F.binary_cross_entropy_with_logits(logits[pair_mask], same[pair_mask])
    total = l_change + weights[0] * l_host + weights[1] * l_voice
    return total, (l_change, l_host, l_voice), (change, host, logits, same, pair_mask)


def evaluate(torch, net, data: Batches, batch_size: int) -> dict:
    from sklearn.metrics import roc_auc_score

    net.eval()
    totals = np.zeros(3)
    n = 0
    tp = fp = fn = 0
    host_ok = host_n = 0
    scores, labels = [], []
    positives = negatives = 0
    rng = np.random.default_rng(0)
    with torch.no_grad():
        wins = data.windows(None)
        for k in range(0, len(wins), batch_size):
            batch = data.tensors(torch, wins[k : k + batch_size])
            _, parts, (change, host, logits, same, pair_mask) = losses(torch, net, batch)
            totals += [p.item() for p in parts]
            n += 1
            cm = batch["change_mask"]
            pred = change[cm] > 0
            truth = batch["change"][cm] > 0.5
            positives += int(truth.sum())
            negatives += int((~truth).sum())
            tp += int((pred & truth).sum())
            fp += int((pred & ~truth).sum())
            fn += int((~pred & truth).sum())
            valid = batch["host_mask"]
            host_ok += int(((host[valid] > 0) == (batch["host"][valid] > 0.5)).sum())
            host_n += int(valid.sum())
            sel = pair_mask.nonzero()
            pick = rng.choice(len(sel), size=min(2000, len(sel)), replace=False)
            sel = sel[pick]
            scores.append(logits[sel[:, 0], sel[:, 1], sel[:, 2]].numpy())
            labels.append(same[sel[:, 0], sel[:, 1], sel[:, 2]].numpy())
    net.train()
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    rate = min(max(positives / max(positives + negatives, 1), 1e-6), 1 - 1e-6)
    return {
        # what always predicting the base rate of changes would score: the model must beat it
        "base_loss_change": float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))),
        "loss_change": totals[0] / n, "loss_host": totals[1] / n, "loss_voice": totals[2] / n,
        "change_f1": 2 * p * r / max(p + r, 1e-9), "change_p": p, "change_r": r,
        "host_acc": host_ok / max(host_n, 1),
        "voice_auc": float(roc_auc_score(np.concatenate(labels), np.concatenate(scores))),
    }


def train(args) -> dict:
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    train_dialogues = load_dialogues(args.corpus / "train.jsonl")
    val_dialogues = load_dialogues(args.corpus / "validation.jsonl")
    if args.fraction < 1.0:
        keep = max(2, round(args.fraction * len(train_dialogues)))
        train_dialogues = rng.sample(train_dialogues, keep)
    if args.max_val:
        val_dialogues = val_dialogues[: args.max_val]
    t0 = time.time()
    train_eps = [episode_units(d, rng, augment=True, raw_share=args.raw_share) for d in train_dialogues]
    val_eps = [episode_units(d, random.Random(1), augment=False) for d in val_dialogues]
    vocabulary = shared_vocabulary(train_eps, [d["show"] for d in train_dialogues], args.min_shows)
    train_data = Batches(train_eps, args.window, vocabulary, positions=args.positions)
    val_data = Batches(val_eps, args.window, vocabulary, positions=args.positions)
    n_features = len(vocabulary) if vocabulary else N_FEATURES
    print(f"featurized {len(train_data.speaker)} train / {len(val_data.speaker)} validation sentences "
          f"from {len(train_eps)} / {len(val_eps)} episodes in {time.time() - t0:.0f} s", flush=True)
    net = build_model(torch, dim=args.dim, hidden=args.hidden, voice_dim=args.voice_dim, n_features=n_features,
                      n_scalars=train_data.scalars.shape[1],
                      dropout=args.dropout)
    sparse = [net.embed.weight]
    dense = [p for name, p in net.named_parameters() if not name.startswith("embed.")]
    opt_sparse = torch.optim.SparseAdam(sparse, lr=args.lr)
    opt_dense = torch.optim.Adam(dense, lr=args.lr)
    history = []
    best = None
    start = evaluate(torch, net, val_data, args.batch)
    print(f"epoch 0  validation {json.dumps({k: round(v, 4) for k, v in start.items()})}", flush=True)
    history.append({"epoch": 0, **start})
    for epoch in range(1, args.epochs + 1):
        wins = train_data.windows(nprng)
        order = nprng.permutation(len(wins))
        t1 = time.time()
        running = []
        for k in range(0, len(order), args.batch):
            batch = train_data.tensors(torch, [wins[i] for i in order[k : k + args.batch]], args.feature_drop,
                                       nprng)
            loss, parts, _ = losses(torch, net, batch, (args.host_loss, args.voice_loss))
            opt_sparse.zero_grad()
            opt_dense.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dense, 5.0)
            opt_sparse.step()
            opt_dense.step()
            running.append(loss.item())
            if args.progress and (k // args.batch) % args.progress == 0:
                print(f"  step {k // args.batch}/{len(order) // args.batch} loss {np.mean(running[-50:]):.4f} "
                      f"({time.time() - t1:.0f} s)", flush=True)
        val = evaluate(torch, net, val_data, args.batch)
        history.append({"epoch": epoch, "train_loss": float(np.mean(running)), **val})
        print(f"epoch {epoch}  train loss {np.mean(running):.4f} ({time.time() - t1:.0f} s)  validation "
              f"{json.dumps({k: round(v, 4) for k, v in val.items()})}", flush=True)
        score = val["loss_change"] + args.host_loss * val["loss_host"] + args.voice_loss * val["loss_voice"]
        if best is None or score < best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in net.state_dict().items()})
            if args.out and args.save_every:
                export(net, args.out, {"epoch": epoch, "partial": True}, vocabulary)
    net.load_state_dict(best[2])
    meta = {"corpus_commit": (args.corpus / "COMMIT").read_text().strip() if (args.corpus / "COMMIT").exists()
            else "unknown", "epoch": best[1], "seed": args.seed, "fraction": args.fraction,
            "train_episodes": len(train_eps)}
    if args.out:
        export(net, args.out, meta, vocabulary)
        print(f"wrote {args.out} (epoch {best[1]}, {args.out.stat().st_size / 1e6:.1f} MB)")
    return {"history": history, "best_epoch": best[1]}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--window", type=int, default=96)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--voice-dim", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fraction", type=float, default=1.0)
    p.add_argument("--save-every", action="store_true", help="export the best model after every epoch")
    p.add_argument("--host-loss", type=float, default=0.5, help="weight of the host head's loss")
    p.add_argument("--voice-loss", type=float, default=1.0, help="weight of the voice head's loss")
    p.add_argument("--min-shows", type=int, default=1, help="keep features used in at least this many shows")
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--feature-drop", type=float, default=0.2, help="share of sentence features dropped in training")
    p.add_argument("--raw-share", type=float, default=0.0,
                   help="share of episodes with no case and no punctuation (raw ASR)")
    p.add_argument("--no-positions", dest="positions", action="store_false",
                   help="do not give the model each sentence's place in the episode")
    p.add_argument("--progress", type=int, default=0, help="print the loss every N steps")
    p.add_argument("--max-val", type=int, default=0, help="use only the first N validation episodes")
    return p


if __name__ == "__main__":
    train(parser().parse_args())
