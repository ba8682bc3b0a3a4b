"""Metrics: the seed case's figures, sound totals, breakdowns, and the JSON interface."""

from __future__ import annotations

import re

from reporter.dates import parse_when

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reporter.cli import app
from reporter.dates import WindowConvention
from reporter.metrics import Settings, collection_metrics, incident_metrics
from reporter.quantities import Qualifier
from reporter.records import Incident, load_collection
from tests.datasets import ATLAS, KEV, atlas_records, kev_records, slug

ROOT = Path(__file__).parent.parent
INCIDENTS = ROOT / "incidents"
SEED = INCIDENTS / "2026-06-distillation-campaign.yaml"
runner = CliRunner()


def _metrics_json(*args: str) -> dict:
    result = runner.invoke(app, ["metrics", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_seed_elapsed() -> None:
    seed = _metrics_json(str(SEED))["incidents"]["distillation-2026-q2"]
    assert seed["window_days"]["value"] == 44 and seed["window_days"]["qualifier"] == "exact"
    assert seed["daily_rate"]["value"] == pytest.approx(654_545.45, abs=0.01)
    assert seed["per_account"]["value"] == 1152
    assert seed["per_account_daily_rate"]["value"] == pytest.approx(26.18, abs=0.005)
    for name in ("daily_rate", "per_account", "per_account_daily_rate"):
        assert seed[name]["phrase"].startswith("about "), seed[name]
    assert seed["daily_rate"]["phrase"] == "about 655,000 per day"
    assert seed["per_account"]["qualifier"] == "about"
    assert seed["per_account_daily_rate"]["phrase"] == "about 26 per account per day"
    assert seed["interactions"]["phrase"] == "28.8 million"
    assert seed["accounts"]["phrase"] == "about 25,000"


def test_seed_inclusive() -> None:
    data = _metrics_json("--window-convention", "inclusive", str(SEED))
    assert data["convention"] == {"window": "inclusive"}
    seed = data["incidents"]["distillation-2026-q2"]
    assert seed["window_days"]["value"] == 45
    assert seed["daily_rate"]["value"] == pytest.approx(640_000)
    assert seed["per_account_daily_rate"]["value"] == pytest.approx(25.6)


def test_lower_bound_breakdown_sums_and_missing_window() -> None:
    data = _metrics_json(str(INCIDENTS / "2026-02-distillation-campaigns.yaml"), "--by", "actor")
    incident = data["incidents"]["distillation-2026-q1"]
    assert incident["daily_rate"]["value"] is None
    assert incident["daily_rate"]["qualifier"] == "unknown"
    assert incident["daily_rate"]["reason"] == "no window: needs a start and an end"
    actors = data["collection"]["by_actor"]
    assert {name: a["interactions"]["phrase"] for name, a in actors.items()} == {
        "DeepSeek": "more than 150,000", "MiniMax": "more than 13 million", "Moonshot AI": "more than 3.4 million",
    }
    from reporter.quantities import format_quantity, sum_quantities

    collection = load_collection([INCIDENTS / "2026-02-distillation-campaigns.yaml"])
    incident_obj = next(iter(collection))
    summed = sum_quantities(a.figures["interactions"].quantity for a in incident_obj.actors)
    assert format_quantity(summed) == "more than 16 million"  # each share has two significant figures


def test_json_shape_is_stable() -> None:
    data = _metrics_json(str(INCIDENTS))
    assert set(data) == {"convention", "incidents", "collection"}
    collection = data["collection"]
    for key in ("count", "totals", "by_actor", "by_category", "by_year", "by_quarter", "by_month"):
        assert key in collection
    assert collection["count"] == 9
    for incident in data["incidents"].values():
        for q in incident.values():
            assert set(q) == {"value", "low", "high", "qualifier", "unit", "phrase", "reason"}
            assert q["qualifier"] in {"exact", "about", "over", "at-least", "under", "at-most", "range", "unknown"}
            assert (q["reason"] is None) == (q["qualifier"] != "unknown")
    text = json.dumps(data)
    for bad in ("NaN", "Infinity", "nan"):
        assert bad not in text


def test_totals_are_lower_bounds_when_some_incidents_are_silent() -> None:
    data = _metrics_json(str(INCIDENTS))
    records = data["collection"]["totals"]["records"]
    # Only one of nine incidents states records: the total is at least its figure.
    assert records["qualifier"] == "at-least" and records["low"] == 3_400_000 and records["high"] is None


def test_periods_from_partial_dates() -> None:
    data = _metrics_json(str(INCIDENTS))
    collection = data["collection"]
    assert collection["by_year"]["2023"]["count"] == 1
    assert collection["by_month"]["2023-05"]["count"] == 1
    assert collection["by_quarter"]["2026-Q2"]["count"] == 1
    # The February campaigns have no window: their period is the earliest timeline date.
    assert collection["by_month"]["2026-02"]["count"] == 1


def test_period_unknown_without_dates() -> None:
    incident = Incident.model_validate({"id": "x", "title": "t", "category": "c", "window": {"start": "2020", "end": "2021"}})
    bare = Incident.model_validate({"id": "y", "title": "t", "category": "c"})
    metrics = collection_metrics([incident, bare])
    assert metrics.breakdowns["year"].keys() == {"2020", "unknown"}
    assert metrics.breakdowns["month"].keys() == {"unknown"}
    assert metrics.breakdowns["month"]["unknown"].count == 2


def test_active_days_and_peak_concurrency() -> None:
    a = Incident.model_validate({"id": "a", "title": "t", "category": "c",
                                 "window": {"start": "2026-01-01", "end": "2026-01-10"}})
    b = Incident.model_validate({"id": "b", "title": "t", "category": "c",
                                 "window": {"start": "2026-01-05", "end": "2026-01-20"}})
    c = Incident.model_validate({"id": "c", "title": "t", "category": "c",
                                 "window": {"start": "2026-03-01", "end": "2026-03-01"}})
    metrics = collection_metrics([a, b, c])
    assert metrics.active_days.qualifier is Qualifier.EXACT and metrics.active_days.value == 21
    assert metrics.peak_concurrency.value == 2


def test_detection_and_reporting_lags() -> None:
    incident = Incident.model_validate({
        "id": "lag", "title": "t", "category": "c", "window": {"start": "2026-04-22", "end": "2026-06-05"},
        "timeline": {"detected": "2026-05-02", "reported": {"at": "2026-06-10", "note": "letter"}},
    })
    derived = incident_metrics(incident).derived
    assert derived["detection_lag_days"].value == 10
    assert derived["detection_to_report_days"].value == 39
    assert derived["awareness_to_report_days"].reason == "no 'aware' date in the timeline"
    # With both, each metric measures what its name says (not awareness for detection).
    both = incident.model_copy(update={"timeline": {**incident.timeline, "aware": incident.timeline["detected"]
                                                    .model_copy(update={"at": parse_when("2026-05-07")})}})
    derived = incident_metrics(both).derived
    assert (derived["detection_to_report_days"].value, derived["awareness_to_report_days"].value) == (39, 34)


def test_no_nan_or_inf_for_zero_windows() -> None:
    incident = Incident.model_validate({"id": "z", "title": "t", "category": "c",
                                        "window": {"start": "2026-04-22", "end": "2026-04-22"},
                                        "figures": {"interactions": 10, "accounts": 0}})
    derived = incident_metrics(incident).derived
    assert derived["daily_rate"].qualifier is Qualifier.UNKNOWN and derived["daily_rate"].reason
    assert derived["per_account"].qualifier is Qualifier.UNKNOWN
    inclusive = incident_metrics(incident, Settings(convention=WindowConvention.INCLUSIVE)).derived
    assert inclusive["daily_rate"].value == 10


def test_table_names_the_convention_and_reasons() -> None:
    result = runner.invoke(app, ["metrics", str(INCIDENTS), "--by", "category"])
    assert result.exit_code == 0
    assert result.output.startswith("Window convention: elapsed (window days = end − start)\n")
    assert re.search(r"\n  daily_rate +about 655,000 per day\n", result.output)
    assert "not computable (no window: needs a start and an end)" in result.output
    assert "\nBy category\n  account-abuse (1 incident)\n" in result.output


def test_csv_has_a_row_per_quantity() -> None:
    result = runner.invoke(app, ["metrics", "--format", "csv", str(SEED)])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    rate = next(r for r in rows if r["scope"] == "incident" and r["name"] == "daily_rate")
    assert rate["phrase"] == "about 655,000 per day" and rate["qualifier"] == "exact"


def test_locales() -> None:
    german = _metrics_json("--locale", "de_DE", str(SEED))["incidents"]["distillation-2026-q2"]
    assert german["interactions"]["phrase"] == "28,8 Millionen"
    assert german["window_days"]["phrase"] == "44 Tage"
    british = _metrics_json("--locale", "en_GB", str(SEED))["incidents"]["distillation-2026-q2"]
    assert british["accounts"]["phrase"] == "about 25,000"
    bad = runner.invoke(app, ["metrics", "--locale", "xx_YY", str(SEED)])
    assert bad.exit_code == 2
    assert "--locale" in bad.output


def test_invalid_records_exit_1_with_locations() -> None:
    bad = ROOT / "tests" / "data" / "bad" / "wrong-enum.yaml"
    result = runner.invoke(app, ["metrics", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{bad}:4:14: sensitivity: expected one of public, confidential, restricted")


@pytest.mark.skipif(not KEV.exists() or not ATLAS.exists(), reason="shared datasets not present")
@pytest.mark.parametrize("source", ["kev", "atlas"])
def test_counts_by_year_and_category_match_raw_files(tmp_path: Path, source: str) -> None:
    if source == "kev":
        # Without due dates: 15 KEV entries are due before they were added (see test_validate).
        records = kev_records(due_dates=False)
        raw = json.loads(KEV.read_text())["vulnerabilities"]
        expected_years = Counter(v["dateAdded"][:4] for v in raw)
        expected_categories = Counter(slug(v["vendorProject"]) for v in raw)
    else:
        records = atlas_records()
        raw = yaml.safe_load(ATLAS.read_text())["case-studies"]
        expected_years = Counter(str(c["incident-date"])[:4] for c in raw)
        expected_categories = Counter(c["case-study-type"] for c in raw)
    path = tmp_path / f"{source}.json"
    path.write_text(json.dumps(records))
    data = _metrics_json(str(path))
    assert data["collection"]["count"] == len(raw)
    assert {k: v["count"] for k, v in data["collection"]["by_year"].items()} == dict(expected_years)
    assert {k: v["count"] for k, v in data["collection"]["by_category"].items()} == dict(expected_categories)
