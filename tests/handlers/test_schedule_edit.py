"""Point ids fit the buttons of /lichxa, and `schedule exception` (the command line) tells
subscribers and writes the audit log the same way /lichxa does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import build_parser
from bot.cli.schedule import schedule_exception
from handlers.core.types import MAX_ACTION_BYTES, Button
from handlers.schedules.csv import (
    HEADER,
    MAX_LENGTH,
    ScheduleFileError,
    parse_schedule_csv,
)
from storage import audit, schedules, subscriptions, users
from storage.db import session_factory, transaction
from storage.models import Outbox

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
ROW = "{id},21220,Điểm X,Thôn 1 xã Sơn Tịnh,10,07:30,11:00,PGD Sơn Tịnh,0255 0000 101"


def test_point_ids_are_at_most_48_characters():
    assert MAX_LENGTH["point_id"] == 48
    ok = parse_schedule_csv(f"{HEADER}\n{ROW.format(id='P' * 48)}\n")
    assert ok[0].point_id == "P" * 48
    with pytest.raises(ScheduleFileError) as refused:
        parse_schedule_csv(f"{HEADER}\n{ROW.format(id='P' * 49)}\n")
    assert refused.value.problems == ["line 2: point_id: is 49 characters long; at most 48"]


def test_the_longest_lichxa_actions_fit_telegram_with_the_longest_id():
    longest = "P" * MAX_LENGTH["point_id"]
    for action in (
        f"lxo:{longest}:20271231",
        f"lxm:{longest}:20271231",
        f"lxx:{longest}:20271231",
        f"lxr:{longest}:20271231",
        f"lxe:{longest}:hours",
        f"unsub:{longest}",
    ):
        assert len(action.encode()) <= MAX_ACTION_BYTES
        Button("x", action)  # refuses anything longer


async def test_cli_exception_notifies_the_reminded_and_is_audited(engine, capsys):
    sessions = session_factory(engine)
    now = dt.datetime(2027, 1, 9, 11, 0, tzinfo=dt.UTC)
    point_id = "SAMPLE-21220-TINHHA"
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
        user = await users.get_or_create_user(session, "telegram", "77", now)
        await subscriptions.subscribe(session, user.id, point_id, now)
        # the evening reminder of 10/01/2027 already went out
        session.add(
            Outbox(
                dedup_key=f"rem:{point_id}:2027-01-10:eve:{user.id}",
                channel="telegram",
                channel_user_id="77",
                kind="reminder_eve",
                payload={"text": "x"},
                status="sent",
                sent_at=now,
            )
        )
    args = build_parser().parse_args(
        ["schedule", "exception", point_id, "2027-01-10", "--cancelled", "--reason", "Mưa lũ"]
    )
    async with transaction(sessions) as session:
        await schedule_exception(session, args)
    out = capsys.readouterr().out
    assert "cancelled: Mưa lũ" in out and "notice queued for 1 subscriber already" in out
    async with transaction(sessions) as session:
        notices = [
            row
            for row in (await session.exec(select(Outbox))).all()
            if row.kind == "schedule_change"
        ]
        assert len(notices) == 1 and notices[0].channel_user_id == "77"
        entry = (await audit.entries(session, subject=point_id))[0]
        assert (entry.actor, entry.action) == ("cli", "schedule.cancel")
        assert entry.detail["regular"] == "2027-01-10" and entry.detail["notified"] == 1
