"""Qualified numbers: figures as disclosed ("about 25,000", "over 13 million", "3 to 4 million").

A :class:`Quantity` carries the stated figure together with sound bounds on the true value. Arithmetic
works on the bounds with exact rational arithmetic and rounds outwards to floats, so for any true values
consistent with the operands the true result lies inside the result's bounds. The qualifier of a derived
quantity is read back from its bounds, which is what drives phrasing ("more than 16.55 million").
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP
from enum import StrEnum
from fractions import Fraction
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_compact_decimal, format_decimal, get_decimal_symbol, get_group_symbol, parse_pattern

from reporter.errors import QuantityError
from reporter.i18n import fill
from reporter.words import LANGUAGES, words_of

__all__ = [
    "ABOUT_TOLERANCE",
    "MAX_FIGURE",
    "Qualifier",
    "Quantity",
    "format_number",
    "format_quantity",
    "parse_quantity",
    "PartialSum",
    "sum_quantities",
]


class Qualifier(StrEnum):
    """How a stated figure relates to the true value."""

    EXACT = "exact"
    ABOUT = "about"
    OVER = "over"
    AT_LEAST = "at-least"
    UNDER = "under"
    AT_MOST = "at-most"
    RANGE = "range"
    UNKNOWN = "unknown"


ABOUT_TOLERANCE: float = 0.05
"""Documented convention: "about X" means the true value lies within ±5 % of X."""

MAX_FIGURE: float = 1e15
"""Largest figure accepted as input; guards against overflow and typos with extra zeros."""

_EXPECTED = 'expected a number or a phrase such as "about 25,000", "over 13 million" or "3 to 4 million"'
_TOO_LARGE = "figure too large: figures above 10^15 are not accepted"

_SYNONYMS: dict[str, Qualifier] = {
    "exactly": Qualifier.EXACT,
    "about": Qualifier.ABOUT,
    "approximately": Qualifier.ABOUT,
    "approx.": Qualifier.ABOUT,
    "approx": Qualifier.ABOUT,
    "around": Qualifier.ABOUT,
    "roughly": Qualifier.ABOUT,
    "~": Qualifier.ABOUT,
    "over": Qualifier.OVER,
    "more than": Qualifier.OVER,
    ">": Qualifier.OVER,
    "at least": Qualifier.AT_LEAST,
    "no fewer than": Qualifier.AT_LEAST,
    "no less than": Qualifier.AT_LEAST,
    "≥": Qualifier.AT_LEAST,
    ">=": Qualifier.AT_LEAST,
    "under": Qualifier.UNDER,
    "fewer than": Qualifier.UNDER,
    "less than": Qualifier.UNDER,
    "<": Qualifier.UNDER,
    "up to": Qualifier.AT_MOST,
    "at most": Qualifier.AT_MOST,
    "no more than": Qualifier.AT_MOST,
    "≤": Qualifier.AT_MOST,
    "<=": Qualifier.AT_MOST,
}

_MULTIPLIERS: dict[str, int] = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
}

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?"
_MUL = r"(?:\s*(?:" + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True)) + r")\b)?"
# Longest first so that ">=" wins over ">" and "approximately" over "approx". Words need a space after
# them; symbols may touch the number ("~25,000", ">=5").
_QUAL = "|".join(
    re.escape(word) + (r"\s+" if word[-1].isalnum() else r"\s*")
    for word in sorted(_SYNONYMS, key=len, reverse=True)
)
_SINGLE_RE = re.compile(rf"(?:(?P<q>{_QUAL}))?(?P<n>{_NUM}{_MUL})")
_NEGATIVE_RE = re.compile(rf"(?:{_QUAL})?[-−]\s*{_NUM}{_MUL}")
_RANGE_RE = re.compile(
    rf"between\s+(?P<a>{_NUM}{_MUL})\s+and\s+(?P<b>{_NUM}{_MUL})"
    rf"|(?P<c>{_NUM}{_MUL})(?:\s+to\s+|\s*[-–—]\s*)(?P<d>{_NUM}{_MUL})"
)
_SPLIT_RE = re.compile(rf"(?P<n>{_NUM})\s*(?P<m>[a-z]*)")


def _check_figure(x: object) -> float:
    """Validate one numeric figure (any real number type, e.g. from pandas) and return it as a float."""
    # Fast path for the common types (an ABC check costs more than the rest together).
    if type(x) is float:
        if 0 <= x <= MAX_FIGURE:
            return x
    elif type(x) is int and 0 <= x <= MAX_FIGURE:
        return float(x)
    # bool is an int in Python, but a yes/no answer where a count belongs is a mistake.
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise QuantityError("not a figure: " + _EXPECTED)
    try:
        f = float(x)
    except OverflowError:
        raise QuantityError(_TOO_LARGE) from None
    if not math.isfinite(f):
        raise QuantityError("not a finite number: " + _EXPECTED)
    if f < 0:
        raise QuantityError("negative figure: figures are counts and cannot be below 0")
    if f > MAX_FIGURE:
        raise QuantityError(_TOO_LARGE)
    return f


_EXACT_INT_LIMIT = 2**53  # every integer below this is a float exactly


def _num(x: float) -> int | Fraction:
    """An exact number for arithmetic: a whole float as int (fast), anything else as Fraction."""
    return int(x) if x.is_integer() else Fraction(x)


@functools.lru_cache(maxsize=64)
def _tolerance(tolerance: float) -> tuple[int, int]:
    """A tolerance as the decimal fraction its writer meant (0.05 is 1/20, not the float near it)."""
    exact = Fraction(repr(tolerance))
    return exact.numerator, exact.denominator


def _down(x: int | Fraction) -> float:
    """Largest float not above ``x``: a lower bound must never move up when rounded."""
    return _down_nd(x.numerator, x.denominator)


def _up(x: int | Fraction) -> float | None:
    """Smallest float not below ``x``, or None (unbounded) when ``x`` exceeds every float."""
    return _up_nd(x.numerator, x.denominator)


# Exact arithmetic on hot paths works on numerator/denominator pairs of ints (the denominator
# positive, the pair not necessarily in lowest terms): Python's int / int is correctly rounded,
# and comparing a float with n/d is integer cross-multiplication -- no Fraction is built.


def _down_nd(n: int, d: int) -> float:
    """Largest float not above n/d (d > 0)."""
    if d == 1 and -_EXACT_INT_LIMIT < n < _EXACT_INT_LIMIT:
        return float(n)
    try:
        f = n / d
    except OverflowError:
        return math.nextafter(math.inf, 0.0)
    fn, fd = f.as_integer_ratio()
    return math.nextafter(f, -math.inf) if fn * d > n * fd else f


def _up_nd(n: int, d: int) -> float | None:
    """Smallest float not below n/d (d > 0), or None when n/d exceeds every float."""
    if d == 1 and -_EXACT_INT_LIMIT < n < _EXACT_INT_LIMIT:
        return float(n)
    try:
        f = n / d
    except OverflowError:
        return None
    fn, fd = f.as_integer_ratio()
    if fn * d < n * fd:
        f = math.nextafter(f, math.inf)
    return None if math.isinf(f) else f


def _exact_sum(xs: list[float]) -> int | Fraction:
    """The exact sum of finite floats: whole ones as ints, the rest over one power-of-two denominator."""
    try:
        if all(map(float.is_integer, xs)):  # the common case, at C speed: counts are whole
            return sum(map(int, xs))
    except TypeError:  # an int among the floats: the loop below takes any real number
        pass
    ints = 0
    parts = []
    for x in xs:
        if x.is_integer():
            ints += int(x)
        else:
            parts.append(x.as_integer_ratio())
    if not parts:
        return ints
    # Every float's denominator is a power of two, so the largest one is a multiple of all of them.
    den = max(d for _, d in parts)
    return Fraction(ints * den + sum(n * (den // d) for n, d in parts), den)


def _frac(x: float | None) -> int | Fraction | None:
    return None if x is None else _num(x)


def _is_point(q: Quantity) -> bool:
    """Whether a quantity has a nominal central figure that arithmetic can carry."""
    return q.qualifier in (Qualifier.EXACT, Qualifier.ABOUT)


_QUALIFIER_VALUES = {q.value: q for q in Qualifier}


@dataclass(frozen=True, init=False)
class Quantity:
    """A disclosed or derived figure with sound bounds on the true value.

    Attributes:
        qualifier: how the stated figure relates to the true value.
        value: the stated or nominal central figure; for one-sided qualifiers the bound itself;
            None for ranges and unknown quantities.
        low: lower bound on the true value; None means unbounded below.
        high: upper bound on the true value; None means unbounded above.
        unit: e.g. None, "days", "per day", "per account per day".
        reason: why the quantity is unknown or not computable.
        low_strict: the true value is strictly greater than ``low`` ("over", "more than").
        high_strict: the true value is strictly less than ``high`` ("under", "fewer than").
        approximate: some "about" figure contributed to this quantity.
        sig: the significant figures it was stated with ("about 25,000": 2; "28.8 million" and
            28_800_000: 3), or the fewest of the stated figures it was derived from; None for
            figures as precise as their digits (counts computed from a log, days between dates).
            Phrases never show more.
    """

    qualifier: Qualifier
    value: float | None
    low: float | None
    high: float | None
    unit: str | None = None
    reason: str | None = None
    low_strict: bool = False
    high_strict: bool = False
    approximate: bool = False
    # Not part of what the quantity *is* (equal bounds are equal figures): how it is phrased.
    sig: int | None = field(default=None, compare=False)

    def __init__(self, qualifier: Qualifier, value: float | None, low: float | None, high: float | None,
                 unit: str | None = None, reason: str | None = None, low_strict: bool = False,
                 high_strict: bool = False, approximate: bool = False, sig: int | None = None):
        # The fields in one step: a frozen dataclass's own __init__ sets them one by one through
        # object.__setattr__, at twice the cost, and metrics make tens of thousands of these.
        object.__setattr__(self, "__dict__", {
            "qualifier": qualifier, "value": value, "low": low, "high": high, "unit": unit, "reason": reason,
            "low_strict": low_strict, "high_strict": high_strict, "approximate": approximate, "sig": sig,
        })

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def exact(cls, v: float, unit: str | None = None) -> Quantity:
        """An exact figure: the true value is ``v``."""
        v = _check_figure(v)
        return cls(Qualifier.EXACT, v, v, v, unit)

    @classmethod
    def about(cls, v: float, unit: str | None = None, tolerance: float = ABOUT_TOLERANCE) -> Quantity:
        """An approximate figure: the true value lies within ``±tolerance`` (a fraction) of ``v``."""
        v = _check_figure(v)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance < 1:
            raise QuantityError("tolerance must be a fraction from 0 up to (not including) 1, e.g. 0.05")
        # Read 0.05 as the 1/20 its writer meant, so bounds of round figures stay round:
        # v × (1 ± t) exactly, as integer pairs.
        t_n, t_d = _tolerance(float(tolerance))
        v_n, v_d = v.as_integer_ratio()
        den = v_d * t_d
        return cls(Qualifier.ABOUT, v, _down_nd(v_n * (t_d - t_n), den), _up_nd(v_n * (t_d + t_n), den), unit,
                   approximate=True)

    @classmethod
    def over(cls, v: float, unit: str | None = None) -> Quantity:
        """The true value is strictly greater than ``v``."""
        v = _check_figure(v)
        return cls(Qualifier.OVER, v, v, None, unit, low_strict=True)

    @classmethod
    def at_least(cls, v: float, unit: str | None = None) -> Quantity:
        """The true value is ``v`` or more."""
        v = _check_figure(v)
        return cls(Qualifier.AT_LEAST, v, v, None, unit)

    @classmethod
    def under(cls, v: float, unit: str | None = None) -> Quantity:
        """The true value is strictly less than ``v`` (and, being a count, not below 0)."""
        v = _check_figure(v)
        if v == 0:
            raise QuantityError('"under 0" is impossible: figures are counts and cannot be below 0')
        return cls(Qualifier.UNDER, v, 0.0, v, unit, high_strict=True)

    @classmethod
    def at_most(cls, v: float, unit: str | None = None) -> Quantity:
        """The true value is ``v`` or less (and not below 0)."""
        v = _check_figure(v)
        return cls(Qualifier.AT_MOST, v, 0.0, v, unit)

    @classmethod
    def between(cls, lo: float, hi: float, unit: str | None = None) -> Quantity:
        """The true value lies in ``[lo, hi]``."""
        lo, hi = _check_figure(lo), _check_figure(hi)
        if lo > hi:
            raise QuantityError("range runs backwards: the low end must not be above the high end")
        return cls(Qualifier.RANGE, None, lo, hi, unit)

    @classmethod
    def unknown(cls, reason: str, unit: str | None = None) -> Quantity:
        """A figure that is not known or cannot be computed, with the reason why."""
        return cls(Qualifier.UNKNOWN, None, None, None, unit, reason)

    @classmethod
    def of(
        cls,
        qualifier: Qualifier | str | None = None,
        value: float | str | None = None,
        low: float | str | None = None,
        high: float | str | None = None,
        unit: str | None = None,
    ) -> Quantity:
        """Build a quantity from the mapping form ``{value, qualifier, unit}`` or ``{low, high, ...}``.

        Args:
            qualifier: a :class:`Qualifier`, its value ("at-least") or a phrase synonym ("more than");
                None means "range" when low/high are given and "exact" otherwise.
            value: the stated figure; a number or a bare number phrase ("28.8 million").
            low: lower end of a range.
            high: upper end of a range.
            unit: unit of the figure.

        Raises:
            QuantityError: the qualifier is unknown, or the parts do not fit it.
        """
        has_bounds = low is not None or high is not None
        if qualifier is None:
            q = Qualifier.RANGE if has_bounds else Qualifier.EXACT
        else:
            q = _qualifier(qualifier)
        if q is Qualifier.UNKNOWN:
            if value is not None or has_bounds:
                raise QuantityError("an unknown figure takes no value, low or high")
            return cls.unknown("stated as unknown", unit)
        if q is Qualifier.RANGE:
            if value is not None or low is None or high is None:
                raise QuantityError("a range needs both low and high, and no value")
            return cls.between(_figure(low), _figure(high), unit)
        if value is None or has_bounds:
            raise QuantityError(f'a figure qualified "{q}" needs a value, and no low or high')
        return _CONSTRUCTORS[q](_figure(value), unit)

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other: Quantity | float) -> Quantity:
        # A plain number added to "44 days" counts in days too.
        o = _coerce(other, self.unit)
        if (bad := _first_unknown(self, o)) is not None:
            return bad
        a_lo, b_lo = _num(_lo(self)), _num(_lo(o))
        a_hi, b_hi = _frac(self.high), _frac(o.high)
        high = None if a_hi is None or b_hi is None else a_hi + b_hi
        nominal = _num(self.value) + _num(o.value) if _is_point(self) and _is_point(o) else None
        return _derive(
            (self, o),
            a_lo + b_lo,
            self.low_strict or o.low_strict,
            high,
            self.high_strict or o.high_strict,
            nominal,
            self.unit if self.unit == o.unit else None,
        )

    __radd__ = __add__

    def __mul__(self, other: Quantity | float) -> Quantity:
        o = _coerce(other)
        if (bad := _first_unknown(self, o)) is not None:
            return bad
        a_lo, b_lo = _num(_lo(self)), _num(_lo(o))
        a_hi, b_hi = _frac(self.high), _frac(o.high)
        # A factor that is certainly 0 makes the product 0, however large the other factor may be.
        if a_hi == 0 or b_hi == 0:
            high: int | Fraction | None = 0
            high_strict = False
        elif a_hi is None or b_hi is None:
            high, high_strict = None, False
        else:
            high = a_hi * b_hi
            high_strict = (self.high_strict and b_hi > 0) or (o.high_strict and a_hi > 0)
        nominal = _num(self.value) * _num(o.value) if _is_point(self) and _is_point(o) else None
        return _derive(
            (self, o),
            a_lo * b_lo,
            (self.low_strict and b_lo > 0) or (o.low_strict and a_lo > 0),
            high,
            high_strict,
            nominal,
            None,
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Quantity | float) -> Quantity:
        o = _coerce(other)
        if (bad := _first_unknown(self, o)) is not None:
            return bad
        if o.high == 0:
            return Quantity.unknown("division by zero: the divisor is 0")
        # Every bound is a float, so an exact integer ratio; quotients are kept as pairs.
        a_lo_n, a_lo_d = _lo(self).as_integer_ratio()
        b_lo_n, b_lo_d = _lo(o).as_integer_ratio()
        # The true quotient is smallest for the smallest numerator over the largest divisor.
        if o.high is None:
            low_n, low_d, low_strict = 0, 1, False
        else:
            b_hi_n, b_hi_d = o.high.as_integer_ratio()
            low_n, low_d = a_lo_n * b_hi_d, a_lo_d * b_hi_n
            low_strict = self.low_strict or (o.high_strict and a_lo_n > 0)
        # A divisor that may come arbitrarily close to 0 leaves the quotient unbounded above.
        if self.high is None or b_lo_n == 0:
            high_n: int | None = None
            high_d, high_strict = 1, False
        else:
            a_hi_n, a_hi_d = self.high.as_integer_ratio()
            high_n, high_d = a_hi_n * b_lo_d, a_hi_d * b_lo_n
            high_strict = self.high_strict or (o.low_strict and a_hi_n > 0)
        nominal_n: int | None = None
        nominal_d = 1
        if _is_point(self) and _is_point(o) and o.value:
            a_n, a_d = self.value.as_integer_ratio()  # type: ignore[union-attr]
            b_n, b_d = o.value.as_integer_ratio()  # type: ignore[union-attr]
            nominal_n, nominal_d = a_n * b_d, a_d * b_n
        return _derive_nd((self, o), low_n, low_d, low_strict, high_n, high_d, high_strict, nominal_n, nominal_d,
                          None)

    def __rtruediv__(self, other: float) -> Quantity:
        return _coerce(other) / self

    def with_unit(self, unit: str | None) -> Quantity:
        """Return the same quantity in ``unit`` (arithmetic cannot know what a product or quotient measures)."""
        if unit == self.unit:
            return self
        return Quantity(self.qualifier, self.value, self.low, self.high, unit, self.reason, self.low_strict,
                        self.high_strict, self.approximate, self.sig)

    def with_sig(self, sig: int | None) -> Quantity:
        """The same quantity, stated with ``sig`` significant figures (None: as precise as its digits)."""
        if sig == self.sig:
            return self
        return Quantity(self.qualifier, self.value, self.low, self.high, self.unit, self.reason, self.low_strict,
                        self.high_strict, self.approximate, sig)

    # -- inspection ---------------------------------------------------------------------------

    @property
    def is_known(self) -> bool:
        """Whether the quantity has any bounds at all (it is not UNKNOWN)."""
        return self.qualifier is not Qualifier.UNKNOWN

    def contains(self, x: float | Fraction) -> bool:
        """Whether ``x`` is a true value consistent with the bounds and their strictness."""
        if self.low is not None and (x <= self.low if self.low_strict else x < self.low):
            return False
        return not (self.high is not None and (x >= self.high if self.high_strict else x > self.high))

    def to_plain(self) -> tuple:
        """The fields as plain values (``marshal`` carries them between processes)."""
        return (self.qualifier.value, self.value, self.low, self.high, self.unit, self.reason, self.low_strict,
                self.high_strict, self.approximate, self.sig)

    @classmethod
    def from_plain(cls, plain: tuple) -> Quantity:
        """Rebuild what :meth:`to_plain` made."""
        return cls(_QUALIFIER_VALUES[plain[0]], *plain[1:])

    def as_dict(self) -> dict[str, object]:
        """The JSON form; whole numbers are written as integers. Callers add the localised phrase."""
        value, low, high = self.value, self.low, self.high
        return {
            "value": int(value) if value is not None and value.is_integer() else value,
            "low": int(low) if low is not None and low.is_integer() else low,
            "high": int(high) if high is not None and high.is_integer() else high,
            "qualifier": self.qualifier.value,
            "unit": self.unit,
            "reason": self.reason,
        }


def positional(x: float) -> str:
    """A float's shortest exact digits without an exponent: ``1e-05`` → ``"0.00001"``,
    ``9.999999999999997e-06`` → ``"0.000009999999999999997"`` (the README's number form)."""
    return format(Decimal(repr(x)), "f")


_CONSTRUCTORS = {
    Qualifier.EXACT: Quantity.exact,
    Qualifier.ABOUT: Quantity.about,
    Qualifier.OVER: Quantity.over,
    Qualifier.AT_LEAST: Quantity.at_least,
    Qualifier.UNDER: Quantity.under,
    Qualifier.AT_MOST: Quantity.at_most,
}


def _lo(q: Quantity) -> float:
    # Figures are counts, so a missing lower bound on a known quantity still means 0.
    return 0.0 if q.low is None else q.low


def _coerce(x: Quantity | float, unit: str | None = None) -> Quantity:
    return x if isinstance(x, Quantity) else Quantity.exact(x, unit)


def _first_unknown(a: Quantity, b: Quantity) -> Quantity | None:
    for q in (a, b):
        if not q.is_known:
            return Quantity.unknown(q.reason or "an input is unknown")
    return None


def _derive(
    inputs: tuple[Quantity, ...],
    low: int | Fraction,
    low_strict: bool,
    high: int | Fraction | None,
    high_strict: bool,
    nominal: int | Fraction | None,
    unit: str | None,
) -> Quantity:
    """Read the qualifier of an arithmetic result back from its exact bounds."""
    return _derive_nd(
        inputs, low.numerator, low.denominator, low_strict,
        None if high is None else high.numerator, 1 if high is None else high.denominator, high_strict,
        None if nominal is None else nominal.numerator, 1 if nominal is None else nominal.denominator, unit,
    )


def _derive_nd(
    inputs: tuple[Quantity, ...],
    low_n: int,
    low_d: int,
    low_strict: bool,
    high_n: int | None,
    high_d: int,
    high_strict: bool,
    nominal_n: int | None,
    nominal_d: int,
    unit: str | None,
) -> Quantity:
    """:func:`_derive` with each exact bound given as numerator and (positive) denominator;
    ``high_n`` None means unbounded above, ``nominal_n`` None means no central figure.

    The result is as precise as its least precise input (the fewest significant figures)."""
    approximate = False
    sig = None
    for q in inputs:
        approximate = approximate or q.approximate
        if q.sig is not None and (sig is None or q.sig < sig):
            sig = q.sig
    lo = _down_nd(low_n, low_d)
    hi = None if high_n is None else _up_nd(high_n, high_d)
    if hi is None:
        if low_n == 0:
            return Quantity.unknown("cannot be bounded: the inputs allow any value from 0 upwards", unit)
        qualifier = Qualifier.OVER if low_strict else Qualifier.AT_LEAST
        return Quantity(qualifier, lo, lo, None, unit, None, low_strict, False, approximate, sig)
    if low_n * high_d == high_n * low_d:
        # An exact result no float can hold keeps bounds one float step apart around its nearest float.
        return Quantity(Qualifier.EXACT, low_n / low_d, lo, hi, unit, approximate=approximate, sig=sig)
    if low_n == 0:
        qualifier = Qualifier.UNDER if high_strict else Qualifier.AT_MOST
        return Quantity(qualifier, hi, lo, hi, unit, None, low_strict, high_strict, approximate, sig)
    # Only exact and "about" inputs carry a central figure; anything else leaves an honest range.
    qualifier, value = (Qualifier.RANGE, None) if nominal_n is None else (Qualifier.ABOUT, nominal_n / nominal_d)
    return Quantity(qualifier, value, lo, hi, unit, None, low_strict, high_strict, approximate, sig)


def _qualifier(raw: Qualifier | str) -> Qualifier:
    text = " ".join(str(raw).lower().split())
    try:
        return Qualifier(text.replace("_", "-"))
    except ValueError:
        pass
    if text in _SYNONYMS:
        return _SYNONYMS[text]
    raise QuantityError("unknown qualifier: expected one of " + ", ".join(q.value for q in Qualifier))


def _figure(raw: float | str) -> float:
    """A bare figure in the mapping form: a number, or a number phrase without qualifier."""
    if isinstance(raw, str):
        text = " ".join(raw.lower().split())
        if not re.fullmatch(rf"{_NUM}{_MUL}", text):
            raise QuantityError('not a figure: expected a number such as 25000 or "28.8 million"')
        return _scaled(*_split(text))
    return _check_figure(raw)


def _split(token: str) -> tuple[Decimal, str]:
    """Digits and multiplier word of a number token matched by ``_NUM`` and ``_MUL``."""
    m = _SPLIT_RE.fullmatch(token)
    assert m is not None  # tokens come from regexes built on the same grammar
    if not m["m"] and m["n"][-4:-3] == "." and _AMBIGUOUS_NUMBER.fullmatch(m["n"]):
        # "25.000": 25 to an English reader, 25,000 to a German one.
        raise _ambiguous(m["n"], _ENGLISH)
    return Decimal(m["n"].replace(",", "").replace("_", "")), m["m"]


def _scaled(digits: Decimal, multiplier: str) -> float:
    # Decimal keeps "28.8 million" exact; checking before float() keeps huge inputs from becoming inf.
    value = digits * _MULTIPLIERS.get(multiplier, 1)
    if value > MAX_FIGURE:
        raise QuantityError(_TOO_LARGE)
    return _check_figure(float(value))


@functools.lru_cache(maxsize=8192, typed=True)  # records repeat phrases and dates; results are immutable
def parse_quantity(raw: int | float | str, locale: str = "en_US") -> Quantity:
    """Read a figure written as a number or a phrase, in English or in the language of ``locale``.

    Accepts plain numbers (``25000``, ``"25,000"``, ``"28_800_000"``), multipliers (``"28.8 million"``,
    ``"3.4M"``, ``"150k"``, ``"2.5bn"``), qualifier words (``"about"``, ``"over"``, ``"at least"``,
    ``"fewer than"``, ``"up to"`` and their synonyms and symbols) and ranges (``"3 to 4 million"``,
    ``"3-4 million"``, ``"between 3 and 4 million"``). The mapping form is handled by :meth:`Quantity.of`.

    In a German or French ``locale`` the phrases of that language are read too ("rund 25.000",
    "über 28,8 Millionen", "environ 25 000", "plus de 16 millions"), with its separators; see
    :func:`_parse_localised`. In any locale, a number such as "25.000" whose separator could be a
    decimal point or a thousands separator, and whose readings differ, is refused with both readings.

    Raises:
        QuantityError: the input is empty, not a figure, not finite, negative, too large, ambiguous,
            or a range that runs backwards. The message never repeats the input, which may be
            confidential (an ambiguous number is shown, with its two readings, and nothing else).
    """
    if not isinstance(raw, str):
        return Quantity.exact(raw).with_sig(_significant(raw))
    text = " ".join(raw.lower().split())
    if not text:
        raise QuantityError("empty figure: " + _EXPECTED)
    if text.lstrip("+-−") in ("nan", "inf", "infinity"):
        raise QuantityError("not a finite number: " + _EXPECTED)
    if locale != "en_US":
        reading = _reading(locale)
        if reading is not None:
            return _parse_localised(text, reading)
    if m := _SINGLE_RE.fullmatch(text):
        qualifier = _SYNONYMS[m["q"].strip()] if m["q"] else Qualifier.EXACT
        digits, multiplier = _split(m["n"])
        return _CONSTRUCTORS[qualifier](_scaled(digits, multiplier)).with_sig(_significant(digits))
    if m := _RANGE_RE.fullmatch(text):
        (lo, lo_mul), (hi, hi_mul) = (_split(t) for t in ((m["a"], m["b"]) if m["a"] else (m["c"], m["d"])))
        # "3 to 4 million": the high end's multiplier applies to a bare low end.
        return Quantity.between(_scaled(lo, lo_mul or hi_mul), _scaled(hi, hi_mul)).with_sig(
            min(_significant(lo), _significant(hi)))
    if _NEGATIVE_RE.fullmatch(text):
        raise QuantityError("negative figure: figures are counts and cannot be below 0")
    _foreign_number(text)  # a German or French number in an English project: say how it reads
    raise QuantityError("not a figure: " + _EXPECTED)


# -- figures in the project's language -----------------------------------------------------------
#
# Records are written in their author's language. In a German or French project a figure may be
# written as that language writes it ("rund 25.000", "über 28,8 Millionen", "environ 25 000",
# "jusqu'à 48 000"); English phrases are read there too. A number is read with the locale's
# separators or with English ones: the phrase's words say which comes first (an English word
# reads the number in English, a German or French one in the locale; none, or both, the locale),
# and the other applies when the first cannot read it. A decimal separator before exactly three
# digits, with no scale word ("25,000" in German, "25.000" in English), could as well separate
# thousands: it is refused with both readings.


@dataclass(frozen=True)
class _Convention:
    """How a language writes numbers: its decimal and thousands separators (" " for any space)."""

    name: str
    decimal: str
    group: str

    @functools.cached_property
    def number(self) -> re.Pattern[str]:
        group, decimal = re.escape(self.group), re.escape(self.decimal)
        return re.compile(rf"(\d{{1,3}}(?:{group}\d{{3}})+|\d+(?:_\d+)*)(?:{decimal}(\d+))?")

    def read(self, token: str) -> Decimal | None:
        """The number ``token`` is in this convention, or None."""
        m = self.number.fullmatch(token)
        if m is None:
            return None
        whole = m[1].replace(self.group, "").replace("_", "")
        return Decimal(f"{whole}.{m[2]}" if m[2] else whole)

    def show(self, number: Decimal) -> str:
        """``number`` written in this convention ("25.000", "2,5")."""
        text = f"{number.normalize():,f}"
        return text.translate(str.maketrans({",": self.group, ".": self.decimal}))


_ENGLISH = _Convention("English", ".", ",")
_GERMAN = _Convention("German", ",", ".")
_FRENCH = _Convention("French", ",", " ")
_AMBIGUOUS_NUMBER = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
"""A number whose one separator may be a decimal point or a thousands separator ("25.000", "2,500")."""


def _ambiguous(token: str, shown: _Convention) -> QuantityError:
    """The refusal of an ambiguous number ("25.000"), its readings written as ``shown`` writes numbers."""
    separator = token[-4]
    decimal, thousands = Decimal(token.replace(separator, ".")), Decimal(token.replace(separator, ""))
    point = "a decimal point" if separator == "." else "a decimal comma"
    return QuantityError(f"{token} is ambiguous: it reads as {shown.show(decimal)} with {point}, or as "
                         f"{shown.show(thousands)} with '{separator}' separating thousands; write "
                         f"{shown.show(decimal)} or {thousands}")


@dataclass(frozen=True)
class _Language:
    """The words a language writes figures with, beside the English ones."""

    name: str
    qualifiers: dict[str, Qualifier]
    scales: dict[str, int]  # word → power of ten
    between: tuple[tuple[str, str], ...]  # ("zwischen", "und"): "zwischen 3 und 4"
    to: tuple[str, ...]  # "3 bis 4"
    false_friends: dict[str, str]  # a scale word that means another power of ten here → what to write


_LANGUAGES_READ: dict[str, _Language] = {
    "de": _Language(
        name="German",
        qualifiers={
            "genau": Qualifier.EXACT, "exakt": Qualifier.EXACT,
            "rund": Qualifier.ABOUT, "etwa": Qualifier.ABOUT, "ca.": Qualifier.ABOUT, "ca": Qualifier.ABOUT,
            "circa": Qualifier.ABOUT, "zirka": Qualifier.ABOUT, "ungefähr": Qualifier.ABOUT,
            "mehr als": Qualifier.OVER, "über": Qualifier.OVER,
            "mindestens": Qualifier.AT_LEAST, "nicht weniger als": Qualifier.AT_LEAST,
            "weniger als": Qualifier.UNDER, "unter": Qualifier.UNDER,
            "höchstens": Qualifier.AT_MOST, "bis zu": Qualifier.AT_MOST, "maximal": Qualifier.AT_MOST,
            "nicht mehr als": Qualifier.AT_MOST,
        },
        scales={"tsd.": 3, "tsd": 3, "tausend": 3, "mio.": 6, "mio": 6, "million": 6, "millionen": 6,
                "mrd.": 9, "mrd": 9, "milliarde": 9, "milliarden": 9, "bio.": 12, "billionen": 12},
        between=(("zwischen", "und"), ("von", "bis")),
        to=("bis",),
        false_friends={"billion": "Mrd. (10^9) or Bio. (10^12)", "trillion": "Bio. (10^12)"},
    ),
    "fr": _Language(
        name="French",
        qualifiers={
            "exactement": Qualifier.EXACT,
            "environ": Qualifier.ABOUT, "près de": Qualifier.ABOUT, "à peu près": Qualifier.ABOUT,
            "approximativement": Qualifier.ABOUT,
            "plus de": Qualifier.OVER,
            "au moins": Qualifier.AT_LEAST, "pas moins de": Qualifier.AT_LEAST,
            "moins de": Qualifier.UNDER,
            "jusqu'à": Qualifier.AT_MOST, "au plus": Qualifier.AT_MOST, "au maximum": Qualifier.AT_MOST,
            "pas plus de": Qualifier.AT_MOST,
        },
        scales={"mille": 3, "million": 6, "millions": 6, "milliard": 9, "milliards": 9, "md": 9, "mds": 9,
                "mrd": 9, "billions": 12},
        between=(("entre", "et"), ("de", "à")),
        to=("à",),
        false_friends={"billion": "milliard(s) (10^9) or billions (10^12)", "trillion": "billions (10^12)"},
    ),
}
"""German and French figure words, as records written in those languages use them."""

_ABBREVIATIONS = frozenset({"k", "m", "mn", "b", "bn", "tn"})  # of no one language


@dataclass(frozen=True)
class _Reading:
    """How figures are read in one locale: its language's words and its separators."""

    language: _Language
    convention: _Convention

    @functools.cached_property
    def grammar(self) -> tuple[dict[str, Qualifier], dict[str, int | None], list[re.Pattern[str]], re.Pattern[str],
                               dict[str, str]]:
        """Qualifier words, scale words (None: a false friend), the phrase patterns (one figure
        first, then the ranges), the pattern of a negative figure, and the language of each word
        ("en", "local"; symbols and words both languages share are in neither)."""
        own = self.language
        qualifiers = {**_SYNONYMS, **own.qualifiers}
        scales: dict[str, int | None] = {word: round(math.log10(factor)) for word, factor in _MULTIPLIERS.items()}
        for word in own.false_friends:
            scales[word] = None
        scales.update(own.scales)
        english = {*_SYNONYMS, *_MULTIPLIERS, "between", "and", "to"}
        local = {*own.qualifiers, *own.scales, *own.false_friends, *(w for pair in own.between for w in pair), *own.to}
        languages = {word: "en" for word in english - local if word[0].isalpha() and word not in _ABBREVIATIONS}
        languages.update({word: "local" for word in local - english})
        separators = re.escape("".join(sorted({".", ",", self.convention.group})))
        number = rf"(?:\d{{1,3}}(?:[{separators}]\d{{3}})+|\d+(?:_\d+)*)(?:[.,]\d+)?"
        words = "|".join(re.escape(w) for w in sorted(scales, key=len, reverse=True))

        def figure(n: str) -> str:
            return rf"(?P<n{n}>{number})(?:\s*(?P<m{n}>{words}))?(?!\w)"

        qualifier = "|".join(re.escape(w) + (r"\s+" if w[-1].isalnum() else r"\s*")
                             for w in sorted(qualifiers, key=len, reverse=True))
        patterns = [re.compile(rf"(?:(?P<q>{qualifier}))?{figure('')}")]
        for first, then in (("between", "and"), *own.between):
            patterns.append(re.compile(rf"(?P<w>{re.escape(first)})\s+{figure('a')}\s+{re.escape(then)}\s+{figure('b')}"))
        to = "|".join(re.escape(w) for w in ("to", *own.to))
        patterns.append(re.compile(rf"{figure('a')}(?:\s+(?P<w>{to})\s+|\s*[-–—]\s*){figure('b')}"))
        negative = re.compile(rf"(?:{qualifier})?[-−]\s*{figure('')}")
        return qualifiers, scales, patterns, negative, languages


@functools.lru_cache(maxsize=64)
def _reading(locale: str) -> _Reading | None:
    """How records are read in ``locale``: None for English (and languages without figure words)."""
    loc = _locale(locale)
    language = _LANGUAGES_READ.get(loc.language)
    if language is None:
        return None
    group = get_group_symbol(loc)
    convention = _Convention(language.name, get_decimal_symbol(loc), " " if group.isspace() else group.replace("’", "'"))
    return _Reading(language, convention)


def reading_key(locale: str) -> str:
    """What figures read in ``locale`` depend on: "" for English (any English locale reads alike),
    else the locale. Caches of parsed records key on it."""
    return "" if _reading(locale) is None else locale


def _parse_localised(text: str, reading: _Reading) -> Quantity:
    """:func:`parse_quantity` of lowercased, space-normalised ``text`` in a German or French locale."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("’", "'")
    qualifiers, scales, patterns, negative, languages = reading.grammar
    for n, pattern in enumerate(patterns):
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        words = [groups.get(key) for key in ("q", "w", "m", "ma", "mb")]
        said = {languages.get(w.strip()) for w in words if w} - {None}
        english = said == {"en"}
        first, second = (_ENGLISH, reading.convention) if english else (reading.convention, _ENGLISH)
        ends = [_local_figure(groups[f"n{k}"], groups[f"m{k}"], first, second, reading, english)
                for k in (("",) if n == 0 else ("a", "b"))]
        if n == 0:
            digits, power = ends[0]
            qualifier = qualifiers[m["q"].strip()] if m["q"] else Qualifier.EXACT
            return _CONSTRUCTORS[qualifier](_raised(digits, power)).with_sig(_significant(digits))
        (lo, lo_power), (hi, hi_power) = ends
        # "25 bis 30 Tsd.": the high end's scale applies to a bare low end.
        return Quantity.between(_raised(lo, lo_power if groups["ma"] else hi_power), _raised(hi, hi_power)).with_sig(
            min(_significant(lo), _significant(hi)))
    if negative.fullmatch(text):
        raise QuantityError("negative figure: figures are counts and cannot be below 0")
    raise QuantityError("not a figure: " + _EXPECTED)


def _local_figure(token: str, scale: str | None, first: _Convention, second: _Convention, reading: _Reading,
                  english: bool) -> tuple[Decimal, int]:
    """The digits and power of ten of one figure of a localised phrase."""
    power = 0
    if scale:
        local = reading.grammar[1][scale]
        english_power = round(math.log10(_MULTIPLIERS.get(scale, 1)))
        if local is None and not english and (reading.convention.read(token) is not None or _ENGLISH.read(token) is None):
            # "billion": 10^9 in English, 10^12 in German and French ("2.5 billion" is English by its number)
            language = reading.language
            raise QuantityError(f"'{scale}' is ambiguous: 10^{english_power} in English, 10^{english_power + 3} in "
                                f"{language.name}; write {language.false_friends[scale]}")
        power = english_power if local is None else local
    for convention in (first, second):
        digits = convention.read(token)
        if digits is None:
            continue
        if not scale and token[-4:-3] == convention.decimal and _AMBIGUOUS_NUMBER.fullmatch(token):
            raise _ambiguous(token, reading.convention)
        return digits, power
    raise QuantityError("not a figure: " + _EXPECTED)


def _raised(digits: Decimal, power: int) -> float:
    value = digits.scaleb(power)
    if value > MAX_FIGURE:
        raise QuantityError(_TOO_LARGE)
    return _check_figure(float(value))


_FOREIGN = (_GERMAN, _FRENCH)


def _foreign_number(text: str) -> None:
    """In an English project, refuse a phrase of German or French numbers or words, saying how it
    reads there (the phrase as a whole is never repeated: only an ambiguous number is shown)."""
    for language in ("de", "fr"):
        reading = _reading("de_DE" if language == "de" else "fr_FR")
        assert reading is not None
        try:
            _parse_localised(text, reading)
        except QuantityError:
            continue
        _, _, patterns, _, languages = reading.grammar
        for pattern in patterns:
            m = pattern.fullmatch(unicodedata.normalize("NFC", text).replace("’", "'"))
            if m is None:
                continue
            if any(languages.get(w.strip()) == "local" for w in m.groupdict().values() if w):
                break  # the words are the other language's
            for key in ("n", "na", "nb"):
                token = m.groupdict().get(key)
                if token is None or _ENGLISH.read(token) is not None:
                    continue
                for convention in _FOREIGN:
                    number = convention.read(token)
                    if number is not None:
                        raise QuantityError(f"{token} is not an English number; as {convention.name} writes "
                                            f"numbers, it reads {_ENGLISH.show(number)}: write {number.normalize():f}")
        raise QuantityError(f"not a figure in English: this reads as a {reading.language.name} phrase, and records "
                            f"are read in English here (set [documents] locale in reporter.toml to read "
                            f"{reading.language.name})")


def _significant(number: Decimal | float | int) -> int:
    """The significant figures a number was written with: 25,000 and "about 25,000" have 2,
    28_800_000 and "28.8 million" 3, 4812 4 (trailing zeros of a whole number do not count)."""
    digits = (number if isinstance(number, Decimal) else Decimal(repr(number))).normalize().as_tuple().digits
    return max(1, len(digits))


def sum_quantities(qs: Iterable[Quantity], unit: str | None = None) -> Quantity:
    """Sum quantities soundly; an empty sum is exact 0.

    One pass with exact accumulators, then one rounding: the same result as adding pairwise
    with ``+``, at a fraction of the cost for long sums.

    Args:
        qs: the summands.
        unit: unit of the result; None keeps the unit the summands share (if any).
    """
    return PartialSum.of(qs).result(unit)


_NOT_APPROXIMATE: tuple[Quantity, ...] = ()
_APPROXIMATE = (Quantity(Qualifier.EXACT, 0.0, 0.0, 0.0, approximate=True),)
"""What :func:`_derive` reads of a sum's inputs is whether any is approximate: these stand for them."""


@dataclass(frozen=True)
class PartialSum:
    """A sum in progress, kept exact so that sums of parts merge, in any order, into the sum
    of the whole: with ``b`` at positions after ``a``'s,
    ``PartialSum.of(b, first=len(a)).merge(PartialSum.of(a)).result() == sum_quantities([*a, *b])``.

    Worker processes sum what they read of a collection and send these; the parent merges them.
    Only the reason of an unknown sum depends on the summands' order (it is the first unknown
    summand's), so each summand has a position, and the earliest unknown one is kept.

    Attributes:
        count: summands so far.
        single: the summand, while there is just one (a sum of one is that quantity, as stated).
        unknown: the position and reason of the earliest unknown summand (the sum is then unknown).
        low: exact sum of the lower bounds (an unbounded-below summand counts 0: figures are counts).
        high: exact sum of the upper bounds; None once a summand is unbounded above.
        value: exact sum of the central figures; None once a summand has none.
        unit: the first summand's unit; ``shared``: whether every summand has it.
    """

    count: int = 0
    single: Quantity | None = None
    unknown: tuple[Any, str] | None = None
    low: int | Fraction = 0
    high: int | Fraction | None = 0
    value: int | Fraction | None = 0
    low_strict: bool = False
    high_strict: bool = False
    approximate: bool = False
    unit: str | None = None
    shared: bool = True
    place: int | None = None
    low_place: int | None = None
    central: int | Fraction = 0

    @classmethod
    def of(cls, qs: Iterable[Quantity], positions: Sequence[Any] | None = None, first: int = 0) -> PartialSum:
        """The partial sum of ``qs``, in one loop (this runs for every group of every breakdown).

        ``positions``: each summand's position in the whole sum, increasing (any comparable
        values); by default ``first``, ``first + 1``, and so on.
        """
        summands = list(qs)
        if not summands:
            return cls()
        lows, highs, values, centrals = [], [], [], []
        bounded = points = True
        low_strict = high_strict = approximate = False
        first_unit = summands[0].unit
        shared = True
        place = low_place = None
        unknown, exact, about = Qualifier.UNKNOWN, Qualifier.EXACT, Qualifier.ABOUT
        for n, q in enumerate(summands):
            qualifier = q.qualifier
            if qualifier is unknown:
                position = first + n if positions is None else positions[n]
                return cls(len(summands), summands[0] if len(summands) == 1 else None,
                           (position, q.reason or "an input is unknown"), unit=first_unit)
            lows.append(0.0 if q.low is None else q.low)
            if q.high is None:
                bounded = False
            elif bounded:
                highs.append(q.high)
            if qualifier is exact or qualifier is about:
                centrals.append(q.value)
                if points:
                    values.append(q.value)
            else:
                centrals.append(0.0 if q.low is None else q.low)
                points = False
            low_strict = low_strict or q.low_strict
            high_strict = high_strict or q.high_strict
            approximate = approximate or q.approximate
            shared = shared and q.unit == first_unit
            if q.sig is not None:
                place = _coarser(place, _last_place(q))
                if q.low:
                    low_place = _coarser(low_place, _last_place(q))
        return cls(
            len(summands), summands[0] if len(summands) == 1 else None, None,
            _exact_sum(lows), _exact_sum(highs) if bounded else None, _exact_sum(values) if points else None,
            low_strict, high_strict, approximate, first_unit, shared, place, low_place, _exact_sum(centrals),
        )

    def merge(self, other: PartialSum) -> PartialSum:
        """The partial sum of this one's summands and ``other``'s."""
        if not other.count:
            return self
        if not self.count:
            return other
        unknown = self.unknown
        if unknown is None or other.unknown is not None and other.unknown[0] < unknown[0]:
            unknown = other.unknown
        return PartialSum(
            self.count + other.count, None, unknown,
            self.low + other.low,
            None if self.high is None or other.high is None else self.high + other.high,
            None if self.value is None or other.value is None else self.value + other.value,
            self.low_strict or other.low_strict, self.high_strict or other.high_strict,
            self.approximate or other.approximate, self.unit,
            self.shared and other.shared and self.unit == other.unit,
            _coarser(self.place, other.place), _coarser(self.low_place, other.low_place),
            self.central + other.central,
        )

    def result(self, unit: str | None = None) -> Quantity:
        """The sum, rounded once; ``unit`` as for :func:`sum_quantities`."""
        if not self.count:
            return Quantity.exact(0, unit)
        if self.single is not None:
            return self.single if unit is None else self.single.with_unit(unit)
        if self.unknown is not None:
            return Quantity.unknown(self.unknown[1], unit)
        total = _derive(
            _APPROXIMATE if self.approximate else _NOT_APPROXIMATE,
            self.low, self.low_strict, self.high, self.high_strict, self.value,
            unit if unit is not None else self.unit if self.shared else None,
        )
        # A sum is as precise as its coarsest summand's last significant place: about 25,000
        # (thousands) plus 310 is about 25,000, however many figures 310 has. A sum bounded only
        # below rests on the lower bounds alone ("up to 2 billion" adds nothing to one).
        # (Counting places, not figures, is what keeps a total from reading smaller than a part:
        # 1 and 11 make 12, not "about 10".) A lower bound with "about" figures in it reads as the
        # sum of their central figures and the other bounds, "or more": "about 200 or more" for
        # "about 200" and "over 1", not "more than 100".
        if total.high is None and self.approximate and total.is_known and total.low is not None \
                and self.central > total.low:
            total = Quantity(total.qualifier, float(self.central), total.low, None, total.unit, None,
                             total.low_strict, False, True)
        return total.with_sig(_figures_to(total, self.low_place if total.high is None else self.place))

    def to_plain(self) -> tuple:
        """Plain tuples, numbers and strings (``marshal`` carries them between processes)."""
        return (self.count, None if self.single is None else self.single.to_plain(), self.unknown,
                *(None if x is None else (x.numerator, x.denominator) for x in (self.low, self.high, self.value)),
                self.low_strict, self.high_strict, self.approximate, self.unit, self.shared, self.place,
                self.low_place, (self.central.numerator, self.central.denominator))

    @classmethod
    def from_plain(cls, plain: tuple) -> PartialSum:
        """Rebuild what :meth:`to_plain` made."""
        count, single, unknown, low, high, value, *rest = plain
        *rest, central = rest
        return cls(count, None if single is None else Quantity.from_plain(single), unknown,
                   *(None if x is None else _whole_or_fraction(*x) for x in (low, high, value)), *rest,
                   _whole_or_fraction(*central))


def _coarser(a: int | None, b: int | None) -> int | None:
    """The coarser of two last significant places (powers of ten; None: no limit)."""
    return b if a is None else a if b is None else max(a, b)


def _magnitude(q: Quantity) -> float | None:
    """The figure a quantity's precision is counted on: its value, else its nearest bound."""
    for x in (q.value, q.low, q.high):
        if x:
            return abs(x)
    return None


def _last_place(q: Quantity, x: float | None = None) -> int | None:
    """The power of ten of a stated quantity's last significant figure (25,000 with 2 figures: 3),
    counted on ``x`` (default: its value, else its nearest bound)."""
    x = _magnitude(q) if x is None else abs(x)
    if x is None or q.sig is None:
        return None
    return math.floor(math.log10(x)) - q.sig + 1


def _figures_to(q: Quantity, place: int | None) -> int | None:
    """How many significant figures ``q`` has down to the power of ten ``place``."""
    x = _magnitude(q)
    if place is None or x is None:
        return None
    return max(1, math.floor(math.log10(x)) - place + 1)


def _whole_or_fraction(n: int, d: int) -> int | Fraction:
    return n if d == 1 else Fraction(n, d)


# -- phrasing -----------------------------------------------------------------------------------

# Keyed by (qualifier, approximate). Strictness means little once "about" is involved, so approximate
# one-sided bounds share one wording per direction ("about 1,097 or more"). The words are those of
# reporter.words (for German and French, their catalogues' translations), looked up once per language.
@functools.lru_cache(maxsize=None)
def _phrases(language: str) -> dict[tuple[Qualifier, bool], str]:
    return {(Qualifier(qualifier), approximate): text
            for (qualifier, approximate), text in words_of(language).qualifiers.items()}


# Unit name after a count whose plural category is "one", and after any other count.
@functools.lru_cache(maxsize=None)
def _units(language: str) -> dict[str, tuple[str, str]]:
    return words_of(language).units


@functools.lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        raise QuantityError(f"unknown locale {locale!r}: expected a locale such as en_US, en_GB or de_DE") from None


def _round(x: float, sig_figs: int, approximate: bool, rounding: str = ROUND_HALF_UP) -> Decimal:
    if type(x) is float and math.isfinite(x):
        pass  # the common case, without the costly ABC check below
    elif isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise QuantityError("not a finite number: cannot phrase it")
    if sig_figs < 1:
        raise QuantityError("sig_figs must be at least 1")
    # repr gives the shortest decimal that reads back as x, so 0.15 rounds like the 0.15 a person wrote.
    d = Decimal(repr(float(x)))
    if d:
        d = d.quantize(_unit_in_place(d.adjusted() - sig_figs + 1), rounding)
    # "about 26.18 per day" claims a precision the word "about" denies.
    if approximate and abs(d) >= 10:
        d = d.quantize(_ONE, rounding)
    return d.normalize()


_ONE = Decimal(1)
_UNITS_IN_PLACE: dict[int, Decimal] = {}


def _unit_in_place(exponent: int) -> Decimal:
    """10 ** exponent as a Decimal (what quantize rounds to), made once per exponent."""
    unit = _UNITS_IN_PLACE.get(exponent)
    if unit is None:
        unit = _UNITS_IN_PLACE[exponent] = _ONE.scaleb(exponent)
    return unit


class _Numbers:
    """What phrasing numbers needs of one locale, found once (:func:`_numbers`).

    Babel applies its pattern machinery to every call; metrics phrase tens of thousands of
    numbers. Where the locale's plain pattern is simple grouping by 3 (en, de and most others),
    numbers are Python's own grouping with the locale's symbols; where its long compact
    patterns are literal text around digits, "28.8 million" applies Babel's algorithm to them
    directly. Anything else goes to Babel. The tests compare both with Babel over many numbers.

    Attributes:
        loc: the Babel locale.
        symbols: group and decimal symbol, or None when the plain pattern is not simple.
        decimal: the decimal symbol.
        compact: the long compact patterns from a million up, largest first, as (magnitude,
            power of ten to divide by, {plural form: (prefix, suffix, least whole digits)}),
            or None when Babel is to format each.
    """

    def __init__(self, loc: Locale):
        self.loc = loc
        pattern = loc.decimal_formats.get(None)
        simple = pattern is not None and pattern.grouping == (3, 3) and pattern.prefix == ("", "-") and \
            pattern.suffix == ("", "")
        self.symbols = (get_group_symbol(loc), get_decimal_symbol(loc)) if simple else None
        self._table = str.maketrans({",": self.symbols[0], ".": self.symbols[1]}) if self.symbols else None
        self.decimal = get_decimal_symbol(loc)
        self.compact = _compact_patterns(loc)
        self._plurals: dict[str, str] = {}

    def plural(self, text: str) -> str:
        """The CLDR plural form of a number written as ``text`` ("1" and "1.0" differ)."""
        form = self._plurals.get(text)
        if form is None:
            if len(self._plurals) > 4096:
                self._plurals.clear()
            form = self._plurals[text] = self.loc.plural_form(Decimal(text))
        return form

    def grouped(self, d: Decimal) -> str | None:
        """``d`` (zero or more) with grouped digits, or None to ask Babel."""
        return None if self._table is None else f"{d:,f}".translate(self._table)


@functools.lru_cache(maxsize=64)
def _numbers(locale: str) -> _Numbers:
    return _Numbers(_locale(locale))


def _phrase_number(d: Decimal, numbers: _Numbers, sig_figs: int) -> str:
    if abs(d) >= 10**6:
        return _compact(d, numbers, sig_figs)
    text = numbers.grouped(d) if d >= 0 else None
    return format_decimal(d, locale=numbers.loc, decimal_quantization=False) if text is None else text


def _compact(d: Decimal, numbers: _Numbers, sig_figs: int) -> str:
    """The long compact form ("28.8 million") of a rounded number of a million or more."""
    if numbers.compact is not None and d > 0:
        for magnitude, divisor, forms in numbers.compact:
            if d < magnitude:
                continue
            scaled = d.scaleb(-divisor)
            # Babel rounds the scaled number to ``sig_figs`` places; a number already rounded to
            # ``sig_figs`` significant figures (of which at least one is whole) is unchanged by that.
            if -scaled.as_tuple().exponent > sig_figs:  # type: ignore[operator]
                break
            digits = f"{scaled.normalize():f}"
            prefix, suffix, int_digits = forms.get(_compact_form(numbers, digits, forms), forms["other"])
            whole, _, fraction = digits.partition(".")
            whole = whole.rjust(int_digits, "0")
            return f"{prefix}{whole}{numbers.decimal}{fraction}{suffix}" if fraction else f"{prefix}{whole}{suffix}"
    return _babel_compact(str(d), numbers.loc, sig_figs)


@functools.lru_cache(maxsize=4096)
def _babel_compact(text: str, loc: Locale, sig_figs: int) -> str:
    # Keyed by the Decimal's text, which is all Babel's output depends on.
    return format_compact_decimal(Decimal(text), format_type="long", locale=loc, fraction_digits=sig_figs)


def _compact_form(numbers: _Numbers, digits: str, forms: dict[str, tuple[str, str, int]]) -> str:
    """The plural form a compact pattern is chosen by (as Babel chooses it), asked only when the
    forms' patterns differ ("1 Million", "2 Millionen"; English says "million" either way)."""
    if len(forms) == 1:
        return "other"
    if digits == "1" and "1" in forms:
        return "1"
    return numbers.plural(digits)


def _compact_patterns(loc: Locale) -> list[tuple[int, int, dict[str, tuple[str, str, int]]]] | None:
    """The locale's long compact patterns for :attr:`_Numbers.compact`; None when some pattern
    is not plain literal text around digits."""
    formats = loc.compact_decimal_formats.get("long")
    if not formats or "other" not in formats:
        return None
    out = []
    for key in sorted(formats["other"], key=int, reverse=True):
        magnitude = int(key)
        if magnitude < 10**6:
            continue
        forms: dict[str, tuple[str, str, int]] = {}
        zeros = None
        for form, by_magnitude in formats.items():
            pattern = by_magnitude.get(key)
            if pattern is None:
                continue
            text = pattern.pattern if hasattr(pattern, "pattern") else str(pattern)
            parsed = parse_pattern(text)
            literal = "".join((*parsed.prefix, *parsed.suffix))
            # Babel divides by the zeros of the whole pattern text, a negative subpattern's too
            # ("milioni 0;milioni -0"): such patterns are left to it.
            if (set(parsed.number_pattern) != {"0"} or parsed.scale or parsed.exp_prec or ";" in text
                    or any(c in literal for c in "'¤%‰")):
                return None
            if zeros is not None and len(parsed.number_pattern) != zeros:
                return None  # forms that divide differently: leave them to Babel
            zeros = len(parsed.number_pattern)
            forms[form] = (parsed.prefix[0], parsed.suffix[0], parsed.int_prec[0])
        if zeros is None or "other" not in forms:
            return None
        out.append((magnitude, len(key) - 1 - (zeros - 1), forms))
    return out or None


def format_number(x: float, locale: str = "en_US", sig_figs: int = 4, approximate: bool = False) -> str:
    """Phrase a number for prose: ``sig_figs`` significant figures, no trailing zeros.

    Values of a million or more use the long compact form ("28.8 million", "28,8 Millionen"); smaller
    values use grouped digits ("25,000", "25.000").

    Args:
        x: the number.
        locale: a Babel locale name such as ``en_US``, ``en_GB`` or ``de_DE``.
        sig_figs: significant figures to keep.
        approximate: drop the fractional digits of values of 10 or more.

    Raises:
        QuantityError: unknown locale, non-finite number or ``sig_figs`` below 1.
    """
    return _phrase_number(_round(x, sig_figs, approximate), _numbers(locale), sig_figs)


def format_quantity(q: Quantity, locale: str = "en_US", sig_figs: int = 4, with_unit: bool = True) -> str:
    """Phrase a quantity: "about 25,000", "more than 16.55 million", "44 Tage", "not computable".

    Args:
        q: the quantity.
        locale: a Babel locale name; its language must be English, German or French.
        sig_figs: significant figures for each number.
        with_unit: append the unit (translated for the units metrics use, verbatim otherwise).

    Raises:
        QuantityError: unknown locale, or a language without quantity wording.
    """
    # Quantities are immutable and hashable, and collections repeat them (days, lags, totals):
    # remember phrases. A signed zero equals an unsigned one but may phrase differently: not cached.
    if type(q) is Quantity and type(locale) is str and type(sig_figs) is int and not (
        q.value == 0 or q.low == 0 and q.qualifier is Qualifier.RANGE
    ):
        try:
            return _format_quantity_cached(q, q.sig, locale, sig_figs, bool(with_unit))
        except TypeError:  # an unhashable field (a caller built a Quantity by hand)
            pass
    return _format_quantity(q, locale, sig_figs, with_unit)


@functools.lru_cache(maxsize=16384)
def _format_quantity_cached(q: Quantity, sig: int | None, locale: str, sig_figs: int, with_unit: bool) -> str:
    # ``sig`` is part of the key: equal quantities stated with other precision phrase otherwise.
    return _format_quantity(q, locale, sig_figs, with_unit)


_BOUND_ROUNDING = {
    Qualifier.OVER: ROUND_FLOOR,
    Qualifier.AT_LEAST: ROUND_FLOOR,
    Qualifier.UNDER: ROUND_CEILING,
    Qualifier.AT_MOST: ROUND_CEILING,
}


def _format_quantity(q: Quantity, locale: str = "en_US", sig_figs: int = 4, with_unit: bool = True) -> str:
    """The work of :func:`format_quantity`, uncached."""
    if q.unit == "days" and q.is_known and q.high is not None and q.high < 2 and not (
            float(q.high).is_integer() and (q.low is None or float(q.low).is_integer())):
        # People write short spans in hours: "about 41 hours", never "about 1.705 days" (a whole
        # day, from dates, stays "1 day").
        hours = (q * 24).with_unit("hours")
        whole = max(1, len(str(int(hours.high or 0))))  # to the hour: "about 8 hours", not 7.834
        q = hours.with_sig(whole if q.sig is None else min(q.sig, whole))
    elif q.unit == "days" and q.is_known and q.high is not None and q.high >= 2 and not (
            float(q.high).is_integer() and (q.low is None or float(q.low).is_integer())) and not (
            q.qualifier is Qualifier.EXACT and q.value is not None and float(q.value * 100).is_integer()):
        # And longer ones to the day: "about 9 days", never "about 8.788 days" (the appendix
        # keeps the exact figure); an exact span of quarter or half days stays as it is ("2.75 days").
        whole = max(1, len(str(int(q.high))))
        q = q.with_sig(whole if q.sig is None else min(q.sig, whole))
    if q.sig is not None and q.sig < sig_figs:
        sig_figs = q.sig  # never more precise than the figures it rests on
    numbers = _numbers(locale)
    loc = numbers.loc
    if loc.language not in LANGUAGES:
        raise QuantityError(f"no wording for language {loc.language!r}: expected English (en), German (de) "
                            "or French (fr)")
    if not q.is_known:
        return words_of(loc.language).not_computable
    approximate = q.approximate or q.qualifier is Qualifier.ABOUT
    qualifier = q.qualifier
    if qualifier is Qualifier.EXACT and q.value is not None and _round(q.value, sig_figs, False) != Decimal(repr(float(q.value))):
        # An exact 654,545.45… shown as 654,500 is no longer exact: say so.
        qualifier, approximate = Qualifier.ABOUT, True
    # A bound stays a bound when rounded: lower bounds round down, upper bounds up, so that
    # "at least 1,097" and "fewer than 100" remain true of every value the bounds allow.
    # A lower bound whose central figure is above its bound (a total of "about" figures with
    # more unstated) reads as that figure "or more": "about 25,000 or more", never smaller than its parts.
    central_lower = (qualifier in (Qualifier.OVER, Qualifier.AT_LEAST) and approximate and q.value is not None
                     and q.low is not None and q.value > q.low)
    if qualifier is Qualifier.RANGE:
        ends = ((q.low, ROUND_FLOOR), (q.high, ROUND_CEILING))
    elif central_lower:
        ends = ((q.value, ROUND_HALF_UP),)
    else:
        ends = ((q.value, _BOUND_ROUNDING.get(qualifier, ROUND_HALF_UP)),)
    rounded = [_round(x, sig_figs, approximate, rounding) for x, rounding in ends if x is not None]
    # One-sided and range figures say what their bounds are, however they were derived.
    wording = central_lower or approximate and qualifier in (Qualifier.EXACT, Qualifier.ABOUT)
    template = _phrases(loc.language)[qualifier, wording]
    phrased = [_phrase_number(d, numbers, sig_figs) for d in rounded]
    if not with_unit or q.unit is None:
        return template.replace(" {unit}", "").format(*phrased)
    names = _units(loc.language).get(q.unit)
    if names is not None and names[0] == names[1]:  # "per day" whatever the number
        noun = names[1]
    else:
        # The unit agrees with the number next to it, as printed: "1 day", "1.5 days", "44 Tage"
        # (a unit of the record's own is printed as written). Keyed by the text: 1 and 1.0 are
        # equal Decimals but differ in CLDR plural operands.
        noun = q.unit if names is None else names[0] if numbers.plural(str(rounded[-1])) == "one" else names[1]
        if abs(rounded[-1]) >= 10**6:
            # A number in words of a scale takes its noun as the language does: "28,8 millions
            # d’interactions" (French), "28.8 million interactions".
            noun = fill(words_of(loc.language).sentences["scale_noun"], loc.language, unit=noun)
    # A phrase may place the unit itself ("environ {0} {unit} ou plus"); otherwise it follows.
    return template.format(*phrased, unit=noun) if "{unit}" in template else f"{template.format(*phrased)} {noun}"
