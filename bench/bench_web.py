"""Benchmark: the web desk under 50 concurrent clients, with and without `serve` catching up.

A throw-away service folder gets two years of monthly history (`run-once` with a backfill) and
a user; `fragwatch web` then serves it on 127.0.0.1. Fifty clients, each logged in with its own
session, alternate the overview and the TJK country page with a think time between requests
(a desk user reading a page), for --seconds each phase:

1. baseline: the store is quiet;
2. catch-up: `fragwatch serve` runs on the same database with a daily schedule from the last
   stored period, so it writes an assessment (and alert state) every few hundred ms while the
   pages are read, and every write invalidates the pages' cached views. The shipped config's
   catch-up mode ("summary") assesses every missed period before one write at the end; the
   benchmark's copy of the config says catch_up = "each", so serve writes period by period
   during the phase (the run stops with an error if it wrote nothing).

The figures are the p50/p95/max latency per page and phase, the error count, and the ratio of
the catch-up p95 to the baseline p95. Target: no errors; p95 under 200 ms in both phases.

    .venv/bin/python bench/bench_web.py [--clients 50] [--seconds 30] [--think 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark passphrase"
PAGES = {"overview": "/", "country": "/country/TJK"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fragwatch(folder: Path, settings: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "fragwatch.cli", "--settings", str(settings), *args]


def write_settings(folder: Path, name: str, cron: str, backfill: str) -> Path:
    path = folder / name
    path.write_text(
        f'database_url = "sqlite:///{folder}/var/fragwatch.db"\n'
        f'outbox_dir = "{folder}/var/outbox"\n'
        'countries = ["TJK"]\n'
        f'[schedule]\nassess_cron = "{cron}"\nbackfill_from = {backfill}\n'
        "deliver_every_seconds = 3600\n",
        encoding="utf-8",
    )
    return path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def log_in(url: str, user: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=url, timeout=60)
    token = CSRF.search((await http.get("/login")).text).group(1)
    done = await http.post(
        "/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code == 303, done.status_code
    return http


async def client(http: httpx.AsyncClient, seconds: float, think: float, out: dict) -> None:
    stop = time.monotonic() + seconds
    names = list(PAGES)
    random.shuffle(names)
    await asyncio.sleep(random.uniform(0, think))  # clients do not start in lock-step
    i = 0
    while time.monotonic() < stop:
        name = names[i % 2]
        i += 1
        start = time.perf_counter()
        try:
            answer = await http.get(PAGES[name])
            ok = answer.status_code == 200
        except httpx.HTTPError:
            ok = False
        out[name].append(time.perf_counter() - start)
        if not ok:
            out["errors"].append(name)
        await asyncio.sleep(think)


async def phase(clients: list[httpx.AsyncClient], seconds: float, think: float) -> dict:
    out: dict = {"overview": [], "country": [], "errors": []}
    await asyncio.gather(*(client(http, seconds, think, out) for http in clients))
    return out


async def measure(url: str, users: list[str], args, start_serve) -> tuple[dict, dict]:
    """Log every client in (one after the other: argon2 is slow on purpose), measure the quiet
    store, start the catch-up, measure again with the same sessions."""
    clients = [await log_in(url, user) for user in users]
    try:
        quiet = await phase(clients, args.seconds, args.think)
        start_serve()
        busy = await phase(clients, args.seconds, args.think)
    finally:
        for http in clients:
            await http.aclose()
    return quiet, busy


def summary(label: str, out: dict) -> dict:
    rows = {}
    for name in PAGES:
        ms = [t * 1000 for t in out[name]]
        rows[name] = {
            "n": len(ms),
            "p50": statistics.median(ms),
            "p95": percentile(ms, 0.95),
            "max": max(ms),
        }
        print(
            f"{label:<9} {name:<9} {len(ms):>6} requests  p50 {rows[name]['p50']:6.1f} ms"
            f"  p95 {rows[name]['p95']:6.1f} ms  max {rows[name]['max']:7.1f} ms"
        )
    print(f"{label:<9} errors: {len(out['errors'])}")
    return rows


def assessments(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM assessments").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0, help="Seconds between requests.")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAGWATCH_")}
    env.update(FRAGWATCH_WEB_SECRET="b" * 48)
    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    print(f"machine: {cpu}, {os.cpu_count()} cores, load average {load:.2f};"
          f" Python {platform.python_version()}")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "config"
        shutil.copytree(REPO / "config", config)
        alerts = config / "alerts.toml"
        shipped = alerts.read_text("utf-8")
        assert 'catch_up = "summary"' in shipped
        alerts.write_text(shipped.replace('catch_up = "summary"', 'catch_up = "each"'), "utf-8")
        env["FRAGWATCH_CONFIG_DIR"] = str(config)
        monthly = write_settings(folder, "monthly.toml", "0 6 1 * *", "2013-01-01")
        daily = write_settings(folder, "daily.toml", "0 6 * * *", "2013-01-01")
        run = dict(cwd=folder, env=env, check=True, capture_output=True, text=True)
        subprocess.run(fragwatch(folder, monthly, "run-once", "--now", "2016-02-02T00:00"), **run)
        users = [f"user{i:02d}" for i in range(args.clients)]
        subprocess.run(
            fragwatch(folder, monthly, "users", "add", users[0], "--role", "reader",
                      "--password-stdin"), input=PASSWORD, **run,
        )  # fmt: skip
        db = folder / "var" / "fragwatch.db"
        with sqlite3.connect(db) as conn:  # the others share the first one's hash (same password)
            conn.executemany(
                "INSERT INTO web_users (name, role, password_hash, created_at)"
                " SELECT ?, role, password_hash, created_at FROM web_users WHERE name = ?",
                [(user, users[0]) for user in users[1:]],
            )
        port = free_port()
        web = subprocess.Popen(
            fragwatch(folder, monthly, "web", "--port", str(port)),
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        state: dict = {}
        try:
            for _ in range(240):
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            with httpx.Client(base_url=url, timeout=120) as warm:  # the first views, once
                token = CSRF.search(warm.get("/login").text).group(1)
                warm.post("/login", data={"username": users[0], "password": PASSWORD,
                                          "csrf_token": token})  # fmt: skip
                for path in PAGES.values():
                    assert warm.get(path).status_code == 200, path
            print(f"{args.clients} clients, {args.seconds:g} s per phase, think time"
                  f" {args.think:g} s between requests")  # fmt: skip

            def start_serve() -> None:
                state["serve"] = subprocess.Popen(
                    fragwatch(folder, daily, "serve"),
                    cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                before = assessments(db)
                for _ in range(240):  # until the catch-up is writing
                    if assessments(db) > before:
                        break
                    time.sleep(0.5)
                state["before"] = assessments(db)

            quiet, busy = asyncio.run(measure(url, users, args, start_serve))
            serve = state.get("serve")
            written = assessments(db) - state["before"]
            if serve.poll() is not None:
                raise SystemExit("serve stopped during the catch-up phase")
            if written == 0:
                raise SystemExit("serve wrote nothing during the catch-up phase")
            base = summary("baseline", quiet)
            caught = summary("catch-up", busy)
            print(f"serve wrote {written} assessments during the catch-up phase")
            for name in PAGES:
                ratio = caught[name]["p95"] / base[name]["p95"]
                print(f"p95 ratio catch-up/baseline, {name}: {ratio:.2f}")
        finally:
            for process in (state.get("serve"), web):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        process.kill()


if __name__ == "__main__":
    main()
