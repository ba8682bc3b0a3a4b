"""PDF: the HTML page laid out by WeasyPrint, with nothing fetched and fixed timestamps."""

from __future__ import annotations

import hashlib

from reporter.formats import OutputFormat, Product, Source, Sources


def make(sources: Sources) -> Product:
    from reporter.render import html_to_pdf

    # The file identifier comes from the page, so the same inputs give the same bytes.
    identifier = hashlib.sha256(sources.html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    data, refused = html_to_pdf(sources.html, epoch=sources.epoch, identifier=identifier)
    return Product(data, refused_urls=refused)


FORMAT = OutputFormat(name="pdf", suffix=".pdf", description="print-grade PDF (WeasyPrint)",
                      source=Source.HTML, make=make, slow=True)
