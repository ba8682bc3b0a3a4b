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
    loaded = collection.by_id()["tool-injection-2025"]
    incident = loaded.incident
    summaries, problems = summarise([(loaded, incident)])
    assert not problems and summaries["tool-injection-2025"].interactions == 4812
    executive = with_log_figures(redact([incident], Sensitivity.RESTRICTED).incidents[0], summaries[incident.id])
    assert executive.figures["interactions"].quantity.value == 4812
    # The log is confidential: a public reader's incident no longer cites it, so it is not read.
    public_view = incident.model_copy(update={"sensitivity": Sensitivity.PUBLIC})
    public = redact([public_view], Sensitivity.PUBLIC).incidents[0]
    assert summarise([(loaded, public)]) == ({}, [])
    assert with_log_figures(public, summaries[incident.id]).figures["interactions"].quantity.value == 4800


def _leak_project(tmp_path: Path) -> Path:
    """A public record whose first log is restricted and whose figures are confidential."""
    incidents = tmp_path / "incidents"
    (incidents / "logs").mkdir(parents=True)
    source = ROOT / "incidents" / "logs" / "tool-injection-2025.parquet"
    shutil.copy(source, incidents / "logs" / "secret-log.parquet")
    record = {"id": "leaky", "title": "Leaky", "category": "distillation", "sensitivity": "public",
              "summary": "It drove {interactions} interactions.",
              "figures": {"interactions": {"value": 100, "sensitivity": "confidential"}},
              "evidence": [{"log": "logs/secret-log.parquet", "sensitivity": "restricted"}]}
    (incidents / "leaky.json").write_text(json.dumps(record))
    open_record = {"id": "open-log", "title": "Open", "category": "distillation", "sensitivity": "public",
                   "figures": {"accounts": {"value": 7, "sensitivity": "confidential"}},
                   "evidence": [{"log": "logs/secret-log.parquet"}]}
    (incidents / "open.json").write_text(json.dumps(open_record))
    return incidents


def test_withheld_logs_and_figures_stay_out_of_public_charts(tmp_path: Path) -> None:
    incidents = _leak_project(tmp_path)
    (tmp_path / "reporter.toml").write_text("")
    result = runner.invoke(app, ["chart", str(incidents), "--kind", "rates", "--audience", "public",
                                 "-o", str(tmp_path / "r.svg"), "--config", str(tmp_path / "reporter.toml")])
    # Neither public record has a rate: "leaky" may not use its restricted log, "open-log" has no window.
    assert result.exit_code == 1 and "nothing to draw for a rates chart" in result.output
    from reporter.audience import for_audience
    from reporter.records import Sensitivity, load_collection

    seen = {i.id: i for i in for_audience(load_collection([incidents]).incidents, Sensitivity.PUBLIC).incidents}
    assert "interactions" not in seen["leaky"].figures and not seen["leaky"].evidence
    assert seen["open-log"].figures["interactions"].quantity.value == 4812
    assert "accounts" not in seen["open-log"].figures


def test_compare_incidents_do_not_get_withheld_figures_back_from_logs(tmp_path: Path) -> None:
    """A log may not restore a figure the audience filter removed, in compared incidents too."""
    from tests.support import run_in, write_manifest

    incidents = _leak_project(tmp_path)
    (tmp_path / "reporter.toml").write_text("[organisation.signatory]\nname = \"S\"\n")
    write_manifest(tmp_path / "templates" / "figures", base="executive-briefing", keys=["compare"], formats=["md"])
    (tmp_path / "templates" / "figures" / "body.md.j2").write_text(
        "{% for i in incidents + compare %}{{ i.id }}: {% for f in i.figures %}{{ f.name }}={{ f.phrase }} {% endfor %}\n\n"
        "{% endfor %}")
    (tmp_path / "brief.yaml").write_text("template: figures\naudience: public\ntitle: T\ndate: 2026-06-10\n"
                                         "incidents: [leaky]\ncompare: [open-log]\nformats: [md]\n")
    result = run_in(tmp_path, ["build", "brief.yaml", "--records", str(incidents), "--template-dir", "templates",
                               "--out", "out"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "brief.md").read_text()
    # Draft records: the Markdown carries the DRAFT notice at its top and bottom, around the body.
    assert text.replace("**DRAFT**", "").strip() == "leaky: \nopen-log: interactions=4,812"
