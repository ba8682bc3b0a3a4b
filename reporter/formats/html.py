"""HTML: one self-contained page (inline CSS and SVG charts; nothing to fetch)."""

from __future__ import annotations

from reporter.formats import OutputFormat, Product, Source, Sources


def make(sources: Sources) -> Product:
    return Product(sources.html.encode("utf-8"))


FORMAT = OutputFormat(name="html", suffix=".html", description="a self-contained HTML page",
                      source=Source.HTML, make=make)
