"""World Bank WDI: the bulk CSV layout, the API v2 JSON, and ``fetch wdi`` online and offline.

Offline is real here: $FRAGWATCH_WDI_API points wbgapi at a local port where nothing listens,
so the connection is refused on any machine, with or without internet.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket

import pytest

from fragwatch.evidence.files import load_evidence
from fragwatch.evidence.loaders import wdi, wdi_fetch

from .open_data import FIXTURES, Workspace, assert_one_line_error, snapshot

ORIGINAL_SHA256 = "88b008151b3a07d2463a89d11ac078d28b65857e07992b4fef1b9cfe55fb3bce"
BULK = "wdi_bulk_remittances.csv"
API = "wdi_api_remittances_TJK.json"
CODE = "BX.TRF.PWKR.DT.GD.ZS"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


def test_bulk_layout_bom_preamble_trailing_comma():
    """The verbatim sample of a bulk download: BOM, two header lines, a comma ending each row."""
    path = FIXTURES / "wdi_bulk_poverty_TJK_layout.csv"
    raw = path.read_bytes()
    # Byte-identical to shared/data/wdi_bulk_csv_sample/ (its SHA-256 recorded here, so the
    # check holds in any clone, with or without shared/ beside it).
    assert hashlib.sha256(raw).hexdigest() == ORIGINAL_SHA256
    assert raw.startswith(b'\xef\xbb\xbf"Data Source"')
    assert raw.splitlines()[4].endswith(b",")  # the header row ends in a comma too
    download = wdi.read_bulk_csv(path)
    assert download.released.isoformat() == "2021-09-15"
    assert download.figures.empty  # the three series have no value for Tajikistan


def test_bulk_figures():
    download = wdi.read_wdi(FIXTURES / BULK)
    assert download.layout == "bulk CSV"
    assert download.released.isoformat() == "2025-07-01"
    tjk = download.figures[download.figures["country"] == "TJK"].set_index("period")
    assert len(tjk) == 23
    assert tjk.loc["2015", "value"] == "27.3065578092"
    assert tjk.loc["2015", "quote"] == (
        'Tajikistan,TJK,"Personal remittances, received (% of GDP)",BX.TRF.PWKR.DT.GD.ZS,'
        "2015,27.3065578092"
    )
    assert download.locate(int(tjk.loc["2015", "row"])) == f"{FIXTURES / BULK}:6"


def test_api_json_figures():
    download = wdi.read_wdi(FIXTURES / API)
    assert download.layout == "API JSON"
    assert download.released.isoformat() == "2025-07-01"
    figures = download.figures.set_index("period")
    assert "2025" not in figures.index  # null value: no figure
    assert figures.loc["2024", "value"] == "47.8852110027"
    assert json.loads(figures.loc["2024", "quote"])["countryiso3code"] == "TJK"


def test_import_bulk_and_json_into_observations(ws):
    result = ws.run("import", "wdi", str(FIXTURES / BULK), "--country", "TJK")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"imported 23 observations from {FIXTURES / BULK} (WDI)",
        "  countries: TJK; dated 2002 to 2024",
    ]
    result = ws.run("import", "wdi", str(FIXTURES / API))
    assert result.returncode == 0, result.stderr
    evidence = load_evidence(sorted(p for p in ws.library.iterdir()))
    # The shipped open-data layer's WDI releases (sources with a citation) are not imports.
    shipped = evidence.sources.index[evidence.sources["citation"].fillna("") != ""]
    imported = evidence.observations[
        evidence.observations["source_id"].str.startswith("wdi-")
        & ~evidence.observations["source_id"].isin(shipped)
    ]
    assert set(imported["quantity"]) == {"remittances_gdp"}
    assert set(imported["unit"]) == {"percent"}
    assert set(imported["published"].dt.date.astype(str)) == {"2025-07-01"}
    assert len(imported) == 23 + 10


def test_aggregates_are_left_out(ws):
    result = ws.run("import", "wdi", str(FIXTURES / BULK))
    assert result.returncode == 0, result.stderr
    assert "countries: KGZ, TJK;" in result.stdout  # not ECS (Europe & Central Asia)


def test_twice_changes_nothing(ws):
    ws.run("import", "wdi", str(FIXTURES / API))
    before = snapshot(ws.library)
    again = ws.run("import", "wdi", str(FIXTURES / API))
    assert again.stdout.startswith("already imported: ")
    assert snapshot(ws.library) == before


def test_unknown_series_needs_a_unit(ws):
    def rename(text: str) -> str:
        return text.replace(CODE, "XX.MADE.UP").replace("(% of GDP)", "(index)")

    path = ws.copy(BULK, rename, as_name="made_up.csv")
    line = assert_one_line_error(ws.run("import", "wdi", str(path)), 4, f"{path}:6: ")
    assert "no unit known for WDI series XX.MADE.UP" in line
    result = ws.run("import", "wdi", str(path), "--unit", "count")
    assert result.returncode == 0, result.stderr
    assert_one_line_error(ws.run("import", "wdi", str(path), "--unit", "furlongs"), 2, "--unit: ")


BAD_BULK = [
    pytest.param(
        lambda t: t.replace('"27.3065578092"', '"27,3"'),
        ":6: field '2015': '27,3' is not a number",
        id="value-not-a-number",
    ),
    pytest.param(
        lambda t: t.replace('"Indicator Code",', '"Code",', 1),
        ":5: missing column 'Indicator Code'",
        id="missing-column",
    ),
    pytest.param(
        lambda t: t.replace('"Kyrgyz Republic","KGZ",', '"Kyrgyz Republic","KGZ","extra",'),
        ":7: 71 fields where the header has 70",
        id="extra-field",
    ),
    pytest.param(
        lambda t: t.replace('"2025-07-01"', '"July 2025"'),
        ": preamble: field 'Last Updated Date': 'July 2025' is not a date",
        id="bad-release-date",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD_BULK)
def test_malformed_bulk_csv(ws, edit, message):
    path = ws.copy(BULK, edit, as_name="API_bulk.csv")
    line = assert_one_line_error(ws.run("import", "wdi", str(path)), 4, str(path))
    assert message in line
    assert ws.batches() == []


def _json_edit(change):
    def edit(text: str) -> str:
        document = json.loads(text)
        change(document)
        return json.dumps(document)

    return edit


BAD_JSON = [
    pytest.param(lambda t: t[:-40], ":1: not valid JSON", id="truncated"),
    pytest.param(
        _json_edit(lambda d: d[1][3].update(value="n/a")),
        ": record 4: field 'value': 'n/a' is not a number",
        id="value-not-a-number",
    ),
    pytest.param(
        _json_edit(lambda d: d[1][2].pop("countryiso3code")),
        ": record 3: field 'countryiso3code': is missing or empty",
        id="missing-field",
    ),
    pytest.param(
        lambda t: (
            '[{"message":[{"id":"120","key":"Invalid value",'
            '"value":"The provided parameter value is not valid"}]}]'
        ),
        ": the World Bank API answered with an error: The provided parameter value is not valid",
        id="api-error",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD_JSON)
def test_malformed_api_json(ws, edit, message):
    path = ws.copy(API, edit, as_name="response.json")
    line = assert_one_line_error(ws.run("import", "wdi", str(path)), 4, str(path))
    assert message in line
    assert ws.batches() == []


# -- fetch ------------------------------------------------------------------------------------


def test_fetch_offline_without_a_saved_download_fails_in_one_line(ws):
    api = f"http://127.0.0.1:{closed_port()}/v2"
    result = ws.run("fetch", "wdi", "--indicator", CODE, "--country", "TJK", FRAGWATCH_WDI_API=api)
    line = assert_one_line_error(
        result, 8, "fetch wdi: cannot reach the World Bank API at 127.0.0.1"
    )
    assert f"no earlier download of {CODE} for TJK is saved" in line
    assert ws.batches() == []


def test_fetch_offline_uses_the_saved_download(ws):
    saved = ws.cache / "wdi" / f"{CODE}_TJK.json"
    saved.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / API, saved)
    api = f"http://127.0.0.1:{closed_port()}/v2"
    result = ws.run("fetch", "wdi", "--indicator", CODE, "--country", "TJK", FRAGWATCH_WDI_API=api)
    assert result.returncode == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("fragwatch: warning: cannot reach the World Bank API at 127.0.0.1")
    assert warning.endswith(f"using the download saved on {_today_or_mtime(saved)}: {saved}")
    assert result.stdout.startswith(f"imported 10 observations from {saved} (WDI)")
    again = ws.run("fetch", "wdi", "--indicator", CODE, "--country", "TJK", FRAGWATCH_WDI_API=api)
    assert again.stdout.startswith("already imported: ")


def _today_or_mtime(path) -> str:
    from datetime import date

    return date.fromtimestamp(path.stat().st_mtime).isoformat()


def test_fetch_saves_what_wbgapi_returns_in_the_api_layout(tmp_path, monkeypatch):
    """The rows wbgapi yields (labels=True) become the API v2 JSON the loader reads."""
    import wbgapi

    rows = [
        {
            "value": 27.3065578092,
            "series": {"id": CODE, "value": "Personal remittances, received (% of GDP)"},
            "economy": {"id": "TJK", "value": "Tajikistan", "aggregate": False},
            "time": {"id": "YR2015", "value": "2015"},
        },
        {
            "value": None,
            "series": {"id": CODE, "value": "Personal remittances, received (% of GDP)"},
            "economy": {"id": "TJK", "value": "Tajikistan", "aggregate": False},
            "time": {"id": "YR2025", "value": "2025"},
        },
    ]
    monkeypatch.setattr(wbgapi.source, "get", lambda db: {"id": db, "lastupdated": "2025-07-01"})
    monkeypatch.setattr(wbgapi.data, "fetch", lambda *a, **k: iter(rows))
    monkeypatch.setenv(wdi_fetch.CACHE_ENV, str(tmp_path))
    saved, warning = wdi_fetch.fetch_or_saved(CODE, "TJK", timeout=1)
    assert warning is None
    assert saved == tmp_path / "wdi" / f"{CODE}_TJK.json"
    download = wdi.read_api_json(saved)
    assert download.released.isoformat() == "2025-07-01"
    assert download.figures[["country", "code", "period", "value"]].values.tolist() == [
        ["TJK", CODE, "2015", "27.3065578092"]
    ]


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        ("wdi_bulk_malformed.csv", ":6: field '2015': ", "'27.3%' is not a number"),
        ("wdi_api_malformed.json", ": record 2: field 'value': ", "'47.9' is not a number"),
    ],
)
def test_the_malformed_fixtures(ws, name, where, message):
    path = FIXTURES / name
    line = assert_one_line_error(ws.run("import", "wdi", str(path)), 4, f"{path}{where}")
    assert line.endswith(message)
    assert ws.batches() == []


def test_fetch_through_the_real_api_address(ws):
    """No address override: on a machine without internet (as here and in CI) this is the
    offline path for real; with internet, a real download that imports."""
    result = ws.run("fetch", "wdi", "--indicator", CODE, "--country", "TJK", "--timeout", "10")
    if result.returncode == 0:
        assert "observations" in result.stdout
        return
    line = assert_one_line_error(result, 8, "fetch wdi: ")
    assert "World Bank API at api.worldbank.org" in line
