"""From settings to a ``Service``: the only place the jobs' plain values are read from settings.

Everything is checked here, before any job runs: a bad config fails at start with one line.
"""

from __future__ import annotations

from collections.abc import Callable

from fragwatch.alerts.grouping import Grouping
from fragwatch.alerts.rules import Rule
from fragwatch.delivery.notifiers.base import Notifier
from fragwatch.delivery.sender import RetryPolicy
from fragwatch.evidence import Evidence
from fragwatch.scheduler.jobs import ReportPlan, Routing, Service
from fragwatch.scheduler.periods import assess_trigger
from fragwatch.scoring.spec import ModelSpec
from fragwatch.settings.service import Settings
from fragwatch.store.engine import open_store


def notifier_factory(settings: Settings) -> Callable[[], Notifier]:
    """A fresh notifier per delivery run (an SMTP connection lives for one run)."""
    kind = settings.notifier
    if kind == "smtp":
        from fragwatch.delivery.notifiers.smtp import SmtpNotifier

        smtp = settings.smtp
        password = smtp.password.get_secret_value() if smtp.password else None

        def make() -> Notifier:
            return SmtpNotifier(
                smtp.host, smtp.port, smtp.security, smtp.user, password,
                smtp.timeout_seconds, smtp.ca_file, smtp.messages_per_connection,
            )  # fmt: skip

        return make
    if kind == "stdout":
        from fragwatch.delivery.notifiers.stdout import StdoutNotifier

        return StdoutNotifier
    from fragwatch.delivery.notifiers.files import FileNotifier

    folder = settings.outbox_dir
    return lambda: FileNotifier(folder)


def build_service(
    settings: Settings,
    spec: ModelSpec,
    rules: list[Rule],
    load_evidence: Callable[[], Evidence],
    grouping: Grouping | None = None,
) -> Service:
    d = settings.delivery
    return Service(
        engine=open_store(settings.database_url),
        load_evidence=load_evidence,
        spec=spec,
        rules=tuple(rules),
        countries=tuple(settings.countries),
        trigger=assess_trigger(settings.schedule.assess_cron),
        sender=settings.smtp.sender,
        routing=Routing(settings.recipients.watch_officer, tuple(settings.recipients.watch_list)),
        policy=RetryPolicy(
            base_seconds=d.retry_base_seconds,
            max_seconds=d.retry_max_seconds,
            max_attempts=d.max_attempts,
            lease_seconds=d.lease_seconds,
            batch_size=d.batch_size,
        ),
        notifier=notifier_factory(settings),
        backfill_from=settings.schedule.backfill_from,
        grouping=grouping or Grouping(),
        feeds=feeds_plan(settings),
        report=ReportPlan(
            trigger=assess_trigger(settings.schedule.report_cron),
            readers=tuple(settings.recipients.report_readers),
            out_dir=settings.report.dir,
            methodology_url=settings.report.methodology_link,
            history_years=settings.report.history_years,
        ),
    )


def feeds_plan(settings: Settings):
    """The fetch job on [feeds] cron, its digest to the watch officer; None without sources."""
    feeds = settings.feeds
    if not feeds.reliefweb_url and not feeds.rss:
        return None
    from fragwatch.evidence.extract.vocabulary import load_vocabulary
    from fragwatch.feeds.fetch import configured_fetch
    from fragwatch.scheduler.feeds_job import FeedsPlan

    return FeedsPlan(
        trigger=assess_trigger(feeds.cron),
        fetch=configured_fetch(settings, load_vocabulary()),
        recipients=(settings.recipients.watch_officer,),
        sender=settings.smtp.sender,
        top=feeds.top_in_digest,
    )
