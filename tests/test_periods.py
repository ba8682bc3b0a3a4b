"""Periods: which incidents are active in a year, quarter or month (a brief's period filter),
how `reporter metrics` groups by period and says so, and ongoing windows measured to --as-of."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from reporter.cli import app
from reporter.errors import DateError
from reporter.metrics import (
    AS_OF_METRICS,
    active_in,
    collection_metrics,
    incident_metrics,
    period_bounds,
    period_rule,
)
from reporter.quantities import Quantity
from reporter.records import Incident

ROOT = Path(__file__).parent.parent
SEED = ROOT / "incidents" / "2026-06-distillation-campaign.yaml"
runner = CliRunner()


def incident(window: dict | None = None, timeline: dict | None = None, **figures: object) -> Incident:
    data: dict = {"id": "x", "title": "t", "category": "c"}
    if window is not None:
        data["window"] = window
    if timeline is not None:
        data["timeline"] = {name: {"at": at} for name, at in timeline.items()}
    if figures:
        data["figures"] = figures
    return Incident.model_validate(data)


# -- active_in -------------------------------------------------------------------------------------


def test_period_bounds() -> None:
    assert period_bounds("2026-Q2") == (datetime(2026, 4, 1, tzinfo=UTC),
                                        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC))
    assert period_bounds("2026-02") == (datetime(2026, 2, 1, tzinfo=UTC),
                                        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC))
    assert period_bounds("2026") == (datetime(2026, 1, 1, tzinfo=UTC),
                                     datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "2026-00", "26", "2026-q2", "Q2 2026", ""])
def test_period_bounds_rejects(bad: str) -> None:
    with pytest.raises(DateError) as err:
        period_bounds(bad)
    assert str(err.value) == (f'not a period: {bad!r}: expected a year "2026", a quarter "2026-Q2" or a month '
                              '"2026-05"')


def test_window_spanning_q1_and_q2_is_in_both() -> None:
    spanning = incident({"start": "2026-03-10", "end": "2026-04-20"})
    assert active_in(spanning, "2026-Q1") and active_in(spanning, "2026-Q2")
    assert active_in(spanning, "2026-03") and active_in(spanning, "2026-04")
    assert not active_in(spanning, "2026-02") and not active_in(spanning, "2026-05")
    assert not active_in(spanning, "2026-Q3") and not active_in(spanning, "2025")
    assert active_in(spanning, "2026")


def test_window_edges_are_inclusive_and_in_utc() -> None:
    ends_on_first_day = incident({"start": "2026-02-10", "end": "2026-04-01"})
    assert active_in(ends_on_first_day, "2026-Q2")
    starts_on_last_day = incident({"start": "2026-03-31", "end": "2026-05-01"})
    assert active_in(starts_on_last_day, "2026-Q1")
    # 2026-03-31 21:00 in New York is April 1 in UTC: not in Q1.
    late_evening = incident({"start": "2026-03-31T21:00:00-04:00", "end": "2026-04-02T10:00:00Z"})
    assert not active_in(late_evening, "2026-Q1") and active_in(late_evening, "2026-Q2")


def test_month_precision_overlaps_by_the_span_it_can_mean() -> None:
    months = incident({"start": "2026-03", "end": "2026-04"})
    assert active_in(months, "2026-Q1") and active_in(months, "2026-Q2")
    assert active_in(months, "2026-03") and active_in(months, "2026-04")
    assert not active_in(months, "2026-02") and not active_in(months, "2026-05")
    one_month = incident({"start": "2023-05", "end": "2023-05"})
    assert active_in(one_month, "2023-Q2") and not active_in(one_month, "2023-Q3")
    year = incident({"start": "2025", "end": "2025"})
    assert all(active_in(year, f"2025-Q{q}") for q in range(1, 5))
    assert not active_in(year, "2026-Q1")


def test_no_window_any_timeline_event_in_the_period() -> None:
    events = incident(timeline={"detected": "2026-02-14", "reported": "2026-04-03"})
    assert active_in(events, "2026-Q1") and active_in(events, "2026-Q2")
    assert active_in(events, "2026-02") and active_in(events, "2026-04")
    assert not active_in(events, "2026-03")  # nothing happened in March
    partial = incident(timeline={"detected": "2026-05"})
    assert active_in(partial, "2026-Q2") and active_in(partial, "2026-05") and not active_in(partial, "2026-06")
    assert not active_in(incident(), "2026") and not active_in(incident(timeline={}), "2026-Q2")


def test_ongoing_window_is_active_to_as_of_else_open() -> None:
    ongoing = incident({"start": "2026-05-14", "end": None})
    assert not active_in(ongoing, "2026-Q1")
    assert active_in(ongoing, "2026-Q2") and active_in(ongoing, "2027-Q4")  # open: every period from its start
    assert active_in(ongoing, "2026-Q2", as_of=date(2026, 6, 12))
    assert not active_in(ongoing, "2026-Q3", as_of=date(2026, 6, 12))
    assert active_in(ongoing, "2026-07", as_of=date(2026, 7, 1))  # as_of is the whole day
    assert not active_in(ongoing, "2026-07", as_of=datetime(2026, 6, 30, 23, 0, tzinfo=UTC))
    assert not active_in(ongoing, "2026-Q2", as_of=date(2026, 5, 1))  # not begun by then
    with pytest.raises(DateError, match="needs an offset"):
        active_in(ongoing, "2026-Q2", as_of=datetime(2026, 6, 1))


_DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(_DAYS, st.integers(min_value=0, max_value=500), st.sampled_from(["day", "month"]),
       st.integers(min_value=2024, max_value=2027))
def test_active_in_agrees_across_period_sizes(start: date, length: int, precision: str, year: int) -> None:
    """Active in a year iff in one of its quarters, in a quarter iff in one of its months; and
    for whole days, exactly when some day of the window is in the period."""
    end = start + timedelta(days=length)
    as_text = (lambda d: d.isoformat()) if precision == "day" else (lambda d: f"{d:%Y-%m}")
    record = incident({"start": as_text(start), "end": as_text(end)})
    quarters = {q: active_in(record, f"{year}-Q{q}") for q in range(1, 5)}
    months = {m: active_in(record, f"{year}-{m:02d}") for m in range(1, 13)}
    assert active_in(record, str(year)) == any(quarters.values())
    for q, active in quarters.items():
        assert active == any(months[m] for m in range(3 * q - 2, 3 * q + 1))
    if precision == "day":
        for m, active in months.items():
            first = date(year, m, 1)
            last = (date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)) - timedelta(days=1)
            assert active == (start <= last and end >= first)


# -- ongoing windows measured to an as-of date -----------------------------------------------------


def test_ongoing_window_measured_to_as_of() -> None:
    ongoing = incident({"start": "2026-05-14", "end": None}, interactions=29_000, accounts=100)
    unmeasured = incident_metrics(ongoing)
    assert unmeasured.as_of is None
    assert unmeasured.derived["window_days"] == Quantity.unknown("the window is ongoing: it has no end date", "days")
    measured = incident_metrics(ongoing, as_of=date(2026, 6, 12))
    assert measured.as_of == date(2026, 6, 12)
    assert measured.derived["window_days"] == Quantity.exact(29, "days")  # an ordinary quantity: equality as ever
    assert measured.derived["daily_rate"] == Quantity.exact(1000, "per day")
    assert measured.derived["per_account_daily_rate"] == Quantity.exact(10, "per account per day")
    assert [name for name in measured.all() if measured.as_of_for(name)] == list(AS_OF_METRICS)
    assert measured.as_of_for("per_account") is None and measured.as_of_for("interactions") is None
    # A closed window depends on no as-of date.
    closed = incident_metrics(incident({"start": "2026-05-14", "end": "2026-06-01"}), as_of=date(2026, 6, 12))
    assert closed.as_of is None and closed.derived["window_days"] == Quantity.exact(18, "days")
    # An as-of date before the start measures nothing.
    early = incident_metrics(ongoing, as_of=date(2026, 5, 1))
    assert early.as_of is None and early.derived["window_days"].reason == (
        "the window is ongoing and starts after the as-of date 2026-05-01")


def test_collection_as_of_reaches_each_incident() -> None:
    ongoing = incident({"start": "2026-05-14", "end": None}, interactions=29_000)
    metrics = collection_metrics([ongoing], as_of=date(2026, 6, 12))
    assert metrics.as_of == date(2026, 6, 12) and metrics.ongoing == 1
    assert metrics.incidents["x"].derived["window_days"] == Quantity.exact(29, "days")
    assert metrics.active_days == Quantity.exact(30, "days")
    # An as-of date before an ongoing window's start adds no active days (it used to subtract).
    assert collection_metrics([ongoing], as_of=date(2026, 5, 1)).active_days == Quantity.exact(0, "days")


# -- the command line ------------------------------------------------------------------------------

RULE_QUARTER = ("By quarter: each incident counts once, in the quarter its window starts in (else that of its "
                "earliest dated event), so the groups add up to the collection; a brief's period selects every "
                "incident active in the quarter, including those begun earlier.")


def test_period_rule_words() -> None:
    assert period_rule(["quarter"]) == RULE_QUARTER
    assert period_rule(["actor", "month", "year"]) == (
        "By year and month: each incident counts once, in the period its window starts in (else that of its "
        "earliest dated event), so the groups add up to the collection; a brief's period selects every incident "
        "active in the period, including those begun earlier.")
    assert period_rule(["actor", "category"]) is None


def test_metrics_by_quarter_states_its_rule() -> None:
    result = runner.invoke(app, ["metrics", "--no-cache", "--by", "quarter", str(SEED)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["Window convention: elapsed (window days = end − start)", RULE_QUARTER, ""]
    plain = runner.invoke(app, ["metrics", "--no-cache", "--by", "actor", str(SEED)])
    assert plain.exit_code == 0 and "counts once" not in plain.output and "As of" not in plain.output


def _ongoing_seed(tmp_path: Path) -> Path:
    text = SEED.read_text(encoding="utf-8").replace("  start: 2026-04-22\n  end: 2026-06-05\n",
                                                     "  start: 2026-05-14\n  end: null\n")
    assert "end: null" in text
    path = tmp_path / "ongoing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_metrics_as_of_measures_ongoing_windows(tmp_path: Path) -> None:
    path = _ongoing_seed(tmp_path)
    result = runner.invoke(app, ["metrics", "--no-cache", "--as-of", "2026-06-12", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == ('As of 2026-06-12: 1 ongoing window is measured to this date; its window_days and rates '
                        'are marked "as of 2026-06-12", and active days and peak concurrency count it to this date.')
    assert "  window_days               29 days (as of 2026-06-12)" in lines
    assert "  daily_rate                about 993,000 per day (as of 2026-06-12)" in lines
    assert "  per_account_daily_rate    about 40 per account per day (as of 2026-06-12)" in lines
    assert "  per_account               about 1,200 per account" in lines  # depends on no date
    assert "  active days         30 days" in lines
    without = runner.invoke(app, ["metrics", "--no-cache", str(path)])
    assert without.exit_code == 0
    assert "  window_days               not computable (the window is ongoing: it has no end date)" in \
        without.output.splitlines()
    assert "as of" not in without.output.lower()


def test_metrics_as_of_json_and_cache(tmp_path: Path) -> None:
    path = _ongoing_seed(tmp_path)
    for _ in range(2):  # the second run comes from the cache, which keys on --as-of
        result = runner.invoke(app, ["metrics", "--format", "json", "--as-of", "2026-06-12", str(path)])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["as_of"] == "2026-06-12"
        seed = data["incidents"]["distillation-2026-q2"]
        assert seed["window_days"]["value"] == 29 and seed["window_days"]["as_of"] == "2026-06-12"
        assert {name for name, q in seed.items() if "as_of" in q} == set(AS_OF_METRICS)
    other = json.loads(runner.invoke(app, ["metrics", "--format", "json", "--as-of", "2026-06-20", str(path)]).output)
    assert other["incidents"]["distillation-2026-q2"]["window_days"]["value"] == 37
    plain = json.loads(runner.invoke(app, ["metrics", "--format", "json", str(path)]).output)
    assert "as_of" not in plain and plain["incidents"]["distillation-2026-q2"]["window_days"]["value"] is None


def test_metrics_as_of_without_ongoing_windows() -> None:
    result = runner.invoke(app, ["metrics", "--no-cache", "--as-of", "2026-06-12", str(SEED)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "As of 2026-06-12: no window is ongoing, so no figure depends on this date."
    assert "(as of" not in result.output


@pytest.mark.parametrize(("value", "message"), [
    ("2026-06", "--as-of: expected a date such as 2026-06-12, not '2026-06'"),
    ("2026-06-12T10:00:00Z", "--as-of: expected a date such as 2026-06-12, not '2026-06-12T10:00:00Z'"),
    ("June 12", "--as-of: not a date: expected a date (2026-04-22), a month (2023-05), a year (2020) or an ISO "
                "datetime with offset (2026-04-22T09:30:00Z)"),
])
def test_metrics_as_of_rejects_what_is_no_date(value: str, message: str) -> None:
    result = runner.invoke(app, ["metrics", "--no-cache", "--as-of", value, str(SEED)])
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_metrics_as_of_reads_the_same_on_the_worker_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporter import parallel
    from reporter.fast import SWITCH

    text = _ongoing_seed(tmp_path).read_text(encoding="utf-8")
    directory = tmp_path / "many"
    directory.mkdir()
    for index in range(parallel.PARALLEL_THRESHOLD + 10):
        (directory / f"{index:04d}.yaml").write_text(
            text.replace("id: distillation-2026-q2", f"id: ongoing-{index:04d}"), encoding="utf-8")
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    outputs = []
    for fast in (False, True):
        if fast:
            monkeypatch.delenv(SWITCH, raising=False)
        else:
            monkeypatch.setenv(SWITCH, "1")
        for format in ("table", "json"):
            result = runner.invoke(app, ["metrics", "--no-cache", "--format", format, "--by", "quarter",
                                         "--as-of", "2026-06-12", str(directory)])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    assert outputs[:2] == outputs[2:]
    assert "  window_days               29 days (as of 2026-06-12)" in outputs[0].splitlines()
    assert outputs[0].splitlines()[1].startswith("As of 2026-06-12: 510 ongoing windows are measured to this date;")
