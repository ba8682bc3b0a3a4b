"""Tests of reporter.evidence on small generated logs.

Expected figures are computed here with plain Python (Counter, sets, statistics),
independently of the engine's numpy code.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter import evidence
from reporter.errors import EvidenceError
from reporter.evidence import EvidenceSummary, detect_format, summarize_log

UTC = timezone.utc
EXPECTED_TS = "expected an ISO 8601 date-time such as 2026-04-22T10:00:00Z; naive values mean UTC"


# --------------------------------------------------------------------------- generated logs


class Event:
    """One generated event: its true UTC instant and how it is written in text formats."""

    def __init__(self, moment: datetime, account: str, capability: str, text: str):
        self.moment = moment
        self.account = account
        self.capability = capability
        self.text = text


def make_events(seed: int, n: int = 3000, days: int = 6) -> list[Event]:
    """Events over ``days`` days, skewed accounts, timestamps naive, Z or with offsets."""
    rng = random.Random(seed)
    base = datetime(2026, 4, 20, tzinfo=UTC)
    zones = [timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=14))]
    events = []
    for i in range(n):
        moment = base + timedelta(seconds=rng.randrange(days * 86400), microseconds=rng.randrange(1_000_000))
        account = f"acct-{int(rng.paretovariate(1.1)) % 97:03d}"
        capability = rng.choice(["chat", "code", "search", "voice"])
        style = i % 4
        if style == 0:  # naive, meaning UTC
            text = moment.replace(tzinfo=None).isoformat(sep=rng.choice("T "))
        elif style == 1:
            text = moment.replace(tzinfo=None).isoformat() + "Z"
        else:  # local time with an offset; near midnight this moves the UTC day
            text = moment.astimezone(rng.choice(zones)).isoformat()
        events.append(Event(moment, account, capability, text))
    return events


def write_csv(path: Path, events: list[Event], with_capability: bool = True) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "account_id"] + (["capability"] if with_capability else []) + ["note"])
        for e in events:
            w.writerow([e.text, e.account] + ([e.capability] if with_capability else []) + ["a, b"])
    return path


def write_jsonl(path: Path, events: list[Event], with_capability: bool = True) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for e in events:
            record: dict[str, Any] = {"account_id": e.account, "ts": e.text, "extra": {"nested": [1, 2]}}
            if with_capability:
                record["capability"] = e.capability
            f.write(json.dumps(record) + "\n")
    return path


def write_parquet(path: Path, events: list[Event], with_capability: bool = True, tz: str | None = None) -> Path:
    moments = [e.moment if tz else e.moment.replace(tzinfo=None) for e in events]
    columns: dict[str, Any] = {
        "ts": pa.array(moments, pa.timestamp("us", tz)),
        "account_id": pa.array([e.account for e in events], pa.string()),
    }
    if with_capability:
        columns["capability"] = pa.array([e.capability for e in events], pa.string())
    pq.write_table(pa.table(columns), path, row_group_size=700)
    return path


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet}


# --------------------------------------------------------------------------- independent expectations


def percentile(values: list[int], q: float) -> float:
    """Linear interpolation between closest ranks, via the standard library."""
    if len(values) == 1:
        return float(values[0])
    if q == 0.5:
        return float(statistics.median(values))
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def distribution(values: list[int]) -> dict[str, Any]:
    return {
        "mean": statistics.fmean(values),
        "median": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": max(values),
    }


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def expected(events: list[Event], with_capability: bool = True) -> dict[str, Any]:
    per_account: Counter[str] = Counter()
    per_pair: Counter[tuple[str, date]] = Counter()
    per_day: Counter[date] = Counter()
    day_accounts: defaultdict[date, set[str]] = defaultdict(set)
    caps: Counter[str] = Counter()
    for e in events:
        day = e.moment.astimezone(UTC).date()
        per_account[e.account] += 1
        per_pair[(e.account, day)] += 1
        per_day[day] += 1
        day_accounts[day].add(e.account)
        caps[e.capability] += 1
    first = min(e.moment for e in events)
    last = max(e.moment for e in events)
    return {
        "interactions": len(events),
        "accounts": len(per_account),
        "first": iso_z(first),
        "last": iso_z(last),
        "window_days": (last - first) / timedelta(days=1),
        "daily": [
            {"date": d.isoformat(), "interactions": per_day[d], "accounts": len(day_accounts[d])} for d in sorted(per_day)
        ],
        "per_account": distribution(list(per_account.values())),
        "per_account_daily": distribution(list(per_pair.values())),
        "by_capability": dict(sorted(caps.items())) if with_capability else {},
    }


def assert_matches(actual: dict[str, Any], want: dict[str, Any]) -> None:
    """Counts, dates and keys exactly; floats to 1e-12 relative (stdlib rounds differently)."""
    assert actual.keys() == want.keys()
    for key in ("interactions", "accounts", "first", "last", "daily", "by_capability"):
        assert actual[key] == want[key], key
    assert actual["window_days"] == pytest.approx(want["window_days"], rel=1e-12)
    for key in ("per_account", "per_account_daily"):
        assert actual[key].keys() == want[key].keys()
        assert actual[key]["max"] == want[key]["max"]
        for stat in ("mean", "median", "p95"):
            assert actual[key][stat] == pytest.approx(want[key][stat], rel=1e-12), (key, stat)


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("with_capability", [True, False])
def test_figures_match_independent_computation(tmp_path: Path, fmt: str, with_capability: bool) -> None:
    events = make_events(seed=7)
    path = WRITERS[fmt](tmp_path / f"events.{fmt}", events, with_capability)

    summary = summarize_log(path)

    assert_matches(summary.as_dict(), expected(events, with_capability))
    assert summary.source == str(path)
    assert summary.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert summary.first.tzinfo is not None and summary.first.utcoffset() == timedelta(0)
    assert [d.date for d in summary.daily] == sorted(d.date for d in summary.daily)


def test_as_dict_shape_and_json(tmp_path: Path) -> None:
    events = make_events(seed=3, n=500)
    summary = summarize_log(write_parquet(tmp_path / "e.parquet", events))
    d = summary.as_dict()
    assert list(d) == [
        "interactions",
        "accounts",
        "first",
        "last",
        "window_days",
        "daily",
        "per_account",
        "per_account_daily",
        "by_capability",
    ]
    assert list(d["per_account"]) == ["mean", "median", "p95", "max"]
    assert d["first"].endswith("Z") and "+" not in d["first"]
    assert json.loads(json.dumps(d)) == d
    assert isinstance(summary, EvidenceSummary)


def test_timezone_aware_parquet_and_offset_strings_agree(tmp_path: Path) -> None:
    events = make_events(seed=11, n=2000)
    aware = summarize_log(write_parquet(tmp_path / "aware.parquet", events, tz="Europe/Paris")).as_dict()
    naive = summarize_log(write_parquet(tmp_path / "naive.parquet", events)).as_dict()
    text = summarize_log(write_csv(tmp_path / "text.csv", events)).as_dict()
    assert aware == naive == text


def test_unsorted_many_batches_and_sparse_mode_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = make_events(seed=5, n=4000, days=40)
    random.Random(1).shuffle(events)
    want = expected(events)
    paths = [WRITERS[fmt](tmp_path / f"e.{fmt}", events) for fmt in WRITERS]
    # Small blocks: many batches per file, day ranges overlapping between batches;
    # Parquet row groups "too big" to read whole, so they are streamed in batches.
    monkeypatch.setattr(evidence, "_TEXT_BLOCK_BYTES", 8 << 10)
    monkeypatch.setattr(evidence, "_MAX_ROW_GROUP_ROWS", 100)
    monkeypatch.setattr(evidence, "_BATCH_ROWS", 256)
    results = [summarize_log(p).as_dict() for p in paths]
    # A tiny dense limit forces the sparse (day, account) pair path.
    monkeypatch.setattr(evidence, "_MAX_DENSE_CELLS", 16)
    results += [summarize_log(p).as_dict() for p in paths]
    # And no per-batch grid: unordered batches are counted by sorting keys.
    monkeypatch.setattr(evidence, "_MAX_BATCH_GRID_CELLS", 0)
    monkeypatch.setattr(evidence, "_TEXT_BLOCK_BYTES", 1 << 20)
    results += [summarize_log(p).as_dict() for p in paths]
    for result in results:
        assert_matches(result, want)
    assert all(r == results[0] for r in results)


def test_day_boundaries_are_utc(tmp_path: Path) -> None:
    lines = [
        "ts,account_id",
        "2026-04-22T23:30:00-02:00,a",  # 2026-04-23 01:30 UTC
        "2026-04-23T00:30:00+02:00,a",  # 2026-04-22 22:30 UTC
        "2026-04-22 23:59:59.999999,b",  # naive: UTC
        "2026-04-23,b",  # a date alone is midnight UTC
    ]
    path = tmp_path / "edges.csv"
    path.write_text("\n".join(lines) + "\n")
    d = summarize_log(path).as_dict()
    assert d["daily"] == [
        {"date": "2026-04-22", "interactions": 2, "accounts": 2},
        {"date": "2026-04-23", "interactions": 2, "accounts": 2},
    ]
    assert d["first"] == "2026-04-22T22:30:00Z"
    assert d["last"] == "2026-04-23T01:30:00Z"
    assert d["window_days"] == pytest.approx(3 / 24)
    assert d["by_capability"] == {}


def test_percentiles_exact_small_cases(tmp_path: Path) -> None:
    # Accounts with 1, 2, 3 and 10 events on one day: median 2.5, p95 = 3 + 0.85 * 7.
    rows = ["ts,account_id,capability"]
    for account, n in (("a", 1), ("b", 2), ("c", 3), ("d", 10)):
        rows += [f"2026-04-22T10:00:{i:02d}Z,{account}," for i in range(n)]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n")
    s = summarize_log(path)
    assert s.per_account == evidence.Distribution(mean=4.0, median=2.5, p95=8.95, max=10)
    assert s.per_account_daily == s.per_account
    assert s.by_capability == {evidence.NO_CAPABILITY: 16}


def test_integer_account_ids_in_jsonl_and_parquet(tmp_path: Path) -> None:
    jsonl = tmp_path / "ids.jsonl"
    jsonl.write_text("".join(json.dumps({"ts": f"2026-04-2{i % 3}T10:00:00Z", "account_id": i % 5}) + "\n" for i in range(30)))
    parquet = tmp_path / "ids.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([datetime(2026, 4, 20 + i % 3, 10) for i in range(30)], pa.timestamp("ms")),
                "account_id": pa.array([i % 5 for i in range(30)], pa.int64()),
            }
        ),
        parquet,
    )
    a, b = summarize_log(jsonl).as_dict(), summarize_log(parquet).as_dict()
    assert a == b
    assert a["accounts"] == 5 and a["interactions"] == 30


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10 * 86400 * 1_000_000 - 1),  # microseconds into the window
            st.integers(min_value=0, max_value=6),  # account
            st.sampled_from([None, 0, 60, -90, 330]),  # offset minutes (None: naive)
        ),
        min_size=1,
        max_size=60,
    )
)
def test_property_random_small_logs(tmp_path: Path, rows: list[tuple[int, int, int | None]]) -> None:
    base = datetime(2026, 4, 20, tzinfo=UTC)
    events = []
    for us, account, offset in rows:
        moment = base + timedelta(microseconds=us)
        if offset is None:
            text = moment.replace(tzinfo=None).isoformat()
        else:
            text = moment.astimezone(timezone(timedelta(minutes=offset))).isoformat()
        events.append(Event(moment, f"a{account}", "chat", text))
    path = write_csv(tmp_path / "p.csv", events)
    assert_matches(summarize_log(path).as_dict(), expected(events))


def test_jsonl_capability_absent_from_first_record(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text(
        '{"ts": "2026-04-22T10:00:00Z", "account_id": "a"}\n'
        '{"ts": "2026-04-22T11:00:00Z", "account_id": "b", "capability": "code"}\n'
    )
    assert summarize_log(path).by_capability == {evidence.NO_CAPABILITY: 1, "code": 1}
    none = tmp_path / "none.jsonl"
    none.write_text('{"ts": "2026-04-22T10:00:00Z", "account_id": "a"}\n')
    assert summarize_log(none).by_capability == {}


def test_detect_format() -> None:
    assert detect_format("x.parquet") == "parquet"
    assert detect_format("x.PQ") == "parquet"
    assert detect_format(Path("a/b.csv")) == "csv"
    assert detect_format("x.jsonl") == "jsonl"
    assert detect_format("x.ndjson") == "jsonl"


# --------------------------------------------------------------------------- errors


def error_of(path: str, **kwargs: Any) -> str:
    with pytest.raises(EvidenceError) as info:
        summarize_log(path, **kwargs)
    return str(info.value)


def test_error_missing_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("events.csv").write_text("ts,user\n2026-04-22T10:00:00Z,a\n")
    assert error_of("events.csv") == 'events.csv: missing column "account_id" (columns found: ts, user)'
    Path("events.jsonl").write_text('{"when": "2026-04-22", "account_id": "a"}\n')
    assert error_of("events.jsonl") == 'events.jsonl: missing column "ts" (columns found: when, account_id)'
    pq.write_table(pa.table({"time": [1], "account_id": ["a"]}), "events.parquet")
    assert error_of("events.parquet") == 'events.parquet: missing column "ts" (columns found: time, account_id)'


def test_error_unparseable_timestamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("events.csv").write_text(
        "ts,account_id\n2026-04-22T10:00:00Z,a\n2026-04-22T11:00:00,b\nyesterday,c\n2026-04-22T12:00:00+02:00,d\n"
    )
    assert error_of("events.csv") == f'events.csv: row 3: unparseable timestamp "yesterday" in column "ts"; {EXPECTED_TS}'
    Path("events.jsonl").write_text(
        '{"ts": "2026-04-22T10:00:00Z", "account_id": "a"}\n{"ts": "2026-13-01", "account_id": "a"}\n'
    )
    assert error_of("events.jsonl") == f'events.jsonl: row 2: unparseable timestamp "2026-13-01" in column "ts"; {EXPECTED_TS}'


def test_error_missing_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("events.csv").write_text("ts,account_id\n2026-04-22T10:00:00Z,a\n2026-04-22T10:00:00Z,\n")
    assert error_of("events.csv") == 'events.csv: row 2: missing value in column "account_id"'
    Path("ts.csv").write_text("ts,account_id\n2026-04-22T10:00:00Z,a\n,b\n")
    assert error_of("ts.csv") == f'ts.csv: row 2: missing timestamp in column "ts"; {EXPECTED_TS}'


def test_error_empty_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = "empty log (no events; expected at least one row with ts and account_id)"
    Path("header.csv").write_text("ts,account_id\n")
    assert error_of("header.csv") == f"header.csv: {message}"
    Path("blank.csv").write_text("")
    assert error_of("blank.csv") == f"blank.csv: {message}"
    Path("blank.jsonl").write_text("\n\n")
    assert error_of("blank.jsonl") == f"blank.jsonl: {message}"
    pq.write_table(pa.table({"ts": pa.array([], pa.timestamp("us")), "account_id": pa.array([], pa.string())}), "e.parquet")
    assert error_of("e.parquet") == f"e.parquet: {message}"


def test_error_unknown_suffix_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("events.txt").write_text("ts,account_id\n")
    assert error_of("events.txt") == (
        'events.txt: unknown log format (".txt"); expected .parquet, .pq, .csv, .jsonl or .ndjson'
    )
    assert error_of("missing.csv") == "missing.csv: no such file"
    Path("dir.csv").mkdir()
    assert error_of("dir.csv") == "dir.csv: not a file"


def test_error_bad_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.jsonl").write_text('{"ts": "2026-04-22T10:00:00Z", "account_id": "a"}\n{"ts": "2026-04-22T10:00:00Z", "acc\n')
    assert error_of("bad.jsonl").startswith("bad.jsonl: line 2: not valid JSON")
    Path("kind.jsonl").write_text('{"ts": 1776851200, "account_id": "a"}\n')
    assert error_of("kind.jsonl") == (
        f'kind.jsonl: line 1: column "ts": {EXPECTED_TS}, as a JSON string (found a number)'
    )
    Path("bad.parquet").write_bytes(b"not parquet at all")
    assert error_of("bad.parquet").startswith("bad.parquet: not a readable Parquet file")
    pq.write_table(pa.table({"ts": [1.5], "account_id": ["a"]}), "float.parquet")
    assert error_of("float.parquet") == f'float.parquet: column "ts" holds double values; {EXPECTED_TS}'


def test_error_engine_options(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", make_events(seed=1, n=10))
    assert error_of(str(path), engine="spark").endswith('unknown engine "spark"; expected "local" or "dask"')
    assert error_of(str(path), scheduler="tcp://127.0.0.1:1").endswith(
        "a scheduler address needs the dask engine (--engine dask)"
    )


# --------------------------------------------------------------------------- Dask engine


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")  # inside dask
def test_dask_engine_agrees_exactly_with_local(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    events = make_events(seed=13, n=4000, days=9)
    random.Random(2).shuffle(events)
    want = expected(events)
    for fmt, writer in WRITERS.items():
        path = writer(tmp_path / f"events.{fmt}", events)
        local = summarize_log(path)
        dask = summarize_log(path, engine="dask")
        assert dask == local, fmt
        assert dask.as_dict() == local.as_dict(), fmt
        assert_matches(dask.as_dict(), want)


@pytest.mark.slow
def test_dask_engine_with_scheduler_address(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    path = write_csv(tmp_path / "events.csv", make_events(seed=17, n=1000))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        via_address = summarize_log(path, engine="dask", scheduler=cluster.scheduler_address)
    assert via_address == summarize_log(path)
    message = error_of(str(path), engine="dask", scheduler="nonsense")
    assert message.endswith('invalid Dask scheduler address "nonsense" '
                            "(missing port number in address 'nonsense'); expected e.g. tcp://HOST:8786")


@pytest.mark.slow
def test_dask_engine_reports_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    Path("events.csv").write_text("ts,user\n2026-04-22T10:00:00Z,a\n")
    assert error_of("events.csv", engine="dask") == 'events.csv: missing column "account_id" (columns found: ts, user)'
    Path("bad.csv").write_text("ts,account_id\n2026-04-22T10:00:00Z,a\nyesterday,c\n")
    assert error_of("bad.csv", engine="dask") == f'bad.csv: unparseable timestamp "yesterday" in column "ts"; {EXPECTED_TS}'


# --------------------------------------------------------------------------- hostile logs

GOOD = '{"ts": "2026-04-22T10:00:00Z", "account_id": "a"}\n'


def test_error_jsonl_names_the_line_and_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cases = {
        '{"ts": "2026-04-22T10:00:00Z" "account_id": "a"}': 'line 2: not valid JSON (Expecting \',\' delimiter at column 31)',
        '[1, 2]': "line 2: expected an object with ts and account_id, found an array",
        '"ts"': "line 2: expected an object with ts and account_id, found a string",
        '{"ts": "2026-04-22T10:00:00Z", "account_id": NaN}': "line 2: not valid JSON (NaN is not a JSON value)",
        '{"ts": "2026-04-22T10:00:00Z", "account_id": "a", "ts": "x"}': 'line 2: key "ts" appears twice in one object',
        '{"ts": "2026-04-22T10:00:00Z", "account_id": true}': (
            'line 2: column "account_id": expected a string or an integer, found true'
        ),
        '{"ts": "2026-04-22T10:00:00Z", "account_id": 7}': (
            'line 2: column "account_id" mixes strings and integers; expected one kind'
        ),
        '{"ts": ["2026-04-22"], "account_id": "a"}': f'line 2: column "ts": {EXPECTED_TS}, as a JSON string (found an array)',
        # Python's json takes a lone surrogate; pyarrow does not, and the line is still found.
        '{"ts": "2026-04-22T10:00:00Z", "account_id": "\\ud800"}': (
            "line 2: not valid JSON Lines (JSON parse error: The surrogate pair in string is invalid.)"
        ),
    }
    for line, want in cases.items():
        Path("e.jsonl").write_text(GOOD + line + "\n" + GOOD)
        assert error_of("e.jsonl") == f"e.jsonl: {want}", line
    # The first record is checked on its own (it names the columns) with the same reasons.
    Path("e.jsonl").write_text('{"ts": "x", "ts": "y", "account_id": "a"}\n')
    assert error_of("e.jsonl") == 'e.jsonl: line 1: key "ts" appears twice in one object'
    Path("e.jsonl").write_text('\n{"ts": "2026-04-22T10:00:00Z", "account_id": -Infinity}\n')
    assert error_of("e.jsonl") == "e.jsonl: line 2: not valid JSON (-Infinity is not a JSON value)"
    # Integers beyond 64 bits, after a block of them, and after blank lines: still the right line.
    Path("e.jsonl").write_text(
        '{"ts": "2026-04-22T10:00:00Z", "account_id": 1}\n\n\n'
        '{"ts": "2026-04-22T10:00:00Z", "account_id": 123456789012345678901234567890}\n'
    )
    assert error_of("e.jsonl") == (
        'e.jsonl: line 4: column "account_id": integer out of the 64-bit range; write such an id as a string'
    )


def test_error_jsonl_line_number_in_a_later_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(evidence, "_TEXT_BLOCK_BYTES", 4096)
    monkeypatch.setattr(evidence, "MAX_LINE_BYTES", 1024)
    Path("e.jsonl").write_text(GOOD * 500 + '{"ts": "2026-04-22T10:00:00Z", "account_id": "a",}\n' + GOOD)
    assert error_of("e.jsonl") == "e.jsonl: line 501: not valid JSON (Expecting property name enclosed in double quotes at column 50)"


def test_error_csv_names_the_row_and_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = "2026-04-22T10:00:00Z,a\n" * 1000
    Path("e.csv").write_text("ts,account_id\n" + body + "2026-04-22T10:00:00Z,a,extra\n" + body)
    assert error_of("e.csv") == "e.csv: row 1001: expected 2 columns as in the header, found 3"
    Path("e.csv").write_text("ts,account_id\n" + body + "2026-04-22T10:00:00Z\n")
    assert error_of("e.csv") == "e.csv: row 1001: expected 2 columns as in the header, found 1"
    Path("e.csv").write_bytes(b"ts,account_id\xff\n2026-04-22T10:00:00Z,a\n")
    assert error_of("e.csv") == "e.csv: line 1: not UTF-8 text; expected CSV"


def test_error_duplicate_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("e.csv").write_text("ts,account_id,ts\n2026-04-22T10:00:00Z,a,yesterday\n")
    assert error_of("e.csv") == (
        'e.csv: column "ts" appears 2 times (columns found: ts, account_id, ts); expected each column once'
    )
    Path("e.csv").write_text("ts,account_id,capability,note,capability\n2026-04-22T10:00:00Z,a,x,y,z\n")
    assert error_of("e.csv").startswith('e.csv: column "capability" appears 2 times')
    # Columns that are not read may repeat.
    Path("ok.csv").write_text("ts,account_id,note,note\n2026-04-22T10:00:00Z,a,x,y\n")
    assert summarize_log("ok.csv").interactions == 1
    table = pa.Table.from_arrays(
        [pa.array(["2026-04-22T10:00:00Z"]), pa.array(["a"]), pa.array(["b"])], names=["ts", "account_id", "account_id"]
    )
    pq.write_table(table, "e.parquet")
    assert error_of("e.parquet") == (
        'e.parquet: column "account_id" appears 2 times (columns found: ts, account_id, account_id); '
        "expected each column once"
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_line_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(evidence, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(evidence, "_TEXT_BLOCK_BYTES", 256)  # long lines straddle blocks
    cap = "line too long (over 100 bytes, the limit for one line)"
    if fmt == "csv":
        head, row = "ts,account_id\n", "2026-04-22T10:00:00Z,{}\n"
    else:
        head, row = "", '{{"ts": "2026-04-22T10:00:00Z", "account_id": "{}"}}\n'
    pad = 100 - len(row.format(""))
    # A line of exactly the cap (newline excluded) is read; one byte more is refused.
    Path(f"ok.{fmt}").write_text(head + row.format("a") * 30 + row.format("b" * (pad + 1)) + row.format("c") * 30)
    assert summarize_log(f"ok.{fmt}").accounts == 3
    first = 2 if fmt == "csv" else 1
    for at in (0, 5, 29):
        Path(f"e.{fmt}").write_text(head + row.format("a") * at + row.format("b" * (pad + 2)) + row.format("c") * 30)
        assert error_of(f"e.{fmt}") == f"e.{fmt}: line {first + at}: {cap}", at
    # A last line without a newline, and a header or first record without one.
    Path(f"e.{fmt}").write_text(head + row.format("a") * 3 + "x" * 101)
    assert error_of(f"e.{fmt}") == f"e.{fmt}: line {first + 3}: {cap}"
    Path(f"e.{fmt}").write_text("x" * 5000)
    assert error_of(f"e.{fmt}") == f"e.{fmt}: line 1: {cap}"


HUGE_LINE_SCRIPT = r"""
import json, os, resource, sys, time
from reporter.evidence import summarize_log
from reporter.errors import EvidenceError

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

small, huge = sys.argv[1:3]
summarize_log(small)  # loads every module and reader the huge file needs
before = peak()
start = time.perf_counter()
try:
    summarize_log(huge)
    message = None
except EvidenceError as e:
    message = str(e)
print(json.dumps({"message": message, "seconds": time.perf_counter() - start, "grew": peak() - before}))
"""


def run_isolated(small: Path, huge: Path) -> dict[str, Any]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", HUGE_LINE_SCRIPT, str(small), str(huge)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_huge_lines_fail_fast_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    events = make_events(seed=3, n=50)
    small = WRITERS[fmt](tmp_path / f"small.{fmt}", events)
    # A 2 GiB file without a newline (sparse: zeros cost no disk), refused at line 1
    # without reading it whole, nor hashing it.
    zeros = tmp_path / f"zeros.{fmt}"
    with open(zeros, "wb") as f:
        f.truncate(2 << 30)
    got = run_isolated(small, zeros)
    want = f"{zeros}: line 1: line too long (over 1 MiB, the limit for one line)"
    assert (got["message"], got["grew"] < 8 << 20, got["seconds"] < 2) == (want, True, True), got
    # Good lines, then a 300 MiB line written in chunks: refused at its line after one block.
    long = WRITERS[fmt](tmp_path / f"long.{fmt}", events)
    with open(long, "ab") as f:
        f.write(b'2026-04-22T10:00:00Z,"' if fmt == "csv" else b'{"ts": "2026-04-22T10:00:00Z", "account_id": "')
        chunk = b"x" * (1 << 20)
        for _ in range(300):
            f.write(chunk)
        f.write(b'"\n' if fmt == "csv" else b'"}\n')
    got = run_isolated(small, long)
    line = len(events) + (2 if fmt == "csv" else 1)
    want = f"{long}: line {line}: line too long (over 1 MiB, the limit for one line)"
    # Memory grows by a block or two, not by the 300 MiB line.
    assert (got["message"], got["grew"] < 64 << 20, got["seconds"] < 5) == (want, True, True), got


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_dask_partitions_split_lines_and_cap_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    events = make_events(seed=23, n=600, days=3)
    path = WRITERS[fmt](tmp_path / f"events.{fmt}", events)
    # Partitions of a few lines each, cut at every kind of place in a line.
    for block in (97, 1000, 4099):
        monkeypatch.setattr(evidence, "_DASK_BLOCK_BYTES", block)
        assert summarize_log(path, engine="dask") == summarize_log(path), block
    monkeypatch.setattr(evidence, "_DASK_BLOCK_BYTES", 1000)
    monkeypatch.setattr(evidence, "MAX_LINE_BYTES", 300)
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(400, lines[400].rstrip("\n") + " " * 5000 + "\n")  # spans several partitions
    path.write_text("".join(lines))
    assert error_of(str(path), engine="dask") == f"{path}: line 401: line too long (over 300 bytes, the limit for one line)"
