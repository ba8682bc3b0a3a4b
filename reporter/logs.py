"""Records that cite evidence logs: figures computed from the log, and stated figures checked against it.

An incident with ``evidence: [{log: path}]`` gets its ``interactions`` and ``accounts``
from the log (exact counts), in place of the stated ones, wherever the audience may see
that evidence. ``reporter check`` reports stated figures the log contradicts beyond their
qualifier. Log paths are relative to the record file and may not leave its directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.errors import EvidenceError, InputError, Problem
from reporter.quantities import Quantity, format_quantity
from reporter.records import Figure, Incident, LoadedIncident

if TYPE_CHECKING:  # the evidence engine imports pyarrow: only load it for records that cite logs
    from reporter.evidence import EvidenceSummary

COMPUTED = ("interactions", "accounts")


@dataclass(frozen=True)
class LogRef:
    """One evidence log cited by a record."""

    incident: str
    index: int  # position in the record's evidence list
    path: Path


def log_refs(loaded: LoadedIncident, incident: Incident | None = None) -> list[LogRef]:
    """The logs an incident cites, resolved against its file and confined to its directory.

    Args:
        loaded: the record as loaded (its file locates the logs).
        incident: the incident as an audience sees it (evidence it may not see is gone);
            the loaded one by default.
    """
    base = Path(loaded.path).resolve().parent
    refs = []
    for index, item in enumerate((incident or loaded.incident).evidence):
        if item.log is None:
            continue
        target = (base / item.log).resolve()
        if not target.is_relative_to(base):
            raise EvidenceError(f"{loaded.path}: evidence[{index}].log leads outside the record's directory")
        refs.append(LogRef(loaded.incident.id, index, target))
    return refs


def summarise(pairs: list[tuple[LoadedIncident, Incident]], engine: str = "local",
              scheduler: str | None = None) -> tuple[dict[str, EvidenceSummary], list[Problem]]:
    """Summaries of the first log each incident cites, by incident id, and located problems.

    Pass each record with the incident as the audience sees it: a log withheld from the
    audience is neither read nor used.
    """
    summaries: dict[str, EvidenceSummary] = {}
    problems: list[Problem] = []
    for loaded, incident in pairs:
        try:
            refs = log_refs(loaded, incident)
            if refs:
                from reporter.evidence import summarize_log

                summaries[incident.id] = summarize_log(refs[0].path, engine=engine, scheduler=scheduler)
        except EvidenceError as exc:
            index = next((i for i, item in enumerate(loaded.incident.evidence) if item.log), 0)
            problems.append(loaded.problem(("evidence", index, "log"), str(exc).replace(str(Path.cwd()) + "/", "")))
    return summaries, problems


def with_log_figures(incident: Incident, summary: EvidenceSummary | None,
                     withheld: frozenset[str] | set[str] = frozenset()) -> Incident:
    """The incident with interactions and accounts computed from its log.

    ``summary`` must come from a log this incident (as the audience sees it) cites. A figure
    the audience filter removed (``withheld``) stays removed; a computed figure keeps the
    stated figure's sensitivity, or else the log's.
    """
    logs = [item for item in incident.evidence if item.log]
    if summary is None or not logs:
        return incident
    figures = dict(incident.figures)
    for name, count in (("interactions", summary.interactions), ("accounts", summary.accounts)):
        if name in withheld:
            continue
        stated = figures.get(name)
        sensitivity = stated.sensitivity if stated else logs[0].sensitivity
        # A count from the log is exact to its last digit (not "28.8 million" because it ends in zeros).
        figures[name] = Figure.model_validate({"value": count, "sensitivity": sensitivity}).with_quantity(
            Quantity.exact(count))
    return incident.model_copy(update={"figures": figures})


def apply_logs(pairs: list[tuple[LoadedIncident, Incident]]) -> tuple[list[Incident], dict[str, EvidenceSummary]]:
    """Each incident as its audience sees it (the second of each pair), with the figures its
    still-cited log gives; figures the audience filter removed stay removed.

    Raises:
        InputError: a cited log is missing, unreadable or outside the record's directory.
    """
    summaries, problems = summarise(pairs)
    if problems:
        raise InputError(problems)
    incidents = [with_log_figures(incident, summaries.get(incident.id), set(loaded.incident.figures) - set(incident.figures))
                 for loaded, incident in pairs]
    return incidents, summaries


def check_against_logs(loaded: LoadedIncident, summary: EvidenceSummary, locale: str = "en_US") -> list[Problem]:
    """Stated figures the log contradicts: the computed count lies outside what the qualifier allows."""
    problems = []
    computed = {"interactions": summary.interactions, "accounts": summary.accounts}
    for name in COMPUTED:
        figure = loaded.incident.figures.get(name)
        if figure is None:
            continue
        if not figure.quantity.contains(computed[name]):
            problems.append(loaded.problem(
                ("figures", name),
                f"stated as {format_quantity(figure.quantity, locale)}, but the evidence log counts "
                f"{format_quantity(Quantity.exact(computed[name]), locale, sig_figs=15)}",
            ))
    return problems
