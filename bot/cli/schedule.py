"""`vbsp-bot schedule import|export|next|exception`: commune transaction-day schedules."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from typing import TYPE_CHECKING

from bot.cli import common
from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from content.places import Commune
    from handlers.schedules.csv import PointRow

    Rows = list[tuple[int, PointRow]]

# As many candidates as /lich offers buttons for.
MAX_CANDIDATES = 8


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = sub.add_parser("schedule", help="commune transaction-day schedules")
    schedule_sub = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")
    schedule_import = schedule_sub.add_parser("import", help="add or update points from a CSV")
    schedule_import.add_argument("file", metavar="FILE.csv")
    schedule_sub.add_parser("export", help="every point as CSV on standard output")
    schedule_next = schedule_sub.add_parser("next", help="a commune's days, this month and next")
    schedule_next.add_argument(
        "commune",
        metavar="COMMUNE",
        help="commune code (21220) or name, as in /lich ('son tinh', 'Xã Tân Phú, Đồng Nai')",
    )
    schedule_next.add_argument("--today", metavar="DATE", help="count from DATE, not today")
    schedule_exception = schedule_sub.add_parser(
        "exception", help="move or cancel one regular transaction day"
    )
    schedule_exception.add_argument("point_id", metavar="POINT_ID")
    schedule_exception.add_argument("date", metavar="DATE", help="the regular day, YYYY-MM-DD")
    change = schedule_exception.add_mutually_exclusive_group(required=True)
    change.add_argument("--moved-to", metavar="DATE", help="the day it moves to")
    change.add_argument("--cancelled", action="store_true", help="no transaction that month")
    schedule_exception.add_argument("--reason", required=True, help="shown to borrowers")
    schedule.set_defaults(func=run_schedule)


def run_schedule(args: argparse.Namespace) -> int:
    from handlers.schedules.csv import ScheduleFileError, ScheduleFileTooLarge

    settings = common.settings(quiet=True)  # the output is the result
    rows: Rows = []
    if args.action == "import":
        try:
            rows = _read_schedule(args.file)
        except OSError as exc:
            raise ConfigError(f"schedule import: cannot read {args.file}: {exc.strerror}") from None
        except ScheduleFileTooLarge as exc:
            raise ConfigError(f"schedule import: {args.file}: {exc.problems[0]}") from None
        except ScheduleFileError as exc:
            for problem in exc.problems:
                print(f"{args.file}: {problem}", file=sys.stderr)
            count = len(exc.problems)
            print(
                f"vbsp-bot: {args.file}: {count} problem{'s' if count > 1 else ''}; "
                "nothing was imported",
                file=sys.stderr,
            )
            return 2
    if args.action == "next" and _is_code(args.commune):
        _commune_by_code(args.commune)  # an unknown code stops here, before the database opens
    today = (
        common.parse_date(args.today, "--today")
        if getattr(args, "today", None)
        else dt.datetime.now(settings.timezone).date()
    )
    asyncio.run(_on_database(settings, args, rows, today))
    return 0


def _read_schedule(file: str) -> Rows:
    """The file's rows, streamed; a regular file too large is refused before any reading."""
    import os
    import stat

    from handlers.schedules.csv import MAX_FILE_BYTES, read_schedule_lines, too_large

    with open(file, "rb") as stream:
        info = os.fstat(stream.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
            raise too_large(info.st_size)
        return read_schedule_lines(stream)


async def _on_database(
    settings: Settings, args: argparse.Namespace, rows: Rows, today: dt.date
) -> None:
    async with common.database(settings) as session:
        if args.action == "import":
            await _import(session, args.file, rows)
        elif args.action == "export":
            await _export(session)
        elif args.action == "next":
            await _next(session, await resolve_commune(session, args.commune), today)
        elif args.action == "exception":
            await schedule_exception(session, args)


async def _import(session: AsyncSession, file: str, rows: Rows) -> None:
    """Add and update the file's points (none is removed), as the console applies a plan."""
    from handlers.schedules.imports import apply_import, plan_import
    from storage import audit

    plan = await plan_import(session, rows, [None], remove_missing=False)
    now = dt.datetime.now(dt.UTC)
    await apply_import(session, plan, actor=audit.CLI, now=now, source=file)
    print(
        f"imported {file}: {len(plan.added)} added, {len(plan.changed)} changed, "
        f"{plan.unchanged} unchanged"
    )


async def _export(session: AsyncSession) -> None:
    from handlers.schedules.csv import export_schedule_csv
    from storage import schedules

    sys.stdout.write(export_schedule_csv(await schedules.all_points(session)))


def _is_code(text: str) -> bool:
    return text.strip().isascii() and text.strip().isdigit()


def _commune_by_code(code: str) -> Commune:
    from content.places import commune

    found = commune(code)
    if found is None:
        raise ConfigError(f"schedule next: unknown commune code {code!r}")
    return found


async def resolve_commune(session: AsyncSession, query: str) -> Commune:
    """The commune a code or a name stands for, found as /lich finds it: by the commune's name
    (diacritics and "xã/phường" optional, a province to tell homonyms apart) or a transaction
    point's name. As in /lich, a name is taken only when it is the one candidate and names it
    whole; otherwise the candidates are listed with their codes and the command stops."""
    from content.places import find_communes, names_exactly
    from handlers.schedules.communes import communes_by_point_name

    if _is_code(query):
        return _commune_by_code(query)
    text = " ".join(query.split())[:100]
    # A point's name holding the words typed comes first, as in /lich.
    candidates: dict[str, tuple[Commune, str]] = {}
    for point, found in await communes_by_point_name(session, text) if text else []:
        candidates.setdefault(found.code, (found, f" (point {point.name})"))
    for found in find_communes(text, limit=MAX_CANDIDATES) if text else []:
        candidates.setdefault(found.code, (found, ""))
    listed = list(candidates.values())[:MAX_CANDIDATES]
    if len(listed) == 1 and names_exactly(text, listed[0][0]):
        return listed[0][0]
    if not listed:
        raise ConfigError(f"schedule next: no commune or transaction point is named {text!r}")
    for found, via in listed:
        print(f"  {found.code}  {found.name}, {found.province_name}{via}", file=sys.stderr)
    if sum(names_exactly(text, found) for found, _ in listed) > 1:
        problem = f"{text!r} names several communes"
    else:
        problem = f"no commune is named exactly {text!r}"
    raise ConfigError(f"schedule next: {problem}; give the code of one listed above")


async def _next(session: AsyncSession, found: Commune, today: dt.date) -> None:
    from handlers.schedules.calendar import add_months, month_end, next_occurrences
    from storage import schedules

    title = f"{found.name} ({found.code}), {found.province_name}"
    points = await schedules.points_of_commune(session, found.code)
    if not points:
        print(f"{title}: no transaction points recorded")
        return
    end = month_end(dt.date(*add_months(today.year, today.month, 1), 1))
    exceptions = await schedules.exceptions_between(session, [p.id for p in points], today, end)
    print(f"{title}: transaction days from {today} to {end}")
    for point in points:
        hours = f"{point.start_time:%H:%M}-{point.end_time:%H:%M}"
        print(f"\n{point.id}: {point.name}")
        print(f"  place: {point.address}")
        print(f"  office: {point.office}, phone {point.phone}")
        shorter = " (the last day in shorter months)" if point.day_of_month > 28 else ""
        print(f"  regular day: {point.day_of_month} of each month{shorter}")
        found_days = next_occurrences(point, exceptions, today)
        for occurrence in found_days:
            regular = f"{occurrence.regular_date} {occurrence.regular_date:%a}"
            if occurrence.date is None:
                print(f"  {regular} cancelled: {occurrence.reason}")
            elif occurrence.moved:
                print(
                    f"  {occurrence.date} {occurrence.date:%a} {hours}"
                    f" (moved from {regular}: {occurrence.reason})"
                )
            else:
                print(f"  {regular} {hours}")
        if not found_days:
            print(f"  no transaction day until {end}")


async def schedule_exception(session: AsyncSession, args: argparse.Namespace) -> None:
    """Move or cancel one regular day, as /lichxa does (tests call it too)."""
    from handlers.core.spreadsheet import is_formula
    from handlers.schedules.calendar import regular_date
    from storage import schedules

    what = "schedule exception"
    day = common.parse_date(args.date, "DATE")
    moved_to = common.parse_date(args.moved_to, "--moved-to") if args.moved_to else None
    reason = " ".join(args.reason.split())
    if not reason:
        raise ConfigError(f"{what}: --reason is empty")
    if len(reason) > 500:
        raise ConfigError(f"{what}: --reason is {len(reason)} characters long; at most 500")
    if is_formula(reason):
        raise ConfigError(
            f"{what}: --reason begins with {reason[0]!r}, which a spreadsheet runs as a formula"
        )
    point = await schedules.get_point(session, args.point_id)
    if point is None:
        raise ConfigError(f"{what}: unknown point id {args.point_id!r}")
    regular = regular_date(point.day_of_month, day.year, day.month)
    if regular != day:
        raise ConfigError(
            f"{what}: {day} is not a transaction day of {point.id} (day {point.day_of_month} of "
            f"each month); in {day:%Y-%m} it is {regular}"
        )
    if moved_to == day:
        raise ConfigError(f"{what}: --moved-to is the regular day itself ({day})")
    before = await schedules.exceptions_between(session, [point.id], day, day)
    replaced = any(e.regular_date == day for e in before)
    now = dt.datetime.now(dt.UTC)
    # As in /lichxa (one function writes it): subscribers already reminded of the day hear of
    # the change, and the change is written to the audit log.
    from content.loader import load_content
    from handlers.schedules.changes import record_day_change
    from storage import audit

    notified = await record_day_change(
        session, load_content(), point, day, moved_to, reason, now=now, actor=audit.CLI,
        detail={"moved_to": None, "replaced": replaced},
    )  # fmt: skip
    change = f"moved to {moved_to} {moved_to:%a}" if moved_to else "cancelled"
    note = " (replaces the earlier exception)" if replaced else ""
    print(f"recorded: {point.id} ({point.name}) {day} {day:%a} {change}: {reason}{note}")
    if notified:
        who = "subscriber" if notified == 1 else "subscribers"
        print(f"notice queued for {notified} {who} already reminded of {day}")
