"""`reporter validate`: every kind of broken file, with its exact message and location."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reporter.cli import app
from reporter.records import validate_files

BAD = Path(__file__).parent / "data" / "bad"
INCIDENTS = Path(__file__).parent.parent / "incidents"

runner = CliRunner()

# file → the exact problem lines `reporter validate FILE` prints.
EXPECTED = {
    "syntax-error.yaml": ["{p}:3:9: invalid YAML: did not find expected ',' or ']'"],
    "unknown-key.yaml": ["{p}:1:1: category: required key is missing",
                         "{p}:3:1: catgory: unknown key 'catgory' (did you mean 'category'?)"],
    "duplicate-key.yaml": ["{p}:3:1: title: duplicate key (first written at line 2)"],
    "bad-id.yaml": ["{p}:1:5: id: expected a slug: lowercase letters, digits and hyphens, starting with a letter "
                    "or digit, at most 64 characters"],
    "path-like-id.yaml": ["{p}:1:5: id: expected a slug: lowercase letters, digits and hyphens, starting with a "
                          "letter or digit, at most 64 characters"],
    "impossible-date.yaml": ["{p}:5:10: window.start: {impossible_date}"],
    "end-before-start.yaml": ["{p}:6:8: window.end: end is before start"],
    "garbage-quantity.yaml": ["{p}:5:13: figures.accounts: {quantity_help}"],
    "nan.yaml": ["{p}:5:13: figures.cost_eur: NaN and infinity are not allowed; write a finite number"],
    "overflow.yaml": ["{p}:5:17: figures.interactions: number is too large (the limit is 10^15)"],
    "alias-bomb.yaml": ["{p}:4:10: actions[0]: YAML anchors and aliases (&name, *name) are not allowed; write the value out"],
    "deep-nesting.yaml": ["{p}:4:41: targets" + "[0]" * 31 + ": nesting is deeper than 32 levels"],
    "python-tag.yaml": ["{p}:2:8: title: YAML tags (such as !!python/object or !!str) are not allowed"],
    "not-utf8.yaml": ["{p}:2:11: not valid UTF-8 (byte 0xe9); save the file as UTF-8"],
    "list-one-bad.json": ["{p}:3:87: [1].status: expected one of draft, confirmed, disclosed, closed (record list-bad-one)"],
    "wrong-enum.yaml": ["{p}:4:14: sensitivity: expected one of public, confidential, restricted"],
    "empty.yaml": ["{p}: file is empty; expected an incident (a mapping) or a list of incidents"],
    "missing-title.yaml": ["{p}:1:1: title: required key is missing"],
    "naive-datetime.yaml": ["{p}:5:10: window.start: {naive}"],
    "file-url.yaml": ["{p}:6:10: sources[0].url: expected an http:// or https:// URL"],
    "json-duplicate-key.json": ["{p}:5:3: title: duplicate key (first written at line 3)"],
    "json-nan.json": ["{p}:5:27: figures.cost_eur: NaN and infinity are not allowed; write a finite number"],
    "json-syntax.json": ["{p}:4:1: invalid JSON: Expecting property name enclosed in double quotes"],
    "two-documents.yaml": ["{p}:4:1: a file holds one YAML document; remove the second '---'"],
    "bad-technique.yaml": ["{p}:4:14: techniques[0]: expected a MITRE ATLAS or ATT&CK technique id such as "
                           "AML.T0024.002 or T1078"],
    "reversed-range.yaml": ["{p}:5:17: figures.interactions: {reversed}"],
    "scalar-root.yaml": ["{p}:1:1: expected an incident (a mapping) or a list of incidents"],
    "negative-figure.yaml": ["{p}:5:13: figures.accounts: {negative}"],
    "multiline-title.yaml": ["{p}:2:8: title: expected a single line of text"],
    "bool-figure.yaml": ["{p}:5:13: figures.accounts: {boolean}"],
    "evidence-url.yaml": ["{p}:5:5: evidence[0]: expected a relative file path for 'log' (no URL, no absolute path)"],
    "bad-timeline.yaml": ["{p}:5:13: timeline.detected: {impossible_month}"],
    "confidential-value.yaml": ["{p}:6:13: figures.accounts: {quantity_help}"],
    # One file per rule that reporter schema states too (tests/test_schema.py checks it refuses them).
    "ftp-url.yaml": ["{p}:6:10: sources[0].url: expected an http:// or https:// URL"],
    "evidence-absolute.yaml": ["{p}:5:5: evidence[0]: expected a relative file path for 'log' (no URL, no absolute path)"],
    "multiline-actor-name.yaml": ["{p}:5:11: actors[0].name: expected a single line of text"],
    "multiline-source-title.yaml": ["{p}:5:12: sources[0].title: expected a single line of text"],
    "blank-title.yaml": ["{p}:2:8: title: expected non-empty text"],
    "empty-target.yaml": ["{p}:5:5: targets[0]: expected non-empty text"],
    "negative-mapping-value.yaml": ["{p}:5:13: figures.accounts: {negative}"],
    "negative-low.yaml": ["{p}:5:13: figures.accounts: {negative}"],
    "negative-actor-figure.yaml": ["{p}:7:21: actors[0].figures.interactions: {negative}"],
    "negative-phrase.yaml": ["{p}:5:13: figures.accounts: {negative}"],
    "too-large-high.yaml": ["{p}:5:32: figures.interactions.high: number is too large (the limit is 10^15)"],
    "bad-figure-name.yaml": ["{p}:5:3: figures.Accounts: {figure_name}"],
    "bad-actor-figure-name.yaml": ["{p}:7:7: actors[0].figures.total interactions: {figure_name}"],
    "bad-disclosure-figure-name.yaml": ["{p}:9:7: disclosures[0].figures.user-count: {figure_name}"],
    "fractional-count.yaml": ["{p}:5:17: figures.interactions: interactions is a count: expected a whole number, "
                              "not a fraction"],
    "ambiguous-phrase.yaml": ["{p}:5:13: figures.accounts: 25.000 is ambiguous: it reads as 25 with a decimal point, "
                              "or as 25,000 with '.' separating thousands; write 25 or 25000"],
    "evidence-both.yaml": ["{p}:5:5: evidence[0]: expected exactly one of 'text' or 'log'"],
    "evidence-neither.yaml": ["{p}:5:5: evidence[0]: expected exactly one of 'text' or 'log'"],
    "value-and-range.yaml": ["{p}:5:13: figures.accounts: a range needs both low and high, and no value"],
    "half-range.yaml": ["{p}:5:13: figures.accounts: a range needs both low and high, and no value"],
    "qualified-range.yaml": ['{p}:5:13: figures.accounts: a figure qualified "about" needs a value, and no low or high'],
    "unknown-with-value.yaml": ["{p}:5:13: figures.accounts: an unknown figure takes no value, low or high"],
    "qualifier-phrase-value.yaml": ["{p}:5:13: figures.accounts: in the mapping form, value, low and high are plain "
                                    "numbers; put the qualifier in 'qualifier'"],
    "year-out-of-range.yaml": ["{p}:5:10: window.start: {year_range}"],
    "int-year-out-of-range.yaml": ["{p}:5:13: timeline.detected: {year_range}"],
    "datetime-year-out-of-range.yaml": ["{p}:5:13: timeline.detected: {year_range}"],
    "bad-offset.yaml": ["{p}:5:13: timeline.detected: {not_a_date}"],
    "offset-too-large.yaml": ["{p}:5:13: timeline.detected: {impossible_date}"],
    "feb-29-non-leap.yaml": ["{p}:5:13: timeline.detected: {impossible_date}"],
    "nul-escape.yaml": ["{p}:4:10: summary: holds a NUL character (U+0000), which no document can show; remove it"],
    "c1-control.yaml": ["{p}:5:11: actions[0].text: holds a control character (U+0085), which no document can show; "
                        "remove it"],
    "control-in-key.json": ["{p}:5:16: timeline.detec\u27e8U+0007\u27e9ted: the key holds a control character "
                            "(U+0007), which no document can show; remove it"],
    "lone-surrogate.json": ["{p}:3:25: invalid JSON: \\ud83d is a lone surrogate, half of a UTF-16 pair without its "
                            "other half, and no character; write the character itself"],
    # (refused before anything a schema could see: no reader gives data for them)
    "nul-byte.yaml": ["{p}:4:20: invalid YAML: a NUL character (U+0000) is not allowed"],
    "surrogate-escape.yaml": ["{p}:2:21: invalid YAML: an escape that is no character: a surrogate (U+D800 to "
                              "U+DFFF) or beyond U+10FFFF; write the character itself (beyond U+FFFF, YAML writes "
                              "\\U and 8 hex digits, not two \\u halves)"],
    # ... and per rule it cannot state (listed in tests/test_schema.py).
    "alias-valid-shape.yaml": ["{p}:2:8: summary: YAML anchors and aliases (&name, *name) are not allowed; write the "
                               "value out"],
    "reversed-mapping-range.yaml": ["{p}:5:13: figures.accounts: {reversed}"],
    "phrase-too-large.yaml": ["{p}:5:17: figures.interactions: figure too large: figures above 10^15 are not accepted"],
    "year-as-float.yaml": ["{p}:5:13: timeline.detected: {not_a_number_date}"],
    "ambiguous-number.yaml": ["{p}:5:13: figures.accounts: 25.000 is ambiguous: it reads as 25 with a decimal point, "
                              "or as 25,000 with '.' separating thousands; write 25 or 25000"],
    "json-infinity.json": ["{p}:1:98: figures.accounts: NaN and infinity are not allowed; write a finite number"],
    "fractional-count-phrase.yaml": ["{p}:7:17: actors[0].figures.accounts: accounts is a count: expected a whole "
                                     "number, not a fraction"],
    "list-duplicate-id.json": ["{p}:3:10: [1].id: duplicate id 'list-twice' (first used at {p}:2:10) (record list-twice)"],
    # Obligations and the disclosures made under them (tests/test_clocks.py).
    "obligation-unknown-regime.yaml": ["{p}:5:13: obligations[0].regime: expected one of gdpr-33, nis2, sec-8k-1.05, "
                                       "ai-act-73, gpai-cop-9.3, circia"],
    "obligation-no-severity.yaml": ["{p}:5:5: obligations[0]: severity: ai-act-73 needs one of death, "
                                    "widespread-infringement, critical-infrastructure, serious-harm"],
    "obligation-wrong-severity.yaml": ["{p}:5:5: obligations[0]: severity: ai-act-73 needs one of death, "
                                       "widespread-infringement, critical-infrastructure, serious-harm"],
    "obligation-severity-refused.yaml": ["{p}:5:5: obligations[0]: severity: gdpr-33 has no severity tiers (only "
                                         "ai-act-73 and gpai-cop-9.3)"],
    "disclosure-wrong-report.yaml": ["{p}:5:5: disclosures[0]: report: expected one or more of notification for gdpr-33"],
    "disclosure-report-without-regime.yaml": ["{p}:5:5: disclosures[0]: 'report' needs the 'regime' it belongs to"],
}


def _messages() -> dict[str, str]:
    """Messages owned by reporter.quantities / reporter.dates, read from the library itself."""
    from reporter.dates import parse_when
    from reporter.errors import DateError, QuantityError
    from reporter.quantities import parse_quantity

    def err(func, arg, exc):
        with pytest.raises(exc) as info:
            func(arg)
        return str(info.value)

    return {
        "quantity_help": err(parse_quantity, "lots of them", QuantityError),
        "boolean": err(parse_quantity, True, QuantityError),
        "reversed": err(parse_quantity, "4 to 3 million", QuantityError),
        "negative": err(parse_quantity, -5, QuantityError),
        "impossible_date": err(parse_when, "2026-02-30", DateError),
        "impossible_month": err(parse_when, "2026-13-01", DateError),
        "naive": err(parse_when, "2026-04-22T09:30:00", DateError),
        "year_range": err(parse_when, "1850", DateError),
        "not_a_date": err(parse_when, "2026-04-22T09:30:00+2", DateError),
        "not_a_number_date": "expected a date (2026-04-22), a month (2023-05), a year (2020) or an ISO datetime with "
                             "offset (2026-04-22T09:30:00Z)",
        "figure_name": "figure names are lowercase words joined by '_' (e.g. accounts)",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_exact_message(name: str) -> None:
    path = BAD / name
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", str(path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    expected = [line.format(p=path, **_messages()) for line in EXPECTED[name]]
    assert lines[:-1] == expected
    errors = [line for line in expected if ": warning: " not in line]
    warnings = len(expected) - len(errors)
    assert lines[-1].startswith(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in ")
    assert (f"({warnings} warning" in lines[-1]) == bool(warnings)
    assert elapsed < 1.0


def test_messages_are_specific() -> None:
    """The library's own messages say what was expected, not just 'invalid'."""
    messages = _messages()
    assert "about 25,000" in messages["quantity_help"]
    assert "2026-04-22" in messages["impossible_date"] or "date" in messages["impossible_date"]
    assert "offset" in messages["naive"]


def test_same_id_in_two_files() -> None:
    result = runner.invoke(app, ["validate", str(BAD / "same-id-a.yaml"), str(BAD / "same-id-b.yaml")])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{BAD / 'same-id-b.yaml'}:1:5: id: duplicate id 'same-id' (first used at {BAD / 'same-id-a.yaml'}:1:5)"
    )


def test_oversized_file_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write("id: big\ntitle: Big\ncategory: distillation\ntargets:\n")
        line = "  - " + "x" * 95 + "\n"
        handle.write(line * (20 * 1024 * 1024 // len(line)))
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", str(big)])
    assert time.perf_counter() - started < 1.0
    assert result.exit_code == 1
    size = big.stat().st_size
    assert result.output.splitlines()[0] == (
        f"{big}: file is {size:,} bytes, over the limit of 8,388,608 (raise it with --max-file-size)"
    )
    raised = runner.invoke(app, ["validate", "--max-file-size", "32MiB", str(big)])
    assert raised.exit_code == 0, raised.output


def test_directory_reports_every_problem_at_once() -> None:
    result = runner.invoke(app, ["validate", str(BAD)])
    assert result.exit_code == 1
    reported_files = {line.split(":")[0] for line in result.output.splitlines()[:-1]}
    expected_files = {str(BAD / name) for name in EXPECTED} | {str(BAD / "same-id-b.yaml")}
    assert reported_files == expected_files
    assert result.output.splitlines()[-1].endswith(f"in {len(expected_files)} files ({len(list(BAD.iterdir()))} "
                                                   f"files, {_record_count()} records checked).")


def _record_count() -> int:
    report = validate_files([BAD])
    return report.records


def test_json_format_lists_problems() -> None:
    result = runner.invoke(app, ["validate", "--format", "json", str(BAD / "unknown-key.yaml")])
    assert result.exit_code == 1
    problems = json.loads(result.output)
    assert problems[1] == {
        "path": str(BAD / "unknown-key.yaml"), "line": 3, "column": 1, "key": "catgory",
        "severity": "error", "message": "unknown key 'catgory' (did you mean 'category'?)",
    }


def test_confidential_value_never_echoed() -> None:
    result = runner.invoke(app, ["validate", "--format", "json", str(BAD)])
    assert "CANARY-SECRET-7731" not in result.output
    assert "pwned" not in result.output


def test_examples_validate() -> None:
    result = runner.invoke(app, ["validate", str(INCIDENTS)])
    assert result.exit_code == 0, result.output
    assert result.output == "8 files, 9 records: all valid.\n"


def test_yaml_11_surprises_do_not_happen(tmp_path: Path) -> None:
    record = tmp_path / "r.yaml"
    record.write_text("id: '010'\ntitle: NO\ncategory: distillation\ntargets: [12:30:00, 010, yes, off]\n")
    report = validate_files([record])
    assert report.ok, report.problems
    incident = report.collection.incidents[0].incident
    assert incident.title == "NO"
    assert [t.text for t in incident.targets] == ["12:30:00", "010", "yes", "off"]


def test_bom_accepted(tmp_path: Path) -> None:
    record = tmp_path / "bom.yaml"
    record.write_bytes(b"\xef\xbb\xbfid: with-bom\ntitle: BOM\ncategory: distillation\n")
    assert validate_files([record]).ok


def test_empty_directory_is_one_clear_problem(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == f"{tmp_path}: no record files found (expected .yaml, .yml or .json)\n"


def test_missing_path_is_reported() -> None:
    result = runner.invoke(app, ["validate", "no/such/dir.yaml"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "no/such/dir.yaml: no such file or directory"


def test_bad_usage_exits_2() -> None:
    # (`reporter validate` with no paths validates paths.records of reporter.toml: not bad usage.)
    assert runner.invoke(app, ["validate", "--format", "xml", "incidents"]).exit_code == 2
    result = runner.invoke(app, ["validate", "--max-file-size", "big", "incidents"])
    assert result.exit_code == 2


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    incident = schema["$defs"]["Incident"]
    assert incident["additionalProperties"] is False
    assert set(incident["required"]) == {"id", "title", "category"}
    assert "figures" in incident["properties"]


def test_schema_accepts_examples_and_rejects_unknown_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(runner.invoke(app, ["schema"]).output)
    for path in sorted(p for p in INCIDENTS.iterdir() if p.suffix in (".yaml", ".json")):
        data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
        data = json.loads(json.dumps(data, default=str))
        jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x", "title": "t", "category": "c", "catgory": "c"}, schema)


def test_kev_window_errors_by_id(tmp_path: Path) -> None:
    """CISA KEV as records: entries due before they were added are window errors, named by id."""
    kev = Path(__file__).parent.parent.parent / "shared" / "datasets" / "kev" / "known_exploited_vulnerabilities.json"
    if not kev.exists():
        pytest.skip("shared datasets not present")
    from tests.datasets import kev_records

    records = kev_records(kev)
    target = tmp_path / "kev.json"
    target.write_text(json.dumps(records))
    started = time.perf_counter()
    report = validate_files([target])
    elapsed = time.perf_counter() - started
    raw = json.loads(kev.read_text())["vulnerabilities"]
    expected = sorted(v["cveID"].lower() for v in raw if v["dueDate"] < v["dateAdded"])
    assert len(expected) == 15
    window_errors = sorted(p.message.split("(record ")[1].rstrip(")") for p in report.problems
                           if p.message.startswith("end is before start"))
    assert window_errors == expected
    assert len(report.problems) == 15
    assert report.records == len(raw) == 1404
    assert elapsed < 2.0
