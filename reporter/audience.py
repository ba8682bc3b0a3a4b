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

from reporter.errors import Problem
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
    """Show breakdown figures (actors' shares) below ``threshold`` as "fewer than threshold",
    and blur whatever else would give them back.

    Small counts in a breakdown can identify people; public documents may blur them. The
    replacement is itself sound: a true value below the threshold is "fewer than" it. A reader
    who assumes that the actors' shares add up to the incident's figure could still subtract:
    total 5,000, one actor 4,993, the other "fewer than 10" gives 7. So, as statistical agencies
    do (secondary suppression), the next-smallest share is then shown as a lower bound low
    enough that every value below the threshold stays possible ("at least 4,900"), and where no
    other share is shown, the total is blurred instead. Applied before metrics, so totals and
    charts see the same figures.
    """
    if threshold <= 0:
        return list(incidents)
    return [_suppress_incident(incident, threshold) for incident in incidents]


def _small(q: Quantity, threshold: int) -> bool:
    return q.is_known and q.high is not None and q.high < threshold


def _bounds(q: Quantity) -> tuple[float, float]:
    """A shown quantity's bounds as a reader takes them (a count is never below 0)."""
    low = 0.0 if q.low is None else max(0.0, float(q.low))
    return low, float("inf") if q.high is None else float(q.high)


def recoverable(total: Quantity, shown: list[Quantity], blurred: int, threshold: int) -> bool:
    """Whether ``blurred`` shares each shown as "fewer than ``threshold``" are narrowed down, to a
    reader who subtracts the other ``shown`` shares from ``total`` (assuming they add up).

    Each blurred share lies in [0, threshold − 1]; the sum of the blurred shares lies in
    [total.low − Σ high, total.high − Σ low] of the others. A reader learns something exactly
    when that narrows a blurred share inside [0, threshold − 1] without contradicting it.
    """
    if blurred <= 0 or not total.is_known:
        return False
    top = threshold - 1
    total_low, total_high = _bounds(total)
    lows, highs = zip(*(_bounds(q) for q in shown)) if shown else ((), ())
    sum_low, sum_high = total_low - sum(highs), total_high - sum(lows)
    share_low, share_high = sum_low - (blurred - 1) * top, sum_high
    if share_high < 0 or share_low > top:
        return False  # the shares cannot add up to the total: nothing follows
    return share_low > 0 or share_high < top


def _others(actors: list[dict], name: str, small: list[int]) -> list[int]:
    return [i for i, figures in enumerate(actors) if name in figures and i not in small]


def _floor_2(x: float) -> int:
    """``x`` rounded down to two significant figures (4,993 → 4,900), as a whole number."""
    n = int(x // 1)
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return n // scale * scale


def _suppress_incident(incident: Incident, threshold: int) -> Incident:
    blurred_q = Quantity.under(threshold)
    actors = [dict(actor.figures) for actor in incident.actors]
    totals = dict(incident.figures)
    names = sorted({name for figures in actors for name in figures})
    for name in names:
        small = [i for i, figures in enumerate(actors) if name in figures and _small(figures[name].quantity, threshold)]
        if not small:
            continue
        for i in small:
            q = actors[i][name].quantity
            actors[i][name] = actors[i][name].with_quantity(blurred_q.with_unit(q.unit))
        total = totals.get(name)
        if total is None:
            continue  # no total to subtract from
        while recoverable(total.quantity, [actors[i][name].quantity for i in _others(actors, name, small)],
                          len(small), threshold):
            others = _others(actors, name, small)
            bounded = [i for i in others if _bounds(actors[i][name].quantity) != (0.0, float("inf"))]
            if bounded:
                # The next-smallest share becomes a lower bound: no more than it was, and low enough
                # that the blurred shares may be anything below the threshold. (A share that cannot
                # have such a bound is left out.)
                c = min(bounded, key=lambda i: _bounds(actors[i][name].quantity)[::-1])
                q = actors[c][name].quantity
                rest = sum(_bounds(actors[i][name].quantity)[0] for i in others if i != c)
                limit = min(_bounds(q)[0], _bounds(total.quantity)[1] - rest - len(small) * (threshold - 1))
                if limit >= 1:
                    actors[c][name] = actors[c][name].with_quantity(Quantity.at_least(_floor_2(limit), unit=q.unit))
                else:
                    del actors[c][name]
                continue
            # No share left to blur: the total itself says too much.
            q = total.quantity
            if q.high is None:
                del totals[name]
                break
            ceiling = max(int(q.high // 1) + 1, len(small) * threshold)
            total = totals[name] = total.with_quantity(Quantity.under(ceiling, unit=q.unit))
    updated = [actor.model_copy(update={"figures": figures}) for actor, figures in zip(incident.actors, actors,
                                                                                       strict=True)]
    return incident.model_copy(update={"actors": updated, "figures": totals})


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
    warnings: list[Problem] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        return bool(self.withheld_records or self.withheld_items)


_RECOVERABLE = ("a document for a {audience} audience shows this total and some actors' shares of it, from which "
                "the shares it withholds can be worked out{more}")

LOG_REVEALS = ("interactions", "accounts")
"""The figures an evidence log's summary (its daily series) lets a reader work out."""


def blurs_small_counts(clearance: Sensitivity | None, small_counts: int) -> bool:
    """Whether breakdown figures below ``small_counts`` are blurred for this clearance (public only)."""
    return clearance is Sensitivity.PUBLIC and small_counts > 0


def recoverable_shares(original: Incident, shown: Incident) -> list[str]:
    """Figures of ``shown`` (an incident as an audience sees it) whose total, less the actors'
    shares the audience sees, pins down the shares it may not see.

    Total 10,000 with visible shares 6,000 and 0 gives the withheld actor's 4,000. A figure is
    named when some actor's share of it is withheld, another's is shown, and the total less
    the shown shares is bounded on both sides and above zero.
    """
    names = []
    kept = {actor.name: actor for actor in shown.actors}
    for name, total in shown.figures.items():
        visible, withheld = [], 0
        for actor in original.actors:
            if name not in actor.figures:
                continue
            seen = kept.get(actor.name)
            if seen is not None and name in seen.figures:
                visible.append(seen.figures[name].quantity)
            else:
                withheld += 1
        if not withheld or not visible or not total.quantity.is_known:
            continue
        low, high = _bounds(total.quantity)
        rest_low = low - sum(_bounds(q)[1] for q in visible)
        rest_high = high - sum(_bounds(q)[0] for q in visible)
        if rest_high != float("inf") and rest_low > 0:
            names.append(name)
    return names


def for_audience(loaded: Sequence[LoadedIncident], clearance: Sensitivity | None,
                 small_counts: int = 0, *, withhold_totals: bool = False) -> AudienceView:
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
    warnings: list[Problem] = []
    withheld_records = withheld_items = 0
    withheld_figures: dict[str, set[str]] = {}
    for item in loaded:
        incident, withheld = (item.incident, 0) if clearance is None else redact_incident(item.incident, clearance)
        if incident is None:
            withheld_records += 1
            continue
        withheld_items += withheld
        if clearance is not None:
            recoverable = recoverable_shares(item.incident, incident)
            if recoverable:
                warnings.extend(item.problem(("figures", name), _RECOVERABLE.format(
                    audience=clearance.value, more=" (the brief shows it as withheld)" if withhold_totals else
                    "; set withhold_totals: true in the brief to show the total as withheld, or give the total "
                    "the sensitivity of the shares"), severity="warning") for name in recoverable)
                if withhold_totals:
                    incident = incident.model_copy(update={"figures": {
                        name: figure for name, figure in incident.figures.items() if name not in recoverable}})
        removed = set(item.incident.figures) - set(incident.figures)
        # Metrics derived from a removed figure are withheld too.
        if removed & {"accounts", "interactions"}:
            removed |= {"daily_rate", "per_account", "per_account_daily_rate"}
        withheld_figures[incident.id] = removed
        pairs.append((item, incident))
    summaries: dict[str, EvidenceSummary] = {}
    if any(entry.log for _, incident in pairs for entry in incident.evidence):
        incidents, summaries = apply_logs(pairs)
        # A log's daily series adds up to the interactions and peaks near the accounts: it is
        # shown only where the figure table shows both (whatever the log's own sensitivity).
        shown = {incident.id: incident for incident in incidents}
        summaries = {incident_id: summary for incident_id, summary in summaries.items()
                     if all(name in shown[incident_id].figures for name in LOG_REVEALS)}
    else:
        incidents = [incident for _, incident in pairs]
    if blurs_small_counts(clearance, small_counts):
        incidents = suppress_small_counts(incidents, small_counts)
    return AudienceView(incidents, withheld_records, withheld_items, withheld_figures, summaries, warnings)


def audience_warnings(loaded: Sequence[LoadedIncident], clearances: Iterable[Sensitivity]) -> list[Problem]:
    """What documents for each of ``clearances`` below the highest would let a reader work out
    (see :func:`recoverable_shares`), as warnings located at the figures, for ``reporter check``."""
    warnings: list[Problem] = []
    for clearance in sorted(set(clearances), key=lambda c: c.rank):
        if clearance is not Sensitivity.RESTRICTED:
            warnings += for_audience(loaded, clearance).warnings
    return warnings
