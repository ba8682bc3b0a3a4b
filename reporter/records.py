"""Incident records, format v1: pydantic models, validation and the loaded collection.

A record file holds one incident (a mapping) or several (a list). Every problem in every
file is collected and reported with its file, line, column and key; nothing stops at the
first bad file. Messages say what was expected and never repeat the offending value,
which may be confidential.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from reporter.dates import When, parse_when
from reporter.errors import DateError, InputError, Problem, QuantityError
from reporter.loader import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_FILE_SIZE,
    Document,
    KeyPath,
    LoadError,
    find_files,
    format_key_path,
    parse_document,
    read_raw,
)
from reporter.quantities import Qualifier, Quantity, parse_quantity

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
SLUG_HELP = "lowercase letters, digits and hyphens, starting with a letter or digit, at most 64 characters"
TECHNIQUE = r"^(?:AML\.)?T[0-9]{4}(?:\.[0-9]{3})?$"


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


def _when(value: Any) -> When:
    if isinstance(value, When):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        # Numbers (a bare `2020`) are years only when written as strings; say what to write.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        else:
            raise PydanticCustomError("when", "expected a date (2026-04-22), a month (2023-05), a year (2020) "
                                              "or an ISO datetime with offset (2026-04-22T09:30:00Z)")
    try:
        return parse_when(value)
    except DateError as exc:
        raise PydanticCustomError("when", str(exc)) from None


WhenField = Annotated[
    When,
    BeforeValidator(_when),
    PlainSerializer(lambda w: w.text, return_type=str),
    WithJsonSchema(WHEN_JSON_SCHEMA := {
        "description": "A date (2026-04-22), a month (2023-05), a year (2020) or an ISO datetime with offset.",
        "anyOf": [
            {"type": "string",
             "pattern": r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?)?)?$"},
            {"type": "integer", "minimum": 1900, "maximum": 2200},
        ],
    }),
]


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("one_line", "expected a single line of text")
    if not value.strip():
        raise PydanticCustomError("one_line", "expected non-empty text")
    return value


_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", flags=re.IGNORECASE)
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_FIGURE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise PydanticCustomError("url", "expected an http:// or https:// URL")
    return value


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
            self._parse()
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
    def _parse(self) -> Figure:
        try:
            if self.qualifier is None and self.low is None and self.high is None:
                if self.value is None:
                    raise QuantityError("expected a value, or low and high for a range")
                quantity = parse_quantity(self.value)
                if self.unit:
                    quantity = quantity.with_unit(self.unit)
            else:
                parts = [_number(p) for p in (self.value, self.low, self.high)]
                quantity = Quantity.of(self.qualifier or Qualifier.RANGE, value=parts[0], low=parts[1],
                                       high=parts[2], unit=self.unit)
        except QuantityError as exc:
            raise PydanticCustomError("quantity", str(exc)) from None
        object.__setattr__(self, "__pydantic_private__", {"_quantity": quantity})
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        mapping = handler(schema)
        return {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "description": _QUANTITY_HELP},
                          mapping]}


_QUANTITY_HELP = 'expected a number or a phrase such as "about 25,000", "over 13 million" or "3 to 4 million"'


def _number(value: float | int | str | None) -> float | None:
    if value is None:
        return None
    quantity = parse_quantity(value)
    if quantity.qualifier is not Qualifier.EXACT:
        raise QuantityError("in the mapping form, value, low and high are plain numbers; put the qualifier in 'qualifier'")
    return quantity.value


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
        return {"anyOf": [{"type": "string"}, handler(schema)]}


class Technique(_Model):
    """A MITRE ATLAS / ATT&CK technique, written as its id or as ``{id, sensitivity}``."""

    id: Annotated[str, Field(pattern=TECHNIQUE)] = Field(description="e.g. AML.T0024.002 or T1078.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="before")
    @classmethod
    def _string_form(cls, data: Any) -> Any:
        return {"id": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"anyOf": [{"type": "string", "pattern": TECHNIQUE}, handler(schema)]}


class Attribution(_Model):
    """Who we think did it, how sure we are and why."""

    confidence: Confidence = Field(description="low, moderate or high.")
    basis: list[Item] = Field(default_factory=list, description="The evidence the judgment rests on.")


class Actor(_Model):
    """A party behind (part of) the incident, with its share of the figures."""

    name: Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)] = Field(
        description="Name as it may appear in documents.")
    kind: str | None = Field(None, description="e.g. company, group, individual, unknown.")
    attribution: Attribution | None = Field(None, description="Confidence and basis of the attribution.")
    figures: dict[str, Figure] = Field(default_factory=dict, description="This actor's share of the figures.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Evidence(_Model):
    """A piece of evidence: a statement, or an event log the figures are computed from."""

    text: str | None = Field(None, description="A statement of evidence.")
    log: str | None = Field(None, description="Path of an event log (Parquet, CSV, JSON Lines), relative to the record.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")

    @model_validator(mode="after")
    def _one_of(self) -> Evidence:
        if (self.text is None) == (self.log is None):
            raise PydanticCustomError("evidence", "expected exactly one of 'text' or 'log'")
        if self.log is not None and (_URL_SCHEME.match(self.log) or Path(self.log).is_absolute()):
            raise PydanticCustomError("evidence", "expected a relative file path for 'log' (no URL, no absolute path)")
        return self


class Action(_Model):
    """A response or mitigation."""

    text: str = Field(description="What was done.")
    date: WhenField | None = Field(None, description="When.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Disclosure(_Model):
    """Something already said about the incident, with the figures stated then."""

    date: WhenField = Field(description="When it was said.")
    to: str = Field(description="To whom (a committee, a regulator, the public).")
    form: DisclosureForm = Field(description="letter, filing, publication or briefing.")
    reference: str | None = Field(None, description="A reference number or title.")
    figures: dict[str, Figure] = Field(default_factory=dict, description="Figures as stated then.")
    sensitivity: Sensitivity | None = Field(None, description="Overrides the record's sensitivity.")


class Source(_Model):
    """A published source; becomes a footnote."""

    title: Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)] = Field(
        description="Title of the source.")
    publisher: str | None = Field(None, description="Who published it.")
    url: Annotated[str, BeforeValidator(lambda v: _http_url(v) if isinstance(v, str) else v)] | None = Field(
        None, description="An http(s) URL; shown as text, never fetched.")
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


class Incident(_Model):
    """One incident record (format v1)."""

    id: Annotated[str, Field(pattern=SLUG)] = Field(description="Unique slug; used in output names.")
    title: Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)] = Field(
        description="One line.")
    category: Annotated[str, Field(pattern=SLUG)] = Field(description="Slug, e.g. distillation, data-exposure.")
    status: Status = Field(Status.DRAFT, description="draft, confirmed, disclosed or closed.")
    sensitivity: Sensitivity = Field(Sensitivity.CONFIDENTIAL,
                                     description="public, confidential (default: fail closed) or restricted.")
    summary: str | None = Field(None, description="Prose; cite figures as {interactions}, {daily_rate}.")
    window: Window | None = Field(None, description="Start and end of activity.")
    timeline: dict[str, TimelineEvent] = Field(default_factory=dict,
                                                           description="Event name → date or {at, note, sensitivity}.")
    figures: dict[str, Figure] = Field(default_factory=dict, description="Name → quantity (accounts, interactions, …).")
    actors: list[Actor] = Field(default_factory=list, description="Parties behind the incident.")
    targets: list[Item] = Field(default_factory=list, description="Capabilities or systems targeted.")
    techniques: list[Technique] = Field(default_factory=list, description="MITRE ATLAS / ATT&CK ids, e.g. AML.T0024.002.")
    evidence: list[Evidence] = Field(default_factory=list, description="Statements or event logs.")
    actions: list[Action] = Field(default_factory=list, description="Response and mitigations.")
    disclosures: list[Disclosure] = Field(default_factory=list, description="What was already said, with figures.")
    sources: list[Source] = Field(default_factory=list, description="Published sources (footnotes).")

    @field_validator("figures", mode="after")
    @classmethod
    def _figure_names(cls, figures: dict[str, Figure]) -> dict[str, Figure]:
        for name in figures:
            if not _FIGURE_NAME.match(name):
                raise PydanticCustomError("figure_name", "figure names are lowercase words joined by '_' (e.g. accounts)")
        return figures

    def timeline_when(self, name: str) -> When | None:
        """The date of a timeline event, whichever form it was written in."""
        entry = self.timeline.get(name)
        return entry.at if entry is not None else None


# ---------------------------------------------------------------------------------------
# Loading a collection


@dataclass(frozen=True)
class LoadedIncident:
    """An incident with where it came from (for messages, checks and the methodology)."""

    incident: Incident
    path: str
    index: int | None  # position in a list file, None for a single-record file
    document: Document = field(repr=False, compare=False)

    def key_prefix(self) -> KeyPath:
        return () if self.index is None else (self.index,)

    def problem(self, key_path: KeyPath, message: str, *, severity: str = "error", key: bool = False) -> Problem:
        """A problem located at a key path inside this incident."""
        full = (*self.key_prefix(), *key_path)
        self.document.ensure_marks()
        line, column = self.document.mark(full, key=key)
        if self.index is not None:
            message += f" (record {self.incident.id})"
        return Problem(self.path, line, column, format_key_path(full), message, severity)


@dataclass
class Collection:
    """Valid incidents from a set of files, in file order."""

    incidents: list[LoadedIncident] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Incident]:
        return (loaded.incident for loaded in self.incidents)

    def __len__(self) -> int:
        return len(self.incidents)

    def by_id(self) -> dict[str, LoadedIncident]:
        return {loaded.incident.id: loaded for loaded in self.incidents}


@dataclass
class ValidationReport:
    """The outcome of validating files: the valid incidents and every problem found."""

    collection: Collection
    problems: list[Problem]
    files: int
    records: int

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


_ERROR_MESSAGES = {
    "missing": "required key is missing",
    "string_type": "expected text",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "float_parsing": "expected a number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected true or false",
}


def _message(error: Any, model: type[BaseModel]) -> tuple[str, bool]:
    """A user-facing message for one pydantic error, and whether it points at a key."""
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        hint = difflib.get_close_matches(name, allowed, n=1)
        message = f"unknown key '{name}'"
        if hint:
            message += f" (did you mean '{hint[0]}'?)"
        elif allowed:
            message += f" (expected one of {', '.join(allowed)})"
        return message, True
    if kind == "missing":
        return _ERROR_MESSAGES["missing"], True
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return "expected one of " + expected.replace("'", "").replace(" or ", ", "), False
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        if pattern == TECHNIQUE:
            return "expected a MITRE ATLAS or ATT&CK technique id such as AML.T0024.002 or T1078", False
        return f"expected a slug: {SLUG_HELP}", False
    if kind in _ERROR_MESSAGES:
        return _ERROR_MESSAGES[kind], False
    if kind in ("value_error", "assertion_error"):
        return str(error.get("ctx", {}).get("error", error["msg"])), False
    return error["msg"], False


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` (inside ``model``) may hold."""
    current: Any = model
    for part in loc:
        annotation = None
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(part, str) and part in current.model_fields:
                annotation = current.model_fields[part].annotation
            else:
                # A dict value or list item: keep the model, the next part walks into it.
                continue
        current = _inner_model(annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name, info in current.model_fields.items() if not info.exclude]
    return []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[M]``, ``dict[str, M]``, ``M | None``, ``Annotated[M, ...]``."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(getattr(current, "__args__", ()) or ())
        origin = getattr(current, "__origin__", None)
        if origin is not None and origin is not current:
            stack.append(origin)
    return None


def _problems_from(error: ValidationError, doc: Document, prefix: KeyPath, record_id: str | None,
                   model: type[BaseModel] | None = None) -> list[Problem]:
    """Located problems from a pydantic error on ``model`` (an Incident unless said otherwise)."""
    model = model or Incident
    problems = []
    doc.ensure_marks()
    for item in error.errors(include_url=False, include_input=False):
        # Drop pydantic's union-branch labels (e.g. 'function-before[...]', 'TimelineEvent').
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and ("[" in part or part[:1].isupper())))
        if item["type"] not in ("missing", "extra_forbidden"):
            # A scalar shorthand (timeline `detected: 2026-05-01`) is validated as its long
            # form ({at: ...}); report the key the user actually wrote.
            loc = _existing(doc.data, prefix, loc)
        if item["type"] == "window_order":
            loc = (*loc, "end")
        message, at_key = _message({**item, "loc": loc}, model)
        full = (*prefix, *loc)
        line, column = doc.mark(full, key=at_key) if item["type"] != "missing" else doc.mark(full[:-1])
        if record_id and prefix:
            message += f" (record {record_id})"
        problems.append(Problem(doc.path, line, column, format_key_path(full), message))
    return _dedupe(problems)


def _existing(data: Any, prefix: KeyPath, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The longest start of ``loc`` that exists in the file's data."""
    node = data
    for part in prefix:
        node = node[part]
    for depth, part in enumerate(loc):
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return loc[:depth]
    return loc


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for problem in problems:
        marker = (problem.path, problem.line, problem.column, problem.key)
        if marker not in seen:
            seen.add(marker)
            unique.append(problem)
    return unique


PARALLEL_THRESHOLD = 500
"""Below this many files to read (cache misses), loading in worker processes does not pay."""


@dataclass
class _FileOutcome:
    """What one file yields on its own (duplicate ids across files are found when merging)."""

    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    items: list[tuple[int | None, Incident]] = field(default_factory=list)
    document: Document | None = None


def _check_document(doc: Document) -> _FileOutcome:
    outcome = _FileOutcome(document=doc)
    problems = outcome.problems
    display = doc.path
    if not isinstance(doc.data, dict | list):
        doc.ensure_marks()
    if isinstance(doc.data, dict):
        items: list[tuple[int | None, Any]] = [(None, doc.data)]
    elif isinstance(doc.data, list):
        items = list(enumerate(doc.data))
        if not items:
            doc.ensure_marks()
            problems.append(Problem(display, *doc.mark(()), "", "the list holds no incidents"))
    else:
        problems.append(Problem(display, *doc.mark(()), "", "expected an incident (a mapping) or a list of incidents"))
        return outcome
    for index, raw in items:
        outcome.records += 1
        prefix: KeyPath = () if index is None else (index,)
        record_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            incident = Incident.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, doc, prefix, record_id))
            continue
        outcome.items.append((index, incident))
    return outcome


def _check_file(resolved: Path, display: str, raw: bytes | None, max_file_size: int, max_depth: int) -> _FileOutcome:
    """Load and validate one file (``raw``: its bytes, if already read)."""
    try:
        if raw is None:
            raw = read_raw(resolved, display, max_file_size)
        doc = parse_document(raw, resolved, display, max_depth)
    except LoadError as exc:
        return _FileOutcome(problems=[exc.problem])
    return _check_document(doc)


def _codec():  # noqa: ANN202 - imported late: only cached and parallel loading need it
    global _CODEC
    if _CODEC is None:
        from reporter.cache import Codec

        _CODEC = Codec(
            [Figure, Item, Technique, TimelineEvent, Attribution, Actor, Evidence, Action, Disclosure, Source, Window,
             Incident],
            [Sensitivity, Status, Confidence, DisclosureForm, Qualifier],
        )
    return _CODEC


_CODEC = None


def _encode(outcome: _FileOutcome) -> Any:
    """The cache entry of a fully valid file, or None (files with problems are not cached)."""
    from reporter.cache import Uncacheable

    if outcome.problems or outcome.document is None:
        return None
    codec = _codec()
    try:
        return [(index, codec.encode(incident)) for index, incident in outcome.items]
    except Uncacheable:
        return None


def _restored(entry: Any, resolved: Path, display: str, max_depth: int) -> _FileOutcome:
    """A file's outcome rebuilt from its cache entry; marks are read from the file if ever needed."""
    codec = _codec()
    doc = Document(display, None, max_depth=max_depth, json_mode=resolved.suffix.lower() == ".json", source=resolved)
    items = [(index, codec.decode(encoded)) for index, encoded in entry]
    return _FileOutcome(records=len(items), items=items, document=doc)


# Set before worker processes fork, so that they inherit it rather than receive it.
_JOB: Any = None


def _in_processes(job: Any, count: int, workers: int, here: Callable[[int, int], Any],
                  there: Callable[[int, int], Any],
                  gather: Callable[[list[tuple[int, int, Any]]], Any] = list) -> list[tuple[Any, bool]]:
    """Items ``0:count`` of ``job``, by this process and ``workers - 1`` forked ones.

    The processes take turns to claim the next chunk of consecutive items, large ones first
    and smaller towards the end, so a process on a faster (or less busy) CPU does more of
    them: the CPUs of these machines do not run at a steady, equal speed, and an even split
    waits for the slower one. ``here(start, stop)`` does a chunk in this process,
    ``there(start, stop)`` in a worker. Each process passes its chunks, as ``(start, stop,
    result)`` in order, to ``gather``; what a worker gathers comes back through ``marshal``.

    Returns:
        ``(gathered, here)`` for each process, this one first (``here`` True).
    """
    return _Workers(job, count, workers, there, gather).finish(here)


class _Workers:
    """Forked processes that claim chunks of a job (see :func:`_in_processes`) from the moment
    they start; this process joins in with :meth:`finish`, or stops them with :meth:`cancel`.

    Meanwhile this process may do other work (``reporter metrics`` reads every file for its
    result cache's key), and may give itself a fuller copy of the job (:meth:`update`).
    """

    def __init__(self, job: Any, count: int, workers: int, there: Callable[[int, int], Any],
                 gather: Callable[[list[tuple[int, int, Any]]], Any]):
        global _JOB
        self.gather = gather
        self.children: list[tuple[int, int]] = []
        # The chunks wait in a pipe, written whole before any process reads, its writing end
        # closed: a process claims the next chunk by reading one record, and reads nothing
        # once all are claimed. (Reads of a pipe are one at a time, so none is claimed twice.)
        self.claims: int | None
        self.claims, write = os.pipe()
        _JOB = (job, self.claims, there, gather)
        try:
            try:
                os.write(write, b"".join(_CHUNK.pack(start, stop) for start, stop in _chunks(count, workers)))
            finally:
                os.close(write)
            for _ in range(1, workers):
                self.children.append(_fork(_claim_there))
        except BaseException:
            self.cancel()
            raise

    def update(self, job: Any) -> None:
        """This process's own copy of the job from now on (workers keep the one they forked with)."""
        global _JOB
        _JOB = (job, *_JOB[1:])

    def finish(self, here: Callable[[int, int], Any]) -> list[tuple[Any, bool]]:
        """Claim chunks here too until none is left; then every process's gathered chunks."""
        try:
            processes = [(self.gather([(start, stop, here(start, stop)) for start, stop in _claims()]), True)]
            while self.children:
                processes.append((_collect(*self.children.pop(0)), False))
            return processes
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the workers still running, at once."""
        global _JOB
        import signal

        for pid, pipe in self.children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(pipe)
        self.children = []
        if self.claims is not None:
            os.close(self.claims)
            self.claims = None
        _JOB = None


def _fork(function: Callable[[], Any]) -> tuple[int, int]:
    """``function()`` in a forked process: its pid, and the pipe its marshalled outcome comes through."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()  # nothing buffered is written twice
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        status = 1
        try:
            import marshal
            import traceback

            os.close(read)
            try:
                outcome = marshal.dumps((True, function()))
            except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
                outcome = marshal.dumps((False, traceback.format_exc()))
            view = memoryview(outcome)
            while view:
                view = view[os.write(write, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


class WorkerError(RuntimeError):
    """A worker process failed; the message holds its traceback."""


def _collect(pid: int, pipe: int) -> Any:
    """A forked process's outcome (see :func:`_fork`); the pipe is closed and the process reaped."""
    import marshal

    try:
        with open(pipe, "rb", closefd=True) as stream:
            data = stream.read()
    finally:
        _, status = os.waitpid(pid, 0)  # a worker whose pipe is closed early stops at its next write
    if not data:
        raise WorkerError(f"a worker process ended without an outcome (wait status {status})")
    ok, value = marshal.loads(data)
    if not ok:
        raise WorkerError(f"a worker process failed:\n{value}")
    return value


_SMALLEST_CHUNK = 100
_CHUNK = struct.Struct("=qq")  # a chunk's start and stop, as claimed from the pipe


def _chunks(count: int, workers: int) -> list[tuple[int, int]]:
    """Items ``0:count`` in chunks, large first and smaller towards the end (each a share of
    what is left), so that the processes finish close together."""
    smallest = max(_SMALLEST_CHUNK, count // 1000)  # a few hundred chunks at most: they fit in a pipe
    chunks, start = [], 0
    while start < count:
        stop = min(count, start + max(smallest, (count - start) // (2 * workers)))
        chunks.append((start, stop))
        start = stop
    return chunks


def _claims() -> Iterator[tuple[int, int]]:
    """The chunks this process claims of the job, one at a time, until none is left."""
    claims = _JOB[1]
    while len(record := os.read(claims, _CHUNK.size)) == _CHUNK.size:
        yield _CHUNK.unpack(record)


def _claim_there() -> Any:
    """In a worker process: what it gathered of the chunks it claimed."""
    _, _, there, gather = _JOB
    return gather([(start, stop, there(start, stop)) for start, stop in _claims()])


def _work(start: int, stop: int) -> list[Any]:
    """In a worker process: check files ``start:stop`` of the job; their cache entries, None to redo."""
    files, raws, max_file_size, max_depth = _JOB[0]
    return [_encode(_check_file(resolved, display, raw, max_file_size, max_depth))
            for (resolved, display), raw in zip(files[start:stop], raws[start:stop], strict=True)]


def _check_here(start: int, stop: int) -> list[_FileOutcome]:
    files, raws, max_file_size, max_depth = _JOB[0]
    return [_check_file(resolved, display, raw, max_file_size, max_depth)
            for (resolved, display), raw in zip(files[start:stop], raws[start:stop], strict=True)]


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _check_parallel(files: list[tuple[Path, str]], raws: list[bytes | None], max_file_size: int, max_depth: int,
                    workers: int, cache: Any) -> list[_FileOutcome]:
    """Check files in ``workers`` processes (this one included); outcomes in file order.

    Worker processes send back the compact form of valid files (cheap to rebuild); a file
    with any problem is checked again here, so that its problems and document are exactly
    those of the serial path.
    """
    chunks = sorted((start, stop, results, here)
                    for gathered, here in _in_processes((files, raws, max_file_size, max_depth), len(files), workers,
                                                        _check_here, _work)
                    for start, stop, results in gathered)
    outcomes: list[_FileOutcome] = []
    for start, stop, results, here in chunks:
        for (resolved, display), raw, result in zip(files[start:stop], raws[start:stop], results, strict=True):
            if here:
                outcomes.append(result)
                entry = _encode(result) if cache is not None else None
            elif result is None:
                outcomes.append(_check_file(resolved, display, raw, max_file_size, max_depth))
                continue
            else:
                outcomes.append(_restored(result, resolved, display, max_depth))
                entry = result
            if cache is not None and entry is not None and raw is not None:
                cache.put(_key(raw, resolved, max_depth), entry)
    return outcomes


def _key(raw: bytes, resolved: Path, max_depth: int) -> bytes:
    from reporter.cache import file_key

    return file_key(raw, resolved.suffix, max_depth)


class Declined(Exception):
    """Raised by the function given to :func:`map_incidents` when an incident needs the ordinary path."""


def map_incidents(paths: Iterable[Path | str], function: Callable[[Incident], Any], **options: Any) -> list[Any] | None:
    """``function`` of every incident under ``paths``, in collection order, computed in the
    processes that read the records (this one and forked workers), or None. ``options`` are
    those of :func:`start_map` (``reduce``, ``files``, ``raws``, limits, ``workers``).

    With ``reduce``, each process passes ``reduce`` the incidents it computed, as
    ``(position, result)`` pairs in collection order (the position is the file's number and
    the record's number in it), and the outcome is what ``reduce`` returned in each process.
    (Processes take the files in chunks as they get to them, so which incidents a process
    computes varies from run to run.)

    The incidents never travel between processes, only what ``function`` (or ``reduce``)
    returns (plain tuples, dicts, strings and numbers: ``marshal`` carries them). None means "load the
    collection the ordinary way": the files are too few to share out, or not all valid,
    ids repeat, or ``function`` raised :class:`Declined` -- the ordinary path then reports
    any problem exactly as :func:`validate_files` does.

    ``files`` is :func:`~reporter.loader.find_files` of ``paths`` if already found, ``raws``
    their bytes if already read (None for a file to read where it is needed); workers inherit them.
    """
    job = start_map(paths, function, **options)
    return None if job is None else job.result()


def start_map(
    paths: Iterable[Path | str],
    function: Callable[[Incident], Any],
    *,
    reduce: Callable[[list[Any]], Any] | None = None,
    files: list[tuple[Path, str]] | None = None,
    raws: list[bytes | None] | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    workers: int | None = None,
) -> MapJob | None:
    """:func:`map_incidents` begun: the workers start at once, and this process joins in when
    it asks for the :meth:`MapJob.result` (it may first do other work, such as reading the files
    for a cache key). None when the files are too few to share out (or there is one CPU)."""
    if files is None:
        files = find_files([Path(p) for p in paths])
    if raws is None:
        raws = [None] * len(files)
    workers = min(_workers() if workers is None else max(1, workers), 8)
    if len(files) < PARALLEL_THRESHOLD or workers < 2 or not _can_fork():
        return None
    return MapJob((files, raws, function, reduce, max_file_size, max_depth), workers)


class MapJob:
    """A :func:`map_incidents` under way (see :func:`start_map`)."""

    changed = False
    """Whether a file read by a worker differed from the bytes given to :meth:`result`."""

    def __init__(self, job: tuple, workers: int):
        self.job = job
        self.paused = gc.isenabled()
        gc.disable()  # as in validate_files: many small objects, no cycles
        try:
            self.workers: _Workers | None = _Workers(job, len(job[0]), workers, _map_chunk, _map_gather)
        except BaseException:
            self._resume()
            raise

    def result(self, raws: list[bytes | None] | None = None) -> list[Any] | None:
        """What :func:`map_incidents` returns. ``raws``: the files' bytes if this process has read
        them since the job started (the workers read what they need themselves; if any file
        they read differs from these bytes, :attr:`changed` is True afterwards)."""
        if self.workers is None:
            raise RuntimeError("the job is over")
        try:
            if raws is not None:
                self.workers.update((self.job[0], raws, *self.job[2:]))
            processes = self.workers.finish(_map_chunk)
        finally:
            self.workers = None
            self._resume()
        if any(gathered is None for gathered, _ in processes):
            return None
        if raws is not None:
            # A file that changed while the processes read it: the output is what was read, but
            # it must not be cached under the key of the other bytes.
            self.changed = any(raws[number] is None or hash(raws[number]) != digest
                               for (_, _, read), _ in processes for number, digest in read)
        ids = [incident_id for (process_ids, _, _), _ in processes for incident_id in process_ids]
        if len(set(ids)) != len(ids):
            return None
        if self.job[3] is not None:
            return [reduced for (_, reduced, _), _ in processes]
        return [result for _, result in sorted((pair for (_, pairs, _), _ in processes for pair in pairs),
                                               key=lambda pair: pair[0])]

    def cancel(self) -> None:
        """Stop the job: its workers end at once."""
        if self.workers is not None:
            self.workers.cancel()
            self.workers = None
            self._resume()

    def _resume(self) -> None:
        if self.paused:
            gc.enable()


def _map_chunk(start: int, stop: int) -> tuple[list[str], list[tuple[tuple[int, int], Any]], list[tuple[int, int]]] | None:
    """For files ``start:stop`` of the job: the incidents' ids, ``function`` of each with its
    position (file number, record number), and the number and hash of each file read here
    (not handed over already read); None if any file is not valid or ``function`` declined."""
    files, raws, function, _, max_file_size, max_depth = _JOB[0]
    ids, pairs, read = [], [], []
    for number, ((resolved, display), raw) in enumerate(zip(files[start:stop], raws[start:stop], strict=True),
                                                        start=start):
        if raw is None:
            try:
                raw = read_raw(resolved, display, max_file_size)
            except LoadError:
                return None
            read.append((number, hash(raw)))
        outcome = _check_file(resolved, display, raw, max_file_size, max_depth)
        if outcome.problems:
            return None
        for index, incident in outcome.items:
            try:
                pairs.append(((number, index or 0), function(incident)))
            except Declined:
                return None
            ids.append(incident.id)
    return ids, pairs, read


def _map_gather(chunks: list[tuple[int, int, Any]]) -> tuple[list[str], Any, list[tuple[int, int]]] | None:
    """A process's chunks of :func:`map_incidents`: all their ids, their positioned results
    (reduced, if the job says so) and the files read; None if any chunk failed."""
    reduce = _JOB[0][3]
    ids, pairs, read = [], [], []
    for _, _, result in chunks:
        if result is None:
            return None
        ids += result[0]
        pairs += result[1]
        read += result[2]
    return ids, pairs if reduce is None else reduce(pairs), read


def validate_files(
    paths: Iterable[Path | str],
    *,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    cache: bool = False,
    workers: int | None = None,
) -> ValidationReport:
    """Load and validate every record file under ``paths``; collect every problem.

    Args:
        paths: files and directories (searched recursively for .yaml, .yml and .json).
        max_file_size: files larger than this many bytes are refused unread.
        max_depth: mappings and lists nested deeper than this are refused.
        cache: restore fully valid files from the cache of validated files (keyed by their
            content; see :mod:`reporter.cache`) and add the ones read now.
        workers: processes to load with when there are many files to read (at least
            ``PARALLEL_THRESHOLD``); None means one per available CPU, 1 means this one only.

    Returns:
        The valid incidents and every problem found, sorted by file and line. The outcome
        does not depend on ``cache`` or ``workers``.
    """
    # Loading builds millions of small objects and no reference cycles worth collecting: the
    # cyclic collector would rescan the growing heap again and again (a third of the time).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _validate_files(paths, max_file_size=max_file_size, max_depth=max_depth, cache=cache, workers=workers)
    finally:
        if paused:
            gc.enable()


def _validate_files(paths: Iterable[Path | str], *, max_file_size: int, max_depth: int, cache: bool,
                    workers: int | None) -> ValidationReport:
    collection = Collection()
    problems: list[Problem] = []
    records = 0
    seen_ids: dict[str, LoadedIncident] = {}
    files = find_files([Path(p) for p in paths])

    record_cache = None
    if cache:
        from reporter.cache import RecordCache

        record_cache = RecordCache()
    outcomes: list[_FileOutcome | None] = [None] * len(files)
    todo: list[int] = []
    raws: list[bytes | None] = []
    for n, (resolved, display) in enumerate(files):
        if not resolved.is_file():
            outcomes[n] = _FileOutcome(problems=[Problem(display, None, None, "", "no such file or directory")])
            continue
        raw = None
        if record_cache is not None:
            try:
                raw = read_raw(resolved, display, max_file_size)
            except LoadError as exc:
                outcomes[n] = _FileOutcome(problems=[exc.problem])
                continue
            entry = record_cache.get(_key(raw, resolved, max_depth))
            if entry is not None:
                try:
                    outcomes[n] = _restored(entry, resolved, display, max_depth)
                    continue
                except Exception:  # noqa: BLE001 - a damaged entry: read the file instead
                    pass
        todo.append(n)
        raws.append(raw)

    workers = _workers() if workers is None else max(1, workers)
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1 and _can_fork():
        checked = _check_parallel([files[n] for n in todo], raws, max_file_size, max_depth, min(workers, 8),
                                  record_cache)
        for n, outcome in zip(todo, checked, strict=True):
            outcomes[n] = outcome
    else:
        for n, raw in zip(todo, raws, strict=True):
            resolved, display = files[n]
            outcome = outcomes[n] = _check_file(resolved, display, raw, max_file_size, max_depth)
            if record_cache is not None and raw is not None:
                entry = _encode(outcome)
                if entry is not None:
                    record_cache.put(_key(raw, resolved, max_depth), entry)
    if record_cache is not None:
        record_cache.save()

    for (_, display), outcome in zip(files, outcomes, strict=True):
        assert outcome is not None
        collection.files.append(display)
        problems.extend(outcome.problems)
        records += outcome.records
        for index, incident in outcome.items:
            assert outcome.document is not None
            loaded = LoadedIncident(incident, display, index, outcome.document)
            if incident.id in seen_ids:
                first = seen_ids[incident.id].problem(("id",), "")
                problems.append(loaded.problem(("id",), f"duplicate id '{incident.id}' (first used at {first.location()})"))
                continue
            seen_ids[incident.id] = loaded
            collection.incidents.append(loaded)
    if not files:
        problems.append(Problem(", ".join(str(p) for p in paths) or ".", None, None, "",
                                "no record files found (expected .yaml, .yml or .json)"))
    return ValidationReport(collection, sorted(problems), len(files), records)


def _can_fork() -> bool:
    return hasattr(os, "fork")


def load_collection(paths: Iterable[Path | str], *, cache: bool = False, workers: int | None = None,
                    **limits: int) -> Collection:
    """Load and validate records, raising :class:`InputError` with every problem if any file is invalid."""
    report = validate_files(paths, cache=cache, workers=workers, **limits)
    if not report.ok:
        raise InputError(report.problems)
    return report.collection


def record_json_schema() -> dict[str, Any]:
    """The JSON Schema of a record file: one incident or a list of incidents."""
    incident = Incident.model_json_schema(mode="validation")
    defs = incident.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "reporter incident records (format v1)",
        "description": "One incident, or a list of incidents.",
        "anyOf": [{"$ref": "#/$defs/Incident"}, {"type": "array", "items": {"$ref": "#/$defs/Incident"}, "minItems": 1}],
        "$defs": {**defs, "Incident": incident},
    }
