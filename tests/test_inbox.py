"""The drop folder: settle, claim, process once, archive or quarantine — bytes always intact."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from castline.service.inbox import (
    HOW_TO_RETRY,
    claim,
    cli_summary,
    ledger_entries,
    run_once,
    safe_name,
    scan_inbox,
)

ROOT = Path(__file__).resolve().parent.parent

TALK = (
    "Alice Moreau: Welcome back to the show. Today we are talking about {topic}.\n"
    "Bob Okafor: Thanks for having me. {topic} matters because it changes how teams ship software.\n"
    "Alice Moreau: What surprised you most when you started working on it?\n"
    "Bob Okafor: Honestly, how much of it comes down to measurement.\n"
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class RealProcess:
    """The real stages (ingest -> pipeline -> export), counting what content it was given."""

    def __init__(self, data_dir: Path, *, full: bool = True) -> None:
        self.out = data_dir / "output"
        self.full = full
        self.seen: list[str] = []
        self.options: dict[str, dict] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path, options: dict) -> list[str]:
        from castline.export import write_outputs
        from castline.ingest import read_episodes
        from castline.pipeline import build_settings, process

        with self._lock:
            self.seen.append(sha(path))
            self.options[path.name] = options
        settings = build_settings(
            speakers=options.get("speakers", ""), title=options.get("title"), show=options.get("show")
        )
        folders = []
        for episode in read_episodes(path, title=options.get("title")):
            if self.full:
                episode = process(episode, settings)
            folders.append(str(write_outputs(episode, self.out / episode.slug)["episode.json"].parent))
        return folders


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "inbox").mkdir(parents=True)
    return root


def assert_all_accounted(data: Path, report, before: dict[str, str]) -> None:
    """Every input ends in archive/ or failed/ with its bytes intact; every failure has a report."""
    by_name = {o.name: o for o in report.outcomes}
    assert set(by_name) == set(before), (set(by_name) ^ set(before))
    for name, digest in before.items():
        outcome = by_name[name]
        assert outcome.status in ("archived", "duplicate", "failed"), (name, outcome)
        where = {"failed": "failed"}.get(outcome.status, "archive")
        assert outcome.path.parent == data / where, (name, outcome.path)
        if digest.startswith("link:"):
            assert outcome.path.is_symlink() and os.readlink(outcome.path) == digest[5:]
        else:
            assert sha(outcome.path) == digest, name
        if outcome.status == "failed":
            report_file = json.loads(outcome.report.read_text(encoding="utf-8"))
            assert report_file["file"] == name and report_file["stage"] == outcome.stage
            assert report_file["error"] and report_file["error_type"] and report_file["time"]
            assert report_file["how_to_retry"] == HOW_TO_RETRY
    assert not list((data / "inbox").iterdir())
    assert not [p for p in (data / "work").iterdir() if p.is_dir()], "claims left in work/"


# name -> (bytes, expected status, expected stage)
LATIN1 = TALK.format(topic="café culture in Zürich").encode("latin-1")
UTF16 = TALK.format(topic="naïve Bayes and 東京").encode("utf-16")
CASES = {
    "empty.txt": (b"", "failed", "ingest"),
    "binary named.txt": (bytes(range(256)) * 8, "failed", "ingest"),
    "latin1 episode.txt": (LATIN1, "archived", None),
    "utf16 episode.txt": (UTF16, "archived", None),
    "corrupt.mp3": (os.urandom(3000), "failed", None),
    "name with  spaces.txt": (TALK.format(topic="spaces in names").encode(), "archived", None),
    "Ünïcödé épisode 東京.txt": (TALK.format(topic="non-ASCII names").encode(), "archived", None),
    "huge.txt": (b"word " * 1000, "failed", "inbox"),  # over the 4000-byte limit below
}


def test_mixed_drop_every_file_accounted_for(data: Path, tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text(TALK.format(topic="a secret"), encoding="utf-8")
    outside_digest = sha(outside)
    before = {}
    for name, (content, _, _) in CASES.items():
        (data / "inbox" / name).write_bytes(content)
        before[name] = hashlib.sha256(content).hexdigest()
    os.symlink(outside, data / "inbox" / "link.txt")
    before["link.txt"] = f"link:{outside}"

    process = RealProcess(data)
    report = run_once(data, process, settle_seconds=0.2, max_bytes=4000)

    assert_all_accounted(data, report, before)
    by_name = {o.name: o for o in report.outcomes}
    for name, (_, status, stage) in CASES.items():
        assert by_name[name].status == status, (name, by_name[name])
        if stage:
            assert by_name[name].stage == stage, (name, by_name[name])
    # The symlink is quarantined, never followed: its target is untouched and never processed.
    assert by_name["link.txt"].status == "failed" and by_name["link.txt"].stage == "inbox"
    assert "symlink" in by_name["link.txt"].error
    assert sha(outside) == outside_digest and outside_digest not in process.seen
    # The oversize file was never read: no hash, never given to process.
    assert by_name["huge.txt"].sha256 is None and "size limit" in by_name["huge.txt"].error
    assert hashlib.sha256(CASES["huge.txt"][0]).hexdigest() not in process.seen
    # Decoded text survives: the Latin-1 and UTF-16 inputs produce their words.
    latin = json.loads((Path(by_name["latin1 episode.txt"].outputs[0]) / "episode.json").read_text())
    assert "café" in " ".join(t["verbatim"] for t in latin["turns"])
    utf16 = json.loads((Path(by_name["utf16 episode.txt"].outputs[0]) / "episode.json").read_text())
    assert "東京" in " ".join(t["verbatim"] for t in utf16["turns"])
    assert len(process.seen) == len(set(process.seen)), "something was processed twice"
    # Names survive sanitising, non-ASCII letters and all.
    assert (data / "archive" / "Ünïcödé épisode 東京.txt").exists()
    assert (data / "archive" / "name with spaces.txt").exists()
    statuses = {e["name"]: e["status"] for e in ledger_entries(data)}
    assert statuses["latin1 episode.txt"] == "done" and statuses["empty.txt"] == "failed"
    summary = cli_summary(report)
    assert len(summary.splitlines()) == len(before) + 1
    assert "✗ empty.txt: ingest:" in summary and "5 failed" in summary.splitlines()[-1]


def test_same_file_twice_is_processed_once(data: Path):
    content = TALK.format(topic="idempotent pipelines").encode()
    process = RealProcess(data)
    # Twice in one pass and once more in a later pass.
    (data / "inbox" / "episode.txt").write_bytes(content)
    (data / "inbox" / "episode copy.txt").write_bytes(content)
    first = run_once(data, process, settle_seconds=0)
    (data / "inbox" / "episode.txt").write_bytes(content)
    second = run_once(data, process, settle_seconds=0)

    assert process.seen == [hashlib.sha256(content).hexdigest()]
    statuses = sorted(o.status for o in first.outcomes + second.outcomes)
    assert statuses == ["archived", "duplicate", "duplicate"]
    (dupe,) = second.outcomes
    note = json.loads(dupe.report.read_text(encoding="utf-8"))
    original = next(o for o in first.outcomes if o.status == "archived")
    assert note["duplicate_of"]["outputs"] == original.outputs
    assert note["duplicate_of"]["file"] == original.name
    assert dupe.path == data / "archive" / "episode (2).txt" and dupe.path.read_bytes() == content
    assert [str(p) for p in (data / "output").iterdir()] == original.outputs


def test_failed_file_fixed_and_dropped_back_is_processed(data: Path):
    process = RealProcess(data, full=False)
    (data / "inbox" / "notes.txt").write_bytes(b"")
    first = run_once(data, process, settle_seconds=0)
    assert first.outcomes[0].status == "failed"
    failed = data / "failed" / "notes.txt"
    failed.write_text(TALK.format(topic="second chances"), encoding="utf-8")
    failed.rename(data / "inbox" / "notes.txt")
    second = run_once(data, process, settle_seconds=0)
    assert second.outcomes[0].status == "archived"
    assert (data / "archive" / "notes.txt").exists()


def test_fifty_episodes_at_once(data: Path):
    before = {}
    for i in range(50):
        path = data / "inbox" / f"episode {i:02d}.txt"
        path.write_text(TALK.format(topic=f"topic number {i} of fifty"), encoding="utf-8")
        before[path.name] = sha(path)
    process = RealProcess(data)
    started = time.perf_counter()
    report = run_once(data, process, settle_seconds=0, max_workers=2)
    took = time.perf_counter() - started
    assert_all_accounted(data, report, before)
    assert report.counts["archived"] == 50, cli_summary(report)
    assert sorted(process.seen) == sorted(before.values())
    assert len(list((data / "output").iterdir())) == 50
    assert took < 60


def test_half_copied_file_is_not_claimed(data: Path):
    growing = data / "inbox" / "growing.txt"
    growing.write_text("Alice: the first half of", encoding="utf-8")
    assert scan_inbox(data, settle_seconds=0.3) == []  # first sight only records it
    time.sleep(0.35)
    with growing.open("a", encoding="utf-8") as handle:
        handle.write(" an episode still being copied\n")
    assert scan_inbox(data, settle_seconds=0.3) == []  # it changed: the clock starts again
    time.sleep(0.35)
    assert scan_inbox(data, settle_seconds=0.3) == [growing]


def test_run_once_leaves_a_file_that_keeps_growing(data: Path):
    growing = data / "inbox" / "live recording.txt"
    growing.write_text("Alice: hello\n", encoding="utf-8")
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            with growing.open("a", encoding="utf-8") as handle:
                handle.write("Bob: still talking about the same thing\n")
            time.sleep(0.05)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = run_once(data, RealProcess(data), settle_seconds=0.4)
    finally:
        stop.set()
        thread.join()
    assert [(o.name, o.status) for o in report.outcomes] == [("live recording.txt", "waiting")]
    assert growing.exists()
    final_digest = sha(growing)
    report = run_once(data, RealProcess(data), settle_seconds=0.2)
    assert [o.status for o in report.outcomes] == ["archived"]
    assert sha(data / "archive" / "live recording.txt") == final_digest


def test_ignored_names_stay_in_the_inbox(data: Path):
    names = [".hidden.txt", "download.mp3.part", "video.crdownload", "draft.txt~", "orphan.txt.meta.json"]
    for name in names:
        (data / "inbox" / name).write_text("Alice: not for us\n", encoding="utf-8")
    (data / "inbox" / "sub").mkdir()
    (data / "inbox" / "sub" / "nested.txt").write_text("Alice: nested\n", encoding="utf-8")
    report = run_once(data, RealProcess(data), settle_seconds=0)
    assert report.outcomes == [] and cli_summary(report) == ""
    assert sorted(p.name for p in (data / "inbox").iterdir()) == sorted([*names, "sub"])


def test_sidecar_options_reach_process_and_follow_the_file(data: Path):
    (data / "inbox" / "ep.txt").write_text(TALK.format(topic="sidecars"), encoding="utf-8")
    meta = {"title": "Sidecars, explained", "show": "Test Show", "speakers": "Alice Moreau:host", "bogus": 1}
    (data / "inbox" / "ep.txt.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (data / "inbox" / "bad.txt").write_text(TALK.format(topic="bad sidecars"), encoding="utf-8")
    (data / "inbox" / "bad.txt.meta.json").write_text("{not json", encoding="utf-8")
    process = RealProcess(data)
    report = run_once(data, process, settle_seconds=0)
    by_name = {o.name: o for o in report.outcomes}
    assert process.options["ep.txt"] == {k: meta[k] for k in ("title", "show", "speakers")}
    episode = json.loads((Path(by_name["ep.txt"].outputs[0]) / "episode.json").read_text(encoding="utf-8"))
    assert episode["title"] == "Sidecars, explained"
    assert (data / "archive" / "ep.txt.meta.json").exists()
    assert by_name["bad.txt"].status == "failed" and by_name["bad.txt"].stage == "options"
    assert (data / "failed" / "bad.txt.meta.json").read_text(encoding="utf-8") == "{not json"


def test_seeds_through_the_inbox_with_their_manifest_options(data: Path, manifest):
    before = {}
    for entry in manifest:
        source = ROOT / "seeds" / entry["input"]
        (data / "inbox" / entry["input"]).write_bytes(source.read_bytes())
        options = {k: entry[k] for k in ("title", "speakers", "show") if k in entry}
        (data / "inbox" / f"{entry['input']}.meta.json").write_text(json.dumps(options), encoding="utf-8")
        before[entry["input"]] = sha(source)
    # Ingest + export only: the full stages on the seeds are covered (slowly) by the invariant tests.
    process = RealProcess(data, full=False)
    report = run_once(data, process, settle_seconds=0)
    assert_all_accounted(data, report, before)
    assert report.counts["archived"] == len(manifest), cli_summary(report)
    by_name = {o.name: o for o in report.outcomes}
    assert len(by_name["interconnects-show-page.txt"].outputs) >= 2  # a show page holds several episodes
    mlst = json.loads((Path(by_name["mlst-eiso-kant.raw.txt"].outputs[0]) / "episode.json").read_text())
    assert mlst["title"] == manifest[0]["title"]


def test_a_second_pass_while_one_runs_does_nothing(data: Path):
    (data / "inbox" / "slow.txt").write_text(TALK.format(topic="patience"), encoding="utf-8")
    entered, release = threading.Event(), threading.Event()

    def slow(path: Path) -> list[str]:
        entered.set()
        release.wait(10)
        return ["somewhere"]

    results = []
    thread = threading.Thread(target=lambda: results.append(run_once(data, slow, settle_seconds=0)))
    thread.start()
    try:
        assert entered.wait(10)
        (data / "inbox" / "other.txt").write_text(TALK.format(topic="waiting"), encoding="utf-8")
        second = run_once(data, slow, settle_seconds=0)
    finally:
        release.set()
        thread.join()
    assert second.busy and second.outcomes == []
    assert "another inbox pass" in cli_summary(second)
    assert [o.status for o in results[0].outcomes] == ["archived"]
    assert (data / "inbox" / "other.txt").exists()  # left for the next pass


class Gated:
    """A process call that blocks on the files named in ``gates`` until released; counts what it was given."""

    def __init__(self, *gated: str, fail: bool = False) -> None:
        self.entered = {name: threading.Event() for name in gated}
        self.release = threading.Event()
        self.fail = fail
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> list[str]:
        with self._lock:
            self.seen.append(path.name)
        if path.name in self.entered:
            self.entered[path.name].set()
            assert self.release.wait(20), "never released"
            if self.fail:
                raise ValueError(f"{path.name}: cannot read this one")
        return [f"out/{path.name}"]


class PassThread(threading.Thread):
    """``run_once(*args, **kwargs)`` in a thread, started at once; ``report`` once joined."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(target=self._run, args=args, kwargs=kwargs)
        self.report = None
        self.start()

    def _run(self, *args, **kwargs) -> None:
        self.report = run_once(*args, **kwargs)


def test_passes_up_to_max_passes_share_the_inbox_a_third_is_busy(data: Path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (data / "inbox" / name).write_text(TALK.format(topic=name), encoding="utf-8")
    process = Gated("a.txt", "b.txt")
    threads = [PassThread(data, process, settle_seconds=0, max_workers=1, max_passes=2)]
    try:
        assert process.entered["a.txt"].wait(10)
        # The second pass's recovery must leave a.txt (held by the first) alone: it takes b.txt.
        threads.append(PassThread(data, process, settle_seconds=0, max_workers=1, max_passes=2))
        assert process.entered["b.txt"].wait(10)
        third = run_once(data, process, settle_seconds=0, max_passes=2)
        fourth = run_once(data, process, settle_seconds=0)  # an older caller: one pass per folder
    finally:
        process.release.set()
        for thread in threads:
            thread.join()
    assert third.busy and fourth.busy and third.outcomes == fourth.outcomes == []
    assert sorted(process.seen) == ["a.txt", "b.txt", "c.txt"]  # each given to process once
    first, second = (sorted(o.name for o in t.report.outcomes) for t in threads)
    assert "b.txt" not in first and "a.txt" not in second and "c.txt" in first + second
    assert all(o.status == "archived" and not o.recovered for t in threads for o in t.report.outcomes)
    assert sorted(p.name for p in (data / "archive").iterdir()) == ["a.txt", "b.txt", "c.txt"]
    assert not [p for p in (data / "work").iterdir() if p.is_dir()]


@pytest.mark.parametrize("fails", [False, True])
def test_same_content_in_two_passes_at_once_is_processed_once(data: Path, fails: bool):
    content = TALK.format(topic="copies").encode()
    (data / "inbox" / "a.txt").write_bytes(content)
    process = Gated("a.txt", fail=fails)
    threads = [PassThread(data, process, settle_seconds=0, max_workers=1, max_passes=2)]
    try:
        assert process.entered["a.txt"].wait(10)
        (data / "inbox" / "copy of a.txt").write_bytes(content)
        threads.append(PassThread(data, process, settle_seconds=0, max_workers=1, max_passes=2))
        deadline = time.monotonic() + 10
        while "copy of a.txt" not in {e["name"] for e in ledger_entries(data)}:  # claimed: at its turn
            assert time.monotonic() < deadline, "the second pass never claimed the copy"
            time.sleep(0.01)
    finally:
        process.release.set()
        for thread in threads:
            thread.join()
    assert process.seen == ["a.txt"]  # the copy waited for its content's turn, then followed it
    (first,), (second,) = (t.report.outcomes for t in threads)
    assert (first.name, second.name) == ("a.txt", "copy of a.txt")
    if fails:
        assert first.status == second.status == "failed" and second.stage == "duplicate"
        assert "'a.txt'" in second.error and sha(data / "failed" / "copy of a.txt") == sha(data / "failed" / "a.txt")
    else:
        assert (first.status, second.status) == ("archived", "duplicate")
        assert second.outputs == ["out/a.txt"] and (data / "archive" / "copy of a.txt.duplicate.json").exists()
    assert list((data / "work").glob(".content-*")) == []  # a content's turn leaves no file behind


def test_exception_stage_attribute_names_the_stage(data: Path):
    class StageError(RuntimeError):
        stage = "clean"

    def broken(path: Path) -> list[str]:
        raise StageError("glossary file unreadable")

    (data / "inbox" / "ep.txt").write_text(TALK.format(topic="errors"), encoding="utf-8")
    (outcome,) = run_once(data, broken, settle_seconds=0).outcomes
    report = json.loads(outcome.report.read_text(encoding="utf-8"))
    assert report["stage"] == "clean" and report["error_type"] == "StageError"
    assert report["error"] == "glossary file unreadable"
    assert report["sha256"] == outcome.sha256 == sha(data / "failed" / "ep.txt")


_KILLED_PASS = """
import os, signal, sys
import castline.service.inbox as inbox
import castline.service.inbox.outcomes as outcomes
data, where = sys.argv[1], sys.argv[2]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if where == "move":
    outcomes.move_no_overwrite = die
    inbox.run_once(data, lambda path: [str(path.parent.parent.parent / "output" / "done")], settle_seconds=0)
else:
    inbox.run_once(data, die, settle_seconds=0)
"""


@pytest.mark.parametrize("where", ["process", "move"])
def test_killed_pass_is_recovered_without_processing_twice(data: Path, where: str):
    content = TALK.format(topic="crash recovery").encode()
    (data / "inbox" / "ep.txt").write_bytes(content)
    killed = subprocess.run([sys.executable, "-c", _KILLED_PASS, str(data), where], cwd=ROOT, timeout=60)
    assert killed.returncode == -9
    (left,) = [p for p in (data / "work").iterdir() if p.is_dir()]
    assert (left / "ep.txt").read_bytes() == content
    (entry,) = ledger_entries(data)
    assert entry["status"] == ("claimed" if where == "process" else "done")

    process = RealProcess(data)
    report = run_once(data, process, settle_seconds=0)
    (outcome,) = report.outcomes
    assert outcome.recovered and outcome.status == "archived"
    assert (data / "archive" / "ep.txt").read_bytes() == content
    assert not [p for p in (data / "work").iterdir() if p.is_dir()]
    if where == "process":
        assert process.seen == [hashlib.sha256(content).hexdigest()]
        assert [p.name for p in (data / "output").iterdir()] == ["ep"]
    else:  # the outcome was recorded before the kill: finish the move, do not process again
        assert process.seen == []
        assert outcome.outputs == [str(data / "output" / "done")]
    assert [e["status"] for e in ledger_entries(data)] == ["done"]


def test_claim_moves_atomically_and_hashes(data: Path):
    source = data / "inbox" / "../inbox/..\u0007evil\nname.txt"
    real = data / "inbox" / "..\u0007evil\nname.txt"
    real.write_bytes(b"Alice: hi\n")
    c = claim(source, data)
    assert not real.exists()
    assert c.path.parent.parent == data / "work" and c.path.name == "evil name.txt"
    assert c.sha256 == hashlib.sha256(b"Alice: hi\n").hexdigest() and c.name == real.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..", "episode"),
        (".bashrc", "bashrc"),
        ("a/b\\c.txt", "a_b_c.txt"),
        ("tab\there\x00nul.txt", "tab herenul.txt"),
        ("Ünïcödé épisode 東京.txt", "Ünïcödé épisode 東京.txt"),
        ("what? a <title>: yes|no*.mp3", "what_ a _title__ yes_no_.mp3"),
        ("CON.txt", "_CON.txt"),
        ("trailing dots....", "trailing dots"),
        ("\u202eevil\u200b.txt", "evil.txt"),
        ("x" * 300 + ".vtt", "x" * 196 + ".vtt"),
    ],
)
def test_safe_name(name: str, expected: str):
    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and not safe_name(name).startswith(".")


@pytest.mark.slow
def test_watch_inbox_flow_ephemeral(data: Path, monkeypatch):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.inbox import inbox_markdown, watch_inbox

    before = {}
    for i, topic in enumerate(["flows", "subflows"]):
        path = data / "inbox" / f"flow {i}.txt"
        path.write_text(TALK.format(topic=topic), encoding="utf-8")
        before[path.name] = sha(path)
    (data / "inbox" / "empty.txt").write_bytes(b"")
    before["empty.txt"] = hashlib.sha256(b"").hexdigest()
    # A stage that breaks on one episode: the report must name that stage.
    from castline import pipeline

    clean = pipeline.STAGES["clean"]

    def breaks_on_boom(episode, settings):
        if "boom" in episode.title.lower():
            raise RuntimeError("cleaner exploded")
        return clean(episode, settings)

    monkeypatch.setitem(pipeline.STAGES, "clean", breaks_on_boom)
    boom = data / "inbox" / f"boom {time.time_ns()}.txt"
    boom.write_text(TALK.format(topic=f"explosions {time.time_ns()}"), encoding="utf-8")
    before[boom.name] = sha(boom)

    state = watch_inbox(str(data), settle_seconds=0.1, max_concurrent=2, return_state=True)
    assert state.is_completed()
    report = state.result()
    assert_all_accounted(data, report, before)
    assert report.counts == {"archived": 2, "duplicate": 0, "failed": 2, "waiting": 0}
    stages = {o.name: o.stage for o in report.outcomes if o.status == "failed"}
    assert stages == {"empty.txt": "ingest", boom.name: "clean"}
    for outcome in report.outcomes:
        if outcome.status == "archived":
            assert (Path(outcome.outputs[0]) / "transcript.md").exists()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    assert any(a.key == "inbox-pass" and "empty.txt" in a.data for a in artifacts)
    assert "| ✗ | empty.txt | failed |" in inbox_markdown(report)


def test_inbox_on_another_filesystem_is_copied_then_removed(data: Path, monkeypatch):
    import errno

    import castline.service.inbox.claims as inbox_module

    real_rename = os.rename

    def cross_device(src, dst, *args, **kwargs):
        if Path(src).parent == data / "inbox":
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(inbox_module.os, "rename", cross_device)
    content = TALK.format(topic="mount points").encode()
    (data / "inbox" / "mounted.txt").write_bytes(content)
    report = run_once(data, RealProcess(data, full=False), settle_seconds=0)
    assert [o.status for o in report.outcomes] == ["archived"]
    assert (data / "archive" / "mounted.txt").read_bytes() == content
    assert list((data / "inbox").iterdir()) == []


def test_archive_without_hard_links_never_overwrites(data: Path, monkeypatch):
    import errno

    import castline.service.inbox.files as inbox_module

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(inbox_module.os, "link", no_links)
    (data / "archive").mkdir()
    (data / "archive" / "ep.txt").write_bytes(b"an older episode")
    content = TALK.format(topic="links").encode()
    (data / "inbox" / "ep.txt").write_bytes(content)
    (outcome,) = run_once(data, RealProcess(data, full=False), settle_seconds=0).outcomes
    assert outcome.path == data / "archive" / "ep (2).txt" and outcome.path.read_bytes() == content
    assert (data / "archive" / "ep.txt").read_bytes() == b"an older episode"
