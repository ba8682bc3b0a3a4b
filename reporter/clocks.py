"""Regulatory clocks: every report an incident owes, when it is due, and whether it was made in time.

A record names the regimes that apply to it (``obligations``); each regime's reports run from
timeline events under the rule's text:

================  ==========================  ================================================
regime            report                      due
================  ==========================  ================================================
gdpr-33           notification                72 hours after ``aware`` (Art. 33(1))
nis2              early-warning               24 hours after ``aware`` (Art. 23(4)(a))
nis2              notification                72 hours after ``aware`` (Art. 23(4)(b))
nis2              final-report                one month after the notification was made
                                              (Art. 23(4)(d)); if the incident is still ongoing
                                              then, a progress-report is due then and the
                                              final-report one month after ``resolved`` (e)
sec-8k-1.05       form-8k                     four business days after
                                              ``materiality_determined``, by 5:30 pm Eastern
ai-act-73         serious-incident-report     15 days after ``aware``; 10 for a death; 2 for a
                                              widespread infringement or critical infrastructure
gpai-cop-9.3      initial-report              2, 5, 10 or 15 days after ``aware`` by type
gpai-cop-9.3      intermediate-report         every four weeks after the initial report while
                                              unresolved
gpai-cop-9.3      final-report                60 days after ``resolved``
circia            covered-cyber-incident      72 hours after ``reasonable_belief`` (else
                                              ``aware``); proposed rule, not yet in force
circia            ransom-payment              24 hours after ``ransom_paid`` (only when paid)
================  ==========================  ================================================

A report is *met* by the earliest disclosure made under its regime that names it (a disclosure
naming no report makes the regime's first) at or before the due time, *missed* when that
disclosure came later or none came by ``as_of``, *due* while time is left, and *cannot-start*
when the event it runs from is missing or known only to the month or year.

Times: a datetime is the instant written. A date without a time counts from the start of that
day in the organisation's time zone (``documents.timezone``), and the clock's note says so. Days
are whole days of 24 hours from the start (the earlier reading of a period "of N days"); a month
is the same time of day on the same day of the next month (its last day when shorter). Form 8-K
days are business days (not Saturdays, Sundays or US federal holidays, observed, from the
``holidays`` package), and a filing submitted after 5:30 pm Eastern is dated the next business
day, as EDGAR dates it.
"""

from __future__ import annotations

import calendar
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from reporter.dates import Precision, When, parse_when
from reporter.errors import DateError
from reporter.words import ENGLISH
from reporter.models import REPORTS, Disclosure, Incident, Obligation, Regime, Sensitivity

__all__ = [
    "Clock",
    "MetBy",
    "REGIME_TITLES",
    "clocks_json",
    "clocks_table",
    "format_span",
    "incident_clocks",
    "collection_clocks",
    "parse_as_of",
]

EASTERN = ZoneInfo("America/New_York")
EDGAR_CUTOFF = time(17, 30)
"""Regulation S-T Rule 13(a)(2): a filing submitted after 5:30 pm Eastern is filed the next business day."""
MAX_INTERMEDIATE = 60
"""Intermediate reports listed at most for one incident (about four and a half years of them)."""

REGIME_TITLES: dict[Regime, str] = {regime: ENGLISH.clocks[f"regime:{regime.value}"] for regime in Regime}
"""How documents and messages name each regime."""

AI_ACT_DAYS = {"death": 10, "widespread-infringement": 2, "critical-infrastructure": 2, "serious-harm": 15}
GPAI_DAYS = {"critical-infrastructure": 2, "cybersecurity-breach": 5, "death": 10, "serious-harm": 15}


def basis_text(key: str, days: int | None = None, locale: str = "en_US") -> str:
    """The rule a clock follows (``basis:`` words of :mod:`reporter.words`), in ``locale``'s language."""
    from reporter.i18n import fill
    from reporter.words import words_for

    return fill(words_for(locale).clocks[f"basis:{key}"], locale, days=days)


CIRCIA_STATUS = ENGLISH.clocks["circia_status"]


@dataclass(frozen=True)
class Why:
    """Why a clock cannot start, for documents to phrase: ``kind`` is no_event, month, year (the
    event is known only to that), later (it has not happened as of then), notification (the clock
    it runs from cannot start) or unresolved; ``events`` the timeline events concerned; ``date``
    the event's date as written (month and year only: a later date is never told)."""

    kind: str
    events: tuple[str, ...] = ()
    date: str = ""


@dataclass(frozen=True)
class MetBy:
    """The disclosure that made a report."""

    date: str
    to: str
    reference: str | None
    index: int
    """Its place in the record's ``disclosures``."""


@dataclass(frozen=True)
class Clock:
    """One report an incident owes under one regime, and where it stands.

    Attributes:
        incident: the record's id.
        regime: the regime's name (gdpr-33, nis2, ...).
        report: which of the regime's reports.
        from_event: the timeline event the clock runs from (None when it runs from a report).
        start: when the clock started (None: it cannot start).
        due: when the report is due (None: it cannot start).
        status: met, missed, due or cannot-start.
        met_by: the disclosure that made the report in time (met only).
        basis: the rule the clock follows.
        note: how long it was missed by or is left, what is missing, how dates were read.
        obligation: the record's obligation the clock belongs to (its place in ``obligations``).
        filed: when the report was made (the disclosure's time as counted), if it was.
        late_by, left: how late it was made or is; how much time is left at ``as_of``.
    """

    incident: str
    regime: Regime
    report: str
    from_event: str | None
    start: datetime | None
    due: datetime | None
    status: str
    met_by: MetBy | None
    basis: str
    note: str | None
    obligation: int = 0
    filed: datetime | None = None
    filed_by: MetBy | None = None
    late_by: timedelta | None = None
    left: timedelta | None = None
    after: str | None = None
    """The report the clock runs from, when it runs from none of the timeline's events."""
    basis_key: str = ""
    """Which rule (the ``basis:`` words): documents phrase ``basis`` in their language from it."""
    basis_days: int | None = None
    why: Why | None = None
    """Why it cannot start (cannot-start only)."""
    late_business_days: int | None = None
    at_least: bool = False
    """Missed by at least ``late_by``: the disclosure is dated by its day alone."""

    def as_dict(self) -> dict:
        """The clock as the stable JSON interface writes it (see the README)."""
        return {
            "incident": self.incident,
            "regime": self.regime.value,
            "report": self.report,
            "from_event": self.from_event,
            "from": iso(self.start),
            "due": iso(self.due),
            "status": self.status,
            "met_by": None if self.met_by is None else {"date": self.met_by.date, "to": self.met_by.to,
                                                        "reference": self.met_by.reference},
            "basis": self.basis,
            "note": self.note,
        }


def iso(moment: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC, to the second: ``2026-03-18T16:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=32)
def zone(name: str) -> tzinfo:
    """The time zone of an IANA name (``documents.timezone``)."""
    return UTC if name == "UTC" else ZoneInfo(name)


def parse_as_of(text: str, timezone: str = "UTC") -> datetime:
    """``--as-of``: an ISO datetime with offset, or a date (the start of that day in ``timezone``).

    Raises:
        DateError: neither, or a datetime without offset.
    """
    when = parse_when(text)
    if when.precision is Precision.DATETIME:
        return when.earliest
    if when.precision is not Precision.DAY:
        raise DateError("expected a date (2026-03-19) or a datetime with offset (2026-03-19T09:00:00Z)")
    return datetime.combine(when.date, time.min, zone(timezone))


def format_span(span: timedelta) -> str:
    """A length of time in days, hours and minutes, in English: "8 hours", "1 day 7 hours 59 minutes", "0 minutes"
    (:func:`span_words` in any language)."""
    return span_words(span, "en_US")


# -- reading times --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moment:
    at: datetime | None
    note: str | None  # how it was read ("no time: ..."), or why it cannot be used
    why: Why | None = None  # why it cannot be used, for documents


def _moment(when: When, what: str, tz: tzinfo, tz_name: str, event: str = "") -> _Moment:
    if when.precision is Precision.DATETIME:
        return _Moment(when.earliest, None)
    if when.precision is Precision.DAY:
        return _Moment(datetime.combine(when.date, time.min, tz),
                       f"{what} has no time: counted from the start of {when.text} ({tz_name}, documents.timezone)")
    return _Moment(None, f"{what} is known only to the {when.precision.value} ({when.text}): a clock needs its day",
                   Why(when.precision.value, (event,), when.text))


def _add_months(moment: datetime, months: int, tz: tzinfo) -> datetime:
    """The same time of day on the same day ``months`` later, in ``tz`` (the last day of a shorter month)."""
    local = moment.astimezone(tz)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return datetime.combine(date(year, month, day), local.timetz().replace(tzinfo=None), tz)


def _add_days(moment: datetime, days: int) -> datetime:
    return moment + timedelta(days=days)


@functools.lru_cache(maxsize=16)
def _us_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.US(observed=True, years=year))


def is_business_day(day: date) -> bool:
    """Not a Saturday, a Sunday or a US federal holiday (as observed): an SEC business day."""
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def business_days_after(day: date, count: int) -> date:
    """The ``count``-th business day after ``day``."""
    while count:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def edgar_date(moment: datetime) -> date:
    """The filing date EDGAR gives a submission at ``moment``: its Eastern date, or the next business
    day when submitted after 5:30 pm Eastern or on a day that is not a business day."""
    local = moment.astimezone(EASTERN)
    day = local.date()
    if local.time() > EDGAR_CUTOFF or not is_business_day(day):
        day = business_days_after(day, 1)
    return day


# -- the clocks -----------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    incident: Incident
    as_of: datetime
    tz: tzinfo
    tz_name: str
    index: int  # the obligation's place in the record


def _filings(ctx: _Context, regime: Regime, report: str) -> list[tuple[int, Disclosure]]:
    """The disclosures under ``regime`` that make ``report`` by ``as_of``, earliest first."""
    found = [(n, d) for n, d in enumerate(ctx.incident.disclosures)
             if d.regime is regime and report in d.reports and _counted(d, ctx) <= ctx.as_of]
    return sorted(found, key=lambda pair: (_counted(pair[1], ctx), pair[0]))


def _counted(disclosure: Disclosure, ctx: _Context) -> datetime:
    """When a disclosure counts as made (a date without a time: the start of that day in the time zone)."""
    return _moment(disclosure.date, "", ctx.tz, ctx.tz_name).at or disclosure.date.earliest


def _met_by(index: int, disclosure: Disclosure) -> MetBy:
    return MetBy(date=disclosure.date.text, to=disclosure.to, reference=disclosure.reference, index=index)


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def _clock(ctx: _Context, regime: Regime, report: str, from_event: str | None, start: datetime | None,
           due: datetime | None, basis: str, notes: Sequence[str | None] = (), *,
           filings: list[tuple[int, Disclosure]] | None = None, business: bool = False,
           after: str | None = None, days: int | None = None, why: Why | None = None) -> Clock:
    """A clock's status against the disclosures that make its report; ``basis`` is the key of its
    rule (``basis:`` words), ``days`` the number of days the rule gives, where it says."""
    incident = ctx.incident
    common = dict(incident=incident.id, regime=regime, report=report, from_event=from_event, start=start, due=due,
                  basis=basis_text(basis, days), basis_key=basis, basis_days=days, obligation=ctx.index, after=after)
    if start is None or due is None:
        return Clock(status="cannot-start", met_by=None, note=_join(*notes), why=why, **common)
    filings = _filings(ctx, regime, report) if filings is None else filings
    if filings:
        index, disclosure = filings[0]
        moment = _moment(disclosure.date, f"disclosures[{index}]", ctx.tz, ctx.tz_name)
        made = _met_by(index, disclosure)
        filed = _counted(disclosure, ctx)
        read = None if business else moment.note
        if business:
            on_time = edgar_date(filed) <= due.astimezone(EASTERN).date() if disclosure.date.precision is \
                Precision.DATETIME else disclosure.date.date <= due.astimezone(EASTERN).date()
        else:
            on_time = filed <= due
        if on_time:
            return Clock(status="met", met_by=made, note=_join(*notes, read), filed=filed, filed_by=made, **common)
        if business:
            filed_day = edgar_date(filed) if disclosure.date.precision is Precision.DATETIME else disclosure.date.date
            late = _business_days_between(due.astimezone(EASTERN).date(), filed_day)
            span = f"{late} business day{'' if late == 1 else 's'}"
            late_by = filed - due
            common["late_business_days"] = late
        else:
            late_by = filed - due
            # A disclosure dated by its day alone is counted from that day's start: it was at
            # least that late, and may have been later.
            span = format_span(late_by) if disclosure.date.precision is Precision.DATETIME else \
                f"at least {format_span(late_by)}"
            common["at_least"] = disclosure.date.precision is not Precision.DATETIME
        what = f"missed by {span}: made {disclosure.date.text} (disclosures[{index}], {disclosure.to})"
        return Clock(status="missed", met_by=None, note=_join(what, *notes, read), filed=filed, filed_by=made,
                     late_by=late_by, **common)
    if ctx.as_of <= due:
        left = due - ctx.as_of
        return Clock(status="due", met_by=None, note=_join(f"due in {format_span(left)}", *notes), left=left,
                     **common)
    late_by = ctx.as_of - due
    what = f"missed by {format_span(late_by)} so far: no disclosure under {regime.value} makes the {report}"
    return Clock(status="missed", met_by=None, note=_join(what, *notes), late_by=late_by, **common)


def _business_days_between(due: date, filed: date) -> int:
    count, day = 0, due
    while day < filed:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


def _event(ctx: _Context, *names: str) -> tuple[str, _Moment | None]:
    """The first of ``names`` in the timeline, read as a moment; the first name and None when none is there."""
    for name in names:
        when = ctx.incident.timeline_when(name)
        if when is not None:
            moment = _moment(when, f"'{name}'", ctx.tz, ctx.tz_name, name)
            if moment.at is not None and moment.at > ctx.as_of:  # it has not happened yet, as of then
                # As of then it has not happened: a document never tells of a later date.
                return name, _Moment(None, f"'{name}' comes after the as-of time",
                                     Why("unresolved", (name,)) if name == "resolved" else Why("later", (name,)))
            return name, moment
    return names[0], None


def _from_event(ctx: _Context, regime: Regime, report: str, basis: str, names: tuple[str, ...],
                due: Callable[[datetime], datetime], extra: Sequence[str | None] = (), days: int | None = None) -> Clock:
    name, moment = _event(ctx, *names)
    if moment is None:
        missing = " or ".join(f"'{n}'" for n in names)
        return _clock(ctx, regime, report, name, None, None, basis,
                      [f"cannot start: no {missing} event in the timeline", *extra], days=days,
                      why=Why("no_event", names))
    if moment.at is None:
        return _clock(ctx, regime, report, name, None, None, basis, [f"cannot start: {moment.note}", *extra],
                      days=days, why=moment.why)
    return _clock(ctx, regime, report, name, moment.at, due(moment.at), basis, [*extra, moment.note], days=days)


def _gdpr(ctx: _Context, obligation: Obligation) -> list[Clock]:
    return [_from_event(ctx, Regime.GDPR, "notification", "gdpr-33:notification", ("aware",),
                        lambda t: t + timedelta(hours=72))]


def _nis2(ctx: _Context, obligation: Obligation) -> list[Clock]:
    regime = Regime.NIS2
    early = _from_event(ctx, regime, "early-warning", "nis2:early-warning", ("aware",),
                        lambda t: t + timedelta(hours=24))
    notification = _from_event(ctx, regime, "notification", "nis2:notification", ("aware",),
                               lambda t: t + timedelta(hours=72))
    clocks = [early, notification]
    final_basis = "nis2:final-report"
    if notification.due is None:
        clocks.append(_clock(ctx, regime, "final-report", None, None, None, final_basis,
                             ["cannot start: the incident notification's clock cannot start"],
                             why=Why("notification")))
        return clocks
    if notification.filed is not None:
        start, how = notification.filed, None
    else:
        start = notification.due
        how = ("counted from the notification's due time, as no notification is recorded; it moves with the "
               "notification")
    deadline = _add_months(start, 1, ctx.tz)
    resolved_name, resolved = _event(ctx, "resolved")
    resolved_at = resolved.at if resolved is not None else None
    if resolved_at is not None and resolved_at <= deadline:
        clocks.append(_clock(ctx, regime, "final-report", None, start, deadline, final_basis,
                             [how, resolved.note if resolved else None], after="notification"))
        return clocks
    progress = _clock(ctx, regime, "progress-report", None, start, deadline, "nis2:progress-report", [how],
                      after="notification")
    clocks.append(progress)
    final_after = "nis2:final-report-after-progress"
    if resolved is None or resolved_at is None:
        reason = resolved.note if resolved is not None else "no 'resolved' event in the timeline (still ongoing)"
        clocks.append(_clock(ctx, regime, "final-report", resolved_name, None, None, final_after,
                             [f"cannot start: {reason}"], why=_unresolved(resolved)))
    else:
        clocks.append(_clock(ctx, regime, "final-report", resolved_name, resolved_at,
                             _add_months(resolved_at, 1, ctx.tz), final_after, [resolved.note]))
    return clocks


def _sec(ctx: _Context, obligation: Obligation) -> list[Clock]:
    basis = "sec-8k-1.05:form-8k"
    name, moment = _event(ctx, "materiality_determined")
    if moment is None or moment.at is None:
        reason = moment.note if moment is not None else "no 'materiality_determined' event in the timeline"
        why = moment.why if moment is not None else Why("no_event", (name,))
        return [_clock(ctx, Regime.SEC_8K, "form-8k", name, None, None, basis, [f"cannot start: {reason}"], why=why)]
    when = ctx.incident.timeline_when(name)
    day = when.date if when.precision is Precision.DAY else moment.at.astimezone(EASTERN).date()
    due = datetime.combine(business_days_after(day, 4), EDGAR_CUTOFF, EASTERN)
    note = (f"{moment.note}; business days count from that day" if moment.note else None)
    start = moment.at if when.precision is Precision.DATETIME else datetime.combine(day, time.min, ctx.tz)
    return [_clock(ctx, Regime.SEC_8K, "form-8k", name, start, due, basis, [note], business=True)]


def _ai_act(ctx: _Context, obligation: Obligation) -> list[Clock]:
    severity = obligation.severity or "serious-harm"
    days = AI_ACT_DAYS[severity]
    return [_from_event(ctx, Regime.AI_ACT, "serious-incident-report", f"ai-act-73:{severity}", ("aware",),
                        lambda t: _add_days(t, days), [f"severity {severity}: {days} days"], days=days)]


def _gpai(ctx: _Context, obligation: Obligation) -> list[Clock]:
    regime = Regime.GPAI_COP
    severity = obligation.severity or "serious-harm"
    days = GPAI_DAYS[severity]
    initial = _from_event(ctx, regime, "initial-report", f"gpai-cop-9.3:initial-report:{severity}", ("aware",),
                          lambda t: _add_days(t, days), [f"severity {severity}: {days} days"], days=days)
    clocks = [initial]
    resolved_name, resolved = _event(ctx, "resolved")
    resolved_at = resolved.at if resolved is not None else None
    interim_basis = "gpai-cop-9.3:intermediate-report"
    if initial.due is not None:
        # Each intermediate report is due four weeks after the report before it was made (or,
        # where that one was not made, after its due time), until the incident is resolved.
        previous = initial.filed or initial.due
        filings = _filings(ctx, regime, "intermediate-report")
        used: set[int] = set()
        for number in range(1, MAX_INTERMEDIATE + 1):
            due = previous + timedelta(weeks=4)
            if resolved_at is not None and resolved_at <= due:
                break
            later = [(n, d) for n, d in filings if n not in used and _counted(d, ctx) > previous]
            clock = _clock(ctx, regime, "intermediate-report", None, previous, due, interim_basis,
                           [f"intermediate report {number}, four weeks after the report before it"],
                           filings=later[:1], after="previous report")
            clocks.append(clock)
            if clock.filed_by is not None and clock.filed is not None:
                used.add(clock.filed_by.index)
                previous = clock.filed
            elif clock.status == "due":
                break
            else:
                previous = due
    final_basis = "gpai-cop-9.3:final-report"
    if resolved is None or resolved_at is None:
        reason = resolved.note if resolved is not None else "no 'resolved' event in the timeline (unresolved)"
        clocks.append(_clock(ctx, regime, "final-report", resolved_name, None, None, final_basis,
                             [f"cannot start: {reason}"], why=_unresolved(resolved)))
    else:
        clocks.append(_clock(ctx, regime, "final-report", resolved_name, resolved_at, _add_days(resolved_at, 60),
                             final_basis, [resolved.note]))
    return clocks


def _circia(ctx: _Context, obligation: Obligation) -> list[Clock]:
    regime = Regime.CIRCIA
    clocks = [_from_event(ctx, regime, "covered-cyber-incident", "circia:covered-cyber-incident",
                          ("reasonable_belief", "aware"), lambda t: t + timedelta(hours=72), [CIRCIA_STATUS])]
    if ctx.incident.timeline_when("ransom_paid") is not None:
        clocks.append(_from_event(ctx, regime, "ransom-payment", "circia:ransom-payment", ("ransom_paid",),
                                  lambda t: t + timedelta(hours=24), [CIRCIA_STATUS]))
    return clocks


def _unresolved(resolved: _Moment | None) -> Why:
    """Why a clock from 'resolved' cannot start: the incident is not resolved, or its date cannot be used."""
    return resolved.why if resolved is not None and resolved.why is not None else Why("unresolved", ("resolved",))


_REGIMES = {Regime.GDPR: _gdpr, Regime.NIS2: _nis2, Regime.SEC_8K: _sec, Regime.AI_ACT: _ai_act,
            Regime.GPAI_COP: _gpai, Regime.CIRCIA: _circia}
assert set(_REGIMES) == set(Regime) == set(REPORTS)


def visible_obligations(incident: Incident, clearance: Sensitivity | None) -> list[tuple[int, Obligation]]:
    """The record's obligations an audience of ``clearance`` may see (all of them for None), with their places."""
    record = incident.sensitivity
    return [(n, o) for n, o in enumerate(incident.obligations)
            if clearance is None or (o.sensitivity or record).rank <= clearance.rank]


def incident_clocks(incident: Incident, as_of: datetime, timezone: str = "UTC",
                    clearance: Sensitivity | None = None) -> list[Clock]:
    """Every report the incident owes, in the order of its obligations and of each regime's reports.

    ``as_of`` decides what is due and what is missed for reports not yet made; ``timezone`` (an
    IANA name) is where a date without a time starts; ``clearance`` leaves out obligations above it.
    A record without obligations costs nothing.
    """
    if not incident.obligations:
        return []
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone")
    tz = zone(timezone)
    clocks: list[Clock] = []
    for index, obligation in visible_obligations(incident, clearance):
        clocks += _REGIMES[obligation.regime](_Context(incident, as_of, tz, timezone, index), obligation)
    return clocks


def collection_clocks(incidents: Iterable[Incident], as_of: datetime, timezone: str = "UTC",
                      clearance: Sensitivity | None = None) -> list[Clock]:
    """The clocks of every incident, in collection order."""
    return [clock for incident in incidents if incident.obligations
            for clock in incident_clocks(incident, as_of, timezone, clearance)]


# -- output ---------------------------------------------------------------------------------------------------------


def clocks_json(clocks: Sequence[Clock], as_of: datetime) -> str:
    """The stable JSON interface: ``{"as_of": ISO, "clocks": [...]}`` (see the README)."""
    return json.dumps({"as_of": iso(as_of), "clocks": [c.as_dict() for c in clocks]}, indent=2,
                      ensure_ascii=False) + "\n"


def local_text(moment: datetime | None, tz: tzinfo) -> str:
    """``2026-03-18 16:00 UTC`` in ``tz`` ("" for None)."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def clocks_table(clocks: Sequence[Clock], as_of: datetime, timezone: str = "UTC") -> str:
    """The clocks for people: one line per report, its note below it."""
    tz = zone(timezone)
    lines = [f"As of {local_text(as_of, tz)} (times in {timezone}, documents.timezone; Form 8-K due times in "
             "Eastern, as EDGAR dates filings)"]
    if not clocks:
        lines.append("No incident names an obligation (obligations: in the record).")
        return "\n".join(lines) + "\n"
    rows = [("Incident", "Regime", "Report", "From", "Due", "Status")]
    for clock in clocks:
        origin = clock.from_event or f"after {clock.after}"
        start = f"{origin} {local_text(clock.start, tz)}" if clock.start else origin
        due_zone = EASTERN if clock.regime is Regime.SEC_8K else tz
        rows.append((clock.incident, clock.regime.value, clock.report, start, local_text(clock.due, due_zone) or "—",
                     clock.status))
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    lines.append("  ".join(cell.ljust(w) for cell, w in zip(rows[0], widths)).rstrip())
    for clock, row in zip(clocks, rows[1:]):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if clock.met_by is not None:
            reference = f", {clock.met_by.reference}" if clock.met_by.reference else ""
            lines.append(f"    met by disclosures[{clock.met_by.index}]: {clock.met_by.date} to {clock.met_by.to}"
                         f"{reference}")
        if clock.note:
            lines.append(f"    {clock.note}")
    counts = {status: sum(1 for c in clocks if c.status == status) for status in ("met", "missed", "due",
                                                                                    "cannot-start")}
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()) + f" ({len(clocks)} reports).")
    return "\n".join(lines) + "\n"


# -- documents ------------------------------------------------------------------------------------------------------

def moment_text(moment: datetime | None, tz: tzinfo, locale: str = "en_US") -> str:
    """"March 18, 2026, 4:00 PM UTC" in ``tz`` ("" for None), as documents print moments."""
    if moment is None:
        return ""
    from reporter.dates import format_instant

    return format_instant(moment, tz, locale)


def span_words(span: timedelta, locale: str) -> str:
    """A length of time in days, hours and minutes, in ``locale``'s words: "1 day 7 hours", "1 Tag 7 Stunden"."""
    from reporter.quantities import Quantity, format_quantity
    from reporter.words import words_for

    words = words_for(locale).clocks
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [format_quantity(Quantity.exact(n, unit=unit), locale, sig_figs=15)
             for n, unit in ((days, "days"), (hours, "hours"), (minutes, "minutes")) if n]
    if not parts:
        return words["no_time"]
    return parts[0] if len(parts) == 1 else words["span_separator"].join(parts[:-1]) + words["span_last"] + parts[-1]


def status_words(clock: Clock, locale: str, tz: tzinfo = UTC) -> str:
    """Where a clock stands, in ``locale``'s words, as a document prints it: "met", "missed by 8
    hours", "due in 1 day 9 hours", "cannot start until the incident is resolved"."""
    from reporter.i18n import fill
    from reporter.words import words_for

    words = words_for(locale).clocks
    if clock.status == "met":
        return words["status:met"]
    if clock.status == "due" and clock.left is not None:
        return fill(words["due_in"], locale, span=span_words(clock.left, locale))
    if clock.status == "missed" and clock.late_by is not None:
        if clock.filed is None:
            return fill(words["missed_so_far"], locale, span=span_words(clock.late_by, locale))
        if clock.late_business_days is not None:
            from reporter.quantities import Quantity, format_quantity

            span = format_quantity(Quantity.exact(clock.late_business_days, unit="business days"), locale, sig_figs=15)
            return fill(words["missed_by"], locale, span=span)
        return fill(words["missed_by_at_least" if clock.at_least else "missed_by"], locale,
                    span=span_words(clock.late_by, locale))
    if clock.status == "cannot-start" and clock.why is not None:
        return why_words(clock.why, locale)
    return words[f"status:{clock.status}"] if f"status:{clock.status}" in words else clock.status


def why_words(why: Why, locale: str) -> str:
    """Why a clock cannot start, in ``locale``'s words, naming events by their labels."""
    from reporter.context import event_label
    from reporter.dates import format_when
    from reporter.i18n import fill
    from reporter.words import words_for

    words = words_for(locale).clocks
    event = words["or"].join(event_label(name, locale) for name in why.events)
    date_text = format_when(parse_when(why.date), locale) if why.date else ""
    return fill(words[f"why:{why.kind}"], locale, event=event, date=date_text)


def document_as_of(day: date, timezone: str = "UTC") -> datetime:
    """The moment a document dated ``day`` reads its clocks at: the start of that day in the time zone."""
    return datetime.combine(day, time.min, zone(timezone))


def clock_views(incidents: Sequence[Incident], as_of: datetime, timezone: str = "UTC",
                clearance: Sensitivity | None = None, locale: str = "en_US") -> list:
    """The clocks of ``incidents`` (as an audience of ``clearance`` may see them) for templates:
    :class:`reporter.context.ClockView`, phrased in ``locale``."""
    from reporter.context import ClockView, event_label

    from reporter.words import words_for

    words = words_for(locale).clocks
    tz = zone(timezone)
    titles = {incident.id: incident for incident in incidents}
    views = []
    for clock in collection_clocks(incidents, as_of, timezone, clearance):
        incident = titles[clock.incident]
        obligation = incident.obligations[clock.obligation]
        record = incident.sensitivity
        made = clock.filed_by
        due_zone = EASTERN if clock.regime is Regime.SEC_8K else tz
        origin = event_label(clock.from_event, locale) if clock.from_event else words[f"after:{clock.after}"]
        views.append(ClockView(
            incident=incident.id, incident_title=incident.title,
            regime=clock.regime.value, regime_title=words[f"regime:{clock.regime.value}"],
            report=clock.report, report_label=words[f"report:{clock.report}"],
            from_event=clock.from_event or "", from_label=origin,
            start=moment_text(clock.start, tz, locale), start_iso=iso(clock.start) or "",
            due=moment_text(clock.due, due_zone, locale), due_iso=iso(clock.due) or "",
            status=clock.status, status_text=status_words(clock, locale),
            made=_made_text(incident, made, locale, timezone) if made else "", made_iso=made.date if made else "",
            made_to=made.to if made else "",
            made_reference=(made.reference or "") if made else "",
            basis=basis_text(clock.basis_key, clock.basis_days, locale), note=clock.note or "",
            authority=obligation.authority or "", severity=obligation.severity or "",
            severity_label=words[f"severity:{obligation.severity}"] if obligation.severity else "",
            delay_reason=" ".join((obligation.delay_reason or "").split()),
            contact=obligation.contact or "", consequences=" ".join((obligation.consequences or "").split()),
            impact=" ".join((obligation.impact or "").split()), system=obligation.system or "",
            categories=[item.text for item in obligation.categories
                        if clearance is None or (item.sensitivity or obligation.sensitivity or record).rank
                        <= clearance.rank],
        ))
    return views


def _made_text(incident: Incident, made: MetBy, locale: str, timezone: str = "UTC") -> str:
    """When the disclosure was made, as documents print moments: in their zone, to the minute."""
    from reporter.dates import format_moment

    return format_moment(incident.disclosures[made.index].date, locale, timezone)
