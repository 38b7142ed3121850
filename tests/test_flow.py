"""The process-episode flow in Prefect's ephemeral mode: outputs, artifacts, cache reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

INTERVIEW = """Tim Scarfe: Welcome to the show. What made you start Poolside?
Eiso Kant: We saw a missing axis of scaling. Everyone was scaling next token prediction, and we thought reinforcement learning from code execution feedback was the axis nobody discussed.
Tim Scarfe: Why code, specifically?
Eiso Kant: Because code is verifiable. You can run it. A test passes or it fails, and that gives you a reward signal that is cheap to compute at enormous scale.
Tim Scarfe: That's fascinating. How far away is human-level coding, do you think?
Eiso Kant: I personally think it's 18 to 36 months away for the vast majority of knowledge work. You don't fine-tune your way to AGI, you build it from the ground up.
"""


def _task_states(flow_run_id, expect: tuple[str, ...] = ("ingest", "highlights", "export")) -> dict[str, str]:
    """Task name -> final state name, once the server has recorded the ``expect``ed tasks.

    Task-run states reach the server as events, flushed in the background, so a
    read straight after the flow returns can miss the last ones.
    """
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            # Stage tasks are named after their stage; others "<task>-<short id>".
            states = {run.name.rsplit("-", 1)[0]: run.state for run in runs if run.state}
            if all(name in states and states[name].is_final() for name in expect) or time.monotonic() > deadline:
                return {name: state.name for name, state in states.items()}
            time.sleep(0.25)


def _artifacts(flow_run_id) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )


def test_flow_processes_and_reuses_finished_stages(tmp_path: Path):
    from flows.episode import process_episode

    source = tmp_path / "poolside.txt"
    source.write_text(INTERVIEW, encoding="utf-8")
    out = tmp_path / "out"

    first = process_episode(str(source), out_dir=str(out), show="Street Talk", return_state=True)
    assert first.is_completed()
    (folder,) = first.result()
    data = json.loads((Path(folder) / "episode.json").read_text(encoding="utf-8"))
    assert {s["name"] for s in data["speakers"]} == {"Tim Scarfe", "Eiso Kant"}
    for name in ("transcript.md", "transcript.srt", "transcript.vtt", "chapters.json", "highlights.md"):
        assert (Path(folder) / name).exists()

    kinds = {a.type for a in _artifacts(first.state_details.flow_run_id)}
    assert {"markdown", "table"} <= kinds

    second = process_episode(str(source), out_dir=str(out), show="Street Talk", return_state=True)
    assert second.is_completed()
    states = _task_states(second.state_details.flow_run_id)
    cached = [name for name, state in states.items() if state == "Cached"]
    assert len(cached) >= 5, states

    # A changed setting reruns its stage and what follows, not what precedes it.
    third = process_episode(str(source), out_dir=str(out), show="Another Show", return_state=True)
    states = _task_states(third.state_details.flow_run_id)
    assert states.get("speakers") == "Cached" and states.get("clean") == "Cached", states
    assert states.get("highlights") == "Completed", states
