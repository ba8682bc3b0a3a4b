"""Tests for reporter.quantities: parsing, sound arithmetic, derived qualifiers and phrasing."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import reduce

import pytest
from hypothesis import HealthCheck, Phase, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import reporter.quantities as quantities
from reporter.errors import QuantityError
from reporter.quantities import (
    ABOUT_TOLERANCE,
    Qualifier,
    Quantity,
    format_number,
    format_quantity,
    parse_quantity,
    sum_quantities,
)

EXPECTED = 'expected a number or a phrase such as "about 25,000", "over 13 million" or "3 to 4 million"'
NEGATIVE = "negative figure: figures are counts and cannot be below 0"
TOO_LARGE = "figure too large: figures above 10^15 are not accepted"
BACKWARDS = "range runs backwards: the low end must not be above the high end"

Q = Qualifier


# -- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (25000, 25000),
        (28_800_000, 28_800_000),
        (2.5, 2.5),
        (0, 0),
        ("25000", 25000),
        ("28_800_000", 28_800_000),
        ("25,000", 25000),
        ("1,234,567.5", 1234567.5),
        ("28.8 million", 28_800_000),
        ("3.4M", 3_400_000),
        ("3.4m", 3_400_000),
        ("2 billion", 2_000_000_000),
        ("2.5bn", 2_500_000_000),
        ("2B", 2_000_000_000),
        ("1.5 mn", 1_500_000),
        ("150k", 150_000),
        ("150 thousand", 150_000),
        ("1 trillion", 10**12),
        ("1000 trillion", 10**15),
        ("  exactly   25,000  ", 25000),
        ("EXACTLY 7", 7),
    ],
)
def test_parse_exact_forms(raw: int | float | str, value: float) -> None:
    q = parse_quantity(raw)
    assert q == Quantity(Q.EXACT, value, value, value)


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("about 25,000", Q.ABOUT),
        ("approximately 25,000", Q.ABOUT),
        ("around 25,000", Q.ABOUT),
        ("roughly 25,000", Q.ABOUT),
        ("~25,000", Q.ABOUT),
        ("~ 25,000", Q.ABOUT),
        ("approx. 25,000", Q.ABOUT),
        ("About 25k", Q.ABOUT),
        ("over 25,000", Q.OVER),
        ("more than 25,000", Q.OVER),
        (">25,000", Q.OVER),
        ("at least 25,000", Q.AT_LEAST),
        ("no fewer than 25,000", Q.AT_LEAST),
        ("no less than 25,000", Q.AT_LEAST),
        ("≥ 25,000", Q.AT_LEAST),
        (">=25,000", Q.AT_LEAST),
        ("under 25,000", Q.UNDER),
        ("fewer than 25,000", Q.UNDER),
        ("less than 25,000", Q.UNDER),
        ("<25,000", Q.UNDER),
        ("up to 25,000", Q.AT_MOST),
        ("at most 25,000", Q.AT_MOST),
        ("no more than 25,000", Q.AT_MOST),
        ("≤25,000", Q.AT_MOST),
        ("<= 25,000", Q.AT_MOST),
    ],
)
def test_parse_qualifier_synonyms(phrase: str, qualifier: Qualifier) -> None:
    q = parse_quantity(phrase)
    assert (q.qualifier, q.value) == (qualifier, 25000)


def test_parse_bounds_of_each_qualifier() -> None:
    assert parse_quantity("about 25,000") == Quantity(Q.ABOUT, 25000, 23750, 26250, approximate=True)
    assert parse_quantity("over 13 million") == Quantity(Q.OVER, 13e6, 13e6, None, low_strict=True)
    assert parse_quantity("at least 3.4M") == Quantity(Q.AT_LEAST, 3.4e6, 3.4e6, None)
    assert parse_quantity("fewer than 100") == Quantity(Q.UNDER, 100, 0, 100, high_strict=True)
    assert parse_quantity("up to 2 billion") == Quantity(Q.AT_MOST, 2e9, 0, 2e9)


@pytest.mark.parametrize(
    "phrase",
    [
        "3 to 4 million",
        "3-4 million",
        "3–4 million",
        "3 - 4 million",
        "between 3 and 4 million",
        "3 million to 4 million",
        "3m-4m",
        "3,000,000 to 4,000,000",
    ],
)
def test_parse_ranges(phrase: str) -> None:
    assert parse_quantity(phrase) == Quantity(Q.RANGE, None, 3e6, 4e6)


def test_range_ends_keep_their_own_multipliers() -> None:
    assert parse_quantity("500 thousand to 2 million") == Quantity.between(500_000, 2_000_000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty figure: " + EXPECTED),
        ("   ", "empty figure: " + EXPECTED),
        ("lots", "not a figure: " + EXPECTED),
        ("25,00,0", "not a figure: " + EXPECTED),
        ("1e400", "not a figure: " + EXPECTED),
        ("1e6", "not a figure: " + EXPECTED),
        ("about", "not a figure: " + EXPECTED),
        ("about 3 to 4 million", "not a figure: " + EXPECTED),
        ("over25", "not a figure: " + EXPECTED),
        ("NaN", "not a finite number: " + EXPECTED),
        ("Infinity", "not a finite number: " + EXPECTED),
        ("-inf", "not a finite number: " + EXPECTED),
        (float("nan"), "not a finite number: " + EXPECTED),
        (float("inf"), "not a finite number: " + EXPECTED),
        (True, "not a figure: " + EXPECTED),
        (False, "not a figure: " + EXPECTED),
        (None, "not a figure: " + EXPECTED),
        (-5, NEGATIVE),
        (-0.5, NEGATIVE),
        ("-5", NEGATIVE),
        ("about -5 million", NEGATIVE),
        ("4 to 3 million", BACKWARDS),
        ("between 4 and 3", BACKWARDS),
        ("3 million to 4", BACKWARDS),
        (1e16, TOO_LARGE),
        (10**400, TOO_LARGE),
        ("2000 trillion", TOO_LARGE),
        ("9" * 400, TOO_LARGE),
        ("fewer than 0", '"under 0" is impossible: figures are counts and cannot be below 0'),
    ],
)
def test_parse_rejections(raw: object, message: str) -> None:
    with pytest.raises(QuantityError) as err:
        parse_quantity(raw)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_rejection_never_echoes_the_input() -> None:
    with pytest.raises(QuantityError) as err:
        parse_quantity("secret 987654")
    assert "987654" not in str(err.value)


# -- mapping form --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"qualifier": "exact", "value": 44}, Quantity.exact(44)),
        ({"qualifier": Q.ABOUT, "value": 25000, "unit": "accounts"}, Quantity.about(25000, "accounts")),
        ({"qualifier": "approximately", "value": "28.8 million"}, Quantity.about(28.8e6)),
        ({"qualifier": "More Than", "value": 5}, Quantity.over(5)),
        ({"qualifier": "at_least", "value": "3.4M"}, Quantity.at_least(3.4e6)),
        ({"qualifier": "under", "value": 100}, Quantity.under(100)),
        ({"qualifier": "at-most", "value": 2e9}, Quantity.at_most(2e9)),
        ({"qualifier": "range", "low": 3, "high": "4"}, Quantity.between(3, 4)),
        ({"low": 3, "high": 4}, Quantity.between(3, 4)),
        ({"value": 7}, Quantity.exact(7)),
        ({"qualifier": "unknown", "unit": "days"}, Quantity.unknown("stated as unknown", "days")),
    ],
)
def test_of(kwargs: dict[str, object], expected: Quantity) -> None:
    assert Quantity.of(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qualifier": "range", "low": 1}, "a range needs both low and high, and no value"),
        ({"qualifier": "range", "low": 1, "high": 2, "value": 1}, "a range needs both low and high, and no value"),
        ({"qualifier": "range", "low": 5, "high": 3}, BACKWARDS),
        ({"qualifier": "about"}, 'a figure qualified "about" needs a value, and no low or high'),
        ({"qualifier": "over", "value": 5, "low": 3}, 'a figure qualified "over" needs a value, and no low or high'),
        ({"qualifier": "unknown", "value": 5}, "an unknown figure takes no value, low or high"),
        (
            {"qualifier": "bogus", "value": 5},
            "unknown qualifier: expected one of exact, about, over, at-least, under, at-most, range, unknown",
        ),
        ({"value": "lots"}, 'not a figure: expected a number such as 25000 or "28.8 million"'),
        ({"value": "about 5"}, 'not a figure: expected a number such as 25000 or "28.8 million"'),
        ({"value": -1}, NEGATIVE),
        ({"value": True}, "not a figure: " + EXPECTED),
    ],
)
def test_of_rejections(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(QuantityError) as err:
        Quantity.of(**kwargs)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_about_tolerance_is_overridable_and_checked() -> None:
    assert ABOUT_TOLERANCE == 0.05
    assert Quantity.about(100, tolerance=0.1) == Quantity(Q.ABOUT, 100, 90, 110, approximate=True)
    with pytest.raises(QuantityError, match="tolerance must be a fraction"):
        Quantity.about(100, tolerance=1)


def test_as_dict_writes_whole_numbers_as_integers() -> None:
    assert Quantity.about(28_800_000, "interactions").as_dict() == {
        "value": 28_800_000,
        "low": 27_360_000,
        "high": 30_240_000,
        "qualifier": "about",
        "unit": "interactions",
        "reason": None,
    }
    assert Quantity.unknown("no window").as_dict() == {
        "value": None,
        "low": None,
        "high": None,
        "qualifier": "unknown",
        "unit": None,
        "reason": "no window",
    }


def test_contains_respects_strictness() -> None:
    assert not Quantity.over(5).contains(5)
    assert Quantity.over(5).contains(5.000001)
    assert Quantity.at_least(5).contains(5)
    assert not Quantity.under(5).contains(5)
    assert Quantity.at_most(5).contains(5)
    assert not Quantity.at_most(5).contains(-1)
    assert Quantity.unknown("x").contains(123)
    assert Quantity.unknown("x").is_known is False
    assert Quantity.exact(1).is_known is True


# -- arithmetic: the documented examples ---------------------------------------------------------


def test_sum_of_lower_bounds_is_a_lower_bound() -> None:
    total = sum_quantities(parse_quantity(p) for p in ("over 150,000", "over 3.4 million", "over 13 million"))
    assert total == Quantity(Q.OVER, 16_550_000, 16_550_000, None, low_strict=True)
    # Each input has two significant figures, so the sum says no more (rounded down: a bound).
    assert format_quantity(total) == "more than 16 million"
    assert format_quantity(total, "en_GB") == "more than 16 million"
    assert format_quantity(total, "de_DE") == "mehr als 16 Millionen"
    # Stated to more figures, the same sum says more.
    precise = sum_quantities(Quantity.over(v) for v in (150_000, 3_400_000, 13_000_000))
    assert format_quantity(precise) == "more than 16.55 million"


def test_daily_rate_from_about_over_exact() -> None:
    rate = (Quantity.about(28_800_000) / Quantity.exact(44, "days")).with_unit("per day")
    assert rate.qualifier is Q.ABOUT
    assert rate.value == 28_800_000 / 44
    assert rate.approximate
    assert rate.contains(Fraction(28_800_000, 44))
    assert format_quantity(rate) == "about 654,500 per day"
    assert format_quantity(rate, "en_GB") == "about 654,500 per day"
    assert format_quantity(rate, "de_DE") == "etwa 654.500 pro Tag"


def test_per_account_from_two_abouts() -> None:
    per_account = (Quantity.about(28_800_000) / Quantity.about(25_000)).with_unit("per account")
    assert (per_account.qualifier, per_account.value) == (Q.ABOUT, 1152)
    assert format_quantity(per_account) == "about 1,152 per account"
    assert format_quantity(per_account, "de_DE") == "etwa 1.152 pro Konto"


def test_per_account_daily_rate() -> None:
    rate = Quantity.about(28_800_000) / Quantity.exact(44) / Quantity.about(25_000)
    rate = rate.with_unit("per account per day")
    assert rate.value == pytest.approx(26.1818, rel=1e-5)
    assert format_quantity(rate) == "about 26 per account per day"
    assert format_quantity(rate, "en_GB") == "about 26 per account per day"
    assert format_quantity(rate, "de_DE") == "etwa 26 pro Konto und Tag"


def test_exact_over_exact_stays_exact() -> None:
    q = Quantity.exact(44) / Quantity.exact(45)
    assert q.qualifier is Q.EXACT
    assert q.value == 44 / 45
    assert q.contains(Fraction(44, 45))
    assert format_quantity(q) == "about 0.9778"
    assert Quantity.exact(88) / Quantity.exact(44) == Quantity.exact(2)


def test_lower_bound_over_approximate_says_its_bound() -> None:
    # The bound is sound whatever "about" contributed: it is phrased as the bound it is,
    # rounded down so that it stays one.
    q = parse_quantity("over 28.8 million") / parse_quantity("about 25,000")
    assert (q.qualifier, q.high, q.approximate) == (Q.OVER, None, True)
    assert q.value == q.low == pytest.approx(28_800_000 / 26_250)
    # "about 25,000" carries two significant figures: so does the quotient, rounded down.
    assert format_quantity(q) == "more than 1,000"
    assert format_quantity(q, "de_DE") == "mehr als 1.000"
    assert format_quantity(q.with_sig(None)) == "more than 1,097"


def test_bounds_round_outwards() -> None:
    assert format_quantity(Quantity.at_least(1_097.9)) == "at least 1,097"
    assert format_quantity(Quantity.at_most(1_097.1)) == "up to 1,098"
    assert format_quantity(Quantity.between(16_549_999, 16_550_001)) == "16.54 million to 16.56 million"
    assert format_quantity(Quantity.over(16_550_000)) == "more than 16.55 million"


@pytest.mark.parametrize(
    ("q", "qualifier", "low", "high"),
    [
        (Quantity.at_least(5) + Quantity.at_least(3), Q.AT_LEAST, 8, None),
        (Quantity.at_least(5) + Quantity.over(3), Q.OVER, 8, None),
        (Quantity.under(5) + Quantity.at_most(3), Q.UNDER, 0, 8),
        (Quantity.at_most(5) * 2, Q.AT_MOST, 0, 10),
        (Quantity.under(10) / Quantity.exact(4), Q.UNDER, 0, 2.5),
        (Quantity.exact(10) / Quantity.at_most(5), Q.AT_LEAST, 2, None),
        (Quantity.exact(10) / Quantity.over(5), Q.UNDER, 0, 2),
        (Quantity.under(5) + Quantity.exact(10), Q.RANGE, 10, 15),
        (Quantity.between(1, 2) + Quantity.exact(1), Q.RANGE, 2, 3),
        (Quantity.over(5) * Quantity.exact(0), Q.EXACT, 0, 0),
        (Quantity.exact(0) * Quantity.at_least(5), Q.EXACT, 0, 0),
        (2 * Quantity.exact(3), Q.EXACT, 6, 6),
        (1 + Quantity.exact(3), Q.EXACT, 4, 4),
        (12 / Quantity.exact(3), Q.EXACT, 4, 4),
        (sum([Quantity.exact(1), Quantity.exact(2)]), Q.EXACT, 3, 3),
    ],
)
def test_derived_qualifiers(q: Quantity, qualifier: Qualifier, low: float, high: float | None) -> None:
    assert (q.qualifier, q.low, q.high) == (qualifier, low, high)


def test_strictness_of_derived_bounds() -> None:
    assert (Quantity.at_least(5) + Quantity.over(3)).low_strict
    assert not (Quantity.at_least(5) + Quantity.at_least(3)).low_strict
    # 0 times anything is 0: the strict "over" must not survive a factor that may be 0.
    assert not (Quantity.over(5) * Quantity.at_most(2)).low_strict
    assert (Quantity.exact(10) / Quantity.over(5)).high_strict


@pytest.mark.parametrize(
    "q",
    [
        Quantity.over(10) / Quantity.over(3),
        Quantity.over(10) * Quantity.under(3),
        Quantity.at_least(0) + Quantity.exact(0),
        Quantity.exact(5) / Quantity.at_least(1) * Quantity.over(1) / Quantity.under(2) * Quantity.at_least(0),
    ],
)
def test_cannot_be_bounded(q: Quantity) -> None:
    assert q.qualifier is Q.UNKNOWN
    assert q.reason is not None and q.reason.startswith("cannot be bounded: ")
    assert (q.value, q.low, q.high) == (None, None, None)
    assert format_quantity(q) == "not computable"


def test_division_by_exact_zero_is_unknown() -> None:
    q = Quantity.exact(5) / Quantity.exact(0)
    assert (q.qualifier, q.reason) == (Q.UNKNOWN, "division by zero: the divisor is 0")


def test_division_by_possible_zero_is_unbounded_above() -> None:
    q = Quantity.exact(10) / Quantity.at_most(5)
    assert (q.low, q.high) == (2, None)


def test_unknown_propagates_first_reason() -> None:
    a, b = Quantity.unknown("no window: daily rate needs a start and an end"), Quantity.unknown("second")
    for q in (a + Quantity.exact(1), Quantity.exact(1) * a, a / b, Quantity.exact(1) / a):
        assert (q.qualifier, q.reason) == (Q.UNKNOWN, a.reason)
    assert sum_quantities([Quantity.exact(1), b, a]).reason == "second"


def test_plain_numbers_added_take_the_unit() -> None:
    assert Quantity.exact(44, "days") + 1 == Quantity.exact(45, "days")
    assert sum([Quantity.exact(1, "days"), Quantity.exact(2, "days")]) == Quantity.exact(3, "days")


def test_sum_quantities_units() -> None:
    assert sum_quantities([], unit="accounts") == Quantity.exact(0, "accounts")
    assert sum_quantities([Quantity.exact(1, "days"), Quantity.exact(2, "days")]).unit == "days"
    assert sum_quantities([Quantity.exact(1, "days"), Quantity.exact(2)]).unit is None
    assert sum_quantities([Quantity.exact(1), Quantity.exact(2)], unit="accounts").unit == "accounts"


def test_huge_results_stay_sound() -> None:
    q = Quantity.exact(1e15) / Quantity.exact(5e-324)
    assert (q.qualifier, q.high) == (Q.AT_LEAST, None)
    assert q.contains(Fraction(10**15) / Fraction(5e-324))


# -- arithmetic: soundness properties ------------------------------------------------------------

figures = st.one_of(
    st.integers(0, 10**9),
    st.floats(0, 1e12),
    st.sampled_from([0.0, 5e-324, 0.1, 1e15]),
)
shares = st.one_of(
    st.sampled_from([Fraction(0), Fraction(1), Fraction(1, 2)]),
    st.fractions(0, 1, max_denominator=10**9),
)
# Excess over a strict bound: tiny ones probe strictness and rounding, large ones the unbounded side.
excesses = st.one_of(st.just(Fraction(1, 10**40)), st.fractions(0, 10**6, max_denominator=10**9).filter(bool))


@st.composite
def operands(draw: st.DrawFn) -> tuple[Quantity, Fraction]:
    """A quantity of any qualifier together with a true value consistent with it."""
    kind = draw(st.sampled_from(list(Qualifier)))
    x = float(draw(figures))
    v = Fraction(x)
    if kind is Q.EXACT:
        return Quantity.exact(x), v
    if kind is Q.UNKNOWN:
        return Quantity.unknown("not stated"), v
    if kind is Q.OVER:
        return Quantity.over(x), v + draw(excesses)
    if kind is Q.AT_LEAST:
        return Quantity.at_least(x), v + draw(st.one_of(st.just(Fraction(0)), excesses))
    if kind is Q.UNDER:
        assume(x > 0)
        return Quantity.under(x), v * (1 - draw(shares.filter(bool)))
    # Two-sided: anywhere between the bounds, both ends included.
    if kind is Q.ABOUT:
        q = Quantity.about(x, tolerance=draw(st.sampled_from([ABOUT_TOLERANCE, 0.0, 0.3])))
    elif kind is Q.RANGE:
        y = float(draw(figures))
        q = Quantity.between(min(x, y), max(x, y))
    else:
        q = Quantity.at_most(x)
    assert q.low is not None and q.high is not None
    return q, Fraction(q.low) + (Fraction(q.high) - Fraction(q.low)) * draw(shares)


def _sound(result: Quantity, truth: Fraction) -> bool:
    if result.qualifier in (Q.EXACT, Q.ABOUT):
        # The central figure must itself be possible.
        assert result.low is not None and result.high is not None and result.value is not None
        assert result.low <= result.value <= result.high
    return result.contains(truth)


Operands = list[tuple[Quantity, Fraction]]
Case = Callable[[Operands], tuple[Quantity, Fraction] | None]


def _sum_case(ops: Operands) -> tuple[Quantity, Fraction]:
    return sum_quantities(q for q, _ in ops), sum((t for _, t in ops), Fraction(0))


def _product_case(ops: Operands) -> tuple[Quantity, Fraction]:
    return reduce(lambda a, b: a * b, (q for q, _ in ops)), reduce(lambda a, b: a * b, (t for _, t in ops))


def _quotient_case(ops: Operands) -> tuple[Quantity, Fraction] | None:
    (a, ta), (b, tb) = ops
    return None if tb == 0 else (a / b, ta / tb)


def _chained_case(ops: Operands) -> tuple[Quantity, Fraction] | None:
    # Derived operands (sums, products) feeding further arithmetic, as metrics chain them.
    (a, ta), (b, tb), (c, tc), (d, td) = ops
    return None if td == 0 else ((a + b) * c / d, (ta + tb) * tc / td)


CASES: list[tuple[Case, int, int]] = [
    (_sum_case, 1, 5),
    (_product_case, 2, 3),
    (_quotient_case, 2, 2),
    (_chained_case, 4, 4),
]


@pytest.mark.parametrize(("case", "least", "most"), CASES, ids=[c.__name__.strip("_") for c, _, _ in CASES])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_arithmetic_is_sound(case: Case, least: int, most: int, data: st.DataObject) -> None:
    ops = data.draw(st.lists(operands(), min_size=least, max_size=most))
    for q, t in ops:
        assert q.contains(t)
    outcome = case(ops)
    assume(outcome is not None)
    assert outcome is not None
    assert _sound(*outcome)


def _finds_counterexample(monkeypatch: pytest.MonkeyPatch, name: str, mutant: object) -> bool:
    """Whether the soundness properties catch ``quantities.<name>`` replaced by an unsound ``mutant``."""
    monkeypatch.setattr(quantities, name, mutant)

    def unsound(ops: Operands) -> bool:
        outcomes = (case(ops[:most]) for case, _, most in CASES)
        return any(outcome is not None and not _sound(*outcome) for outcome in outcomes)

    try:
        find(
            st.lists(operands(), min_size=5, max_size=5),
            unsound,
            settings=settings(
                max_examples=5000,
                database=None,
                derandomize=True,
                phases=[Phase.generate],  # finding one is the point; shrinking it only costs time
                suppress_health_check=list(HealthCheck),
            ),
        )
    except NoSuchExample:
        return False
    return True


def test_properties_catch_an_unsound_strictness_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    derive = quantities._derive_nd

    # The plausible mistake: "a strict input bound makes a strict result bound", true for sums only
    # (over 5 times at most 2 can be 0).
    def strict_if_any_input_is(*args: object) -> Quantity:
        inputs, low_n, low_d, low_strict, high_n, high_d, high_strict, nominal_n, nominal_d, unit = args
        low_strict = low_strict or any(q.low_strict for q in inputs)  # type: ignore[attr-defined]
        high_strict = high_strict or any(q.high_strict for q in inputs)  # type: ignore[attr-defined]
        return derive(inputs, low_n, low_d, low_strict, high_n, high_d, high_strict,  # type: ignore[arg-type]
                      nominal_n, nominal_d, unit)  # type: ignore[arg-type]

    assert _finds_counterexample(monkeypatch, "_derive_nd", strict_if_any_input_is)


def test_properties_catch_rounding_to_nearest(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _finds_counterexample(monkeypatch, "_down_nd", lambda n, d: n / d)


def _fraction_quotient(a: Quantity, b: Quantity) -> Quantity:
    """Division as first written, with Fractions: the reference for the integer-pair version."""
    lo = lambda q: Fraction(0) if q.low is None else Fraction(q.low)  # noqa: E731
    if not a.is_known or not b.is_known:
        return Quantity.unknown(b.reason if a.is_known else a.reason)  # type: ignore[arg-type]
    if b.high == 0:
        return Quantity.unknown("division by zero: the divisor is 0")
    low = Fraction(0) if b.high is None else lo(a) / Fraction(b.high)
    low_strict = False if b.high is None else a.low_strict or (b.high_strict and lo(a) > 0)
    if a.high is None or lo(b) == 0:
        high, high_strict = None, False
    else:
        high, high_strict = Fraction(a.high) / lo(b), a.high_strict or (b.low_strict and a.high > 0)
    points = a.qualifier in (Q.EXACT, Q.ABOUT) and b.qualifier in (Q.EXACT, Q.ABOUT)
    nominal = Fraction(a.value) / Fraction(b.value) if points else None  # type: ignore[arg-type]
    return quantities._derive((a, b), low, low_strict, high, high_strict, nominal, None)


@given(operands(), operands())
@settings(max_examples=500, deadline=None)
def test_division_equals_the_fraction_reference(a: tuple[Quantity, Fraction], b: tuple[Quantity, Fraction]) -> None:
    got, expected = a[0] / b[0], _fraction_quotient(a[0], b[0])
    assert (got.qualifier, got.value, got.low, got.high, got.low_strict, got.high_strict, got.approximate) == (
        expected.qualifier, expected.value, expected.low, expected.high, expected.low_strict, expected.high_strict,
        expected.approximate)


@given(st.floats(min_value=0, max_value=1e15), st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.333, 0.5, 0.99]))
@settings(max_examples=300, deadline=None)
def test_about_bounds_equal_the_fraction_reference(v: float, tolerance: float) -> None:
    spread = Fraction(v) * Fraction(repr(tolerance))
    q = Quantity.about(v, tolerance=tolerance)
    assert (q.low, q.high) == (quantities._down(Fraction(v) - spread), quantities._up(Fraction(v) + spread))


# -- phrasing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "en_us", "en_gb", "de_de"),
    [
        (Quantity.exact(28_800_000), "28.8 million", "28.8 million", "28,8 Millionen"),
        (Quantity.exact(2e9), "2 billion", "2 billion", "2 Milliarden"),
        (Quantity.exact(1_000_000), "1 million", "1 million", "1 Million"),
        (Quantity.about(25_000), "about 25,000", "about 25,000", "etwa 25.000"),
        (Quantity.over(16_550_000), "more than 16.55 million", "more than 16.55 million", "mehr als 16,55 Millionen"),
        (Quantity.at_least(3.4e6), "at least 3.4 million", "at least 3.4 million", "mindestens 3,4 Millionen"),
        (Quantity.under(100), "fewer than 100", "fewer than 100", "weniger als 100"),
        (Quantity.at_most(2e9), "up to 2 billion", "up to 2 billion", "bis zu 2 Milliarden"),
        (
            Quantity.between(3e6, 4e6),
            "3 million to 4 million",
            "3 million to 4 million",
            "3 Millionen bis 4 Millionen",
        ),
        (Quantity.about(100) + Quantity.between(10, 20), "105 to 125", "105 to 125", "105 bis 125"),
        (Quantity.about(10) * Quantity.under(5), "fewer than 53", "fewer than 53", "weniger als 53"),
        (Quantity.unknown("no window"), "not computable", "not computable", "nicht berechenbar"),
        (Quantity.exact(44, "days"), "44 days", "44 days", "44 Tage"),
        (Quantity.exact(1, "days"), "1 day", "1 day", "1 Tag"),
        (Quantity.exact(1.5, "days"), "36 hours", "36 hours", "36 Stunden"),  # under two days: hours
        (Quantity.exact(0.3264, "days"), "about 8 hours", "about 8 hours", "etwa 8 Stunden"),
        (Quantity.exact(2.5, "days"), "2.5 days", "2.5 days", "2,5 Tage"),
        (Quantity.between(31, 91, "days"), "31 to 91 days", "31 to 91 days", "31 bis 91 Tage"),
        (Quantity.about(25_000, "accounts"), "about 25,000 accounts", "about 25,000 accounts", "etwa 25.000 Konten"),
        (Quantity.exact(1, "accounts"), "1 account", "1 account", "1 Konto"),
        (Quantity.exact(28.8e6, "interactions"), "28.8 million interactions", "28.8 million interactions",
         "28,8 Millionen Interaktionen"),
        (Quantity.exact(5, "records"), "5 records", "5 records", "5 records"),
        (Quantity.unknown("no window", "days"), "not computable", "not computable", "nicht berechenbar"),
    ],
)
def test_format_quantity(q: Quantity, en_us: str, en_gb: str, de_de: str) -> None:
    assert format_quantity(q) == en_us
    assert format_quantity(q, "en_GB") == en_gb
    assert format_quantity(q, "de_DE") == de_de


def test_format_quantity_options() -> None:
    assert format_quantity(Quantity.exact(44, "days"), with_unit=False) == "44"
    assert format_quantity(Quantity.exact(16_550_000), sig_figs=2) == "about 17 million"


@pytest.mark.parametrize(
    ("x", "kwargs", "expected"),
    [
        (0, {}, "0"),
        (25_000, {}, "25,000"),
        (654_545.4545, {}, "654,500"),
        (1152.5, {}, "1,153"),
        (0.123456, {}, "0.1235"),
        (0.15, {"sig_figs": 1}, "0.2"),
        (26.18, {}, "26.18"),
        (26.18, {"approximate": True}, "26"),
        (9.876, {"approximate": True}, "9.876"),
        (1_234_567, {}, "1.235 million"),
        (999_999.6, {}, "1 million"),
        (16_550_000, {"locale": "de_DE"}, "16,55 Millionen"),
        (25_000, {"locale": "de_DE"}, "25.000"),
        (28_800_000, {"locale": "fr_FR"}, "28,8 millions"),
    ],
)
def test_format_number(x: float, kwargs: dict[str, object], expected: str) -> None:
    assert format_number(x, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: format_quantity(Quantity.exact(1), "xx_YY"),
         "unknown locale 'xx_YY': expected a locale such as en_US, en_GB or de_DE"),
        (lambda: format_number(1, "not a locale!"),
         "unknown locale 'not a locale!': expected a locale such as en_US, en_GB or de_DE"),
        (lambda: format_quantity(Quantity.exact(1), "ja_JP"),
         "no wording for language 'ja': expected English (en), German (de) or French (fr)"),
        (lambda: format_number(float("nan")), "not a finite number: cannot phrase it"),
        (lambda: format_number(1, sig_figs=0), "sig_figs must be at least 1"),
    ],
)
def test_format_rejections(call: Callable[[], str], message: str) -> None:
    with pytest.raises(QuantityError) as err:
        call()
    assert str(err.value) == message


def test_exact_value_rounded_for_prose_is_called_about() -> None:
    rate = Quantity.exact(28_800_000) / Quantity.exact(44)
    assert rate.qualifier is Qualifier.EXACT
    assert format_quantity(rate.with_unit("per day")) == "about 654,500 per day"
    assert format_quantity(Quantity.exact(28_800_000)) == "28.8 million"
    assert format_quantity(Quantity.exact(1152)) == "1,152"


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(operands(), min_size=1, max_size=6))
def test_bulk_sum_is_at_least_as_tight_as_pairwise(ops: Operands) -> None:
    """sum_quantities rounds once, after an exact pass; adding one by one rounds every step."""
    qs = [q for q, _ in ops]
    bulk, pairwise = sum_quantities(qs), reduce(lambda a, b: a + b, qs)
    # Rounding each step can even lose a bound ("0 + over 0" cannot be bounded); one pass cannot.
    if pairwise.is_known:
        assert bulk.is_known
        assert (bulk.low or 0) >= (pairwise.low or 0)
        assert pairwise.high is None or (bulk.high is not None and bulk.high <= pairwise.high)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 10**12), min_size=1, max_size=6),
       kinds=st.lists(st.sampled_from(["exact", "over", "at_least", "under", "at_most"]), min_size=6))
def test_bulk_sum_equals_pairwise_for_whole_figures(values: list[int], kinds: list[str]) -> None:
    qs = [getattr(Quantity, kind)(v) for v, kind in zip(values, kinds) if not (kind == "under" and v == 0)]
    assume(qs)
    # Whole figures add exactly in floats, so no step rounds (but "over 0" alone is unbounded).
    assume(all(q.low for q in qs if q.high is None))
    assert sum_quantities(qs) == reduce(lambda a, b: a + b, qs)


@settings(max_examples=300, deadline=None)
@given(x=st.decimals(min_value=0, max_value=999_999, places=4, allow_nan=False, allow_infinity=False),
       locale=st.sampled_from(["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "de_CH"]))
def test_fast_number_phrasing_matches_babel(x, locale: str) -> None:
    from babel.numbers import format_decimal

    d = x.normalize()
    assert quantities._phrase_number(d, quantities._numbers(locale), 4) == format_decimal(d, locale=locale, decimal_quantization=False)


def _babel_long_compact(d, locale: str, sig_figs: int) -> str:
    from babel.numbers import format_compact_decimal

    return format_compact_decimal(d, format_type="long", locale=locale, fraction_digits=sig_figs)


@settings(max_examples=400, deadline=None)
@given(x=st.one_of(st.floats(min_value=1e6, max_value=1e16), st.integers(10**6, 10**16),
                   st.builds(lambda m, e: m * 10**e, st.integers(1, 999), st.integers(4, 13))),
       sig_figs=st.integers(1, 8),
       locale=st.sampled_from(["en_US", "en_GB", "de_DE", "de_CH", "fr_FR", "ja_JP", "hi_IN", "ar_EG", "ru_RU",
                               "pl_PL", "cy", "ga", "sw"]))
def test_fast_compact_phrasing_matches_babel(x, sig_figs: int, locale: str) -> None:
    """The compact form ("28.8 million", "1 Million", "2 Millionen") is Babel's, number for number."""

    d = quantities._round(float(x), sig_figs, False)
    assume(d >= 10**6)
    assert quantities._compact(d, quantities._numbers(locale), sig_figs) == _babel_long_compact(d, locale, sig_figs)


def test_fast_compact_phrasing_covers_common_locales_and_defers_odd_patterns() -> None:
    """en and de take the fast path (else it would be dead code); a pattern Babel reads its own
    way (Swahili's explicit negative subpattern) is left to Babel, whose output is kept."""

    for locale in ("en_US", "en_GB", "de_DE"):
        assert quantities._numbers(locale).compact is not None
    assert quantities._numbers("sw").compact is None
    for text, expected in [("1E+6", "1 Million"), ("2E+6", "2 Millionen"), ("1.5E+9", "1,5 Milliarden"),
                           ("1E+9", "1 Milliarde"), ("28800000", "28,8 Millionen"), ("1E+12", "1 Billion")]:
        d = quantities.Decimal(text)
        assert quantities._compact(d, quantities._numbers("de_DE"), 4) == expected == _babel_long_compact(d, "de_DE", 4)
    assert quantities._compact(quantities.Decimal("16550000"), quantities._numbers("en_US"), 4) == "16.55 million"


@settings(max_examples=300, deadline=None)
@given(qs=st.lists(operands().map(lambda pair: pair[0]).map(
           lambda q: q.with_unit("days") if q.is_known and q.value is not None and q.value % 2 else q), max_size=7),
       data=st.data())
def test_partial_sums_merge_into_the_sum_of_the_whole(qs: list[Quantity], data: st.DataObject) -> None:
    """Sums of consecutive parts, sent as plain values and merged in any order, equal the one
    sum: unknown reasons (the first in order wins), units, one-summand sums and exact
    fractional bounds included."""
    import marshal

    qs = [q if q.is_known else Quantity.unknown(f"reason {n}") for n, q in enumerate(qs)]  # which one is first?
    cuts = sorted(data.draw(st.lists(st.integers(0, len(qs)), max_size=3)))
    bounds = [0, *cuts, len(qs)]
    parts = [quantities.PartialSum.from_plain(marshal.loads(marshal.dumps(
                 quantities.PartialSum.of(qs[a:b], first=a).to_plain())))
             for a, b in zip(bounds, bounds[1:])]
    parts = data.draw(st.permutations(parts))
    merged = reduce(quantities.PartialSum.merge, parts)
    assert merged.result() == sum_quantities(qs)
    assert merged.result("accounts") == sum_quantities(qs, unit="accounts")
    positions = [(7, n) for n in range(len(qs))]  # any comparable positions, e.g. (file, record)
    assert quantities.PartialSum.of(qs, positions).merge(quantities.PartialSum()).result() == sum_quantities(qs)