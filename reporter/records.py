"""Incident records, format v1: loading and validating files into a collection.

A record file holds one incident (a mapping) or several (a list). Every problem in every
file is collected and reported with its file, line, column and key; nothing stops at the
first bad file. Messages say what was expected and never repeat the offending value,
which may be confidential.

The parts: :mod:`reporter.models` (the pydantic models and the JSON Schema), :mod:`reporter.problems`
(validation errors as located problems), :mod:`reporter.parallel` (the one parallel map over files,
used here by :func:`validate_files` and :func:`start_map`) and :mod:`reporter.loader` (safe
reading). The names other modules use are importable from here too.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reporter import parallel
from reporter.errors import InputError, Problem
from reporter.fast import fast_paths_enabled
from reporter.loader import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_FILE_SIZE,
    Document,
    KeyPath,
    RECORD_SUFFIXES,
    LoadError,
    find_files,
    format_key_path,
    not_a_file,
    parse_document,
    read_raw,
)
from reporter.models import (  # noqa: F401 - re-exported: other modules import these from here
    ENUMS,
    FIGURE_NAME,
    MODELS,
    SLUG,
    SLUG_HELP,
    TECHNIQUE,
    WHEN_JSON_SCHEMA,
    Action,
    Actor,
    Attribution,
    Confidence,
    Disclosure,
    DisclosureForm,
    Evidence,
    Figure,
    Incident,
    Item,
    OneLine,
    Sensitivity,
    Source,
    Status,
    Technique,
    TimelineEvent,
    When,
    WhenField,
    Window,
    _one_line,
    record_json_schema,
    records_context,
)
from reporter.parallel import PARALLEL_THRESHOLD, Declined, MapJob, WorkerError  # noqa: F401 - re-exported
from reporter.problems import _message, _problems_from  # noqa: F401 - re-exported (cli, brief)
from reporter.quantities import Qualifier, Quantity  # noqa: F401 - re-exported
from reporter.text import control_message, flagged_strings, hidden_message


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


# ---------------------------------------------------------------------------------------
# One file


@dataclass
class _FileOutcome:
    """What one file yields on its own (duplicate ids across files are found when merging)."""

    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    items: list[tuple[int | None, Incident]] = field(default_factory=list)
    document: Document | None = None


def _check_document(doc: Document, context: dict[str, str] | None = None) -> _FileOutcome:
    """Validate a loaded file's records (``context``: :func:`~reporter.models.records_context`, the
    locale figures are read in)."""
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
        if doc.may_hide:
            problems.extend(_text_problems(doc, raw, prefix, record_id))
        try:
            incident = Incident.model_validate(raw, context=context)
        except ValidationError as exc:
            problems.extend(_problems_from(exc, doc, prefix, record_id))
            continue
        outcome.items.append((index, incident))
    return outcome


def _text_problems(doc: Document, raw: Any, prefix: KeyPath, record_id: str | None) -> list[Problem]:
    """Every string of a record (keys too) that holds a control character (an error) or a
    character that makes it display differently from what it is (a warning): see :mod:`reporter.text`."""
    problems = []
    for key_path, is_key, text in flagged_strings(raw, prefix):
        for message, severity in ((control_message(text), "error"), (hidden_message(text), "warning")):
            if message is None:
                continue
            doc.ensure_marks()
            if is_key:
                message = "the key " + message
            if record_id and prefix:
                message += f" (record {record_id})"
            problems.append(Problem(doc.path, *doc.mark(key_path, key=is_key), format_key_path(key_path), message,
                                    severity))
    return problems


def _check_file(resolved: Path, display: str, raw: bytes | None, max_file_size: int, max_depth: int,
                fast: bool = True, context: dict[str, str] | None = None) -> _FileOutcome:
    """Load and validate one file (``raw``: its bytes, if already read; ``fast``: rapidyaml may read it;
    ``context``: as for :func:`_check_document`)."""
    try:
        if raw is None:
            raw = read_raw(resolved, display, max_file_size)
        doc = parse_document(raw, resolved, display, max_depth, fast=fast)
    except LoadError as exc:
        return _FileOutcome(problems=[exc.problem])
    return _check_document(doc, context)


def _codec():  # noqa: ANN202 - imported late: only cached and parallel loading need it
    global _CODEC
    if _CODEC is None:
        from reporter.cache import Codec

        _CODEC = Codec(MODELS, ENUMS)
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


def _key(raw: bytes, resolved: Path, max_depth: int, context: dict[str, str] | None = None) -> bytes:
    from reporter.cache import file_key

    return file_key(raw, resolved.suffix, max_depth, context["locale"] if context else None)


# ---------------------------------------------------------------------------------------
# Many files: validate, and map a function over the incidents


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
    ids repeat, ``function`` raised :class:`Declined`, or the fast paths are off -- the ordinary
    path then reports any problem exactly as :func:`validate_files` does.

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
    locale: str | None = None,
) -> parallel.MapJob | None:
    """:func:`map_incidents` begun: the workers start at once, and this process joins in when
    it asks for the :meth:`~reporter.parallel.MapJob.result` (it may first do other work, such as
    reading the files for a cache key). None when the files are too few to share out, there is
    one CPU, or the fast paths are off (:func:`reporter.fast.fast_paths_enabled`). ``locale``: as
    for :func:`validate_files`."""
    context = records_context(locale)
    if files is None:
        files = find_files([Path(p) for p in paths])
    if raws is None:
        raws = [None] * len(files)

    def each_file(number: int, outcome: _FileOutcome) -> tuple[list[str], list[tuple[tuple[int, int], Any]]]:
        if any(problem.severity == "error" for problem in outcome.problems):  # warnings load all the same
            raise Declined
        return ([incident.id for _, incident in outcome.items],
                [((number, index or 0), function(incident)) for index, incident in outcome.items])

    def gather(chunks: list[tuple[int, int, list[Any]]]) -> tuple[list[str], Any]:
        ids, pairs = [], []
        for _, _, results in chunks:
            for file_ids, file_pairs in results:
                ids += file_ids
                pairs += file_pairs
        return ids, pairs if reduce is None else reduce(pairs)

    def combine(processes: list[tuple[tuple[list[str], Any], bool]]) -> list[Any] | None:
        ids = [incident_id for (process_ids, _), _ in processes for incident_id in process_ids]
        if len(set(ids)) != len(ids):
            return None
        if reduce is not None:
            return [reduced for (_, reduced), _ in processes]
        return [result for _, result in sorted((pair for (_, pairs), _ in processes for pair in pairs),
                                               key=lambda pair: pair[0])]

    check = functools.partial(_check_file, max_file_size=max_file_size, max_depth=max_depth, context=context)
    return parallel.start(files, raws, check, here=each_file, there=each_file, gather=gather, combine=combine,
                          max_file_size=max_file_size, workers=workers)


def validate_files(
    paths: Iterable[Path | str],
    *,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    cache: bool = False,
    workers: int | None = None,
    locale: str | None = None,
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
        locale: the locale records are written in (``[documents] locale`` of reporter.toml):
            figures are read in its language as well as in English ("rund 25.000" in de_DE);
            None or an English locale reads English only.

    Returns:
        The valid incidents and every problem found, sorted by file and line. The outcome
        does not depend on ``cache`` or ``workers``, nor on whether the fast paths are on
        (:func:`reporter.fast.fast_paths_enabled`: off, there is no cache, no worker and no
        rapidyaml).
    """
    # Loading builds millions of small objects and no reference cycles worth collecting: the
    # cyclic collector would rescan the growing heap again and again (a third of the time).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _validate_files(paths, max_file_size=max_file_size, max_depth=max_depth, cache=cache, workers=workers,
                               context=records_context(locale))
    finally:
        if paused:
            gc.enable()


def _validate_files(paths: Iterable[Path | str], *, max_file_size: int, max_depth: int, cache: bool,
                    workers: int | None, context: dict[str, str] | None) -> ValidationReport:
    collection = Collection()
    problems: list[Problem] = []
    records = 0
    seen_ids: dict[str, LoadedIncident] = {}
    named = [Path(p) for p in paths]
    files = find_files(named)
    fast = fast_paths_enabled()  # once for all the files

    record_cache = None
    if cache and fast:
        from reporter.cache import RecordCache

        record_cache = RecordCache()
    outcomes: list[_FileOutcome | None] = [None] * len(files)
    todo: list[int] = []
    raws: list[bytes | None] = []
    for n, (resolved, display) in enumerate(files):
        try:
            refusal = not_a_file(resolved.stat().st_mode)
        except OSError:
            refusal = "no such file or directory"
        if refusal:  # (a FIFO is never opened: reading one waits for a writer)
            outcomes[n] = _FileOutcome(problems=[Problem(display, None, None, "", refusal)])
            continue
        raw = None
        if record_cache is not None:
            try:
                raw = read_raw(resolved, display, max_file_size)
            except LoadError as exc:
                outcomes[n] = _FileOutcome(problems=[exc.problem])
                continue
            entry = record_cache.get(_key(raw, resolved, max_depth, context))
            if entry is not None:
                try:
                    outcomes[n] = _restored(entry, resolved, display, max_depth)
                    continue
                except Exception:  # noqa: BLE001 - a damaged entry: read the file instead
                    pass
        todo.append(n)
        raws.append(raw)

    checked = _check_parallel([files[n] for n in todo], raws, max_file_size, max_depth, workers,
                              record_cache, context) if fast else None
    if checked is not None:
        for n, outcome in zip(todo, checked, strict=True):
            outcomes[n] = outcome
    else:
        for n, raw in zip(todo, raws, strict=True):
            resolved, display = files[n]
            outcome = outcomes[n] = _check_file(resolved, display, raw, max_file_size, max_depth, fast, context)
            if record_cache is not None and raw is not None:
                entry = _encode(outcome)
                if entry is not None:
                    record_cache.put(_key(raw, resolved, max_depth, context), entry)
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
    # A directory named like a record file is searched as any directory; one that holds no record
    # file was probably meant as a file: say what it is.
    for given in named:
        if given.suffix.lower() in RECORD_SUFFIXES and given.is_dir() and not find_files([given]):
            problems.append(Problem(str(given), None, None, "", "is a directory, not a record file, and holds no "
                                    "record files (.yaml, .yml or .json)"))
    if not files and not problems:
        problems.append(Problem(", ".join(str(p) for p in named) or ".", None, None, "",
                                "no record files found (expected .yaml, .yml or .json)"))
    return ValidationReport(collection, sorted(problems), len(files), records)


def _check_parallel(files: list[tuple[Path, str]], raws: list[bytes | None], max_file_size: int, max_depth: int,
                    workers: int | None, cache: Any, context: dict[str, str] | None = None) -> list[_FileOutcome] | None:
    """Check files in worker processes and this one, by :func:`reporter.parallel.start`; outcomes
    in file order, or None when that does not pay (too few files, one CPU).

    Worker processes send back the compact form of valid files (cheap to rebuild); a file
    with any problem is checked again here, so that its problems and document are exactly
    those of the serial path.
    """
    check = functools.partial(_check_file, max_file_size=max_file_size, max_depth=max_depth, context=context)
    job = parallel.start(files, raws, check, here=lambda number, outcome: outcome,
                         there=lambda number, outcome: _encode(outcome), max_file_size=max_file_size,
                         workers=workers)
    if job is None:
        return None
    chunks = sorted((start, stop, results, here) for gathered, here in job.result()
                    for start, stop, results in gathered)
    outcomes: list[_FileOutcome] = []
    for start, stop, results, here in chunks:
        for (resolved, display), raw, result in zip(files[start:stop], raws[start:stop], results, strict=True):
            if here:
                outcomes.append(result)
                entry = _encode(result) if cache is not None else None
            elif result is None:
                outcomes.append(_check_file(resolved, display, raw, max_file_size, max_depth, context=context))
                continue
            else:
                outcomes.append(_restored(result, resolved, display, max_depth))
                entry = result
            if cache is not None and entry is not None and raw is not None:
                cache.put(_key(raw, resolved, max_depth, context), entry)
    return outcomes


def load_collection(paths: Iterable[Path | str], *, cache: bool = False, workers: int | None = None,
                    locale: str | None = None, **limits: int) -> Collection:
    """Load and validate records, raising :class:`InputError` with every problem if any file is invalid
    (``locale``: the records' locale, as for :func:`validate_files`)."""
    report = validate_files(paths, cache=cache, workers=workers, locale=locale, **limits)
    if not report.ok:
        raise InputError(report.problems)
    return report.collection
