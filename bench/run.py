"""Benchmarks: ``make bench`` (all cases) or ``python bench/run.py [CASE...]``.

Each case is a function taking no arguments and returning an exit status (0: within target).
Add one by writing it and naming it in ``CASES``. Generated inputs live outside the repository,
under ``${XDG_CACHE_HOME:-~/.cache}/reporter-bench/``, and are made once.

``metrics``: ``reporter metrics DIR --format json`` over 10,000 generated records, timed as a
subprocess (wall clock, start-up included): cold (empty cache of validated files) and warm (the
cache from the run before), median of 5 each; the baseline is PyYAML's C loader reading the same
files, measured in the same run.

``documents``: the example briefs in every format, median of 5 after a warm-up, split into
import, load, metrics, Markdown, charts, HTML, PDF and write; target under 4 s; and against a
baseline in the same run, WeasyPrint alone writing the same HTML files to PDF (untagged, one
after another), with the ratio of the two; and the same briefs in German (documents.locale
de_DE), built in turn with the English ones in the same run: at most 10 % more.

``charts``: export time of each chart kind as SVG and PNG, first call and warm.

``evidence``: ``reporter evidence`` on 28.8 million events against DuckDB on the same file.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
_SCRIPT = Path(sys.executable).parent / "reporter"
REPORTER = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "reporter"]
RECORDS = 10_000
TARGET_SECONDS = 3.0
REPEATS = 5


def bench_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reporter-bench"


def records_dir(count: int = RECORDS) -> Path:
    """Generated records (made once; regenerated if incomplete)."""
    directory = bench_dir() / f"records-{count // 1000}k"
    done = directory / ".complete"
    if not done.exists():
        shutil.rmtree(directory, ignore_errors=True)
        sys.path.insert(0, str(BENCH))
        from gen_records import generate

        print(f"generating {count:,} records in {directory} ...", flush=True)
        generate(count, directory)
        done.write_text("ok\n")
    return directory


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of a command; its output is discarded, a failure stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}")
    return elapsed


_PYYAML = (
    "import sys, yaml, pathlib\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
    "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n"
)


def case_metrics() -> int:
    """reporter metrics over 10k records: cold, warm, and the PyYAML C loader baseline."""
    directory = records_dir()
    # An installed package has its bytecode compiled (pip does it on install; Python does it on
    # first import). Where PYTHONDONTWRITEBYTECODE is set, as on some CI machines, Python would
    # compile the editable checkout afresh in every run: compile it once, as an install would.
    compileall.compile_dir(ROOT / "reporter", quiet=1)
    cmd = [*REPORTER, "metrics", str(directory), "--format", "json"]
    cold, warm, baseline = [], [], []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory(prefix="reporter-bench-cache-") as cache:
            env = {**os.environ, "REPORTER_CACHE_DIR": cache}
            cold.append(timed(cmd, env))
            warm.append(timed(cmd, env))
        baseline.append(timed([sys.executable, "-c", _PYYAML, str(directory)], dict(os.environ)))
    rows = [
        ("reporter metrics, cold (no cache)", statistics.median(cold)),
        ("reporter metrics, warm (cached)", statistics.median(warm)),
        ("baseline: yaml.load CSafeLoader only", statistics.median(baseline)),
    ]
    print(f"\nmetrics: {RECORDS:,} records, wall seconds incl. start-up, median of {REPEATS}, "
          f"{os.cpu_count()} CPUs")
    print(f"  {'case':<40} {'seconds':>8} {'target':>7} {'/target':>8} {'/baseline':>10}")
    base = rows[2][1]
    for name, seconds in rows:
        target = f"{TARGET_SECONDS:.1f}" if "reporter" in name else ""
        ratio = f"{seconds / TARGET_SECONDS:.2f}" if "reporter" in name else ""
        print(f"  {name:<40} {seconds:8.2f} {target:>7} {ratio:>8} {seconds / base:10.2f}")
    print(f"  runs: cold {', '.join(f'{s:.2f}' for s in cold)}; warm {', '.join(f'{s:.2f}' for s in warm)}; "
          f"baseline {', '.join(f'{s:.2f}' for s in baseline)}")
    return 0 if rows[0][1] <= TARGET_SECONDS and rows[1][1] <= TARGET_SECONDS else 1


DOCUMENT_TARGET_SECONDS = 4.0
DOCUMENT_REPEATS = 5
GERMAN_OVER_ENGLISH = 1.10  # documents in German cost at most 10 % more than in English (#19)
_IMPORT = "import reporter.document, reporter.charts, weasyprint"


def case_documents() -> int:
    """The example briefs in every format: median of 5 after a warm-up, split by stage; then the
    same briefs in German, built in turn with the English ones, compared with them."""
    sys.path.insert(0, str(ROOT))
    import_seconds = statistics.median(
        timed([sys.executable, "-c", _IMPORT], dict(os.environ)) for _ in range(3))
    from reporter.brief import load_brief
    from reporter.config import find_config, load_config
    from reporter.document import Stopwatch, build_briefs, templates_for
    from reporter.records import load_collection

    config_path = find_config(ROOT)
    config = load_config(config_path)
    briefs = sorted((ROOT / "briefs").glob("*.yaml"))
    runs: list[tuple[float, dict[str, float]]] = []
    german_runs: list[float] = []
    baseline: list[float] = []
    formats: set[str] = set()
    # The same documents in German (documents.locale de_DE; the records still read as English),
    # built in turn with the English ones: German documents may cost at most 10 % more.
    german = config.model_copy(update={"documents": config.documents.model_copy(update={"locale": "de_DE"})})
    german._records_locale = config.records_locale
    with tempfile.TemporaryDirectory(prefix="reporter-bench-docs-") as out, \
            tempfile.TemporaryDirectory(prefix="reporter-bench-docs-de-") as out_de:
        for attempt in range(DOCUMENT_REPEATS + 1):  # the first is the warm-up
            for chosen, target in ((config, out), (german, out_de)):
                watch = Stopwatch()
                started = time.perf_counter()
                with watch.stage("load"):
                    collection = load_collection([chosen.resolve(p) for p in chosen.paths.records])
                    templates = templates_for(chosen)
                    loaded = [(path, load_brief(path, templates=templates)) for path in briefs]
                build_briefs(loaded, chosen, collection, Path(target), config_path=config_path, stopwatch=watch)
                if attempt and chosen is config:
                    runs.append((time.perf_counter() - started, watch.seconds))
                elif attempt:
                    german_runs.append(time.perf_counter() - started)
            formats |= {path.suffix.lstrip(".") for path in Path(out).iterdir() if path.is_file()}
            baseline.append(_weasyprint_alone(sorted(Path(out).glob("*.html"))))
    runs.sort(key=lambda run: run[0])
    wall, split = runs[len(runs) // 2]
    base = statistics.median(baseline[1:])
    print(f"\ndocuments: {len(briefs)} briefs x ({', '.join(sorted(formats))}), median of {DOCUMENT_REPEATS} "
          "after a warm-up")
    print(f"  {'stage':<28} {'seconds':>8}")
    print(f"  {'import (fresh process)':<28} {import_seconds:8.2f}")
    for stage in ("load", "metrics", "markdown", "charts", "html", "docx", "pdf", "write"):
        note = "   (waiting for the PDF workers, after the stages above)" if stage == "pdf" else ""
        print(f"  {stage:<28} {split.get(stage, 0.0):8.2f}{note}")
    print(f"  {'total (warm, in process)':<28} {wall:8.2f}   target {DOCUMENT_TARGET_SECONDS:.1f}   "
          f"ratio {wall / DOCUMENT_TARGET_SECONDS:.2f}")
    print(f"  {'baseline: WeasyPrint alone':<28} {base:8.2f}   the same HTML files to PDF, one after another, "
          "untagged, in this run")
    print(f"  {'ratio to the baseline':<28} {wall / base:8.2f}   best of each: "
          f"{runs[0][0] / min(baseline[1:]):.2f} (steadier on a loaded machine)")
    print(f"  runs: {', '.join(f'{w:.2f}' for w, _ in runs)}; baseline {', '.join(f'{b:.2f}' for b in baseline[1:])}")
    german_wall = statistics.median(german_runs)
    english_wall = statistics.median(w for w, _ in runs)
    ratio = german_wall / english_wall
    print(f"  {'German (de_DE), same briefs':<28} {german_wall:8.2f}   {ratio:.2f} x English in this run "
          f"(target at most {GERMAN_OVER_ENGLISH:.2f}); runs: {', '.join(f'{w:.2f}' for w in sorted(german_runs))}")
    return 0 if wall <= DOCUMENT_TARGET_SECONDS and ratio <= GERMAN_OVER_ENGLISH else 1


def _weasyprint_alone(pages: list[Path]) -> float:
    """Seconds WeasyPrint alone takes to write these HTML files as PDF (defaults: no tags, no variant)."""
    import weasyprint

    started = time.perf_counter()
    for page in pages:
        weasyprint.HTML(string=page.read_text(encoding="utf-8"), base_url=None).write_pdf()
    return time.perf_counter() - started


def case_charts() -> int:
    """Export time per chart kind, SVG and PNG, first call (fresh process) and warm."""
    sys.path.insert(0, str(BENCH))
    import bench_charts

    rows = bench_charts.run()
    print("\ncharts: export seconds per kind")
    for row in rows:
        print(f"  {row['case']:<40} {row['seconds']:8.3f}")
    return 0


def case_evidence() -> int:
    """The evidence benchmark (bench/bench_evidence.py, maintained separately)."""
    sys.path.insert(0, str(BENCH))
    import bench_evidence

    return int(bench_evidence.main([]) or 0)


CASES: dict[str, Callable[[], int]] = {
    "metrics": case_metrics,
    "documents": case_documents,
    "charts": case_charts,
    "evidence": case_evidence,
}


def main(argv: list[str]) -> int:
    names = argv or list(CASES)
    unknown = [name for name in names if name not in CASES]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; cases: {', '.join(CASES)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"== {name}", flush=True)
        status = max(status, CASES[name]())
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
