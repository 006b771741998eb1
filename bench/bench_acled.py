"""Benchmark: import a 1,000,000-row ACLED export and aggregate it to monthly country tables.

Each measurement is a whole fresh process, timed from outside, with its peak resident memory
from the kernel (``os.wait4``): the baseline, plain ``pandas.read_csv(FILE)`` with its
defaults (it only parses: no checks, no kinds, nothing written), and ``fragwatch import acled
FILE --monthly OUT`` (parse, check every row, map event kinds, render each record as its quote,
write events.parquet into the library, match against report events, write the monthly table).
Runs alternate, so a noisy neighbour slows both. Also timed: importing the same file again (it
changes nothing), importing one country, and ``fragwatch assess`` with the million events in
the library. The monthly table is checked against pandas before anything is timed.

    .venv/bin/python bench/bench_acled.py [--rows 1000000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

BASELINE = """
import json, sys, pandas as pd
frame = pd.read_csv(sys.argv[1])
print(json.dumps({"rows": len(frame), "fatalities": int(frame["fatalities"].sum()),
                  "country_months": int(frame.assign(m=frame["event_date"].str[:7])
                                        .groupby(["country", "m"]).ngroups)}))
"""


def measure(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak resident MiB, stdout) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit {process.returncode}")
    return seconds, usage.ru_maxrss / 1024, out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except OSError:
        memory = float("nan")
    import numpy
    import pandas
    import pyarrow

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()};"
        f" Python {platform.python_version()}, numpy {numpy.__version__},"
        f" pandas {pandas.__version__}, pyarrow {pyarrow.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it.")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-acled-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / f"acled_{args.rows}.csv"
    if not export.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_acled.py"), str(export), "--rows", str(args.rows)],
            check=True,
        )
    size = export.stat().st_size / 2**20
    fragwatch = [sys.executable, "-m", "fragwatch.cli"]
    env = {**os.environ, "FRAGWATCH_CONFIG_DIR": str(REPO / "config")}

    def library(name: str) -> dict[str, str]:
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        return {**env, "FRAGWATCH_EVIDENCE_DIR": str(folder)}

    # Correctness first: the monthly table accounts for every row, death and country-month.
    _, _, out = measure([sys.executable, "-c", BASELINE, str(export)], env, work)
    truth = json.loads(out)
    monthly = work / "monthly.parquet"
    measure([*fragwatch, "import", "acled", str(export), "--monthly", str(monthly)],
            library("check"), work)  # fmt: skip
    import pandas as pd

    table = pd.read_parquet(monthly).reset_index()
    assert int(table["incidents"].sum()) == truth["rows"] == args.rows
    assert int(table["fatalities"].sum()) == truth["fatalities"]
    assert table.groupby(["country", "month"]).ngroups == truth["country_months"]

    results: dict[str, list[tuple[float, float]]] = {"pandas": [], "import": []}
    for _ in range(args.repeat):
        seconds, peak, _ = measure([sys.executable, "-c", BASELINE, str(export)], env, work)
        results["pandas"].append((seconds, peak))
        command = [*fragwatch, "import", "acled", str(export), "--monthly", str(monthly)]
        seconds, peak, _ = measure(command, library("lib"), work)
        results["import"].append((seconds, peak))
    kept = {**env, "FRAGWATCH_EVIDENCE_DIR": str(work / "lib")}
    again = measure([*fragwatch, "import", "acled", str(export)], kept, work)
    one = measure([*fragwatch, "import", "acled", str(export), "--country", "TJK"],
                  library("tjk"), work)  # fmt: skip
    # After the last row's timestamp: everything in the library is known, as on a live desk.
    assess = [*fragwatch, "assess", "--as-of", "2025-12-31", "--country", "TJK", "--json"]
    with_million = measure(assess, kept, work)
    with_country = measure(assess, {**env, "FRAGWATCH_EVIDENCE_DIR": str(work / "tjk")}, work)

    def median(key: str, index: int) -> float:
        return statistics.median(r[index] for r in results[key])

    print(f"Machine: {machine()}")
    print(f"File: {args.rows:,} rows, {size:,.0f} MiB ({export.name}); {table.shape[0]:,} rows of")
    print(f"monthly table; median of {args.repeat} alternating runs, each a fresh process.\n")
    print("| what | time | peak memory (RSS) |")
    print("|---|---:|---:|")
    print(
        f"| `pandas.read_csv(FILE)`, defaults (baseline) | {median('pandas', 0):.1f} s"
        f" | {median('pandas', 1):,.0f} MiB |"
    )
    print(
        f"| `fragwatch import acled FILE --monthly OUT` | {median('import', 0):.1f} s"
        f" | {median('import', 1):,.0f} MiB |"
    )
    ratio_t = median("import", 0) / median("pandas", 0)
    ratio_m = median("import", 1) / median("pandas", 1)
    print(f"| ratio import / baseline | {ratio_t:.1f}x | {ratio_m:.2f}x |")
    print(f"| the same file again (nothing changes) | {again[0]:.1f} s | {again[1]:,.0f} MiB |")
    print(f"| `--country TJK` (one country kept) | {one[0]:.1f} s | {one[1]:,.0f} MiB |")
    print(
        f"| `fragwatch assess` with the {args.rows:,} events in the library"
        f" | {with_million[0]:.1f} s | {with_million[1]:,.0f} MiB |"
    )
    print(
        f"| `fragwatch assess` with the TJK import only"
        f" | {with_country[0]:.1f} s | {with_country[1]:,.0f} MiB |"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
