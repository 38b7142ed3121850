"""The drop folder: claim finished files from ``inbox/``, process each once, archive or quarantine.

A data folder ``DIR`` holds ``inbox/ work/ output/ archive/ failed/``. One pass
(:func:`run_once`) does:

1. **recover** claims left in ``work/`` by a pass that was killed;
2. **scan** ``inbox/`` for regular files whose size, mtime and inode have not
   changed for ``settle_seconds`` (a file still being copied is left alone);
   symlinks and special files are quarantined without being followed or opened;
3. **claim** each ready file: an atomic ``os.rename`` into its own folder
   ``work/<claim id>/<sanitised name>``, then its sha256;
4. **process** it with the caller's ``process`` callable (files with a hash
   that was already processed successfully are archived as duplicates instead);
5. **archive** it (``archive/``) on success or **quarantine** it (``failed/``
   with ``<name>.error.json``) on failure. Files are moved, never rewritten.

Every claim and its outcome is recorded in a sqlite ledger
(``work/ledger.sqlite3``), keyed by claim id and indexed by content hash, which
is what makes a pass idempotent and a killed pass recoverable. Up to
``max_passes`` passes work on one data folder at a time (``run_once`` allows
one by default, ``castline inbox`` and the ``watch-inbox`` flow two); pass
slots are ``flock`` s on ``work/.inbox.lock``, ``work/.inbox.2.lock``, ...,
released by the OS if the process dies, and a pass that finds none free
returns at once with ``InboxReport.busy`` set. Passes that run together share the
inbox file by file: the rename decides who claims a file, each claim is held
by its pass until the file has moved on, and the same content under two names
is processed once (:mod:`~castline.service.inbox.holds`).

Options for a file (title, show, speakers, glossary) may come in a sidecar
``<name>.meta.json`` dropped beside it (the feed poller writes one). A
``process`` callable that takes two positional parameters is called as
``process(path, options)``; one that takes one is called as ``process(path)``.

Modules: :mod:`~castline.service.inbox.claims` (settle and claim),
:mod:`~castline.service.inbox.passes` (one pass: recover, process),
:mod:`~castline.service.inbox.outcomes` (archive or quarantine),
:mod:`~castline.service.inbox.ledger` (the sqlite ledger),
:mod:`~castline.service.inbox.holds` (pass slots, claims held, a content's turn),
:mod:`~castline.service.inbox.reports` (what a pass reports),
:mod:`~castline.service.inbox.watch` (whether there is work for a pass) and
:mod:`~castline.service.inbox.files` (the folder layout, safe names, moves).
"""

from __future__ import annotations

from castline.service.inbox.claims import OPTION_KEYS, claim, read_sidecar, scan_inbox
from castline.service.inbox.files import DEFAULT_MAX_BYTES, LAYOUT, SIDECAR_SUFFIX, ensure_layout, safe_name
from castline.service.inbox.ledger import Claim, ledger_entries
from castline.service.inbox.outcomes import HOW_TO_RETRY, archive, quarantine
from castline.service.inbox.passes import run_once
from castline.service.inbox.reports import FileOutcome, InboxReport, cli_summary
from castline.service.inbox.watch import InboxWork, inbox_work

__all__ = [
    "InboxWork",
    "inbox_work",
    "DEFAULT_MAX_BYTES",
    "HOW_TO_RETRY",
    "LAYOUT",
    "OPTION_KEYS",
    "SIDECAR_SUFFIX",
    "Claim",
    "FileOutcome",
    "InboxReport",
    "archive",
    "claim",
    "cli_summary",
    "ensure_layout",
    "ledger_entries",
    "quarantine",
    "read_sidecar",
    "run_once",
    "safe_name",
    "scan_inbox",
]
