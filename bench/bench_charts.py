"""Benchmark chart export: each kind to SVG and PNG, first call and warm.

The first export in a process starts vl-convert's JavaScript engine, so "first" is timed in a
fresh subprocess (the chart is built there before the clock starts; the lazy import of
vl-convert counts, as it would for a user). "warm" is the median of three exports in this
process after one untimed export. Charts are drawn from the example records in
``incidents/`` and, for ``daily-volume``, a generated 44-day evidence summary.

Usage::

    .venv/bin/python bench/bench_charts.py          # prints one line per case

``run()`` returns the rows for ``bench/run.py``: ``{"case": "chart by-actor svg first", "seconds": x}``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("svg", "png")
WARM_REPEATS = 3


def _chart(kind: str) -> Any:
    """The example chart of a kind."""
    from reporter.charts import build_chart
    from reporter.evidence import DailyCount, Distribution, EvidenceSummary
    from reporter.metrics import Settings, collection_metrics
    from reporter.records import load_collection

    incidents = list(load_collection([ROOT / "incidents"]))
    settings = Settings()
    daily = [DailyCount(date(2026, 4, 22) + timedelta(days=n), 600_000 + 7_919 * (n % 11), 9_000 + 97 * (n % 13))
             for n in range(45)]
    flat = Distribution(1.0, 1.0, 1.0, 1)
    summary = EvidenceSummary(
        interactions=sum(d.interactions for d in daily), accounts=25_000,
        first=datetime(2026, 4, 22, tzinfo=UTC), last=datetime(2026, 6, 5, tzinfo=UTC), window_days=44.0,
        daily=daily, per_account=flat, per_account_daily=flat, by_capability={}, source="generated", sha256="0" * 64,
    )
    chart = build_chart(kind, incidents, collection_metrics(incidents, settings), settings, summary)
    if chart is None:
        raise SystemExit(f"the example data gives no {kind} chart")
    return chart


def _export(chart: Any, fmt: str) -> float:
    """Seconds one export takes."""
    from reporter.charts import to_png, to_svg

    start = time.perf_counter()
    if fmt == "svg":
        to_svg(chart)
    else:
        to_png(chart)
    return time.perf_counter() - start


def _first(kind: str, fmt: str) -> float:
    """Seconds of the first export in a fresh process."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--first", kind, fmt], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"chart {kind} {fmt}: the first-export worker failed:\n{proc.stderr}")
    return float(json.loads(proc.stdout)["seconds"])


def run() -> list[dict[str, Any]]:
    """Time every kind's SVG and PNG export, first (fresh process) and warm.

    Returns:
        Rows ``{"case": "chart KIND FORMAT first|warm", "seconds": x}``.
    """
    from reporter.charts import KINDS

    rows: list[dict[str, Any]] = []
    for kind in KINDS:
        for fmt in FORMATS:
            rows.append({"case": f"chart {kind} {fmt} first", "seconds": _first(kind, fmt)})
    for kind in KINDS:
        chart = _chart(kind)
        for fmt in FORMATS:
            _export(chart, fmt)
            warm = statistics.median(_export(chart, fmt) for _ in range(WARM_REPEATS))
            rows.append({"case": f"chart {kind} {fmt} warm", "seconds": warm})
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--first"]:
        kind, fmt = sys.argv[2], sys.argv[3]
        print(json.dumps({"seconds": _export(_chart(kind), fmt)}))
    else:
        for row in run():
            print(f"{row['case']:<40} {row['seconds']:8.3f} s")
