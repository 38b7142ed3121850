"""The sentence-embedding model loads once even when two episodes ask for it at the same moment.

Two episodes of one inbox pass reach their chapters together after a restart
(their earlier stages come from the cache); a bare concurrent load made one of
them fail with "Cannot copy out of meta tensor". Run in a fresh interpreter so
the model is not loaded yet.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from castline import embed

pytestmark = pytest.mark.skipif(not embed.available(), reason="castline[audio] extra not installed")

SCRIPT = """
import threading
from castline import embed
barrier, results = threading.Barrier(3), []
def work(text):
    barrier.wait()
    try:
        results.append(embed.embed([text]).shape)
    except Exception as exc:
        results.append(f"{type(exc).__name__}: {exc}")
threads = [threading.Thread(target=work, args=(t,)) for t in ("one episode", "another", "a third")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(results)
"""


def test_three_threads_loading_the_model_at_once_all_get_embeddings():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[(1, 384), (1, 384), (1, 384)]", out.stdout
