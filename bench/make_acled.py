"""Write a synthetic ACLED export (the published column layout) for the import benchmark.

Seeded, so every run writes the same file: N rows over 60 countries and 2018-2024 (or seven years
from ``--first-year``, e.g. 2008 to overlap the Tajikistan reports' incidents), event types
and sub-types in ACLED's proportions (roughly), notes of realistic length, a unix timestamp a few
days to a few months after each event. Columns follow ACLED's current export, in its order.

    .venv/bin/python bench/make_acled.py OUT.csv [--rows 1000000] [--seed 0]
        [--only TJK,...] [--exclude TJK,...] [--first-year 2018]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
]  # fmt: skip

# (event_type, sub_event_type, disorder_type, share of events)
TYPES = [
    ("Battles", "Armed clash", "Political violence", 0.16),
    ("Battles", "Government regains territory", "Political violence", 0.01),
    ("Battles", "Non-state actor overtakes territory", "Political violence", 0.01),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence", 0.10),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence", 0.06),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", "Political violence", 0.02),
    ("Explosions/Remote violence", "Suicide bomb", "Political violence", 0.002),
    ("Explosions/Remote violence", "Grenade", "Political violence", 0.008),
    ("Violence against civilians", "Attack", "Political violence", 0.09),
    ("Violence against civilians", "Abduction/forced disappearance", "Political violence", 0.02),
    ("Violence against civilians", "Sexual violence", "Political violence", 0.003),
    ("Protests", "Peaceful protest", "Demonstrations", 0.37),
    ("Protests", "Protest with intervention", "Demonstrations", 0.03),
    ("Protests", "Excessive force against protesters", "Demonstrations", 0.002),
    ("Riots", "Violent demonstration", "Demonstrations", 0.04),
    ("Riots", "Mob violence", "Demonstrations", 0.02),
    ("Strategic developments", "Arrests", "Strategic developments", 0.02),
    ("Strategic developments", "Looting/property destruction", "Strategic developments", 0.02),
    ("Strategic developments", "Other", "Strategic developments", 0.011),
]
COUNTRIES = [
    (4, "AFG", "Afghanistan", "Caspian"), (762, "TJK", "Tajikistan", "Caspian"),
    (417, "KGZ", "Kyrgyzstan", "Caspian"), (860, "UZB", "Uzbekistan", "Caspian"),
    (398, "KAZ", "Kazakhstan", "Caspian"), (795, "TKM", "Turkmenistan", "Caspian"),
    (586, "PAK", "Pakistan", "South Asia"), (356, "IND", "India", "South Asia"),
    (50, "BGD", "Bangladesh", "South Asia"), (524, "NPL", "Nepal", "South Asia"),
    (144, "LKA", "Sri Lanka", "South Asia"), (104, "MMR", "Myanmar", "Southeast Asia"),
    (608, "PHL", "Philippines", "Southeast Asia"), (764, "THA", "Thailand", "Southeast Asia"),
    (360, "IDN", "Indonesia", "Southeast Asia"), (760, "SYR", "Syria", "Middle East"),
    (368, "IRQ", "Iraq", "Middle East"), (887, "YEM", "Yemen", "Middle East"),
    (364, "IRN", "Iran", "Middle East"), (792, "TUR", "Turkey", "Middle East"),
    (422, "LBN", "Lebanon", "Middle East"), (275, "PSE", "Palestine", "Middle East"),
    (804, "UKR", "Ukraine", "Europe"), (643, "RUS", "Russia", "Europe"),
    (268, "GEO", "Georgia", "Caucasus and Central Asia"),
    (51, "ARM", "Armenia", "Caucasus and Central Asia"),
    (31, "AZE", "Azerbaijan", "Caucasus and Central Asia"),
    (434, "LBY", "Libya", "Northern Africa"), (818, "EGY", "Egypt", "Northern Africa"),
    (12, "DZA", "Algeria", "Northern Africa"), (729, "SDN", "Sudan", "Northern Africa"),
    (728, "SSD", "South Sudan", "Eastern Africa"), (231, "ETH", "Ethiopia", "Eastern Africa"),
    (706, "SOM", "Somalia", "Eastern Africa"), (404, "KEN", "Kenya", "Eastern Africa"),
    (800, "UGA", "Uganda", "Eastern Africa"), (108, "BDI", "Burundi", "Eastern Africa"),
    (180, "COD", "Democratic Republic of Congo", "Middle Africa"),
    (140, "CAF", "Central African Republic", "Middle Africa"),
    (148, "TCD", "Chad", "Middle Africa"),
    (120, "CMR", "Cameroon", "Middle Africa"), (566, "NGA", "Nigeria", "Western Africa"),
    (466, "MLI", "Mali", "Western Africa"), (854, "BFA", "Burkina Faso", "Western Africa"),
    (562, "NER", "Niger", "Western Africa"), (384, "CIV", "Ivory Coast", "Western Africa"),
    (508, "MOZ", "Mozambique", "Southern Africa"), (710, "ZAF", "South Africa", "Southern Africa"),
    (716, "ZWE", "Zimbabwe", "Southern Africa"), (170, "COL", "Colombia", "South America"),
    (862, "VEN", "Venezuela", "South America"), (76, "BRA", "Brazil", "South America"),
    (604, "PER", "Peru", "South America"), (484, "MEX", "Mexico", "Central America"),
    (320, "GTM", "Guatemala", "Central America"), (340, "HND", "Honduras", "Central America"),
    (332, "HTI", "Haiti", "Caribbean"), (840, "USA", "United States", "North America"),
    (250, "FRA", "France", "Europe"), (826, "GBR", "United Kingdom", "Europe"),
]  # fmt: skip
ACTORS = [
    "Military Forces", "Police Forces", "Rebel Group", "Unidentified Armed Group",
    "Protesters", "Rioters", "Civilians", "Border Guards", "Militia", "Islamic State",
]  # fmt: skip
SOURCES = ["Reuters", "AFP", "Radio Ozodi", "Asia-Plus", "Local Media", "Twitter", "BBC News"]


def make(
    rows: int,
    seed: int,
    only: set[str] | None = None,
    exclude: set[str] = frozenset(),
    first_year: int = 2018,
):
    """The export as an Arrow table; ``only``/``exclude``: ISO3 codes to keep or leave out."""
    rng = np.random.default_rng(seed)
    share = np.array([t[3] for t in TYPES])
    kind = rng.choice(len(TYPES), size=rows, p=share / share.sum())
    # A few countries hold most events, as in ACLED.
    weight = 1.0 / np.arange(1, len(COUNTRIES) + 1) ** 0.8
    codes = [c[1] for c in COUNTRIES]
    weight *= [(only is None or c in only) and c not in exclude for c in codes]
    country = rng.choice(len(COUNTRIES), size=rows, p=weight / weight.sum())
    offset = pd.to_timedelta(rng.integers(0, 2557, rows), unit="D")
    day = pd.Timestamp(f"{first_year}-01-01") + offset
    violent = np.array([t[2] == "Political violence" for t in TYPES])[kind]
    fatalities = np.where(violent, rng.geometric(0.35, rows) - 1, 0)
    lag = rng.integers(2, 120, rows) * 86_400 + rng.integers(0, 86_400, rows)
    timestamp = day.values.astype("datetime64[s]").astype(np.int64) + lag

    iso3 = np.array([c[1] for c in COUNTRIES], dtype=object)[country]
    name = np.array([c[2] for c in COUNTRIES], dtype=object)[country]
    ids = pd.Series(iso3) + pd.Series(np.arange(1, rows + 1)).astype(str)
    admin = "Region " + pd.Series(rng.integers(1, 12, rows)).astype(str)
    location = "Town " + pd.Series(rng.integers(1, 400, rows)).astype(str)
    actor1 = pd.Series(np.array(ACTORS, dtype=object)[rng.integers(0, len(ACTORS), rows)])
    actor2 = pd.Series(np.array(ACTORS, dtype=object)[rng.integers(0, len(ACTORS), rows)])
    event_type = np.array([t[0] for t in TYPES], dtype=object)[kind]
    sub_type = np.array([t[1] for t in TYPES], dtype=object)[kind]
    date_text = pd.Series(day.strftime("%d %B %Y"))
    near_border = rng.random(rows) < 0.03
    notes = (
        "On "
        + date_text
        + ", "
        + actor1
        + " and "
        + actor2
        + " were involved in an event ("
        + pd.Series(sub_type).str.lower()
        + ") in "
        + location
        + ", "
        + admin
        + np.where(near_border, " near the border with a neighbouring country", "")
        + ". Reports say "
        + pd.Series(fatalities).astype(str)
        + " people were killed; local sources describe damage to several houses and a market."
        + " [size=no report]"
    )
    columns = {
        "event_id_cnty": ids,
        "event_date": pd.Series(day.strftime("%Y-%m-%d")),
        "year": pd.Series(day.year),
        "time_precision": rng.choice([1, 2, 3], size=rows, p=[0.85, 0.1, 0.05]),
        "disorder_type": np.array([t[2] for t in TYPES], dtype=object)[kind],
        "event_type": event_type,
        "sub_event_type": sub_type,
        "actor1": actor1 + " of " + pd.Series(name),
        "assoc_actor_1": "",
        "inter1": rng.integers(1, 9, rows),
        "actor2": actor2,
        "assoc_actor_2": "",
        "inter2": rng.integers(0, 9, rows),
        "interaction": rng.integers(10, 88, rows),
        "civilian_targeting": np.where(sub_type == "Attack", "Civilian targeting", ""),
        "iso": np.array([c[0] for c in COUNTRIES])[country],
        "region": np.array([c[3] for c in COUNTRIES], dtype=object)[country],
        "country": name,
        "admin1": admin,
        "admin2": admin + " District",
        "admin3": "",
        "location": location,
        "latitude": np.round(rng.uniform(-30, 50, rows), 4),
        "longitude": np.round(rng.uniform(-80, 120, rows), 4),
        "geo_precision": rng.integers(1, 4, rows),
        "source": np.array(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), rows)],
        "source_scale": "National",
        "notes": notes,
        "fatalities": fatalities,
        "tags": "",
        "timestamp": timestamp,
    }

    def column(values: object) -> pa.Array:
        array = np.asarray(values)
        return pa.array(np.full(rows, array.item(), dtype=object) if array.ndim == 0 else array)

    return pa.table({name: column(columns[name]) for name in COLUMNS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="Comma-separated ISO3 codes: events of these only.")
    parser.add_argument("--exclude", default="", help="Comma-separated ISO3 codes to leave out.")
    parser.add_argument("--first-year", type=int, default=2018, help="Events of 7 years from it.")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    exclude = set(filter(None, args.exclude.split(",")))
    table = make(args.rows, args.seed, only, exclude, args.first_year)
    pacsv.write_csv(table, args.out, pacsv.WriteOptions(quoting_style="needed"))
    size = args.out.stat().st_size
    print(f"wrote {args.rows:,} rows, {size / 2**20:,.0f} MiB: {args.out}")


if __name__ == "__main__":
    main()
