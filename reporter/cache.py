"""A cache of validated record files, keyed by the hash of their content.

Loading and validating 10,000 records costs seconds; restoring them from here costs a
fraction of that. An entry is what validating one *fully valid* file produced: its
incidents in a compact, ``marshal``-able form (tuples, dicts, lists, strings and numbers)
that is rebuilt without validating again. Files with any problem are never cached: they
are read again every time, so their problems are always reported afresh.

The key of an entry is the SHA-256 of the file's bytes, its suffix (JSON and YAML read the
same bytes differently) and the limits it was read under. The whole cache is one file,
tagged with a digest of the code that produced it: a cache written by another version of
reporter (or of Python or pydantic) is ignored, as is a corrupt or unreadable one. It is
written atomically (a temporary file, then a rename), so a crash leaves the old cache.

Location: ``$REPORTER_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/reporter/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reporter.dates import When, parse_when
from reporter.quantities import Quantity

CACHE_FORMAT = 1
CACHE_FILE = "records-v%d.marshal" % CACHE_FORMAT
MAX_ENTRIES = 200_000
"""Past this many entries, a write keeps only the entries the current run used."""

_MODULES = ("cache.py", "records.py", "loader.py", "quantities.py", "dates.py", "errors.py")


class Uncacheable(Exception):
    """A value the compact form cannot hold; the file is simply not cached."""


def cache_dir() -> Path:
    """Where the cache lives (see the module docstring)."""
    explicit = os.environ.get("REPORTER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reporter"


_VERSION: str | None = None


def version_tag() -> str:
    """A digest of everything that decides an entry: this code, Python and pydantic."""
    global _VERSION
    if _VERSION is None:
        import pydantic

        digest = hashlib.sha256(f"{CACHE_FORMAT}|{sys.version}|{pydantic.VERSION}".encode())
        here = Path(__file__).parent
        for name in _MODULES:
            try:
                digest.update((here / name).read_bytes())
            except OSError:
                digest.update(b"missing " + name.encode())
        _VERSION = digest.hexdigest()
    return _VERSION


def file_key(raw: bytes, suffix: str, max_depth: int) -> bytes:
    """The key of a file's entry: its content, how it is parsed and the depth limit.

    The size limit is not part of the key: a file over it is refused before it is read.
    """
    digest = hashlib.sha256(f"{suffix.lower()}|{max_depth}|".encode())
    digest.update(raw)
    return digest.digest()


# -- the compact form ---------------------------------------------------------------------------

_MODEL, _ENUM, _WHEN, _QUANTITY = 0, 1, 2, 3


class Codec:
    """Encodes validated models into plain tuples and rebuilds them without validation."""

    def __init__(self, models: list[type[BaseModel]], enums: list[type[Enum]]):
        self.models = {cls.__name__: cls for cls in models}
        self.enums = {cls.__name__: cls for cls in enums}
        # Field values are stored by position, the set fields as a bit mask.
        self._fields = {cls.__name__: tuple(cls.model_fields) for cls in models}
        self._bits = {name: {field: 1 << n for n, field in enumerate(fields)} for name, fields in self._fields.items()}

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return value
        if kind is list:
            return [self.encode(item) for item in value]
        if kind is dict:
            if not all(type(key) is str for key in value):
                self._refuse()
            return {key: self.encode(item) for key, item in value.items()}
        if kind is When:
            return (_WHEN, value.text)
        if kind is Quantity:
            return (_QUANTITY, *value.to_plain())
        if isinstance(value, BaseModel):
            if self.models.get(kind.__name__) is not kind or value.__pydantic_extra__:
                self._refuse()
            name = kind.__name__
            fields = self._fields[name]
            state = value.__dict__
            if tuple(state) != fields:
                self._refuse()
            bits = self._bits[name]
            mask = 0
            for field in value.__pydantic_fields_set__:
                mask |= bits[field]
            private = value.__pydantic_private__
            return (
                _MODEL,
                name,
                tuple([self.encode(item) for item in state.values()]),
                mask,
                None if private is None else {key: self.encode(item) for key, item in private.items()},
            )
        if isinstance(value, Enum) and self.enums.get(kind.__name__) is kind:
            return (_ENUM, kind.__name__, value.value)
        self._refuse()

    @staticmethod
    def _refuse() -> Any:
        raise Uncacheable

    def decode(self, value: Any) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is tuple:
            tag = value[0]
            if tag == _MODEL:
                name = value[1]
                cls = self.models[name]
                fields = self._fields[name]
                model = cls.__new__(cls)
                decode = self.decode
                setattr_ = object.__setattr__
                values = value[2]
                if len(values) != len(fields):
                    raise ValueError("cache entry does not fit the model")
                setattr_(model, "__dict__", {
                    field: item if type(item) in _SCALARS else decode(item) for field, item in zip(fields, values)})
                mask = value[3]
                setattr_(model, "__pydantic_fields_set__",
                         {field for n, field in enumerate(fields) if mask >> n & 1})
                setattr_(model, "__pydantic_extra__", None)
                private = value[4]
                setattr_(model, "__pydantic_private__",
                         None if private is None else {name: decode(item) for name, item in private.items()})
                return model
            if tag == _WHEN:
                return parse_when(value[1])
            if tag == _QUANTITY:
                return Quantity.from_plain(value[1:])
            if tag == _ENUM:
                return self.enums[value[1]]._value2member_map_[value[2]]
            raise ValueError("unknown tag in cache entry")
        if kind is list:
            return [item if type(item) in _SCALARS else self.decode(item) for item in value]
        if kind is dict:
            return {key: item if type(item) in _SCALARS else self.decode(item) for key, item in value.items()}
        raise ValueError("unknown value in cache entry")


_SCALARS = frozenset({str, int, float, bool, type(None)})


# -- the cache file -----------------------------------------------------------------------------


class RecordCache:
    """Entries by key, loaded from and saved to one file."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or cache_dir()) / CACHE_FILE
        self.entries: dict[bytes, Any] = {}
        self.used: set[bytes] = set()
        self.added = 0
        self._load()

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return
        try:
            tag, entries = marshal.loads(raw)
            if tag != version_tag() or type(entries) is not dict:
                return
        except Exception:  # noqa: BLE001 - a corrupt cache is ignored and rebuilt
            return
        self.entries = entries

    def get(self, key: bytes) -> Any:
        entry = self.entries.get(key)
        if entry is not None:
            self.used.add(key)
        return entry

    def put(self, key: bytes, entry: Any) -> None:
        self.entries[key] = entry
        self.used.add(key)
        self.added += 1

    def save(self) -> None:
        """Write the cache if anything was added; failures (read-only disk, …) are ignored."""
        if not self.added:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = {key: entries[key] for key in self.used if key in entries}
        try:
            data = marshal.dumps((version_tag(), entries))
        except ValueError:  # an unmarshallable value slipped through: drop the cache
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".records-", suffix=".tmp", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self.added = 0


# -- whole results ------------------------------------------------------------------------------

_RESULT_MODULES = ("metrics.py", "tables.py", "cli.py", "logs.py")
RESULTS_DIR = "results-v1"
MAX_RESULTS = 64


def result_key(parts: list[str], files: list[tuple[Path, str]], raws: list[bytes | None], max_depth: int) -> str | None:
    """The key of a command's whole output: the code, the options and every input file.

    ``raws`` are the files' bytes, None for one that could not be read: then there is no key
    (the command runs, and reports it).
    """
    digest = hashlib.sha256(version_tag().encode())
    here = Path(__file__).parent
    for name in _RESULT_MODULES:
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    digest.update("\0".join(parts).encode())
    for (resolved, display), raw in zip(files, raws, strict=True):
        if raw is None:
            return None
        digest.update(display.encode() + b"\0")
        digest.update(file_key(raw, resolved.suffix, max_depth))
    return digest.hexdigest()


class ResultCache:
    """Outputs of earlier runs by key, one small file each, the oldest dropped beyond a few dozen.

    Only outputs that depend on nothing but the record files are stored (no evidence logs),
    so an unchanged second run prints at once what the first computed.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = (directory or cache_dir()) / RESULTS_DIR

    def get(self, key: str) -> str | None:
        try:
            return (self.directory / key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, text: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".result-", suffix=".tmp", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, self.directory / key)
            entries = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime)
            for stale in entries[:-MAX_RESULTS]:
                stale.unlink(missing_ok=True)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
