"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with trustme certificates for TLS.

The fixtures using these live in ``conftest.py``.
"""

from __future__ import annotations

import socket

from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "alice", "Tr0ub4dor&3-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps what it accepts and refuses on demand."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.data_attempts = 0
        self.refuse_data: str | None = None  # e.g. "550 5.7.1 rejected"
        self.refuse_rcpt: dict[str, str] = {}  # address -> reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.refuse_data:
            return self.refuse_data
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd then answers "535" itself (by default it leaves that to us).
    return AuthResult(success=ok, handled=False)
