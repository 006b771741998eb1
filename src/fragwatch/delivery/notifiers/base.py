"""What every notifier promises, and the errors that tell the sender what to do next."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, runtime_checkable


class DeliveryError(Exception):
    """A message was not delivered. ``message`` is one line a person can act on.

    The subclass decides what the sender does with the row; ``code`` is the SMTP reply code
    when there was one.
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        # One line even when it quotes a multi-line server reply: it ends up in a table cell
        # (``fragwatch outbox``) and in a log line.
        self.message = " ".join(str(message).split())
        self.code = code
        super().__init__(self.message)


class TransientDeliveryError(DeliveryError):
    """Try this message again later (SMTP 4xx, a timeout)."""


class PermanentDeliveryError(DeliveryError):
    """This message will never go through as it is (SMTP 5xx): make it a dead letter."""


class ConnectionDeliveryError(TransientDeliveryError):
    """The channel itself is unusable right now (refused, TLS, authentication, folder).

    Every other message would fail the same way, so the sender stops the batch instead of
    spending an attempt of each one.
    """


@runtime_checkable
class Notifier(Protocol):
    """A delivery channel. Use it as a context manager around a batch of ``send`` calls."""

    def describe(self) -> str:
        """Where messages go, for logs and ``fragwatch outbox`` (never a secret)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> str | None:
        """Deliver one message; return a note (e.g. recipients refused) or None.

        Raises a ``DeliveryError`` subclass when the message was not delivered.
        """
        ...
