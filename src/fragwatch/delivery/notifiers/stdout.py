"""Print each message: for trying a configuration out, or piping into another tool."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Self, TextIO

from fragwatch.delivery.notifiers.base import ConnectionDeliveryError

SEPARATOR = "-" * 72


class StdoutNotifier:
    """Write the message text, then a separator line, to ``stream`` (default: sys.stdout)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __repr__(self) -> str:
        return f"StdoutNotifier(stream={self._stream!r})"

    def describe(self) -> str:
        return "standard output" if self._stream is None else f"stream {self._stream!r}"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> str | None:
        # Looked up now, not at construction: pytest's capsys and redirect_stdout swap it.
        stream = self._stream if self._stream is not None else sys.stdout
        # The wire form has CRLF line ends; a text stream wants "\n" (it translates itself).
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        try:
            stream.write(text if text.endswith("\n") else text + "\n")
            stream.write(SEPARATOR + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            raise ConnectionDeliveryError(f"cannot write to {self.describe()}: {exc}") from None
        return None
