"""Print the world distribution of each indicator's raw value, beside its fixed goalposts.

    .venv/bin/python tools/goalposts.py [--from 2005] [--to 2024]

Every country with evidence is read on 31 December of each year (point-in-time, as the model
reads it); the table gives percentiles of the raw values and the share of country-years at or
beyond each goalpost (those clip to 0 or 1). docs/methodology.md quotes this output when it
argues each goalpost.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from fragwatch.evidence.files import load_evidence
from fragwatch.scoring.assessment import indicator_panel
from fragwatch.settings import load_model_spec

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=int, default=2005)
    parser.add_argument("--to", dest="end", type=int, default=2024)
    parser.add_argument("--model", default="config/model.toml")
    args = parser.parse_args()
    evidence = load_evidence([])
    spec = load_model_spec(__import__("pathlib").Path(args.model))
    dates = pd.date_range(f"{args.start}-12-31", f"{args.end}-12-31", freq="YE")
    panel = indicator_panel(evidence, spec, evidence.countries, dates)
    ind = spec.model.framework_.indicators
    head = " ".join(f"p{p:<7}" for p in PERCENTILES)
    print(f"country-years {args.start}-{args.end}, read on 31 December of each year")
    print(f"{'indicator':<26} {'n':>5} {head} {'goalposts':>16} {'<=lo':>5} {'>=hi':>5}")
    for code in ind.index:
        values = panel.value[code].dropna().to_numpy()
        if not len(values):
            print(f"{code:<26} {0:>5}  (no readings)")
            continue
        q = np.percentile(values, PERCENTILES)
        lo, hi = float(ind.loc[code, "lo"]), float(ind.loc[code, "hi"])
        cells = " ".join(f"{x:<8.3g}" for x in q)
        print(
            f"{code:<26} {len(values):>5} {cells} {f'[{lo:g}, {hi:g}]':>16}"
            f" {np.mean(values <= lo):>5.0%} {np.mean(values >= hi):>5.0%}"
        )


if __name__ == "__main__":
    main()
