"""Write each message as an ``.eml`` file: the default channel when no SMTP server is set."""

from __future__ import annotations

import hashlib
import os
import tempfile
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Self

from fragwatch.delivery.notifiers.base import ConnectionDeliveryError


class FileNotifier:
    """Each message becomes ``<folder>/<hash of its Message-ID>.eml``.

    Named after the Message-ID alone, so a message sent again (after a crash between writing
    and marking it sent) replaces its own file instead of appearing twice. The file holds the
    message exactly as it would go over SMTP (CRLF line ends); the envelope recipients are not
    written, they are the outbox row's.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FileNotifier(folder={self.folder!r})"

    def describe(self) -> str:
        return f"files in {self.folder}"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def path_for(self, raw: bytes) -> Path:
        """The file a message is written to."""
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        # Without a Message-ID (not something the outbox lets in) the content names the file.
        identity = str(headers["Message-ID"] or "").strip().encode("utf-8") or raw
        return self.folder / f"{hashlib.sha256(identity).hexdigest()[:32]}.eml"

    def send(self, raw: bytes, sender: str, recipients: list[str]) -> str | None:
        path = self.path_for(raw)
        partial: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # A temporary file in the same folder, renamed into place: a reader (or a crash)
            # never sees half a message.
            fd, partial = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".eml.partial")
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
            os.replace(partial, path)
        except OSError as exc:
            if partial is not None:
                Path(partial).unlink(missing_ok=True)
            reason = exc.strerror or str(exc)
            raise ConnectionDeliveryError(
                f"cannot write to outbox folder {self.folder}: {reason}"
            ) from None
        return None
