"""The broadcasts' transition table: every state × act × who, against a table written out
here, and the database side (who someone is to a broadcast, conditional moves)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from handlers.broadcasts import services, transitions
from handlers.broadcasts.transitions import STATES, SYSTEM, Act, Who
from storage import broadcasts as store
from storage import people, users
from storage import roles as role_store
from storage.db import transaction
from storage.models import Broadcast

NOW = dt.datetime(2026, 12, 14, 3, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)
STAY, ANY = "(stays)", "(any)"
OPEN = (store.DRAFT, store.AWAITING, store.QUEUED, store.SCHEDULED, store.SENDING)
A, AD, AP, SY = Who.AUTHOR, Who.ADMIN, Who.APPROVER, Who.SYSTEM

# Everything that is allowed; anything else is refused. (state, act, who, wide, timed) ->
# the next state. "wide": a province or the whole country; "timed": with a time to go at.
ALLOWED: list[tuple[str, Act, Who, object, object, str]] = [
    (store.DRAFT, Act.VIEW, A, ANY, ANY, STAY),
    (store.DRAFT, Act.VIEW, AD, ANY, ANY, STAY),
    *[
        (state, Act.VIEW, who, ANY, ANY, STAY)
        for state in STATES
        if state != store.DRAFT
        for who in (A, AD, AP)
    ],
    (store.DRAFT, Act.EDIT, A, ANY, ANY, STAY),
    (store.DRAFT, Act.SEND, A, True, ANY, store.AWAITING),
    (store.DRAFT, Act.SEND, A, False, True, store.SCHEDULED),
    (store.DRAFT, Act.SEND, A, False, False, store.QUEUED),
    (store.AWAITING, Act.REVIEW, AP, ANY, ANY, STAY),
    (store.AWAITING, Act.APPROVE, AP, ANY, True, store.SCHEDULED),
    (store.AWAITING, Act.APPROVE, AP, ANY, False, store.QUEUED),
    (store.AWAITING, Act.REJECT, AP, ANY, ANY, store.REJECTED),
    *[(state, Act.CANCEL, who, ANY, ANY, store.CANCELLED) for state in OPEN for who in (A, AD)],
    (store.QUEUED, Act.START, SY, ANY, ANY, store.SENDING),
    (store.SCHEDULED, Act.START, SY, ANY, ANY, store.SENDING),
    (store.SENDING, Act.FINISH, SY, ANY, ANY, store.DONE),
    (store.CANCELLED, Act.CLOSE, SY, ANY, ANY, store.CANCELLED),
]


def expected(state: str, act: Act, who: Who, wide: bool, timed: bool) -> str | None:
    for row in ALLOWED:
        if row[:3] == (state, act, who) and row[3] in (ANY, wide) and row[4] in (ANY, timed):
            return row[5]
    return None


def broadcast(state: str, wide: bool, timed: bool) -> Broadcast:
    return Broadcast(
        id=1, author="telegram:1", text="x", status=state,
        area_code="51" if wide else "21220", not_before=LATER if timed else None,
    )  # fmt: skip


@pytest.mark.parametrize(("state", "act"), list(itertools.product(STATES, Act)))
def test_every_state_act_and_who(state: str, act: Act):
    for who, wide, timed in itertools.product(Who, (False, True), (False, True)):
        found = transitions.allowed(broadcast(state, wide, timed), act, {who})
        got = None if found is None else (found.to or STAY)
        assert got == expected(state, act, who, wide, timed), (who, wide, timed)


@pytest.mark.parametrize(
    ("area", "at", "to"),
    [
        ("21220", None, store.QUEUED),  # a commune, now
        ("21220", LATER, store.SCHEDULED),  # a commune, at a time given with the send
        ("51", None, store.AWAITING),  # a province: approval first
        ("51", LATER, store.AWAITING),
        (None, None, store.AWAITING),  # the whole country too
    ],
)
def test_sending_a_draft(area: str | None, at: dt.datetime | None, to: str):
    draft = Broadcast(id=1, author="telegram:1", text="x", area_code=area)
    found = transitions.allowed(draft, Act.SEND, {Who.AUTHOR}, at=at)
    assert found is not None and found.to == to


def test_nobody_and_the_author_of_a_wide_one_may_not_approve():
    waiting = broadcast(store.AWAITING, wide=True, timed=False)
    assert transitions.allowed(waiting, Act.APPROVE, set()) is None
    assert transitions.allowed(waiting, Act.APPROVE, {Who.AUTHOR, Who.ADMIN}) is None


def test_the_table_agrees_with_storage():
    assert set(STATES) == {
        store.DRAFT, store.AWAITING, store.QUEUED, store.SCHEDULED,
        store.SENDING, store.DONE, store.CANCELLED, store.REJECTED,
    }  # fmt: skip
    # "Not finished: may still be cancelled" (storage/broadcasts.py) is the table's CANCEL.
    assert {s for s in STATES if transitions.rule(s, Act.CANCEL)} == set(store.OPEN)
    # What the delivery engine starts is what storage finds due.
    assert {s for s in STATES if transitions.rule(s, Act.START)} == {store.QUEUED, store.SCHEDULED}
    for final in (store.DONE, store.REJECTED):
        assert [a for a in Act if transitions.rule(final, a)] == [Act.VIEW]
    assert all(any(r.act == act for r in transitions.RULES) for act in Act)


@pytest.mark.parametrize(
    ("area", "wide"), [(None, True), ("51", True), ("01", True), ("21220", False), ("00004", False)]
)
def test_a_province_or_the_country_needs_approval(area: str | None, wide: bool):
    assert transitions.needs_approval(area) is wide


# --- the database side --------------------------------------------------------------------------


async def grant(s, user: str, role: str, area: str | None) -> None:  # type: ignore[no-untyped-def]
    await role_store.grant(s, "telegram", user, role, area, "cli", NOW)


async def test_who_someone_is_to_a_broadcast_from_their_roles_now(deps):
    async with transaction(deps.sessions) as s:
        await grant(s, "1", "official", "51")  # the author
        await grant(s, "2", "official", "51")  # a second official of the province
        await grant(s, "3", "official", "21220")  # a commune official in it
        await grant(s, "4", "admin", "51")
        await grant(s, "5", "admin", None)
        await grant(s, "6", "moderator", "51")
        wide = Broadcast(id=1, author="telegram:1", text="x", area_code="51")

        async def who(actor: str) -> set[Who]:
            return set(await transitions.standing(s, actor, wide))

        assert await who("telegram:1") == {Who.AUTHOR}
        assert await who("telegram:2") == {Who.APPROVER}
        assert await who("telegram:3") == set()  # not the whole province
        assert await who("telegram:4") == await who("telegram:5") == {Who.ADMIN, Who.APPROVER}
        assert await who("telegram:6") == set()
        assert await who("telegram:7") == set()
        assert await who(SYSTEM) == {Who.SYSTEM}
        # Those asked to approve are exactly the approvers.
        asked = await transitions.approvers(s, wide)
        assert sorted(user for _, user in asked) == ["2", "4", "5"]
        # A revoked author is no longer its author.
        await role_store.revoke(s, "telegram", "1", "official", "51")
        assert await who("telegram:1") == set()


async def test_the_author_on_a_linked_channel_is_no_approver(deps):
    async with transaction(deps.sessions) as s:
        author = await users.get_or_create_user(s, "telegram", "1", NOW)
        other = await users.get_or_create_user(s, "zalo", "z-1", NOW)
        await s.flush()
        await people.link(s, await people.new_code(s, author.id or 0, NOW), other, NOW)
        await role_store.grant(s, "zalo", "z-1", "official", "51", "cli", NOW)
        wide = Broadcast(id=1, author="telegram:1", text="x", area_code="51")
        assert await transitions.standing(s, "zalo:z-1", wide) == frozenset()
        assert await transitions.approvers(s, wide) == []


async def test_moves_are_checked_and_conditional(deps):
    async with transaction(deps.sessions) as s:
        await grant(s, "1", "official", "51")
        await grant(s, "2", "official", "51")
        await users.get_or_create_user(s, "telegram", "2", NOW)  # reachable: asked to approve
        draft = await store.create(
            s, Broadcast(author="telegram:1", text="x", area_code="51", created_at=NOW)
        )
        bid = draft.id or 0
        # Not the author's to send; not a draft's to approve.
        assert await transitions.apply(s, draft, Act.SEND, "telegram:2") is None
        assert await transitions.apply(s, draft, Act.APPROVE, "telegram:2") is None
        assert await transitions.find(s, bid, Act.EDIT, "telegram:2") is None
        assert await transitions.find(s, bid, Act.EDIT, "telegram:1") is not None
        sent = await services.send(s, deps.content, draft, "telegram:1", NOW)
        assert sent == services.Sent(store.AWAITING, 1)
    async with transaction(deps.sessions) as s:
        waiting = await store.get(s, bid)
        assert waiting is not None and waiting.status == store.AWAITING
        assert await transitions.find(s, bid, Act.APPROVE, "telegram:1") is None  # own
        assert await transitions.find(s, bid, Act.APPROVE, "telegram:2") is not None
        # Two presses read the same state; the first wins, the second moves nothing.
        first = await transitions.apply(s, waiting, Act.APPROVE, "telegram:2", approved_by="a")
        second = await transitions.apply(s, waiting, Act.REJECT, "telegram:2", cancelled_by="b")
        assert (first, second) == (store.QUEUED, None)
    async with transaction(deps.sessions) as s:
        queued = await store.get(s, bid)
        assert queued is not None and (queued.status, queued.approved_by) == (store.QUEUED, "a")
        assert await services.cancel(s, queued, "telegram:2", NOW) is None  # not theirs
        assert await services.cancel(s, queued, "telegram:1", NOW) == store.QUEUED
        assert await transitions.apply(s, queued, Act.START, SYSTEM) is None  # cancelled now
