"""The review queue and uploaded scenarios on the real web desk (``fragwatch web`` in a
subprocess over a store ``run-once`` filled and a review queue of one fetched report): who may
write, CSRF, the audit trail, refusals beside their field, inert hostile quotes, JSON and the
OpenAPI document, and uploaded scenario files that are bad in each way."""

from __future__ import annotations

import hashlib
import html
import sqlite3
from pathlib import Path

import pytest

from .report_helpers import HOSTILE_QUOTE
from .web_helpers import (
    ACCEPT,
    HOSTILE,
    REFUSED,
    REJECT,
    csrf_of,
    make_service,
    start_web,
    stop_web,
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webreview") / "service"
    settings = make_service(folder)
    running = start_web(folder, settings)
    yield running
    stop_web(running)


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def state(desk) -> tuple:
    """What a review write could change: the queue, the evidence library, the audit trail."""
    with sqlite3.connect(desk.database) as db:
        trail = db.execute(
            "SELECT who, action, target FROM web_audit WHERE action NOT LIKE 'login%' ORDER BY id"
        ).fetchall()
    var = desk.folder / "var"
    return files(var / "feeds"), files(var / "evidence"), files(var / "outbox"), trail


def status(desk, cid: str) -> str:
    with desk.client("rita") as client:
        return client.get(f"/api/review/{cid}").json()["candidate"]["status"]


WRITES = [
    (f"/review/{REJECT}/reject", {}),
    (f"/review/{REJECT}/accept", {}),
    (f"/review/{REJECT}/edit", {"value": "1300"}),
]


@pytest.mark.parametrize(("path", "form"), WRITES)
def test_review_writes_without_a_login_get_401_and_change_nothing(desk, path, form):
    before = state(desk)
    with desk.client() as anonymous:
        token = csrf_of(anonymous, "/login")
        answer = anonymous.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 401
        assert anonymous.post("/api" + path, headers={"X-CSRF-Token": token}).status_code == 401
    assert state(desk) == before


@pytest.mark.parametrize(("path", "form"), WRITES)
def test_a_reader_sees_the_queue_but_review_writes_get_403(desk, path, form):
    before = state(desk)
    with desk.client("rita") as client:
        page = client.get("/review")
        assert page.status_code == 200
        assert "Customs officers seized 1,200 kg of heroin in 2024." in page.text
        shown = client.get(f"/review/{REJECT}")
        assert 'id="accept"' not in shown.text  # no buttons for a reader
        token = csrf_of(client, "/review")
        assert client.post(path, data={**form, "csrf_token": token}).status_code == 403
        api = client.post("/api" + path, headers={"X-CSRF-Token": token}, json=form or None)
        assert api.status_code == 403
    assert state(desk) == before
    assert status(desk, REJECT) == "pending"


@pytest.mark.parametrize("token", [None, "", "forged-token-0123456789"])
def test_a_missing_or_forged_csrf_token_is_refused_for_review_writes(desk, token):
    before = state(desk)
    with desk.client("anna") as client:
        form = {} if token is None else {"csrf_token": token}
        assert client.post(f"/review/{REJECT}/reject", data=form).status_code == 403
        headers = {} if token is None else {"X-CSRF-Token": token}
        assert client.post(f"/api/review/{REJECT}/reject", headers=headers).status_code == 403
    assert state(desk) == before


def test_an_api_token_cannot_review(desk):
    made = desk.cli("users", "token", "adam")
    assert made.returncode == 0, made.stderr
    bearer = {"Authorization": f"Bearer {made.stdout.strip()}"}
    before = state(desk)
    with desk.client() as client:
        listed = client.get("/api/review", headers=bearer)
        assert listed.status_code == 200
        assert {r["id"] for r in listed.json()} >= {ACCEPT, REJECT, HOSTILE, REFUSED}
        assert client.post(f"/api/review/{REJECT}/reject", headers=bearer).status_code == 403
    assert state(desk) == before


def test_an_analyst_accepts_through_the_api_and_the_write_is_audited(desk):
    library = desk.folder / "var" / "evidence"
    with desk.client("anna") as client:
        token = csrf_of(client, "/review")
        shown = client.get(f"/api/review/{ACCEPT}").json()
        assert shown["source"]["title"] == "Central Asia <b>passages</b>"
        assert shown["source"]["url"] == "https://example.org/passages/2025-03"
        answer = client.post(f"/api/review/{ACCEPT}/accept", headers={"X-CSRF-Token": token})
        assert answer.status_code == 200, answer.text
        assert answer.json()["candidate"]["status"] == "accepted"
        again = client.post(f"/api/review/{ACCEPT}/accept", headers={"X-CSRF-Token": token})
        assert again.status_code == 422
        assert again.json()["detail"]["detail"].endswith("is already accepted")
        pending = {r["id"] for r in client.get("/api/review").json()}
        assert ACCEPT not in pending
    (batch,) = [p for p in library.iterdir() if not p.name.startswith(".")]
    assert "reached 45% of GDP" in (batch / "observations.csv").read_text("utf-8")
    with sqlite3.connect(desk.database) as db:
        rows = db.execute(
            "SELECT at, who FROM web_audit WHERE action = 'review.accept' AND target = ?",
            (ACCEPT,),
        ).fetchall()
    assert [who for _, who in rows] == ["web:anna"]
    assert rows[0][0].startswith("20")  # when, as a timestamp


def test_an_accept_the_checks_refuse_shows_the_reason_beside_the_field(desk):
    with desk.client("anna") as client:
        token = csrf_of(client, f"/review/{REFUSED}")
        edited = client.post(f"/review/{REFUSED}/edit", data={"value": "many", "csrf_token": token})
        assert edited.status_code == 303
        before = state(desk)
        refused = client.post(f"/review/{REFUSED}/accept", data={"csrf_token": token})
    assert refused.status_code == 422
    # The reason sits right after the value field, and names it.
    after_field = refused.text.split('id="field-value"', 1)[1]
    error = after_field.split('class="error field-error"', 1)[1].split("</p>", 1)[0]
    assert html.unescape(error).endswith("field 'value': 'many' is not a number")
    assert "\n" not in error
    assert '<label>period <input name="period"' in refused.text.split('id="field-value"')[0]
    assert state(desk) == before
    assert status(desk, REFUSED) == "pending"


def test_an_edit_of_a_field_that_is_not_editable_is_refused(desk):
    with desk.client("anna") as client:
        token = csrf_of(client, "/review")
        answer = client.post(
            f"/api/review/{REJECT}/edit", headers={"X-CSRF-Token": token}, json={"quote": "x"}
        )
    assert answer.status_code == 422
    assert answer.json()["detail"]["detail"].startswith("field: 'quote' cannot be edited")


def test_a_hostile_quote_is_escaped_in_the_queue_and_plain_text_in_json(desk):
    with desk.client("anna") as client:
        for path in ("/review", f"/review/{HOSTILE}"):
            page = client.get(path).text
            assert "<script>document.title" not in page
            assert "<img src=x onerror" not in page
            assert HOSTILE_QUOTE not in page
            assert HOSTILE_QUOTE in html.unescape(page)  # shown, as text
            assert "<b>passages</b>" not in page
        assert client.get(f"/api/review/{HOSTILE}").json()["candidate"]["quote"] == HOSTILE_QUOTE


def test_the_review_endpoints_are_in_the_openapi_document(desk):
    with desk.client("rita") as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    assert {"get"} <= set(paths["/api/review"])
    assert {"get"} <= set(paths["/api/review/{cid}"])
    for action in ("edit", "accept", "reject"):
        assert "post" in paths[f"/api/review/{{cid}}/{action}"]
    assert "post" in paths["/api/scenarios/upload"]


# -- uploaded scenarios ----------------------------------------------------------------------

GOOD = b"""name = "my-shock"
description = "Remittances fall by half."
countries = ["TJK"]
as_of = 2016-01-31

[[shock]]
indicator = "remittances_gdp"
op = "multiply"
value = 0.5
"""


def upload(client, name: str, data: bytes, token: str):
    return client.post(
        "/scenarios/upload", data={"csrf_token": token}, files={"file": (name, data)}
    )


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (GOOD.replace(b"2016-01-31", b"2016-13-45"), 400, "bad.toml:4: TOML syntax error"),
        (GOOD.replace(b'"multiply"', b'"explode"'), 422, "bad.toml:8: field 'shock.0.op'"),
        (GOOD.replace(b'"TJK"', b'"ZZZ"'), 422, "bad.toml:3: field 'countries"),
        (b"name = \xff\n", 400, "bad.toml:1: not UTF-8 text"),
        (b"", 400, "bad.toml: the file is empty"),
        (GOOD + b"#" * 70_000, 413, "bad.toml: larger than 64 KiB"),
    ],
)
def test_a_bad_scenario_file_is_one_located_line_beside_the_form(desk, data, code, words):
    before = state(desk)
    with desk.client("anna") as client:
        token = csrf_of(client, "/scenarios")
        answer = upload(client, "bad.toml", data, token)
    assert answer.status_code == code
    error = answer.text.split('id="upload-error"', 1)[1].split("</p>", 1)[0]
    assert html.unescape(error).removeprefix(' role="alert">').startswith(words), error
    assert "\n" not in error
    assert "fragwatch-scenario-" not in answer.text  # no server path
    assert 'id="result"' not in answer.text
    assert state(desk) == before


def test_the_shipped_check_gives_the_same_line_for_the_same_file(desk, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(GOOD.replace(b'"multiply"', b'"explode"'))
    checked = desk.cli("scenario", "check", str(bad))
    assert checked.returncode != 0
    with desk.client("anna") as client:
        answer = client.post(
            "/api/scenarios/upload",
            headers={"X-CSRF-Token": csrf_of(client, "/scenarios")},
            files={"file": ("bad.toml", bad.read_bytes())},
        )
    assert answer.status_code == 422
    cli_line = checked.stderr.strip().removeprefix("fragwatch: error: ").replace(f"{tmp_path}/", "")
    assert answer.json()["detail"] == cli_line


def test_an_uploaded_scenario_runs_beside_the_baseline_and_writes_nothing(desk):
    before = state(desk)
    with sqlite3.connect(desk.database) as db:
        stored = db.execute("SELECT count(*) FROM assessments").fetchone()
    with desk.client("anna") as client:
        answer = upload(client, "my-shock.toml", GOOD, csrf_of(client, "/scenarios"))
        assert answer.status_code == 200, answer.text
    assert "my-shock <small>(uploaded file)</small>" in answer.text
    row = answer.text.split('id="result"', 1)[1].split("</tr>", 2)[1]
    assert "<tr><td>TJK</td><td>2016-01-31</td>" in row, row
    assert state(desk) == before
    with sqlite3.connect(desk.database) as db:
        assert db.execute("SELECT count(*) FROM assessments").fetchone() == stored
    assert not list((desk.folder / "var" / "outbox").glob("*my-shock*"))


def test_a_reader_cannot_upload_a_scenario(desk):
    with desk.client("rita") as client:
        answer = upload(client, "my-shock.toml", GOOD, csrf_of(client, "/scenarios"))
    assert answer.status_code == 403


def test_a_bad_date_refused_by_the_view_worker_is_a_400_with_its_reason(desk):
    # Country views are computed in the desk's worker process: its refusal comes back whole.
    with desk.client("rita") as client:
        page = client.get("/country/TJK?since=2016-13-01")
        assert page.status_code == 400
        assert "since: '2016-13-01' is not a date (YYYY-MM-DD)" in html.unescape(page.text)
        api = client.get("/api/countries/TJK?since=2999-01-01")
        assert api.status_code == 400
        assert api.json()["detail"].startswith("since: 2999-01-01 is not before")
        assert client.get("/api/countries/TJK").status_code == 200  # and it still answers
