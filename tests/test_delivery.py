"""Delivery on real parts: aiosmtpd on 127.0.0.1, trustme certificates, SQLite files."""

from __future__ import annotations

import email
import email.policy
import io
import logging
import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from fragwatch.delivery import outbox
from fragwatch.delivery.message import message_id
from fragwatch.delivery.notifiers import (
    ConnectionDeliveryError,
    FileNotifier,
    Notifier,
    SmtpNotifier,
    StdoutNotifier,
)
from fragwatch.delivery.outbox import OutboxRow
from fragwatch.delivery.sender import RetryPolicy, deliver_due
from fragwatch.store.engine import open_store, read_connection

from .smtp_server import PASSWORD, USER, Recorder, authenticator, free_port

T0 = datetime(2016, 2, 1, 6, 0, tzinfo=UTC)
SENDER = "fragwatch@alerts.example.org"
OFFICER = "officer@example.org"
POLICY = RetryPolicy(base_seconds=30, max_seconds=3600, max_attempts=5, lease_seconds=300)


@pytest.fixture
def starttls_server(start_server, server_tls):
    handler = Recorder()
    controller = start_server(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    return handler, controller


def plain(port: int) -> SmtpNotifier:
    return SmtpNotifier("127.0.0.1", port, "none", None, None, timeout=5)


# -- the store --------------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request, tmp_path):
    """The store on each backend, for the outbox's own mechanics (dedupe, claim, lease)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = open_store(url)
    yield engine
    engine.dispose()


def make_message(key: str, to: tuple[str, ...] = (OFFICER,), body: str = "Score 71.\n", **kw):
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = ", ".join(to)
    msg["Subject"] = f"TJK: high ({key})"
    msg["Message-ID"] = message_id(key, SENDER)
    msg.set_content(body, **kw)
    return msg


def put(engine, key: str, to: tuple[str, ...] = (OFFICER,), now: datetime = T0, **kw) -> None:
    with engine.begin() as conn:
        msg = make_message(key, to, **kw)
        assert outbox.enqueue(conn, msg, dedupe_key=key, recipients=list(to), kind="alert", now=now)


def get(engine, key: str) -> OutboxRow:
    with read_connection(engine) as conn:
        (row,) = [r for r in outbox.rows(conn) if r.dedupe_key == key]
    return row


def deliver(engine, notifier, now: datetime, policy: RetryPolicy = POLICY, seed: int = 1):
    return deliver_due(engine, notifier, now, policy, sender=SENDER, rng=random.Random(seed))


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(raw: bytes) -> str:
    # The wire form has CRLF line ends, and so does the decoded body.
    return parse(raw).get_content().replace("\r\n", "\n")


# -- SMTP -------------------------------------------------------------------------------------


def test_plain_smtp_delivers_once(any_engine, start_server):
    handler = Recorder()
    controller = start_server(handler)
    put(any_engine, "alert:TJK:1")

    report = deliver(any_engine, plain(controller.port), T0)
    sent_at = datetime.now(UTC)

    assert (report.sent, report.ok, report.errors) == (1, True, [])
    ((mail_from, rcpt_tos, content),) = handler.received
    assert (mail_from, rcpt_tos) == (SENDER, [OFFICER])
    assert parse(content)["Message-ID"] == message_id("alert:TJK:1", SENDER)
    assert text_of(content) == "Score 71.\n"
    # Dated when it was handed to the server, whatever the cycle's clock (T0) said.
    assert abs(parse(content)["Date"].datetime - sent_at) < timedelta(minutes=1)
    row = get(any_engine, "alert:TJK:1")
    assert (row.state, row.attempts, row.claimed_at) == ("sent", 1, None)
    assert abs(row.sent_at - sent_at) < timedelta(minutes=1)

    later = deliver(any_engine, plain(controller.port), T0 + timedelta(days=1))
    assert (later.sent, later.ok) == (0, True)
    assert len(handler.received) == 1


def test_eight_bit_body_round_trips(engine, start_server):
    handler = Recorder()
    controller = start_server(handler)
    put(engine, "k", body="Répression élevée à Douchanbé.\n", cte="8bit")

    assert deliver(engine, plain(controller.port), T0).sent == 1
    ((_, _, content),) = handler.received
    assert text_of(content) == "Répression élevée à Douchanbé.\n"


def test_starttls_with_auth(engine, starttls_server, ca_file):
    handler, controller = starttls_server
    notifier = SmtpNotifier("127.0.0.1", controller.port, "starttls", USER, PASSWORD, 5, ca_file)
    put(engine, "k")

    report = deliver(engine, notifier, T0)

    assert report.ok, report.errors
    assert len(handler.received) == 1
    assert notifier.describe() == f"SMTP 127.0.0.1:{controller.port} (starttls, as user 'alice')"


def test_implicit_tls(engine, start_server, server_tls, ca_file):
    handler = Recorder()
    controller = start_server(handler, ssl_context=server_tls)
    put(engine, "k")

    report = deliver(
        engine, SmtpNotifier("localhost", controller.port, "ssl", None, None, 5, ca_file), T0
    )

    assert report.ok, report.errors
    assert len(handler.received) == 1


def test_untrusted_certificate_is_not_used(engine, starttls_server):
    handler, controller = starttls_server
    notifier = SmtpNotifier("127.0.0.1", controller.port, "starttls", USER, PASSWORD, 5)
    put(engine, "k")

    report = deliver(engine, notifier, T0)

    assert not report.ok
    assert handler.data_attempts == 0
    row = get(engine, "k")
    assert row.state == "pending"
    assert row.next_attempt_at > T0
    assert "certificate verification failed" in row.last_error


def test_starttls_is_never_skipped(engine, start_server):
    handler = Recorder()
    controller = start_server(handler)  # offers no STARTTLS
    put(engine, "k")

    deliver(engine, SmtpNotifier("127.0.0.1", controller.port, "starttls", None, None, 5), T0)

    assert handler.data_attempts == 0
    row = get(engine, "k")
    assert row.state == "pending"
    assert "does not offer STARTTLS" in row.last_error


def test_wrong_password_is_never_shown(engine, starttls_server, ca_file, caplog):
    caplog.set_level(logging.DEBUG, logger="fragwatch")
    handler, controller = starttls_server
    wrong = "wrong-" + PASSWORD
    notifier = SmtpNotifier("127.0.0.1", controller.port, "starttls", USER, wrong, 5, ca_file)
    put(engine, "k")

    report = deliver(engine, notifier, T0)

    assert handler.received == []
    row = get(engine, "k")
    assert row.state == "pending"
    assert row.next_attempt_at > T0
    assert "authentication failed" in row.last_error
    assert "535" in row.last_error
    for text in (row.last_error, caplog.text, repr(notifier), notifier.describe(), *report.errors):
        assert wrong not in text
        assert PASSWORD not in text
    assert "535" in caplog.text
    assert wrong not in repr(vars(notifier))


def test_server_down_then_up(engine, start_server):
    port = free_port()  # nothing listens here yet
    put(engine, "second")
    put(engine, "first")  # the newest is sent first

    report = deliver(engine, plain(port), T0)

    assert (report.sent, report.retrying, report.deferred) == (0, 1, 1)
    first, second = get(engine, "first"), get(engine, "second")
    assert first.state == second.state == "pending"
    assert first.next_attempt_at > T0
    assert "connection refused" in first.last_error
    # The channel failed, not the second message: it waits as long, without an attempt.
    assert (first.attempts, second.attempts) == (1, 0)
    assert second.next_attempt_at == first.next_attempt_at

    # The backoff is in the database: another run (or a restarted process) at T0 waits.
    handler = Recorder()
    start_server(handler, port=port)
    assert deliver(engine, plain(port), T0).sent == 0
    assert handler.data_attempts == 0

    report = deliver(engine, plain(port), first.next_attempt_at)
    assert report.sent == 2
    assert sorted(parse(c)["Message-ID"] for _, _, c in handler.received) == sorted(
        message_id(k, SENDER) for k in ("first", "second")
    )


def test_reconnects_once_when_the_server_dropped_the_connection(start_server):
    handler = Recorder()
    port = free_port()
    controller = start_server(handler, port=port)
    notifier = plain(port)
    with notifier:
        notifier.send(make_message("a").as_bytes(policy=email.policy.SMTP), SENDER, [OFFICER])
        controller.stop()  # drops the open session
        start_server(handler, port=port)
        notifier.send(make_message("b").as_bytes(policy=email.policy.SMTP), SENDER, [OFFICER])
    assert len(handler.received) == 2


def test_permanent_refusal_is_a_dead_letter_until_requeued(any_engine, start_server):
    handler = Recorder()
    handler.refuse_data = "550 5.7.1 Message rejected as spam"
    controller = start_server(handler)
    put(any_engine, "k")

    report = deliver(any_engine, plain(controller.port), T0)

    assert (report.dead, report.ok) == (1, False)
    row = get(any_engine, "k")
    assert (row.state, row.attempts) == ("dead", 1)
    assert "550 5.7.1 Message rejected as spam" in row.last_error
    for later in (T0 + timedelta(hours=2), T0 + timedelta(days=400)):
        assert deliver(any_engine, plain(controller.port), later).sent == 0
    assert handler.data_attempts == 1

    handler.refuse_data = None
    with any_engine.begin() as conn:
        assert outbox.requeue(conn, [get(any_engine, "k").id], T0 + timedelta(days=1)) == 1
        assert outbox.requeue(conn, None, T0) == 0  # nothing dead any more
    row = get(any_engine, "k")
    assert (row.state, row.attempts) == ("pending", 0)
    assert deliver(any_engine, plain(controller.port), T0 + timedelta(days=1)).sent == 1
    assert len(handler.received) == 1


def test_partial_and_total_recipient_refusal(engine, start_server):
    handler = Recorder()
    handler.refuse_rcpt = {"gone@example.org": "550 5.1.1 No such user"}
    controller = start_server(handler)
    put(engine, "partial", to=(OFFICER, "gone@example.org"))
    put(engine, "total", to=("gone@example.org",))

    report = deliver(engine, plain(controller.port), T0)

    assert (report.sent, report.dead) == (1, 1)
    partial, total = get(engine, "partial"), get(engine, "total")
    assert partial.state == "sent"
    assert "gone@example.org: 550 5.1.1 No such user" in partial.last_error
    assert [rcpt for _, rcpt, _ in handler.received] == [[OFFICER]]
    assert total.state == "dead"
    assert "all recipients refused" in total.last_error


def test_temporary_refusal_retries_then_gives_up(engine, start_server):
    handler = Recorder()
    handler.refuse_data = "451 4.3.0 Try again later"
    controller = start_server(handler)
    policy = RetryPolicy(base_seconds=30, max_seconds=3600, max_attempts=3)
    put(engine, "k")

    now = T0
    for attempt in (1, 2):
        report = deliver(engine, plain(controller.port), now, policy)
        row = get(engine, "k")
        assert (report.retrying, row.state, row.attempts) == (1, "pending", attempt)
        assert "451 4.3.0 Try again later" in row.last_error
        assert row.next_attempt_at > now
        # Not before the backoff is over.
        assert (
            deliver(engine, plain(controller.port), row.next_attempt_at - timedelta(seconds=1)).sent
            == 0
        )
        now = row.next_attempt_at

    report = deliver(engine, plain(controller.port), now, policy)
    row = get(engine, "k")
    assert (report.dead, row.state, row.attempts) == (1, "dead", 3)
    assert row.last_error.startswith("gave up after 3 attempts")
    assert handler.data_attempts == 3


def test_claimed_rows_come_back_after_the_lease(any_engine, start_server):
    handler = Recorder()
    controller = start_server(handler)
    put(any_engine, "k")
    with any_engine.begin() as conn:  # a sender that claims and dies
        (claimed,) = outbox.claim_due(conn, T0, lease_seconds=300, limit=10)
    assert (claimed.state, claimed.claimed_at) == ("sending", T0)

    before = T0 + timedelta(seconds=299)
    with any_engine.begin() as conn:
        assert outbox.claim_due(conn, before, lease_seconds=300, limit=10) == []
    assert deliver(any_engine, plain(controller.port), before).sent == 0

    assert deliver(any_engine, plain(controller.port), T0 + timedelta(seconds=300)).sent == 1
    assert len(handler.received) == 1
    assert get(any_engine, "k").state == "sent"


def test_a_new_connection_after_the_configured_number_of_messages(engine, start_server):
    """Debian's exim defers every message after the 10th in one connection."""

    class Sessions(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.peers: list[tuple] = []

        async def handle_DATA(self, server, session, envelope):
            self.peers.append(session.peer)
            return await super().handle_DATA(server, session, envelope)

    handler = Sessions()
    controller = start_server(handler)
    for i in range(23):
        put(engine, f"k{i:02}")
    report = deliver(engine, plain(controller.port), T0)
    assert report.sent == 23
    per_connection = [handler.peers.count(p) for p in dict.fromkeys(handler.peers)]
    assert per_connection == [10, 10, 3]
    keys = [parse(raw)["Message-ID"] for _, _, raw in handler.received]
    # Newest first: the last queued goes out first.
    assert keys[0] == message_id("k22", SENDER)
    assert keys[-1] == message_id("k00", SENDER)


def test_claim_takes_newest_first_up_to_the_limit(any_engine):
    for i in range(3):
        put(any_engine, f"k{i}", now=T0 + timedelta(seconds=i))
    with any_engine.begin() as conn:
        claimed = outbox.claim_due(conn, T0 + timedelta(minutes=1), lease_seconds=300, limit=2)
    assert [r.dedupe_key for r in claimed] == ["k2", "k1"]
    with read_connection(any_engine) as conn:
        assert [r.dedupe_key for r in outbox.rows(conn, ["pending"])] == ["k0"]
        assert [r.dedupe_key for r in outbox.rows(conn, limit=2)] == ["k2", "k1"]  # newest first


# -- other notifiers ----------------------------------------------------------------------------


def test_file_notifier_writes_one_file_per_message(engine, tmp_path):
    folder = tmp_path / "var" / "outbox"
    notifier = FileNotifier(folder)
    put(engine, "k")

    assert deliver(engine, notifier, T0).sent == 1
    (path,) = folder.iterdir()
    assert path.suffix == ".eml"
    assert parse(path.read_bytes())["Message-ID"] == message_id("k", SENDER)

    # The same message again (a resend after a crash) replaces its file.
    raw = get(engine, "k").body.encode()
    with notifier:
        notifier.send(raw, SENDER, [OFFICER])
    assert list(folder.iterdir()) == [path]
    assert path.read_bytes() == raw
    assert notifier.describe() == f"files in {folder}"


def test_file_notifier_unwritable_folder_stops_the_batch(engine, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    put(engine, "b")
    put(engine, "a")  # the newest is sent first

    report = deliver(engine, FileNotifier(blocker / "outbox"), T0)

    assert (report.retrying, report.deferred) == (1, 1)
    assert f"cannot write to outbox folder {blocker / 'outbox'}" in get(engine, "a").last_error
    with pytest.raises(ConnectionDeliveryError):
        FileNotifier(blocker).send(b"Message-ID: <x@y>\r\n\r\nhi\r\n", SENDER, [OFFICER])


def test_stdout_notifier(engine, capsys):
    put(engine, "k")
    assert isinstance(StdoutNotifier(), Notifier)

    assert deliver(engine, StdoutNotifier(), T0).sent == 1

    out = capsys.readouterr().out
    assert "Subject: TJK: high (k)\n" in out
    assert "\r" not in out
    assert out.endswith("-" * 72 + "\n")


class CountingNotifier(StdoutNotifier):
    """Counts how often it is opened, and fails with a bug on a chosen message."""

    def __init__(self, fail_on: int | None = None) -> None:
        super().__init__(stream=io.StringIO())
        self.opened = 0
        self.sends = 0
        self.fail_on = fail_on

    def __enter__(self):
        self.opened += 1
        return self

    def send(self, raw, sender, recipients):
        self.sends += 1
        if self.sends == self.fail_on:
            raise RuntimeError("a bug")
        return super().send(raw, sender, recipients)


def test_notifier_is_opened_only_when_there_is_something_to_send(engine):
    notifier = CountingNotifier()
    assert deliver(engine, notifier, T0).ok
    assert notifier.opened == 0
    put(engine, "k")
    assert deliver(engine, notifier, T0).sent == 1
    assert notifier.opened == 1


def test_a_bug_leaves_the_row_in_hand_to_the_lease_and_releases_the_rest(engine):
    for key in ("c", "b", "a"):  # sent newest first: a, b, c
        put(engine, key)
    with pytest.raises(RuntimeError):
        deliver(engine, CountingNotifier(fail_on=2), T0)
    states = {k: get(engine, k) for k in ("a", "b", "c")}
    assert states["a"].state == "sent"
    assert states["b"].state == "sending"  # may or may not have gone out: the lease decides
    assert (states["c"].state, states["c"].attempts, states["c"].next_attempt_at) == (
        "pending",
        0,
        T0,
    )


# -- the outbox and the policy ------------------------------------------------------------------


def test_enqueue_is_idempotent_on_the_dedupe_key(any_engine):
    msg = make_message("alert:TJK:high:2016-01")
    with any_engine.begin() as conn:
        args = {"dedupe_key": "alert:TJK:high:2016-01", "recipients": [OFFICER], "kind": "alert"}
        assert outbox.enqueue(conn, msg, now=T0, **args) is True
        assert outbox.enqueue(conn, msg, now=T0 + timedelta(hours=1), **args) is False
    with read_connection(any_engine) as conn:
        (row,) = outbox.rows(conn)
    assert row.message_id == msg["Message-ID"]
    assert row.subject == msg["Subject"]
    assert row.recipients == [OFFICER]
    assert (row.state, row.attempts, row.next_attempt_at, row.created_at) == ("pending", 0, T0, T0)
    assert "\r\n" in row.body


def test_enqueue_refuses_a_message_it_could_not_send(engine):
    no_id = make_message("k")
    del no_id["Message-ID"]
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="Message-ID"):
            outbox.enqueue(conn, no_id, dedupe_key="k", recipients=[OFFICER], kind="alert", now=T0)
        with pytest.raises(ValueError, match="recipient"):
            outbox.enqueue(
                conn,
                make_message("k"),
                dedupe_key="k",
                recipients=["a@b\r\nRCPT TO:<x@y>"],
                kind="alert",
                now=T0,
            )


def test_backoff_grows_with_jitter_and_a_cap():
    policy = RetryPolicy(base_seconds=30, max_seconds=3600)
    rng = random.Random(20160201)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 13)]
    for n, delay in enumerate(delays, start=1):
        capped = min(30 * 2 ** (n - 1), 3600)
        assert 0.5 * capped <= delay <= capped
    # While the cap is not reached, the jitter range of one attempt starts where the last ended.
    assert delays[:7] == sorted(delays[:7])
    assert policy.delay(10_000, rng) <= timedelta(seconds=3600)
    with pytest.raises(ValueError, match="attempts"):
        policy.delay(0, rng)


def test_rows_failing_together_come_back_at_different_times(engine, start_server):
    handler = Recorder()
    handler.refuse_data = "451 4.3.0 Try again later"
    controller = start_server(handler)
    for i in range(3):
        put(engine, f"k{i}")

    deliver(engine, plain(controller.port), T0, seed=3)

    due = [get(engine, f"k{i}").next_attempt_at for i in range(3)]
    assert len(set(due)) == 3
    assert all(T0 + timedelta(seconds=15) <= d <= T0 + timedelta(seconds=30) for d in due)
