"""``fragwatch fetch reports`` and ``fragwatch review``: real parsing of saved ReliefWeb API
responses and RSS feeds (tests/fixtures/feeds/ORIGIN.md), the library that re-fetching leaves
unchanged, the review queue, and accepted figures showing in ``explain`` with their quotes.
No network: sources are file:// URLs, and "offline" is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from fragwatch.feeds.model import FeedError
from fragwatch.feeds.reliefweb import parse_reliefweb
from fragwatch.feeds.rss import parse_feed

from .conftest import REPO, run_cli

FEEDS = REPO / "tests" / "fixtures" / "feeds"
RELIEFWEB = FEEDS / "reliefweb_reports_nepal_2020-09.json"
UPDATES = FEEDS / "reliefweb_updates_ukraine_2020-09.xml"
PASSAGES = FEEDS / "central_asia_passages.xml"
ID = "tjk-remittances_gdp-2024-feed-5f285991f823"


def test_a_reliefweb_api_response_is_read_with_its_provenance():
    reports = parse_reliefweb(RELIEFWEB.read_bytes(), "saved.json")
    raw = json.loads(RELIEFWEB.read_text("utf-8"))["data"]
    assert [r.title for r in reports] == [item["fields"]["title"] for item in raw]
    assert reports[0].published == date(2020, 9, 17)
    assert reports[0].publisher == "World Bank"
    assert reports[0].url == raw[0]["fields"]["url_alias"]
    assert reports[1].publisher == "International Organization for Migration"
    # The saved query asked for no body: the reports have no text.
    assert {r.text for r in reports} == {""}


def test_an_rss_feed_is_read_and_its_html_reduced_to_text():
    reports = parse_feed(UPDATES.read_bytes(), "updates.xml")
    assert [r.published for r in reports] == [date(2020, 9, 16), date(2020, 9, 16)]
    assert reports[0].publisher == "Organization for Security and Co-operation in Europe"
    assert reports[1].url.endswith("crossing-contact-line-august-2020-snapshot-enuk")
    text = reports[0].text
    assert "The SMM recorded no ceasefire violations in either Donetsk or Luhansk region." in text
    assert "<p>" not in text
    assert "<img" not in text


@pytest.mark.parametrize(
    ("parse", "data", "words"),
    [
        (parse_reliefweb, b"{not json", "not a JSON API response"),
        (parse_reliefweb, b'{"error": "bad appname"}', "no 'data' list"),
        (parse_reliefweb, b'{"data": [{"fields": {}}]}', "data[0]"),
        (parse_feed, b"<html><body>Service unavailable</body></html>", "RSS"),
        (parse_feed, b"\x00\x01binary", "feed"),
    ],
)
def test_malformed_responses_are_one_located_error(parse, data, words):
    with pytest.raises(FeedError) as caught:
        parse(data, "source.x")
    line = caught.value.one_line()
    assert "source.x" in line
    assert words in line
    assert "\n" not in line


def env(tmp_path: Path, *, reliefweb: str, rss: list[str]) -> dict[str, str]:
    return {
        "FRAGWATCH_CONFIG_DIR": str(REPO / "config"),
        "FRAGWATCH_EVIDENCE_DIR": str(tmp_path / "library"),
        "FRAGWATCH_FEEDS__DIR": str(tmp_path / "feeds"),
        "FRAGWATCH_FEEDS__RELIEFWEB_URL": reliefweb,
        "FRAGWATCH_FEEDS__RSS": json.dumps(rss),
    }


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_fetch_review_accept_explain(tmp_path):
    variables = env(
        tmp_path, reliefweb=RELIEFWEB.as_uri(), rss=[UPDATES.as_uri(), PASSAGES.as_uri()]
    )

    def cli(*args):
        return run_cli(*args, cwd=tmp_path, env=variables)

    first = cli("fetch", "reports")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("3 new report(s), 1 candidate(s) queued")
    # The API's reports without text and the Russian item: one line each, not stored.
    notes = first.stderr.splitlines()
    assert len(notes) == 5
    assert sum("the report has no text" in line for line in notes) == 4
    assert sum("not in English" in line for line in notes) == 1
    stored = snapshot(tmp_path / "feeds")
    assert "texts/feed-5f285991f823.txt" in stored

    again = cli("fetch", "reports")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 new report(s), 0 candidate(s) queued")
    assert snapshot(tmp_path / "feeds") == stored

    listed = cli("review", "list")
    assert listed.stdout.splitlines() == [f"pending  0.85 {ID}  remittances_gdp TJK 2024 45"]
    edit = cli("review", "edit", ID, "colour=red")
    assert edit.returncode != 0
    assert edit.stderr.startswith("fragwatch: error: FIELD=VALUE:")

    accepted = cli("review", "accept", ID)
    assert accepted.returncode == 0, accepted.stderr
    explained = cli("explain", "--as-of", "2025-06-01")
    assert explained.returncode == 0, explained.stderr
    assert (
        f"[{ID}] \u201cIn 2024, remittances from Tajik labor migrants accounted for 45% of"
        " Tajikistan\u2019s GDP, according to the World Bank"
    ) in explained.stdout
    twice = cli("review", "accept", ID)
    assert twice.returncode != 0
    assert twice.stderr.strip().endswith("is already accepted")


def test_offline_says_why_on_one_line_and_carries_on(tmp_path):
    variables = env(tmp_path, reliefweb="http://127.0.0.1:9/v1/reports", rss=[PASSAGES.as_uri()])
    result = run_cli("fetch", "reports", cwd=tmp_path, env=variables)
    assert result.returncode == 0, result.stderr
    offline = [line for line in result.stderr.splitlines() if "offline" in line]
    assert len(offline) == 1
    assert "127.0.0.1:9" in offline[0]
    assert result.stdout.startswith("1 new report(s), 1 candidate(s) queued")


@pytest.mark.parametrize("bad", ["{not json", "<html>Service unavailable</html>"])
def test_a_malformed_source_changes_nothing(tmp_path, bad):
    broken = tmp_path / "broken.txt"
    broken.write_text(bad, "utf-8")
    reliefweb = broken.as_uri() if bad.startswith("{") else ""
    rss = [PASSAGES.as_uri()] + ([] if bad.startswith("{") else [broken.as_uri()])
    variables = env(tmp_path, reliefweb=reliefweb, rss=rss)
    result = run_cli("fetch", "reports", cwd=tmp_path, env=variables)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fragwatch: error: ")
    assert str(broken.as_uri()) in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "feeds").exists()


# -- the scheduled fetch and its digest ----------------------------------------------------------


def test_the_fetch_job_runs_on_its_own_cron_and_mails_one_digest(tmp_path):
    from datetime import UTC, datetime

    from fragwatch.delivery.outbox import rows
    from fragwatch.evidence.files import load_evidence
    from fragwatch.scheduler.feeds_job import feeds_job
    from fragwatch.scheduler.service import build_scheduler
    from fragwatch.scheduler.wiring import build_service
    from fragwatch.settings import load_model_spec
    from fragwatch.settings.service import load_settings

    settings = load_settings(
        REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'fragwatch.db'}",
        outbox_dir=tmp_path / "outbox",
        feeds={
            "dir": tmp_path / "feeds",
            "reliefweb_url": RELIEFWEB.as_uri(),
            "rss": [UPDATES.as_uri(), PASSAGES.as_uri()],
            "cron": "15 4 * * 2",
        },
    )
    spec = load_model_spec(REPO / "config" / "model.toml")
    svc = build_service(settings, spec, [], lambda: load_evidence([]))
    scheduler = build_scheduler(svc, 60)
    fetch = scheduler.get_job("fetch")
    assert fetch is not None
    assert str(fetch.trigger) == str(svc.feeds.trigger)
    assert "day_of_week='tue'" in str(fetch.trigger) or "day_of_week='2'" in str(fetch.trigger)

    now = datetime(2026, 12, 8, 4, 15, tzinfo=UTC)
    first = feeds_job(now, svc.engine, svc.feeds)
    assert len(first.new_reports) == 3
    feeds_job(now, svc.engine, svc.feeds)  # nothing new: no second mail
    with svc.engine.connect() as conn:
        mails = rows(conn)
    assert len(mails) == 1
    mail = mails[0]
    assert mail.recipients == [settings.recipients.watch_officer]
    assert mail.subject == "[fragwatch] 3 new report(s), 1 candidate figure(s) to review"
    body = mail.body.replace("=\r\n", "").replace("=E2=80=9C", "\u201c")
    assert ID in body
    assert "remittances from Tajik labor migrants accounted for 45%" in body


def test_no_sources_no_fetch_job(tmp_path):
    from fragwatch.scheduler.wiring import feeds_plan
    from fragwatch.settings.service import load_settings

    settings = load_settings(REPO / "config", feeds={"reliefweb_url": "", "rss": []})
    assert feeds_plan(settings) is None


def test_since_and_country_choose_what_is_fetched(tmp_path):
    variables = env(tmp_path, reliefweb="", rss=[UPDATES.as_uri(), PASSAGES.as_uri()])
    recent = run_cli("fetch", "reports", "--since", "2025-01-01", cwd=tmp_path, env=variables)
    assert recent.returncode == 0, recent.stderr
    # The 2020 Ukraine updates are older than --since: only the 2025 report is new.
    assert recent.stdout.startswith("1 new report(s), 1 candidate(s) queued")
    bad = run_cli("fetch", "reports", "--country", "TAJ1", cwd=tmp_path, env=variables)
    assert bad.returncode != 0
    assert bad.stderr.strip() == "fragwatch: error: --country: 'TAJ1' is not an ISO3 country code"
    late = run_cli("fetch", "reports", "--since", "2025-13-01", cwd=tmp_path, env=variables)
    assert late.returncode != 0
    assert "--since" in late.stderr
