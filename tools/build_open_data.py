"""Build the open-data layer shipped in src/fragwatch/evidence/data/open/ from the bundle.

    python tools/build_open_data.py [BUNDLE_DIR]     (default: ../shared/data/open)

For each [[dataset]] in datasets.toml, the published table's header line and its data lines
for years from FIRST_YEAR are copied verbatim (byte for byte, line endings kept) into a gzip
file, and the SHA-256 of the copied text is written back into datasets.toml. Nothing is parsed
into numbers here: the lines stay as published, so each shipped figure can quote its line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import sys
import tomllib
from pathlib import Path

FIRST_YEAR = 1989
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "fragwatch" / "evidence" / "data" / "open"
BUNDLE_FILES = {  # shipped file -> (folder, file) in the bundle
    "wdi_selected_vintage2018-08-01.csv.gz": (
        "wdi_world_development_indicators", "wdi_selected_vintage2018-08-01.csv"),
    "wdi_selected_vintage2026-07-01.csv.gz": (
        "wdi_world_development_indicators", "wdi_selected_vintage2026-07-01.csv"),
    "wdi_BX.TRF.PWKR.DT.GD.ZS_vintage2025.csv.gz": (
        "wdi_remittances_pct_gdp_open_numbers", "wdi_BX.TRF.PWKR.DT.GD.ZS_vintage2025.csv"),
    "ucdp_orgviolence_cy_v25_1.csv.gz": (
        "ucdp_organized_violence_country_year", "ucdp_orgviolence_cy_v25_1.csv"),
    "wgi_estimates_2023update.csv.gz": (
        "wgi_worldwide_governance_indicators", "wgi_estimates_2023update.csv"),
    "wgi_estimates_2024update.csv.gz": (
        "wgi_worldwide_governance_indicators", "wgi_estimates_2024update.csv"),
    "vdem_v14_selected_1970_2023.csv.gz": (
        "vdem_v14_civil_liberties", "vdem_v14_selected_1970_2023.csv"),
    "unhcr_by_origin_1990_2024.csv.gz": (
        "unhcr_forcibly_displaced", "unhcr_by_origin_1990_2024.csv"),
}  # fmt: skip


COUNTRIES = ROOT / "src" / "fragwatch" / "evidence" / "loaders" / "countries.csv"


def country_codes() -> set[str]:
    """ISO 3166-1 codes (and XKX) that fragwatch knows; aggregates, historical states and
    UNHCR's 'various', 'stateless' and 'Tibetan' origins are not countries to score."""
    with COUNTRIES.open(encoding="utf-8") as f:
        return {row["iso3"] for row in csv.DictReader(f)}


def excerpt(text: str, codes: set[str]) -> str:
    """The header and the lines of years from FIRST_YEAR of known countries, verbatim."""
    lines = text.splitlines(keepends=True)
    kept = [lines[0]]
    for line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        if len(cells) < 2 or cells[0] not in codes:
            continue
        if int(cells[1]) >= FIRST_YEAR:
            kept.append(line)
    return "".join(kept)


def main(bundle: Path) -> None:
    declarations = OUT / "datasets.toml"
    toml_text = declarations.read_text(encoding="utf-8")
    datasets = tomllib.loads(toml_text)["dataset"]
    codes = country_codes()
    for dataset in datasets:
        source = bundle.joinpath(*BUNDLE_FILES[dataset["file"]])
        text = excerpt(source.read_text(encoding="utf-8"), codes)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with gzip.GzipFile(OUT / dataset["file"], "wb", mtime=0) as out:
            out.write(text.encode("utf-8"))
        block = re.compile(
            r'(id = "'
            + re.escape(dataset["id"])
            + r'"\n(?:(?!\[\[dataset\]\]).*\n)*?sha256 = )"[0-9a-f]*"'
        )
        toml_text, n = block.subn(lambda m, d=digest: m.group(1) + f'"{d}"', toml_text)
        assert n == 1, dataset["id"]
        print(f"{dataset['id']}: {text.count(chr(10)) - 1} rows, sha256 {digest[:12]}")
    declarations.write_text(toml_text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "open")
