"""The fast paths give exactly what the plain ones give: parallel loading, file discovery,
JSON text, cached phrasing and one-pass sums."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter import parallel, quantities, records
from reporter.loader import find_files
from reporter.metrics import Settings, collection_metrics, dumps_json, metrics_json
from reporter.quantities import Quantity, format_quantity, parse_quantity, sum_quantities
from reporter.records import validate_files

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from gen_records import generate  # noqa: E402

BAD = {
    "zz-bad-figure.yaml": "id: bad-one\ntitle: Bad\ncategory: x\nfigures:\n  accounts: lots\n",
    "zz-bad-yaml.yaml": "id: [unclosed\n",
    "zz-duplicate.yaml": "id: incident-00003\ntitle: Again\ncategory: x\n",
    "zz-list.yaml": "- id: list-a\n  title: A\n  category: x\n- id: list-b\n  title: B\n  category: y\n  bogus: 1\n",
    "zz-empty.json": "[]",
    "zz-ok.json": '{"id": "json-one", "title": "J", "category": "x", "figures": {"users": "over 3 million"}}',
}


@pytest.fixture(autouse=True)
def _fast_paths_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests compare the fast paths with the plain ones: they must be on."""
    monkeypatch.delenv("REPORTER_NO_FAST", raising=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("corpus")
    generate(60, directory)
    for name, text in BAD.items():
        (directory / name).write_text(text)
    return directory


def _summary(report: records.ValidationReport) -> tuple:
    return (
        [(x.path, x.index, x.incident, x.incident.model_fields_set,
          {n: f.quantity for n, f in x.incident.figures.items()}) for x in report.collection.incidents],
        report.collection.files, report.problems, report.files, report.records,
    )


@pytest.mark.parametrize("cache", [False, True])
def test_parallel_loading_matches_serial(corpus: Path, monkeypatch: pytest.MonkeyPatch, cache: bool) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    serial = validate_files([corpus], workers=1)
    assert not serial.ok and len(serial.collection) == 60 + 2  # the generated ones, list-a, json-one
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    for workers in (2, 3):
        assert _summary(validate_files([corpus], workers=workers, cache=cache)) == _summary(serial)
    # and once more from the cache (or again in parallel)
    assert _summary(validate_files([corpus], workers=2, cache=cache)) == _summary(serial)


def test_metrics_json_is_the_same_from_every_path(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    valid = [p for p in corpus.iterdir() if p.name.startswith("incident-")]
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    texts = set()
    for kwargs in ({"workers": 1}, {"workers": 2}, {"cache": True}, {"cache": True}):
        collection = records.load_collection(valid, **kwargs)
        data = metrics_json(collection_metrics(collection, Settings()))
        texts.add(dumps_json(data))
        assert json.loads(dumps_json(data)) == data
    assert len(texts) == 1


def _old_find_files(paths: list[Path], suffixes: tuple[str, ...] = (".yaml", ".yml", ".json")) -> list:
    found: dict[Path, str] = {}
    for path_given in paths:
        if path_given.is_dir():
            for child in sorted(path_given.rglob("*")):
                if child.is_file() and child.suffix.lower() in suffixes and not any(
                    part.startswith(".") for part in child.relative_to(path_given).parts
                ):
                    found.setdefault(child.resolve(), str(child))
        else:
            found.setdefault(path_given.resolve(), str(path_given))
    return sorted(found.items(), key=lambda item: item[1])


def test_find_files_matches_rglob(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for rel in ("a.yaml", "b.YML", "c.json", "d.txt", ".hidden.yaml", "sub/e.yaml", "sub/deeper/f.yml",
                ".git/g.yaml", "sub/.h/i.yaml", "Z.yaml", "sub2/j.json"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    (root / "link.yaml").symlink_to(root / "a.yaml")
    (root / "dirlink").symlink_to(root / "sub")
    (root / "broken.yaml").symlink_to(root / "nowhere.yaml")
    (root / "dir.yaml").mkdir()
    for paths in ([root], [root / "sub", root], [root / "a.yaml", root], [tmp_path / "root" / ".." / "root"]):
        assert find_files(paths) == _old_find_files(paths)


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
))
@settings(max_examples=300, deadline=None)
def test_dumps_json_matches_json_dumps(data: object) -> None:
    text, expected = dumps_json(data), json.dumps(data, indent=2, ensure_ascii=False)
    assert json.loads(text) == json.loads(expected)
    if "e" not in "".join(repr(x) for x in _floats(data)):  # the one difference: 0.00001, not 1e-05
        assert text == expected


def _floats(data: object) -> list[float]:
    if isinstance(data, float):
        return [data]
    items = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    return [x for item in items for x in _floats(item)]


def test_dumps_json_writes_small_floats_without_exponent() -> None:
    assert dumps_json({"rate": 1e-05, "n": [1, 2.5]}) == '{\n  "rate": 0.00001,\n  "n": [\n    1,\n    2.5\n  ]\n}'


def test_dumps_json_falls_back_for_other_values() -> None:
    for data in ({1: "int key"}, [2**70], {"k": [10**20]}):
        assert dumps_json(data) == json.dumps(data, indent=2, ensure_ascii=False)


_FIGURES = st.sampled_from(["25,000", "about 25,000", "over 13 million", "3 to 4 million", "fewer than 100",
                            "up to 2 billion", "at least 3.4M", "0", "about 0.5", "1"])


@given(_FIGURES, _FIGURES, st.sampled_from(["en_US", "de_DE", "en_GB"]), st.integers(1, 6),
       st.sampled_from([None, "days", "per day", "accounts", "widgets"]))
@settings(max_examples=300, deadline=None)
def test_cached_phrasing_matches_uncached(a: str, b: str, locale: str, sig_figs: int, unit: str | None) -> None:
    for q in (parse_quantity(a), (parse_quantity(a) / parse_quantity(b)).with_unit(unit),
              (parse_quantity(a) + parse_quantity(b)).with_unit(unit)):
        assert format_quantity(q, locale, sig_figs) == quantities._format_quantity(q, locale, sig_figs)
        assert format_quantity(q, locale, sig_figs) == format_quantity(q, locale, sig_figs)


def test_signed_zero_is_not_confused_by_the_cache() -> None:
    plus, minus = Quantity.exact(0.0), Quantity.exact(-0.0)
    assert format_quantity(plus) == quantities._format_quantity(plus)
    assert format_quantity(minus) == quantities._format_quantity(minus)


@given(st.lists(st.floats(min_value=0, max_value=1e15, allow_nan=False), max_size=30))
@settings(max_examples=300, deadline=None)
def test_exact_sum_is_exact(xs: list[float]) -> None:
    assert quantities._exact_sum(xs) == sum((Fraction(x) for x in xs), Fraction(0))


@given(st.lists(_FIGURES.map(parse_quantity), min_size=2, max_size=8))
@settings(max_examples=200, deadline=None)
def test_one_pass_sum_rounds_the_exact_sum_once(qs: list[Quantity]) -> None:
    total = sum_quantities(qs)
    low = sum((Fraction(q.low or 0) for q in qs), Fraction(0))
    assert total.low == quantities._down(low)
    if all(q.high is not None for q in qs):
        high = sum((Fraction(q.high) for q in qs), Fraction(0))
        assert total.high == quantities._up(high)
    pairwise = qs[0]
    for q in qs[1:]:
        pairwise = pairwise + q
    assert pairwise.low <= total.low  # rounding once is never looser than rounding at every step


def test_seed_rate_stays_exact_and_phrased_as_about() -> None:
    rate = (Quantity.exact(28.8e6) / Quantity.exact(44)).with_unit("per day")
    assert rate.qualifier is quantities.Qualifier.EXACT
    assert rate.low < Fraction(28_800_000, 44) < rate.high  # not a float: bounds one step apart around it
    assert format_quantity(rate) == "about 654,500 per day"


def test_metrics_from_worker_processes_match_the_ordinary_path(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    import functools

    from reporter.cli import TableFormat, _incident_output, _process_output
    from reporter.metrics import Tally, metrics_json_text

    valid = [p for p in corpus.iterdir() if p.name.startswith("incident-")]
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    monkeypatch.setattr(parallel, "_SMALLEST_CHUNK", 7)
    settings = Settings()
    expected = dumps_json(metrics_json(collection_metrics(records.load_collection(valid, workers=1), settings))) + "\n"
    for workers in (2, 3):
        processes = records.map_incidents(valid, functools.partial(_incident_output, settings=settings,
                                                                   format=TableFormat.JSON),
                                          reduce=functools.partial(_process_output, format=TableFormat.JSON),
                                          workers=workers)
        assert processes is not None and len(processes) == workers
        tally = functools.reduce(Tally.merge, [Tally.from_plain(plain) for plain, _ in processes])
        runs = sorted((run for _, process_runs in processes for run in process_runs), key=lambda run: run[0])
        assert metrics_json_text(tally.finish(settings, {}), [text for _, text in runs]) == expected


def test_metrics_json_text_splices_shares_into_the_one_layout(corpus: Path) -> None:
    """The "incidents" members written share by share (any split, empty shares too) make the
    same document as writing it whole."""
    from reporter.metrics import incident_json, incidents_json, metrics_json_text

    valid = [p for p in corpus.iterdir() if p.name.startswith("incident-")][:7]
    computed = collection_metrics(records.load_collection(valid, workers=1), Settings())
    whole = metrics_json_text(computed)
    assert whole == dumps_json(metrics_json(computed)) + "\n"
    entries = [(m.id, incident_json(m, computed.settings)) for m in computed.incidents.values()]
    for cuts in ([], [0], [3], [1, 1, 5], [7]):
        bounds = [0, *cuts, len(entries)]
        texts = [incidents_json(dict(entries[a:b])) for a, b in zip(bounds, bounds[1:])]
        assert metrics_json_text(computed, texts) == whole, cuts
    empty = collection_metrics([], Settings())
    assert metrics_json_text(empty, [""]) == metrics_json_text(empty) and '"incidents": {},' in metrics_json_text(empty)


def _slow_here(start: int, stop: int) -> list[tuple[int, int]]:
    import time

    time.sleep(0.02)  # so that the workers surely claim chunks too
    return [(n, os.getpid()) for n in range(start, stop)]


def _there(start: int, stop: int) -> list[tuple[int, int]]:
    return [(n, os.getpid()) for n in range(start, stop)]


@pytest.mark.parametrize("workers", [2, 3])
def test_processes_claim_consecutive_chunks_in_turn(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Every item is done once, each process gathers its chunks in order, and workers (not only
    this process, which is slow here) do some: a faster CPU does more."""
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    monkeypatch.setattr(parallel, "_SMALLEST_CHUNK", 3)
    processes = parallel.run(None, 200, workers, _slow_here, _there)
    assert len(processes) == workers and [here for _, here in processes] == [True] + [False] * (workers - 1)
    chunks = sorted(chunk for gathered, _ in processes for chunk in gathered)
    assert [start for start, _, _ in chunks] == [0, *(stop for _, stop, _ in chunks[:-1])]
    assert chunks[-1][1] == 200
    assert [n for _, _, result in chunks for n, _ in result] == list(range(200))
    for gathered, here in processes:
        assert gathered == sorted(gathered)  # each process's chunks in order
        assert all((pid == os.getpid()) == here for _, _, result in gathered for _, pid in result)
    assert any(gathered for gathered, here in processes if not here)  # workers did some
    sizes = [stop - start for start, stop, _ in chunks]
    assert sizes[0] > sizes[-1] >= 3  # large chunks first, small towards the end


@pytest.mark.parametrize("count", [1, 99, 500, 10_000, 10**7])
@pytest.mark.parametrize("workers", [2, 8])
def test_chunks_cover_everything_once_and_fit_in_a_pipe(count: int, workers: int) -> None:
    chunks = parallel._chunks(count, workers)
    assert chunks[0][0] == 0 and chunks[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert all(start < stop for start, stop in chunks)
    assert len(chunks) * parallel._CHUNK.size <= 4096  # written at once before any process reads


def test_a_file_changed_while_read_is_noticed(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start before this process has read the files (for the cache key): if what a
    worker read differs from what this process read, the job says so (and reporter metrics
    then does not cache its output under that key)."""
    import time

    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    monkeypatch.setattr(parallel, "_SMALLEST_CHUNK", 3)
    valid = sorted(p for p in corpus.iterdir() if p.name.startswith("incident-"))
    files = find_files(valid)
    for edited in (False, True):
        job = records.start_map(valid, lambda incident: incident.id, files=files, workers=2)
        assert job is not None
        time.sleep(0.3)  # the worker claims (and reads) files before this process joins in
        raws = [resolved.read_bytes() + (b"\n# edited\n" if edited else b"") for resolved, _ in files]
        assert job.result(raws) == [p.stem for p in valid]
        assert job.changed is edited


def _failing_there(start: int, stop: int) -> None:
    raise ValueError("no such thing")


def _sleeping_there(start: int, stop: int) -> None:
    import time

    time.sleep(60)


def test_a_failing_worker_is_reported_and_a_cancelled_one_stops_at_once() -> None:
    import time

    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    with pytest.raises(parallel.WorkerError, match="ValueError: no such thing"):
        parallel.run(None, 1000, 2, _slow_here, _failing_there)
    workers = parallel.Pool(None, 1000, 2, _sleeping_there, list)
    (pid, _), = workers.children
    time.sleep(0.2)  # the worker is asleep in its first chunk
    started = time.perf_counter()
    workers.cancel()
    assert time.perf_counter() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # gone, and reaped
    assert parallel._JOB is None


def _tally_inputs(directory: Path) -> list:
    """Incidents whose sums take every branch: unknown figures, units, one-member rows, open
    windows, partial dates, actors shared across incidents."""
    from reporter.metrics import incident_metrics

    texts = [
        "id: a\ntitle: A\ncategory: x\nwindow: {start: 2024-05, end: 2024-06-03}\n"
        "figures: {accounts: about 10, interactions: 1000}\nactors: [{name: P, figures: {interactions: over 10}}]",
        "id: b\ntitle: B\ncategory: y\nwindow: {start: 2024-05-02, end: null}\n"
        "figures: {accounts: {value: 5, unit: seats}, interactions: 2.5 million}\n"
        "actors: [{name: P, figures: {interactions: 3 to 4}}, {name: Q, figures: {accounts: under 3}}]",
        "id: c\ntitle: C\ncategory: x\ntimeline: {detected: 2023}\nfigures: {interactions: 3 to 9, accounts: at most 7, hours: at most 7.25}",
        "id: d\ntitle: D\ncategory: z\nfigures: {accounts: over 1, hours: over 0.5, interactions: at least 3}",
        "id: e\ntitle: E\ncategory: x\nwindow: {start: 2024-05-20, end: 2024-07-01}\n"
        "timeline: {detected: 2024-05-21, reported: 2024-08-01}\nfigures: {accounts: 1, hours: 1e-3}\n"
        "actors: [{name: Q, figures: {accounts: 2}}]",
    ]
    for n, text in enumerate(texts):
        (directory / f"{n}.yaml").write_text(text)
    report = records.validate_files([directory])
    assert report.ok, report.problems
    return [incident_metrics(loaded.incident, Settings()) for loaded in report.collection.incidents]


@pytest.mark.parametrize("actors", [True, False])
@pytest.mark.parametrize("as_of", [None, date(2024, 9, 1)])
def test_tallies_of_parts_merge_into_the_whole(actors: bool, as_of: date | None, tmp_path: Path) -> None:
    """A collection split into parts in any way (each process reads chunks from all over the
    collection), tallied part by part through the plain form workers send and merged in any
    order, gives the metrics of the whole."""
    import dataclasses
    import functools
    import marshal
    import random

    from reporter.metrics import Tally, combine_metrics

    per_incident = _tally_inputs(tmp_path)
    # Unknown figures (their reasons differ here) are summed in collection order: the first reason wins.
    unknowns = [dataclasses.replace(m, id=f"{m.id}-u", figures={**m.figures, "accounts": Quantity.unknown(f"reason {n}")})
                for n, m in enumerate(per_incident[1:3])]
    settings = Settings()
    pick = random.Random(7)
    for order in (per_incident, per_incident[::-1], [*per_incident, *unknowns], [unknowns[1], *per_incident, unknowns[0]]):
        whole = combine_metrics(order, settings, actors=actors, as_of=as_of)
        kinds = {q.qualifier.value for b in whole.breakdowns.values() for g in b.values() for q in g.figures.values()}
        if order is per_incident:
            assert kinds >= {"exact", "about", "over", "at-least", "at-most", "range"}  # the inputs reach every branch
        first_unknown = next((m.figures["accounts"].reason for m in order if m in unknowns), None)
        assert whole.totals["accounts"].reason == first_unknown
        for _ in range(40):
            part_of = [pick.randrange(3) for _ in order]
            parts = []
            for part in range(3):
                at = [n for n in range(len(order)) if part_of[n] == part]
                tally = Tally.of([order[n] for n in at], actors=actors, positions=at)
                parts.append(Tally.from_plain(marshal.loads(marshal.dumps(tally.to_plain()))))
            pick.shuffle(parts)
            merged = functools.reduce(Tally.merge, parts)
            assert merged.finish(settings, {m.id: m for m in order}, as_of=as_of) == whole, part_of


def test_map_incidents_leaves_problems_to_the_ordinary_path(corpus: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    assert records.map_incidents([corpus], lambda incident: incident.id, workers=2) is None  # invalid files
    valid = sorted(p for p in corpus.iterdir() if p.name.startswith("incident-"))
    assert records.map_incidents(valid, lambda incident: incident.id, workers=2) == [p.stem for p in valid]
    (tmp_path / "again.yaml").write_text(valid[0].read_text())
    assert records.map_incidents([*valid, tmp_path / "again.yaml"], lambda i: i.id, workers=2) is None  # repeated id

    def decline(incident: records.Incident) -> str:
        raise parallel.Declined

    assert records.map_incidents(valid, decline, workers=2) is None
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10_000)
    assert records.map_incidents(valid, lambda incident: incident.id, workers=2) is None  # too few to share out


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_reporter_metrics_prints_the_same_from_either_path(corpus: Path, tmp_path: Path, fmt: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from reporter.cli import app

    valid = tmp_path / "valid"
    valid.mkdir()
    for path in corpus.iterdir():
        if path.name.startswith("incident-"):
            (valid / path.name).write_bytes(path.read_bytes())
    args = ["metrics", str(valid), "--format", fmt, "--by", "actor"]
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10_000)
    ordinary = CliRunner().invoke(app, [*args, "--no-cache"])
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 5)
    monkeypatch.setattr(parallel, "_SMALLEST_CHUNK", 7)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    answers = []
    result = parallel.MapJob.result
    monkeypatch.setattr(parallel.MapJob, "result", lambda *a, **k: answers.append(result(*a, **k)) or answers[-1])
    shared = CliRunner().invoke(app, [*args, "--no-cache"])
    assert len(answers) == 1 and answers[0] is not None  # the worker path did answer
    assert ordinary.exit_code == shared.exit_code == 0
    assert shared.stdout == ordinary.stdout
    # With the result cache: the workers start before this process has read the files for the
    # key; a second run finds the key, stops the workers it started, and prints the same.
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "cache"))
    cancelled = []
    cancel = parallel.MapJob.cancel
    monkeypatch.setattr(parallel.MapJob, "cancel", lambda job: cancelled.append(job.workers is not None) or cancel(job))
    first, second = CliRunner().invoke(app, args), CliRunner().invoke(app, args)
    assert len(answers) == 2 and answers[1] is not None
    assert cancelled == [False, True, False]  # first run: over already; second: stopped (then over)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout == ordinary.stdout
