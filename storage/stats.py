"""The dashboard's counts: reports, subscriptions, reminders, broadcasts and kept questions.

Every figure is aggregated in SQL (GROUP BY, window functions); Python only receives the
groups. Times are bucketed by local week (Monday) or month in SQL: the caller passes the
offset of its time zone from UTC in minutes (Vietnam keeps +07:00 all year). Areas arrive
already resolved by the caller: report areas as ``storage.reports.area_clause`` takes them,
places as lists of commune codes (None: everywhere), since storage knows nothing of places.
Nothing here reads a reporter, a question's text or a message's text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.delivery_models import EVERYWHERE, ReminderMonth, ReminderTally, ReminderTallyMark
from storage.models import (
    AuditEntry,
    Broadcast,
    Outbox,
    Subscription,
    TransactionPoint,
    User,
    UTCDateTime,
)
from storage.question_models import KeptQuestion
from storage.report_models import Report
from storage.reports import area_clause

# Who did a reporter's own action in the audit log (handlers/reports/common.py: REPORTER).
REPORTER_ACTOR = "reporter"
REMINDER_KINDS = ("reminder_eve", "reminder_day")
REMINDER_KEY = "rem:"
# The audit entry written as a broadcast finishes, with its final counts by status.
FINISHED = "broadcast.finish"
FINAL_STATUSES = (
    "sent",
    "blocked",
    "failed",
    "cancelled",
    "unreachable",
)  # rem:{point}:{date}:{kind}:{user} (handlers/schedules/reminders.py)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and the local zone's offset from UTC for weeks and months."""

    start: dt.datetime
    end: dt.datetime
    offset_minutes: int = 7 * 60


@dataclass(frozen=True)
class Spread:
    """How long something took, in seconds: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def _constant(text: str) -> Any:
    """A fixed string written into the statement, not bound: a GROUP BY expression must be
    the same text as the selected one, and two bound copies of a value are two parameters."""
    return literal_column("'" + text.replace("'", "''") + "'")


def _shift(period: Period) -> Any:
    return _constant(f"{int(period.offset_minutes):+d} minutes")


def _local(session: AsyncSession, column: Any, period: Period) -> Any:
    """The moment as a local timestamp (PostgreSQL) or as SQLite's modifier-shifted text."""
    if _dialect(session) == "postgresql":
        return func.timezone(_constant("UTC"), column) + literal_column(
            f"interval '{int(period.offset_minutes)} minutes'"
        )
    return column


def week_of(session: AsyncSession, column: Any, period: Period) -> Any:
    """The Monday of the local week of ``column``, as 'YYYY-MM-DD'."""
    if _dialect(session) == "postgresql":
        return func.to_char(
            func.date_trunc(_constant("week"), _local(session, column, period)),
            _constant("YYYY-MM-DD"),
        )
    # 'weekday 0' moves to the coming Sunday (or stays on one): six days back is its Monday.
    return func.date(column, _shift(period), _constant("weekday 0"), _constant("-6 days"))


def month_of(session: AsyncSession, column: Any, period: Period) -> Any:
    """The local month of ``column``, as 'YYYY-MM'."""
    if _dialect(session) == "postgresql":
        return func.to_char(_local(session, column, period), _constant("YYYY-MM"))
    return func.strftime(_constant("%Y-%m"), column, _shift(period))


def seconds_between(session: AsyncSession, start: Any, end: Any) -> Any:
    if _dialect(session) == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _in(column: Any, values: Sequence[str] | None) -> ColumnElement[bool]:
    """``column`` among ``values``; everything when None, nothing when empty."""
    if values is None:
        return true()
    if not values:
        return false()
    return column.in_(sorted(set(values)))


# --- reports -----------------------------------------------------------------------------------


def _reports_where(areas: Sequence[str | None], period: Period) -> ColumnElement[bool]:
    seen = or_(*[area_clause(a) for a in areas]) if areas else false()
    return and_(seen, Report.created_at >= period.start, Report.created_at < period.end)


async def reports_by_week(
    session: AsyncSession, areas: Sequence[str | None], period: Period
) -> list[tuple[str, str, int]]:
    """(Monday of the week, category, reports) for the reports made in the period."""
    postgres = _dialect(session) == "postgresql"
    # Grouped by the week's first moment, written as text only for the few groups: sorting
    # or hashing 20,000 timestamps is half the work of as many strings.
    if postgres:
        start = func.date_trunc(_constant("week"), _local(session, Report.created_at, period))
    else:
        start = week_of(session, Report.created_at, period)
    week = start.label("week")
    grouped = (
        select(week, Report.category.label("category"), func.count().label("n"))
        .where(_reports_where(areas, period))
        .group_by(week, Report.category)
        .subquery()
    )
    shown = func.to_char(grouped.c.week, _constant("YYYY-MM-DD")) if postgres else grouped.c.week
    statement = select(shown, grouped.c.category, grouped.c.n).order_by(
        grouped.c.week, grouped.c.category
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [(str(w), str(c), int(n)) for w, c, n in rows]


async def reports_by_commune(
    session: AsyncSession, areas: Sequence[str | None], period: Period
) -> list[tuple[str | None, int]]:
    """(commune code or None where the place was not found, reports), most first."""
    n = func.count().label("n")
    statement = (
        select(Report.commune_code, n)
        .where(_reports_where(areas, period))
        .group_by(Report.commune_code)
        .order_by(n.desc(), Report.commune_code)
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [(code, int(count)) for code, count in rows]


async def reports_by_status(
    session: AsyncSession, areas: Sequence[str | None], period: Period
) -> dict[str, int]:
    """Reports made in the period by the state they are in now."""
    statement = (
        select(Report.status, func.count())
        .where(_reports_where(areas, period))
        .group_by(Report.status)
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return {str(status): int(n) for status, n in rows}


async def _spread(session: AsyncSession, durations: Any) -> Spread:
    """Median and 90th percentile of a one-column subquery ``d`` of seconds, computed as
    PostgreSQL's ``percentile_cont`` does (linear between the two nearest ranks), in one
    portable query: the ranks around each wanted position come back, nothing else."""
    ranked = select(
        durations.c.d,
        func.row_number().over(order_by=durations.c.d).label("rn"),
        func.count().over().label("n"),
    ).subquery()
    near = or_(*[func.abs(ranked.c.rn - 1 - p * (ranked.c.n - 1)) < 1.5 for p in (0.5, 0.9)])
    rows = (await session.exec(select(ranked.c.rn, ranked.c.n, ranked.c.d).where(near))).all()  # type: ignore[call-overload]
    if not rows:
        return Spread(0, None, None)
    count = int(rows[0][1])
    by_rank = {int(rn): float(d) for rn, _n, d in rows}

    def percentile(p: float) -> float:
        position = p * (count - 1)
        low, high = math.floor(position), math.ceil(position)
        below, above = by_rank[low + 1], by_rank[high + 1]
        return below + (position - low) * (above - below)

    return Spread(count, percentile(0.5), percentile(0.9))


async def time_to_first_action(
    session: AsyncSession, areas: Sequence[str | None], period: Period
) -> Spread:
    """From a report's making to a moderator's first action on it, for those acted on: the
    time kept on the report as that action was made (migration 0022), read with the report's
    making and area from ix_reports_first_action alone."""
    durations = (
        select(seconds_between(session, Report.created_at, Report.first_action_at).label("d"))
        .where(
            _reports_where(areas, period),
            Report.first_action_at.is_not(None),  # type: ignore[union-attr]
        )
        .subquery()
    )
    return await _spread(session, durations)


async def time_to_resolution(
    session: AsyncSession, areas: Sequence[str | None], period: Period
) -> Spread:
    """From a report's making to its resolution, for the reports resolved."""
    durations = (
        select(seconds_between(session, Report.created_at, Report.closed_at).label("d"))
        .where(
            _reports_where(areas, period),
            Report.status == "resolved",
            Report.closed_at.is_not(None),  # type: ignore[union-attr]
        )
        .subquery()
    )
    return await _spread(session, durations)


# --- subscriptions and reminders ---------------------------------------------------------------


async def subscribers_by_commune(
    session: AsyncSession, communes: Sequence[str] | None, period: Period
) -> list[tuple[str, int, int]]:
    """(commune, subscriptions to its points now, of them made in the period), most first.

    A person subscribed to two points of one commune counts twice: counted per point, the
    subscriptions are read from the (point, created_at) index alone.
    """
    new = case(
        (
            and_(Subscription.created_at >= period.start, Subscription.created_at < period.end),
            1,
        ),
        else_=0,
    )
    per_point = select(
        Subscription.point_id.label("point_id"),
        func.count().label("n"),
        func.sum(new).label("new"),
    ).group_by(Subscription.point_id)
    if communes is not None:  # only the area's points' index ranges are read
        points = select(TransactionPoint.id).where(_in(TransactionPoint.commune_code, communes))
        per_point = per_point.where(Subscription.point_id.in_(points.scalar_subquery()))
    counted = per_point.subquery()
    total = func.sum(counted.c.n).label("total")
    statement = (
        select(TransactionPoint.commune_code, total, func.sum(counted.c.new))
        .join(counted, counted.c.point_id == TransactionPoint.id)
        .where(_in(TransactionPoint.commune_code, communes))
        .group_by(TransactionPoint.commune_code)
        .order_by(total.desc(), TransactionPoint.commune_code)
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [(str(code), int(n), int(fresh or 0)) for code, n, fresh in rows]


def reminder_point(dialect: str) -> Any:
    """The point id inside a reminder's key (point ids hold no ':', handlers/schedules/csv.py),
    written exactly as the index ix_outbox_reminders (migration 0018) is: constants, not
    parameters, so that both databases recognise the expression."""
    if dialect == "postgresql":
        return func.split_part(Outbox.dedup_key, _constant(":"), literal_column("2"))
    start = literal_column(str(len(REMINDER_KEY) + 1))
    rest = func.substr(Outbox.dedup_key, start)
    return func.substr(rest, literal_column("1"), func.instr(rest, _constant(":")) - 1)


# The reminders' kinds, also written as constants: the partial index holds only their rows,
# and a database uses it only when the query's condition is visibly the index's.
_REMINDER = Outbox.kind.in_([_constant(kind) for kind in REMINDER_KINDS])


def _reminder_day(dialect: str) -> Any:
    """The local (Vietnam) day of a reminder's row, as 'YYYY-MM-DD'."""
    minutes = int(TALLY_OFFSET.total_seconds()) // 60
    if dialect == "postgresql":
        local = func.timezone(_constant("UTC"), Outbox.created_at) + literal_column(
            f"interval '{minutes} minutes'"
        )
        return func.to_char(local, _constant("YYYY-MM-DD"))
    return func.date(Outbox.created_at, _constant(f"{minutes:+d} minutes"))


def _points_of(communes: Sequence[str] | None) -> Any:
    return select(TransactionPoint.id).where(_in(TransactionPoint.commune_code, communes))


def _live_from() -> Any:
    """Where the reminders not yet tallied begin (the mark's ``live_from``; the beginning of
    time when nothing was tallied), read inside the statement that uses it."""
    mark = select(ReminderTallyMark.live_from).where(ReminderTallyMark.id == MARK_ID)
    return func.coalesce(mark.scalar_subquery(), literal(EPOCH, UTCDateTime))


def _month_after(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _split_by_month(
    first: dt.date, last: dt.date
) -> tuple[list[str], list[tuple[dt.date, dt.date]]]:
    """The months wholly in [first, last) as 'YYYY-MM', and the [from, to) ranges of days of
    the months only partly in it (at most one at each end)."""
    whole: list[str] = []
    parts: list[tuple[dt.date, dt.date]] = []
    day = first
    while day < last:
        following = _month_after(day)
        if day.day == 1 and following <= last:
            whole.append(day.isoformat()[:7])
        else:
            parts.append((day, min(following, last)))
        day = following
    return whole, parts


async def reminders_by_month(
    session: AsyncSession, communes: Sequence[str] | None, period: Period
) -> list[tuple[str, str, int]]:
    """(month, status, reminders) of the reminders recorded in the period.

    The days tallied (``tally_settled_reminders``, and the rows pruned before their day was)
    are read from ``reminder_months`` for the months wholly in the period, from
    ``reminder_tallies`` for the days of the others; the outbox only for the days after the
    mark, a few index ranges. One statement: the counts and the mark are read from one
    snapshot, so a day tallied meanwhile is never counted twice.
    """
    dialect = _dialect(session)
    month = month_of(session, Outbox.created_at, period).label("month")
    live = (
        select(month, Outbox.status.label("status"), func.count().label("n"))
        .where(
            _REMINDER,
            Outbox.created_at >= period.start,
            Outbox.created_at < period.end,
            Outbox.created_at >= _live_from(),
        )
        .group_by(month, Outbox.status)
    )
    first_day = (period.start + dt.timedelta(minutes=period.offset_minutes)).date()
    last_day = (period.end + dt.timedelta(minutes=period.offset_minutes)).date()
    whole, parts = _split_by_month(first_day, last_day)
    months = select(ReminderMonth.month, ReminderMonth.status, ReminderMonth.n).where(
        ReminderMonth.month.in_(whole) if whole else false(),
        ReminderMonth.commune_code == EVERYWHERE
        if communes is None
        else _in(ReminderMonth.commune_code, communes),
    )
    tally_month = func.substr(
        cast(ReminderTally.day, String), literal_column("1"), literal_column("7")
    ).label("month")
    days = (
        select(tally_month, ReminderTally.status, func.sum(ReminderTally.n))
        .where(
            or_(false(), *[and_(ReminderTally.day >= a, ReminderTally.day < b) for a, b in parts])
        )
        .group_by(tally_month, ReminderTally.status)
    )
    if communes is not None:
        points = _points_of(communes).scalar_subquery()
        live = live.where(reminder_point(dialect).in_(points))
        days = days.where(ReminderTally.point_id.in_(points))
    found: dict[tuple[str, str], int] = {}
    statement = union_all(months, days, live)
    for m, status, n in (await session.exec(statement)).all():  # type: ignore[call-overload]
        found[(str(m), str(status))] = found.get((str(m), str(status)), 0) + int(n)
    return [(m, status, n) for (m, status), n in sorted(found.items()) if n]


async def first_reminder_day(session: AsyncSession) -> dt.date | None:
    """The first local day whose reminders were counted as they were pruned, if any."""
    found = await session.exec(select(func.min(ReminderTally.day)))  # type: ignore[call-overload]
    return found.scalar_one_or_none()


# Reminders are counted by their local day; the bot serves Vietnam, +07:00 all year.
TALLY_OFFSET = dt.timedelta(hours=7)
# A day is settled this long after its local midnight, once none of its reminders is waiting:
# a row written as the day ended (another replica's clock, a long transaction) is in by then.
SETTLED_AFTER = dt.timedelta(hours=1)
MARK_ID = 1
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
UNSETTLED = ("pending", "sending")  # storage/outbox.py: every other status is final
TALLY_ROWS = 1000  # rows per INSERT of counts: 4 parameters each, under every driver's limit


def _local_day(moment: dt.datetime) -> dt.date:
    return (moment.astimezone(dt.UTC) + TALLY_OFFSET).date()


def _midnight(day: dt.date) -> dt.datetime:
    """The UTC moment the local day ``day`` begins."""
    return dt.datetime.combine(day, dt.time(), dt.UTC) - TALLY_OFFSET


async def hold_tally_mark(session: AsyncSession) -> dt.date | None:
    """Hold the tally mark until the transaction ends and say through which day it is: the
    tallying job and outbox pruning take it first, so two replicas, or a prune and the job,
    never count the same rows twice (on SQLite, the write takes the database's one lock)."""
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    await session.exec(
        insert(ReminderTallyMark).values(id=MARK_ID).on_conflict_do_nothing(index_elements=["id"])
    )
    found = await session.exec(
        select(ReminderTallyMark.through).where(ReminderTallyMark.id == MARK_ID).with_for_update()
    )  # type: ignore[call-overload]
    return found.scalar_one()


async def _add_tallies(session: AsyncSession, counts: dict[tuple[dt.date, str, str], int]) -> None:
    """Add ``counts`` by (day, point, status) to ``reminder_tallies``, and the same by month
    and the point's commune, and by month for the whole country, to ``reminder_months``."""
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    points = sorted({p for _d, p, _s in counts})
    commune: dict[str, str] = {}
    for i in range(0, len(points), TALLY_ROWS):
        found = await session.exec(
            select(TransactionPoint.id, TransactionPoint.commune_code).where(
                TransactionPoint.id.in_(points[i : i + TALLY_ROWS])
            )
        )  # type: ignore[call-overload]
        commune.update({str(p): str(c) for p, c in found.all()})
    months: dict[tuple[str, str, str], int] = {}
    for (day, point, status), n in counts.items():
        month = day.isoformat()[:7]
        # a point no longer listed counts for the whole country only
        for where in filter(None, (commune.get(point), EVERYWHERE)):
            months[(month, where, status)] = months.get((month, where, status), 0) + n
    for table, keys, rows in (
        (ReminderTally, ("day", "point_id", "status"), counts),
        (ReminderMonth, ("month", "commune_code", "status"), months),
    ):
        items = sorted(rows.items())
        for i in range(0, len(items), TALLY_ROWS):
            values = [
                {**dict(zip(keys, key, strict=True)), "n": n}
                for key, n in items[i : i + TALLY_ROWS]
            ]
            statement = insert(table).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={"n": table.n + statement.excluded.n}
            )
            await session.exec(statement)


async def tally_settled_reminders(session: AsyncSession, now: dt.datetime) -> int:
    """Count once, into ``reminder_tallies``, the reminders of every settled local day not yet
    tallied, and move the mark past them; how many days. A day is settled an hour after it
    ends if none of its reminders is still waiting or being sent (a retry keeps a row
    pending): the first day that is not stops the mark until it is. Run twice or on two
    replicas, the second finds nothing left to do."""
    through = await hold_tally_mark(session)
    last = _local_day(now - SETTLED_AFTER) - dt.timedelta(days=1)
    first = through + dt.timedelta(days=1) if through is not None else None
    if first is None:
        oldest = await session.exec(select(func.min(Outbox.created_at)).where(_REMINDER))  # type: ignore[call-overload]
        at = oldest.scalar_one_or_none()
        first = _local_day(at) if at is not None else last + dt.timedelta(days=1)
    waiting = await session.exec(
        select(func.min(Outbox.created_at)).where(
            _REMINDER, Outbox.status.in_(UNSETTLED), Outbox.created_at >= _midnight(first)
        )
    )  # type: ignore[call-overload]
    unsettled = waiting.scalar_one_or_none()
    if unsettled is not None:
        last = min(last, _local_day(unsettled) - dt.timedelta(days=1))
    if last < first and through is not None:
        return 0
    if last >= first:
        day = _reminder_day(_dialect(session)).label("day")
        point = reminder_point(_dialect(session)).label("point")
        rows = await session.exec(
            select(day, point, Outbox.status, func.count())
            .where(
                _REMINDER,
                Outbox.created_at >= _midnight(first),
                Outbox.created_at < _midnight(last + dt.timedelta(days=1)),
            )
            .group_by(day, point, Outbox.status)
        )  # type: ignore[call-overload]
        counts = {
            (dt.date.fromisoformat(str(d)), str(p), str(s)): int(n) for d, p, s, n in rows.all()
        }
        await _add_tallies(session, counts)
    await session.exec(
        update(ReminderTallyMark)
        .where(ReminderTallyMark.id == MARK_ID)
        .values(through=last, live_from=_midnight(last + dt.timedelta(days=1)))
    )
    return max(0, (last - first).days + 1)


async def keep_reminder_counts(
    session: AsyncSession, rows: Sequence[tuple[Any, ...]], through: dt.date | None
) -> int:
    """Add the reminders among ``rows`` (status, in_doubt, kind, dedup_key, created_at of
    outbox rows about to be deleted) to ``reminder_tallies``, but for those of the days
    through ``through`` (the mark the caller holds, ``hold_tally_mark``), counted there once
    already; how many were counted."""
    counts: dict[tuple[dt.date, str, str], int] = {}
    for status, _in_doubt, kind, key, created_at in rows:
        if kind not in REMINDER_KINDS or not key.startswith(REMINDER_KEY):
            continue
        day = _local_day(created_at)
        if through is not None and day <= through:
            continue
        point_id = key[len(REMINDER_KEY) :].split(":", 1)[0]
        counts[(day, point_id, status)] = counts.get((day, point_id, status), 0) + 1
    await _add_tallies(session, counts)
    return sum(counts.values())


# --- broadcasts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastTally:
    id: int
    started_at: dt.datetime
    area_code: str | None
    recipients: int
    counts: dict[str, int]  # outbox status -> rows, pruned ones included


async def broadcasts_started(
    session: AsyncSession, area_codes: Sequence[str] | None, period: Period, limit: int = 200
) -> list[BroadcastTally]:
    """The broadcasts started in the period to these areas (None: every area, the whole
    country's included), newest first, with their messages by status."""
    where = and_(
        Broadcast.started_at.is_not(None),  # type: ignore[union-attr]
        Broadcast.started_at >= period.start,
        Broadcast.started_at < period.end,
        true() if area_codes is None else _in(Broadcast.area_code, area_codes),
    )
    found = (
        await session.exec(
            select(
                Broadcast.id,
                Broadcast.started_at,
                Broadcast.area_code,
                Broadcast.recipients,
                Broadcast.pruned_counts,
            )
            .where(where)
            .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())  # type: ignore[union-attr]
            .limit(limit)
        )  # type: ignore[call-overload]
    ).all()
    if not found:
        return []
    ids = [row[0] for row in found]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    # A finished broadcast's counts were written to the audit log as it finished (handlers/
    # broadcasts/jobs.py): read there, a million rows are not counted again at every look.
    final = await session.exec(
        select(AuditEntry.subject, AuditEntry.detail).where(
            AuditEntry.subject.in_([f"broadcast:{i}" for i in ids]),
            AuditEntry.action == FINISHED,
        )
    )  # type: ignore[call-overload]
    finished: set[int] = set()
    for subject, detail in final.all():
        broadcast_id = int(subject.split(":", 1)[1])
        finished.add(broadcast_id)
        counts[broadcast_id] = {
            status: int(detail.get(status) or 0) for status in FINAL_STATUSES if detail
        }
    live = [i for i in ids if i not in finished]
    if live:
        statement = (
            select(Outbox.broadcast_id, Outbox.status, func.count())
            .where(Outbox.broadcast_id.in_(live))
            .group_by(Outbox.broadcast_id, Outbox.status)
        )
        for broadcast_id, status, n in (await session.exec(statement)).all():  # type: ignore[call-overload]
            counts[broadcast_id][status] = int(n)
    tallies = []
    for broadcast_id, started_at, area_code, recipients, pruned in found:
        tally = counts[broadcast_id]
        if broadcast_id not in finished:
            for status, n in (pruned or {}).items():
                if status != "in_doubt":
                    tally[status] = tally.get(status, 0) + int(n)
        tallies.append(BroadcastTally(broadcast_id, started_at, area_code, recipients, tally))
    return tallies


# --- kept questions ----------------------------------------------------------------------------


async def kept_questions_by_topic(
    session: AsyncSession, communes: Sequence[str] | None, period: Period
) -> list[tuple[str, int]]:
    """(topic the bot answered, or "none"; questions kept) in the period, most first. With
    ``communes``, only those of people who chose one of them (never the texts)."""
    n = func.count().label("n")
    statement = (
        select(KeptQuestion.topic, n)
        .where(KeptQuestion.created_at >= period.start, KeptQuestion.created_at < period.end)
        .group_by(KeptQuestion.topic)
        .order_by(n.desc(), KeptQuestion.topic)
    )
    if communes is not None:
        people = select(User.id).where(_in(User.commune_code, communes))
        statement = statement.where(KeptQuestion.user_id.in_(people.scalar_subquery()))
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [(str(topic), int(count)) for topic, count in rows]
