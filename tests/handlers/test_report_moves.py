"""The one service every moderator's move goes through (handlers/reports/moves.py), whatever
the channel, and a report's timeline (handlers/reports/timeline.py): the reporter's notice
for each move, the refusals, the spam pause, the texts accepted, and the story in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select

from handlers.reports import moves, timeline
from handlers.reports.actions import AnswerQuestion, ShowMyReport
from handlers.reports.transitions import Moderator, Move, Refusal
from storage import audit, report_limits, reports, users
from storage.db import session_factory, transaction
from storage.models import Outbox
from storage.report_models import Report

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
SON_TINH = "21220"
ME = Moderator.of("telegram:7001", ["51"])


async def _made(session, **extra: Any) -> Report:
    user = await users.get_or_create_user(session, "telegram", "9001", NOW)
    fields: dict[str, Any] = {
        "code": "",
        "handle": "",
        "reporter_id": user.id,
        "category": "usury",
        "commune_code": SON_TINH,
        "province_code": "51",
        "description": "Cho vay lãi 30% một tháng.",
        "contact_ok": True,
        "consent_at": NOW,
        "created_at": NOW,
        "touched_at": NOW,
    }
    fields.update(extra)
    return await reports.create(session, Report(**fields))


async def _notices(session) -> list[tuple[str, dict]]:
    rows = await session.exec(select(Outbox).order_by(col(Outbox.id)))
    return [(r.dedup_key, r.payload) for r in rows]


def test_the_texts_moderators_type_are_checked_once_for_every_channel():
    assert moves.clean_text(Move.RESOLVE, "  Đã   xử lý  xong ") == "Đã xử lý xong"
    short = moves.clean_text(Move.RESOLVE, " ok ")
    assert isinstance(short, moves.TextProblem) and not short.too_long
    assert short.low == moves.MIN_NOTE
    long = moves.clean_text(Move.ASK, "x" * (moves.MAX_QUESTION + 1))
    assert isinstance(long, moves.TextProblem) and long.too_long
    assert long.length == moves.MAX_QUESTION + 1
    assert isinstance(moves.clean_text(Move.ASK, "Khi?"), moves.TextProblem)  # under 5
    assert moves.clean_text(Move.TAKE, "") == ""


async def test_each_move_tells_the_reporter_as_chat_does(engine, content):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        report = await _made(s)
        later = NOW + dt.timedelta(hours=1)
        steps = [
            (Move.TAKE, None, None, "in_review"),
            (Move.ASK, "Anh gặp người đó ở đâu?", None, "waiting"),
            (Move.FORWARD, "Gửi công an xã", "police", "forwarded"),
            (Move.RESOLVE, "Đã xử lý xong", None, "resolved"),
        ]
        for move, text, choice, state in steps:
            done = await moves.perform(
                s, content, ME, report, move, later, text=text, choice=choice
            )
            assert isinstance(done, moves.Done), move
            assert report.status == state
        notices = await _notices(s)
        assert len(notices) == 4
        assert all(k.startswith(f"report:{report.id}:ev") for k, _ in notices)
        payloads = [p for _, p in notices]
        expected = {
            0: ("report.note.in_review", {}),
            1: ("report.note.question", {"question": "Anh gặp người đó ở đâu?"}),
            2: ("report.note.forwarded", {"target": content.text("report.target.police", "vi")}),
            3: ("report.note.resolved", {}),
        }
        for i, (key, values) in expected.items():
            assert payloads[i]["text"] == content.text(key, "vi", code=report.code, **values)
        view = ShowMyReport(report_id=report.id or 0).pack()
        answer = AnswerQuestion(report_id=report.id or 0).pack()
        assert [[b["action"] for b in row] for row in payloads[1]["buttons"]] == [[answer]]
        see = [[{"label": content.text("report.button.view", "vi"), "action": view}]]
        assert all(p["buttons"] == see for i, p in enumerate(payloads) if i != 1)
        entries = await audit.entries(s, f"report:{report.id}")
        assert [e.action for e in reversed(entries)] == [
            "report.take", "report.ask", "report.forward", "report.resolve",
        ]  # fmt: skip
        # Closed: every move is refused now, and nothing more is written.
        refused = await moves.perform(s, content, ME, report, Move.TAKE, later)
        assert refused is Refusal.WRONG_STATE
        assert len(await _notices(s)) == 4


async def test_refusals_come_back_and_write_nothing(engine, content):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        report = await _made(s)
        elsewhere = Moderator.of("telegram:7002", ["01"])
        assert await moves.perform(s, content, elsewhere, report, Move.TAKE, NOW) is (
            Refusal.NOT_YOURS
        )
        assert await moves.perform(s, content, ME, report, Move.RESOLVE, NOW, text="xong") is (
            Refusal.WRONG_STATE
        )
        assert await moves.perform(s, content, ME, report, Move.REJECT, NOW) is (Refusal.BAD_CHOICE)
        assert await moves.perform(s, content, ME, report, Move.WITHDRAW, NOW) is (
            Refusal.NOT_YOURS
        )  # the reporter's move, never a moderator's
        assert report.status == reports.NEW
        assert await audit.entries(s, f"report:{report.id}") == []
        quiet = await _made(s, contact_ok=False)
        await moves.perform(s, content, ME, quiet, Move.TAKE, NOW)
        assert await moves.perform(s, content, ME, quiet, Move.ASK, NOW, text="Ở đâu vậy?") is (
            Refusal.NO_REPORTER
        )


async def test_a_spam_rejection_pauses_the_reporter_for_a_week(engine, content):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        report = await _made(s)
        done = await moves.perform(s, content, ME, report, Move.REJECT, NOW, choice="spam")
        assert isinstance(done, moves.Done) and report.reason == "spam"
        reporter = await reports.reporter_of(s, report)
        key = await report_limits.limit_key(s, None)
        hashes = await report_limits.person_hashes(s, key, reporter)
        assert await report_limits.last_spam(s, hashes, NOW - dt.timedelta(days=1)) == NOW
        [(dedup, payload)] = await _notices(s)
        assert payload["text"] == content.text(
            "report.note.rejected",
            "vi",
            code=report.code,
            reason=content.text("report.reason.spam", "vi"),
        )
        assert dedup == f"report:{report.id}:ev{done.event.id}:reporter"


async def test_the_timeline_tells_the_story_in_order(engine, content):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "9001", NOW)
        file_id = await reports.add_draft_file(
            s, user.id or 0, "photo", "image/jpeg", "a.jpg", b"\xff\xd8", NOW
        )
        report = await _made(s)
        await reports.attach_files(s, report.id or 0, user.id or 0, [file_id])
        await audit.record(
            s, "reporter", "report.create", f"report:{report.id}", {"to": "new"}, NOW
        )
        t = [NOW + dt.timedelta(minutes=i) for i in range(1, 5)]
        await moves.perform(s, content, ME, report, Move.TAKE, t[0])
        await moves.perform(s, content, ME, report, Move.ASK, t[1], text="Ở thôn nào ạ?")
        await reports.add_event(s, report.id or 0, "answer", t[2], detail="Thôn 3")
        await moves.perform(s, content, ME, report, Move.REJECT, t[3], choice="duplicate")
        story = await timeline.of_report(s, report)
    kinds = [(e.kind, e.state) for e in story]
    assert kinds == [
        (timeline.Kind.CREATED, "new"),
        (timeline.Kind.FILE, None),
        (timeline.Kind.STATE, "in_review"),
        (timeline.Kind.QUESTION, None),
        (timeline.Kind.STATE, "waiting"),
        (timeline.Kind.ANSWER, None),
        (timeline.Kind.STATE, "rejected"),
    ]
    assert story[3].text == "Ở thôn nào ạ?" and story[4].note is None  # the question once
    assert story[3].actor == ME.actor and not story[3].by_reporter
    assert story[5].text == "Thôn 3" and story[5].by_reporter and story[5].actor is None
    assert story[6].choice == "duplicate" and story[6].actor == ME.actor
    assert story[1].file is not None and story[1].file.file_name == "a.jpg"
    assert story[0].by_reporter and story[0].actor is None
