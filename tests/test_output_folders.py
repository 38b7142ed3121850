"""Output folders are reserved atomically: two inputs whose names slug alike never share one.

Issue 19: "Same Slug.txt" and "Same_Slug.txt", processed at once, both slug to
``same-slug``; the flow checked that ``same-slug/`` was free and then wrote, so one
episode overwrote the other. ``reserve_output_folder`` now creates the folder's owner
file atomically; the races below run the real function from several processes and
threads at the same moment.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from flows.episode import OWNER_FILE, output_folder, reserve_output_folder


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _race_in_process(out_dir: str, content_hash: str, rounds: int, barrier, results) -> None:
    code = 1
    try:
        for round_number in range(rounds):
            barrier.wait()
            folder = reserve_output_folder(out_dir, f"same-slug-{round_number}", content_hash)
            results.put((round_number, content_hash, folder.name))
        code = 0
    finally:
        # A forked copy of a test process that may have run Prefect: skip the parent's exit
        # handlers (they would talk to its server), once the results are flushed.
        results.close()
        results.join_thread()
        os._exit(code)


def test_processes_racing_for_one_slug_get_distinct_folders(tmp_path: Path) -> None:
    workers, rounds = 4, 15
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    results = context.Queue()
    hashes = [_sha(f"input {i}") for i in range(workers)]
    processes = [
        context.Process(target=_race_in_process, args=(str(tmp_path), h, rounds, barrier, results))
        for h in hashes
    ]
    for process in processes:
        process.start()
    got = [results.get(timeout=120) for _ in range(workers * rounds)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for round_number in range(rounds):
        names = {h: name for r, h, name in got if r == round_number}
        assert len(names) == workers
        assert len(set(names.values())) == workers, names  # never shared
        base = f"same-slug-{round_number}"
        assert set(names.values()) == {base, *(f"{base}-{n}" for n in range(2, workers + 1))}
        for content_hash, name in names.items():
            owner = json.loads((tmp_path / name / OWNER_FILE).read_text(encoding="utf-8"))
            assert owner["sha256"] == content_hash


def test_threads_racing_for_one_slug_get_distinct_folders(tmp_path: Path) -> None:
    workers, rounds = 8, 20
    barrier = threading.Barrier(workers)
    got: dict[int, list[tuple[str, str]]] = {r: [] for r in range(rounds)}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def race(content_hash: str) -> None:
        try:
            for round_number in range(rounds):
                barrier.wait()
                folder = reserve_output_folder(tmp_path, f"slug-{round_number}", content_hash)
                with lock:
                    got[round_number].append((content_hash, folder.name))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=race, args=(_sha(str(i)),)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for pairs in got.values():
        assert len({name for _, name in pairs}) == workers


def test_the_same_input_gets_its_own_folder_back(tmp_path: Path) -> None:
    first = reserve_output_folder(tmp_path, "talk", _sha("a"))
    other = reserve_output_folder(tmp_path, "talk", _sha("b"))
    assert (first.name, other.name) == ("talk", "talk-2")
    # A rerun (or ``castline fix``) of either input lands in the folder it owns.
    assert reserve_output_folder(tmp_path, "talk", _sha("b")) == other
    assert reserve_output_folder(tmp_path, "talk", _sha("a")) == first
    # A second episode of the same input (a show page) is a different owner.
    assert reserve_output_folder(tmp_path, "talk", _sha("a"), index=1).name == "talk-3"


def test_folders_from_before_owner_files(tmp_path: Path) -> None:
    mine, theirs = _sha("mine"), _sha("theirs")
    (tmp_path / "talk").mkdir()
    (tmp_path / "talk" / "episode.json").write_text(json.dumps({"source_sha256": theirs}), encoding="utf-8")
    legacy = tmp_path / f"talk-{mine[:8]}"
    legacy.mkdir()
    (legacy / "episode.json").write_text(json.dumps({"source_sha256": mine}), encoding="utf-8")
    # The old hash-suffixed folder of this input is still its folder...
    assert reserve_output_folder(tmp_path, "talk", mine) == legacy
    # ...and another input's old folder is never taken over.
    assert reserve_output_folder(tmp_path, "talk", _sha("new")).name == "talk-2"
    assert reserve_output_folder(tmp_path, "talk", theirs).name == "talk"


def test_a_file_in_the_way_and_odd_slugs(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("not a folder", encoding="utf-8")
    assert reserve_output_folder(tmp_path, "notes", _sha("x")).name == "notes-2"
    assert reserve_output_folder(tmp_path, "../up", _sha("y")).parent == tmp_path
    assert reserve_output_folder(tmp_path, "", _sha("z")).name == "episode"


def test_output_folder_holds_a_second_run_of_the_same_input(tmp_path: Path) -> None:
    content_hash = _sha("same")
    order: list[str] = []
    entered = threading.Event()

    def second() -> None:
        entered.wait(10)
        with output_folder(tmp_path, "ep", content_hash) as folder:
            order.append(f"second in {folder.name}")

    thread = threading.Thread(target=second)
    thread.start()
    with output_folder(tmp_path, "ep", content_hash) as folder:
        entered.set()
        time.sleep(0.3)
        order.append(f"first in {folder.name}")
    thread.join(timeout=10)
    assert order == ["first in ep", "second in ep"]


INTERVIEW = """Host: Welcome to the show. Today we talk about {topic}, which is a big subject.
Guest: Thanks for having me. I have worked on {topic} for ten years, and it keeps surprising me.
Host: What surprised you most about {topic}?
Guest: How much of {topic} comes down to patience. You try something, you measure it, and you try again.
Host: That sounds like good advice for anyone starting out.
Guest: It is the only advice I have, honestly.
"""


@pytest.mark.slow
def test_two_flows_at_once_on_names_that_slug_alike(tmp_path: Path) -> None:
    """The issue's case end to end: two process-episode runs started together."""
    from flows.episode import process_episode

    inputs = {"Same Slug.txt": "gardening", "Same_Slug.txt": "sailing"}
    for name, topic in inputs.items():
        (tmp_path / name).write_text(INTERVIEW.format(topic=topic), encoding="utf-8")
    out = tmp_path / "out"
    barrier = threading.Barrier(len(inputs))
    folders: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait()
            folders[name] = process_episode(str(tmp_path / name), out_dir=str(out))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    got = {name: Path(folder) for name, (folder,) in folders.items()}
    assert sorted(f.name for f in got.values()) == ["same-slug", "same-slug-2"]
    for name, folder in got.items():
        episode = json.loads((folder / "episode.json").read_text(encoding="utf-8"))
        assert episode["source_sha256"] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert inputs[name] in (folder / "transcript.md").read_text(encoding="utf-8")
