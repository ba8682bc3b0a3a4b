"""Charts: Vega-Lite specs built with Altair, alt text from the data, offline static export.

Every chart is a :class:`Chart`: a caption, alt text that states the data, and a Vega-Lite
spec whose inline data rows hold only the aggregated columns its encodings use. Record text
(actor names, incident titles) enters a spec only as a data value -- never as an expression,
a label format, a URL or markup -- and numbers are phrased with Babel
(:func:`~reporter.quantities.format_quantity`), never by Vega.

Figures are qualified quantities, drawn honestly:

- exact: a plain bar;
- about: a bar to the stated figure with an error bar over its bounds;
- lower bound ("more than 13 million"): a bar to the bound and an open-ended arrow;
- range, "fewer than", "up to": a pale floating bar over the bounds;
- unknown: no bar; a note under the chart, and in its alt text, names what is not shown.

Charts do not mislead: names wrap onto lines and are never cut to "…"; values more than
:data:`LOG_SPAN` times apart stand on a log scale whose axis says so; an incident without
actors has a timeline lane of its own; a time axis has one date format and ticks far enough
apart that their labels never meet.

Export runs vl-convert in-process with no base URL allowed, so nothing is fetched, and
rewrites the SVG's generated ids so that the same chart always gives the same bytes.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import re
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from babel import Locale

from reporter.dates import format_date_range, format_when, format_window, parse_when
from reporter.errors import ChartError
from reporter.kinds import ChartKind, Period, TimelineGroup
from reporter.text import reveal
from reporter.words import words_for
from reporter.metrics import UNKNOWN_PERIOD, CollectionMetrics, Settings
from reporter.quantities import PartialSum, Qualifier, Quantity, format_quantity
from reporter.records import Incident

if TYPE_CHECKING:  # Altair takes half a second to import: only chart building pays for it
    import altair as alt

    from reporter.evidence import EvidenceSummary

__all__ = [
    "KINDS",
    "Chart",
    "ChartError",
    "build_chart",
    "by_actor_chart",
    "daily_volume_chart",
    "per_period_chart",
    "rates_chart",
    "timeline_chart",
    "to_png",
    "to_svg",
]

KINDS = tuple(kind.value for kind in ChartKind)
"""Every chart kind, in the order documents show them."""

TIMELINE_GROUPS = tuple(group.value for group in TimelineGroup)
PERIODS = tuple(period.value for period in Period)

# -- house theme ----------------------------------------------------------------------------------

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
"""Okabe–Ito, reordered so that yellow (hard to read on white paper) comes last."""

INK = "#222222"
MUTED = "#666666"
PRIMARY = PALETTE[0]
SECONDARY = PALETTE[1]
WIDTH = 480
ROW_STEP = 24  # px per bar or lane: room for a 10 px label and a gap in print
MAX_BARS = 15  # bars or lanes in one chart: beyond this, the rest are drawn as one ("1,985 others")
DEFAULT_FONT = "DejaVu Sans"
LABEL_SIZE = 10
TITLE_SIZE = 11
# Average advance of a 10 px sans-serif glyph, used to leave room for a bar's label; generous
# so that a long phrase never runs off the chart.
_CHAR_PX = 6.4
_LABEL_GAP_PX = 6
_ARROW_PX = 12
# Names beside bars and lanes wrap onto lines of at most this many characters (about 200 px),
# and are never cut: no label limit anywhere, so no label can end in "…".
_WRAP_CHARS = 32
_LINE_PX = 12  # line height of wrapped names and notes
_BAR_PX = 15  # thickness of a bar or lane, whatever room its name takes
_NOTE_CHARS = 80  # characters per line of the note under a chart
LOG_SPAN = 100  # plotted values whose largest is more than this many times the smallest: a log scale


def _config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "font": DEFAULT_FONT,
        "background": "white",
        "padding": 8,
        # Vega's automatic ARIA labels list raw field values ("bar_end: 13000000") and would
        # state a lower bound as an exact number; the export adds the alt text as <title>.
        "aria": False,
        "view": {"stroke": None},
        "axis": {
            "labelFontSize": LABEL_SIZE,
            "titleFontSize": TITLE_SIZE,
            "titleFontWeight": "normal",
            "labelColor": INK,
            "titleColor": INK,
            "domainColor": MUTED,
            "tickColor": MUTED,
            "gridColor": "#e5e5e5",
            "labelLimit": 0,  # no limit: a label is never cut to "…" (long names wrap instead)
        },
        "legend": {"labelFontSize": LABEL_SIZE, "titleFontSize": TITLE_SIZE, "labelColor": INK, "titleColor": INK},
        "header": {"labelFontSize": LABEL_SIZE, "titleFontSize": TITLE_SIZE},
        "text": {"fontSize": LABEL_SIZE, "color": INK},
        "title": {"fontSize": TITLE_SIZE, "fontWeight": "normal", "anchor": "start", "color": INK, "offset": 6},
        "range": {"category": list(PALETTE)},
    }
    locale = _d3_locale(settings.locale)
    if locale is not None:
        config["locale"] = locale
    return config


def _d3_locale(locale: str) -> dict[str, Any] | None:
    """d3 number and time locale for axes, carried in the spec (None for Vega's own en-US)."""
    tag = locale.replace("_", "-")
    if tag == "en-US":
        return None
    import vl_convert as vlc

    try:
        return {"number": vlc.get_format_locale(tag), "time": vlc.get_time_format_locale(tag)}
    except ValueError:
        return None  # d3 has no such locale: axes fall back to en-US; labels are Babel's anyway


# -- wording ----------------------------------------------------------------------------------------

def _words(settings: Settings) -> dict[str, str]:
    return words_for(settings.locale).charts


def _count(n: int, forms: str, settings: Settings) -> str:
    """``n`` and the noun that agrees with it: "1 incident", "2 incidents", "2 Vorfälle"."""
    one, other = forms.split("|")
    number = _exact(n, settings)
    return f"{number} {one if Locale.parse(settings.locale).plural_form(n) == 'one' else other}"


def _exact(n: int, settings: Settings) -> str:
    """A count as prose states it: rounded to the significant figures, and then said to be "about"."""
    return format_quantity(Quantity.exact(n), settings.locale, settings.sig_figs)


def _whole(n: int, settings: Settings) -> str:
    """A count of things (bars, lanes) with every digit: "1,985", never "about 2,000"."""
    return format_quantity(Quantity.exact(n), settings.locale, sig_figs=15)


def _figure_words(figure: str, settings: Settings) -> str:
    return words_for(settings.locale).chart_figures.get(figure, figure.replace("_", " "))


def _not_shown(template: str, names: Sequence[str], settings: Settings, **fields: str) -> str | None:
    """The note that names what a chart leaves out ("Not shown, …: Beta Group; Reseller."), or None.

    Beyond :data:`MAX_BARS` names, the rest are counted ("1,985 others").
    """
    if not names:
        return None
    if len(names) > MAX_BARS:
        rest = _words(settings)["others"].format(count=_whole(len(names) - MAX_BARS + 1, settings))
        names = [*names[:MAX_BARS - 1], rest]
    return template.format(items=_words(settings)["item_separator"].join(names), **fields)


# -- names, notes, scales -------------------------------------------------------------------------


def _wrap(text: str, width: int = _WRAP_CHARS) -> list[str]:
    """``text`` on lines of at most ``width`` characters, broken at spaces and hyphens, and inside a
    word only where one word is longer than a line. Every character but the breaking spaces stays."""
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=True) or [text]


def _names(alt: Any, rows: list[dict[str, Any]], y: Any) -> list[Any]:
    """Text layers that draw each row's (wrapped) ``name`` to the left of the plot, centred on its row.

    Vega draws the lines of a text downwards from its anchor: a name of n lines is raised by
    half of its n - 1 extra lines, one layer per count of lines (no expressions).
    """
    counts = sorted({row["lines"] for row in rows})
    layers = []
    for n in counts:
        layer = alt.Chart().mark_text(
            align="right", baseline="middle", dx=-_LABEL_GAP_PX, dy=-(n - 1) * _LINE_PX / 2, lineBreak="\n",
            lineHeight=_LINE_PX, limit=0,
        ).encode(y=y, x=alt.value(0), text="name:N")
        if len(counts) > 1:
            layer = layer.transform_filter(alt.FieldEqualPredicate(field="lines", equal=n))
        layers.append(layer)
    if len(counts) == 1:
        for row in rows:
            del row["lines"]
    return layers


def _row_step(rows: list[dict[str, Any]]) -> int:
    """Pixels per bar or lane: room for the longest name's lines and a gap."""
    most = max((row.get("lines", 1) for row in rows), default=1)
    return max(ROW_STEP, most * _LINE_PX + 10)


def _named(name: str) -> tuple[str, int]:
    """A name as drawn (its lines joined by line feeds) and its count of lines."""
    lines = _wrap(name)
    return "\n".join(lines), len(lines)


def _with_note(chart: Any, note: str | None, width: float = WIDTH) -> Any:
    """``chart`` above its note, drawn as text from a data row (record names are data, never markup)."""
    if note is None:
        return chart
    alt = _altair()
    lines = _wrap(note, _NOTE_CHARS)
    text = alt.Chart(alt.InlineData(values=[{"note": "\n".join(lines)}])).mark_text(
        align="left", baseline="top", lineBreak="\n", lineHeight=_LINE_PX, limit=0, color=MUTED,
    ).encode(text="note:N", x=alt.value(0), y=alt.value(0)).properties(width=width, height=len(lines) * _LINE_PX)
    return alt.vconcat(chart, text, spacing=12)


def _log_span(values: Iterable[float]) -> tuple[float, float] | None:
    """The smallest and largest positive value, when the largest is more than :data:`LOG_SPAN` times the
    smallest (bars on one linear scale would flatten the small ones to nothing), else None."""
    positive = [v for v in values if v is not None and v > 0]
    if not positive or max(positive) <= LOG_SPAN * min(positive):
        return None
    return min(positive), max(positive)


def _log_floor(smallest: float) -> float:
    """The power of ten a log-scale bar starts from: a decade or more below the smallest value, so
    that the shortest bar is still a bar."""
    return float(10.0 ** (math.floor(math.log10(smallest) + 1e-9) - 1))


def _log_ticks(low: float, high: float, room_px: float = WIDTH, label_px: float | None = None) -> list[float]:
    """Powers of ten from ``low`` to ``high``, every one or every few, so that their labels never touch."""
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    powers = [10.0 ** e for e in range(first, last + 1)]
    if len(powers) < 2:
        return powers
    widest = label_px or max(len(f"{p:,.0f}" if p >= 1 else f"{p:g}") for p in powers) * _CHAR_PX + 12
    decade_px = room_px / max(math.log10(high / low), 1e-9)
    step = max(1, math.ceil(widest / decade_px))
    return powers[::step]


def _log_title(title: str, settings: Settings) -> str:
    return _words(settings)["log_axis"].format(title=title)


def _time_axis(first: date, last: date, settings: Settings) -> dict[str, Any]:
    """One date format and tick interval for a time axis from ``first`` to ``last``.

    Vega's default mixes formats on one axis ("July", "2024", "April"); here every label has
    the same form, and there are few enough ticks that labels never meet.
    """
    words = _words(settings)
    days = max((last - first).days, 1)
    # d3 counts days and months within their month and year ("every 2 days" is 29, 31, 1): months
    # and years step by divisors of 12 and by round numbers; days are listed, evenly spaced.
    if days > 6 * 366:
        fmt = words["year_format"]
        step = next((s for s in (1, 2, 5, 10, 20, 50, 100) if days / 365.25 / s <= 8), 1000)
        return {"format": fmt, "tickCount": {"interval": "year", "step": step}, "labelOverlap": True}
    if days > 120:
        fmt = words["month_format"]
        step = next((s for s in (1, 2, 3, 6) if days / 30.44 / s <= 7), 12)
        return {"format": fmt, "tickCount": {"interval": "month", "step": step}, "labelOverlap": True}
    step = next(s for s in (1, 2, 3, 7, 14, 21) if days / s <= 8)
    ticks = [first + timedelta(days=n) for n in range(0, days + 1, step)]
    values = [{"year": d.year, "month": d.month, "date": d.day, "utc": True} for d in ticks]
    return {"format": words["day_format"], "values": values, "labelOverlap": True}


# -- the chart --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A chart ready to export.

    Attributes:
        kind: one of :data:`KINDS`.
        title: caption, e.g. "Interactions by actor" (not drawn inside the chart: documents
            caption it).
        alt: plain-text alt text that states the data; escape it for the target format.
        spec: Vega-Lite JSON with inline data rows only.
    """

    kind: str
    title: str
    alt: str
    spec: dict[str, Any]


def _altair() -> Any:
    import altair as alt
    from altair.utils.schemapi import disable_debug_mode

    # Altair validates every object against the Vega-Lite schema as it is built, which is
    # most of the cost of a chart. Our specs come from fixed code; tests validate them.
    disable_debug_mode()
    return alt


def _finish(chart: alt.TopLevelMixin, settings: Settings) -> dict[str, Any]:
    """The Vega-Lite dict of an Altair chart, with the house theme and its data inline."""
    spec = chart.to_dict(validate=False)
    spec["config"] = _config(settings)
    return _inline_datasets(spec)


def _inline_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """Put Altair's named datasets back where they are used, so that each spec reads on its own."""
    datasets = spec.pop("datasets", None)
    if not datasets:
        return spec

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and set(data) == {"name"} and data["name"] in datasets:
                node = {**node, "data": {"values": datasets[data["name"]]}}
            return {key: (value if key == "data" else visit(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    return visit(spec)


# -- bars of quantities ----------------------------------------------------------------------------

_EXACT, _ABOUT, _LOWER, _EXTENT = "exact", "about", "lower-bound", "extent"
_NOTE = "note"  # a row with a label and no bar: the rest of many items, too large to share a scale


def _form(q: Quantity) -> str:
    if q.high is None:
        return _LOWER
    if q.qualifier is Qualifier.EXACT:
        return _EXACT
    if q.qualifier is Qualifier.ABOUT and q.value is not None:
        return _ABOUT
    return _EXTENT  # range, "fewer than", "up to": somewhere between the bounds


def _sort_value(q: Quantity) -> float:
    if q.qualifier in (Qualifier.EXACT, Qualifier.ABOUT, Qualifier.OVER, Qualifier.AT_LEAST) and q.value is not None:
        return q.value
    low = q.low or 0.0
    return low if q.high is None else (low + q.high) / 2


def _label_room(value: float, label: str, extra_px: float) -> float:
    """The smallest axis maximum that leaves the label beside a bar ending at ``value`` on the chart."""
    label_px = len(label) * _CHAR_PX + _LABEL_GAP_PX + extra_px
    return value * WIDTH / max(WIDTH - label_px, WIDTH / 4)


def _log_room(value: float, label: str, extra_px: float, floor: float) -> float:
    """:func:`_label_room` on a log scale from ``floor``: the label takes its share of the decades."""
    share = min((len(label) * _CHAR_PX + _LABEL_GAP_PX + extra_px) / WIDTH, 0.75)
    return float(10 ** ((math.log10(value) - share * math.log10(floor)) / (1 - share)))


def _round_up(x: float) -> float:
    """``x`` rounded up to two significant figures: a tidy domain in the golden specs."""
    if x <= 0:
        return 1.0
    d = Decimal(repr(float(x)))
    return float(d.quantize(Decimal(1).scaleb(d.adjusted() - 1), rounding=ROUND_CEILING))


def _quantity_bars(
    items: Iterable[tuple[str, Quantity]], settings: Settings, axis_title: str
) -> tuple[alt.LayerChart | None, list[str], list[str]]:
    """A labelled horizontal bar chart of named quantities, its alt-text items in bar order, and
    the names of the unknown quantities (no bar: the chart's note names them).

    Names wrap onto lines and are never cut. When the largest value is more than
    :data:`LOG_SPAN` times the smallest, the bars stand on a log scale with an axis titled
    ``axis_title`` and "log scale".
    """
    pairs = [(reveal(name), q) for name, q in items]  # names are drawn as they are, hidden characters marked
    known = [(name, q) for name, q in pairs if q.is_known]
    unknown = sorted(name for name, q in pairs if not q.is_known)
    known.sort(key=lambda item: (-_sort_value(item[1]), item[0]))
    words = _words(settings)
    rest_row = None
    if len(known) > MAX_BARS:
        # The largest bars, then the rest as one row: their sum, soundly qualified. A sum that
        # dwarfs the bars would flatten them to nothing: it is then a label without a bar.
        rest = known[MAX_BARS - 1:]
        total = PartialSum.of([q for _, q in rest]).result(rest[0][1].unit)
        largest = max((_sort_value(q) for _, q in known[:MAX_BARS - 1]), default=0.0)
        rest_row = MAX_BARS - 1 if _sort_value(total) > 4 * largest else None
        known = known[:MAX_BARS - 1] + [(words["others"].format(count=_whole(len(rest), settings)), total)]
    phrases = [format_quantity(q, settings.locale, settings.sig_figs) for _, q in known]
    alt_items = [f"{name} {phrase}" for (name, _), phrase in zip(known, phrases, strict=True)]
    if not known:
        return None, alt_items, unknown

    rows = []
    for rank, ((name, q), phrase) in enumerate(zip(known, phrases, strict=True)):
        shown, lines = _named(name)
        if rank == rest_row:
            rows.append({"name": shown, "lines": lines, "rank": rank, "form": _NOTE, "bar_start": 0.0,
                         "bar_end": 0.0, "about_low": None, "about_high": None, "label_at": 0.0, "label": phrase})
            continue
        form = _form(q)
        low = q.low or 0.0
        high = q.high if q.high is not None else low
        if form == _EXTENT:
            start, end = low, high
        else:
            start, end = 0.0, (q.value if form in (_EXACT, _ABOUT) and q.value is not None else low)
        about_low = low if form == _ABOUT else None
        about_high = high if form == _ABOUT else None
        label_at = high if form == _ABOUT else end
        rows.append({
            "name": shown,
            "lines": lines,
            "rank": rank,
            "form": form,
            "bar_start": start,
            "bar_end": end,
            "about_low": about_low,
            "about_high": about_high,
            "label_at": label_at,
            "label": phrase,
        })

    alt = _altair()
    drawn = [row for row in rows if row["form"] != _NOTE]
    span = _log_span(v for row in drawn for v in (row["bar_start"], row["bar_end"], row["about_low"]))
    if span is None:
        domain_max = max(_label_room(row["label_at"], row["label"], _ARROW_PX if row["form"] == _LOWER else 0)
                         for row in rows)
        x_scale = alt.Scale(domain=[0, _round_up(domain_max)], nice=False, zero=True)
        x_axis = None
    else:
        # Bars from a power of ten below the smallest value; the axis says that the scale is logarithmic.
        floor = _log_floor(span[0])
        for row in rows:
            row["bar_start"] = max(row["bar_start"], floor)
            row["bar_end"] = max(row["bar_end"], floor)
            row["label_at"] = max(row["label_at"], floor)
        top = max(_log_room(row["label_at"], row["label"], _ARROW_PX if row["form"] == _LOWER else 0, floor)
                  for row in rows)
        top = _round_up(top)
        x_scale = alt.Scale(type="log", domain=[floor, top], nice=False)
        x_axis = alt.Axis(values=_log_ticks(floor, top), format=",", grid=True, title=_log_title(axis_title, settings),
                          labelOverlap=True, domain=False, ticks=False, labelPadding=4)
    y = alt.Y("rank:O", axis=None)

    def only(*forms: str) -> Any:
        return alt.FieldOneOfPredicate(field="form", oneOf=list(forms))

    base = alt.Chart().encode(y=y)
    bars = base.mark_bar(color=PRIMARY, height=_BAR_PX, strokeWidth=1).encode(
        x=alt.X("bar_start:Q", scale=x_scale, axis=x_axis),
        x2="bar_end:Q",
        # A pale bar with an outline says "somewhere in here"; a solid one says "this much".
        opacity=alt.condition(only(_EXTENT), alt.value(0.35), alt.value(1.0)),
        stroke=alt.condition(only(_EXTENT), alt.value(PRIMARY), alt.value(None)),
    )
    if rest_row is not None:
        bars = bars.transform_filter(only(_EXACT, _ABOUT, _LOWER, _EXTENT))
    whiskers = base.mark_errorbar(ticks=True, color=INK, thickness=1.2).encode(
        x=alt.X("about_low:Q", scale=x_scale, axis=x_axis), x2="about_high:Q"
    ).transform_filter(only(_ABOUT))
    arrows = base.mark_point(shape="triangle-right", filled=True, size=70, opacity=1, color=PRIMARY,
                             xOffset=_ARROW_PX / 2).encode(
        x=alt.X("bar_end:Q", scale=x_scale, axis=x_axis)
    ).transform_filter(only(_LOWER))
    labels = base.mark_text(align="left", baseline="middle", dx=_LABEL_GAP_PX).encode(
        x=alt.X("label_at:Q", scale=x_scale, axis=x_axis), text="label:N"
    ).transform_filter(only(_EXACT, _ABOUT, _EXTENT, *([_NOTE] if rest_row is not None else [])))
    open_labels = base.mark_text(align="left", baseline="middle", dx=_LABEL_GAP_PX + _ARROW_PX).encode(
        x=alt.X("label_at:Q", scale=x_scale, axis=x_axis), text="label:N"
    ).transform_filter(only(_LOWER))
    layers = [bars]
    if any(row["form"] == _ABOUT for row in rows):
        layers.append(whiskers)
    if any(row["form"] == _LOWER for row in rows):
        layers += [arrows, open_labels]
    if any(row["form"] != _LOWER for row in rows):
        layers.append(labels)
    if all(row["form"] != _ABOUT for row in rows):
        # Columns no layer reads stay out of the spec.
        for row in rows:
            del row["about_low"], row["about_high"]
    step = _row_step(rows)
    layers += _names(alt, rows, y)
    chart = alt.layer(*layers, data=alt.InlineData(values=rows)).properties(
        width=WIDTH, height=alt.Step(step)
    )
    return chart, alt_items, unknown


# -- the kinds ----------------------------------------------------------------------------------------


def by_actor_chart(metrics: CollectionMetrics, figure: str = "interactions") -> Chart | None:
    """Bars of one figure by actor, from the collection's by-actor breakdown.

    Args:
        metrics: collection metrics computed with ``actors=True``.
        figure: the figure to draw, e.g. ``interactions`` or ``accounts``.

    Returns:
        The chart, or None when no actor states the figure (or the breakdown is absent).
    """
    settings = metrics.settings
    groups = metrics.breakdowns.get("actor", {})
    items = [(name, group.figures[figure]) for name, group in groups.items() if figure in group.figures]
    if not items:
        return None
    words = _words(settings)
    figure_words = _figure_words(figure, settings)
    capitalised = figure_words[:1].upper() + figure_words[1:]
    title = words["by_actor_title"].format(Figure=capitalised)
    built, alt_items, unknown = _quantity_bars(items, settings, capitalised)
    if built is None:
        return None
    # Actors that state no such figure, or state it as unknown, are named, not dropped.
    absent = sorted({*unknown, *(reveal(name) for name, group in groups.items() if figure not in group.figures)})
    note = _not_shown(words["by_actor_not_shown"], absent,
                      settings, figure=figure_words)
    alt_text = words["by_actor_alt"].format(figure=figure_words, items=words["item_separator"].join(alt_items))
    return Chart(
        kind="by-actor",
        title=title,
        alt=alt_text if note is None else f"{alt_text} {note}",
        spec=_finish(_with_note(built, note), settings),
    )


def _incident_names(incidents: Sequence[Incident]) -> dict[str, str]:
    """Display names by id: the title, with the id added where titles repeat."""
    seen: dict[str, int] = {}
    for incident in incidents:
        seen[incident.title] = seen.get(incident.title, 0) + 1
    return {i.id: i.title if seen[i.title] == 1 else f"{i.title} ({i.id})" for i in incidents}


def rates_chart(metrics: CollectionMetrics, incidents: Sequence[Incident]) -> Chart | None:
    """Bars of interactions per day, one per incident.

    Args:
        metrics: collection metrics of (at least) these incidents.
        incidents: the incidents, for their titles.

    Returns:
        The chart, or None when no incident has a computable daily rate.
    """
    settings = metrics.settings
    names = _incident_names([i for i in incidents if i.id in metrics.incidents])
    items = [(names[i], metrics.incidents[i].derived["daily_rate"]) for i in names]
    words = _words(settings)
    built, alt_items, unknown = _quantity_bars(items, settings, words["interactions_axis"])
    if built is None:
        return None
    note = _not_shown(words["rates_not_shown"], unknown,
                      settings)
    alt_text = words["rates_alt"].format(items=words["item_separator"].join(alt_items))
    return Chart(
        kind="rates",
        title=words["rates_title"],
        alt=alt_text if note is None else f"{alt_text} {note}",
        spec=_finish(_with_note(built, note), settings),
    )


def per_period_chart(metrics: CollectionMetrics, period: str = "year") -> Chart | None:
    """Columns of incident counts per year, quarter or month ("unknown" last).

    Args:
        metrics: collection metrics.
        period: ``year``, ``quarter`` or ``month``.

    Returns:
        The chart, or None when there are no incidents.

    Raises:
        ChartError: an unknown period.
    """
    if period not in PERIODS:
        raise ChartError(f"unknown period {period!r}: expected one of {', '.join(PERIODS)}")
    settings = metrics.settings
    groups = metrics.breakdowns.get(period, {})
    if not groups:
        return None
    words = _words(settings)
    # The breakdown is already in order, "unknown" last; the rank keeps that order on the axis.
    rows = []
    alt_items = []
    for rank, (key, group) in enumerate(groups.items()):
        shown = words["unknown"] if key == UNKNOWN_PERIOD else key
        rows.append({"period": shown, "rank": rank, "count": group.count,
                     "label": _exact(group.count, settings)})
        alt_items.append(f"{shown} {_count(group.count, words['incident'], settings)}")
    top = max(row["count"] for row in rows)

    alt = _altair()
    n = len(rows)
    period_words = words[period]
    # Columns wide enough for their labels: upright when they fit, else the periods turn on their side
    # (and the chart grows wider rather than let labels collide).
    period_px = max(len(row["period"]) for row in rows) * _CHAR_PX + 8
    count_px = max(len(row["label"]) for row in rows) * _CHAR_PX + 6
    upright = max(period_px, count_px)
    if n * upright <= WIDTH:
        step, angle = max(upright, min(56.0, WIDTH / n)), 0
    else:
        step, angle = max(count_px, _LINE_PX + 6.0), -90
    span = _log_span(row["count"] for row in rows)
    if span is None:
        y = alt.Y("count:Q", axis=None, scale=alt.Scale(domain=[0, top * 1.2], nice=False))
    else:
        floor = _log_floor(span[0])
        ceiling = 10.0 ** math.ceil(math.log10(top * 2))
        y = alt.Y("count:Q", scale=alt.Scale(type="log", domain=[floor, ceiling], nice=False),
                  axis=alt.Axis(format=",d", values=_log_ticks(floor, ceiling, 160, _LINE_PX + 4), grid=True,
                                domain=False, ticks=False,
                                title=_log_title(words["per_period_title"].format(period=period_words), settings)))
    base = alt.Chart().encode(
        x=alt.X("period:N", sort=alt.EncodingSortField(field="rank", op="min", order="ascending"), title=None,
                axis=alt.Axis(labelAngle=angle, domainColor=MUTED, ticks=False, labelPadding=6)),
        y=y,
    )
    chart = alt.layer(
        base.mark_bar(color=PRIMARY, width={"band": 0.6}),
        base.mark_text(baseline="bottom", dy=-4).encode(text="label:N"),
        data=alt.InlineData(values=rows),
    ).properties(width=alt.Step(round(step, 1)), height=160)
    return Chart(
        kind="per-period",
        title=words["per_period_title"].format(period=period_words),
        alt=words["per_period_alt"].format(period=period_words, items=words["item_separator"].join(alt_items)),
        spec=_finish(chart, settings),
    )


def _last_day(incidents: Iterable[Incident]) -> date | None:
    """The latest day any window or timeline event of these incidents can mean."""
    days = []
    for incident in incidents:
        window = incident.window
        if window is not None:
            days.append(window.start.latest.date())
            if window.end is not None:
                days.append(window.end.latest.date())
        days.extend(event.at.latest.date() for event in incident.timeline.values())
    return max(days) if days else None


def timeline_chart(incidents: Sequence[Incident], settings: Settings, by: str = "actor") -> Chart | None:
    """Incident windows as bars in lanes by actor or by category.

    Partial dates run from the earliest day the start can mean to the latest day the end can
    mean; an ongoing window runs to the latest date in the data and ends in an arrow.

    Args:
        incidents: the incidents.
        settings: locale and significant figures for the alt text.
        by: ``actor`` (incidents without actors go in an "Unattributed" lane) or ``category``.

    Returns:
        The chart, or None when no incident has a window.

    Raises:
        ChartError: an unknown grouping.
    """
    if by not in TIMELINE_GROUPS:
        raise ChartError(f"unknown timeline grouping {by!r}: expected one of {', '.join(TIMELINE_GROUPS)}")
    with_window = [i for i in incidents if i.window is not None]
    if not with_window:
        return None
    words = _words(settings)
    last = _last_day(incidents)
    assert last is not None  # there is a window
    titles = _incident_names(incidents)
    # A lane is an actor (or a category) across incidents; an incident without actors has a lane
    # of its own, so that unrelated incidents never look like one unattributed campaign.
    lanes: list[tuple[date, str, str, str, bool, str]] = []
    for incident in with_window:
        window = incident.window
        assert window is not None
        start = window.start.earliest.date()
        end = last if window.end is None else window.end.latest.date()
        # Bars end at the day *after* the last day, so that the last day (and a one-day window) shows.
        until = (end + timedelta(days=1)).isoformat()
        phrase = format_window(window.start, window.end, settings.locale)  # one zone, to the minute
        if by == "category":
            groups = [incident.category]
        else:
            groups = list(dict.fromkeys(reveal(actor.name) for actor in incident.actors)) or [
                words["unattributed_incident"].format(
                    unattributed=words["unattributed"], incident=reveal(titles[incident.id]))]
        for group in groups:
            lanes.append((start, group, start.isoformat(), until, window.end is None, phrase))
    lanes.sort(key=lambda lane: (lane[0], lane[1], lane[3]))
    order = list(dict.fromkeys(lane[1] for lane in lanes))
    if len(order) > MAX_BARS:
        # The first lanes, then one lane for the rest (each of their windows drawn once).
        kept = set(order[:MAX_BARS - 1])
        others = words["others"].format(count=_whole(len(order) - len(kept), settings))
        merged = [lane if lane[1] in kept else (lane[0], others, *lane[2:]) for lane in lanes]
        lanes = list(dict.fromkeys(merged))
        order = [*order[:MAX_BARS - 1], others]
    rank = {group: n for n, group in enumerate(order)}
    rows = []
    for _, group, begin, until, ongoing, _ in lanes:
        shown, lines = _named(group)
        rows.append({"name": shown, "lines": lines, "rank": rank[group], "from": begin, "until": until,
                     "ongoing": ongoing})
    alt_items = [words["lane_item"].format(lane=group, window=phrase) for _, group, _, _, _, phrase in lanes]

    alt = _altair()
    x_scale = alt.Scale(type="utc")
    first = min(date.fromisoformat(row["from"]) for row in rows)
    axis = alt.Axis(grid=True, **_time_axis(first, last + timedelta(days=1), settings))
    y = alt.Y("rank:O", axis=None)
    base = alt.Chart().encode(y=y)
    bars = base.mark_bar(height=_BAR_PX, opacity=0.85, stroke="white", strokeWidth=1).encode(
        x=alt.X("from:T", scale=x_scale, title=None, axis=axis),
        x2="until:T",
        color=alt.Color("rank:N", legend=None),
    )
    # A start tick keeps a one-day window, or one inside a longer one in the same lane, in sight.
    starts = base.mark_tick(color=INK, thickness=1.5, size=_BAR_PX).encode(x=alt.X("from:T", scale=x_scale))
    layers = [bars, starts]
    if any(row["ongoing"] for row in rows):
        layers.append(
            base.mark_point(shape="triangle-right", filled=True, size=70, opacity=1, color=INK,
                            xOffset=_ARROW_PX / 2)
            .encode(x=alt.X("until:T", scale=x_scale))
            .transform_filter(alt.FieldEqualPredicate(field="ongoing", equal=True))
        )
    else:
        for row in rows:
            del row["ongoing"]
    step = _row_step(rows)
    layers += _names(alt, rows, y)
    chart = alt.layer(*layers, data=alt.InlineData(values=rows)).properties(
        width=WIDTH, height=alt.Step(step)
    )
    by_words = words[by]
    alt_text = words["timeline_alt"].format(by=by_words, items=words["item_separator"].join(alt_items))
    missing = [reveal(titles[i.id]) for i in incidents if i.window is None]
    note = _not_shown(words["timeline_not_shown"], missing,
                      settings)
    if note is not None:
        alt_text += f" {note}"
    return Chart(kind="timeline", title=words["timeline_title"].format(by=by_words), alt=alt_text,
                 spec=_finish(_with_note(chart, note), settings))


def daily_volume_chart(summary: EvidenceSummary, settings: Settings) -> Chart | None:
    """Interactions per day (bars) above distinct accounts per day (a line), from an evidence log.

    Args:
        summary: the evidence log's summary.
        settings: locale and significant figures for the alt text.

    Returns:
        The chart, or None when the log has no days.
    """
    daily = list(summary.daily)
    if not daily:
        return None
    words = _words(settings)
    rows = [{"date": d.date.isoformat(), "interactions": d.interactions, "accounts": d.accounts} for d in daily]

    peak = max(daily, key=lambda d: (d.interactions, -d.date.toordinal()))
    first, last = parse_when(daily[0].date), parse_when(daily[-1].date)
    alt_text = words["volume_alt"].format(
        range=format_date_range(first, last, settings.locale),
        days=_count(len(daily), words["day"], settings),
        i_min=_exact(min(d.interactions for d in daily), settings),
        i_max=_exact(peak.interactions, settings),
        i_peak=format_when(parse_when(peak.date), settings.locale),
        a_min=_exact(min(d.accounts for d in daily), settings),
        a_max=_exact(max(d.accounts for d in daily), settings),
    )

    alt = _altair()
    day = alt.TimeUnitParams(unit="yearmonthdate", utc=True)
    axis = alt.Axis(**_time_axis(daily[0].date, daily[-1].date + timedelta(days=1), settings))

    def y_of(field: str, title: str) -> tuple[Any, str]:
        """A count axis, logarithmic when the busiest day has more than LOG_SPAN times the quietest."""
        span = _log_span(getattr(d, field) for d in daily)
        if span is None:
            return alt.Y(f"{field}:Q", title=None, axis=alt.Axis(format=",d", tickCount=4)), title
        floor = _log_floor(span[0])
        top = 10.0 ** math.ceil(math.log10(span[1]))
        y_axis = alt.Axis(format=",d", values=_log_ticks(floor, top, 90, _LINE_PX + 4))
        scale = alt.Scale(type="log", domain=[floor, top], nice=False)
        return alt.Y(f"{field}:Q", title=None, scale=scale, axis=y_axis), _log_title(title, settings)

    y_interactions, interactions_title = y_of("interactions", words["interactions_axis"])
    interactions = alt.Chart().mark_bar(color=PRIMARY).encode(
        x=alt.X("date:T", timeUnit=day, title=None, axis=axis),
        y=y_interactions,
    ).properties(width=WIDTH, height=130, title=interactions_title)
    points: Any = {"filled": True, "size": 16, "color": SECONDARY} if len(rows) <= 62 else False
    y_accounts, accounts_title = y_of("accounts", words["accounts_axis"])
    accounts = alt.Chart().mark_line(color=SECONDARY, strokeWidth=2, point=points).encode(
        # The middle of each day, where the bar above it stands.
        x=alt.X("date:T", timeUnit=day, title=None, axis=axis, bandPosition=0.5),
        y=y_accounts,
    ).properties(width=WIDTH, height=90, title=accounts_title)
    chart = alt.vconcat(interactions, accounts, data=alt.InlineData(values=rows), spacing=14).resolve_scale(
        x="shared")
    return Chart(kind="daily-volume", title=words["volume_title"], alt=alt_text,
                 spec=_finish(chart, settings))


def build_chart(
    kind: str,
    incidents: Sequence[Incident],
    metrics: CollectionMetrics,
    settings: Settings,
    summary: EvidenceSummary | None = None,
) -> Chart | None:
    """Build a chart by kind (the timeline groups by actor, periods are years).

    Args:
        kind: one of :data:`KINDS`.
        incidents: the (audience-filtered) incidents.
        metrics: their collection metrics.
        settings: locale and significant figures.
        summary: an evidence log's summary, for ``daily-volume``.

    Returns:
        The chart, or None when there is nothing to draw.

    Raises:
        ChartError: an unknown kind.
    """
    if kind == "timeline":
        return timeline_chart(incidents, settings)
    if kind == "by-actor":
        return by_actor_chart(metrics)
    if kind == "rates":
        return rates_chart(metrics, incidents)
    if kind == "per-period":
        return per_period_chart(metrics)
    if kind == "daily-volume":
        return None if summary is None else daily_volume_chart(summary, settings)
    raise ChartError(f"unknown chart kind {kind!r}: expected one of {', '.join(KINDS)}")


# -- export ------------------------------------------------------------------------------------------

_FONT_RE = re.compile(r"[\w .,'-]{1,200}")
_FORBIDDEN_KEYS = frozenset({"url", "href", "loader"})


def _check_offline(node: Any, path: str = "spec") -> None:
    """Refuse a spec that could make the renderer fetch or link anything.

    Data rows are values and are not searched: record text there is drawn as text.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _FORBIDDEN_KEYS:
                raise ChartError(f"{path}.{key}: charts take inline data only, never a URL or a link")
            if key == "values" and isinstance(value, list):
                continue
            if key in ("type", "mark") and value == "image":
                raise ChartError(f"{path}.{key}: image marks are not allowed in charts")
            _check_offline(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_offline(item, f"{path}[{index}]")


def _export_spec(chart: Chart, font: str) -> dict[str, Any]:
    if not isinstance(font, str) or not _FONT_RE.fullmatch(font):
        raise ChartError("font: expected a font family name such as 'DejaVu Sans'")
    _check_offline(chart.spec)
    spec = copy.deepcopy(chart.spec)
    spec.setdefault("config", {})["font"] = font
    return spec


def _vl_version(spec: dict[str, Any]) -> str | None:
    """The Vega-Lite version the spec was written for, when vl-convert bundles it (else its latest)."""
    match = re.search(r"/v(\d+\.\d+)", str(spec.get("$schema", "")))
    return match.group(1) if match and match.group(1) in _bundled_versions() else None


@functools.cache
def _bundled_versions() -> tuple[str, ...]:
    import vl_convert as vlc

    return tuple(vlc.get_vegalite_versions())


_ID_RE = re.compile(r'\bid="([^"]+)"')


def _stable_ids(svg: str, prefix: str) -> str:
    """Rename the renderer's ids (a counter that runs on across exports) in order of appearance.

    The prefix comes from the chart, so that several charts inlined in one HTML page never
    share an id.
    """
    names: dict[str, str] = {}
    for found in _ID_RE.findall(svg):
        names.setdefault(found, f"{prefix}-{len(names) + 1}")
    if not names:
        return svg
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(re.escape(n) for n in names) + r')(?=["\)])')
    return pattern.sub(lambda m: m.group(1) + names[m.group(2)], svg)


def _fingerprint(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:10]


def to_svg(chart: Chart, font: str = DEFAULT_FONT) -> str:
    """Export a chart as a standalone SVG document, offline.

    The root ``<svg>`` gets ``role="img"`` and, as its first child, a ``<title>`` holding the
    alt text (XML-escaped). There is no XML declaration, so the text can be inlined in HTML
    as it is. Ids are derived from the chart, so that the same chart gives the same text.

    Args:
        chart: the chart.
        font: font family for all text (the organisation's font).

    Raises:
        ChartError: a bad font name, or a spec that refers to a URL or an image.
    """
    import vl_convert as vlc

    spec = _export_spec(chart, font)
    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=[])
    svg = _stable_ids(svg, f"{chart.kind}-{_fingerprint(spec)}")
    match = re.match(r"\s*(<svg\b[^>]*?)(/?)>", svg)
    if match is None:  # pragma: no cover - vl-convert always writes an <svg> root
        raise ChartError("the chart renderer returned no SVG")
    head = match.group(1)
    if " role=" not in head:
        head += ' role="img"'
    title = f"<title>{escape(chart.alt)}</title>"
    if match.group(2):  # an empty chart: <svg .../>
        return f"{head}>{title}</svg>"
    return f"{head}>{title}{svg[match.end():]}"


def to_png(chart: Chart, scale: float = 2.0, font: str = DEFAULT_FONT) -> bytes:
    """Export a chart as PNG, offline, with the alt text in an ``iTXt`` chunk named ``Description``.

    The bytes depend only on the chart, the scale and the font (no timestamps).

    Args:
        chart: the chart.
        scale: pixels per CSS pixel (2 gives print-legible text at the chart's size).
        font: font family for all text.

    Raises:
        ChartError: a bad font name or scale, or a spec that refers to a URL or an image.
    """
    import vl_convert as vlc

    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0.1 <= scale <= 10:
        raise ChartError("scale: expected a number from 0.1 to 10")
    spec = _export_spec(chart, font)
    png = vlc.vegalite_to_png(spec, vl_version=_vl_version(spec), scale=float(scale), allowed_base_urls=[])
    return _with_description(png, chart.alt)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _with_description(png: bytes, text: str) -> bytes:
    """``png`` with an international-text ``Description`` chunk right after its header chunk."""
    if not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ChartError("the chart renderer returned no PNG")
    header_end = 8 + 12 + struct.unpack(">I", png[8:12])[0]
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    chunk = _chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00" + text.encode("utf-8"))
    return png[:header_end] + chunk + png[header_end:]
