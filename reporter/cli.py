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

from reporter.dates import WindowConvention  # noqa: E402
from reporter.errors import InputError, Problem, ReporterError, UsageError  # noqa: E402
from reporter.formats import Format  # noqa: E402
from reporter.kinds import Breakdown, ChartKind, Engine, Period, TimelineGroup  # noqa: E402

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


PathsArg = Annotated[list[Path] | None, typer.Argument(
    help="Record files or directories (searched recursively; default: paths.records in reporter.toml).",
    show_default=False, metavar="PATH")]
MaxFileSize = Annotated[str | None, typer.Option(
    "--max-file-size", help="Refuse record files larger than this (default: input.max_file_size in "
                            "reporter.toml, else 8MiB).", metavar="SIZE", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="reporter.toml to use (default: nearest upward).",
                                                show_default=False)]
ConventionOpt = Annotated[WindowConvention | None, typer.Option(
    "--window-convention", help="elapsed: end − start (April 22 → June 5 = 44 days); inclusive: both ends "
                                "counted (45). Default: documents.window_convention in reporter.toml, else elapsed.",
    show_default=False)]
LocaleOpt = Annotated[str | None, typer.Option(
    "--locale", help="Locale for phrases, e.g. en_US, en_GB, de_DE, fr_FR (default: documents.locale in reporter.toml, "
                     "else en_US).", show_default=False)]
SigFigsOpt = Annotated[int | None, typer.Option(
    "--sig-figs", min=1, max=15, help="Significant figures in phrases (default: documents.sig_figs in "
                                      "reporter.toml, else 4).", show_default=False)]


AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="When regulatory clocks are read: an ISO datetime with offset, or a date (its start in "
                    "documents.timezone). Default: now.", metavar="DATETIME", show_default=False)]


def _as_of(text: str | None, timezone: str):  # noqa: ANN202 - a datetime
    """``--as-of``, or now; a value that is no date or datetime with offset is bad usage."""
    from datetime import UTC, datetime

    from reporter.clocks import parse_as_of
    from reporter.errors import DateError

    if text is None:
        return datetime.now(UTC)
    try:
        return parse_as_of(text, timezone)
    except DateError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def _resolve(config_path: Path | None, **options: object):  # noqa: ANN202 - reporter.config.Config
    """This command's settings: defaults < reporter.toml < the options given on the command line."""
    from reporter.config import resolve_config

    return resolve_config(config_path, **options)


def _clearance(config, audience: str):  # noqa: ANN001, ANN202 - a Config, a Sensitivity
    """The clearance of ``--audience``; an audience reporter.toml does not define is bad usage."""
    from reporter.errors import ConfigError

    try:
        return config.clearance(audience)
    except ConfigError as exc:
        raise UsageError(f"--audience: {exc}") from None


def _record_paths(paths: list[Path] | None, config) -> list[Path]:  # noqa: ANN001
    """The paths named on the command line, else ``paths.records`` of reporter.toml (as the user
    would name them: relative to the working directory where they can be)."""
    import os

    if paths:
        return paths
    shown = []
    for path in config.record_paths():
        relative = os.path.relpath(path)
        shown.append(Path(relative) if not relative.startswith("..") else path)
    return shown


# Characters that could make text from the input act on a terminal or display as something
# else: C0 and C1 controls (escape sequences), bidirectional overrides and isolates, zero-width
# characters and the byte-order mark. Our own line breaks stay.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _escaped(char: re.Match[str]) -> str:
    code = ord(char.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escaped(char: re.Match[str]) -> str:
    return f"\\u{ord(char.group(0)):04x}"  # the same character, written as JSON's escape


_ASCII_SAFE = bytes([0x0A, *range(0x20, 0x7F)])


def _needs_escaping(text: str, json_text: bool) -> bool:
    """Whether ``text`` holds an unsafe character, found cheaply: a large metrics output is
    tens of megabytes, where one pass of a regular expression costs more than the rest."""
    if text.isascii():
        if json_text:  # JSON writers escape every C0 control; DEL they leave
            return "\x7f" in text
        return bool(text.encode("ascii").translate(None, _ASCII_SAFE))
    return _UNSAFE.search(text) is not None


def _echo(text: str, *, err: bool = False, nl: bool = True, json_text: bool = False) -> None:
    """Print, with every unsafe character from the input shown escaped (``\\x1b``, ``\\u202e``).

    JSON output stays the same JSON: its strings get the ``\\u`` escape of the same character.
    """
    if _needs_escaping(text, json_text):
        text = _UNSAFE.sub(_json_escaped if json_text else _escaped, text)
    typer.echo(text, err=err, nl=nl)


def _fail(message: str, code: int) -> NoReturn:
    _echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _print_problems(problems: list[Problem], fmt: ProblemFormat) -> None:
    if fmt is ProblemFormat.JSON:
        _echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False), json_text=True)
    else:
        for problem in problems:
            _echo(str(problem))


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


def _or_list(items: list[str]) -> str:
    """'a, b or c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


@command()
def validate(
    paths: PathsArg = None,
    format: Annotated[ProblemFormat, typer.Option("--format", help="text lines, or a JSON list of problems.")] = ProblemFormat.TEXT,
    max_file_size: MaxFileSize = None,
    config: ConfigOpt = None,
) -> None:
    """Check record files against format v1 and report every problem with its location."""
    from reporter.records import validate_files

    settings = _resolve(config, max_file_size=max_file_size)
    report = validate_files(_record_paths(paths, settings), max_file_size=settings.input.max_file_size,
                            locale=settings.records_locale)
    _print_problems(report.problems, format)
    if format is ProblemFormat.TEXT:
        checked = f"{_plural(report.files, 'file')}, {_plural(report.records, 'record')}"
        errors = [p for p in report.problems if p.severity == "error"]
        warned = len(report.problems) - len(errors)
        warnings = f" ({_plural(warned, 'warning')})" if warned else ""
        if report.ok:
            _echo(f"{checked}: all valid{warnings}.")
        elif report.files:
            bad_files = len({p.path for p in errors})
            _echo(f"{_plural(len(errors), 'error')} in {_plural(bad_files, 'file')}{warnings} ({checked} checked).")
    raise typer.Exit(0 if report.ok else EXIT_INVALID)


class TableFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@command()
def metrics(
    paths: PathsArg = None,
    format: Annotated[TableFormat, typer.Option("--format", help="table for people; json (stable) or csv for tools.")] = TableFormat.TABLE,
    window_convention: ConventionOpt = None,
    by: Annotated[list[Breakdown] | None, typer.Option("--by", help="Add a breakdown (repeatable).")] = None,
    locale: LocaleOpt = None,
    sig_figs: SigFigsOpt = None,
    max_file_size: MaxFileSize = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read every file again: do not use or update the "
                                                               "cache of validated files.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Measure ongoing windows (no end) to this date: their window_days and rates, active days "
                        "and peak concurrency, marked as of it. Default: not measured.", metavar="DATE",
        show_default=False)] = None,
    config: ConfigOpt = None,
) -> None:
    """Compute figures and metrics per incident and across the collection."""
    # Everything built here (the modules imported included) lives until the end and holds no
    # cycles to collect: the cyclic collector would only rescan a growing heap.
    collecting = gc.isenabled()
    gc.disable()
    try:
        resolved = _resolve(config, window_convention=window_convention, locale=locale, sig_figs=sig_figs,
                            max_file_size=max_file_size)
        _metrics(_record_paths(paths, resolved), format, resolved.settings(), [b.value for b in by or []],
                 resolved.input.max_file_size, no_cache, _as_of_date(as_of), resolved.records_locale)
    finally:
        if collecting:
            gc.enable()


def _as_of_date(text: str | None):  # noqa: ANN202 - a date or None
    """``metrics --as-of``: a date; anything else is bad usage."""
    from reporter.dates import Precision, parse_when
    from reporter.errors import DateError

    if text is None:
        return None
    try:
        when = parse_when(text)
    except DateError as exc:
        raise UsageError(f"--as-of: {exc}") from None
    if when.precision is not Precision.DAY:
        raise UsageError(f"--as-of: expected a date such as 2026-06-12, not {text!r}")
    return when.date


def _metrics(paths: list[Path], format: TableFormat, settings, by: list[str], max_file_size: int,  # noqa: ANN001
             no_cache: bool, as_of=None, records_locale: str | None = None) -> None:  # noqa: ANN001 - a date or None
    from reporter.audience import for_audience
    from reporter.metrics import Tally, as_of_rule, collection_metrics, metrics_json_text, period_rule
    from reporter.loader import DEFAULT_MAX_DEPTH, find_files
    from reporter.records import load_collection, start_map
    from reporter.tables import incident_table, metrics_csv, metrics_table

    results = key = raws = None
    files = find_files(paths)
    # Many files: worker processes start on them at once (while this one reads every file for
    # the cache key), and each process that reads records also computes and phrases their
    # incidents' metrics and tallies what it read; only the phrased incidents and the tallies
    # come back. None: too few files; the job's result is None for a problem or an evidence log.
    job = start_map(paths, functools.partial(_incident_output, settings=settings, format=format, as_of=as_of),
                    reduce=functools.partial(_process_output, format=format), files=files, locale=records_locale,
                    max_file_size=max_file_size)
    try:
        if not no_cache:
            from reporter.cache import ResultCache, result_key

            # Each file is read once here: for the key, and (if the key misses) for the metrics.
            raws = _read_all(files, max_file_size)
            results = ResultCache()
            options = ["metrics", repr(settings), format.value, ",".join(by), str(max_file_size), str(as_of),
                       records_locale or ""]
            key = result_key(options, files, raws, DEFAULT_MAX_DEPTH)
            cached = results.get(key) if key else None
            if cached is not None:
                if job is not None:
                    job.cancel()
                _echo(cached, nl=False, json_text=format is TableFormat.JSON)
                return
        processes = None if job is None else job.result(raws)
        if processes is not None:
            tally, runs = None, []
            for plain, process_runs in processes:
                part = Tally.from_plain(plain)
                tally = part if tally is None else tally.merge(part)
                runs += process_runs
            computed = tally.finish(settings, {}, as_of=as_of)  # type: ignore[union-attr] - a job has 500 or more files
            outputs = [text for _, text in sorted(runs, key=lambda run: run[0])]
            logs = False
        else:
            outputs = None
            collection = load_collection(paths, max_file_size=max_file_size, cache=not no_cache, locale=records_locale)
            incidents = for_audience(collection.incidents, None).incidents
            computed = collection_metrics(incidents, settings, as_of=as_of)
            logs = any(item.log for i in incidents for item in i.evidence)
        if format is TableFormat.JSON:
            text = metrics_json_text(computed, outputs)
        elif format is TableFormat.CSV:
            text = metrics_csv(computed, outputs)
        else:
            if outputs is None and as_of is not None:
                outputs = [_marked_as_of(incident_table(m, settings), m) for m in computed.incidents.values()]
            text = metrics_table(computed, by, outputs)
            # Under the convention line: what the as-of date and the period breakdowns mean.
            notes = [line for line in (as_of_rule(computed), period_rule(by)) if line]
            if notes:
                first, _, rest = text.partition("\n")
                text = "\n".join([first, *notes, rest])
    finally:
        if job is not None:
            job.cancel()  # (a no-op once it has its result)
    _echo(text, nl=False, json_text=format is TableFormat.JSON)
    # A result that read an evidence log depends on more than the record files, and one from
    # files that changed while being read belongs to no one key: neither is stored. (Workers
    # say what they read; the ordinary path read the files again, so they are read once more.)
    if results is None or not key or logs:
        return
    if job is not None and job.changed or processes is None and key != result_key(
            options, files, _read_all(files, max_file_size), DEFAULT_MAX_DEPTH):
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


def _incident_output(incident, *, settings, format: TableFormat, as_of=None) -> tuple:  # noqa: ANN001 - run in worker processes
    """For ``map_incidents``: an incident's metrics, and its part of the output in ``format``."""
    from reporter.metrics import incident_json, incident_metrics
    from reporter.records import Declined
    from reporter.tables import incident_csv, incident_table

    if any(item.log for item in incident.evidence):
        raise Declined  # its figures come from the log: the ordinary path applies it
    computed = incident_metrics(incident, settings, as_of=as_of)
    if format is TableFormat.JSON:
        return computed, (computed.id, incident_json(computed, settings))
    if format is TableFormat.CSV:
        return computed, incident_csv(computed, settings)
    return computed, _marked_as_of(incident_table(computed, settings), computed)


def _marked_as_of(part: str, computed) -> str:  # noqa: ANN001 - an IncidentMetrics
    """An incident's table part, with "(as of DATE)" after each metric measured to the as-of date."""
    if computed.as_of is None:
        return part
    lines = part.split("\n")
    for index, line in enumerate(lines[1:], 1):
        name = line.strip().split(" ", 1)[0]
        if line.startswith("  ") and computed.as_of_for(name) is not None:
            lines[index] = f"{line} (as of {computed.as_of.isoformat()})"
    return "\n".join(lines)


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


@command()
def check(
    paths: PathsArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    format: Annotated[ProblemFormat, typer.Option("--format", help="text lines, or a JSON list of problems.")] = ProblemFormat.TEXT,
    window_convention: ConventionOpt = None,
    locale: LocaleOpt = None,
    sig_figs: SigFigsOpt = None,
    max_file_size: MaxFileSize = None,
    as_of: AsOfOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Lint the numbers: breakdowns vs totals, earlier disclosures, figures typed into prose, timeline order."""
    from reporter.audience import audience_warnings
    from reporter.checks import check_collection, errors_and_warnings
    from reporter.records import validate_files

    resolved = _resolve(config, window_convention=window_convention, locale=locale, sig_figs=sig_figs,
                        max_file_size=max_file_size)
    report = validate_files(_record_paths(paths, resolved), max_file_size=resolved.input.max_file_size,
                            locale=resolved.records_locale)
    timezone = resolved.documents.timezone
    problems = sorted(report.problems + check_collection(report.collection, resolved.settings(),
                                                         as_of=_as_of(as_of, timezone), timezone=timezone)
                      + audience_warnings(report.collection.incidents, resolved.audiences.values()))
    _print_problems(problems, format)
    errors, warnings = errors_and_warnings(problems)
    failed = errors > 0 or (strict and warnings > 0)
    if format is ProblemFormat.TEXT:
        checked = f"{_plural(report.files, 'file')}, {_plural(report.records, 'record')}"
        if not problems:
            _echo(f"{checked}: no problems.")
        else:
            _echo(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} ({checked} checked"
                       f"{'; --strict: warnings fail' if strict and warnings else ''}).")
    raise typer.Exit(EXIT_INVALID if failed else 0)


class ClockFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@command()
def clocks(
    paths: PathsArg = None,
    as_of: AsOfOpt = None,
    format: Annotated[ClockFormat, typer.Option("--format", help="table for people; json (stable) for "
                                                                 "tools.")] = ClockFormat.TABLE,
    max_file_size: MaxFileSize = None,
    config: ConfigOpt = None,
) -> None:
    """Regulatory clocks: every report each incident owes, when it is due, and whether it was made in time."""
    from reporter.clocks import clocks_json, clocks_table, collection_clocks
    from reporter.records import load_collection

    resolved = _resolve(config, max_file_size=max_file_size)
    timezone = resolved.documents.timezone
    moment = _as_of(as_of, timezone)
    collection = load_collection(_record_paths(paths, resolved), max_file_size=resolved.input.max_file_size,
                                 locale=resolved.records_locale)
    found = collection_clocks([loaded.incident for loaded in collection.incidents], moment, timezone)
    if format is ClockFormat.JSON:
        _echo(clocks_json(found, moment), nl=False, json_text=True)
    else:
        _echo(clocks_table(found, moment, timezone), nl=False)


class SummaryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@command()
def evidence(
    log: Annotated[Path, typer.Argument(help="Event log: Parquet, CSV or JSON Lines with ts and account_id.",
                                        show_default=False, metavar="LOG")],
    format: Annotated[SummaryFormat, typer.Option("--format", help="table for people, json for tools.")] = SummaryFormat.TABLE,
    engine: Annotated[Engine | None, typer.Option("--engine", help="local: streaming in this process; dask: a Dask "
                                                  "cluster (default: evidence.engine in reporter.toml, else local).",
                                                  show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler "
                                                  "(with --engine dask; default: evidence.scheduler in "
                                                  "reporter.toml); without it a local cluster starts.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Compute figures from an event log: interactions, accounts, window, daily series, distributions."""
    from reporter.evidence import summarize_log
    from reporter.tables import evidence_table

    settings = _resolve(config, engine=engine, scheduler=scheduler).evidence
    if settings.scheduler and settings.engine != Engine.DASK:
        raise UsageError("--scheduler needs --engine dask")
    summary = summarize_log(log, engine=settings.engine, scheduler=settings.scheduler)
    if format is SummaryFormat.JSON:
        _echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False), json_text=True)
    else:
        _echo(evidence_table(summary), nl=False)


RecordsOpt = Annotated[list[Path] | None, typer.Option("--records", help="Record files or directories "
                                                       "(repeatable; default: paths.records in reporter.toml).",
                                                       show_default=False)]
TemplateDirOpt = Annotated[list[Path] | None, typer.Option("--template-dir", help="Extra template directory, "
                                                           "searched before the bundled ones (repeatable).",
                                                           show_default=False)]


def _document_inputs(config_path: Path | None, records: list[Path] | None, **options: object):  # noqa: ANN202
    """Settings, the reporter.toml they came from, and the records, for build and render."""
    from reporter.config import find_config
    from reporter.records import load_collection

    config_path = config_path or find_config()
    config = _resolve(config_path, **options)
    collection = load_collection(_record_paths(records, config), max_file_size=config.input.max_file_size,
                                 locale=config.records_locale)
    return config, config_path, collection


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
    format: Annotated[list[Format] | None, typer.Option("--format", help="Formats to write (repeatable; "
                                                        "default: the brief's list).", show_default=False)] = None,
    window_convention: ConventionOpt = None,
    locale: LocaleOpt = None,
    sig_figs: SigFigsOpt = None,
    max_file_size: MaxFileSize = None,
    config: ConfigOpt = None,
    template_dir: TemplateDirOpt = None,
    pdf_archive: Annotated[bool, typer.Option("--pdf-archive", help="Make each PDF archival: PDF/A-3 with the "
                                              "records as its audience may see them, the metrics JSON and a "
                                              "provenance manifest attached (reporter verify reads them back).")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too: nothing is written.")] = False,
) -> None:
    """Check, then build documents from briefs: DIR/<brief>.pdf, .md (images in <brief>_files/), .html and
    .docx, and the build report DIR/<brief>.build.json.

    The records the briefs use and the briefs' own prose are checked first, as `reporter check`
    checks records; on any error (any warning, with --strict) nothing is written."""
    from reporter.brief import load_brief
    from reporter.document import build_briefs, templates_for

    loaded_config, config_path, collection = _document_inputs(
        config, records, window_convention=window_convention, locale=locale, sig_figs=sig_figs,
        max_file_size=max_file_size)
    out_dir = out or loaded_config.resolve(loaded_config.paths.output)
    formats = list(format) if format else None
    templates = templates_for(loaded_config, template_dir)
    parsed = [(path, load_brief(path, templates=templates, max_file_size=loaded_config.input.max_file_size))
              for path in briefs]
    progress = typer.progressbar(length=len(parsed), label="Building", file=sys.stderr) \
        if _show_progress() and len(parsed) > 1 else None
    from reporter.checks import errors_and_warnings
    from reporter.document import report_lines
    from reporter.errors import ChecksFailed

    try:
        with progress if progress is not None else contextlib.nullcontext() as bar:
            built = build_briefs(parsed, loaded_config, collection, out_dir, formats,
                                 extra_template_dirs=template_dir, config_path=config_path,
                                 on_done=(lambda _: bar.update(1)) if bar else None, archive=pdf_archive,
                                 strict=strict)
    except ChecksFailed as exc:
        _print_problems(exc.problems, ProblemFormat.TEXT)
        errors, warnings = errors_and_warnings(exc.problems)
        _fail(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
              f"{' (--strict: warnings fail)' if exc.strict and warnings else ''}: nothing was written", EXIT_INVALID)
    cwd = Path.cwd()

    def shown(p: Path) -> str:
        return str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p)

    for (path, _), result in zip(parsed, built):
        for warning in result.warnings:
            _echo(str(warning), err=True)
        for url in result.refused_urls:
            _echo(f"{path}: warning: refused to fetch {url}", err=True)
        for line in report_lines(result.report):
            _echo(f"{path}: note: {line}", err=True)
        _echo(f"{path}: wrote {', '.join(shown(p) for p in result.paths if p.parent == out_dir.resolve())}"
              + (f" (build report: {shown(result.report_path)})" if result.report_path else ""))


@command()
def verify(
    pdf: Annotated[Path, typer.Argument(help="A PDF from reporter build --pdf-archive.", show_default=False,
                                        metavar="FILE.pdf")],
) -> None:
    """Recompute an archival PDF's figures from its attached records: exit 0 if they match, 1 if not."""
    from reporter.archive import verify as verify_pdf

    if not pdf.is_file():
        raise UsageError(f"FILE.pdf: no such file: {pdf}")
    result = verify_pdf(pdf)
    for line in result.mismatches:
        _echo(f"{pdf}: mismatch: {line}")
    settings = result.manifest.get("settings", {})
    what = f"{settings.get('template', '?')} for the {settings.get('audience', '?')} audience"
    if result.mismatches:
        _fail(f"{pdf}: {len(result.mismatches):,} mismatch{'' if len(result.mismatches) == 1 else 'es'} in {result.checked:,} figures ({what})", 1)
    _echo(f"{pdf}: all {result.checked} figures match the attached records ({what}).")


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
    window_convention: ConventionOpt = None,
    locale: LocaleOpt = None,
    sig_figs: SigFigsOpt = None,
    max_file_size: MaxFileSize = None,
    config: ConfigOpt = None,
    template_dir: TemplateDirOpt = None,
) -> None:
    """Render one document without a brief file."""
    import datetime as dt

    from pydantic import ValidationError

    from reporter.brief import Brief
    from reporter.document import build_brief
    from reporter.formats import REGISTRY, by_suffix

    chosen = by_suffix(output.suffix)
    if chosen is None:
        raise UsageError(f"-o: expected a file ending in {_or_list([fmt.suffix for fmt in REGISTRY.values()])}")
    suffix = chosen.name
    loaded_config, config_path, collection = _document_inputs(
        config, records, window_convention=window_convention, locale=locale, sig_figs=sig_figs,
        max_file_size=max_file_size)
    _clearance(loaded_config, audience)
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
    _echo(f"wrote {built.paths[0]}")


@command()
def chart(
    paths: PathsArg = None,
    kind: Annotated[ChartKind, typer.Option("--kind", help="Which chart.", show_default=False)] = ...,  # type: ignore[assignment]
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .svg (vector) or .png.",
                                         show_default=False)] = ...,  # type: ignore[assignment]
    by: Annotated[TimelineGroup, typer.Option("--by", help="Timeline lanes.")] = TimelineGroup.ACTOR,
    period: Annotated[Period, typer.Option("--period", help="Periods of the per-period chart.")] = Period.YEAR,
    figure: Annotated[str, typer.Option("--figure", help="Figure of the by-actor chart.")] = "interactions",
    audience: Annotated[str | None, typer.Option("--audience", help="Only what this audience may see, as its "
                                                 "documents show it (clearances and small counts from "
                                                 "reporter.toml).", show_default=False)] = None,
    window_convention: ConventionOpt = None,
    locale: LocaleOpt = None,
    sig_figs: SigFigsOpt = None,
    max_file_size: MaxFileSize = None,
    config: ConfigOpt = None,
) -> None:
    """Draw one chart of the records as SVG or PNG; its alt text states the data."""
    from reporter import charts
    from reporter.audience import for_audience
    from reporter.metrics import collection_metrics
    from reporter.output import write_atomic
    from reporter.records import load_collection

    suffix = output.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise UsageError("-o: expected a file ending in .svg or .png")
    resolved = _resolve(config, window_convention=window_convention, locale=locale, sig_figs=sig_figs,
                        max_file_size=max_file_size)
    settings = resolved.settings()
    clearance = _clearance(resolved, audience) if audience is not None else None
    record_paths = _record_paths(paths, resolved)
    collection = load_collection(record_paths, max_file_size=resolved.input.max_file_size,
                                 locale=resolved.records_locale)
    view = for_audience(collection.incidents, clearance, resolved.documents.small_counts)
    incidents = view.incidents
    metrics = collection_metrics(incidents, settings)
    summary = next((view.summaries[i.id] for i in incidents if i.id in view.summaries), None)
    made = {
        ChartKind.TIMELINE: lambda: charts.timeline_chart(incidents, settings, by=by.value),
        ChartKind.BY_ACTOR: lambda: charts.by_actor_chart(metrics, figure=figure),
        ChartKind.RATES: lambda: charts.rates_chart(metrics, incidents),
        ChartKind.PER_PERIOD: lambda: charts.per_period_chart(metrics, period=period.value),
        ChartKind.DAILY_VOLUME: lambda: charts.daily_volume_chart(summary, settings) if summary else None,
    }[kind]()
    if made is None:
        raise InputError([Problem(", ".join(str(p) for p in record_paths), None, None, "",
                                  f"nothing to draw for a {kind.value} chart in these records")])
    font = resolved.documents.font
    write_atomic(output, charts.to_svg(made, font=font) if suffix == ".svg" else charts.to_png(made, font=font))
    _echo(f"wrote {output}: {made.alt}")


class NewKind(StrEnum):
    RECORD = "record"
    BRIEF = "brief"
    TEMPLATE = "template"


@command()
def new(
    what: Annotated[NewKind, typer.Argument(help="record, brief or template.", show_default=False)],
    name: Annotated[str, typer.Argument(help="Id of the record, or name of the brief or template (a slug).",
                                        show_default=False)],
    directory: Annotated[Path | None, typer.Option("--dir", help="Where to write it (default: paths.records[0], "
                                                   "briefs/, or paths.templates[0] in reporter.toml).",
                                                   show_default=False)] = None,
    template: Annotated[str, typer.Option("--template", help="Template of a new brief, or the bundled template a "
                                          "new template extends.", show_default=False)] = "regulator-letter",
    category: Annotated[str, typer.Option("--category", help="Category of a new record.")] = "uncategorised",
    config: ConfigOpt = None,
) -> None:
    """Start a record, a brief or a template from a skeleton that already works."""
    from reporter.document import templates_for
    from reporter.scaffold import new_brief, new_record, new_template

    settings = _resolve(config)
    if what is NewKind.RECORD:
        path = new_record(name, directory or _record_paths(None, settings)[0], category=category)
    elif what is NewKind.BRIEF:
        path = new_brief(name, directory or Path("briefs"), template=template, templates=templates_for(settings))
    else:
        if directory is None:
            if not settings.paths.templates:
                raise UsageError("--dir: say where the template goes (or set paths.templates in reporter.toml)")
            directory = settings.resolve(settings.paths.templates[0])
        path = new_template(name, directory, base=template.removeprefix("default:"))
    _echo(f"wrote {path}")


@command()
def schema() -> None:
    """Print the JSON Schema of record files (for editors and other tools)."""
    from reporter.records import record_json_schema

    _echo(json.dumps(record_json_schema(), indent=2, ensure_ascii=False), json_text=True)


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
