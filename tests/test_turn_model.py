"""The learned turn model: training learns, numpy inference matches torch, the shipped weights hold floors.

The slices in ``tests/fixtures/changelog`` are excerpts of ``thechangelog/transcripts``
(CC BY-SA 4.0, see ``bench/CORPUS.md``): training shows in ``train-slice.jsonl``,
test shows (never trained or tuned on) in ``test-slice.jsonl``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SLICES = ROOT / "tests" / "fixtures" / "changelog"


def _load_bench(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(f"bench_{name}", module)
    spec.loader.exec_module(module)
    return module


def _slice(name: str) -> list[dict]:
    return [json.loads(line) for line in (SLICES / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny model trained on the committed training slice (CPU, seconds)."""
    train = _load_bench("train_turn_model")
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(SLICES / "train-slice.jsonl", corpus / "train.jsonl")
    (corpus / "validation.jsonl").write_text(
        "\n".join(json.dumps(d) for d in _slice("test-slice.jsonl")[:2]) + "\n", encoding="utf-8"
    )
    out = corpus / "tiny.npz"
    args = train.parser().parse_args(
        ["--corpus", str(corpus), "--out", str(out), "--epochs", "4", "--dim", "16", "--hidden", "16",
         "--voice-dim", "8", "--window", "48", "--batch", "8", "--lr", "5e-3", "--threads", "1"]
    )
    result = train.train(args)
    return train, args, result, out


def test_training_learns_from_real_turns(tiny):
    _, _, result, _ = tiny
    history = result["history"]
    losses = [h["train_loss"] for h in history[1:]]
    assert losses[-1] < losses[0]
    best = history[result["best_epoch"]]
    # Better than always predicting the base rate of speaker changes, on other shows.
    assert best["loss_change"] < best["base_loss_change"] - 0.02
    assert best["change_f1"] > 0.3


def test_numpy_forward_matches_torch(tiny):
    import torch

    train, args, _, out = tiny
    from castline.diarize.turn_model import N_FEATURES, N_SCALARS, TurnModel, featurize, scalar_features

    net = train.build_model(torch, dim=args.dim, hidden=args.hidden, voice_dim=args.voice_dim,
                            n_features=N_FEATURES, n_scalars=N_SCALARS + (2 if args.positions else 0))
    with np.load(out) as data:
        model = TurnModel({k: data[k] for k in data.files})
    # Rebuild the torch net from the exported arrays and compare outputs.
    state = {param: model.w[name] for name, param in train.EXPORTED.items()}
    net.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    net.eval()
    texts = ["So how did you start?", "Well, honestly, by accident.", "i was in a lab and", "it just clicked."]
    matrix = featurize(texts).tocsr()
    with torch.no_grad():
        change, host, voice = net(
            torch.as_tensor(matrix.indices.astype(np.int64)), torch.as_tensor(matrix.indptr[:-1].astype(np.int64)),
            torch.as_tensor(matrix.data), torch.as_tensor(scalar_features(texts, positions=args.positions))[None], (1, len(texts)),
        )
    ours = model.predict(texts)
    assert np.allclose(ours.change[1:], change[0, 1:].numpy(), atol=1e-4)
    assert np.allclose(ours.host, host[0].numpy(), atol=1e-4)
    assert np.allclose(ours.voice, voice[0].numpy(), atol=1e-4)


def test_shipped_weights_are_small_and_load():
    from castline.diarize.turn_model import load_turn_model, weights_path

    assert weights_path().stat().st_size <= 25 * 1024 * 1024
    model = load_turn_model()
    assert str(model.meta["meta_corpus_commit"]).startswith("44a0e16c")
    out = model.predict(["What got you into this?", "I was a teacher for ten years."])
    assert out.change.shape == (2,) and out.voice.shape[0] == 2
