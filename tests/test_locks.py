"""Audio slots are exclusive across processes and released on exit."""

from __future__ import annotations

import multiprocessing
import time

from castline.service.locks import slot


def _hold(lock_dir: str, seconds: float, queue) -> None:
    import os

    os.environ["CASTLINE_LOCKS"] = lock_dir
    with slot("audio", capacity=1):
        queue.put(("in", time.monotonic()))
        time.sleep(seconds)
        queue.put(("out", time.monotonic()))


def test_one_audio_job_at_a_time_across_processes(tmp_path):
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_hold, args=(str(tmp_path), 0.4, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)
    events = sorted((queue.get() for _ in range(6)), key=lambda e: e[1])
    # strictly alternating in/out: never two holders at once
    assert [kind for kind, _ in events] == ["in", "out"] * 3


def test_capacity_two_lets_two_in(tmp_path, monkeypatch):
    monkeypatch.setenv("CASTLINE_LOCKS", str(tmp_path))
    with slot("audio", capacity=2) as first, slot("audio", capacity=2) as second:
        assert {first, second} == {0, 1}
