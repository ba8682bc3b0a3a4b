"""Compute evidence figures from an event log (DESIGN.md section 7).

An evidence log is a table of events with at least ``ts`` (a timestamp; naive
values mean UTC) and ``account_id``, optionally ``capability``, stored as
Parquet, CSV or JSON Lines. :func:`summarize_log` reads it and computes the
figures a document states about it: interactions, distinct accounts, the
window, the daily series, the per-account and per-account-per-day
distributions and the counts by capability.

Two engines compute the same thing:

* ``local`` streams the file in record batches through pyarrow and numpy.
  Account ids are mapped to dense integer codes as they are first seen, and
  events are counted per (day, account) pair, so memory is bounded by the
  number of distinct accounts and (day, account) pairs, never by the number of
  rows. Counts are exact.
* ``dask`` splits the file into partitions (Parquet row groups through
  :mod:`dask.dataframe`; for CSV and JSON Lines, byte ranges of whole lines read
  on the workers by the local engine's reader), builds the same partial
  aggregate for every partition on the cluster, merges the partials in a tree
  and finishes with the same code as the local engine, so both give identical
  output.

Logs are treated as hostile input. A CSV or JSON Lines line longer than
:data:`MAX_LINE_BYTES` is refused as the bytes arrive, so a file without
newlines fails after one block, in bounded memory; a column read (``ts``,
``account_id``, ``capability``) that appears twice in a CSV header, a Parquet
schema or a JSON object is refused; and a JSON Lines error names the first bad
line and why it is bad.

Definitions (identical in both engines):

* A day is a UTC calendar day. Naive timestamps are taken as UTC; timestamps
  with an offset are converted to UTC. Timestamps are kept to the microsecond
  (finer digits are truncated).
* ``window_days`` is the elapsed time between the first and the last event in
  days (``(last - first) / 24 h``), not a count of calendar days.
* ``per_account`` is the distribution of the number of events per account;
  ``per_account_daily`` of the number of events per (account, UTC day) pair,
  over the pairs with at least one event.
* ``median`` and ``p95`` are percentiles by linear interpolation between closest
  ranks (the definition of ``numpy.percentile``'s default method, DuckDB's
  ``quantile_cont`` and R's type 7): for ``n`` sorted values ``x[0..n-1]`` and a
  fraction ``q``, ``h = q * (n - 1)`` and the percentile is
  ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``. They are
  computed exactly (rational arithmetic over the value -> frequency histogram)
  and rounded once to a float, as is ``mean``.
* Events whose ``capability`` is missing or empty are counted under
  :data:`NO_CAPABILITY`.
* Error messages name rows by their 1-based record number in the file, header
  excluded (for JSON Lines without blank lines, the line number).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reporter.errors import EvidenceError
from reporter.kinds import Engine

__all__ = [
    "DailyCount",
    "Distribution",
    "EvidenceSummary",
    "NO_CAPABILITY",
    "detect_format",
    "summarize_log",
]

TS = "ts"
ACCOUNT = "account_id"
CAPABILITY = "capability"
NO_CAPABILITY = "(none)"
"""Key of ``by_capability`` under which events without a capability are counted."""

US_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Parquet row groups up to this size are read whole (much faster in pyarrow than
# iter_batches); larger ones are streamed in batches of _BATCH_ROWS so that a
# file written as one huge row group still reads in bounded memory.
_MAX_ROW_GROUP_ROWS = 4_000_000
_MAX_ROW_GROUP_BYTES = 256 << 20
_BATCH_ROWS = 1 << 20
_READ_THREADS = 2
_TEXT_BLOCK_BYTES = 16 << 20
_DASK_BLOCK_BYTES = 64 << 20  # bytes of a text log per Dask partition
_HASH_BLOCK_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20
"""Longest line accepted in a CSV or JSON Lines log, in bytes without its newline.

Text logs are read in blocks and every line is checked against this cap as the
bytes arrive, so a file without newlines (or with one huge line) is refused after
reading at most one block, never held whole in memory."""
# The (day x account) count grid is kept dense while it stays below this many
# cells (8 bytes each); beyond it the accumulator switches to sparse pairs.
_MAX_DENSE_CELLS = 1 << 24
# An unordered batch is counted in a (days in batch x batch accounts) grid of up
# to this many cells (32 MiB); beyond, by sorting its (day, account) keys.
_MAX_BATCH_GRID_CELLS = 1 << 22
# Keys of sparse (day, account) pairs: (day + offset) << 32 | account code. The
# offset makes every representable day (int64 microseconds reach about
# +-106 million days) non-negative.
_DAY_OFFSET = 1 << 28

_FORMATS: dict[str, Literal["parquet", "csv", "jsonl"]] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_EXPECTED_TS = "expected an ISO 8601 date-time such as 2026-04-22T10:00:00Z; naive values mean UTC"
# A trailing zone designator after a time of day; a bare date's "-22" must not match.
_ZONE_RE = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DailyCount:
    """Events on one UTC day.

    Attributes:
        date: the UTC calendar day.
        interactions: number of events on that day.
        accounts: number of distinct accounts with at least one event that day.
    """

    date: date
    interactions: int
    accounts: int

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"date": "YYYY-MM-DD", "interactions": n, "accounts": n}``."""
        return {"date": self.date.isoformat(), "interactions": self.interactions, "accounts": self.accounts}


@dataclass(frozen=True)
class Distribution:
    """Summary of a distribution of integer counts (see the module docstring for definitions).

    Attributes:
        mean: arithmetic mean.
        median: 50th percentile, linear interpolation between closest ranks.
        p95: 95th percentile, same method.
        max: largest value.
    """

    mean: float
    median: float
    p95: float
    max: int

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"mean": x, "median": x, "p95": x, "max": n}``."""
        return {"mean": self.mean, "median": self.median, "p95": self.p95, "max": self.max}


@dataclass(frozen=True)
class EvidenceSummary:
    """Figures computed from an evidence log.

    Attributes:
        interactions: number of events.
        accounts: number of distinct ``account_id`` values.
        first: earliest event, UTC-aware, microsecond precision.
        last: latest event, UTC-aware.
        window_days: elapsed time from ``first`` to ``last`` in days (fractional), not a
            count of calendar days.
        daily: one entry per UTC day with at least one event, sorted by date.
        per_account: distribution of events per account.
        per_account_daily: distribution of events per (account, UTC day) pair with events.
        by_capability: events per ``capability`` value, sorted by key; empty when the log
            has no capability column.
        source: the path as given by the caller.
        sha256: hex SHA-256 of the file's bytes.
    """

    interactions: int
    accounts: int
    first: datetime
    last: datetime
    window_days: float
    daily: list[DailyCount]
    per_account: Distribution
    per_account_daily: Distribution
    by_capability: dict[str, int]
    source: str
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``reporter evidence --format json``.

        Returns:
            ``{"interactions", "accounts", "first", "last", "window_days", "daily",
            "per_account", "per_account_daily", "by_capability"}`` with date-times as
            ISO 8601 in UTC ending in ``Z`` and dates as ``YYYY-MM-DD``. ``source`` and
            ``sha256`` are not part of the shape; read them from the attributes.
        """
        return {
            "interactions": self.interactions,
            "accounts": self.accounts,
            "first": _iso_z(self.first),
            "last": _iso_z(self.last),
            "window_days": self.window_days,
            "daily": [d.as_dict() for d in self.daily],
            "per_account": self.per_account.as_dict(),
            "per_account_daily": self.per_account_daily.as_dict(),
            "by_capability": dict(self.by_capability),
        }


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


# --------------------------------------------------------------------------- public API


def detect_format(path: str | Path) -> Literal["parquet", "csv", "jsonl"]:
    """Return the format of an evidence log from its file name suffix.

    Args:
        path: the log's path.

    Returns:
        ``"parquet"`` for ``.parquet``/``.pq``, ``"csv"`` for ``.csv``, ``"jsonl"`` for
        ``.jsonl``/``.ndjson`` (case-insensitive).

    Raises:
        EvidenceError: for any other suffix.
    """
    suffix = Path(path).suffix.lower()
    try:
        return _FORMATS[suffix]
    except KeyError:
        shown = f'"{suffix}"' if suffix else "no suffix"
        raise EvidenceError(
            f"{path}: unknown log format ({shown}); expected .parquet, .pq, .csv, .jsonl or .ndjson"
        ) from None


def summarize_log(path: str | Path, engine: str = "local", scheduler: str | None = None) -> EvidenceSummary:
    """Read an evidence log and compute its figures.

    Args:
        path: a Parquet, CSV or JSON Lines file (format from the suffix, see
            :func:`detect_format`) with columns ``ts`` and ``account_id`` and optionally
            ``capability``; other columns are ignored.
        engine: ``"local"`` (streaming, in-process) or ``"dask"``.
        scheduler: with ``engine="dask"``, the address of an existing distributed
            scheduler (workers must be able to read ``path`` at the same path); without
            it a two-worker LocalCluster is started for the call and shut down after.

    Returns:
        The computed figures.

    Raises:
        EvidenceError: the file is missing, unreadable, in an unknown format, lacks a
            required column, has a missing or unparseable value, or holds no events; or
            the engine or scheduler is unusable.
    """
    source = str(path)
    p = Path(path)
    if engine not in tuple(Engine):
        expected = " or ".join(f'"{e}"' for e in Engine)
        raise EvidenceError(f'{source}: unknown engine "{engine}"; expected {expected}')
    if scheduler is not None and engine != "dask":
        raise EvidenceError(f"{source}: a scheduler address needs the dask engine (--engine dask)")
    fmt = detect_format(p)
    if not p.exists():
        raise EvidenceError(f"{source}: no such file")
    if not p.is_file():
        raise EvidenceError(f"{source}: not a file")

    hasher = _BackgroundHash(p, source)
    try:
        if engine == "local":
            partial = _aggregate_local(p, fmt, source)
        else:
            partial = _aggregate_dask(p, fmt, source, scheduler)
    except BaseException:
        # The engine's error is the one to report: do not wait for a hash of a
        # possibly huge file that will never be used.
        hasher.cancel()
        raise
    digest = hasher.result()
    return _finalize(partial, source, digest)


# --------------------------------------------------------------------------- hashing


class _BackgroundHash:
    """SHA-256 of a file computed on a thread while the engine reads it.

    hashlib releases the GIL on large buffers, so on a multi-core machine the hash
    costs almost no wall time next to the aggregation.
    """

    def __init__(self, path: Path, source: str):
        self._path = path
        self._source = source
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evidence-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            h = hashlib.sha256()
            with open(self._path, "rb") as f:
                buf = bytearray(_HASH_BLOCK_BYTES)
                view = memoryview(buf)
                while not self._stop.is_set() and (n := f.readinto(buf)):
                    h.update(view[:n])
            self._digest = h.hexdigest()
        except OSError as e:
            self._error = e

    def cancel(self) -> None:
        """Stop hashing (within one block) and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise EvidenceError(f"{self._source}: cannot read file ({self._error.strerror or self._error})")
        assert self._digest is not None
        return self._digest


# --------------------------------------------------------------------------- column checks


def _read_columns(path: Path, fmt: str, source: str) -> list[str] | None:
    """Return the column names of the log, or None for a file with no content at all.

    For JSON Lines, the keys of the first record. Lines are read with a bounded
    ``readline``, so a file without newlines fails after :data:`MAX_LINE_BYTES`.
    """
    if fmt == "parquet":
        return list(_open_parquet(path, source).schema_arrow.names)
    try:
        with open(path, "rb") as f:
            lines = _bounded_lines(f, source)
            if fmt == "csv":
                return next(csv.reader(_decoded(lines, source)), None)
            for lineno, raw in lines:
                if not raw.strip():
                    continue
                return [key for key, _ in _json_record(raw, source, lineno)]
            return None
    except csv.Error as e:
        raise EvidenceError(f"{source}: not valid CSV ({e})") from None
    except OSError as e:
        raise EvidenceError(f"{source}: cannot read file ({e.strerror or e})") from None


def _bounded_lines(f: Any, source: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, line)`` from a binary file, refusing a line over the cap."""
    cap = MAX_LINE_BYTES
    lineno = 0
    while line := f.readline(cap + 1):
        lineno += 1
        if len(line) > cap and not line.endswith(b"\n"):
            raise _line_too_long(source, lineno)
        yield lineno, line


def _decoded(lines: Iterable[tuple[int, bytes]], source: str) -> Iterator[str]:
    for lineno, raw in lines:
        try:
            yield raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            raise EvidenceError(f"{source}: line {lineno}: not UTF-8 text; expected CSV") from None


def _line_too_long(source: str, lineno: int) -> EvidenceError:
    cap = MAX_LINE_BYTES
    shown = f"{cap >> 20} MiB" if cap % (1 << 20) == 0 else f"{cap:,} bytes"
    return EvidenceError(f"{source}: line {lineno}: line too long (over {shown}, the limit for one line)")


def _line_number(path: Path, offset: int) -> int:
    """The 1-based number of the line holding byte ``offset`` (error path: counts newlines)."""
    count = 0
    with open(path, "rb") as f:
        while offset > 0 and (block := f.read(min(offset, _HASH_BLOCK_BYTES))):
            count += block.count(b"\n")
            offset -= len(block)
    return count + 1


class _JsonObject(list):  # type: ignore[type-arg]
    """The ``(key, value)`` pairs of a JSON object, in order (an object_pairs_hook)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_kind(value: Any) -> str:
    if isinstance(value, _JsonObject):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return "a string" if isinstance(value, str) else "a number"


def _json_record(raw: bytes, source: str, lineno: int) -> list[tuple[str, Any]]:
    """Parse one JSON Lines record into its top-level ``(key, value)`` pairs.

    Raises:
        EvidenceError: naming the line and the reason: not JSON, not an object, or a
            key the log is read by (``ts``, ``account_id``, ``capability``) given twice.
    """
    try:
        record = json.loads(raw, object_pairs_hook=_JsonObject, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise EvidenceError(f"{source}: line {lineno}: not valid JSON ({e.msg} at column {e.colno})") from None
    except UnicodeDecodeError:
        raise EvidenceError(f"{source}: line {lineno}: not UTF-8 text; expected JSON Lines") from None
    except ValueError as e:
        raise EvidenceError(f"{source}: line {lineno}: not valid JSON ({e})") from None
    if not isinstance(record, _JsonObject):
        raise EvidenceError(
            f"{source}: line {lineno}: expected an object with ts and account_id, found {_json_kind(record)}"
        )
    keys = [key for key, _ in record]
    for col in (TS, ACCOUNT, CAPABILITY):
        if keys.count(col) > 1:
            raise EvidenceError(f'{source}: line {lineno}: key "{col}" appears twice in one object')
    return list(record)


def _check_columns(path: Path, fmt: str, source: str) -> tuple[list[str], bool]:
    """Return the columns to read and whether the file declares a capability column.

    CSV and Parquet declare their columns; JSON Lines has no header, so its
    ``capability`` is always read and counts as present when any record has one.

    Raises:
        EvidenceError: an empty file or a required column missing.
    """
    names = _read_columns(path, fmt, source)
    if not names:
        raise _empty(source)
    for col in (TS, ACCOUNT, CAPABILITY):
        if (times := names.count(col)) > 1:
            raise EvidenceError(
                f'{source}: column "{col}" appears {times} times (columns found: {_shown(names)}); '
                "expected each column once"
            )
    for required in (TS, ACCOUNT):
        if required not in names:
            raise EvidenceError(f'{source}: missing column "{required}" (columns found: {_shown(names)})')
    declared = CAPABILITY in names
    return [TS, ACCOUNT] + ([CAPABILITY] if declared or fmt == "jsonl" else []), declared


def _shown(names: list[str]) -> str:
    return ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")


def _empty(source: str) -> EvidenceError:
    return EvidenceError(f"{source}: empty log (no events; expected at least one row with ts and account_id)")


# --------------------------------------------------------------------------- readers


def _open_parquet(path: Path, source: str, dictionary_columns: Iterable[str] = ()) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path, read_dictionary=list(dictionary_columns) or None)
    except (pa.ArrowException, OSError) as e:
        raise EvidenceError(f"{source}: not a readable Parquet file ({e})") from None


def _iter_parquet(path: Path, source: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
    schema = _open_parquet(path, source).schema_arrow
    # Decoding string columns straight to dictionary arrays skips materialising one
    # string per row: the accumulator only needs the small per-row-group dictionary.
    as_dict = [
        c for c in (ACCOUNT, CAPABILITY)
        if c in columns and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))
    ]
    pf = _open_parquet(path, source, as_dict)
    meta = pf.metadata
    # A ParquetFile is not safe to read from several threads at once (its read
    # cache is shared), so every reader thread opens its own.
    local = threading.local()

    def read(i: int) -> pa.Table:
        if not hasattr(local, "file"):
            local.file = _open_parquet(path, source, as_dict)
        return local.file.read_row_group(i, columns=columns, use_threads=False)

    try:
        # Row groups are decoded on _READ_THREADS threads, a bounded window ahead of
        # the consumer; results are yielded in file order so row numbers stay right.
        with ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="evidence-parquet") as pool:
            window: deque[Future[pa.Table]] = deque()
            for i in range(meta.num_row_groups):
                rg = meta.row_group(i)
                if rg.num_rows <= _MAX_ROW_GROUP_ROWS and rg.total_byte_size <= _MAX_ROW_GROUP_BYTES:
                    window.append(pool.submit(read, i))
                    if len(window) > _READ_THREADS:
                        yield from window.popleft().result().to_batches()
                    continue
                while window:
                    yield from window.popleft().result().to_batches()
                yield from pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=[i], columns=columns, use_threads=True)
            while window:
                yield from window.popleft().result().to_batches()
    except (pa.ArrowException, OSError) as e:
        raise EvidenceError(f"{source}: cannot read Parquet data ({e})") from None


class _CheckedStream(io.RawIOBase):
    """A text log read as bytes, refusing any line over :data:`MAX_LINE_BYTES` as it arrives.

    Each block read is scanned with ``bytes.rfind`` in steps of up to the cap (a
    handful of C calls per block, no per-line Python work), tracking the length
    of the line still open at the block's end; so memory stays at one block
    whatever the lines hold.

    With ``start``/``end`` the stream holds exactly the lines whose first byte lies
    in ``[start, end)`` (a Dask partition): it starts after the first newline at
    or after ``start - 1`` and stops after the first newline at or after
    ``end - 1``, so consecutive ranges split a file into whole lines.
    """

    def __init__(self, path: Path, source: str, start: int = 0, end: int | None = None):
        super().__init__()
        self._path = path
        self._source = source
        self._cap = MAX_LINE_BYTES
        self._run = 0  # bytes read since the last newline
        self._f = open(path, "rb")
        self._done = False
        try:
            if start > 0:
                start = self._align(start)
            self.start = start
            self._end = end
            self._offset = start  # absolute offset of the next byte returned
            self._f.seek(start)
            size = os.fstat(self._f.fileno()).st_size
            if start > 0 and start >= (size if end is None else min(end, size)):
                self._done = True  # no line begins in the range
        except BaseException:
            self._f.close()
            raise

    def _align(self, start: int) -> int:
        self._f.seek(start - 1)
        head = self._f.read(self._cap + 1)
        j = head.find(b"\n")
        if j >= 0:
            return start + j
        # Inside a line over the cap, or in the last line: read nothing. Any lines
        # after it are lost, but the range holding the long line's start refuses
        # the file anyway.
        self._done = True
        return start - 1 + len(head)

    @property
    def empty(self) -> bool:
        """True when the range holds no line at all (known before any read)."""
        return self._done and self._offset == self.start

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._done:
            return b""
        if size is None or size < 0:
            size = _TEXT_BLOCK_BYTES
        if self._end is None:
            data = self._f.read(size)
        elif (body := self._end - 1 - self._offset) > 0:
            data = self._f.read(min(size, body))
        else:
            # Past the range: through the first newline at or after end - 1.
            data = self._f.read(min(size, 1 << 16))
            j = data.find(b"\n")
            if j >= 0:
                data = data[: j + 1]
                self._done = True
        if not data:
            self._done = True
            return b""
        self._check(data)
        self._offset += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _check(self, data: bytes) -> None:
        cap, n, pos, run = self._cap, len(data), 0, self._run
        while True:
            room = cap - run  # bytes the open line may still take before a newline
            if n - pos <= room:
                j = data.rfind(b"\n", pos)
                self._run = n - j - 1 if j >= 0 else run + n - pos
                return
            j = data.rfind(b"\n", pos, pos + room + 1)
            if j < 0:
                raise _line_too_long(self._source, _line_number(self._path, self._offset + pos - run))
            pos, run = j + 1, 0

    def close(self) -> None:
        self._f.close()
        super().close()


def _iter_csv(
    path: Path,
    source: str,
    columns: list[str],
    start: int = 0,
    end: int | None = None,
    names: list[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a CSV log (or, for Dask, the lines of one byte range; ``names`` is the header)."""
    import pyarrow.csv as pcsv

    # Every column is read as text: account ids are identifiers, not numbers ("007"
    # and "7" are different accounts), and timestamps are parsed by _timestamps_us
    # so that naive and offset values can be mixed.
    convert = pcsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        include_columns=columns,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    stream = _CheckedStream(path, source, start, end)
    try:
        if stream.empty:
            return
        read = pcsv.ReadOptions(
            block_size=_TEXT_BLOCK_BYTES, use_threads=True, column_names=names if start > 0 else None
        )
        yield from pcsv.open_csv(stream, read_options=read, convert_options=convert)
    except (pa.ArrowException, OSError) as e:
        raise _csv_error(path, source, e) from None
    finally:
        stream.close()


def _csv_error(path: Path, source: str, error: Exception) -> EvidenceError:
    """Name the record pyarrow refused: re-read on one thread, which numbers rows (error path)."""
    import pyarrow.csv as pcsv

    if isinstance(error, OSError) and not isinstance(error, pa.ArrowException):
        return EvidenceError(f"{source}: cannot read file ({error.strerror or error})")
    found: list[Any] = []

    def invalid(row: Any) -> str:
        found.append(row)
        return "error"

    try:
        with _CheckedStream(path, source) as stream:
            reader = pcsv.open_csv(
                stream,
                read_options=pcsv.ReadOptions(block_size=_TEXT_BLOCK_BYTES, use_threads=False),
                parse_options=pcsv.ParseOptions(invalid_row_handler=invalid),
                convert_options=pcsv.ConvertOptions(column_types={}, include_columns=[]),
            )
            for _ in reader:
                pass
    except pa.ArrowException as e:
        error = e
    if found and found[0].number is not None:
        row = found[0]
        # pyarrow numbers records from 1 with the header; rows here exclude it.
        return EvidenceError(
            f"{source}: row {row.number - 1}: expected {row.expected_columns} columns as in the header, "
            f"found {row.actual_columns}"
        )
    return EvidenceError(f"{source}: not valid CSV ({error})")


def _iter_jsonl(
    path: Path,
    source: str,
    columns: list[str],
    start: int = 0,
    end: int | None = None,
    names: list[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a JSON Lines log (or the lines of one byte range, for Dask)."""
    # pyarrow.json reads whole inputs, so feed it blocks of complete lines to keep
    # memory bounded by the block size (the stream caps the line left over).
    try:
        with _CheckedStream(path, source, start, end) as stream:
            offset = stream.start  # of the next chunk
            first_line: int | None = 1 if offset == 0 else None  # counted only from the file's start
            rest = b""
            while True:
                block = stream.read(_TEXT_BLOCK_BYTES)
                data = rest + block if rest else block
                if not block:
                    chunk, rest = data, b""
                else:
                    cut = data.rfind(b"\n") + 1
                    chunk, rest = data[:cut], data[cut:]
                if chunk and not chunk.isspace():
                    yield from _parse_json_block(chunk, source, columns, path, offset, first_line).to_batches()
                offset += len(chunk)
                if first_line is not None:
                    first_line += chunk.count(b"\n")
                if not block:
                    return
    except OSError as e:
        raise EvidenceError(f"{source}: cannot read file ({e.strerror or e})") from None


def _json_attempts(columns: list[str]) -> list[dict[str, pa.DataType]]:
    # Strings first; ids written as JSON integers are common, so retry with integer
    # id columns (cast to text later) before giving up.
    return [
        {c: pa.string() for c in columns},
        {c: (pa.string() if c == TS else pa.int64()) for c in columns},
        {TS: pa.string(), ACCOUNT: pa.int64(), **({CAPABILITY: pa.string()} if CAPABILITY in columns else {})},
        {TS: pa.string(), ACCOUNT: pa.string(), **({CAPABILITY: pa.int64()} if CAPABILITY in columns else {})},
    ]


def _try_json_block(chunk: bytes, columns: list[str]) -> pa.Table | pa.ArrowInvalid:
    """The block as a table, or pyarrow's error from the last schema tried."""
    import pyarrow.json as pjson

    read = pjson.ReadOptions(use_threads=True, block_size=_TEXT_BLOCK_BYTES + MAX_LINE_BYTES + 1)
    error = pa.ArrowInvalid("no schema tried")
    for types in _json_attempts(columns):
        opts = pjson.ParseOptions(
            explicit_schema=pa.schema(list(types.items())), unexpected_field_behavior="ignore"
        )
        try:
            return pjson.read_json(io.BytesIO(chunk), read_options=read, parse_options=opts)
        except pa.ArrowInvalid as e:
            error = e
    return error


def _parse_json_block(
    chunk: bytes, source: str, columns: list[str], path: Path, offset: int, first_line: int | None
) -> pa.Table:
    """Parse a block of whole lines starting at byte ``offset`` (line ``first_line`` if known)."""
    result = _try_json_block(chunk, columns)
    if isinstance(result, pa.Table):
        return result
    if first_line is None:
        first_line = _line_number(path, offset)
    raise _json_block_error(chunk, source, columns, first_line)


def _json_block_error(chunk: bytes, source: str, columns: list[str], first_line: int) -> EvidenceError:
    """Find the first offending line of a block pyarrow refused, and say why."""
    kinds: dict[str, str] = {}
    lines = chunk.split(b"\n")
    for index, raw in enumerate(lines):
        lineno = first_line + index
        if not raw.strip():
            continue
        try:
            record = dict(_json_record(raw, source, lineno))
        except EvidenceError as e:
            return e
        for col in (TS, ACCOUNT, CAPABILITY):
            value = record.get(col)
            if value is None:
                continue
            if col == TS and not isinstance(value, str):
                return EvidenceError(
                    f'{source}: line {lineno}: column "ts": {_EXPECTED_TS}, as a JSON string '
                    f"(found {_json_kind(value)})"
                )
            kind = "string" if isinstance(value, str) else "integer" if type(value) is int else "other"
            if kind == "other":
                return EvidenceError(
                    f'{source}: line {lineno}: column "{col}": expected a string or an integer, '
                    f"found {_json_kind(value)}"
                )
            if kind == "integer" and not -(1 << 63) <= value < 1 << 63:
                return EvidenceError(
                    f'{source}: line {lineno}: column "{col}": integer out of the 64-bit range; '
                    "write such an id as a string"
                )
            if kinds.setdefault(col, kind) != kind:
                return EvidenceError(
                    f'{source}: line {lineno}: column "{col}" mixes strings and integers; expected one kind'
                )
    # Nothing Python's json objects to: bisect for the shortest prefix pyarrow refuses.
    lo, hi = 1, len(lines)
    while lo < hi:
        mid = (lo + hi) // 2
        if isinstance(_try_json_block(b"\n".join(lines[:mid]), columns), pa.Table):
            lo = mid + 1
        else:
            hi = mid
    error = _try_json_block(b"\n".join(lines[:lo]), columns)
    # pyarrow's "in row N" counts within the prefix tried: the line number replaces it.
    why = f" ({re.sub(r' in row [0-9]+$', '', str(error))})" if isinstance(error, pa.ArrowInvalid) else ""
    return EvidenceError(f"{source}: line {first_line + lo - 1}: not valid JSON Lines{why}")


def _prefetch(batches: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """Run ``batches`` on a thread, ``depth`` items ahead, so reading overlaps counting.

    The bounded queue keeps memory at a few batches. Exceptions from the reader are
    re-raised in the consumer.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("done", None))
        except BaseException as e:  # re-raised in the consumer thread
            q.put(("error", e))
        finally:
            # Close the reader here, on its own thread, so that its thread pool and
            # open file are released even when the consumer stopped early.
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="evidence-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        # Unblock a producer waiting on a full queue, then let it finish.
        while thread.is_alive():
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


_READERS: dict[str, Callable[..., Iterator[pa.RecordBatch]]] = {
    "parquet": _iter_parquet,
    "csv": _iter_csv,
    "jsonl": _iter_jsonl,
}


# --------------------------------------------------------------------------- per-batch normalisation


def _row_label(row_offset: int | None, index: int) -> str:
    return f" row {row_offset + index + 1}:" if row_offset is not None else ""


def _first_null(arr: pa.Array) -> int:
    return int(pc.index(pc.is_null(arr), True).as_py())


def _timestamps_us(arr: pa.Array, source: str, row_offset: int | None) -> np.ndarray:
    """Return the ``ts`` column as int64 microseconds since the epoch, UTC.

    Raises:
        EvidenceError: a missing value, an unparseable string, or a column type that
            holds no date-times.
    """
    if arr.null_count:
        i = _first_null(arr)
        raise EvidenceError(f'{source}:{_row_label(row_offset, i)} missing timestamp in column "ts"; {_EXPECTED_TS}')
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_timestamp(t):
        # Arrow stores tz-aware timestamps as UTC instants and naive ones as wall
        # time, which by definition here is UTC: the integers are already UTC.
        raw = arr.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return _to_us(raw, t.unit)
    if pa.types.is_date32(t):
        return arr.cast(pa.int64()).to_numpy(zero_copy_only=False) * US_PER_DAY
    if pa.types.is_date64(t):
        return arr.cast(pa.int64()).to_numpy(zero_copy_only=False) * 1000
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _parse_strings(arr, source, row_offset)
    raise EvidenceError(f'{source}: column "ts" holds {t} values; {_EXPECTED_TS}')


def _to_us(raw: np.ndarray, unit: str) -> np.ndarray:
    if unit == "us":
        return raw
    if unit == "ns":
        return raw // 1000  # floor, so truncation agrees with the day boundaries
    return raw * (1_000_000 if unit == "s" else 1000)


def _cast_strings(arr: pa.Array, tz: str | None) -> np.ndarray | None:
    """Parse ISO 8601 strings that all have (``tz="UTC"``) or all lack a zone; None if any fails."""
    # Microseconds first for the wider year range; nanoseconds for more than six
    # fractional digits.
    for unit in ("us", "ns"):
        try:
            parsed = pc.cast(arr, pa.timestamp(unit, tz))
        except pa.ArrowInvalid:
            continue
        return _to_us(parsed.cast(pa.int64()).to_numpy(zero_copy_only=False), unit)
    return None


def _parse_strings(arr: pa.Array, source: str, row_offset: int | None) -> np.ndarray:
    # pyarrow parses a column of one kind (all naive or all with a zone) fast, but
    # failing on the other kind costs ~20x a successful parse. So guess the kind from
    # the first value: naive logs take one cast, the rest are split by a regex.
    if not re.search(_ZONE_RE, arr[0].as_py().strip()):
        out = _cast_strings(arr, None)
        if out is not None:
            return out
    trimmed = pc.utf8_trim_whitespace(arr)
    zoned = pc.match_substring_regex(trimmed, _ZONE_RE).to_numpy(zero_copy_only=False)
    out = np.empty(len(arr), dtype=np.int64)
    for tz, mask in (("UTC", zoned), (None, ~zoned)):
        if not mask.any():
            continue
        part = _cast_strings(trimmed.filter(pa.array(mask)), tz)
        if part is None:
            index = np.flatnonzero(mask)[_first_unparseable(trimmed.filter(pa.array(mask)), tz)]
            shown = arr[int(index)].as_py()
            if len(shown) > 40:
                shown = shown[:40] + "..."
            raise EvidenceError(
                f'{source}:{_row_label(row_offset, int(index))} unparseable timestamp "{shown}" in column "ts"; '
                f"{_EXPECTED_TS}"
            )
        out[mask] = part
    return out


def _first_unparseable(arr: pa.Array, tz: str | None) -> int:
    # Error path only: narrow down with slices, then try values one by one.
    step = 4096
    for start in range(0, len(arr), step):
        piece = arr.slice(start, step)
        if _cast_strings(piece, tz) is None:
            for j in range(len(piece)):
                if _cast_strings(piece.slice(j, 1), tz) is None:
                    return start + j
    return 0  # unreachable when the whole array failed to parse


def _dictionary(arr: pa.Array, column: str, source: str) -> pa.DictionaryArray:
    """Return an id-like column as a dictionary array with string values and no nulls."""
    t = arr.type
    value_type = t.value_type if pa.types.is_dictionary(t) else t
    if not (
        pa.types.is_string(value_type) or pa.types.is_large_string(value_type) or pa.types.is_integer(value_type)
    ):
        raise EvidenceError(f'{source}: column "{column}" holds {value_type} values; expected strings or integers')
    if not pa.types.is_dictionary(t):
        arr = pc.dictionary_encode(arr)
    if not pa.types.is_string(arr.type.value_type):
        # Only the small dictionary is converted, not one value per row.
        arr = pa.DictionaryArray.from_arrays(arr.indices, arr.dictionary.cast(pa.string()))
    return arr


# --------------------------------------------------------------------------- aggregation


@dataclass
class _Partial:
    """Mergeable aggregate of part of a log (picklable, for Dask workers).

    ``day``, ``code`` and ``count`` hold one entry per distinct (UTC day, account)
    pair; ``code`` indexes ``accounts``, which holds distinct account ids.
    """

    rows: int = 0
    min_us: int | None = None
    max_us: int | None = None
    accounts: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    code: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    count: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    capabilities: dict[str, int] = field(default_factory=dict)
    has_capability: bool = False


def _reduce_pairs(day: np.ndarray, code: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sum counts of equal (day, code) pairs; returns the pairs sorted by (day, code)."""
    if len(day) == 0:
        return day, code, count
    key = ((day + _DAY_OFFSET) << 32) | code
    order = np.argsort(key, kind="stable")
    key = key[order]
    count = count[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    key = key[starts]
    count = np.add.reduceat(count, starts)
    return (key >> 32) - _DAY_OFFSET, key & 0xFFFFFFFF, count


class _Accumulator:
    """Streaming aggregate over record batches with a global account dictionary.

    Account ids get dense codes in order of first appearance. Events are counted per
    (UTC day, account code): in a dense day x account grid while it is small (the
    usual case: days x accounts cells), otherwise as sparse pairs compacted as they
    grow. Memory therefore depends on distinct accounts and pairs, not rows.
    """

    def __init__(self, source: str, read_capability: bool, capability_declared: bool):
        self.source = source
        self.rows = 0
        self.min_us: int | None = None
        self.max_us: int | None = None
        self.capabilities: dict[str, int] = {}
        self.read_capability = read_capability
        self.capability_declared = capability_declared
        self.capability_seen = False
        self._values = pa.array([], pa.string())
        # Dense mode: day -> counts per account code (arrays share one capacity).
        self._grid: dict[int, np.ndarray] | None = {}
        self._capacity = 0
        # Sparse mode: compacted pairs plus pending per-batch pairs.
        self._pairs: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
        )
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_len = 0

    def add(self, batch: pa.RecordBatch | pa.Table, row_offset: int | None) -> None:
        """Count one batch; ``row_offset`` (rows before it in the file) is for messages."""
        n = batch.num_rows
        if n == 0:
            return
        ts_col = batch.column(TS)
        acct_col = batch.column(ACCOUNT)
        if isinstance(ts_col, pa.ChunkedArray):
            ts_col = ts_col.combine_chunks()
            acct_col = acct_col.combine_chunks()
        ts = _timestamps_us(ts_col, self.source, row_offset)
        if acct_col.null_count:
            i = _first_null(acct_col)
            raise EvidenceError(f'{self.source}:{_row_label(row_offset, i)} missing value in column "account_id"')
        accounts = _dictionary(acct_col, ACCOUNT, self.source)
        lut = self._lut(accounts.dictionary)
        local = accounts.indices.to_numpy(zero_copy_only=False)

        # Logs are usually written in time order; then each day is one slice of the
        # batch and no per-row day number is needed at all.
        in_order = n == 1 or bool((ts[1:] >= ts[:-1]).all())
        lo, hi = (int(ts[0]), int(ts[-1])) if in_order else (int(ts.min()), int(ts.max()))
        self.min_us = lo if self.min_us is None else min(self.min_us, lo)
        self.max_us = hi if self.max_us is None else max(self.max_us, hi)
        self.rows += n
        dmin, dmax = lo // US_PER_DAY, hi // US_PER_DAY
        n_days = dmax - dmin + 1
        n_local = len(lut)
        if in_order and n_days <= 64:
            bounds = np.searchsorted(ts, np.arange(dmin + 1, dmax + 1, dtype=np.int64) * US_PER_DAY)
            edges = [0, *bounds.tolist(), n]
            for i in range(n_days):
                if edges[i + 1] > edges[i]:
                    counts = np.bincount(local[edges[i] : edges[i + 1]], minlength=n_local)
                    self._add_day(dmin + i, counts, lut)
        elif n_days * n_local <= _MAX_BATCH_GRID_CELLS:
            day = ts // US_PER_DAY
            flat = np.bincount((day - dmin) * n_local + local, minlength=n_days * n_local)
            for i, counts in enumerate(flat.reshape(n_days, n_local)):
                if counts.any():
                    self._add_day(dmin + i, counts, lut)
        else:
            # A batch spanning many days with many accounts: sort instead of a grid.
            self._to_sparse()
            key = ((ts // US_PER_DAY + _DAY_OFFSET) << 32) | lut[local]
            uniq, counts = np.unique(key, return_counts=True)
            self._add_sparse((uniq >> 32) - _DAY_OFFSET, uniq & 0xFFFFFFFF, counts)

        if self.read_capability:
            cap = batch.column(CAPABILITY)
            if isinstance(cap, pa.ChunkedArray):
                cap = cap.combine_chunks()
            self._count_capabilities(cap)

    def _lut(self, values: pa.Array) -> np.ndarray:
        """Map a batch's account dictionary to global codes, assigning codes to new ids."""
        pos = pc.index_in(values, value_set=self._values)
        if pos.null_count:
            new = pc.unique(values.filter(pc.is_null(pos)))
            self._values = pa.concat_arrays([self._values, new])
            pos = pc.index_in(values, value_set=self._values)
        return pos.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)

    def _add_day(self, day: int, local_counts: np.ndarray, lut: np.ndarray) -> None:
        """Add one day's counts indexed by batch-local dictionary code."""
        n_acc = len(self._values)
        if self._grid is not None and self._grow_grid(n_acc, (day,)):
            # bincount with weights also sums duplicate dictionary entries (a Parquet
            # dictionary may legally repeat a value); float64 is exact below 2**53.
            self._grid[day][:n_acc] += np.bincount(lut, weights=local_counts, minlength=n_acc).astype(np.int64)
            return
        nz = np.flatnonzero(local_counts)
        self._add_sparse(np.full(len(nz), day, np.int64), lut[nz], local_counts[nz])

    def _grow_grid(self, n_acc: int, days: Iterable[int]) -> bool:
        """Make the dense grid cover ``n_acc`` accounts and ``days``; False if too big."""
        assert self._grid is not None
        days = [d for d in days if d not in self._grid]
        capacity = self._capacity
        if n_acc > capacity:
            capacity = max(n_acc, 2 * capacity, 1024)
        if (len(self._grid) + len(days)) * capacity > _MAX_DENSE_CELLS:
            self._to_sparse()
            return False
        if capacity != self._capacity:
            for d, row in self._grid.items():
                grown = np.zeros(capacity, np.int64)
                grown[: len(row)] = row
                self._grid[d] = grown
            self._capacity = capacity
        for d in days:
            self._grid[d] = np.zeros(capacity, np.int64)
        return True

    def _to_sparse(self) -> None:
        if self._grid is None:
            return
        for d, row in self._grid.items():
            nz = np.flatnonzero(row)
            if len(nz):
                self._add_sparse(np.full(len(nz), d, np.int64), nz.astype(np.int64), row[nz])
        self._grid = None

    def _add_sparse(self, day: np.ndarray, code: np.ndarray, count: np.ndarray) -> None:
        self._pending.append((day.astype(np.int64), code.astype(np.int64), count.astype(np.int64)))
        self._pending_len += len(day)
        # Compact once pending pairs outnumber the compacted ones: amortised
        # O(pairs log pairs) and never more than about twice the final size.
        if self._pending_len > max(len(self._pairs[0]), 1 << 20):
            self._compact()

    def _compact(self) -> None:
        parts = [self._pairs, *self._pending]
        self._pairs = _reduce_pairs(*(np.concatenate([p[i] for p in parts]) for i in range(3)))
        self._pending = []
        self._pending_len = 0

    def _count_capabilities(self, cap: pa.Array) -> None:
        self.capability_seen = self.capability_seen or cap.null_count < len(cap)
        t = cap.type
        value_type = t.value_type if pa.types.is_dictionary(t) else t
        if pa.types.is_null(value_type):
            self.capabilities[NO_CAPABILITY] = self.capabilities.get(NO_CAPABILITY, 0) + len(cap)
            return
        caps = _dictionary(cap, CAPABILITY, self.source)
        missing = caps.null_count
        indices = caps.indices
        if missing:
            indices = indices.drop_null()
        idx = indices.to_numpy(zero_copy_only=False)
        size = len(caps.dictionary)
        if size <= 16:
            # A handful of capabilities: counting by comparison beats bincount's int64 copy.
            counts = np.array([np.count_nonzero(idx == k) for k in range(size)], dtype=np.int64)
        else:
            counts = np.bincount(idx, minlength=size)
        for name, n in zip(caps.dictionary.to_pylist(), counts.tolist()):
            if n:
                key = name if name else NO_CAPABILITY
                self.capabilities[key] = self.capabilities.get(key, 0) + n
        if missing:
            self.capabilities[NO_CAPABILITY] = self.capabilities.get(NO_CAPABILITY, 0) + missing

    def partial(self) -> _Partial:
        """Return the aggregate as a :class:`_Partial` with pairs sorted by (day, code)."""
        if self._grid is not None:
            days = sorted(self._grid)
            n_acc = len(self._values)
            if days:
                flat = np.concatenate([self._grid[d][:n_acc] for d in days])
                nz = np.flatnonzero(flat)
                pairs = (np.asarray(days, np.int64)[nz // n_acc], nz % n_acc, flat[nz])
            else:
                pairs = self._pairs
        else:
            self._compact()
            pairs = self._pairs
        return _Partial(
            rows=self.rows,
            min_us=self.min_us,
            max_us=self.max_us,
            accounts=self._values,
            day=pairs[0],
            code=pairs[1],
            count=pairs[2],
            capabilities=dict(self.capabilities),
            has_capability=self.capability_declared or self.capability_seen,
        )


def _aggregate_local(path: Path, fmt: str, source: str) -> _Partial:
    columns, declared = _check_columns(path, fmt, source)
    acc = _Accumulator(source, CAPABILITY in columns, declared)
    offset = 0
    for batch in _prefetch(_READERS[fmt](path, source, columns)):
        acc.add(batch, offset)
        offset += batch.num_rows
    return acc.partial()


def _merge(a: _Partial, b: _Partial) -> _Partial:
    """Combine two partials (associative and commutative up to account code order)."""
    if a.rows == 0:
        return b
    if b.rows == 0:
        return a
    accounts = pc.unique(pa.concat_arrays([a.accounts, b.accounts]))
    lut_a = pc.index_in(a.accounts, value_set=accounts).to_numpy(zero_copy_only=False).astype(np.int64)
    lut_b = pc.index_in(b.accounts, value_set=accounts).to_numpy(zero_copy_only=False).astype(np.int64)
    day, code, count = _reduce_pairs(
        np.concatenate([a.day, b.day]),
        np.concatenate([lut_a[a.code], lut_b[b.code]]),
        np.concatenate([a.count, b.count]),
    )
    caps = dict(a.capabilities)
    for k, v in b.capabilities.items():
        caps[k] = caps.get(k, 0) + v
    return _Partial(
        rows=a.rows + b.rows,
        min_us=min(a.min_us, b.min_us),  # type: ignore[type-var]
        max_us=max(a.max_us, b.max_us),  # type: ignore[type-var]
        accounts=accounts,
        day=day,
        code=code,
        count=count,
        capabilities=caps,
        has_capability=a.has_capability or b.has_capability,
    )


# --------------------------------------------------------------------------- Dask engine


def _partial_from_frame(frame: Any, source: str, read_capability: bool, capability_declared: bool) -> _Partial:
    """Aggregate one pandas partition with the local engine's code (runs on a worker)."""
    frame = frame.reset_index(drop=True)
    for col in (ACCOUNT, CAPABILITY):
        # pandas keeps JSON ids of mixed kinds as Python objects; text is what the
        # local engine compares, so convert here the same way.
        if col in frame.columns and frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    acc = _Accumulator(source, read_capability, capability_declared)
    for batch in table.to_batches():
        acc.add(batch, None)
    return acc.partial()


def _partial_from_range(
    path: Path,
    fmt: str,
    source: str,
    columns: list[str],
    names: list[str] | None,
    read_capability: bool,
    capability_declared: bool,
    start: int,
    end: int,
) -> _Partial:
    """Aggregate the lines of a text log that begin in ``[start, end)`` (runs on a worker)."""
    acc = _Accumulator(source, read_capability, capability_declared)
    for batch in _READERS[fmt](path, source, columns, start, end, names):
        acc.add(batch, None)
    return acc.partial()


def _merge_many(parts: list[_Partial]) -> _Partial:
    result = _Partial()
    for part in parts:
        result = _merge(result, part)
    return result


def _aggregate_dask(path: Path, fmt: str, source: str, scheduler: str | None) -> _Partial:
    try:
        import dask
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise EvidenceError(
            f"{source}: the dask engine needs dask[dataframe] and distributed (pip install 'reporter[dask]')"
        ) from None

    columns, declared = _check_columns(path, fmt, source)
    read_capability = CAPABILITY in columns
    if fmt == "parquet":
        try:
            # One partition per row group: the default may read a whole file as one.
            ddf = dd.read_parquet(str(path), columns=columns, split_row_groups=True)
        except Exception as e:  # dask raises many types while planning; all mean "cannot read"
            raise EvidenceError(f"{source}: cannot read with dask ({e})") from None
        partials = [
            dask.delayed(_partial_from_frame)(p, source, read_capability, declared) for p in ddf.to_delayed()
        ]
    else:
        # Text logs are split into byte ranges of whole lines, each read on a worker
        # by the local engine's reader: the same line cap, bounded memory and parsing
        # (dask's own readers hold a partition's lines, however long, in memory).
        names = _read_columns(path, fmt, source) if fmt == "csv" else None
        size = path.stat().st_size
        partials = [
            dask.delayed(_partial_from_range)(
                path, fmt, source, columns, names, read_capability, declared, start, start + _DASK_BLOCK_BYTES
            )
            for start in range(0, size, _DASK_BLOCK_BYTES)
        ]
    # Merge in a tree so no single task holds every partition's partial at once.
    while len(partials) > 1:
        partials = [dask.delayed(_merge_many)(partials[i : i + 8]) for i in range(0, len(partials), 8)]
    if not partials:
        raise _empty(source)

    if scheduler is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        client = Client(cluster, set_as_default=False)
    else:
        cluster = None
        from distributed.comm import get_address_host_port, parse_address

        try:
            # Check the address first: a Client that fails on a malformed one lingers
            # and stalls interpreter exit for 20 s.
            if parse_address(scheduler)[0] in ("tcp", "tls"):
                get_address_host_port(scheduler)
        except ValueError as e:
            raise EvidenceError(
                f'{source}: invalid Dask scheduler address "{scheduler}" ({e}); expected e.g. tcp://HOST:8786'
            ) from None
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise EvidenceError(f"{source}: cannot connect to Dask scheduler at {scheduler} ({e})") from None
    try:
        return client.compute(partials[0]).result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- final figures


def _finalize(partial: _Partial, source: str, digest: str) -> EvidenceSummary:
    if partial.rows == 0:
        raise _empty(source)
    assert partial.min_us is not None and partial.max_us is not None
    day, code, count = partial.day, partial.code, partial.count
    interactions = int(count.sum())
    if interactions != partial.rows:  # an internal invariant, not a user error
        raise AssertionError(f"pair counts {interactions} != rows {partial.rows}")

    dmin = int(day.min())
    if int(day.max()) - dmin < _MAX_DENSE_CELLS:
        offset = day - dmin
        per_day_accounts = np.bincount(offset)
        per_day_events = np.bincount(offset, weights=count).astype(np.int64)
        present = np.flatnonzero(per_day_accounts)
        days, per_day_accounts, per_day_events = present + dmin, per_day_accounts[present], per_day_events[present]
    else:
        days, inverse = np.unique(day, return_inverse=True)
        per_day_events = np.bincount(inverse, weights=count).astype(np.int64)
        per_day_accounts = np.bincount(inverse)
    daily = [
        DailyCount(date=_day_to_date(int(d), source), interactions=int(e), accounts=int(a))
        for d, e, a in zip(days.tolist(), per_day_events.tolist(), per_day_accounts.tolist())
    ]
    # float64 weights are exact: every total is below 2**53.
    per_account_totals = np.bincount(code, weights=count).astype(np.int64)
    per_account_totals = per_account_totals[per_account_totals > 0]

    return EvidenceSummary(
        interactions=interactions,
        accounts=len(per_account_totals),
        first=_us_to_datetime(partial.min_us, source),
        last=_us_to_datetime(partial.max_us, source),
        window_days=float(Fraction(partial.max_us - partial.min_us, US_PER_DAY)),
        daily=daily,
        per_account=_distribution(per_account_totals),
        per_account_daily=_distribution(count),
        by_capability=dict(sorted(partial.capabilities.items())) if partial.has_capability else {},
        source=source,
        sha256=digest,
    )


def _us_to_datetime(us: int, source: str) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=us)
    except OverflowError:
        raise EvidenceError(f'{source}: timestamp out of range in column "ts" (years 1-9999 supported)') from None


def _day_to_date(day: int, source: str) -> date:
    return _us_to_datetime(day * US_PER_DAY, source).date()


def _distribution(values: np.ndarray) -> Distribution:
    """Summarise integer counts exactly from their value -> frequency histogram."""
    if int(values.max()) < _MAX_DENSE_CELLS:  # same bound as the grid: a few MiB at most
        # Counts are small non-negative integers: a bincount histogram avoids a sort.
        hist = np.bincount(values)
        vals = np.flatnonzero(hist)
        freq = hist[vals]
    else:
        vals, freq = np.unique(values, return_counts=True)
    vals_l = [int(v) for v in vals.tolist()]
    cum = np.cumsum(freq)
    n = int(cum[-1])
    total = sum(v * int(f) for v, f in zip(vals_l, freq.tolist()))

    def at_rank(k: int) -> int:
        # The value at 0-based rank k of the sorted multiset.
        return vals_l[int(np.searchsorted(cum, k, side="right"))]

    def percentile(q: Fraction) -> float:
        h = q * (n - 1)
        lo = math.floor(h)
        frac = h - lo
        x_lo = at_rank(lo)
        if frac == 0:
            return float(x_lo)
        return float(x_lo + frac * (at_rank(lo + 1) - x_lo))

    return Distribution(
        mean=float(Fraction(total, n)),
        median=percentile(Fraction(1, 2)),
        p95=percentile(Fraction(95, 100)),
        max=vals_l[-1],
    )
