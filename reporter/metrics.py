"""Metrics: what each incident's figures imply, and what a collection adds up to.

Every metric is a :class:`~reporter.quantities.Quantity`: qualified, soundly bounded, and
when it cannot be computed, unknown *with the reason* -- never NaN, infinity or a guess.
The window-length convention is an explicit parameter, named in every output.

Conventions (they are stated in every document's methodology appendix):

- ``window_days``: end − start under the convention (``elapsed``: April 22 → June 5 is 44
  days; ``inclusive``: both ends counted, 45).
- ``daily_rate`` = interactions ÷ window_days; ``per_account`` = interactions ÷ accounts;
  ``per_account_daily_rate`` = interactions ÷ accounts ÷ window_days.
- ``detection_lag_days`` = detected − window start; ``detection_to_report_days`` = reported −
  detected; ``awareness_to_report_days`` = reported − aware (two metrics, each named for what
  it measures); formerly one ``reporting_lag_days`` = reported −
  (aware, else detected), both elapsed days.
- Breakdowns by year, quarter and month put each incident in one period: its window start's,
  else its earliest timeline date's, else "unknown"; a partial date belongs to no finer
  period than it states. Each incident counts once, so the groups add up to the collection
  (:func:`period_rule` says so in ``reporter metrics``).
- Selecting by period is another rule (:func:`active_in`): an incident is in a period when
  it was active in it -- its window overlaps the period (for partial dates, when the span
  they can mean does), an ongoing window counting up to the as-of date; without a window,
  when a timeline event falls in the period.
- An ongoing window (no end) is measured to the as-of date when one is given (the document's
  date, ``reporter metrics --as-of``): ``window_days`` and the rates over it are computed to
  that day, and :attr:`IncidentMetrics.as_of` names it; without one they are not computable.
- A collection total sums the incidents that state the figure; when some do not, the
  total is a lower bound ("at least"), since each unstated figure is at least 0.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import orjson

from reporter.dates import Precision, When, WindowConvention, days_between, parse_when, window_days
from reporter.errors import DateError
from reporter.kinds import Breakdown
from reporter.quantities import PartialSum, Qualifier, Quantity, format_quantity, positional
from reporter.records import Incident


INCIDENT_METRICS = (
    "window_days",
    "daily_rate",
    "per_account",
    "per_account_daily_rate",
    "detection_lag_days",
    "detection_to_report_days",
    "awareness_to_report_days",
)
AS_OF_METRICS = ("window_days", "daily_rate", "per_account_daily_rate")
"""The metrics measured over the window: of an ongoing window, measured to the as-of date."""
BREAKDOWNS = tuple(breakdown.value for breakdown in Breakdown)
UNKNOWN_PERIOD = "unknown"


@dataclass(frozen=True)
class Settings:
    """How figures are computed and phrased.

    Attributes:
        convention: window-length convention (elapsed or inclusive).
        locale: Babel locale for phrases.
        sig_figs: significant figures in prose.
    """

    convention: WindowConvention = WindowConvention.ELAPSED
    locale: str = "en_US"
    sig_figs: int = 4


@dataclass
class TimelineRow:
    """One dated event, for the timeline table."""

    incident: str
    event: str
    when: When
    note: str | None = None


Span = tuple[int, int, int | None, int | None]
"""A window's possible days, as day ordinals (``date.toordinal``): earliest and latest start,
earliest and latest end (None: ongoing)."""


@dataclass
class IncidentMetrics:
    """An incident's stated figures, the metrics derived from them, and what a collection
    needs of the incident to add it in (so collections combine these, not the records)."""

    id: str
    figures: dict[str, Quantity]
    derived: dict[str, Quantity]
    category: str = ""
    periods: dict[str, str] = field(default_factory=dict)
    actors: list[tuple[str, dict[str, Quantity]]] = field(default_factory=list)
    span: Span | None = None
    timeline: list[TimelineRow] = field(default_factory=list)
    as_of: date | None = None
    """The day an ongoing window was measured to (its :data:`AS_OF_METRICS`); None when the
    window has an end, there is none, or no as-of date was given."""

    def all(self) -> dict[str, Quantity]:
        """Figures and metrics in one mapping (metrics after figures)."""
        return {**self.figures, **self.derived}

    def as_of_for(self, name: str) -> date | None:
        """The as-of date figure or metric ``name`` was measured to, or None when it depends on none."""
        return self.as_of if name in AS_OF_METRICS and name in self.derived and self.derived[name].is_known \
            else None


@dataclass
class Group:
    """One row of a breakdown: how many incidents, and their summed figures."""

    count: int
    figures: dict[str, Quantity]
    stated: dict[str, int] = field(default_factory=dict)
    """Per figure, how many of the ``count`` incidents state it."""


@dataclass
class CollectionMetrics:
    """Everything computed over a set of incidents."""

    settings: Settings
    incidents: dict[str, IncidentMetrics]
    count: int
    totals: dict[str, Quantity]
    breakdowns: dict[str, dict[str, Group]]
    active_days: Quantity
    peak_concurrency: Quantity
    timeline: list[TimelineRow] = field(default_factory=list)
    as_of: date | None = None
    """The day ongoing windows were measured to, if one was given."""
    ongoing: int = 0
    """How many of the incidents' windows are ongoing (measured to ``as_of`` when given)."""


def _not_computable(reason: str, unit: str | None) -> Quantity:
    return Quantity.unknown(reason, unit=unit)


def incident_metrics(incident: Incident, settings: Settings = Settings(), *,
                     as_of: date | None = None) -> IncidentMetrics:
    """Figures and derived metrics of one incident (see the module docstring for formulas).

    ``as_of``: the day an ongoing window is measured to (the result's ``as_of`` then names it);
    without it, an ongoing window's length and rates are not computable.
    """
    figures = {name: figure.quantity for name, figure in incident.figures.items()}
    derived: dict[str, Quantity] = {}
    window = incident.window
    measured_to = None
    if window is None:
        days = _not_computable("no window: needs a start and an end", "days")
    elif window.end is None:
        if as_of is None:
            days = _not_computable("the window is ongoing: it has no end date", "days")
        elif parse_when(as_of).latest < window.start.earliest:
            days = _not_computable(f"the window is ongoing and starts after the as-of date {as_of.isoformat()}",
                                   "days")
        else:
            days = window_days(window.start, parse_when(as_of), settings.convention)
            measured_to = as_of
    else:
        days = window_days(window.start, window.end, settings.convention)
    derived["window_days"] = days

    interactions = figures.get("interactions")
    accounts = figures.get("accounts")
    no_interactions = "no interactions figure"
    no_accounts = "no accounts figure"

    def rate(numerator: Quantity | None, denominator: Quantity, missing: str, unit: str) -> Quantity:
        if numerator is None:
            return _not_computable(missing, unit)
        if not denominator.is_known:
            return _not_computable(denominator.reason or "denominator not computable", unit)
        return (numerator / denominator).with_unit(unit)

    derived["daily_rate"] = rate(interactions, days, no_interactions, "per day")
    per_account = (
        rate(interactions, accounts, no_interactions, "per account")
        if accounts is not None
        else _not_computable(no_accounts, "per account")
    )
    derived["per_account"] = per_account
    derived["per_account_daily_rate"] = (
        rate(per_account, days, per_account.reason or no_interactions, "per account per day")
        if per_account.is_known
        else _not_computable(per_account.reason or no_accounts, "per account per day")
    )

    detected = incident.timeline_when("detected")
    if window is None or detected is None:
        derived["detection_lag_days"] = _not_computable(
            "no window start" if window is None else "no 'detected' date in the timeline", "days")
    else:
        derived["detection_lag_days"] = _lag(window.start, detected, "'detected' is before the window start")

    reported = incident.timeline_when("reported")
    aware = incident.timeline_when("aware")
    for name, start, event in (("detection_to_report_days", detected, "detected"),
                               ("awareness_to_report_days", aware, "aware")):
        if reported is None or start is None:
            derived[name] = _not_computable(
                "no 'reported' date in the timeline" if reported is None else f"no '{event}' date in the timeline",
                "days")
        else:
            derived[name] = _lag(start, reported, f"'reported' is before '{event}'")
    return IncidentMetrics(
        incident.id, figures, derived,
        category=incident.category,
        periods=period_keys(incident),
        actors=[(actor.name, {name: figure.quantity for name, figure in actor.figures.items()})
                for actor in incident.actors],
        span=None if window is None else (
            _days_of(window.start, "early"), _days_of(window.start, "late"),
            None if window.end is None else _days_of(window.end, "early"),
            None if window.end is None else _days_of(window.end, "late")),
        timeline=[TimelineRow(incident.id, name, event.at, event.note) for name, event in incident.timeline.items()],
        as_of=measured_to,
    )


def _lag(start: When, end: When, reversed_reason: str) -> Quantity:
    """Elapsed days between two events; events certainly out of order give no lag (check reports them)."""
    if end.latest < start.earliest:
        return _not_computable(reversed_reason, "days")
    return days_between(start, end)


PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
"""A figure or metric cited in a summary: ``{interactions}``, ``{daily_rate}``, ``{window}``.

Only a name in braces is a placeholder; other braces ("{{ 7 * 7 }}") are text."""


def placeholder_problem(name: str, metrics: IncidentMetrics, has_window: bool) -> str | None:
    """Why a summary placeholder cannot be filled, or None when it can.

    ``reporter check`` reports these and documents refuse them, with the same words.
    """
    known = metrics.all()
    if name == "window":
        return None if has_window else "{window} is cited, but the record has no window"
    if name not in known:
        return (f"placeholder {{{name}}} names no figure or metric "
                f"(expected one of {', '.join(sorted([*known, 'window']))})")
    if not known[name].is_known:
        return f"{{{name}}} is not computable ({known[name].reason})"
    return None


def period_keys(incident: Incident) -> dict[str, str]:
    """The year, quarter and month an incident belongs to (or "unknown")."""
    anchor = incident.window.start if incident.window else _earliest_timeline(incident)
    if anchor is None:
        return {"year": UNKNOWN_PERIOD, "quarter": UNKNOWN_PERIOD, "month": UNKNOWN_PERIOD}
    day = anchor.date
    month_known = anchor.precision is not Precision.YEAR
    return {
        "year": f"{day.year}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}" if month_known else UNKNOWN_PERIOD,
        "month": f"{day.year}-{day.month:02d}" if month_known else UNKNOWN_PERIOD,
    }


_PERIOD_RE = re.compile(r"(\d{4})(?:-Q([1-4])|-(\d{2}))?")


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first and last instant (UTC) of a year "2026", quarter "2026-Q2" or month "2026-05".

    Days are UTC calendar days, as everywhere in :mod:`reporter.dates`.

    Raises:
        DateError: not one of those forms, or no such month.
    """
    m = _PERIOD_RE.fullmatch(period.strip()) if isinstance(period, str) else None
    if m is None or (m[3] is not None and not 1 <= int(m[3]) <= 12):
        raise DateError(f'not a period: {period!r}: expected a year "2026", a quarter "2026-Q2" or a month "2026-05"')
    year = int(m[1])
    if m[2] is not None:
        first_month, last_month = 3 * int(m[2]) - 2, 3 * int(m[2])
    elif m[3] is not None:
        first_month = last_month = int(m[3])
    else:
        first_month, last_month = 1, 12
    first = parse_when(f"{year:04d}-{first_month:02d}")
    last = parse_when(f"{year:04d}-{last_month:02d}")
    return first.earliest, last.latest


def active_in(incident: Incident, period: str, *, as_of: date | datetime | None = None) -> bool:
    """Whether ``incident`` was active in ``period`` (a year "2026", quarter "2026-Q2" or month
    "2026-05"): the rule by which a brief's ``period`` selects incidents.

    - With a window: the window overlaps the period. A partial date stands for every day it
      can mean, so a window from 2026-03 overlaps 2026-Q1 and, when it ends in 2026-04 or
      later, 2026-Q2. An ongoing window (no end) is active from its start up to the end of
      ``as_of`` (a day, or an aware instant), or with no ``as_of`` in every period from its
      start on; one that starts after ``as_of`` is active in none.
    - Without a window: any timeline event falls in the period (a partial event date when
      the span it can mean overlaps it).
    - Neither: active in no period.

    Raises:
        DateError: ``period`` is not a year, quarter or month.
    """
    first, last = period_bounds(period)
    window = incident.window
    if window is None:
        return any(event.at.earliest <= last and event.at.latest >= first for event in incident.timeline.values())
    start = window.start.earliest
    if window.end is not None:
        end: datetime | None = window.end.latest
    elif as_of is None:
        end = None
    else:
        end = _as_of_instant(as_of)
        if end < start:
            return False
    return start <= last and (end is None or end >= first)


def _as_of_instant(as_of: date | datetime) -> datetime:
    """The last instant an as-of date covers (an aware datetime is itself)."""
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise DateError("an as-of datetime needs an offset such as Z or +02:00")
        return as_of.astimezone(UTC)
    return datetime.combine(as_of, time.max, UTC)


def period_rule(keys: Iterable[str]) -> str | None:
    """The line ``reporter metrics`` prints over its breakdowns by year, quarter or month,
    saying how incidents are put in periods (None when ``keys`` has no period)."""
    periods = [key for key in _PERIODS if key in keys]
    if not periods:
        return None
    named = periods[0] if len(periods) == 1 else ", ".join(periods[:-1]) + " and " + periods[-1]
    unit = periods[0] if len(periods) == 1 else "period"
    return (f"By {named}: each incident counts once, in the {unit} its window starts in (else that of its earliest "
            f"dated event), so the groups add up to the collection; a brief's period selects every incident active "
            f"in the {unit}, including those begun earlier.")


def as_of_rule(metrics: CollectionMetrics) -> str | None:
    """The line ``reporter metrics --as-of`` prints: which figures were measured to the date
    (None without an as-of date)."""
    if metrics.as_of is None:
        return None
    day = metrics.as_of.isoformat()
    if metrics.ongoing == 0:
        return f"As of {day}: no window is ongoing, so no figure depends on this date."
    if metrics.ongoing == 1:
        which, whose = "1 ongoing window is", "its"
    else:
        which, whose = f"{metrics.ongoing} ongoing windows are", "their"
    return (f"As of {day}: {which} measured to this date; {whose} window_days and rates are marked "
            f"\"as of {day}\", and active days and peak concurrency count {'it' if metrics.ongoing == 1 else 'them'} "
            "to this date.")


def _earliest_timeline(incident: Incident) -> When | None:
    dates = [event.at for event in incident.timeline.values()]
    return min(dates, key=lambda w: w.earliest) if dates else None


def _days_of(when: When, side: str) -> int:
    return (when.earliest if side == "early" else when.latest).toordinal()


def _active_day_spans(spans: Iterable[Span | None], as_of: date | None) -> tuple[list[tuple[int, int]], list[tuple[int, int]], bool]:
    """Spans certainly active (latest start → earliest end) and possibly active (earliest → latest)."""
    certain, possible = [], []
    open_ended = False
    today = None if as_of is None else as_of.toordinal()
    for span in spans:
        if span is None:
            continue
        start_early, start_late, end_early, end_late = span
        if end_early is None or end_late is None:
            if today is None:
                open_ended = True
                end_early = end_late = start_late
            else:
                if today < start_early:
                    continue  # not begun by the as-of date
                end_early = end_late = today
        possible.append((start_early, end_late))
        if start_late <= end_early:
            certain.append((start_late, end_early))
    return certain, possible, open_ended


def _union_days(spans: list[tuple[int, int]]) -> int:
    total, current_end = 0, None
    for start, end in sorted(spans):
        if current_end is not None and start <= current_end:
            if end > current_end:
                total += end - current_end
                current_end = end
        else:
            total += end - start + 1
            current_end = end
    return total


def _peak(spans: list[tuple[int, int]]) -> int:
    changes: dict[int, int] = defaultdict(int)
    for start, end in spans:
        changes[start] += 1
        changes[end + 1] -= 1
    peak = running = 0
    for day in sorted(changes):
        running += changes[day]
        if running > peak:
            peak = running
    return peak


def _bounded(low: int, high: int, open_ended: bool, unit: str | None) -> Quantity:
    if open_ended:
        return Quantity.at_least(low, unit=unit)
    if low == high:
        return Quantity.exact(low, unit=unit)
    return Quantity.between(low, high, unit=unit)


def collection_metrics(
    incidents: Iterable[Incident],
    settings: Settings = Settings(),
    *,
    actors: bool = True,
    as_of: date | None = None,
) -> CollectionMetrics:
    """Per-incident metrics, totals, breakdowns, active days, peak concurrency and the timeline.

    Args:
        incidents: the (already audience-filtered) incidents.
        settings: convention, locale and significant figures.
        actors: include the by-actor breakdown.
        as_of: the day ongoing windows are measured to: their ``window_days`` and rates, active
            days and peak concurrency; without it the first are not computable and the others
            lower bounds.
    """
    return combine_metrics([incident_metrics(i, settings, as_of=as_of) for i in incidents], settings, actors=actors,
                           as_of=as_of)


def combine_metrics(
    per_incident: list[IncidentMetrics],
    settings: Settings = Settings(),
    *,
    actors: bool = True,
    as_of: date | None = None,
) -> CollectionMetrics:
    """A collection's metrics from its incidents' (see :func:`collection_metrics`)."""
    return Tally.of(per_incident, actors=actors).finish(settings, {m.id: m for m in per_incident}, as_of=as_of)


_PERIODS = ("year", "quarter", "month")

_Sums = tuple[int, dict[str, PartialSum]]
"""A breakdown row in progress: how many incidents (or actor entries) it has, and the partial
sums of the figures they state."""


def _sums(figure_lists: list[dict[str, Quantity]], positions: list[Any]) -> _Sums:
    names = {name for figures in figure_lists for name in figures}
    sums = {}
    for name in names:
        stated, at = [], []
        for position, figures in zip(positions, figure_lists):
            q = figures.get(name)
            if q is not None:
                stated.append(q)
                at.append(position)
        sums[name] = PartialSum.of(stated, at)
    return len(figure_lists), sums


def _merge_sums(a: _Sums, b: _Sums) -> _Sums:
    sums = dict(a[1])
    for name, partial in b[1].items():
        sums[name] = sums[name].merge(partial) if name in sums else partial
    return a[0] + b[0], sums


def _group_of(members: int, sums: dict[str, PartialSum]) -> Group:
    """Sum what was stated; members that state nothing make the total a lower bound (each
    unstated figure is at least 0)."""
    figures = {}
    for name in sorted(sums):
        partial = sums[name]
        total = partial.result()
        if partial.count < members and total.is_known:
            total = _open_above(total)
        figures[name] = total
    return Group(count=members, figures=figures, stated={name: partial.count for name, partial in sums.items()})


def _open_above(total: Quantity) -> Quantity:
    """What the stated figures add up to, when other members state none: at least that much.

    The central figure stays where the stated ones put it, so that a total never reads smaller
    than a part: "about 25,000" and an incident without accounts total "about 25,000 or more",
    not "at least 23,750".
    """
    low = 0.0 if total.low is None else total.low
    value = total.value if total.value is not None else low
    if total.qualifier is Qualifier.OVER or total.low_strict:
        qualifier = Qualifier.OVER
    else:
        qualifier = Qualifier.AT_LEAST
    return Quantity(qualifier, value, low, None, total.unit, None, total.low_strict, False,
                    total.approximate or total.qualifier is Qualifier.ABOUT, total.sig)


def _row_order(key: str) -> Callable[[str], tuple[bool, str]]:
    """Breakdown rows by name, the "unknown" period last (an actor may be called "unknown")."""
    if key == "actor":
        return lambda name: (False, name)
    return lambda name: (name == UNKNOWN_PERIOD, name)


def _timeline_order(row: TimelineRow) -> tuple:
    return row.when.earliest, row.incident, row.event


@dataclass
class Tally:
    """What a collection's metrics are summed up from, kept exact so that the tallies of any
    parts of a collection merge, in any order, into the tally of the whole.

    Each process that reads part of a large collection tallies what it read and sends the
    plain form; the parent merges them and finishes: ``combine_metrics(incidents)`` is
    ``Tally.of(part, positions=...)`` of the parts, merged, then finished. Each incident's
    position in the collection goes with its figures, so that an unknown sum still gives the
    reason of the first unknown figure in collection order.

    Attributes:
        count: incidents tallied.
        totals: the sums over all of them.
        groups: breakdown ("category", "year", "quarter", "month", and "actor" when actors are
            tallied) → row name → its sums.
        spans: the windows' possible days (for active days and peak concurrency).
        timeline: every dated event (sorted when finished).
    """

    count: int
    totals: _Sums
    groups: dict[str, dict[str, _Sums]]
    spans: list[Span]
    timeline: list[TimelineRow]

    @classmethod
    def of(cls, per_incident: list[IncidentMetrics], *, actors: bool = True,
           positions: Sequence[Any] | None = None) -> Tally:
        """The tally of these incidents.

        ``positions``: each incident's position in the collection, increasing (any comparable
        values, e.g. file and record number); by default 0, 1, 2 and so on.
        """
        if positions is None:
            positions = range(len(per_incident))
        keys = ("category", *_PERIODS)
        # The order of summands changes nothing but an unknown sum's reason (positions settle
        # that), so incidents alike in every key are summed once, and each breakdown row (and
        # the totals) merges those sums.
        alike: dict[tuple[str, ...], tuple[list[Any], list[dict[str, Quantity]]]] = {}
        by_actor: dict[str, tuple[list[Any], list[dict[str, Quantity]]]] = {}
        for position, m in zip(positions, per_incident, strict=True):
            periods = m.periods
            members = alike.setdefault((m.category, periods["year"], periods["quarter"], periods["month"]), ([], []))
            members[0].append(position)
            members[1].append(m.figures)
            if actors:
                for name, actor_figures in m.actors:
                    entries = by_actor.setdefault(name, ([], []))
                    entries[0].append(position)
                    entries[1].append(actor_figures)
        partials = [(key, _sums(figure_lists, at)) for key, (at, figure_lists) in alike.items()]
        groups: dict[str, dict[str, _Sums]] = {}
        for index, key in enumerate(keys):
            rows: dict[str, _Sums] = {}
            for values, sums in partials:
                name = values[index]
                rows[name] = _merge_sums(rows[name], sums) if name in rows else sums
            groups[key] = rows
        totals: _Sums = (0, {})
        for _, sums in partials:
            totals = _merge_sums(totals, sums)
        if actors:
            groups["actor"] = {name: _sums(figure_lists, at) for name, (at, figure_lists) in by_actor.items()}
        return cls(
            count=len(per_incident),
            totals=totals,
            groups=groups,
            spans=[m.span for m in per_incident if m.span is not None],
            timeline=[row for m in per_incident for row in m.timeline],
        )

    def merge(self, other: Tally) -> Tally:
        """The tally of this part of a collection and ``other``."""
        groups = {}
        for key in [*self.groups, *(k for k in other.groups if k not in self.groups)]:
            rows = dict(self.groups.get(key, {}))
            for name, sums in other.groups.get(key, {}).items():
                rows[name] = _merge_sums(rows[name], sums) if name in rows else sums
            groups[key] = rows
        return Tally(self.count + other.count, _merge_sums(self.totals, other.totals), groups,
                     self.spans + other.spans, self.timeline + other.timeline)

    def finish(self, settings: Settings, incidents: dict[str, IncidentMetrics], *,
               as_of: date | None = None) -> CollectionMetrics:
        """The collection's metrics.

        ``incidents``: the incidents' own metrics, where they were kept. Processes that tally a
        share of a large collection also phrase its incidents, and then this is empty (``count``
        still counts every incident).
        """
        breakdowns = {
            key: {name: _group_of(*self.groups[key][name]) for name in sorted(self.groups[key], key=_row_order(key))}
            for key in ("category", *_PERIODS, "actor") if key in self.groups
        }
        certain, possible, open_ended = _active_day_spans(self.spans, as_of)
        return CollectionMetrics(
            settings=settings,
            incidents=incidents,
            count=self.count,
            totals=_group_of(*self.totals).figures,
            breakdowns=breakdowns,
            active_days=_bounded(_union_days(certain), _union_days(possible), open_ended, "days"),
            peak_concurrency=_bounded(_peak(certain), _peak(possible), open_ended, None),
            timeline=sorted(self.timeline, key=_timeline_order),
            as_of=as_of,
            ongoing=sum(1 for span in self.spans if span[2] is None),
        )

    def to_plain(self) -> tuple:
        """Plain tuples, numbers and strings (``marshal`` carries them between processes)."""
        def sums(s: _Sums) -> tuple:
            return s[0], {name: partial.to_plain() for name, partial in s[1].items()}

        return (
            self.count, sums(self.totals),
            {key: {name: sums(s) for name, s in rows.items()} for key, rows in self.groups.items()},
            self.spans,
            # Sorted here, so that merging the parts' rows in the parent is one quick pass.
            [(row.incident, row.event, row.when.text, row.note) for row in sorted(self.timeline, key=_timeline_order)],
        )

    @classmethod
    def from_plain(cls, plain: tuple) -> Tally:
        """Rebuild what :meth:`to_plain` made."""
        count, totals, groups, spans, timeline = plain

        def sums(s: tuple) -> _Sums:
            return s[0], {name: PartialSum.from_plain(partial) for name, partial in s[1].items()}

        return cls(
            count, sums(totals),
            {key: {name: sums(s) for name, s in rows.items()} for key, rows in groups.items()},
            [tuple(span) for span in spans],  # type: ignore[misc]
            [TimelineRow(incident, event, parse_when(text), note) for incident, event, text, note in timeline],
        )


def quantity_json(q: Quantity, settings: Settings) -> dict[str, Any]:
    """The stable JSON form of a quantity (see README, "Metrics JSON")."""
    plain = q.as_dict()
    for key in ("value", "low", "high"):
        x = plain[key]
        if type(x) is float and x != 0 and -1e-4 < x < 1e-4:
            # JSON writers switch to exponents here; the README's number form does not.
            plain[key] = PlainNumber(positional(x))
    plain["phrase"] = format_quantity(q, settings.locale, settings.sig_figs)
    return plain


def incident_json(metrics: IncidentMetrics, settings: Settings) -> dict[str, Any]:
    """One incident's entry in the metrics JSON: its figures and metrics; those measured to the
    as-of date (an ongoing window's) also carry ``"as_of": "YYYY-MM-DD"``."""
    entry = {name: quantity_json(q, settings) for name, q in metrics.all().items()}
    if metrics.as_of is not None:
        for name in AS_OF_METRICS:
            if metrics.as_of_for(name) is not None:
                entry[name]["as_of"] = metrics.as_of.isoformat()
    return entry


def metrics_json(metrics: CollectionMetrics, incidents: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The stable JSON interface of ``reporter metrics --format json``.

    ``incidents``: the entries of :func:`incident_json` to use instead of making them from
    ``metrics.incidents`` (:func:`metrics_json_text` passes ``{}`` and splices in the text that
    worker processes wrote).
    """
    settings = metrics.settings

    def group_json(group: Group) -> dict[str, Any]:
        return {"count": group.count, **{name: quantity_json(q, settings) for name, q in group.figures.items()}}

    collection: dict[str, Any] = {
        "count": metrics.count,
        "totals": {name: quantity_json(q, settings) for name, q in metrics.totals.items()},
    }
    for key in BREAKDOWNS:
        if key in metrics.breakdowns:
            collection[f"by_{key}"] = {name: group_json(g) for name, g in metrics.breakdowns[key].items()}
    collection["active_days"] = quantity_json(metrics.active_days, settings)
    collection["peak_concurrency"] = quantity_json(metrics.peak_concurrency, settings)
    collection["timeline"] = [
        {"incident": row.incident, "event": row.event, "date": row.when.text, "note": row.note}
        for row in metrics.timeline
    ]
    return {
        "convention": {"window": str(settings.convention)},
        **({} if metrics.as_of is None else {"as_of": metrics.as_of.isoformat()}),
        "incidents": incidents if incidents is not None else {
            incident_id: incident_json(m, settings) for incident_id, m in metrics.incidents.items()
        },
        "collection": collection,
    }


def incidents_json(entries: dict[str, dict[str, Any]]) -> str:
    """Incidents' entries (:func:`incident_json`) as members of the metrics JSON's "incidents"
    object, laid out as :func:`metrics_json_text` lays out the whole document; "" for none.

    Worker processes write their share of a large collection's incidents this way, and only
    the text travels.
    """
    if not entries:
        return ""
    text = dumps_json({"incidents": entries})  # '{\n  "incidents": {\n    "a": ...\n  }\n}'
    return text[text.index("{", 1) + 2:-len("\n  }\n}")]


_INCIDENTS_SLOT = '\n  "incidents": {},\n'


def metrics_json_text(metrics: CollectionMetrics, incidents: list[str] | None = None) -> str:
    """The metrics JSON document as ``reporter metrics --format json`` prints it.

    ``incidents``: the "incidents" members as :func:`incidents_json` wrote them for consecutive
    shares of the collection, if already written (by worker processes).
    """
    if incidents is None:
        return dumps_json(metrics_json(metrics)) + "\n"
    text = dumps_json(metrics_json(metrics, {}))
    at = text.index(_INCIDENTS_SLOT)
    members = ",\n".join(part for part in incidents if part)
    body = "{\n" + members + "\n  }" if members else "{}"
    return f'{text[:at]}\n  "incidents": {body},\n{text[at + len(_INCIDENTS_SLOT):]}\n'


def dumps_json(data: Any) -> str:
    """``data`` as JSON indented by two spaces, non-ASCII text kept as it is.

    The layout of ``json.dumps(data, indent=2, ensure_ascii=False)`` (orjson writes it some
    twenty times faster, which matters for the 10^5 small mappings of a large collection),
    except that floats below 10^-4 are written without an exponent (``0.00001``, not ``1e-05``).
    Values orjson does not take (integers beyond 64 bits, non-string keys) go to :func:`json.dumps`.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=_as_fragment).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(data, indent=2, ensure_ascii=False, default=_as_float)


class PlainNumber:
    """A number's JSON text, written as it is (see :func:`~reporter.quantities.positional`)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainNumber) and other.text == self.text or other == float(self.text)

    def __hash__(self) -> int:
        return hash(float(self.text))


def _as_fragment(value: Any) -> Any:
    if isinstance(value, PlainNumber):
        return orjson.Fragment(value.text.encode("ascii"))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _as_float(value: Any) -> Any:
    # json.dumps cannot write raw digits: it gets the float they stand for.
    if isinstance(value, PlainNumber):
        return float(value.text)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
