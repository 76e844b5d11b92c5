"""The dashboard's figures: each a titled table of numbers, the picture drawn from it, and the
same table as CSV, for the areas a person's roles reach (handlers/stats/scope.py).

A figure is channel-neutral data: the console draws it as an SVG chart and an HTML table,
and writes it as CSV; the numbers come from storage/stats.py, aggregated in the database.
Labels are content (messages_console_dashboard.yaml, the report categories, the topics).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import commune
from handlers.core import roles
from handlers.core.spreadsheet import safe_row
from handlers.reports.common import CATEGORIES
from handlers.stats.numbers import Cell, Kind, count, csv_value, display, share
from handlers.stats.period import DayRange
from handlers.stats.scope import Scope, area_codes_in, communes_in
from storage import stats
from storage.reports import OPEN

HOUR = 3600.0
# Bars a phone can show side by side; the table below a chart always has every row.
CHART_ROWS = 15


class Chart(enum.StrEnum):
    BARS = "bars"  # one group of bars per row, one bar per plotted column
    STACKED = "stacked"  # one bar per row, the plotted columns stacked
    HBARS = "hbars"  # horizontal bars, for long labels (communes, topics)
    PIE = "pie"


class Section(enum.StrEnum):
    REPORTS = "reports"
    DELIVERY = "delivery"
    QUESTIONS = "questions"


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind
    plotted: bool = False


@dataclass(frozen=True)
class Figure:
    """A table of numbers: a label per row, then the columns; ``keys`` are the rows' stable
    identifiers for the CSV (ISO dates, codes), ``key_label`` their column's name."""

    name: str
    title: str
    chart: Chart
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    keys: tuple[str, ...]
    key_label: str
    note: str = ""
    summary: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows

    def chart_rows(self) -> tuple[tuple[Cell, ...], ...]:
        """The rows the picture shows: all of them, or the first ``CHART_ROWS`` of a ranked
        list (the table keeps the rest)."""
        if self.chart in (Chart.HBARS, Chart.PIE):
            return self.rows[:CHART_ROWS]
        return self.rows


@dataclass(frozen=True)
class Request:
    """What every figure is made from."""

    session: AsyncSession
    content: Content
    lang: str
    scope: Scope
    days: DayRange
    tz: ZoneInfo
    now: dt.datetime

    def t(self, key: str, **values: object) -> str:
        return self.content.text(key, self.lang, **values)

    @property
    def period(self) -> stats.Period:
        return self.days.period(self.tz)


def _date(day: dt.date, lang: str) -> str:
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.strftime("%d %b %Y")


def _week_label(monday: dt.date, lang: str) -> str:
    return monday.strftime("%d/%m") if lang == "vi" else monday.strftime("%d %b")


def _month_label(month: str, lang: str) -> str:
    day = dt.date.fromisoformat(f"{month}-01")
    return day.strftime("%m/%Y") if lang == "vi" else day.strftime("%b %Y")


def _commune_label(r: Request, code: str | None) -> str:
    if code is None:
        return r.t("console.dashboard.place_unknown")
    found = commune(code)
    return found.name if found is not None else code


def category_label(r: Request, category: str) -> str:
    """The category as the reporter chose it, without the menu's emoji."""
    text = r.content.text(f"report.cat.{category}", r.lang)
    first, _, rest = text.partition(" ")
    return rest if rest and not first.isalnum() else text


def _top_note(r: Request, rows: int) -> str:
    """Said under a ranked chart that shows only the first rows of its table."""
    return r.t("console.dashboard.note.top", n=CHART_ROWS) if rows > CHART_ROWS else ""


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / HOUR


# --- reports -----------------------------------------------------------------------------------


async def reports_by_week(r: Request) -> Figure:
    found = await stats.reports_by_week(r.session, r.scope.moderator, r.period)
    categories = [c for c in CATEGORIES if any(row[1] == c for row in found)]
    counts = {(week, category): n for week, category, n in found}
    weeks = r.days.weeks()
    rows: list[tuple[Cell, ...]] = []
    for monday in weeks:
        cells = [counts.get((monday.isoformat(), c), 0) for c in categories]
        rows.append((_week_label(monday, r.lang), *cells, sum(cells)))
    columns = (
        Column(r.t("console.dashboard.col.week"), Kind.TEXT),
        *[Column(category_label(r, c), Kind.COUNT, plotted=True) for c in categories],
        Column(r.t("console.dashboard.col.total"), Kind.COUNT),
    )
    total = sum(n for _w, _c, n in found)
    return Figure(
        "reports-by-week",
        r.t("console.dashboard.reports_by_week"),
        Chart.STACKED,
        columns,
        tuple(rows) if total else (),
        tuple(m.isoformat() for m in weeks) if total else (),
        r.t("console.dashboard.col.week_start"),
        note=r.t("console.dashboard.note.weeks"),
        summary=r.t("console.dashboard.summary.reports", n=count(total, r.lang)),
    )


async def reports_by_commune(r: Request) -> Figure:
    found = await stats.reports_by_commune(r.session, r.scope.moderator, r.period)
    total = sum(n for _code, n in found)
    rows = tuple((_commune_label(r, code), n, share(n, total)) for code, n in found)
    return Figure(
        "reports-by-commune",
        r.t("console.dashboard.reports_by_commune"),
        Chart.HBARS,
        (
            Column(r.t("console.dashboard.col.commune"), Kind.TEXT),
            Column(r.t("console.dashboard.col.reports"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.col.share"), Kind.PERCENT),
        ),
        rows,
        tuple(code or "" for code, _n in found),
        r.t("console.dashboard.col.commune_code"),
        note=_top_note(r, len(rows)),
    )


async def report_times(r: Request) -> Figure:
    first = await stats.time_to_first_action(r.session, r.scope.moderator, r.period)
    resolved = await stats.time_to_resolution(r.session, r.scope.moderator, r.period)
    rows = tuple(
        (
            r.t(f"console.dashboard.time.{name}"),
            spread.count,
            _hours(spread.median),
            _hours(spread.p90),
        )
        for name, spread in (("first_action", first), ("resolution", resolved))
    )
    return Figure(
        "report-times",
        r.t("console.dashboard.report_times"),
        Chart.BARS,
        (
            Column(r.t("console.dashboard.col.measure"), Kind.TEXT),
            Column(r.t("console.dashboard.col.reports"), Kind.COUNT),
            Column(r.t("console.dashboard.col.median_hours"), Kind.HOURS, plotted=True),
            Column(r.t("console.dashboard.col.p90_hours"), Kind.HOURS, plotted=True),
        ),
        rows if first.count or resolved.count else (),
        ("first_action", "resolution") if first.count or resolved.count else (),
        r.t("console.dashboard.col.measure_key"),
        note=r.t("console.dashboard.note.times"),
    )


OUTCOMES = ("resolved", "rejected", "withdrawn", "open")


async def report_outcomes(r: Request) -> Figure:
    by_status = await stats.reports_by_status(r.session, r.scope.moderator, r.period)
    counts = {
        "resolved": by_status.get("resolved", 0),
        "rejected": by_status.get("rejected", 0),
        "withdrawn": by_status.get("withdrawn", 0),
        "open": sum(by_status.get(s, 0) for s in OPEN),
    }
    total = sum(counts.values())
    rows = tuple(
        (r.t(f"console.dashboard.outcome.{name}"), counts[name], share(counts[name], total))
        for name in OUTCOMES
    )
    return Figure(
        "report-outcomes",
        r.t("console.dashboard.report_outcomes"),
        Chart.PIE,
        (
            Column(r.t("console.dashboard.col.outcome"), Kind.TEXT),
            Column(r.t("console.dashboard.col.reports"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.col.share"), Kind.PERCENT),
        ),
        rows if total else (),
        OUTCOMES if total else (),
        r.t("console.dashboard.col.outcome_key"),
        note=r.t("console.dashboard.note.outcomes"),
    )


# --- delivery ----------------------------------------------------------------------------------


async def subscribers(r: Request) -> Figure:
    found = await stats.subscribers_by_commune(r.session, communes_in(r.scope.official), r.period)
    rows = tuple((_commune_label(r, code), n, new) for code, n, new in found)
    return Figure(
        "subscribers",
        r.t("console.dashboard.subscribers"),
        Chart.HBARS,
        (
            Column(r.t("console.dashboard.col.commune"), Kind.TEXT),
            Column(r.t("console.dashboard.col.subscriptions"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.col.new_in_period"), Kind.COUNT),
        ),
        rows,
        tuple(code for code, _n, _new in found),
        r.t("console.dashboard.col.commune_code"),
        note=" ".join(
            filter(None, [r.t("console.dashboard.note.subscribers"), _top_note(r, len(rows))])
        ),
        summary=r.t(
            "console.dashboard.summary.subscriptions",
            n=count(sum(n for _c, n, _x in found), r.lang),
        ),
    )


REMINDER_STATES = ("sent", "blocked", "failed", "waiting")
# A Zalo OA user out of the 7-day window with no ZNS for them (bot/zalo_oa_reach.py): a column
# of its own, last, where the figure has any (a deployment without the OA never has).
UNREACHABLE = "unreachable"
# How long handled messages stay in the outbox (bot/scheduler.py, OUTBOX_RETENTION; a test
# holds the two equal): older reminders are counted from reminder_tallies, kept since 0018.
MESSAGES_KEPT = dt.timedelta(days=90)


async def reminders(r: Request) -> Figure:
    found = await stats.reminders_by_month(r.session, communes_in(r.scope.official), r.period)
    counts: dict[tuple[str, str], int] = {}
    states: tuple[str, ...] = REMINDER_STATES
    if any(status == UNREACHABLE for _month, status, _n in found):
        states = (*REMINDER_STATES, UNREACHABLE)
    for month, status, n in found:
        state = status if status in states and status != "waiting" else "waiting"
        counts[(month, state)] = counts.get((month, state), 0) + n
    months = r.days.months()
    # Months wholly before what the outbox still holds, and before the counts kept of what
    # it no longer holds, are unknown, not zero.
    known_from = (r.now - MESSAGES_KEPT).astimezone(r.tz).date()
    first_tally = await stats.first_reminder_day(r.session)
    if first_tally is not None:
        known_from = min(known_from, first_tally)
    kept_from = known_from.isoformat()[:7]
    rows: list[tuple[Cell, ...]] = []
    for month in months:
        if month < kept_from:
            rows.append((_month_label(month, r.lang), *[None] * len(states), None))
            continue
        cells: list[Cell] = [counts.get((month, state), 0) for state in states]
        sent, total = counts.get((month, "sent"), 0), sum(int(c or 0) for c in cells)
        rows.append((_month_label(month, r.lang), *cells, share(sent, total)))
    any_rows = bool(found)
    return Figure(
        "reminders",
        r.t("console.dashboard.reminders"),
        Chart.STACKED,
        (
            Column(r.t("console.dashboard.col.month"), Kind.TEXT),
            *[
                Column(r.t(f"console.dashboard.delivery.{state}"), Kind.COUNT, plotted=True)
                for state in states
            ],
            Column(r.t("console.dashboard.col.delivered_share"), Kind.PERCENT),
        ),
        tuple(rows) if any_rows else (),
        tuple(months) if any_rows else (),
        r.t("console.dashboard.col.month_key"),
        note=r.t("console.dashboard.note.reminders"),
    )


async def broadcasts(r: Request) -> Figure:
    found = await stats.broadcasts_started(r.session, area_codes_in(r.scope.official), r.period)
    whole = r.t("console.dashboard.whole_country")
    any_unreachable = any(tally.counts.get(UNREACHABLE) for tally in found)
    rows: list[tuple[Cell, ...]] = []
    for tally in found:
        sent = tally.counts.get("sent", 0)
        blocked = tally.counts.get("blocked", 0)
        failed = tally.counts.get("failed", 0)
        unreachable = [tally.counts.get(UNREACHABLE, 0)] if any_unreachable else []
        day = tally.started_at.astimezone(r.tz).date()
        label = r.t("console.dashboard.broadcast_label", id=tally.id, date=_date(day, r.lang))
        rows.append(
            (
                label,
                roles.area_name(tally.area_code, whole, with_code=False),
                tally.recipients,
                sent,
                blocked,
                failed,
                *unreachable,
                share(sent, tally.recipients),
            )
        )
    return Figure(
        "broadcasts",
        r.t("console.dashboard.broadcasts"),
        Chart.STACKED,
        (
            Column(r.t("console.dashboard.col.broadcast"), Kind.TEXT),
            Column(r.t("console.dashboard.col.area"), Kind.TEXT),
            Column(r.t("console.dashboard.col.recipients"), Kind.COUNT),
            Column(r.t("console.dashboard.delivery.sent"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.delivery.blocked"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.delivery.failed"), Kind.COUNT, plotted=True),
            *(
                [Column(r.t("console.dashboard.delivery.unreachable"), Kind.COUNT, plotted=True)]
                if any_unreachable
                else []
            ),
            Column(r.t("console.dashboard.col.delivered_share"), Kind.PERCENT),
        ),
        tuple(rows),
        tuple(str(t.id) for t in found),
        r.t("console.dashboard.col.broadcast_id"),
        note=r.t("console.dashboard.note.broadcasts"),
    )


# --- questions ---------------------------------------------------------------------------------


def topic_label(r: Request, topic: str) -> str:
    if topic == "none":
        return r.t("console.dashboard.topic_none")
    found = r.content.topics.get(topic)
    if found is None:
        return topic
    return found.vi if r.lang == "vi" else found.en


async def questions(r: Request) -> Figure:
    found = await stats.kept_questions_by_topic(r.session, communes_in(r.scope.admin), r.period)
    total = sum(n for _t, n in found)
    unanswered = sum(n for t, n in found if t == "none")
    rows = tuple((topic_label(r, topic), n, share(n, total)) for topic, n in found)
    part = share(unanswered, total)
    summary = ""
    if total:
        summary = r.t(
            "console.dashboard.summary.unanswered",
            n=count(unanswered, r.lang),
            total=count(total, r.lang),
            share=display(part, Kind.PERCENT, r.lang),
        )
    return Figure(
        "questions",
        r.t("console.dashboard.questions"),
        Chart.HBARS,
        (
            Column(r.t("console.dashboard.col.topic"), Kind.TEXT),
            Column(r.t("console.dashboard.col.questions"), Kind.COUNT, plotted=True),
            Column(r.t("console.dashboard.col.share"), Kind.PERCENT),
        ),
        rows,
        tuple(topic for topic, _n in found),
        r.t("console.dashboard.col.topic_key"),
        note=" ".join(
            filter(None, [r.t("console.dashboard.note.questions"), _top_note(r, len(rows))])
        ),
        summary=summary,
    )


Maker = Callable[[Request], Awaitable[Figure]]

# name -> (section, maker), in the order the page shows them.
FIGURES: dict[str, tuple[Section, Maker]] = {
    "reports-by-week": (Section.REPORTS, reports_by_week),
    "reports-by-commune": (Section.REPORTS, reports_by_commune),
    "report-times": (Section.REPORTS, report_times),
    "report-outcomes": (Section.REPORTS, report_outcomes),
    "subscribers": (Section.DELIVERY, subscribers),
    "reminders": (Section.DELIVERY, reminders),
    "broadcasts": (Section.DELIVERY, broadcasts),
    "questions": (Section.QUESTIONS, questions),
}


def sees(scope: Scope, section: Section) -> bool:
    """Does a person with ``scope`` see this section?"""
    return {
        Section.REPORTS: scope.reports,
        Section.DELIVERY: scope.delivery,
        Section.QUESTIONS: scope.questions,
    }[section]


def visible(scope: Scope) -> list[str]:
    """The names of the figures this person sees, in the page's order."""
    return [name for name, (section, _make) in FIGURES.items() if sees(scope, section)]


async def figure(r: Request, name: str) -> Figure | None:
    """One figure by name; None when there is none such or the person does not see it."""
    found = FIGURES.get(name)
    if found is None or not sees(r.scope, found[0]):
        return None
    return await found[1](r)


def csv_text(figure: Figure) -> str:
    """The figure's table as CSV: the rows' keys first, then every column, plain numbers;
    a cell a spreadsheet could run as a formula is written as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row([figure.key_label, *(c.label for c in figure.columns)]))
    for key, row in zip(figure.keys, figure.rows, strict=True):
        cells = [
            csv_value(cell, column.kind) for cell, column in zip(row, figure.columns, strict=True)
        ]
        writer.writerow(safe_row([key, *cells]))
    return out.getvalue()


def table(figure: Figure, lang: str) -> list[list[str]]:
    """The figure's rows as a person reads them."""
    return [
        [display(cell, column.kind, lang) for cell, column in zip(row, figure.columns, strict=True)]
        for row in figure.rows
    ]
