"""Benchmark: commands with 1,000,000 imported events cost what they read, not what is held.

Three evidence libraries, each command a fresh process timed from outside with its peak
resident memory from the kernel (``os.wait4``): an empty library (the baseline), one with
1,000,000 ACLED events of other countries than TJK, and one with 1,000,000 events of TJK itself
(``bench/make_acled.py --exclude TJK`` and ``--only TJK``: events of 2018-2024, so none is
published by the dates asked). Runs alternate between the libraries, so a noisy neighbour slows
all of them; the medians are compared. TJK's output must be byte-identical in every library
(checked before anything is timed). Also timed: the imports, and `assess` as of a date after
every event (everything known), with ``--known``; and with ``--overlap`` the import of
1,000,000 TJK events of 2008-2014, the years of the reports' incidents, so that matching has
work to do.

    .venv/bin/python bench/bench_evidence_store.py [--rows 1000000] [--repeat 5] [--keep DIR]
        [--known] [--overlap]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_acled import machine  # noqa: E402

COMMANDS = {
    "assess --country TJK": ["assess", "--as-of", "2016-01-31", "--country", "TJK", "--json"],
    "history --freq month": [
        "history", "--country", "TJK", "--freq", "month",
        "--from", "2005-01-01", "--to", "2016-12-31",
    ],
}  # fmt: skip
LIBRARIES = ("empty", "other", "tjk")
DIGEST_LINE = re.compile(r'^ *"evidence_digest": "[0-9a-f]{64}",\n', re.MULTILINE)


def measure(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak resident MiB, stdout) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it.")
    parser.add_argument("--known", action="store_true", help="Also assess with all known.")
    parser.add_argument("--overlap", action="store_true", help="Also import TJK of 2008-2014.")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    fragwatch = [sys.executable, "-m", "fragwatch.cli"]
    env = {**os.environ, "FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
    envs = {
        name: {**env, "FRAGWATCH_EVIDENCE_DIR": str(work / f"lib-{name}")} for name in LIBRARIES
    }
    imports = {}
    files = [("other", ["--exclude", "TJK"]), ("tjk", ["--only", "TJK"])]
    if args.overlap:
        files.append(("tjk 2008-2014", ["--only", "TJK", "--first-year", "2008"]))
        envs["tjk 2008-2014"] = {**env, "FRAGWATCH_EVIDENCE_DIR": str(work / "lib-overlap")}
    for name, options in files:
        export = work / f"acled_{name.replace(' ', '_')}_{args.rows}.csv"
        if not export.exists():
            subprocess.run(
                [sys.executable, str(HERE / "make_acled.py"), str(export),
                 "--rows", str(args.rows), *options],
                check=True,
            )  # fmt: skip
        shutil.rmtree(envs[name]["FRAGWATCH_EVIDENCE_DIR"], ignore_errors=True)
        imports[name] = measure([*fragwatch, "import", "acled", str(export)], envs[name], work)

    # Correctness first: TJK's output is the same whatever else the library holds, but for the
    # evidence digest, which covers the library's sources too (an imported batch's source is
    # known from the start, like every data set's).
    for label, command in COMMANDS.items():
        outputs = {
            name: DIGEST_LINE.sub("", measure([*fragwatch, *command], envs[name], work)[2])
            for name in LIBRARIES
        }
        assert outputs["other"] == outputs["empty"] == outputs["tjk"], f"{label}: outputs differ"

    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(args.repeat):
        for label, command in COMMANDS.items():
            for name in LIBRARIES:
                seconds, peak, _ = measure([*fragwatch, *command], envs[name], work)
                results.setdefault((label, name), []).append((seconds, peak))
    known = ["assess", "--as-of", "2025-12-31", "--country", "TJK", "--json"]
    everything = {
        name: measure([*fragwatch, *known], envs[name], work) for name in LIBRARIES if args.known
    }

    def median(key: tuple[str, str], index: int) -> float:
        return statistics.median(r[index] for r in results[key])

    print(f"Machine: {machine()}")
    print(f"{args.rows:,} events per library; median of {args.repeat} alternating runs.\n")
    print("| command | library | time | ratio to empty | peak memory (RSS) |")
    print("|---|---|---:|---:|---:|")
    for label in COMMANDS:
        base = median((label, "empty"), 0)
        for name in LIBRARIES:
            t, m = median((label, name), 0), median((label, name), 1)
            print(f"| `{label}` | {name} | {t:.2f} s | {t / base:.2f}x | {m:,.0f} MiB |")
    for name, (t, m, _) in everything.items():
        print(
            f"| `assess --as-of 2025-12-31 --country TJK` | {name} | {t:.2f} s | | {m:,.0f} MiB |"
        )
    for name, (t, m, _) in imports.items():
        print(f"| `import acled` ({name}) | | {t:.2f} s | | {m:,.0f} MiB |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
