"""Building documents: brief + records → audience filter → metrics → context → formats.

This is the pipeline of DESIGN §2 for one document. Redaction happens before metrics, so
nothing derived from what the audience may not see can reach a template.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
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
    technique_name,
    ActionView,
    ActorView,
    ChangeView,
    CategoryView,
    ChartView,
    DisclosureView,
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
    label,
    marking,
    when_text,
    window_phrases,
    window_text,
    reading_text,
    worked_example,
)
from reporter.dates import format_when
from reporter.errors import ConfigError, InputError, Problem, RenderError, UsageError
from reporter.i18n import fill
from reporter.metrics import INCIDENT_METRICS, CollectionMetrics, Settings, collection_metrics
from reporter.quantities import ABOUT_TOLERANCE, Quantity, format_quantity
from reporter.records import Actor, Collection, Incident, LoadedIncident, Sensitivity
from reporter.words import in_sentence, words_for
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
    report: dict[str, Any] = field(default_factory=dict)
    markdown: str = ""

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
                if loaded.incident.id not in brief.compare and brief.selects(loaded.incident)]
    if not selected:
        raise InputError([Problem(brief_path, None, None, "incidents", _selects_none(brief, collection))])
    if isinstance(brief.incidents, list) and brief.incidents:  # in the brief's order
        selected.sort(key=lambda loaded: brief.incidents.index(loaded.incident.id))  # type: ignore[union-attr]
    else:  # by date, earliest first (records without a date last, in file order)
        selected.sort(key=lambda loaded: _first_date(loaded.incident))
    compare = [by_id[i] for i in brief.compare]
    return selected, compare


def _first_date(incident: Incident) -> tuple[int, datetime]:
    dates = [incident.window.start.earliest] if incident.window is not None else []
    dates += [event.at.earliest for event in incident.timeline.values()]
    return (0, min(dates)) if dates else (1, datetime.max.replace(tzinfo=timezone.utc))


def _selects_none(brief: Brief, collection: Collection) -> str:
    """Why a brief's selection is empty, with what was considered."""
    considered = [loaded.incident for loaded in collection.incidents if loaded.incident.id not in brief.compare]
    if not considered:
        return "selects no incident: the records hold none (beyond those compared)"
    if isinstance(brief.incidents, list):
        return "selects no incident from the records"
    chosen = brief.incidents
    parts = []
    if chosen.category:
        parts.append(f"category {', '.join(chosen.category)}")
    if chosen.status:
        parts.append(f"status {', '.join(str(s) for s in chosen.status)}")
    if chosen.period:
        parts.append(f"active in {chosen.period}")
    shown = "; ".join(f"{i.id} ({i.category}, {i.status}, {_active_span(i)})" for i in considered[:12])
    more = f"; and {len(considered) - 12} more" if len(considered) > 12 else ""
    return (f"selects no incident ({' and '.join(parts)}) of the {len(considered)} considered: {shown}{more}")


def _active_span(incident: Incident) -> str:
    window = incident.window
    if window is not None:
        return f"active {window.start.text} to {window.end.text if window.end is not None else 'ongoing'}"
    dated = sorted(e.at.text for e in incident.timeline.values())
    if not dated:
        return "no window or dated event"
    return f"event {dated[0]}" if len(dated) == 1 else f"events {dated[0]} to {dated[-1]}"


def _party(name: str = "", title: str | None = None, organisation: str | None = None, address: list[str] | None = None,
           honorific: str | None = None, salutation_name: str | None = None) -> PartyView:
    return PartyView(honorific=honorific or "", name=name, title=title or "", organisation=organisation or "",
                     address=list(address or []), salutation_name=salutation_name or "")


def _incident_view(incident: Incident, metrics: CollectionMetrics, settings: Settings, withheld: set[str],
                   sources: list[SourceView], as_of: date | None = None, timezone: str = "UTC",
                   records_locale: str | None = None) -> IncidentView:
    """One incident for templates. With ``as_of`` (the document's date), sources published and
    disclosures made after it are not the document's to cite: they are left out (the build warns).

    The summary is the record's own prose, quoted in its author's language: the figures it cites
    are phrased in ``records_locale`` (reporter.toml's), whatever language the document is in."""
    own = metrics.incidents[incident.id]
    from reporter.dates import format_moment

    def moment(when: Any) -> str:
        return format_moment(when, settings.locale, timezone)

    def by_then(when: Any) -> bool:
        """Whether a dated thing had happened by the document's date (what came later is not its to tell)."""
        return as_of is None or when is None or when.earliest.date() <= as_of

    events = [("start", incident.window.start, "")] if incident.window else []
    if incident.window and incident.window.end:
        events.append(("end", incident.window.end, ""))
    # The report an incident's record calls "reported" on the document's date is the document itself.
    events += [(name, event.at, event.note or "") for name, event in incident.timeline.items()
               if by_then(event.at) and not (name == "reported" and as_of is not None
                                             and event.at.latest.date() >= as_of)]
    events.sort(key=lambda e: e[1].earliest)
    own_sources = []
    for source in incident.sources:
        if as_of is not None and source.date is not None and source.date.earliest.date() > as_of:
            continue
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
                    to=latest.to, date=moment(latest.date),
                    changed=now.with_unit(None) != then.with_unit(None)))
    figures = [figure_view(name, q, settings) for name, q in own.figures.items()]
    derived = [figure_view(name, own.derived[name], settings) for name in INCIDENT_METRICS]
    listed = _listed_actors(incident.actors)
    words = words_for(settings.locale)
    try:
        quoted = settings if records_locale in (None, settings.locale) else \
            dataclasses.replace(settings, locale=records_locale)
        summary = fill_summary(incident, own, quoted, withheld, as_of, timezone)
    except ValueError as exc:
        raise _SummaryError(incident.id, str(exc)) from None
    return IncidentView(
        id=incident.id,
        title=incident.title,
        category=incident.category,
        status=str(incident.status),
        status_text=words.statuses.get(str(incident.status), str(incident.status)),
        summary=summary,
        window=window_text(incident, settings, as_of, timezone, own.derived["window_days"]),
        window_days=figure_view("window_days", own.derived["window_days"], settings),
        figures=figures,
        metrics=derived,
        named={f.name: f for f in (*figures, *derived)},
        actors=[ActorView(
            name=actor.name, kind=actor.kind or "",
            confidence=str(actor.attribution.confidence) if actor.attribution else "",
            confidence_text=words.confidence.get(str(actor.attribution.confidence), str(actor.attribution.confidence))
            if actor.attribution else "",
            basis=[item.text for item in actor.attribution.basis] if actor.attribution else [],
            with_confidence=fill(words.sentences["actor_confidence"], settings.locale,
                name=actor.name, confidence=words.confidence.get(str(actor.attribution.confidence),
                                                                 str(actor.attribution.confidence)))
            if actor.attribution else actor.name,
            figures=[figure_view(n, f.quantity, settings) for n, f in actor.figures.items()],
        ) for actor in listed],
        more_actors=len(incident.actors) - len(listed),
        more_actors_note=fill(words.sentences["more_actors"], settings.locale,
            count=format_quantity(Quantity.exact(len(incident.actors) - len(listed)), settings.locale, sig_figs=15))
        if len(listed) < len(incident.actors) else "",
        targets=[item.text for item in incident.targets],
        techniques=[item.id for item in incident.techniques],
        technique_names=[technique_name(item.id) for item in incident.techniques],
        timeline=[EventView(incident=incident.id, incident_title=incident.title, name=name, label=event_label(name, settings.locale),
                            date=moment(when), iso=when.text, note=note)
                  for name, when, note in events],
        actions=[ActionView(text=a.text, date=moment(a.date) if a.date is not None else "")
                 for a in incident.actions if by_then(a.date)],
        changes=changes,
        sources=own_sources,
        evidence=[e.text for e in incident.evidence if e.text],
        disclosures=_disclosures(incident, settings, as_of, timezone),
        ongoing=incident.window is not None and incident.window.end is None,
        status_note=_status_note(incident, words, as_of),
        closed=_closed_by(incident, as_of),
    )


def _disclosures(incident: Incident, settings: Settings, as_of: date | None, timezone: str = "UTC") -> list[DisclosureView]:
    """The disclosures made before ``as_of``: the earlier ones (one made that day is the document itself)."""
    ordered = sorted((d for d in incident.disclosures if as_of is None or d.date.latest.date() < as_of),
                     key=lambda d: d.date.earliest)
    from reporter.dates import format_moment

    regimes = words_for(settings.locale).clocks

    def reports(d: Any) -> str:
        names = [regimes[f"report:{r}"] for r in (d.report or [])]
        text = ", ".join(names)
        return in_sentence(text, settings.locale)

    return [DisclosureView(to=d.to, date=format_moment(d.date, settings.locale, timezone), iso=d.date.text,
                           reference=d.reference or "", report=reports(d),
                           regime=regimes[f"regime:{d.regime}"] if d.regime else "")
            for d in ordered]


def _status_note(incident: Incident, words: Any, as_of: date | None = None) -> str:
    """Where the investigation stands: only a closed incident's is complete -- and not in a
    document dated before it was resolved."""
    return words.sentences["status_complete" if _closed_by(incident, as_of) else "status_continuing"]


def _closed_by(incident: Incident, as_of: date | None) -> bool:
    if str(incident.status) != "closed":
        return False
    resolved = incident.timeline.get("resolved")
    return as_of is None or resolved is None or resolved.at.latest.date() <= as_of


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
    words = words_for(locale)
    sentences = words.sentences
    judgments = []
    for incident in incidents:
        for actor in incident.actors:
            if not actor.confidence:
                continue
            share = next((f.phrase for f in actor.figures if f.name == "interactions"), "")
            judgments.append(fill(sentences["judgment_share" if share else "judgment"], locale,
                confidence=words.confidence.get(actor.confidence, actor.confidence), actor=actor.name, share=share, incident=incident.title))
    return judgments


def _bottom_line(brief: Brief, views: list[IncidentView], incidents: list[Incident], totals: list[str],
                 locale: str) -> str:
    """The brief's bottom line; else one incident's summary, or for many, what they come to:
    "This briefing covers seven incidents, May 2023 to June 12, 2026, with … in all."."""
    if brief.bottom_line:
        return " ".join(brief.bottom_line.split())
    if len(views) == 1:
        return views[0].summary or f"{views[0].title}."
    from reporter.dates import format_date_range
    from reporter.letters import join_names
    from reporter.prose import count_words

    sentences = words_for(locale).sentences
    windows = [i.window for i in incidents if i.window is not None]
    span = ""
    if windows:
        start = min((w.start for w in windows), key=lambda when: when.earliest)
        ends = [w.end for w in windows]
        end = None if any(e is None for e in ends) else max(ends, key=lambda when: when.latest)  # type: ignore[arg-type,return-value]
        span = format_date_range(start, end, locale)
    key = "bottom_line_many" + ("" if totals else "_no_totals") + ("" if span else "_no_span")
    return fill(sentences[key], locale, count=count_words(len(views), locale), span=span,
                totals=join_names(totals, locale))


def brief_settings(brief: Brief, settings: Settings) -> Settings:
    """The settings of a brief's document: its own ``locale``, when it sets one, over reporter.toml's."""
    if brief.locale and brief.locale != settings.locale:
        return dataclasses.replace(settings, locale=brief.locale)
    return settings


def build_context(brief: Brief, brief_path: Path, config: Config, collection: Collection,
                  settings: Settings, config_path: Path | None = None, stem: str = "document",
                  manifest: Manifest | None = None, templates: Templates | None = None,
                  ) -> Prepared:
    """Everything the template sees, computed from what the audience may see; warnings for the
    author (a withheld share that the document would let a reader work out, a typed number that
    matches no figure, a source dated after the document); its charts; and the build report.

    Raises:
        InputError: the brief's prose cites what cannot be cited, doubles a qualifier or a word,
            or types a duration the window contradicts (every such problem, located).

    ``manifest``: the template's (its default audience, one incident or many); ``templates``:
    where to look for templates about several incidents, to name them when this one takes one.
    """
    settings = brief_settings(brief, settings)
    if brief.audience is None:
        if manifest is None:
            raise ConfigError(f"{brief_path}: no audience, and no template manifest to take one from")
        brief = brief.model_copy(update={"audience": manifest.audience})
    clearance = config.clearance(brief.audience)
    selected, compare = _select(brief, str(brief_path), collection)
    excluded = []
    if brief.categories:  # the categories a report shows, in their order
        excluded = [loaded.incident.id for loaded in selected if loaded.incident.category not in brief.categories]
        selected = sorted((loaded for loaded in selected if loaded.incident.category in brief.categories),
                          key=lambda loaded: brief.categories.index(loaded.incident.category))
        if not selected:
            raise InputError([Problem(str(brief_path), None, None, "categories",
                                      "none of the selected incidents is in these categories")])
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
        incident_views = [_incident_view(i, metrics, settings, withheld_names.get(i.id, set()), sources,
                                         brief.date.date, config.documents.timezone, config.records_locale)
                          for i in kept.incidents]
        compare_views = [_incident_view(i, compare_metrics, settings, withheld_names.get(i.id, set()), [],
                                        brief.date.date, config.documents.timezone, config.records_locale)
                         for i in kept_compare.incidents]
    except _SummaryError as exc:
        raise InputError([loaded_by_id[exc.incident].problem(("summary",), exc.message)]) from None
    external = manifest is None or manifest.reader == "external"
    summaries_dropped = []
    if external:
        # A document for outside readers never says what it withholds: a summary that cites a
        # withheld figure is left out whole (the build report says so), never shown "[withheld]".
        from dataclasses import replace

        from reporter.context import WITHHELD_MARK

        for index, view in enumerate(incident_views):
            if WITHHELD_MARK in view.summary:
                summaries_dropped.append(view.id)
                incident_views[index] = replace(view, summary="")
    organisation = config.organisation
    locale = settings.locale
    recipients = _recipients(brief, locale)
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
    words = words_for(locale)
    citations = _citations(kept.incidents, kept_compare.incidents, metrics, compare_metrics, settings,
                           withheld_names, brief.audience, brief.date.date, config.documents.timezone)
    prose, prose_problems = _brief_prose(brief, brief_path, citations, metrics, compare_metrics, settings)
    prose_problems += _source_problems(brief, brief_path, kept.incidents)
    errors = [p for p in prose_problems if p.severity == "error"]
    if errors:
        raise InputError(prose_problems)
    greeting = prose.get("salutation") or _salutation(recipients, locale)
    from reporter import letters

    notes = _totals_notes(kept.incidents, metrics, locale)
    totals_summary = [f.phrase_with_label + (f" ({notes[f.name]})" if f.name in notes else "")
                      for f in collection_totals(metrics) if f.known and f.name in ("accounts", "interactions")]

    context = DocumentContext(
        title=brief.title,
        date=format_when(brief.date, locale),
        date_iso=brief.date.text,
        template=brief.template,
        audience=brief.audience,
        clearance=clearance.value,
        marking=marking(clearance, brief.audience, brief.marking, recipients, locale),
        draft=any(i.status.value == "draft" for i in (*kept.incidents, *kept_compare.incidents)),
        withheld=withheld and not external,
        withheld_notice=words.sentences["withheld_notice"] if withheld and not external else "",
        external=external,
        subject_line=letters.subject_line(brief.title, locale),
        references=[fill(words.sentences[key], locale, reference=value) for key, value in
                    (("our_reference", brief.our_reference), ("your_reference", brief.your_reference)) if value],
        body=prose.get("body", ""),
        conclusion=prose.get("conclusion", ""),
        conclusion_default=words.sentences["conclusion"],
        closing=brief.closing or letters.closing(greeting, locale),
        contact=_contact(brief, words, locale),
        contact_point=_contact_point(brief),
        cc=[words.sentences["cc"], *brief.cc] if brief.cc else [],
        enclosures=[words.sentences["enclosure" if len(brief.enclosures) == 1 else "enclosures"], *brief.enclosures]
        if brief.enclosures else [],
        appendix=(brief.appendix or ("none" if external else "figures")) == "figures",
        status_note=_document_status(incident_views, brief, words, locale),
        period_label=brief.period_label or _period_label(brief, locale),
        categories=_categories(incident_views, brief, locale),
        categories_chosen=bool(brief.categories or brief.category_labels),
        advice=[prose[f"advice[{n}]"] for n in range(len(brief.advice))],
        totals_notes=notes,
        totals_summary=totals_summary,
        organisation=_party(organisation.name, address=organisation.address),
        logo=_logo(config),
        signatory=signatory,
        recipients=recipients,
        salutation=greeting,
        # With the drafter's own paragraphs, the bottom line is only the brief's own, if any.
        bottom_line=prose.get("bottom_line") or ("" if prose.get("body") else _bottom_line(
            brief, incident_views, kept.incidents, totals_summary, locale)),
        asks=[prose[f"asks[{n}]"] for n in range(len(brief.asks))],
        actions=_actions([ActionView(text=prose[f"actions[{n}]"], date="") for n in range(len(brief.actions))],
                         incident_views, kept.incidents, brief.date.date),
        recommendations=[prose[f"recommendations[{n}]"] for n in range(len(brief.recommendations))],
        incidents=incident_views,
        compare=compare_views,
        totals=collection_totals(metrics),
        judgments=_judgments(incident_views, locale),
        timeline=sorted((event for view in incident_views for event in view.timeline),
                        key=lambda e: (_when_key(e.iso), e.incident)),
        sources=sources,
        methodology=MethodologyView(
            convention=settings.convention.value,
            convention_text=convention_text(settings.convention, locale),
            worked_example=worked_example(kept.incidents, settings),
            formulas=list(words.formulas),
            sig_figs=settings.sig_figs,
            about_tolerance=(tolerance := f"±{ABOUT_TOLERANCE:.0%}".replace("%", " %")),
            reading=reading_text(settings.sig_figs, tolerance, locale),
            inputs=[] if external else inputs,
            tool="" if external else f"reporter {tool_version()}",
            locale=locale,
        ),
        charts={kind: ChartView(kind=kind, title=chart.title, alt=chart.alt, src=f"{stem}_files/{kind}.png")
                for kind, chart in charts.items()},
        page_label=words.page,
        paper=config.documents.paper,
        clocks=_clocks(kept.incidents, brief, config, clearance, locale),
    )
    report = _report(brief, brief_path, manifest, kept, kept_compare, incident_views + compare_views, inputs,
                     clearance, external, context)
    report["left_out"] += [{"incident": i, "part": "summary", "reason": "it cites a figure withheld from the "
                            f"{brief.audience} audience"} for i in summaries_dropped]
    report["left_out"] += [{"incident": i, "part": "incident", "reason": "its category is not among the brief's "
                            "categories"} for i in excluded]
    report["left_out"] += _after_the_document(kept.incidents, brief.date.date)
    # The regulatory clocks as of the document's date, for the preparer (a filing does not print them).
    report["clocks"] = [{"incident": c.incident, "regime": c.regime, "report": c.report, "due": c.due_iso,
                         "status": c.status, "status_text": c.status_text} for c in context.clocks]
    return Prepared(context, [*kept.warnings, *kept_compare.warnings, *prose_problems], charts, report)


@dataclass
class Prepared:
    """What :func:`build_context` makes of a brief: the template's context, warnings for the
    drafter, the charts, and the build report (:func:`_report`)."""

    context: DocumentContext
    warnings: list[Problem]
    charts: dict[str, Chart]
    report: dict[str, Any]


def _recipients(brief: Brief, locale: str) -> list[PartyView]:
    """The addressees with their address blocks and salutation names, by convention (reporter.letters)."""
    from reporter import letters

    parties = []
    for r in brief.to:
        kind = letters.kind_of(r.name, r.address, r.organisation or "", r.kind)
        honorific = letters.honorific(kind, r.honorific, locale)
        name_line = " ".join(f"{honorific} {r.name}".split())
        lines = [name_line, r.title or "", r.organisation or "", *r.address]
        parties.append(PartyView(
            honorific=honorific, name=r.name, title=r.title or "", organisation=r.organisation or "",
            address=list(r.address), kind=kind, lines=[line for line in lines if line.strip()],
            salutation_name=letters.salutation_name(r.name, r.title or "", kind, r.address, r.organisation or "",
                                                    r.salutation_name, r.courtesy, locale)))
    return parties


def _citations(incidents: list[Incident], compared: list[Incident], metrics: CollectionMetrics,
               compare_metrics: CollectionMetrics, settings: Settings, withheld: dict[str, set[str]],
               audience: str, as_of: date | None = None, timezone: str = "UTC") -> Any:
    from reporter.prose import Citations, Scope

    scopes = {}
    for incident, owner in [*((i, metrics) for i in incidents), *((i, compare_metrics) for i in compared)]:
        phrases = window_phrases(incident, settings, owner.incidents[incident.id].derived["window_days"], as_of,
                                 timezone)
        scopes[incident.id] = Scope(figures=owner.incidents[incident.id].all(), window=phrases,
                                    withheld=frozenset(withheld.get(incident.id, set())))
    return Citations(incidents=scopes, selected=tuple(i.id for i in incidents),
                     totals=Scope(figures=dict(metrics.totals)), audience=audience, locale=settings.locale,
                     sig_figs=settings.sig_figs)


def _brief_prose(brief: Brief, brief_path: Path, citations: Any, metrics: CollectionMetrics,
                 compare_metrics: CollectionMetrics, settings: Settings) -> tuple[dict[str, str], list[Problem]]:
    """The brief's prose with its citations filled, and every problem with it: a citation that
    cannot be filled, a doubled qualifier or word, a typed duration that contradicts the window
    (errors); a typed number that matches no figure (warning). Located at their keys, or at the
    line of ``body_file``."""
    from reporter.brief import body_path
    from reporter.checks import prose_number_problems
    from reporter.letters import salutation_problem
    from reporter.prose import CITATION, reading_problems

    texts: dict[str, str] = {}
    for key in ("body", "conclusion", "bottom_line", "salutation"):
        value = getattr(brief, key)
        if value:
            texts[key] = value
    for key in ("asks", "actions", "recommendations", "advice"):
        texts.update({f"{key}[{n}]": text for n, text in enumerate(getattr(brief, key))})
    owners = [*metrics.incidents.values(), *compare_metrics.incidents.values()]
    windows = [m.derived["window_days"] for m in owners]
    candidates = [q for m in owners for q in m.all().values() if q.is_known]
    candidates += [q for q in metrics.totals.values() if q.is_known]
    filled: dict[str, str] = {}
    problems: list[Problem] = []
    in_file = brief.body_file is not None

    def where(key: str, text: str, offset: int | None) -> tuple[str, int | None, int | None, str]:
        if key == "body" and in_file and offset is not None:
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            return str(body_path(brief_path, brief.body_file or "")), line, column, ""
        return str(brief_path), None, None, key

    for key, text in texts.items():
        broken = False
        for match in CITATION.finditer(text):
            found = citations.problems(match.group(0))
            for message in found:
                problems.append(Problem(*where(key, text, match.start()), message))
            broken = broken or bool(found)
        for message, severity in prose_number_problems(CITATION.sub(" ", text), windows, candidates, settings,
                                                       "brief's " + key.split("[")[0]):
            problems.append(Problem(*where(key, text, 0), message, severity))
        result = citations.fill_lenient(text)
        for message in reading_problems(result, settings.locale):
            problems.append(Problem(*where(key, text, 0), f"with its figures filled in, {message}"
                                    if CITATION.search(text) else message))
        if key == "salutation":
            bad = salutation_problem(result)
            if bad:
                problems.append(Problem(*where(key, text, 0), bad))
        if not broken:
            filled[key] = " ".join(result.split()) if key not in ("body", "conclusion") else result.strip()
    return filled, problems


def _after_the_document(incidents: list[Incident], as_of: date) -> list[dict[str, str]]:
    """What the records date after the document -- actions, events, sources, disclosures --
    which the document therefore does not tell (for the build report)."""
    found = []
    for incident in incidents:
        later = [f"actions[{n}]" for n, a in enumerate(incident.actions) if a.date is not None and
                 a.date.earliest.date() > as_of]
        later += [f"timeline.{name}" for name, e in incident.timeline.items() if e.at.earliest.date() > as_of]
        later += [f"sources[{n}]" for n, src in enumerate(incident.sources) if src.date is not None and
                  src.date.earliest.date() > as_of]
        for key in later:
            found.append({"incident": incident.id, "part": key.split("[")[0].split(".")[0],
                          "reason": f"{key} is dated after the document ({as_of.isoformat()})"})
    return found


def _source_problems(brief: Brief, brief_path: Path, incidents: list[Incident]) -> list[Problem]:
    """A source dated after the document: a warning (the letter would cite what did not yet exist)."""
    problems = []
    for incident in incidents:
        for n, source in enumerate(incident.sources):
            if source.date is not None and source.date.earliest.date() > brief.date.date:
                problems.append(Problem(str(brief_path), None, None, "date",
                                        f"incident '{incident.id}' cites a source dated {source.date.text} "
                                        f"(sources[{n}]: {source.title}), after the document's date "
                                        f"{brief.date.text}: the document leaves it out", "warning"))
    return problems


def _contact_point(brief: Brief) -> str:
    """Who to write to, and how: "Sam Okafor, Director of Policy (sam@example.org, +1 206 555 0142)"."""
    contact = brief.contact
    if contact is None:
        return ""
    reach = ", ".join(part for part in (contact.email, contact.phone) if part)
    who = ", ".join(part for part in (contact.name, contact.title) if part)
    return f"{who} ({reach})" if reach else who


def _contact(brief: Brief, words: Any, locale: str) -> str:
    point = _contact_point(brief)
    return fill(words.sentences["contact"], locale, contact=point) if point else ""


def _period_label(brief: Brief, locale: str) -> str:
    """A report's period in words, from its period filter: "the second quarter of 2026", "May 2026", "2026"."""
    from babel.dates import format_date

    period = brief.incidents.period if not isinstance(brief.incidents, list) else None
    if not period:
        return ""
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return fill(words_for(locale).sentences[f"quarter_{int(quarter)}"], locale, year=year)
    if "-" in period:
        year, month = period.split("-")
        return format_date(date(int(year), int(month), 1), "LLLL y", locale=locale)
    return period


def _categories(views: list[IncidentView], brief: Brief, locale: str = "en_US") -> list[CategoryView]:
    order = list(brief.categories) or list(dict.fromkeys(v.category for v in views))
    groups = []
    for name in order:
        members = [v.id for v in views if v.category == name]
        if members:
            from reporter.prose import count_words

            shown = category_label(name, locale, brief.category_labels)
            phrase = shown if name in brief.category_labels else in_sentence(shown, locale)
            groups.append(CategoryView(name=name, label=shown[:1].upper() + shown[1:], count=len(members),
                                       incidents=members, in_sentence=phrase,
                                       in_summary=f"{phrase} ({count_words(len(members), locale, standalone=True)})"))
    return groups


def category_label(name: str, locale: str, labels: dict[str, str] | None = None) -> str:
    """A category as a heading: the brief's own label, the document language's word for it, or its slug in words."""
    if labels and name in labels:
        return labels[name]
    return words_for(locale).categories.get(name) or name.replace("-", " ").replace("_", " ").capitalize()


def _totals_notes(incidents: list[Incident], metrics: CollectionMetrics, locale: str) -> dict[str, str]:
    notes = {}
    for name in metrics.totals:
        stating = sum(1 for i in incidents if name in i.figures)
        if 0 < stating < len(incidents):
            noun = in_sentence(label(name, locale), locale)
            notes[name] = fill(words_for(locale).sentences["totals_note"], locale,
                stating=format_quantity(Quantity.exact(stating), locale, sig_figs=15),
                total=format_quantity(Quantity.exact(len(incidents)), locale, sig_figs=15), noun=noun)
    return notes


def _document_status(views: list[IncidentView], brief: Brief, words: Any, locale: str) -> str:
    """Where things stand, from the incidents' status: continuing unless every one is closed;
    an activity still running at the document's date says so."""
    if not views:
        return ""
    notes = [fill(words.sentences["status_ongoing"], locale, date=format_when(brief.date, locale))] \
        if any(v.ongoing for v in views) else []
    closed = all(v.status_note == words.sentences["status_complete"] for v in views)
    notes.append(words.sentences["status_complete" if closed else "status_continuing"])
    return " ".join(notes)


def _actions(brief_actions: list[ActionView], views: list[IncidentView], incidents: list[Incident],
             as_of: date | None = None) -> list[ActionView]:
    """The records' actions in date order (undated ones after), then the brief's own."""
    dated = []
    for view, incident in zip(views, incidents, strict=True):
        told = [a for a in incident.actions if a.date is None or as_of is None or a.date.earliest.date() <= as_of]
        for n, (shown, action) in enumerate(zip(view.actions, told, strict=True)):
            key = (0, action.date.earliest) if action.date is not None else (1, datetime.max.replace(tzinfo=timezone.utc))
            dated.append((key, n, shown))
    dated.sort(key=lambda item: (item[0][0], item[0][1], item[1]))
    return [shown for _, _, shown in dated] + brief_actions


def _report(brief: Brief, brief_path: Path, manifest: Manifest | None, kept: Any, kept_compare: Any,
            views: list[IncidentView], inputs: list[InputView], clearance: Sensitivity, external: bool,
            context: DocumentContext) -> dict[str, Any]:
    """The build report for the drafter: what the document withheld and left out, and why; its
    inputs and their hashes; the tool. Never part of the document (stderr and ``STEM.build.json``)."""
    withheld_figures = {**kept.withheld_figures, **kept_compare.withheld_figures}
    withheld = {
        "records": kept.withheld_records + kept_compare.withheld_records,
        "items": kept.withheld_items + kept_compare.withheld_items,
        "figures": {incident: sorted(names) for incident, names in sorted(withheld_figures.items()) if names},
        "reason": f"above the {brief.audience} audience's clearance ({clearance.value})",
    }
    left_out: list[dict[str, str]] = []
    shown = {i.id for i in kept.incidents}
    for view in views:
        if external and view.id in shown:  # compared incidents show their stated figures only
            for figure in view.metrics:
                if not figure.known:
                    left_out.append({"incident": view.id, "figure": figure.name,
                                     "reason": f"not computable: {figure.reason}"})
    return {
        "brief": str(brief_path), "template": brief.template, "audience": brief.audience,
        "reader": "external" if external else "internal", "withheld": withheld, "left_out": left_out,
        "inputs": [{"path": i.path, "sha256": i.sha256} for i in inputs],
        "tool": f"reporter {tool_version()}", "locale": context.methodology.locale,
        "convention": context.methodology.convention,
    }


def record_parts(view: IncidentView) -> dict[str, list[str]]:
    """The texts of each part of a record that a document shows (manifest ``omits`` names the parts)."""
    return {
        "summary": [view.summary] if view.summary else [],
        "actors": [a.name for a in view.actors],
        "evidence": list(view.evidence),
        "targets": list(view.targets),
        "techniques": list(view.techniques),
        "timeline": [e.date for e in view.timeline if e.name not in ("start", "end")],
        "actions": [a.text for a in view.actions],
        "disclosures": [d.reference or d.to for d in view.disclosures],
        "sources": [s.title for s in view.sources],
    }


_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>!|~&#{}$@.:+=()-])")


def dropped_parts(markdown: str, views: list[IncidentView], omits: list[str], template: str,
                  body: bool = False) -> list[dict[str, str]]:
    """What of each record the rendered document does not show, and why: the template's
    manifest omits the part, the brief's own paragraphs (``body``) take the summary's place,
    or (a template that says nothing of it) it was dropped."""
    shown = " ".join(_MD_ESCAPE.sub(r"\1", markdown).replace("\\\n", " ").split())
    left_out = []
    for view in views:
        for part, texts in record_parts(view).items():
            missing = [t for t in texts if " ".join(t.split()) not in shown]
            if not missing:
                continue
            if part in omits:
                reason = f"the {template} template does not print it (its manifest omits it)"
            elif part == "summary" and body:
                reason = "the brief's own paragraphs (body) take its place"
            else:
                reason = f"the {template} template printed {len(texts) - len(missing)} of {len(texts)}"
            left_out.append({"incident": view.id, "part": part, "reason": reason})
    return left_out


def report_lines(report: dict[str, Any]) -> list[str]:
    """The build report as lines for the drafter's terminal (``reporter build`` prints them to stderr)."""
    lines = []
    withheld = report["withheld"]
    if withheld["records"] or withheld["items"]:
        parts = []
        if withheld["records"]:
            parts.append(f"{withheld['records']} record{'s' if withheld['records'] != 1 else ''}")
        if withheld["items"]:
            parts.append(f"{withheld['items']} item{'s' if withheld['items'] != 1 else ''} of the records shown")
        figures = "; ".join(f"{incident}: {', '.join(names)}" for incident, names in withheld["figures"].items())
        lines.append(f"withheld {' and '.join(parts)}, {withheld['reason']}" + (f" (figures {figures})" if figures
                                                                                  else ""))
    groups: dict[str, dict[str, list[str]]] = {}
    for item in report["left_out"]:
        if "figure" in item:
            heading = "left out as not computable"
        elif "manifest omits" in item["reason"]:
            heading = f"left out, as the {report['template']} template does not print them"
        elif "dated after the document" in item["reason"]:
            heading = "left out, as dated after the document"
        elif "withheld from" in item["reason"]:
            heading = "left out, as it cites a withheld figure"
        elif "(body)" in item["reason"]:
            heading = "left out, as the brief's own paragraphs take its place"
        else:
            heading = f"dropped by the {report['template']} template (it printed only part)"
        groups.setdefault(heading, {}).setdefault(item["incident"], []).append(item.get("figure") or item["part"])
    for clock in report.get("clocks", []):
        if clock["status"] != "met":
            lines.append(f"clock: {clock['incident']} {clock['regime']} {clock['report']}: {clock['status_text']}"
                         + (f" (due {clock['due']})" if clock["due"] else ""))
    for heading, by_incident in groups.items():
        lines.append(f"{heading}: " + "; ".join(f"{incident}: {', '.join(names)}"
                                              for incident, names in by_incident.items()))
    return lines


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
    from reporter.letters import salutation

    return salutation([r.salutation_name for r in recipients], locale)


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
    rendered = Rendered(markdown=markdown)
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
    report: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None


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
    report_path = None
    if rendered.report:
        import json

        # The build report is for the drafter, beside the documents: never inside one.
        report_path = output_path(out_dir, stem, ".build.json")
        write_atomic(report_path, (json.dumps(rendered.report, indent=2, ensure_ascii=False) + "\n").encode())
    return Built(written, rendered.refused_urls, rendered.warnings, rendered.report, report_path)


def _render_brief(brief: Brief, brief_path: Path, stem: str, config: Config, collection: Collection,
                  templates: Templates, settings: Settings, formats: list[Format], config_path: Path | None,
                  watch: Stopwatch, submit: Callable[[OutputFormat, Sources], Any] | None = None,
                  archive: bool = False, prepared: Prepared | None = None) -> Rendered:
    """One brief from template check to rendered formats (the part single and parallel builds share).

    Raises:
        TemplateMissing: no such template.
        UsageError: a format the template does not make.
        InputError: problems in the brief or the records, located.
    """
    try:
        return _render_located(brief, brief_path, stem, config, collection, templates, settings, formats,
                               config_path, watch, submit, archive, prepared)
    except InputError as exc:
        raise InputError(locate(exc.problems, max_file_size=config.input.max_file_size)) from None


def _render_located(brief: Brief, brief_path: Path, stem: str, config: Config, collection: Collection,
                    templates: Templates, settings: Settings, formats: list[Format], config_path: Path | None,
                    watch: Stopwatch, submit: Callable[[OutputFormat, Sources], Any] | None,
                    archive: bool = False, prepared: Prepared | None = None) -> Rendered:
    manifest = templates.manifest(brief.template)
    unmade = [str(name) for name in formats if output_format(name).name not in manifest.formats]
    if unmade:
        raise UsageError(f"{brief_path}: the {brief.template} template does not make {', '.join(unmade)} "
                         f"(it makes {', '.join(manifest.formats)})")
    settings = brief_settings(brief, settings)
    templates = templates.in_locale(settings.locale, settings.sig_figs)
    with watch.stage("metrics"):
        if prepared is None or stem != brief_path.stem:
            prepared = build_context(brief, brief_path, config, collection, settings, config_path, stem, manifest,
                                     templates)
        context, warnings, charts = prepared.context, prepared.warnings, prepared.charts
    from reporter.archive import format_extras  # reference document; PDF/A attachments with archive

    rendered = render(brief, context, templates, formats, brief_epoch(brief), charts, watch, submit=submit,
                      font=config.documents.font, subject=manifest.subject_for(brief.title),
                      extras=format_extras(brief, brief_path, config, collection, settings, formats, config_path,
                                           archive=archive))
    rendered.warnings = warnings
    report = dict(prepared.report)
    report["left_out"] = dropped_parts(rendered.markdown, context.incidents, manifest.omits, brief.template,
                                       bool(context.body)) \
        + report["left_out"]
    report["warnings"] = [str(w) for w in warnings]
    rendered.report = report
    return rendered


def build_brief(brief: Brief, brief_path: Path, config: Config, collection: Collection, out_dir: Path,
                formats: list[Format] | None = None, *, extra_template_dirs: list[Path] | None = None,
                config_path: Path | None = None, settings: Settings | None = None, stem: str | None = None,
                stopwatch: Stopwatch | None = None, archive: bool = False, prepared: Prepared | None = None) -> Built:
    """Build one brief into ``out_dir`` in its formats (or ``formats``), without the checks of
    :func:`build_briefs` (``prepared``: its context from :func:`preflight`)."""
    watch = stopwatch or Stopwatch()
    chosen = list(formats or brief.formats)
    settings = settings or config.settings()
    stem = stem or brief_path.stem
    rendered = _render_brief(brief, brief_path, stem, config, collection,
                             templates_for(config, extra_template_dirs, settings), settings, chosen, config_path,
                             watch, archive=archive, prepared=prepared)
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
                     filters=document_filters(settings.locale, settings.sig_figs), locale=settings.locale)


def _make(fmt_name: str, sources: Sources) -> Product:
    """A format made in a worker process (the registry is looked up there by name)."""
    return REGISTRY[fmt_name].make(sources)


def build_briefs(briefs: list[tuple[Path, Brief]], config: Config, collection: Collection, out_dir: Path,
                 formats: list[Format] | None = None, *, extra_template_dirs: list[Path] | None = None,
                 config_path: Path | None = None, workers: int | None = None, stopwatch: Stopwatch | None = None,
                 on_done: Any = None, archive: bool = False, strict: bool = False) -> list[Built]:
    """Check, then build several briefs; their slow formats (PDF layout) run on all cores.

    First every check of :func:`preflight` runs; on any error -- or any warning, with
    ``strict`` -- nothing is written. Contexts, Markdown, HTML and charts are made here, one
    brief after another; each slow format is made in a forked worker as soon as its sources
    are ready. The files are the same as one :func:`build_brief` after another would write.

    Raises:
        UsageError: two briefs would write the same file (nothing is written then).
        ChecksFailed: the checks found errors, or warnings with ``strict`` (nothing is written).
    """
    from reporter.checks import errors_and_warnings
    from reporter.errors import ChecksFailed

    _refuse_collisions(briefs, out_dir, formats)
    problems, prepared = preflight(briefs, config, collection, extra_template_dirs=extra_template_dirs,
                                   config_path=config_path)
    errors, warnings = errors_and_warnings(problems)
    if errors or (strict and warnings):
        raise ChecksFailed(problems, strict)
    record_warnings = [p for p in problems if all(p.path != str(path) for path, _ in briefs)]
    workers = min(len(briefs), workers or os.cpu_count() or 1)
    if workers <= 1 or len(briefs) <= 1:
        built = []
        for path, brief in briefs:
            built.append(build_brief(brief, path, config, collection, out_dir, formats, config_path=config_path,
                                     extra_template_dirs=extra_template_dirs, stopwatch=stopwatch, archive=archive,
                                     prepared=prepared.get(path)))
            if on_done:
                on_done(path)
        return _with_record_warnings(built, record_warnings)
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
                                     archive=archive, prepared=prepared.get(path))
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
    return _with_record_warnings(built, record_warnings)


def _with_record_warnings(built: list[Built], warnings: list[Problem]) -> list[Built]:
    """The records' warnings, reported once, with the first brief's."""
    if built and warnings:
        built[0].warnings = sorted({str(p): p for p in [*warnings, *built[0].warnings]}.values())
    return built


def preflight(briefs: list[tuple[Path, Brief]], config: Config, collection: Collection, *,
              extra_template_dirs: list[Path] | None = None, config_path: Path | None = None,
              ) -> tuple[list[Problem], dict[Path, Prepared]]:
    """Every check a build runs before it writes anything, over each brief and the records it uses.

    The records a brief selects or compares are checked as ``reporter check`` checks them (its
    clocks as of the brief's date), but for the recount of their evidence logs; the brief's prose is checked by :func:`build_context`
    (citations, doubled qualifiers and words, typed numbers, sources dated after it). Returns
    every problem, errors and warnings, once each and sorted; and the briefs' prepared
    contexts (those without errors) for :func:`build_briefs` to render without computing again.
    """
    from reporter.checks import check_collection
    from reporter.clocks import document_as_of

    settings = config.settings()
    templates = templates_for(config, extra_template_dirs, settings)
    found: dict[str, Problem] = {}
    prepared: dict[Path, Prepared] = {}
    for path, brief in briefs:
        try:
            selected, compare = _select(brief, str(path), collection)
            used_loaded = list({id(item): item for item in selected + compare}.values())
            used = Collection(incidents=used_loaded)
            timezone = config.documents.timezone
            # Evidence logs are not recounted here (``reporter check`` does it; a log may hold
            # millions of rows): a build checks everything else check checks.
            for problem in check_collection(used, settings, as_of=document_as_of(brief.date.date, timezone),
                                            timezone=timezone, logs_of={}):
                found.setdefault(str(problem), problem)
            manifest = templates.manifest(brief.template)
            prepared[path] = build_context(brief, path, config, collection, settings, config_path, path.stem,
                                           manifest, templates)
            for problem in prepared[path].warnings:
                found.setdefault(str(problem), problem)
        except InputError as exc:
            for problem in locate(exc.problems, max_file_size=config.input.max_file_size):
                found.setdefault(str(problem), problem)
    return sorted(found.values()), prepared


def _refuse_collisions(briefs: list[tuple[Path, Brief]], out_dir: Path, formats: list[Format] | None) -> None:
    """Two briefs of one run that would write the same file: refuse before anything is written."""
    writers: dict[Path, Path] = {}
    for path, brief in briefs:
        for target in planned_paths(out_dir, path.stem, list(formats or brief.formats)):
            first = writers.setdefault(target, path)
            if first != path:
                raise UsageError(f"{first} and {path} would both write {target.name} in {out_dir}: "
                                 "rename one of the briefs or build them into different directories")

