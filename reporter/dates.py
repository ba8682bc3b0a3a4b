"""Dates as incident records write them: days, partial dates (a month, a year) and datetimes with offset.

A :class:`When` keeps the span of instants its written value can mean, so that a window between partial
dates has a bounded length rather than an invented exact one. Days, months and years are read as UTC
calendar days; datetimes keep their written offset for display and are compared as instants.
"""

from __future__ import annotations

import functools

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton

from reporter.errors import DateError
from reporter.i18n import fill
from reporter.quantities import Quantity

__all__ = [
    "Precision",
    "When",
    "WindowConvention",
    "days_between",
    "format_date_range",
    "format_when",
    "format_window",
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


class _Wording(dict):  # type: ignore[type-arg]
    """Words of date ranges by language, from reporter.words (its catalogues): made at first use."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, language: str) -> Any:
        from reporter.words import LANGUAGES, words_of

        if language not in LANGUAGES:
            raise KeyError(language)
        self[language] = value = self._make(words_of(language).sentences)
        return value

    def __contains__(self, language: object) -> bool:
        from reporter.words import LANGUAGES

        return language in LANGUAGES


@dataclass(frozen=True)
class _Connectors:
    """A language's words around dates: a range of days and of months (French: "du 22 avril au 5
    juin", "de mai à juillet"), "since" a day and a month (German: "seit dem 22. April", "seit Mai"),
    a range of times on one day, and an ongoing window measured to a date."""

    days: str
    months: str
    since_day: str
    since_month: str
    times: str
    measured: str

    def span(self, start: When, end: When) -> str:
        return self.months if {start.precision, end.precision} <= {Precision.MONTH, Precision.YEAR} else self.days

    def since(self, start: When) -> str:
        return self.since_month if start.precision in (Precision.MONTH, Precision.YEAR) else self.since_day


_CONNECTORS: dict[str, _Connectors] = _Wording(lambda words: _Connectors(
    words["date_range"], words["date_range_months"], words["date_since"], words["date_since_months"],
    words["time_range"], words["date_measured"]))


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
    return _day(w.date, loc, with_year)


def _day(day: _Date, loc: Locale, with_year: bool) -> str:
    """A day with its month: "June 5, 2026"; French writes the first of a month "1er mars 2026"."""
    text = format_skeleton("yMMMMd" if with_year else "MMMMd", day, locale=loc)
    if loc.language == "fr" and day.day == 1:
        text = re.sub(r"^1(?=\s)", "1er", text)
    return text


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
    words = _wording(loc)
    if end is None:
        return fill(words.since(start), str(loc), _phrase(start, loc, with_year=True))
    if end == start:
        return _phrase(start, loc, with_year=True)
    calendar_ends = {start.precision, end.precision} <= {Precision.DAY, Precision.MONTH}
    collapse = calendar_ends and start.date.year == end.date.year
    return fill(words.span(start, end), str(loc), _phrase(start, loc, with_year=not collapse),
                _phrase(end, loc, with_year=True))


def _wording(loc: Locale) -> _Connectors:
    if loc.language not in _CONNECTORS:
        raise DateError(f"no wording for language {loc.language!r}: expected English (en), German (de) or French (fr)")
    return _CONNECTORS[loc.language]


def _zone(name: str):  # noqa: ANN202 - a tzinfo
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DateError(f"unknown time zone {name!r}: expected an IANA name such as UTC, Europe/Dublin or "
                        "America/New_York") from None


@dataclass(frozen=True)
class _End:
    """One end of a window as :func:`format_window` writes it: the date part, the time and zone
    (datetimes only), and the local calendar day (to collapse a shared year or day)."""

    when: When
    local: datetime | None
    day: _Date


def _end(w: When, tz) -> _End:  # noqa: ANN001
    if w.precision is Precision.DATETIME:
        local = w.earliest.astimezone(tz)
        return _End(w, local, local.date())
    return _End(w, None, w.date)


def _date_part(end: _End, loc: Locale, with_year: bool) -> str:
    if end.local is None:
        return _phrase(end.when, loc, with_year)
    return _day(end.local.date(), loc, with_year)


def _time_part(end: _End, loc: Locale, seconds: bool) -> str:
    pattern = loc.time_formats["medium" if seconds else "short"].pattern
    return format_datetime(end.local, pattern, tzinfo=end.local.tzinfo, locale=loc)


def _joined(loc: Locale, date_text: str, time_text: str) -> str:
    # The locale's way of joining a long date and a time ("{1}, {0}": "June 5, 2026, 4:30 PM").
    return str(loc.datetime_formats["long"]).replace("{1}", date_text).replace("{0}", time_text)


def format_window(
    start: When,
    end: When | None,
    locale: str = "en_US",
    as_of: _Date | datetime | When | None = None,
    days: Quantity | str | None = None,
    *,
    timezone: str = "UTC",
    seconds: bool = False,
    convention: WindowConvention | str = WindowConvention.ELAPSED,
) -> str:
    """Phrase a window as people write it.

    - A closed window as :func:`format_date_range` does ("April 22 to June 5, 2026"), except
      that datetimes are shown in one zone (``timezone``, the ``documents.timezone`` setting),
      to the minute unless ``seconds``, and the zone is named once when both ends share it:
      2026-04-22T09:00:00-07:00 to 2026-06-05T18:30:00+02:00 reads
      "April 22, 2026, 4:00 PM to June 5, 2026, 4:30 PM UTC"; ends on one day share the date
      ("March 13, 2026, 9:10 PM to 11:05 PM UTC").
    - An ongoing window (``end`` None) measured to ``as_of`` (the document's date) says so:
      "since May 14, 2026: 29 days to June 12, 2026". ``days`` is the length to print (a
      quantity, phrased by :func:`~reporter.quantities.format_quantity`, or text already
      phrased); by default it is :func:`window_days` from ``start`` to ``as_of`` under
      ``convention``.
    - An ongoing window without ``as_of``: "since May 14, 2026".

    ``as_of`` is ignored for a closed window.

    Raises:
        DateError: unknown locale or time zone, a language without wording (English and German
            have it), or ``as_of`` before the window can have started.
    """
    from reporter.quantities import format_quantity

    loc = _locale(locale)
    words = _wording(loc)
    tz = _zone(timezone)
    first = _end(start, tz)
    if end is None:
        since = fill(words.since(start), locale, _phrase_end(first, loc, True, seconds, zone=True))
        if as_of is None:
            return since
        until = as_of if isinstance(as_of, When) else parse_when(as_of)
        if days is None:
            days = window_days(start, until, convention)  # DateError: as_of before the start
        days_text = days if isinstance(days, str) else format_quantity(days, locale)
        return fill(words.measured, locale, since=since, days=days_text,
                    as_of=_phrase_end(_end(until, tz), loc, True, seconds, zone=True))
    last = _end(end, tz)
    both_timed = first.local is not None and last.local is not None
    if end == start or (both_timed and first.local == last.local):
        return _phrase_end(first, loc, True, seconds, zone=True)
    if not both_timed:
        # The year once for days and months of one year (as format_date_range); a datetime's
        # date is always written in full beside its time.
        collapse = {start.precision, end.precision} <= {Precision.DAY, Precision.MONTH} and \
            start.date.year == end.date.year
        return fill(words.span(start, end), locale, _phrase_end(first, loc, not collapse, seconds, zone=True),
                    _phrase_end(last, loc, True, seconds, zone=True))
    shared_zone = first.local.tzname() == last.local.tzname()  # type: ignore[union-attr]
    if first.day == last.day:
        # One day: "March 13, 2026, 9:10 PM to 11:05 PM UTC".
        times = fill(words.times, locale,
                     _time_part(first, loc, seconds) + ("" if shared_zone else f" {first.local.tzname()}"),  # type: ignore[union-attr]
                     _time_part(last, loc, seconds) + f" {last.local.tzname()}")  # type: ignore[union-attr]
        return _joined(loc, _date_part(first, loc, True), times)
    return fill(words.days, locale, _phrase_end(first, loc, True, seconds, zone=not shared_zone),
                _phrase_end(last, loc, True, seconds, zone=True))


def format_moment(w: When, locale: str = "en_US", timezone: str = "UTC") -> str:
    """Phrase one date as a document prints it: a day, month or year as written; a datetime in
    the document's zone, to the minute, with the zone's name ("March 15, 2026, 4:00 PM UTC"),
    whatever offset it was written with.

    Raises:
        DateError: unknown locale or time zone.
    """
    return _phrase_end(_end(w, _zone(timezone)), _locale(locale), True, False, zone=True)


def format_instant(moment: datetime, tz: Any, locale: str = "en_US") -> str:
    """An instant in the zone ``tz``, to the minute, with the zone's name: "March 18, 2026, 4:00 PM UTC"."""
    local = moment.astimezone(tz)
    return _phrase_end(_End(parse_when(local.date().isoformat()), local, local.date()), _locale(locale), True, False,
                       zone=True)


def _phrase_end(end: _End, loc: Locale, with_year: bool, seconds: bool, *, zone: bool) -> str:
    """One end: a date at its written precision, or a datetime's date and time in the zone (and
    the zone's name when ``zone``)."""
    if end.local is None:
        return _phrase(end.when, loc, with_year)
    text = _joined(loc, _date_part(end, loc, with_year), _time_part(end, loc, seconds))
    return f"{text} {end.local.tzname()}" if zone else text
