"""The transition table of a report, every state by every move: what is allowed, the state
after it, who may make it (a moderator of the report's areas, or its reporter), and the one
writer, which checks the table again and leaves the report as it was when refused."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from handlers.reports import transitions
from handlers.reports.common import FORWARD_TARGETS, REJECT_REASONS
from handlers.reports.transitions import Moderator, Move, NotAllowed, Refusal, Reporter
from storage import audit, reports, users
from storage.db import session_factory, transaction
from storage.report_models import Report
from storage.reports import (
    FORWARDED,
    IN_REVIEW,
    NEW,
    REJECTED,
    RESOLVED,
    STATES,
    WAITING,
    WITHDRAWN,
)

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
SON_TINH = "21220"  # Quảng Ngãi (51)

# Written out from what the moderation and report dialogs allowed before the table existed:
# (state, move) -> the state after it; any pair missing is refused.
EXPECTED: dict[tuple[str, Move], str] = {
    (NEW, Move.TAKE): IN_REVIEW,
    (NEW, Move.REJECT): REJECTED,
    (NEW, Move.WITHDRAW): WITHDRAWN,
    **{(s, Move.ASK): WAITING for s in (IN_REVIEW, WAITING, FORWARDED)},
    **{(s, Move.FORWARD): FORWARDED for s in (IN_REVIEW, WAITING)},
    **{(s, Move.RESOLVE): RESOLVED for s in (IN_REVIEW, WAITING, FORWARDED)},
    **{(s, Move.REJECT): REJECTED for s in (IN_REVIEW, WAITING, FORWARDED)},
    **{(s, Move.WITHDRAW): WITHDRAWN for s in (IN_REVIEW, WAITING, FORWARDED)},
    (WAITING, Move.ANSWER): IN_REVIEW,
    (WAITING, Move.ANSWER_REQUEUE): NEW,
}
MODERATOR_MOVES = {Move.TAKE, Move.ASK, Move.FORWARD, Move.RESOLVE, Move.REJECT}
REPORTER_MOVES = {Move.WITHDRAW, Move.ANSWER, Move.ANSWER_REQUEUE}
PAIRS = list(itertools.product(STATES, Move))

ANYWHERE = Moderator("test:7001", (None,))
REPORTER_ID = 1001


def _report(status: str, **extra: Any) -> Report:
    fields: dict[str, Any] = {
        "id": 1,
        "code": "ABCDEFGH",
        "handle": "HJKMN",
        "reporter_id": REPORTER_ID,
        "category": "usury",
        "commune_code": SON_TINH,
        "province_code": "51",
        "description": "Cho vay lãi 30% một tháng, đòi nợ bằng tin nhắn đe dọa.",
        "contact_ok": True,
        "status": status,
        "consent_at": NOW,
        "created_at": NOW,
        "touched_at": NOW,
    }
    fields.update(extra)
    return Report(**fields)


def test_every_move_has_a_rule_and_every_state_a_row():
    assert set(transitions.RULES) == set(Move)
    assert set(transitions.TABLE) == set(STATES)
    assert {m for m, r in transitions.RULES.items() if r.by is transitions.Party.MODERATOR} == (
        MODERATOR_MOVES
    )
    assert transitions.RULES[Move.FORWARD].choices == FORWARD_TARGETS
    assert transitions.RULES[Move.REJECT].choices == REJECT_REASONS


def test_a_closed_report_allows_nothing():
    for state in reports.CLOSED:
        assert transitions.TABLE[state] == {}
        assert transitions.moves(ANYWHERE, _report(state)) == ()
        assert transitions.moves(Reporter(REPORTER_ID), _report(state)) == ()


@pytest.mark.parametrize(("state", "move"), PAIRS)
def test_the_table_state_by_move(state: str, move: Move):
    assert transitions.next_state(state, move) == EXPECTED.get((state, move))


@pytest.mark.parametrize(("state", "move"), PAIRS)
def test_who_may_make_each_move_in_each_state(state: str, move: Move):
    report = _report(state)
    allowed = (state, move) in EXPECTED
    mine, theirs = (
        (ANYWHERE, Reporter(REPORTER_ID))
        if move in MODERATOR_MOVES
        else (Reporter(REPORTER_ID), ANYWHERE)
    )
    assert transitions.refusal(mine, report, move) == (None if allowed else Refusal.WRONG_STATE)
    assert transitions.refusal(theirs, report, move) is Refusal.NOT_YOURS
    assert (move in transitions.moves(mine, report)) is allowed
    assert move not in transitions.moves(theirs, report)


def test_a_moderator_acts_on_the_reports_of_their_areas_only():
    plain, kept = _report(NEW), _report(NEW, escalated=True)  # kept from the commune
    for areas, sees_plain, sees_kept in (
        ((None,), True, True),
        (("51",), True, True),
        ((SON_TINH,), True, False),
        (("21211",), False, False),  # another commune of the province
        (("01",), False, False),
        (("01", SON_TINH), True, False),
        ((), False, False),  # no grant left
    ):
        who = Moderator.of("test:7001", areas)
        assert (transitions.refusal(who, plain, Move.TAKE) is None) is sees_plain, areas
        assert (transitions.refusal(who, kept, Move.TAKE) is None) is sees_kept, areas
        if not sees_kept:
            assert transitions.refusal(who, kept, Move.TAKE) is Refusal.NOT_YOURS
            assert transitions.moves(who, kept) == ()


def test_a_reporter_acts_on_their_own_report_only():
    report = _report(WAITING)
    assert transitions.refusal(Reporter(REPORTER_ID), report, Move.WITHDRAW) is None
    assert transitions.refusal(Reporter(2002), report, Move.WITHDRAW) is Refusal.NOT_YOURS
    cut_off = _report(WAITING, reporter_id=None)  # the reporter deleted their data
    assert transitions.refusal(Reporter(REPORTER_ID), cut_off, Move.ANSWER) is Refusal.NOT_YOURS


def test_asking_needs_a_reporter_who_agreed_and_can_be_reached():
    assert transitions.refusal(ANYWHERE, _report(IN_REVIEW), Move.ASK) is None
    silent = _report(IN_REVIEW, contact_ok=False)
    assert transitions.refusal(ANYWHERE, silent, Move.ASK) is Refusal.NO_REPORTER
    gone = _report(IN_REVIEW)
    assert transitions.refusal(ANYWHERE, gone, Move.ASK, reachable=False) is Refusal.NO_REPORTER
    assert transitions.moves(ANYWHERE, gone, reachable=False) == (
        Move.FORWARD,
        Move.RESOLVE,
        Move.REJECT,
    )
    # The state is told first: a closed report is closed, whoever could be asked.
    closed = _report(RESOLVED, contact_ok=False)
    assert transitions.refusal(ANYWHERE, closed, Move.ASK) is Refusal.WRONG_STATE
    # Only asking asks the reporter.
    assert transitions.refusal(ANYWHERE, silent, Move.RESOLVE, reachable=False) is None


def test_the_moves_offered_come_in_the_order_of_the_buttons():
    assert transitions.moves(ANYWHERE, _report(NEW)) == (Move.TAKE, Move.REJECT)
    assert transitions.moves(ANYWHERE, _report(IN_REVIEW)) == (
        Move.ASK,
        Move.FORWARD,
        Move.RESOLVE,
        Move.REJECT,
    )
    assert transitions.moves(ANYWHERE, _report(FORWARDED)) == (Move.ASK, Move.RESOLVE, Move.REJECT)
    assert transitions.moves(Reporter(REPORTER_ID), _report(WAITING)) == (
        Move.WITHDRAW,
        Move.ANSWER,
        Move.ANSWER_REQUEUE,
    )
    assert transitions.moves(Reporter(REPORTER_ID), _report(NEW)) == (Move.WITHDRAW,)


def _choice(move: Move) -> str | None:
    choices = transitions.RULES[move].choices
    return choices[-1] if choices else None


async def test_apply_writes_each_allowed_pair_and_refuses_the_others(engine):
    """Every state by every move, through the one writer: the report, its history and the
    audit log when the table allows it; nothing at all when it does not."""
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        user = await users.get_or_create_user(session, "telegram", "9001", NOW)
    reporter = Reporter(user.id or 0)
    later = NOW + dt.timedelta(hours=1)
    for state, move in PAIRS:
        async with transaction(sessions) as session:
            fields = _report(state, reporter_id=user.id, taken_by="test:7002").model_dump()
            del fields["id"]
            report = await reports.create(session, Report(**fields))
            who = ANYWHERE if move in MODERATOR_MOVES else reporter
            after = EXPECTED.get((state, move))
            if after is None:
                with pytest.raises(NotAllowed) as refused:
                    await transitions.apply(session, report, move, who, later, choice=_choice(move))
                assert refused.value.why is Refusal.WRONG_STATE
                assert (report.status, report.touched_at) == (state, NOW)
                assert await reports.events(session, report.id or 0) == []
                assert await audit.entries(session, f"report:{report.id}") == []
                continue
            event = await transitions.apply(
                session, report, move, who, later, note="ghi chú", choice=_choice(move)
            )
        async with transaction(sessions) as session:
            stored = await reports.get(session, report.id or 0)
            assert stored is not None
            assert (stored.status, stored.touched_at) == (after, later), (state, move)
            assert (stored.closed_at is not None) is (after in reports.CLOSED)
            [written] = await reports.events(session, report.id or 0)
            assert (written.id, written.status, written.detail) == (event.id, after, _choice(move))
            [entry] = await audit.entries(session, f"report:{report.id}")
            rule = transitions.RULES[move]
            assert entry.action == rule.audit
            assert entry.actor == (ANYWHERE.actor if who is ANYWHERE else "reporter")
            assert (entry.detail["from"], entry.detail["to"]) == (state, after)
            expected_taker = {Move.TAKE: ANYWHERE.actor, Move.ASK: ANYWHERE.actor}.get(
                move, None if move is Move.ANSWER_REQUEUE else "test:7002"
            )
            assert stored.taken_by == expected_taker, (state, move)
            if rule.column is not None:
                assert getattr(stored, rule.column) == _choice(move)
                assert entry.detail[rule.column] == _choice(move)


async def test_apply_refuses_what_the_table_refuses_besides_the_state(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        user = await users.get_or_create_user(session, "telegram", "9001", NOW)
        fields = _report(IN_REVIEW, reporter_id=user.id).model_dump()
        del fields["id"]
        report = await reports.create(session, Report(**fields))
        elsewhere = Moderator.of("test:7003", ["01"])
        for move, who, choice, why in (
            (Move.RESOLVE, elsewhere, None, Refusal.NOT_YOURS),
            (Move.WITHDRAW, ANYWHERE, None, Refusal.NOT_YOURS),  # the reporter's own move
            (Move.RESOLVE, Reporter(user.id or 0), None, Refusal.NOT_YOURS),
            (Move.REJECT, ANYWHERE, None, Refusal.BAD_CHOICE),
            (Move.REJECT, ANYWHERE, "police", Refusal.BAD_CHOICE),
            (Move.FORWARD, ANYWHERE, "spam", Refusal.BAD_CHOICE),
            (Move.RESOLVE, ANYWHERE, "spam", Refusal.BAD_CHOICE),  # a move without choices
        ):
            with pytest.raises(NotAllowed) as refused:
                await transitions.apply(session, report, move, who, NOW, choice=choice)
            assert refused.value.why is why, (move, who, choice)
        assert report.status == IN_REVIEW
        # The reporter deleted their data: nobody is left to ask, whatever the button said.
        await session.delete(user)
        await session.flush()
        await session.refresh(report)
        assert report.reporter_id is None and not await transitions.reachable(session, report)
        assert await transitions.check(session, ANYWHERE, report, Move.ASK) is Refusal.NO_REPORTER
        assert await transitions.check(session, ANYWHERE, report, Move.RESOLVE) is None
        with pytest.raises(NotAllowed) as refused:
            await transitions.apply(session, report, Move.ASK, ANYWHERE, NOW, note="Ở đâu?")
        assert refused.value.why is Refusal.NO_REPORTER
        assert await audit.entries(session, f"report:{report.id}") == []


def test_only_the_table_changes_a_reports_state() -> None:
    """Every state change goes through transitions.apply: no handler calls the writer."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = []
    for path in sorted((root / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "change_status":
                    callers.append(path.relative_to(root).as_posix())
    assert callers == ["handlers/reports/transitions.py"]
