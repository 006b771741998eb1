"""Send through an SMTP server with smtplib: verified TLS, optional AUTH, a connection per batch
of at most ``messages_per_connection`` messages."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeVar

from fragwatch.delivery.notifiers.base import (
    ConnectionDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[str, ...] = ("starttls", "ssl", "none")

_E = TypeVar("_E", bound=DeliveryError)


class _Secret:
    """Holds the password so that no repr, ``vars()`` dump or traceback of locals shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


class SmtpNotifier:
    """Deliver through ``host:port``.

    TLS always verifies the server's certificate and host name (the system CAs, plus
    ``ca_file`` when given). ``starttls`` fails when the server does not offer STARTTLS rather
    than carry on in plain text. The connection is opened on the first ``send`` of a ``with``
    block and reused for the rest of it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ca_file: Path | None = None,
        messages_per_connection: int = 10,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {', '.join(SECURITY_MODES)}: {security!r}")
        self.host = host
        self.port = int(port)
        self.security: Security = security
        self.user = user or None
        self._password = _Secret(password or "")
        self.timeout = float(timeout)
        self.ca_file = Path(ca_file) if ca_file is not None else None
        if messages_per_connection < 1:
            raise ValueError("messages_per_connection must be at least 1")
        # Debian's exim defers every message after the 10th of one connection ("no immediate
        # delivery"): a new connection after this many keeps them all immediate.
        self.messages_per_connection = int(messages_per_connection)
        self._smtp: smtplib.SMTP | None = None
        self._reused = False  # the open connection has carried a message already
        self._carried = 0  # messages sent on the open connection

    def __repr__(self) -> str:
        return (
            f"SmtpNotifier(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, timeout={self.timeout}, ca_file={self.ca_file!r})"
        )

    def describe(self) -> str:
        who = f", as user {self.user!r}" if self.user else ""
        return f"SMTP {self.host}:{self.port} ({self.security}{who})"

    def __enter__(self) -> Self:
        return self  # connect lazily: a batch that sends nothing opens nothing

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> str | None:
        if self._smtp is not None and self._carried >= self.messages_per_connection:
            self._close()
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._sendmail(raw, sender, recipients)
        except smtplib.SMTPServerDisconnected:
            if not self._reused:
                self._close()
                raise self._error(ConnectionDeliveryError, "server closed the connection") from None
            # Servers drop idle sessions; that shows on the first command of the next message,
            # before DATA, so sending again on a new connection does not duplicate it (and a
            # drop during DATA at worst repeats it with the same Message-ID, as DESIGN §8 allows).
            self._close()
            self._smtp = self._connect()
            try:
                refused = self._sendmail(raw, sender, recipients)
            except smtplib.SMTPServerDisconnected:
                self._close()
                raise self._error(ConnectionDeliveryError, "server closed the connection") from None
        self._reused = True
        self._carried += 1
        if not refused:
            return None
        return "recipients refused: " + "; ".join(
            f"{addr}: {_reply(code, text)}" for addr, (code, text) in refused.items()
        )

    # -- internals -------------------------------------------------------------------------

    def _sendmail(self, raw: bytes, sender: str, recipients: list[str]) -> dict:
        smtp = self._smtp
        assert smtp is not None
        try:
            smtp.ehlo_or_helo_if_needed()
            options = []
            # An 8-bit body needs the server's consent (RFC 6152); a 7-bit one needs nothing.
            if not raw.isascii() and smtp.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            return smtp.sendmail(sender, recipients, raw, mail_options=options)
        except smtplib.SMTPServerDisconnected:
            raise  # the caller decides whether to reconnect
        except smtplib.SMTPRecipientsRefused as exc:
            replies = exc.recipients.values()
            detail = "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in exc.recipients.items())
            # Retry if any refusal is temporary: the others would be refused again, but one
            # mailbox might yet get it. All 5xx: nothing will ever change.
            kind = (
                PermanentDeliveryError
                if replies and all(_is_permanent(c) for c, _ in replies)
                else TransientDeliveryError
            )
            raise self._error(kind, f"all recipients refused: {detail or 'none given'}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise self._reply_error(f"sender {exc.sender} refused", exc) from None
        except smtplib.SMTPDataError as exc:
            raise self._reply_error("message refused", exc) from None
        except smtplib.SMTPResponseException as exc:
            raise self._reply_error("command refused", exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise self._connection_error(exc) from None

    def _connect(self) -> smtplib.SMTP:
        context = self._tls_context() if self.security != "none" else None
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise self._connection_error(exc) from None
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise self._error(
                        ConnectionDeliveryError,
                        "server does not offer STARTTLS (refusing to send in plain text)",
                    )
                smtp.starttls(context=context)
                smtp.ehlo()  # the pre-TLS capabilities are void (RFC 3207)
            if self.user:
                smtp.login(self.user, self._password.reveal())
        except DeliveryError:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(smtp)
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise self._error(
                ConnectionDeliveryError,
                f"authentication failed for user {self.user!r}: {reply}",
                code=exc.smtp_code,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(smtp)
            raise self._connection_error(exc) from None
        self._reused = False
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()  # CERT_REQUIRED and check_hostname
        if self.ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self.ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise self._error(
                    ConnectionDeliveryError,
                    f"cannot load CA file {self.ca_file}: {getattr(exc, 'strerror', None) or exc}",
                ) from None
        return context

    def _close(self) -> None:
        smtp, self._smtp, self._reused, self._carried = self._smtp, None, False, 0
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            _close_quietly(smtp)

    def _connection_error(self, exc: BaseException) -> ConnectionDeliveryError:
        # Most specific first: SSLCertVerificationError < SSLError < OSError.
        if isinstance(exc, ssl.SSLCertVerificationError):
            text = f"TLS certificate verification failed: {exc.verify_message or exc.reason}"
        elif isinstance(exc, ssl.SSLError):
            text = f"TLS failed: {exc.reason or exc}"
        elif isinstance(exc, ConnectionRefusedError):
            text = "connection refused"
        elif isinstance(exc, TimeoutError):
            text = f"no answer within {self.timeout:g} s"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            text = "server closed the connection"
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            text = f"server does not support what is configured: {exc}"
        elif isinstance(exc, smtplib.SMTPResponseException):
            text = f"server refused the session: {_reply(exc.smtp_code, exc.smtp_error)}"
        elif isinstance(exc, OSError):
            text = exc.strerror or str(exc) or type(exc).__name__
        else:
            text = str(exc) or type(exc).__name__
        code = getattr(exc, "smtp_code", None)
        return self._error(ConnectionDeliveryError, text, code=code)

    def _reply_error(self, what: str, exc: smtplib.SMTPResponseException) -> DeliveryError:
        kind = PermanentDeliveryError if _is_permanent(exc.smtp_code) else TransientDeliveryError
        return self._error(kind, f"{what}: {_reply(exc.smtp_code, exc.smtp_error)}", exc.smtp_code)

    def _error(self, kind: type[_E], text: str, code: int | None = None) -> _E:
        # Scrub the password from anything a server or a library might have echoed back.
        password = self._password.reveal()
        if password:
            text = text.replace(password, "***")
        return kind(f"SMTP {self.host}:{self.port}: {text}", code=code)


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())


def _close_quietly(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
