"""REPORTER_NO_FAST=1 turns every fast path off, and the output does not change by a byte.

The fast paths (reporter.fast): rapidyaml reading, worker processes, the record cache and
the result cache. Each test runs the commands with the switch off and on and compares what
they print and write; with a collection large enough for the worker path, it also checks
that the workers really ran (on) and really did not (off).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from reporter import cache, loader, parallel, records
from reporter.fast import SWITCH, fast_paths_enabled
from tests.support import run_in

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from gen_records import generate  # noqa: E402


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of each fast path's use in this process: forks, rapidyaml reads, cache reads and writes."""
    counts = {"forks": 0, "rapidyaml": 0, "record_cache": 0, "result_get": 0, "result_put": 0}

    def count(name: str, function):  # noqa: ANN001, ANN202
        def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            counts[name] += 1
            return function(*args, **kwargs)
        return spy

    monkeypatch.setattr(parallel, "_fork", count("forks", parallel._fork))
    monkeypatch.setattr(loader, "fast_yaml", count("rapidyaml", loader.fast_yaml))
    monkeypatch.setattr(cache.RecordCache, "_load", count("record_cache", cache.RecordCache._load))
    original_get, original_put = cache.ResultCache.get, cache.ResultCache.put

    def get(self, key):  # noqa: ANN001, ANN202
        found = original_get(self, key)
        counts["result_get"] += found is not None
        return found

    def put(self, key, text):  # noqa: ANN001, ANN202
        before = len(list(self.directory.iterdir())) if self.directory.exists() else 0
        original_put(self, key, text)
        counts["result_put"] += len(list(self.directory.iterdir())) > before if self.directory.exists() else 0

    monkeypatch.setattr(cache.ResultCache, "get", get)
    monkeypatch.setattr(cache.ResultCache, "put", put)
    return counts


def _switch(monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    if fast:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, "1")
    assert fast_paths_enabled() is fast


def test_the_switch_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, enabled in ((None, True), ("", True), ("0", True), ("1", False), ("yes", False)):
        if value is None:
            monkeypatch.delenv(SWITCH, raising=False)
        else:
            monkeypatch.setenv(SWITCH, value)
        assert fast_paths_enabled() is enabled


def _outputs(args_list: list[list[str]]) -> list[tuple[int, str]]:
    results = [run_in(ROOT, args) for args in args_list]
    return [(result.exit_code, result.stdout) for result in results]


_EXAMPLE_COMMANDS = [
    ["metrics", "incidents/", "--format", "json"],
    ["metrics", "incidents/", "--format", "csv"],
    ["metrics", "incidents/", "--format", "table", "--by", "actor"],
    ["validate", "incidents/"],
    ["validate", "tests/data/bad/"],
    ["check", "incidents/"],
]


def test_example_commands_print_the_same_with_the_switch_off_and_on(monkeypatch: pytest.MonkeyPatch,
                                                                   spies: dict[str, int]) -> None:
    _switch(monkeypatch, False)
    off = _outputs(_EXAMPLE_COMMANDS)
    assert spies == {"forks": 0, "rapidyaml": 0, "record_cache": 0, "result_get": 0, "result_put": 0}
    _switch(monkeypatch, True)
    on = _outputs(_EXAMPLE_COMMANDS)
    again = _outputs(_EXAMPLE_COMMANDS)  # now from the caches
    assert spies["rapidyaml"] > 0 and spies["record_cache"] > 0  # (a record citing a log: no result cache)
    assert off == on == again
    assert [code for code, _ in off] == [0, 0, 0, 0, 1, 0]


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*"))
            if path.is_file()}


def test_documents_are_the_same_bytes_with_the_switch_off_and_on(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path, spies: dict[str, int]) -> None:
    briefs = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "briefs").glob("*.yaml"))
    trees = []
    for fast in (False, True):
        _switch(monkeypatch, fast)
        out = tmp_path / ("on" if fast else "off")
        result = run_in(ROOT, ["build", *briefs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        trees.append(_tree(out))
        if not fast:
            assert spies["rapidyaml"] == spies["forks"] == spies["record_cache"] == 0
    assert trees[0] and trees[0] == trees[1]


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 records, one per file: more than parallel.PARALLEL_THRESHOLD, so the worker path runs."""
    directory = tmp_path_factory.mktemp("large")
    generate(600, directory)
    assert len(list(directory.iterdir())) > parallel.PARALLEL_THRESHOLD
    return directory


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("command", [["metrics", "--format", "json"], ["metrics", "--format", "csv"],
                                     ["metrics", "--format", "table"], ["validate"]])
def test_a_large_collection_takes_the_worker_path_only_when_on(large: Path, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path, spies: dict[str, int],
                                                               command: list[str]) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)  # a worker even on a one-CPU machine
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "cache"))
    args = [*command, str(large)]
    _switch(monkeypatch, False)
    off = run_in(ROOT, args)
    assert spies["forks"] == spies["rapidyaml"] == spies["record_cache"] == spies["result_get"] == 0
    assert spies["result_put"] == 0 and not (tmp_path / "cache").exists()
    _switch(monkeypatch, True)
    on = run_in(ROOT, args)
    assert spies["forks"] == 1  # one worker beside this process
    assert spies["rapidyaml"] > 0
    assert off.exit_code == on.exit_code == 0, off.output
    assert off.stdout == on.stdout
    if command[0] == "metrics":
        assert spies["result_put"] == 1
        again = run_in(ROOT, args)
        assert spies["result_get"] == 1 and again.stdout == off.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_library_calls_honour_the_switch(large: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         spies: dict[str, int]) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    _switch(monkeypatch, False)
    assert records.start_map([large], lambda incident: incident.id) is None
    serial = records.validate_files([large], cache=True, workers=2)
    assert spies["forks"] == spies["rapidyaml"] == spies["record_cache"] == 0
    results = cache.ResultCache(tmp_path)
    results.put("k", "text")
    assert results.get("k") is None and not (tmp_path / cache.RESULTS_DIR).exists()
    assert cache.result_key(["x"], [], [], 32) is None
    _switch(monkeypatch, True)
    job = records.start_map([large], lambda incident: incident.id)
    assert job is not None and job.result() == [loaded.incident.id for loaded in serial.collection.incidents]
    parallel_report = records.validate_files([large], workers=2)
    assert spies["forks"] == 2
    assert [x.incident for x in parallel_report.collection.incidents] == [x.incident for x in serial.collection.incidents]
    assert parallel_report.problems == serial.problems == []


def test_a_copy_of_the_examples_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The example records and the good test files, loaded with every path off and with every path on."""
    shutil.copytree(ROOT / "incidents", tmp_path / "incidents")
    shutil.copytree(ROOT / "tests" / "data" / "good", tmp_path / "good")
    reports = []
    for fast in (False, True, True):
        _switch(monkeypatch, fast)
        report = records.validate_files([tmp_path], cache=True)
        reports.append([(x.path, x.index, x.incident, x.incident.model_fields_set,
                         {n: f.quantity for n, f in x.incident.figures.items()}) for x in report.collection.incidents])
        assert report.ok, report.problems
    assert reports[0] == reports[1] == reports[2]
