"""castline: podcast post-production as pure stages over an :class:`Episode`.

Import stages from their modules (``castline.ingest``, ``castline.clean`` ...);
this package import stays cheap on purpose.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

__all__ = ["__version__", "code_version"]

__version__ = "0.1.0"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of castline's own source and shipped model weights, so caches never outlive a change."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).parent
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.npz")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
