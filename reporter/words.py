"""The words of each language, in one place: labels, units, qualifier phrases, sentences.

Everything the library prints into a document, a chart or a phrased figure comes from the
:class:`Words` of the document's language (``words_for("de_DE")``), never from a string typed
where it is used. A new language is one more :class:`Words` here. What a language lacks falls
back to English word by word, so a partial translation still reads (and
:func:`missing` says what it lacks). Templates carry their own headings.

Sentences are whole, with named placeholders (``{confidence}``), so that a translation can
put the words in its own order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache


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


ENGLISH = Words(
    labels={
        "accounts": "Accounts",
        "interactions": "Interactions",
        "records": "Records",
        "users": "Users",
        "login_attempts": "Login attempts",
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
        "status_ongoing": "The activity was continuing as of {date}.",
        "contact": "Please direct any questions about this letter to {contact}.",
        "conclusion": "We would welcome the opportunity to brief you or your staff on these findings.",
        "our_reference": "Our reference: {reference}",
        "your_reference": "Your reference: {reference}",
        "cc": "cc:",
        "enclosure": "Enclosure:",
        "enclosures": "Enclosures:",
        "disclosure": "{date}: {event} to {to}",
        "disclosure_reference": "{date}: {event} to {to} (reference {reference})",
        "disclosed": "Disclosed",
        "list_separator": ", ",
        "list_last": " and ",
    },
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

GERMAN = Words(
    page=("Seite", "von"),
    qualifiers={
        ("exact", False): "{0}",
        ("exact", True): "{0}",
        ("about", True): "etwa {0}",
        ("over", False): "mehr als {0}",
        ("over", True): "etwa {0} oder mehr",
        ("at-least", False): "mindestens {0}",
        ("at-least", True): "etwa {0} oder mehr",
        ("under", False): "weniger als {0}",
        ("under", True): "bis zu etwa {0}",
        ("at-most", False): "bis zu {0}",
        ("at-most", True): "bis zu etwa {0}",
        ("range", False): "{0} bis {1}",
        ("range", True): "etwa {0} bis {1}",
    },
    not_computable="nicht berechenbar",
    units={
        "days": ("Tag", "Tage"),
        "hours": ("Stunde", "Stunden"),
        "per day": ("pro Tag", "pro Tag"),
        "per account": ("pro Konto", "pro Konto"),
        "per account per day": ("pro Konto und Tag", "pro Konto und Tag"),
        "accounts": ("Konto", "Konten"),
        "interactions": ("Interaktion", "Interaktionen"),
    },
    charts={
        "by_actor_title": "{Figure} nach Akteur",
        "by_actor_alt": "Balkendiagramm: {figure} nach Akteur: {items}.",
        "rates_title": "Interaktionen pro Tag nach Vorfall",
        "rates_alt": "Balkendiagramm: Interaktionen pro Tag nach Vorfall: {items}.",
        "per_period_title": "Vorfälle pro {period}",
        "per_period_alt": "Balkendiagramm: Vorfälle pro {period}: {items}.",
        "timeline_title": "Zeiträume der Vorfälle nach {by}",
        "timeline_alt": "Zeitleiste der Vorfälle nach {by}: {items}.",
        "by_actor_not_shown": "Nicht gezeigt, ohne Angabe zu {figure}: {items}.",
        "rates_not_shown": "Nicht gezeigt, mangels Tagesrate: {items}.",
        "timeline_not_shown": "Nicht gezeigt, mangels Zeitraum: {items}.",
        "unattributed_incident": "{unattributed} ({incident})",
        "log_axis": "{title} (logarithmische Skala)",
        "month_format": "%b %Y",
        "year_format": "%Y",
        "volume_title": "Interaktionen und verschiedene Konten pro Tag",
        "volume_alt": (
            "Balkendiagramm der Interaktionen pro Tag mit einer Linie der verschiedenen Konten pro Tag, "
            "{range} ({days}): Interaktionen pro Tag von {i_min} bis {i_max}, am meisten am {i_peak}; "
            "verschiedene Konten pro Tag von {a_min} bis {a_max}."
        ),
        "interactions_axis": "Interaktionen pro Tag",
        "accounts_axis": "Verschiedene Konten pro Tag",
        "unattributed": "Nicht zugeordnet",
        "day_format": "%-d. %b",
        "unknown": "unbekannt",
        "year": "Jahr",
        "quarter": "Quartal",
        "month": "Monat",
        "actor": "Akteur",
        "category": "Kategorie",
        "incident": "Vorfall|Vorfälle",
        "day": "Tag mit Ereignissen|Tage mit Ereignissen",
        "others": "{count} weitere",
    },
    sentences={
        "status_continuing": "Unsere Untersuchung dauert an; wir melden uns, sollten sich unsere Erkenntnisse "
                             "wesentlich ändern.",
        "status_complete": "Unsere Untersuchung dieser Aktivität ist abgeschlossen.",
        "status_ongoing": "Die Aktivität dauerte am {date} noch an.",
        "contact": "Für Rückfragen zu diesem Schreiben steht Ihnen {contact} zur Verfügung.",
        "conclusion": "Gern erläutern wir Ihnen diese Erkenntnisse in einem Gespräch.",
        "our_reference": "Unser Zeichen: {reference}",
        "your_reference": "Ihr Zeichen: {reference}",
        "cc": "Kopie an:",
        "enclosure": "Anlage:",
        "enclosures": "Anlagen:",
        "disclosure": "{date}: {event} an {to}",
        "disclosure_reference": "{date}: {event} an {to} (Aktenzeichen {reference})",
        "disclosed": "Gemeldet",
        "list_separator": ", ",
        "list_last": " und ",
    },
    chart_figures={"interactions": "Interaktionen", "accounts": "Konten", "records": "Datensätze", "users": "Nutzer"},
)

LANGUAGES: dict[str, Words] = {"en": ENGLISH, "de": GERMAN}
"""Every language with words, by ISO 639-1 code."""

_MAPPINGS = ("labels", "events", "qualifiers", "units", "charts", "chart_figures", "sentences")


def _complete(words: Words) -> Words:
    """``words`` with what it lacks taken from English, word by word."""
    if words is ENGLISH:
        return words
    merged = {name: {**getattr(ENGLISH, name), **getattr(words, name)} for name in _MAPPINGS}
    return Words(**merged, page=words.page if any(words.page) else ENGLISH.page,
                 not_computable=words.not_computable or ENGLISH.not_computable,
                 formulas=words.formulas or ENGLISH.formulas)


@lru_cache(maxsize=None)
def words_of(language: str) -> Words:
    """The words of a language ("en", "de"), completed from English; None-safe for unknown codes.

    Raises:
        KeyError: a language with no words at all.
    """
    return _complete(LANGUAGES[language])


def words_for(locale: str) -> Words:
    """The words of a locale's language ("de_DE" → German; an unknown language → English)."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return words_of(language if language in LANGUAGES else "en")


def missing(language: str) -> dict[str, list[str]]:
    """What a language's own words lack against English, by part (for translators and tests)."""
    own = LANGUAGES[language]
    gaps: dict[str, list[str]] = {}
    for part in fields(Words):
        theirs, ours = getattr(own, part.name), getattr(ENGLISH, part.name)
        if isinstance(ours, dict):
            lacking = [str(key) for key in ours if key not in theirs]
        else:
            lacking = [] if theirs else [part.name]
        if lacking:
            gaps[part.name] = lacking
    return gaps
