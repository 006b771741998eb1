"""State-based battle deaths per country-year, read from the shipped UCDP table: the outcomes
``fragwatch validate`` scores the model against.

The shipped file ``ucdp_orgviolence_cy_v25_1.csv.gz`` is the UCDP Country-Year Dataset on
Organized Violence v25.1 (17 of its 74 columns, verbatim). Evidence reads its organised-violence
total (``conflict_deaths``); the outcomes read ``sb_total_deaths_best_cy``, the UCDP best
estimate of battle deaths in state-based conflict located in the country, as published: not
through the evidence, so what the model is judged against is not what it reads.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from fragwatch.evidence.opendata import datasets, read_lines

UCDP_FILE = "ucdp_orgviolence_cy_v25_1.csv.gz"
DEATHS_COLUMN = "sb_total_deaths_best_cy"


def state_based_deaths(folder: Path | None = None) -> pd.DataFrame:
    """Battle deaths (UCDP best estimate) as a table: index country (ISO3), one column per
    year, 0 where UCDP records no state-based conflict in a country-year it covers, NaN where
    the country-year is not in the table (a state that did not exist)."""
    (dataset,) = [d for d in datasets(folder) if d.file == UCDP_FILE]
    table = pd.read_csv(
        io.StringIO(read_lines(dataset, folder)),
        usecols=["iso3", "year", DEATHS_COLUMN],
        dtype={"iso3": object},
    )
    wide = table.pivot(index="iso3", columns="year", values=DEATHS_COLUMN).astype(float)
    wide.index.name, wide.columns.name = "country", "year"
    return wide
