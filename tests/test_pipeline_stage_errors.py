"""A stage's exception names the stage, whatever runs it."""

from __future__ import annotations

import pickle

import pytest

from castline import pipeline
from castline.model import Episode


def test_run_stage_tags_the_exception_with_its_stage(monkeypatch):
    def explode(episode, settings):
        raise RuntimeError("cleaner exploded")

    monkeypatch.setitem(pipeline.STAGES, "clean", explode)
    with pytest.raises(RuntimeError) as caught:
        pipeline.run_stage("clean", Episode(title="x", slug="x"), pipeline.Settings())
    assert caught.value.stage == "clean"
    # The tag survives the trip through a result store.
    assert pickle.loads(pickle.dumps(caught.value)).stage == "clean"


def test_stage_errors_keeps_an_earlier_tag():
    with pytest.raises(ValueError) as caught, pipeline.stage_errors("export"):
        error = ValueError("bad")
        error.stage = "ingest"
        raise error
    assert caught.value.stage == "ingest"
