"""A dashboard figure drawn as an SVG picture with pygal, made to be shown by an <img>.

The picture scales to its box (a viewBox, no fixed width), so it fits a phone as well as a
desktop; its letters are large for that reason. It carries nothing that runs or loads: pygal
puts a configuration script and a link to its tooltip script in every chart, and both are
taken out of the tree before it is written; the fonts are the system's. The numbers are also
in the table under the picture, which is what a screen reader reads.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pygal
from pygal.style import Style

from handlers.stats.figures import Chart, Figure
from handlers.stats.numbers import Kind, display

# Okabe and Ito's colours, told apart by people who see colours differently.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#8C6D00",
    "#000000",
    "#999999",
)
# Sent, blocked, failed, waiting, (unreachable): green, orange, red, grey, purple.
DELIVERY_COLOURS = ("#009E73", "#E69F00", "#D55E00", "#999999", "#CC79A7")
# A broadcast has no "waiting": sent, blocked, failed, (unreachable).
BROADCAST_COLOURS = ("#009E73", "#E69F00", "#D55E00", "#CC79A7")

LABELLED_BARS = 12  # bar labels a phone's width holds
WIDTH = 560  # drawn at a phone's width (about 360 px) the letters stay about 14 px
FONT = "'DejaVu Sans', 'Noto Sans', Arial, sans-serif"


def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1a1a1a",
        foreground_strong="#1a1a1a",
        foreground_subtle="#5c5c5c",
        font_family=FONT,
        label_font_size=20,
        major_label_font_size=20,
        legend_font_size=20,
        title_font_size=22,
        value_font_size=18,
        tooltip_font_size=16,
        colors=colours,
    )


def _strip_scripts(root: Any) -> None:
    """Take every <script> out of the tree, wherever pygal put it."""
    parents = [(parent, child) for parent in root.iter() for child in list(parent)]
    for parent, child in parents:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag.rsplit("}", 1)[-1] == "script":
            parent.remove(child)


def _count_ticks(top: float) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, at most nine of them, in steps of 1, 2
    or 5 times a power of ten (pygal would write 0.5 reports)."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * power
            if top / step <= 8:
                last = max(math.ceil(top / step), 1) * step
                return list(range(0, last + 1, step))
        power *= 10


def _top(figure: Figure, plotted: list[int]) -> float:
    rows = figure.chart_rows()
    if figure.chart is Chart.STACKED:
        return max((sum(float(row[i] or 0) for i in plotted) for row in rows), default=0.0)
    return max((float(row[i] or 0) for row in rows for i in plotted), default=0.0)


def _chart(figure: Figure, lang: str, height: int) -> Any:
    plotted = [(i, c) for i, c in enumerate(figure.columns) if c.plotted]
    kind = plotted[0][1].kind if plotted else Kind.COUNT
    formatter: Callable[[float], str] = lambda value: display(value, kind, lang)  # noqa: E731
    palette = {"reminders": DELIVERY_COLOURS, "broadcasts": BROADCAST_COLOURS}
    config: dict[str, Any] = {
        "style": _style(palette.get(figure.name, COLOURS)),
        "js": [],  # no tooltip script from the internet
        "disable_xml_declaration": True,
        "width": WIDTH,
        "height": height,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,  # one per line: whole names, readable on a phone
        "truncate_legend": 44,
        "truncate_label": 24,
        "value_formatter": formatter,
        "show_legend": len(plotted) > 1 or figure.chart is Chart.PIE,
        "margin": 12,
        "print_values": False,
    }
    if kind is Kind.COUNT and figure.chart is not Chart.PIE:
        config["y_labels"] = _count_ticks(_top(figure, [i for i, _c in plotted]))
    rows = figure.chart_rows()
    labels = [str(row[0]) for row in rows]
    if figure.chart is Chart.PIE:
        chart = pygal.Pie(inner_radius=0.45, **config)
        index = plotted[0][0]
        for label, row in zip(labels, rows, strict=True):
            chart.add(label, row[index] or 0)
        return chart
    if figure.chart is Chart.HBARS:
        # pygal draws the first bar at the bottom: reversed, the largest is on top
        chart = pygal.HorizontalBar(**config)
        chart.x_labels = list(reversed(labels))
        for index, column in plotted:
            chart.add(column.label, [row[index] for row in reversed(rows)])
        return chart
    maker = pygal.StackedBar if figure.chart is Chart.STACKED else pygal.Bar
    if len(rows) > LABELLED_BARS:  # a year of weeks: a label every few bars, the rest blank
        config["x_labels_major_every"] = math.ceil(len(rows) / LABELLED_BARS)
        config["show_minor_x_labels"] = False
    chart = maker(x_label_rotation=-40 if len(rows) > 6 else 0, **config)
    chart.x_labels = labels
    for index, column in plotted:
        chart.add(column.label, [row[index] for row in rows])
    return chart


def height_of(figure: Figure) -> int:
    """Tall enough for a bar per row when they lie down, and for the legend's lines."""
    plotted = sum(1 for c in figure.columns if c.plotted)
    line = 30
    legend = 0 if plotted <= 1 and figure.chart is not Chart.PIE else line * plotted
    if figure.chart is Chart.PIE:
        return 340 + line * len(figure.chart_rows())
    if figure.chart is Chart.HBARS:
        return 90 + 40 * max(len(figure.chart_rows()), 3) + legend
    return 380 + legend


def svg(figure: Figure, lang: str) -> bytes:
    """The figure's picture as SVG bytes, without scripts."""
    chart = _chart(figure, lang, height_of(figure))
    if figure.empty:
        chart.no_data_text = ""
    root = chart.render_tree()
    _strip_scripts(root)
    return ET.tostring(root, encoding="utf-8")
