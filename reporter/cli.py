"""The command line: parse options, call the library, print, exit.

This is the only module that prints or exits. Exit status: 0 success, 1 invalid input
(every problem printed as ``path:line:col: key: message``), 2 bad usage.
"""

from __future__ import annotations

import gc

# Importing makes many objects and no garbage: the cyclic collector would only scan them.
_COLLECTING = gc.isenabled()
gc.disable()

import contextlib  # noqa: E402
import functools  # noqa: E402
import sys  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from enum import StrEnum  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, NoReturn  # noqa: E402

import typer  # noqa: E402

from reporter.errors import InputError, Problem, ReporterError, UsageError  # noqa: E402

if _COLLECTING:
    gc.enable()

app = typer.Typer(
    name="reporter",
    help="Turn incident records into documents for regulators, executives and the public.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_INVALID = 1
EXIT_USAGE = 2


class ProblemFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*(|k|kb|kib|m|mb|mib|g|gb|gib)\s*", text.lower())
    if not match:
        raise typer.BadParameter("expected a size such as 8MiB, 500KiB or 1048576")
    factor = {"": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
              "g": 1024**3, "gb": 1000**3, "gib": 1024**3}[match.group(2)]
    return int(match.group(1)) * factor


PathsArg = Annotated[list[Path], typer.Argument(help="Record files or directories (searched recursively).",
                                                show_default=False, metavar="PATH...")]
MaxFileSize = Annotated[str, typer.Option("--max-file-size", help="Refuse record files larger than this.",
                                          metavar="SIZE")]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _print_problems(problems: list[Problem], fmt: ProblemFormat) -> None:
    if fmt is ProblemFormat.JSON:
        typer.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            typer.echo(str(problem))


def command(*args: object, **kwargs: object):
    """Register a command whose library errors become messages and exit codes, never tracebacks."""

    def register(func):
        @functools.wraps(func)
        def wrapper(*a: object, **kw: object) -> None:
            try:
                func(*a, **kw)
            except InputError as exc:
                _print_problems(exc.problems, ProblemFormat.TEXT)
                raise typer.Exit(EXIT_INVALID) from None
            except UsageError as exc:
                _fail(str(exc), EXIT_USAGE)
            except ReporterError as exc:
                _fail(str(exc), EXIT_INVALID)

        return app.command(*args, **kwargs)(wrapper)

    return register


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


@command()
def validate(
    paths: PathsArg,
    format: Annotated[ProblemFormat, typer.Option("--format", help="text lines, or a JSON list of problems.")] = ProblemFormat.TEXT,
    max_file_size: MaxFileSize = "8MiB",
) -> None:
    """Check record files against format v1 and report every problem with its location."""
    from reporter.records import validate_files

    report = validate_files(paths, max_file_size=_size(max_file_size))
    _print_problems(report.problems, format)
    if format is ProblemFormat.TEXT:
        checked = f"{_plural(report.files, 'file')}, {_plural(report.records, 'record')}"
        if report.ok:
            typer.echo(f"{checked}: all valid.")
        elif report.files:
            bad_files = len({p.path for p in report.problems})
            typer.echo(f"{_plural(len(report.problems), 'problem')} in {_plural(bad_files, 'file')} ({checked} checked).")
    raise typer.Exit(0 if report.ok else EXIT_INVALID)


class TableFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class Breakdown(StrEnum):
    ACTOR = "actor"
    CATEGORY = "category"
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Convention(StrEnum):
    ELAPSED = "elapsed"
    INCLUSIVE = "inclusive"


ConventionOpt = Annotated[Convention, typer.Option("--window-convention",
                                                   help="elapsed: end − start (April 22 → June 5 = 44 days); "
                                                        "inclusive: both ends counted (45).")]


def _settings(convention: Convention | None, locale: str | None = None, sig_figs: int | None = None):
    from reporter.dates import WindowConvention
    from reporter.metrics import Settings

    defaults = Settings()
    return Settings(
        convention=WindowConvention(convention.value) if convention else defaults.convention,
        locale=locale or defaults.locale,
        sig_figs=sig_figs or defaults.sig_figs,
    )


@command()
def metrics(
    paths: PathsArg,
    format: Annotated[TableFormat, typer.Option("--format", help="table for people; json (stable) or csv for tools.")] = TableFormat.TABLE,
    window_convention: ConventionOpt = Convention.ELAPSED,
    by: Annotated[list[Breakdown] | None, typer.Option("--by", help="Add a breakdown (repeatable).")] = None,
    locale: Annotated[str, typer.Option("--locale", help="Locale for phrases, e.g. en_US, en_GB, de_DE.")] = "en_US",
    sig_figs: Annotated[int, typer.Option("--sig-figs", min=1, max=15, help="Significant figures in phrases.")] = 4,
    max_file_size: MaxFileSize = "8MiB",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read every file again: do not use or update the "
                                                               "cache of validated files.")] = False,
) -> None:
    """Compute figures and metrics per incident and across the collection."""
    # Everything built here (the modules imported included) lives until the end and holds no
    # cycles to collect: the cyclic collector would only rescan a growing heap.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _metrics(paths, format, _settings(window_convention, locale, sig_figs), [b.value for b in by or []],
                 max_file_size, no_cache)
    finally:
        if collecting:
            gc.enable()


def _metrics(paths: list[Path], format: TableFormat, settings, by: list[str], max_file_size: str,  # noqa: ANN001
             no_cache: bool) -> None:
    from reporter.metrics import Tally, collection_metrics, metrics_json_text
    from reporter.loader import DEFAULT_MAX_DEPTH, find_files
    from reporter.records import load_collection, start_map
    from reporter.tables import metrics_csv, metrics_table

    _check_locale(settings.locale)
    results = key = raws = None
    files = find_files(paths)
    # Many files: worker processes start on them at once (while this one reads every file for
    # the cache key), and each process that reads records also computes and phrases their
    # incidents' metrics and tallies what it read; only the phrased incidents and the tallies
    # come back. None: too few files; the job's result is None for a problem or an evidence log.
    job = start_map(paths, functools.partial(_incident_output, settings=settings, format=format),
                    reduce=functools.partial(_process_output, format=format), files=files,
                    max_file_size=_size(max_file_size))
    try:
        if not no_cache:
            from reporter.cache import ResultCache, result_key

            # Each file is read once here: for the key, and (if the key misses) for the metrics.
            raws = _read_all(files, _size(max_file_size))
            results = ResultCache()
            options = ["metrics", repr(settings), format.value, ",".join(by), max_file_size]
            key = result_key(options, files, raws, DEFAULT_MAX_DEPTH)
            cached = results.get(key) if key else None
            if cached is not None:
                if job is not None:
                    job.cancel()
                typer.echo(cached, nl=False)
                return
        processes = None if job is None else job.result(raws)
        if processes is not None:
            tally, runs = None, []
            for plain, process_runs in processes:
                part = Tally.from_plain(plain)
                tally = part if tally is None else tally.merge(part)
                runs += process_runs
            computed = tally.finish(settings, {})  # type: ignore[union-attr] - a job has 500 or more files
            outputs = [text for _, text in sorted(runs, key=lambda run: run[0])]
            logs = False
        else:
            outputs = None
            collection = load_collection(paths, max_file_size=_size(max_file_size), cache=not no_cache)
            incidents = _with_logs(collection)
            computed = collection_metrics(incidents, settings)
            logs = any(item.log for i in incidents for item in i.evidence)
        if format is TableFormat.JSON:
            text = metrics_json_text(computed, outputs)
        elif format is TableFormat.CSV:
            text = metrics_csv(computed, outputs)
        else:
            text = metrics_table(computed, by, outputs)
    finally:
        if job is not None:
            job.cancel()  # (a no-op once it has its result)
    typer.echo(text, nl=False)
    # A result that read an evidence log depends on more than the record files, and one from
    # files that changed while being read belongs to no one key: neither is stored. (Workers
    # say what they read; the ordinary path read the files again, so they are read once more.)
    if results is None or not key or logs:
        return
    if job is not None and job.changed or processes is None and key != result_key(
            options, files, _read_all(files, _size(max_file_size)), DEFAULT_MAX_DEPTH):
        return
    results.put(key, text)


def _read_all(files: list[tuple[Path, str]], max_file_size: int) -> list[bytes | None]:
    """Every file's bytes (None for one that cannot be read or is too large)."""
    return [_read_or_none(resolved, max_file_size) for resolved, _ in files]


def _read_or_none(path: Path, max_file_size: int) -> bytes | None:
    """A file's bytes, or None when it cannot be read or is too large (the reading path reports why)."""
    from reporter.loader import LoadError, read_raw

    try:
        return read_raw(path, str(path), max_file_size)
    except LoadError:
        return None


def _incident_output(incident, *, settings, format: TableFormat) -> tuple:  # noqa: ANN001 - run in worker processes
    """For ``map_incidents``: an incident's metrics, and its part of the output in ``format``."""
    from reporter.metrics import incident_json, incident_metrics
    from reporter.records import Declined
    from reporter.tables import incident_csv, incident_table

    if any(item.log for item in incident.evidence):
        raise Declined  # its figures come from the log: the ordinary path applies it
    computed = incident_metrics(incident, settings)
    if format is TableFormat.JSON:
        return computed, (computed.id, incident_json(computed, settings))
    if format is TableFormat.CSV:
        return computed, incident_csv(computed, settings)
    return computed, incident_table(computed, settings)


def _process_output(pairs: list[tuple], *, format: TableFormat) -> tuple:
    """For ``map_incidents``: the tally (plain) of the incidents a process computed, and their
    parts of the output, one text per run of consecutive files as (first position, text)."""
    from reporter.metrics import Tally, incidents_json

    tally = Tally.of([computed for _, (computed, _) in pairs], positions=[position for position, _ in pairs])
    runs: list[list[tuple]] = []
    for position, (_, part) in pairs:
        if not runs or position[0] > runs[-1][-1][0][0] + 1:
            runs.append([])
        runs[-1].append((position, part))
    if format is TableFormat.JSON:
        texts = [incidents_json(dict(part for _, part in run)) for run in runs]
    else:
        texts = ["".join(part for _, part in run) for run in runs]
    return tally.to_plain(), [(run[0][0], text) for run, text in zip(runs, texts, strict=True)]


def _with_logs(collection, clearance=None):
    """The incidents (as ``clearance`` may see them, if given), with interactions and accounts
    computed from any evidence log they still cite."""
    from reporter.audience import redact_incident
    from reporter.logs import apply_logs

    pairs = []
    for loaded in collection.incidents:
        incident = redact_incident(loaded.incident, clearance)[0] if clearance is not None else loaded.incident
        if incident is not None:
            pairs.append((loaded, incident))
    if not any(item.log for _, incident in pairs for item in incident.evidence):
        return [incident for _, incident in pairs]
    return apply_logs(pairs)[0]


def _check_locale(locale: str) -> None:
    from reporter.errors import QuantityError
    from reporter.quantities import Quantity, format_quantity

    try:
        format_quantity(Quantity.exact(1), locale)
    except QuantityError as exc:
        raise UsageError(f"--locale: {exc}") from None


@command()
def check(
    paths: PathsArg,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    format: Annotated[ProblemFormat, typer.Option("--format", help="text lines, or a JSON list of problems.")] = ProblemFormat.TEXT,
    window_convention: ConventionOpt = Convention.ELAPSED,
    max_file_size: MaxFileSize = "8MiB",
) -> None:
    """Lint the numbers: breakdowns vs totals, earlier disclosures, figures typed into prose, timeline order."""
    from reporter.checks import check_collection, errors_and_warnings
    from reporter.records import validate_files

    report = validate_files(paths, max_file_size=_size(max_file_size))
    problems = sorted(report.problems + check_collection(report.collection, _settings(window_convention)))
    _print_problems(problems, format)
    errors, warnings = errors_and_warnings(problems)
    failed = errors > 0 or (strict and warnings > 0)
    if format is ProblemFormat.TEXT:
        checked = f"{_plural(report.files, 'file')}, {_plural(report.records, 'record')}"
        if not problems:
            typer.echo(f"{checked}: no problems.")
        else:
            typer.echo(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} ({checked} checked"
                       f"{'; --strict: warnings fail' if strict and warnings else ''}).")
    raise typer.Exit(EXIT_INVALID if failed else 0)


class Engine(StrEnum):
    LOCAL = "local"
    DASK = "dask"


class SummaryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@command()
def evidence(
    log: Annotated[Path, typer.Argument(help="Event log: Parquet, CSV or JSON Lines with ts and account_id.",
                                        show_default=False, metavar="LOG")],
    format: Annotated[SummaryFormat, typer.Option("--format", help="table for people, json for tools.")] = SummaryFormat.TABLE,
    engine: Annotated[Engine, typer.Option("--engine", help="local: streaming in this process; dask: a Dask cluster.")] = Engine.LOCAL,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler "
                                                  "(with --engine dask); without it a local cluster starts.")] = None,
) -> None:
    """Compute figures from an event log: interactions, accounts, window, daily series, distributions."""
    from reporter.evidence import summarize_log
    from reporter.tables import evidence_table

    if scheduler and engine is not Engine.DASK:
        raise UsageError("--scheduler needs --engine dask")
    summary = summarize_log(log, engine=engine.value, scheduler=scheduler)
    if format is SummaryFormat.JSON:
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(evidence_table(summary), nl=False)


class OutputFormat(StrEnum):
    PDF = "pdf"
    MD = "md"
    HTML = "html"


ConfigOpt = Annotated[Path | None, typer.Option("--config", help="reporter.toml to use (default: nearest upward).",
                                                show_default=False)]
RecordsOpt = Annotated[list[Path] | None, typer.Option("--records", help="Record files or directories "
                                                       "(repeatable; default: paths.records in reporter.toml).",
                                                       show_default=False)]
TemplateDirOpt = Annotated[list[Path] | None, typer.Option("--template-dir", help="Extra template directory, "
                                                           "searched before the bundled ones (repeatable).",
                                                           show_default=False)]


def _load_inputs(config_path: Path | None, records: list[Path] | None):
    from reporter.config import find_config, load_config
    from reporter.records import load_collection

    config_path = config_path or find_config()
    config = load_config(config_path)
    record_paths = records or [config.resolve(p) for p in config.paths.records]
    return config, config_path, load_collection(record_paths)


def _show_progress() -> bool:
    import os

    return sys.stdout.isatty() and not os.environ.get("CI")


@command()
def build(
    briefs: Annotated[list[Path], typer.Argument(help="Brief files (briefs/*.yaml).", show_default=False,
                                                 metavar="BRIEF...")],
    records: RecordsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory (default: paths.output, 'out').",
                                             show_default=False)] = None,
    format: Annotated[list[OutputFormat] | None, typer.Option("--format", help="Formats to write (repeatable; "
                                                              "default: the brief's list).", show_default=False)] = None,
    config: ConfigOpt = None,
    template_dir: TemplateDirOpt = None,
) -> None:
    """Build documents from briefs: DIR/<brief>.pdf, .md (images in <brief>_files/) and .html."""
    from reporter.brief import Format, load_brief
    from reporter.document import build_briefs

    loaded_config, config_path, collection = _load_inputs(config, records)
    out_dir = out or loaded_config.resolve(loaded_config.paths.output)
    formats = [Format(f.value) for f in format] if format else None
    parsed = [(path, load_brief(path)) for path in briefs]
    progress = typer.progressbar(length=len(parsed), label="Building", file=sys.stderr) \
        if _show_progress() and len(parsed) > 1 else None
    with progress if progress is not None else contextlib.nullcontext() as bar:
        built = build_briefs(parsed, loaded_config, collection, out_dir, formats, extra_template_dirs=template_dir,
                             config_path=config_path, on_done=(lambda _: bar.update(1)) if bar else None)
    cwd = Path.cwd()
    for (path, _), result in zip(parsed, built):
        for url in result.refused_urls:
            typer.echo(f"{path}: warning: refused to fetch {url}", err=True)
        shown = [str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p)
                 for p in result.paths if p.parent == out_dir.resolve()]
        typer.echo(f"{path}: wrote {', '.join(shown)}")


@command()
def render(
    template: Annotated[str, typer.Option("--template", help="Template name, e.g. regulator-letter.", show_default=False)],
    audience: Annotated[str, typer.Option("--audience", help="Audience, e.g. public, regulator, executive.",
                                         show_default=False)],
    incident: Annotated[list[str], typer.Option("--incident", help="Incident id (repeatable).", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .md, .html or .pdf.", show_default=False)],
    records: RecordsOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Title (default: the first incident's).",
                                              show_default=False)] = None,
    date: Annotated[str | None, typer.Option("--date", help="Document date, YYYY-MM-DD (default: today).",
                                             show_default=False)] = None,
    config: ConfigOpt = None,
    template_dir: TemplateDirOpt = None,
) -> None:
    """Render one document without a brief file."""
    import datetime as dt

    from pydantic import ValidationError

    from reporter.brief import Brief, Format
    from reporter.document import build_brief

    suffix = output.suffix.lower().lstrip(".")
    if suffix not in {f.value for f in Format}:
        raise UsageError("-o: expected a file ending in .md, .html or .pdf")
    loaded_config, config_path, collection = _load_inputs(config, records)
    by_id = collection.by_id()
    missing = [i for i in incident if i not in by_id]
    if missing:
        raise UsageError(f"--incident: no incident with id {', '.join(repr(m) for m in missing)} in the records")
    brief_data = {
        "template": template, "audience": audience,
        "title": title or by_id[incident[0]].incident.title,
        "date": date or dt.date.today().isoformat(), "incidents": incident, "formats": [suffix],
    }
    try:
        brief = Brief.model_validate(brief_data)
    except ValidationError as exc:
        from reporter.records import _message

        reasons = []
        for error in exc.errors(include_url=False, include_input=False):
            option = {"incidents": "--incident"}.get(str(error["loc"][0]), f"--{error['loc'][0]}")
            reasons.append(f"{option}: {_message(error, Brief)[0]}")
        raise UsageError("; ".join(reasons)) from None
    out_dir = output.parent if str(output.parent) else Path(".")
    stem = output.name[: -len(output.suffix)]
    built = build_brief(brief, Path("<command line>"), loaded_config, collection, out_dir, [Format(suffix)],
                        extra_template_dirs=template_dir, config_path=config_path, stem=stem)
    typer.echo(f"wrote {built.paths[0]}")


class ChartKind(StrEnum):
    TIMELINE = "timeline"
    BY_ACTOR = "by-actor"
    RATES = "rates"
    PER_PERIOD = "per-period"
    DAILY_VOLUME = "daily-volume"


class Period(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Grouping(StrEnum):
    ACTOR = "actor"
    CATEGORY = "category"


@command()
def chart(
    paths: PathsArg,
    kind: Annotated[ChartKind, typer.Option("--kind", help="Which chart.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .svg (vector) or .png.",
                                         show_default=False)],
    by: Annotated[Grouping, typer.Option("--by", help="Timeline lanes.")] = Grouping.ACTOR,
    period: Annotated[Period, typer.Option("--period", help="Periods of the per-period chart.")] = Period.YEAR,
    figure: Annotated[str, typer.Option("--figure", help="Figure of the by-actor chart.")] = "interactions",
    audience: Annotated[str | None, typer.Option("--audience", help="Only what this audience may see "
                                                 "(clearances from reporter.toml).", show_default=False)] = None,
    locale: Annotated[str, typer.Option("--locale", help="Locale for labels and alt text.")] = "en_US",
    window_convention: ConventionOpt = Convention.ELAPSED,
    config: ConfigOpt = None,
) -> None:
    """Draw one chart of the records as SVG or PNG; its alt text states the data."""
    from reporter import charts
    from reporter.config import load_config
    from reporter.metrics import collection_metrics
    from reporter.output import write_atomic
    from reporter.records import load_collection

    suffix = output.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise UsageError("-o: expected a file ending in .svg or .png")
    settings = _settings(window_convention, locale)
    _check_locale(settings.locale)
    collection = load_collection(paths)
    clearance = load_config(config).clearance(audience) if audience is not None else None
    incidents = _with_logs(collection, clearance)
    metrics = collection_metrics(incidents, settings)
    summary = None
    if kind is ChartKind.DAILY_VOLUME:
        from reporter.logs import summarise

        by_id = collection.by_id()
        summaries, _ = summarise([(by_id[i.id], i) for i in incidents if any(item.log for item in i.evidence)])
        summary = next(iter(summaries.values()), None)
    made = {
        ChartKind.TIMELINE: lambda: charts.timeline_chart(incidents, settings, by=by.value),
        ChartKind.BY_ACTOR: lambda: charts.by_actor_chart(metrics, figure=figure),
        ChartKind.RATES: lambda: charts.rates_chart(metrics, incidents),
        ChartKind.PER_PERIOD: lambda: charts.per_period_chart(metrics, period=period.value),
        ChartKind.DAILY_VOLUME: lambda: charts.daily_volume_chart(summary, settings) if summary else None,
    }[kind]()
    if made is None:
        raise InputError([Problem(", ".join(str(p) for p in paths), None, None, "",
                                  f"nothing to draw for a {kind.value} chart in these records")])
    write_atomic(output, charts.to_svg(made) if suffix == ".svg" else charts.to_png(made))
    typer.echo(f"wrote {output}: {made.alt}")


class NewKind(StrEnum):
    RECORD = "record"
    BRIEF = "brief"


@command()
def new(
    what: Annotated[NewKind, typer.Argument(help="record or brief.", show_default=False)],
    name: Annotated[str, typer.Argument(help="Id of the record, or name of the brief (a slug).", show_default=False)],
    directory: Annotated[Path | None, typer.Option("--dir", help="Where to write it (default: incidents/ or "
                                                   "briefs/).", show_default=False)] = None,
    template: Annotated[str, typer.Option("--template", help="Template of a new brief.")] = "regulator-letter",
    category: Annotated[str, typer.Option("--category", help="Category of a new record.")] = "uncategorised",
) -> None:
    """Start a record or a brief from a skeleton that already validates."""
    from reporter.scaffold import new_brief, new_record

    if what is NewKind.RECORD:
        path = new_record(name, directory or Path("incidents"), category=category)
    else:
        from reporter.config import find_config, load_config
        from reporter.render import Templates

        config = load_config(find_config())
        if not Templates(user_dirs=[config.resolve(d) for d in config.paths.templates]).exists(template):
            raise UsageError(f"--template: no template named {template!r}")
        path = new_brief(name, directory or Path("briefs"), template=template)
    typer.echo(f"wrote {path}")


@command()
def schema() -> None:
    """Print the JSON Schema of record files (for editors and other tools)."""
    from reporter.records import record_json_schema

    typer.echo(json.dumps(record_json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the ``reporter`` console script and ``python -m reporter``.

    When the command is done, the process ends without tearing down the interpreter: after
    a large collection, freeing millions of objects one by one takes longer than a small
    command's whole run. Output is flushed and exit handlers run first, as at a normal exit.
    """
    import atexit
    import os

    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
