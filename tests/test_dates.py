"""Tests for reporter.dates: parsing, window lengths by convention, and phrasing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
import re

import pytest

from reporter.dates import (
    Precision,
    When,
    WindowConvention,
    days_between,
    format_date_range,
    format_when,
    parse_when,
    window_days,
)
from reporter.errors import DateError
from reporter.quantities import Qualifier, Quantity

EXPECTED = (
    "expected a date (2026-04-22), a month (2023-05), a year (2020) "
    "or an ISO datetime with offset (2026-04-22T09:30:00Z)"
)
NEEDS_OFFSET = "a datetime needs an offset such as Z or +02:00"
NO_SUCH_DATE = "no such calendar date or time: " + EXPECTED
YEAR_RANGE = "year out of range: expected a year from 1900 to 2200"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


END_OF_DAY = (23, 59, 59, 999999)


# -- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020", When(utc(2020, 1, 1), utc(2020, 12, 31, *END_OF_DAY), Precision.YEAR, "2020")),
        (2020, When(utc(2020, 1, 1), utc(2020, 12, 31, *END_OF_DAY), Precision.YEAR, "2020")),
        ("2023-05", When(utc(2023, 5, 1), utc(2023, 5, 31, *END_OF_DAY), Precision.MONTH, "2023-05")),
        ("2024-02", When(utc(2024, 2, 1), utc(2024, 2, 29, *END_OF_DAY), Precision.MONTH, "2024-02")),
        (" 2026-04-22 ", When(utc(2026, 4, 22), utc(2026, 4, 22, *END_OF_DAY), Precision.DAY, "2026-04-22")),
        (date(2026, 4, 22), When(utc(2026, 4, 22), utc(2026, 4, 22, *END_OF_DAY), Precision.DAY, "2026-04-22")),
        (
            "2026-04-22T09:30:00+02:00",
            When(utc(2026, 4, 22, 7, 30), utc(2026, 4, 22, 7, 30), Precision.DATETIME, "2026-04-22T09:30:00+02:00"),
        ),
        (
            "2026-04-22T09:30Z",
            When(utc(2026, 4, 22, 9, 30), utc(2026, 4, 22, 9, 30), Precision.DATETIME, "2026-04-22T09:30:00+00:00"),
        ),
        (
            "2026-04-22 09:30:00.5-05:00",
            When(
                utc(2026, 4, 22, 14, 30, 0, 500000),
                utc(2026, 4, 22, 14, 30, 0, 500000),
                Precision.DATETIME,
                "2026-04-22T09:30:00.500000-05:00",
            ),
        ),
        (
            datetime(2026, 4, 22, 9, 30, tzinfo=timezone(timedelta(hours=2))),
            When(utc(2026, 4, 22, 7, 30), utc(2026, 4, 22, 7, 30), Precision.DATETIME, "2026-04-22T09:30:00+02:00"),
        ),
    ],
)
def test_parse_when(raw: str | date | datetime | int, expected: When) -> None:
    assert parse_when(raw) == expected  # type: ignore[arg-type]


def test_offset_moves_the_instant_but_not_the_written_date() -> None:
    w = parse_when("2026-04-22T23:30:00-05:00")
    assert w.earliest == utc(2026, 4, 23, 4, 30)
    assert w.earliest.date() == date(2026, 4, 23)
    assert w.date == date(2026, 4, 22)


def test_date_of_partial_dates_is_their_first_day() -> None:
    assert parse_when("2023-05").date == date(2023, 5, 1)
    assert parse_when("2020").date == date(2020, 1, 1)


def test_whens_order_by_earliest_instant() -> None:
    raw = ["2026-06-05", "2026", "2026-04-22T09:30:00+02:00", "2025-12"]
    assert [w.text for w in sorted(map(parse_when, raw))] == [
        "2025-12",
        "2026",
        "2026-04-22T09:30:00+02:00",
        "2026-06-05",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty date: " + EXPECTED),
        ("  ", "empty date: " + EXPECTED),
        ("yesterday", "not a date: " + EXPECTED),
        ("22/04/2026", "not a date: " + EXPECTED),
        ("2026-4-22", "not a date: " + EXPECTED),
        ("20", "not a date: " + EXPECTED),
        (3.5, "not a date: " + EXPECTED),
        (True, "not a date: " + EXPECTED),
        (None, "not a date: " + EXPECTED),
        ("2026-02-30", NO_SUCH_DATE),
        ("2023-13", NO_SUCH_DATE),
        ("2023-00", NO_SUCH_DATE),
        ("2026-04-22T25:00Z", NO_SUCH_DATE),
        ("2026-04-22T09:30:00", NEEDS_OFFSET),
        ("2026-04-22T09:30", NEEDS_OFFSET),
        (datetime(2026, 4, 22, 9, 30), NEEDS_OFFSET),
        ("1899", YEAR_RANGE),
        ("2201-01", YEAR_RANGE),
        ("2201-01-01", YEAR_RANGE),
        ("1899-12-31T23:00:00Z", YEAR_RANGE),
        (date(1899, 12, 31), YEAR_RANGE),
        (1899, YEAR_RANGE),
    ],
)
def test_parse_when_rejections(raw: object, message: str) -> None:
    with pytest.raises(DateError) as err:
        parse_when(raw)  # type: ignore[arg-type]
    assert str(err.value) == message


# -- window lengths ------------------------------------------------------------------------------


def days(start: str, end: str, convention: str = "elapsed") -> Quantity:
    return window_days(parse_when(start), parse_when(end), convention)


def test_seed_window() -> None:
    assert days("2026-04-22", "2026-06-05") == Quantity.exact(44, "days")
    assert days("2026-04-22", "2026-06-05", WindowConvention.INCLUSIVE) == Quantity.exact(45, "days")
    assert window_days(parse_when(date(2026, 4, 22)), parse_when(date(2026, 6, 5))).value == 44


def test_default_convention_is_elapsed() -> None:
    assert window_days(parse_when("2026-04-22"), parse_when("2026-04-23")) == Quantity.exact(1, "days")


def test_same_day() -> None:
    assert days("2026-04-22", "2026-04-22") == Quantity.exact(0, "days")
    assert days("2026-04-22", "2026-04-22", "inclusive") == Quantity.exact(1, "days")


@pytest.mark.parametrize(
    ("start", "end", "elapsed", "inclusive"),
    [
        ("2026-04-22T09:30:00+02:00", "2026-04-23T21:30:00+02:00", 1.5, 2),
        ("2026-04-22T00:00:00Z", "2026-04-22T06:00:00Z", 0.25, 1),
        # 23:30 at -05:00 is already April 23 in UTC, so only two UTC days are touched.
        ("2026-04-22T23:30:00-05:00", "2026-04-24T01:00:00Z", 20.5 / 24, 2),
        ("2026-04-22T10:00:00Z", "2026-04-22T10:00:00Z", 0, 1),
    ],
)
def test_datetime_windows(start: str, end: str, elapsed: float, inclusive: int) -> None:
    assert days(start, end) == Quantity.exact(elapsed, "days")
    assert days(start, end, "inclusive") == Quantity.exact(inclusive, "days")


@pytest.mark.parametrize(
    ("start", "end", "elapsed", "inclusive"),
    [
        ("2023-05", "2023-07", (31, 91), (32, 92)),
        ("2020", "2021", (1, 730), (2, 731)),
        ("2020", "2020-03-01", (0, 60), (1, 61)),
        ("2023-05", "2023-05-20", (0, 19), (1, 20)),
        ("2023-05", "2023-05", (0, 30), (1, 31)),
        ("2023-05-31", "2023-06", (1, 30), (2, 31)),
        ("2026-04-22T23:30:00-05:00", "2026-05", (8, 38), (9, 39)),
    ],
)
def test_partial_date_windows_are_ranges(
    start: str, end: str, elapsed: tuple[int, int], inclusive: tuple[int, int]
) -> None:
    assert days(start, end) == Quantity.between(*elapsed, unit="days")
    assert days(start, end, "inclusive") == Quantity.between(*inclusive, unit="days")
    assert days(start, end).qualifier is Qualifier.RANGE


def test_partial_date_window_can_collapse_to_exact() -> None:
    # The end is May 1 and the start cannot be after it: only May 1 itself fits.
    assert days("2023-05", "2023-05-01") == Quantity.exact(0, "days")


def test_mixed_day_and_datetime_counts_utc_days() -> None:
    assert days("2026-04-22", "2026-04-23T23:30:00-05:00") == Quantity.exact(2, "days")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-06-05", "2026-04-22"),
        ("2023-07", "2023-05"),
        ("2021", "2020-12-31"),
        ("2026-04-22T10:00:00Z", "2026-04-22T09:59:59Z"),
        ("2026-04-22T10:00:00+00:00", "2026-04-22T11:59:00+02:00"),
        ("2026-04-23", "2026-04-22T23:30:00Z"),
    ],
)
def test_end_before_start(start: str, end: str) -> None:
    with pytest.raises(DateError) as err:
        days(start, end)
    assert str(err.value) == "end is before start"


def test_unknown_convention() -> None:
    with pytest.raises(DateError) as err:
        days("2026-04-22", "2026-06-05", "calendar")
    assert str(err.value) == "unknown window convention: expected elapsed or inclusive"


def test_days_between_is_elapsed() -> None:
    assert days_between(parse_when("2026-04-22"), parse_when("2026-06-05")) == Quantity.exact(44, "days")
    assert days_between(parse_when("2023-05"), parse_when("2023-07")) == Quantity.between(31, 91, "days")
    with pytest.raises(DateError, match="end is before start"):
        days_between(parse_when("2026-06-05"), parse_when("2026-04-22"))


# -- phrasing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "en_us", "en_gb", "de_de"),
    [
        ("2026-06-05", "June 5, 2026", "5 June 2026", "5. Juni 2026"),
        ("2023-05", "May 2023", "May 2023", "Mai 2023"),
        ("2020", "2020", "2020", "2020"),
        (
            "2026-04-22T23:30:00-05:00",
            "April 22, 2026, 11:30:00\u202fPM -0500",
            "22 April 2026, 23:30:00 -0500",
            "22. April 2026, 23:30:00 -0500",
        ),
        ("2026-04-22T09:30:00Z", "April 22, 2026, 9:30:00\u202fAM UTC", "22 April 2026, 09:30:00 UTC",
         "22. April 2026, 09:30:00 UTC"),
    ],
)
def test_format_when(raw: str, en_us: str, en_gb: str, de_de: str) -> None:
    w = parse_when(raw)
    assert format_when(w) == en_us
    assert format_when(w, "en_GB") == en_gb
    assert format_when(w, "de_DE") == de_de


@pytest.mark.parametrize(
    ("start", "end", "en_us", "en_gb", "de_de"),
    [
        (
            "2026-04-22",
            "2026-06-05",
            "April 22 to June 5, 2026",
            "22 April to 5 June 2026",
            "22. April bis 5. Juni 2026",
        ),
        (
            "2025-12-30",
            "2026-01-04",
            "December 30, 2025 to January 4, 2026",
            "30 December 2025 to 4 January 2026",
            "30. Dezember 2025 bis 4. Januar 2026",
        ),
        ("2026-04-22", None, "since April 22, 2026", "since 22 April 2026", "seit dem 22. April 2026"),
        ("2023-05", "2023-07", "May to July 2023", "May to July 2023", "Mai bis Juli 2023"),
        ("2023-05", "2023-07-04", "May to July 4, 2023", "May to 4 July 2023", "Mai bis 4. Juli 2023"),
        ("2020", "2021", "2020 to 2021", "2020 to 2021", "2020 bis 2021"),
        ("2020", "2020-05", "2020 to May 2020", "2020 to May 2020", "2020 bis Mai 2020"),
        ("2026-06-05", "2026-06-05", "June 5, 2026", "5 June 2026", "5. Juni 2026"),
    ],
)
def test_format_date_range(start: str, end: str | None, en_us: str, en_gb: str, de_de: str) -> None:
    s, e = parse_when(start), None if end is None else parse_when(end)
    assert format_date_range(s, e) == en_us
    assert format_date_range(s, e, "en_GB") == en_gb
    assert format_date_range(s, e, "de_DE") == de_de


def test_datetime_range_writes_both_ends_in_full() -> None:
    s, e = parse_when("2026-04-22T09:30:00Z"), parse_when("2026-04-23T10:00:00Z")
    assert format_date_range(s, e, "en_GB") == "22 April 2026, 09:30:00 UTC to 23 April 2026, 10:00:00 UTC"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: format_when(parse_when("2020"), "xx_YY"),
         "unknown locale 'xx_YY': expected a locale such as en_US, en_GB or de_DE"),
        (lambda: format_date_range(parse_when("2020"), None, "!!"),
         "unknown locale '!!': expected a locale such as en_US, en_GB or de_DE"),
        (lambda: format_date_range(parse_when("2020"), None, "ja_JP"),
         "no wording for language 'ja': expected English (en), German (de) or French (fr)"),
    ],
)
def test_format_rejections(call: object, message: str) -> None:
    with pytest.raises(DateError) as err:
        call()  # type: ignore[operator]
    assert str(err.value) == message


def test_format_when_works_in_any_babel_locale() -> None:
    assert format_when(parse_when("2023-05"), "fr_FR") == "mai 2023"


# -- format_window: one zone, no seconds, ongoing windows measured to a date ---------------------

from reporter.dates import format_window  # noqa: E402


@pytest.mark.parametrize(
    ("start", "end", "kwargs", "expected"),
    [
        # Mixed offsets shown in one zone (UTC by default), to the minute, the zone named once.
        ("2026-04-22T09:00:00-07:00", "2026-06-05T18:30:00+02:00", {},
         "April 22, 2026, 4:00\u202fPM to June 5, 2026, 4:30\u202fPM UTC"),
        ("2026-04-22T09:00:00-07:00", "2026-06-05T18:30:00+02:00", {"timezone": "Europe/Berlin", "locale": "de_DE"},
         "22. April 2026, 18:00 bis 5. Juni 2026, 18:30 CEST"),
        ("2026-04-22T09:00:00-07:00", "2026-06-05T18:30:00+02:00", {"seconds": True, "locale": "en_GB"},
         "22 April 2026, 16:00:00 to 5 June 2026, 16:30:00 UTC"),
        ("2025-11-03T08:15:00-05:00", "2025-11-04T02:40:00Z", {},
         "November 3, 2025, 1:15\u202fPM to November 4, 2025, 2:40\u202fAM UTC"),
        # Ends on one day share the date.
        ("2026-03-13T21:10:00Z", "2026-03-13T23:05:00Z", {}, "March 13, 2026, 9:10\u202fPM to 11:05\u202fPM UTC"),
        # A zone whose name changes between the ends (daylight saving) is named at both.
        ("2026-03-20T09:00:00Z", "2026-04-02T10:00:00Z", {"timezone": "Europe/Dublin"},
         "March 20, 2026, 9:00\u202fAM GMT to April 2, 2026, 11:00\u202fAM IST"),
        ("2026-04-22", "2026-06-05T10:00:00Z", {}, "April 22, 2026 to June 5, 2026, 10:00\u202fAM UTC"),
        # Days, months and years read as format_date_range has them.
        ("2026-04-22", "2026-06-05", {}, "April 22 to June 5, 2026"),
        ("2023-05", "2023-07", {}, "May to July 2023"),
        ("2026-04-22", "2026-06-05", {"locale": "de_DE"}, "22. April bis 5. Juni 2026"),
        # An ongoing window measured to the document's date, and labelled so.
        ("2026-05-14", None, {"as_of": date(2026, 6, 12)}, "since May 14, 2026: 29 days to June 12, 2026"),
        ("2026-05-14", None, {"as_of": date(2026, 6, 12), "locale": "de_DE"},
         "seit dem 14. Mai 2026: 29 Tage bis zum 12. Juni 2026"),
        ("2026-05-14", None, {"as_of": date(2026, 6, 12), "convention": "inclusive"},
         "since May 14, 2026: 30 days to June 12, 2026"),
        ("2026-05-14", None, {"as_of": date(2026, 5, 15)}, "since May 14, 2026: 1 day to May 15, 2026"),
        ("2026-05-14T09:00:00+02:00", None, {"as_of": date(2026, 6, 12)},
         "since May 14, 2026, 7:00\u202fAM UTC: 29 days to June 12, 2026"),
        ("2026-05", None, {"as_of": date(2026, 6, 12)}, "since May 2026: 12 to 42 days to June 12, 2026"),
        ("2026-05-14", None, {"as_of": date(2026, 6, 12), "days": "about four weeks"},
         "since May 14, 2026: about four weeks to June 12, 2026"),
        ("2026-05-14", None, {"as_of": date(2026, 6, 12), "days": Quantity.exact(30, "days")},
         "since May 14, 2026: 30 days to June 12, 2026"),
        ("2026-05-14", None, {}, "since May 14, 2026"),
        # as_of means nothing to a closed window.
        ("2026-04-22", "2026-06-05", {"as_of": date(2026, 6, 12)}, "April 22 to June 5, 2026"),
    ],
)
def test_format_window(start: str, end: str | None, kwargs: dict, expected: str) -> None:
    assert format_window(parse_when(start), None if end is None else parse_when(end), **kwargs) == expected


def test_format_window_rejections() -> None:
    with pytest.raises(DateError, match="unknown time zone 'Mars/Olympus'"):
        format_window(parse_when("2026-05-14"), None, timezone="Mars/Olympus")
    with pytest.raises(DateError, match="end is before start"):
        format_window(parse_when("2026-05-14"), None, as_of=date(2026, 5, 1))
    with pytest.raises(DateError, match="no wording for language 'ja'"):
        format_window(parse_when("2026-05-14"), None, "ja_JP")


from hypothesis import given, strategies as st  # noqa: E402

_OFFSETS = st.integers(min_value=-14 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
_INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


@given(_INSTANTS, _INSTANTS, _OFFSETS, _OFFSETS, st.sampled_from(["UTC", "Europe/Dublin", "America/New_York"]))
def test_format_window_depends_on_instants_not_offsets(a: datetime, b: datetime, off_a: timezone, off_b: timezone,
                                                       zone_name: str) -> None:
    """The same two instants, written with any offsets, read the same in one zone, without seconds."""
    first, last = sorted([a, b])
    written = format_window(parse_when(first.replace(tzinfo=UTC).astimezone(off_a)),
                            parse_when(last.replace(tzinfo=UTC).astimezone(off_b)), timezone=zone_name)
    plain = format_window(parse_when(first.replace(tzinfo=UTC)), parse_when(last.replace(tzinfo=UTC)),
                          timezone=zone_name)
    assert written == plain
    assert not re.search(r"\d:\d\d:\d\d", written)  # no seconds
    assert not re.search(r"[+-]\d{4}\b", written)  # no raw offsets
