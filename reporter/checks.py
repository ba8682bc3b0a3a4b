"""Consistency checks: the lint for numbers that must hold before a letter is signed.

- A breakdown (actors' figures) that contradicts its total: error.
- A figure that differs from one stated in an earlier disclosure: warning naming the
  earlier figure and its date.
- A number typed into a summary that contradicts a computed metric (a "2.5-month window"
  over a 44-day window): error; one that matches no figure or metric: warning.
- A summary placeholder that names no figure or metric: error.
- Timeline events out of order: error.
- Regulatory clocks (:mod:`reporter.clocks`): a report missed, or due within 24 hours at
  ``as_of``: warning; a late GDPR notification whose obligation gives no ``delay_reason``
  (Art. 33(1) asks for reasons): error. A disclosure made under a regime whose figures differ
  from today's names the regime.
- Actor names that look alike but are written with different characters (Latin "Alpha Corp"
  and Cyrillic "Аlpha Corp", or one with a zero-width joiner inside): a warning on the later
  one naming the earlier, within one incident and across the collection (:func:`reporter.text.skeleton`).

Problems carry file, line, column and key like validation problems. Messages name keys
and phrased figures of the record itself, never values of other records.
"""

from __future__ import annotations

import re
from typing import Any
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from reporter.dates import When
from reporter.clocks import REGIME_TITLES, format_span, incident_clocks, iso
from reporter.errors import Problem
from reporter.logs import check_against_logs, summarise
from reporter.metrics import IncidentMetrics, Settings, incident_metrics
from reporter.quantities import Qualifier, Quantity, format_quantity, parse_quantity, sum_quantities
from reporter.models import Regime
from reporter.records import Collection, LoadedIncident
from reporter.text import describe, skeleton

# Pairs (earlier, later) that must not be reversed. "start" is the window's start.
TIMELINE_ORDER = (
    ("start", "detected"),
    ("start", "aware"),
    ("start", "contained"),
    ("start", "resolved"),
    ("start", "reported"),
    ("detected", "contained"),
    ("detected", "resolved"),
    ("detected", "reported"),
    ("detected", "materiality_determined"),
    ("aware", "materiality_determined"),
    ("aware", "reported"),
    ("materiality_determined", "reported"),
    ("contained", "resolved"),
)

# Days per unit, and how far a stated duration may be from the computed one: prose
# durations are loose, so a claim stands for its value ± 10 %, or ± half its last digit
# where that is wider (2.5 months: 2.25 to 2.75 months; 2 months: 1.5 to 2.5).
_DURATION_SLACK = 0.10
_DURATION_UNITS = {"day": 1.0, "week": 7.0, "month": 365.2425 / 12, "year": 365.2425}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"(?<![\w.,])(?P<n>{_NUMBER})(?:\s*|-)(?P<unit>day|week|month|year)s?\b(?:[\s-]+long)?",
    re.IGNORECASE,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_FIGURE_IN_PROSE = re.compile(
    rf"(?<![\w.,{{])(?P<q>(?:about|approximately|around|roughly|over|more than|at least|fewer than|less than|"
    rf"under|up to|nearly|almost)\s+)?(?P<n>{_NUMBER})(?P<m>\s*(?:million|billion|thousand|[mbk])\b)?",
    re.IGNORECASE,
)
_DATE_CONTEXT = re.compile(rf"(?:{_MONTHS})\s*$", re.IGNORECASE)


def check_collection(collection: Collection, settings: Settings = Settings(), *, as_of: datetime | None = None,
                     timezone: str = "UTC", logs_of: dict[str, Any] | None = None) -> list[Problem]:
    """Run every check over valid incidents; return problems sorted by file and line.

    Incidents that cite an evidence log are also checked against the figures computed from it
    (with ``logs_of``, only the logs those incidents cite).
    Regulatory clocks are checked at ``as_of`` (default: now), dates without a time starting in
    ``timezone`` (``documents.timezone``).
    """
    as_of = as_of or datetime.now(UTC)
    # ``logs_of``: the incidents whose evidence logs to read, by id (a build passes the records as
    # its audience may see them: a log above the audience's clearance is not read for it).
    summaries, problems = summarise([(loaded, (logs_of or {}).get(loaded.incident.id, loaded.incident))
                                     for loaded in collection.incidents
                                     if logs_of is None or loaded.incident.id in logs_of])
    # (``logs_of={}``: no log is read.)
    for loaded in collection.incidents:
        if loaded.incident.id in summaries:
            problems += check_against_logs(loaded, summaries[loaded.incident.id], settings.locale)
        metrics = incident_metrics(loaded.incident, settings)
        problems += check_breakdowns(loaded)
        problems += check_disclosures(loaded, settings)
        problems += check_summary(loaded, metrics, settings)
        problems += check_prose(loaded, settings)
        problems += check_timeline(loaded)
        if loaded.incident.obligations:
            problems += check_clocks(loaded, as_of, timezone)
    problems += check_actor_names(collection)
    return sorted(problems)


def _overlap(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities can describe the same true value."""
    low = max(x for x in (a.low, b.low, 0.0) if x is not None)
    highs = [x for x in (a.high, b.high) if x is not None]
    if not highs:
        return True
    high = min(highs)
    if low < high:
        return True
    if low > high:
        return False
    # Touching at one point: possible unless a strict bound excludes it.
    strict = (a.low == low and a.low_strict) or (b.low == low and b.low_strict) or (
        a.high == high and a.high_strict) or (b.high == high and b.high_strict)
    return not strict


def check_breakdowns(loaded: LoadedIncident) -> list[Problem]:
    """Actors' figures must not add up to more than the incident's total."""
    incident = loaded.incident
    problems = []
    names = sorted({name for actor in incident.actors for name in actor.figures})
    for name in names:
        if name not in incident.figures:
            continue
        parts = [actor.figures[name].quantity for actor in incident.actors if name in actor.figures]
        total = incident.figures[name].quantity
        summed = sum_quantities(parts)
        # Actors need not cover the whole incident: only parts beyond the total contradict it.
        if summed.low is None or total.high is None:
            continue
        if summed.low > total.high or (summed.low == total.high and (summed.low_strict or total.high_strict)):
            problems.append(loaded.problem(
                ("figures", name),
                f"the actors' {name} add up to {format_quantity(summed)}, more than the total "
                f"{format_quantity(total)}",
            ))
    return problems


def check_disclosures(loaded: LoadedIncident, settings: Settings) -> list[Problem]:
    """Warn where today's figure differs from one stated in an earlier disclosure."""
    incident = loaded.incident
    problems = []
    for index, disclosure in enumerate(incident.disclosures):
        for name, stated in disclosure.figures.items():
            current = incident.figures.get(name)
            if current is None:
                continue
            then, now = stated.quantity, current.quantity
            if then.with_unit(None) == now.with_unit(None):
                continue
            verb = "contradicts" if not _overlap(then, now) else "differs from"
            under = f" under {REGIME_TITLES[disclosure.regime]}" if disclosure.regime is not None else ""
            problems.append(loaded.problem(
                ("figures", name),
                f"{format_quantity(now, settings.locale, settings.sig_figs)} {verb} the "
                f"{format_quantity(then, settings.locale, settings.sig_figs)} stated to {disclosure.to} "
                f"on {disclosure.date.text}{under} (disclosures[{index}])",
                severity="warning",
            ))
    return problems


DUE_SOON = timedelta(hours=24)
"""A report due within this long at ``as_of`` is warned of."""


def check_clocks(loaded: LoadedIncident, as_of: datetime, timezone: str = "UTC") -> list[Problem]:
    """Warn of every report missed or due within 24 hours at ``as_of``; a late GDPR notification
    whose obligation gives no reason for the delay is an error (Art. 33(1) asks for reasons)."""
    incident = loaded.incident
    problems = []
    for clock in incident_clocks(incident, as_of, timezone):
        key = ("obligations", clock.obligation, "regime")
        what = f"{REGIME_TITLES[clock.regime]} {clock.report}"
        due = iso(clock.due)
        if clock.status == "missed":
            late = clock.note.split(";")[0] if clock.note else "missed"
            obligation = incident.obligations[clock.obligation]
            if clock.regime is Regime.GDPR and not (obligation.delay_reason or "").strip():
                problems.append(loaded.problem(
                    key, f"the {what} is late ({late}; it was due {due}) and the record gives no reason for the "
                         f"delay, which Art. 33(1) asks for: add obligations[{clock.obligation}].delay_reason"))
            else:
                problems.append(loaded.problem(key, f"clock missed: the {what} was due {due}; {late}",
                                               severity="warning"))
        elif clock.status == "due" and clock.left is not None and clock.left <= DUE_SOON:
            problems.append(loaded.problem(
                key, f"clock running out: the {what} is due {due}, in {format_span(clock.left)}", severity="warning"))
    return problems


def _claimed_days(number: float, unit: str, written: str) -> Quantity:
    """A written duration as the interval of day counts it can honestly stand for."""
    decimals = len(written.split(".")[1]) if "." in written else 0
    half_step = max(0.5 * 10 ** (-decimals), number * _DURATION_SLACK)
    per = _DURATION_UNITS[unit.lower()]
    return Quantity.between(max(0.0, (number - half_step) * per), (number + half_step) * per, unit="days")


def check_summary(loaded: LoadedIncident, metrics: IncidentMetrics, settings: Settings) -> list[Problem]:
    """Placeholders must exist; typed numbers must agree with, or at least match, a figure; the
    filled summary must read right (no doubled qualifier or word)."""
    summary = loaded.incident.summary
    if not summary:
        return []
    problems = []
    known = metrics.all()
    placeholders_ok = True
    from reporter.context import summary_problem
    from reporter.prose import CITATION

    for match in CITATION.finditer(summary):
        problem = summary_problem(loaded.incident, metrics, settings, match.group("scope"), match.group("name"),
                                  match.group("form"))
        if problem:
            placeholders_ok = False
            problems.append(loaded.problem(("summary",), problem))
    candidates = [q for q in known.values() if q.is_known]
    candidates += [a.figures[n].quantity for a in loaded.incident.actors for n in a.figures]
    for message, severity in prose_number_problems(CITATION.sub(" ", summary), [known["window_days"]],
                                                   candidates, settings, "summary"):
        problems.append(loaded.problem(("summary",), message, severity=severity))
    if placeholders_ok:
        from reporter.context import fill_summary
        from reporter.prose import reading_problems

        filled = fill_summary(loaded.incident, metrics, settings, set())
        problems += [loaded.problem(("summary",), f"in the summary, {message}") for message in
                     reading_problems(filled, settings.locale)]
    return problems


def check_prose(loaded: LoadedIncident, settings: Settings) -> list[Problem]:
    """The record's other prose -- title, actions, evidence, targets, attribution bases -- must
    read right too: no doubled qualifier or word (the summary is read by :func:`check_summary`)."""
    from reporter.prose import reading_problems

    incident = loaded.incident
    texts: list[tuple[tuple[str | int, ...], str]] = [(("title",), incident.title)]
    texts += [(("actions", n, "text"), a.text) for n, a in enumerate(incident.actions)]
    texts += [(("evidence", n, "text"), e.text) for n, e in enumerate(incident.evidence) if e.text]
    texts += [(("targets", n), t.text) for n, t in enumerate(incident.targets)]
    texts += [(("actors", n, "attribution", "basis", m), b.text) for n, a in enumerate(incident.actors)
              if a.attribution for m, b in enumerate(a.attribution.basis)]
    return [loaded.problem(key, message) for key, text in texts for message in reading_problems(text, settings.locale)]


def prose_number_problems(prose: str, windows: list[Quantity], candidates: list[Quantity], settings: Settings,
                          where: str) -> list[tuple[str, str]]:
    """Numbers typed into prose (citations already taken out), as (message, severity): a stated
    duration that no window of ``windows`` can be is an error; a number that matches no figure
    of ``candidates`` a warning. ``where`` names the prose ("summary", "body")."""
    problems: list[tuple[str, str]] = []
    claimed_spans = []
    known_windows = [w for w in windows if w.is_known]
    for match in _DURATION.finditer(prose):
        claimed_spans.append(match.span())
        number_text = match.group("n").replace(",", "")
        claim = _claimed_days(float(number_text), match.group("unit"), number_text)
        if not known_windows:
            continue
        if not any(_overlap(claim, window) for window in known_windows):
            shown = " or ".join(format_quantity(w, settings.locale, settings.sig_figs) for w in known_windows)
            problems.append((
                f"'{match.group(0).strip()}' contradicts the window of {shown} ({settings.convention} convention); "
                "cite it as {window_days}", "error"))
    for match in _FIGURE_IN_PROSE.finditer(prose):
        if any(start <= match.start() < end for start, end in claimed_spans):
            continue
        number = match.group("n")
        if _is_date_part(prose, match, number):
            continue
        try:
            typed = parse_quantity(f"{match.group('q') or ''}{number}{match.group('m') or ''}".strip())
        except ValueError:
            continue
        if not any(_overlap(_as_rounded(typed), candidate) for candidate in candidates):
            problems.append((
                f"the number '{match.group(0).strip()}' typed into the {where} matches no figure or metric; "
                "cite a figure as {name} so it is computed", "warning"))
    return problems


def _is_date_part(prose: str, match: re.Match[str], number: str) -> bool:
    """Years and days of month are not figures."""
    value = number.replace(",", "")
    if "." not in value and len(value) == 4 and 1900 <= int(value) <= 2200 and not match.group("m"):
        return True
    return bool(_DATE_CONTEXT.search(prose[: match.start()])) and not match.group("m")


def _as_rounded(typed: Quantity) -> Quantity:
    """A number typed in prose stands for anything that rounds to it (at its last digit)."""
    if typed.qualifier is not Qualifier.EXACT or typed.value is None:
        return typed
    value = typed.value
    magnitude = 1.0
    while value and value % (magnitude * 10) == 0 and magnitude < 1e12:
        magnitude *= 10
    return Quantity.between(max(0.0, value - magnitude / 2), value + magnitude / 2)


def _timeline_points(loaded: LoadedIncident) -> dict[str, tuple[When, tuple[str, ...]]]:
    incident = loaded.incident
    points: dict[str, tuple[When, tuple[str, ...]]] = {}
    if incident.window is not None:
        points["start"] = (incident.window.start, ("window", "start"))
    for name, event in incident.timeline.items():
        points[name] = (event.at, ("timeline", name))
    return points


def check_timeline(loaded: LoadedIncident) -> list[Problem]:
    """Known events must come in a sensible order; only certain reversals are reported."""
    points = _timeline_points(loaded)
    problems = []
    for earlier, later in TIMELINE_ORDER:
        if earlier in points and later in points:
            first, _ = points[earlier]
            second, key = points[later]
            if second.latest < first.earliest:
                label = "the window start" if earlier == "start" else f"'{earlier}'"
                problems.append(loaded.problem(key, f"'{later}' is before {label}; expected {earlier} ≤ {later}"))
    return problems


def errors_and_warnings(problems: Iterable[Problem]) -> tuple[int, int]:
    """Count errors and warnings."""
    problems = list(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    return errors, len(problems) - errors


def check_actor_names(collection: Collection) -> list[Problem]:
    """Warn where an actor's name looks like an earlier one but is written otherwise: probably the
    same actor, which breakdowns by actor would count twice (and a way to pass one off as another).

    Names look alike when their look-alike skeletons are equal (:func:`reporter.text.skeleton`),
    as written or case-folded. Names written identically are the same actor: no warning. The
    earlier name is the first written, in collection order; a name of another record is named
    by its place, never quoted.
    """
    problems = []
    first: dict[str, tuple[str, LoadedIncident, int]] = {}
    for loaded in collection.incidents:
        for index, actor in enumerate(loaded.incident.actors):
            name = actor.name
            keys = (skeleton(name), "\0" + skeleton(name.casefold()))
            earlier = next((first[key] for key in keys if key in first), None)
            for key in keys:
                first.setdefault(key, (name, loaded, index))
            if earlier is None or earlier[0] == name:
                continue
            other, other_loaded, other_index = earlier
            if other_loaded is loaded:
                where = f"actors[{other_index}].name"
            else:
                place = other_loaded.problem(("actors", other_index, "name"), "")
                where = f"{place.key} at {place.location()} (record {other_loaded.incident.id})"
            problems.append(loaded.problem(
                ("actors", index, "name"),
                f"probably the same actor as {where}: the names look alike, but {_difference(name, other)}; "
                "write them the same way",
                severity="warning",
            ))
    return problems


def _difference(name: str, other: str) -> str:
    """How a name differs from one that looks like it, by this name's characters only."""
    if name.casefold() == other.casefold():
        return "they differ in letter case"
    extra = [char for char in name if char not in other]
    if not extra:
        return "the other has characters this one has not"
    return f"this one has {describe(extra[0])}"
