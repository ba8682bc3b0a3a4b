"""Audiences and safety: nothing confidential in a public document, nothing fetched, nothing injected.

- Canary: unique strings and numbers sit in every confidential and restricted place of the
  records; a public build of every template in every format is scanned byte by byte
  (files, PDF text, every decompressed PDF stream, metadata, SVG/PNG charts and their
  text chunks) and must hold none of them. The executive build shows them, so the scan
  is not vacuous.
- Injection: record text carries HTML, script breakouts, Markdown images and links to a
  local server, javascript: links and CSS @import; builds make no request to the server,
  embed no local file and leave no live markup.
"""

from __future__ import annotations

import http.server
import re
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from pypdf import PdfReader

from tests.support import run_in, write_manifest

TEMPLATES = ["regulator-letter", "executive-briefing", "disclosure-summary", "user-report"]
SINGLE = ("regulator-letter",)  # the public summary takes several: the many-incident report is swept too

CONFIG = """
[organisation]
name = "Canary Test Lab"
address = ["1 Test Road"]
[organisation.signatory]
name = "Sam Signer"
title = "Chief of Tests"
[documents]
locale = "en_US"
small_counts = 10
[paths]
records = ["incidents"]
"""

# A user template that prints everything it is given, including through the bundled one.
USER_BODY = """# {{ title }}

{% for i in incidents + compare %}
## {{ i.title }}

{{ i.summary }}

{% for a in i.actors %}
- {{ a.name }} ({{ a.confidence }}): {{ a.basis | join(" ") }} {% for f in a.figures %}{{ f.label }} {{ f.phrase }} {% endfor %}

{% endfor %}
{% for e in i.timeline %}
- {{ e.date }} {{ e.label }} {{ e.note }}
{% endfor %}
{% for e in i.evidence %}
- {{ e }}
{% endfor %}
- Targets: {{ i.targets | join(", ") }}; techniques: {{ i.techniques | join(", ") }}
{% for f in i.figures + i.metrics %}
- {{ f.label }}: {{ f.phrase }} ({{ f.exact }})
{% endfor %}
{% for c in i.changes %}
- {{ c.label }} {{ c.then }} {{ c.to }}
{% endfor %}
{% endfor %}
{% for a in actions %}
- {{ a.text }}
{% endfor %}
{% for s in sources %}
{{ s.number }}. {{ s.title }} {{ s.url | url_link if s.url else "" }}
{% endfor %}
"""

CANARY_TEXT = [
    "CANARY-TIMELINE-NOTE-4411", "CANARY-ACTOR-CONF-5521", "CANARY-BASIS-8812", "CANARY-EVIDENCE-7731",
    "CANARY-ACTION-9931", "CANARY-DISCLOSURE-1177", "CANARY-SOURCE-3319", "canary-source.example",
    "CANARY-RECORD-TITLE-6161", "canary-restricted-file-2718", "CANARY-COMPARE-TITLE-8080", "canary-log-4545",
    "CANARY-PUBLIC-ACTOR-BASIS-2929", "CANARY-TARGET-6363", "AML.T0051.001",
]
# Withheld numbers in every form they could be phrased: accounts 31,337 (so no per-account
# rate: 28.8 million / 31,337 is about 919), records about 4,242,424, an actor's 27,345,678.
CANARY_NUMBERS = ["3,141", "4,993", "2,345", "31,337", "31,340", "31337", "31.34", "919 per account", "919.0", "4,242,424", "4242424", "4.242 million",
                  "27,345,678", "27345678", "27.35 million"]


def _records(directory: Path) -> None:
    directory.mkdir()
    public = {
        "id": "canary-public",
        "title": "Public incident with secrets inside",
        "category": "distillation",
        "status": "confirmed",
        "sensitivity": "public",
        "summary": "A campaign drove {interactions} interactions through {accounts} accounts.",
        "window": {"start": "2026-04-22", "end": "2026-06-05"},
        "timeline": {
            "detected": {"at": "2026-05-01", "note": "CANARY-TIMELINE-NOTE-4411", "sensitivity": "confidential"},
            "reported": "2026-06-10",
        },
        "figures": {
            "interactions": 28_800_000,
            "accounts": {"value": 31337, "sensitivity": "confidential"},
            "records": {"value": 4242424, "qualifier": "about", "sensitivity": "restricted"},
        },
        "actors": [
            {"name": "CANARY-ACTOR-CONF-5521", "sensitivity": "confidential",
             "attribution": {"confidence": "high", "basis": ["CANARY-BASIS-8812"]},
             "figures": {"interactions": 1_000_000}},
            {"name": "Public Actor", "attribution": {"confidence": "moderate", "basis": [
                "Public basis.", {"text": "CANARY-PUBLIC-ACTOR-BASIS-2929", "sensitivity": "restricted"}]},
             "figures": {"interactions": {"value": 27_345_678, "sensitivity": "restricted"}, "accounts": 3}},
        ],
        # A restricted log cited before anything public: its counts (2,345 events, 67 accounts) must not leak.
        "targets": ["public target", {"text": "CANARY-TARGET-6363", "sensitivity": "confidential"}],
        "techniques": ["AML.T0024.002", {"id": "AML.T0051.001", "sensitivity": "restricted"}],
        "evidence": [{"log": "logs/canary-log-4545.csv", "sensitivity": "restricted"},
                     {"text": "CANARY-EVIDENCE-7731", "sensitivity": "restricted"}, {"text": "Public evidence."}],
        "actions": [{"text": "CANARY-ACTION-9931", "sensitivity": "confidential"}, {"text": "Public action."}],
        "disclosures": [{"date": "2026-06-10", "to": "CANARY-DISCLOSURE-1177", "form": "letter",
                         "sensitivity": "confidential", "figures": {"accounts": 31337}}],
        "sources": [
            {"title": "CANARY-SOURCE-3319", "url": "https://canary-source.example/3319", "sensitivity": "restricted"},
            {"title": "Public source", "url": "https://example.org/public"},
        ],
    }
    (directory / "public.yaml").write_text(yaml.safe_dump(public, sort_keys=False))
    (directory / "logs").mkdir()
    rows = [f"2026-04-{22 + n % 9:02d}T10:{n % 60:02d}:00Z,acct-{n % 67},coding" for n in range(2345)]
    (directory / "logs" / "canary-log-4545.csv").write_text("ts,account_id,capability\n" + "\n".join(rows) + "\n")
    restricted = {"id": "canary-restricted", "title": "CANARY-RECORD-TITLE-6161", "category": "distillation",
                  "sensitivity": "restricted", "figures": {"interactions": 27_345_678}}
    (directory / "canary-restricted-file-2718.yaml").write_text(yaml.safe_dump(restricted))
    # A public record whose log is at its default (public) sensitivity but whose figures are not:
    # the log's 3,141 events from 271 accounts must not show, nor any chart drawn from them.
    logged = {"id": "canary-logged", "title": "Logged public incident", "category": "scraping", "status": "confirmed",
              "sensitivity": "public", "window": {"start": "2026-04-22", "end": "2026-04-30"},
              "figures": {"interactions": {"value": 3141, "sensitivity": "confidential"},
                          "accounts": {"value": 271, "sensitivity": "confidential"}},
              "evidence": [{"log": "logs/public-log.csv"}],
              # Small shares and a visible total: 5,000 less 4,993 would give the blurred 7 away.
              "actors": [{"name": "Big Operator", "figures": {"events": 4993}},
                         {"name": "Tiny Operator", "figures": {"events": 7}}]}
    logged["figures"]["events"] = 5000
    rows = [f"2026-04-{22 + n % 8:02d}T09:{n % 60:02d}:00Z,acct-{n % 271}" for n in range(3141)]
    (directory / "logs" / "public-log.csv").write_text("ts,account_id\n" + "\n".join(rows) + "\n")
    (directory / "logged.yaml").write_text(yaml.safe_dump(logged, sort_keys=False))
    earlier = {"id": "canary-compare", "title": "CANARY-COMPARE-TITLE-8080", "category": "distillation",
               "sensitivity": "confidential", "status": "closed"}
    (directory / "compare.yaml").write_text(yaml.safe_dump(earlier))


def _user_manifest(user: Path) -> None:
    write_manifest(user, base="executive-briefing", description="A user's report over several incidents.",
                   keys=["compare", "to", "bottom_line", "recommendations", "marking"])


def _uses(root: Path, template: str, brief: dict) -> dict:
    """The brief with only the keys its template's manifest lists (every other key is an error)."""
    from reporter.brief import EVERY_BRIEF
    from reporter.render import Templates

    keys = Templates(user_dirs=[root / "templates"]).manifest(template).keys
    return {key: value for key, value in brief.items() if key in EVERY_BRIEF or key in keys}


def _project(root: Path, audience: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reporter.toml").write_text(CONFIG)
    _records(root / "incidents")
    user = root / "templates" / "user-report"
    _user_manifest(user)
    (user / "body.md.j2").write_text(USER_BODY)
    briefs = root / "briefs"
    briefs.mkdir()
    for template in TEMPLATES:
        (briefs / f"{template}.yaml").write_text(yaml.safe_dump(_uses(root, template, {
            "template": template, "audience": audience, "title": f"{template} for {audience}",
            "date": "2026-06-12",
            # The letter and the public summary are about one incident; the others take both.
            "incidents": ["canary-public"] if template in SINGLE else ["canary-public", "canary-restricted",
                                                                         "canary-logged"],
            "compare": ["canary-compare"], "to": [{"name": "A Reader", "organisation": "Some Committee"}],
        }), sort_keys=False))
    return root


def _build(root: Path) -> Path:
    result = run_in(root, ["build", *(f"briefs/{t}.yaml" for t in TEMPLATES), "--out", "out",
                           "--template-dir", "templates"])
    assert result.exit_code == 0, result.output
    return root / "out"


def _pdf_views(data: bytes, path: Path) -> Iterator[str]:
    """Every way a PDF can carry text: extracted text, metadata, raw and decompressed streams."""
    reader = PdfReader(path)
    for page in reader.pages:
        yield page.extract_text() or ""
        for annotation in page.get("/Annots") or []:
            yield repr(annotation.get_object())
    yield repr(reader.metadata)
    yield repr(reader.trailer)
    yield data.decode("latin-1")
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            yield zlib.decompress(match.group(1)).decode("latin-1")
        except zlib.error:
            continue


def _png_views(data: bytes) -> Iterator[str]:
    yield data.decode("latin-1")
    position = 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        chunk = data[position + 8:position + 8 + length]
        if kind in (b"zTXt", b"iTXt"):
            for start in range(len(chunk)):
                try:
                    yield zlib.decompress(chunk[start:]).decode("latin-1")
                    break
                except zlib.error:
                    continue
        position += 12 + length


def _docx_views(data: bytes) -> Iterator[str]:
    """Every part of a Word file: its XML as text, its images as PNGs are searched."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            part = archive.read(name)
            if name.endswith(".png"):
                yield from _png_views(part)
            else:
                yield part.decode("utf-8", errors="replace")


def _views(out: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".pdf":
            views: Iterator[str] = _pdf_views(data, path)
        elif path.suffix == ".png":
            views = _png_views(data)
        elif path.suffix == ".docx":
            views = _docx_views(data)
        else:
            views = iter([data.decode("utf-8")])
        for view in views:
            yield path, view


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def public_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_project(tmp_path_factory.mktemp("public"), "public"))


@pytest.fixture(scope="module")
def regulator_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_project(tmp_path_factory.mktemp("regulator"), "regulator"))


# What only a restricted reader may see (the regulator's clearance is confidential).
RESTRICTED_CANARIES = ["CANARY-PUBLIC-ACTOR-BASIS-2929", "CANARY-EVIDENCE-7731", "CANARY-SOURCE-3319",
                       "canary-source.example", "CANARY-RECORD-TITLE-6161", "canary-restricted-file-2718",
                       "canary-log-4545", "AML.T0051.001", "4,242,424", "4242424", "4.242 million", "27,345,678",
                       "27345678", "27.35 million", "2,345"]


def test_regulator_documents_hold_no_restricted_canary(regulator_out: Path) -> None:
    hits = []
    for path, view in _views(regulator_out):
        flat = _flat(view)
        hits += [(path.name, canary) for canary in RESTRICTED_CANARIES if canary in view or canary in flat]
    assert hits == []
    # And the confidential material the regulator may see is there: the scan is not vacuous.
    seen = " ".join(_flat(view) for _, view in _views(regulator_out))
    assert "CANARY-ACTOR-CONF-5521" in seen and "31,337" in seen and "3,141" in seen


def test_no_chart_is_drawn_from_a_log_whose_figures_are_withheld(public_out: Path) -> None:
    assert not any("daily-volume" in p.name for p in public_out.rglob("*"))
    for path, view in _views(public_out):
        assert "Daily interactions" not in view and "distinct accounts per day" not in view, path.name


@pytest.fixture(scope="module")
def executive_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_project(tmp_path_factory.mktemp("executive"), "executive"))


def test_every_template_and_format_was_built(public_out: Path) -> None:
    names = {p.name for p in public_out.iterdir() if p.is_file()}
    for template in TEMPLATES:
        assert {f"{template}.pdf", f"{template}.md", f"{template}.html"} <= names


def test_public_documents_hold_no_canary(public_out: Path) -> None:
    hits = []
    for path, view in _views(public_out):
        flat = _flat(view)
        for canary in CANARY_TEXT + CANARY_NUMBERS:
            if canary in view or canary in flat:
                hits.append((path.name, canary))
    assert hits == []


def test_only_internal_documents_say_material_was_withheld(public_out: Path) -> None:
    """A letter or public document never says it withholds anything: the build report does."""
    import json

    for template in TEMPLATES[:3]:
        text = (public_out / f"{template}.md").read_text()
        report = json.loads((public_out / f"{template}.build.json").read_text())
        assert report["withheld"]["items"] > 0 and report["reader"] in ("external", "internal")
        if report["reader"] == "internal":
            assert "withheld from this document" in text
        else:
            assert "withheld" not in text.lower() and "sha-256" not in text.lower(), template


def test_small_counts_are_blurred_in_public(public_out: Path, executive_out: Path) -> None:
    public = (public_out / "user-report.md").read_text()
    assert "Accounts fewer than 10" in public
    executive = (executive_out / "user-report.md").read_text()
    assert "Accounts 3 " in executive


def test_executive_documents_show_the_canaries(executive_out: Path) -> None:
    seen = set()
    for _, view in _views(executive_out):
        flat = _flat(view)
        seen |= {c for c in CANARY_TEXT + CANARY_NUMBERS if c in view or c in flat}
    # Everything but the file name (inputs name files, which the user template does not print)
    # shows up somewhere, so the public scan above is not vacuous.
    missing = set(CANARY_TEXT) - seen - {"canary-source.example"}
    assert not missing
    assert {"31,340", "4.242 million", "27.35 million", "2,345"} <= seen


# -- injection ---------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def _hostile(base: str, secret: Path) -> list[str]:
    return [
        f'<img src="file://{secret}">',
        f'<link rel="attachment" href="file://{secret}">',
        f'<a rel="attachment" href="file://{secret}">attach</a>',
        "<script>alert(1)</script>",
        "</script><script>alert(2)</script>",
        f"</style><style>@import url({base}/style-breakout.css);</style>",
        f"![pixel]({base}/image.png)",
        f"[click]({base}/link)",
        "[js](javascript:alert(3))",
        f'@import url("{base}/import.css");',
        f"<{base}/autolink>",
        "{{ 7 * 7 }} {% raw %}",
        "| a | b |\n|---|---|\n| c | d |",
        "# Heading\n- item\n1. item",
    ]


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory, server: str) -> Path:
    root = tmp_path_factory.mktemp("injection")
    secret = root / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT-5150")
    hostile = _hostile(server, secret)
    (root / "reporter.toml").write_text(CONFIG)
    (root / "incidents").mkdir()
    record = {
        "id": "hostile", "title": " ".join(hostile[:4]).replace("\n", " "), "category": "distillation",
        "sensitivity": "public", "summary": " ".join(hostile),
        "window": {"start": "2026-04-22", "end": "2026-06-05"},
        "timeline": {"detected": {"at": "2026-05-01", "note": hostile[6]}},
        "figures": {"interactions": 1000},
        "actors": [{"name": hostile[0].replace("\n", " "), "attribution": {"confidence": "low", "basis": hostile}}],
        "targets": hostile[5:9],
        "evidence": [{"text": text} for text in hostile],
        "actions": [{"text": text} for text in hostile],
        "sources": [{"title": hostile[3], "publisher": hostile[1], "url": f"{server}/source-link"}],
    }
    (root / "incidents" / "hostile.yaml").write_text(yaml.safe_dump(record, sort_keys=False))
    user = root / "templates" / "user-report"
    _user_manifest(user)
    (user / "body.md.j2").write_text(USER_BODY)
    # User CSS may try to fetch too; the fetcher refuses it.
    (user / "style.css").write_text(f'@import url("{server}/user.css");\nbody {{ background: url("file://{secret}"); }}\n')
    (root / "briefs").mkdir()
    for template in TEMPLATES:
        (root / "briefs" / f"{template}.yaml").write_text(yaml.safe_dump(_uses(root, template, {
            "template": template, "audience": "executive", "title": "Injection test", "date": "2026-06-12",
            "incidents": ["hostile"], "to": [{"name": hostile[0].replace("\n", " ")}],
        })))
    _Recorder.requests.clear()
    return _build(root)


def test_nothing_fetched(injected: Path) -> None:
    assert _Recorder.requests == []


def test_no_local_file_embedded(injected: Path) -> None:
    for path, view in _views(injected):
        assert "TOP-SECRET-FILE-CONTENT-5150" not in view, path.name
    for pdf in injected.glob("*.pdf"):
        data = pdf.read_bytes()
        assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data
        assert not PdfReader(pdf).attachments


def test_no_live_markup_in_html(injected: Path) -> None:
    for html_path in injected.glob("*.html"):
        html = html_path.read_text()
        body = html.split("<main>", 1)[1]
        for tag in ("<img", "<link", "<script", "<style", "<iframe"):
            assert tag not in body, (html_path.name, tag)
        # Attributes only count inside a tag: record text may say rel="attachment" (shown as text).
        tags = re.findall(r"<[^>]*>", body)
        for attribute in ('rel="attachment"', 'href="javascript'):
            assert not [t for t in tags if attribute in t], (html_path.name, attribute)
        head = html.split("<main>", 1)[0]
        assert "<script" not in head and "<link" not in head
        # Only links we made: footnote/contents anchors and the source's http(s) URL.
        for href in re.findall(r'href="([^"]*)"', " ".join(re.findall(r"<[^>]*>", html))):
            assert href.startswith("#") or href.endswith("/source-link"), href
        # Template syntax in record text is shown, never evaluated.
        assert "{{ 7 * 7 }} {% raw %}" in body


def test_no_live_markup_in_markdown(injected: Path) -> None:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    for md_path in injected.glob("*.md"):
        tokens = md.parse(md_path.read_text())
        for token in tokens:
            children = token.children or []
            for child in [token, *children]:
                assert child.type not in ("html_inline", "html_block"), (md_path.name, child.content)
                if child.type == "image":  # only the document's own chart files
                    assert re.fullmatch(r"[\w-]+_files/[a-z-]+\.png", child.attrs["src"]), child.attrs
                if child.type == "link_open":
                    assert child.attrs["href"].endswith("/source-link"), (md_path.name, child.attrs)
        # Record text never makes a heading or a table: only the templates' own do.
        for token in tokens:
            if token.type == "heading_open":
                inline = tokens[tokens.index(token) + 1].content
                assert "Heading" not in inline or "\\#" in inline


def test_symlink_out_of_template_dir_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "public")
    outside = tmp_path / "outside.md.j2"
    outside.write_text("{{ title }} from outside")
    link = root / "templates" / "user-report" / "body.md.j2"
    link.unlink()
    link.symlink_to(outside)
    result = run_in(root, ["build", "briefs/user-report.yaml", "--template-dir", "templates"])
    assert result.exit_code == 1
    assert "leads outside its template directory" in result.output


def test_runaway_user_template_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reporter.render as render

    monkeypatch.setattr(render, "MAX_RENDER_SECONDS", 1.0)
    root = _project(tmp_path / "p", "public")
    (root / "templates" / "user-report" / "body.md.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    build = ["build", "briefs/user-report.yaml", "--template-dir", "templates"]
    result = run_in(root, build)
    body = root / "templates" / "user-report" / "body.md.j2"
    body.write_text("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}")
    big = run_in(root, build)
    body.write_text("{{ ''.__class__.__mro__ }}")
    unsafe = run_in(root, build)
    assert result.exit_code == 1 and "rendering took over 1 s" in result.output
    assert big.exit_code == 1 and "output is over 2,000,000 characters" in big.output
    assert unsafe.exit_code == 1 and "unsafe" in unsafe.output


def test_huge_table_fails_cleanly(tmp_path: Path) -> None:
    import time

    root = _project(tmp_path / "p", "public")
    (root / "templates" / "user-report" / "body.md.j2").write_text(
        "| a | b |\n|---|---|\n{% for i in range(50000) %}| {{ i }} | x |\n{% endfor %}")
    started = time.perf_counter()
    result = run_in(root, ["build", "briefs/user-report.yaml", "--template-dir", "templates"])
    assert result.exit_code == 1
    assert "document too large: 50,001 table rows (the limit is 3,000)" in result.output
    assert time.perf_counter() - started < 20


def test_deeply_nested_markup_is_bounded(tmp_path: Path) -> None:
    """Thousands of nested quotes and lists lay out quickly: markdown-it stops nesting at 20 levels."""
    import time

    root = _project(tmp_path / "p", "public")
    (root / "templates" / "user-report" / "body.md.j2").write_text(
        "{% for i in range(3000) %}> {% endfor %}deep quote\n\n"
        "{% for i in range(400) %}{{ '  ' * i }}- level {{ i }}\n{% endfor %}")
    started = time.perf_counter()
    result = run_in(root, ["build", "briefs/user-report.yaml", "--template-dir", "templates"])
    assert time.perf_counter() - started < 30
    assert result.exit_code == 0, result.output
    html = (root / "out" / "user-report.html").read_text()
    assert 0 < html.count("<blockquote>") <= 20
    assert "<ul>" in html and html.count("<ul>") <= 20
