"""Documents: golden Markdown, PDFs read back, determinism, atomic writes, templates and briefs.

Golden files live in tests/golden/. After an intended change to a template or an example,
regenerate them with ``REPORTER_UPDATE_GOLDEN=1 make test`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import typing
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from reporter import output
from reporter.cli import app
from reporter.context import DocumentContext
from tests.support import run_in, write_manifest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
BRIEFS = ["senate-banking-letter", "executive-briefing", "public-disclosure", "public-report-2026", "gdpr-notification", "sec-8k",
          "ai-act-serious-incident"]
runner = CliRunner()


def copy_project(target: Path) -> Path:
    """The example project (records, briefs, config, assets) in a scratch directory."""
    for name in ("incidents", "briefs", "assets"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "reporter.toml", target / "reporter.toml")
    return target


def build(project: Path, out: Path, *briefs: str, extra: tuple[str, ...] = ()) -> None:
    result = run_in(project, ["build", *(f"briefs/{b}.yaml" for b in briefs), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("project"))
    out = project / "out"
    build(project, out, *BRIEFS)
    return out


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


@pytest.mark.parametrize("brief", BRIEFS)
def test_golden_markdown(built: Path, brief: str) -> None:
    produced = (built / f"{brief}.md").read_text(encoding="utf-8")
    golden = GOLDEN / f"{brief}.md"
    if os.environ.get("REPORTER_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "no golden file: run REPORTER_UPDATE_GOLDEN=1 make test"
    assert produced == golden.read_text(encoding="utf-8")


def test_every_format_written(built: Path) -> None:
    for brief in BRIEFS:
        for suffix in (".pdf", ".md", ".html"):
            assert (built / f"{brief}{suffix}").stat().st_size > 0


def test_letter_pdf_reads_right(built: Path) -> None:
    pages = pdf_text(built / "senate-banking-letter.pdf")
    text = "\n".join(pages)
    flat = " ".join(text.split())
    for phrase in ("28.8 million", "about 25,000", "44 days", "April 22 to June 5, 2026",
                   "Periods are given in elapsed days", "The Honorable Tim Scott", "The Honorable Elizabeth Warren",
                   "Re: Coordinated distillation campaign against our models",
                   "Dear Chairman Scott and Ranking Member Warren:", "Jordan Avery", "Head of Threat Intelligence",
                   "Sincerely,"):
        assert phrase in flat, phrase
    # A letter to a senator carries no provenance and no notice of what it withholds (the build
    # report has both); its source, published after the letter's date, is left out.
    for phrase in ("SHA-256", "withheld", "incidents/", ".yaml", "reporter 0.", "not computable",
                   "Appendix: methodology", "AI Security Wire", "Dear The Honorable"):
        assert phrase not in flat, phrase
    # The sign-off -- last paragraph, closing, signature -- is on one page, never a signature alone.
    last = " ".join(pages[-1].split())
    assert "Sincerely," in last and "Jordan Avery" in last and "We would welcome" in last
    for number, page in enumerate(pages, start=1):
        flat_page = " ".join(page.split())
        assert f"Page {number} of {len(pages)}" in flat_page
        assert flat_page.count("CONFIDENTIAL — PREPARED FOR THE COMMITTEE ON BANKING, HOUSING, AND URBAN AFFAIRS") == 2
    assert "DRAFT" not in text


def test_pdf_metadata(built: Path) -> None:
    meta = PdfReader(built / "senate-banking-letter.pdf").metadata
    assert meta.title == "Coordinated distillation campaign against our models"
    assert meta.author == "Example AI Lab"
    assert meta.subject
    assert "distillation" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20260610")


def test_briefing_has_contents_and_pages(built: Path) -> None:
    pages = pdf_text(built / "executive-briefing.pdf")
    assert len(pages) > 1
    contents = " ".join(pages[1].split())
    assert "Contents" in contents
    # Each entry ends in the page its section starts on.
    entries = re.findall(r"(Bottom line|Key figures|Key judgments|Appendix: methodology) \.+ (\d+)", contents)
    assert len(entries) == 4
    for title, number in entries:
        assert title in pages[int(number) - 1]
    # A draft record is included: every page carries the watermark.
    assert all("DRAFT" in page for page in pages)
    assert all("RESTRICTED — PREPARED FOR EXECUTIVE" in " ".join(page.split()) for page in pages)


def test_public_summary_has_no_banner(built: Path) -> None:
    text = "\n".join(pdf_text(built / "public-disclosure.pdf"))
    assert "CONFIDENTIAL" not in text and "RESTRICTED" not in text
    assert "28.8 million" in text


def test_no_placeholders_or_nan_leak(built: Path) -> None:
    for path in built.iterdir():
        if path.suffix in (".md", ".html"):
            text = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            text = "\n".join(pdf_text(path))
        else:
            continue
        for bad in ("None", "nan", "NaN", "{{", "}}", "{%", "Infinity"):
            assert bad not in text, (path.name, bad)


def test_html_is_self_contained(built: Path) -> None:
    for brief in BRIEFS:
        _self_contained((built / f"{brief}.html").read_text(encoding="utf-8"))


def _self_contained(html: str) -> None:
    assert "<style>" in html
    # Nothing to fetch: images are data: URIs (the letterhead logo); links are anchors or
    # plain http(s) links to sources, which nothing follows.
    assert not re.search(r"""src=["'](?!data:)""", html)
    assert not re.search(r"""href=["'](?!#|https?://)""", html)
    assert "<link" not in html and "<script" not in html


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "again")
    again = tmp_path / "out"
    build(project, again, *BRIEFS)
    for path in sorted(built.rglob("*")):  # chart PNGs under *_files/ included
        if path.is_file():
            assert (again / path.relative_to(built)).read_bytes() == path.read_bytes(), path.name


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old complete file")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", fail)
    from reporter.errors import OutputError

    with pytest.raises(OutputError, match=f"cannot write {target}: disk full"):
        output.write_atomic(target, b"new")
    assert target.read_bytes() == b"old complete file"
    assert list(tmp_path.iterdir()) == [target]


def test_output_names_cannot_escape(tmp_path: Path) -> None:
    from reporter.errors import UsageError

    for stem in ("../evil", "a/b", ".hidden", ""):
        with pytest.raises(UsageError):
            output.output_path(tmp_path, stem, ".pdf")


def test_format_option_limits_outputs(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    out = tmp_path / "only-md"
    build(project, out, "public-disclosure", extra=("--format", "md"))
    assert sorted(p.name for p in out.iterdir()) == ["public-disclosure.build.json", "public-disclosure.md"]


def test_render_without_brief(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    result = run_in(project, ["render", "--template", "disclosure-summary", "--audience", "public",
                                 "--incident", "distillation-2026-q2", "--date", "2026-06-11",
                                 "-o", str(tmp_path / "summary.md")])
    bad = run_in(project, ["render", "--template", "disclosure-summary", "--audience", "press",
                              "--incident", "distillation-2026-q2", "-o", str(tmp_path / "x.md")])
    assert result.exit_code == 0, result.output
    assert "28.8 million" in (tmp_path / "summary.md").read_text()
    assert bad.exit_code == 2  # an audience reporter.toml does not define is bad usage
    assert "unknown audience 'press': expected one of executive, public, regulator" in bad.output


def test_bad_brief_is_located(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    brief = project / "briefs" / "bad.yaml"
    brief.write_text("template: regulator-letter\naudience: regulator\ntitle: T\ndate: 2026-06-10\nincidnts: []\n")
    result = run_in(project, ["build", "briefs/bad.yaml"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "briefs/bad.yaml:5:1: incidnts: unknown key 'incidnts' (did you mean 'incidents'?)"


def test_unknown_template_is_an_error(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "briefs" / "x.yaml").write_text(
        "template: press-release\naudience: public\ntitle: T\ndate: 2026-06-10\nincidents: [distillation-2026-q2]\n")
    result = run_in(project, ["build", "briefs/x.yaml"])
    assert result.exit_code == 1
    assert result.output == ("briefs/x.yaml:1:11: template: no template named 'press-release' "
                             "(available: ai-act-serious-incident, disclosure-summary, executive-briefing, "
                             "gdpr-notification, regulator-letter, sec-8k)\n")


def _user_template(project: Path, body: str) -> Path:
    user = project / "my-templates" / "disclosure-summary"
    write_manifest(user)
    (user / "body.md.j2").write_text(body)
    return project / "my-templates"


def test_user_template_extends_bundled(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    templates = _user_template(project, '{% extends "default:disclosure-summary/body.md.j2" %}\n')
    # Extending keeps the bundled text; a user dir comes first in the lookup.
    (templates / "disclosure-summary" / "body.md.j2").write_text(
        "Prepared by the comms team.\n\n{% include 'default:disclosure-summary/body.md.j2' %}")
    out = tmp_path / "out"
    build(project, out, "public-disclosure", extra=("--template-dir", str(templates), "--format", "md"))
    text = (out / "public-disclosure.md").read_text()
    assert text.startswith("Prepared by the comms team.\n\n# What we found")


def test_undefined_names_are_errors(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    templates = _user_template(project, "Total: {{ no_such_figure }}\n")
    result = run_in(project, ["build", "briefs/public-disclosure.yaml", "--template-dir", str(templates)])
    assert result.exit_code == 1
    assert "'no_such_figure' is undefined" in result.output


def test_record_text_cannot_become_markup(tmp_path: Path) -> None:
    from reporter.render import markdown_to_html, md_escape

    hostile = "**bold** [link](http://x) ![img](file:///etc/passwd) <img src=x> | cell | # heading `code`"
    html, _ = markdown_to_html(md_escape(hostile))
    assert "<strong>" not in html and "<a " not in html and "<img" not in html and "<code>" not in html
    assert "&lt;img src=x&gt;" in html


def test_template_context_fields_are_documented() -> None:
    from reporter import context as module

    classes = [obj for obj in vars(module).values() if dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__]
    assert DocumentContext in classes
    for cls in classes:
        for f in dataclasses.fields(cls):
            assert f.metadata.get("doc"), f"{cls.__name__}.{f.name} has no description"
    hints = typing.get_type_hints(DocumentContext)
    assert "incidents" in hints


def test_parallel_build_matches_one_at_a_time(built: Path, tmp_path: Path) -> None:
    """Several briefs lay out their PDFs in worker processes; the bytes are those of single builds."""
    project = copy_project(tmp_path / "single")
    single = tmp_path / "out"
    for brief in BRIEFS:
        build(project, single, brief)
    for path in sorted(built.rglob("*")):
        if path.is_file():
            assert (single / path.relative_to(built)).read_bytes() == path.read_bytes(), path.name


def test_briefing_charts_everywhere(built: Path) -> None:
    markdown = (built / "executive-briefing.md").read_text()
    for kind in ("timeline", "by-actor", "rates", "daily-volume"):
        assert f"](executive-briefing_files/{kind}.png)" in markdown
        png = (built / "executive-briefing_files" / f"{kind}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "![Bar chart of interactions by actor: Alibaba 28.8 million; Unknown operator about 4,800. Not shown, with no interactions stated: Unattributed botnet.]" in markdown
    html = (built / "executive-briefing.html").read_text()
    assert html.count("<svg") >= 2
    pdf = (built / "executive-briefing.pdf").read_bytes()
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf  # charts are vectors
    text = " ".join(" ".join(pdf_text(built / "executive-briefing.pdf")).split())
    assert "Bar chart of interactions by actor: Alibaba 28.8 million; Unknown operator about 4,800. Not shown, with no interactions stated: Unattributed botnet." in text


def test_chart_command_writes_svg_and_png(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    for kind in ("timeline", "by-actor", "rates", "per-period", "daily-volume"):
        for suffix in (".svg", ".png"):
            target = tmp_path / f"{kind}{suffix}"
            result = runner.invoke(app, ["chart", str(ROOT / "incidents"), "--kind", kind, "-o", str(target)])
            assert result.exit_code == 0, result.output
            data = target.read_bytes()
            if suffix == ".svg":
                root = ET.fromstring(data)
                assert root.tag.endswith("svg") and root[0].tag.endswith("title")
            else:
                assert data.startswith(b"\x89PNG\r\n\x1a\n")
    by_actor = runner.invoke(app, ["chart", str(ROOT / "incidents"), "--kind", "by-actor", "-o", str(tmp_path / "a.svg")])
    assert by_actor.output.startswith(f"wrote {tmp_path / 'a.svg'}: Bar chart of interactions by actor: Alibaba 28.8 million; "
                                      "MiniMax more than 13 million; Moonshot AI more than 3.4 million;")
    bad = runner.invoke(app, ["chart", str(ROOT / "incidents"), "--kind", "by-actor", "-o", str(tmp_path / "a.gif")])
    assert bad.exit_code == 2 and "expected a file ending in .svg or .png" in bad.output


def test_new_record_and_brief_validate(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "record", "fresh-case", "--dir", str(tmp_path / "incidents")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(tmp_path / "incidents")]).exit_code == 0
    again = runner.invoke(app, ["new", "record", "fresh-case", "--dir", str(tmp_path / "incidents")])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(app, ["new", "record", "Bad Name", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "is not a slug" in bad.output
    brief = runner.invoke(app, ["new", "brief", "my-letter", "--dir", str(tmp_path / "briefs")])
    assert brief.exit_code == 0
    unknown = runner.invoke(app, ["new", "brief", "other", "--template", "nope", "--dir", str(tmp_path / "briefs")])
    assert unknown.exit_code == 2 and unknown.output == (
        "Error: --template: no template named 'nope' (available: ai-act-serious-incident, disclosure-summary, "
        "executive-briefing, gdpr-notification, regulator-letter, sec-8k)\n")
    from reporter.brief import load_brief

    assert load_brief(tmp_path / "briefs" / "my-letter.yaml").template == "regulator-letter"


def test_phrasing_filters() -> None:
    from reporter.render import document_filters

    f = document_filters("en_US", 4)
    assert f["quantity"]({"phrase": "about 25,000"}) == "about 25,000"
    assert f["quantity"](28_800_000) == "28.8 million"
    assert f["number"](654_545.45) == "654,500"
    assert f["date"]("2026-06-05") == "June 5, 2026"
    assert f["date_range"]("2026-04-22", "2026-06-05") == "April 22 to June 5, 2026"
    assert f["duration"](44) == "44 days"
    assert f["percent"](0.1234) == "12.3%"
    g = document_filters("de_DE", 4)
    assert g["quantity"](28_800_000) == "28,8 Millionen"
    assert g["date_range"]("2026-04-22", "2026-06-05") == "22. April bis 5. Juni 2026"
    assert g["duration"](1) == "1 Tag"


def test_user_template_uses_filters(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    templates = _user_template(project, "{{ 28800000 | quantity }} from {{ '2026-04-22' | date_range('2026-06-05') }}, "
                                        "{{ incidents[0].named.accounts | quantity }}, {{ 44 | duration }}\n")
    out = tmp_path / "out"
    build(project, out, "public-disclosure", extra=("--template-dir", str(templates), "--format", "md"))
    assert (out / "public-disclosure.md").read_text() == (
        "28.8 million from April 22 to June 5, 2026, about 25,000, 44 days\n")


def test_config_is_validated(tmp_path: Path) -> None:
    from reporter.config import load_config
    from reporter.errors import ConfigError

    bad = tmp_path / "reporter.toml"
    bad.write_text('[documents]\npaper = "legal"\nfont = "x\\"; } body { color: red"\ncolour = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    message = str(info.value)
    assert f"{bad}: documents.paper:" in message and f"{bad}: documents.font:" in message
    assert f"{bad}: documents.colour: unknown key" in message


def test_unwritable_output_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_in(project, ["build", "briefs/public-disclosure.yaml", "--out", str(blocker)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {blocker}/public-disclosure.md: File exists\n"


def test_render_option_errors_name_the_option(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    base = ["render", "--template", "disclosure-summary", "--audience", "public", "--incident", "distillation-2026-q2",
            "-o", str(tmp_path / "x.md")]
    bad_date = run_in(project, [*base, "--date", "2026-13-01"])
    assert bad_date.exit_code == 2
    assert bad_date.output.startswith("Error: --date: no such calendar date or time")
    bad_title = run_in(project, [*base, "--title", "a\nb"])
    assert bad_title.output == "Error: --title: expected a single line of text\n"


def test_single_incident_templates_refuse_several(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "briefs" / "all.yaml").write_text(
        "template: regulator-letter\naudience: regulator\ntitle: T\ndate: 2026-06-10\nincidents: []\n")
    result = run_in(project, ["build", "briefs/all.yaml"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "briefs/all.yaml:5:12: incidents: the regulator-letter template is about one incident, and "
        "this brief selects 9: name one id (or use a template about several: disclosure-summary, "
        "executive-briefing)\n")
    assert result.output.endswith("Error: 1 error, 1 warning: nothing was written\n")


def test_prose_never_reads_not_computable(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    seed = project / "incidents" / "2026-06-distillation-campaign.yaml"
    seed.write_text(seed.read_text().replace("to harvest training", "detected after {detection_lag_days}, to harvest training"))
    result = run_in(project, ["build", "briefs/senate-banking-letter.yaml"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].endswith(
        "summary: {detection_lag_days} is not computable (no 'detected' date in the timeline)")
