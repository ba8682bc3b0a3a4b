"""`reporter check`: the number lint, with exact messages, locations and exit codes."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from reporter.cli import app

INCIDENTS = Path(__file__).parent.parent / "incidents"
runner = CliRunner()

BASE = {
    "id": "case",
    "title": "A case",
    "category": "distillation",
    "window": {"start": "2026-04-22", "end": "2026-06-05"},
    "figures": {"accounts": "about 25,000", "interactions": 28_800_000},
}


def _write(tmp_path: Path, **changes: object) -> Path:
    record = {**BASE, **changes}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    return path


def _check(*args: str):
    return runner.invoke(app, ["check", *args])


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_clean_examples_are_silent() -> None:
    # But for the GDPR notification the breach example made a day late, on purpose (tests/test_clocks.py).
    result = _check(str(INCIDENTS))
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == ["0 errors, 1 warning (8 files, 9 records checked)."]
    assert "warning: clock missed: the GDPR Art. 33 notification" in result.output.splitlines()[0]
    strict = _check("--strict", str(INCIDENTS))
    assert strict.exit_code == 1


def test_month_claim_over_44_day_window(tmp_path: Path) -> None:
    path = _write(tmp_path, summary="Over a 2.5-month window the operator drove {interactions} interactions.")
    result = _check(str(path))
    assert result.exit_code == 1
    line = _line_of(path, "summary:")
    assert result.output.splitlines() == [
        f"{path}:{line}:10: summary: '2.5-month' contradicts the window of 44 days (elapsed convention); "
        "cite it as {window_days}",
        "1 error, 0 warnings (1 file, 1 record checked).",
    ]


def test_correct_duration_claims_pass(tmp_path: Path) -> None:
    for claim in ("a 44-day window", "about six weeks", "a 6-week campaign", "1.5 months"):
        path = _write(tmp_path, summary=f"Over {claim} the operator drove {{interactions}} interactions.")
        result = _check(str(path))
        assert result.exit_code == 0, (claim, result.output)


def test_breakdown_above_total_is_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        figures={"interactions": "up to 10 million"},
        actors=[{"name": "A", "figures": {"interactions": "over 13 million"}},
                {"name": "B", "figures": {"interactions": "over 3.4 million"}}],
    )
    result = _check(str(path))
    assert result.exit_code == 1
    line = _line_of(path, "interactions: up to 10 million")
    assert result.output.splitlines()[0] == (
        f"{path}:{line}:17: figures.interactions: the actors' interactions add up to more than 16 million, "
        "more than the total up to 10 million"
    )


def test_lower_bound_breakdown_within_lower_bound_total_passes() -> None:
    result = _check(str(INCIDENTS / "2026-02-distillation-campaigns.yaml"))
    assert result.exit_code == 0, result.output


def test_changed_figure_since_disclosure_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, disclosures=[{"date": "2026-06-10", "to": "the committee", "form": "letter",
                                          "figures": {"accounts": "about 24,000"}}])
    result = _check(str(path))
    assert result.exit_code == 0
    line = _line_of(path, "accounts: about 25,000")
    assert result.output.splitlines() == [
        f"{path}:{line}:13: figures.accounts: warning: about 25,000 differs from the about 24,000 stated to the "
        "committee on 2026-06-10 (disclosures[0])",
        "0 errors, 1 warning (1 file, 1 record checked).",
    ]
    strict = _check("--strict", str(path))
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "0 errors, 1 warning (1 file, 1 record checked; --strict: warnings fail)."


def test_contradicting_disclosure_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, disclosures=[{"date": "2026-06-10", "to": "the committee", "form": "letter",
                                          "figures": {"interactions": "over 40 million"}}])
    result = _check(str(path))
    assert "28.8 million contradicts the more than 40 million stated to the committee" in result.output


def test_typed_number_matching_nothing_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, summary="About 31,000 accounts were involved, and 28.8 million interactions.")
    result = _check(str(path))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("summary: warning: the number 'About 31,000' typed into the summary matches no "
                             "figure or metric; cite a figure as {name} so it is computed")


def test_dates_and_years_in_prose_are_not_figures(tmp_path: Path) -> None:
    path = _write(tmp_path, summary="From April 22 to June 5, 2026, about 25,000 accounts were used.")
    result = _check(str(path))
    assert result.output.endswith("no problems.\n"), result.output


def test_unknown_placeholder_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, summary="The campaign drove {interaction} interactions.")
    result = _check(str(path))
    assert result.exit_code == 1
    assert "placeholder {interaction} names no figure or metric (expected one of accounts, awareness_to_report_days, daily_rate," in result.output


def test_timeline_out_of_order(tmp_path: Path) -> None:
    path = _write(tmp_path, timeline={"detected": "2026-05-10", "contained": "2026-05-01"})
    result = _check(str(path))
    assert result.exit_code == 1
    line = _line_of(path, "contained:")
    assert result.output.splitlines()[0] == (
        f"{path}:{line}:14: timeline.contained: 'contained' is before 'detected'; expected detected ≤ contained"
    )


def test_partial_dates_only_certain_reversals(tmp_path: Path) -> None:
    path = _write(tmp_path, window={"start": "2023-05", "end": "2023-07"}, timeline={"detected": "2023-05-03"})
    assert _check(str(path)).exit_code == 0
    before = _write(tmp_path, window={"start": "2023-05", "end": "2023-07"}, timeline={"detected": "2023-04-30"})
    result = _check(str(before))
    assert result.exit_code == 1
    line = _line_of(before, "detected:")
    assert result.output.splitlines()[0] == (
        f"{before}:{line}:13: timeline.detected: 'detected' is before the window start; expected start ≤ detected"
    )


def test_reversed_events_do_not_stop_metrics(tmp_path: Path) -> None:
    path = _write(tmp_path, timeline={"detected": "2026-04-01", "reported": "2026-03-01"})
    result = runner.invoke(app, ["metrics", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    assert '"reason": "\'detected\' is before the window start"' in result.output
    assert '"reason": "\'reported\' is before \'detected\'"' in result.output
    check = _check(str(path))
    assert check.exit_code == 1
    assert "timeline.detected: 'detected' is before the window start" in check.output
    assert "timeline.reported: 'reported' is before 'detected'" in check.output


def test_invalid_files_reported_by_check_too() -> None:
    bad = Path(__file__).parent / "data" / "bad" / "wrong-enum.yaml"
    result = _check(str(bad))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"{bad}:4:14: sensitivity:")


def test_placeholder_that_cannot_be_computed_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, window=None, summary="The campaign ran at {daily_rate} for {window}.")
    result = _check(str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("summary: {daily_rate} is not computable (no window: needs a start and an end)")
    assert lines[1].endswith("summary: {window} is cited, but the record has no window")
