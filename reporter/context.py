"""The typed template context: everything a document template may use, already phrased.

Templates receive plain data only -- strings, numbers, lists and these frozen dataclasses
-- built from records that were filtered for the audience *before* anything was
computed. Every field documents itself (``field(metadata={"doc": ...})``); a test checks
that none lacks a description.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporter.dates import When, WindowConvention, format_date_range, format_when, window_days
from reporter.i18n import fill
from reporter.metrics import CollectionMetrics, IncidentMetrics, Settings, placeholder_problem
from babel.numbers import format_decimal

from reporter.quantities import Qualifier, Quantity, format_quantity
from reporter.records import Incident, Sensitivity
from reporter.words import in_sentence, words_for


def doc(text: str, default: Any = None, factory: Any = None) -> Any:
    """A dataclass field with help text."""
    if factory is not None:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class FigureView:
    """A figure or metric, phrased for prose and shown exactly for the appendix."""

    name: str = doc("Machine name, e.g. interactions, daily_rate.")
    label: str = doc("Human label, e.g. 'Interactions per day'.")
    phrase: str = doc("As written in prose: 'about 654,500 per day', 'more than 16.55 million'.")
    phrase_with_label: str = doc("The phrase with what it counts: 'more than 16 million interactions'; a rate "
                                 "or span after its label: 'Daily rate: about 655,000 per day'.", "")
    exact: str = doc("Exact value or bounds for the appendix, e.g. '654,545.4545' or '23,750 to 26,250'.")
    qualifier: str = doc("exact, about, over, at-least, under, at-most, range or unknown.")
    known: bool = doc("False when not computable (see reason).")
    reason: str = doc("Why it is not computable; empty when known.")
    lower_bound: bool = doc("True when only a lower bound is known (charts draw it open-ended).")
    value: float | None = doc("Nominal number for charts (the lower bound for 'more than').")


@dataclass(frozen=True)
class ActorView:
    """A party behind an incident, as the audience may see it."""

    name: str = doc("Name.")
    kind: str = doc("company, group, individual, unknown … (may be empty).")
    confidence: str = doc("Attribution confidence: low, moderate or high (empty if none).")
    confidence_text: str = doc("The confidence in the document's language, as it stands in 'with high "
                               "confidence' (empty if none).", "")
    basis: list[str] = doc("Basis of the attribution.", factory=list)
    with_confidence: str = doc("The name with its confidence: 'Storm-Lantern (moderate confidence)'; the name "
                               "alone without an attribution.", "")
    figures: list[FigureView] = doc("This actor's share of the figures.", factory=list)


@dataclass(frozen=True)
class EventView:
    """A dated event."""

    incident: str = doc("Incident id.")
    incident_title: str = doc("Incident title.")
    name: str = doc("Event name, e.g. detected.")
    label: str = doc("Human label, e.g. 'Detected'.")
    date: str = doc("Phrased date.")
    iso: str = doc("Date as written (ISO).")
    note: str = doc("Note (may be empty).")


@dataclass(frozen=True)
class ActionView:
    """A response or mitigation."""

    text: str = doc("What was done.")
    date: str = doc("Phrased date (may be empty).")


@dataclass(frozen=True)
class SourceView:
    """A published source, numbered as a footnote."""

    number: int = doc("Footnote number, from 1.")
    title: str = doc("Title.")
    publisher: str = doc("Publisher (may be empty).")
    url: str = doc("http(s) URL, shown as text and a plain link (may be empty).")
    date: str = doc("Phrased publication date (may be empty).")


@dataclass(frozen=True)
class ChangeView:
    """A figure compared with what an earlier disclosure stated."""

    label: str = doc("Figure label.")
    now: str = doc("Today's phrase.")
    then: str = doc("The earlier phrase.")
    to: str = doc("To whom it was stated.")
    date: str = doc("When it was stated (phrased).")
    changed: bool = doc("Whether the figure changed.")


@dataclass(frozen=True)
class DisclosureView:
    """An earlier disclosure of the incident: to whom, when, under which reference."""

    to: str = doc("To whom it was made.")
    date: str = doc("Phrased date.")
    iso: str = doc("Date as written (ISO).")
    reference: str = doc("Its reference, e.g. the authority's case number (may be empty).")
    regime: str = doc("The regime it was made under, in words, e.g. 'GDPR Art. 33' (may be empty).")
    report: str = doc("Which of the regime's reports it was, in words, e.g. 'early warning' (may be empty).", "")


@dataclass(frozen=True)
class CategoryView:
    """A category of incidents in a report."""

    name: str = doc("Category slug, e.g. distillation.")
    label: str = doc("As a heading: 'Distillation', 'Account abuse'.")
    count: int = doc("How many of the document's incidents are in it.", 0)
    in_sentence: str = doc("As it stands in a sentence: 'distillation', 'account abuse' (German keeps its capital).", "")
    in_summary: str = doc("The category and its count in a sentence: 'distillation (two)'.", "")
    incidents: list[str] = doc("Their ids, in the document's order.", factory=list)


@dataclass(frozen=True)
class IncidentView:
    """One incident as the audience may see it."""

    id: str = doc("Record id.")
    title: str = doc("Title.")
    category: str = doc("Category slug.")
    status: str = doc("draft, confirmed, disclosed or closed.")
    status_text: str = doc("The status in the document's language ('confirmed', 'bestätigt').", "")
    summary: str = doc("Summary with every {placeholder} replaced by its phrased figure (may be empty).")
    window: str = doc("Phrased window, e.g. 'April 22 to June 5, 2026' (empty without one).")
    window_days: FigureView = doc("Window length under the document's convention.")
    figures: list[FigureView] = doc("Stated figures.", factory=list)
    metrics: list[FigureView] = doc("Derived metrics (rates, lags).", factory=list)
    actors: list[ActorView] = doc("Actors with attribution, in the record's order; beyond MAX_LISTED_ACTORS, "
                                  "only the largest (see more_actors).", factory=list)
    more_actors: int = doc("How many actors are not listed in actors (0 when all are).", 0)
    more_actors_note: str = doc("A sentence saying how many actors are not listed (empty when all are).", "")
    targets: list[str] = doc("Targeted capabilities or systems.", factory=list)
    techniques: list[str] = doc("ATLAS / ATT&CK technique ids.", factory=list)
    technique_names: list[str] = doc("Each technique as a reader is told it: 'Extract AI Model (AML.T0024.002)' "
                                     "(an ATLAS name), or its id where the catalogue bundled has none.", factory=list)
    timeline: list[EventView] = doc("Dated events in order.", factory=list)
    actions: list[ActionView] = doc("Response and mitigations.", factory=list)
    changes: list[ChangeView] = doc("Figures compared with the latest earlier disclosure.", factory=list)
    sources: list[SourceView] = doc("This incident's sources (numbered across the document).", factory=list)
    evidence: list[str] = doc("Statements of evidence the audience may see.", factory=list)
    disclosures: list[DisclosureView] = doc("Earlier disclosures, in date order.", factory=list)
    ongoing: bool = doc("True when the window has no end: the activity was continuing at the document's date.",
                        False)
    closed: bool = doc("True when the incident is closed -- and was resolved by the document's date.", False)
    status_note: str = doc("A sentence on where the investigation stands, by status: continuing for draft, "
                           "confirmed and disclosed incidents, complete for closed ones.", "")
    named: dict[str, FigureView] = doc("Figures and metrics by name, e.g. named['daily_rate'].", factory=dict)


@dataclass(frozen=True)
class PartyView:
    """A person in an address block or signature."""

    honorific: str = doc("e.g. 'The Honorable' (may be empty).")
    name: str = doc("Full name.")
    title: str = doc("Title (may be empty).")
    organisation: str = doc("Organisation (may be empty).")
    address: list[str] = doc("Address lines.", factory=list)
    salutation_name: str = doc("How a salutation names them (may be empty).")
    kind: str = doc("person, legislator or office (reporter.letters).", "person")
    lines: list[str] = doc("The address block, line by line: honorific and name (an office's name alone), "
                           "title, organisation, address.", factory=list)


@dataclass(frozen=True)
class InputView:
    """An input file named in the methodology appendix."""

    path: str = doc("Path as given.")
    sha256: str = doc("SHA-256 of its bytes.")


@dataclass(frozen=True)
class MethodologyView:
    """Conventions, formulas and inputs, for the appendix."""

    convention: str = doc("elapsed or inclusive.")
    convention_text: str = doc("The convention in words.")
    worked_example: str = doc("The convention applied to an included window.")
    formulas: list[str] = doc("Formulas of the derived metrics.", factory=list)
    sig_figs: int = doc("Significant figures in prose.", 4)
    about_tolerance: str = doc("How 'about' is read, e.g. '±5 %'.")
    reading: str = doc("How to read the figures: rounding, 'about', bounds (one paragraph).")
    inputs: list[InputView] = doc("Input files with their SHA-256.", factory=list)
    tool: str = doc("reporter and its version.")
    locale: str = doc("Locale of numbers and dates.")


@dataclass(frozen=True)
class ChartView:
    """A chart: an image for Markdown, inline SVG for HTML and PDF, and its alt text."""

    kind: str = doc("timeline, by-actor, rates, per-period or daily-volume.")
    title: str = doc("Caption.")
    alt: str = doc("Alt text that states the data.")
    src: str = doc("Relative path of the PNG beside the Markdown.")


@dataclass(frozen=True)
class ClockView:
    """One report an incident owes under a regulatory regime, and where it stands (reporter.clocks)."""

    incident: str = doc("Incident id.")
    incident_title: str = doc("Incident title.")
    regime: str = doc("gdpr-33, nis2, sec-8k-1.05, ai-act-73, gpai-cop-9.3 or circia.")
    regime_title: str = doc("The regime as documents name it, e.g. 'GDPR Art. 33'.")
    report: str = doc("Which report, e.g. notification, early-warning, form-8k.")
    report_label: str = doc("The report in words, e.g. 'Early warning'.")
    from_event: str = doc("Timeline event the clock runs from (empty when it runs from an earlier report).")
    from_label: str = doc("What the clock runs from in words, e.g. 'Became aware' or 'after the notification'.")
    start: str = doc("Phrased start time (empty when it cannot start).")
    start_iso: str = doc("Start time, ISO 8601 in UTC (empty when it cannot start).")
    due: str = doc("Phrased due time (empty when it cannot start).")
    due_iso: str = doc("Due time, ISO 8601 in UTC (empty when it cannot start).")
    status: str = doc("met, missed, due or cannot-start, as of the document's date.")
    status_text: str = doc("The status in words: 'met', 'missed by 8 hours', 'due in 2 days', 'cannot start until "
                           "the incident is resolved'.")
    made: str = doc("Phrased date of the disclosure that made the report, on time or late (empty if none).")
    made_iso: str = doc("That disclosure's date as written, ISO (empty if none).")
    made_to: str = doc("To whom that disclosure was made (empty if none).")
    made_reference: str = doc("That disclosure's reference, e.g. the authority's case number (may be empty).")
    basis: str = doc("The rule the clock follows, with its article or item.")
    note: str = doc("How long it was missed by or is left, what is missing, how dates were read (may be empty).")
    authority: str = doc("Where the regime's reports go, from the record's obligation (may be empty).")
    severity: str = doc("Type of serious incident for ai-act-73 and gpai-cop-9.3 (empty for the others).")
    severity_label: str = doc("That type in words, e.g. 'death of a person' (empty for the others).")
    delay_reason: str = doc("Reasons for a late report, from the obligation (may be empty).")
    contact: str = doc("Contact point for more information (may be empty).")
    consequences: str = doc("Likely consequences (may be empty).")
    impact: str = doc("Material impact, or reasonably likely material impact (may be empty).")
    system: str = doc("The AI system or model concerned (may be empty).")
    categories: list[str] = doc("Categories of people and records concerned.", factory=list)


@dataclass(frozen=True)
class DocumentContext:
    """The whole context of a document template."""

    title: str = doc("Document title.")
    date: str = doc("Phrased document date.")
    date_iso: str = doc("Document date, ISO.")
    template: str = doc("Template name.")
    audience: str = doc("Audience name, e.g. regulator.")
    clearance: str = doc("public, confidential or restricted.")
    marking: str = doc("Classification banner text; empty for public documents.")
    draft: bool = doc("True when any included record is a draft (DRAFT watermark).")
    withheld: bool = doc("True when material was withheld for this audience.")
    withheld_notice: str = doc("Sentence telling the reader that material was withheld: only in documents for "
                               "readers inside the organisation (manifest reader = internal); empty otherwise, "
                               "when the build report tells the drafter instead.")
    external: bool = doc("True for a document read outside the organisation (manifest reader = external): "
                         "nothing internal is printed in it.", True)
    subject_line: str = doc("The letter's subject line by locale, e.g. 'Re: Coordinated distillation campaign'.", "")
    references: list[str] = doc("Reference lines, e.g. 'Our reference: GA-2026-118', 'Your reference: BN-7'.",
                                factory=list)
    body: str = doc("The drafter's own paragraphs (Markdown), citations filled in; empty when the brief gives "
                    "none.", "")
    conclusion: str = doc("The brief's paragraph(s) before the sign-off, citations filled (empty if none).", "")
    conclusion_default: str = doc("A letter's concluding sentence when the brief gives none, by locale.", "")
    closing: str = doc("The complimentary close, e.g. 'Sincerely,' or 'Yours faithfully,'.", "")
    contact: str = doc("A sentence naming the contact point for follow-up (empty when the brief names none).", "")
    contact_point: str = doc("The contact point alone: 'Sam Okafor, Director of Policy (sam@example.org)'.", "")
    cc: list[str] = doc("Copies to: the label line ('cc:'), then one line per name; empty when none.", factory=list)
    enclosures: list[str] = doc("Enclosures: the label line ('Enclosures:'), then one line per enclosure; empty "
                                "when none.", factory=list)
    appendix: bool = doc("Whether the document ends with the figures appendix (brief key appendix).", False)
    status_note: str = doc("Where the investigation stands, by the incidents' status (one sentence).", "")
    period_label: str = doc("The period a report covers: the brief's period_label, or phrased from its period "
                            "filter ('the second quarter of 2026'); empty when neither.", "")
    categories: list[CategoryView] = doc("The categories of the incidents shown, in the brief's order (its "
                                         "categories key) or of first appearance.", factory=list)
    categories_chosen: bool = doc("Whether the brief chose or named the categories (its categories or "
                                   "category_labels key).", False)
    advice: list[str] = doc("What readers can do (the brief's advice).", factory=list)
    totals_summary: list[str] = doc("The known totals of accounts and interactions, each with what it counts and, "
                                    "when not every incident states it, how many do: 'about 26,000 or more "
                                    "accounts (from the 2 of 4 incidents that state accounts)'.", factory=list)
    totals_notes: dict[str, str] = doc("Per total, how many incidents state it when not all do: "
                                       "'from the 2 of 4 incidents that state accounts' (else absent).",
                                       factory=dict)
    organisation: PartyView = doc("The sending organisation (name, address).")
    logo: str = doc("Logo as a data: URI (empty if none).")
    signatory: PartyView = doc("Who signs.")
    recipients: list[PartyView] = doc("Addressees.", factory=list)
    salutation: str = doc("Salutation line.")
    bottom_line: str = doc("The bottom line, first thing a reader sees.")
    asks: list[str] = doc("What the reader is asked to do.", factory=list)
    actions: list[ActionView] = doc("Actions taken (brief's, then records').", factory=list)
    recommendations: list[str] = doc("Recommendations.", factory=list)
    incidents: list[IncidentView] = doc("The incidents the document is about.", factory=list)
    compare: list[IncidentView] = doc("Earlier incidents for comparison.", factory=list)
    totals: list[FigureView] = doc("Totals across the included incidents.", factory=list)
    judgments: list[str] = doc("Key judgments with stated confidence.", factory=list)
    timeline: list[EventView] = doc("Every dated event of the included incidents, in date order.", factory=list)
    sources: list[SourceView] = doc("All sources, numbered.", factory=list)
    methodology: MethodologyView = doc("Conventions, formulas, inputs.")
    charts: dict[str, ChartView] = doc("Charts by kind (only those with data).", factory=dict)
    page_label: tuple[str, str] = doc("Words around page numbers, e.g. ('Page', 'of').", ("Page", "of"))
    paper: str = doc("Paper size: letter or a4.", "letter")
    clocks: list[ClockView] = doc("Regulatory clocks of the included incidents as of the document's date: every "
                                  "report each owes under its obligations, computed from what the audience may see "
                                  "(events, disclosures and obligations above its clearance are not used); the "
                                  "briefing prints them all, a filing those of its regime.", factory=list)


def reading_text(sig_figs: int, tolerance: str, locale: str = "en_US") -> str:
    """How every document's figures are to be read (the rules format_quantity follows)."""
    return words_for(locale).sentences["reading"].format(sig_figs=sig_figs, tolerance=tolerance)


def label(name: str, locale: str = "en_US") -> str:
    """A readable label for a figure or metric name."""
    return words_for(locale).labels.get(name, name.replace("_", " ").capitalize())


@functools.lru_cache(maxsize=1)
def _atlas_names() -> dict[str, str]:
    import json

    path = Path(__file__).resolve().parent / "data" / "atlas.json"
    return json.loads(path.read_text(encoding="utf-8"))["techniques"]


def technique_name(technique: str) -> str:
    """A technique as a reader is told it: "Extract AI Model (AML.T0024.002)" for an ATLAS id (the
    names of ``reporter/data/atlas.json``, from MITRE ATLAS), else its id ("T1078")."""
    name = _atlas_names().get(technique)
    return f"{name} ({technique})" if name else technique


def event_label(name: str, locale: str = "en_US") -> str:
    """A readable label for a timeline event ("aware" → "Became aware")."""
    return words_for(locale).events.get(name, name.replace("_", " ").capitalize())


def convention_text(convention: WindowConvention, locale: str = "en_US") -> str:
    """The methodology's sentence naming the window convention."""
    return words_for(locale).sentences[f"convention_{convention.value}"]


def _exact_text(q: Quantity, locale: str) -> str:
    words = words_for(locale)
    if not q.is_known:
        return words.not_computable

    def full(x: float) -> str:
        # Exact digits, at most four decimals: the appendix shows what prose rounds.
        return format_decimal(round(x, 4), locale=locale, decimal_quantization=False)

    if q.qualifier is Qualifier.EXACT and q.value is not None:
        return full(q.value)
    low = full(q.low) if q.low is not None else ""
    high = full(q.high) if q.high is not None else ""
    if q.high is None:
        return f"{'>' if q.low_strict else '≥'} {low}"
    if low == high:  # bounds closer than the four decimals shown
        return low
    if not q.low and q.qualifier is not Qualifier.RANGE:
        return f"{'<' if q.high_strict else '≤'} {high}"
    between = words.sentences["exact_range"].format(low=low, high=high)
    if q.qualifier is Qualifier.ABOUT and q.value is not None:
        # The central figure too: prose rounds it ("about 1,200"), the appendix keeps it (1,152).
        return f"{full(q.value)} ({between})"
    return between


def figure_view(name: str, q: Quantity, settings: Settings) -> FigureView:
    """Phrase one quantity for templates."""
    phrase = format_quantity(q, settings.locale, settings.sig_figs)
    shown_label = label(name, settings.locale)
    if q.unit is None and q.is_known:  # a count: the noun follows the number, agreeing with it
        nouns = words_for(settings.locale).units
        with_label = format_quantity(q.with_unit(name), settings.locale, settings.sig_figs) if name in nouns \
            else f"{phrase} {in_sentence(shown_label, settings.locale)}"
    else:
        with_label = f"{shown_label}: {phrase}"
    return FigureView(
        name=name,
        label=shown_label,
        phrase=phrase,
        phrase_with_label=with_label,
        exact=_exact_text(q, settings.locale),
        qualifier=str(q.qualifier),
        known=q.is_known,
        reason=q.reason or "",
        lower_bound=q.is_known and q.high is None,
        value=q.value if q.is_known else None,
    )




WITHHELD_MARK = "[withheld]"
"""What a summary shows in place of a figure the audience may not see (internal documents only)."""


def summary_problem(incident: Incident, metrics: IncidentMetrics, settings: Settings, scope: str | None, name: str,
                    form: str | None) -> str | None:
    """Why a citation in a record's summary cannot be filled, or None when it can. A summary
    cites its own figures, by name and form as briefs do (reporter.prose): ``{accounts}``,
    ``{accounts:bare}``, ``{window:start}``."""
    if scope is not None and scope != incident.id:
        return f"{{{scope}.{name}}}: a record's summary cites its own figures only (write {{{name}}})"
    if form is None:
        return placeholder_problem(name, metrics, incident.window is not None)
    try:
        _summary_citations(incident, metrics, settings).phrase(None, name, form)
    except ValueError as exc:
        return str(exc)
    return None


def window_phrases(incident: Incident, settings: Settings, days: Quantity | None = None, as_of: Any = None,
                   timezone: str = "UTC") -> tuple[str, str, str] | None:
    """What prose may cite of a window -- ``{window}``, ``{window:start}``, ``{window:end}`` -- as
    every other part of a document prints it (one zone, to the minute; ongoing to ``as_of``)."""
    from reporter.dates import format_moment

    window = incident.window
    if window is None:
        return None
    return (window_text(incident, settings, as_of, timezone, days),
            format_moment(window.start, settings.locale, timezone),
            format_moment(window.end, settings.locale, timezone) if window.end is not None else "")


def _summary_citations(incident: Incident, metrics: IncidentMetrics, settings: Settings, as_of: Any = None,
                       timezone: str = "UTC") -> Any:
    from reporter.prose import Citations, Scope

    phrases = window_phrases(incident, settings, metrics.derived["window_days"], as_of, timezone)
    return Citations(incidents={incident.id: Scope(figures=metrics.all(), window=phrases)}, selected=(incident.id,),
                     locale=settings.locale, sig_figs=settings.sig_figs)


def fill_summary(incident: Incident, metrics: IncidentMetrics, settings: Settings, withheld: set[str],
                 as_of: Any = None, timezone: str = "UTC") -> str:
    """The summary with each citation replaced by its phrase; withheld figures say so, not what
    (:data:`WITHHELD_MARK`).

    Raises:
        ValueError: a citation names nothing, or a figure that cannot be computed (prose
            must not read "ran at not computable"); ``reporter check`` reports the same.
    """
    if not incident.summary:
        return ""
    from reporter.prose import CITATION

    citations = _summary_citations(incident, metrics, settings, as_of, timezone)

    def replace(match: re.Match[str]) -> str:
        scope, name, form = match.group("scope"), match.group("name"), match.group("form")
        if name in withheld:
            return WITHHELD_MARK
        problem = summary_problem(incident, metrics, settings, scope, name, form)
        if problem:
            raise ValueError(problem)
        return citations.phrase(None, name, form)

    return " ".join(CITATION.sub(replace, incident.summary).split())


def window_text(incident: Incident, settings: Settings, as_of: Any = None, timezone: str = "UTC",
                days: Quantity | None = None) -> str:
    """The window as people write it (:func:`reporter.dates.format_window`): in one zone, to the
    minute; an ongoing one measured to ``as_of`` ("since May 14, 2026: 29 days to June 12, 2026")."""
    from reporter.dates import format_window

    window = incident.window
    if window is None:
        return ""
    return format_window(window.start, window.end, settings.locale, as_of=as_of if window.end is None else None,
                         days=days if days is not None and days.is_known else None, timezone=timezone,
                         convention=settings.convention)


def when_text(when: When | None, settings: Settings) -> str:
    """A phrased date, or empty."""
    return "" if when is None else format_when(when, settings.locale)


def worked_example(incidents: list[Incident], settings: Settings) -> str:
    """The convention applied to the first included window (or to a reference window)."""
    for incident in incidents:
        window = incident.window
        if window is not None and window.end is not None:
            break
    else:
        return ""
    elapsed = window_days(window.start, window.end, WindowConvention.ELAPSED)
    inclusive = window_days(window.start, window.end, WindowConvention.INCLUSIVE)
    elapsed_chosen = settings.convention is WindowConvention.ELAPSED
    chosen = elapsed if elapsed_chosen else inclusive
    other = inclusive if elapsed_chosen else elapsed
    sentences = words_for(settings.locale).sentences
    return fill(sentences["worked_example"], settings.locale,
        window=format_date_range(window.start, window.end, settings.locale),
        chosen=format_quantity(chosen, settings.locale, settings.sig_figs),
        other=format_quantity(other, settings.locale, settings.sig_figs),
        other_name=sentences["other_inclusive" if elapsed_chosen else "other_elapsed"])


def marking(clearance: Sensitivity, audience: str, brief_marking: str | None, recipients: list[PartyView],
            locale: str = "en_US") -> str:
    """The classification banner: empty for public documents."""
    if brief_marking:
        return brief_marking
    if clearance is Sensitivity.PUBLIC:
        return ""
    sentences = words_for(locale).sentences
    prepared_for = next((r.organisation for r in recipients if r.organisation), "") or sentences.get(
        f"audience_{audience}", audience.replace("-", " "))
    if locale.startswith("en") and recipients and prepared_for == next(
            (r.organisation for r in recipients if r.organisation), None):
        from reporter.letters import kind_of

        if kind_of(prepared_for, []) == "office" and not prepared_for.lower().startswith("the "):
            prepared_for = f"the {prepared_for}"  # "PREPARED FOR THE COMMITTEE ON BANKING ..."
    return fill(sentences["marking"], locale, clearance=sentences[f"clearance_{clearance.value}"], audience=prepared_for.upper())


def collection_totals(metrics: CollectionMetrics) -> list[FigureView]:
    return [figure_view(name, q, metrics.settings) for name, q in metrics.totals.items()]
