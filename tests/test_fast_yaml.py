"""The rapidyaml fast path reads exactly what the libyaml path reads, or declines.

``loader.fast_yaml`` may return None (the file then takes the located libyaml walk) but must
never return data that differs from that walk's -- not in a value, not in a type (``1`` is
not ``1.0`` is not ``True``), and never for a file the walk refuses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reporter import loader
from reporter.loader import LoadError, decode_text, fast_yaml, parse_yaml

ROOT = Path(__file__).parent.parent
SHARED = ROOT.parent / "shared"

pytestmark = pytest.mark.skipif(loader._ryml is None, reason="rapidyaml is not installed")


def typed(value: Any) -> Any:
    """A value with every scalar's type made part of it: True, 1 and 1.0 all differ."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, value)


def slow(raw: bytes, max_depth: int = loader.DEFAULT_MAX_DEPTH) -> Any:
    """What the located libyaml walk makes of the bytes, or the problem it reports."""
    try:
        return typed(parse_yaml(decode_text(raw, "f.yaml"), "f.yaml", max_depth, with_marks=True).data)
    except LoadError as exc:
        return ("refused", exc.problem.message)


def agrees(raw: bytes, max_depth: int = loader.DEFAULT_MAX_DEPTH) -> bool:
    """Whether the fast path answered (it must then agree with the slow one).

    Like ``parse_document``, only bytes that decode as UTF-8 reach the fast path, without a BOM.
    """
    try:
        decode_text(raw, "f.yaml")
    except LoadError:
        return False
    fast = fast_yaml(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw, max_depth)
    if fast is None:
        return False
    expected = slow(raw, max_depth)
    assert expected[0] != "refused", f"the fast path read what the slow path refuses: {raw!r} -> {expected}"
    assert typed(fast) == expected, raw
    return True


def record_files() -> list[Path]:
    paths = [*ROOT.glob("incidents/**/*.yaml"), *ROOT.glob("briefs/*.yaml"), *ROOT.glob("tests/data/**/*.yaml"),
             *ROOT.glob("tests/data/**/*.yml"), *SHARED.glob("seed/**/*.yaml")]
    return sorted(paths)


def test_every_yaml_file_in_the_project_reads_the_same() -> None:
    answered = [path for path in record_files() if agrees(path.read_bytes())]
    # The fast path is the common path, not a rarity (the seed's quoted "28_800_000" sends it the slow way).
    assert len(answered) >= len(record_files()) // 2


def test_generated_records_read_the_same(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_records import generate

    generate(200, tmp_path)
    assert all(agrees(path.read_bytes()) for path in sorted(tmp_path.glob("*.yaml")))  # every one answered


# Plain scalars our rules resolve differently from other YAML readers, or refuse.
SCALARS = ["~", "null", "Null", "NULL", "", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "no", "on",
           "off", "y", "n", "1", "-1", "+1", "0", "-0", "+0", "00", "010", "0o17", "0x1F", "0b101", "1_000", "1,000",
           ".5", "-.5", "+.5", "1.", "1.0", "0.0", "1e3", "1E3", "1e+3", "1.5e-3", "0e0", "1e", "1.5.5", ".inf",
           "-.inf", ".Inf", ".NAN", ".nan", "inf", "nan", "NaN", "Infinity", "1e400", "1e15", "1e16",
           "1000000000000000", "1000000000000001", "12345678901234567890", "2024-05-01", "12:30:00",
           "2024-05-01T12:00:00Z", "3.4M", "about 25,000", "1 2", "-", "."]


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("form", ["a: {}\n", "- {}\n", "a: [{}]\n", "{{a: {}}}\n"])
def test_plain_scalars_resolve_the_same(scalar: str, form: str) -> None:
    agrees(form.replace("{}", scalar).replace("{{", "{").replace("}}", "}").encode())


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("quote", ["'", '"'])
def test_quoted_scalars_stay_text(scalar: str, quote: str) -> None:
    raw = f"a: {quote}{scalar}{quote}\n".encode()
    if fast_yaml(raw) is not None:
        assert agrees(raw)
    assert slow(raw) == ("dict", [("a", ("str", scalar))])


REFUSED = {
    "anchor and alias": "a: &x 1\nb: *x\n",
    "alias in a list": "base: &b [1, 2]\nuse: [*b]\n",
    "tag": "a: !!str 1\n",
    "python tag": "a: !!python/object:os.system ls\n",
    "local tag": "a: !thing 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "duplicate key in flow": "a: {b: 1, b: 2}\n",
    "duplicate key, nested": "a:\n  b: 1\n  c: [1, 2]\n  b: 1\n",
    "duplicate key in a list of mappings": "- {x: 1}\n- {y: 2, y: 3}\n",
    "duplicate key in a one-document stream": "--- \na: 1\na: 1\n",
    "integer just over the limit": "a: 1000000000000001\n",
    "float over the limit": "a: [1, -1.5e15]\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "directive": "%YAML 1.1\n---\na: yes\n",
    "NaN": "a: .nan\n",
    "infinity": "a: [.inf]\n",
    "huge integer": "a: 12345678901234567890\n",
    "huge float": "a: 1e400\n",
    "syntax error": "a: [1, 2\n",
    "tab indentation": "a:\n\tb: 1\n",
    "complex key": "? [a, b]\n: c\n",
    "scalar document": "just text\n",
    "empty document": "",
    "comment only": "# nothing\n",
    # found by fuzzing: rapidyaml reads these, libyaml refuses them
    "flow entry starting with a colon": "a: [:0]\n",
    "reserved indicator @": "a: @home\n",
    "reserved indicator `": "- `cmd`\n",
    "closing bracket": "a: ]\n",
    "closing brace": "- }\n",
    "percent in flow": "a: [%]\n",
    "question mark in flow": "a: [?0]\n",
    "tab after a dash": "- \t\n",
    "colon before a comma in flow": "a: [E:,]\n",
    "block header with digits": "a: >1+0\n\n",
    "block header with junk": "a: |-x\n  text\n",
    "control character": "\b: 1\n",
    "C1 control character": "a: \u0090\n",
    "next line (NEL)": "a: b\u0085c\n",
    "line separator": "a: b\u2028c\n",
    # found by fuzzing (session 3): rapidyaml reads these otherwise than libyaml
    "lone carriage return": "a: \rb\n",
    "lone carriage return in a key": "y:\n  - t:\n    t\re:\n",
    "byte-order mark inside": "y:\n\ufeff:\n",
    "content after a document end": "a: 1\n...\nb: 2\n",
    "indented document end": "  -\n  ...\n",
    "document end after a flow sequence": "- [[]] ...\n",
    "document end after a quoted scalar": "- \"y\" ...\n",
    "block scalar at the end without a line break": "y: >\n  s",
    "literal at the end without a line break": "- |\n  h",
    "block header then text": "y: > -\n  :\n",
    "block header then a comment": "y: > #-\n  s\n",
    "escaped line break": "x: \"a\\\n\n b\"\n",
    "escaped space over lines": "- \"\n  \\ \n  \"\n",
    "YAML-only escape": "a: \"x\\Ly\"\n",
    "comment inside a flow mapping": "a: {t #}\n",
    "comment inside a flow sequence": "a: [e: x #]\n",
    "colon after colon in flow": "x: [d: :e]\n",
    "double colon in flow": "{\"x\"::y}\n",
    "entry after a flow mapping": "- {} -\n",
    "quoted key over two lines": "- '\n  ':\n",
    "double-quoted key over two lines": "b: \"\n \":\n",
    # libyaml refuses an escaped surrogate, even both halves of a pair; rapidyaml makes bytes of it
    "escaped lone surrogate": 'a: "x\\ud800"\n',
    "escaped low surrogate in a key": '"\\uDC00": 1\n',
    "escaped surrogate pair": 'a: ["\\ud83d\\ude00"]\n',
    "raw NUL": "a: x\x00y\n",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_what_must_be_refused_or_located_takes_the_slow_path(text: str) -> None:
    assert fast_yaml(text.encode()) is None


@pytest.mark.parametrize("depth", [31, 32, 33, 40, 70])
@pytest.mark.parametrize("style", ["block map", "block list", "flow", "mixed"])
def test_nesting_limit_is_the_same(depth: int, style: str) -> None:
    if style == "block map":
        raw = "".join("  " * n + f"k{n}:\n" for n in range(depth)) + "  " * depth + "leaf\n"
    elif style == "block list":
        raw = "".join("  " * n + "-\n" for n in range(depth)) + "  " * depth + "leaf\n"
    elif style == "flow":
        raw = "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"
    else:
        half = depth // 2
        raw = "".join("  " * n + f"k{n}:\n" for n in range(half)) + "  " * half + "[" * (depth - half) + "1" \
            + "]" * (depth - half) + "\n"
    raw_bytes = raw.encode()
    expected = slow(raw_bytes)
    fast = fast_yaml(raw_bytes)
    if expected[0] == "refused":
        assert fast is None
    elif style.startswith("block"):  # within the limit and without brackets: no reason to decline
        assert fast is not None
    if fast is not None:
        assert typed(fast) == expected


FORMS = {
    "document start": "---\na: 1\n",
    "document end": "a: 1\n...\n",
    "byte-order mark and CRLF": "a: 1\r\nb: [x, y]\r\n",
    "folded": "a: >\n  one\n  two\n\n  three\n",
    "folded strip": "a: >-\n  one\n  two\n",
    "literal keep": "a: |+\n  one\n\n\nb: 2\n",
    "literal strip": "a: |-\n  one\n  two\n",
    "literal indented": "a: |2\n    indented\n  less\n",
    "multi-line plain": "a: one\n  two\n\n  three\n",
    "multi-line quoted": "a: \"one\n  two\\\n  three\"\n",
    "escapes": "a: \"tab\\there \\u00e9 \\x41 \\\\ \\\" \\n\"\n",
    "JSON escapes": 'a: "tab\\there \\u00e9 \\\\ \\" \\n"\n',
    "single quotes": "a: 'it''s # not a comment'\n",
    "comments": "# c\na: 1 # c\n# c\nb: [1, # c\n  2]\n",
    "comments in block collections": "# c\na: 1 # c\n# c\nb:\n  - 1 # c\n  - 2\n",
    "unicode": "name: Zoë 🚀 “quotes”\n",
    "empty values": "a:\nb: []\nc: {}\nd: ''\n",
    "keys": "'quoted key': 1\n\"other\": 2\n1: one\ntrue: t\nnull: n\n",
    "flow mapping": "a: {b: 1, c: [2, {d: e}], 'f': \"g\"}\n",
    "compact nested list": "- - a\n  - b\n- - c\n",
    "list of maps": "- a: 1\n  b: 2\n- a: 3\n",
    "colon and hash in text": "url: https://example.org/a?b=c#d\nnote: a: b\n",
    "ampersand in text": "a: Tom & Jerry\nb: 5 * 3\nc: wow!\n",
    "percent in text": "a: 50% more\n",
    "long line": "a: " + "x" * 5000 + "\n",
}


# Forms the fast path leaves to libyaml, and why; every other form must take the fast path.
SLOW_FORMS = {
    "literal indented": "a block header with indentation digits",
    "empty values": "'' reads as null when plain",
    "keys": "quoted keys that would read as numbers, true or null when plain",
    "colon and hash in text": "invalid: libyaml refuses 'a: b' as a value",
    "ampersand in text": "'& ' could start an anchor",
    "document end": "a '...' line could end the document (libyaml then refuses what follows)",
    "multi-line quoted": "an escaped line break (rapidyaml folds some of them otherwise)",
    "escapes": "\\x41: an escape YAML has and JSON has not",
    "comments": "' #' in a file with a bracket: a comment in a flow collection may read otherwise",
}


@pytest.mark.parametrize(("name", "text"), FORMS.items(), ids=FORMS.keys())
def test_yaml_forms_read_the_same(name: str, text: str) -> None:
    raw = text.encode()
    if "byte-order mark" in name:
        raw = b"\xef\xbb\xbf" + raw
    assert agrees(raw) is (name not in SLOW_FORMS)


_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.text(max_size=12), st.sampled_from(SCALARS),
)
_DATA = st.recursive(
    _SCALAR,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(min_size=1, max_size=6), children, max_size=4),
    max_leaves=25,
)


@given(data=_DATA, flow=st.sampled_from([None, True, False]), width=st.sampled_from([20, 80]),
       style=st.sampled_from([None, "'", '"', "|", ">"]), wrap=st.booleans())
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(data={"a": "1_000"}, flow=False, width=80, style=None, wrap=True)
@example(data=[["a"], [None]], flow=False, width=80, style=None, wrap=False)  # "- - a": rapidyaml's root is a
def test_any_dumped_structure_reads_the_same(data: Any, flow: bool | None, width: int, style: str | None,
                                             wrap: bool) -> None:  # SEQ whose type bits overlap STREAM's
    raw = yaml.safe_dump({"root": data} if wrap else data, default_flow_style=flow, width=width, default_style=style,
                         allow_unicode=True, sort_keys=False).encode()
    agrees(raw)


@given(st.text(alphabet="0123456789.-+_eExobinfaNIT~ ", min_size=0, max_size=8))
@settings(max_examples=500, deadline=None)
def test_any_number_like_plain_scalar_reads_the_same(text: str) -> None:
    agrees(f"a: {text}\nb: [{text}]\n".encode())


def test_json_text_reads_the_same() -> None:
    raw = json.dumps({"a": [1, 2.5, None, True, "x"], "b": {"c": "é"}}).encode()
    agrees(raw)


@pytest.mark.parametrize("text", ['a: "\\ud800"\n', 'a: "x\\uDFFF"\n', '- "\\ud83d\\ude00"\n', 'a: "\\U0000D800"\n'])
def test_escaped_surrogates_are_refused_both_ways_with_their_place(text: str) -> None:
    assert fast_yaml(text.encode()) is None
    with pytest.raises(LoadError) as info:
        parse_yaml(text, "f.yaml")
    problem = info.value.problem
    assert (problem.line, text[problem.column - 1]) == (1, "\\")
    assert problem.message.startswith("invalid YAML: an escape that is no character: a surrogate")


def test_rapidyaml_errors_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(LoadError):
        parse_yaml("a: [1, 2\n", "broken.yaml")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
