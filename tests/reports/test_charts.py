"""The SVG charts: accessible names and descriptions, sizes from the values, escaping."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

from amity.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def test_bar_chart_widths_follow_values_and_text_is_escaped() -> None:
    svg = parse(charts.bar_chart("Sales <by> category", ["<script>x</script>", "Tea"],
                                 [Decimal("300.00"), Decimal("150.00")]))
    assert svg.get("role") == "img" and svg.get("width") == "100%"
    assert svg.get("viewBox") == "0 0 360 80"  # 360 wide: fits a 390 px phone with margins
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Sales <by> category"
    assert desc is not None and desc.text == "<script>x</script>: 300.00; Tea: 150.00"
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    widths = [float(r.get("width", "0")) for r in svg.iter(f"{SVG}rect")]
    assert widths == [290.0, 145.0]  # the largest value spans 360 - 70 units
    raw = str(charts.bar_chart("t", ["<b>"], [1]))
    assert "<b>" not in raw and "&lt;b&gt;" in raw


def test_line_funnel_heat_map_and_empty() -> None:
    line = parse(charts.line_chart("Orders by month", ["2026-01-01", "2026-02-01",
                                                       "2026-03-01"], [1, 3, 2]))
    points = line.find(f"{SVG}polyline")
    assert points is not None
    ys = [float(p.split(",")[1]) for p in points.get("points", "").split()]
    assert ys[1] < ys[2] < ys[0]  # 3 is highest on screen, then 2, then 1
    assert len(list(line.iter(f"{SVG}circle"))) == 3
    funnel = parse(charts.funnel_chart("Funnel", [("Lead", 10), ("Won", 4)]))
    desc = funnel.find(f"{SVG}desc")
    assert desc is not None and desc.text == "Lead: 10 (100% of Lead); Won: 4 (40% of Lead)"
    heat = parse(charts.heat_map("Retention", ["2026-01"], ["+0", "+1"],
                                 [[Decimal("1"), Decimal("0.25")]]))
    opacities = [r.get("fill-opacity") for r in heat.iter(f"{SVG}rect")]
    assert opacities == ["1.00", "0.31"]  # 0.08 + 0.92 * share
    assert re.search(r"2026-01: \+0 100%, \+1 25%", str(heat.find(f"{SVG}desc").text))
    empty = parse(charts.bar_chart("Nothing", [], []))
    assert "No data" in str(empty.find(f"{SVG}desc").text)
