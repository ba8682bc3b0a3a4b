"""The words of each language, in one place: labels, units, qualifier phrases, sentences.

Everything the library prints into a document, a chart or a phrased figure comes from the
:class:`Words` of the document's language (``words_for("de_DE")``), never from a string typed
where it is used. :data:`ENGLISH` holds the English words; they are the message ids of the
message catalogues (:mod:`reporter.i18n`), each under the context of where it is used
(``labels:accounts``), and the words of every other language are their translations there
(``reporter/locale/LANG/LC_MESSAGES/reporter.po``). A message a catalogue lacks stays English
(:func:`missing` says which; a test requires none). Templates take their words from the same
catalogues (``_()`` in a template).

Sentences are whole, with named placeholders (``{confidence}``), so that a translation can
put the words in its own order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Words:
    """One language's words.

    Attributes:
        labels: figure and metric labels by name ("Accounts", "Daily rate").
        events: timeline event labels by name ("Became aware").
        page: the words around page numbers ("Page", "of").
        qualifiers: quantity phrases by (qualifier, approximate) -- ``("over", False)`` →
            "more than {0}"; ``{0}`` and ``{1}`` are the phrased numbers.
        not_computable: the phrase of a quantity that cannot be computed.
        units: unit names after a count whose plural category is "one", and after any other.
        charts: chart titles, alt-text sentences, axis titles and nouns.
        chart_figures: figure names inside chart sentences ("Interaktionen").
        sentences: the sentences documents generate (see the English ones for each key).
        formulas: the methodology's formulas, in order.
        confidence: the adjective of an attribution's confidence, as it stands in "with {} confidence".
        statuses: a record's status in words ("confirmed").
        clocks: the words of regulatory clocks: regimes, reports, what they run from, their status.
        categories: incident categories by slug, as headings ("Account abuse").
    """

    labels: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    page: tuple[str, str] = ("", "")
    qualifiers: dict[tuple[str, bool], str] = field(default_factory=dict)
    not_computable: str = ""
    units: dict[str, tuple[str, str]] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)
    chart_figures: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, str] = field(default_factory=dict)
    formulas: tuple[str, ...] = ()
    confidence: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    clocks: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    def entries(self) -> Iterator[tuple[str, str, Any]]:
        """Every word, as (part, key, value): a unit's value is its pair of forms."""
        for part in fields(self):
            value = getattr(self, part.name)
            if isinstance(value, dict):
                for key, text in value.items():
                    yield part.name, _key(part.name, key), text
            elif isinstance(value, tuple):
                for index, text in enumerate(value):
                    yield part.name, str(index), text
            else:
                yield part.name, "", value


ENGLISH = Words(
    labels={
        "accounts": "Accounts",
        "interactions": "Interactions",
        "records": "Records",
        "users": "Users",
        "login_attempts": "Login attempts",
        "data_subjects": "Data subjects",
        "personal_data_records": "Personal data records",
        "window_days": "Window",
        "daily_rate": "Daily rate",
        "per_account": "Per-account total",
        "per_account_daily_rate": "Per-account daily rate",
        "detection_lag_days": "Time from start to detection",
        "detection_to_report_days": "Time from detection to report",
        "awareness_to_report_days": "Time from awareness to report",
    },
    events={
        "start": "Activity began",
        "end": "Activity ended",
        "detected": "Detected",
        "aware": "Became aware",
        "materiality_determined": "Materiality determined",
        "contained": "Contained",
        "resolved": "Resolved",
        "reported": "Reported",
        "reasonable_belief": "Reasonably believed it occurred",
        "ransom_paid": "Ransom paid",
    },
    page=("Page", "of"),
    qualifiers={
        ("exact", False): "{0}",
        ("exact", True): "{0}",
        ("about", True): "about {0}",
        ("over", False): "more than {0}",
        ("over", True): "about {0} or more",
        ("at-least", False): "at least {0}",
        ("at-least", True): "about {0} or more",
        ("under", False): "fewer than {0}",
        ("under", True): "up to about {0}",
        ("at-most", False): "up to {0}",
        ("at-most", True): "up to about {0}",
        ("range", False): "{0} to {1}",
        ("range", True): "about {0} to {1}",
    },
    not_computable="not computable",
    units={
        "days": ("day", "days"),
        "hours": ("hour", "hours"),
        "minutes": ("minute", "minutes"),
        "business days": ("business day", "business days"),
        "per day": ("per day", "per day"),
        "per account": ("per account", "per account"),
        "per account per day": ("per account per day", "per account per day"),
        "accounts": ("account", "accounts"),
        "interactions": ("interaction", "interactions"),
    },
    charts={
        "by_actor_title": "{Figure} by actor",
        "by_actor_alt": "Bar chart of {figure} by actor: {items}.",
        "rates_title": "Interactions per day by incident",
        "rates_alt": "Bar chart of interactions per day by incident: {items}.",
        "per_period_title": "Incidents per {period}",
        "per_period_alt": "Bar chart of incidents per {period}: {items}.",
        "timeline_title": "Incident windows by {by}",
        "timeline_alt": "Timeline of incident windows by {by}: {items}.",
        "by_actor_not_shown": "Not shown, with no {figure} stated: {items}.",
        "rates_not_shown": "Not shown, for want of a daily rate: {items}.",
        "timeline_not_shown": "Not shown, for want of a window: {items}.",
        "unattributed_incident": "{unattributed} ({incident})",
        "log_axis": "{title} (log scale)",
        "item_separator": "; ",
        "lane_item": "{lane}: {window}",
        "month_format": "%b %Y",
        "year_format": "%Y",
        "volume_title": "Daily interactions and distinct accounts",
        "volume_alt": (
            "Bar chart of daily interactions with a line of distinct accounts per day, {range} "
            "({days}): interactions per day from {i_min} to {i_max}, highest on {i_peak}; "
            "distinct accounts per day from {a_min} to {a_max}."
        ),
        "interactions_axis": "Interactions per day",
        "accounts_axis": "Distinct accounts per day",
        "unattributed": "Unattributed",
        "day_format": "%b %-d",
        "unknown": "unknown",
        "year": "year",
        "quarter": "quarter",
        "month": "month",
        "actor": "actor",
        "category": "category",
        "incident": "incident|incidents",
        "day": "day with events|days with events",
        "others": "{count} others",
    },
    sentences={
        "withheld_notice": "Some material in the underlying records has been withheld from this document for its "
                           "audience.",
        "convention_elapsed": "Elapsed days: the window's length is its end date minus its start date.",
        "convention_inclusive": "Calendar days counting both ends: end date minus start date, plus one.",
        "worked_example": "{window} is {chosen} under this convention ({other} {other_name}).",
        "other_inclusive": "counting both ends",
        "other_elapsed": "as elapsed days",
        "reading": (
            "Figures in prose carry no more significant figures than the stated figures they rest on, and at "
            "most {sig_figs}; approximate figures of 10 or more are rounded to whole numbers. A stated figure written \"about\" is read as within {tolerance}; figures "
            "derived from it carry that uncertainty. \"More than\" and \"at least\" mark lower bounds, "
            "\"fewer than\" and \"up to\" upper bounds; bounds are rounded outwards so that they stay true. "
            "A total over incidents that do not all state a figure is a lower bound."
        ),
        "exact_range": "{low} to {high}",
        "marking": "{clearance} — PREPARED FOR {audience}",
        "audience_executive": "executive leadership",
        "audience_regulator": "regulators",
        "judgment": "We assess with {confidence} confidence that {actor} was responsible in '{incident}'.",
        "judgment_share": "We assess with {confidence} confidence that {actor} was responsible for {share} "
                          "interactions in '{incident}'.",
        "more_actors": "{count} further actors are not listed here.",
        "salutation": "Dear {names}:",
        "status_continuing": "Our investigation is continuing; we will write again if our findings change materially.",
        "status_complete": "Our investigation of this activity is complete.",
        "status_ongoing": "As of {date}, the activity has not stopped.",
        "actor_confidence": "{name} ({confidence} confidence)",
        "contact": "Please direct any questions about this letter to {contact}.",
        "conclusion": "We would welcome the opportunity to brief you or your staff on these findings.",
        "our_reference": "Our reference: {reference}",
        "your_reference": "Your reference: {reference}",
        "cc": "cc:",
        "enclosure": "Enclosure:",
        "enclosures": "Enclosures:",
        "list_separator": ", ",
        "list_last": " and ",
        "totals_note": "from the {stating} of {total} incidents that state {noun}",
        "bottom_line_many": "This briefing covers {count} incidents, {span}; together they come to {totals}.",
        "bottom_line_many_no_totals": "This briefing covers {count} incidents, {span}.",
        "bottom_line_many_no_span": "This briefing covers {count} incidents; together they come to {totals}.",
        "bottom_line_many_no_totals_no_span": "This briefing covers {count} incidents.",
        "quarter_1": "the first quarter of {year}",
        "quarter_2": "the second quarter of {year}",
        "quarter_3": "the third quarter of {year}",
        "quarter_4": "the fourth quarter of {year}",
        "draft": "DRAFT",
        "date_range": "{0} to {1}",
        "date_range_months": "{0} to {1}",
        "date_since": "since {0}",
        "date_since_months": "since {0}",
        "time_range": "{0} to {1}",
        "scale_noun": "{unit}",
        "date_measured": "{since}: {days} to {as_of}",
        "clearance_public": "PUBLIC",
        "clearance_confidential": "CONFIDENTIAL",
        "clearance_restricted": "RESTRICTED",
    },
    confidence={"low": "low", "moderate": "moderate", "high": "high"},
    statuses={"draft": "draft", "confirmed": "confirmed", "disclosed": "disclosed", "closed": "closed"},
    clocks={
        "regime:gdpr-33": "GDPR Art. 33",
        "regime:nis2": "NIS2 Art. 23",
        "regime:sec-8k-1.05": "Form 8-K Item 1.05",
        "regime:ai-act-73": "EU AI Act Art. 73",
        "regime:gpai-cop-9.3": "GPAI Code of Practice Measure 9.3",
        "regime:circia": "CIRCIA (6 U.S.C. 681b)",
        "report:notification": "Notification",
        "report:early-warning": "Early warning",
        "report:final-report": "Final report",
        "report:progress-report": "Progress report",
        "report:initial-report": "Initial report",
        "report:intermediate-report": "Intermediate report",
        "report:form-8k": "Form 8-K",
        "report:serious-incident-report": "Serious incident report",
        "report:covered-cyber-incident": "Covered cyber incident",
        "report:ransom-payment": "Ransom payment",
        "after:notification": "after the notification",
        "after:previous report": "after the previous report",
        "status:met": "met",
        "status:missed": "missed",
        "status:cannot-start": "cannot start",
        "missed_by": "missed by {span}",
        "missed_so_far": "missed by {span} so far",
        "missed_by_at_least": "missed by at least {span}",
        "due_in": "due in {span}",
        "span_separator": " ",
        "span_last": " ",
        "no_time": "0 minutes",
        # Why a clock cannot start; {event} is the timeline event's label.
        "why:no_event": "cannot start: no date for “{event}” in the timeline",
        "why:month": "cannot start: “{event}” is known only to the month ({date}), and the clock needs its day",
        "why:year": "cannot start: “{event}” is known only to the year ({date}), and the clock needs its day",
        "why:later": "cannot start until “{event}”",
        "why:notification": "cannot start until the notification's clock can",
        "why:unresolved": "cannot start until the incident is resolved",
        "or": " or ",
        # The type of serious incident (ai-act-73, gpai-cop-9.3), as it stands after "type of serious incident:".
        "severity:death": "death of a person",
        "severity:widespread-infringement": "widespread infringement",
        "severity:critical-infrastructure": "serious and irreversible disruption of critical infrastructure",
        "severity:serious-harm": "serious harm",
        "severity:cybersecurity-breach": "serious cybersecurity breach",
        # The rule each clock follows, with its article or item (a paraphrase, not the rule's text).
        "basis:gdpr-33:notification":
            "GDPR Art. 33(1): notify the supervisory authority without undue delay and, where feasible, not later "
            "than 72 hours after becoming aware of the breach; a later notification gives reasons for the delay; "
            "Art. 33(4): information may be provided in phases",
        "basis:nis2:early-warning":
            "NIS2 Art. 23(4)(a): early warning without undue delay and in any event within 24 hours of becoming "
            "aware of the significant incident",
        "basis:nis2:notification":
            "NIS2 Art. 23(4)(b): incident notification without undue delay and in any event within 72 hours of "
            "becoming aware of the significant incident",
        "basis:nis2:final-report":
            "NIS2 Art. 23(4)(d): final report not later than one month after the submission of the incident "
            "notification",
        "basis:nis2:progress-report":
            "NIS2 Art. 23(4)(e): the incident is ongoing one month after the notification: a progress report is due "
            "then, instead of the final report",
        "basis:nis2:final-report-after-progress":
            "NIS2 Art. 23(4)(e): final report within one month of the handling of the incident (counted from "
            "'resolved')",
        "basis:sec-8k-1.05:form-8k":
            "Form 8-K Item 1.05 and General Instruction B.1: file within four business days after the registrant "
            "determines the incident is material (business days: not Saturdays, Sundays or US federal holidays); "
            "EDGAR dates a filing submitted after 5:30 pm Eastern on the next business day (Regulation S-T "
            "Rule 13(a)(2))",
        "basis:ai-act-73:death":
            "EU AI Act Art. 73(4): in the event of a death, report immediately after establishing or suspecting a "
            "causal relationship, and not later than {days} days after becoming aware of the serious incident",
        "basis:ai-act-73:widespread-infringement":
            "EU AI Act Art. 73(3): a widespread infringement: report immediately, and not later than {days} days "
            "after becoming aware",
        "basis:ai-act-73:critical-infrastructure":
            "EU AI Act Art. 73(3): a serious and irreversible disruption of critical infrastructure (Art. 3(49)(b)): "
            "report immediately, and not later than {days} days after becoming aware",
        "basis:ai-act-73:serious-harm":
            "EU AI Act Art. 73(2): report not later than {days} days after becoming aware of the serious incident",
        "basis:gpai-cop-9.3:initial-report:critical-infrastructure":
            "GPAI Code of Practice, Safety and Security, Measure 9.3: initial report not later than {days} days "
            "after becoming aware of the model's involvement in a serious and irreversible disruption of critical "
            "infrastructure",
        "basis:gpai-cop-9.3:initial-report:cybersecurity-breach":
            "GPAI Code of Practice, Safety and Security, Measure 9.3: initial report not later than {days} days "
            "after becoming aware of the model's involvement in a serious cybersecurity breach (including the "
            "(self-)exfiltration of model weights and cyberattacks)",
        "basis:gpai-cop-9.3:initial-report:death":
            "GPAI Code of Practice, Safety and Security, Measure 9.3: initial report not later than {days} days "
            "after becoming aware of the model's involvement in the death of a person",
        "basis:gpai-cop-9.3:initial-report:serious-harm":
            "GPAI Code of Practice, Safety and Security, Measure 9.3: initial report not later than {days} days "
            "after becoming aware of the model's involvement in serious harm to health, an infringement of "
            "fundamental rights, or serious harm to property or the environment",
        "basis:gpai-cop-9.3:intermediate-report":
            "GPAI Code of Practice Measure 9.3: while the serious incident is unresolved, an intermediate report at "
            "least every four weeks after the initial report",
        "basis:gpai-cop-9.3:final-report":
            "GPAI Code of Practice Measure 9.3: final report not later than 60 days after the serious incident has "
            "been resolved",
        "basis:circia:covered-cyber-incident":
            "CIRCIA, 6 U.S.C. 681b(a)(1), and proposed 6 CFR 226.5(a): report a covered cyber incident to CISA not "
            "later than 72 hours after reasonably believing it occurred",
        "basis:circia:ransom-payment":
            "CIRCIA, 6 U.S.C. 681b(a)(2), and proposed 6 CFR 226.5(b): report a ransom payment to CISA not later "
            "than 24 hours after it is made",
        "circia_status":
            "rule status: CISA's proposed rule (89 FR 23644, April 4, 2024) is not final; the clock follows the "
            "statute and the proposed rule, and the requirement takes effect only when the final rule does",
    },
    categories={
        "account-abuse": "Account abuse",
        "ai-serious-incident": "AI serious incident",
        "credential-stuffing": "Credential stuffing",
        "data-exposure": "Data exposure",
        "denial-of-service": "Denial of service",
        "distillation": "Distillation",
        "fraud": "Fraud",
        "malware": "Malware",
        "personal-data-breach": "Personal data breach",
        "phishing": "Phishing",
        "prompt-injection": "Prompt injection",
        "ransomware": "Ransomware",
    },
    chart_figures={"interactions": "interactions", "accounts": "accounts", "records": "records", "users": "users"},
    formulas=(
        "Window (days) = end − start under the stated convention",
        "Daily rate = interactions ÷ window days",
        "Per-account total = interactions ÷ accounts",
        "Per-account daily rate = interactions ÷ accounts ÷ window days",
        "Time from start to detection = detected − window start",
        "Time from detection to report = reported − detected",
        "Time from awareness to report = reported − aware",
        "Totals add the figures of the included incidents; where some state none, the total is a lower bound",
    ),
)

PLURAL_CHARTS = frozenset({"incident", "day"})
"""Chart words that are a noun's two forms, "one|other" (the catalogue's plural forms)."""


def context_of(part: str, key: str) -> str:
    """The catalogue context of a word: where it is used ("labels:accounts", "qualifiers:about:approximate")."""
    return f"{part}:{key}" if key else part


def _key(part: str, key: Any) -> str:
    if part == "qualifiers":
        qualifier, approximate = key
        return f"{qualifier}:{'approximate' if approximate else 'stated'}"
    return str(key)


def _translated(language: str) -> Words:
    """English's words through the catalogue of ``language`` (what it lacks stays English)."""
    from reporter.i18n import translations

    catalogue = translations(language)

    def one(part: str, key: Any, text: str) -> str:
        return catalogue.pgettext(context_of(part, _key(part, key)), text) if text else text

    def pair(part: str, key: str, forms: tuple[str, str]) -> tuple[str, str]:
        context = context_of(part, key)
        # The forms after a count of one and of many: two plural forms, as English, German and
        # French have (quantities choose between them by the number's CLDR plural category).
        return (catalogue.npgettext(context, forms[0], forms[1], 1), catalogue.npgettext(context, forms[0], forms[1], 2))

    mappings: dict[str, Any] = {}
    for part in _MAPPINGS:
        english: dict[Any, Any] = getattr(ENGLISH, part)
        if part == "units":
            mappings[part] = {key: pair(part, key, forms) for key, forms in english.items()}
        elif part == "charts":
            mappings[part] = {key: "|".join(pair(part, key, tuple(text.split("|")))) if key in PLURAL_CHARTS  # type: ignore[arg-type]
                              else one(part, key, text) for key, text in english.items()}
        else:
            mappings[part] = {key: one(part, key, text) for key, text in english.items()}
    return Words(**mappings,
                 page=tuple(one("page", str(n), text) for n, text in enumerate(ENGLISH.page)),  # type: ignore[arg-type]
                 not_computable=one("not_computable", "", ENGLISH.not_computable),
                 formulas=tuple(one("formulas", str(n), text) for n, text in enumerate(ENGLISH.formulas)))


_MAPPINGS = ("labels", "events", "qualifiers", "units", "charts", "chart_figures", "sentences", "confidence",
             "statuses", "clocks", "categories")


class _Languages(dict):  # type: ignore[type-arg]
    """Every language with words, by ISO 639-1 code: English and each with a catalogue (made at first use)."""

    def __missing__(self, language: str) -> Words:
        from reporter.i18n import languages

        if language not in languages():
            raise KeyError(language)
        self[language] = words = _translated(language)
        return words

    def __contains__(self, language: object) -> bool:
        from reporter.i18n import languages

        return language in languages()

    def __iter__(self) -> Iterator[str]:
        from reporter.i18n import languages

        return iter(languages())

    def __len__(self) -> int:
        from reporter.i18n import languages

        return len(languages())


LANGUAGES: dict[str, Words] = _Languages(en=ENGLISH)
"""Every language with words, by ISO 639-1 code (``LANGUAGES["de"]``)."""


@lru_cache(maxsize=None)
def words_of(language: str) -> Words:
    """The words of a language ("en", "de", "fr").

    Raises:
        KeyError: a language with no catalogue.
    """
    return LANGUAGES[language]


def words_for(locale: str) -> Words:
    """The words of a locale's language ("de_DE" → German; a language without a catalogue → English)."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return words_of(language if language in LANGUAGES else "en")


def in_sentence(label: str, locale: str) -> str:
    """A label as it stands inside a sentence: lower-case, but German nouns keep their capital, and
    so do abbreviations ("AI serious incident" → "AI serious incident", "Daily rate" → "daily rate")."""
    if locale.lower().startswith("de"):
        return label
    return " ".join(word if len(word) > 1 and word.isupper() else word.lower() for word in label.split(" "))


def missing(language: str) -> dict[str, list[str]]:
    """What a language's catalogue lacks of these words, by part (for translators and tests)."""
    from reporter.i18n import catalogue_path

    if language == "en":
        return {}
    from babel.messages.pofile import read_po

    with catalogue_path(language).open("rb") as handle:
        catalog = read_po(handle)
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    gaps: dict[str, list[str]] = {}
    for part, key, value in ENGLISH.entries():
        text = value[0] if isinstance(value, tuple) else (value.split("|")[0] if part == "charts"
                                                          and key in PLURAL_CHARTS else value)
        if text and (context_of(part, key), text) not in translated:
            gaps.setdefault(part, []).append(str(key))
    return gaps
