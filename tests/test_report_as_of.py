"""A report is always for its own date: after a backfill to today, a report for 2016-01-31
shows the alerts that were active on 2016-01-31, not today's, and says when it knows nothing.

The truth to compare with is a second store that the service ran only up to 2016-01-31.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from fragwatch.evidence.files import load_evidence
from fragwatch.scheduler.jobs import assess_job
from fragwatch.scheduler.wiring import build_service
from fragwatch.settings import load_model_spec
from fragwatch.settings.alerts import load_alert_rules
from fragwatch.settings.service import load_settings
from fragwatch.store.schema import alert_state

from .alert_levels import tajik_config_dir
from .conftest import MODEL_TOML
from .test_report import write

MONTHLY = "0 6 1 * *"


def backfilled(folder: Path, until: datetime):
    """The service watching Tajikistan with the shipped rules at Tajik score levels
    (score-high at 40), backfilled monthly from 2014 up to ``until``."""
    spec = load_model_spec(MODEL_TOML)
    config = tajik_config_dir(folder / "config")
    settings = load_settings(
        config,
        database_url=f"sqlite:///{folder / 'var' / 'fragwatch.db'}",
        outbox_dir=folder / "var" / "outbox",
        schedule={"assess_cron": MONTHLY, "backfill_from": date(2014, 1, 1)},
        countries=["TJK"],
    )
    rules = load_alert_rules(config, set(spec.indicators))
    svc = build_service(settings, spec, rules, lambda: load_evidence([], countries=["TJK"]))
    assess_job(until, svc)
    return svc


def firing(svc) -> set[str]:
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(alert_state.c.rule, alert_state.c.subject).where(alert_state.c.state == "firing")
        )
        return {f"{r.rule} {r.subject}" for r in rows if not r.subject.startswith("job:")}


def test_a_back_dated_report_shows_the_alerts_of_its_own_date(tmp_path):
    today = backfilled(tmp_path / "today", datetime.now(UTC))
    then = backfilled(tmp_path / "then", datetime(2016, 2, 29, 12, tzinfo=UTC))
    # In February 2016 the score read 45 (score-high fires at 40); today it reads about 37.
    assert "score-high TJK" in firing(then)
    assert firing(today) != firing(then)

    env = {
        "FRAGWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'today' / 'var' / 'fragwatch.db'}",
        "FRAGWATCH_CONFIG_DIR": str(tmp_path / "today" / "config"),
    }
    html = write(tmp_path / "today", "--as-of", "2016-02-29", "--since", "2016-01-31", **env)
    shown = {key.split("=", 1)[1] for key in html.keys if key.startswith("data-alert=")}
    assert shown == firing(then)
    section = html.text["data-alerts=firing"]
    # Since = the period the alert started firing in, never the backfill run's clock.
    assert "2014-01-01" in section  # remittances-dependence: first period of the backfill
    assert "2016-02-01" in section  # score-high: the run of February 2016
    assert str(date.today().year) not in section


def test_a_report_before_the_first_stored_run_says_the_alert_state_is_unknown(tmp_path):
    backfilled(tmp_path, datetime(2016, 1, 31, 12, tzinfo=UTC))
    env = {"FRAGWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'fragwatch.db'}"}
    env["FRAGWATCH_CONFIG_DIR"] = str(tmp_path / "config")
    html = write(tmp_path, "--as-of", "2013-06-30", "--since", "2013-05-31", **env)
    assert "no run on or before 2013-06-30" in html.text["data-alerts=unknown"]
