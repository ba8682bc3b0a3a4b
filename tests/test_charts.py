"""Charts: golden specs, honest bars, alt text, offline and deterministic SVG and PNG export.

Golden specs live in tests/golden/charts/. After an intended change to a chart, regenerate
them with ``REPORTER_UPDATE_GOLDEN=1 make test`` and review the diff.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from reporter import charts
from reporter.charts import KINDS, Chart, ChartError
from reporter.errors import ReporterError
from reporter.evidence import DailyCount, Distribution, EvidenceSummary
from reporter.metrics import Settings, collection_metrics
from reporter.records import Incident

GOLDEN = Path(__file__).parent / "golden" / "charts"
SVG_NS = "{http://www.w3.org/2000/svg}"
SETTINGS = Settings()

Q1 = {
    "id": "q1-campaigns",
    "title": "Three distillation campaigns",
    "category": "distillation",
    "timeline": {"reported": "2026-02-23"},
    "figures": {"interactions": "over 16 million"},
    "actors": [
        {"name": "MiniMax", "figures": {"interactions": "over 13 million"}},
        {"name": "Moonshot AI", "figures": {"interactions": "over 3.4 million"}},
        {"name": "DeepSeek", "figures": {"interactions": "over 150,000"}},
    ],
}
RECORDS: list[dict[str, Any]] = [
    Q1,
    {
        "id": "q2-campaign",
        "title": "Coordinated distillation campaign",
        "category": "distillation",
        "window": {"start": "2026-04-22", "end": "2026-06-05"},
        "figures": {"accounts": "about 25,000", "interactions": 28_800_000},
        "actors": [{"name": "Alibaba", "figures": {"interactions": "about 28.8 million"}}],
    },
    {
        "id": "stuffing",
        "title": "Credential stuffing",
        "category": "credential-stuffing",
        "window": {"start": "2023-05", "end": "2023-07"},
        "figures": {"interactions": "3 to 4 million"},
        "actors": [{"name": "Botnet", "figures": {"interactions": "3 to 4 million"}}],
    },
    {
        "id": "resold-keys",
        "title": "Resold API keys",
        "category": "abuse",
        "window": {"start": "2025-03-01", "end": None},
        "timeline": {"detected": "2025-09-30"},
        "figures": {"interactions": 2_000_000},
        "actors": [{"name": "Reseller", "figures": {"interactions": {"qualifier": "unknown"}}},
                   {"name": "Broker", "figures": {"interactions": "fewer than 100,000"}}],
    },
    {
        "id": "exposure",
        "title": "Exposed transcripts",
        "category": "data-exposure",
        "window": {"start": "2025-11-03", "end": "2025-11-03"},
        "figures": {"records": 1200},
    },
]
DAILY = [DailyCount(date(2026, 4, 22) + timedelta(days=n), 500_000 + 10_000 * (n % 7), 9_000 + 100 * n)
         for n in range(10)]


def incidents(records: list[dict[str, Any]] = RECORDS) -> list[Incident]:
    return [Incident.model_validate(record) for record in records]


def summary(daily: list[DailyCount] = DAILY) -> EvidenceSummary:
    flat = Distribution(1.0, 1.0, 1.0, 1)
    return EvidenceSummary(
        interactions=sum(d.interactions for d in daily), accounts=12_000,
        first=datetime(2026, 4, 22, tzinfo=UTC), last=datetime(2026, 5, 1, 23, tzinfo=UTC), window_days=9.96,
        daily=daily, per_account=flat, per_account_daily=flat, by_capability={}, source="log.parquet",
        sha256="0" * 64,
    )


def build(kind: str, records: list[dict[str, Any]] = RECORDS, settings: Settings = SETTINGS) -> Chart | None:
    found = incidents(records)
    return charts.build_chart(kind, found, collection_metrics(found, settings), settings, summary())


@pytest.fixture(scope="module")
def built() -> dict[str, Chart]:
    made = {kind: build(kind) for kind in KINDS}
    assert all(chart is not None for chart in made.values())
    return made  # type: ignore[return-value]


@pytest.fixture(scope="module")
def svgs(built: dict[str, Chart]) -> dict[str, str]:
    return {kind: charts.to_svg(chart) for kind, chart in built.items()}


@pytest.fixture(scope="module")
def pngs(built: dict[str, Chart]) -> dict[str, bytes]:
    return {kind: charts.to_png(chart) for kind, chart in built.items()}


# -- specs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_golden_spec(built: dict[str, Chart], kind: str) -> None:
    produced = json.dumps(built[kind].spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    golden = GOLDEN / f"{kind}.json"
    if os.environ.get("REPORTER_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "no golden file: run REPORTER_UPDATE_GOLDEN=1 make test"
    assert produced == golden.read_text(encoding="utf-8")


def data_rows(spec: Any) -> list[dict[str, Any]]:
    """Every inline data row anywhere in a spec."""
    rows: list[dict[str, Any]] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "data" and isinstance(value, dict) and isinstance(value.get("values"), list):
                rows.extend(value["values"])
            elif key == "datasets":
                for dataset in value.values():
                    rows.extend(dataset)
            else:
                rows.extend(data_rows(value))
    elif isinstance(spec, list):
        for item in spec:
            rows.extend(data_rows(item))
    return rows


def used_fields(spec: Any) -> set[str]:
    """Fields that encodings, sorts, filters and tooltips read."""
    used: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "values":
                continue
            if key == "field" and isinstance(value, str):
                used.add(value)
            used |= used_fields(value)
    elif isinstance(spec, list):
        for item in spec:
            used |= used_fields(item)
    return used


@pytest.mark.parametrize("kind", KINDS)
def test_no_unused_columns(built: dict[str, Chart], kind: str) -> None:
    spec = built[kind].spec
    rows = data_rows(spec)
    assert rows
    columns = {column for row in rows for column in row}
    assert columns <= used_fields(spec), f"unused columns: {columns - used_fields(spec)}"


@pytest.mark.parametrize("kind", KINDS)
def test_inline_data_only(built: dict[str, Chart], kind: str) -> None:
    text = json.dumps({k: v for k, v in built[kind].spec.items() if k != "$schema"})
    assert '"url"' not in text and "datasets" not in text and '"expr"' not in text
    assert '"calculate"' not in text and '"labelExpr"' not in text


def test_by_actor_alt_text_states_the_figures() -> None:
    chart = build("by-actor", [Q1])
    assert chart is not None
    assert chart.alt == ("Bar chart of interactions by actor: MiniMax more than 13 million; "
                         "Moonshot AI more than 3.4 million; DeepSeek more than 150,000.")
    assert chart.title == "Interactions by actor"


def named_rows(spec: Any) -> dict[str, dict[str, Any]]:
    """The data rows of bars or lanes by their name as drawn, its lines joined by spaces."""
    return {row["name"].replace("\n", " "): row for row in data_rows(spec) if "name" in row}


def layers(spec: Any) -> list[dict[str, Any]]:
    """Every single-mark view in a spec, through layers and concatenations."""
    if isinstance(spec, dict):
        if "mark" in spec:
            return [spec]
        return [view for key in ("layer", "vconcat", "hconcat") for part in spec.get(key, []) for view in layers(part)]
    return []


def test_bars_draw_each_qualifier_honestly(built: dict[str, Chart]) -> None:
    rows = named_rows(built["by-actor"].spec)
    # 28.8 million against 100,000: a log scale, whose bars start at its foot, 10,000.
    # Lower bounds stop at the bound and are drawn open-ended, labelled "more than".
    minimax = rows["MiniMax"]
    assert (minimax["form"], minimax["bar_start"], minimax["bar_end"], minimax["label"]) == (
        "lower-bound", 10_000.0, 13_000_000.0, "more than 13 million")
    # "about": a bar to the figure, whiskers over its ±5 % bounds.
    alibaba = rows["Alibaba"]
    assert (alibaba["form"], alibaba["bar_end"], alibaba["label"]) == ("about", 28_800_000.0, "about 28.8 million")
    assert (alibaba["about_low"], alibaba["about_high"]) == (27_360_000.0, 30_240_000.0)
    # Ranges and upper bounds float over their bounds.
    assert (rows["Botnet"]["form"], rows["Botnet"]["bar_start"], rows["Botnet"]["bar_end"]) == (
        "extent", 3_000_000.0, 4_000_000.0)
    # "fewer than": from the foot of the (log, 28.8 million against 100,000) scale to the bound.
    assert (rows["Broker"]["bar_start"], rows["Broker"]["bar_end"], rows["Broker"]["label"]) == (
        10_000.0, 100_000.0, "fewer than 100,000")
    # Unknown figures get no bar, and the note says so.
    assert "Reseller" not in rows
    assert built["by-actor"].alt.endswith("; Broker fewer than 100,000. Not shown, with no interactions stated: "
                                          "Reseller.")
    marks = [layer["mark"] for layer in layers(built["by-actor"].spec)]
    assert {"type": "point", "shape": "triangle-right"}.items() <= next(
        m for m in marks if m["type"] == "point").items()


def test_bars_sorted_by_value_then_name() -> None:
    tied = {**Q1, "actors": [{"name": name, "figures": {"interactions": 5}} for name in ("b", "c", "a")]
            + [{"name": "z", "figures": {"interactions": 9}}]}
    chart = build("by-actor", [tied])
    assert chart is not None
    assert [row["name"] for row in sorted(data_rows(chart.spec), key=lambda r: r["rank"])] == ["z", "a", "b", "c"]
    assert chart.alt == "Bar chart of interactions by actor: z 9; a 5; b 5; c 5."


def test_timeline_partial_and_ongoing_windows(built: dict[str, Chart]) -> None:
    chart = built["timeline"]
    rows = named_rows(chart.spec)
    # A partial window spans every day it can mean; bars end the day after the last day.
    assert (rows["Botnet"]["from"], rows["Botnet"]["until"]) == ("2023-05-01", "2023-08-01")
    # An ongoing window runs to the latest date in the data and ends in an arrow.
    assert (rows["Reseller"]["from"], rows["Reseller"]["until"], rows["Reseller"]["ongoing"]) == (
        "2025-03-01", "2026-06-06", True)
    assert rows["Unattributed (Exposed transcripts)"]["until"] == "2025-11-04"
    assert chart.alt == (
        "Timeline of incident windows by actor: Botnet: May to July 2023; Broker: since March 1, 2025; "
        "Reseller: since March 1, 2025; Unattributed (Exposed transcripts): November 3, 2025; "
        "Alibaba: April 22 to June 5, 2026. Not shown, for want of a window: Three distillation campaigns.")


def test_timeline_by_category() -> None:
    found = incidents()
    chart = charts.timeline_chart(found, SETTINGS, by="category")
    assert chart is not None
    assert sorted(named_rows(chart.spec)) == [
        "abuse", "credential-stuffing", "data-exposure", "distillation"]
    with pytest.raises(ChartError, match="expected one of actor, category"):
        charts.timeline_chart(found, SETTINGS, by="title")


def test_rates_per_period_and_daily_volume_alt(built: dict[str, Chart]) -> None:
    assert built["rates"].alt == (
        "Bar chart of interactions per day by incident: Coordinated distillation campaign about 655,000 per day; "
        "Credential stuffing 30,000 to 200,000 per day. Not shown, for want of a daily rate: Exposed transcripts; "
        "Resold API keys; Three distillation campaigns.")
    assert built["per-period"].alt == (
        "Bar chart of incidents per year: 2023 1 incident; 2025 2 incidents; 2026 2 incidents.")
    assert built["daily-volume"].alt == (
        "Bar chart of daily interactions with a line of distinct accounts per day, April 22 to May 1, 2026 "
        "(10 days with events): interactions per day from 500,000 to 560,000, highest on April 28, 2026; "
        "distinct accounts per day from 9,000 to 9,900.")


# -- charts that do not mislead ------------------------------------------------------------------

LONG_ACTOR = "Northern Hemisphere Coordinated Model Extraction Syndicate Ltd"  # 62 characters
LONG_TITLE = "Bulk generation through resold API keys of a partner's reseller programme in three regions"


def svg_texts(svg: str) -> list[str]:
    """Every text element of an SVG, its lines (tspans) joined by spaces."""
    root = ElementTree.fromstring(svg)
    return [" ".join(t for t in element.itertext() if t) for element in root.iter(f"{SVG_NS}text")]


def test_long_names_wrap_and_are_never_cut() -> None:
    record = {"id": "long", "title": LONG_TITLE, "category": "abuse",
              "window": {"start": "2026-01-05", "end": "2026-02-09"}, "figures": {"interactions": 350_000},
              "actors": [{"name": LONG_ACTOR, "figures": {"interactions": 300_000}},
                         {"name": "Beta", "figures": {"interactions": 50_000}}]}
    for kind in ("by-actor", "rates", "timeline"):
        chart = build(kind, [record])
        assert chart is not None
        svg = charts.to_svg(chart)
        assert "…" not in svg and "&#8230;" not in svg, kind
        texts = svg_texts(svg)
        name = LONG_TITLE if kind == "rates" else LONG_ACTOR
        # Drawn in full, on more than one line.
        assert name in texts, (kind, texts)
        drawn = ElementTree.fromstring(svg).iter(f"{SVG_NS}text")
        assert any(len(list(e.iter(f"{SVG_NS}tspan"))) > 1 for e in drawn), kind
        assert name in chart.alt
    rows = named_rows(build("by-actor", [record]).spec)  # type: ignore[union-attr]
    assert rows[LONG_ACTOR]["lines"] == 2 and max(map(len, rows[LONG_ACTOR]["name"].split("\n"))) <= 32


def test_what_lacks_the_figure_is_named_in_a_note() -> None:
    record = {"id": "mixed", "title": "Mixed attribution", "category": "abuse",
              "figures": {"interactions": 9000},
              "actors": [{"name": "Alpha Collective", "figures": {"interactions": 6000}},
                         {"name": "Beta Group", "figures": {"accounts": 40}},
                         {"name": "Gamma", "figures": {"interactions": {"qualifier": "unknown"}}}]}
    chart = build("by-actor", [record])
    assert chart is not None
    note = "Not shown, with no interactions stated: Beta Group; Gamma."
    assert chart.alt == f"Bar chart of interactions by actor: Alpha Collective 6,000. {note}"
    assert note in svg_texts(charts.to_svg(chart))
    # The same for incidents: without a window on the timeline, without a rate on the rates chart.
    dated = {"id": "dated", "title": "Dated", "category": "abuse",
             "window": {"start": "2026-01-01", "end": "2026-01-11"}, "figures": {"interactions": 500}}
    timeline = build("timeline", [record, dated])
    rates = build("rates", [record, dated])
    assert timeline is not None and rates is not None
    assert timeline.alt.endswith(" Not shown, for want of a window: Mixed attribution.")
    assert rates.alt.endswith(" Not shown, for want of a daily rate: Mixed attribution.")
    assert "Not shown, for want of a window: Mixed attribution." in svg_texts(charts.to_svg(timeline))
    # Nothing left out: no note.
    assert "Not shown" not in (build("timeline", [dated]) or chart).alt


def x_scales(spec: Any) -> list[dict[str, Any]]:
    return [view["encoding"]["x"].get("scale", {}) for view in layers(spec) if "x" in view.get("encoding", {})]


def test_values_spanning_two_orders_of_magnitude_get_a_log_scale() -> None:
    def actors(*values: int) -> dict[str, Any]:
        return {**Q1, "actors": [{"name": f"Actor {n}", "figures": {"interactions": v}} for n, v in enumerate(values)]}

    wide = build("by-actor", [actors(10, 50_000)])
    assert wide is not None
    scales = [scale for scale in x_scales(wide.spec) if "domain" in scale]
    assert scales and all(scale["type"] == "log" for scale in scales)
    assert scales[0]["domain"][0] == 1.0  # a decade below the smallest bar, so that it is still a bar
    axis = next(view["encoding"]["x"]["axis"] for view in layers(wide.spec) if view["encoding"]["x"].get("axis"))
    assert axis["title"] == "Interactions (log scale)"
    assert "Interactions (log scale)" in svg_texts(charts.to_svg(wide))
    assert all(v >= 1.0 for row in data_rows(wide.spec) for k, v in row.items() if k.startswith("bar_"))
    # 100 times apart is still one linear scale, with no axis.
    narrow = build("by-actor", [actors(10, 1_000)])
    assert narrow is not None
    assert all(scale.get("type") != "log" for scale in x_scales(narrow.spec))
    assert wide.alt == "Bar chart of interactions by actor: Actor 1 50,000; Actor 0 10."
    # Incident counts per period, and a daily series, follow the same rule.
    many = [{"id": f"i{n}", "title": f"Incident {n}", "category": "abuse",
             "window": {"start": "2025-03-01" if n else "2024-03-01", "end": "2025-03-02" if n else "2024-03-02"}}
            for n in range(102)]
    per_year = build("per-period", many)
    assert per_year is not None
    y = per_year.spec["layer"][0]["encoding"]["y"]
    assert y["scale"]["type"] == "log" and y["axis"]["title"] == "Incidents per year (log scale)"
    spiky = [DailyCount(date(2026, 4, 22) + timedelta(days=n), 50_000 if n == 3 else 10, 5) for n in range(6)]
    volume = charts.daily_volume_chart(summary(spiky), SETTINGS)
    assert volume is not None
    top, bottom = volume.spec["vconcat"]
    assert top["encoding"]["y"]["scale"]["type"] == "log" and top["title"] == "Interactions per day (log scale)"
    assert "scale" not in bottom["encoding"]["y"] and bottom["title"] == "Distinct accounts per day"


def test_unattributed_incidents_have_lanes_of_their_own() -> None:
    first = {"id": "first", "title": "Phishing of the finance team", "category": "phishing",
             "window": {"start": "2026-01-05", "end": "2026-01-20"}}
    second = {"id": "second", "title": "Scraping of the public catalogue", "category": "scraping",
              "window": {"start": "2026-01-10", "end": "2026-02-02"}}
    named = {"id": "named", "title": "Named campaign", "category": "abuse",
             "window": {"start": "2026-01-12", "end": "2026-01-30"}, "actors": [{"name": "Delta"}]}
    chart = build("timeline", [first, second, named])
    assert chart is not None
    rows = named_rows(chart.spec)
    assert sorted(rows) == ["Delta", "Unattributed (Phishing of the finance team)",
                            "Unattributed (Scraping of the public catalogue)"]
    assert len({row["rank"] for row in rows.values()}) == 3  # three lanes
    assert "; Unattributed (Scraping of the public catalogue): January 10 to February 2, 2026;" in chart.alt


def axis_labels(svg: str, role: str = "axis-label") -> list[tuple[float, str]]:
    """The x position and text of each label of the SVG's horizontal axes."""
    root = ElementTree.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG_NS}g"):
        if role in (group.get("class") or ""):
            for text in group.iter(f"{SVG_NS}text"):
                x = float((text.get("transform") or "translate(0,0)").split("(")[1].split(",")[0])
                found.append((x, "".join(text.itertext())))
    return found


@pytest.mark.parametrize(("start", "end", "pattern"), [
    ("2023-05-01", "2026-06-05", r"[A-Z][a-z]{2} \d{4}"),  # years and months: "Jul 2023"
    ("2026-01-03", "2026-02-09", r"[A-Z][a-z]{2} \d{1,2}"),  # weeks: "Jan 3"
    ("2012-02-01", "2026-06-05", r"\d{4}"),  # a decade and more: "2014"
])
def test_a_time_axis_has_one_date_format_and_labels_that_never_meet(start: str, end: str, pattern: str) -> None:
    import re

    record = {"id": "span", "title": "Span", "category": "abuse", "window": {"start": start, "end": end}}
    chart = build("timeline", [record])
    assert chart is not None
    axis = next(view["encoding"]["x"]["axis"] for view in layers(chart.spec) if view["encoding"]["x"].get("axis"))
    assert axis["format"] and axis["labelOverlap"] is True
    labels = axis_labels(charts.to_svg(chart))
    assert len(labels) >= 3
    assert all(re.fullmatch(pattern, text) for _, text in labels), labels
    positions = sorted(x for x, _ in labels)
    widest = max(len(text) for _, text in labels) * 6.4
    assert all(b - a > widest for a, b in zip(positions, positions[1:])), labels


def test_crowded_periods_turn_their_labels_rather_than_collide() -> None:
    months = [{"id": f"m{n}", "title": f"M {n}", "category": "abuse",
               "window": {"start": f"{2023 + n // 12}-{n % 12 + 1:02d}-02",
                          "end": f"{2023 + n // 12}-{n % 12 + 1:02d}-03"}}
              for n in range(30)]
    found = incidents(months)
    chart = charts.per_period_chart(collection_metrics(found, SETTINGS), "month")
    assert chart is not None
    assert chart.spec["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == -90
    assert chart.spec["width"]["step"] >= 16


def test_per_period_puts_unknown_last() -> None:
    undated = {"id": "undated", "title": "Undated", "category": "abuse"}
    found = incidents([*RECORDS, undated])
    chart = charts.per_period_chart(collection_metrics(found, SETTINGS), "quarter")
    assert chart is not None
    rows = sorted(data_rows(chart.spec), key=lambda r: r["rank"])
    assert [row["period"] for row in rows] == ["2023-Q2", "2025-Q1", "2025-Q4", "2026-Q1", "2026-Q2", "unknown"]
    with pytest.raises(ChartError):
        charts.per_period_chart(collection_metrics(found, SETTINGS), "week")


def test_german_wording_and_axes() -> None:
    settings = Settings(locale="de_DE")
    chart = build("by-actor", [Q1], settings)
    assert chart is not None
    assert chart.alt == ("Balkendiagramm: Interaktionen nach Akteur: MiniMax mehr als 13 Millionen; "
                         "Moonshot AI mehr als 3,4 Millionen; DeepSeek mehr als 150.000.")
    volume = build("daily-volume", settings=settings)
    assert volume is not None
    assert volume.spec["config"]["locale"]["number"]["decimal"] == ","


def test_nothing_to_draw_gives_none() -> None:
    bare = [{"id": "bare", "title": "Bare", "category": "abuse"}]
    assert build("timeline", bare) is None
    assert build("by-actor", bare) is None
    assert build("rates", bare) is None
    assert build("by-actor", [{**Q1, "actors": [{"name": "X", "figures": {"interactions": {"qualifier": "unknown"}}}]}]) is None
    found = incidents()
    metrics = collection_metrics(found, SETTINGS)
    assert charts.by_actor_chart(metrics, figure="tokens") is None
    assert charts.build_chart("daily-volume", found, metrics, SETTINGS) is None
    assert charts.daily_volume_chart(summary([]), SETTINGS) is None


def test_unknown_kind() -> None:
    found = incidents()
    with pytest.raises(ChartError) as caught:
        charts.build_chart("pie", found, collection_metrics(found, SETTINGS), SETTINGS)
    assert isinstance(caught.value, ReporterError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "unknown chart kind 'pie': expected one of timeline, by-actor, rates, per-period, daily-volume")


# -- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_svg_is_well_formed_titled_and_inert(built: dict[str, Chart], svgs: dict[str, str], kind: str) -> None:
    svg = svgs[kind]
    assert svg.startswith("<svg ")
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg" and root.get("role") == "img"
    assert root[0].tag == f"{SVG_NS}title" and root[0].text == built[kind].alt
    for element in root.iter():
        assert element.tag.removeprefix(SVG_NS) not in ("script", "image", "foreignObject", "use", "a")
        for name, value in element.attrib.items():
            assert not name.startswith("on")
            if name.endswith("href"):
                assert value.startswith("#")
    assert "DejaVu Sans" in svg


@pytest.mark.parametrize("kind", KINDS)
def test_svg_is_deterministic(built: dict[str, Chart], svgs: dict[str, str], kind: str) -> None:
    # Other exports ran in between: the renderer's id counter has moved on.
    assert charts.to_svg(built[kind]) == svgs[kind]


def test_svg_ids_are_renumbered_per_chart() -> None:
    clipped = Chart("by-actor", "t", "t", {
        "data": {"values": [{"a": 1, "b": 2}]},
        "mark": {"type": "bar", "clip": True},
        "encoding": {"x": {"field": "a", "type": "quantitative", "scale": {"domain": [0, 0.5]}},
                     "y": {"field": "b", "type": "quantitative"}},
    })
    first, second = charts.to_svg(clipped), charts.to_svg(clipped)
    assert first == second
    ids = [element.get("id") for element in ElementTree.fromstring(first).iter() if element.get("id")]
    assert ids and all(i.startswith("by-actor-") for i in ids)


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind, data = png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks.append((kind, data))
        offset += 12 + length
    return chunks


@pytest.mark.parametrize("kind", KINDS)
def test_png_decodes_and_carries_the_alt_text(built: dict[str, Chart], pngs: dict[str, bytes], kind: str) -> None:
    chunks = png_chunks(pngs[kind])
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert width > 200 and height > 100 and depth == 8
    channels = {2: 3, 6: 4}[colour]
    pixels = zlib.decompress(b"".join(data for name, data in chunks if name == b"IDAT"))
    assert len(pixels) == height * (1 + width * channels)
    texts = [data for name, data in chunks if name == b"iTXt"]
    assert texts == [b"Description\x00\x00\x00\x00\x00" + built[kind].alt.encode()]


@pytest.mark.parametrize("kind", KINDS)
def test_png_is_deterministic(built: dict[str, Chart], pngs: dict[str, bytes], kind: str) -> None:
    assert charts.to_png(built[kind]) == pngs[kind]


HOSTILE = ["<script>alert(1)</script>", '"}]}', "{{ x }} ${x} datum.x & 'q'"]


def outside_data(spec: Any) -> Any:
    if isinstance(spec, dict):
        return {key: outside_data(value) for key, value in spec.items() if key != "values"}
    if isinstance(spec, list):
        return [outside_data(item) for item in spec]
    return spec


def test_record_text_is_only_ever_a_data_value() -> None:
    record = {**Q1, "title": HOSTILE[0], "window": {"start": "2026-01-02", "end": "2026-01-09"},
              "figures": {"interactions": 700},
              "actors": [{"name": name, "figures": {"interactions": 100 * (n + 1)}} for n, name in enumerate(HOSTILE)]}
    for kind in ("by-actor", "timeline", "rates"):
        chart = build(kind, [record])
        assert chart is not None
        rest = json.dumps(outside_data(chart.spec), ensure_ascii=False)
        assert not any(text in rest for text in HOSTILE), kind
        svg = charts.to_svg(chart)
        root = ElementTree.fromstring(svg)  # still well-formed
        assert not [e for e in root.iter() if e.tag.removeprefix(SVG_NS) == "script"]
        assert "<script>" not in svg
        texts = {element.text for element in root.iter() if element.text}
        assert HOSTILE[0] in texts or any(HOSTILE[0] in text for text in texts)


def test_export_refuses_anything_that_could_fetch(built: dict[str, Chart]) -> None:
    remote = Chart("by-actor", "t", "t", {**built["by-actor"].spec, "data": {"url": "https://example.org/x.csv"}})
    with pytest.raises(ChartError, match="inline data only"):
        charts.to_svg(remote)
    image = Chart("by-actor", "t", "t", {"data": {"values": [{"u": "x.png"}]}, "mark": "image",
                                          "encoding": {"url": {"field": "u"}}})
    with pytest.raises(ChartError):
        charts.to_png(image)
    with pytest.raises(ChartError, match="font"):
        charts.to_svg(built["by-actor"], font='x" onload="alert(1)')


def test_import_is_cheap() -> None:
    code = "import sys, reporter.charts; print('altair' in sys.modules, 'vl_convert' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _no_network_prefix() -> list[str] | None:
    """A command prefix that runs a process with no network at all (a new, empty network namespace)."""
    try:
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    except OSError:
        return None
    return ["unshare", "-rn"] if probe.returncode == 0 else None


def test_export_needs_no_network(svgs: dict[str, str]) -> None:
    prefix = _no_network_prefix()
    if prefix is None:
        pytest.skip("cannot make a network namespace here")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from tests.test_charts import build; "
            "from reporter.charts import to_png, to_svg; chart = build('by-actor'); to_png(chart); "
            "sys.stdout.write(to_svg(chart))")
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([*prefix, sys.executable, "-c", code, root], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == svgs["by-actor"]


def test_specs_validate_against_the_vega_lite_schema() -> None:
    """Production skips Altair's validation for speed; the specs themselves must still be valid."""
    import altair as alt
    import jsonschema

    schema = alt.vegalite.v6.schema.core.load_schema()
    for golden in sorted((Path(__file__).parent / "golden" / "charts").glob("*.json")):
        spec = json.loads(golden.read_text())
        jsonschema.validate({k: v for k, v in spec.items()}, schema)
