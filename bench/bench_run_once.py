"""Benchmark: `fragwatch run-once` watching 200 countries on the embedded open data.

Each measurement is a fresh process on a fresh SQLite store in a throw-away folder, with its
peak resident memory and CPU time (user + system) from the kernel (``os.wait4``; on a shared
machine the CPU time is the steadier figure): one monthly period (the store's first run,
``backfill_from`` the same month), a catch-up of 24 monthly periods (``backfill_from`` two
years back), and as the baseline in the same alternation `fragwatch rank --json` over the same
200 countries at the same date (one scoring of the world, no store). Median of the runs.

    .venv/bin/python bench/bench_run_once.py [--runs 3] [--against REV] [--no-catch-up]
        [--library DIR]

``--against REV`` also runs the one-period `run-once` on the source of a git revision (``git
archive REV src`` unpacked and put first on ``PYTHONPATH``), in the same alternation, to show
what a change did on the same machine at the same moment; ``--no-catch-up`` leaves out the
catch-up (minutes on a busy machine). ``--library DIR`` runs every command with that evidence
library as well (for example one holding 1,000,000 imported ACLED events, as written by
``bench/bench_evidence_store.py --keep DIR``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fragwatch.evidence.opendata import open_countries
from revisions import source_of

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-12-02T00:00"
AS_OF = "2026-12-01"


def write_settings(folder: Path, countries: list[str], backfill: str) -> Path:
    path = folder / "fragwatch.toml"
    path.write_text(
        f'database_url = "sqlite:///{folder}/var/fragwatch.db"\n'
        f'outbox_dir = "{folder}/var/outbox"\n'
        f"countries = {countries!r}\n".replace("'", '"')
        + f'[schedule]\nassess_cron = "0 6 1 * *"\nbackfill_from = {backfill}\n'
        "deliver_every_seconds = 3600\n",
        encoding="utf-8",
    )
    return path


def once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, peak resident MiB, CPU seconds user + system) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 7):  # 7: mail left undelivered (no SMTP host here: written to files)
        raise SystemExit(f"{command} failed ({code})")
    wall, cpu = time.perf_counter() - start, usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, cpu


def run_once(
    countries: list[str], backfill: str, env: dict[str, str]
) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = write_settings(folder, countries, backfill)
        command = [sys.executable, "-m", "fragwatch.cli", "--settings", str(settings), "run-once",
                   "--now", NOW]  # fmt: skip
        wall, rss, cpu = once(command, folder, env)
        with sqlite3.connect(folder / "var" / "fragwatch.db") as conn:
            stored = conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
    return wall, rss, cpu, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", help="Also run one period on this git revision's source.")
    parser.add_argument("--no-catch-up", action="store_true", help="Leave out the catch-up.")
    parser.add_argument("--library", type=Path, help="An evidence library every command reads.")
    args = parser.parse_args()
    countries = list(open_countries()[:200])
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env["FRAGWATCH_CONFIG_DIR"] = str(REPO / "config")
    if args.library is not None:
        env["FRAGWATCH_EVIDENCE_DIR"] = str(args.library.resolve())
    rank = [sys.executable, "-m", "fragwatch.cli", "rank", "--as-of", AS_OF, "--json",
            *(a for c in countries for a in ("--country", c))]  # fmt: skip
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average"
          f" {os.getloadavg()[0]:.2f}; Python {platform.python_version()}")  # fmt: skip
    once(rank, REPO, env)  # warm the file cache and the open-data copy
    other_env = None
    if args.against:
        other_env = {**env, "PYTHONPATH": str(source_of(args.against))}
    found: dict[str, list[tuple[float, float, float]]] = {"rank": [], "one": []}
    if other_env is not None:
        found["against"] = []
    if not args.no_catch_up:
        found["catch-up"] = []
    stored = {}
    for _ in range(args.runs):
        found["rank"].append(once(rank, REPO, env))
        *times, stored["one"] = run_once(countries, "2026-12-01", env)
        found["one"].append(tuple(times))
        if other_env is not None:
            *times, stored["against"] = run_once(countries, "2026-12-01", other_env)
            found["against"].append(tuple(times))
        if not args.no_catch_up:
            *times, stored["catch-up"] = run_once(countries, "2025-01-01", env)
            found["catch-up"].append(tuple(times))
    base = statistics.median(w for w, _, _ in found["rank"])
    base_cpu = statistics.median(c for _, _, c in found["rank"])
    labels = {
        "rank": "fragwatch rank --json, the 200 countries (baseline)",
        "one": "run-once, one monthly period",
        "against": f"run-once, one monthly period, on {args.against}",
        "catch-up": "run-once, catch-up of 24 monthly periods",
    }
    library = f", evidence library {args.library}" if args.library else ""
    print(f"200 watched countries{library}, median of {args.runs} runs")
    for name, label in labels.items():
        if name not in found:
            continue
        wall, rss, cpu = (statistics.median(t[i] for t in found[name]) for i in range(3))
        extra = f", {stored[name]} assessments stored" if name in stored else ""
        print(f"  {label}: {wall:.2f} s ({wall / base:.2f}x rank), CPU {cpu:.2f} s"
              f" ({cpu / base_cpu:.2f}x rank), peak {rss:.0f} MiB{extra}")  # fmt: skip


if __name__ == "__main__":
    main()
