"""The fetch job: on its own cron, fetch new reports, queue their candidates for review, and
put one digest mail for the analyst in the outbox (none when nothing is new).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from fragwatch.delivery.outbox import enqueue
from fragwatch.feeds.digest import compose_digest, digest_key
from fragwatch.feeds.fetch import FetchResult

log = logging.getLogger("fragwatch.scheduler")


@dataclass(frozen=True)
class FeedsPlan:
    trigger: CronTrigger
    fetch: Callable[[datetime], FetchResult]  # fetch, store and queue (feeds.fetch)
    recipients: tuple[str, ...]
    sender: str
    top: int = 5


def feeds_job(now: datetime, engine: Engine, plan: FeedsPlan) -> FetchResult:
    """One run; the digest is queued in the outbox like every other mail."""
    result = plan.fetch(now)
    for line in result.lines:
        log.info("fetch: %s", line)
    if result.new_reports and plan.recipients:
        message = compose_digest(
            result, sender=plan.sender, recipients=list(plan.recipients), top=plan.top, now=now
        )
        with engine.begin() as conn:
            enqueue(
                conn,
                message,
                dedupe_key=digest_key(result),
                recipients=list(plan.recipients),
                kind="digest",
                now=now,
            )
    log.info(
        "fetch job done: %d new report(s), %d candidate(s)",
        len(result.new_reports),
        len(result.candidates),
    )
    return result
