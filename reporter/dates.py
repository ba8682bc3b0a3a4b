"""Dates as incident records write them: days, partial dates (a month, a year) and datetimes with offset.

A :class:`When` keeps the span of instants its written value can mean, so that a window between partial
dates has a bounded length rather than an invented exact one. Days, months and years are read as UTC
calendar days; datetimes keep their written offset for display and are compared as instants.
"""

from __future__ import annotations

import functools

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton

from reporter.errors import DateError
from reporter.quantities import Quantity

__all__ = [
    "Precision",
    "When",
    "WindowConvention",
    "days_between",
    "format_date_range",
    "format_when",
    "parse_when",
    "window_days",
]

MIN_YEAR = 1900
MAX_YEAR = 2200

_EXPECTED = (
    "expected a date (2026-04-22), a month (2023-05), a year (2020) "
    "or an ISO datetime with offset (2026-04-22T09:30:00Z)"
)
_NEEDS_OFFSET = "a datetime needs an offset such as Z or +02:00"
_NO_SUCH_DATE = "no such calendar date or time: " + _EXPECTED
_YEAR_RANGE = f"year out of range: expected a year from {MIN_YEAR} to {MAX_YEAR}"

_YEAR_RE = re.compile(r"\d{4}")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?P<offset>Z|[+-]\d{2}:\d{2})?")


# When.date shadows the type inside the class body, where its annotation would be resolved.
_Date = date


class Precision(StrEnum):
    """How precisely a date was written."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"
    DATETIME = "datetime"


class WindowConvention(StrEnum):
    """How a window's length in days is counted (named in every document's methodology)."""

    ELAPSED = "elapsed"
    """End minus start: April 22 to June 5 is 44 days."""
    INCLUSIVE = "inclusive"
    """Calendar days counting both ends: April 22 to June 5 is 45 days."""


@dataclass(frozen=True, order=True)
class When:
    """A written date, partial date or datetime, and the span of instants it can mean.

    Attributes:
        earliest: first instant the written value can mean (timezone-aware, UTC).
        latest: last instant it can mean; equal to ``earliest`` for a datetime, the day's last
            microsecond for a day, December 31's for a year.
        precision: how precisely it was written.
        text: canonical ISO text: "2023", "2023-05", "2026-04-22", "2026-04-22T09:30:00+02:00".
    """

    earliest: datetime
    latest: datetime
    precision: Precision
    text: str

    @property
    def date(self) -> _Date:
        """The calendar date as written (local to the written offset); a partial date's first day."""
        if self.precision is Precision.DATETIME:
            return datetime.fromisoformat(self.text).date()
        return self.earliest.date()


def _days(first: date, last: date, precision: Precision, text: str) -> When:
    if not MIN_YEAR <= first.year <= MAX_YEAR:
        raise DateError(_YEAR_RANGE)
    return When(
        datetime.combine(first, time.min, UTC), datetime.combine(last, time.max, UTC), precision, text
    )


def _instant(dt: datetime) -> When:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise DateError(_NEEDS_OFFSET)
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise DateError(_YEAR_RANGE)
    utc = dt.astimezone(UTC)
    return When(utc, utc, Precision.DATETIME, dt.isoformat())


@functools.lru_cache(maxsize=8192, typed=True)  # records repeat phrases and dates; results are immutable
def parse_when(raw: str | date | datetime) -> When:
    """Read a date, a partial date or an ISO datetime with offset.

    Accepts ``"2026-04-22"``, ``"2023-05"``, ``"2020"`` (also the int ``2020`` that YAML makes of it),
    ``"2026-04-22T09:30:00+02:00"`` / ``"...Z"``, and :class:`~datetime.date` or aware
    :class:`~datetime.datetime` objects.

    Raises:
        DateError: not one of those forms, an impossible date, a datetime without offset, or a year
            outside 1900..2200.
    """
    if isinstance(raw, datetime):
        return _instant(raw)
    if isinstance(raw, date):
        return _days(raw, raw, Precision.DAY, raw.isoformat())
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise DateError("not a date: " + _EXPECTED)
    text = raw.strip()
    if not text:
        raise DateError("empty date: " + _EXPECTED)
    try:
        if _YEAR_RE.fullmatch(text):
            year = int(text)
            return _days(date(year, 1, 1), date(year, 12, 31), Precision.YEAR, text)
        if m := _MONTH_RE.fullmatch(text):
            year, month = int(m[1]), int(m[2])
            last = calendar.monthrange(year, month)[1]
            return _days(date(year, month, 1), date(year, month, last), Precision.MONTH, text)
        if _DAY_RE.fullmatch(text):
            day = date.fromisoformat(text)
            return _days(day, day, Precision.DAY, text)
        if m := _DATETIME_RE.fullmatch(text.upper()):
            if m["offset"] is None:
                raise DateError(_NEEDS_OFFSET)
            return _instant(datetime.fromisoformat(m[0]))
    except DateError:
        raise
    except ValueError:
        raise DateError(_NO_SUCH_DATE) from None
    raise DateError("not a date: " + _EXPECTED)


def window_days(start: When, end: When, convention: WindowConvention | str = WindowConvention.ELAPSED) -> Quantity:
    """Length of the window from ``start`` to ``end`` in days, by the given convention.

    Two datetimes give the exact fractional days between the instants (elapsed) or the UTC calendar
    days they touch (inclusive). Otherwise both ends count as UTC calendar days (a datetime as its UTC
    date); a partial date at either end gives a range over every day it can mean, e.g. 2023-05 to
    2023-07 elapsed is 31 to 91 days.

    Returns:
        An exact quantity, or a range for partial dates, in ``"days"``.

    Raises:
        DateError: the end is certainly before the start, or the convention is unknown.
    """
    try:
        inclusive = WindowConvention(convention) is WindowConvention.INCLUSIVE
    except ValueError:
        raise DateError("unknown window convention: expected elapsed or inclusive") from None
    if end.latest < start.earliest:
        raise DateError("end is before start")
    if start.precision is Precision.DATETIME and end.precision is Precision.DATETIME and not inclusive:
        return Quantity.exact((end.earliest - start.earliest) / timedelta(days=1), "days")
    shortest = (end.earliest.date() - start.latest.date()).days
    longest = (end.latest.date() - start.earliest.date()).days
    # A partial date may overlap the other end; the window cannot be shorter than none at all.
    low, high = max(shortest, 0) + inclusive, longest + inclusive
    return Quantity.exact(low, "days") if low == high else Quantity.between(low, high, "days")


def days_between(a: When, b: When) -> Quantity:
    """Elapsed days from ``a`` to ``b`` (detection and reporting lags), by the rules of :func:`window_days`."""
    return window_days(a, b, WindowConvention.ELAPSED)


_CONNECTORS: dict[str, tuple[str, str]] = {
    "en": ("{0} to {1}", "since {0}"),
    "de": ("{0} bis {1}", "seit {0}"),
}


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        raise DateError(f"unknown locale {locale!r}: expected a locale such as en_US, en_GB or de_DE") from None


def _phrase(w: When, loc: Locale, with_year: bool) -> str:
    if w.precision is Precision.DATETIME:
        dt = datetime.fromisoformat(w.text)
        return format_datetime(dt, "long", tzinfo=dt.tzinfo, locale=loc)
    if w.precision is Precision.YEAR:
        return format_skeleton("y", w.date, locale=loc)
    if w.precision is Precision.MONTH:
        # "LLLL" is the stand-alone month name; the skeleton "MMMM" would fall back to an abbreviation.
        return format_skeleton("yMMMM", w.date, locale=loc) if with_year else format_date(w.date, "LLLL", locale=loc)
    return format_skeleton("yMMMMd" if with_year else "MMMMd", w.date, locale=loc)


def format_when(w: When, locale: str = "en_US") -> str:
    """Phrase a date at its written precision: "June 5, 2026", "May 2023", "2020", or date, time and offset.

    Raises:
        DateError: unknown locale.
    """
    return _phrase(w, _locale(locale), with_year=True)


def format_date_range(start: When, end: When | None, locale: str = "en_US") -> str:
    """Phrase a window: "April 22 to June 5, 2026", "22. April bis 5. Juni 2026", "since April 22, 2026".

    The year is written once when both ends are days or months of the same year; an ongoing window
    (``end`` None) reads "since ...".

    Raises:
        DateError: unknown locale, or a language without wording (English and German have it).
    """
    loc = _locale(locale)
    if loc.language not in _CONNECTORS:
        raise DateError(f"no wording for language {loc.language!r}: expected English (en) or German (de)")
    span, since = _CONNECTORS[loc.language]
    if end is None:
        return since.format(_phrase(start, loc, with_year=True))
    if end == start:
        return _phrase(start, loc, with_year=True)
    calendar_ends = {start.precision, end.precision} <= {Precision.DAY, Precision.MONTH}
    collapse = calendar_ends and start.date.year == end.date.year
    return span.format(_phrase(start, loc, with_year=not collapse), _phrase(end, loc, with_year=True))
