"""The stages run with fewer cyclic-GC passes, and the setting is put back after."""

from __future__ import annotations

import gc

import pytest

from castline.pipeline import fewer_gc_pauses


def test_threshold_is_raised_inside_and_restored_after_even_on_error():
    before = gc.get_threshold()
    with fewer_gc_pauses(first_threshold=before[0] + 12345):
        assert gc.get_threshold()[0] == before[0] + 12345
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_gc_pauses():
        raise RuntimeError("a stage failed")
    assert gc.get_threshold() == before


def test_cycles_are_still_collected_inside():
    class Node:
        pass

    with fewer_gc_pauses():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2
