"""The product's fixed vocabularies of choices, as enums: one definition each.

The modules that do the work take their lists from here (``charts.KINDS``, ``metrics.BREAKDOWNS``,
the evidence engines) and the command line takes its choices from here, so a new chart kind,
breakdown or engine is added in one place. (Output formats are a registry of their own:
:mod:`reporter.formats`; window conventions are :class:`reporter.dates.WindowConvention`.)
This module imports nothing heavy: the CLI reads it at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class ChartKind(StrEnum):
    """Every chart kind, in the order documents show them."""

    TIMELINE = "timeline"
    BY_ACTOR = "by-actor"
    RATES = "rates"
    PER_PERIOD = "per-period"
    DAILY_VOLUME = "daily-volume"


class TimelineGroup(StrEnum):
    """What the lanes of a timeline chart are."""

    ACTOR = "actor"
    CATEGORY = "category"


class Period(StrEnum):
    """Calendar periods of breakdowns and per-period charts."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Breakdown(StrEnum):
    """Breakdowns of a collection's figures."""

    ACTOR = "actor"
    CATEGORY = "category"
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Engine(StrEnum):
    """Engines that summarise evidence logs."""

    LOCAL = "local"
    """Streaming, in this process, with bounded memory."""
    DASK = "dask"
    """The same partial aggregates on a Dask cluster."""
