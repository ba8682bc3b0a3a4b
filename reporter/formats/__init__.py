"""Output formats as a registry: one module per format.

Each format module defines an :class:`OutputFormat` -- its name (the brief's ``formats``
value and the CLI's ``--format`` choice), its file suffix, what it is made from (the
rendered Markdown body, or the HTML page that wraps it) and how its bytes are made -- and
lists it in :data:`MODULES`. Everything else (the brief's choices, the CLI's, the writer,
the parallel PDF path) reads this registry. Adding a format is one new module here, one
line in :data:`MODULES`, and its tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from reporter.charts import Chart


class Source(StrEnum):
    """What a format is made from."""

    MARKDOWN = "markdown"  # the rendered Markdown body (the single source of the text)
    HTML = "html"  # the HTML page: the body converted, in its page frame with print CSS


@dataclass(frozen=True)
class Sources:
    """What a document's formats are made from, once per document.

    Attributes:
        markdown: the rendered Markdown body.
        html: the HTML page ("" when no requested format is made from HTML).
        charts: the charts the body places, by their image path (``<stem>_files/<kind>.png``).
        epoch: seconds since 1970 for every timestamp in the files (the brief's date).
        font: the font family of charts.
        title: the document's title (metadata).
        author: the organisation it comes from (metadata).
        subject: the metadata subject (from the template's manifest).
        language: the document's language tag, e.g. ``en-US`` (metadata, /Lang, ``lang``).
        marking: the classification marking ("" for public documents).
        draft: whether any included record is a draft (a DRAFT notice on every format).
        paper: ``letter`` or ``a4``.
        attachments: files an archival format embeds, by name (see reporter.archive); the
            PDF is PDF/A-3 with them embedded when there are any.
        reference_docx: the organisation's Word reference document (styles, letterhead), or b"".
    """

    markdown: str
    html: str
    charts: dict[str, Chart] = field(default_factory=dict)
    epoch: int = 0
    font: str = "DejaVu Sans"
    title: str = ""
    author: str = ""
    subject: str = ""
    language: str = "en-US"
    marking: str = ""
    draft: bool = False
    paper: str = "letter"
    attachments: dict[str, bytes] = field(default_factory=dict)
    reference_docx: bytes = b""


@dataclass
class Product:
    """One format of one document, in memory.

    Attributes:
        data: the file's bytes.
        assets: files written beside it, by their path relative to the output directory
            (the Markdown's chart images under ``<stem>_files/``).
        refused_urls: URLs the renderer was asked to fetch and refused.
    """

    data: bytes
    assets: dict[str, bytes] = field(default_factory=dict)
    refused_urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutputFormat:
    """A registered output format.

    Attributes:
        name: the format's name in briefs and on the command line (``pdf``).
        suffix: the file suffix (``.pdf``).
        description: one line for help texts.
        source: what it is made from.
        make: the format's bytes (and assets) from the document's sources. Runs in a forked
            worker process when :attr:`slow` and several documents are built at once, so it
            must depend on nothing but its argument.
        slow: whether making it is slow enough to hand to another core (PDF layout).
    """

    name: str
    suffix: str
    description: str
    source: Source
    make: Callable[[Sources], Product]
    slow: bool = False


# The order is the order files are written and listed in.
MODULES = ("markdown", "html", "pdf", "docx")


_PNGS: dict[tuple[int, str], tuple[Any, bytes]] = {}


def chart_png(sources: Sources, src: str) -> bytes:
    """The PNG of the chart the body places at ``src`` (exported once per process and chart:
    Markdown and Word both embed it)."""
    from reporter.charts import to_png

    chart = sources.charts[src]
    key = (id(chart), sources.font)
    cached = _PNGS.get(key)
    if cached is None or cached[0] is not chart:
        if len(_PNGS) > 32:
            _PNGS.clear()
        cached = _PNGS[key] = (chart, to_png(chart, font=sources.font))
    return cached[1]


def _load() -> dict[str, OutputFormat]:
    registry: dict[str, OutputFormat] = {}
    for module in MODULES:
        fmt: OutputFormat = importlib.import_module(f"{__name__}.{module}").FORMAT
        if fmt.name in registry:  # pragma: no cover - a programming error
            raise RuntimeError(f"two output formats are named {fmt.name!r}")
        registry[fmt.name] = fmt
    return registry


REGISTRY: dict[str, OutputFormat] = _load()

Format = StrEnum("Format", {fmt.name.upper(): fmt.name for fmt in REGISTRY.values()})  # type: ignore[misc]
Format.__doc__ = "The registered output formats, by name (for briefs and the command line)."


def output_format(name: Any) -> OutputFormat:
    """The registered format of that name (a :data:`Format` member or its value)."""
    return REGISTRY[str(name.value if isinstance(name, Format) else name)]


def by_suffix(suffix: str) -> OutputFormat | None:
    """The format whose files end in ``suffix`` (``.pdf``; case-insensitive), or None."""
    return next((fmt for fmt in REGISTRY.values() if fmt.suffix == suffix.lower()), None)


def names() -> list[str]:
    """Every registered format's name, in registry order."""
    return list(REGISTRY)


__all__ = ["Format", "OutputFormat", "Product", "REGISTRY", "Source", "Sources", "by_suffix", "chart_png", "names",
           "output_format"]
