"""The learned turn model: who is speaking, sentence by sentence, from text alone.

A sentence becomes a bag of hashed features (words, word pairs, its first and
last words by position, its length and punctuation); a learned embedding table
turns the bag into a vector; a bidirectional GRU reads the sentences of the
whole episode in order; three heads read its states:

* ``change[i]`` — log-odds that the speaker changes between sentence ``i-1`` and ``i``;
* ``host[i]`` — log-odds that sentence ``i`` is spoken by one of the show's hosts;
* ``voice[i]`` — a unit vector; two sentences of the same speaker point the same
  way (trained with a pairwise same-speaker loss inside windows of sentences).

The weights are trained on ``thechangelog/transcripts`` by
``bench/train_turn_model.py`` (torch) and shipped as ``turn_model.npz``; this
module runs them with numpy only, so attribution needs no torch at run time.

Examples
--------
>>> model = load_turn_model()
>>> out = model.predict(["So what got you started?", "Well, it was 2004.", "I was in Seattle."])
>>> out.change.shape, out.voice.shape
((3,), (3, 32))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "N_FEATURES",
    "N_SCALARS",
    "TurnModel",
    "TurnPrediction",
    "featurize",
    "load_turn_model",
    "scalar_features",
    "sentence_tokens",
    "weights_path",
]

#: Hashing space of the sentence features.
N_FEATURES = 2**17
#: Columns of :func:`scalar_features`.
N_SCALARS = 4
_TOKEN = re.compile(r"[\w']+|[?!.,;:…\-—]")
_PUNCT = set("?!.,;:…-—")


def _normalise(text: str) -> list[str]:
    """Lower-cased tokens; names and numbers become ``<name>`` and ``<num>``.

    A capitalised word inside a sentence is most often a name; the model must
    learn that someone is addressed or mentioned, not who, or it learns the
    training shows' hosts instead of how conversations work.
    """
    out = []
    for k, tok in enumerate(_TOKEN.findall(text)):
        if tok[:1].isdigit():
            out.append("<num>")
        elif k and tok[:1].isupper() and tok != "I" and not tok.startswith("I'"):
            out.append("<name>")
        else:
            out.append(tok.lower())
    return out


def sentence_tokens(text: str) -> list[str]:
    """The hashed features of one sentence (before hashing)."""
    toks = _normalise(text)
    if not toks:
        return ["<empty>"]
    words = [t for t in toks if t not in _PUNCT]
    out = [f"u:{t}" for t in toks]
    out += [f"b:{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
    for k, t in enumerate(words[:3]):
        out.append(f"f{k}:{t}")
    if len(words) >= 2:
        out.append(f"fb:{words[0]} {words[1]}")
    for k, t in enumerate(reversed(toks[-3:])):
        out.append(f"l{k}:{t}")
    n = len(words)
    out.append(f"len:{min(n, 12) if n < 12 else (15 if n < 20 else (25 if n < 35 else 50))}")
    return out


def scalar_features(texts: Sequence[str], *, positions: bool = False) -> np.ndarray:
    """Per-sentence numbers: log length, question, short, lower-case start.

    ``positions`` adds two columns, the place in the episode (0..1) and
    ``1 / (1 + index)``. A model trained with them reads a short excerpt as an
    episode's opening, where the host talks; the shipped model says whether it
    uses them by the width of its input layer.
    """
    rows = np.zeros((len(texts), N_SCALARS + (2 if positions else 0)), dtype=np.float32)
    for i, text in enumerate(texts):
        words = len(text.split())
        stripped = text.strip()
        rows[i, 0] = np.log1p(words) / 4.0
        rows[i, 1] = 1.0 if stripped.endswith("?") else 0.0
        rows[i, 2] = 1.0 if words <= 3 else 0.0
        rows[i, 3] = 1.0 if stripped[:1].islower() else 0.0
        if positions:
            rows[i, 4] = i / max(len(texts) - 1, 1)
            rows[i, 5] = 1.0 / (1.0 + i)
    return rows


@lru_cache(maxsize=1)
def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=N_FEATURES, analyzer=sentence_tokens, alternate_sign=False, norm=None, dtype=np.float32
    )


def featurize(texts: Sequence[str], vocabulary: dict[str, int] | None = None):
    """Sparse matrix of the sentences' features, rows scaled to unit length.

    With a ``vocabulary`` (feature -> column) only its features count: the
    shipped model keeps the features many shows share, so it learns how people
    talk rather than what one show talks about. Without one, features are
    hashed into :data:`N_FEATURES` columns.
    """
    from sklearn.preprocessing import normalize

    if vocabulary is None:
        matrix = _vectorizer().transform(list(texts)).tocsr()
    else:
        from scipy.sparse import csr_matrix

        indptr, indices = [0], []
        for text in texts:
            cols = {vocabulary[t] for t in sentence_tokens(text) if t in vocabulary}
            indices.extend(sorted(cols))
            indptr.append(len(indices))
        matrix = csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
            shape=(len(texts), len(vocabulary)),
        )
    matrix.data = np.minimum(matrix.data, 2.0)
    return normalize(matrix, norm="l2", copy=False)


@dataclass
class TurnPrediction:
    """The model's reading of an episode's sentences (arrays of length ``n``)."""

    change: np.ndarray  # log-odds of a change before sentence i (change[0] is 0)
    host: np.ndarray  # log-odds that sentence i is a host's
    voice: np.ndarray  # (n, d) unit vectors, same speaker -> same direction


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class TurnModel:
    """The turn model's weights and a numpy forward pass.

    Parameters
    ----------
    weights
        Arrays by name, as saved by ``bench/train_turn_model.py`` (see
        :func:`load_turn_model`): ``embed``, ``proj_w``, ``proj_b``, the GRU's
        ``{fw,bw}_{w_ih,w_hh,b_ih,b_hh}`` (torch's gate order r, z, n), and the
        heads ``change_w1/b1/w2/b2``, ``host_w/b``, ``voice_w/b``, ``voice_scale``.
    """

    def __init__(self, weights: dict[str, np.ndarray]):
        words = weights.get("vocabulary")
        self.vocabulary = {t: i for i, t in enumerate(str(words).split("\n"))} if words is not None else None
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()
                  if not k.startswith("meta_") and k != "vocabulary"}
        self.meta = {k: weights[k] for k in weights if k.startswith("meta_")}

    def _gru(self, x: np.ndarray, prefix: str, reverse: bool) -> np.ndarray:
        w_ih, w_hh = self.w[f"{prefix}_w_ih"], self.w[f"{prefix}_w_hh"]
        b_ih, b_hh = self.w[f"{prefix}_b_ih"], self.w[f"{prefix}_b_hh"]
        hidden = w_hh.shape[1]
        gates_x = x @ w_ih.T + b_ih  # all input projections at once
        h = np.zeros(hidden, dtype=np.float32)
        out = np.zeros((len(x), hidden), dtype=np.float32)
        order = range(len(x) - 1, -1, -1) if reverse else range(len(x))
        w_hh_t = w_hh.T
        for t in order:
            gx = gates_x[t]
            gh = h @ w_hh_t + b_hh
            r = _sigmoid(gx[:hidden] + gh[:hidden])
            z = _sigmoid(gx[hidden : 2 * hidden] + gh[hidden : 2 * hidden])
            n = np.tanh(gx[2 * hidden :] + r * gh[2 * hidden :])
            h = (1.0 - z) * n + z * h
            out[t] = h
        return out

    def predict(self, texts: Sequence[str]) -> TurnPrediction:
        """Change, host and voice outputs for the sentences of one episode, in order."""
        n = len(texts)
        if n == 0:
            empty = np.zeros(0, dtype=np.float32)
            return TurnPrediction(empty, empty, np.zeros((0, self.w["voice_w"].shape[0]), np.float32))
        w = self.w
        bag = featurize(texts, self.vocabulary) @ w["embed"]
        scalars = scalar_features(texts, positions=w["proj_w"].shape[1] == bag.shape[1] + N_SCALARS + 2)
        x = np.tanh(np.hstack([bag, scalars]) @ w["proj_w"].T + w["proj_b"])
        h = np.hstack([self._gru(x, "fw", False), self._gru(x, "bw", True)])
        pair = np.hstack([np.vstack([np.zeros((1, h.shape[1]), np.float32), h[:-1]]), h])
        hidden = np.tanh(pair @ w["change_w1"].T + w["change_b1"])
        change = (hidden @ w["change_w2"].T + w["change_b2"])[:, 0]
        change[0] = 0.0
        host = (h @ w["host_w"].T + w["host_b"])[:, 0]
        voice = h @ w["voice_w"].T + w["voice_b"]
        voice /= np.maximum(np.linalg.norm(voice, axis=1, keepdims=True), 1e-6)
        return TurnPrediction(change.astype(np.float64), host.astype(np.float64), voice)

    @property
    def voice_scale(self) -> tuple[float, float]:
        """``(scale, bias)``: same-speaker log-odds of two voices are ``scale * cosine + bias``."""
        return float(self.w["voice_scale"][0]), float(self.w["voice_scale"][1])


def weights_path() -> Path:
    """The shipped weights (``CASTLINE_TURN_MODEL`` names another ``.npz``)."""
    import os

    custom = os.environ.get("CASTLINE_TURN_MODEL")
    return Path(custom) if custom else Path(__file__).with_name("turn_model.npz")


@lru_cache(maxsize=4)
def _load(path: str) -> TurnModel:
    with np.load(path, allow_pickle=False) as data:
        return TurnModel({k: data[k] for k in data.files})


def load_turn_model(path: str | Path | None = None) -> TurnModel:
    """The turn model at ``path`` (default :func:`weights_path`), loaded once per process."""
    target = Path(path) if path else weights_path()
    if not target.exists():
        raise FileNotFoundError(f"no turn model weights at {target} (bench/train_turn_model.py builds them)")
    return _load(str(target.resolve()))
