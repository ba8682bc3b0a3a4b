"""Plain-text and CSV views of computed metrics (for `reporter metrics`)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from reporter.metrics import BREAKDOWNS, CollectionMetrics, Group, IncidentMetrics, Settings
from reporter.quantities import positional, Quantity, format_quantity

if TYPE_CHECKING:
    from reporter.evidence import EvidenceSummary

_CONVENTION_HELP = {
    "elapsed": "window days = end − start",
    "inclusive": "window days = end − start + 1 (both ends counted)",
}


def _cell(q: Quantity, settings: Settings) -> str:
    phrase = format_quantity(q, settings.locale, settings.sig_figs)
    return phrase if q.is_known else f"{phrase} ({q.reason})"


def _rows(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(name) for name, _ in rows), default=0)
    return [f"{indent}{name.ljust(width)}  {value}".rstrip() for name, value in rows]


def _group_lines(title: str, groups: dict[str, Group], settings: Settings) -> list[str]:
    lines = [f"By {title}"]
    for name, group in groups.items():
        lines.append(f"  {name} ({group.count} incident{'' if group.count == 1 else 's'})")
        lines += _rows([(figure, _cell(q, settings)) for figure, q in group.figures.items()], "    ")
    return lines


def incident_table(metrics: IncidentMetrics, settings: Settings) -> str:
    """One incident's part of :func:`metrics_table`: its id, then its figures and metrics."""
    lines = [metrics.id, *_rows([(name, _cell(q, settings)) for name, q in metrics.all().items()]), ""]
    return "\n".join(lines) + "\n"


def metrics_table(metrics: CollectionMetrics, by: list[str], incidents: list[str] | None = None) -> str:
    """A readable report: each incident's figures and metrics, then the collection.

    ``incidents``: the incidents' parts (:func:`incident_table`), if already made (by worker processes).
    """
    settings = metrics.settings
    convention = str(settings.convention)
    parts = [f"Window convention: {convention} ({_CONVENTION_HELP[convention]})\n\n"]
    parts += incidents if incidents is not None else [incident_table(m, settings) for m in metrics.incidents.values()]
    lines = [f"Collection ({metrics.count} incident{'' if metrics.count == 1 else 's'})"]
    lines += _rows(
        [(f"total {name}", _cell(q, settings)) for name, q in metrics.totals.items()]
        + [("active days", _cell(metrics.active_days, settings)),
           ("peak concurrency", _cell(metrics.peak_concurrency, settings))]
    )
    for key in BREAKDOWNS:
        if key in by and key in metrics.breakdowns:
            lines.append("")
            lines += _group_lines(key, metrics.breakdowns[key], settings)
    parts.append("\n".join(lines) + "\n")
    return "".join(parts)


_CSV_FIELDS = ["scope", "group", "name", "value", "low", "high", "qualifier", "unit", "phrase", "reason"]


class _CsvRows:
    """CSV rows of quantities, written as :func:`metrics_csv` lays them out."""

    def __init__(self, settings: Settings, header: bool):
        self.settings = settings
        self.out = io.StringIO()
        self.writer = csv.DictWriter(self.out, fieldnames=_CSV_FIELDS, lineterminator="\n")
        if header:
            self.writer.writeheader()

    def write(self, scope: str, group: str, name: str, q: Quantity) -> None:
        row = {"scope": scope, "group": group, "name": name, **q.as_dict(),
               "phrase": format_quantity(q, self.settings.locale, self.settings.sig_figs)}
        self.writer.writerow({key: csv_cell(value) for key, value in row.items()})


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Text from records (actor names, categories, units, reasons) that begins with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, as OWASP's
    CSV-injection guidance advises. Numbers are left as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if type(value) is float and value != 0 and -1e-4 < value < 1e-4:
        return positional(value)  # the README's number form: no exponent
    return value


def incident_csv(metrics: IncidentMetrics, settings: Settings) -> str:
    """One incident's rows of :func:`metrics_csv`."""
    rows = _CsvRows(settings, header=False)
    for name, q in metrics.all().items():
        rows.write("incident", metrics.id, name, q)
    return rows.out.getvalue()


def metrics_csv(metrics: CollectionMetrics, incidents: list[str] | None = None) -> str:
    """Every quantity as one CSV row: scope (incident, total, by_*), group, name and its parts.

    ``incidents``: the incidents' rows (:func:`incident_csv`), if already made (by worker processes).
    """
    settings = metrics.settings
    rows = _CsvRows(settings, header=True)
    rows.out.write("".join(incidents if incidents is not None else
                           [incident_csv(m, settings) for m in metrics.incidents.values()]))
    for name, q in metrics.totals.items():
        rows.write("total", "", name, q)
    for key in BREAKDOWNS:
        for group_name, group in metrics.breakdowns.get(key, {}).items():
            rows.write(f"by_{key}", group_name, "count", Quantity.exact(group.count))
            for name, q in group.figures.items():
                rows.write(f"by_{key}", group_name, name, q)
    return rows.out.getvalue()


def evidence_table(summary: EvidenceSummary, locale: str = "en_US") -> str:
    """A readable summary of an event log's computed figures."""
    data = summary.as_dict()

    def n(x: float) -> str:
        return format_decimal(x, locale=locale)

    lines = [f"Evidence log {summary.source} (sha256 {summary.sha256})"]
    lines += _rows([
        ("interactions", n(data["interactions"])),
        ("accounts", n(data["accounts"])),
        ("first event", data["first"]),
        ("last event", data["last"]),
        ("window days", n(round(data["window_days"], 3)) + " (elapsed, last − first)"),
    ])
    for title, key in (("Per account", "per_account"), ("Per account per day", "per_account_daily")):
        lines.append(title)
        lines += _rows([(stat, n(round(value, 2))) for stat, value in data[key].items()])
    if data["by_capability"]:
        lines.append("By capability")
        lines += _rows([(name, n(count)) for name, count in data["by_capability"].items()])
    lines.append("Daily")
    def counted(count: int, word: str) -> str:
        return f"{n(count)} {word}{'' if count == 1 else 's'}"

    lines += _rows([(day["date"], f"{counted(day['interactions'], 'interaction')}, {counted(day['accounts'], 'account')}")
                    for day in data["daily"]])
    return "\n".join(lines) + "\n"
