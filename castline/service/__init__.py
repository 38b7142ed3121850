"""The service around the pipeline: files in, outputs out, on a schedule.

* :mod:`~castline.service.inbox`: the drop folder (claim, process once,
  archive or quarantine, the ledger);
* :mod:`~castline.service.feeds`: RSS/Atom polling into the inbox;
* :mod:`~castline.service.locks`: machine-wide slots for heavy work;
* :mod:`~castline.service.server`: the Prefect server and the serve process.

The stages never import this package; ``flows/`` does. Import from the
modules: this package import stays cheap.
"""

from __future__ import annotations

__all__ = ["feeds", "inbox", "locks", "server"]
