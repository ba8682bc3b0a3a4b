"""Regulatory clocks: each regime's due times from the timeline, statuses against disclosures,
`reporter clocks` (table and the stable JSON), and `reporter check`'s clock warnings and errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from reporter.cli import app
from reporter.clocks import business_days_after, edgar_date, incident_clocks, is_business_day, parse_as_of
from reporter.models import Incident

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
AWARE = "2026-03-15T16:00:00Z"
LATER = datetime(2026, 12, 1, tzinfo=UTC)


def _incident(obligations: list[dict], timeline: dict | None = None, disclosures: list[dict] | None = None) -> Incident:
    return Incident.model_validate({"id": "case", "title": "A case", "category": "c",
                                    "timeline": timeline if timeline is not None else {"aware": AWARE},
                                    "obligations": obligations, "disclosures": disclosures or []})


def _by_report(incident: Incident, as_of: datetime = LATER, timezone: str = "UTC") -> dict:
    return {(c.regime.value, c.report): c for c in incident_clocks(incident, as_of, timezone)}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_gdpr_72_hours_and_a_notification_a_day_late() -> None:
    filed = {"date": "2026-03-19", "to": "Data Protection Commission", "form": "filing", "regime": "gdpr-33",
             "reference": "DPC-1"}
    (clock,) = incident_clocks(_incident([{"regime": "gdpr-33"}], disclosures=[filed]), LATER)
    assert clock.from_event == "aware" and clock.start == _utc(AWARE)
    assert clock.due == _utc("2026-03-18T16:00:00Z")
    assert clock.status == "missed" and clock.met_by is None
    # A date without a time counts from the start of that day (UTC here): 8 hours after the due time.
    assert clock.late_by == timedelta(hours=8)
    assert clock.note == ("missed by at least 8 hours: made 2026-03-19 (disclosures[0], Data Protection Commission); "
                          "disclosures[0] has no time: counted from the start of 2026-03-19 (UTC, documents.timezone)")
    # In the organisation's time zone the day starts earlier or later.
    (dublin,) = incident_clocks(_incident([{"regime": "gdpr-33"}], disclosures=[filed]), LATER, "America/New_York")
    assert dublin.late_by == timedelta(hours=12)


def test_gdpr_met_due_and_missed_without_a_filing() -> None:
    on_time = {"date": "2026-03-18T15:59:00Z", "to": "DPC", "form": "filing", "regime": "gdpr-33", "reference": "R"}
    (met,) = incident_clocks(_incident([{"regime": "gdpr-33"}], disclosures=[on_time]), LATER)
    assert met.status == "met" and met.as_dict()["met_by"] == {"date": "2026-03-18T15:59:00+00:00", "to": "DPC",
                                                                "reference": "R"}
    (due,) = incident_clocks(_incident([{"regime": "gdpr-33"}]), _utc("2026-03-18T10:00:00Z"))
    assert due.status == "due" and due.left == timedelta(hours=6) and due.note == "due in 6 hours"
    (missed,) = incident_clocks(_incident([{"regime": "gdpr-33"}]), _utc("2026-03-20T16:30:00Z"))
    assert missed.status == "missed"
    assert missed.note == "missed by 2 days 30 minutes so far: no disclosure under gdpr-33 makes the notification"
    # A filing made after --as-of had not been made then.
    (before,) = incident_clocks(_incident([{"regime": "gdpr-33"}], disclosures=[on_time]), _utc("2026-03-17T00:00:00Z"))
    assert before.status == "due"


def test_a_date_without_a_time_starts_at_the_start_of_the_day_in_the_time_zone() -> None:
    incident = _incident([{"regime": "gdpr-33"}], timeline={"aware": "2026-03-15"})
    (utc,) = incident_clocks(incident, LATER)
    assert utc.start == _utc("2026-03-15T00:00:00Z") and utc.due == _utc("2026-03-18T00:00:00Z")
    assert "'aware' has no time: counted from the start of 2026-03-15 (UTC, documents.timezone)" in utc.note
    (dublin,) = incident_clocks(incident, LATER, "Europe/Berlin")
    assert dublin.start == _utc("2026-03-14T23:00:00Z")
    assert "(Europe/Berlin, documents.timezone)" in dublin.note


def test_nis2_three_reports_from_one_awareness() -> None:
    clocks = _by_report(_incident([{"regime": "nis2"}], timeline={"aware": AWARE, "resolved": "2026-04-02"}))
    assert list(clocks) == [("nis2", "early-warning"), ("nis2", "notification"), ("nis2", "final-report")]
    assert clocks["nis2", "early-warning"].due == _utc("2026-03-16T16:00:00Z")
    assert clocks["nis2", "notification"].due == _utc("2026-03-18T16:00:00Z")
    final = clocks["nis2", "final-report"]
    # One month after the notification; with none made, after its due time (and said so).
    assert final.start == _utc("2026-03-18T16:00:00Z") and final.due == _utc("2026-04-18T16:00:00Z")
    assert "counted from the notification's due time" in final.note
    made = {"date": "2026-03-17T09:00:00Z", "to": "CSIRT", "form": "filing", "regime": "nis2",
            "report": ["early-warning", "notification"]}
    clocks = _by_report(_incident([{"regime": "nis2"}], timeline={"aware": AWARE, "resolved": "2026-04-02"},
                                  disclosures=[made]))
    assert clocks["nis2", "early-warning"].status == "missed"  # one submission, a day after the early warning
    assert clocks["nis2", "notification"].status == "met"
    assert clocks["nis2", "final-report"].due == _utc("2026-04-17T09:00:00Z")


def test_nis2_progress_report_while_ongoing() -> None:
    ongoing = _by_report(_incident([{"regime": "nis2"}]))
    assert ongoing["nis2", "progress-report"].due == _utc("2026-04-18T16:00:00Z")
    assert ongoing["nis2", "final-report"].status == "cannot-start"
    assert ongoing["nis2", "final-report"].note == "cannot start: no 'resolved' event in the timeline (still ongoing)"
    late = _by_report(_incident([{"regime": "nis2"}], timeline={"aware": AWARE, "resolved": "2026-05-10T12:00:00Z"}))
    assert late["nis2", "progress-report"].due == _utc("2026-04-18T16:00:00Z")
    assert late["nis2", "final-report"].due == _utc("2026-06-10T12:00:00Z")


def test_sec_8k_four_business_days_skip_the_observed_independence_day() -> None:
    assert not is_business_day(date(2026, 7, 3))  # Friday: July 4 falls on a Saturday
    (clock,) = incident_clocks(_incident([{"regime": "sec-8k-1.05"}],
                                         timeline={"materiality_determined": "2026-07-01"}), LATER)
    assert clock.from_event == "materiality_determined"
    assert clock.due == datetime(2026, 7, 8, 21, 30, tzinfo=UTC)  # Wednesday, 5:30 pm EDT
    assert clock.due.date().weekday() == 2
    assert clock.as_dict()["due"] == "2026-07-08T21:30:00Z"
    assert business_days_after(date(2026, 1, 14), 4) == date(2026, 1, 21)  # Martin Luther King Jr. Day


def test_sec_edgar_dates_late_submissions_to_the_next_business_day() -> None:
    assert edgar_date(_utc("2026-07-08T21:29:00Z")) == date(2026, 7, 8)
    assert edgar_date(_utc("2026-07-08T21:31:00Z")) == date(2026, 7, 9)
    assert edgar_date(_utc("2026-07-03T14:00:00Z")) == date(2026, 7, 6)
    filed = {"date": "2026-07-08T17:45:00-04:00", "to": "SEC", "form": "filing", "regime": "sec-8k-1.05"}
    (clock,) = incident_clocks(_incident([{"regime": "sec-8k-1.05"}], timeline={"materiality_determined": "2026-07-01"},
                                         disclosures=[filed]), LATER)
    assert clock.status == "missed"
    assert clock.note.startswith("missed by 1 business day: made 2026-07-08T17:45:00-04:00 (disclosures[0], SEC)")
    (missing,) = incident_clocks(_incident([{"regime": "sec-8k-1.05"}]), LATER)
    assert missing.status == "cannot-start" and missing.due is None
    assert missing.note == "cannot start: no 'materiality_determined' event in the timeline"


def test_ai_act_2_10_15_days_by_severity() -> None:
    due = {}
    for severity in ("widespread-infringement", "critical-infrastructure", "death", "serious-harm"):
        (clock,) = incident_clocks(_incident([{"regime": "ai-act-73", "severity": severity}]), LATER)
        due[severity] = clock.due - clock.start
    assert due == {"widespread-infringement": timedelta(days=2), "critical-infrastructure": timedelta(days=2),
                   "death": timedelta(days=10), "serious-harm": timedelta(days=15)}
    (death,) = incident_clocks(_incident([{"regime": "ai-act-73", "severity": "death"}]), LATER)
    assert death.due == _utc("2026-03-25T16:00:00Z") and death.basis.startswith("EU AI Act Art. 73(4)")


def test_gpai_code_initial_intermediate_and_final_reports() -> None:
    lengths = {}
    for severity in ("critical-infrastructure", "cybersecurity-breach", "death", "serious-harm"):
        clocks = incident_clocks(_incident([{"regime": "gpai-cop-9.3", "severity": severity}],
                                           timeline={"aware": AWARE, "resolved": "2026-03-20"}), LATER)
        lengths[severity] = clocks[0].due - clocks[0].start
    assert lengths == {"critical-infrastructure": timedelta(days=2), "cybersecurity-breach": timedelta(days=5),
                       "death": timedelta(days=10), "serious-harm": timedelta(days=15)}
    made = [{"date": "2026-03-17T10:00:00Z", "to": "AI Office", "form": "filing", "regime": "gpai-cop-9.3",
             "report": "initial-report"},
            {"date": "2026-04-10T10:00:00Z", "to": "AI Office", "form": "filing", "regime": "gpai-cop-9.3",
             "report": "intermediate-report"}]
    clocks = incident_clocks(_incident([{"regime": "gpai-cop-9.3", "severity": "critical-infrastructure"}],
                                       timeline={"aware": AWARE, "resolved": "2026-06-01T00:00:00Z"},
                                       disclosures=made), LATER)
    assert [(c.report, c.status, c.due) for c in clocks] == [
        ("initial-report", "met", _utc("2026-03-17T16:00:00Z")),
        ("intermediate-report", "met", _utc("2026-04-14T10:00:00Z")),
        ("intermediate-report", "missed", _utc("2026-05-08T10:00:00Z")),  # four weeks after the one before
        ("final-report", "missed", _utc("2026-07-31T00:00:00Z")),  # 60 days after resolution
    ]


def test_circia_follows_the_statute_and_says_the_rule_is_not_final() -> None:
    incident = _incident([{"regime": "circia"}], timeline={"aware": AWARE, "reasonable_belief": "2026-03-15T18:00:00Z",
                                                           "ransom_paid": "2026-03-17T08:00:00Z"})
    clocks = _by_report(incident)
    covered = clocks["circia", "covered-cyber-incident"]
    assert covered.from_event == "reasonable_belief" and covered.due == _utc("2026-03-18T18:00:00Z")
    assert clocks["circia", "ransom-payment"].due == _utc("2026-03-18T08:00:00Z")
    assert "proposed rule (89 FR 23644, April 4, 2024) is not final" in covered.note
    assert "takes effect only when the final rule does" in covered.note
    assert [c.report for c in incident_clocks(_incident([{"regime": "circia"}]), LATER)] == ["covered-cyber-incident"]


def test_records_without_obligations_cost_nothing() -> None:
    assert incident_clocks(Incident.model_validate({"id": "x", "title": "t", "category": "c"}), LATER) == []
    assert parse_as_of("2026-03-19", "Europe/Berlin") == _utc("2026-03-18T23:00:00Z")


# -- the command ----------------------------------------------------------------------------------------------------


def _record(tmp_path: Path, **changes: object) -> Path:
    record = {"id": "breach", "title": "A breach", "category": "personal-data-breach",
              "timeline": {"aware": AWARE}, "obligations": [{"regime": "gdpr-33", "authority": "DPC"}], **changes}
    path = tmp_path / "breach.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    return path


FILED_LATE = [{"date": "2026-03-19", "to": "DPC", "form": "filing", "regime": "gdpr-33", "reference": "DPC-1"}]


def test_clocks_table(tmp_path: Path) -> None:
    path = _record(tmp_path, disclosures=FILED_LATE)
    result = runner.invoke(app, ["clocks", str(path), "--as-of", "2026-03-20T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "As of 2026-03-20 00:00 UTC (times in UTC, documents.timezone; Form 8-K due times in Eastern, as EDGAR "
        "dates filings)",
        "Incident  Regime   Report        From                        Due                   Status",
        "breach    gdpr-33  notification  aware 2026-03-15 16:00 UTC  2026-03-18 16:00 UTC  missed",
        "    missed by at least 8 hours: made 2026-03-19 (disclosures[0], DPC); disclosures[0] has no time: counted from the "
        "start of 2026-03-19 (UTC, documents.timezone)",
        "0 met, 1 missed, 0 due, 0 cannot-start (1 reports).",
    ]


def test_clocks_json_is_the_documented_interface(tmp_path: Path) -> None:
    path = _record(tmp_path)
    result = runner.invoke(app, ["clocks", str(path), "--as-of", "2026-03-18T10:00:00+01:00", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"as_of": "2026-03-18T09:00:00Z", "clocks": [{
        "incident": "breach", "regime": "gdpr-33", "report": "notification", "from_event": "aware",
        "from": "2026-03-15T16:00:00Z", "due": "2026-03-18T16:00:00Z", "status": "due", "met_by": None,
        "basis": "GDPR Art. 33(1): notify the supervisory authority without undue delay and, where feasible, not later "
                 "than 72 hours after becoming aware of the breach; a later notification gives reasons for the delay; "
                 "Art. 33(4): information may be provided in phases",
        "note": "due in 7 hours"}]}


def test_clocks_json_keys_and_values_over_the_examples() -> None:
    result = runner.invoke(app, ["clocks", str(ROOT / "incidents"), "--as-of", "2026-12-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"as_of", "clocks"}
    regimes = {"gdpr-33", "nis2", "sec-8k-1.05", "ai-act-73", "gpai-cop-9.3", "circia"}
    for clock in data["clocks"]:
        assert set(clock) == {"incident", "regime", "report", "from_event", "from", "due", "status", "met_by", "basis",
                              "note"}
        assert clock["regime"] in regimes and clock["status"] in {"met", "missed", "due", "cannot-start"}
        assert (clock["met_by"] is not None) == (clock["status"] == "met")
        if clock["met_by"] is not None:
            assert set(clock["met_by"]) == {"date", "to", "reference"}
    statuses = {(c["incident"], c["regime"], c["report"]): c["status"] for c in data["clocks"]}
    assert len({regime for _, regime, _ in statuses}) >= 3
    assert statuses["support-export-breach-2026", "gdpr-33", "notification"] == "missed"
    assert statuses["ransomware-outage-2026", "sec-8k-1.05", "form-8k"] == "met"
    assert list(statuses.values()).count("missed") == 1


def test_as_of_that_is_no_time_is_bad_usage(tmp_path: Path) -> None:
    path = _record(tmp_path)
    for bad in ("soon", "2026-03-18T10:00:00", "2026-03"):
        result = runner.invoke(app, ["clocks", str(path), "--as-of", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert result.output.startswith("Error: --as-of: ")


def test_timezone_from_reporter_toml(tmp_path: Path) -> None:
    _record(tmp_path, timeline={"aware": "2026-03-15"})
    (tmp_path / "reporter.toml").write_text('[documents]\ntimezone = "Europe/Dublin"\n')
    result = runner.invoke(app, ["clocks", str(tmp_path / "breach.yaml"), "--as-of", "2026-03-16",
                                 "--config", str(tmp_path / "reporter.toml"), "--format", "json"])
    (clock,) = json.loads(result.output)["clocks"]
    assert clock["from"] == "2026-03-15T00:00:00Z" and "(Europe/Dublin, documents.timezone)" in clock["note"]
    (tmp_path / "reporter.toml").write_text('[documents]\ntimezone = "Mars/Olympus"\n')
    bad = runner.invoke(app, ["clocks", str(tmp_path / "breach.yaml"), "--config", str(tmp_path / "reporter.toml")])
    assert bad.exit_code == 1 and "documents.timezone: Value error, unknown time zone 'Mars/Olympus'" in bad.output


# -- reporter check -------------------------------------------------------------------------------------------------


def test_check_errors_on_a_late_gdpr_notification_without_reasons(tmp_path: Path) -> None:
    path = _record(tmp_path, disclosures=FILED_LATE)
    result = runner.invoke(app, ["check", str(path), "--as-of", "2026-04-01"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:7:11: obligations[0].regime: the GDPR Art. 33 notification is late (missed by at least 8 hours: made "
        "2026-03-19 (disclosures[0], DPC); it was due 2026-03-18T16:00:00Z) and the record gives no reason for the "
        "delay, which Art. 33(1) asks for: add obligations[0].delay_reason",
        "1 error, 0 warnings (1 file, 1 record checked).",
    ]


def test_check_warns_on_a_missed_clock_with_reasons_and_on_one_running_out(tmp_path: Path) -> None:
    cisa = {"date": "2026-03-16", "to": "CISA", "form": "filing", "regime": "circia"}
    path = _record(tmp_path, disclosures=[*FILED_LATE, cisa],
                   timeline={"aware": AWARE, "ransom_paid": "2026-03-18T08:00:00Z"},
                   obligations=[{"regime": "gdpr-33", "delay_reason": "Scope confirmed late."}, {"regime": "circia"}])
    result = runner.invoke(app, ["check", str(path), "--as-of", "2026-03-19T00:00:00Z"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "0 errors, 2 warnings (1 file, 1 record checked)."
    assert lines[0].endswith("obligations[0].regime: warning: clock missed: the GDPR Art. 33 notification was due "
                             "2026-03-18T16:00:00Z; missed by at least 8 hours: made 2026-03-19 (disclosures[0], DPC)")
    assert lines[1].endswith("obligations[1].regime: warning: clock running out: the CIRCIA (6 U.S.C. 681b) "
                             "ransom-payment is due 2026-03-19T08:00:00Z, in 8 hours")
    strict = runner.invoke(app, ["check", "--strict", str(path), "--as-of", "2026-03-19T00:00:00Z"])
    assert strict.exit_code == 1


def test_check_names_the_regime_of_a_disclosure_whose_figures_changed(tmp_path: Path) -> None:
    filed = [{**FILED_LATE[0], "figures": {"data_subjects": "about 10,000"}}]
    path = _record(tmp_path, disclosures=filed, figures={"data_subjects": "about 12,000"},
                   obligations=[{"regime": "gdpr-33", "delay_reason": "Scope confirmed late."}])
    result = runner.invoke(app, ["check", str(path), "--as-of", "2026-04-01"])
    assert "figures.data_subjects: warning: about 12,000 contradicts the about 10,000 stated to DPC on 2026-03-19 " \
           "under GDPR Art. 33 (disclosures[0])" in result.output
