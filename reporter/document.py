"""Building documents: brief + records → audience filter → metrics → context → formats.

This is the pipeline of DESIGN §2 for one document. Redaction happens before metrics, so
nothing derived from what the audience may not see can reach a template.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from reporter.audience import for_audience
from markupsafe import escape

from reporter.brief import Brief, locate
from reporter.formats import REGISTRY, Format, OutputFormat, Product, Source, Sources, output_format
from reporter.charts import DEFAULT_FONT, KINDS, Chart, build_chart, to_svg
from reporter.config import Config
from reporter.context import (
    ActionView,
    ActorView,
    ChangeView,
    ChartView,
    DocumentContext,
    EventView,
    IncidentView,
    InputView,
    MethodologyView,
    PartyView,
    SourceView,
    collection_totals,
    convention_text,
    event_label,
    figure_view,
    fill_summary,
    marking,
    when_text,
    window_text,
    reading_text,
    worked_example,
)
from reporter.dates import format_when
from reporter.errors import ConfigError, InputError, Problem, RenderError, UsageError
from reporter.metrics import INCIDENT_METRICS, CollectionMetrics, Settings, collection_metrics, period_keys
from reporter.quantities import ABOUT_TOLERANCE, Quantity, format_quantity
from reporter.records import Actor, Collection, Incident, LoadedIncident, Sensitivity
from reporter.words import words_for
from reporter.manifest import Manifest
from reporter.render import BODY, PAGE, Templates, document_filters, markdown_to_html, render_template


def tool_version() -> str:
    try:
        return version("reporter")
    except PackageNotFoundError:  # running from a source tree without installing
        return "unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Rendered:
    """One document in every requested format, in memory (writing is the caller's job).

    Attributes:
        products: each format's file (and assets), by format name, in registry order. A slow
            format handed to another process is filled in when it is done.
        pending: slow formats handed to another process, by name (see :func:`build_briefs`).
    """

    products: dict[str, Product] = field(default_factory=dict)
    pending: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def refused_urls(self) -> list[str]:
        return [url for product in self.products.values() for url in product.refused_urls]


def _select(brief: Brief, brief_path: str, collection: Collection) -> tuple[list[LoadedIncident], list[LoadedIncident]]:
    by_id = collection.by_id()
    problems = []
    if isinstance(brief.incidents, list):
        problems += [Problem(brief_path, None, None, f"incidents[{n}]", f"no incident with id '{i}' in the records")
                     for n, i in enumerate(brief.incidents) if i not in by_id]
    problems += [Problem(brief_path, None, None, f"compare[{n}]", f"no incident with id '{i}' in the records")
                 for n, i in enumerate(brief.compare) if i not in by_id]
    if problems:
        raise InputError(problems)
    selected = [loaded for loaded in collection.incidents
                if loaded.incident.id not in brief.compare and brief.selects(loaded.incident, period_keys(loaded.incident))]
    if not selected:
        raise InputError([Problem(brief_path, None, None, "incidents", "selects no incident from the records")])
    compare = [by_id[i] for i in brief.compare]
    return selected, compare


def _party(name: str = "", title: str | None = None, organisation: str | None = None, address: list[str] | None = None,
           honorific: str | None = None, salutation_name: str | None = None) -> PartyView:
    return PartyView(honorific=honorific or "", name=name, title=title or "", organisation=organisation or "",
                     address=list(address or []), salutation_name=salutation_name or "")


def _incident_view(incident: Incident, metrics: CollectionMetrics, settings: Settings, withheld: set[str],
                   sources: list[SourceView]) -> IncidentView:
    own = metrics.incidents[incident.id]
    events = [("start", incident.window.start, "")] if incident.window else []
    if incident.window and incident.window.end:
        events.append(("end", incident.window.end, ""))
    events += [(name, event.at, event.note or "") for name, event in incident.timeline.items()]
    events.sort(key=lambda e: e[1].earliest)
    own_sources = []
    for source in incident.sources:
        view = SourceView(number=len(sources) + 1, title=source.title, publisher=source.publisher or "",
                          url=source.url or "", date=when_text(source.date, settings))
        sources.append(view)
        own_sources.append(view)
    changes = []
    if incident.disclosures:
        latest = max(incident.disclosures, key=lambda d: d.date.earliest)
        for name, stated in latest.figures.items():
            if name in incident.figures:
                now, then = incident.figures[name].quantity, stated.quantity
                changes.append(ChangeView(
                    label=figure_view(name, now, settings).label,
                    now=format_quantity(now, settings.locale, settings.sig_figs),
                    then=format_quantity(then, settings.locale, settings.sig_figs),
                    to=latest.to, date=format_when(latest.date, settings.locale),
                    changed=now.with_unit(None) != then.with_unit(None)))
    figures = [figure_view(name, q, settings) for name, q in own.figures.items()]
    derived = [figure_view(name, own.derived[name], settings) for name in INCIDENT_METRICS]
    listed = _listed_actors(incident.actors)
    words = words_for(settings.locale)
    try:
        summary = fill_summary(incident, own, settings, withheld)
    except ValueError as exc:
        raise _SummaryError(incident.id, str(exc)) from None
    return IncidentView(
        id=incident.id,
        title=incident.title,
        category=incident.category,
        status=str(incident.status),
        summary=summary,
        window=window_text(incident, settings),
        window_days=figure_view("window_days", own.derived["window_days"], settings),
        figures=figures,
        metrics=derived,
        named={f.name: f for f in (*figures, *derived)},
        actors=[ActorView(
            name=actor.name, kind=actor.kind or "",
            confidence=str(actor.attribution.confidence) if actor.attribution else "",
            basis=[item.text for item in actor.attribution.basis] if actor.attribution else [],
            figures=[figure_view(n, f.quantity, settings) for n, f in actor.figures.items()],
        ) for actor in listed],
        more_actors=len(incident.actors) - len(listed),
        more_actors_note=words.sentences["more_actors"].format(
            count=format_quantity(Quantity.exact(len(incident.actors) - len(listed)), settings.locale, sig_figs=15))
        if len(listed) < len(incident.actors) else "",
        targets=[item.text for item in incident.targets],
        techniques=[item.id for item in incident.techniques],
        timeline=[EventView(incident=incident.id, incident_title=incident.title, name=name, label=event_label(name, settings.locale),
                            date=format_when(when, settings.locale), iso=when.text, note=note)
                  for name, when, note in events],
        actions=[ActionView(text=a.text, date=when_text(a.date, settings)) for a in incident.actions],
        changes=changes,
        sources=own_sources,
        evidence=[e.text for e in incident.evidence if e.text],
    )


MAX_LISTED_ACTORS = 25
"""Actors a document lists one by one; beyond this, the largest are listed and the rest counted."""


def _listed_actors(actors: list[Actor]) -> list[Actor]:
    """The actors a document lists: all of them, or the largest MAX_LISTED_ACTORS in the record's order."""
    if len(actors) <= MAX_LISTED_ACTORS:
        return list(actors)

    def weight(actor: Actor) -> float:
        figure = actor.figures.get("interactions") or next(iter(actor.figures.values()), None)
        q = figure.quantity if figure is not None else None
        if q is None or not q.is_known:
            return -1.0
        return float(q.value if q.value is not None else q.low or 0.0)

    largest = set(sorted(range(len(actors)), key=lambda n: (-weight(actors[n]), n))[:MAX_LISTED_ACTORS])
    return [actor for n, actor in enumerate(actors) if n in largest]


def _when_key(iso: str) -> datetime:
    from reporter.dates import parse_when

    # A year or month sorts by its end: "2023" (reported that year) after "July 2023".
    return parse_when(iso).latest


class _SummaryError(Exception):
    def __init__(self, incident: str, message: str):
        self.incident, self.message = incident, message


def _judgments(incidents: list[IncidentView], locale: str) -> list[str]:
    sentences = words_for(locale).sentences
    judgments = []
    for incident in incidents:
        for actor in incident.actors:
            if not actor.confidence:
                continue
            share = next((f.phrase for f in actor.figures if f.name == "interactions"), "")
            judgments.append(sentences["judgment_share" if share else "judgment"].format(
                confidence=actor.confidence, actor=actor.name, share=share, incident=incident.title))
    return judgments


def _bottom_line(brief: Brief, incidents: list[IncidentView]) -> str:
    if brief.bottom_line:
        return " ".join(brief.bottom_line.split())
    first = incidents[0]
    return first.summary or f"{first.title}."


def build_context(brief: Brief, brief_path: Path, config: Config, collection: Collection,
                  settings: Settings, config_path: Path | None = None, stem: str = "document",
                  manifest: Manifest | None = None, templates: Templates | None = None,
                  ) -> tuple[DocumentContext, list[Problem], dict[str, Chart]]:
    """Everything the template sees, computed from what the audience may see; warnings for the
    author (a withheld share that the document would let a reader work out); and its charts.

    ``manifest``: the template's (its default audience, one incident or many); ``templates``:
    where to look for templates about several incidents, to name them when this one takes one.
    """
    if brief.audience is None:
        if manifest is None:
            raise ConfigError(f"{brief_path}: no audience, and no template manifest to take one from")
        brief = brief.model_copy(update={"audience": manifest.audience})
    clearance = config.clearance(brief.audience)
    selected, compare = _select(brief, str(brief_path), collection)
    if manifest is not None and manifest.one_incident and len(selected) > 1:
        several = [name for name in templates.names() if not templates.manifest(name).one_incident] \
            if templates is not None else []
        raise InputError([Problem(str(brief_path), None, None, "incidents",
                                  f"the {brief.template} template is about one incident, and this brief selects "
                                  f"{len(selected)}: name one id (or use a template about several: "
                                  f"{', '.join(several) or 'none is installed'})")])
    small_counts = config.documents.small_counts
    kept = for_audience(selected, clearance, small_counts, withhold_totals=brief.withhold_totals)
    if not kept.incidents:
        raise InputError([Problem(str(brief_path), None, None, "incidents",
                                  f"every selected incident is above the {brief.audience} audience's clearance")])
    kept_compare = for_audience(compare, clearance, small_counts, withhold_totals=brief.withhold_totals)
    withheld_names = {**kept.withheld_figures, **kept_compare.withheld_figures}
    summaries = {**kept.summaries, **kept_compare.summaries}
    loaded_by_id = {loaded.incident.id: loaded for loaded in selected + compare}
    metrics = collection_metrics(kept.incidents, settings, as_of=brief.date.date)
    compare_metrics = collection_metrics(kept_compare.incidents, settings, as_of=brief.date.date)
    visible_summary = next((summaries[i.id] for i in kept.incidents if i.id in summaries), None)
    charts = {kind: chart for kind in KINDS
              if (chart := build_chart(kind, kept.incidents, metrics, settings, visible_summary)) is not None}
    sources: list[SourceView] = []
    try:
        incident_views = [_incident_view(i, metrics, settings, withheld_names.get(i.id, set()), sources)
                          for i in kept.incidents]
        compare_views = [_incident_view(i, compare_metrics, settings, withheld_names.get(i.id, set()), [])
                         for i in kept_compare.incidents]
    except _SummaryError as exc:
        raise InputError([loaded_by_id[exc.incident].problem(("summary",), exc.message)]) from None
    organisation = config.organisation
    recipients = [_party(r.name, r.title, r.organisation, r.address, r.honorific, r.salutation_name) for r in brief.to]
    if brief.sender is not None:
        signatory = _party(brief.sender.name, brief.sender.title, brief.sender.organisation or organisation.name)
    elif organisation.signatory is not None:
        signatory = _party(organisation.signatory.name, organisation.signatory.title, organisation.name)
    else:
        raise ConfigError("no signatory: set [organisation.signatory] in reporter.toml or 'from' in the brief")
    # Only files behind what the audience sees: naming a withheld record's file would tell.
    visible = {i.id for i in (*kept.incidents, *kept_compare.incidents)}
    visible_loaded = [loaded for loaded in selected + compare if loaded.incident.id in visible]
    inputs = _inputs(visible_loaded, brief_path, config, config_path, [Path(s.source) for s in summaries.values()])
    withheld = kept.withheld or kept_compare.withheld
    words = words_for(settings.locale)
    context = DocumentContext(
        title=brief.title,
        date=format_when(brief.date, settings.locale),
        date_iso=brief.date.text,
        template=brief.template,
        audience=brief.audience,
        clearance=clearance.value,
        marking=marking(clearance, brief.audience, brief.marking, recipients, settings.locale),
        draft=any(i.status.value == "draft" for i in (*kept.incidents, *kept_compare.incidents)),
        withheld=withheld,
        withheld_notice=words.sentences["withheld_notice"] if withheld else "",
        organisation=_party(organisation.name, address=organisation.address),
        logo=_logo(config),
        signatory=signatory,
        recipients=recipients,
        salutation=brief.salutation or _salutation(recipients, settings.locale),
        bottom_line=_bottom_line(brief, incident_views),
        asks=list(brief.asks),
        actions=[ActionView(text=a, date="") for a in brief.actions]
        + [action for view in incident_views for action in view.actions],
        recommendations=list(brief.recommendations),
        incidents=incident_views,
        compare=compare_views,
        totals=collection_totals(metrics),
        judgments=_judgments(incident_views, settings.locale),
        timeline=sorted((event for view in incident_views for event in view.timeline),
                        key=lambda e: (_when_key(e.iso), e.incident)),
        sources=sources,
        methodology=MethodologyView(
            convention=settings.convention.value,
            convention_text=convention_text(settings.convention, settings.locale),
            worked_example=worked_example(kept.incidents, settings),
            formulas=list(words.formulas),
            sig_figs=settings.sig_figs,
            about_tolerance=(tolerance := f"±{ABOUT_TOLERANCE:.0%}".replace("%", " %")),
            reading=reading_text(settings.sig_figs, tolerance, settings.locale),
            inputs=inputs,
            tool=f"reporter {tool_version()}",
            locale=settings.locale,
        ),
        charts={kind: ChartView(kind=kind, title=chart.title, alt=chart.alt, src=f"{stem}_files/{kind}.png")
                for kind, chart in charts.items()},
        page_label=words.page,
        paper=config.documents.paper,
        clocks=_clocks(kept.incidents, brief, config, clearance, settings.locale),
    )
    return context, [*kept.warnings, *kept_compare.warnings], charts


def _clocks(incidents: list[Incident], brief: Brief, config: Config, clearance: Sensitivity,
            locale: str) -> list:
    """The regulatory clocks of what the audience sees, as of the start of the brief's date."""
    if not any(incident.obligations for incident in incidents):
        return []
    from reporter.clocks import clock_views, document_as_of

    timezone = config.documents.timezone
    return clock_views(incidents, document_as_of(brief.date.date, timezone), timezone, clearance, locale)


def _inputs(loaded: list[LoadedIncident], brief_path: Path, config: Config, config_path: Path | None,
            logs: list[Path]) -> list[InputView]:
    paths = sorted({item.path for item in loaded})
    files = [Path(p) for p in paths] + sorted(set(logs)) + [brief_path] + ([config_path] if config_path else [])
    return [InputView(path=_display(p, config.root), sha256=sha256_file(p)) for p in files if p.is_file()]


def _display(path: Path, root: Path) -> str:
    """A path relative to the project root (so documents do not depend on where it is checked out)."""
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else path.name


def _salutation(recipients: list[PartyView], locale: str) -> str:
    names = [r.salutation_name or r.name for r in recipients]
    if not names:
        return ""
    sentences = words_for(locale).sentences
    joined = names[0] if len(names) == 1 else sentences["list_separator"].join(names[:-1]) + \
        sentences["list_last"] + names[-1]
    return sentences["salutation"].format(names=joined)


def _logo(config: Config) -> str:
    logo = config.organisation.logo
    if logo is None:
        return ""
    from reporter.assets import read_asset

    mime, data = read_asset(config.resolve(logo), config.root, "organisation.logo")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _as_template_data(context: DocumentContext) -> dict[str, Any]:
    """The context as plain data: templates get no objects with methods to call."""
    return asdict(context)


def _figure_html(chart: Chart, svg: str) -> str:
    # The alt text is printed as the caption too: the PDF keeps no SVG <title>, and readers
    # of the printed page deserve the numbers in words.
    return (f'<span class="figure">{svg}<span class="caption"><strong>{escape(chart.title)}.</strong> '
            f"{escape(chart.alt)}</span></span>")


class Stopwatch:
    """Seconds spent per stage of a build, for ``make bench`` (a no-op unless asked for)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def render(brief: Brief, context: DocumentContext, templates: Templates, formats: list[Format],
           epoch: int, charts: dict[str, Chart] | None = None, stopwatch: Stopwatch | None = None,
           submit: Callable[[OutputFormat, Sources], Any] | None = None, font: str = DEFAULT_FONT,
           subject: str | None = None, extras: dict[str, Any] | None = None) -> Rendered:
    """Render the body once, then make every requested format from it (see :mod:`reporter.formats`).

    Charts are exported only if the template placed them: inline SVG in the HTML page, PNG
    beside the Markdown. With ``submit``, each slow format (PDF layout) is handed to it as
    soon as its sources exist, before the others are made, and :attr:`Rendered.pending` holds
    what ``submit`` returned.
    """
    watch = stopwatch or Stopwatch()
    chosen = [output_format(name) for name in formats]
    data = _as_template_data(context)
    with watch.stage("markdown"):
        markdown = render_template(templates, templates.resolve(brief.template, BODY), data, markdown=True)
    used = {view.src: (charts or {})[kind] for kind, view in context.charts.items() if f"]({view.src})" in markdown}
    html = ""
    if any(fmt.source is Source.HTML for fmt in chosen):
        with watch.stage("charts"):
            svgs = {src: to_svg(chart, font=font) for src, chart in used.items()}
        with watch.stage("html"):
            figures = {src: _figure_html(chart, svgs[src]) for src, chart in used.items()}
            body, headings = markdown_to_html(markdown, figures)
            css = templates.stylesheet(brief.template)
            page_data = {**data, "body": body, "toc": [asdict(h) for h in headings],
                         "css": css.replace("</", "<\\/"), "subject": subject or brief.title}
            html = render_template(templates, templates.resolve(brief.template, PAGE), page_data, markdown=False)
    sources = Sources(markdown=markdown, html=html, charts=used, epoch=epoch, font=font, title=context.title,
                      author=context.organisation.name, subject=subject or brief.title,
                      language=context.methodology.locale.replace("_", "-"), marking=context.marking,
                      draft=context.draft, paper=context.paper, **(extras or {}))
    rendered = Rendered()
    if submit is not None:
        rendered.pending = {fmt.name: submit(fmt, sources) for fmt in chosen if fmt.slow}
    for fmt in REGISTRY.values():  # in registry order, whatever order the brief lists them in
        if fmt in chosen and fmt.name not in rendered.pending:
            with watch.stage(_STAGES.get(fmt.name, fmt.name)):
                rendered.products[fmt.name] = fmt.make(sources)
    return rendered


# Where each format's making is counted in a build's stopwatch (``make bench`` prints these).
_STAGES = {"md": "charts"}


def brief_epoch(brief: Brief) -> int:
    """The brief's date as seconds since 1970 (midnight UTC): every timestamp in the output."""
    day = brief.date.date
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


@dataclass
class Built:
    """Files written for one brief."""

    paths: list[Path]
    refused_urls: list[str]
    warnings: list[Problem] = field(default_factory=list)


def planned_paths(out_dir: Path, stem: str, formats: list[Format]) -> list[Path]:
    """The main file each requested format would be written to (its assets aside)."""
    from reporter.output import output_path

    return [output_path(out_dir, stem, fmt.suffix) for fmt in REGISTRY.values() if fmt in map(output_format, formats)]


def write_outputs(rendered: Rendered, out_dir: Path, stem: str) -> Built:
    """Write each format atomically as ``out_dir/stem.suffix``, its assets beside it, in registry order.

    What an earlier, killed build left half-written there is removed first.
    """
    from reporter.output import output_path, remove_partials, write_atomic

    remove_partials(out_dir)
    remove_partials(out_dir / f"{stem}_files")
    written = []
    assets: dict[str, bytes] = {}
    for name, product in sorted(rendered.products.items(), key=lambda item: list(REGISTRY).index(item[0])):
        target = output_path(out_dir, stem, REGISTRY[name].suffix)
        write_atomic(target, product.data)
        written.append(target)
        assets.update(product.assets)
    for relative, data in sorted(assets.items()):
        folder, _, name = relative.rpartition("/")
        if folder != f"{stem}_files":
            raise RenderError(f"refusing to write an asset outside {stem}_files/: {relative!r}")
        stem_part, dot, suffix = name.rpartition(".")
        target = output_path(output_path(out_dir, folder, ""), stem_part, dot + suffix)
        write_atomic(target, data)
        written.append(target)
    return Built(written, rendered.refused_urls, rendered.warnings)


def _render_brief(brief: Brief, brief_path: Path, stem: str, config: Config, collection: Collection,
                  templates: Templates, settings: Settings, formats: list[Format], config_path: Path | None,
                  watch: Stopwatch, submit: Callable[[OutputFormat, Sources], Any] | None = None,
                  archive: bool = False) -> Rendered:
    """One brief from template check to rendered formats (the part single and parallel builds share).

    Raises:
        TemplateMissing: no such template.
        UsageError: a format the template does not make.
        InputError: problems in the brief or the records, located.
    """
    try:
        return _render_located(brief, brief_path, stem, config, collection, templates, settings, formats,
                               config_path, watch, submit, archive)
    except InputError as exc:
        raise InputError(locate(exc.problems, max_file_size=config.input.max_file_size)) from None


def _render_located(brief: Brief, brief_path: Path, stem: str, config: Config, collection: Collection,
                    templates: Templates, settings: Settings, formats: list[Format], config_path: Path | None,
                    watch: Stopwatch, submit: Callable[[OutputFormat, Sources], Any] | None,
                    archive: bool = False) -> Rendered:
    manifest = templates.manifest(brief.template)
    unmade = [str(name) for name in formats if output_format(name).name not in manifest.formats]
    if unmade:
        raise UsageError(f"{brief_path}: the {brief.template} template does not make {', '.join(unmade)} "
                         f"(it makes {', '.join(manifest.formats)})")
    with watch.stage("metrics"):
        context, warnings, charts = build_context(brief, brief_path, config, collection, settings, config_path,
                                                  stem, manifest, templates)
    from reporter.archive import format_extras  # reference document; PDF/A attachments with archive

    rendered = render(brief, context, templates, formats, brief_epoch(brief), charts, watch, submit=submit,
                      font=config.documents.font, subject=manifest.subject_for(brief.title),
                      extras=format_extras(brief, brief_path, config, collection, settings, formats, config_path,
                                           archive=archive))
    rendered.warnings = warnings
    return rendered


def build_brief(brief: Brief, brief_path: Path, config: Config, collection: Collection, out_dir: Path,
                formats: list[Format] | None = None, *, extra_template_dirs: list[Path] | None = None,
                config_path: Path | None = None, settings: Settings | None = None, stem: str | None = None,
                stopwatch: Stopwatch | None = None, archive: bool = False) -> Built:
    """Build one brief into ``out_dir`` in its formats (or ``formats``)."""
    watch = stopwatch or Stopwatch()
    chosen = list(formats or brief.formats)
    settings = settings or config.settings()
    stem = stem or brief_path.stem
    rendered = _render_brief(brief, brief_path, stem, config, collection,
                             templates_for(config, extra_template_dirs, settings), settings, chosen, config_path,
                             watch, archive=archive)
    with watch.stage("write"):
        return write_outputs(rendered, out_dir, stem)


def templates_for(config: Config, extra_dirs: list[Path] | None = None, settings: Settings | None = None) -> Templates:
    """The template search path of a build: ``paths.templates``, then ``--template-dir``, then the bundled ones.

    Raises:
        ConfigError: a directory of ``paths.templates`` does not exist.
        UsageError: an ``--template-dir`` does not exist.
    """
    settings = settings or config.settings()
    for directory in config.paths.templates:
        if not config.resolve(directory).is_dir():
            raise ConfigError(f"paths.templates: no such directory: {config.resolve(directory)}")
    for directory in extra_dirs or []:
        if not directory.is_dir():
            raise UsageError(f"--template-dir: no such directory: {directory}")
    return Templates(user_dirs=[config.resolve(d) for d in config.paths.templates] + list(extra_dirs or []),
                     filters=document_filters(settings.locale, settings.sig_figs))


def _make(fmt_name: str, sources: Sources) -> Product:
    """A format made in a worker process (the registry is looked up there by name)."""
    return REGISTRY[fmt_name].make(sources)


def build_briefs(briefs: list[tuple[Path, Brief]], config: Config, collection: Collection, out_dir: Path,
                 formats: list[Format] | None = None, *, extra_template_dirs: list[Path] | None = None,
                 config_path: Path | None = None, workers: int | None = None, stopwatch: Stopwatch | None = None,
                 on_done: Any = None, archive: bool = False) -> list[Built]:
    """Build several briefs; their slow formats (PDF layout) run on all cores.

    Contexts, Markdown, HTML and charts are made here, one brief after another; each slow
    format is made in a forked worker as soon as its sources are ready. The files are the
    same as one :func:`build_brief` after another would write.

    Raises:
        UsageError: two briefs would write the same file (nothing is written then).
    """
    _refuse_collisions(briefs, out_dir, formats)
    workers = min(len(briefs), workers or os.cpu_count() or 1)
    if workers <= 1 or len(briefs) <= 1:
        built = []
        for path, brief in briefs:
            built.append(build_brief(brief, path, config, collection, out_dir, formats, config_path=config_path,
                                     extra_template_dirs=extra_template_dirs, stopwatch=stopwatch, archive=archive))
            if on_done:
                on_done(path)
        return built
    import concurrent.futures
    import multiprocessing

    watch = stopwatch or Stopwatch()
    settings = config.settings()
    templates = templates_for(config, extra_template_dirs, settings)
    pending = []
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for path, brief in briefs:
            chosen = list(formats or brief.formats)
            rendered = _render_brief(brief, path, path.stem, config, collection, templates, settings, chosen,
                                     config_path, watch, submit=lambda fmt, sources: pool.submit(_make, fmt.name, sources),
                                     archive=archive)
            pending.append((path, rendered))
        built = []
        with watch.stage("pdf"):
            for path, rendered in pending:
                for name, job in rendered.pending.items():
                    rendered.products[name] = job.result()
                rendered.pending = {}
                with watch.stage("write"):
                    built.append(write_outputs(rendered, out_dir, path.stem))
                if on_done:
                    on_done(path)
    return built


def _refuse_collisions(briefs: list[tuple[Path, Brief]], out_dir: Path, formats: list[Format] | None) -> None:
    """Two briefs of one run that would write the same file: refuse before anything is written."""
    writers: dict[Path, Path] = {}
    for path, brief in briefs:
        for target in planned_paths(out_dir, path.stem, list(formats or brief.formats)):
            first = writers.setdefault(target, path)
            if first != path:
                raise UsageError(f"{first} and {path} would both write {target.name} in {out_dir}: "
                                 "rename one of the briefs or build them into different directories")

