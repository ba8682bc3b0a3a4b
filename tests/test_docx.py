"""Word (.docx) read back with python-docx; the marking and DRAFT notice in every format and audience."""

from __future__ import annotations

import io
import os
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from tests.support import run_in
from tests.test_documents import copy_project

DOCX_BRIEFS = ["senate-banking-letter", "executive-briefing", "public-disclosure", "gdpr-notification",
               "ai-act-serious-incident"]


def _build(project: Path, out: str, *briefs: str, formats: tuple[str, ...] = ("md", "docx")) -> None:
    args = ["build", *(f"briefs/{b}.yaml" for b in briefs), "--out", out]
    for fmt in formats:
        args += ["--format", fmt]
    result = run_in(project, args)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("docx"))
    _build(project, "out", *DOCX_BRIEFS)
    return project


def _paragraphs(part: object) -> list[str]:
    return [p.text for p in part.paragraphs]  # type: ignore[attr-defined]


def _marking(markdown: str) -> str:
    first = markdown.split("\n\n", 1)[0]
    return first.strip("*") if first.startswith("**") and first.strip("*") != "DRAFT" else ""


@pytest.mark.parametrize("brief", DOCX_BRIEFS)
def test_word_files_read_back_with_text_marking_fields_and_alt_text(project: Path, brief: str) -> None:
    out = project / "out"
    markdown = (out / f"{brief}.md").read_text(encoding="utf-8")
    document = docx.Document(str(out / f"{brief}.docx"))
    body = "\n".join(p.text for p in document.paragraphs)
    # The letter's text: every heading of the Markdown is a Word heading, in order.
    headings = [re.sub(r"\\(.)", r"\1", line.lstrip("# ").strip()) for line in markdown.splitlines()
                if re.match(r"^#{1,3} ", line)]
    word_headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert word_headings == headings and headings
    plain = [block for block in markdown.split("\n\n") if "\n" not in block.strip() and not re.search(r"[*\[\]|#\\<>_`]", block)]
    assert plain and max(plain, key=len).strip() in body
    if brief == "senate-banking-letter":
        assert "a single operator drove 28.8 million interactions" in body and "Sincerely," in body
    # Tables keep their header rows (repeated on each page).
    table_count = markdown.count("\n|---") + markdown.count("\n| ---")
    assert len(document.tables) == table_count
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # Footnotes: the sources.
    with zipfile.ZipFile(out / f"{brief}.docx") as archive:
        footnotes = archive.read("word/footnotes.xml").decode("utf-8")
        footer_xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if "footer" in n)
    if "[^1]" in markdown:
        assert "AI Security Wire" in footnotes or "<w:t" in footnotes.split("w:id=\"1\"", 1)[-1]
    # Marking in the header and the footer of every section, and at the top and bottom of the body.
    marking = _marking(markdown)
    for section in document.sections:
        header, footer = _paragraphs(section.header), _paragraphs(section.footer)
        if marking:
            assert header[0] == marking and footer[0] == marking
        assert any(text.startswith("Page ") and " of " in text for text in footer)
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    if marking:
        texts = [p.text for p in document.paragraphs if p.text.strip()]
        assert texts[0] == marking and texts[-1] == marking
    # DRAFT wherever the Markdown says DRAFT.
    draft = "\n\n**DRAFT**\n\n" in "\n\n" + markdown
    assert ("DRAFT" in _paragraphs(document.sections[0].header)) is draft
    assert ("DRAFT" in [p.text for p in document.paragraphs]) is draft
    # Charts: each image carries the chart's alt text, as the Markdown does.
    alts = re.findall(r"!\[([^\]]*)\]\(" + re.escape(brief) + r"_files/[a-z-]+\.png\)", markdown)
    described = [element.get("descr") for element in document.element.body.iter(qn("wp:docPr"))]
    def plain(text: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"\\(.)", r"\1", text))

    assert [plain(alt) for alt in alts] == [plain(text or "") for text in described]
    # Core properties from the document's facts; fixed dates from the brief.
    core = document.core_properties
    title_line = next(line for line in (project / "briefs" / f"{brief}.yaml").read_text().splitlines()
                      if line.startswith("title:"))
    assert core.title and core.title in title_line
    assert core.author == "Example AI Lab" and core.subject
    date_line = next(line for line in (project / "briefs" / f"{brief}.yaml").read_text().splitlines()
                     if line.startswith("date:"))
    assert core.created.date().isoformat() == date_line.split(":", 1)[1].strip()[:10]
    assert core.modified == core.created and core.language


def test_two_builds_give_identical_word_bytes(project: Path) -> None:
    _build(project, "again", *DOCX_BRIEFS)
    for brief in DOCX_BRIEFS:
        assert (project / "out" / f"{brief}.docx").read_bytes() == (project / "again" / f"{brief}.docx").read_bytes()
    with zipfile.ZipFile(project / "out" / "executive-briefing.docx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 6, 12, 0, 0, 0)}
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])


def test_make_demo_writes_word_beside_the_other_formats(project: Path) -> None:
    result = run_in(project, ["build", "briefs/public-disclosure.yaml", "--out", "demo"])
    assert result.exit_code == 0, result.output
    assert {p.suffix for p in (project / "demo").iterdir() if p.is_file()} == {".pdf", ".md", ".html", ".docx", ".json"}


# -- the organisation's reference document --------------------------------------------------------


def _reference(path: Path, font: str) -> None:
    from pypandoc import get_pandoc_path

    data = subprocess.run([get_pandoc_path(), "--print-default-data-file", "reference.docx"], capture_output=True,
                          check=True).stdout
    reference = docx.Document(io.BytesIO(data))
    reference.styles["Normal"].font.name = font
    reference.save(str(path))


def _with_reference(project: Path, value: str) -> None:
    config = (project / "reporter.toml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^reference_docx = .*\n", "", config)
    (project / "reporter.toml").write_text(config.replace("[documents]\n", f'[documents]\nreference_docx = "{value}"\n', 1),
                                           encoding="utf-8")


def test_the_reference_document_gives_word_its_styles(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    assert "[documents]\n" in (project / "reporter.toml").read_text()
    _reference(project / "assets" / "letterhead.docx", "Liberation Serif")
    _with_reference(project, "assets/letterhead.docx")
    _build(project, "out", "public-disclosure", formats=("docx",))
    with zipfile.ZipFile(project / "out" / "public-disclosure.docx") as archive:
        assert "Liberation Serif" in archive.read("word/styles.xml").decode("utf-8")


@pytest.mark.parametrize("case", ["outside", "fifo", "not-docx", "macro"])
def test_a_reference_document_that_is_not_what_it_claims_is_refused(tmp_path: Path, case: str) -> None:
    project = copy_project(tmp_path / "p")
    target = project / "assets" / "ref.docx"
    if case == "outside":
        _reference(tmp_path / "elsewhere.docx", "X")
        target.symlink_to(tmp_path / "elsewhere.docx")
        expected = "leads outside the project"
    elif case == "fifo":
        os.mkfifo(target)
        expected = "is not a regular file"
    elif case == "not-docx":
        target.write_bytes(b"%PDF-1.7 not a word file")
        expected = "is not a Word document"
    else:
        _reference(target, "X")
        with zipfile.ZipFile(target, "a") as archive:
            archive.writestr("word/vbaProject.bin", b"\0" * 16)
        expected = "holds macros"
    _with_reference(project, "assets/ref.docx")
    result = run_in(project, ["build", "briefs/public-disclosure.yaml", "--out", "out", "--format", "docx"])
    assert result.exit_code == 1 and "documents.reference_docx" in result.output and expected in result.output
    assert not (project / "out").exists()


# -- every format carries the marking ------------------------------------------------------------

AUDIENCES = ["public", "regulator", "executive"]
TEMPLATES = {"regulator-letter": "senate-banking-letter", "executive-briefing": "executive-briefing",
             "disclosure-summary": "public-disclosure"}


@pytest.fixture(scope="module")
def every_audience(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("marking"))
    names = []
    for template, brief in TEMPLATES.items():
        text = (project / "briefs" / f"{brief}.yaml").read_text(encoding="utf-8")
        for audience in AUDIENCES:
            changed = re.sub(r"(?m)^audience: .*$", f"audience: {audience}", text)
            if "audience:" not in changed:
                changed += f"\naudience: {audience}\n"
            changed = re.sub(r"(?m)^formats: .*\n", "", changed)
            (project / "briefs" / f"{template}-{audience}.yaml").write_text(changed, encoding="utf-8")
            names.append(f"{template}-{audience}")
    # A public document may carry a marking of its own (an embargo).
    text = (project / "briefs" / "public-disclosure.yaml").read_text(encoding="utf-8")
    (project / "briefs" / "embargoed.yaml").write_text(text + "marking: EMBARGOED UNTIL JUNE 12, 2026\n",
                                                       encoding="utf-8")
    names.append("embargoed")
    _build(project, "out", *names, formats=("md", "html", "docx"))
    return project / "out"


EXPECTED = {"public": "", "regulator": "CONFIDENTIAL", "executive": "RESTRICTED"}


@pytest.mark.parametrize("name", [f"{t}-{a}" for t in TEMPLATES for a in AUDIENCES] + ["embargoed"])
def test_every_format_states_the_marking_and_draft_at_top_and_bottom(every_audience: Path, name: str) -> None:
    audience = name.rsplit("-", 1)[-1]
    level = "EMBARGOED UNTIL JUNE 12, 2026" if name == "embargoed" else EXPECTED[audience]
    markdown = (every_audience / f"{name}.md").read_text(encoding="utf-8")
    html = (every_audience / f"{name}.html").read_text(encoding="utf-8")
    word = docx.Document(str(every_audience / f"{name}.docx"))
    blocks = [b for b in markdown.strip().split("\n\n") if b.strip()]
    marking = _marking(markdown)
    draft = "**DRAFT**" in blocks[:2]
    if level:
        assert marking.startswith(level), marking
        # Markdown: first and last paragraph.
        assert blocks[0] == f"**{marking}**" and blocks[-1] == f"**{marking}**"
        # HTML: the header opens the page with it, the footer closes it.
        header = html.split("<header", 1)[1].split("</header>", 1)[0]
        footer = html.split("<footer", 1)[1].split("</footer>", 1)[0]
        shown = marking.replace("&", "&amp;")
        assert shown in header and shown in footer
        assert html.index("</main>") < html.index("<footer")
        # Word: header, footer, first and last paragraph.
        texts = [p.text for p in word.paragraphs if p.text.strip()]
        assert texts[0] == marking and texts[-1] == marking
        assert _paragraphs(word.sections[0].header)[0] == marking
        assert _paragraphs(word.sections[0].footer)[0] == marking
    else:
        assert not marking and 'class="banner' not in html and "<footer" not in html.replace("<footer class=\"page-footer\">\n<p class=\"draft-notice\">", "")
        assert not any(p.text.startswith(("CONFIDENTIAL", "RESTRICTED")) for p in word.paragraphs)
    # DRAFT: the same in every format.
    assert (blocks[-1 if not level else -2] == "**DRAFT**") is draft
    assert ('<p class="draft-notice">DRAFT</p>' in html) is draft
    assert ("DRAFT" in [p.text for p in word.paragraphs]) is draft
    assert ("DRAFT" in _paragraphs(word.sections[0].header)) is draft


def test_some_document_of_the_sweep_is_a_draft(every_audience: Path) -> None:
    assert any("**DRAFT**" in path.read_text(encoding="utf-8") for path in every_audience.glob("*.md"))


def test_a_template_naming_a_local_file_as_an_image_gets_no_bytes_of_it(tmp_path: Path) -> None:
    from tests.support import write_manifest

    project = copy_project(tmp_path / "p")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nSECRET-BYTES-5150")
    user = project / "templates" / "leaky"
    write_manifest(user, formats=["docx"])
    (user / "body.md.j2").write_text(f"# {{{{ title }}}}\n\n![secret]({secret})\n\n![passwd](/etc/passwd)\n\n"
                                     "![up](../../reporter.toml)\n\n[link](file:///etc/passwd)\n")
    text = (project / "briefs" / "public-disclosure.yaml").read_text().replace("template: disclosure-summary",
                                                                            "template: leaky")
    (project / "briefs" / "leaky.yaml").write_text(text)
    result = run_in(project, ["build", "briefs/leaky.yaml", "--out", "out", "--template-dir", "templates"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(project / "out" / "leaky.docx") as archive:
        assert not [name for name in archive.namelist() if name.startswith("word/media/")]
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"SECRET-BYTES-5150" not in everything and b"root:" not in everything
    assert b"[paths]" not in everything
