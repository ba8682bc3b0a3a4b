"""Benchmark ``reporter evidence`` against DuckDB on the same generated log.

Generates (once, cached under ``${XDG_CACHE_HOME:-~/.cache}/reporter-bench/``) a
Parquet log of 28.8 million events from 25,000 accounts over 44 days, then times,
in fresh subprocesses and alternating, the reporter computing the evidence
figures and DuckDB computing the same figures on the same file. Each run's wall
time includes interpreter start-up and imports, as a user would see it; peak
memory is the child's maximum resident set size from ``wait4``.

Usage::

    .venv/bin/python bench/bench_evidence.py            # full size, median of 3
    .venv/bin/python bench/bench_evidence.py --rows 2000000 --runs 1

Exits 1 when the two disagree on a figure or a target is missed (reporter time
at most 1.25x DuckDB's, reporter peak memory at most 1 GiB).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_log  # noqa: E402  (sibling module, not an installed package)

MAX_RATIO = 1.25
MAX_RSS_BYTES = 1 << 30
REPO = Path(__file__).resolve().parent.parent


def reporter_command(path: Path) -> list[str]:
    """The command timed for the reporter: ``reporter evidence LOG --format json``."""
    script = Path(sys.executable).parent / "reporter"
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "reporter"]
    return [*launcher, "evidence", str(path), "--format", "json"]


def duckdb_command(path: Path) -> list[str]:
    """The command timed for DuckDB (this script in worker mode)."""
    return [sys.executable, str(Path(__file__).resolve()), "--duckdb-worker", str(path)]


def duckdb_figures(path: str) -> dict[str, Any]:
    """Compute the evidence figures with DuckDB, in the reporter's JSON shape.

    Two scans: one aggregates events per (account, UTC day), from which the counts,
    the daily series and both distributions derive; one counts events per capability
    with their min and max timestamps. (Of the formulations tried, this was the
    fastest for DuckDB.) ``quantile_cont`` is linear interpolation, the reporter's
    definition.
    """
    import duckdb

    con = duckdb.connect()
    columns = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()]
    con.execute(
        "CREATE TEMP TABLE ad AS SELECT account_id, CAST(ts AS DATE) AS d, count(*) AS n "
        "FROM read_parquet(?) GROUP BY ALL",
        [path],
    )
    capability = "coalesce(nullif(capability, ''), '(none)')" if "capability" in columns else "NULL"
    by_cap = con.execute(
        f"SELECT {capability} AS c, count(*), min(ts), max(ts) FROM read_parquet(?) GROUP BY 1 ORDER BY 1", [path]
    ).fetchall()
    first = min(r[2] for r in by_cap)
    last = max(r[3] for r in by_cap)
    by_capability = [(r[0], r[1]) for r in by_cap] if "capability" in columns else []
    interactions, accounts = con.execute("SELECT sum(n)::BIGINT, count(DISTINCT account_id) FROM ad").fetchone()
    daily = con.execute("SELECT d, sum(n)::BIGINT, count(*) FROM ad GROUP BY d ORDER BY d").fetchall()
    per_account = con.execute(
        "SELECT avg(t), median(t), quantile_cont(t, 0.95), max(t) "
        "FROM (SELECT sum(n)::BIGINT AS t FROM ad GROUP BY account_id)"
    ).fetchone()
    per_account_daily = con.execute("SELECT avg(n), median(n), quantile_cont(n, 0.95), max(n) FROM ad").fetchone()

    def dist(row: tuple[Any, ...]) -> dict[str, Any]:
        return {"mean": float(row[0]), "median": float(row[1]), "p95": float(row[2]), "max": int(row[3])}

    return {
        "interactions": int(interactions),
        "accounts": int(accounts),
        "first": first.isoformat() + "Z",
        "last": last.isoformat() + "Z",
        "window_days": (last - first).total_seconds() / 86400,
        "daily": [{"date": d.isoformat(), "interactions": int(n), "accounts": int(a)} for d, n, a in daily],
        "per_account": dist(per_account),
        "per_account_daily": dist(per_account_daily),
        "by_capability": {k: int(v) for k, v in by_capability},
    }


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds
    peak_rss: int  # bytes
    output: dict[str, Any]


def run_measured(cmd: list[str]) -> Run:
    """Run ``cmd`` in a subprocess; return wall time, its own peak RSS and its JSON output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # Read both pipes to the end, then reap the child with wait4 so the resource
    # usage is this child's alone (RUSAGE_CHILDREN would be the max over all runs).
    out, err = _drain(proc)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd[:3])}...\n{err.decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall=wall, cpu=cpu, peak_rss=usage.ru_maxrss * 1024, output=json.loads(out))


def _drain(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    import threading

    chunks: dict[str, bytes] = {}

    def read(name: str, stream: Any) -> None:
        chunks[name] = stream.read()
        stream.close()

    threads = [threading.Thread(target=read, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return chunks["out"], chunks["err"]


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Return the figures on which the two outputs disagree (floats to 1e-9 relative)."""
    problems = []
    for key in ("interactions", "accounts", "first", "last", "daily", "by_capability"):
        if ours.get(key) != theirs.get(key):
            problems.append(key)
    if not math.isclose(ours["window_days"], theirs["window_days"], rel_tol=1e-9):
        problems.append("window_days")
    for key in ("per_account", "per_account_daily"):
        for stat in ("mean", "median", "p95", "max"):
            if not math.isclose(ours[key][stat], theirs[key][stat], rel_tol=1e-9):
                problems.append(f"{key}.{stat}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark reporter evidence against DuckDB.")
    parser.add_argument("--rows", type=int, default=gen_log.DEFAULT_ROWS, help="events in the generated log")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median reported)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run of each")
    parser.add_argument("--duckdb-worker", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.duckdb_worker:
        print(json.dumps(duckdb_figures(args.duckdb_worker)))
        return 0

    path = gen_log.default_path(args.rows)
    if not path.exists():
        print(f"generating {args.rows:,} events -> {path}", flush=True)
        started = time.perf_counter()
        gen_log.generate(path, rows=args.rows)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    size_mib = path.stat().st_size / (1 << 20)
    print(f"log: {path} ({size_mib:.0f} MiB, {args.rows:,} rows)")

    commands = {"reporter": reporter_command(path), "duckdb": duckdb_command(path)}
    if not args.no_warmup:
        for cmd in commands.values():
            run_measured(cmd)  # warms the page cache and the interpreters' bytecode
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for i in range(args.runs):
        for name, cmd in commands.items():
            run = run_measured(cmd)
            runs[name].append(run)
            print(
                f"  run {i + 1} {name:8s} {run.wall:6.2f} s wall {run.cpu:6.2f} s CPU"
                f"  peak RSS {run.peak_rss / (1 << 20):6.0f} MiB",
                flush=True,
            )

    ours, theirs = runs["reporter"][-1].output, runs["duckdb"][-1].output
    problems = compare(ours, theirs)
    med = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    rss = {name: max(r.peak_rss for r in rs) for name, rs in runs.items()}
    ratio = med["reporter"] / med["duckdb"]

    print()
    print(f"{'':10s} {'median s':>9s} {'min s':>7s} {'median CPU s':>13s} {'peak RSS MiB':>13s}")
    for name in commands:
        cpu = statistics.median(r.cpu for r in runs[name])
        fastest = min(r.wall for r in runs[name])
        print(f"{name:10s} {med[name]:9.2f} {fastest:7.2f} {cpu:13.2f} {rss[name] / (1 << 20):13.0f}")
    print(f"ratio reporter/duckdb (median wall): {ratio:.2f}  (target <= {MAX_RATIO})")
    print(f"interactions {ours['interactions']:,}  accounts {ours['accounts']:,}  (duckdb: {theirs['interactions']:,}, {theirs['accounts']:,})")

    failed = False
    if problems:
        print("MISMATCH with DuckDB on: " + ", ".join(problems))
        failed = True
    else:
        print("figures agree with DuckDB")
    if ratio > MAX_RATIO:
        print(f"FAIL: reporter takes {ratio:.2f}x DuckDB's time (target <= {MAX_RATIO}x)")
        failed = True
    if rss["reporter"] > MAX_RSS_BYTES:
        print(f"FAIL: reporter peak RSS {rss['reporter'] / (1 << 20):.0f} MiB (target <= 1024 MiB)")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
