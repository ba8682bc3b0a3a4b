"""What an evidence log lets a reader work out is shown only where its figures are shown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import run_in

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "incidents" / "logs" / "tool-injection-2025.parquet"


def _project(tmp_path: Path, figure_sensitivity: str | None) -> Path:
    """A public record citing a log at its default sensitivity (the record's: public)."""
    (tmp_path / "incidents" / "logs").mkdir(parents=True)
    shutil.copy(LOG, tmp_path / "incidents" / "logs" / "events.parquet")
    figures = {"interactions": {"value": 5000}, "accounts": {"value": 40}}
    if figure_sensitivity:
        for figure in figures.values():
            figure["sensitivity"] = figure_sensitivity
    record = {"id": "logged", "title": "Logged campaign", "category": "distillation", "status": "disclosed",
              "sensitivity": "public", "window": {"start": "2025-03-01", "end": "2025-03-20"},
              "figures": figures, "evidence": [{"log": "logs/events.parquet"}]}
    (tmp_path / "incidents" / "logged.json").write_text(json.dumps(record))
    (tmp_path / "reporter.toml").write_text('[organisation.signatory]\nname = "S"\n')
    (tmp_path / "brief.yaml").write_text("template: executive-briefing\naudience: public\ntitle: T\n"
                                         "date: 2026-04-02\nincidents: [logged]\nformats: [md]\n")
    return tmp_path


@pytest.mark.parametrize("sensitivity", ["confidential", "restricted"])
def test_a_log_does_not_chart_figures_the_table_withholds(tmp_path: Path, sensitivity: str) -> None:
    project = _project(tmp_path, sensitivity)
    built = run_in(project, ["build", "brief.yaml", "--out", "out"])
    assert built.exit_code == 0, built.output
    text = (project / "out" / "brief.md").read_text()
    assert "daily-volume" not in text and "4,812" not in text and "Daily interactions" not in text
    assert not (project / "out" / "brief_files" / "daily-volume.png").exists()
    chart = run_in(project, ["chart", "--kind", "daily-volume", "--audience", "public", "-o", "v.svg"])
    assert chart.exit_code == 1 and "nothing to draw for a daily-volume chart" in chart.output


def test_a_log_is_charted_where_its_figures_are_shown(tmp_path: Path) -> None:
    project = _project(tmp_path, None)
    chart = run_in(project, ["chart", "--kind", "daily-volume", "--audience", "public", "-o", "v.svg"])
    assert chart.exit_code == 0, chart.output
    built = run_in(project, ["build", "brief.yaml", "--out", "out"])
    assert "daily-volume.png" in (project / "out" / "brief.md").read_text()


SHARES = """\
id: shares
title: Shared campaign
category: scraping
status: disclosed
sensitivity: public
summary: It drove {interactions} interactions.
figures:
  interactions: 10000
actors:
  - name: Visible One
    figures: {interactions: 6000}
  - name: Visible Two
    figures: {interactions: 0}
  - name: Restricted Actor
    sensitivity: restricted
    figures: {interactions: 4000}
"""

RECOVERABLE = ("incidents/r.yaml:8:17: figures.interactions: warning: a document for a {audience} audience shows "
               "this total and some actors' shares of it, from which the shares it withholds can be worked out")


def _shares(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "r.yaml").write_text(SHARES)
    (tmp_path / "reporter.toml").write_text('[organisation.signatory]\nname = "S"\n')
    (tmp_path / "b.yaml").write_text("template: disclosure-summary\ntitle: T\ndate: 2026-04-02\nincidents: [shares]\n"
                                     f"formats: [md]\n{extra}")
    return tmp_path


def test_check_warns_of_a_withheld_share_that_a_total_gives_away(tmp_path: Path) -> None:
    project = _shares(tmp_path)
    result = run_in(project, ["check"])
    assert result.exit_code == 0
    for audience in ("public", "confidential"):
        assert RECOVERABLE.format(audience=audience) in result.output
    assert "4,000" not in result.output  # the warning does not repeat the withheld figure
    assert run_in(project, ["check", "--strict"]).exit_code == 1


def test_build_warns_and_the_brief_can_show_the_total_as_withheld(tmp_path: Path) -> None:
    project = _shares(tmp_path)
    shown = run_in(project, ["build", "b.yaml", "--out", "out"])
    assert shown.exit_code == 0 and RECOVERABLE.format(audience="public") in shown.output
    assert "10,000" in (project / "out" / "b.md").read_text()
    (project / "b.yaml").write_text((project / "b.yaml").read_text() + "withhold_totals: true\n")
    withheld = run_in(project, ["build", "b.yaml", "--out", "out"])
    assert withheld.exit_code == 0 and "(the brief shows it as withheld)" in withheld.output
    text = (project / "out" / "b.md").read_text()
    assert "10,000" not in text and "4,000" not in text and "Visible One" in text
