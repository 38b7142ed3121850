"""A stage that fails raises a StageError naming the input and the stage; the inbox quarantines it.

Issue 19: labels such as "A.J.:" crashed the clean stage and the user saw only
"IndexError: list index out of range". Whatever breaks inside a stage now reaches the
user as one line, ``talk.txt: clean stage failed: IndexError: list index out of range``,
and the inbox keeps the original in ``failed/`` with a report naming the stage.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from pathlib import Path

import cloudpickle
import pytest

from castline import pipeline
from castline.ingest import IngestError, read_episodes
from castline.model import Episode
from castline.pipeline import StageError, stage_error, stage_errors
from castline.service.inbox import cli_summary, run_once
from castline.speech.audio import AudioError

TALK = (
    "Alice Moreau: Welcome back to the show. Today we are talking about {topic}.\n"
    "Bob Okafor: Thanks for having me. {topic} matters because it changes how teams ship software.\n"
    "Alice Moreau: What surprised you most when you started working on it?\n"
    "Bob Okafor: Honestly, how much of it comes down to measurement.\n"
)


def _index_error(episode, settings):
    return [][0]


def test_a_stage_crash_is_a_stage_error_naming_input_and_stage(monkeypatch) -> None:
    monkeypatch.setitem(pipeline.STAGES, "clean", _index_error)
    episode = Episode(title="Talk", slug="talk", source="/shows/in/talk.txt")
    with pytest.raises(StageError) as caught:
        pipeline.run_stage("clean", episode, pipeline.Settings())
    error = caught.value
    assert str(error) == "talk.txt: clean stage failed: IndexError: list index out of range"
    assert (error.stage, error.source, error.error_type) == ("clean", "/shows/in/talk.txt", "IndexError")
    assert isinstance(error, IndexError)  # code that caught IndexError before still does
    assert isinstance(error.__cause__, IndexError) and not error.transient
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        back = loads(dumps(error))
        assert isinstance(back, StageError) and isinstance(back, IndexError)
        assert str(back) == str(error) and back.stage == "clean"


def test_process_names_the_stage_that_broke(monkeypatch) -> None:
    [episode] = read_episodes_from_text(TALK.format(topic="testing"))
    monkeypatch.setitem(pipeline.STAGES, "chapters", _index_error)
    with pytest.raises(StageError, match=r"^talk\.txt: chapters stage failed: IndexError"):
        pipeline.process(episode)


def read_episodes_from_text(text: str, name: str = "talk.txt") -> list[Episode]:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / name).write_text(text, encoding="utf-8")
    return read_episodes(folder / name)


def test_typed_errors_and_earlier_stages_go_through_unchanged() -> None:
    for error in (IngestError("x.txt", "empty file (0 bytes)"), AudioError("x.wav", "decode", "truncated")):
        with pytest.raises(type(error)) as caught, stage_errors("export", "x"):
            raise error
        assert caught.value is error and not isinstance(caught.value, StageError)
    with pytest.raises(StageError) as caught, stage_errors("export", "a.txt"), stage_errors("clean", "a.txt"):
        raise KeyError("speaker")
    assert caught.value.stage == "clean"  # the inner stage, where it broke


@pytest.mark.parametrize(
    ("error", "transient"),
    [(OSError(28, "No space left on device"), True), (TimeoutError("slow disk"), True),
     (ValueError("bad"), False), (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), False),
     (StopIteration(), False), (RecursionError(), False)],
)
def test_any_exception_type_becomes_one_line(error: Exception, transient: bool) -> None:
    wrapped = stage_error(error, "export", "/x/talk.txt")
    assert str(wrapped).startswith(f"talk.txt: export stage failed: {type(error).__name__}")
    assert "\n" not in str(wrapped) and wrapped.transient is transient
    assert pickle.loads(pickle.dumps(wrapped)).error_type == type(error).__name__


class BreaksInClean:
    """The real stages, with one that crashes on inputs whose text says "boom"."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def __call__(self, path: Path) -> list[str]:
        from castline.export import write_outputs

        folders = []
        for episode in read_episodes(path):
            for name in pipeline.STAGES:
                if name == "clean" and "boom" in episode.turns[0].verbatim:
                    with stage_errors(name, episode.source):
                        [][0]
                episode = pipeline.run_stage(name, episode, pipeline.Settings())
            folders.append(str(write_outputs(episode, self.out / episode.slug)["episode.json"].parent))
        return folders


def test_inbox_quarantines_a_stage_crash_with_a_report_naming_the_stage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    inputs = {"good.txt": TALK.format(topic="testing"), "crash.txt": TALK.format(topic="boom")}
    for name, text in inputs.items():
        (data / "inbox" / name).write_text(text, encoding="utf-8")
    report = run_once(data, BreaksInClean(data / "output"), settle_seconds=0)
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["good.txt"].status == "archived"
    failed = by_name["crash.txt"]
    assert (failed.status, failed.stage) == ("failed", "clean")
    assert failed.error == "crash.txt: clean stage failed: IndexError: list index out of range"
    # The original is kept, byte for byte, beside its report.
    assert failed.path == data / "failed" / "crash.txt"
    assert failed.path.read_text(encoding="utf-8") == inputs["crash.txt"]
    saved = json.loads(failed.report.read_text(encoding="utf-8"))
    assert saved["stage"] == "clean" and saved["error_type"] == "StageError"
    assert saved["sha256"] == hashlib.sha256(inputs["crash.txt"].encode()).hexdigest()
    line = next(x for x in cli_summary(report).splitlines() if "crash.txt" in x)
    assert line.startswith("✗ crash.txt: clean: IndexError: list index out of range (report: ")


@pytest.mark.slow
def test_inbox_flow_reports_export_and_flow_level_crashes(tmp_path: Path, monkeypatch) -> None:
    """Through Prefect: a crash in a task's body and one outside every stage."""
    import flows.episode as episode_flow
    from flows.inbox import watch_inbox

    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    calls: list[str] = []
    real_write = episode_flow.write_outputs

    def write_outputs(episode, folder):
        if "exportbug" in episode.turns[0].verbatim:
            calls.append(episode.slug)
            return {}["episode.json"]  # KeyError, a bug: not worth a retry
        return real_write(episode, folder)

    real_is_audio = episode_flow.is_audio_path

    def is_audio_path(path):
        if "weird" in str(path):
            raise RuntimeError("unexpected state")
        return real_is_audio(path)

    monkeypatch.setattr(episode_flow, "write_outputs", write_outputs)
    monkeypatch.setattr(episode_flow, "is_audio_path", is_audio_path)
    stamp = time.time_ns()  # fresh content: no cached stage results from other runs
    inputs = {"fine.txt": f"fine {stamp}", "export.txt": f"exportbug {stamp}", "weird.txt": f"odd {stamp}"}
    for name, topic in inputs.items():
        (data / "inbox" / name).write_text(TALK.format(topic=topic), encoding="utf-8")
    state = watch_inbox(str(data), settle_seconds=0.1, max_concurrent=1, return_state=True)
    report = state.result()
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["fine.txt"].status == "archived"
    assert (by_name["export.txt"].status, by_name["export.txt"].stage) == ("failed", "export")
    assert by_name["export.txt"].error.startswith("export.txt: export stage failed: KeyError")
    assert len(calls) == 1  # a bug in a stage is not retried
    assert by_name["weird.txt"].status == "failed"
    assert by_name["weird.txt"].error == "weird.txt: process stage failed: RuntimeError: unexpected state"
    for name in ("export.txt", "weird.txt"):
        kept = data / "failed" / name
        assert kept.read_text(encoding="utf-8") == TALK.format(topic=inputs[name])
        assert json.loads((data / "failed" / f"{name}.error.json").read_text(encoding="utf-8"))["stage"]
