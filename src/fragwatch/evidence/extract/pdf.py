"""PDF -> the text of its text layer, reflowed so each paragraph is one line.

pypdf gives one line per printed line; a quote must be one line, so the lines of a paragraph
are joined. A paragraph ends at a blank line, at a page end, or after a line that ends a
sentence and stops well short of the page's usual line length, and after a short line with no
closing punctuation (a heading).
"""

from __future__ import annotations

import io
import logging

from fragwatch.errors import EvidenceError
from fragwatch.evidence.extract.reflow import reflow


def pdf_to_text(data: bytes, name: str) -> tuple[str, str, str]:
    """(text, title, author) of a PDF's text layer; a clear error when there is none."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    # pypdf logs what it repairs ("EOF marker not found") to stderr; the one error line a
    # user sees is ours.
    log = logging.getLogger("pypdf")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EvidenceError(
                "the PDF is encrypted with a password; save an unprotected copy", where=name
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except FileNotDecryptedError:
        raise EvidenceError(
            "the PDF is encrypted with a password; save an unprotected copy", where=name
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise EvidenceError(f"not a readable PDF ({detail})", where=name) from None
    if not any(page.strip() for page in pages):
        raise EvidenceError(
            f"the PDF has no text layer (no text on any of its {len(pages)} page(s): a scan?);"
            " run OCR on it first, then extract the text",
            where=name,
        )
    paragraphs = [
        p for page in pages for p in reflow([" ".join(line.split()) for line in page.splitlines()])
    ]
    title = str(meta.title).strip() if meta and meta.title else ""
    author = str(meta.author).strip() if meta and meta.author else ""
    return "\n\n".join(paragraphs) + "\n", title, author
