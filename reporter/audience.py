"""Audiences: an allow-list filter applied to records *before* metrics.

A document's pipeline only ever holds what its audience may see. Anything whose
sensitivity is above the audience's clearance -- a record, an actor, a figure, a timeline
event, a piece of evidence, an action, a disclosure, a source -- is dropped here, so no
metric can be derived from it later (no per-account rate from a withheld account count).
An item without its own sensitivity has its record's; a record without one is
confidential. What was withheld is counted, never described.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from reporter.quantities import Quantity
from reporter.records import Incident, LoadedIncident, Sensitivity

if TYPE_CHECKING:  # pragma: no cover - the evidence engine is imported only for records that cite logs
    from reporter.evidence import EvidenceSummary

T = TypeVar("T")


@dataclass(frozen=True)
class Redaction:
    """What the filter did: the kept incidents and how many things it withheld."""

    incidents: list[Incident]
    withheld_records: int
    withheld_items: int

    @property
    def withheld(self) -> bool:
        return bool(self.withheld_records or self.withheld_items)


def _allowed(item_sensitivity: Sensitivity | None, record: Sensitivity, clearance: Sensitivity) -> bool:
    return (item_sensitivity or record).rank <= clearance.rank


def redact_incident(incident: Incident, clearance: Sensitivity) -> tuple[Incident | None, int]:
    """The incident as ``clearance`` may see it, and how many items were withheld.

    Returns ``(None, 0)`` when the whole record is above the clearance.
    """
    record = incident.sensitivity
    if record.rank > clearance.rank:
        return None, 0
    withheld = 0

    def keep_list(items: list[T]) -> list[T]:
        nonlocal withheld
        kept = [item for item in items if _allowed(getattr(item, "sensitivity"), record, clearance)]
        withheld += len(items) - len(kept)
        return kept

    def keep_dict(items: dict[str, T]) -> dict[str, T]:
        nonlocal withheld
        kept = {k: v for k, v in items.items() if _allowed(getattr(v, "sensitivity"), record, clearance)}
        withheld += len(items) - len(kept)
        return kept

    actors = []
    for actor in keep_list(incident.actors):
        attribution = actor.attribution
        if attribution is not None:
            attribution = attribution.model_copy(update={"basis": keep_list(attribution.basis)})
        actors.append(actor.model_copy(update={"figures": keep_dict(actor.figures), "attribution": attribution}))
    disclosures = [
        disclosure.model_copy(update={"figures": keep_dict(disclosure.figures)})
        for disclosure in keep_list(incident.disclosures)
    ]
    redacted = incident.model_copy(update={
        "figures": keep_dict(incident.figures),
        "timeline": keep_dict(incident.timeline),
        "actors": actors,
        "evidence": keep_list(incident.evidence),
        "actions": keep_list(incident.actions),
        "disclosures": disclosures,
        "sources": keep_list(incident.sources),
        "targets": keep_list(incident.targets),
        "techniques": keep_list(incident.techniques),
    })
    return redacted, withheld


def redact(incidents: Iterable[Incident], clearance: Sensitivity) -> Redaction:
    """Filter a collection for a clearance (see the module docstring)."""
    kept: list[Incident] = []
    withheld_records = withheld_items = 0
    for incident in incidents:
        redacted, withheld = redact_incident(incident, clearance)
        if redacted is None:
            withheld_records += 1
        else:
            kept.append(redacted)
            withheld_items += withheld
    return Redaction(kept, withheld_records, withheld_items)


def suppress_small_counts(incidents: Iterable[Incident], threshold: int) -> list[Incident]:
    """Show breakdown figures (actors' shares) below ``threshold`` as "fewer than threshold".

    Small counts in a breakdown can identify people; public documents may blur them. The
    replacement is itself sound: a true value below the threshold is "fewer than" it.
    Applied before metrics, so totals and charts see the same blurred figures.
    """
    if threshold <= 0:
        return list(incidents)
    blurred = Quantity.under(threshold)
    result = []
    for incident in incidents:
        actors = []
        for actor in incident.actors:
            figures = {}
            for name, figure in actor.figures.items():
                q = figure.quantity
                if q.is_known and q.high is not None and q.high < threshold:
                    figure = figure.with_quantity(blurred.with_unit(q.unit))
                figures[name] = figure
            actors.append(actor.model_copy(update={"figures": figures}))
        result.append(incident.model_copy(update={"actors": actors}))
    return result


@dataclass(frozen=True)
class AudienceView:
    """Incidents exactly as one audience may see them: the one path every command takes.

    Attributes:
        incidents: the kept incidents, redacted, with the figures their still-cited evidence
            logs give, and (in public documents with ``small_counts``) small breakdown
            figures blurred.
        withheld_records: records above the clearance, dropped whole.
        withheld_items: items (figures, actors, events, ...) dropped from kept records.
        withheld_figures: per kept incident, the names of its figures that were dropped.
        summaries: the evidence-log summaries of logs the audience may see, by incident id.
    """

    incidents: list[Incident]
    withheld_records: int = 0
    withheld_items: int = 0
    withheld_figures: dict[str, set[str]] = field(default_factory=dict)
    summaries: dict[str, EvidenceSummary] = field(default_factory=dict)

    @property
    def withheld(self) -> bool:
        return bool(self.withheld_records or self.withheld_items)


def blurs_small_counts(clearance: Sensitivity | None, small_counts: int) -> bool:
    """Whether breakdown figures below ``small_counts`` are blurred for this clearance (public only)."""
    return clearance is Sensitivity.PUBLIC and small_counts > 0


def for_audience(loaded: Sequence[LoadedIncident], clearance: Sensitivity | None,
                 small_counts: int = 0) -> AudienceView:
    """The incidents of ``loaded`` as an audience of ``clearance`` may see them.

    Documents, ``reporter chart --audience`` and every other command that takes an audience
    come through here, so they select, redact and blur alike. In order: records and items
    above the clearance are dropped; interactions and accounts are computed from any evidence
    log the audience may still see (a withheld log is not even read, and a withheld figure
    stays withheld); small breakdown counts are blurred (public only). ``clearance`` None
    means everything (internal use: ``reporter metrics``).

    Raises:
        InputError: a cited log is missing, unreadable or outside the record's directory.
    """
    from reporter.logs import apply_logs

    pairs = []
    withheld_records = withheld_items = 0
    withheld_figures: dict[str, set[str]] = {}
    for item in loaded:
        incident, withheld = (item.incident, 0) if clearance is None else redact_incident(item.incident, clearance)
        if incident is None:
            withheld_records += 1
            continue
        withheld_items += withheld
        removed = set(item.incident.figures) - set(incident.figures)
        # Metrics derived from a removed figure are withheld too.
        if removed & {"accounts", "interactions"}:
            removed |= {"daily_rate", "per_account", "per_account_daily_rate"}
        withheld_figures[incident.id] = removed
        pairs.append((item, incident))
    summaries: dict[str, EvidenceSummary] = {}
    if any(entry.log for _, incident in pairs for entry in incident.evidence):
        incidents, summaries = apply_logs(pairs)
    else:
        incidents = [incident for _, incident in pairs]
    if clearance is not None and blurs_small_counts(clearance, small_counts):
        incidents = suppress_small_counts(incidents, small_counts)
    return AudienceView(incidents, withheld_records, withheld_items, withheld_figures, summaries)
