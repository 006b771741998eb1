"""``fragwatch serve``: the jobs on one APScheduler 3.11 ``BlockingScheduler`` (DESIGN §9).

Jobs are rebuilt from config at every start in a memory job store; missed periods are caught up
by the assess job itself from the store's last completed period, so nothing depends on a pickled
job store. The first assess run starts at once, which is the catch-up.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from fragwatch.scheduler.jobs import JobFailed, Service, assess_job, deliver_job

log = logging.getLogger("fragwatch.scheduler")

JOB_DEFAULTS = {
    "coalesce": True,  # several missed firings run once; the job catches up periods itself
    "max_instances": 1,
    "misfire_grace_time": None,  # a late firing still runs, however late
}


def _store_cycle(svc: Service):
    """The store's cycle lock (see store/cyclelock.py): a run-once beside serve waits its turn."""
    from fragwatch.store.cyclelock import cycle

    return cycle(svc.engine, wait_seconds=24 * 3600)


class _Runner:
    """The scheduled callables. One lock keeps the outbox drained by one thread at a time;
    another runs the assess and report jobs one after the other (a report reads the alert
    state the assess job writes)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self._sending = threading.Lock()
        self._working = threading.Lock()
        self._caught_up = False

    def assess(self) -> None:
        with self._working, _store_cycle(self.svc):
            try:
                report = assess_job(datetime.now(UTC), self.svc)
                if report.periods:
                    log.info(
                        "assess job done: %d period(s), %d alert message(s) queued",
                        len(report.periods),
                        report.alerts,
                    )
            except JobFailed:
                pass  # logged by the job, and a job-failure alert is queued
        # Deliver at once rather than at the next delivery tick: the officer hears now.
        self.deliver()
        if not self._caught_up:
            # The first assess run is the catch-up; the missed report period (if any) follows.
            self._caught_up = True
            if _reports_on(self.svc):
                self.report()

    def report(self) -> None:
        from fragwatch.scheduler.report_job import report_job

        if self.svc.stop.is_set():
            return
        with self._working, _store_cycle(self.svc):
            try:
                run = report_job(datetime.now(UTC), self.svc)
                if run.queued:
                    log.info("report job done: %d report(s) queued for %s", run.queued, run.period)
            except JobFailed:
                pass  # logged by the job, and a job-failure alert is queued
        self.deliver()

    def fetch(self) -> None:
        from fragwatch.scheduler.feeds_job import feeds_job

        if self.svc.stop.is_set():
            return
        try:
            feeds_job(datetime.now(UTC), self.svc.engine, self.svc.feeds)
        except Exception:  # keep the scheduler alive; the next firing fetches again
            log.exception("fetch job failed")
            return
        self.deliver()

    def deliver(self) -> None:
        if self.svc.stop.is_set():
            return
        with self._sending, _store_cycle(self.svc):
            try:
                report = deliver_job(datetime.now(UTC), self.svc)
            except Exception:  # keep the scheduler alive; the next tick retries
                log.exception("deliver job failed")
                return
        if report.sent or report.retrying or report.dead:
            log.info(
                "deliver: %d sent, %d to retry, %d dead", report.sent, report.retrying, report.dead
            )


def build_scheduler(svc: Service, deliver_every_seconds: float) -> BlockingScheduler:
    runner = _Runner(svc)
    scheduler = BlockingScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    now = datetime.now(UTC)
    scheduler.add_job(runner.assess, svc.trigger, id="assess", name="assess", next_run_time=now)
    if _reports_on(svc):
        # No run at start here: the first assess run triggers the report catch-up after it.
        scheduler.add_job(runner.report, svc.report.trigger, id="report", name="report")
    if svc.feeds is not None:
        scheduler.add_job(runner.fetch, svc.feeds.trigger, id="fetch", name="fetch reports")
    scheduler.add_job(
        runner.deliver,
        IntervalTrigger(seconds=deliver_every_seconds, timezone=UTC),
        id="deliver",
        name="deliver",
    )
    return scheduler


def _reports_on(svc: Service) -> bool:
    return svc.report is not None and bool(svc.report.readers)


def serve(svc: Service, deliver_every_seconds: float) -> None:
    """Run until SIGTERM or SIGINT; the running job finishes its current period first."""
    scheduler = build_scheduler(svc, deliver_every_seconds)
    stopping: list[threading.Thread] = []

    def stop(signum: int, _frame: object) -> None:
        log.info("%s: finishing the running job, then exiting", signal.Signals(signum).name)
        if svc.stop.is_set():
            return
        svc.stop.set()
        # Shut down from another thread: shutdown waits for running jobs while holding the
        # scheduler's locks, which must not happen inside the main loop's own thread.
        stopping.append(threading.Thread(target=scheduler.shutdown, name="shutdown"))
        stopping[0].start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving: assess on '%s' (UTC), deliver every %gs", svc.trigger, deliver_every_seconds)
    if _reports_on(svc):
        log.info(
            "reports on '%s' (UTC) to %d reader(s)", svc.report.trigger, len(svc.report.readers)
        )
    scheduler.start()
    for thread in stopping:
        thread.join()  # the running job has finished
    log.info("stopped")
