"""A hostile drop into an inbox, and the check that nothing was lost or done twice (issue 19, part 2).

:func:`make_drop` fills ``DATA/inbox`` with ``total`` entries, a fifth or so hostile:
truncated audio, random bytes, zero bytes, a fifo, a symlink out of the inbox, a broken
sidecar, names with control characters or 240 characters, two names that slug alike,
copies of good files under other names, and a file that keeps growing (a
:class:`Writer` appends to it until stopped). :func:`check_drop` then reads the data
folder and its ledger and says what each entry became; it fails on anything lost,
processed twice, quarantined without a report, or with more than one output per
content. :func:`figures` gives throughput and latency from the ledger's times.

Used by ``tests/test_inbox_load.py`` and ``bench/inbox_load.py``. Run as a script it
is one plain inbox pass (``run_once`` with the real stages, no Prefect) that starts
when a "go" file appears, so a test can start two at the same moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = [
    "HOSTILE_PER_ROUND",
    "Expected",
    "LoadProcess",
    "Writer",
    "check_drop",
    "figures",
    "make_drop",
    "plain_pass_command",
    "ready_file",
    "start_together",
]

TALK = (
    "Alice Moreau: Welcome back to the show. Today we are talking about {topic}.\n"
    "Bob Okafor: Thanks for having me. {topic} matters because it changes how teams ship software.\n"
    "Alice Moreau: What surprised you most when you started working on it?\n"
    "Bob Okafor: Honestly, how much of {topic} comes down to measurement and patience.\n"
)
GROWING = "live recording.txt"
#: More conversation, for episodes of a realistic length (``make_drop(..., lines=N)``).
MORE = [
    "Alice Moreau: Let's go back to the start. How did you first come across {topic}?",
    "Bob Okafor: A colleague showed me a dashboard in {n}, and the numbers on it did not add up.",
    "Bob Okafor: We spent three weeks on it. The truth is that most teams never measure {topic} at all.",
    "Alice Moreau: Why do you think that is? It sounds like the obvious first step.",
    "Bob Okafor: Because it is boring, honestly. Nobody gets promoted for a spreadsheet about {topic}.",
    "Alice Moreau: So what would you tell someone starting out with {topic} today?",
    "Bob Okafor: Write down what you expect before you look. Then compare, and be honest about the gap.",
    "Alice Moreau: That is the second time this month a guest has said that to me.",
    "Bob Okafor: It keeps coming up because it works. We cut our error rate by {n} percent that way.",
    "Alice Moreau: What is the part of {topic} that you still find hard?",
    "Bob Okafor: Knowing when to stop. There is always one more experiment you could run.",
    "Alice Moreau: Where can people find your work on {topic}?",
]


@dataclass
class Expected:
    """What should become of one dropped entry: ``archived``, ``failed`` (and why) or ``copy``.

    ``copy``: the same bytes were dropped under several names; exactly one of them is
    archived (processed), the others are duplicates (archived with a note, not processed).
    """

    status: str
    digest: str  # sha256 of the bytes dropped, or "link:<target>" / "fifo"
    stage: str | None = None  # for a failure: the stage its report must name
    why: str = ""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _truncated_mp3(folder: Path) -> bytes:
    """Half of a 5 s mp3 (ffmpeg): its header promises 5 s, the data stops at 2.5."""
    whole = folder / ".tone.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=5",
                    "-b:a", "64k", str(whole)], check=True)
    data = whole.read_bytes()
    whole.unlink()
    return data[: len(data) // 2]


def _talk(topic: str, lines: int, n: int) -> bytes:
    more = [MORE[(i + n) % len(MORE)].format(topic=topic, n=1990 + (n + i) % 35) for i in range(lines)]
    return (TALK.format(topic=topic) + "".join(line + "\n" for line in more)).encode()


#: Hostile entries one round of :func:`make_drop` drops (bad content, odd names, copies, the growing file).
HOSTILE_PER_ROUND = 16


def make_drop(data: Path, total: int, *, scratch: Path, lines: int = 0) -> dict[str, Expected]:
    """Drop ``total`` entries (at least 24) into ``data/inbox``; return what each should become.

    About a fifth are hostile: rounds of :data:`HOSTILE_PER_ROUND` (one round up to 80
    entries, three for 200). ``scratch`` (outside the data folder) holds the symlinks'
    targets. The growing file is created too (start a :class:`Writer` on it); it is not
    in the returned map. Good episodes have four turns and ``lines`` more (40 make a
    talk of about 700 words).
    """
    inbox = data / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expected] = {}

    def drop(name: str, content: bytes, status: str, stage: str | None = None, why: str = "") -> None:
        (inbox / name).write_bytes(content)
        expected[name] = Expected(status, _sha(content), stage, why)

    rounds = max(1, -(-total // 5 // HOSTILE_PER_ROUND))
    mp3 = _truncated_mp3(scratch)
    copies: list[str] = []
    for r in range(rounds):
        n = f" {r + 1}" if r else ""  # round 1 keeps the plain names
        # Hostile content: each must end in failed/ with a report naming the stage.
        drop(f"truncated interview{n}.mp3", mp3[: len(mp3) // 2 - 64 * r], "failed", "decode", "truncated audio")
        drop(f"noise{n}.txt", os.urandom(6000), "failed", "ingest", "binary")
        if r == 0:  # zero bytes are one content: a second empty file would be a copy of the first
            drop("empty.txt", b"", "failed", "ingest", "zero bytes")
        else:
            drop(f"nul bytes{n}.txt", b"\0" * (64 * r), "failed", "ingest", "binary")
        drop(f"corrupt video{n}.mp4", os.urandom(4000), "failed", "probe", "not audio")
        drop(f"bad sidecar{n}.txt", TALK.format(topic=f"broken sidecars{n}").encode(), "failed", "options",
             "sidecar")
        (inbox / f"bad sidecar{n}.txt.meta.json").write_text("{not json", encoding="utf-8")
        secret = scratch / f"secret{n}.txt"
        secret.write_text(TALK.format(topic=f"a secret outside the inbox{n}"), encoding="utf-8")
        os.symlink(secret, inbox / f"link to secret{n}.txt")
        expected[f"link to secret{n}.txt"] = Expected("failed", f"link:{secret}", "inbox", "symlink")
        os.mkfifo(inbox / f"pipe{n}.txt")
        expected[f"pipe{n}.txt"] = Expected("failed", "fifo", "inbox", "fifo")

        # Good content under hostile names: processed, names sanitised.
        drop(f"bell\x07 and\x1b escape\ttab{n}.txt", TALK.format(topic=f"control characters{n}").encode(),
             "archived")
        drop((f"a very long name{n} " * 20)[:236] + ".txt", TALK.format(topic=f"long names{n}").encode(),
             "archived")
        drop(f"Same Slug{n}.txt", TALK.format(topic=f"gardening{n}").encode(), "archived", why="slugs alike")
        drop(f"Same_Slug{n}.txt", TALK.format(topic=f"sailing{n}").encode(), "archived", why="slugs alike")
        drop(f"Ünïcödé épisode 東京{n}.txt", TALK.format(topic=f"non-ASCII names{n}").encode(), "archived")
        copies += [f"copy of episode {3 * r + 1:03d}.txt", f"episode {3 * r + 2:03d} (final).txt",
                   f"EPISODE-{3 * r + 3:03d}.TXT"]

    # Ordinary good files, then copies of three of them per round under other names.
    good = total - len(expected) - len(copies) - 1  # the growing file counts too
    for i in range(max(good, 3 * rounds + 1)):
        drop(f"episode {i:03d}.txt", _talk(f"topic number {i} of the load test", lines, i), "archived")
    for i, name in enumerate(copies, start=1):
        source = inbox / f"episode {i:03d}.txt"
        drop(name, source.read_bytes(), "copy", why=f"same bytes as {source.name}")
        expected[source.name].status = "copy"
    (inbox / GROWING).write_text("Alice Moreau: this recording is still being copied.\n", encoding="utf-8")
    return expected


class LoadProcess:
    """What ``process-episode`` does, without Prefect: ingest (or the audio check), every stage,
    the output folder reserved as the flow reserves it, the outputs. Records each content given."""

    def __init__(self, data: Path) -> None:
        self.out = data / "output"
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, path: Path, options: dict) -> list[str]:
        from castline.export import write_outputs
        from castline.ingest import is_audio_path, read_episodes
        from castline.pipeline import build_settings, process
        from flows.episode import output_folder

        digest = _sha(path.read_bytes())
        with self._lock:
            self.seen.append(digest)
        if is_audio_path(path):
            from castline.speech.audio import load_audio

            load_audio(path)  # hostile audio stops here (AudioError); no ASR model in a load test
            raise RuntimeError("audio is not transcribed in the load test")
        settings = build_settings(speakers=options.get("speakers", ""), title=options.get("title"),
                                  show=options.get("show"))
        folders = []
        for index, episode in enumerate(read_episodes(path, title=options.get("title"))):
            episode = process(episode, settings)
            with output_folder(self.out, episode.slug, digest, index, input_path=str(path)) as folder:
                write_outputs(episode, folder)
            folders.append(str(folder))
        return folders


class Writer:
    """Appends a line to ``path`` every ``every`` seconds until :meth:`stop` (a file still being written).

    After ``max_lines`` lines it only touches the file (its mtime still changes, as
    under a copy tool that fills a file it made full size), so a long run does not
    leave a huge episode for the pass that finally takes it.
    """

    def __init__(self, path: Path, every: float = 0.1, max_lines: int = 300) -> None:
        self.path, self.every, self.max_lines = path, every, max_lines
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            if n < self.max_lines:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(f"Bob Okafor: and still talking, line {n}, about the same long subject.\n")
                n += 1
            else:
                os.utime(self.path)
            self._stop.wait(self.every)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> str:
        """Stop writing; return the sha256 of the finished file."""
        self._stop.set()
        self._thread.join()
        return _sha(self.path.read_bytes())


def _ledger(data: Path) -> list[dict]:
    from castline.service.inbox import ledger_entries

    return ledger_entries(data)


def check_drop(data: Path, expected: dict[str, Expected]) -> dict[str, list[str]]:
    """Assert every entry of ``expected`` was handled once, as expected; return problems found (none).

    Raises AssertionError listing every problem at once: an entry lost (still in the
    inbox or work/, or nowhere), claimed twice, in the wrong place or status, bytes
    changed, a failure without its report or reason, a duplicate without its note, or
    a content with more or fewer than one output folder.
    """
    problems: list[str] = []
    rows = _ledger(data)
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    left = [p.name for p in (data / "inbox").iterdir()]
    if left:
        problems.append(f"left in the inbox: {left}")
    stranded = [p.name for p in (data / "work").iterdir() if p.is_dir() and not p.name.startswith(".")]
    if stranded:
        problems.append(f"claims stranded in work/: {stranded}")
    done_by_sha: dict[str, str] = {}
    for name, want in expected.items():
        claims = by_name.get(name, [])
        if len(claims) != 1:
            problems.append(f"{name!r}: {len(claims)} claims in the ledger (want 1)")
            if not claims:
                continue
        row = claims[-1]
        status = {"done": "archived"}.get(row["status"], row["status"])
        if want.status == "copy" and status in ("archived", "duplicate"):
            pass  # one name of each copied content is archived: checked by content below
        elif status != want.status:
            problems.append(f"{name!r}: {status} (want {want.status}; {row['stage']}: {row['error']})")
        final = Path(row["final_path"] or "")
        folder = "failed" if status == "failed" else "archive"
        if final.parent != data / folder or not os.path.lexists(final):
            problems.append(f"{name!r}: not at its final path {final}")
            continue
        if want.digest.startswith("link:"):
            if not final.is_symlink() or os.readlink(final) != want.digest[5:]:
                problems.append(f"{name!r}: the link was changed")
        elif want.digest != "fifo" and _sha(final.read_bytes()) != want.digest:
            problems.append(f"{name!r}: bytes changed")
        if status == "failed":
            report = final.with_name(final.name + ".error.json")
            try:
                note = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                problems.append(f"{name!r}: no readable error report ({exc})")
                continue
            if not note.get("error") or note.get("file") != name:
                problems.append(f"{name!r}: report without a reason: {note}")
            if want.stage and note.get("stage") != want.stage:
                problems.append(f"{name!r}: failed at {note.get('stage')} (want {want.stage}): {note.get('error')}")
        elif status == "duplicate":
            if not final.with_name(final.name + ".duplicate.json").is_file():
                problems.append(f"{name!r}: duplicate without its note")
        elif status == "archived":
            if row["sha256"] in done_by_sha:
                problems.append(f"{name!r}: same content processed twice (also {done_by_sha[row['sha256']]!r})")
            done_by_sha[row["sha256"]] = name
    for digest in {w.digest for w in expected.values() if w.status == "copy"}:
        names = [n for n, w in expected.items() if w.digest == digest]
        if sum(1 for n in names if n in done_by_sha.values()) != 1:
            problems.append(f"copies {names}: want exactly one processed, the others duplicates")
    # Outputs: one folder per processed content, no more.
    outputs: dict[str, list[str]] = {}
    for episode_json in (data / "output").glob("*/episode.json"):
        digest = json.loads(episode_json.read_text(encoding="utf-8")).get("source_sha256")
        outputs.setdefault(digest, []).append(episode_json.parent.name)
    for digest, folders in outputs.items():
        if len(folders) != 1:
            problems.append(f"content {digest[:12]}: {len(folders)} output folders {folders}")
        if digest not in done_by_sha:
            problems.append(f"content {digest[:12]}: output {folders} for nothing archived")
    for digest, name in done_by_sha.items():
        if digest not in outputs:
            problems.append(f"{name!r}: archived without an output folder")
    assert not problems, "\n".join(problems)
    return {}


def _when(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def figures(data: Path, dropped_at: float, names: set[str] | None = None) -> dict[str, float]:
    """Throughput and latency of the entries in ``names`` (all by default), from the ledger.

    Latency is drop to outcome recorded (``finished_at``, whole seconds); throughput is
    processed files (archived) per minute over the span from the drop to the last outcome.
    """
    rows = [r for r in _ledger(data) if r["finished_at"] and (names is None or r["name"] in names)]
    latencies = sorted(max(0.0, _when(r["finished_at"]) - dropped_at) for r in rows)
    processed = sum(r["status"] == "done" for r in rows)
    span = max(latencies) if latencies else 0.0

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return {
        "entries": float(len(rows)),
        "processed": float(processed),
        "span_s": span,
        "per_minute": 60.0 * processed / span if span else 0.0,
        "latency_p50_s": pct(0.5),
        "latency_p95_s": pct(0.95),
        "latency_max_s": latencies[-1] if latencies else 0.0,
    }


def plain_pass_command(data: Path, go: Path, result: Path, *, settle: float, workers: int,
                       passes: int | None = None) -> list[str]:
    """The command for one plain pass over ``data`` that starts once ``go`` exists, its report to ``result``.

    The pass writes :func:`ready_file` of ``result`` once its imports are done.
    """
    command = [sys.executable, str(Path(__file__).resolve()), str(data), str(go), str(result), str(settle),
               str(workers)]
    return command + ([str(passes)] if passes is not None else [])


def ready_file(result: Path) -> Path:
    """Where the pass reporting to ``result`` says it is ready to start."""
    return result.with_name(result.name + ".ready")


def start_together(commands: list[list[str]], go: Path, ready: list[Path], *, cwd: Path,
                   timeout: float = 600.0) -> tuple[list[subprocess.Popen], float]:
    """Start ``commands``, wait until each has written its ``ready`` file, then create ``go``.

    Returns the processes and the time ``go`` was created: every pass is past its imports
    then, so they start on the drop together however slowly this machine imports.
    """
    procs = [subprocess.Popen(command, cwd=cwd) for command in commands]
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in ready):
        dead = [proc.args for proc in procs if proc.poll() is not None]
        if dead or time.monotonic() > deadline:
            for proc in procs:
                proc.kill()
            raise RuntimeError(f"passes not ready: {'exited: ' + str(dead) if dead else 'timed out'}")
        time.sleep(0.02)
    started = time.time()
    go.touch()
    return procs, started


def _plain_pass(argv: list[str]) -> None:
    data, go, result = Path(argv[0]), Path(argv[1]), Path(argv[2])
    settle, workers = float(argv[3]), int(argv[4])
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent)]
    import inspect

    # What LoadProcess imports on its first file, imported now so both passes start level.
    import castline.export  # noqa: F401
    import castline.ingest  # noqa: F401
    import castline.pipeline  # noqa: F401
    import castline.speech.audio  # noqa: F401
    import flows.episode  # noqa: F401
    from castline.service.inbox import run_once

    options = {}
    if len(argv) > 5 and "max_passes" in inspect.signature(run_once).parameters:
        options["max_passes"] = int(argv[5])
    process = LoadProcess(data)
    ready_file(result).touch()
    while not go.exists():
        time.sleep(0.01)
    started = time.time()
    report = run_once(data, process, settle_seconds=settle, max_workers=workers, **options)
    record = report.to_dict()
    record.update(seen=process.seen, started=started, finished=time.time())
    result.write_text(json.dumps(record), encoding="utf-8")


if __name__ == "__main__":
    _plain_pass(sys.argv[1:])
