"""Records that cite evidence logs: computed figures in metrics and documents, stated ones checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from reporter.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _project(tmp_path: Path, interactions: str) -> Path:
    incidents = tmp_path / "incidents"
    (incidents / "logs").mkdir(parents=True)
    shutil.copy(ROOT / "incidents" / "logs" / "tool-injection-2025.parquet", incidents / "logs" / "log.parquet")
    record = {"id": "logged", "title": "Logged", "category": "prompt-injection", "sensitivity": "public",
              "figures": {"interactions": interactions, "accounts": 310},
              "evidence": [{"log": "logs/log.parquet"}]}
    (incidents / "logged.json").write_text(json.dumps(record, indent=2))
    return incidents


def test_stated_figures_within_their_qualifier_pass(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(_project(tmp_path, "about 4,800"))])
    assert result.exit_code == 0, result.output


def test_stated_figure_contradicted_by_the_log(tmp_path: Path) -> None:
    incidents = _project(tmp_path, "over 5,000")
    result = runner.invoke(app, ["check", str(incidents)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{incidents / 'logged.json'}:7:21: figures.interactions: stated as more than 5,000, "
        "but the evidence log counts 4,812"
    )


def test_missing_log_is_located(tmp_path: Path) -> None:
    incidents = _project(tmp_path, "about 4,800")
    (incidents / "logs" / "log.parquet").unlink()
    result = runner.invoke(app, ["check", str(incidents)])
    assert result.exit_code == 1
    assert "evidence[0].log:" in result.output.splitlines()[0]
    assert "no such file" in result.output


def test_log_outside_the_record_directory_is_refused(tmp_path: Path) -> None:
    incidents = _project(tmp_path, "about 4,800")
    record = json.loads((incidents / "logged.json").read_text())
    record["evidence"] = [{"log": "../../outside.csv"}]
    (incidents / "logged.json").write_text(json.dumps(record))
    result = runner.invoke(app, ["check", str(incidents)])
    assert result.exit_code == 1
    assert "leads outside the record's directory" in result.output


def test_briefing_uses_the_computed_figures(tmp_path: Path) -> None:
    markdown = (ROOT / "tests" / "golden" / "executive-briefing.md").read_text()
    # The record states "about 4,800"; the log counts 4,812, and the log is named with its hash.
    assert "| Prompt-injection campaign through shared documents | August 4 to September 15, 2025 | 4,812 | 310 |" in markdown
    assert "incidents/logs/tool-injection-2025.parquet: SHA-256 " in markdown


def test_public_documents_keep_the_stated_figure_when_the_log_is_withheld() -> None:
    from reporter.audience import redact
    from reporter.logs import summarise, with_log_figures
    from reporter.records import Sensitivity, load_collection

    collection = load_collection([ROOT / "incidents" / "2025-prompt-injection.json"])
    summaries, problems = summarise(collection.incidents)
    assert not problems and summaries["tool-injection-2025"].interactions == 4812
    incident = collection.by_id()["tool-injection-2025"].incident
    executive = with_log_figures(redact([incident], Sensitivity.RESTRICTED).incidents[0], summaries[incident.id])
    assert executive.figures["interactions"].quantity.value == 4812
    confidential_log_hidden = incident.model_copy(update={"evidence": [e for e in incident.evidence if not e.log]})
    assert with_log_figures(confidential_log_hidden, summaries[incident.id]).figures["interactions"].quantity.value == 4800
