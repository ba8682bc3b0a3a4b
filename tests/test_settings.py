"""One way to resolve settings: defaults < reporter.toml < command line, for every command.

An option left off the command line never overrides the file; an option given always wins.
And one audience path: a chart for an audience blurs exactly what that audience's documents blur.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import run_in

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "incidents" / "2026-06-distillation-campaign.yaml"

SIGNATORY = '[organisation.signatory]\nname = "Jordan Avery"\ntitle = "Head of Threat Intelligence"\n'


def _project(tmp_path: Path, documents: str = "", extra: str = "") -> Path:
    """A project with the seed record and a reporter.toml whose [documents] section is ``documents``."""
    (tmp_path / "incidents").mkdir()
    shutil.copy(SEED, tmp_path / "incidents" / SEED.name)
    (tmp_path / "reporter.toml").write_text(f"{SIGNATORY}\n[documents]\n{documents}\n{extra}", encoding="utf-8")
    return tmp_path


def _window_days(project: Path, *args: str) -> float:
    result = run_in(project, ["metrics", "--format", "json", "--no-cache", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["incidents"]["distillation-2026-q2"]["window_days"]["value"]


@pytest.mark.parametrize(("flag", "days"), [((), 45), (("--window-convention", "elapsed"), 44)])
def test_metrics_takes_the_convention_from_the_file_unless_told(tmp_path: Path, flag: tuple[str, ...],
                                                                days: int) -> None:
    project = _project(tmp_path, 'window_convention = "inclusive"')
    assert _window_days(project, *flag) == days


def test_metrics_without_paths_reads_paths_records(tmp_path: Path) -> None:
    project = _project(tmp_path, 'window_convention = "inclusive"')
    assert _window_days(project) == _window_days(project, "incidents") == 45


def test_check_lints_prose_against_the_files_convention(tmp_path: Path) -> None:
    project = _project(tmp_path, 'window_convention = "inclusive"')
    record = project / "incidents" / SEED.name
    # Durations typed into prose may be 10 % off: 49 days is within that of 45 days, not of 44.
    record.write_text(record.read_text().replace("From {window}, a single operator",
                                                 "Over a 49-day window, a single operator"))
    assert run_in(project, ["check"]).exit_code == 0
    elapsed = run_in(project, ["check", "--window-convention", "elapsed"])
    assert elapsed.exit_code == 1
    assert "'49-day' contradicts the window of 44 days (elapsed convention)" in elapsed.output


def test_chart_takes_the_convention_from_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path, 'window_convention = "inclusive"')
    inclusive = run_in(project, ["chart", "--kind", "rates", "-o", "rates.svg"])
    assert inclusive.exit_code == 0, inclusive.output
    elapsed = run_in(project, ["chart", "--kind", "rates", "-o", "rates.svg", "--window-convention", "elapsed"])
    # 28.8 million interactions over 45 days is 640,000 a day; over 44, about 655,000.
    assert "640,000" in inclusive.output and "655,000" not in inclusive.output
    assert "655,000" in elapsed.output


def _brief(project: Path, template: str = "disclosure-summary", audience: str = "public") -> Path:
    brief = project / "brief.yaml"
    brief.write_text(f"template: {template}\naudience: {audience}\ntitle: T\ndate: 2026-06-11\n"
                     "incidents: [distillation-2026-q2]\nformats: [md]\n", encoding="utf-8")
    return brief


@pytest.mark.parametrize(("flag", "days"), [((), 45), (("--window-convention", "elapsed"), 44)])
def test_build_takes_the_convention_from_the_file_unless_told(tmp_path: Path, flag: tuple[str, ...],
                                                              days: int) -> None:
    project = _project(tmp_path, 'window_convention = "inclusive"')
    _brief(project)
    result = run_in(project, ["build", "brief.yaml", "--out", "out", *flag])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "brief.md").read_text()
    assert f"- Period: April 22 to June 5, 2026 ({days} days)" in text


def test_locale_and_significant_figures_come_from_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path, 'locale = "de_DE"\nsig_figs = 2')
    result = run_in(project, ["metrics", "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    daily = json.loads(result.output)["incidents"]["distillation-2026-q2"]["daily_rate"]["phrase"]
    assert daily == "etwa 650.000 pro Tag", daily
    told = run_in(project, ["metrics", "--format", "json", "--no-cache", "--locale", "en_US", "--sig-figs", "4"])
    assert json.loads(told.output)["incidents"]["distillation-2026-q2"]["daily_rate"]["phrase"] == \
        "about 655,000 per day"


def test_max_file_size_comes_from_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path, extra='[input]\nmax_file_size = "1KiB"\n')
    refused = run_in(project, ["validate"])
    assert refused.exit_code == 1
    assert f"file is {SEED.stat().st_size:,} bytes, over the limit of 1,024" in refused.output, refused.output
    assert run_in(project, ["validate", "--max-file-size", "1MiB"]).exit_code == 0


def test_a_bad_value_on_the_command_line_is_bad_usage(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_in(project, ["metrics", "--locale", "xx_YY"])
    assert result.exit_code == 2
    assert "Error: --locale: unknown locale 'xx_YY'" in result.output


def test_a_bad_value_in_the_file_is_invalid_input_naming_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path, 'window_convention = "calendar"')
    result = run_in(project, ["check"])
    assert result.exit_code == 1
    assert "reporter.toml: documents.window_convention:" in result.output


def test_a_missing_config_file_is_bad_usage(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_in(project, ["validate", "--config", "nowhere.toml"])
    assert result.exit_code == 2 and "--config: no such file: nowhere.toml" in result.output


def test_evidence_engine_settings_come_from_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path, extra='[evidence]\nscheduler = "tcp://127.0.0.1:8786"\n')
    log = ROOT / "incidents" / "logs" / "tool-injection-2025.parquet"
    result = run_in(project, ["evidence", str(log)])
    # The file names a scheduler but not the dask engine: the same refusal as on the command line.
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output


# -- one audience path ------------------------------------------------------------------------------

SMALL_ACTOR = """\
id: two-actors
title: Scraping by two operators
category: scraping
status: disclosed
sensitivity: public
window: {start: 2026-03-01, end: 2026-03-31}
figures:
  interactions: 5000
actors:
  - name: Big Operator
    figures: {interactions: 4993}
  - name: Tiny Operator
    figures: {interactions: 7}
"""


def test_chart_for_an_audience_blurs_what_its_documents_blur(tmp_path: Path) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "two.yaml").write_text(SMALL_ACTOR, encoding="utf-8")
    (tmp_path / "reporter.toml").write_text(f"{SIGNATORY}\n[documents]\nsmall_counts = 10\n", encoding="utf-8")
    (tmp_path / "brief.yaml").write_text("template: disclosure-summary\naudience: public\ntitle: T\n"
                                         "date: 2026-04-02\nincidents: [two-actors]\nformats: [md]\n")
    chart = run_in(tmp_path, ["chart", "--kind", "by-actor", "--audience", "public", "-o", "a.svg"])
    assert chart.exit_code == 0, chart.output
    built = run_in(tmp_path, ["build", "brief.yaml", "--out", "out"])
    assert built.exit_code == 0, built.output
    document = (tmp_path / "out" / "brief.md").read_text()
    svg = (tmp_path / "a.svg").read_text()
    for shown in (chart.output, svg, document):
        assert "Tiny Operator" in shown and "fewer than 10" in shown
        assert "Tiny Operator 7" not in shown and "Tiny Operator: 7" not in shown
    # The document's chart and the command's chart say the same thing.
    assert chart.output.split(": ", 1)[1].strip() in document
    # Without an audience the chart is internal: the count is shown.
    internal = run_in(tmp_path, ["chart", "--kind", "by-actor", "-o", "b.svg"])
    assert "Tiny Operator 7" in internal.output


def test_an_unknown_audience_is_bad_usage(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = run_in(project, ["chart", "--kind", "by-actor", "--audience", "press", "-o", "a.svg"])
    assert result.exit_code == 2
    assert "Error: --audience: unknown audience 'press'" in result.output
