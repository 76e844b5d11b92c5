"""The dashboard: the numbers of a staff member's areas as charts, tables and CSV files.

Every signed-in staff member has one; which sections it shows and for which areas comes
from their roles, read at each request (handlers/stats/scope.py). The charts are pictures
made on the server (bot/console/charts.py) and loaded by <img>, so the page runs no script;
each has its numbers in a table under it and as a CSV download, all three made from the
same figure (handlers/stats/figures.py). A figure one's roles do not reach is a 404.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console import charts
from bot.console.staff import Staff, render, staff_page
from handlers.core import roles
from handlers.stats import figures
from handlers.stats.figures import FIGURES, Figure, Request, Section
from handlers.stats.period import DEFAULT, Choice, DayRange, PeriodError, choose, ready
from handlers.stats.scope import Scope, scope_of

routes = web.RouteTableDef()

# A page and its eight pictures ask for the same figures within a second: made once, they are
# kept this long. Figures are never older than this (the page says so).
FRESH_SECONDS = 60.0
KEPT_FIGURES = 512


class FigureCache:
    """Figures made lately, by what they are, whose areas, which days and which language."""

    def __init__(self, seconds: float = FRESH_SECONDS, size: int = KEPT_FIGURES) -> None:
        self.seconds, self.size = seconds, size
        self._kept: OrderedDict[tuple[Any, ...], tuple[float, Figure]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Figure | None:
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        self._kept.move_to_end(key)  # the least lately used goes first
        return found[1]

    def put(self, key: tuple[Any, ...], figure: Figure) -> None:
        self._kept[key] = (time.monotonic(), figure)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


class PictureCache:
    """Each kept figure's chart, drawn once per language: drawing one costs 7-70 ms, and a
    dashboard shows up to eight. A picture belongs to the very figure object it was drawn
    from, so a figure made anew (after its minute) is drawn anew."""

    def __init__(self, size: int = 2 * KEPT_FIGURES) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str], tuple[Figure, Any]] = OrderedDict()

    def svg(self, figure: Figure, lang: str) -> Any:
        key = (id(figure), lang)
        found = self._kept.get(key)
        if found is not None and found[0] is figure:
            self._kept.move_to_end(key)
            return found[1]
        drawn = charts.svg(figure, lang)
        self._kept[key] = (figure, drawn)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return drawn


# One cache per database (per running app): it goes with the app's session factory.
_CACHES: weakref.WeakKeyDictionary[Any, FigureCache] = weakref.WeakKeyDictionary()
_PICTURES: weakref.WeakKeyDictionary[Any, PictureCache] = weakref.WeakKeyDictionary()


async def _made(staff: Staff, made: Request, name: str) -> Figure | None:
    """The figure ``name`` for this request: kept, or made now and kept."""
    cache = _CACHES.setdefault(staff.deps.sessions, FigureCache())
    days = made.days
    key = (name, made.scope.key(), days.choice, days.first, days.last, made.lang)
    figure = cache.get(key)
    if figure is None:
        figure = await figures.figure(made, name)
        if figure is not None:
            cache.put(key, figure)
    return figure


def _today(staff: Staff) -> dt.date:
    return staff.now.astimezone(staff.ctx.timezone).date()


def _request(staff: Staff, scope: Scope, days: DayRange) -> Request:
    content, tz = staff.deps.content, staff.ctx.timezone
    return Request(staff.session, content, staff.lang, scope, days, tz, staff.now)


def _day(day: dt.date, lang: str) -> str:
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.strftime("%d %b %Y")


def _scope_lines(staff: Staff, scope: Scope) -> list[str]:
    whole = staff.t("console.dashboard.whole_country")

    def names(areas: tuple[str | None, ...]) -> str:
        return ", ".join(roles.area_name(a, whole, with_code=False) for a in areas)

    lines = []
    for section, areas in (
        (Section.REPORTS, scope.moderator),
        (Section.DELIVERY, scope.official),
        (Section.QUESTIONS, scope.admin),
    ):
        if areas:
            lines.append(staff.t(f"console.dashboard.scope.{section.value}", areas=names(areas)))
    return lines


@routes.get("/staff/dashboard")
@staff_page()
async def dashboard(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The page: the period picker, then each section's figures."""
    today = _today(staff)
    error = None
    try:
        days = choose(request.query, today)
    except PeriodError as refused:
        # The page still answers: it says what is wrong beside the form, which keeps what
        # was typed, and shows the default period's numbers meanwhile.
        error = staff.t(refused.key, **refused.values)
        days = ready(DEFAULT, today)
    scope = await scope_of(staff.ctx)
    made = _request(staff, scope, days)
    query = urlencode(days.query())
    sections: list[tuple[Section, list[Figure]]] = []
    for name in figures.visible(scope):
        section = FIGURES[name][0]
        figure = await _made(staff, made, name)
        assert figure is not None
        if not sections or sections[-1][0] is not section:
            sections.append((section, []))
        sections[-1][1].append(figure)
    typed = request.query if error else days.query()
    return render(
        staff,
        "dashboard/index.html",
        {
            "error": error,
            "choices": list(Choice),
            "chosen": request.query.get("period", DEFAULT.value) if error else days.choice.value,
            "typed_from": typed.get("from", ""),
            "typed_to": typed.get("to", ""),
            "today": today.isoformat(),
            "showing": staff.t(
                "console.dashboard.period.showing",
                first=_day(days.first, staff.lang),
                last=_day(days.last, staff.lang),
            ),
            "scope_lines": _scope_lines(staff, scope),
            "sections": sections,
            "query": query,
            "table": lambda figure: figures.table(figure, staff.lang),
        },
    )


async def _figure(request: web.Request, staff: Staff) -> Figure:
    """The figure a chart or CSV address names, for a valid period, within one's roles."""
    try:
        days = choose(request.query, _today(staff))
    except PeriodError as refused:
        raise web.HTTPBadRequest(text=staff.t(refused.key, **refused.values)) from None
    scope = await scope_of(staff.ctx)
    figure = await _made(staff, _request(staff, scope, days), request.match_info["name"])
    if figure is None:
        raise web.HTTPNotFound()
    return figure


@routes.get("/staff/dashboard/chart/{name}.svg")
@staff_page()
async def chart(request: web.Request, staff: Staff) -> web.StreamResponse:
    figure = await _figure(request, staff)
    pictures = _PICTURES.setdefault(staff.deps.sessions, PictureCache())
    # Shown by an <img>: a picture runs no script and loads nothing, whatever it holds. The
    # browser may keep it as long as its figure is kept here, and for this person only.
    return web.Response(
        body=pictures.svg(figure, staff.lang),
        content_type="image/svg+xml",
        headers={"Cache-Control": f"private, max-age={int(FRESH_SECONDS)}"},
    )


@routes.get("/staff/dashboard/{name}.csv")
@staff_page()
async def csv_file(request: web.Request, staff: Staff) -> web.StreamResponse:
    figure = await _figure(request, staff)
    days = choose(request.query, _today(staff))
    filename = f"{figure.name}_{days.first.isoformat()}_{days.last.isoformat()}.csv"
    # With a byte-order mark, Excel reads the Vietnamese letters as UTF-8.
    body = "\ufeff" + figures.csv_text(figure)
    return web.Response(
        body=body.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
