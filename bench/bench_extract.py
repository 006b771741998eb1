"""Benchmark: `fragwatch extract` over a folder of 100 reports, against the extractor on `main`.

The folder is built from real text: one report per source site of the extraction corpus
(tests/fixtures/extraction_corpus, 94 sites, their passages joined) plus the five seed reports
and the README's example report. Both extractors run as whole processes on the same folder,
alternating, with the progress bar on; the baseline is the `main` branch's source, unpacked by
`git archive main src` into a temporary folder and put first on PYTHONPATH. The same command
with `--learned` (the context model scores every figure) is timed against this extractor's
rules alone in the same runs. Target: the new extractor under 30 s for the 100 reports. Run
from the repository root:

    .venv/bin/python bench/bench_extract.py [--runs 3] [--against REV]

``--against REV`` takes the baseline from another revision than ``main`` (for example the
commit before a round of rule changes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "extraction_corpus"
SEEDS = REPO / "src" / "fragwatch" / "evidence" / "data" / "texts"


def build_folder(folder: Path) -> int:
    by_site: dict[str, list[str]] = defaultdict(list)
    for part in ("tune", "test"):
        for line in (CORPUS / f"{part}.jsonl").read_text("utf-8").splitlines():
            row = json.loads(line)
            if row["id"].startswith("c"):  # the first collection: 94 sites, so 100 reports
                by_site[row["source"]].append(row["text"])
    n = 0
    for site, texts in sorted(by_site.items()):
        n += 1
        (folder / f"{n:03d}-{site}.txt").write_text("\n\n".join(texts) + "\n", "utf-8")
    for seed in sorted(SEEDS.glob("*.txt")):
        n += 1
        (folder / f"{n:03d}-seed.txt").write_bytes(seed.read_bytes())
    readme = (REPO / "tests" / "test_extract_cli.py").read_text("utf-8")
    example = readme.split('REPORT = """', 1)[1].split('"""', 1)[0]
    while n < 100:
        n += 1
        (folder / f"{n:03d}-example.txt").write_text(example, "utf-8")
    return n


def once(folder: Path, env: dict[str, str], *extra: str) -> float:
    command = [
        sys.executable, "-m", "fragwatch.cli", "extract", str(folder),
        "--source-id", "bench", "--published", "2020-01-01", "--country", "TJK", "--progress",
        *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", default="main", help="Revision of the baseline.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        count = build_folder(folder)
        old = Path(tmp) / "main"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.against, "src"], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        config = {"FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
        new_env = {**os.environ, **config}
        old_env = {**new_env, "PYTHONPATH": str(old / "src")}
        once(folder, new_env), once(folder, old_env)  # warm the file cache
        new_times, old_times, learned_times = [], [], []
        for _ in range(args.runs):
            old_times.append(once(folder, old_env))
            new_times.append(once(folder, new_env))
            learned_times.append(once(folder, new_env, "--learned"))
    new, base = statistics.median(new_times), statistics.median(old_times)
    learned = statistics.median(learned_times)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpu(s)")
    print(f"{count} reports; median over {args.runs} runs, whole process with the progress bar")
    print(f"extractor on {args.against} (baseline): {base:.2f} s")
    print(f"this extractor:               {new:.2f} s  (ratio {new / base:.2f}; target < 30 s)")
    ratio = learned / new
    print(f"with --learned:               {learned:.2f} s  (ratio {ratio:.2f} to rules alone)")


if __name__ == "__main__":
    main()
