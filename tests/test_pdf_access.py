"""Every bundled PDF is tagged PDF/UA-1: read back with pikepdf and checked by the ``pdfua`` package."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pikepdf
import pytest

from tests.test_documents import BRIEFS, build, copy_project


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("ua"))
    build(project, project / "out", *BRIEFS, extra=("--format", "pdf", "--format", "html"))
    return project / "out"


def _elements(root: pikepdf.Object) -> list[pikepdf.Dictionary]:
    found, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in seen:
                seen.add(kid.objgen)
                found.append(kid)
                stack.append(kid)
    return found


@pytest.mark.parametrize("brief", BRIEFS)
def test_pdfua_reports_no_errors(pdfs: Path, brief: str) -> None:
    from pdfua import Severity, validate

    report = validate(str(pdfs / f"{brief}.pdf"))
    errors = [f"{f.rule_id}: {f.message}" for f in report.findings if f.severity is Severity.ERROR]
    assert errors == []
    # Table headers are associated (scope), so not even a warning about them.
    assert not [f for f in report.findings if f.rule_id == "UA-15-003"]


@pytest.mark.parametrize("brief", BRIEFS)
def test_the_pdf_is_tagged_identified_and_navigable(pdfs: Path, brief: str) -> None:
    html = (pdfs / f"{brief}.html").read_text(encoding="utf-8")
    with pikepdf.open(pdfs / f"{brief}.pdf") as pdf:
        root = pdf.Root
        assert root.MarkInfo.Marked is True
        assert root.ViewerPreferences.DisplayDocTitle is True
        language = re.search(r'<html lang="([^"]+)"', html).group(1)
        assert str(root.Lang) == language and language.startswith("en")
        xmp = root.Metadata.read_bytes()
        assert b'pdfuaid:part="1"' in xmp
        title = re.search(r"<title>([^<]*)</title>", html).group(1)
        with pdf.open_metadata() as meta:
            assert meta.get("dc:title") == unescape(title)
        # Bookmarks from the headings.
        with pdf.open_outline() as outline:
            assert len(outline.root) >= 1
        elements = _elements(root.StructTreeRoot)
        tags = [str(e.S) for e in elements]
        assert "/H1" in tags or "/H2" in tags
        # Table header cells state their scope.
        headers = [e for e in elements if e.S == "/TH"]
        if "<table" in html:
            assert headers and all(e.A.get("/Scope") in ("/Column", "/Row") for e in headers)
        # Every chart is a Figure with its alt text.
        figures = [str(e.get("/Alt", "")) for e in elements if e.S == "/Figure"]
        charts = re.findall(r"<title[^>]*>([^<]+)</title>", html.split("<body", 1)[1])
        for alt in charts:
            assert unescape(alt) in figures
        assert all(figures)
        # Page furniture is an artifact: no marked content outside the structure tree.
        reachable = {e.objgen for e in elements}
        nums = root.StructTreeRoot.ParentTree.Nums
        for index in range(0, len(nums), 2):
            entries = nums[index + 1]
            if isinstance(entries, pikepdf.Array):
                assert all(not isinstance(e, pikepdf.Dictionary) or e.objgen in reachable for e in entries)
        artifacts = sum(bytes(page.Contents.read_bytes()).count(b"/Artifact") for page in pdf.pages
                        if not isinstance(page.Contents, pikepdf.Array))
        assert artifacts >= len(pdf.pages)  # "Page N of M" at least, on every page


def test_the_classification_banner_and_running_header_are_artifacts(pdfs: Path) -> None:
    html = (pdfs / "senate-banking-letter.html").read_text(encoding="utf-8")
    assert '<p class="banner banner-top">' in html and 'class="banner banner-bottom"' in html
    with pikepdf.open(pdfs / "senate-banking-letter.pdf") as pdf:
        for page in pdf.pages:
            furniture = [operands for operands, operator in pikepdf.parse_content_stream(page)
                         if str(operator) == "BDC" and operands[0] == pikepdf.Name.Artifact
                         and operands[1].get("/Type") == pikepdf.Name.Pagination]
            # Top banner, running title, bottom banner, "Page N of M": each a pagination artifact.
            assert len(furniture) >= 4
        # One h1 (the letter's subject), read by assistive technology and bookmarked.
        assert [str(e.S) for e in _elements(pdf.Root.StructTreeRoot)].count("/H1") == 1


def test_the_draft_watermark_is_the_page_background(pdfs: Path) -> None:
    html = (pdfs / "executive-briefing.html").read_text(encoding="utf-8")
    assert "@page { background: url(\"data:image/svg+xml" in html
    with pikepdf.open(pdfs / "executive-briefing.pdf") as pdf:
        tagged_text = []
        for element in _elements(pdf.Root.StructTreeRoot):
            if element.get("/Alt"):
                tagged_text.append(str(element.Alt))
        assert not any(text.strip() == "DRAFT" for text in tagged_text)
