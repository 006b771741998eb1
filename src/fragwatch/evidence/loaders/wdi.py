"""World Bank WDI into observations: the bulk CSV layout and the API v2 JSON.

Bulk CSV (the "CSV" download of an indicator page, ``API_<code>_DS2_en_csv_v2_*.csv``, or the
whole WDI ``WDICSV.csv``): a UTF-8 BOM, optionally a preamble (``"Data Source",...`` and
``"Last Updated Date","2021-09-15",`` with blank lines between), then the header
``"Country Name","Country Code","Indicator Name","Indicator Code","1960",...`` and one row per
country and indicator, every line ending with a comma (an extra, empty column).

API v2 JSON (``https://api.worldbank.org/v2/country/TJK/indicator/CODE?format=json``, and what
``fragwatch fetch wdi`` saves): ``[{"page":..., "lastupdated": "2025-07-01", ...}, [{"indicator":
{"id": ..., "value": ...}, "country": {...}, "countryiso3code": "TJK", "date": "2015", "value":
27.3, ...}, ...]]``.

Each figure becomes one observation: quantity and unit from ``wdi_series.csv`` (others:
``wdi_<code>`` with the unit read from the indicator name, or ``--unit``), published at the
release date ("Last Updated Date" or ``lastupdated``), quote the figure's cells as the file gives
them. Regional and income aggregates (codes that are not countries) are left out.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.errors import EvidenceError, location
from fragwatch.evidence.loaders.countries import is_iso3
from fragwatch.evidence.loaders.export import Export
from fragwatch.evidence.schema import OBSERVATION_COLUMNS, not_a_number
from fragwatch.textio import decode_utf8

BULK_REQUIRED = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
FIGURE_COLUMNS = ["country", "country_name", "code", "name", "period", "value", "quote", "row"]
UNIT_HINTS = [  # (pattern in the indicator name, unit)
    (r"%|per ?cent", "percent"),
    (r"US\$", "usd"),
    (r"per 100,000", "per 100,000"),
    (r"\(people\)|population, total", "persons"),
]


@dataclass
class WdiFile:
    """The figures of one WDI download and its release date (None if the file has none)."""

    figures: pd.DataFrame  # FIGURE_COLUMNS
    released: date | None
    layout: str  # "bulk CSV" or "API JSON"
    locate: Callable[[int], str]  # a figure's row -> 'file:line' or 'file: record n', for errors


@cache
def series_table() -> dict[str, tuple[str, str]]:
    source = resources.files("fragwatch.evidence.loaders") / "wdi_series.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        return {r["code"]: (r["quantity"], r["unit"]) for r in csv.DictReader(handle)}


def csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def read_wdi(path: Path) -> WdiFile:
    """Read a WDI download, telling the layout by its first character."""
    if not path.is_file():
        raise EvidenceError("no such file" if not path.exists() else "not a file", where=str(path))
    head = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf \r\n\t")
    return read_api_json(path) if head.startswith((b"[", b"{")) else read_bulk_csv(path)


def read_bulk_csv(path: Path) -> WdiFile:
    export = Export.open(path, "a WDI bulk CSV", BULK_REQUIRED, header_starts="Country Name")
    released = None
    for record in export.preamble:
        if record and record[0] == "Last Updated Date" and len(record) > 1:
            try:
                released = date.fromisoformat(record[1])
            except ValueError:
                raise EvidenceError(
                    f"'{record[1]}' is not a date (YYYY-MM-DD)",
                    where=f"{export.name}: preamble: field 'Last Updated Date'",
                ) from None
    years = [c for c in export.header if re.fullmatch(r"\d{4}", c)]
    if not years:
        raise EvidenceError(
            "no year columns (1960, 1961, ...) in the header",
            where=location(export.name, export.header_line),
        )
    frames = []
    for offset, batch in export.blocks():
        table = batch.to_pandas()
        names = [c or f"_unnamed{i}" for i, c in enumerate(export.header)]
        table.columns = names
        table.index = range(offset, offset + len(table))
        long = table.melt(
            id_vars=BULK_REQUIRED,
            value_vars=years,
            var_name="period",
            value_name="value",
            ignore_index=False,
        )
        long["value"] = long["value"].str.strip()
        long = long[long["value"] != ""]
        numbers = pd.to_numeric(long["value"], errors="coerce")
        not_finite = ~np.isfinite(numbers.astype("float64"))  # inf or 1e400 too, not only text
        if not_finite.any():
            bad = long[not_finite].sort_index(kind="stable").iloc[0]
            export.fail(int(bad.name), str(bad["period"]), not_a_number(bad["value"]))
        frames.append(long.reset_index(names="position"))
    columns = ["position", *BULK_REQUIRED, "period", "value"]
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def locate(position: int) -> str:
        return f"{export.name}:{export.line_of(position)}"

    if long.empty:
        empty = pd.DataFrame(columns=FIGURE_COLUMNS, dtype=object)
        return WdiFile(empty, released, "bulk CSV", locate)
    code = long["Country Code"].str.strip()
    bad_country = ~code.str.fullmatch(r"[A-Z0-9]{3}")
    if bad_country.any():
        first = long[bad_country].iloc[0]
        export.fail(
            int(first["position"]),
            "Country Code",
            f"'{first['Country Code']}' is not a three-letter country code",
        )
    quote = [
        csv_line([n, c, i, k, p, v])
        for n, c, i, k, p, v in zip(
            long["Country Name"],
            code,
            long["Indicator Name"],
            long["Indicator Code"],
            long["period"],
            long["value"],
            strict=True,
        )
    ]
    figures = pd.DataFrame(
        {
            "country": code,
            "country_name": long["Country Name"],
            "code": long["Indicator Code"].str.strip(),
            "name": long["Indicator Name"],
            "period": long["period"],
            "value": long["value"],
            "quote": quote,
            "row": long["position"].astype(int),
        }
    )
    return WdiFile(figures[FIGURE_COLUMNS], released, "bulk CSV", locate)


def read_api_json(path: Path) -> WdiFile:
    name = str(path)
    text = decode_utf8(path.read_bytes(), name, EvidenceError)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"not valid JSON ({exc.msg})", where=f"{name}:{exc.lineno}") from None
    if (
        isinstance(document, list)
        and document
        and isinstance(document[0], dict)
        and "message" in document[0]
    ):
        messages = "; ".join(
            str(m.get("value") or m.get("key"))
            for m in document[0]["message"]
            if isinstance(m, dict)
        )
        raise EvidenceError(f"the World Bank API answered with an error: {messages}", where=name)
    if not (isinstance(document, list) and len(document) == 2 and isinstance(document[0], dict)):
        raise EvidenceError(
            "not a World Bank API v2 response: expected [page information, [records]]", where=name
        )
    meta, records = document
    released = None
    if meta.get("lastupdated"):
        try:
            released = date.fromisoformat(str(meta["lastupdated"]))
        except ValueError:
            raise EvidenceError(
                f"'{meta['lastupdated']}' is not a date",
                where=f"{name}: page information: field 'lastupdated'",
            ) from None
    records = records or []
    if not isinstance(records, list):
        raise EvidenceError("the records are not a list", where=name)
    rows = []
    for number, record in enumerate(records, start=1):
        where = f"{name}: record {number}"

        def field(key: str, inner: str | None = None, *, record=record, where=where):
            value = record.get(key) if isinstance(record, dict) else None
            if inner is not None:
                value = value.get(inner) if isinstance(value, dict) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                label = f"{key}.{inner}" if inner else key
                raise EvidenceError("is missing or empty", where=f"{where}: field '{label}'")
            return value

        value = record.get("value") if isinstance(record, dict) else None
        if value is None:  # no figure for that year: nothing to record
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EvidenceError(f"{value!r} is not a number", where=f"{where}: field 'value'")
        if not math.isfinite(value):  # JSON's Infinity/NaN, or 1e400 read as inf
            raise EvidenceError(
                f"'{value}' is not a finite number", where=f"{where}: field 'value'"
            )
        period = _api_period(str(field("date")))
        if period is None:
            raise EvidenceError(
                f"'{record['date']}' is not a year (YYYY, YYYYMmm, YYYYQn)",
                where=f"{where}: field 'date'",
            )
        rows.append(
            {
                "country": str(field("countryiso3code")).strip(),
                "country_name": str(field("country", "value")),
                "code": str(field("indicator", "id")).strip(),
                "name": str(field("indicator", "value")),
                "period": period,
                "value": repr(value) if isinstance(value, float) else str(value),
                "quote": json.dumps(record, ensure_ascii=False, separators=(",", ":")),
                "row": number,
            }
        )
    figures = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    return WdiFile(figures, released, "API JSON", lambda n: f"{name}: record {n}")


def _api_period(text: str) -> str | None:
    if re.fullmatch(r"\d{4}", text):
        return text
    month = re.fullmatch(r"(\d{4})M(\d{2})", text)
    if month:
        return f"{month[1]}-{month[2]}"
    quarter = re.fullmatch(r"(\d{4})Q([1-4])", text)
    return f"{quarter[1]}-Q{quarter[2]}" if quarter else None


def series_of(code: str, name: str, unit: str | None) -> tuple[str, str] | None:
    """(quantity, unit) of a WDI series: the table's, else derived; None if no unit is known."""
    if code in series_table():
        quantity, known = series_table()[code]
        return quantity, unit or known
    quantity = "wdi_" + re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")
    if unit:
        return quantity, unit
    for pattern, hint in UNIT_HINTS:
        if re.search(pattern, name, re.IGNORECASE):
            return quantity, hint
    return None


def observations(
    wdi: WdiFile,
    *,
    released: date,
    source_id: str,
    token: str,
    countries: frozenset[str] | None,
    indicators: frozenset[str] | None,
    unit: str | None,
) -> pd.DataFrame:
    """The observation rows (text cells, OBSERVATION_COLUMNS) of the chosen figures."""
    figures = wdi.figures
    # Aggregates (WLD, EAS, ...) are not countries.
    keep = np.array([is_iso3(c) for c in figures["country"]], dtype=bool)
    if countries:
        keep &= figures["country"].isin(countries).to_numpy(dtype=bool)
    if indicators:
        keep &= figures["code"].isin(indicators).to_numpy(dtype=bool)
    figures = figures.iloc[np.flatnonzero(keep)]
    series = {}
    for code, name in figures[["code", "name"]].drop_duplicates("code").itertuples(index=False):
        found = series_of(code, name, unit)
        if found is None:
            first = figures[figures["code"] == code].iloc[0]
            raise EvidenceError(
                f"no unit known for WDI series {code} ('{name}'): pass --unit"
                " (e.g. --unit count) or add the series to wdi_series.csv",
                where=wdi.locate(int(first["row"])),
            )
        series[code] = found
    quantity = figures["code"].map(lambda c: series[c][0])
    stamp = released.isoformat()
    rows = pd.DataFrame(
        {
            "obs_id": figures["country"].str.lower()
            + "-"
            + quantity
            + "-"
            + figures["period"]
            + "-wdi-"
            + stamp
            + "-"
            + token,
            "country": figures["country"],
            "quantity": quantity,
            "period": figures["period"],
            "value": figures["value"],
            "low": "",
            "high": "",
            "unit": figures["code"].map(lambda c: series[c][1]),
            "source_id": source_id,
            "quote": figures["quote"],
            "published": stamp,
            "note": "WDI " + figures["code"] + ", release of " + stamp,
        }
    )
    return rows[OBSERVATION_COLUMNS].reset_index(drop=True)
