"""UCDP Georeferenced Event Dataset (GED) event CSV into events.

The columns read (GED codebook, the published 49-column CSV): ``id`` (the row id), ``year``,
``type_of_violence`` (1 state-based, 2 non-state, 3 one-sided), ``country``, ``date_start``,
``date_end``, ``best``, ``low``, ``high`` (older releases: ``best_est``, ``low_est``,
``high_est``); optional ``where_description``, ``adm_1``, ``dyad_name``.

Each event: ``event_id`` ``ucdp-ged-<version>:<id>``, ``incident_id`` ``ucdp-ged:<id>``, the kind
from ``event_kinds.csv``, fatalities = ``best`` with ``low`` and ``high`` kept beside it (a
row whose ``best`` lies outside ``low..high`` keeps ``best``, its range widened to hold it, with
a warning), dated by the narrowest period covering ``date_start``..``date_end`` (a day, a month
or a year), published at the release date, and as quote the whole record as one CSV line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fragwatch.evidence.loaders.events import (
    EventBlock,
    iso3_codes,
    keep_countries,
    parse_days,
    whole_numbers,
)
from fragwatch.evidence.loaders.export import Export, canonical_records, mask, quoted_cell, text
from fragwatch.evidence.loaders.kinds import map_kinds
from fragwatch.evidence.schema import ID_PATTERN

DATASET = "a UCDP GED event file"
REQUIRED = [
    "id",
    "year",
    "type_of_violence",
    "country",
    "date_start",
    "date_end",
    "best",
    "low",
    "high",
]
# Names of the fatality columns in releases before GED 18.1.
ALIASES = {"best": "best_est", "low": "low_est", "high": "high_est"}
URL = "https://ucdp.uu.se/downloads/"
VIOLENCE = {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}


@dataclass(frozen=True)
class UcdpOptions:
    version: str
    source_id: str
    countries: frozenset[str] | None
    published: date


def required_columns(header: list[str]) -> list[str]:
    """REQUIRED, with the old fatality column names where the file uses them."""
    return [
        ALIASES[c] if c in ALIASES and c not in header and ALIASES[c] in header else c
        for c in REQUIRED
    ]


def convert_block(export: Export, options: UcdpOptions, offset: int, batch: pa.RecordBatch):
    names = batch.schema.names

    def col(name: str) -> str:
        return ALIASES[name] if name in ALIASES and name not in names else name

    iso3 = iso3_codes(text(batch, "country"))
    keep = keep_countries(iso3, options.countries)
    full = batch
    if len(keep) < batch.num_rows:
        batch, iso3 = batch.take(pa.array(keep)), iso3[keep]
    rows = offset + keep

    ids = text(batch, "id")
    start_text, start = parse_days(text(batch, "date_start"))
    end_text, end = parse_days(text(batch, "date_end"))
    best, bad_best = whole_numbers(text(batch, col("best")))
    low, bad_low = whole_numbers(text(batch, col("low")))
    high, bad_high = whole_numbers(text(batch, col("high")))
    violence = text(batch, "type_of_violence")
    kinds = map_kinds(
        "ucdp",
        violence,
        pa.array([""] * batch.num_rows, pa.string()),
        text(batch, "where_description"),
    )
    release = np.datetime64(options.published, "D")

    def cell(column: str):
        return quoted_cell(batch, column)

    numbers_ok = ~(bad_best | bad_low | bad_high)
    export.check(
        0,
        [
            (
                iso3 == "",
                "country",
                lambda i: (
                    f"{cell('country')(i)} is not a country fragwatch knows (no ISO3 code for it)"
                ),
            ),
            (
                ~mask(pc.match_substring_regex(ids, f"^{ID_PATTERN}$")),
                "id",
                lambda i: f"{cell('id')(i)} is not an event id",
            ),
            (
                kinds == "",
                "type_of_violence",
                lambda i: f"{cell('type_of_violence')(i)} is not 1, 2 or 3",
            ),
            (
                start_text == "",
                "date_start",
                lambda i: f"{cell('date_start')(i)} is not a date (YYYY-MM-DD)",
            ),
            (
                end_text == "",
                "date_end",
                lambda i: f"{cell('date_end')(i)} is not a date (YYYY-MM-DD)",
            ),
            (
                (end_text != "") & (end < start),
                "date_end",
                lambda i: f"{end_text[i]} is before date_start {start_text[i]}",
            ),
            (
                (start_text != "") & (start > release),
                "date_start",
                lambda i: f"{start_text[i]} is after the release date {options.published}",
            ),
            (bad_best, col("best"), lambda i: f"{cell(col('best'))(i)} is not a whole number"),
            (bad_low, col("low"), lambda i: f"{cell(col('low'))(i)} is not a whole number"),
            (bad_high, col("high"), lambda i: f"{cell(col('high'))(i)} is not a whole number"),
        ],
        rows=rows,
    )
    # A few published rows have best outside low..high (6 of 3,194 rows of a GED 19.1 file,
    # 13 of the 1,000 rows of a 23.1 sample): keep best, the figure UCDP's own totals sum, and
    # widen the range to the smallest holding all three figures; the note keeps the file's.
    outside = numbers_ok & ((low > best) | (best > high) | (low > high))
    warnings = [
        (
            int(rows[i]),
            col("best"),
            f"best {best[i]} is not between low {low[i]} and high {high[i]}; kept best,"
            f" range widened to {min(low[i], best[i], high[i])}..{max(low[i], best[i], high[i])}",
        )
        for i in np.flatnonzero(outside)
    ]
    file_low, file_high = low, high
    low = np.minimum(np.minimum(low, high), best)
    high = np.maximum(np.maximum(file_low, file_high), best)

    # The narrowest period covering the event's dates: a day, a month, or a year.
    same_month = start.astype("datetime64[M]") == end.astype("datetime64[M]")
    same_year = start.astype("datetime64[Y]") == end.astype("datetime64[Y]")
    start_arrow = pa.array(start_text.astype(str))
    event_date = pc.if_else(
        pa.array(start == end),
        start_arrow,
        pc.if_else(
            pa.array(same_month),
            pc.utf8_slice_codeunits(start_arrow, 0, 7),
            pc.if_else(
                pa.array(same_year), pc.utf8_slice_codeunits(start_arrow, 0, 4), start_arrow
            ),
        ),
    )
    label = (
        pa.array([VIOLENCE.get(v, v) for v in violence.to_pylist()])
        if batch.num_rows
        else (pa.array([], pa.string()))
    )
    description = pc.binary_join_element_wise(
        label,
        ": ",
        text(batch, "dyad_name"),
        "; ",
        text(batch, "where_description"),
        " (",
        text(batch, "adm_1"),
        ")",
        "",
    )
    note = pc.binary_join_element_wise(
        "deaths best ",
        pa.array(best).cast(pa.string()),
        ", low ",
        pa.array(low).cast(pa.string()),
        ", high ",
        pa.array(high).cast(pa.string()),
        "; dates ",
        start_arrow,
        " to ",
        pa.array(end_text.astype(str)),
        "",
    )
    if outside.any():
        widened = pc.binary_join_element_wise(
            note,
            " (the file gives low ",
            pa.array(file_low).cast(pa.string()),
            ", high ",
            pa.array(file_high).cast(pa.string()),
            ")",
            "",
        )
        note = pc.if_else(pa.array(outside), widened, note)
    n = batch.num_rows
    columns = {
        "event_id": pc.binary_join_element_wise(f"ucdp-ged-{options.version}:", ids, ""),
        "country": pa.array(iso3.astype(str)),
        "date": event_date,
        "kind": pa.array(kinds.astype(str)),
        "fatalities": pa.array(best),
        "incident_id": pc.binary_join_element_wise("ucdp-ged:", ids, ""),
        "description": description,
        "source_id": pa.array(np.full(n, options.source_id)),
        "quote": canonical_records(
            full.take(pa.array(keep)) if len(keep) < full.num_rows else full
        ),
        "published": pa.array(np.full(n, release)),
        "note": note,
        "fatalities_low": pa.array(low),
        "fatalities_high": pa.array(high),
    }
    return EventBlock(rows=rows, ids=ids, columns=columns, warnings=warnings)
