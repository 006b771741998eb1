"""A downloaded event file as published: a CSV, or a zip archive holding one, in any encoding.

The loaders read a UTF-8 CSV from disk in blocks. A zip archive (UCDP and ACLED publish their
files so) has its one CSV member copied out, and a file in another encoding (ACLED exports
re-saved by Excel on Windows are cp1252) is re-encoded as UTF-8, both into a scratch file in the
import's temporary folder, line for line, so every error still names the line of the download.
Messages name the download (``archive.zip[member.csv]``), never the scratch file.
"""

from __future__ import annotations

import codecs
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fragwatch.errors import EvidenceError, UsageError

CHUNK = 1 << 20
SCRATCH = ".download.csv"  # in the import's hidden folder; removed before it is renamed


@dataclass(frozen=True)
class Download:
    path: Path  # the UTF-8 CSV to read
    name: str  # the download, for messages
    member: str | None  # the CSV inside a zip archive
    encoding: str  # "utf-8", "cp1252" (given), or "cp1252 (detected)"


def csv_member(path: Path) -> str | None:
    """The one CSV inside a zip archive (None if ``path`` is not a zip); else an error."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m.filename
                for m in archive.infolist()
                if not m.is_dir() and not m.filename.startswith("__MACOSX/")
            ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise EvidenceError(f"not a readable zip archive ({exc})", where=str(path)) from None
    found = [m for m in members if m.lower().endswith(".csv")]
    if len(found) != 1:
        what = "no CSV file" if not found else f"{len(found)} CSV files"
        raise EvidenceError(
            f"a zip archive with {what} (members: {', '.join(members) or 'none'});"
            " unpack the one to import and give its path",
            where=str(path),
        )
    return found[0]


def check_encoding(encoding: str | None) -> str | None:
    """The codec's canonical name, or a usage error for an unknown one."""
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}'", where="--encoding") from None


def open_download(path: Path, scratch_dir: Path, encoding: str | None = None) -> Download:
    """The download as a UTF-8 CSV on disk: ``path`` itself when it already is one."""
    if not path.is_file():
        raise EvidenceError("no such file" if not path.exists() else "not a file", where=str(path))
    member = csv_member(path)
    name = f"{path}[{member}]" if member else str(path)
    source = path
    if member:
        source = scratch_dir / SCRATCH
        with (
            zipfile.ZipFile(path) as archive,
            archive.open(member) as inner,
            source.open("wb") as out,
        ):
            shutil.copyfileobj(inner, out, CHUNK)
    codec = check_encoding(encoding)
    if codec is None:
        codec = _guess(source, name)
        used = "utf-8" if codec == "utf-8" else f"{codec} (detected)"
    else:
        used = codec
    if codec in ("utf-8", "utf-8-sig"):
        return Download(source, name, member, used)
    target = scratch_dir / (SCRATCH + ".utf8")
    _reencode(source, target, codec, name)
    if source != path:
        source.unlink()
    target.rename(scratch_dir / SCRATCH)
    return Download(scratch_dir / SCRATCH, name, member, used)


def _guess(path: Path, name: str) -> str:
    """'utf-8' when the file's first MiB is UTF-8 (the loaders report a bad byte further on);
    otherwise charset-normalizer's guess from that MiB, or an error asking for --encoding."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK)
    cut = head.rfind(b"\n") + 1 if len(head) == CHUNK else len(head)
    try:
        head[:cut].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head[:cut]).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise EvidenceError(
            "not UTF-8, and no other encoding fits: name it with --encoding (e.g. cp1252)",
            where=name,
        )
    return codecs.lookup(best.encoding).name


def _reencode(source: Path, target: Path, codec: str, name: str) -> None:
    decoder = codecs.getincrementaldecoder(codec)()
    line = 1
    with source.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := raw.read(CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = line + chunk[: exc.start].count(b"\n")
                raise EvidenceError(
                    f"not {codec} text (byte {chunk[exc.start]:#04x}); check --encoding",
                    where=f"{name}:{bad}",
                ) from None
            line += chunk.count(b"\n")
            out.write(text)
        out.write(decoder.decode(b"", final=True))
