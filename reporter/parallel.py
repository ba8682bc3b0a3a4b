"""One fork pool, and the one parallel map over record files that ``validate`` and ``metrics`` share.

:func:`start` begins a :class:`MapJob` over files: this process and forked workers take the
files in chunks as they get to them (large chunks first, smaller towards the end, so a faster
CPU does more of them), read and check each file, and turn each into a result; only what the
job's functions return travels back (through ``marshal``). None means "do it here, in order":
too few files to share out, one CPU, no ``fork``, or the fast paths switched off
(:func:`reporter.fast.fast_paths_enabled`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reporter.fast import fast_paths_enabled
from reporter.loader import LoadError, read_raw

PARALLEL_THRESHOLD = 500
"""Below this many files to read (cache misses), loading in worker processes does not pay."""

MAX_WORKERS = 8


class Declined(Exception):
    """Raised by a job's function for a file (or incident) that needs the ordinary path: the job's
    result is then None."""


class WorkerError(RuntimeError):
    """A worker process failed; the message holds its traceback."""


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


# -- the map over files ---------------------------------------------------------------------------

Check = Callable[[Path, str, "bytes | None"], Any]
OnFile = Callable[[int, Any], Any]


def start(files: list[tuple[Path, str]], raws: list[bytes | None], check: Check, *, here: OnFile, there: OnFile,
          gather: Callable[[list[tuple[int, int, list[Any]]]], Any] = list,
          combine: Callable[[list[tuple[Any, bool]]], Any] | None = None,
          max_file_size: int, workers: int | None = None) -> MapJob | None:
    """Files ``files`` (their bytes ``raws``, None for one to read where it is needed) shared out
    among this process and forked workers, begun at once; None when that does not pay or is off.

    Each process reads a file it claims (if not read already), ``check``s it and passes
    ``(number, outcome)`` to ``here`` (in this process) or ``there`` (in a worker), which give the
    file's result or raise :class:`Declined`. A process's chunks, as ``(start, stop, results)`` in
    order, go to ``gather``; :meth:`MapJob.result` passes ``combine`` every process's
    ``(gathered, here)``, this one first, and returns what it returns (the list itself without it).
    """
    if not fast_paths_enabled():
        return None
    workers = min(available_cpus() if workers is None else max(1, workers), MAX_WORKERS)
    if len(files) < PARALLEL_THRESHOLD or workers < 2 or not can_fork():
        return None
    return MapJob((files, raws, check, here, there, gather, max_file_size), workers, combine)


class MapJob:
    """A map over files under way (see :func:`start`): the workers start at once, and this process
    joins in when it asks for the :meth:`result` (it may first do other work, such as reading the
    files for a cache key), or stops them with :meth:`cancel`."""

    changed = False
    """Whether a file read by a worker differed from the bytes given to :meth:`result`."""

    def __init__(self, job: tuple, workers: int, combine: Callable[[list[tuple[Any, bool]]], Any] | None = None):
        self.job = job
        self.combine = combine
        self.paused = gc.isenabled()
        gc.disable()  # many small objects, no cycles
        try:
            self.workers: Pool | None = Pool(job, len(job[0]), workers, _there, _gather)
        except BaseException:
            self._resume()
            raise

    def result(self, raws: list[bytes | None] | None = None) -> Any:
        """The outcome: ``combine`` of every process's gathered chunks, or None if a file was
        declined. ``raws``: the files' bytes if this process has read them since the job started
        (the workers read what they need themselves; if any file they read differs from these
        bytes, :attr:`changed` is True afterwards)."""
        if self.workers is None:
            raise RuntimeError("the job is over")
        try:
            if raws is not None:
                self.workers.update((self.job[0], raws, *self.job[2:]))
            processes = self.workers.finish(_here)
        finally:
            self.workers = None
            self._resume()
        if any(gathered is None for gathered, _ in processes):
            return None
        if raws is not None:
            # A file that changed while the processes read it: the output is what was read, but
            # it must not be cached under the key of the other bytes.
            self.changed = any(raws[number] is None or hash(raws[number]) != digest
                               for (_, read), _ in processes for number, digest in read)
        gathered = [(value, here) for (value, _), here in processes]
        return gathered if self.combine is None else self.combine(gathered)

    def cancel(self) -> None:
        """Stop the job: its workers end at once."""
        if self.workers is not None:
            self.workers.cancel()
            self.workers = None
            self._resume()

    def _resume(self) -> None:
        if self.paused:
            gc.enable()


def _files(start: int, stop: int, on_file: OnFile) -> tuple[list[Any], list[tuple[int, int]]] | None:
    """Files ``start:stop`` of the job: each one's result, and the number and hash of each file
    read here (not handed over already read); None if one was declined."""
    files, raws, check, _, _, _, max_file_size = _JOB[0]
    results, read = [], []
    for number in range(start, stop):
        resolved, display = files[number]
        raw = raws[number]
        if raw is None:
            with contextlib.suppress(LoadError):  # check reads it again, and says what is wrong
                raw = read_raw(resolved, display, max_file_size)
                read.append((number, hash(raw)))
        try:
            results.append(on_file(number, check(resolved, display, raw)))
        except Declined:
            return None
    return results, read


def _here(start: int, stop: int) -> Any:
    return _files(start, stop, _JOB[0][3])


def _there(start: int, stop: int) -> Any:
    return _files(start, stop, _JOB[0][4])


def _gather(chunks: list[tuple[int, int, Any]]) -> tuple[Any, list[tuple[int, int]]] | None:
    """A process's chunks: the job's ``gather`` of their results, and the files read; None if any
    chunk was declined."""
    if any(result is None for _, _, result in chunks):
        return None
    read = [entry for _, _, (_, chunk_read) in chunks for entry in chunk_read]
    return _JOB[0][5]([(start, stop, results) for start, stop, (results, _) in chunks]), read


# -- the fork pool --------------------------------------------------------------------------------

# Set before worker processes fork, so that they inherit it rather than receive it.
_JOB: Any = None


def run(job: Any, count: int, workers: int, here: Callable[[int, int], Any], there: Callable[[int, int], Any],
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
    return Pool(job, count, workers, there, gather).finish(here)


def job() -> Any:
    """The job of the pool this process belongs to (in a worker: the one it was forked with)."""
    return None if _JOB is None else _JOB[0]


class Pool:
    """Forked processes that claim chunks of a job (see :func:`run`) from the moment they start;
    this process joins in with :meth:`finish`, or stops them with :meth:`cancel`.

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
