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
