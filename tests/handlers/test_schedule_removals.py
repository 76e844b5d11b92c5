"""A point removed by a schedule file: each subscriber told once, in their language, with the
commune's other points to subscribe to (handlers/schedules/removals.py), on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from handlers.core.actions import ShowMenu
from handlers.core.dispatch import handle
from handlers.core.types import Incoming, Reply
from handlers.schedules import imports
from handlers.schedules.actions import Subscribe
from handlers.schedules.csv import HEADER, export_schedule_csv, read_schedule_lines
from storage import audit, schedules, subscriptions, users
from storage.db import transaction
from storage.models import Outbox, Subscription

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
TINH_HA = "SAMPLE-21220-TINHHA"  # day 10, in 21220 (Xã Sơn Tịnh)
TINH_GIANG = "SAMPLE-21220-TINHGIANG"  # day 31: the one the file leaves out
TINH_SON = "SAMPLE-21220-TINHSON"  # day 11
NOW = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def lines(text: str) -> list[tuple[int, imports.PointRow]]:
    return read_schedule_lines(io.BytesIO(text.encode()))


@pytest.fixture
async def sessions(deps):
    async with transaction(deps.sessions) as session:
        rows = [row for _, row in lines(SAMPLE.read_text(encoding="utf-8"))]
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    return deps.sessions


async def _subscriber(session, user_id: str, lang: str, point: str, blocked: bool = False):
    user = await users.get_or_create_user(session, "test", user_id, NOW)
    user.language, user.consent_at, user.blocked = lang, NOW, blocked
    session.add(user)
    await session.flush()
    await subscriptions.subscribe(session, user.id or 0, point, NOW)
    return user


async def _plan_without_tinh_giang(session) -> imports.ImportPlan:
    export = export_schedule_csv(await schedules.points_of_commune(session, "21220"))
    kept = [line for line in export.splitlines()[1:] if not line.startswith(TINH_GIANG)]
    plan = await imports.plan_import(
        session, lines("\n".join([HEADER, *kept]) + "\n"), ["51"], remove_missing=True
    )
    assert [(r.row.point_id, r.subscribers) for r in plan.removed] == [(TINH_GIANG, 3)]
    return plan


async def test_each_subscriber_of_a_removed_point_is_told_once_in_their_language(sessions, content):
    async with transaction(sessions) as session:
        await _subscriber(session, "501", "vi", TINH_GIANG)
        await _subscriber(session, "502", "en", TINH_GIANG)
        await _subscriber(session, "503", "vi", TINH_GIANG, blocked=True)  # blocked the bot
        await _subscriber(session, "504", "en", TINH_HA)  # of a point that stays
        plan = await _plan_without_tinh_giang(session)
        told = await imports.apply_import(
            session, plan, actor="t", now=NOW, source="f.csv", content=content, tz=TZ
        )
        assert told == 2
    async with transaction(sessions) as session:
        rows = list(await session.exec(select(Outbox).order_by(Outbox.channel_user_id)))
        assert [(r.channel_user_id, r.kind) for r in rows] == [
            ("501", "point_removed"),
            ("502", "point_removed"),
        ]
        assert all(r.dedup_key.startswith(f"gone:{TINH_GIANG}:") for r in rows)
        told_vi, told_en = (Reply.from_payload(r.payload) for r in rows)
        assert 'Điểm giao dịch "Điểm giao dịch Tịnh Giang (dữ liệu mẫu)" không còn' in told_vi.text
        assert "Các điểm khác của Xã Sơn Tịnh" in told_vi.text
        # the other points with their next day, the soonest first
        assert told_vi.text.index("Tịnh Hà (dữ liệu mẫu): ngày giao dịch tới 10/12/2026") < (
            told_vi.text.index("Tịnh Sơn (dữ liệu mẫu): ngày giao dịch tới 11/12/2026")
        )
        assert "is no longer on the list" in told_en.text
        assert "next transaction day 10 Dec 2026" in told_en.text
        for told, subscribe in ((told_vi, "Nhắc lịch"), (told_en, "Remind me")):
            actions = [[b.action for b in row] for row in told.buttons]
            assert actions == [
                [Subscribe(point=TINH_HA).pack()],
                [Subscribe(point=TINH_SON).pack()],
                [ShowMenu().pack()],
            ]
            assert told.buttons[0][0].label.startswith(f"🔔 {subscribe}: Điểm giao dịch Tịnh Hà")
        # for a Zalo OA follower out of the 7-day window: ZNS's "notice" template
        zns_entry = rows[0].payload["zns"]
        assert zns_entry["kind"] == "notice"
        assert "Tịnh Giang" in zns_entry["fields"]["summary"]
        assert "không còn trong danh sách" in zns_entry["fields"]["summary"]
        assert zns_entry["fields"]["area"] and zns_entry["fields"]["area"] != "-"
        # the point and its subscriptions are gone; the subscription elsewhere stays
        assert await schedules.get_point(session, TINH_GIANG) is None
        left = list(await session.exec(select(Subscription)))
        assert [s.point_id for s in left] == [TINH_HA]
        [entry] = [e for e in await audit.entries(session) if e.action == "schedule.import"]
        assert entry.detail["removed"] == 1 and entry.detail["notified"] == 2
        # the same plan applied again: the point is gone, nobody is told again
        again = await imports.apply_import(
            session, plan, actor="t", now=NOW, source="f.csv", content=content, tz=TZ
        )
        assert again == 0
        assert len(list(await session.exec(select(Outbox)))) == 2


async def test_the_notice_is_queued_once_under_its_key(sessions, content):
    """Planning the notice twice (a retry in the same transaction) queues nothing twice."""
    from handlers.schedules.removals import notify_removal

    async with transaction(sessions) as session:
        await _subscriber(session, "601", "vi", TINH_GIANG)
        point = await schedules.get_point(session, TINH_GIANG)
        assert point is not None
        today = NOW.astimezone(TZ).date()
        first = await notify_removal(session, content, point, {TINH_GIANG}, today, NOW)
        second = await notify_removal(session, content, point, {TINH_GIANG}, today, NOW)
        assert (first, second) == (1, 0)


async def test_removing_points_without_content_to_tell_people_is_refused(sessions):
    async with transaction(sessions) as session:
        plan = await _plan_without_tinh_giang_of_nobody(session)
        with pytest.raises(ValueError, match="tell people"):
            await imports.apply_import(session, plan, actor="t", now=NOW, source="x")


async def _plan_without_tinh_giang_of_nobody(session) -> imports.ImportPlan:
    export = export_schedule_csv(await schedules.points_of_commune(session, "21220"))
    kept = [line for line in export.splitlines()[1:] if not line.startswith(TINH_GIANG)]
    return await imports.plan_import(
        session, lines("\n".join([HEADER, *kept]) + "\n"), ["51"], remove_missing=True
    )


async def test_pressing_the_offered_button_subscribes_to_the_other_point(sessions, deps, content):
    async with transaction(sessions) as session:
        await _subscriber(session, "701", "vi", TINH_GIANG)
        plan = await _plan_without_tinh_giang_of_nobody(session)
        await imports.apply_import(
            session, plan, actor="t", now=NOW, source="f.csv", content=content, tz=TZ
        )
    async with transaction(sessions) as session:
        [row] = list(await session.exec(select(Outbox)))
        notice = Reply.from_payload(row.payload)
    pressed = notice.buttons[1][0]  # Tịnh Sơn
    assert pressed.action == Subscribe(point=TINH_SON).pack()
    replies = await handle(Incoming("test", "701", action=pressed.action), deps) or []
    assert replies and "Tịnh Sơn" in replies[0].text
    async with transaction(sessions) as session:
        user = await users.find_user(session, "test", "701")
        assert user is not None
        assert await subscriptions.subscribed_points(session, user.id or 0) == {TINH_SON}
