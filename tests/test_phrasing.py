"""One phrase per figure per document (#15 item 5): prose, key-figure tables, charts' alt text and
captions print the same phrase for the same figure; only the figures appendix gives exact values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporter.quantities import format_quantity
from tests.support import run_in
from tests.test_documents import BRIEFS, copy_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from reporter.brief import load_brief
    from reporter.config import load_config
    from reporter.document import preflight, templates_for
    from reporter.records import load_collection

    project = copy_project(tmp_path_factory.mktemp("phrasing"))
    result = run_in(project, ["build", *(f"briefs/{b}.yaml" for b in BRIEFS), "--out", "out", "--format", "md",
                              "--format", "html"])
    assert result.exit_code == 0, result.output
    config = load_config(project / "reporter.toml")
    templates = templates_for(config)
    briefs = [(project / "briefs" / f"{b}.yaml", load_brief(project / "briefs" / f"{b}.yaml", templates=templates))
              for b in BRIEFS]
    _, prepared = preflight(briefs, config, load_collection([project / "incidents"]))
    return project / "out", {path.stem: item for path, item in prepared.items()}


def _figures(context) -> list:  # noqa: ANN001 - a DocumentContext
    found = list(context.totals)
    for incident in context.incidents:
        found += [*incident.figures, *incident.metrics]
        found += [f for actor in incident.actors for f in actor.figures]
    return [f for f in found if f.known]


def _body(text: str) -> str:
    """The document without its figures appendix (the one place exact values belong)."""
    return re.split(r"## Appendix: methodology|>Appendix: methodology<", text, maxsplit=1)[0]


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")


@pytest.mark.parametrize("brief", BRIEFS)
def test_one_phrase_per_figure(documents: tuple[Path, dict], brief: str) -> None:
    """The same figure at another precision ("654,500" beside "about 655,000", "4,812" beside
    "about 4,800") appears nowhere in the document's text, tables, charts or alt text."""
    from reporter.quantities import Quantity

    out, prepared = documents
    context = prepared[brief].context
    text = _body((out / f"{brief}.md").read_text())
    html = _body((out / f"{brief}.html").read_text())
    figures = _figures(context)
    chosen = {n for f in figures for n in _NUMBER.findall(f.phrase)}
    for figure in figures:
        value = figure.value
        if value is None or figure.qualifier not in ("exact", "about"):
            continue
        shown = _NUMBER.findall(figure.phrase)
        for sig in range(2, 8):
            for other in _NUMBER.findall(format_quantity(Quantity.exact(value), context.methodology.locale, sig)):
                if other in shown or other in chosen:
                    continue
                pattern = rf"(?<![\d.,]){re.escape(other)}(?![\d]|[.,]\d)"
                assert not re.search(pattern, text), (brief, figure.name, figure.phrase, other)
                assert not re.search(pattern, html), (brief, figure.name, figure.phrase, other)
    # Every chart the document places states its figures in the phrases the text uses.
    for chart in context.charts.values():
        if f"]({chart.src})" not in text:
            continue
        for number in _NUMBER.findall(chart.alt):
            assert number in text, (brief, chart.kind, number)
