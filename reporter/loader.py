"""Safe loading of YAML and JSON input files, with the location of every key and value.

Input files are treated as hostile: they may be huge, deeply nested, not UTF-8, full of
YAML anchors and aliases (the "billion laughs" bomb), duplicate keys, NaN, or tags that
ask a loader to build Python objects. This module turns a file into plain data (dicts,
lists, str, int, float, bool, None) or into a list of :class:`~reporter.errors.Problem`
naming file, line, column and key -- never into anything else.

YAML is read from libyaml's *event* stream rather than with a PyYAML constructor: the C
parser keeps its speed, every event carries its line and column, and resolving plain
scalars ourselves means YAML 1.1's surprises (``NO`` → False, ``010`` → 8,
``12:30:00`` → 45000) never happen. Plain scalars follow the YAML 1.2 core schema, except
that numbers with leading zeros stay strings and ``_`` digit separators are allowed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reporter.errors import Problem

try:  # libyaml is part of every PyYAML wheel; fall back rather than fail where it is not.
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024
DEFAULT_MAX_DEPTH = 32
RECORD_SUFFIXES = (".yaml", ".yml", ".json")

KeyPath = tuple[str | int, ...]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9_]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_JSON_NONFINITE = frozenset({"NaN", "Infinity", "-Infinity"})
_NONFINITE = re.compile(r"^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$")
# Beyond this a number is not a count anyone discloses, and floats lose integer precision.
_MAX_ABS_NUMBER = 10**15


class LoadError(Exception):
    """Internal: stops building a file at its first fatal problem."""

    def __init__(self, problem: Problem):
        self.problem = problem


@dataclass
class Document:
    """One loaded file: its data and where each key and value was written.

    Attributes:
        path: the file as named.
        data: plain data.
        value_marks: key path → (line, column) of the value, both 1-based.
        key_marks: key path → (line, column) of the key itself (mappings only).
    """

    path: str
    data: Any
    value_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    text: str | None = field(default=None, repr=False)

    def ensure_marks(self, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        """Fill in marks for a JSON file loaded on the fast path (needed only to report problems)."""
        if self.value_marks or self.text is None:
            return
        try:
            located = parse_yaml(self.text, self.path, max_depth, json_mode=True)
        except LoadError:
            return
        self.value_marks, self.key_marks = located.value_marks, located.key_marks

    def mark(self, key_path: KeyPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """The best location for a key path: the key or the value, else the nearest parent's."""
        path = tuple(key_path)
        while True:
            table = (self.key_marks, self.value_marks) if key else (self.value_marks, self.key_marks)
            for marks in table:
                if path in marks:
                    return marks[path]
            if not path:
                return (None, None)
            path = path[:-1]


def format_key_path(key_path: KeyPath) -> str:
    """``('actors', 1, 'name')`` → ``actors[1].name``."""
    out = ""
    for part in key_path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problem(path: str, mark: tuple[int | None, int | None], key_path: KeyPath, message: str) -> Problem:
    return Problem(path, mark[0], mark[1], format_key_path(key_path), message)


def read_text(path: Path, display: str, max_file_size: int) -> str:
    """Read a file as UTF-8 (a byte-order mark is accepted), refusing oversize files before reading."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(Problem(display, None, None, "", f"cannot read file: {exc.strerror}")) from None
    if size > max_file_size:
        raise LoadError(
            Problem(display, None, None, "", f"file is {size:,} bytes, over the limit of {max_file_size:,} "
                    "(raise it with --max-file-size)")
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(Problem(display, None, None, "", f"cannot read file: {exc.strerror}")) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            Problem(display, line, column, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        ) from None


def _resolve_plain(text: str, display: str, mark: tuple[int, int], key_path: KeyPath) -> Any:
    """Resolve an unquoted YAML scalar by the YAML 1.2 core schema (see module docstring)."""
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _NONFINITE.match(text):
        raise LoadError(_problem(display, mark, key_path, "NaN and infinity are not allowed; write a finite number"))
    if _INT.match(text):
        value = int(text.replace("_", ""))
        if abs(value) > _MAX_ABS_NUMBER:
            raise LoadError(_problem(display, mark, key_path, "number is too large (the limit is 10^15)"))
        return value
    if _FLOAT.match(text):
        number = float(text.replace("_", ""))
        if not math.isfinite(number) or abs(number) > _MAX_ABS_NUMBER:
            raise LoadError(_problem(display, mark, key_path, "number is too large (the limit is 10^15)"))
        return number
    return text


def parse_yaml(text: str, display: str, max_depth: int = DEFAULT_MAX_DEPTH, *, json_mode: bool = False) -> Document:
    """Build plain data and marks from YAML text; raise LoadError at the first fatal problem.

    With ``json_mode`` the text is JSON read for its positions: JSON's bare ``NaN`` and
    ``Infinity`` are rejected and syntax errors are called JSON errors.
    """
    language = "JSON" if json_mode else "YAML"
    doc = Document(display, None)
    # Each frame: [container, key_path, pending_key, pending_key_mark, seen_keys]
    stack: list[list[Any]] = []
    documents = 0
    root_set = False

    def place(value: Any, mark: tuple[int, int]) -> KeyPath | None:
        nonlocal root_set
        if not stack:
            doc.data = value
            root_set = True
            doc.value_marks[()] = mark
            return ()
        frame = stack[-1]
        container, base = frame[0], frame[1]
        if isinstance(container, list):
            key_path = (*base, len(container))
            container.append(value)
            doc.value_marks[key_path] = mark
            return key_path
        if frame[2] is None:  # this scalar is a key
            return None
        key_path = (*base, frame[2])
        container[frame[2]] = value
        doc.value_marks[key_path] = mark
        frame[2] = None
        return key_path

    try:
        for event in yaml.parse(text, Loader=_YamlLoader):
            kind = type(event)
            if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
                continue
            if kind in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
                stack.pop()
                continue
            mark = (event.start_mark.line + 1, event.start_mark.column + 1)
            frame = stack[-1] if stack else None
            is_key = frame is not None and isinstance(frame[0], dict) and frame[2] is None
            if frame is None:
                target: KeyPath = ()
            elif isinstance(frame[0], list):
                target = (*frame[1], len(frame[0]))
            else:
                target = (*frame[1], frame[2]) if not is_key else tuple(frame[1])
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise LoadError(Problem(display, *mark, "", "a file holds one YAML document; remove the second '---'"))
                continue
            if kind is yaml.AliasEvent:
                raise LoadError(_problem(display, mark, target, "YAML aliases (*name) are not allowed; write the value out"))
            if event.anchor is not None:
                raise LoadError(_problem(display, mark, target, "YAML anchors (&name) are not allowed; write the value out"))
            if event.tag is not None and event.tag != "!":
                raise LoadError(_problem(display, mark, target, "YAML tags (such as !!python/object or !!str) are not allowed"))
            if kind is yaml.ScalarEvent:
                if is_key:
                    key = event.value
                    if key in frame[4]:
                        line = frame[4][key][0]
                        raise LoadError(_problem(display, mark, (*frame[1], key), f"duplicate key (first written at line {line})"))
                    frame[4][key] = mark
                    frame[2] = key
                    doc.key_marks[(*frame[1], key)] = mark
                    continue
                # libyaml reports a plain scalar's style as '', the pure-Python parser as None.
                plain = not event.style and event.implicit[0]
                if plain and json_mode and event.value in _JSON_NONFINITE:
                    raise LoadError(_problem(display, mark, target, "NaN and infinity are not allowed; write a finite number"))
                value = _resolve_plain(event.value, display, mark, target) if plain else event.value
                place(value, mark)
            elif kind in (yaml.SequenceStartEvent, yaml.MappingStartEvent):
                if is_key:
                    raise LoadError(_problem(display, mark, target, "a mapping key must be a plain string"))
                if len(stack) >= max_depth:
                    raise LoadError(_problem(display, mark, target, f"nesting is deeper than {max_depth} levels"))
                container: Any = [] if kind is yaml.SequenceStartEvent else {}
                key_path = place(container, mark)
                stack.append([container, key_path, None, None, {}])
    except yaml.MarkedYAMLError as exc:
        problem_mark = exc.problem_mark or exc.context_mark
        line = problem_mark.line + 1 if problem_mark else None
        column = problem_mark.column + 1 if problem_mark else None
        what = exc.problem or exc.context or "syntax error"
        raise LoadError(Problem(display, line, column, "", f"invalid {language}: {what}")) from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise LoadError(Problem(display, None, None, "", f"invalid {language}: {exc}")) from None
    if not root_set:
        raise LoadError(Problem(display, None, None, "", "file is empty; expected an incident (a mapping) or a list of incidents"))
    return doc


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_INVALID = object()


def parse_json(text: str, display: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Document:
    """Parse JSON strictly (no duplicate keys, NaN, Infinity or huge numbers).

    The standard library is fast but keeps no positions. Valid files take that fast path;
    a file it rejects for a reason that has a position (a duplicate key, NaN, a huge
    number, deep nesting) is read again as YAML flow syntax (JSON is YAML 1.2) to find
    the line and column. Marks for valid files are added on demand by
    :meth:`Document.ensure_marks`.
    """
    duplicate = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicate
        result = dict(pairs)
        duplicate = duplicate or len(result) != len(pairs)
        return result

    def parse_float(text_value: str) -> float:
        number = float(text_value)
        if not math.isfinite(number) or abs(number) > _MAX_ABS_NUMBER:
            raise ValueError("too large")
        return number

    def parse_int(text_value: str) -> int:
        # Length first: int() of a huge digit string is itself slow.
        if len(text_value.lstrip("-")) > 16 or abs(int(text_value)) > _MAX_ABS_NUMBER:
            raise ValueError("too large")
        return int(text_value)

    if not text.strip():
        raise LoadError(Problem(display, None, None, "", "file is empty; expected an incident (an object) or a list of incidents"))
    try:
        data = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant,
                          parse_float=parse_float, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise LoadError(Problem(display, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")) from None
    except RecursionError:
        data = _INVALID
    except ValueError:
        data = _INVALID
    if data is _INVALID or duplicate or _depth(data) > max_depth:
        parse_yaml(text, display, max_depth, json_mode=True)  # raises with the position
        raise LoadError(Problem(display, None, None, "", "invalid JSON: NaN, infinity, numbers beyond 10^15 and "
                                "duplicate keys are not allowed"))
    return Document(display, data, text=text)


def _depth(data: Any) -> int:
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in value)
    return deepest


def load_document(path: Path, display: str | None = None, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
                  max_depth: int = DEFAULT_MAX_DEPTH) -> Document:
    """Load one YAML or JSON file into a :class:`Document`; raise LoadError with its problem."""
    display = display or str(path)
    text = read_text(path, display, max_file_size)
    if path.suffix.lower() == ".json":
        return parse_json(text, display, max_depth)
    return parse_yaml(text, display, max_depth)


def find_files(paths: list[Path], suffixes: tuple[str, ...] = RECORD_SUFFIXES) -> list[tuple[Path, str]]:
    """Expand files and directories (recursively) into (path, display name), sorted, without repeats."""
    found: dict[Path, str] = {}
    for given in paths:
        if given.is_dir():
            for child in sorted(given.rglob("*")):
                if child.is_file() and child.suffix.lower() in suffixes and not any(
                    part.startswith(".") for part in child.relative_to(given).parts
                ):
                    found.setdefault(child.resolve(), str(child))
        else:
            found.setdefault(given.resolve(), str(given))
    return sorted(found.items(), key=lambda item: item[1])
