"""PDF: the HTML page laid out by WeasyPrint, with nothing fetched and fixed timestamps.

Every PDF is tagged and identified as PDF/UA-1 (structure tree, /Lang, the title shown in the
window, bookmarks, table headers, charts as Figures with alt text, page furniture as
artifacts). With attachments in the sources (``build --pdf-archive``) it is PDF/A-3a, still
tagged and identified as PDF/UA-1, with the records, the metrics JSON and the provenance
manifest embedded (see :mod:`reporter.archive`; ``reporter verify`` reads them back).
"""

from __future__ import annotations

import hashlib

from reporter.formats import OutputFormat, Product, Source, Sources


def make(sources: Sources) -> Product:
    from reporter.render import html_to_pdf

    # The file identifier comes from the page (and what it carries), so the same inputs give
    # the same bytes.
    digest = hashlib.sha256(sources.html.encode("utf-8"))
    for name, data in sorted(sources.attachments.items()):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    identifier = digest.hexdigest()[:32].encode("ascii")
    data, refused = html_to_pdf(sources.html, epoch=sources.epoch, identifier=identifier,
                                attachments=sources.attachments or None)
    return Product(data, refused_urls=refused)


FORMAT = OutputFormat(name="pdf", suffix=".pdf", description="tagged PDF/UA-1 (WeasyPrint); PDF/A-3 with --pdf-archive",
                      source=Source.HTML, make=make, slow=True)
