"""Download one WDI series for one country with wbgapi, or fall back to the last saved download.

Each successful download is saved (``var/cache/wdi/<CODE>_<ISO3>.json``, or under
$FRAGWATCH_CACHE_DIR) in the World Bank API v2 JSON layout, so the WDI loader reads a fetched
series and a JSON file saved from the API the same way. Offline, or when the API fails, the
command says why in one line and imports the saved download instead; with none saved, it stops
with that line. $FRAGWATCH_WDI_API points wbgapi at another address (a mirror or a proxy; the
tests use an address where nothing listens, to be offline on any machine).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from fragwatch.atomicfile import write_atomically
from fragwatch.errors import FragwatchError

CACHE_ENV = "FRAGWATCH_CACHE_DIR"
API_ENV = "FRAGWATCH_WDI_API"
WDI_SOURCE = 2  # the World Development Indicators database in the World Bank API


class FetchError(FragwatchError):
    """The data could not be downloaded and no earlier download is saved."""

    exit_code = 8


def cache_file(code: str, iso3: str) -> Path:
    root = Path(os.environ.get(CACHE_ENV) or Path("var") / "cache")
    return root / "wdi" / f"{code}_{iso3}.json"


def fetch_or_saved(code: str, iso3: str, *, timeout: float) -> tuple[Path, str | None]:
    """(the file to import, a warning when it is an earlier download rather than a new one)."""
    saved = cache_file(code, iso3)
    try:
        document = download(code, iso3, timeout=timeout)
    except Unavailable as exc:
        if not saved.is_file():
            raise FetchError(
                f"{exc}; no earlier download of {code} for {iso3} is saved ({saved})",
                where="fetch wdi",
            ) from None
        when = _fetched_on(saved)
        return saved, f"{exc}; using the download saved on {when}: {saved}"
    saved.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    write_atomically(
        saved, lambda p: p.write_text(text, "utf-8"), FetchError, where=str(saved.parent)
    )
    return saved, None


class Unavailable(Exception):
    """Why the API could not be used (one line)."""


def download(code: str, iso3: str, *, timeout: float) -> list:
    """The series as an API v2 JSON document: [page information, records]."""
    try:
        import wbgapi
    except ImportError:
        raise Unavailable(
            "the wbgapi package is not installed (pip install 'fragwatch[wdi]')"
        ) from None
    import requests

    wbgapi.get_options = {**wbgapi.get_options, "timeout": timeout}
    if os.environ.get(API_ENV):
        wbgapi.endpoint = os.environ[API_ENV].rstrip("/")
    host = wbgapi.endpoint.split("/")[2] if "//" in wbgapi.endpoint else wbgapi.endpoint
    try:
        released = wbgapi.source.get(WDI_SOURCE).get("lastupdated")
        rows = list(wbgapi.data.fetch(code, economy=iso3, labels=True))
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise Unavailable(f"cannot reach the World Bank API at {host} ({reason})") from None
    except (wbgapi.APIError, ValueError, KeyError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise Unavailable(f"the World Bank API at {host} failed: {detail}") from None
    records = [
        {
            "indicator": {"id": row["series"]["id"], "value": row["series"]["value"]},
            "country": {"id": row["economy"]["id"], "value": row["economy"]["value"]},
            "countryiso3code": row["economy"]["id"],
            "date": str(row["time"]["value"]),
            "value": row["value"],
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
        for row in rows
    ]
    records.sort(key=lambda r: r["date"], reverse=True)  # newest first, as the API lists them
    meta = {
        "page": 1,
        "pages": 1,
        "per_page": len(records),
        "total": len(records),
        "sourceid": str(WDI_SOURCE),
        "lastupdated": released,
    }
    return [meta, records]


def _fetched_on(path: Path) -> str:
    """When the saved download was written (its file time: the content holds no clock, so the
    same release fetched twice is the same file and imports once)."""
    return date.fromtimestamp(path.stat().st_mtime).isoformat()
