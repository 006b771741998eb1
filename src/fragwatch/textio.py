"""Decoding user files as UTF-8 with an error that names the line of the first bad byte."""

from __future__ import annotations

from fragwatch.errors import FragwatchError

BOM = b"\xef\xbb\xbf"


def decode_utf8(data: bytes, name: str, error: type[FragwatchError]) -> str:
    """Decode UTF-8 (a leading BOM is fine); otherwise raise ``error`` naming file and line."""
    # The BOM is cut off here, not by the utf-8-sig codec, whose error offsets would then
    # count from after it and name the wrong byte.
    bom = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + bom
        line = data[:start].count(b"\n") + 1
        raise error(
            f"not UTF-8 text (byte {data[start]:#04x} at offset {start}); save the file as UTF-8",
            where=f"{name}:{line}",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise error(
            "contains a NUL byte (a binary or damaged file?)",
            where=f"{name}:{text.count(chr(10), 0, nul) + 1}",
        )
    return text
