"""The web desk's security against the real server (``fragwatch web`` in a subprocess on a
loopback port, over a real SQLite store that ``run-once`` filled): who may write, CSRF, API
tokens, the login limit, the cookie's flags, escaping, and that no password hash leaves it."""

from __future__ import annotations

import html
import sqlite3
import time

import pytest

from .report_helpers import HOSTILE_QUOTE
from .web_helpers import PASSWORD, USERS, csrf_of, login, make_service, start_web, stop_web


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web") / "service"
    settings = make_service(folder)
    running = start_web(folder, settings)
    yield running
    stop_web(running)


def store_state(desk) -> tuple:
    """What a write would change: alert acknowledgements, silences and the audit trail."""
    with sqlite3.connect(desk.database) as db:
        return (
            db.execute("SELECT rule, subject, acked_at, acked_by FROM alert_state ORDER BY id")
            .fetchall(),
            db.execute("SELECT * FROM silences ORDER BY id").fetchall(),
            db.execute("SELECT who, action, target FROM web_audit WHERE action NOT LIKE 'login%'")
            .fetchall(),
        )  # fmt: skip


def firing(desk) -> list[tuple[str, str]]:
    with sqlite3.connect(desk.database) as db:
        return db.execute(
            "SELECT rule, subject FROM alert_state WHERE state = 'firing' ORDER BY rule"
        ).fetchall()


def test_pages_need_a_login_and_the_api_answers_401(desk):
    with desk.client() as anonymous:
        page = anonymous.get("/country/TJK")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        assert anonymous.get("/api/overview").status_code == 401
        assert anonymous.get("/reports/x/report.html").status_code == 303


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/alerts/ack", {"rule": "score-high", "subject": "TJK"}),
        ("/alerts/silence", {"rule": "score-high", "subject": "TJK", "duration": "1d"}),
        ("/alerts/unsilence", {"silence_id": "1"}),
    ],
)
def test_writes_without_a_login_get_401_and_change_nothing(desk, path, form):
    before = store_state(desk)
    with desk.client() as anonymous:
        token = csrf_of(anonymous, "/login")  # even with a valid token of its own session
        answer = anonymous.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 401
    assert store_state(desk) == before


@pytest.mark.parametrize("user", ["rita", "anna"])
def test_alert_actions_of_a_reader_or_analyst_get_403_and_change_nothing(desk, user):
    rule, subject = firing(desk)[0]
    before = store_state(desk)
    with desk.client(user) as client:
        token = csrf_of(client, "/alerts")
        assert "Acknowledge" not in client.get("/alerts").text  # no button for them either
        for path, form in [
            ("/alerts/ack", {"rule": rule, "subject": subject}),
            ("/alerts/silence", {"rule": rule, "subject": subject, "duration": "1d"}),
        ]:
            answer = client.post(path, data={**form, "csrf_token": token})
            assert answer.status_code == 403, (user, path)
            assert f"the role '{USERS[user]}' may not do this" in html.unescape(answer.text)
    assert store_state(desk) == before


def test_a_reader_cannot_run_a_scenario(desk):
    with desk.client("rita") as client:
        token = csrf_of(client, "/scenarios")
        answer = client.post(
            "/scenarios/run", data={"name": "remittance-collapse", "csrf_token": token}
        )
    assert answer.status_code == 403


@pytest.mark.parametrize("token", [None, "", "forged-token-0123456789"])
def test_a_missing_or_forged_csrf_token_is_refused(desk, token):
    rule, subject = firing(desk)[0]
    before = store_state(desk)
    with desk.client("olga") as client:
        form = {"rule": rule, "subject": subject}
        if token is not None:
            form["csrf_token"] = token
        answer = client.post("/alerts/ack", data=form)
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    assert store_state(desk) == before


def test_a_csrf_token_from_another_session_is_refused(desk):
    rule, subject = firing(desk)[0]
    before = store_state(desk)
    with desk.client("olga") as victim, desk.client("adam") as other:
        stolen = csrf_of(other, "/alerts")
        answer = victim.post(
            "/alerts/ack", data={"rule": rule, "subject": subject, "csrf_token": stolen}
        )
    assert answer.status_code == 403
    assert store_state(desk) == before


def test_an_officer_acknowledges_and_the_write_is_audited(desk):
    rule, subject = firing(desk)[-1]
    with desk.client("olga") as client:
        token = csrf_of(client, "/alerts")
        answer = client.post(
            "/alerts/ack", data={"rule": rule, "subject": subject, "csrf_token": token}
        )
        assert answer.status_code == 303
        assert "acknowledged by web:olga" in client.get("/alerts").text
        again = client.post(
            "/alerts/ack", data={"rule": rule, "subject": subject, "csrf_token": token}
        )
        assert again.status_code == 303  # acknowledging twice is harmless
    with sqlite3.connect(desk.database) as db:
        acked = db.execute(
            "SELECT acked_by FROM alert_state WHERE rule = ? AND subject = ?", (rule, subject)
        ).fetchone()
        audit = db.execute(
            "SELECT who, target FROM web_audit WHERE action = 'alert.ack'"
        ).fetchall()
    assert acked == ("web:olga",)
    assert ("web:olga", f"{rule} {subject}") in audit


def test_a_bad_silence_is_refused_with_the_reason_and_nothing_stored(desk):
    before = store_state(desk)
    with desk.client("olga") as client:
        token = csrf_of(client, "/alerts")
        answer = client.post(
            "/alerts/silence",
            data={"rule": "*", "subject": "TJK", "duration": "forever", "csrf_token": token},
        )
    assert answer.status_code == 400
    assert "'forever' is not a duration like 12h, 3d or 2w" in html.unescape(answer.text)
    assert store_state(desk) == before


def test_api_tokens_read_but_cannot_write(desk):
    made = desk.cli("users", "token", "adam")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("fwt_")
    bearer = {"Authorization": f"Bearer {token}"}
    rule, subject = firing(desk)[0]
    before = store_state(desk)
    with desk.client() as client:
        me = client.get("/api/me", headers=bearer).json()
        assert me == {"name": "adam", "role": "admin", "token": True, "may": ["read"]}
        overview = client.get("/api/overview", headers=bearer)
        assert overview.status_code == 200
        assert [c["country"] for c in overview.json()["countries"]] == ["TJK"]
        for path, form in [
            ("/alerts/ack", {"rule": rule, "subject": subject}),
            ("/alerts/silence", {"rule": rule, "subject": subject, "duration": "1d"}),
            ("/alerts/unsilence", {"silence_id": "1"}),
        ]:
            assert client.post(path, data=form, headers=bearer).status_code == 403
        assert (
            client.get("/api/overview", headers={"Authorization": "Bearer fwt_nope"}).status_code
            == 401
        )
    assert store_state(desk) == before
    with sqlite3.connect(desk.database) as db:
        stored = [r[0] for r in db.execute("SELECT token_hash FROM web_tokens")]
    assert len(stored) == 1
    assert token not in stored  # only its digest is kept


def test_the_password_hash_never_leaves_the_server(desk):
    with sqlite3.connect(desk.database) as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM web_users")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    with desk.client("adam") as client:
        bodies = [
            client.get(path).text
            for path in ["/", "/country/TJK", "/alerts", "/evidence", "/scenarios", "/reports",
                         "/admin", "/api/me", "/api/overview", "/api/countries/TJK",
                         "/api/alerts", "/api/evidence", "/api/openapi.json"]
        ]  # fmt: skip
        cookie = client.cookies.get("fragwatch_session")
    assert "olga" in bodies[6]  # the admin page lists the users
    for body in [*bodies, cookie]:
        assert "$argon2" not in body
        assert not any(h in body for h in hashes)
        assert PASSWORD not in body
    listed = desk.cli("users", "list")
    assert "olga" in listed.stdout
    assert "argon2" not in listed.stdout


def test_the_session_cookie_is_signed_httponly_and_samesite(desk):
    with desk.client() as client:
        answer = login(client, "rita")
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert client.get("/api/me").json()["name"] == "rita"
        # A cookie whose signature does not match is no session.
        value = client.cookies.get("fragwatch_session")
        client.cookies.set("fragwatch_session", value[:-4] + "AAAA")
        assert client.get("/api/me").status_code == 401


def test_every_page_forbids_scripts(desk):
    with desk.client("rita") as client:
        page = client.get("/evidence?text=Militants")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script" not in policy
    assert page.headers["x-frame-options"] == "DENY"


def test_hostile_evidence_is_escaped_in_pages_and_plain_text_in_json(desk):
    with desk.client("rita") as client:
        listed = client.get("/evidence", params={"country": "TJK", "text": "Militants attacked"})
        country = client.get("/country/TJK")
        api = client.get("/api/evidence", params={"text": "Militants attacked"}).json()
    for page in (listed.text, country.text):
        assert "&lt;script&gt;document.title=&#39;pwned-script&#39;&lt;/script&gt;" in page
        assert "<script" not in page
        assert "<img src=x" not in page
        assert 'onerror="' not in page
        assert 'onmouseover="' not in page
    assert api["rows"][0]["quote"] == HOSTILE_QUOTE  # the API hands the text back as it is


def test_login_is_rate_limited_even_for_the_right_password(desk):
    with desk.client() as client:
        for _ in range(5):
            assert login(client, "anna", "wrong password!").status_code == 401
        blocked = login(client, "anna")
        assert blocked.status_code == 429
        assert "Too many failed logins" in blocked.text
        assert client.get("/api/me").status_code == 401
    with sqlite3.connect(desk.database) as db:
        failed = db.execute(
            "SELECT count(*) FROM web_audit WHERE action = 'login.failed' AND who = 'web:anna'"
        ).fetchone()[0]
    assert failed == 5


def test_a_removed_user_is_logged_out_at_the_next_request(desk):
    made = desk.cli("users", "add", "temp", "--role", "reader", "--password-stdin", stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    with desk.client("temp") as client:
        assert client.get("/api/me").status_code == 200
        assert desk.cli("users", "remove", "temp").returncode == 0
        time.sleep(1.1)  # the desk keeps a looked-up user for a second
        assert client.get("/api/me").status_code == 401


def test_report_files_outside_the_report_folders_are_not_served(desk):
    with desk.client("rita") as client:
        for path in [
            "/reports/../fragwatch.toml",
            "/reports/..%2F..%2Fetc/passwd",
            "/reports/x/..%2F..%2Ffragwatch.toml",
            "/reports/var/fragwatch.db",
        ]:
            assert client.get(path).status_code == 404, path


def test_login_redirects_only_to_this_site(desk):
    with desk.client() as client:
        token = csrf_of(client, "/login")
        form = {"username": "rita", "password": PASSWORD, "csrf_token": token}
        answer = client.post("/login", data={**form, "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_the_openapi_document_describes_the_api(desk):
    with desk.client("rita") as client:
        document = client.get("/api/openapi.json").json()
        assert client.get("/api/docs").status_code == 404  # its viewer would load a CDN
    paths = set(document["paths"])
    assert {"/api/overview", "/api/countries/{code}", "/api/alerts", "/api/evidence",
            "/api/scenarios", "/api/reports", "/api/me"} <= paths  # fmt: skip
    writes = {p for p in paths if set(document["paths"][p]) != {"get"}}
    # The only writes: the review queue and scenario runs, each a POST alone.
    assert writes == {"/api/review/{cid}/edit", "/api/review/{cid}/accept",
                      "/api/review/{cid}/reject", "/api/scenarios/run",
                      "/api/scenarios/upload"}  # fmt: skip
    assert all(set(document["paths"][p]) == {"post"} for p in writes)
    assert not any(p.startswith(("/alerts", "/login")) for p in paths)
