"""Alert emails: what an officer reads at 3 a.m., threading, evidence quotes, header hygiene."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape

import pandas as pd
import pytest

from fragwatch.alerts.lifecycle import AlertState, step
from fragwatch.alerts.rules import Rule, evaluate, job_reading
from fragwatch.delivery.compose import (
    AlertMail,
    Certainty,
    clear_condition,
    compose_alert,
    top_movers,
)
from fragwatch.delivery.message import message_id
from fragwatch.reports.citations import clean_quote
from fragwatch.scoring.assessment import assess
from fragwatch.scoring.explain import attribute_change
from fragwatch.scoring.uncertainty import alert_share, assessment_interval
from fragwatch.settings.alerts import load_alert_rules

from .alert_levels import tajik_rules_dir

SENDER = "fragwatch@alerts.example.org"
TO = ["officer@example.org", "watch-desk@example.org"]
T0 = datetime(2016, 1, 31, 6, 0, tzinfo=UTC)
INJECT = "\r\nBcc: evil@example.org\nX-Injected: 1"


@pytest.fixture(scope="module")
def rules(spec, tmp_path_factory) -> dict[str, Rule]:
    """The shipped rules, score-high set where Tajikistan's score is in early 2016 (45.5 on
    2016-01-31 under the two-layer model): fires at 40, clears below 38."""
    folder = tajik_rules_dir(tmp_path_factory.mktemp("rules"))
    return {r.name: r for r in load_alert_rules(folder, set(spec.indicators))}


@pytest.fixture(scope="module")
def at(evidence, spec):
    """Assess TJK as of a date (cached: several tests read the same runs)."""
    cache: dict[str, object] = {}

    def get(day: str):
        if day not in cache:
            (cache[day],) = assess(evidence, spec, ["TJK"], pd.Timestamp(day))
        return cache[day]

    return get


def fired(rule, now, before, when=T0, state=None) -> tuple[AlertState, AlertMail]:
    """One real run of the lifecycle; the run must produce a notification."""
    reading = evaluate(rule, now, before)
    was = state or AlertState(rule.name, reading.subject)
    state, note = step(rule, was, reading, when)
    assert note is not None
    # A resolved alert's new state is inactive: when it began firing is the old state's.
    return state, AlertMail(note, rule, now, before, since=state.since or was.since)


def compose(mail: AlertMail, evidence, thread_id: str | None = None, **kw):
    mid = message_id(mail.note.dedupe_key, SENDER)
    return compose_alert(
        mail, evidence, sender=SENDER, recipients=TO, message_id=mid, thread_id=thread_id, **kw
    )


def roundtrip(msg):
    raw = msg.as_bytes(policy=email.policy.SMTP)
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(msg) -> str:
    """The body with plain newlines (a parsed SMTP message has CRLF line ends)."""
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def section(body: str, title: str) -> str:
    """One section of the body, from its heading line to the next blank line."""
    start = re.search(rf"^{re.escape(title)}.*$", body, flags=re.M).start()
    end = body.find("\n\n", start)
    return body[start : end if end >= 0 else None]


def flat(text: str) -> str:
    """Whitespace collapsed: the body is wrapped at 78 columns, a phrase may span lines."""
    return " ".join(text.split())


def no_missing_values(text: str) -> bool:
    return not re.search(r"\b(nan|NaN|None|NaT)\b", text)


def top_mover_quotes(evidence, now, before) -> tuple[str, list[str]]:
    """The top mover's code and the quotes that should back it (new evidence, else current)."""
    change = attribute_change(before, now)
    code = change.index[0]
    ids = list(change.at[code, "new_evidence_ids"]) or list(
        now.table.set_index("code").at[code, "evidence_ids"]
    )
    return code, evidence.citations(ids)["quote"].tolist()


def test_firing_subject_names_severity_country_rule_state_score_and_band(evidence, rules, at):
    rule, now = rules["score-high"], at("2016-01-31")
    _, mail = fired(rule, now, at("2015-12-31"))
    subject = compose(mail, evidence)["Subject"]
    period = now.as_of.date()
    assert subject.startswith(f"[fragwatch {rule.severity.upper()}] {now.country}, {period}: ")
    assert f"{rule.name} FIRING" in subject
    assert f"{now.score:.1f}" in subject
    assert f"({now.band})" in subject


def test_firing_body_has_score_reading_evidence_quote_and_clear_level(evidence, rules, at):
    rule, now, before = rules["score-high"], at("2016-01-31"), at("2015-12-31")
    _, mail = fired(rule, now, before)
    body = text_of(compose(mail, evidence))
    assert mail.note.reading.explanation in body
    assert f"{now.score:.1f}" in body
    assert now.band in body
    assert f"{before.score:.1f}" in body  # the change since the previous run
    assert f"{now.score - before.score:+.1f}" in body
    code, quotes = top_mover_quotes(evidence, now, before)
    movers = flat(section(body, "TOP MOVERS"))
    # The mover names its sources by number; the quotes are under their source, verbatim.
    assert movers.index(f"[{code}]") < movers.index("evidence: [1]")
    listed = flat(body[body.index("SOURCES AND QUOTES") : body.index("TO ACT")])
    shown = [f"\u201c{flat(q)}\u201d" for q in quotes if f"\u201c{flat(q)}\u201d" in listed]
    assert shown  # verbatim, in curly quotes
    clears = section(body, "WHAT WOULD CLEAR IT")
    assert f"below {rule.clear:g}" in clears
    assert f"fragwatch alerts ack {rule.name} {now.country}" in body
    assert f"--as-of {now.as_of.date()}" in body
    assert no_missing_values(body)


def test_quotes_name_their_source_publisher_date_and_url(evidence, rules, at):
    now, before = at("2016-01-31"), at("2015-12-31")
    _, mail = fired(rules["score-high"], now, before)
    body = flat(text_of(compose(mail, evidence)))
    change = attribute_change(before, now)
    ids = list(change.iloc[0]["new_evidence_ids"])
    assert ids  # the top mover moved on new evidence
    for _, c in evidence.citations(ids).iterrows():
        assert flat(c["source_title"]) in body
        assert flat(c["publisher"]) in body
        assert str(c["published"].date()) in body
        assert c["url"] in body


def test_a_source_behind_several_movers_is_listed_once_with_all_its_quotes(evidence, rules, at):
    now, before = at("2016-01-31"), at("2015-12-31")
    _, mail = fired(rules["score-high"], now, before)
    msg = compose(mail, evidence)
    body = flat(text_of(msg))
    movers = top_movers(now, before, top=3)
    ids = [i for cite in movers["cite_ids"] for i in cite]
    rows = evidence.citations(ids)
    by_source = rows.groupby("source_id")["id"].nunique()
    assert (by_source > 1).any()  # one briefing backs more than one mover or quote
    html = msg.get_body(("html",)).get_content()
    for source_id in by_source.index:
        source = evidence.sources.loc[source_id]
        title, url = flat(source["title"]), source["url"]
        # Title, link and one publication date once in each part, however many quotes.
        assert body.count(title) == 1, title
        assert html.count(escape(source["title"], quote=False)) == 1, title
        assert body.count(url) == 1
        head = body.index(title)
        assert body[head:].index(f"published {source['published'].date()}") < 200
    dates = re.findall(r"published (\d{4}-\d{2}-\d{2})", body)
    assert sorted(dates) == sorted(
        str(evidence.sources.at[s, "published"].date()) for s in by_source.index
    )
    # Each quote under its source: after the source's title, before the next source's.
    heads = sorted(body.index(flat(evidence.sources.at[s, "title"])) for s in by_source.index)
    for _, row in rows.drop_duplicates("quote").head(3).iterrows():
        quote = flat(clean_quote(row["quote"])[0])
        if quote not in body:
            continue  # beyond the three newest of its mover
        start = body.index(flat(evidence.sources.at[row["source_id"], "title"]))
        after = [h for h in heads if h > start]
        assert start < body.index(quote) < (after[0] if after else len(body))


def test_an_indicator_rule_puts_its_indicator_first_and_clears_in_its_unit(evidence, rules, at):
    rule, now = rules["remittances-dependence"], at("2016-01-31")
    _, mail = fired(rule, now, at("2015-12-31"))
    msg = compose(mail, evidence)
    unit = now.table.set_index("code").at[rule.indicator, "unit"]
    assert f"{now.country}:{rule.indicator}" in msg["Subject"]
    assert msg["X-Fragwatch-Subject"] == f"{now.country}:{rule.indicator}"
    body = text_of(msg)
    first_mover = section(body, "TOP MOVERS").splitlines()[1]
    assert f"[{rule.indicator}]" in first_mover
    assert f"{rule.indicator} falls below {rule.clear:g} {unit}" in body


def test_first_run_lists_the_top_current_contributors(evidence, rules, at):
    now = at("2016-01-31")
    _, mail = fired(rules["score-high"], now, None)
    body = text_of(compose(mail, evidence, top=2))
    biggest = now.table.sort_values("contribution", ascending=False)["code"].head(3).tolist()
    assert f"[{biggest[0]}]" in body
    assert f"[{biggest[1]}]" in body
    assert f"[{biggest[2]}]" not in body  # top=2
    assert no_missing_values(body)


def test_headers_and_body_survive_an_smtp_round_trip(evidence, rules, at):
    rule = rules["score-high"]
    _, mail = fired(rule, at("2016-01-31"), at("2015-12-31"))
    msg = compose(mail, evidence)
    back = roundtrip(msg)
    assert back.keys() == msg.keys()
    for key in msg:
        assert str(back[key]) == str(msg[key]), key
    assert back["From"] == SENDER
    assert back["To"] == ", ".join(TO)
    assert back["Message-ID"] == message_id(mail.note.dedupe_key, SENDER)
    # Date: when the mail is made (the sender stamps it again when it sends); the period
    # the alert is about has its own header and is in the subject and the body.
    assert abs(back["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=1)
    assert back["X-Fragwatch-Period"] == str(mail.assessment.as_of.date())
    assert back["Auto-Submitted"] == "auto-generated"
    assert back["X-Fragwatch-Rule"] == rule.name
    assert back["X-Fragwatch-Severity"] == rule.severity
    assert back["X-Fragwatch-Kind"] == "firing"
    # Text for mutt, HTML in the report's look for the rest; both UTF-8.
    assert back.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in back.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in back.iter_parts())
    assert text_of(back) == text_of(msg)
    assert back["In-Reply-To"] is None  # a firing mail starts its thread


def test_reminder_threads_under_the_firing_mail(evidence, rules, at):
    rule = rules["score-high"]
    state, first = fired(rule, at("2016-01-31"), at("2015-12-31"))
    later = T0 + timedelta(hours=rule.repeat_hours)
    _, mail = fired(rule, at("2016-04-30"), at("2016-01-31"), later, state)
    assert mail.note.kind == "reminder"
    thread = message_id(first.note.dedupe_key, SENDER)
    msg = roundtrip(compose(mail, evidence, thread_id=thread))
    assert f"{rule.name} REMINDER" in msg["Subject"]
    assert msg["In-Reply-To"] == msg["References"] == thread
    assert msg["Message-ID"] != thread
    assert f"{state.since:%Y-%m-%d %H:%M}" in text_of(msg)


def test_resolved_mail_says_it_cleared_with_the_value_now_and_threads(evidence, rules, at):
    rule = rules["score-high"]
    state, first = fired(rule, at("2016-01-31"), at("2015-12-31"))
    now, before = at("2018-12-31"), at("2016-12-31")
    assert now.score < rule.clear <= before.score  # the run that clears it
    _, mail = fired(rule, now, before, T0 + timedelta(days=274), state)
    assert mail.note.kind == "resolved"
    thread = message_id(first.note.dedupe_key, SENDER)
    msg = roundtrip(compose(mail, evidence, thread_id=thread))
    assert f"{rule.name} RESOLVED" in msg["Subject"]
    assert msg["In-Reply-To"] == msg["References"] == thread
    body = text_of(msg)
    assert "cleared" in body.lower()
    assert f"{now.score:.1f}" in body
    assert f"{rule.clear:g}" in body
    assert f"{first.note.at:%Y-%m-%d %H:%M}" in body  # how long it was firing
    assert "alerts ack" not in body  # nothing left to acknowledge


def _certain(spec, rule, now) -> Certainty:
    """What the assess job attaches to a mail: the engine's interval and the rule's share."""
    interval, draws = assessment_interval(spec, now)
    u = spec.uncertainty
    share = alert_share(rule, now, draws, seed=u.seed)
    return Certainty(interval, u.weight_noise, share, u.robust_share)


def test_a_firing_score_alert_says_whether_it_is_robust_and_shows_the_interval(
    evidence, spec, rules, at
):
    rule, now, before = rules["score-high"], at("2016-01-31"), at("2015-12-31")
    _, mail = fired(rule, now, before)
    sure = _certain(spec, rule, now)
    assert sure.fire_share >= spec.uncertainty.robust_share  # 68.9 is far above 60
    msg = roundtrip(compose(replace(mail, certainty=sure), evidence))
    assert f"{rule.name} FIRING (robust)" in msg["Subject"]
    fired_section = section(text_of(msg), "WHAT FIRED")
    assert f"Robust:   yes: the fire condition holds in {sure.fire_share:.0%} of" in fired_section
    assert f"robust from {spec.uncertainty.robust_share:.0%}" in fired_section
    score = section(text_of(msg), "SCORE")
    i = sure.interval
    assert f"median {i.median:.1f}, 90% {i.low:.1f} .. {i.high:.1f}" in score
    # Without the Monte Carlo (as before it existed) the mail says nothing of robustness.
    plain = compose(mail, evidence)
    assert "robust" not in plain["Subject"]
    assert "Robust:" not in text_of(plain)


def test_a_score_alert_near_its_level_is_marked_not_robust(evidence, spec, rules, at):
    now, before = at("2016-01-31"), at("2015-12-31")
    # Fire at the median of the draws: about half of them fall short of it.
    interval, _ = assessment_interval(spec, now)
    level = min(interval.median, now.score) - 0.05  # just below both: the run fires
    rule = replace(rules["score-high"], fire=round(level, 1), clear=35)
    _, mail = fired(rule, now, before)
    sure = _certain(spec, rule, now)
    assert sure.fire_share < spec.uncertainty.robust_share
    msg = roundtrip(compose(replace(mail, certainty=sure), evidence))
    assert f"{rule.name} FIRING (not robust)" in msg["Subject"]
    assert "Robust:   NO, act with care" in text_of(msg)


def test_a_resolved_alert_carries_no_robust_mark(evidence, spec, rules, at):
    high = rules["score-high"]
    state, _ = fired(high, at("2016-01-31"), at("2015-12-31"))
    now, before = at("2018-12-31"), at("2016-12-31")
    _, resolved = fired(high, now, before, T0 + timedelta(days=274), state)
    msg = compose(replace(resolved, certainty=_certain(spec, high, now)), evidence)
    assert "robust" not in msg["Subject"]
    assert "Robust:" not in text_of(msg)
    assert "interval: median" in section(text_of(msg), "SCORE")  # the score's interval still


def test_an_indicator_alert_is_judged_over_its_own_evidence_range(evidence, spec, at):
    now, before = at("2016-01-31"), at("2015-12-31")
    row = now.table.set_index("code").loc["migrant_returns"]
    assert row["low"] < row["value"] < row["high"]  # "300,000-400,000" migrants returned
    # Fire level at the point value: the draws straddle it, about half of them fire.
    rule = Rule("returns-high", "indicator_above", "high", fire=float(row["value"]),
                clear=float(row["low"]), indicator="migrant_returns")  # fmt: skip
    _, mail = fired(rule, now, before)
    sure = _certain(spec, rule, now)
    assert 0.3 < sure.fire_share < 0.7
    msg = compose(replace(mail, certainty=sure), evidence)
    assert "returns-high FIRING (not robust)" in msg["Subject"]
    assert "draws of migrant_returns over its evidence range" in flat(text_of(msg))
    # Fire level at the low end of the range: every draw fires.
    low = replace(rule, fire=float(row["low"]), clear=float(row["low"]) - 1)
    _, mail = fired(low, now, before)
    sure = _certain(spec, low, now)
    assert sure.fire_share == 1.0
    assert (
        "returns-high FIRING (robust)"
        in compose(replace(mail, certainty=sure), evidence)["Subject"]
    )


# Before the open-data layer covers enough (Tajikistan is scored from 1997 on).
@pytest.mark.parametrize(("day", "previous"), [("1993-01-01", "1992-07-31"), ("1991-07-01", None)])
def test_a_withheld_score_renders_as_withheld(evidence, rules, at, day, previous):
    now, before = at(day), at(previous) if previous else None
    assert pd.isna(now.score)
    rule = rules["stale-evidence"]
    _, mail = fired(rule, now, before)
    msg = roundtrip(compose(mail, evidence))
    assert "withheld" in msg["Subject"]
    assert f"{now.coverage:.0%}" in msg["Subject"]
    body = text_of(msg)
    assert "withheld" in section(body, "SCORE")
    assert f"{rule.clear:.0%} or more" in section(body, "WHAT WOULD CLEAR IT")
    assert no_missing_values(body)
    # A score rule on the same run keeps firing and reminds: that mail renders too.
    high = rules["score-high"]
    reading = evaluate(high, now, before)
    firing = AlertState(high.name, reading.subject, "firing", 1, since=T0)
    _, note = step(high, firing, reading, T0 + timedelta(days=30))
    body = text_of(compose(AlertMail(note, high, now, before, since=T0), evidence))
    assert "withheld" in body
    assert no_missing_values(body)


def test_a_job_failure_without_an_assessment_renders(evidence):
    rule = Rule("job-failure", "job_failure", "high", description="A scheduled job failed.")
    error = "OperationalError: database is locked"
    reading = job_reading("assess", error + "\nTraceback (most recent call last): ...")
    _, note = step(rule, AlertState(rule.name, reading.subject), reading, T0)
    msg = roundtrip(compose(AlertMail(note, rule, None, None), evidence))
    assert msg["Subject"].startswith(f"[fragwatch HIGH] {reading.subject}, ")
    assert f": {rule.name} FIRING" in msg["Subject"]
    assert error in msg["Subject"]
    assert "Traceback" not in msg["Subject"]  # the first part of the error only
    body = text_of(msg)
    assert error in body
    assert "Traceback" in body
    assert "assess job succeeds" in section(body, "WHAT WOULD CLEAR IT")
    assert f"fragwatch alerts ack {rule.name} {reading.subject}" in body
    assert no_missing_values(body)


def test_header_injection_from_rule_and_reading_adds_no_header(evidence, at):
    rule = Rule(
        "score-high" + INJECT, "score_above", "critical", fire=40, clear=38,
        description="Entered the high band." + INJECT,
    )  # fmt: skip
    now = at("2016-01-31")
    reading = evaluate(rule, now, None)
    reading = replace(reading, subject=reading.subject + INJECT, explanation="x" + INJECT)
    _, note = step(rule, AlertState(rule.name, reading.subject), reading, T0)
    job = Rule("job" + INJECT, "job_failure", "high", description=INJECT)
    job_note = step(job, AlertState(job.name, "job:x"), job_reading("x", INJECT + "boom"), T0)[1]
    for mail in (AlertMail(note, rule, now, None), AlertMail(job_note, job, None, None)):
        msg = compose(mail, evidence)
        raw = msg.as_bytes(policy=email.policy.SMTP)
        head = raw.split(b"\r\n\r\n", 1)[0]
        starts = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")]
        assert b"bcc" not in starts
        assert b"x-injected" not in starts
        back = email.message_from_bytes(raw, policy=email.policy.default)
        assert back["Bcc"] is None
        assert back["X-Injected"] is None
        assert back["To"] == ", ".join(TO)
        assert [a.addr_spec for a in back["To"].addresses] == TO
        assert "\n" not in back["Subject"]
        assert "\n" not in back["X-Fragwatch-Rule"]


def test_clear_condition_states_each_shipped_rule_level(rules, at):
    table = at("2016-01-31").table.set_index("code")
    for rule in rules.values():
        unit = table.at[rule.indicator, "unit"] if rule.indicator else ""
        text = clear_condition(rule, unit=unit)
        if rule.kind == "stale_evidence":
            assert f"{rule.clear:.0%}" in text
        elif rule.clear is not None:
            assert f"{rule.clear:g}" in text
            assert unit in text
        elif rule.fire is not None:
            assert f"{rule.fire:g}" in text
        assert text
    assert "assess" in clear_condition(Rule("j", "job_failure"), subject="job:assess")


def test_top_movers_rank_by_points_moved_and_cite_new_evidence(evidence, at):
    now, before = at("2016-01-31"), at("2015-12-31")
    change = attribute_change(before, now)
    movers = top_movers(now, before, top=3)
    assert movers.index.tolist() == change.index[:3].tolist()
    assert movers["delta"].abs().is_monotonic_decreasing
    for code, row in movers.iterrows():
        new = list(change.at[code, "new_evidence_ids"])
        current = list(now.table.set_index("code").at[code, "evidence_ids"])
        assert row["cite_ids"] == (new or current)
    pinned = top_movers(now, before, top=3, first="conflict_deaths")  # did not move at all
    assert pinned.index[0] == "conflict_deaths"
    assert pinned.index[1:].tolist() == change.index[:2].tolist()
    first_run = top_movers(now, None, top=4)
    biggest = now.table.sort_values("contribution", ascending=False)["code"].head(4)
    assert first_run.index.tolist() == biggest.tolist()


def test_no_recipients_is_refused(evidence, rules, at):
    _, mail = fired(rules["score-high"], at("2016-01-31"), None)
    with pytest.raises(ValueError, match="recipient"):
        compose_alert(mail, evidence, sender=SENDER, recipients=[" "], message_id="<a@b>")
