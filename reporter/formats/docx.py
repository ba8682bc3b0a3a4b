"""Word (``.docx``): the same Markdown body through pandoc, then marked, numbered and fixed in time.

Why pandoc (the binary shipped by ``pypandoc-binary``) rather than python-docx alone: pandoc
reads the Markdown body itself -- headings, pipe tables (header row repeated on every page),
footnotes, hard line breaks, images with their alt text, in-document links -- so Word stays a
conversion of the single source, not a second renderer to keep in step with the templates.
python-docx then does what pandoc does not: the classification marking in the header and
footer of every page, "Page N of M" fields, the DRAFT notice, and the core properties. The
archive is finally rewritten with fixed dates and a stable order, so the same inputs give the
same bytes.

An organisation's own reference document (``documents.reference_docx`` in reporter.toml:
letterhead, styles, margins) is handed to pandoc as ``--reference-doc``; it is read under the
same confinement as the logo (:func:`read_reference`).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from reporter.formats import OutputFormat, Product, Source, Sources, chart_png

MAX_REFERENCE_BYTES = 8 * 1024 * 1024
MAX_PANDOC_SECONDS = 60
# CommonMark with pipe tables and footnotes; everything that could turn text into markup or
# reach outside the document (raw HTML and raw blocks, attributes, math, YAML metadata) is off.
PANDOC_FROM = ("commonmark_x-smart-raw_html-raw_attribute-attributes-fenced_divs-bracketed_spans-emoji"
               "-tex_math_dollars-yaml_metadata_block-alerts-task_lists-subscript-superscript"
               "-implicit_header_references-definition_lists")
_ZIP_MAGIC = b"PK\x03\x04"
_MARKING_COLOR = "8B0000"


def read_reference(path: Path, root: Path, key: str = "documents.reference_docx") -> bytes:
    """The bytes of the organisation's reference document, read as the logo is read.

    Only a regular ``.docx`` file inside the project (symlinks resolved), at most 8 MiB, that
    is a Word document (a zip archive holding ``word/document.xml``) and holds no macros.

    Raises:
        ConfigError: any of these is not so.
    """
    from reporter.errors import ConfigError

    if path.suffix.lower() != ".docx":
        raise ConfigError(f"{key}: expected a .docx file, not {path.name}")
    from reporter.assets import read_confined

    data = read_confined(path, root, key, MAX_REFERENCE_BYTES)
    if not data.startswith(_ZIP_MAGIC):
        raise ConfigError(f"{key}: {path} is not a Word document")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            total = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ConfigError(f"{key}: {path} is not a Word document ({exc})") from None
    if "word/document.xml" not in names:
        raise ConfigError(f"{key}: {path} is not a Word document (no word/document.xml)")
    if any(name.lower().endswith(("vbaproject.bin", ".bin")) for name in names):
        raise ConfigError(f"{key}: {path} is refused: it holds macros or binary parts")
    if total > 8 * MAX_REFERENCE_BYTES:
        raise ConfigError(f"{key}: {path} is refused: it unpacks to more than {8 * MAX_REFERENCE_BYTES // 2**20} MiB")
    return data


_PLACEHOLDER = "REPORTERCHART{}END"


def _placeholders(markdown: str, sources: Sources) -> tuple[str, list[str]]:
    """The body with each chart image (``![alt](<stem>_files/<kind>.png)`` on a line of its own)
    replaced by a placeholder paragraph; the charts' sources in order.

    Pandoc runs sandboxed (it reads no file but its input) and gets no image: the charts are
    placed afterwards (:func:`_place_charts`), so a template that names any other file gets no
    image, never that file's bytes.
    """
    order: list[str] = []
    for src in sources.charts:
        pattern = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(" + re.escape(src) + r"\)")

        def swap(match: re.Match[str], src: str = src) -> str:
            order.append(src)
            return _PLACEHOLDER.format(len(order) - 1)

        markdown = pattern.sub(swap, markdown)
    return markdown, order


def _place_charts(document: object, order: list[str], sources: Sources) -> None:
    """Each placeholder paragraph becomes the chart's PNG, described by its alt text, and a caption."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Emu

    section = document.sections[0]  # type: ignore[attr-defined]
    width = Emu(int(section.page_width - (section.left_margin or 0) - (section.right_margin or 0)))
    for paragraph in list(document.paragraphs):  # type: ignore[attr-defined]
        match = re.fullmatch(r"REPORTERCHART(\d+)END", paragraph.text.strip())
        if not match or int(match.group(1)) >= len(order):
            continue
        src = order[int(match.group(1))]
        chart = sources.charts[src]
        for run in list(paragraph.runs):
            run._r.getparent().remove(run._r)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        png = chart_png(sources, src)
        picture = paragraph.add_run().add_picture(io.BytesIO(png))
        # As wide as the chart is drawn in HTML (the PNG has 2 pixels per CSS pixel), at most
        # the width of the text.
        pixels = int.from_bytes(png[16:20], "big") if png[12:16] == b"IHDR" else 0
        wanted = min(int(width), pixels // 2 * 9525) if pixels else int(width)
        picture.height = int(picture.height * wanted / picture.width)
        picture.width = Emu(wanted)
        properties = picture._inline.find(qn("wp:docPr"))
        properties.set("descr", chart.alt)
        properties.set("title", chart.title)
        properties.set("name", f"{chart.kind}.png")
        after = document.add_paragraph(style=_caption_style(document))  # type: ignore[attr-defined]
        after.add_run(f"{chart.title}.").bold = True
        paragraph._p.addnext(after._p)


def _caption_style(document: object) -> str | None:
    names = {style.name for style in document.styles}  # type: ignore[attr-defined]
    return next((name for name in ("Image Caption", "Caption") if name in names), None)


def _pandoc(markdown: str, reference: bytes, epoch: int) -> bytes:
    from pypandoc import get_pandoc_path

    from reporter.errors import RenderError

    with tempfile.TemporaryDirectory(prefix="reporter-docx-") as work:
        folder = Path(work)
        args = [get_pandoc_path(), "--from", PANDOC_FROM, "--to", "docx", "--output", "-", "--sandbox"]
        if reference:
            (folder / "reference.docx").write_bytes(reference)
            args += ["--reference-doc", str(folder / "reference.docx")]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SOURCE_DATE_EPOCH": str(max(epoch, 315532800)),
               "LANG": "C.UTF-8"}
        try:
            done = subprocess.run(args, input=markdown.encode("utf-8"), capture_output=True, cwd=folder, env=env,
                                  timeout=MAX_PANDOC_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"Word conversion failed: {exc}") from None
    if done.returncode != 0:
        raise RenderError(f"Word conversion failed: pandoc: {done.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return done.stdout


def _field(paragraph: object, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) at the end of a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(child: object) -> None:
        run = OxmlElement("w:r")
        run.append(child)
        paragraph._p.append(run)  # type: ignore[attr-defined]

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run_with(text)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    shown = OxmlElement("w:t")
    shown.text = "1"
    run_with(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _marked(paragraph: object, text: str, *, bold: bool = True) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    run = paragraph.add_run(text)  # type: ignore[attr-defined]
    run.bold = bold
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor.from_string(_MARKING_COLOR)


def _notice(document: object, text: str, *, first: bool) -> None:
    """A centred, bold notice paragraph at the start or the end of the body."""
    body = document.element.body  # type: ignore[attr-defined]
    paragraph = document.add_paragraph()  # type: ignore[attr-defined]
    _marked(paragraph, text)
    if first:
        body.remove(paragraph._p)
        body.insert(0, paragraph._p)


def _finish(data: bytes, sources: Sources, charts: list[str], signoff: list[str] | None = None) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches, Mm, Pt

    from reporter.words import words_for

    document = docx.Document(io.BytesIO(data))
    for section in document.sections:
        if section.page_width is None or section.page_height is None:  # the reference document sets none
            section.page_width, section.page_height = (Mm(210), Mm(297)) if sources.paper == "a4" else (Inches(8.5),
                                                                                                         Inches(11))
            section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Inches(1)
    _place_charts(document, charts, sources)
    if signoff:
        _keep_together(document, signoff)
    page_words = words_for(sources.language.replace("-", "_")).page
    draft = words_for(sources.language.replace("-", "_")).sentences["draft"] if sources.draft else ""
    # The body states the marking and the DRAFT notice at its top and bottom, as the PDF does
    # on every page; the header and footer repeat them on every page.
    for text in (draft, sources.marking):
        if text:
            _notice(document, text, first=True)
    for text in (draft, sources.marking):
        if text:
            _notice(document, text, first=False)
    for section in document.sections:
        header = section.header
        header.is_linked_to_previous = False
        top = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        if sources.marking:
            _marked(top, sources.marking)
        running = header.add_paragraph() if sources.marking else top
        running.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = running.add_run(" · ".join(part for part in (sources.author, sources.title) if part))
        run.font.size = Pt(8.5)
        if draft:
            _marked(header.add_paragraph(), draft)
        footer = section.footer
        footer.is_linked_to_previous = False
        bottom = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        if sources.marking:
            _marked(bottom, sources.marking)
        numbers = footer.add_paragraph() if sources.marking else bottom
        numbers.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        numbers.add_run(f"{page_words[0]} ")
        _field(numbers, "PAGE")
        numbers.add_run(f" {page_words[1]} ")
        _field(numbers, "NUMPAGES")
        for paragraph in numbers.runs:
            paragraph.font.size = Pt(8.5)
    # Header rows of every table repeat on each page and are marked as headers.
    for table in document.tables:
        if table.rows:
            properties = table.rows[0]._tr.get_or_add_trPr()
            if properties.find(qn("w:tblHeader")) is None:
                properties.append(OxmlElement("w:tblHeader"))
    when = datetime.fromtimestamp(max(sources.epoch, 315532800), tz=timezone.utc).replace(tzinfo=None)
    core = document.core_properties
    core.title = sources.title
    core.author = sources.author
    core.last_modified_by = sources.author
    core.subject = sources.subject
    core.language = sources.language
    core.keywords = ""
    core.comments = ""
    core.category = sources.marking
    core.created = when
    core.modified = when
    core.last_printed = when
    core.revision = 1
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue(), when)


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry dated ``when`` and in a stable order."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name), compresslevel=6)
    return out.getvalue()


_SIGNOFF = re.compile(r"^::: signoff[ \t]*\n(.*?)^:::[ \t]*$", re.MULTILINE | re.DOTALL)


def _signoff(markdown: str) -> list[str]:
    """The paragraphs of a letter's sign-off block (last paragraph, closing, signature), as the
    start of their text: Word keeps them on one page, as the PDF does."""
    match = _SIGNOFF.search(markdown)
    if not match:
        return []
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", match.group(1)) if p.strip()]
    return [re.sub(r"[\\*_`]", "", p.splitlines()[0])[:30] for p in paragraphs]


def _keep_together(document: object, starts: list[str]) -> None:
    """Mark the sign-off's paragraphs keep-with-next (and each kept whole), from the last place
    where they start, so that a signature never stands alone on a page."""
    paragraphs = list(document.paragraphs)  # type: ignore[attr-defined]
    for first in range(len(paragraphs) - 1, -1, -1):
        if paragraphs[first].text.startswith(starts[0]):
            break
    else:
        return
    block = paragraphs[first:]
    count = 0
    for paragraph in block:
        if count == len(starts):
            break
        if paragraph.text.strip():
            count += 1
        paragraph.paragraph_format.keep_together = True
        if count < len(starts):
            paragraph.paragraph_format.keep_with_next = True


def make(sources: Sources) -> Product:
    from reporter.render import markdown_for_readers

    markdown, charts = _placeholders(markdown_for_readers(sources.markdown), sources)
    data = _pandoc(markdown, sources.reference_docx, sources.epoch)
    return Product(_finish(data, sources, charts, _signoff(sources.markdown)))


# Not handed to a forked worker: the chart PNGs (vl-convert, whose runtime threads do not survive
# a fork) are exported here, once, and shared with the Markdown format.
FORMAT = OutputFormat(name="docx", suffix=".docx", description="Word, for redlining (pandoc)",
                      source=Source.MARKDOWN, make=make)
