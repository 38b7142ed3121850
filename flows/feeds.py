"""``poll-feeds``: fetch new items of the configured feeds into ``DIR/inbox``
(``castline.service.feeds``); the ``watch-inbox`` flow processes them from there.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from castline.service.feeds import FeedsReport, poll

__all__ = ["feeds_markdown", "poll_feeds"]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def feeds_markdown(report: FeedsReport) -> str:
    """The poll as markdown: one row per item handled, then feeds that could not be read."""
    lines = [f"# Feed poll — {report.started_at} → {report.finished_at}", ""]
    if report.busy:
        return "\n".join([*lines, "Another poll was running; this one did nothing.", ""])
    fetched = len(report.fetched)
    lines.append(f"{fetched} fetched into the inbox, {len(report.outcomes) - fetched} other items,"
                 f" {len(report.feed_errors)} feeds unreadable.")
    if report.outcomes:
        lines += ["", "| item | status | file / reason | source |", "|---|---|---|---|"]
        for o in report.outcomes:
            detail = o.file.name if o.file else (o.reason or "")
            lines.append(f"| {_cell(o.title)} | {o.status} | {_cell(detail)} | {_cell(o.source_url or '')} |")
    if report.feed_errors:
        lines += ["", "Feeds that could not be read:", ""]
        lines += [f"- `{url}`: {_cell(reason)}" for url, reason in report.feed_errors.items()]
    return "\n".join(lines) + "\n"


@flow(name="poll-feeds", log_prints=True)
def poll_feeds(config: str = "feeds.yaml", data_dir: str = "data") -> list[str]:
    """Fetch new feed items (transcript if offered, else audio) into the inbox; return the files."""
    logger = get_run_logger()
    report = poll(config, data_dir)
    for url, reason in report.feed_errors.items():
        logger.warning("feed %s: %s", url, reason)
    for outcome in report.outcomes:
        if outcome.status == "fetched":
            logger.info("%s -> %s (%s)", outcome.title, outcome.file, outcome.source_url)
        elif outcome.status in ("refused", "failed"):
            logger.warning("%s: %s: %s", outcome.title, outcome.status, outcome.reason)
    if report.outcomes or report.feed_errors:
        create_markdown_artifact(key="feed-poll", markdown=feeds_markdown(report),
                                 description=f"Feed poll of {config}")
    return [str(path) for path in report.fetched]
