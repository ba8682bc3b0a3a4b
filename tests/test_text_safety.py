"""Text that is not what it shows: lone surrogates, control and hidden characters, look-alike
actor names, and record paths that are not files (issue #13 items 8, 9 and 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from reporter import loader
from reporter.cli import app
from reporter.loader import LoadError, _lone_surrogate, load_document
from reporter.records import validate_files
from reporter.text import FLAGGED, describe, may_hold_flagged, reveal, same_looking, skeleton

ROOT = Path(__file__).parent.parent
GOOD = Path(__file__).parent / "data" / "good"
runner = CliRunner()

HIDDEN = {
    "\u202a": "left-to-right embedding", "\u202b": "right-to-left embedding", "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override", "\u202e": "right-to-left override", "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate", "\u2068": "first strong isolate", "\u2069": "pop directional isolate",
    "\u200b": "zero width space", "\u200c": "zero width non-joiner", "\u200d": "zero width joiner",
    "\u2060": "word joiner", "\ufeff": "zero width no-break space", "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark", "\u061c": "arabic letter mark", "\U000e0041": "invisible tag character",
}


@pytest.fixture(params=[False, True], ids=["fast paths off", "fast paths on"])
def both_ways(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param:
        monkeypatch.delenv("REPORTER_NO_FAST", raising=False)
    else:
        monkeypatch.setenv("REPORTER_NO_FAST", "1")
    return request.param


def _record(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- item 9: lone surrogates ----------------------------------------------------------------------


def test_lone_surrogate_in_json_is_refused_with_its_place(tmp_path: Path, both_ways: bool) -> None:
    path = _record(tmp_path, '{"id": "s", "category": "c",\n  "title": "x \\udead y"}\n', "s.json")
    for command in (["validate"], ["metrics", "--format", "csv"], ["metrics", "--format", "json"], ["check"]):
        result = runner.invoke(app, [*command, str(path)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
        assert result.output.splitlines()[0] == (
            f"{path}:2:15: invalid JSON: \\udead is a lone surrogate, half of a UTF-16 pair without its other half, "
            "and no character; write the character itself")


def test_lone_surrogate_in_a_json_key_and_in_a_list(tmp_path: Path) -> None:
    path = _record(tmp_path, '[{"id": "s", "title": "t", "category": "c",\n "timeline": {"\\ud800": "2024"}}]', "k.json")
    report = validate_files([path])
    assert [(p.line, p.column, p.message.split(":")[0]) for p in report.problems] == [(2, 16, "invalid JSON")]


@pytest.mark.parametrize(("text", "where"), [
    ('"\\ud800"', 1), ('"\\udc00"', 1), ('"a\\ud83d\\ud83d\\ude00"', 2), ('"\\ud83d\\ude00\\ude00"', 13),
    ('"\\ud83dx\\ude00"', 1), ('"\\ud83d\\n"', 1), ('"\\\\\\ud800"', 3), ('["\\ud83d", "\\ude00"]', 2),
])
def test_which_escape_is_the_lone_surrogate(text: str, where: int) -> None:
    assert _lone_surrogate(text) == where
    with pytest.raises(UnicodeEncodeError):
        json.dumps(json.loads(text), ensure_ascii=False).encode()


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\uD83D\\uDE00 \\u00e9"', '"\\\\ud800"', '"\\\\\\\\ud800"', '"x"'])
def test_pairs_and_escaped_backslashes_are_not_lone_surrogates(text: str) -> None:
    assert _lone_surrogate(text) is None


def test_surrogate_escape_in_yaml_is_refused_both_ways(tmp_path: Path, both_ways: bool) -> None:
    path = _record(tmp_path, 'id: s\ncategory: c\ntitle: "x \\ud800"\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:3:11: invalid YAML: an escape that is no character: a surrogate")


# -- item 8: control characters (errors) and hidden ones (warnings) -------------------------------


@pytest.mark.parametrize(("written", "code"), [
    ('"a\\0b"', "U+0000"), ('"a\\u0000b"', "U+0000"), ('"a\\x07b"', "U+0007"), ('"a\\bb"', "U+0008"),
    ('"a\\eb"', "U+001B"), ('"a\\x7fb"', "U+007F"), ('"a\\Nb"', "U+0085"), ('"a\\x9fb"', "U+009F"),
])
def test_control_characters_are_errors_naming_the_field(tmp_path: Path, written: str, code: str,
                                                        both_ways: bool) -> None:
    path = _record(tmp_path, f"id: c\ntitle: Fine\ncategory: c\nactors:\n  - name: {written}\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    what = "a NUL character" if code == "U+0000" else "a control character"
    assert result.output.splitlines()[0] == (
        f"{path}:5:11: actors[0].name: holds {what} ({code}), which no document can show; remove it")


def test_tabs_and_line_breaks_in_prose_are_fine(tmp_path: Path) -> None:
    path = _record(tmp_path, 'id: t\ntitle: "Tab\\there"\ncategory: c\nsummary: "one\\ntwo\\r\\nthree"\n')
    assert validate_files([path]).problems == []


def test_raw_control_characters_get_their_line_and_column(tmp_path: Path, both_ways: bool) -> None:
    path = tmp_path / "raw.yaml"
    path.write_bytes("id: r\ntitle: é and \x00\ncategory: c\n".encode())
    assert [str(p) for p in validate_files([path]).problems] == [
        f"{path}:2:14: invalid YAML: a NUL character (U+0000) is not allowed"]
    path.write_bytes(b"id: r\ntitle: ok\ncategory: c\nsummary: bell \x07\n")
    assert [str(p) for p in validate_files([path]).problems] == [
        f"{path}:4:15: invalid YAML: a control character (U+0007) is not allowed"]
    json_path = tmp_path / "raw.json"
    json_path.write_bytes(b'{"id": "r",\n "title": "a\x00"}')
    assert [(p.line, p.column) for p in validate_files([json_path]).problems] == [(2, 13)]


@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_hidden_characters_are_warnings_naming_the_field(tmp_path: Path, char: str, both_ways: bool) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(f"id: h\ntitle: Fine\ncategory: c\nactors:\n  - name: Alpha{char} Corp\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    name = HIDDEN[char]
    article = "an" if name[0] in "aeiou" else "a"
    assert result.output.splitlines() == [
        f"{path}:5:11: actors[0].name: warning: holds {article} {name} (U+{ord(char):04X}), which makes text display "
        "differently from what it is",
        "1 file, 1 record: all valid (1 warning)."]
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    strict = runner.invoke(app, ["check", "--strict", str(path)])
    assert strict.exit_code == 1
    assert "1 warning" in strict.output.splitlines()[-1]


def test_the_lead_example(tmp_path: Path) -> None:
    path = _record(tmp_path, 'id: e\ntitle: t\ncategory: c\nactors:\n  - name: "Alpha \\u202eproC"\n')
    (problem,) = validate_files([path]).problems
    assert str(problem) == (f"{path}:5:11: actors[0].name: warning: holds a right-to-left override (U+202E), "
                            "which makes text display differently from what it is")
    assert problem.severity == "warning"


def test_a_byte_order_mark_starts_a_file_but_not_a_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffid: b\ntitle: t\ncategory: c\n".encode())
    assert validate_files([path]).problems == []
    path.write_bytes("\ufeffid: b\ntitle: \"t\\ufeff\"\ncategory: c\n".encode())
    assert [p.key for p in validate_files([path]).problems] == ["title"]


def _strings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _strings(value, (*path, key))]
    if isinstance(data, list):
        return [p for index, value in enumerate(data) for p in _strings(value, (*path, index))]
    return [path] if isinstance(data, str) else []


def _set(data: Any, path: tuple[Any, ...], value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _key_path(path: tuple[Any, ...]) -> str:
    return loader.format_key_path(path)


def test_every_string_field_of_a_record_is_looked_at(tmp_path: Path) -> None:
    """An override put into each string of the full record, one at a time: a warning at that key,
    whether the string is prose, a name, a date, a figure phrase or a URL."""
    source = yaml.safe_load((GOOD / "full-record.yaml").read_text())
    source = json.loads(json.dumps(source, default=str))  # dates as the text they were written as
    fields = _strings(source)
    assert len(fields) > 40
    for path in fields:
        record = json.loads(json.dumps(source))
        _set(record, path, "\u202e" + _get(record, path))
        target = tmp_path / "one.json"
        target.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        warnings = [p for p in validate_files([target]).problems if p.severity == "warning"]
        assert [p.key for p in warnings] == [_key_path(path)], path


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def test_keys_are_looked_at_too(tmp_path: Path) -> None:
    path = _record(tmp_path, 'id: k\ntitle: t\ncategory: c\ntimeline:\n  "sent\\u200b": 2024-01-02\n')
    (problem,) = validate_files([path]).problems
    assert str(problem) == (f"{path}:5:3: timeline.sent\u27e8U+200B\u27e9: warning: the key holds a zero width space "
                            "(U+200B), which makes text display differently from what it is")


def test_list_files_name_the_record(tmp_path: Path) -> None:
    path = _record(tmp_path, '- {id: a, title: t, category: c}\n- {id: b, title: "t\\u2066", category: c}\n')
    (problem,) = validate_files([path]).problems
    assert problem.key == "[1].title" and problem.message.endswith("(record b)")


def test_files_with_warnings_are_never_cached_silent(tmp_path: Path, both_ways: bool) -> None:
    path = _record(tmp_path, 'id: w\ntitle: "t\\u202e"\ncategory: c\n')
    for _ in range(2):
        assert [p.key for p in validate_files([path], cache=True).problems] == ["title"]


# -- reveal ---------------------------------------------------------------------------------------


def test_reveal_marks_what_validation_flags() -> None:
    assert reveal("Alpha \u202eproC\u200b") == "Alpha \u27e8U+202E\u27e9proC\u27e8U+200B\u27e9"
    assert reveal("a\x00b\x7f\U000e0041") == "a\u27e8U+0000\u27e9b\u27e8U+007F\u27e9\u27e8U+E0041\u27e9"
    text = "Plain text, tabs\tand\nlines, Zoë 🚀 “quotes” — fine"
    assert reveal(text) is text
    assert reveal("x\ud800") == "x\u27e8U+D800\u27e9"


def test_reveal_output_can_be_written_as_utf8() -> None:
    every = "".join(chr(c) for c in range(0x110000) if FLAGGED.match(chr(c)))
    shown = reveal(every)
    shown.encode("utf-8")
    assert not FLAGGED.search(shown)


# -- the raw scan that keeps this off the hot path -------------------------------------------------


def test_the_byte_scan_misses_no_character() -> None:
    """Every code point that validation flags makes the scan of the bytes say "look"; no other does."""
    missed, extra = [], []
    for number in range(0x110000):
        char = chr(number)
        if 0xD800 <= number <= 0xDFFF or (number < 0x20 and char not in "\t\n\r") or char == "\\":
            continue  # not UTF-8; refused raw by both readers; an escape is looked at below
        said = may_hold_flagged(b"a: x" + char.encode() + b"y\n")
        if said != bool(FLAGGED.match(char)):
            (missed if not said else extra).append(hex(number))
    assert missed == [] and extra == []


@pytest.mark.parametrize("escape", ["\\0", "\\a", "\\b", "\\e", "\\f", "\\v", "\\x07", "\\u202e", "\\U0001F600",
                                    "\\N"])
def test_the_byte_scan_sees_escapes(escape: str) -> None:
    assert may_hold_flagged(f'a: "x{escape}"\n'.encode())


def test_generated_records_need_no_look_at_their_strings(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_records import generate

    generate(50, tmp_path)
    assert not any(may_hold_flagged(path.read_bytes()) for path in tmp_path.glob("*.yaml"))


# -- item 8b: look-alike actor names --------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("Alpha Corp", "\u0410lpha Corp"), ("Alpha Corp", "Alpha\u200d Corp"), ("Alpha Corp", "\u0391lpha Corp"),
    ("Alpha Corp", "Alpha C\u043erp"), ("Alpha Corp", "AIpha Corp"), ("Alpha Corp", "\uff21lpha Corp"),
    ("Alpha Corp", "alpha corp"), ("Alpha Corp", "Alpha  Corp"), ("Operator 10", "Operator lO"),
    ("paypal", "\u0440\u0430ypal"),
])
def test_look_alikes(a: str, b: str) -> None:
    assert same_looking(a, b)


@pytest.mark.parametrize(("a", "b"), [("Alpha Corp", "Alpha Group"), ("Café", "Cafe"), ("Operator 1", "Operator 7"),
                                      ("Модем", "Modern")])
def test_not_look_alikes(a: str, b: str) -> None:
    assert not same_looking(a, b)


def test_skeleton_keeps_case_like_tr39() -> None:
    assert skeleton("\u0410") == "A" and skeleton("\u0430") == "a"


def test_check_flags_look_alike_actors_within_and_across_incidents(tmp_path: Path) -> None:
    first = _record(tmp_path, 'id: a1\ntitle: t\ncategory: c\nactors:\n  - name: Alpha Corp\n'
                    '  - name: "\\u0410lpha Corp"\n  - name: Alpha Corp\n', "a.yaml")
    second = _record(tmp_path, 'id: a2\ntitle: t\ncategory: c\nactors:\n  - name: "Alpha\\u200d Corp"\n'
                     '  - name: Alpha Corp\n  - name: Beta\n', "b.yaml")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"{first}:6:11: actors[1].name: warning: probably the same actor as actors[0].name: the names look alike, but "
        "this one has a cyrillic capital letter a (U+0410); write them the same way",
        f"{second}:5:11: actors[0].name: warning: holds a zero width joiner (U+200D), which makes text display "
        "differently from what it is",
        f"{second}:5:11: actors[0].name: warning: probably the same actor as actors[0].name at {first}:5:11 "
        "(record a1): the names look alike, but this one has a zero width joiner (U+200D); write them the same way",
        "0 errors, 3 warnings (2 files, 2 records checked).",
    ]
    assert runner.invoke(app, ["check", "--strict", str(tmp_path)]).exit_code == 1


def test_describe() -> None:
    assert describe("\u202e") == "a right-to-left override (U+202E)"
    assert describe("\u061c") == "an arabic letter mark (U+061C)"


# -- item 14: what is not a regular file ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_a_regular_file_and_never_hangs(tmp_path: Path) -> None:
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "reporter", "validate", str(fifo)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"{fifo}: is a FIFO (named pipe), not a regular file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_loading_a_fifo_as_a_brief_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "brief.yaml"
    os.mkfifo(fifo)
    outcome: list[Any] = []

    def load() -> None:
        try:
            load_document(fifo)
        except LoadError as exc:
            outcome.append(exc.problem.message)

    thread = threading.Thread(target=load, daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(10)
    if thread.is_alive():  # release the reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("opening the FIFO waited for a writer")
    assert outcome == ["is a FIFO (named pipe), not a regular file"]
    assert time.perf_counter() - started < 5


def test_a_directory_named_like_a_record_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    result = runner.invoke(app, ["validate", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (f"{tmp_path / 'x.yaml'}: is a directory, not a record file, and holds no "
                                             "record files (.yaml, .yml or .json)")
    with pytest.raises(LoadError) as info:
        load_document(tmp_path / "x.yaml")
    assert info.value.problem.message == "is a directory, not a regular file"


def test_a_directory_of_records_named_like_a_file_is_still_searched(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    (tmp_path / "x.yaml" / "r.yaml").write_text("id: r\ntitle: t\ncategory: c\n")
    assert validate_files([tmp_path / "x.yaml"]).ok


def test_a_missing_file_is_still_no_such_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "gone.yaml")])
    assert result.output.splitlines()[0] == f"{tmp_path / 'gone.yaml'}: no such file or directory"


def test_a_warning_does_not_keep_metrics_off_the_parallel_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporter.parallel import PARALLEL_THRESHOLD, can_fork
    from reporter.records import map_incidents

    if not can_fork():
        pytest.skip("no fork here")
    monkeypatch.delenv("REPORTER_NO_FAST", raising=False)
    for n in range(PARALLEL_THRESHOLD + 10):
        title = "Hidden \\u202e" if n == 7 else "Plain"
        (tmp_path / f"r{n:04d}.yaml").write_text(f'id: r{n:04d}\ntitle: "{title}"\ncategory: c\n')
    ids = map_incidents([tmp_path], lambda incident: incident.id, workers=2)
    assert ids is not None and len(ids) == PARALLEL_THRESHOLD + 10
