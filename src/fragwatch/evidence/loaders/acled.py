"""ACLED export CSV into events.

The columns read (ACLED codebook; exports from the data export tool or the API as CSV):
``event_id_cnty`` (the row id), ``event_date`` (YYYY-MM-DD, or '04 September 2015' in older
exports), ``event_type``, ``sub_event_type``, ``country`` (with ``iso`` numeric or ``iso3`` when
present), ``admin1``, ``fatalities``, ``source``, ``notes``; optional ``time_precision`` (3 =
only the month is known: the event is dated by month), ``timestamp`` (when ACLED last edited
the row, which can be months after it first appeared: by default the row's ``published`` date;
``--published event+N`` dates rows N days after the event instead), ``actor1``, ``actor2``,
``location``. Files in the layout before 2019 (upper-case headers, dd/mm/yyyy dates, older
event types such as "Battle-No change of territory") are read with the same rules.

Each event: ``event_id`` ``acled-<file hash>:<event_id_cnty>``, ``incident_id``
``acled:<event_id_cnty>`` (the same event in a later download is the same incident), the kind
from ``event_kinds.csv``, the fatalities, a description naming the type, sub-type, admin1 and
ACLED's source, and as quote the whole record as one CSV line.
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
from fragwatch.evidence.loaders.kinds import known_types, map_kinds
from fragwatch.evidence.schema import ID_PATTERN

DATASET = "an ACLED export"
REQUIRED = [
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "country",
    "admin1",
    "fatalities",
    "source",
    "notes",
]
# The layout before ACLED's 2019 revision: upper-case headers (GWNO, EVENT_ID_CNTY, ...),
# dd/mm/yyyy dates, no sub_event_type and no timestamp, older event types (event_kinds.csv).
LEGACY_ID = "EVENT_ID_CNTY"
LEGACY_REQUIRED = [c for c in REQUIRED if c != "sub_event_type"]
URL = "https://acleddata.com/data-export-tool/"


@dataclass(frozen=True)
class AcledOptions:
    token: str  # the file's hash prefix, making event ids unique per download
    source_id: str
    countries: frozenset[str] | None
    downloaded: date | None  # published date of rows when the file has no timestamp column
    lag_days: int | None = None  # --published event+N: each row published N days after it


def read_layout(export: Export) -> str:
    """'pre-2019' (its header now lower case) or 'current'; checks the columns either way."""
    if LEGACY_ID in export.header and "event_id_cnty" not in export.header:
        export.header = [c.lower() for c in export.header]
        export.require(LEGACY_REQUIRED)
        return "pre-2019"
    export.require(REQUIRED)
    return "current"


def convert_block(export: Export, options: AcledOptions, offset: int, batch: pa.RecordBatch):
    names = batch.schema.names
    iso3 = iso3_codes(
        text(batch, "country"),
        text(batch, "iso3") if "iso3" in names else None,
        text(batch, "iso") if "iso" in names else None,
    )
    keep = keep_countries(iso3, options.countries)
    full = batch
    if len(keep) < batch.num_rows:
        batch, iso3 = batch.take(pa.array(keep)), iso3[keep]
    rows = offset + keep

    ids = text(batch, "event_id_cnty")
    date_text, day = parse_days(text(batch, "event_date"))
    fatalities, bad_fatalities = whole_numbers(text(batch, "fatalities"))
    event_type, sub_type = text(batch, "event_type"), text(batch, "sub_event_type")
    kinds = map_kinds("acled", event_type, sub_type, text(batch, "notes"))
    if "timestamp" in names:
        stamp, bad_stamp = whole_numbers(text(batch, "timestamp"))
        published = stamp.astype("datetime64[s]").astype("datetime64[D]")
    else:
        bad_stamp = np.zeros(batch.num_rows, dtype=bool)
        published = np.full(batch.num_rows, np.datetime64(options.downloaded, "D"))
    if options.lag_days is not None:
        # Out N days after the event, but never later than the file says it was (its last
        # edit, or the download date).
        lagged = day + np.timedelta64(options.lag_days, "D")
        has_limit = ("timestamp" in names) or options.downloaded is not None
        published = np.where(
            np.isnat(day), published, np.minimum(lagged, published) if has_limit else lagged
        )
    by_month = (
        np.asarray(pc.equal(text(batch, "time_precision"), "3"), dtype=bool)
        if "time_precision" in names
        else np.zeros(batch.num_rows, dtype=bool)
    )
    start = np.where(by_month, day.astype("datetime64[M]").astype("datetime64[D]"), day)

    def cell(column: str):
        return quoted_cell(batch, column)

    kinds_known = ", ".join(known_types("acled"))
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
                "event_id_cnty",
                lambda i: f"{cell('event_id_cnty')(i)} is not an event id",
            ),
            (
                date_text == "",
                "event_date",
                lambda i: f"{cell('event_date')(i)} is not a date (YYYY-MM-DD)",
            ),
            (
                kinds == "",
                "event_type",
                lambda i: (
                    f"{cell('event_type')(i)}"
                    + (f" / {cell('sub_event_type')(i)}" if "sub_event_type" in names else "")
                    + f" is not an ACLED event type fragwatch knows ({kinds_known});"
                    " see event_kinds.csv"
                ),
            ),
            (
                bad_fatalities,
                "fatalities",
                lambda i: f"{cell('fatalities')(i)} is not a whole number of deaths >= 0",
            ),
            (bad_stamp, "timestamp", lambda i: f"{cell('timestamp')(i)} is not a unix time"),
            (
                ~bad_stamp & (published < start),
                "timestamp",
                lambda i: (
                    f"{cell('timestamp')(i)} ({published[i]}) is before the event date"
                    f" {date_text[i]}"
                ),
            ),
        ],
        rows=rows,
    )

    iso_text = pa.array(date_text.astype(str))
    event_date = pc.if_else(pa.array(by_month), pc.utf8_slice_codeunits(iso_text, 0, 7), iso_text)
    quote = canonical_records(full.take(pa.array(keep)) if len(keep) < full.num_rows else full)
    # Files before 2019 have no sub-event type: the type alone, not "Riots/Protests / ".
    type_label = pc.if_else(
        pc.equal(sub_type, ""), event_type, pc.binary_join_element_wise(event_type, sub_type, " / ")
    )
    description = pc.binary_join_element_wise(
        type_label,
        "; admin1 ",
        text(batch, "admin1"),
        "; ",
        text(batch, "fatalities"),
        " fatalities; source: ",
        text(batch, "source"),
        "",
    )
    n = batch.num_rows
    columns = {
        "event_id": pc.binary_join_element_wise(f"acled-{options.token}:", ids, ""),
        "country": pa.array(iso3.astype(str)),
        "date": event_date,
        "kind": pa.array(kinds.astype(str)),
        "fatalities": pa.array(fatalities),
        "incident_id": pc.binary_join_element_wise("acled:", ids, ""),
        "description": description,
        "source_id": pa.array(np.full(n, options.source_id)),
        "quote": quote,
        "published": pa.array(published),
        "note": pa.array(np.full(n, "")),
        "fatalities_low": pa.nulls(n, pa.int64()),
        "fatalities_high": pa.nulls(n, pa.int64()),
    }
    return EventBlock(rows=rows, ids=ids, columns=columns)
