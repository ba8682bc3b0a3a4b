"""Precision follows the inputs: no phrase says more than the figures it rests on, and bounds stay true."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.quantities import Quantity, format_quantity, parse_quantity, sum_quantities

_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)(?:\s+(thousand|million|billion|trillion))?")


def _figures(text: str) -> list[int]:
    """The significant figures of each number in a phrase ("about 655,000 per day": [3])."""
    found = []
    for digits, _ in _NUMBER.findall(text):
        d = Decimal(digits.replace(",", ""))
        found.append(max(1, len(d.normalize().as_tuple().digits)) if d else 1)
    return found


def _numbers(text: str) -> list[float]:
    return [float(Decimal(d.replace(",", "")) * _SCALE.get(m, 1)) for d, m in _NUMBER.findall(text)]


def _stated(mantissa: int, figures: int, exponent: int, qualifier: str) -> tuple[str, int]:
    """A figure as a record states it: ``figures`` significant digits, then zeros."""
    digits = str(mantissa)[:figures].rstrip("0") or "1"
    number = int(digits) * 10 ** (exponent + figures - len(digits))
    return f"{qualifier} {number:,}".strip(), len(digits)


STATED = st.builds(_stated, st.integers(1, 9999), st.integers(1, 4), st.integers(0, 5),
                   st.sampled_from(["", "about", "over", "at least"]))


@settings(max_examples=400, deadline=None)
@given(STATED, STATED, st.sampled_from(["/", "*"]))
def test_a_derived_figure_says_no_more_than_its_least_precise_input(a: tuple[str, int], b: tuple[str, int],
                                                                      op: str) -> None:
    x, y = parse_quantity(a[0]), parse_quantity(b[0])
    result = x / y if op == "/" else x * y
    if not result.is_known:
        return
    phrase = format_quantity(result, sig_figs=15)
    assert all(n <= min(a[1], b[1]) for n in _figures(phrase)), (a, b, op, phrase)
    _bounds_hold(result, phrase)


@settings(max_examples=400, deadline=None)
@given(st.lists(STATED, min_size=2, max_size=5))
def test_a_total_says_no_more_than_its_least_precise_part_and_never_less_than_a_part(
        parts: list[tuple[str, int]]) -> None:
    quantities = [parse_quantity(text) for text, _ in parts]
    total = sum_quantities(quantities)
    phrase = format_quantity(total, sig_figs=15)
    # A sum is no more precise than its coarsest part: its last significant figure is in no
    # finer place than that part's (25,000 plus 310 is 25,000, not 25,310).
    coarsest = max(_last_place(text) for text, _ in parts)
    assert all(_last_place_of(d) >= coarsest for d in re.findall(r"\d[\d,]*(?:\.\d+)?(?:\s+\w+illion)?",
                                                                    phrase)), (parts, phrase)
    _bounds_hold(total, phrase)
    # A total never reads smaller than one of its parts.
    biggest = max(_numbers(format_quantity(q, sig_figs=15))[0] for q in quantities)
    assert _numbers(phrase)[0] >= biggest * 0.95 or len(_numbers(phrase)) > 1, (parts, phrase)


def _last_place(stated: str) -> int:
    """The power of ten of a stated figure's last significant digit."""
    return _last_place_of(stated.split()[-1])


def _last_place_of(number: str) -> int:
    digits, _, word = number.partition(" ")
    d = Decimal(digits.replace(",", "")) * _SCALE.get(word, 1)
    return d.normalize().as_tuple().exponent if d else 0


def _bounds_hold(q: Quantity, phrase: str) -> None:
    """A one-sided or range phrase states a bound the true interval lies within."""
    numbers = _numbers(phrase)
    if phrase.startswith(("more than", "at least")):
        assert q.low is not None and numbers[0] <= q.low, phrase
    elif phrase.startswith(("fewer than", "up to")) and "about" not in phrase:
        assert q.high is not None and numbers[0] >= q.high, phrase
    elif " to " in phrase and not phrase.startswith("about"):
        assert numbers[0] <= (q.low or 0) and q.high is not None and numbers[1] >= q.high, phrase


def test_the_seed_campaign_reads_as_the_press_wrote_it() -> None:
    interactions, accounts = parse_quantity(28_800_000), parse_quantity("about 25,000")
    days = Quantity.exact(44, "days")
    assert format_quantity((interactions / days).with_unit("per day")) == "about 655,000 per day"
    assert format_quantity((interactions / accounts).with_unit("per account")) == "about 1,200 per account"
    assert format_quantity((interactions / accounts / days).with_unit("per account per day")) == \
        "about 26 per account per day"
    # Counts computed from a log are exact to the last digit.
    assert format_quantity((Quantity.exact(28_800_000) / days).with_unit("per day"), sig_figs=8) == \
        "about 654,545 per day"  # (approximate figures of 10 or more are phrased to whole numbers)


def test_a_total_of_about_figures_with_some_unstated_reads_at_least_its_parts() -> None:
    from reporter.metrics import _open_above

    stated = sum_quantities([parse_quantity("about 25,000"), parse_quantity("about 27,000")])
    assert format_quantity(stated) == "about 52,000"
    assert format_quantity(_open_above(parse_quantity("about 25,000"))) == "about 25,000 or more"
    mixed = sum_quantities([parse_quantity("about 25,000"), parse_quantity(310), parse_quantity("fewer than 100")])
    # "fewer than 100" leaves a range, rounded outwards at the thousands "about 25,000" is stated in.
    assert format_quantity(mixed) == "24,000 to 27,000"
