"""Benchmark: `fragwatch score-panel` against its floor, read CSV + numpy score + write CSV.

The panel of ``bench_scoring`` (200 countries x 360 months x 20 indicators, 10% missing) as a
CSV file. The floor is a process that does only the unavoidable work: ``pandas.read_csv``, the
vectorised scoring core, and ``pyarrow.csv.write_csv`` of the result. The command also checks
every key and number and names the line of a bad one, and writes the same bytes pandas'
``to_csv`` wrote. Each run is a fresh process with its peak memory from the kernel
(``os.wait4``); runs alternate; medians are compared.

    .venv/bin/python bench/bench_score_panel.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_acled import machine  # noqa: E402
from bench_scoring import make_case  # noqa: E402

FLOOR = """
import sys
import pandas as pd, pyarrow as pa, pyarrow.csv as pacsv
from fragwatch.scoring.model import FragilityModel
model = FragilityModel(pd.read_csv(sys.argv[2])).fit()
panel = pd.read_csv(sys.argv[1], index_col=[0, 1])
scores = model.score(panel)
result = scores.summary().join(scores.contributions.add_prefix("points_"))
pacsv.write_csv(pa.Table.from_pandas(result), sys.argv[3])
"""


def run(args: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-panel-"))
    panel, framework = make_case(200, 360)
    table = panel.reset_index()
    table["period"] = table["period"].dt.strftime("%Y-%m-%d")
    table.to_csv(work / "panel.csv", index=False)
    framework.to_csv(work / "framework.csv", index=False)
    size = (work / "panel.csv").stat().st_size / 2**20
    floor = [sys.executable, "-c", FLOOR, str(work / "panel.csv"), str(work / "framework.csv"),
             str(work / "floor.csv")]  # fmt: skip
    command = [
        sys.executable, "-m", "fragwatch.cli", "score-panel", str(work / "panel.csv"),
        "--framework", str(work / "framework.csv"), "--out", str(work / "out.csv"),
    ]  # fmt: skip
    times: dict[str, list[tuple[float, float]]] = {"floor": [], "command": []}
    for _ in range(args.repeat):
        times["floor"].append(run(floor))
        times["command"].append(run(command))
    import pandas as pd

    got = pd.read_csv(work / "out.csv")
    want = pd.read_csv(work / "floor.csv")
    assert got["score"].equals(want["score"]), "the command and the floor disagree"

    def median(key: str, i: int) -> float:
        return statistics.median(t[i] for t in times[key])

    print(f"Machine: {machine()}")
    print(f"Panel: {len(table):,} rows x 20 indicators, {size:.1f} MiB of CSV;")
    print(f"median of {args.repeat} alternating runs, each a fresh process.\n")
    print("| what | time | peak memory (RSS) |")
    print("|---|---:|---:|")
    labels = {
        "floor": "floor: read_csv + score + pyarrow write_csv",
        "command": "`fragwatch score-panel PANEL --framework F --out OUT`",
    }
    for key, label in labels.items():
        print(f"| {label} | {median(key, 0):.2f} s | {median(key, 1):,.0f} MiB |")
    print(f"| ratio command / floor | {median('command', 0) / median('floor', 0):.2f}x | |")


if __name__ == "__main__":
    main()
