"""An official's transaction points: which points an area holds, which one a person may edit,
and the points of an area by commune with their coming days (no dialog here).

/lichxa (edit.py) and the staff's web console (issue 13) ask these same questions, so a point
outside one's area is unknown to both in the same way. The areas are
handlers.core.roles.areas_of's; a point is editable when roles.allowed says so for its commune.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from content.normalize import fold
from content.places import Commune, commune
from handlers.core import roles
from handlers.core.context import Context
from handlers.schedules.calendar import Occurrence, next_occurrences
from handlers.schedules.rules import MONTHS_AHEAD
from storage import schedules
from storage.models import ScheduleException, TransactionPoint

ROLE = "official"


async def points_in_areas(session: AsyncSession, areas: list[str | None]) -> list[TransactionPoint]:
    """The points of these areas, by commune code then point id."""
    if areas and all(a is not None and len(a) == 5 for a in areas):
        found: list[TransactionPoint] = []
        for area in sorted(a or "" for a in areas):
            found.extend(await schedules.points_of_commune(session, area))
        return found
    every = await schedules.all_points(session)
    return [p for p in every if any(roles.covers(a, p.commune_code) for a in areas)]


async def my_points(ctx: Context) -> list[TransactionPoint]:
    """The points of the official's area (admins: theirs)."""
    return await points_in_areas(ctx.session, await roles.areas_of(ctx, ROLE))


async def editable_point(ctx: Context, point_id: str | None) -> TransactionPoint | None:
    """The point, when the person may change it now (its commune is in their area); else None,
    exactly as for a point that does not exist."""
    point = await schedules.get_point(ctx.session, point_id) if point_id else None
    if point is None or not await roles.allowed(ctx, ROLE, point.commune_code):
        return None
    return point


def today_of(ctx: Context) -> dt.date:
    """The local date of the person's clock (the deployment's time zone)."""
    return ctx.now.astimezone(ctx.timezone).date()


@dataclass(frozen=True, slots=True)
class PointDays:
    """A point and its coming days (this month and the next ones that can be changed)."""

    point: TransactionPoint
    upcoming: list[Occurrence]

    @property
    def next_day(self) -> Occurrence | None:
        """The first coming day the point works (not cancelled)."""
        working = [o for o in self.upcoming if o.date is not None and not o.cancelled]
        return min(working, key=lambda o: o.date or dt.date.max, default=None)


@dataclass(frozen=True, slots=True)
class CommunePoints:
    """The points of one commune, in the order of their names."""

    code: str
    commune: Commune | None  # None: a code no longer in the list of communes
    points: list[PointDays]


async def points_by_commune(
    session: AsyncSession,
    points: list[TransactionPoint],
    today: dt.date,
    only_commune: str | None = None,
) -> list[CommunePoints]:
    """``points`` grouped by commune (by the commune's name), each with its coming days."""
    if only_commune is not None:
        points = [p for p in points if p.commune_code == only_commune]
    end = today + dt.timedelta(days=31 * MONTHS_AHEAD + 70)
    exceptions = await schedules.exceptions_between(
        session, [p.id for p in points], today - dt.timedelta(days=70), end
    )
    by_point: dict[str, list[ScheduleException]] = {}
    for exception in exceptions:
        by_point.setdefault(exception.point_id, []).append(exception)
    groups: dict[str, list[PointDays]] = {}
    for point in points:
        upcoming = next_occurrences(point, by_point.get(point.id, []), today, months=MONTHS_AHEAD)
        groups.setdefault(point.commune_code, []).append(PointDays(point, upcoming))
    found = [
        CommunePoints(code, commune(code), sorted(days, key=lambda d: fold(d.point.name)))
        for code, days in groups.items()
    ]
    return sorted(found, key=lambda g: (fold(g.commune.name) if g.commune else "~", g.code))
