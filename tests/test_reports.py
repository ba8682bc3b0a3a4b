"""Public reports over many incidents (#16): active-in-period selection, sections by category, one
short case per incident, nothing internal, the brief's own words."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from reporter.prose import reading_problems
from tests.support import run_in

CONFIG = """[organisation]
name = "Northwind AI"
address = ["1 Harbor Way", "Seattle, WA 98101"]

[organisation.signatory]
name = "Priya Raman"
title = "Vice President, Government Affairs"

[audiences]
public = "public"
"""

RECORDS = [
    {"id": "op-lantern", "title": "Influence operation posing as local news outlets", "category": "influence-operation",
     "status": "closed", "sensitivity": "public", "window": {"start": "2026-02-10", "end": "2026-04-20"},
     "summary": "A network of {accounts} accounts wrote articles for fake local news sites.",
     "figures": {"accounts": "about 340", "interactions": "about 52,000"},
     "actors": [{"name": "Storm-Lantern", "attribution": {"confidence": "moderate", "basis": ["Shared hosting"]}}],
     "targets": ["news readers in three countries"],
     "actions": [{"text": "Banned the accounts", "date": "2026-04-21"}]},
    {"id": "op-refund", "title": "Refund fraud scripts generated at scale", "category": "fraud", "status": "disclosed",
     "sensitivity": "public", "window": {"start": "2026-03-01", "end": "2026-05-15"},
     "figures": {"accounts": "120", "interactions": "over 9,000"}},
    {"id": "op-loader", "title": "Malware loader development", "category": "malware-development",
     "status": "confirmed", "sensitivity": "public", "window": {"start": "2026-03-20", "end": "2026-04-02"},
     "figures": {"interactions": "about 1,800"}},
    {"id": "op-sieve", "title": "Distillation through reseller accounts", "category": "distillation",
     "status": "disclosed", "sensitivity": "public", "window": {"start": "2026-05-02", "end": "2026-06-20"},
     "figures": {"accounts": "about 3,100", "interactions": "about 4.2 million"}},
    {"id": "op-echo", "title": "Coordinated comment campaign", "category": "influence-operation", "status": "closed",
     "sensitivity": "public", "timeline": {"detected": "2026-06-02"}, "figures": {"interactions": "about 6,500"}},
    {"id": "op-old", "title": "Earlier fraud ring", "category": "fraud", "status": "closed", "sensitivity": "public",
     "window": {"start": "2025-09-01", "end": "2025-12-01"}, "figures": {"accounts": "50"}},
    {"id": "op-secret", "title": "CANARY-SECRET-CASE", "category": "fraud", "status": "confirmed",
     "sensitivity": "confidential", "window": {"start": "2026-04-01", "end": "2026-04-30"}, "figures": {"accounts": 77}},
]


def _project(tmp_path: Path, brief: dict) -> Path:
    (tmp_path / "incidents").mkdir(parents=True)
    (tmp_path / "reporter.toml").write_text(CONFIG)
    for record in RECORDS:
        (tmp_path / "incidents" / f"{record['id']}.yaml").write_text(yaml.safe_dump(record, sort_keys=False))
    (tmp_path / "q2.yaml").write_text(yaml.safe_dump({
        "template": "disclosure-summary", "title": "Disrupting malicious uses: Q2 2026", "date": "2026-07-10",
        "formats": ["md", "pdf"], **brief}, sort_keys=False))
    return tmp_path


def test_a_quarterly_report_selects_what_was_active_and_groups_it(tmp_path: Path) -> None:
    from pypdf import PdfReader

    project = _project(tmp_path, {"incidents": {"period": "2026-Q2"},
                                  "body": "This quarter we disrupted {incidents:count} operations.",
                                  "advice": ["Report suspicious accounts to us"],
                                  "contact": {"name": "the Threat Intelligence team", "email": "report@example.org"}})
    result = run_in(project, ["build", "q2.yaml", "--records", "incidents", "--out", "out"])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "q2.md").read_text()
    # Begun in Q1 and still active in Q2 (lantern, refund, loader), begun in Q2, or only an event in Q2 (echo).
    assert "This quarter we disrupted five operations." in text
    assert "covers five incidents in the second quarter of 2026, in four categories: influence operation (two), " \
           "fraud (one), malware development (one), and distillation (one)." in text
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[:11] == ["# Disrupting malicious uses: Q2 2026", "## Summary", "## Influence operation",
                             "### Influence operation posing as local news outlets", "### Coordinated comment campaign",
                             "## Fraud", "### Refund fraud scripts generated at scale", "## Malware development",
                             "### Malware loader development", "## Distillation",
                             "### Distillation through reseller accounts"]
    assert "**Who was behind it:** Storm-Lantern (moderate confidence)." in text
    assert "The case is closed." in text and "We are continuing to investigate." in text
    assert "## What you can do\n\n- Report suspicious accounts to us." in text
    assert "Earlier fraud ring" not in text
    flat = " ".join(p.extract_text() for p in PdfReader(project / "out" / "q2.pdf").pages)
    for shown in (text, flat):
        for internal in ("op-lantern", "op-echo", "CANARY-SECRET", ".yaml", "SHA-256", "withheld", "not computable",
                         "significant figure", "Key judgments", "incidents in this briefing"):
            assert internal not in shown, internal
    assert reading_problems(text) == []
    assert PdfReader(project / "out" / "q2.pdf").metadata["/Subject"] == "Disrupting malicious uses: Q2 2026"
    report = json.loads((project / "out" / "q2.build.json").read_text())
    assert report["withheld"]["records"] == 1


def test_categories_choose_and_order_the_sections(tmp_path: Path) -> None:
    project = _project(tmp_path, {"incidents": {"period": "2026-Q2"}, "categories": ["fraud", "distillation"],
                                  "formats": ["md"]})
    result = run_in(project, ["build", "q2.yaml", "--records", "incidents", "--out", "out"])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "q2.md").read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")][:3] == ["## Summary", "## Fraud",
                                                                              "## Distillation"]
    assert "Malware loader development" not in text
    report = json.loads((project / "out" / "q2.build.json").read_text())
    assert {"incident": "op-loader", "part": "incident",
            "reason": "its category is not among the brief's categories"} in report["left_out"]


def test_a_period_that_selects_nothing_says_what_was_considered(tmp_path: Path) -> None:
    project = _project(tmp_path, {"incidents": {"period": "2027-Q1"}, "formats": ["md"]})
    result = run_in(project, ["build", "q2.yaml", "--records", "incidents", "--out", "out"])
    assert result.exit_code == 1
    assert result.output.startswith("q2.yaml:7:3: incidents: selects no incident (active in 2027-Q1) of the 7 "
                                    "considered: op-echo (influence-operation, closed, event 2026-06-02); ")
    assert "op-old (fraud, closed, active 2025-09-01 to 2025-12-01)" in result.output
    assert not (project / "out").exists()
