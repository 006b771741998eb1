"""Decoding user files as UTF-8 with an error that names the line of the first bad byte."""

from __future__ import annotations

from fragwatch.errors import FragwatchError


def decode_utf8(data: bytes, name: str, error: type[FragwatchError]) -> str:
    """Decode UTF-8 (a leading BOM is fine); otherwise raise ``error`` naming file and line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start});"
            " save the file as UTF-8",
            where=f"{name}:{line}",
        ) from None
