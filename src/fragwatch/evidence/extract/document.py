"""Read a report file (plain text, Markdown, HTML or PDF) into text, or say clearly why not.

Unreadable input is an ``EvidenceError`` naming the file: an empty file, a binary file (an
image, an archive, a Word document), text in an encoding that cannot be told, a PDF without a
text layer. Text that is not UTF-8 is decoded with the encoding its HTML declares, else the one
charset-normalizer finds, and the summary says which was used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fragwatch.errors import EvidenceError

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
PDF_SUFFIXES = {".pdf"}
# Leading bytes of binary formats people save reports in by mistake.
MAGIC = {
    b"PK\x03\x04": "a ZIP archive (a .docx, .xlsx or .odt file?)",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file (.doc, .xls)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "an RTF document",
    b"\x7fELF": "a program",
    b"MZ": "a program",
}
BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
SAVE_AS = "save it as PDF, HTML or plain text"


@dataclass(frozen=True)
class Document:
    path: Path
    text: str
    format: str  # "text", "html" or "pdf"
    title: str
    publisher: str
    encoding: str  # how the bytes became text: "utf-8", "cp1251 (detected)", "pdf text layer"


def _binary(data: bytes) -> str | None:
    for magic, what in MAGIC.items():
        if data.startswith(magic):
            return what
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "a binary file"
    return None


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used) of text bytes; ``encoding`` forces one."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise EvidenceError(f"unknown encoding '{encoding}'", where="--encoding") from None
        except UnicodeDecodeError as exc:
            raise EvidenceError(
                f"not valid {encoding} text (byte {data[exc.start]:#04x} at offset {exc.start})",
                where=name,
            ) from None
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.replace("-sig", "")
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        codec = declared.group(1).decode("ascii")
        try:
            return data.decode(codec), f"{codec} (declared)"
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    # A guess with much "chaos" (unlikely characters) is noise, not an encoding.
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise EvidenceError(
            "cannot tell the text encoding (it is not UTF-8 and no other encoding fits);"
            " save the file as UTF-8, or name its encoding with --encoding",
            where=name,
        )
    # Say how sure the guess is: cp1252, latin-1 and mac_latin2 often fit the same bytes.
    return str(best), f"{best.encoding} (detected, {1 - best.chaos:.0%} confidence)"


def read_document(path: Path, encoding: str | None = None) -> Document:
    """The text of one report file, by its content (and suffix for HTML)."""
    name = str(path)
    if not path.exists():
        raise EvidenceError("no such file", where=name)
    if path.is_dir():
        raise EvidenceError("is a folder, expected a report file", where=name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"cannot read the file ({exc.strerror or exc})", where=name) from None
    if not data.strip():
        raise EvidenceError("the file is empty: there is no text to extract", where=name)
    if data.lstrip()[:5] == b"%PDF-" or path.suffix.lower() in PDF_SUFFIXES:
        from fragwatch.evidence.extract.pdf import pdf_to_text

        text, title, author = pdf_to_text(data, name)
        return Document(path, text, "pdf", title, author, "pdf text layer")
    what = _binary(data)
    if what:
        raise EvidenceError(f"{what}, not a report text; {SAVE_AS}", where=name)
    text, used = decode(data, name, encoding)
    if not text.strip():
        raise EvidenceError("the file is empty: there is no text to extract", where=name)
    if path.suffix.lower() in HTML_SUFFIXES or _HTML_START.match(data[:512]):
        from fragwatch.evidence.extract.html import html_to_text

        body, title, publisher = html_to_text(text)
        if not body.strip():
            raise EvidenceError("the page has no text outside navigation and markup", where=name)
        return Document(path, body, "html", title, publisher, used)
    from fragwatch.evidence.extract.reflow import looks_hard_wrapped, unwrap

    if looks_hard_wrapped(text):  # printed at a fixed width: one line per paragraph
        return Document(path, unwrap(text), "text", _first_line(text), "", f"{used}, lines joined")
    return Document(path, text, "text", _first_line(text), "", used)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:200]
    return ""
