"""Small counts stay blurred under arithmetic: no blurred share can be worked out from what is shown."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.audience import for_audience, suppress_small_counts
from reporter.records import Incident, Sensitivity, load_collection
from tests.support import run_in


def _incident(total: int | None, shares: list[int]) -> Incident:
    data = {"id": "x", "title": "T", "category": "c", "sensitivity": "public",
            "actors": [{"name": f"Actor {n}", "figures": {"interactions": v}} for n, v in enumerate(shares)]}
    if total is not None:
        data["figures"] = {"interactions": total}
    return Incident.model_validate(data)


def _interval(q) -> tuple[int, float]:  # noqa: ANN001
    low = 0 if q.low is None else max(0, int(-(-q.low // 1)) + (1 if q.low_strict and q.low == int(q.low) else 0))
    high = float("inf") if q.high is None else int(q.high // 1) - (1 if q.high_strict and q.high == int(q.high) else 0)
    return low, high


def _what_a_reader_learns(incident: Incident, threshold: int) -> list[set[int]]:
    """For each share shown as "fewer than threshold": the values it can take, to a reader who
    assumes the shown shares add up to the shown total (brute force over whole numbers)."""
    total = incident.figures.get("interactions")
    if total is None:
        return []
    shown = [a.figures["interactions"].quantity for a in incident.actors if "interactions" in a.figures]
    blurred = [n for n, q in enumerate(shown) if q.high == threshold and q.low in (None, 0) and q.high_strict]
    others = [q for n, q in enumerate(shown) if n not in blurred]
    t_low, t_high = _interval(total.quantity)
    o_low = sum(_interval(q)[0] for q in others)
    o_high = sum(_interval(q)[1] for q in others)
    possible: list[set[int]] = [set() for _ in blurred]
    for values in itertools.product(range(threshold), repeat=len(blurred)):
        s = sum(values)
        # Some total in its bounds minus some choice of the other shares equals s.
        if t_low - o_high <= s <= t_high - o_low:
            for slot, v in enumerate(values):
                possible[slot].add(v)
    return possible


@settings(max_examples=300, deadline=None)
@given(threshold=st.integers(2, 6),
       shares=st.lists(st.integers(0, 40), min_size=1, max_size=4),
       remainder=st.sampled_from([0, 0, 0, 3, 50]),
       with_total=st.booleans())
def test_no_blurred_share_can_be_recovered(threshold: int, shares: list[int], remainder: int,
                                           with_total: bool) -> None:
    total = sum(shares) + remainder if with_total else None
    shown = suppress_small_counts([_incident(total, shares)], threshold)[0]
    everything = set(range(threshold))
    for values in _what_a_reader_learns(shown, threshold):
        assert values in (set(), everything), f"a blurred share is narrowed to {sorted(values)}"
    # Everything shown is still true.
    for actor, true in zip(shown.actors, shares, strict=True):
        if "interactions" in actor.figures:
            assert actor.figures["interactions"].quantity.contains(true)
    if total is not None and "interactions" in shown.figures:
        assert shown.figures["interactions"].quantity.contains(total)


def test_the_example_of_the_issue_is_blurred_twice() -> None:
    shown = suppress_small_counts([_incident(5000, [4993, 7])], 10)[0]
    big, tiny = (a.figures["interactions"].quantity for a in shown.actors)
    assert (tiny.high, tiny.high_strict) == (10, True)
    assert (big.qualifier.value, big.low) == ("at-least", 4900)
    assert shown.figures["interactions"].quantity.value == 5000  # the headline figure is kept


def test_a_total_that_is_only_small_shares_is_blurred() -> None:
    shown = suppress_small_counts([_incident(7, [7])], 10)[0]
    assert shown.figures["interactions"].quantity.high == 10


def test_the_public_document_does_not_give_the_small_share_away(tmp_path: Path) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "two.yaml").write_text(
        "id: two\ntitle: Two operators\ncategory: scraping\nstatus: disclosed\nsensitivity: public\n"
        "figures: {interactions: 5000}\nactors:\n  - name: Big Operator\n    figures: {interactions: 4993}\n"
        "  - name: Tiny Operator\n    figures: {interactions: 7}\n", encoding="utf-8")
    (tmp_path / "reporter.toml").write_text('[organisation.signatory]\nname = "S"\n[documents]\nsmall_counts = 10\n')
    (tmp_path / "brief.yaml").write_text("template: disclosure-summary\naudience: public\ntitle: T\n"
                                         "date: 2026-04-02\nincidents: [two]\nformats: [md]\n")
    result = run_in(tmp_path, ["build", "brief.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "brief.md").read_text()
    assert "5,000" in text and "fewer than 10" in text
    assert "4,993" not in text and "at least 4,900" in text
    # Internal readers see the exact shares.
    internal = for_audience(load_collection([tmp_path / "incidents"]).incidents, Sensitivity.RESTRICTED, 10)
    assert [a.figures["interactions"].quantity.value for a in internal.incidents[0].actors] == [4993, 7]
