"""`reporter schema` says what `reporter validate` says.

An independent validator (python-jsonschema, Draft 2020-12) reads every good file and every bad
file with the schema `reporter schema` prints, and must reach the verdict `reporter validate`
reaches: valid for both, or invalid for both. The only exceptions are the rules no JSON Schema
can state, listed in ``NOT_EXPRESSIBLE`` with the bad files that break them: the test fails if a
bad file the schema accepts is not listed, or a listed one is refused.

Files are read for jsonschema with the project's own loader (:func:`reporter.loader.parse_document`).
A file that loader refuses (a duplicate key, an alias, NaN, ...) is read as a tool that does not
check those things would read it: YAML 1.2 scalars, aliases expanded, the last of duplicate keys
(:func:`_permissive`). What no reader reads as data at all (a syntax error, two YAML documents,
bytes that are not UTF-8, a Python tag) is no matter for a schema, and counts as refused by it.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from typer.testing import CliRunner

from reporter import loader
from reporter.cli import app
from reporter.errors import DateError, QuantityError
from reporter.loader import LoadError, parse_document
from reporter.models import (
    BARE_NUMBER_PATTERN,
    QUANTITY_PATTERN,
    WHEN_PATTERN,
    Incident,
    _http_url,
    _one_line,
    _when,
    record_json_schema,
)
from reporter.quantities import _MULTIPLIERS, _SYNONYMS, Qualifier, parse_quantity
from reporter.records import _check_document, validate_files

ROOT = Path(__file__).parent.parent
BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "good"
INCIDENTS = ROOT / "incidents"

NOT_EXPRESSIBLE: dict[str, str] = {
    # Rules no JSON Schema can state, each with the bad files that break only it. A JSON Schema
    # sees data, not the text it was read from, not the other files, and compares no two values.
    "duplicate-key.yaml": "a key written twice (a schema sees one of the two values)",
    "json-duplicate-key.json": "a key written twice",
    "alias-valid-shape.yaml": "YAML anchors and aliases (a schema sees the expanded value)",
    "nan.yaml": "NaN (JSON Schema's minimum and maximum are never false for NaN; for a count, multipleOf is)",
    "json-nan.json": "NaN",
    "end-before-start.yaml": "a window whose end is before its start (no comparison of two values)",
    "reversed-range.yaml": "a range phrase whose low end is above its high end",
    "reversed-mapping-range.yaml": "a range mapping whose low end is above its high end",
    "phrase-too-large.yaml": "a phrase whose value is over 10^15 ('2000 trillion'): numbers in text are not compared",
    "same-id-b.yaml": "an id used by another file (one file at a time)",
    "list-duplicate-id.json": "an id used twice in one list (uniqueItems compares whole records)",
    "year-as-float.yaml": "a year written as a decimal number (2020.0): JSON Schema's integer includes it",
    "ambiguous-number.yaml": "a figure written 25.000 (25, or 25,000 with German separators): the schema sees "
                             "the number 25, not how it was written",
    "fractional-count-phrase.yaml": "a count written as a phrase with a fraction ('about 2.5'): whether a phrase is "
                                    "whole is arithmetic on its text ('1.5 thousand' is, '1.2345 thousand' is not); "
                                    "a count written as a number is refused by the schema too (multipleOf 1)",
}
"""Refused by ``validate`` and accepted by the schema, with the reason the schema cannot refuse them.

Also not expressible, and refused before anything a schema could see (no reader gives data for
them, or the data is then refused anyway): bytes that are not UTF-8 (``not-utf8.yaml``), YAML tags
such as ``!!python/object`` (``python-tag.yaml``), more than one YAML document, syntax errors,
empty files, files over the size limit (``--max-file-size``; tests/test_validate.py makes one),
numbers beyond 10^15 outside figures (the schema has no other numbers but years). Nesting deeper
than 32 levels is refused by the schema's own shape (nothing in it nests without bound).
Dates with digits other than ASCII ones are refused by both (``validate`` reads ASCII only).
Control characters and lone surrogates in any text or timeline key are refused by both (the schema
says so on every string); the characters that make text display differently are warnings, which
both accept.
"""

_NOT_DATA = object()


@functools.cache
def _printed_schema() -> str:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return result.output


def _schema() -> dict[str, Any]:
    """What `reporter schema` prints."""
    return json.loads(_printed_schema())


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _permissive(path: Path) -> Any:
    """The file's data as a reader that does not refuse hostile input would read it (see the
    module docstring), or ``_NOT_DATA``."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _NOT_DATA
    if path.suffix == ".json":
        try:
            return json.loads(text)  # NaN and Infinity read as floats; the last duplicate key wins
        except ValueError:
            return _NOT_DATA
    try:
        node = yaml.compose(text, Loader=loader._YamlLoader)  # YAML 1.2 scalars are resolved below
    except yaml.YAMLError:
        return _NOT_DATA
    if node is None:
        return None

    def build(node: yaml.Node) -> Any:
        if node.tag not in loader._STANDARD_TAGS:
            raise ValueError("a tag")
        if isinstance(node, yaml.ScalarNode):
            if node.style:
                return node.value
            if loader._NONFINITE.match(node.value):
                return float(node.value.lstrip("+").replace(".", ""))
            if loader._INT.match(node.value):
                return int(node.value.replace("_", ""))
            if loader._FLOAT.match(node.value):
                return float(node.value.replace("_", ""))
            return loader._resolve_plain(node.value, "", (0, 0), ())
        if isinstance(node, yaml.MappingNode):
            return {key.value: build(value) for key, value in node.value}
        return [build(item) for item in node.value]

    try:
        return build(node)
    except ValueError:
        return _NOT_DATA


def _data(path: Path) -> Any:
    """What jsonschema is given for a file: the project's loader's data, else the permissive reading."""
    try:
        return parse_document(path.read_bytes(), path, str(path)).data
    except LoadError:
        return _permissive(path)


def _schema_accepts(validator: Draft202012Validator, data: Any) -> bool:
    return data is not _NOT_DATA and validator.is_valid(data)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def _record_files() -> list[Path]:
    return _files(INCIDENTS) + _files(GOOD)


@pytest.mark.parametrize("path", _record_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_good_files_are_valid_for_both(path: Path, validator: Draft202012Validator) -> None:
    assert validate_files([path]).ok
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(_data(path))]
    assert not errors


def test_good_files_cover_every_form() -> None:
    """The good files hold every key of every model, and every qualifier in both forms."""
    text = "\n".join(p.read_text() for p in _files(GOOD))
    for model in (Incident,):
        for name in model.model_fields:
            assert f"{name}:" in text or f'"{name}"' in text, name
    for qualifier in Qualifier:
        assert qualifier.value in text
    assert "t09:30:00z" in text  # lowercase t and z: validate accepts them, so must the schema


def _verdicts() -> dict[str, bool]:
    """validate's verdict on each bad file, from one run over the directory (so that an id a
    later file repeats is a problem of that file, as `reporter validate` reports it)."""
    report = validate_files([BAD])
    refused = {Path(p.path).name for p in report.problems if p.severity == "error"}
    return {path.name: path.name not in refused for path in _files(BAD)}


def test_bad_files_are_refused_by_both_but_the_listed_ones(validator: Draft202012Validator) -> None:
    verdicts = _verdicts()
    assert not any(verdicts[name] for name in verdicts if name != "same-id-a.yaml"), "a bad file validate accepts"
    accepted = {path.name for path in _files(BAD) if _schema_accepts(validator, _data(path))}
    disagreeing = {name for name in accepted if not verdicts[name]}
    assert disagreeing == set(NOT_EXPRESSIBLE), (
        f"accepted by the schema, not listed: {sorted(disagreeing - set(NOT_EXPRESSIBLE))}; "
        f"listed, but refused by the schema: {sorted(set(NOT_EXPRESSIBLE) - disagreeing)}")
    assert accepted - disagreeing == {"same-id-a.yaml"}  # valid on its own: the first use of its id


def test_schema_tools_report_the_rules_they_can(validator: Draft202012Validator) -> None:
    """A few refusals, by name, so that a refusal for another reason does not pass unnoticed."""
    expected = {
        "file-url.yaml": "sources/0/url",
        "ftp-url.yaml": "sources/0/url",
        "evidence-url.yaml": "evidence/0/log",
        "evidence-absolute.yaml": "evidence/0/log",
        "multiline-title.yaml": "title",
        "multiline-actor-name.yaml": "actors/0/name",
        "multiline-source-title.yaml": "sources/0/title",
        "blank-title.yaml": "title",
        "bad-figure-name.yaml": "figures",
        "bad-actor-figure-name.yaml": "actors/0/figures",
        "bad-disclosure-figure-name.yaml": "disclosures/0/figures",
        "impossible-date.yaml": "window/start",
        "naive-datetime.yaml": "window/start",
        "bad-offset.yaml": "timeline/detected",
        "year-out-of-range.yaml": "window/start",
        "int-year-out-of-range.yaml": "timeline/detected",
        "evidence-both.yaml": "evidence/0",
    }
    incident = Draft202012Validator({**_schema(), "anyOf": [{"$ref": "#/$defs/Incident"}]})
    for name, where in expected.items():
        paths = {"/".join(map(str, error.absolute_path)) for error in _leaves(incident.iter_errors(_data(BAD / name)))}
        assert any(path.startswith(where) for path in paths), (name, paths)


def _leaves(errors: Any) -> list[Any]:
    out = []
    for error in errors:
        out += _leaves(error.context) if error.context else [error]
    return out


# -- the fragments, rule by rule: the schema's pattern says yes exactly where validate does ---------


def _accepts(function: Any, value: Any) -> bool:
    try:
        function(value)
    except (ValueError, DateError, QuantityError):  # PydanticCustomError is a ValueError
        return False
    return True


_DATE_TEXT = st.one_of(
    st.text(alphabet="0123456789-:.TtZz+ ", max_size=32),
    st.builds(lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}", st.integers(1890, 2210), st.integers(0, 13),
              st.integers(0, 32), st.sampled_from(["", "T09:30:00Z", "t09:30z", " 23:59:59.5+05:30", "T24:00Z",
                                                   "T09:30:00", "T09:30:60Z", "T00:00-23:59", "T00:00+23:60",
                                                   "T09:30:00.1234567Z", "T09:30+05:99", "\n", " "])),
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1890, 2210), st.integers(0, 13)),
    st.builds(str, st.integers(1890, 2210)),
    st.sampled_from(["2024-02-29", "2100-02-29", "2000-02-29", "1900-02-29", "2200-02-29", "2196-02-29",
                     " 2024-03 \n", "2024-03\n", "\u00a02020\u3000", "\u0662\u0660\u0662\u0660", "2020\n\n",
                     "2026-04-22T09:30:00z", "2026-04-22 09:30Z"]),
)


@given(_DATE_TEXT)
@settings(max_examples=1500, deadline=None)
def test_date_pattern_is_what_validate_accepts(text: str) -> None:
    assert bool(re.search(WHEN_PATTERN, text)) == _accepts(_when, text), text


@given(st.text(alphabet=st.sampled_from("ab \t\r\n\u00a0\u2028\x1c\x0b"), max_size=6) | st.text(max_size=6))
@settings(max_examples=800, deadline=None)
def test_one_line_pattern_is_what_validate_accepts(text: str) -> None:
    pattern = _schema()["$defs"]["Incident"]["properties"]["title"]["pattern"]
    assert bool(re.search(pattern, text)) == _accepts(_one_line, text), repr(text)


@given(st.builds(lambda a, b, c: a + b + c,
                 st.sampled_from(["http://", "https://", "HTTPS://", "hTtP://", "ftp://", "file://", "http:/", "",
                                  "https://\n", "http\u017f://"]),
                 st.text(alphabet="ab.?#/ \n\t", max_size=5), st.sampled_from(["", "\n", "x", " "])))
@settings(max_examples=500, deadline=None)
def test_url_pattern_is_what_validate_accepts(text: str) -> None:
    pattern = _schema()["$defs"]["Source"]["properties"]["url"]["anyOf"][0]["pattern"]
    assert bool(re.search(pattern, text)) == _accepts(_http_url, text), repr(text)


@given(st.builds(lambda a, b: a + b, st.sampled_from(["", "/", "s3://", "C://", "a+b.c-d://", "file:", "./", "logs/",
                                                      "1a://", "\n/"]),
                 st.text(alphabet="ab/:.", max_size=5)))
@settings(max_examples=300, deadline=None)
def test_log_path_pattern_is_what_validate_accepts(text: str) -> None:
    from reporter.models import Evidence

    pattern = _schema()["$defs"]["Evidence"]["properties"]["log"]["anyOf"][0]["pattern"]
    assert bool(re.search(pattern, text)) == _accepts(lambda log: Evidence(log=log), text), repr(text)


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True)))


_SPACE = st.text(alphabet=" \t\u00a0\u3000", min_size=1, max_size=2)
_GAP = st.one_of(st.just(""), _SPACE)


def _words(words: list[str]) -> st.SearchStrategy[str]:
    """One of ``words``, in any case, with any whitespace between its words."""
    def spaced(word: str) -> st.SearchStrategy[str]:
        parts = [_any_case(part) for part in word.split(" ")]
        return st.tuples(*parts, *[_SPACE] * (len(parts) - 1)).map(
            lambda t: "".join(p + s for p, s in zip(t[:len(parts)], [*t[len(parts):], ""], strict=True)))
    return st.sampled_from(words).flatmap(spaced)


_DIGITS = st.one_of(st.from_regex(r"\A[0-9]{1,4}(?:\.[0-9]{1,3})?\Z"), st.from_regex(r"\A[0-9]{1,3}(?:,[0-9]{3}){1,3}\Z"),
                    st.from_regex(r"\A[0-9]{1,3}(?:_[0-9]{1,3}){1,2}\Z"), st.from_regex(r"\A\d{1,3}\Z"))
_NUMBER = st.tuples(_DIGITS, st.one_of(st.just(""), st.tuples(_GAP, _words(list(_MULTIPLIERS))).map("".join))).map("".join)
_PHRASE = st.one_of(
    st.tuples(_GAP, st.one_of(st.just(""), st.tuples(_words(list(_SYNONYMS)), _GAP).map("".join)), _NUMBER, _GAP).map(
        "".join),
    st.tuples(_GAP, _NUMBER, st.sampled_from([" to ", "-", " - ", "\u2013", " \u2014 ", "  TO\t"]), _NUMBER, _GAP).map(
        "".join),
    st.tuples(_words(["between"]), _SPACE, _NUMBER, _SPACE, _words(["and"]), _SPACE, _NUMBER).map("".join),
    st.text(max_size=12),
)


@given(_PHRASE)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_phrase_parse_quantity_accepts_matches(text: str) -> None:
    try:
        quantity = parse_quantity(text)
    except QuantityError:
        return
    assert re.search(QUANTITY_PATTERN, text), repr(text)
    if quantity.qualifier is Qualifier.EXACT:
        assert re.search(BARE_NUMBER_PATTERN, text), repr(text)


@pytest.mark.parametrize("text", ["about 25,000", "over 13 million", "at least 3.4M", "fewer than 100",
                                  "up to 2 billion", "3 to 4 million", "~25,000", ">=5", "approx.5", "3-4m",
                                  "between 3 and 4 bn", "EXACTLY 5", "5 \u212a"])
def test_samples_match_the_phrase_pattern(text: str) -> None:
    parse_quantity(text)
    assert re.search(QUANTITY_PATTERN, text)


@pytest.mark.parametrize("text", ["lots of them", "about", "-5", "about -5", "5 mice", "about5", "nan", "3 to",
                                  "CANARY-SECRET-7731", "25 000"])
def test_the_phrase_pattern_refuses_what_is_no_phrase(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
    assert not re.search(QUANTITY_PATTERN, text)


# -- whole records, made by hypothesis: the same verdict from both ---------------------------------

_FIGURE = st.one_of(
    st.integers(-3, 10**15 + 3), st.floats(-1, 1e15 + 10, allow_nan=False), st.booleans(), st.none(),
    st.sampled_from(["about 25,000", "over 13 million", "3 to 4 million", "4 to 3", "lots", "", "exactly 7",
                     "2000 trillion", "-5", "1e3"]),
    st.fixed_dictionaries({}, optional={
        "value": st.one_of(st.integers(-1, 100), st.sampled_from(["about 5", "5 million", "x", "exactly 5"]),
                           st.none()),
        "qualifier": st.sampled_from([q.value for q in Qualifier] + ["approximately", None]),
        "low": st.one_of(st.integers(-1, 100), st.sampled_from(["3 million", "~3"]), st.none()),
        "high": st.one_of(st.integers(0, 200), st.sampled_from(["4 million", "over 4"]), st.none()),
        "unit": st.sampled_from(["days", "", None, 5]),
        "sensitivity": st.sampled_from(["public", "secret", None]),
        "bogus": st.just(1),
    }),
)
_NAME = st.sampled_from(["accounts", "interactions", "user_count", "Accounts", "a-b", "", "a" * 64, "a" * 65, "x\n"])
_WHEN = st.one_of(_DATE_TEXT, st.integers(1890, 2210), st.none(), st.just(2020.5))
_TEXT = st.sampled_from(["Fine", "", "   ", "two\nlines", "x\r", 5, None, "\u00a0ok", "nul\x00", "bell\x07", "del\x7f",
                         "c1\x85", "\u202eoverride", "zero\u200bwidth", "tab\tok", "half \ud83d"])
_RECORD = st.fixed_dictionaries(
    {"id": st.sampled_from(["seed", "a" * 64, "a" * 65, "Bad", "", "x\n", 5]),
     "title": _TEXT,
     "category": st.sampled_from(["distillation", "data-exposure", "-x"])},
    optional={
        "status": st.sampled_from(["draft", "closed", "published"]),
        "sensitivity": st.sampled_from(["public", "restricted", "secret"]),
        "summary": _TEXT,
        "window": st.fixed_dictionaries({"start": _WHEN}, optional={"end": _WHEN}),
        "timeline": st.dictionaries(st.sampled_from(["detected", "reported", "Aware", "det\x00ected", "det\u202e"]),
                                    _WHEN | st.fixed_dictionaries({"at": _WHEN}, optional={"note": _TEXT}), max_size=2),
        "figures": st.dictionaries(_NAME, _FIGURE, max_size=3),
        "actors": st.lists(st.fixed_dictionaries({"name": _TEXT}, optional={
            "figures": st.dictionaries(_NAME, _FIGURE, max_size=2),
            "attribution": st.fixed_dictionaries({"confidence": st.sampled_from(["low", "certain"])},
                                                 optional={"basis": st.lists(_TEXT, max_size=2)})}), max_size=2),
        "targets": st.lists(_TEXT, max_size=2),
        "techniques": st.lists(st.sampled_from(["T1078", "AML.T0024.002", "T78", {"id": "T1110.004"}]), max_size=2),
        "evidence": st.lists(st.fixed_dictionaries({}, optional={
            "text": _TEXT, "log": st.sampled_from(["logs/e.csv", "/abs.csv", "s3://b/e.csv", "", None])}), max_size=2),
        "actions": st.lists(st.fixed_dictionaries({"text": _TEXT}, optional={"date": _WHEN}), max_size=2),
        "disclosures": st.lists(st.fixed_dictionaries(
            {"date": _WHEN, "to": _TEXT, "form": st.sampled_from(["letter", "tweet"])},
            optional={"figures": st.dictionaries(_NAME, _FIGURE, max_size=2)}), max_size=1),
        "sources": st.lists(st.fixed_dictionaries({"title": _TEXT}, optional={
            "url": st.sampled_from(["https://example.org/a", "ftp://x", "http://", None]), "date": _WHEN}),
            max_size=2),
        "catgory": st.just("x"),
    },
)


def _runs_backwards(window: Any) -> bool:
    """Whether a window's end is before its start (both readable dates)."""
    from reporter.dates import parse_when

    if not isinstance(window, dict) or window.get("start") is None or window.get("end") is None:
        return False
    try:
        return parse_when(window["end"]).latest < parse_when(window["start"]).earliest
    except Exception:  # noqa: BLE001 - an unreadable date is judged by the schema and validate alike
        return False


def _validate_bytes(raw: bytes) -> bool:
    path = Path("record.json")
    try:
        doc = parse_document(raw, path, str(path))
    except LoadError:
        return False
    return not any(problem.severity == "error" for problem in _check_document(doc).problems)  # warnings pass


@given(_RECORD)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_records_get_one_verdict(record: dict[str, Any]) -> None:
    assume(not _runs_backwards(record.get("window")))  # a rule no JSON Schema can state (see above)
    validator = _RECORD_VALIDATOR
    raw = json.dumps(record).encode()
    assert validator.is_valid(json.loads(raw)) == _validate_bytes(raw), (
        record, [e.message[:300] for e in _leaves(validator.iter_errors(record))][:3])


_RECORD_VALIDATOR = Draft202012Validator(record_json_schema())
