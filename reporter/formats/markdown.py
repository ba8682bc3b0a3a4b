"""Markdown: the rendered body as a reader's file, with its charts as PNG images beside it.

The file states the classification marking and the DRAFT notice at its top and bottom, as
the PDF does on every page (a Markdown file has no pages, and is often forwarded alone).
"""

from __future__ import annotations

from reporter.formats import OutputFormat, Product, Source, Sources, chart_png


def notices(sources: Sources) -> tuple[str, str]:
    """The Markdown lines above and below the body: marking and DRAFT, each bold ("" for none)."""
    from reporter.render import md_escape
    from reporter.words import words_for

    draft = f"**{words_for(sources.language).sentences['draft']}**" if sources.draft else ""
    marking = f"**{md_escape(sources.marking)}**" if sources.marking.strip() else ""
    top = "\n\n".join(part for part in (marking, draft) if part)
    bottom = "\n\n".join(part for part in (draft, marking) if part)
    return (top + "\n\n" if top else ""), ("\n" + bottom + "\n" if bottom else "")


def make(sources: Sources) -> Product:
    from reporter.render import markdown_for_readers

    images = {src: chart_png(sources, src) for src in sources.charts}
    top, bottom = notices(sources)
    text = markdown_for_readers(sources.markdown)
    if bottom:
        text = text.rstrip("\n") + "\n" + bottom
    return Product((top + text).encode("utf-8"), assets=images)


FORMAT = OutputFormat(name="md", suffix=".md", description="Markdown, charts as PNG files beside it",
                      source=Source.MARKDOWN, make=make)
