"""Benchmark: the decayed-event kernel's time and peak memory against events x dates.

One country with N incidents (one row each) and a monthly grid. Case "unpublished": events of
2018-2024 and a 2005-2016 history (the issue's case: none is published by any date); case
"known": events of 2005-2016 and a 1996-2026 grid (372 dates), most dates knowing most events.
The kernel before this change paired every date with every incident of the country and then
dropped the unpublished ones, so its memory grew with events x dates; the kernel now pairs a
date only with the incidents published by then, a bounded slice at a time (what remains is the
output: the evidence ids each date cites).
Each run is a fresh process (peak resident memory from the kernel, ``os.wait4``); both kernels
run in the same session on the same arrays, and their results are checked to be the same bits.

    .venv/bin/python bench/bench_event_kernel.py [--events 20000 100000] [--new-only 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CASE = """
import json, sys, time
import numpy as np, pandas as pd
sys.path.insert(0, {repo!r})
from fragwatch.indicators.kernels.arrays import Cells, Rows
from fragwatch.indicators.kernels.events import decayed_events_cells as current
from tests.previous_event_kernel import decayed_events_cells as previous

n = {events}
rng = np.random.default_rng(0)
start = np.datetime64("{first}-01-01", "D")
day = rng.integers(0, 12 * 365, n)
end = (start + day).astype("datetime64[us]")
published = (start + day + rng.integers(0, 90, n)).astype("datetime64[us]")
kinds = np.array(["armed_attack", "armed_clash", "riot", "protest"], dtype=object)
frame = pd.DataFrame({{
    "event_id": np.char.add("e", np.arange(n).astype(str)).astype(object),
    "country": np.full(n, "TJK", dtype=object),
    "published": published, "date_end": end,
    "kind": kinds[rng.integers(0, 4, n)],
    "incident_id": np.char.add("e", np.arange(n).astype(str)).astype(object),
    "fatalities": np.where(rng.random(n) < 0.5, np.nan, rng.integers(0, 20, n)),
}})
cells = Cells.product(["TJK"], pd.date_range("{grid_from}", "{grid_to}", freq="ME"))
rows = Rows.events(frame)
severity = {{"armed_attack": 1.0, "armed_clash": 1.0, "riot": 0.3}}
kernel = {{"current": current, "previous": previous}}["{which}"]
began = time.perf_counter()
out = kernel(cells, rows, severity, 365.0, 0.5, np.ones(cells.n, bool))
seconds = time.perf_counter() - began
cited = sum(len(ids) for ids in out["evidence_ids"])
print(json.dumps({{"seconds": seconds, "sum": out["value"].to_numpy().tobytes().hex(),
                   "cited": cited}}))
"""


SCENARIOS = {
    "unpublished": {"first": 2018, "grid_from": "2005-01-31", "grid_to": "2016-12-31"},
    "known": {"first": 2005, "grid_from": "1996-01-31", "grid_to": "2026-12-31"},
}


def run(events: int, which: str, scenario: str) -> dict:
    code = CASE.format(repo=str(REPO), events=events, which=which, **SCENARIOS[scenario])
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{which} kernel on {events} events failed")
    result = json.loads(out)
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--new-only", type=int, nargs="*", default=[1_000_000])
    args = parser.parse_args()
    print("case         events     kernel    seconds  peak MiB  cited ids")
    for scenario in SCENARIOS:
        for events in args.events + args.new_only:
            if scenario == "known" and events not in args.events:
                continue  # the output alone (the cited ids) outgrows the machine
            kinds = ["previous", "current"] if events in args.events else ["current"]
            results = {}
            for which in kinds:
                began = time.perf_counter()
                results[which] = r = run(events, which, scenario)
                print(
                    f"{scenario:<11} {events:>9,}  {which:<8} {r['seconds']:8.2f}"
                    f"  {r['peak_mib']:8.0f}  {r['cited']:>10,}"
                    f"   (process {time.perf_counter() - began:.1f} s)"
                )
            if len(results) == 2:
                assert results["previous"]["sum"] == results["current"]["sum"], "values differ"
                assert results["previous"]["cited"] == results["current"]["cited"]


if __name__ == "__main__":
    main()
