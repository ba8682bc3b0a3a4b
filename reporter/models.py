"""Incident records, format v1: the pydantic models, and the JSON Schema that says what they accept.

Every rule of validation that a JSON Schema can state is stated on the model it belongs to
(``json_schema_extra`` and ``__get_pydantic_json_schema__``), so that ``reporter schema``
(:func:`record_json_schema`) and ``reporter validate`` agree: a file the one accepts, the other
accepts. ``tests/test_schema.py`` checks that on every good and bad file, and lists the rules no
JSON Schema can state (duplicate keys, YAML aliases, NaN, an end before its start, ...).

A note on the schema's regular expressions: they are ECMA-262 patterns (what JSON Schema
tools use), and also read the same by Python's ``re`` (which ``jsonschema`` uses). The two
differ in one place that matters here: Python's ``$`` also matches before a final newline, so
every pattern ends in ``$(?!\\n)``, which means the end of the text in both.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from reporter.dates import MAX_YEAR, MIN_YEAR, When, parse_when
from reporter.errors import DateError, QuantityError
from reporter.quantities import (
    _MULTIPLIERS,
    _NUM,
    _SYNONYMS,
    MAX_FIGURE,
    Qualifier,
    Quantity,
    parse_quantity,
    reading_key,
)
from reporter.text import CONTROL_JSON_PATTERN

_END = r"$(?!\n)"
"""The end of the text, in ECMA-262 and in Python alike (see the module docstring)."""

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
SLUG_HELP = "lowercase letters, digits and hyphens, starting with a letter or digit, at most 64 characters"
TECHNIQUE = r"^(?:AML\.)?T[0-9]{4}(?:\.[0-9]{3})?$"
FIGURE_NAME = r"^[a-z][a-z0-9_]{0,63}$"
FIGURE_NAME_HELP = "figure names are lowercase words joined by '_' (e.g. accounts)"
# (pydantic checks SLUG, TECHNIQUE and FIGURE_NAME with Rust's regex, where "$" is the end of the text.)


def _schema_pattern(pattern: str) -> str:
    """A ``^...$`` pattern as the schema writes it."""
    assert pattern.endswith("$")
    return pattern[:-1] + _END


class Sensitivity(StrEnum):
    """How widely a record or an item may be shared; ordered public < confidential < restricted."""

    PUBLIC = "public"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _SENSITIVITY_RANK[self]


_SENSITIVITY_RANK = {Sensitivity.PUBLIC: 0, Sensitivity.CONFIDENTIAL: 1, Sensitivity.RESTRICTED: 2}


class Status(StrEnum):
    """Where an incident record stands."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DISCLOSED = "disclosed"
    CLOSED = "closed"


class Confidence(StrEnum):
    """Confidence in an attribution, in the analytic sense."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class DisclosureForm(StrEnum):
    """The form an earlier disclosure took."""

    LETTER = "letter"
    FILING = "filing"
    PUBLICATION = "publication"
    BRIEFING = "briefing"


# -- dates ---------------------------------------------------------------------------------------

_NOT_A_DATE = ("expected a date (2026-04-22), a month (2023-05), a year (2020) "
               "or an ISO datetime with offset (2026-04-22T09:30:00Z)")


@functools.lru_cache(maxsize=8192)  # as parse_when: records repeat dates, and this runs once per distinct text
def _when_text(value: str) -> When:
    # parse_when reads any Unicode digit as a digit; records (and the schema) take ASCII digits only.
    if not value.strip().isascii():
        raise DateError("not a date: " + _NOT_A_DATE)
    return parse_when(value)


def _when(value: Any) -> When:
    if isinstance(value, When):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        # Numbers (a bare `2020`) are years only when written as strings; say what to write.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        else:
            raise PydanticCustomError("when", _NOT_A_DATE)
    try:
        return _when_text(value)
    except DateError as exc:
        raise PydanticCustomError("when", str(exc)) from None


def _when_pattern() -> str:
    """What :func:`reporter.dates.parse_when` accepts as text, as a pattern: a year from MIN_YEAR
    to MAX_YEAR, a month, a calendar date that exists (February 29 in leap years only), or a
    datetime with its offset (``T``, ``t`` or a space between; ``Z``, ``z`` or ``±hh:mm``, less
    than 24 hours), with any whitespace around."""
    assert (MIN_YEAR, MAX_YEAR) == (1900, 2200)  # the year patterns below are written for these
    year = "(?:19[0-9]{2}|2[01][0-9]{2}|2200)"
    leap = "(?:(?:19|20|21)(?:0[48]|[2468][048]|[13579][26])|2000)"  # 1900, 2100 and 2200 are not
    day = (f"(?:{year}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
           f"|02-(?:0[1-9]|1[0-9]|2[0-8]))|{leap}-02-29)")
    time = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
    # datetime.fromisoformat takes any two digits of minutes in an offset, as long as it is under a day.
    offset = "(?:[Zz]|[+-](?:(?:[01][0-9]|2[0-2]):[0-9]{2}|23:[0-5][0-9]))"
    month = f"{year}-(?:0[1-9]|1[0-2])"
    return f"^\\s*(?:{year}|{month}|{day}|{day}[Tt ]{time}{offset})\\s*{_END}"


WHEN_PATTERN = _when_pattern()
WHEN_JSON_SCHEMA = {
    "description": "A date (2026-04-22), a month (2023-05), a year (2020) or an ISO datetime with offset "
                   "(2026-04-22T09:30:00Z, 2026-04-22T11:30:00+02:00).",
    "anyOf": [
        {"type": "string", "pattern": WHEN_PATTERN},
        {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
    ],
}

WhenField = Annotated[
    When,
    BeforeValidator(_when),
    PlainSerializer(lambda w: w.text, return_type=str),
    WithJsonSchema(WHEN_JSON_SCHEMA),
]


# -- text ----------------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("one_line", "expected a single line of text")
    if not value.strip():
        raise PydanticCustomError("one_line", "expected non-empty text")
    return value


ONE_LINE_JSON_SCHEMA = {"type": "string", "pattern": r"^[^\S\r\n]*\S[^\r\n]*" + _END,
                        "description": "One line of text, not blank."}
OneLine = Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v),
                    WithJsonSchema(ONE_LINE_JSON_SCHEMA)]

_HTTP_URL_BODY = r"[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+\S*"
_HTTP_URL = re.compile(_HTTP_URL_BODY)
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
HTTP_URL_JSON_SCHEMA = {"type": "string", "pattern": f"^{_HTTP_URL_BODY}{_END}",
                        "description": "An http:// or https:// URL; shown as text, never fetched."}
LOG_PATH_JSON_SCHEMA = {"type": "string", "pattern": r"^(?![a-zA-Z][a-zA-Z0-9+.-]*://)(?!/)",
                        "description": "A relative file path (no URL, no absolute path)."}


def _http_url(value: str) -> str:
    if not _HTTP_URL.fullmatch(value):
        raise PydanticCustomError("url", "expected an http:// or https:// URL")
    return value


HttpUrl = Annotated[str, BeforeValidator(lambda v: _http_url(v) if isinstance(v, str) else v),
                    WithJsonSchema(HTTP_URL_JSON_SCHEMA)]


# -- quantities ----------------------------------------------------------------------------------


def _case_free(word: str) -> str:
    """``word`` as a pattern in any letter case (parse_quantity lowercases, and whitespace is any run)."""
    out = []
    for part in word.split(" "):
        chars = []
        for char in part:
            if char.isalpha() and char.isascii():
                # U+212A KELVIN SIGN lowercases to "k" as well.
                chars.append(f"[{char}{char.upper()}\u212a]" if char == "k" else f"[{char}{char.upper()}]")
            else:
                chars.append(re.escape(char))
        out.append("".join(chars))
    return r"\s+".join(out)


def _phrase_patterns() -> tuple[str, str]:
    """The phrase grammar of :func:`reporter.quantities.parse_quantity`, built from its own parts,
    as patterns on the text as written (any case, any whitespace): any phrase, and a bare number
    (what the mapping form's value, low and high take)."""
    scale = r"(?:\s*(?:" + "|".join(_case_free(m) for m in sorted(_MULTIPLIERS, key=len, reverse=True)) + r")\b)"
    multiplier = scale + "?"
    # Not "25.000" without a scale word after it: ambiguous (25, or 25,000 as German writes it).
    ambiguous = rf"[1-9][0-9]{{0,2}}\.[0-9]{{3}}(?![0-9])(?!{scale})"
    number = f"(?!{ambiguous}){_NUM}{multiplier}"
    qualifier = "|".join(_case_free(word) + (r"\s+" if word[-1].isalnum() else r"\s*")
                         for word in sorted(_SYNONYMS, key=len, reverse=True))
    exact = "|".join(_case_free(word) + r"\s+" for word, q in _SYNONYMS.items() if q is Qualifier.EXACT)
    ranges = (f"{_case_free('between')}\\s+{number}\\s+{_case_free('and')}\\s+{number}"
              f"|{number}(?:\\s+{_case_free('to')}\\s+|\\s*[-\u2013\u2014]\\s*){number}")
    phrase = f"^\\s*(?:(?:{qualifier})?{number}|{ranges})\\s*{_END}"
    bare = f"^\\s*(?:{exact})?{number}\\s*{_END}"
    return phrase, bare


QUANTITY_PATTERN, BARE_NUMBER_PATTERN = _phrase_patterns()
_QUANTITY_HELP = 'expected a number or a phrase such as "about 25,000", "over 13 million" or "3 to 4 million"'
_NUMBER_JSON_SCHEMA = {"type": "number", "minimum": 0, "maximum": int(MAX_FIGURE)}
_PHRASE_JSON_SCHEMA = {"type": "string", "pattern": QUANTITY_PATTERN,
                       "description": 'A phrase such as "about 25,000", "over 13 million" or "3 to 4 million".'}
_BARE_JSON_SCHEMA = {"type": "string", "pattern": BARE_NUMBER_PATTERN,
                     "description": 'A number, written out ("28.8 million", "25,000"): no qualifier words.'}
_NULL = {"type": "null"}
_PART = {"anyOf": [_NUMBER_JSON_SCHEMA, _BARE_JSON_SCHEMA]}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False,
                              use_enum_values=False, validate_default=False)


class Figure(_Model):
    """A figure: a qualified quantity, written as a number, a phrase or a mapping.

    The mapping form is ``{value, qualifier, unit, sensitivity}`` or ``{low, high, unit,
    sensitivity}`` (a range). ``sensitivity`` overrides the record's for this figure.
    """

    value: float | int | str | None = Field(None, description="The number, or a phrase such as 'about 25,000'.")
    qualifier: Qualifier | None = Field(None, description="exact, about, over, at-least, under, at-most or range.")
    low: float | int | str | None = Field(None, description="Lower end of a range.")
    high: float | int | str | None = Field(None, description="Upper end of a range.")
    unit: str | None = Field(None, description="What is counted, where not implied by the figure's name.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")
    # The parsed quantity is kept in pydantic's private-state slot, set once by ``_parse``. Declared
    # as a ``PrivateAttr`` it would cost an initialisation hook per figure, and a large collection
    # has tens of thousands of figures.

    @property
    def quantity(self) -> Quantity:
        """The parsed, qualified quantity."""
        private = self.__pydantic_private__
        if private is None or "_quantity" not in private:  # built without validation (model_construct)
            self._read(ENGLISH)
            private = self.__pydantic_private__
        return private["_quantity"]

    def with_quantity(self, quantity: Quantity) -> Figure:
        """A copy of this figure that stands for ``quantity`` (as an audience is to see it)."""
        copy = self.model_copy()
        object.__setattr__(copy, "__pydantic_private__", {"_quantity": quantity})
        return copy

    @model_validator(mode="before")
    @classmethod
    def _scalar_form(cls, data: Any) -> Any:
        if isinstance(data, int | float | str):  # bool included: parse_quantity refuses it
            return {"value": data}
        return data

    @field_validator("value", "low", "high", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            try:
                parse_quantity(value)  # refuses booleans with the same message as any bad figure
            except QuantityError as exc:
                raise PydanticCustomError("quantity", str(exc)) from None
        return value

    @model_validator(mode="after")
    def _parse(self, info: ValidationInfo) -> Figure:
        # The locale records are read in comes as validation context (see records_context).
        context = info.context
        if context is None and type(self.value) is not bool and self.qualifier is None and self.low is None \
                and self.high is None and self.value is not None and not self.unit:
            # The common case, English and a scalar figure, without the general path's calls.
            try:
                quantity = parse_quantity(self.value)
            except QuantityError as exc:
                raise PydanticCustomError("quantity", str(exc)) from None
            object.__setattr__(self, "__pydantic_private__", {"_quantity": quantity})
            return self
        return self._read(context.get("locale", ENGLISH) if context else ENGLISH)

    def _read(self, locale: str) -> Figure:
        try:
            if self.qualifier is None and self.low is None and self.high is None:
                if self.value is None:
                    raise QuantityError("expected a value, or low and high for a range")
                quantity = parse_quantity(self.value, locale)
                if self.unit:
                    quantity = quantity.with_unit(self.unit)
            else:
                parts = [_number(p, locale) for p in (self.value, self.low, self.high)]
                quantity = Quantity.of(self.qualifier or Qualifier.RANGE, value=parts[0], low=parts[1],
                                       high=parts[2], unit=self.unit)
                # As precise as the figures written: {value: 25000, qualifier: about} is "about 25,000".
                stated = [parse_quantity(p, locale).sig for p in (self.value, self.low, self.high) if p is not None]
                quantity = quantity.with_sig(min((n for n in stated if n is not None), default=None))
        except QuantityError as exc:
            raise PydanticCustomError("quantity", str(exc)) from None
        object.__setattr__(self, "__pydantic_private__", {"_quantity": quantity})
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        """A number from 0 to 10^15, a phrase, or the mapping form: a value (alone, any phrase;
        or a bare number with a qualifier other than range), a range (low and high, bare numbers;
        qualifier range or none), or the qualifier unknown alone. (A range whose low end is above
        its high end, or a phrase over 10^15, passes the schema; ``validate`` refuses them.)"""
        json_schema = handler(schema)
        mapping = handler.resolve_ref_schema(json_schema)
        properties = mapping["properties"]
        properties["value"] = {"anyOf": [_NUMBER_JSON_SCHEMA, _PHRASE_JSON_SCHEMA, _NULL],
                               "description": properties["value"].get("description")}
        for name in ("low", "high"):
            properties[name] = {"anyOf": [_NUMBER_JSON_SCHEMA, _BARE_JSON_SCHEMA, _NULL],
                                "description": properties[name].get("description")}
        point = [q.value for q in Qualifier if q not in (Qualifier.RANGE, Qualifier.UNKNOWN)]
        mapping["oneOf"] = [
            {"title": "a value", "required": ["value"],
             "properties": {"value": {"anyOf": [_NUMBER_JSON_SCHEMA, _PHRASE_JSON_SCHEMA]},
                            "qualifier": _NULL, "low": _NULL, "high": _NULL}},
            {"title": "a qualified value", "required": ["value", "qualifier"],
             "properties": {"value": _PART, "qualifier": {"enum": point}, "low": _NULL, "high": _NULL}},
            {"title": "a range", "required": ["low", "high"],
             "properties": {"low": _PART, "high": _PART, "qualifier": {"enum": [Qualifier.RANGE.value, None]},
                            "value": _NULL}},
            {"title": "unknown", "required": ["qualifier"],
             "properties": {"qualifier": {"const": Qualifier.UNKNOWN.value}, "value": _NULL, "low": _NULL,
                            "high": _NULL}},
        ]
        return {"anyOf": [_NUMBER_JSON_SCHEMA, {**_PHRASE_JSON_SCHEMA, "description": _QUANTITY_HELP}, json_schema]}


def _number(value: float | int | str | None, locale: str = "en_US") -> float | None:
    if value is None:
        return None
    quantity = parse_quantity(value, locale)
    if quantity.qualifier is not Qualifier.EXACT:
        raise QuantityError("in the mapping form, value, low and high are plain numbers; put the qualifier in 'qualifier'")
    return quantity.value


ENGLISH = "en_US"
"""The locale records are read in unless the project's says otherwise."""


def records_context(locale: str | None) -> dict[str, str] | None:
    """The validation context (``Incident.model_validate(data, context=...)``) that reads figures
    in ``locale`` as well as in English; None for an English locale (or None), which reads them in
    English only. Raises QuantityError for an unknown locale."""
    return None if locale is None or not reading_key(locale) else {"locale": locale}


COUNTS = frozenset({"accounts", "interactions", "records", "users", "login_attempts"})
"""Figures that count whole things: a fraction of one ("interactions: 12.5") is an error."""

_FRACTION = "{figure} is a count: expected a whole number, not a fraction"


def _whole_counts(figures: dict[str, Figure]) -> dict[str, Figure]:
    """Refuse a count stated as a fraction (its value, or either end of its range)."""
    if COUNTS.isdisjoint(figures):
        return figures
    for name, figure in figures.items():
        if name in COUNTS:
            q = figure.quantity
            for x in (q.low, q.high) if q.qualifier is Qualifier.RANGE else (q.value,):
                if x is not None and not float(x).is_integer():
                    # Located at the figure (reporter.problems adds the name to the error's place).
                    raise PydanticCustomError("fractional_count", _FRACTION, {"figure": name})
    return figures


_WHOLE_NUMBER = {"if": {"type": "number"}, "then": {"multipleOf": 1}}


def _figures_json_schema(schema: dict[str, Any]) -> None:
    # pydantic writes a constrained key as patternProperties; say it as a rule on every name.
    (figure,) = schema.pop("patternProperties").values()
    schema["additionalProperties"] = figure
    schema["propertyNames"] = {"pattern": _schema_pattern(FIGURE_NAME)}
    # A count written as a number is a whole one (a fraction inside a phrase is beyond a schema).
    whole = {**_WHOLE_NUMBER, "properties": {"value": _WHOLE_NUMBER, "low": _WHOLE_NUMBER, "high": _WHOLE_NUMBER}}
    schema["properties"] = {name: {"allOf": [figure, whole]} for name in sorted(COUNTS)}


FigureName = Annotated[str, Field(pattern=FIGURE_NAME)]
Figures = Annotated[dict[FigureName, Figure], AfterValidator(_whole_counts)]


def _figures(description: str) -> Any:
    return Field(default_factory=dict, description=description, json_schema_extra=_figures_json_schema)


class TimelineEvent(_Model):
    """A dated event with an optional note."""

    at: WhenField = Field(description="When it happened.")
    note: str | None = Field(None, description="What happened.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="before")
    @classmethod
    def _date_form(cls, data: Any) -> Any:
        return {"at": data} if not isinstance(data, dict) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"anyOf": [WHEN_JSON_SCHEMA, handler(schema)]}


class Item(_Model):
    """A line of text in a list, written as a string or as ``{text, sensitivity}``."""

    text: Annotated[str, Field(min_length=1)] = Field(description="The text.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="before")
    @classmethod
    def _string_form(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"anyOf": [{"type": "string", "minLength": 1}, handler(schema)]}


class Technique(_Model):
    """A MITRE ATLAS / ATT&CK technique, written as its id or as ``{id, sensitivity}``."""

    id: Annotated[str, Field(pattern=TECHNIQUE, json_schema_extra={"pattern": _schema_pattern(TECHNIQUE)})] = Field(
        description="e.g. AML.T0024.002 or T1078.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="before")
    @classmethod
    def _string_form(cls, data: Any) -> Any:
        return {"id": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"anyOf": [{"type": "string", "pattern": _schema_pattern(TECHNIQUE)}, handler(schema)]}


class Attribution(_Model):
    """Who we think did it, how sure we are and why."""

    confidence: Confidence = Field(description="low, moderate or high.")
    basis: list[Item] = Field(default_factory=list, description="The evidence the judgment rests on.")


class Actor(_Model):
    """A party behind (part of) the incident, with its share of the figures."""

    name: OneLine = Field(description="Name as it may appear in documents.")
    kind: str | None = Field(None, description="e.g. company, group, individual, unknown.")
    attribution: Attribution | None = Field(None, description="Confidence and basis of the attribution.")
    figures: Figures = _figures("This actor's share of the figures.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Evidence(_Model):
    """A piece of evidence: a statement, or an event log the figures are computed from."""

    text: str | None = Field(None, description="A statement of evidence.")
    log: str | None = Field(None, description="Path of an event log (Parquet, CSV, JSON Lines), relative to the record.",
                            json_schema_extra={"anyOf": [LOG_PATH_JSON_SCHEMA, _NULL]})
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="after")
    def _one_of(self) -> Evidence:
        if (self.text is None) == (self.log is None):
            raise PydanticCustomError("evidence", "expected exactly one of 'text' or 'log'")
        if self.log is not None and (_URL_SCHEME.match(self.log) or Path(self.log).is_absolute()):
            raise PydanticCustomError("evidence", "expected a relative file path for 'log' (no URL, no absolute path)")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        json_schema = handler(schema)
        mapping = handler.resolve_ref_schema(json_schema)
        mapping["oneOf"] = [  # exactly one of text and log (a null one counts as not written)
            {"required": ["text"], "properties": {"text": {"type": "string"}}},
            {"required": ["log"], "properties": {"log": {"type": "string"}}},
        ]
        return json_schema


class Action(_Model):
    """A response or mitigation."""

    text: str = Field(description="What was done.")
    date: WhenField | None = Field(None, description="When.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Regime(StrEnum):
    """A reporting regime whose clocks ``reporter clocks`` computes (:mod:`reporter.clocks`)."""

    GDPR = "gdpr-33"
    NIS2 = "nis2"
    SEC_8K = "sec-8k-1.05"
    AI_ACT = "ai-act-73"
    GPAI_COP = "gpai-cop-9.3"
    CIRCIA = "circia"


REPORTS: dict[Regime, tuple[str, ...]] = {
    Regime.GDPR: ("notification",),
    Regime.NIS2: ("early-warning", "notification", "progress-report", "final-report"),
    Regime.SEC_8K: ("form-8k",),
    Regime.AI_ACT: ("serious-incident-report",),
    Regime.GPAI_COP: ("initial-report", "intermediate-report", "final-report"),
    Regime.CIRCIA: ("covered-cyber-incident", "ransom-payment"),
}
"""The reports of each regime, by the names disclosures and ``reporter clocks`` give them; the first
is the one a disclosure under the regime answers when it names none."""

SEVERITIES: dict[Regime, tuple[str, ...]] = {
    # Art. 73(4) death, 73(3) widespread infringement or Art. 3(49)(b) critical infrastructure, 73(2) the rest.
    Regime.AI_ACT: ("death", "widespread-infringement", "critical-infrastructure", "serious-harm"),
    # Measure 9.3: critical infrastructure 2 days, cybersecurity breach 5, death 10, other serious harm 15.
    Regime.GPAI_COP: ("critical-infrastructure", "cybersecurity-breach", "death", "serious-harm"),
}
"""The severity tiers of the regimes whose clock depends on the type of serious incident."""


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Disclosure(_Model):
    """Something already said about the incident, with the figures stated then."""

    date: WhenField = Field(description="When it was said.")
    to: str = Field(description="To whom (a committee, a regulator, the public).")
    form: DisclosureForm = Field(description="letter, filing, publication or briefing.")
    reference: str | None = Field(None, description="A reference number or title.")
    regime: Regime | None = Field(None, description="The regime it was made under (gdpr-33, nis2, sec-8k-1.05, "
                                                    "ai-act-73, gpai-cop-9.3, circia): it answers that regime's clocks.")
    report: Annotated[list[str], BeforeValidator(_one_or_more)] | None = Field(
        None, description="Which of the regime's reports it is, one or a list (default: the regime's first): "
                          "gdpr-33 notification; nis2 early-warning, notification, progress-report, final-report; "
                          "sec-8k-1.05 form-8k; ai-act-73 serious-incident-report; gpai-cop-9.3 initial-report, "
                          "intermediate-report, final-report; circia covered-cyber-incident, ransom-payment.")
    figures: Figures = _figures("Figures as stated then.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="after")
    def _reports_of_the_regime(self) -> Disclosure:
        if self.report is None:
            return self
        if self.regime is None:
            raise PydanticCustomError("disclosure_report", "'report' needs the 'regime' it belongs to")
        known = REPORTS[self.regime]
        if not self.report or any(name not in known for name in self.report):
            raise PydanticCustomError("disclosure_report", "report: expected one or more of {known} for {regime}",
                                      {"known": ", ".join(known), "regime": self.regime.value})
        return self

    @property
    def reports(self) -> tuple[str, ...]:
        """The reports this disclosure makes (none when it was made under no regime)."""
        if self.regime is None:
            return ()
        return tuple(self.report) if self.report else REPORTS[self.regime][:1]

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        json_schema = handler(schema)
        mapping = handler.resolve_ref_schema(json_schema)
        mapping["properties"]["report"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                                                          "minItems": 1}, _NULL],
                                           "description": mapping["properties"]["report"].get("description")}
        rules: list[dict[str, Any]] = [{  # a report needs its regime
            "if": {"required": ["report"], "properties": {"report": {"not": _NULL}}},
            "then": {"required": ["regime"], "properties": {"regime": {"not": _NULL}}},
        }]
        for regime, names in REPORTS.items():
            rules.append({
                "if": {"required": ["regime"], "properties": {"regime": {"const": regime.value}}},
                "then": {"properties": {"report": {"anyOf": [{"enum": list(names)},
                                                             {"type": "array", "items": {"enum": list(names)}},
                                                             _NULL]}}},
            })
        mapping["allOf"] = rules
        return json_schema


class Obligation(_Model):
    """A reporting regime that applies to the incident, with what its clocks and filings need."""

    regime: Regime = Field(description="gdpr-33, nis2, sec-8k-1.05, ai-act-73, gpai-cop-9.3 or circia.")
    authority: str | None = Field(None, description="Where its reports go (a supervisory authority, a CSIRT, the "
                                                    "SEC, a market surveillance authority, the AI Office, CISA).")
    severity: str | None = Field(None, description="The type of serious incident, which sets the clock: required "
                                                   "for ai-act-73 (death, widespread-infringement, "
                                                   "critical-infrastructure, serious-harm) and gpai-cop-9.3 "
                                                   "(critical-infrastructure, cybersecurity-breach, death, "
                                                   "serious-harm); refused for the others.")
    delay_reason: str | None = Field(None, description="Reasons for a late report (GDPR Art. 33(1) asks for them).")
    contact: str | None = Field(None, description="Contact point for more information (GDPR Art. 33(3)(b)).")
    consequences: str | None = Field(None, description="Likely consequences (GDPR Art. 33(3)(c)).")
    impact: str | None = Field(None, description="Material impact, or reasonably likely material impact, on the "
                                                 "registrant (Form 8-K Item 1.05(a)).")
    system: str | None = Field(None, description="The AI system or model concerned (AI Act, Code of Practice).")
    categories: list[Item] = Field(default_factory=list, description="Categories of people and of records "
                                                                     "concerned (GDPR Art. 33(3)(a)).")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="after")
    def _severity_of_the_regime(self) -> Obligation:
        tiers = SEVERITIES.get(self.regime)
        if tiers is None:
            if self.severity is not None:
                raise PydanticCustomError(
                    "obligation_severity", "severity: {regime} has no severity tiers (only ai-act-73 and gpai-cop-9.3)",
                    {"regime": self.regime.value})
        elif self.severity not in tiers:
            raise PydanticCustomError(
                "obligation_severity", "severity: {regime} needs one of {tiers}",
                {"regime": self.regime.value, "tiers": ", ".join(tiers)})
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        json_schema = handler(schema)
        mapping = handler.resolve_ref_schema(json_schema)
        rules = []
        for regime in Regime:
            tiers = SEVERITIES.get(regime)
            then = ({"required": ["severity"], "properties": {"severity": {"enum": list(tiers)}}} if tiers
                    else {"properties": {"severity": _NULL}})
            rules.append({"if": {"properties": {"regime": {"const": regime.value}}}, "then": then})
        mapping["allOf"] = rules
        return json_schema


class Source(_Model):
    """A published source; becomes a footnote."""

    title: OneLine = Field(description="Title of the source.")
    publisher: str | None = Field(None, description="Who published it.")
    url: HttpUrl | None = Field(None, description="An http(s) URL; shown as text, never fetched.")
    date: WhenField | None = Field(None, description="Publication date.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Window(_Model):
    """When the incident was active; ``end: null`` means ongoing."""

    start: WhenField = Field(description="First activity.")
    end: WhenField | None = Field(description="Last activity, or null while ongoing.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end is not None and self.end.latest < self.start.earliest:
            raise PydanticCustomError("window_order", "end is before start")
        return self


_SLUG_FIELD = Field(pattern=SLUG, json_schema_extra={"pattern": _schema_pattern(SLUG)})


class Incident(_Model):
    """One incident record (format v1)."""

    id: Annotated[str, _SLUG_FIELD] = Field(description="Unique slug; used in output names.")
    title: OneLine = Field(description="One line.")
    category: Annotated[str, _SLUG_FIELD] = Field(description="Slug, e.g. distillation, data-exposure.")
    status: Status = Field(Status.DRAFT, description="draft, confirmed, disclosed or closed.")
    sensitivity: Sensitivity = Field(Sensitivity.CONFIDENTIAL,
                                     description="public, confidential (default: fail closed) or restricted.")
    summary: str | None = Field(None, description="Prose; cite figures as {interactions}, {daily_rate}.")
    window: Window | None = Field(None, description="Start and end of activity.")
    timeline: dict[str, TimelineEvent] = Field(default_factory=dict,
                                               description="Event name → date or {at, note, sensitivity}.")
    figures: Figures = _figures("Name → quantity (accounts, interactions, …).")
    actors: list[Actor] = Field(default_factory=list, description="Parties behind the incident.")
    targets: list[Item] = Field(default_factory=list, description="Capabilities or systems targeted.")
    techniques: list[Technique] = Field(default_factory=list, description="MITRE ATLAS / ATT&CK ids, e.g. AML.T0024.002.")
    evidence: list[Evidence] = Field(default_factory=list, description="Statements or event logs.")
    actions: list[Action] = Field(default_factory=list, description="Response and mitigations.")
    disclosures: list[Disclosure] = Field(default_factory=list, description="What was already said, with figures.")
    sources: list[Source] = Field(default_factory=list, description="Published sources (footnotes).")
    obligations: list[Obligation] = Field(default_factory=list,
                                          description="Reporting regimes that apply, whose clocks run from the "
                                                      "timeline (reporter clocks).")

    def timeline_when(self, name: str) -> When | None:
        """The date of a timeline event, whichever form it was written in."""
        entry = self.timeline.get(name)
        return entry.at if entry is not None else None


MODELS: list[type[BaseModel]] = [Figure, Item, Technique, TimelineEvent, Attribution, Actor, Evidence, Action,
                                 Disclosure, Obligation, Source, Window, Incident]
ENUMS: list[type[StrEnum]] = [Sensitivity, Status, Confidence, DisclosureForm, Qualifier, Regime]


def record_json_schema() -> dict[str, Any]:
    """The JSON Schema of a record file: one incident or a list of incidents."""
    incident = Incident.model_json_schema(mode="validation")
    defs = incident.pop("$defs", {})
    return _no_control_characters({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "reporter incident records (format v1)",
        "description": "One incident, or a list of incidents.",
        "anyOf": [{"$ref": "#/$defs/Incident"}, {"type": "array", "items": {"$ref": "#/$defs/Incident"}, "minItems": 1}],
        "$defs": {**defs, "Incident": incident},
    })


_NO_CONTROL = {"not": {"pattern": CONTROL_JSON_PATTERN}}


def _no_control_characters(schema: Any) -> Any:
    """The schema with validation's refusal of control characters (:mod:`reporter.text`) stated on
    every string, and on the keys of every mapping whose keys are free (timeline event names).
    (The characters that make text display differently are warnings, not refusals: not stated.)"""
    if isinstance(schema, list):
        return [_no_control_characters(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: value if key in ("enum", "const", "default", "examples") else _no_control_characters(value)
           for key, value in schema.items()}
    kind = out.get("type")
    if (kind == "string" or isinstance(kind, list) and "string" in kind) and "not" not in out:
        out.update(_NO_CONTROL)
    if kind == "object" and isinstance(out.get("additionalProperties"), dict) and "propertyNames" not in out:
        out["propertyNames"] = dict(_NO_CONTROL)
    return out
