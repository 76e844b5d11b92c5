"""`vbsp-bot broadcast status [ID]`: the progress of officials' announcements."""

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


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    broadcast = sub.add_parser("broadcast", help="officials' announcements")
    broadcast_sub = broadcast.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = broadcast_sub.add_parser("status", help="progress of broadcasts")
    status.add_argument("id", metavar="ID", type=int, nargs="?")
    status.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    settings = common.settings(quiet=True)  # the output is the result
    asyncio.run(_status_on_database(settings, args.id))
    return 0


async def _status_on_database(settings: Settings, broadcast_id: int | None) -> None:
    async with common.database(settings) as session:
        await broadcast_status(session, broadcast_id, settings, dt.datetime.now(dt.UTC))


async def broadcast_status(
    session: AsyncSession, broadcast_id: int | None, settings: Settings, now: dt.datetime
) -> None:
    """What `vbsp-bot broadcast status [ID]` prints (tests call it too)."""
    from handlers.core.roles import area_name
    from storage import broadcasts, outbox

    def when(moment: dt.datetime | None) -> str:
        return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    if broadcast_id is None:
        found = await broadcasts.recent(session, 20)
        if not found:
            print("no broadcasts yet", file=sys.stderr)
        for b in found:
            counts = await outbox.broadcast_counts(session, b.id or 0)
            left = counts.get("pending", 0) + counts.get("sending", 0)
            print(
                f"#{b.id} {b.status:<17} {area_name(b.area_code, with_code=True)}"
                f"{' (subscribers)' if b.subscribers_only else ''}"
                f"{' urgent' if b.urgent else ''}; by {b.author}; recipients {b.recipients}: "
                f"sent {counts.get('sent', 0)}, blocked {counts.get('blocked', 0)}, "
                f"failed {counts.get('failed', 0)}, left {left}; started {when(b.started_at)}, "
                f"finished {when(b.finished_at)}"
            )
        return
    b = await broadcasts.get(session, broadcast_id)
    if b is None or b.id is None:
        raise ConfigError(f"broadcast status: no broadcast {broadcast_id}")
    counts = await outbox.broadcast_counts(session, b.id)
    handled = sum(counts.get(s, 0) for s in outbox.DELIVERY_ENDS)
    left = counts.get("pending", 0) + counts.get("sending", 0)
    print(f"broadcast #{b.id}: {b.status}")
    print(f"  by {b.author}; to {area_name(b.area_code)}"
          f"{', reminder subscribers only' if b.subscribers_only else ''}"
          f"{'; urgent' if b.urgent else ''}{'; with a photo' if b.photo else ''}")  # fmt: skip
    print(f"  created {when(b.created_at)}, confirmed {when(b.confirmed_at)}, "
          f"scheduled for {when(b.not_before)}")  # fmt: skip
    if b.approved_by:
        print(f"  approved by {b.approved_by} at {when(b.approved_at)}")
    if b.cancelled_by:
        print(f"  {b.status} by {b.cancelled_by}")
    print(f"  recipients {b.recipients}: sent {counts.get('sent', 0)}, "
          f"blocked {counts.get('blocked', 0)}, failed {counts.get('failed', 0)}, "
          f"cancelled {counts.get('cancelled', 0)}, left {left} "
          f"({100 * handled // max(b.recipients, 1)}% done)")  # fmt: skip
    if counts.get("unreachable"):
        print(f"  unreachable: {counts['unreachable']} (Zalo OA, no message for over 7 days, "
              f"and no ZNS phone or template)")  # fmt: skip
    if counts.get("in_doubt"):
        print(f"  in doubt after a crash: {counts['in_doubt']} (sent again; at most that many "
              f"may have arrived twice)")  # fmt: skip
    if b.started_at:
        end = b.finished_at or now
        seconds = max((end - b.started_at).total_seconds(), 1e-9)
        rate = handled / seconds
        print(f"  started {when(b.started_at)}, finished {when(b.finished_at)}; "
              f"{seconds:.0f} s, {rate:.1f} msg/s")  # fmt: skip
        if left and b.status == "sending":
            eta = left / settings.send_rate_per_second
            print(f"  about {eta / 60:.0f} min left at {settings.send_rate_per_second:g} msg/s")
