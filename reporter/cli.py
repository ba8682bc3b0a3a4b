"""The command line: parse options, call the library, print, exit.

This is the only module that prints or exits. Exit status: 0 success, 1 invalid input
(every problem printed as ``path:line:col: key: message``), 2 bad usage.
"""

from __future__ import annotations

import functools
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from reporter.errors import InputError, Problem, ReporterError, UsageError
from reporter.loader import DEFAULT_MAX_FILE_SIZE

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
                                                show_default=False)]
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
        else:
            bad_files = len({p.path for p in report.problems})
            typer.echo(f"{_plural(len(report.problems), 'problem')} in {_plural(bad_files, 'file')} ({checked} checked).")
    raise typer.Exit(0 if report.ok else EXIT_INVALID)


@command()
def schema() -> None:
    """Print the JSON Schema of record files (for editors and other tools)."""
    from reporter.records import record_json_schema

    typer.echo(json.dumps(record_json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the ``reporter`` console script and ``python -m reporter``."""
    app()
