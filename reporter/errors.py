"""Typed errors raised by the library.

Only :mod:`reporter.cli` turns these into messages and exit codes. Every error a
user can cause carries enough location to be fixed: a file, and where the parser
knows them a line, a column and the dotted key path of the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file.

    Attributes:
        path: the file, as the user named it (or as found under a named directory).
        line: 1-based line, or None where no line exists (an empty file, a whole-file limit).
        column: 1-based column, or None with line.
        key: dotted key path of the offending key or value, e.g. ``figures.accounts`` or
            ``actors[1].name``; empty for the whole file.
        message: what is wrong and what was expected. Never echoes a confidential value.
        severity: ``"error"`` or ``"warning"``.
    """

    path: str
    line: int | None
    column: int | None
    key: str
    message: str
    severity: str = field(default="error", compare=False)

    def location(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        prefix = self.location() + ":"
        if self.key:
            prefix += f" {self.key}:"
        if self.severity == "warning":
            prefix += " warning:"
        return f"{prefix} {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
        }


class ReporterError(Exception):
    """Base class of every error the library raises on purpose."""


class UsageError(ReporterError):
    """The caller asked for something that cannot be done as asked (bad option, missing path)."""


class InputError(ReporterError):
    """One or more input files are invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ChecksFailed(InputError):
    """A build's checks found errors (or, with ``strict``, warnings): nothing was written.

    ``problems`` holds every problem found, warnings too, as ``reporter check`` prints them.
    """

    def __init__(self, problems: list[Problem], strict: bool = False):
        super().__init__(problems)
        self.strict = strict


class QuantityError(ReporterError, ValueError):
    """A quantity could not be read ("about 25,000", "over 13 million", 28_800_000, ...)."""


class DateError(ReporterError, ValueError):
    """A date, partial date or datetime could not be read."""


class ConfigError(ReporterError):
    """reporter.toml or a brief is invalid."""


class TemplateError(ReporterError):
    """A document template is missing, unsafe or failed to render."""


class TemplateMissing(TemplateError):
    """No template of that name in any template directory."""


class RenderError(ReporterError):
    """A document could not be produced (Markdown, HTML or PDF stage)."""


class ChartError(UsageError, ValueError):
    """A chart that cannot be made as asked (unknown kind, grouping or period)."""


class OutputError(ReporterError):
    """An output file or directory could not be written."""


class EvidenceError(ReporterError):
    """An evidence log is missing, unreadable or lacks a required column."""
