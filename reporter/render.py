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
- Rendering is bounded: output size, wall-clock time, memory and recursion. Where a user
  template directory exists, templates are compiled and rendered in a forked child process
  with a memory ceiling, killed at the time limit even inside one long C-level operation
  (:func:`render_template`); the sandbox refuses huge powers, products, repetitions and
  ranges before computing them. Every runaway ends as one TemplateError, never a traceback.
- Each template folder carries a manifest, ``template.toml`` (:mod:`reporter.manifest`):
  :meth:`Templates.manifest` finds and validates it, :meth:`Templates.names` lists every
  template. Parts that several templates share (methodology appendix, source notes, key
  figures, signature) live once under ``base/`` and are included or imported from there.
"""

from __future__ import annotations

import base64
import contextlib
import marshal
import math
import os
import re
import signal
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup, escape as html_escape
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from reporter.errors import RenderError, TemplateError, TemplateMissing
from reporter.text import reveal

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
    No-break spaces stay: they keep "25 000" and "Situation :" on one line.
    """
    # Hidden characters (bidi overrides, zero-width) are shown marked, never passed on unseen.
    folded = re.sub(r"[^\S\u00a0\u202f]+", " ", reveal(str(text)))
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


_PROSE_BLOCK = re.compile(r"^(\s*)(:{3,}|\[\^[^\]]*\]:)", re.MULTILINE)


def md_prose(text: str) -> Markup:
    """The drafter's own Markdown (a brief's ``body``, ``conclusion``): emphasis, lists, links and
    headings stay; what belongs to templates -- ``:::`` blocks, footnote definitions -- is shown
    as text, and hidden characters are shown marked. Links and images are still held to
    http(s) when the Markdown becomes HTML."""
    shown = reveal(str(text)).replace("\r\n", "\n")
    return Markup(_PROSE_BLOCK.sub(lambda m: m.group(1) + "\\" + m.group(2), shown).strip())


def sentence(text: str) -> str:
    """A list item ended as a sentence: a final full stop where it ends in a word or a number, so
    that every item of a list is punctuated one way."""
    shown = str(text).rstrip()
    return shown + "." if shown and (shown[-1].isalnum() or shown[-1] in ")’'\"”") else shown


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
    """['a', 'b', 'c'] → 'a, b, and c' in the locale's own list style (Babel).

    Where an item is already Markdown (a message, ``_()``), the others are escaped and the list is
    Markdown too."""
    from babel.lists import format_list

    shown = [item for item in items if str(item).strip()]
    if any(isinstance(item, Markup) for item in shown):
        parts = [str(item) if isinstance(item, Markup) else md_escape(str(item)) for item in shown]
        return Markup(format_list(parts, locale=locale))
    values = [str(item) for item in shown]
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


def spelled(n: int, locale: str = "en_US") -> str:
    """A small count in words, as a careful writer spells it ("two", "zwei"); digits from 10."""
    from reporter.prose import count_words

    return count_words(int(n), locale)


CHART_SRC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*_files/[a-z-]+\.png$")


def md_figure(chart: Any) -> Markup:
    """A chart as a Markdown block: its PNG with the alt text that states its data.

    HTML and PDF replace the image with the chart's inline SVG (see :func:`markdown_to_html`).
    """
    src = str(chart["src"])
    if not CHART_SRC.match(src):
        raise TemplateError(f"not a chart image path: {src!r}")
    return Markup(f"::: chart\n![{md_escape(chart['alt'])}]({src})\n:::")


MARKDOWN_FILTERS: dict[str, Callable[..., Any]] = {"lines": md_lines, "url_link": md_url_link, "prose": md_prose, "sentence": sentence,
                                                  "lower_first": lower_first, "and_list": and_list, "spelled": spelled,
                                                  "figure": md_figure}


def _md_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return Markup(md_escape("" if value is None else str(value)))


def _html_finalize(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return reveal(value)


# -- environments --------------------------------------------------------------------------------


def message_functions(locale: str, markdown: bool) -> dict[str, Callable[..., Any]]:
    """The catalogue's functions for templates, in ``locale``'s language (:mod:`reporter.i18n`):

    - ``_("Key figures")``, ``_("Window lengths count {what}.", what=...)``: a message, translated,
      its ``{name}`` placeholders filled;
    - ``ngettext("{count} incident", "{count} incidents", n, count=...)``: by the catalogue's plural rule;
    - ``pgettext("status", "closed")``: a message in a context.

    Each value filled in is escaped as the template prints values (Markdown or HTML), the
    message itself is the template's own text; so the result is printed as it is (``{{ _(...) }}``)
    and is not joined to other text with ``~``.
    """
    from reporter.i18n import fill, translator

    tr = translator(locale)

    def escaped(value: Any, opens: bool) -> str:
        if isinstance(value, Markup):
            return str(value)
        text = "" if value is None else str(value)
        if not markdown:
            return str(html_escape(reveal(text)))
        # Only a value that opens the message can open a block ("1." a list): one inside it is escaped
        # as the middle of a line is.
        return md_escape(text) if opens else md_escape("x" + text)[1:]

    def filled(text: str, fields: dict[str, Any]) -> Markup:
        if not fields:
            return Markup(text)
        try:
            return Markup(fill(text, locale, **{name: escaped(value, text.startswith("{" + name + "}"))
                                                for name, value in fields.items()}))
        except (KeyError, IndexError, ValueError) as exc:
            raise TemplateError(f"message {text!r}: cannot fill its placeholders: {exc}") from None

    def gettext(message: str, **fields: Any) -> Markup:
        return filled(tr.gettext(str(message)), fields)

    def pgettext(context: str, message: str, **fields: Any) -> Markup:
        return filled(tr.pgettext(str(context), str(message)), fields)

    def ngettext(singular: str, plural: str, n: int, **fields: Any) -> Markup:
        return filled(tr.ngettext(str(singular), str(plural), int(n)), fields)

    return {"_": gettext, "gettext": gettext, "pgettext": pgettext, "ngettext": ngettext}


@dataclass
class Templates:
    """The template search path for one build: user directories first, bundled last.

    ``locale``: the language of the messages templates print (``_()``; :func:`message_functions`)."""

    user_dirs: list[Path] = field(default_factory=list)
    filters: dict[str, Callable[..., Any]] = field(default_factory=dict)
    locale: str = "en_US"
    _environments: dict[bool, jinja2.Environment] = field(default_factory=dict, init=False, repr=False)
    _manifests: dict[str, Manifest] = field(default_factory=dict, init=False, repr=False)
    _others: dict[tuple[str, int], Templates] = field(default_factory=dict, init=False, repr=False)

    def in_locale(self, locale: str, sig_figs: int) -> Templates:
        """These templates for a document in another locale (a brief's own ``locale``): the same search
        path and manifests, filters and messages of that locale; made once per build and locale."""
        if locale == self.locale:
            return self
        key = (locale, sig_figs)
        if key not in self._others:
            other = Templates(user_dirs=list(self.user_dirs), filters=document_filters(locale, sig_figs),
                              locale=locale)
            other._manifests = self._manifests
            self._others[key] = other
        return self._others[key]

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
        env = _Sandbox(
            loader=self._loader(),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # HTML for page frames; Markdown via finalize for bodies
            finalize=_md_finalize if markdown else _html_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        env.filters.update(MARKDOWN_FILTERS)
        env.filters.update(self.filters)
        env.globals.update(message_functions(self.locale, markdown))
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

    def untrusted(self) -> bool:
        """Whether templates may come from a user directory (rendering them is then confined)."""
        return any(directory.is_dir() for directory in self.user_dirs)

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


# -- rendering, bounded ----------------------------------------------------------------------------
#
# Where a user template directory exists, a template is rendered in a forked child process, so
# that nothing it does can hurt the build: the child has a memory ceiling (RLIMIT_AS,
# MAX_RENDER_MEMORY_MIB beyond what the process held when it was forked) and a CPU limit, and the
# parent kills it once MAX_RENDER_SECONDS of wall clock have passed, even inside one long C-level
# operation (a signal in-process waits for it to return). The child sends back the text, or the
# message of the error it met, through a pipe; the parent turns every failure into TemplateError.
# The parent does not compile those templates either (Jinja folds constant expressions while
# compiling, and a template can make that fold run away): the child compiles, and sends the code
# objects back for the next child to reuse. The bundled templates alone are trusted and rendered
# in-process. In both, the sandbox first refuses the runaways that are cheap to spot at the
# operator: huge powers and products, and repetition or concatenation beyond the output bound.

MAX_INT_DIGITS = 4_300  # Python's own limit on printing an int; a larger one has no place in a document
MAX_RANGE = 100_000  # as Jinja's sandbox: range() beyond this is refused
MAX_RENDER_MEMORY_MIB = 512  # memory a render may use beyond what the process already holds
_MAX_CODE_BYTES = 1 << 20  # compiled code beyond this is not kept (folded constants of a runaway template)
_MAX_REPLY_BYTES = 64 << 20  # a child's reply beyond this (text, error or code) is not read
_RUNAWAY = "refusing a runaway template"


class _Runaway(Exception):
    """A template asked for an operation whose result is too large to make (checked beforehand)."""


def _digits(number: int) -> int:
    return max(1, math.ceil(abs(number).bit_length() * math.log10(2)))


def _shown(value: Any) -> str:
    """A short form of an operand for a message: never a huge number or text in full."""
    if isinstance(value, bool) or not isinstance(value, int | str | list | tuple):
        return type(value).__name__
    if isinstance(value, int):
        return str(value) if abs(value) < 10**18 else f"a {_digits(value):,}-digit number"
    if isinstance(value, str):
        return repr(value) if len(value) <= 20 else f"a text of {len(value):,} characters"
    shown = repr(list(value)) if len(value) <= 5 else ""
    return shown if 0 < len(shown) <= 40 else f"a list of {len(value):,} items"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``**``, ``*`` and ``+`` whose result would be too large, before any work is done."""
    if operator == "**" and _whole(left) and _whole(right) and right > 0 and abs(left) > 1:
        digits = right * math.log10(abs(left))
        if digits > MAX_INT_DIGITS:
            raise _Runaway(f"{_shown(left)} ** {_shown(right)} would be a number of about {digits:,.0f} digits "
                           f"(the limit is {MAX_INT_DIGITS:,})")
    elif operator == "*":
        if _whole(left) and _whole(right):
            if left and right and _digits(left) + _digits(right) - 1 > MAX_INT_DIGITS:
                raise _Runaway(f"{_shown(left)} * {_shown(right)} would be a number of over {MAX_INT_DIGITS:,} "
                               "digits")
            return
        sequence, count = (left, right) if _whole(right) else (right, left)
        if isinstance(sequence, str | list | tuple) and _whole(count):
            _check_length(len(sequence) * count, sequence, f"{_shown(left)} * {_shown(right)}")
    elif operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
        _check_length(len(left) + len(right), left, f"{_shown(left)} + {_shown(right)}")


def _check_length(length: int, sequence: Any, what: str) -> None:
    if length > MAX_OUTPUT_CHARS:
        unit = "characters long" if isinstance(sequence, str) else "items long"
        raise _Runaway(f"{what} would be {length:,} {unit} (the limit is {MAX_OUTPUT_CHARS:,})")


def _bounded_range(*args: int) -> range:
    """``range`` for templates: at most MAX_RANGE items, refused with a clear message."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        shown = ", ".join(_shown(arg) for arg in args)
        raise _Runaway(f"range({shown}) would have {len(numbers):,} items (the limit is {MAX_RANGE:,})")
    return numbers


class _CodeCache(jinja2.BytecodeCache):
    """Compiled templates by name, file and source checksum, in memory.

    Children compile what is missing (``fresh``) and send it back; the parent stores it here,
    so the next child inherits it and only executes the module code.
    """

    def __init__(self) -> None:
        self.codes: dict[tuple[str, str], Any] = {}
        self.fresh: dict[tuple[str, str], Any] = {}

    def load_bytecode(self, bucket: Any) -> None:
        bucket.code = self.codes.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: Any) -> None:
        self.codes[(bucket.key, bucket.checksum)] = self.fresh[(bucket.key, bucket.checksum)] = bucket.code


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the runaway checks of :func:`_check_binop` and a bounded ``range``.

    The intercepted operators are also never folded at compile time.
    """

    intercepted_binops = frozenset({"**", "*", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(bytecode_cache=_CodeCache(), **options)
        self.globals["range"] = _bounded_range

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


class _RenderTimeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt a template that runs too long, where no child process can be forked.

    A timer signal is the one way to stop pure-Python work in-process; it is only available in
    the main thread, elsewhere the output-size bound still holds.
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
            raise TemplateError(f"{name}: output is over {MAX_OUTPUT_CHARS:,} characters; {_RUNAWAY}")
        chunks.append(chunk)
    return "".join(chunks)


def _timeout_message(name: str) -> str:
    return f"{name}: rendering took over {MAX_RENDER_SECONDS:g} s; {_RUNAWAY}"


def _memory_message(name: str) -> str:
    return f"{name}: rendering used more than {MAX_RENDER_MEMORY_MIB:,} MiB of memory; {_RUNAWAY}"


def _render_here(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Compile (if need be) and render in this process; template mistakes become TemplateError."""
    try:
        return _bounded_render(env.get_template(name), context, name)
    except _RenderTimeout:
        raise TemplateError(_timeout_message(name)) from None
    except _Runaway as exc:
        raise TemplateError(f"{name}: {exc}; {_RUNAWAY}") from None
    except RecursionError:
        raise TemplateError(f"{name}: recursion too deep (a macro, include or import that calls itself "
                            f"without end); {_RUNAWAY}") from None
    except MemoryError:
        raise TemplateError(_memory_message(name)) from None
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


def _child_outcome(env: jinja2.Environment, name: str, context: dict[str, Any]) -> tuple[Any, ...]:
    """What the child sends back: ``("ok", text, codes)`` or ``("error", missing, message)``."""
    cache = env.bytecode_cache
    try:
        text = _render_here(env, name, context)
    except TemplateError as exc:
        return ("error", isinstance(exc, TemplateMissing), str(exc))
    except MemoryError:
        return ("error", False, _memory_message(name))
    except Exception as exc:  # noqa: BLE001 - a filter's own failure; reported, never a traceback
        return ("error", False, f"{name}: rendering failed: {type(exc).__name__}: {exc}")
    codes = []
    if isinstance(cache, _CodeCache):
        for key, code in cache.fresh.items():
            data = marshal.dumps(code)
            if len(data) <= _MAX_CODE_BYTES:
                codes.append((key, data))
    return ("ok", text, codes)


def _address_space() -> int | None:
    """Bytes of virtual memory this process maps now (Linux), or None."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _limit_child() -> None:
    """Memory and CPU ceilings for a rendering child (each skipped where the system refuses it)."""
    import resource

    mapped = _address_space()
    if mapped is not None:
        ceiling = mapped + MAX_RENDER_MEMORY_MIB * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > ceiling:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    seconds = math.ceil(MAX_RENDER_SECONDS) + 1  # a backstop: the parent kills at MAX_RENDER_SECONDS
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft == resource.RLIM_INFINITY or soft > seconds:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard if hard == resource.RLIM_INFINITY
                                                     else max(seconds, hard)))


def _render_forked(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    import gc
    import select
    import sys
    import time

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()  # nothing buffered is written twice
    seconds = MAX_RENDER_SECONDS
    read, write = os.pipe()
    started = time.monotonic()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read)
        os.close(write)
        raise TemplateError(f"{name}: could not start a process to render it: {exc.strerror}") from None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read)
            gc.disable()  # a short life: collecting would only copy the parent's pages
            _limit_child()
            try:
                data = marshal.dumps(_child_outcome(env, name, context))
            except MemoryError:
                data = marshal.dumps(("error", False, _memory_message(name)))
            view = memoryview(data)
            while view:
                view = view[os.write(write, view):]
            status = 0
        except BaseException:  # noqa: BLE001 - the parent reports a child without an outcome
            pass
        finally:
            os._exit(status)
    os.close(write)
    chunks: list[bytes] = []
    received = 0
    reaped = False
    try:
        poller = select.poll()
        poller.register(read, select.POLLIN | select.POLLHUP)
        while True:
            remaining = started + seconds - time.monotonic()
            if remaining <= 0:
                raise TemplateError(_timeout_message(name))
            if not poller.poll(remaining * 1000):
                continue
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > _MAX_REPLY_BYTES:
                raise TemplateError(f"{name}: output is over {MAX_OUTPUT_CHARS:,} characters; {_RUNAWAY}")
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read)
        if not reaped:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
    return _outcome(env, name, b"".join(chunks), status)


def _outcome(env: jinja2.Environment, name: str, data: bytes, status: int) -> str:
    """The child's text, or its error raised here; the code it compiled is kept for the next child."""
    try:
        outcome = marshal.loads(data) if data else None
    except (EOFError, ValueError, TypeError):
        outcome = None
    if not isinstance(outcome, tuple) or not outcome:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            raise TemplateError(_timeout_message(name))
        how = (f"was killed by {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
               else f"ended with status {os.waitstatus_to_exitcode(status)}")
        raise TemplateError(f"{name}: rendering stopped: the process rendering it {how} "
                            f"(a runaway template, or more than {MAX_RENDER_MEMORY_MIB:,} MiB of memory)")
    if outcome[0] == "error":
        raise (TemplateMissing if outcome[1] else TemplateError)(outcome[2])
    _, text, codes = outcome
    cache = env.bytecode_cache
    if isinstance(cache, _CodeCache):
        for key, code in codes:
            cache.codes.setdefault(tuple(key), marshal.loads(code))
    return str(text)


def render_template(templates: Templates, name: str, context: dict[str, Any], *, markdown: bool) -> str:
    """Render one template; template mistakes become TemplateError, never a traceback.

    Rendering is bounded in time (``MAX_RENDER_SECONDS``, wall clock), output size
    (``MAX_OUTPUT_CHARS``), memory (``MAX_RENDER_MEMORY_MIB``) and recursion. Wherever a user
    template directory exists (any file it holds may be loaded, ``base/`` parts included), it
    runs in a forked child process (see above); with the bundled templates alone, which are
    trusted, or where there is no fork, it runs here under a timer signal (a fork costs tens of
    milliseconds in a process holding WeasyPrint; rendering here, about one).
    """
    env = templates.environment(markdown)
    if hasattr(os, "fork") and templates.untrusted():
        return _render_forked(env, name, context)
    with _deadline(MAX_RENDER_SECONDS):
        return _render_here(env, name, context)


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
    for name in ("tiles", "box", "note", "pagebreak", "chart", "titleblock", "sender", "signoff"):
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


PDF_VARIANT = "pdf/ua-1"
"""Every PDF is tagged PDF/UA-1 (structure tree, /Lang, DisplayDocTitle, bookmarks, alt text)."""
ARCHIVE_VARIANT = "pdf/a-3a"
"""An archival PDF: PDF/A-3, level a (tagged), identified as PDF/UA-1 too, with attachments."""
_UA_XMP = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>'
           '</rdf:RDF>')


def html_to_pdf(html: str, *, epoch: int, identifier: bytes,
                attachments: dict[str, bytes] | None = None) -> tuple[bytes, list[str]]:
    """Lay out a self-contained HTML page as PDF; return the bytes and any refused URLs.

    The PDF is tagged and identified as PDF/UA-1. With ``attachments`` it is PDF/A-3a (still
    tagged and identified as PDF/UA-1) with each embedded as an associated file.

    Args:
        html: the page, with inline CSS (``@page`` rules included).
        epoch: seconds since 1970 for every timestamp in the file (the brief's date).
        identifier: PDF file identifier; derived from the inputs so builds are reproducible.
        attachments: files to embed, by name (an archival PDF); None or empty for none.
    """
    import weasyprint

    fetcher = RestrictedFetcher()
    when = datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)
    options: dict[str, Any] = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
    if attachments:
        options = {
            "pdf_variant": ARCHIVE_VARIANT, "pdf_tags": True,
            "xmp_metadata": ["data:application/rdf+xml;base64," + base64.b64encode(_UA_XMP.encode()).decode()],
            "attachments": [weasyprint.Attachment(string=data, base_url=None, url_fetcher=fetcher, name=name,
                                                  description=_ATTACHMENT_DESCRIPTIONS.get(name, name),
                                                  created=when, modified=when, relationship="Source"
                                                  if name != "manifest.json" else "Supplement")
                            for name, data in sorted(attachments.items())],
        }
    try:
        with _source_date_epoch(epoch):
            document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
            pdf = document.write_pdf(pdf_identifier=identifier, uncompressed_pdf=False, **options)
    except Exception as exc:  # WeasyPrint raises many kinds; none may escape as a traceback
        raise RenderError(f"PDF layout failed: {type(exc).__name__}: {exc}") from None
    return _accessible(pdf), list(fetcher.refused)


_MARKED = re.compile(rb"/([A-Za-z0-9]+)\s*<<\s*/MCID (\d+)\s*>>\s*BDC")
_ARTIFACT = b"/Artifact\n<</Type /Pagination>>\nBDC"


def _accessible(pdf: bytes) -> bytes:
    """What WeasyPrint's tagging leaves to do for PDF/UA-1, done with pikepdf (qpdf).

    - Page furniture (the running header, the classification banners, "Page N of M": CSS
      margin boxes) is marked ``/Artifact /Pagination``: WeasyPrint gives it marked-content
      ids whose structure elements hang outside the tree. Their entries leave the parent tree.
    - Table header cells (``/TH``) state their ``/Scope`` (``/Column``; WeasyPrint already
      links each data cell to its headers with ``/Headers``).
    - An archival PDF lists each associated file once in the catalog's ``/AF``.

    The file identifier is derived from the content, so the bytes stay reproducible.
    """
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root.get("/StructTreeRoot")
        if root is None:  # pragma: no cover - WeasyPrint always tags with pdf_tags
            return pdf
        reachable: set[tuple[int, int]] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
            if kids is None:
                continue
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                if isinstance(kid, pikepdf.Dictionary) and kid.is_indirect:
                    if kid.objgen in reachable:
                        continue
                    reachable.add(kid.objgen)
                    if kid.get("/S") == "/TH":
                        attributes = kid.get("/A")
                        if isinstance(attributes, pikepdf.Dictionary) and "/Scope" not in attributes:
                            attributes.Scope = pikepdf.Name.Column
                    stack.append(kid)
        nums = root.ParentTree.get("/Nums", pikepdf.Array())
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums) - 1, 2)}
        for number, page in enumerate(document.pages):
            entries = parents.get(int(page.obj.get("/StructParents", number)))
            if not isinstance(entries, pikepdf.Array):
                continue
            orphans = {mcid for mcid, element in enumerate(entries)
                       if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
            if not orphans:
                continue
            # WeasyPrint (pydyf) writes each tag as "/Tag <</MCID n>> BDC" (one token a line).
            content = page.obj.Contents.read_bytes() if isinstance(page.obj.Contents, pikepdf.Stream) else \
                b"\n".join(part.read_bytes() for part in page.obj.Contents)
            changed = _MARKED.sub(lambda m: _ARTIFACT if int(m.group(2)) in orphans else m.group(0), content)
            page.obj.Contents = document.make_stream(changed)
            for mcid in orphans:
                entries[mcid] = pikepdf.Object.parse(b"null")
        associated = document.Root.get("/AF")
        if isinstance(associated, pikepdf.Array):  # WeasyPrint lists each attachment twice
            unique = {spec.objgen: spec for spec in associated if isinstance(spec, pikepdf.Dictionary)}
            document.Root.AF = pikepdf.Array(list(unique.values()))
        out = io.BytesIO()
        document.save(out, deterministic_id=True, compress_streams=True,
                      object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()


_ATTACHMENT_DESCRIPTIONS = {
    "records.json": "The incident records as this document's audience may see them",
    "metrics.json": "The figures and metrics computed from those records (reporter metrics JSON)",
    "manifest.json": "Provenance: hashes of the inputs, tool and library versions, conventions and settings",
}
