"""A cache of validated record files, keyed by the hash of their content.

Loading and validating 10,000 records costs seconds; restoring them from here costs a
fraction of that. An entry is what validating one *fully valid* file produced: its
incidents in a compact, ``marshal``-able form (tuples, dicts, lists, strings and numbers)
that is rebuilt without validating again. Files with any problem are never cached: they
are read again every time, so their problems are always reported afresh.

The key of an entry is the SHA-256 of the file's bytes, its suffix (JSON and YAML read the
same bytes differently) and the limits it was read under. The whole cache is one file,
tagged with :func:`version_tag`: a digest of the package's code, Python and the version of
every library that shapes what is cached or computed from it (Babel, pydantic, pydantic-core,
PyYAML, rapidyaml, orjson). A cache written under any other tag is ignored, as is a corrupt or
unreadable one. Every file here is written by :func:`reporter.output.write_atomic` (a
temporary file, fsynced, then renamed), so a crash leaves the old file; directories this
module creates are private to the user (0700), as the cached records may be confidential.

``REPORTER_NO_FAST=1`` turns both caches off (:mod:`reporter.fast`): nothing is read from
them or written to them.

Location: ``$REPORTER_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/reporter/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reporter.dates import When, parse_when
from reporter.errors import OutputError
from reporter.fast import fast_paths_enabled
from reporter.output import write_atomic
from reporter.quantities import Quantity, reading_key

CACHE_FORMAT = 1
CACHE_FILE = "records-v%d.marshal" % CACHE_FORMAT
MAX_ENTRIES = 200_000
"""Past this many entries, a write keeps only the entries the current run used."""

LIBRARIES = ("Babel", "pydantic", "pydantic-core", "PyYAML", "rapidyaml", "orjson")
"""The distributions whose versions shape what is cached: parsing, validating and phrasing."""

class Uncacheable(Exception):
    """A value the compact form cannot hold; the file is simply not cached."""


def cache_dir() -> Path:
    """Where the cache lives (see the module docstring)."""
    explicit = os.environ.get("REPORTER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reporter"


def _private_dir(directory: Path) -> None:
    """Make ``directory`` (and its parents) if missing, the directory itself only for the user."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


_VERSION: str | None = None


def library_versions() -> list[tuple[str, str]]:
    """Each of :data:`LIBRARIES` with its installed version ("missing" if it is not installed)."""
    from importlib import metadata

    versions = []
    for name in LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "missing"))
    return versions


def code_digest() -> str:
    """A digest of every module of the package (its ``.py`` files, by path and content)."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
        digest.update(b"\0")
    return digest.hexdigest()


def version_tag() -> str:
    """A digest of everything that decides an entry, computed once per process: the cache
    format, the package's code, Python and the versions of :data:`LIBRARIES`."""
    global _VERSION
    if _VERSION is None:
        parts = [str(CACHE_FORMAT), sys.version, code_digest(), *(f"{name}={v}" for name, v in library_versions())]
        _VERSION = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return _VERSION


def file_key(raw: bytes, suffix: str, max_depth: int, locale: str | None = None) -> bytes:
    """The key of a file's entry: its content, how it is parsed, the depth limit and the locale
    its figures are read in (``"rund 25.000"`` is a figure in de_DE, an error in English; every
    English locale reads alike, and keeps the key it always had).

    The size limit is not part of the key: a file over it is refused before it is read.
    """
    reading = reading_key(locale) if locale else ""
    digest = hashlib.sha256(f"{suffix.lower()}|{max_depth}|{reading + '|' if reading else ''}".encode())
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
    """Entries by key, loaded from and saved to one file (nothing, with the fast paths off)."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or cache_dir()) / CACHE_FILE
        self.entries: dict[bytes, Any] = {}
        self.used: set[bytes] = set()
        self.added = 0
        self.enabled = fast_paths_enabled()
        if self.enabled:
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
        if not self.added or not self.enabled:
            return
        entries = self.entries
        if len(entries) > MAX_ENTRIES:
            entries = {key: entries[key] for key in self.used if key in entries}
        try:
            data = marshal.dumps((version_tag(), entries))
        except ValueError:  # an unmarshallable value slipped through: drop the cache
            return
        try:
            _private_dir(self.path.parent)
            write_atomic(self.path, data, mode=0o600)
        except (OSError, OutputError):
            return
        self.added = 0


# -- whole results ------------------------------------------------------------------------------

RESULTS_DIR = "results-v1"
MAX_RESULTS = 64


def result_key(parts: list[str], files: list[tuple[Path, str]], raws: list[bytes | None], max_depth: int,
               locale: str | None = None) -> str | None:
    """The key of a command's whole output: the code (every module of the package, so every one
    that shapes the output), the libraries' versions, the options and every input file.

    ``raws`` are the files' bytes, None for one that could not be read: then there is no key
    (the command runs, and reports it). There is none either with the fast paths off.
    ``locale``: the locale the records are read in (see :func:`file_key`).
    """
    if not fast_paths_enabled():
        return None
    digest = hashlib.sha256(version_tag().encode())
    digest.update("\0".join(parts).encode())
    for (resolved, display), raw in zip(files, raws, strict=True):
        if raw is None:
            return None
        digest.update(display.encode() + b"\0")
        digest.update(file_key(raw, resolved.suffix, max_depth, locale))
    return digest.hexdigest()


class ResultCache:
    """Outputs of earlier runs by key, one small file each, the oldest dropped beyond a few dozen.

    Only outputs that depend on nothing but the record files are stored (no evidence logs),
    so an unchanged second run prints at once what the first computed. With the fast paths
    off, nothing is found and nothing is stored.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = (directory or cache_dir()) / RESULTS_DIR
        self.enabled = fast_paths_enabled()

    def get(self, key: str) -> str | None:
        if not self.enabled:
            return None
        try:
            return (self.directory / key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, text: str) -> None:
        if not self.enabled:
            return
        try:
            _private_dir(self.directory)
            write_atomic(self.directory / key, text, mode=0o600)
        except (OSError, OutputError):
            return
        with contextlib.suppress(OSError):
            # Oldest first; temporary files of writes under way (".name.….tmp") are left alone.
            entries = sorted((p for p in self.directory.iterdir() if not p.name.startswith(".")),
                             key=lambda p: p.stat().st_mtime)
            for stale in entries[:-MAX_RESULTS]:
                stale.unlink(missing_ok=True)
