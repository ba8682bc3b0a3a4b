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
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import orjson
import yaml

from reporter.errors import Problem
from reporter.fast import fast_paths_enabled
from reporter.text import CONTROL, code_point, describe, may_hold_flagged, reveal

try:  # libyaml is part of every PyYAML wheel; fall back rather than fail where it is not.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_DEFAULT_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _YamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Composes nodes without PyYAML's (YAML 1.1) implicit typing: we resolve scalars ourselves.

    The composer asks ``resolve`` only for nodes written without a tag, so any node whose tag
    is not one of these defaults was tagged explicitly -- and is refused.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return _DEFAULT_TAGS[kind]

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
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}(?:\.[0-9]{3})+$")  # 25.000, 1.250.000: thousands or decimals?
_GROUPED_BYTES = re.compile(rb"(?<![\w.])[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?![\w.])")
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
    max_depth: int = field(default=DEFAULT_MAX_DEPTH, repr=False)
    json_mode: bool = field(default=False, repr=False)
    source: Path | None = field(default=None, repr=False)
    # Whether any string may hold a control or hidden character (reporter.text): set from the
    # file's bytes by parse_document, so that only then are the strings looked at one by one.
    may_hide: bool = field(default=False, repr=False)

    def ensure_marks(self) -> None:
        """Fill in marks for a file loaded on the fast path.

        Valid files are read without marks (the common case, and twice as fast); marks are
        needed only to report a problem, so they are found by reading the text again (a file
        restored from the cache keeps no text: it is read again from ``source``).
        """
        if self.value_marks:
            return
        if self.text is None and self.source is not None:
            try:
                self.text = decode_text(self.source.read_bytes(), self.path)
            except (OSError, LoadError):
                return
            finally:
                self.source = None
        if self.text is None:
            return
        try:
            located = parse_yaml(self.text, self.path, self.max_depth, json_mode=self.json_mode, with_marks=True)
        except LoadError:
            return
        self.value_marks, self.key_marks = located.value_marks, located.key_marks
        self.text = None

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
    """``('actors', 1, 'name')`` → ``actors[1].name`` (a key's hidden characters shown, as by
    :func:`reporter.text.reveal`)."""
    out = ""
    for part in key_path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = reveal(str(part))
            out += f".{part}" if out else part
    return out


def _problem(path: str, mark: tuple[int | None, int | None], key_path: KeyPath, message: str) -> Problem:
    return Problem(path, mark[0], mark[1], format_key_path(key_path), message)


def read_text(path: Path, display: str, max_file_size: int) -> str:
    """Read a file as UTF-8 (a byte-order mark is accepted), refusing oversize files before reading."""
    return decode_text(read_raw(path, display, max_file_size), display)


def read_raw(path: Path, display: str, max_file_size: int) -> bytes:
    """A file's bytes, refusing oversize files before reading (and any that grows past the
    limit while being read)."""
    def cannot(exc: OSError) -> LoadError:
        return LoadError(Problem(display, None, None, "", f"cannot read file: {exc.strerror}"))

    def too_large(size: int) -> LoadError:
        return LoadError(Problem(display, None, None, "", f"file is {size:,} bytes, over the limit of "
                                 f"{max_file_size:,} (raise it with --max-file-size)"))

    # One open, fstat and read (a large collection reads tens of thousands of small files).
    # Opened without blocking: opening a FIFO for reading would otherwise wait for a writer.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise cannot(exc) from None
    try:
        status = os.fstat(fd)
        not_regular = not_a_file(status.st_mode)
        if not_regular:
            raise LoadError(Problem(display, None, None, "", not_regular))
        size = status.st_size
        if size > max_file_size:
            raise too_large(size)
        chunks = []
        total = 0
        while chunk := os.read(fd, max(size + 1 - total, 65536)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_file_size:
                raise too_large(total)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise cannot(exc) from None
    finally:
        os.close(fd)


def not_a_file(mode: int) -> str | None:
    """Why a file of this ``st_mode`` cannot be read as a record file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else None)
    return f"is {kind}, not a regular file" if kind else "not a regular file"


def decode_text(raw: bytes, display: str) -> str:
    """Bytes as UTF-8 text (a byte-order mark is accepted)."""
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
    if _GROUPED.match(text) and "figures" in key_path:
        # 25.000 is 25 to YAML, and 25,000 to a German reader: a figure may not leave it open.
        whole = text.replace(".", "")
        if text.count(".") > 1:  # 1.250.000: no decimal number at all
            message = f"{text} is not a number; if '.' separates thousands here, write {whole}"
        else:
            decimal = f"{float(text):g}"
            message = (f"{text} is ambiguous: it reads as {decimal} with a decimal point, or as {int(whole):,} "
                       f"with '.' separating thousands; write {decimal} or {whole}")
        raise LoadError(_problem(display, mark, key_path, message))
    if _FLOAT.match(text):
        number = float(text.replace("_", ""))
        if not math.isfinite(number) or abs(number) > _MAX_ABS_NUMBER:
            raise LoadError(_problem(display, mark, key_path, "number is too large (the limit is 10^15)"))
        return number
    return text


_STANDARD_TAGS = frozenset(_DEFAULT_TAGS.values())


class _Retry(Exception):
    """The fast walk met something to refuse; the located walk will report it."""


def _build_plain(root: yaml.Node, max_depth: int, json_mode: bool) -> Any:
    """The fast walk for valid files: no marks, any problem defers to the located walk."""
    seen: set[int] = set()
    ScalarNode, MappingNode = yaml.ScalarNode, yaml.MappingNode
    plain_str = _DEFAULT_TAGS[ScalarNode]

    def build(node: yaml.Node, depth: int) -> Any:
        if id(node) in seen or node.tag not in _STANDARD_TAGS:
            raise _Retry
        seen.add(id(node))
        if type(node) is ScalarNode:
            if node.style:
                return node.value
            if node.tag != plain_str or json_mode and node.value in _JSON_NONFINITE or _GROUPED.match(node.value):
                raise _Retry  # (25.000 is refused or not by where it stands: the located walk knows)
            try:
                return _resolve_plain(node.value, "", (0, 0), ())
            except LoadError:
                raise _Retry from None
        if depth >= max_depth:
            raise _Retry
        if type(node) is MappingNode:
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or key_node.value in result:
                    raise _Retry
                result[key_node.value] = build(value_node, depth + 1)
            return result
        return [build(item, depth + 1) for item in node.value]

    return build(root, 0)


# -- the fast path: rapidyaml -----------------------------------------------------------------
#
# rapidyaml parses a record several times faster than libyaml composes one, and emits it as JSON
# that the standard library's C decoder turns into plain data. What that round trip loses -- a
# scalar's style (quoted or plain), anchors, tags, duplicate keys, depth -- is checked so that the
# fast path answers only when the result is *certainly* what the located walk above would build;
# anything in doubt returns None and the file takes the libyaml path, which also says what is
# wrong and where. ``tests/test_fast_yaml.py`` compares the two paths on every kind of input.
# ``REPORTER_NO_FAST=1`` turns this path off, with the other fast paths (:mod:`reporter.fast`).

try:
    import ryml as _ryml
except ImportError:  # pragma: no cover - rapidyaml is a dependency; without it every file reads the slow way
    _ryml = None

# Anchors (&), aliases (*) and tags (!) start after a space, a flow indicator or a line start.
# Where the two readers differ, the slow one decides: libyaml (YAML 1.1) breaks lines at NEL,
# U+2028 and U+2029 and refuses control characters and some tabs, which rapidyaml reads; it
# refuses tokens that start with "%", the reserved "@" and "`", "]" or "}", and a flow entry
# that starts with ":" ("[:0]") or a ":" just before "," "]" "}" ("[E:,]"), and some block
# scalar headers with indentation digits (">1+0") or anything after them ("> -", even "> #-");
# it reads "[?0]" otherwise. It also breaks lines at a lone carriage return, ends a document at
# "...", reads a byte-order mark inside the text, ends a block scalar at the end of a file without
# a line break differently, reads YAML's own escapes ("\\L", "\\ ", an escaped line break) that
# JSON lacks, and reads " #" in a flow collection as a comment. Fuzzing found these; files with
# any of them, or with any tab, read the slow way (tests/test_fast_yaml.py).
# One fast scan finds the candidate bytes; the few hits are then looked at one by one.
_SUSPECT_BYTE = re.compile(rb"[&*!@`%?\]}|>\x00-\x09\x0b\x0c\x0e-\x1f\x7f\xc2\xe2\xef]")
_TOKEN_START = frozenset(b"&*!@`%?")
_AFTER_TOKEN = frozenset(b" \t\r\n,[]{}:?-")  # what may come just before a token
_CLOSING = frozenset(b"]}")
_AFTER_PLAIN = frozenset(b" \t\r\n:-")  # ... before a plain scalar in block context
_BLOCK = frozenset(b"|>")
# A block scalar header without indentation digits, and nothing after it (not even a comment:
# rapidyaml read "> #-" as a header that strips the final line break).
_PLAIN_HEADER = re.compile(rb"[|>][-+]?[ \t]*(?:\r?\n|\Z)")
_VALUE_START = frozenset(b":-\n")  # what comes before a value (and its spaces): a block header is one
_WIDE = {0xC2: (b"\x80", b"\x9f"), 0xE2: (b"\x80\xa8", b"\x80\xa9"), 0xEF: (b"\xbf\xbe", b"\xbf\xbf")}


def _suspect(raw: bytes) -> bool:
    """Whether the bytes hold anything the two readers may read differently (see above)."""
    for match in _SUSPECT_BYTE.finditer(raw):
        at = match.start()
        byte = raw[at]
        before = raw[at - 1] if at else 0x0A
        if byte in _TOKEN_START:
            if before in _AFTER_TOKEN:
                return True
        elif byte in _BLOCK:
            if before in _AFTER_PLAIN and not _PLAIN_HEADER.match(raw, at):
                # Not a plain header: suspect where a value starts ("key: > -"), not inside text ("a > b").
                start = len(raw[:at].rstrip(b" \t"))
                if start == 0 or raw[start - 1] in _VALUE_START:
                    return True
        elif byte in _CLOSING:
            if before in _AFTER_PLAIN:
                return True
        elif byte in _WIDE:
            low, high = _WIDE[byte]
            if low <= raw[at + 1:at + 1 + len(low)] <= high:
                return True
        else:  # a control character, or a tab (libyaml refuses tabs where rapidyaml takes them)
            return True
    return False


# In flow collections: a ":" that starts an entry, or comes just before "," "]" "}" or another ":".
_FLOW_COLONS = (re.compile(rb"[\[{,]\s*:"), re.compile(rb":(?:[,\]}]|[ \t]*:)"))  # each scan starts with its character
# "..." where libyaml may take it for a document end: alone on a line (indented or not), or
# after a flow collection or quoted scalar ("- [] ...", '- "y" ...'), not inside text.
_DOCUMENT_END = re.compile(rb"(?m)^[ \t]*\.\.\.|[\]}\"'][ \t]+\.\.\.")
# ... and a closing bracket followed by a sequence entry ("- {} -").
_FLOW_THEN_ENTRY = re.compile(rb"[\]}][ \t]+-(?:[ \t]|\r?\n|\Z)")
# Escapes that YAML has and JSON has not (or reads otherwise), and a backslash at a line's end:
# pairs are taken from the left, so "\\\\ " is an escaped backslash and a space.
_ESCAPE_PAIR = re.compile(rb"\\(.)", re.DOTALL)
_JSON_ESCAPES = frozenset(b'"\\/bfnrtu')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# A quoted scalar over more than one line, used as a key (libyaml allows keys of one line only).
_MULTILINE_KEY = (re.compile(rb"'(?:[^']|'')*\n(?:[^']|'')*'[ \t]*:"), re.compile(rb'"(?:[^"\\]|\\.)*\n(?:[^"\\]|\\.)*"[ \t]*:'))
# A JSON string that would be something other than that string had its YAML scalar been plain:
# the emitted JSON cannot say whether it was, so such a file reads the slow way.
# (The lookahead skips, cheaply, the strings that cannot match: most start with other letters.)
_AMBIGUOUS = re.compile('"(?=[-+.0-9~"]|[nN][uU]|[tT][rR]|[fF][aA])(?:'
                        + "|".join(p.pattern[1:-1] for p in (_NULL, _TRUE, _FALSE, _NONFINITE, _INT, _FLOAT))
                        + ')"')


# The strict reading of JSON text, shared by JSON files and rapidyaml's output: numbers by the
# rules for plain YAML numbers (and the same limits), no NaN or Infinity, no repeated key. Each
# refusal is a ValueError; callers then read the text the located way to say where.


def _strict_int(text: str) -> int:
    # A JSON integer token is a plain YAML integer too (-?(0|[1-9][0-9]*) within _INT): only the limit applies.
    if len(text) > 17:  # beyond 10^15 for sure; int() of a huge digit string is itself slow
        raise ValueError("number is too large")
    value = int(text)
    if abs(value) > _MAX_ABS_NUMBER:
        raise ValueError("number is too large")
    return value


def _strict_float(text: str) -> float:
    # A JSON number with a fraction or exponent is a plain YAML float too (within _FLOAT).
    value = float(text)
    if not math.isfinite(value) or abs(value) > _MAX_ABS_NUMBER:
        raise ValueError("number is too large or not finite")
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_unique_object, parse_int=_strict_int,
                                parse_float=_strict_float, parse_constant=_reject_constant)


class _QuietStderr:
    """Points file descriptor 2 at /dev/null for a moment: rapidyaml prints parse errors there
    before raising, and a file it cannot read is reported by the slow path anyway."""

    null: int | None = None  # /dev/null, opened once per process

    def __enter__(self) -> None:
        self.saved = None
        try:
            if _QuietStderr.null is None:
                _QuietStderr.null = os.open(os.devnull, os.O_WRONLY)
            self.saved = os.dup(2)
            os.dup2(_QuietStderr.null, 2)
        except OSError:
            if self.saved is not None:
                os.close(self.saved)
            self.saved = None

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)


def _fast_json(raw: bytes) -> tuple[str, int] | None:
    """The YAML as JSON text by rapidyaml, with the number of nodes rapidyaml read (a mapping
    entry or list item is one), or None when it may not read as the slow path would."""
    if _ryml is None or _suspect(raw):
        return None
    if raw.count(b"\r") != raw.count(b"\r\n") or b"\xef\xbb\xbf" in raw or b"..." in raw and _DOCUMENT_END.search(raw):
        return None  # a lone carriage return, a byte-order mark inside, a document end marker
    if not raw.endswith(b"\n") and (b"|" in raw or b">" in raw):
        return None  # a block scalar may end the file without a line break
    if b"\\" in raw and (any(pair[1][0] not in _JSON_ESCAPES for pair in _ESCAPE_PAIR.finditer(raw))
                          or _SURROGATE_ESCAPE.search(raw)):
        return None  # libyaml refuses an escaped surrogate (even a pair), rapidyaml makes bytes of it
    if (b"'" in raw or b'"' in raw) and any(pattern.search(raw) for pattern in _MULTILINE_KEY):
        return None
    if (b"[" in raw or b"{" in raw) and (b" #" in raw or b"\t#" in raw or _FLOW_THEN_ENTRY.search(raw)
                                          or any(pattern.search(raw) for pattern in _FLOW_COLONS)):
        return None
    try:
        with _QuietStderr():
            tree = _ryml.parse_in_arena(raw)
            if tree.empty():
                return None
            node = tree.root_id()
            nodes = tree.size()
            if tree.is_stream(node):  # "--- ..." makes a stream: accept exactly one document
                if tree.num_children(node) != 1:
                    return None
                node = tree.first_child(node)
                nodes -= 1
            if not (tree.is_map(node) or tree.is_seq(node)):
                return None
            return _ryml.emit_json(tree, node), nodes
    except Exception:  # noqa: BLE001 - any failure means "read it the slow way"
        return None


def _plain_nodes(data: Any) -> int:
    """How many nodes JSON-read data holds (counted as rapidyaml counts them), or -1 if it holds
    a number beyond the limits: a key written twice makes the count fall short of rapidyaml's,
    since the JSON reader keeps one."""
    count = 0
    stack = [data]
    while stack:
        value = stack.pop()
        count += 1
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is int:
            if not -_MAX_ABS_NUMBER <= value <= _MAX_ABS_NUMBER:
                return -1
        elif kind is float and not -_MAX_ABS_NUMBER <= value <= _MAX_ABS_NUMBER:  # NaN fails too
            return -1
    return count


def fast_yaml(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Plain data from YAML bytes by rapidyaml, or None to say "use :func:`parse_yaml`".

    ``raw`` is UTF-8 without a byte-order mark (:func:`decode_text` has accepted it).

    Returns data only when it equals what the located walk builds from the same bytes: a
    mapping or list whose every scalar is resolved by the same rules, with no anchors,
    aliases, tags, duplicate keys, NaN, huge numbers or nesting beyond ``max_depth``.
    """
    if _GROUPED_BYTES.search(raw):
        return None  # a number such as 25.000: the located path says why it is refused
    found = _fast_json(raw)
    if found is None:
        return None
    text, nodes = found
    if _AMBIGUOUS.search(text):
        return None
    # A JSON number is a plain YAML number too (the JSON grammar is within both YAML rules), so
    # orjson reads what the strict reader would; the node count shows any key written twice.
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if _plain_nodes(data) != nodes:
        return None
    # Block collections are emitted two spaces deeper per level, flow ones on one line (each
    # needs a bracket in the source): unless that bound is in doubt, the depth needs no walk.
    brackets = raw.count(b"[") + raw.count(b"{")
    if (brackets >= max_depth or "\n" + " " * (2 * (max_depth - brackets) + 1) in text) and _depth(data) > max_depth:
        return None
    return data


NO_CHARACTER = ("an escape that is no character: a surrogate (U+D800 to U+DFFF) or beyond U+10FFFF; write the "
                "character itself (beyond U+FFFF, YAML writes \\U and 8 hex digits, not two \\u halves)")


def _offset_mark(text: str, offset: int, *, in_bytes: bool) -> tuple[int, int]:
    """The line and column (1-based, in characters) of an offset into the text (or into its UTF-8 bytes)."""
    if in_bytes:
        offset = len(text.encode()[:offset].decode(errors="ignore"))
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def parse_yaml(text: str, display: str, max_depth: int = DEFAULT_MAX_DEPTH, *, json_mode: bool = False,
               with_marks: bool = False, raw: bytes | None = None, fast: bool | None = None) -> Document:
    """Build plain data and marks from YAML text; raise LoadError at the first fatal problem.

    ``fast``: whether rapidyaml may read it (see :func:`fast_yaml`); None asks
    :func:`reporter.fast.fast_paths_enabled` (callers that read many files ask once and say).

    libyaml composes the node graph in C (keeping marks, and refusing nesting beyond its own
    limit of 1,000 before anything recursive runs); this walk then applies our rules. An
    alias shows up as a node met twice, which is refused before it can be expanded.

    With ``json_mode`` the text is JSON read for its positions: JSON's bare ``NaN`` and
    ``Infinity`` are refused and syntax errors are called JSON errors.
    """
    if not with_marks and not json_mode and _ryml is not None and (fast_paths_enabled() if fast is None else fast):
        data = fast_yaml(text.encode() if raw is None else raw, max_depth)
        if data is not None:
            return Document(display, data, text=text, max_depth=max_depth)
    language = "JSON" if json_mode else "YAML"
    try:
        loader = _YamlLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        problem_mark = exc.problem_mark or exc.context_mark
        line = problem_mark.line + 1 if problem_mark else None
        column = problem_mark.column + 1 if problem_mark else None
        what = exc.problem or exc.context or "syntax error"
        if "another document" in what:
            what = "a file holds one YAML document; remove the second '---'"
            raise LoadError(Problem(display, line, column, "", what)) from None
        if "invalid Unicode character escape" in what:
            what = NO_CHARACTER
            column = column - 2 if column and column > 2 else column  # libyaml marks the digits after "\\u"
        raise LoadError(Problem(display, line, column, "", f"invalid {language}: {what}")) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a raw NUL
        line, column = _offset_mark(text, exc.position, in_bytes=_BaseLoader is not yaml.SafeLoader)
        if isinstance(exc.character, int):
            char = chr(exc.character)
            what = f"{describe(char) if CONTROL.match(char) else 'the character ' + code_point(char)} is not allowed"
        else:
            what = str(exc.reason)
        raise LoadError(Problem(display, line, column, "", f"invalid {language}: {what}")) from None
    except yaml.YAMLError as exc:
        raise LoadError(Problem(display, None, None, "", f"invalid {language}: {exc}")) from None
    if root is None:
        raise LoadError(Problem(display, None, None, "", "file is empty; expected an incident (a mapping) or a list of incidents"))

    if not with_marks:
        try:
            return Document(display, _build_plain(root, max_depth, json_mode), text=text, max_depth=max_depth,
                            json_mode=json_mode)
        except _Retry:
            pass  # something is wrong: the located walk below says what and where
    doc = Document(display, None)
    value_marks, key_marks = doc.value_marks, doc.key_marks
    seen: set[int] = set()
    ScalarNode, MappingNode = yaml.ScalarNode, yaml.MappingNode

    def fail(node: yaml.Node, path: KeyPath, message: str) -> NoReturn:
        raise LoadError(_problem(display, (node.start_mark.line + 1, node.start_mark.column + 1), path, message))

    def build(node: yaml.Node, path: KeyPath, depth: int) -> Any:
        if id(node) in seen:
            fail(node, path, "YAML anchors and aliases (&name, *name) are not allowed; write the value out")
        seen.add(id(node))
        value_marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _STANDARD_TAGS:
            fail(node, path, "YAML tags (such as !!python/object or !!str) are not allowed")
        if type(node) is ScalarNode:
            if node.style:  # quoted or block scalar: always text
                return node.value
            if json_mode and node.value in _JSON_NONFINITE:
                fail(node, path, "NaN and infinity are not allowed; write a finite number")
            return _resolve_plain(node.value, display, value_marks[path], path)
        if depth >= max_depth:
            fail(node, path, f"nesting is deeper than {max_depth} levels")
        if type(node) is MappingNode:
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode:
                    fail(key_node, path, "a mapping key must be a plain string")
                key = key_node.value
                key_path = (*path, key)
                key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in result:
                    fail(key_node, key_path, f"duplicate key (first written at line {key_marks[key_path][0]})")
                key_marks[key_path] = key_mark
                result[key] = build(value_node, key_path, depth + 1)
            return result
        return [build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]

    doc.data = build(root, (), 0)
    return doc


_INVALID = object()


def parse_json(text: str, display: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Document:
    """Parse JSON strictly (no duplicate keys, NaN, Infinity or huge numbers).

    The standard library is fast but keeps no positions. Valid files take that fast path;
    a file it rejects for a reason that has a position (a duplicate key, NaN, a huge
    number, deep nesting) is read again as YAML flow syntax (JSON is YAML 1.2) to find
    the line and column. Marks for valid files are added on demand by
    :meth:`Document.ensure_marks`.
    """
    if not text.strip():
        raise LoadError(Problem(display, None, None, "", "file is empty; expected an incident (an object) or a list of incidents"))
    try:
        data = _STRICT_JSON.decode(text)
    except json.JSONDecodeError as exc:
        raise LoadError(Problem(display, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")) from None
    except (RecursionError, ValueError):  # a refusal of the strict reading, or nesting Python cannot follow
        data = _INVALID
    if "\\u" in text and _SURROGATE_TEXT.search(text):
        at = _lone_surrogate(text)
        if at is not None:
            line, column = _offset_mark(text, at, in_bytes=False)
            raise LoadError(Problem(display, line, column, "", f"invalid JSON: {text[at:at + 6]} is a lone surrogate, "
                                    "half of a UTF-16 pair without its other half, and no character; write the "
                                    "character itself"))
    if data is _INVALID or _depth(data) > max_depth:
        try:
            parse_yaml(text, display, max_depth, json_mode=True, with_marks=True)  # raises with the position
        except LoadError as exc:
            # libyaml refuses any escaped surrogate, even a pair JSON allows: no position then.
            if NO_CHARACTER not in exc.problem.message:
                raise
        raise LoadError(Problem(display, None, None, "", "invalid JSON: NaN, infinity, numbers beyond 10^15 and "
                                "duplicate keys are not allowed"))
    return Document(display, data, text=text, max_depth=max_depth, json_mode=True)


_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]")
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _lone_surrogate(text: str) -> int | None:
    """Where the first escaped surrogate without its other half starts in JSON text, or None.

    JSON writes a character beyond U+FFFF as two escapes, a high and a low surrogate, one just
    after the other; Python's reader makes a lone one a string that cannot be written out. In
    JSON text a backslash is always an escape inside a string, so escapes are read from the left.
    """
    high_at, high_end = -1, -1
    for match in _JSON_ESCAPE.finditer(text):
        digits = match.group(1)
        code = int(digits, 16) if digits else -1
        if high_at >= 0:
            if 0xDC00 <= code <= 0xDFFF and match.start() == high_end:
                high_at = -1
                continue
            return high_at
        if 0xD800 <= code <= 0xDBFF:
            high_at, high_end = match.start(), match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            return match.start()
    return high_at if high_at >= 0 else None


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
    return parse_document(read_raw(path, display, max_file_size), path, display, max_depth)


def parse_document(raw: bytes, path: Path, display: str, max_depth: int = DEFAULT_MAX_DEPTH, *,
                   fast: bool | None = None) -> Document:
    """Parse a file's bytes (already read, within the size limit) as JSON or YAML by its suffix
    (``fast``: as for :func:`parse_yaml`)."""
    text = decode_text(raw, display)
    if path.suffix.lower() == ".json":
        doc = parse_json(text, display, max_depth)
    else:
        doc = parse_yaml(text, display, max_depth, raw=raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw, fast=fast)
    doc.may_hide = may_hold_flagged(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
    return doc


def find_files(paths: list[Path], suffixes: tuple[str, ...] = RECORD_SUFFIXES) -> list[tuple[Path, str]]:
    """Expand files and directories (recursively) into (path, display name), sorted, without repeats."""
    found: dict[str, tuple[Path | None, str]] = {}
    for given in paths:
        if given.is_dir():
            for display, resolved in _walk(given, suffixes):
                found.setdefault(resolved, (None, display))
        else:
            path = given.resolve()
            found.setdefault(str(path), (path, str(given)))
    # Paths are made once, at the end: a large directory has tens of thousands of files.
    return sorted(((Path(resolved) if path is None else path, display) for resolved, (path, display) in found.items()),
                  key=lambda item: item[1])


def _walk(given: Path, suffixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """Record files under a directory, not hidden, as (display name, resolved path) strings.

    Like ``given.rglob("*")`` (symbolic links to directories are not followed), but with one
    ``scandir`` per directory and one ``resolve`` per directory rather than per file: a file
    that is not itself a link resolves to its resolved directory joined with its name.
    """
    out: list[tuple[tuple[str, ...], str, str]] = []
    stack: list[tuple[str, str, tuple[str, ...]]] = [(str(given), str(given.resolve()), ())]
    while stack:
        directory, resolved_dir, parts = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        # Names are joined as str(Path(directory) / name) would join them: no "./" in front.
        prefix = "" if directory == "." else os.path.join(directory, "")
        resolved_prefix = os.path.join(resolved_dir, "")
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue  # a hidden file, or everything under a hidden directory
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((prefix + name, resolved_prefix + name, (*parts, name)))
                    continue
                is_link = entry.is_symlink()
                if not entry.is_file():  # follows a link, as Path.is_file does
                    continue
            except OSError:
                continue
            dot = name.rfind(".")
            if dot > 0 and name[dot:].lower() in suffixes:
                child = prefix + name
                out.append(((*parts, name), child, str(Path(child).resolve()) if is_link else resolved_prefix + name))
    out.sort(key=lambda item: item[0])  # the order of sorted(rglob(...)): by path components
    return [(child, resolved) for _, child, resolved in out]
