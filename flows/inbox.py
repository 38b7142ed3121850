"""``watch-inbox``: one pass over ``DIR/inbox`` — claim settled files, run each through
``process-episode`` as a subflow, archive or quarantine them (``castline.service.inbox``).

Served on a schedule by ``flows/serve.py``; ``inbox_once`` is the same pass for
``castline inbox --once --data DIR`` without a server (ephemeral Prefect).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from castline.pipeline import StageError, stage_error
from castline.service.inbox import DEFAULT_MAX_BYTES, InboxReport, run_once
from flows.episode import process_episode

__all__ = ["inbox_markdown", "inbox_once", "watch_inbox"]

_STATUS_MARK = {"archived": "✓", "duplicate": "=", "failed": "✗", "waiting": "…"}


def _cell(text: object) -> str:
    # A pipe or newline in a file name or error would break the markdown table.
    return str(text).replace("|", "\\|").replace("\n", " ")


def inbox_markdown(report: InboxReport) -> str:
    """The pass as a markdown table (the flow's artifact)."""
    counts = report.counts
    lines = [
        f"# Inbox pass over `{report.data_dir}`",
        "",
        f"{counts['archived']} processed · {counts['duplicate']} duplicate · {counts['failed']} failed"
        f" · {counts['waiting']} waiting — {report.started_at} → {report.finished_at}",
        "",
    ]
    if report.busy:
        lines.append("Another pass was running; this one did nothing.")
        return "\n".join(lines) + "\n"
    if not report.outcomes:
        lines.append("Nothing in the inbox.")
        return "\n".join(lines) + "\n"
    lines += ["| | file | outcome | outputs / reason | seconds |", "|---|---|---|---|---|"]
    for o in report.outcomes:
        detail = ", ".join(f"`{out}`" for out in o.outputs) if o.status in ("archived", "duplicate") else (
            f"{o.stage}: {o.error}" + (f" (`{o.report}`)" if o.report else "")
        )
        status = o.status + (" (recovered)" if o.recovered else "")
        mark = _STATUS_MARK.get(o.status, "?")
        lines.append(f"| {mark} | {_cell(o.name)} | {status} | {_cell(detail)} | {o.seconds:.1f} |")
    return "\n".join(lines) + "\n"


def _failed_stage(flow_run_id) -> str | None:
    """Name of the stage whose task failed in a process-episode run (``None`` if none did)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from castline.pipeline import STAGES

    try:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
    except Exception:  # noqa: BLE001 - the stage is a nicety; the error itself is still reported
        return None
    for run in sorted(runs, key=lambda r: r.expected_start_time or r.created):
        if run.state and (run.state.is_failed() or run.state.is_crashed()):
            for stage in ("ingest", *STAGES, "export"):
                if run.name == stage or run.name.startswith(f"{stage}-"):
                    return stage
            return run.name.rsplit("-", 1)[0]  # Prefect names task runs "<task name>-<short id>"
    return None


@flow(name="watch-inbox", log_prints=True)
def watch_inbox(
    data_dir: str = "data",
    settle_seconds: float = 3.0,
    max_concurrent: int = 2,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_passes: int = 2,
) -> InboxReport:
    """Process every settled file in ``data_dir/inbox`` once; archive or quarantine each.

    Up to ``max_passes`` of these runs share one data folder (two started together, or
    a scheduled one while a long one works): each claims files as its ``max_concurrent``
    workers free up; a run beyond that leaves at once ("busy").
    """
    logger = get_run_logger()
    out_dir = str(Path(data_dir) / "output")

    def process(path: Path, options: dict[str, str]) -> list[str]:
        # Each file is its own process-episode subflow run: own logs, artifacts and cache.
        state = process_episode.with_options(flow_run_name=f"inbox: {path.name}"[:120])(
            str(path),
            out_dir=out_dir,
            speakers=options.get("speakers", ""),
            glossary=options.get("glossary"),
            title=options.get("title"),
            show=options.get("show"),
            return_state=True,
        )
        if not state.is_completed():
            try:
                state.result()  # re-raises the subflow's own exception (a StageError naming its stage)
            except Exception as exc:
                typed = getattr(exc, "stage", None) and getattr(exc, "path", None)  # IngestError, AudioError
                if isinstance(exc, StageError) or typed:
                    raise  # already one line naming the input, the stage and the reason
                # Raised outside a stage's body (Prefect's own, say "MissingResult: State data is
                # missing"): ask the server which task failed, and say so in a StageError.
                stage = getattr(exc, "stage", None) or _failed_stage(state.state_details.flow_run_id)
                raise stage_error(exc, stage or "process", path) from exc
        return state.result()

    report = run_once(
        data_dir,
        process,
        settle_seconds=settle_seconds,
        max_bytes=max_bytes,
        max_workers=max_concurrent,
        max_passes=max_passes,
    )
    for outcome in report.outcomes:
        if outcome.status == "failed":
            logger.warning("%s failed at %s: %s (report: %s)", outcome.name, outcome.stage, outcome.error,
                           outcome.report)
        elif outcome.status != "waiting":
            logger.info("%s: %s -> %s", outcome.name, outcome.status, ", ".join(outcome.outputs))
    if report.busy:
        logger.info("%d inbox pass(es) already running on %s; this one did nothing", max_passes, data_dir)
    if report.outcomes:  # an artifact per idle 30 s pass would bury the ones that matter
        create_markdown_artifact(
            key="inbox-pass",
            markdown=inbox_markdown(report),
            description=f"Inbox pass over {data_dir}",
        )
    return report


def inbox_once(data_dir: str | Path = "data", *, settle_seconds: float = 3.0,
               max_concurrent: int = 2, max_passes: int = 2) -> InboxReport:
    """One inbox pass (Prefect ephemeral unless ``PREFECT_API_URL`` names a server); print it with
    ``cli_summary(report)``."""
    return watch_inbox(str(data_dir), settle_seconds=settle_seconds, max_concurrent=max_concurrent,
                       max_passes=max_passes)
