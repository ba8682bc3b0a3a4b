"""Deterministic generator of large synthetic evidence logs for the benchmark.

The log mimics a service's interaction log: time-ordered events over a fixed
window, account activity heavily skewed (log-normal weights), a handful of
capabilities. It is written row group by row group so generating 28.8 million
rows never holds more than one chunk in memory.

Run directly to (re)generate a file::

    .venv/bin/python bench/gen_log.py --rows 28800000 --out /tmp/log.parquet
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_ROWS = 28_800_000
DEFAULT_ACCOUNTS = 25_000
DEFAULT_DAYS = 44
DEFAULT_START = datetime(2026, 4, 22, tzinfo=timezone.utc)
CAPABILITIES = ("chat", "code", "image", "search", "voice")
CAPABILITY_WEIGHTS = (0.55, 0.2, 0.1, 0.1, 0.05)
CHUNK_ROWS = 1_000_000
SEED = 20260422
# Bumped whenever the generated content changes, so stale cache files are not reused.
GENERATOR_VERSION = 1

US_PER_DAY = 86_400_000_000


def cache_dir() -> Path:
    """Return the benchmark cache directory (outside the repository).

    Returns:
        ``${XDG_CACHE_HOME:-~/.cache}/reporter-bench``.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reporter-bench"


def default_path(rows: int, accounts: int = DEFAULT_ACCOUNTS, days: int = DEFAULT_DAYS) -> Path:
    """Return the cache path of a generated log with these parameters.

    Args:
        rows: number of events.
        accounts: number of distinct accounts.
        days: length of the window in days.

    Returns:
        A path under :func:`cache_dir` whose name encodes every parameter.
    """
    return cache_dir() / f"log-v{GENERATOR_VERSION}-r{rows}-a{accounts}-d{days}-s{SEED}.parquet"


def generate(
    path: Path,
    rows: int = DEFAULT_ROWS,
    accounts: int = DEFAULT_ACCOUNTS,
    days: int = DEFAULT_DAYS,
    start: datetime = DEFAULT_START,
) -> Path:
    """Write a synthetic Parquet log with exactly ``rows`` events and ``accounts`` accounts.

    Timestamps are naive (meaning UTC), microsecond precision, sorted over the
    whole file; every account occurs at least once (requires ``rows >= accounts``).
    The file is written to a temporary name and renamed, so an interrupted run
    never leaves a truncated file under the final name.

    Args:
        path: destination file.
        rows: number of events.
        accounts: number of distinct accounts.
        days: window length in days.
        start: start of the window (UTC).

    Returns:
        ``path``.
    """
    if rows < accounts:
        raise ValueError("rows must be at least the number of accounts")
    rng = np.random.default_rng(SEED)
    weights = rng.lognormal(mean=0.0, sigma=1.2, size=accounts)
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    ids = pa.array([f"acct-{i:06d}" for i in range(accounts)], pa.string())
    caps = pa.array(CAPABILITIES, pa.string())
    cap_cdf = np.cumsum(CAPABILITY_WEIGHTS)
    cap_cdf[-1] = 1.0

    start_us = int(start.timestamp() * 1_000_000)
    span_us = days * US_PER_DAY
    schema = pa.schema(
        [
            ("ts", pa.timestamp("us")),
            ("account_id", pa.string()),
            ("capability", pa.string()),
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    n_chunks = -(-rows // CHUNK_ROWS)
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        done = 0
        for i in range(n_chunks):
            n = min(CHUNK_ROWS, rows - done)
            # Each chunk covers its own slice of the window, so the file is sorted by ts.
            lo = start_us + span_us * done // rows
            hi = start_us + span_us * (done + n) // rows
            ts = np.sort(rng.integers(lo, hi, size=n, dtype=np.int64))
            acct = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)
            if i == 0:
                # Guarantee every account appears, so the expected distinct count is exact.
                acct[rng.permutation(n)[:accounts]] = np.arange(accounts, dtype=np.int32)
            cap = np.searchsorted(cap_cdf, rng.random(n), side="right").astype(np.int32)
            table = pa.table(
                {
                    "ts": pa.array(ts, pa.timestamp("us")),
                    "account_id": ids.take(pa.array(acct)),
                    "capability": caps.take(pa.array(cap)),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=CHUNK_ROWS)
            done += n
    os.replace(tmp, path)
    return path


def ensure(rows: int = DEFAULT_ROWS) -> Path:
    """Return the cached log for ``rows`` events, generating it on first use.

    Args:
        rows: number of events.

    Returns:
        Path of the cached Parquet file.
    """
    path = default_path(rows)
    if not path.exists():
        generate(path, rows=rows)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or default_path(args.rows)
    generate(out, rows=args.rows)
    print(out)


if __name__ == "__main__":
    main()
