"""HTML: one self-contained page (inline CSS and SVG charts; nothing to fetch).

For screens and assistive technology the page gets, beyond what the PDF needs: each table
inside a focusable box that scrolls on narrow screens (``role="region"``, named), and each
chart's inner marks hidden from assistive technology while the chart (``role="img"``) keeps
its ``<title>`` as its name.
"""

from __future__ import annotations

import re

from reporter.formats import OutputFormat, Product, Source, Sources

_TABLE = re.compile(r"<table>(.*?)</table>", re.DOTALL)
_SVG_TITLE = re.compile(r'(<svg\b[^>]*\brole="img"[^>]*>)<title>([^<]*)</title>(.*?)</svg>', re.DOTALL)
_FIRST_HEADER = re.compile(r"<th\b[^>]*>(.*?)</th>", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _table(match: re.Match[str], counter: list[int]) -> str:
    counter[0] += 1
    header = _FIRST_HEADER.search(match.group(1))
    name = _TAGS.sub("", header.group(1)).strip() if header else ""
    label = f"Table {counter[0]}: {name}" if name else f"Table {counter[0]}"
    return (f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
            f"{match.group(0)}</div>")


def _chart(match: re.Match[str], counter: list[int]) -> str:
    counter[0] += 1
    ident = f"chart-title-{counter[0]}"
    opening = match.group(1).replace('role="img"', f'role="img" aria-labelledby="{ident}" focusable="false"', 1)
    return f'{opening}<title id="{ident}">{match.group(2)}</title><g aria-hidden="true">{match.group(3)}</g></svg>'


def accessible(html: str) -> str:
    """The page with its tables in scrolling boxes and its charts' inner marks hidden.

    An HTML 4.01 page (the EDGAR-ready filing) is left as it is: it may hold no ARIA.
    """
    if html.lstrip()[:60].upper().startswith('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01'):
        return html
    counter = [0]
    html = _SVG_TITLE.sub(lambda m: _chart(m, counter), html)
    tables = [0]
    return _TABLE.sub(lambda m: _table(m, tables), html)


def make(sources: Sources) -> Product:
    return Product(accessible(sources.html).encode("utf-8"))


FORMAT = OutputFormat(name="html", suffix=".html", description="a self-contained HTML page",
                      source=Source.HTML, make=make)
