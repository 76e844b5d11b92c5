"""A schedule file's import as a plan: what it would add, change and remove, seen before it
is applied, then applied exactly as seen (no dialog here).

The staff's web console (issue 13) shows the plan and applies it; `vbsp-bot schedule import`
applies the plan of a file at once. A file read by handlers/schedules/csv.py is all or
nothing, and so is its plan: a row about a commune, or a point, outside the importer's area
is a problem of the file (``AreaProblem``), and a plan with any problem cannot be applied.

What a file removes, when asked to (the console does): the points of the communes it lists
that it does not list itself. A file about one commune says nothing about the others, so an
official of a province can load one commune's file without touching the rest. The
subscribers of a point removed are told, with the commune's other points (removals.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.core import roles
from handlers.schedules.csv import PointRow
from handlers.schedules.removals import notify_removal
from storage import audit, schedules, subscriptions

AUDITED_IDS = 100  # point ids named in the audit entry, per kind of change
# The columns of a point an import compares, in the file's order (storage's list).
COMPARED = schedules.POINT_FIELDS


class AreaProblem(enum.StrEnum):
    COMMUNE = "commune"  # the row's commune is outside the importer's area
    POINT = "point"  # the point id is a point of a commune outside the area


@dataclass(frozen=True, slots=True)
class OutOfArea:
    line: int
    problem: AreaProblem
    value: str  # the commune code, or the point id


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Change:
    line: int
    row: PointRow
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class Removal:
    row: PointRow
    subscribers: int  # they lose their reminders of it


@dataclass(slots=True)
class ImportPlan:
    """What a file does to the stored points: ``added`` (line, row), ``changed``, ``removed``,
    how many rows change nothing, and the rows out of the importer's area (``problems``)."""

    added: list[tuple[int, PointRow]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    unchanged: int = 0
    problems: list[OutOfArea] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to write."""
        return not (self.added or self.changed or self.removed)

    def digest(self) -> str:
        """A fingerprint of exactly what applying the plan writes: the same file against the
        same stored points gives the same digest; anything else a different one."""
        described = {
            "add": [_values(row) for _, row in self.added],
            "change": [_values(c.row) for c in self.changed],
            "remove": [r.row.point_id for r in self.removed],
            "problems": [[p.line, p.problem, p.value] for p in self.problems],
        }
        text = json.dumps(described, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _text(value: object) -> str:
    return f"{value:%H:%M}" if isinstance(value, dt.time) else str(value)


def _values(row: PointRow) -> list[str]:
    return [row.point_id, *(_text(getattr(row, name)) for name in COMPARED)]


def file_digest(data: bytes) -> str:
    """The SHA-256 of an uploaded file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


async def plan_import(
    session: AsyncSession,
    rows: list[tuple[int, PointRow]],
    areas: list[str | None],
    *,
    remove_missing: bool,
) -> ImportPlan:
    """What importing ``rows`` (with their lines) would do for someone acting in ``areas``
    (handlers.core.roles.areas_of; [None] is the whole country)."""
    plan = ImportPlan()

    def mine(code: str) -> bool:
        return any(roles.covers(area, code) for area in areas)

    stored = {p.id: p for p in await schedules.all_points(session)}
    for line, row in rows:
        before = stored.get(row.point_id)
        if not mine(row.commune_code):
            plan.problems.append(OutOfArea(line, AreaProblem.COMMUNE, row.commune_code))
        elif before is not None and not mine(before.commune_code):
            plan.problems.append(OutOfArea(line, AreaProblem.POINT, row.point_id))
        elif before is None:
            plan.added.append((line, row))
        else:
            old = PointRow.from_point(before)
            changed = tuple(
                FieldChange(name, _text(getattr(old, name)), _text(getattr(row, name)))
                for name in COMPARED
                if getattr(old, name) != getattr(row, name)
            )
            if changed:
                plan.changed.append(Change(line, row, changed))
            else:
                plan.unchanged += 1
    if remove_missing:
        listed = {row.point_id for _, row in rows}
        communes = {row.commune_code for _, row in rows if mine(row.commune_code)}
        for point in stored.values():
            if point.commune_code in communes and point.id not in listed:
                count = await subscriptions.subscriber_count(session, point.id)
                plan.removed.append(Removal(PointRow.from_point(point), count))
    return plan


async def apply_import(
    session: AsyncSession,
    plan: ImportPlan,
    *,
    actor: str,
    now: dt.datetime,
    source: str,
    content: Content | None = None,
    tz: ZoneInfo | None = None,
) -> int:
    """Write the plan (the caller has checked it has no problems) and audit it, in the
    session's transaction: all of it, or nothing when the transaction fails. The subscribers
    of each point removed are told (needs ``content``, and ``tz`` for their next days);
    returns how many notices were queued."""
    if plan.problems:
        raise ValueError("apply_import: the plan has rows outside the area")
    if plan.removed and (content is None or tz is None):
        raise ValueError("apply_import: removing points needs content and tz to tell people")
    rows = [row for _, row in plan.added] + [change.row for change in plan.changed]
    await schedules.upsert_points(session, [row.to_point() for row in rows], now)
    told = 0
    going = {removal.row.point_id for removal in plan.removed}
    for removal in plan.removed:
        point = await schedules.get_point(session, removal.row.point_id)
        if point is None:  # gone already: the plan was applied before
            continue
        if content is not None and tz is not None:  # both are there: checked above
            today = now.astimezone(tz).date()
            # Before the delete: its subscriptions are who is told, and they go with it.
            told += await notify_removal(session, content, point, going, today, now)
        await schedules.delete_point(session, removal.row.point_id)
    if plan.empty:
        return told
    ids = {
        "added": [row.point_id for _, row in plan.added],
        "changed": [change.row.point_id for change in plan.changed],
        "removed": [removal.row.point_id for removal in plan.removed],
    }
    detail: dict[str, object] = {"unchanged": plan.unchanged}
    for key, found in ids.items():  # a national file's ids would swamp the log: counts, and
        detail[key] = len(found)  # the first ids
        detail[f"{key}_ids"] = found[:AUDITED_IDS]
    detail["notified"] = told  # subscribers of removed points told (the day changes' word)
    await audit.record(session, actor, "schedule.import", source[:200], detail, now)
    return told
