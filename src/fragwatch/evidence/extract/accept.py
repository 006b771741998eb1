"""Accept reviewed candidates into the local evidence library as a new batch folder.

Everything is checked before anything is written, together with the evidence already loaded:
each row as the evidence format requires; ids not used before; no duplicate (the same quantity,
country and period from the same source, or the same event twice) and no conflict (the same
quantity, country and period from the same source with another figure); every quote verbatim in
its source's text. A report already in the evidence under the same source id is reused when its
title, publisher, date and text are the same, and refused otherwise. The batch is written to a
hidden temporary folder, loaded once more with the whole library, then renamed into place (the
same ``write_batch`` the open-data imports use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from fragwatch.errors import EvidenceError, location
from fragwatch.evidence.base import Evidence
from fragwatch.evidence.batches import write_batch
from fragwatch.evidence.extract.review import read_reviewed, sources_folder
from fragwatch.evidence.schema import (
    EVENT_COLUMNS,
    OBSERVATION_COLUMNS,
    SOURCE_COLUMNS,
    TableRef,
    validate_events,
    validate_observations,
    validate_sources,
)
from fragwatch.textio import decode_utf8


@dataclass(frozen=True)
class Added:
    folder: Path
    observations: int
    events: int
    new_sources: list[str]
    reused_sources: list[str]


def _renamed(exc: EvidenceError, id_column: str) -> EvidenceError:
    """Validation names the id column obs_id/event_id; the candidates file calls it 'id'."""
    where = (exc.where or "").replace(f"field '{id_column}'", "field 'id'")
    return EvidenceError(exc.message, where=where)


def _read_sources(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    from fragwatch.evidence.files import read_table

    folder = sources_folder(path)
    table_path = folder / "sources.csv"
    if not table_path.is_file():
        raise EvidenceError(
            f"{table_path} is missing: fragwatch extract --out writes it beside the candidates"
            " with the extracted texts; keep the two together",
            where=str(path),
        )
    table, ref = read_table(table_path)
    sources = validate_sources(table, ref)
    texts = {}
    for source_id, row in sources.iterrows():
        text_path = folder / "texts" / (row["file"] or "")
        if not row["file"] or not text_path.is_file():
            raise EvidenceError(
                f"the extracted text {text_path} is missing", where=f"{row['origin']}: field 'file'"
            )
        texts[source_id] = decode_utf8(text_path.read_bytes(), str(text_path), EvidenceError)
    return sources, texts


def _same_source(new: pd.Series, old: pd.Series, new_text: str, old_text: str | None) -> str:
    """'' when a re-used source id names the same report, else the field that differs."""
    for field in ("title", "publisher", "published"):
        if new[field] != old[field]:
            return field
    if old_text is not None and new_text != old_text:
        return "text"
    return ""


def accept(
    path: Path,
    current: Evidence,
    library: Path,
    layered: list[Path],
    *,
    include_default: bool,
    now: datetime,
) -> Added:
    """Check the reviewed candidates at ``path`` against ``current`` and write a batch."""
    sources, texts = _read_sources(path)
    reviewed = read_reviewed(path)

    new_sources, reused = [], []
    for source_id, row in sources.iterrows():
        if source_id not in current.sources.index:
            new_sources.append(source_id)
            continue
        old = current.sources.loc[source_id]
        differs = _same_source(row, old, texts[source_id], current.texts.get(source_id))
        if differs:
            raise EvidenceError(
                f"source id '{source_id}' is already in the evidence ({old['origin']}) with"
                f" another {differs}; extract the report again with another --source-id",
                where=f"{row['origin']}: field 'source_id'",
            )
        reused.append(source_id)
    all_sources = pd.concat([current.sources, sources.loc[new_sources]])

    try:
        obs = validate_observations(reviewed.observations, all_sources, reviewed.observations_ref)
    except EvidenceError as exc:
        raise _renamed(exc, "obs_id") from None
    try:
        events = validate_events(reviewed.events, all_sources, reviewed.events_ref)
    except EvidenceError as exc:
        raise _renamed(exc, "event_id") from None
    if obs.empty and events.empty:
        raise EvidenceError("no candidates left to add (every row was deleted?)", where=str(path))

    _check_ids(obs, "obs_id", current.observations, reviewed.observations_ref)
    _check_ids(events, "event_id", current.events, reviewed.events_ref)
    _check_observations(obs, current.observations, reviewed.observations_ref)
    _check_events(events, current.events, reviewed.events_ref)
    every_text = {**current.texts, **texts}
    for table, ref in ((obs, reviewed.observations_ref), (events, reviewed.events_ref)):
        _check_quotes(table, every_text, ref)
    _check_spans(reviewed.spans, texts, str(path))

    name = _batch_name(library, now, [*new_sources, *reused])

    def fill(folder: Path) -> dict:
        _write_batch(folder, sources.loc[new_sources], texts, reviewed, obs, events)
        _reload(library, folder, layered, include_default)
        return {"observations": len(obs), "events": len(events)}

    manifest = {
        "kind": "reviewed candidates",
        "file": path.name,
        "added": now.isoformat(timespec="seconds"),
        "sources": [*new_sources, *reused],
    }
    try:
        batch = write_batch(library, name, manifest, fill)
    except OSError as exc:
        raise EvidenceError(
            f"cannot write {library / name}: {exc.strerror or exc}", where=str(library)
        ) from None
    return Added(batch.folder, len(obs), len(events), new_sources, reused)


def _check_ids(table: pd.DataFrame, column: str, existing: pd.DataFrame, ref: TableRef) -> None:
    for pos, identifier in enumerate(table[column]):
        if identifier in existing.index:
            origin = existing.loc[identifier, "origin"]
            raise EvidenceError(
                f"id '{identifier}' is already in the evidence ({origin})",
                where=location(ref.file, ref.line_of(pos), "id"),
            )


def _figure(row: pd.Series) -> str:
    parts = [f"{name} {row[name]:g}" for name in ("value", "low", "high") if not pd.isna(row[name])]
    return ", ".join(parts) + f" {row['unit']}"


def _same_figure(a: pd.Series, b: pd.Series) -> bool:
    for name in ("value", "low", "high"):
        x, y = a[name], b[name]
        if pd.isna(x) != pd.isna(y):
            return False
        if not pd.isna(x) and abs(x - y) > 1e-9 * max(abs(x), abs(y), 1.0):
            return False
    return a["unit"] == b["unit"]


def _seen(existing: pd.DataFrame, new: pd.DataFrame, key: list[str]) -> dict[tuple, tuple]:
    """Existing rows by key, (row, where): only rows of the candidates' sources can clash, and
    the library may hold millions of others."""
    same_sources = existing[existing["source_id"].isin(set(new["source_id"]))]
    return {tuple(row[key]): (row, row["origin"]) for _, row in same_sources.iterrows()}


def _check_observations(new: pd.DataFrame, existing: pd.DataFrame, ref: TableRef) -> None:
    key = ["country", "quantity", "period", "source_id"]
    seen = _seen(existing, new, key)
    for pos, (_, row) in enumerate(new.iterrows()):
        found = seen.get(tuple(row[key]))
        if found is not None:
            other, where = found
            what = f"{row['quantity']} {row['period']} from {row['source_id']}"
            if _same_figure(row, other):
                raise EvidenceError(
                    f"duplicate: {what} is already in the evidence as '{other['obs_id']}'"
                    f" ({where})",
                    where=location(ref.file, ref.line_of(pos), "quantity"),
                )
            raise EvidenceError(
                f"conflict: {what} is {_figure(row)} here but {_figure(other)} in"
                f" '{other['obs_id']}' ({where}); keep one",
                where=location(ref.file, ref.line_of(pos), "value"),
            )
        seen[tuple(row[key])] = (row, location(ref.file, ref.line_of(pos)))


def _check_events(new: pd.DataFrame, existing: pd.DataFrame, ref: TableRef) -> None:
    key = ["country", "kind", "date", "source_id"]
    seen = _seen(existing, new, key)
    for pos, (_, row) in enumerate(new.iterrows()):
        found = seen.get(tuple(row[key]))
        if found is not None:
            other, where = found
            raise EvidenceError(
                f"duplicate: {row['kind']} on {row['date']} from {row['source_id']} is already"
                f" in the evidence as '{other['event_id']}' ({where}): the same event twice",
                where=location(ref.file, ref.line_of(pos), "date"),
            )
        seen[tuple(row[key])] = (row, location(ref.file, ref.line_of(pos)))


def _check_quotes(table: pd.DataFrame, texts: dict[str, str], ref: TableRef) -> None:
    for pos, (_, row) in enumerate(table.iterrows()):
        text = texts.get(row["source_id"])
        where = location(ref.file, ref.line_of(pos), "quote")
        if text is None:
            raise EvidenceError(
                f"source '{row['source_id']}' has no stored text to check the quote against",
                where=where,
            )
        if row["quote"] not in text:
            raise EvidenceError(
                f"not found verbatim in the text of source '{row['source_id']}'; a quote must"
                " be an exact span of it",
                where=where,
            )


def _check_spans(spans, texts: dict[str, str], file: str) -> None:
    """start/end, when given, must be the quote's own offsets in the extracted text."""
    for line, source_id, quote, start, end in spans:
        text = texts.get(source_id)
        if text is None or text[start:end] == quote:
            continue
        found = text.find(quote)
        hint = f"; the quote is at {found}..{found + len(quote)}" if found >= 0 else ""
        raise EvidenceError(
            f"offsets {start}..{end} do not span the quote in the text of source"
            f" '{source_id}'{hint}",
            where=location(file, line, "start"),
        )


def _batch_name(library: Path, now: datetime, source_ids: list[str]) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", source_ids[0] if source_ids else "batch")[:60]
    base = f"{now:%Y%m%d-%H%M%S}-{slug}"
    name, n = base, 1
    while (library / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _write_csv(path: Path, table: pd.DataFrame, columns: list[str]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in table[columns].itertuples(index=False):
            writer.writerow(["" if pd.isna(v) else str(v) for v in row])


def _write_batch(
    folder: Path,
    sources: pd.DataFrame,
    texts: dict[str, str],
    reviewed,
    obs: pd.DataFrame,
    events: pd.DataFrame,
) -> None:
    if not sources.empty:
        (folder / "texts").mkdir()
        table = sources.assign(published=sources["published"].dt.strftime("%Y-%m-%d"))
        _write_csv(folder / "sources.csv", table, SOURCE_COLUMNS)
        for source_id, row in sources.iterrows():
            (folder / "texts" / row["file"]).write_bytes(texts[source_id].encode("utf-8"))
    # The rows as reviewed (units as written), not as normalised by validation.
    if not obs.empty:
        _write_csv(folder / "observations.csv", reviewed.observations, OBSERVATION_COLUMNS)
    if not events.empty:
        _write_csv(folder / "events.csv", reviewed.events, EVENT_COLUMNS)


def _reload(library: Path, partial: Path, layered: list[Path], include_default: bool) -> None:
    """Load the whole library with the new batch, as every command will, before committing."""
    from fragwatch.evidence.files import load_evidence
    from fragwatch.evidence.library import library_folders
    from fragwatch.evidence.quotes import require_verbatim_quotes

    merged = load_evidence(
        [*library_folders(library), partial, *layered], include_default=include_default
    )
    require_verbatim_quotes(merged)
