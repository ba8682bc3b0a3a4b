"""Rendering: Jinja → Markdown → HTML → PDF, with nothing fetched and nothing injected.

- One Jinja2 Markdown body per template is the single source of the text. Every value a
  template prints is escaped for Markdown (``finalize``), so record text is always data.
- Markdown becomes HTML through markdown-it-py with raw HTML off; the HTML page frame is
  a Jinja template with HTML autoescaping, whatever its file name.
- WeasyPrint sees one self-contained HTML string (inline CSS and SVG, data: images) and a
  URL fetcher that answers ``data:`` URLs and refuses everything else.
- Templates are looked up user directories first, bundled last; ``default:NAME`` names a
  bundled one so a user template can extend it. Templates run in Jinja's sandbox with
  StrictUndefined, and may not be symlinks out of their directory.
- Each template folder carries a manifest, ``template.toml`` (:mod:`reporter.manifest`):
  :meth:`Templates.manifest` finds and validates it, :meth:`Templates.names` lists every
  template. Parts that several templates share (methodology appendix, source notes, key
  figures, signature) live once under ``base/`` and are included or imported from there.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from reporter.errors import RenderError, TemplateError, TemplateMissing

if TYPE_CHECKING:  # pragma: no cover
    from reporter.manifest import Manifest

BODY = "body.md.j2"
PAGE = "page.html.j2"
STYLE = "style.css"
BASE = "base"
MANIFEST = "template.toml"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_OUTPUT_CHARS = 2_000_000  # a rendered body beyond this is a runaway template, not a document
MAX_RENDER_SECONDS = 20.0
MAX_TABLE_ROWS = 3_000  # WeasyPrint lays out about a thousand rows a second: beyond this, refuse
MAX_BLOCKS = 30_000


def bundled_templates() -> Path:
    """The bundled templates: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / BASE).is_dir():
            return candidate
    raise TemplateError("bundled templates not found (reinstall reporter)")


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses files resolving outside its directories (symlinks out)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        resolved = Path(filename).resolve()
        if not any(resolved.is_relative_to(Path(root).resolve()) for root in self.searchpath):
            raise TemplateError(f"template {template!r} leads outside its template directory")
        return source, filename, uptodate


# -- escaping ------------------------------------------------------------------------------------

_MD_ALWAYS = re.compile(r"([\\`*_\[\]<>!|~&#{}$@])")
_AUTOLINK = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*:/+|www\.)")
_MD_LINE_START = re.compile(r"^(\s*)([-+*=>]|\d+[.)]|:(?=::))(?=\s|$|:)")


def md_escape(text: str) -> str:
    """Escape text so Markdown shows it literally: no emphasis, links, images, HTML or tables.

    Newlines are folded into spaces (record text is one paragraph wherever it is placed), so
    only the start of the text can begin a block; list and quote markers there are escaped.
    """
    folded = re.sub(r"\s+", " ", str(text))
    escaped = _MD_ALWAYS.sub(r"\\\1", folded)
    # GitHub and GitLab turn bare URLs and www. names into links: break them (the backslash
    # before punctuation is CommonMark's escape, invisible once rendered).
    escaped = _AUTOLINK.sub(lambda m: m.group(0).replace(":", "\\:", 1).replace(".", "\\.", 1), escaped)
    def escape_marker(match: re.Match[str]) -> str:
        marker = match.group(2)
        if marker[0].isdigit():  # "1." starts a list: escape the dot, not the digit
            return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
        return f"{match.group(1)}\\{marker}"

    return _MD_LINE_START.sub(escape_marker, escaped)


_FENCE_LINE = re.compile(r"^::: ?[a-z]*[ \t]*\n", re.MULTILINE)


def markdown_for_readers(markdown: str) -> str:
    """The Markdown file as written: the ``:::`` blocks that shape HTML and PDF are left out.

    They are template structure (record text cannot start one), and GitHub-flavoured
    Markdown would show them as text.
    """
    return re.sub(r"\n{3,}", "\n\n", _FENCE_LINE.sub("", markdown))


def md_lines(items: Any) -> Markup:
    """Non-empty items as separate lines of one paragraph (Markdown hard breaks), each escaped."""
    return Markup("\\\n".join(md_escape(str(item)) for item in items if item and str(item).strip()))


def md_url_link(url: str) -> Markup:
    """An http(s) URL as a Markdown autolink; anything else is shown as escaped text."""
    text = str(url)
    if not re.match(r"^https?://[^\s<>]+$", text, flags=re.IGNORECASE):
        return Markup(md_escape(text))
    return Markup("<" + urllib.parse.quote(text, safe=":/?#[]@!$&'()*+,;=%-._~") + ">")


def lower_first(text: str) -> str:
    """'Shared payment…' → 'shared payment…' (for lists run into a sentence)."""
    text = str(text)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def and_list(items: Any, locale: str = "en_US") -> str:
    """['a', 'b', 'c'] → 'a, b, and c' in the locale's own list style (Babel)."""
    from babel.lists import format_list

    values = [str(item) for item in items if str(item).strip()]
    return format_list(values, locale=locale) if values else ""


def document_filters(locale: str, sig_figs: int) -> dict[str, Callable[..., Any]]:
    """Phrasing filters for templates, bound to the document's locale and significant figures.

    ``quantity`` takes a figure from the context (or a plain number) and gives its phrase;
    ``number``, ``date``, ``date_range``, ``duration`` and ``percent`` phrase plain values the
    way the rest of the document does (Babel; nothing hand-formatted).
    """
    from babel.numbers import format_percent

    from reporter.dates import format_date_range, format_when, parse_when
    from reporter.quantities import Quantity, format_number, format_quantity

    def quantity(value: Any) -> str:
        if isinstance(value, dict) and "phrase" in value:
            return str(value["phrase"])
        return format_quantity(Quantity.exact(value), locale, sig_figs)

    def number(value: float, digits: int = sig_figs) -> str:
        return format_number(value, locale, sig_figs=digits)

    def date(value: str) -> str:
        return format_when(parse_when(value), locale)

    def date_range(start: str, end: str | None = None) -> str:
        return format_date_range(parse_when(start), parse_when(end) if end else None, locale)

    def duration(days: float) -> str:
        return format_quantity(Quantity.exact(days, unit="days"), locale, sig_figs)

    def percent(fraction: float, digits: int = 1) -> str:
        return format_percent(fraction, format="#,##0." + "0" * digits + "%" if digits else "#,##0%", locale=locale)

    return {"quantity": quantity, "number": number, "date": date, "date_range": date_range,
            "duration": duration, "percent": percent}


CHART_SRC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*_files/[a-z-]+\.png$")


def md_figure(chart: Any) -> Markup:
    """A chart as a Markdown block: its PNG with the alt text that states its data.

    HTML and PDF replace the image with the chart's inline SVG (see :func:`markdown_to_html`).
    """
    src = str(chart["src"])
    if not CHART_SRC.match(src):
        raise TemplateError(f"not a chart image path: {src!r}")
    return Markup(f"::: chart\n![{md_escape(chart['alt'])}]({src})\n:::")


MARKDOWN_FILTERS: dict[str, Callable[..., Any]] = {"lines": md_lines, "url_link": md_url_link,
                                                  "lower_first": lower_first, "and_list": and_list,
                                                  "figure": md_figure}


def _md_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return Markup(md_escape("" if value is None else str(value)))


# -- environments --------------------------------------------------------------------------------


@dataclass
class Templates:
    """The template search path for one build: user directories first, bundled last."""

    user_dirs: list[Path] = field(default_factory=list)
    filters: dict[str, Callable[..., Any]] = field(default_factory=dict)
    _environments: dict[bool, jinja2.Environment] = field(default_factory=dict, init=False, repr=False)
    _manifests: dict[str, Manifest] = field(default_factory=dict, init=False, repr=False)

    def names(self) -> list[str]:
        """Every template available, by name: the user directories' first, in search order, then the
        bundled ones they do not override (each directory's sorted by name).

        A template is a folder holding a ``template.toml`` or a ``body.md.j2`` (``base/`` is not one).
        """
        names: list[str] = []
        for root in [*self.user_dirs, bundled_templates()]:
            if not root.is_dir():
                continue
            for folder in sorted(root.iterdir()):
                if (folder.name != BASE and _NAME.match(folder.name) and folder.is_dir() and folder.name not in names
                        and ((folder / MANIFEST).is_file() or (folder / BODY).is_file())):
                    names.append(folder.name)
        return names

    def manifest(self, template: str) -> Manifest:
        """The manifest of a template (``NAME``, or ``default:NAME`` for the bundled one), validated.

        ``NAME`` is the first folder of that name in the user directories, else the bundled one.

        Raises:
            TemplateMissing: no template of that name (the message lists those available).
            TemplateError: the template folder has no ``template.toml``, or an invalid one
                (every problem as ``FILE: KEY: MESSAGE``), or it leads outside its directory.
        """
        if template not in self._manifests:
            self._manifests[template] = self._load_manifest(template)
        return self._manifests[template]

    def _load_manifest(self, template: str) -> Manifest:
        from reporter.manifest import load_manifest

        bundled_only = template.startswith("default:")
        name = template.removeprefix("default:")
        roots = [bundled_templates()] if bundled_only else [*self.user_dirs, bundled_templates()]
        folder = root = None
        if _NAME.match(name) and name != BASE:
            for candidate in roots:
                if (candidate / name).is_dir():
                    root, folder = candidate, candidate / name
                    break
        if folder is None or root is None:
            if bundled_only:
                raise TemplateMissing(f"no bundled template named '{name}' (bundled: {', '.join(Templates().names())})")
            raise TemplateMissing(f"no template named '{name}' (available: {', '.join(self.names())})")
        path = folder / MANIFEST
        if not path.is_file():
            raise TemplateError(f"{folder}: template has no {MANIFEST} (every template folder needs one; "
                                f"`reporter new template` writes a template with its manifest)")
        if not path.resolve().is_relative_to(root.resolve()):
            raise TemplateError(f"{path}: template manifest leads outside its template directory")
        return load_manifest(path)

    def _loader(self) -> jinja2.BaseLoader:
        bundled = ConfinedLoader(str(bundled_templates()))
        loaders: list[jinja2.BaseLoader] = []
        if self.user_dirs:
            loaders.append(ConfinedLoader([str(d) for d in self.user_dirs]))
        loaders += [jinja2.PrefixLoader({"default": bundled}, delimiter=":"), bundled]
        return jinja2.ChoiceLoader(loaders)

    def environment(self, markdown: bool) -> jinja2.Environment:
        """The Markdown or HTML environment, made once per build (it caches compiled templates)."""
        if markdown in self._environments:
            return self._environments[markdown]
        env = ImmutableSandboxedEnvironment(
            loader=self._loader(),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # HTML for page frames; Markdown via finalize for bodies
            finalize=_md_finalize if markdown else None,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        env.filters.update(MARKDOWN_FILTERS)
        env.filters.update(self.filters)
        self._environments[markdown] = env
        return env

    def resolve(self, template: str, name: str) -> str:
        """The most specific existing template file: ``TEMPLATE/name``, then ``base/name``."""
        prefix = ""
        if template.startswith("default:"):
            prefix, template = "default:", template.removeprefix("default:")
        candidates = [f"{prefix}{template}/{name}", f"{prefix}{BASE}/{name}"]
        env = self.environment(markdown=False)
        for candidate in candidates:
            try:
                env.loader.get_source(env, candidate)  # type: ignore[union-attr]
                return candidate
            except jinja2.TemplateNotFound:
                continue
        raise TemplateMissing(f"template {template!r} has no {name} (looked for {', '.join(candidates)})")

    def exists(self, template: str) -> bool:
        try:
            self.resolve(template, BODY)
        except TemplateMissing:
            return False
        return not template.removeprefix("default:").startswith(BASE)

    def source(self, name: str) -> str:
        env = self.environment(markdown=False)
        return env.loader.get_source(env, name)[0]  # type: ignore[union-attr]

    def stylesheet(self, template: str) -> str:
        """The base print CSS, then the template's own ``style.css`` if it has one."""
        prefix = "default:" if template.startswith("default:") else ""
        parts = [self.source(f"{prefix}{BASE}/{STYLE}")]
        try:
            parts.append(self.source(f"{prefix}{template.removeprefix('default:')}/{STYLE}"))
        except jinja2.TemplateNotFound:
            pass
        return "\n".join(parts)


class _RenderTimeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt a template that runs too long (an endless loop in a user template).

    A timer signal is the one way to stop pure-Python work that produces no output; it is
    only available in the main thread, elsewhere the output-size bound still holds.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _RenderTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _bounded_render(template: jinja2.Template, context: dict[str, Any], name: str) -> str:
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise TemplateError(f"{name}: output is over {MAX_OUTPUT_CHARS:,} characters; refusing a runaway template")
        chunks.append(chunk)
    return "".join(chunks)


def render_template(templates: Templates, name: str, context: dict[str, Any], *, markdown: bool) -> str:
    """Render one template; template mistakes become TemplateError, never a traceback.

    Rendering is bounded in time (``MAX_RENDER_SECONDS``) and output size (``MAX_OUTPUT_CHARS``).
    """
    env = templates.environment(markdown)
    try:
        with _deadline(MAX_RENDER_SECONDS):
            output = _bounded_render(env.get_template(name), context, name)
    except _RenderTimeout:
        raise TemplateError(f"{name}: rendering took over {MAX_RENDER_SECONDS:g} s; refusing a runaway template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{name}: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"{name}: unsafe template operation refused: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
        # Mistakes in template logic (adding a list to text, indexing past the end).
        raise TemplateError(f"{name}: {type(exc).__name__}: {exc}") from None
    return output


# -- Markdown → HTML -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A second-level heading, for the table of contents."""

    id: str
    text: str


def _markdown() -> MarkdownIt:
    # maxNesting bounds how deep lists and quotes may nest before markdown-it stops nesting.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3, permalink=False)
    for name in ("tiles", "box", "note", "pagebreak", "chart", "titleblock"):
        md.use(container_plugin, name=name)

    # Links may only be http(s), in-document anchors or footnote references; images only
    # the document's own chart files.
    def validate_link(url: str) -> bool:
        return bool(re.match(r"^(https?://|#)", url.strip(), flags=re.IGNORECASE) or CHART_SRC.match(url))

    md.validateLink = validate_link  # type: ignore[method-assign]
    default_image = md.renderer.rules["image"]

    def render_image(renderer: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
        figure = env.get("figures", {}).get(tokens[idx].attrGet("src"))
        return figure if figure is not None else default_image(tokens, idx, options, env)

    md.add_render_rule("image", render_image)
    return md


_MARKDOWN = _markdown()


def markdown_to_html(markdown: str, figures: dict[str, str] | None = None) -> tuple[str, list[Heading]]:
    """Convert a rendered body to HTML; also return its second-level headings.

    Args:
        markdown: the rendered body.
        figures: chart image path → the HTML (inline SVG and caption) that replaces it.
    """
    tokens = _MARKDOWN.parse(markdown)
    rows = sum(1 for token in tokens if token.type == "tr_open")
    if rows > MAX_TABLE_ROWS:
        raise RenderError(f"document too large: {rows:,} table rows (the limit is {MAX_TABLE_ROWS:,}); "
                          "select fewer incidents or use a template that summarises")
    if len(tokens) > MAX_BLOCKS * 3:
        raise RenderError(f"document too large: {len(tokens) // 3:,} blocks (the limit is {MAX_BLOCKS:,})")
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            inline = tokens[index + 1]
            headings.append(Heading(str(token.attrs.get("id", "")), inline.content.replace("\\", "")))
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {"figures": figures or {}})
    return html, headings


# -- HTML → PDF ----------------------------------------------------------------------------------


class RestrictedFetcher:
    """Resolves ``data:`` URLs only; every other URL is refused and remembered.

    Built lazily on WeasyPrint's URLFetcher so that importing this module stays cheap.
    """

    def __new__(cls) -> Any:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class _Fetcher(URLFetcher):
            def __init__(self) -> None:
                super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
                self.refused: list[str] = []

            def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
                if not url.lower().startswith("data:"):
                    self.refused.append(url)
                    raise ValueError("reporter fetches nothing: only data: URLs are allowed")
                header, _, payload = url[5:].partition(",")
                mime = header.split(";")[0] or "text/plain"
                body = base64.b64decode(payload) if header.endswith(";base64") else urllib.parse.unquote_to_bytes(payload)
                return URLFetcherResponse(url, body, headers={"Content-Type": mime})

        return _Fetcher()


@contextlib.contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    # fontTools stamps subset fonts with "now" unless SOURCE_DATE_EPOCH says otherwise.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def html_to_pdf(html: str, *, epoch: int, identifier: bytes) -> tuple[bytes, list[str]]:
    """Lay out a self-contained HTML page as PDF; return the bytes and any refused URLs.

    Args:
        html: the page, with inline CSS (``@page`` rules included).
        epoch: seconds since 1970 for every timestamp in the file (the brief's date).
        identifier: PDF file identifier; derived from the inputs so builds are reproducible.
    """
    import weasyprint

    fetcher = RestrictedFetcher()
    try:
        with _source_date_epoch(epoch):
            document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
            pdf = document.write_pdf(pdf_identifier=identifier, uncompressed_pdf=False)
    except Exception as exc:  # WeasyPrint raises many kinds; none may escape as a traceback
        raise RenderError(f"PDF layout failed: {type(exc).__name__}: {exc}") from None
    return pdf, list(fetcher.refused)
