"""Write the example evidence log cited by incidents/2025-prompt-injection.json (synthetic)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TARGET = Path(__file__).resolve().parent.parent / "incidents" / "logs" / "tool-injection-2025.parquet"


def main() -> None:
    rng = random.Random(2025)
    start = datetime(2025, 8, 4, tzinfo=timezone.utc)
    span = (datetime(2025, 9, 15, 23, 0, tzinfo=timezone.utc) - start).total_seconds()
    accounts = [f"acct-{n:04d}" for n in range(310)]
    rows = sorted(
        (start + timedelta(seconds=rng.uniform(0, span)), accounts[n % 310] if n < 310 else rng.choice(accounts),
         rng.choice(["tool use", "browsing", "code execution"]))
        for n in range(4812)
    )
    table = pa.table({
        "ts": pa.array([r[0].replace(microsecond=0) for r in rows], pa.timestamp("us", tz="UTC")),
        "account_id": [r[1] for r in rows],
        "capability": [r[2] for r in rows],
    })
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, TARGET, compression="zstd")


if __name__ == "__main__":
    main()
