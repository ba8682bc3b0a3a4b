"""Markdown: the rendered body as a reader's file, with its charts as PNG images beside it."""

from __future__ import annotations

from reporter.formats import OutputFormat, Product, Source, Sources


def make(sources: Sources) -> Product:
    from reporter.charts import to_png
    from reporter.render import markdown_for_readers

    images = {src: to_png(chart, font=sources.font) for src, chart in sources.charts.items()}
    return Product(markdown_for_readers(sources.markdown).encode("utf-8"), assets=images)


FORMAT = OutputFormat(name="md", suffix=".md", description="Markdown, charts as PNG files beside it",
                      source=Source.MARKDOWN, make=make)
