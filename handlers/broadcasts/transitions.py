"""Who may do what to a broadcast, in which state, and the state it moves to: one table.

Every change of a broadcast's state goes through :func:`apply` (the chat dialogs, the
delivery jobs, and the staff console after them), and every look at one through
:func:`find`, so the rules below are the only place these rules are written.

A state is one of storage/broadcasts.py's. A row of :data:`RULES` reads "``act`` on a
broadcast in one of ``sources`` moves it to ``to`` (None: it stays), for ``who``, when
``guard`` holds"; rows for the same state and act are tried in order, the first whose guard
holds decides. Who someone is to a broadcast (:class:`Who`) comes from their roles, read
when they act, against the broadcast's own area.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.roles import within
from storage import broadcasts as store
from storage import people
from storage import roles as role_store
from storage import users as user_store
from storage.models import Broadcast, Role

SYSTEM = "system"  # the actor of the delivery engine's moves, as the audit log names it
STATES = (
    store.DRAFT, store.AWAITING, store.QUEUED, store.SCHEDULED,
    store.SENDING, store.DONE, store.CANCELLED, store.REJECTED,
)  # fmt: skip


class Act(enum.StrEnum):
    VIEW = "view"  # see where it stands (a draft: its preview)
    EDIT = "edit"  # change a draft: urgent on/off, a test copy to oneself
    SEND = "send"  # confirm a draft, now or at a time (a wide one goes for approval)
    REVIEW = "review"  # see it as an approver does
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"  # until it has finished
    START = "start"  # due: expanded into its messages
    FINISH = "finish"  # nothing left to send
    CLOSE = "close"  # cancelled while sending: what was left is put away, the author told


class Who(enum.StrEnum):
    AUTHOR = "author"  # wrote it (this very identity), still an official of its whole area
    ADMIN = "admin"  # an admin of its whole area
    APPROVER = "approver"  # an official or admin of its whole area, not its author (any channel)
    SYSTEM = "system"  # the delivery engine


class Guard(enum.StrEnum):
    WIDE = "wide"  # a whole province or the whole country: a second pair of eyes first
    TIMED = "timed"  # with a time to go out at


@dataclass(frozen=True)
class Rule:
    act: Act
    sources: frozenset[str]
    to: str | None  # None: the state does not change
    who: frozenset[Who]
    guard: Guard | None = None


def _rule(
    act: Act, sources: Iterable[str], to: str | None, *who: Who, guard: Guard | None = None
) -> Rule:
    return Rule(act, frozenset(sources), to, frozenset(who), guard)


AUTHOR, ADMIN, APPROVER = Who.AUTHOR, Who.ADMIN, Who.APPROVER
RULES: tuple[Rule, ...] = (
    _rule(Act.VIEW, [store.DRAFT], None, AUTHOR, ADMIN),
    # Once confirmed, every official of its whole area may see where it stands.
    _rule(Act.VIEW, [s for s in STATES if s != store.DRAFT], None, AUTHOR, ADMIN, APPROVER),
    _rule(Act.EDIT, [store.DRAFT], None, AUTHOR),
    _rule(Act.SEND, [store.DRAFT], store.AWAITING, AUTHOR, guard=Guard.WIDE),
    _rule(Act.SEND, [store.DRAFT], store.SCHEDULED, AUTHOR, guard=Guard.TIMED),
    _rule(Act.SEND, [store.DRAFT], store.QUEUED, AUTHOR),
    _rule(Act.REVIEW, [store.AWAITING], None, APPROVER),
    _rule(Act.APPROVE, [store.AWAITING], store.SCHEDULED, APPROVER, guard=Guard.TIMED),
    _rule(Act.APPROVE, [store.AWAITING], store.QUEUED, APPROVER),
    _rule(Act.REJECT, [store.AWAITING], store.REJECTED, APPROVER),
    _rule(Act.CANCEL, store.OPEN, store.CANCELLED, AUTHOR, ADMIN),
    _rule(Act.START, [store.QUEUED, store.SCHEDULED], store.SENDING, Who.SYSTEM),
    _rule(Act.FINISH, [store.SENDING], store.DONE, Who.SYSTEM),
    _rule(Act.CLOSE, [store.CANCELLED], store.CANCELLED, Who.SYSTEM),
)


def needs_approval(area_code: str | None) -> bool:
    """A whole province (or the whole country) needs a second pair of eyes."""
    return area_code is None or len(area_code) == 2


def rule(state: str, act: Act, *, wide: bool = False, timed: bool = False) -> Rule | None:
    """The row that decides ``act`` in ``state``; None when the act has no meaning there."""
    holds = {Guard.WIDE: wide, Guard.TIMED: timed}
    for found in RULES:
        if found.act == act and state in found.sources and (not found.guard or holds[found.guard]):
            return found
    return None


def allowed(
    broadcast: Broadcast, act: Act, who: Iterable[Who], at: dt.datetime | None = None
) -> Rule | None:
    """The row by which someone who is ``who`` to ``broadcast`` may do ``act`` to it now;
    None when they may not. ``at``: the time a SEND gives it (else its own, if any)."""
    found = rule(
        broadcast.status,
        act,
        wide=needs_approval(broadcast.area_code),
        timed=(at or broadcast.not_before) is not None,
    )
    return found if found is not None and found.who & set(who) else None


# --- who someone is to a broadcast (read from the database when they act) --------------------


def approves(grant: Role, area_code: str | None) -> bool:
    """Does this grant make its holder an official (or admin) of the whole of the area?"""
    return grant.role in ("official", "admin") and within(grant.area_code, area_code)


async def _person(session: AsyncSession, who: str) -> int | None:
    """The person an identity ('telegram:123') belongs to: the id of the row holding them
    (storage/people.py), one for all their linked channels; None for one never seen."""
    channel, _, user_id = who.partition(":")
    found = await user_store.find_user(session, channel, user_id)
    return None if found is None else (await people.holder(session, found)).id


async def same_person(session: AsyncSession, who: str, author: str) -> bool:
    """Whether ``who`` is the author, on the same channel or on one linked to it."""
    if who == author:
        return True
    person = await _person(session, who)
    return person is not None and person == await _person(session, author)


async def grants_of(session: AsyncSession, actor: str) -> list[Role]:
    channel, _, user_id = actor.partition(":")
    return await role_store.roles_of(session, channel, user_id)


async def standing(
    session: AsyncSession, actor: str, broadcast: Broadcast, grants: list[Role] | None = None
) -> frozenset[Who]:
    """Who ``actor`` ('telegram:123', or SYSTEM) is to ``broadcast``, by their roles now."""
    if actor == SYSTEM:
        return frozenset({Who.SYSTEM})
    grants = await grants_of(session, actor) if grants is None else grants
    area = broadcast.area_code
    if not any(approves(g, area) for g in grants):
        return frozenset()
    found = set()
    if any(g.role == "admin" and within(g.area_code, area) for g in grants):
        found.add(Who.ADMIN)
    if broadcast.author == actor:
        found.add(Who.AUTHOR)
    if not await same_person(session, actor, broadcast.author):
        found.add(Who.APPROVER)
    return frozenset(found)


async def may_compose(session: AsyncSession, actor: str, area_code: str | None) -> bool:
    """May ``actor`` write a broadcast to the whole of ``area_code`` (None: the country)?"""
    return any(approves(g, area_code) for g in await grants_of(session, actor))


async def approvers(session: AsyncSession, broadcast: Broadcast) -> list[tuple[str, str]]:
    """(channel, user id) of everyone who would be APPROVER of ``broadcast``."""
    found: dict[tuple[str, str], None] = {}
    for grant in await role_store.list_roles(session):
        who = f"{grant.channel}:{grant.channel_user_id}"
        if approves(grant, broadcast.area_code) and not await same_person(
            session, who, broadcast.author
        ):
            found[(grant.channel, grant.channel_user_id)] = None
    return list(found)


# --- acting -------------------------------------------------------------------------------------


async def find(session: AsyncSession, broadcast_id: int, act: Act, actor: str) -> Broadcast | None:
    """The broadcast, if ``actor`` may do ``act`` to it in the state it is in now."""
    broadcast = await store.get(session, broadcast_id)
    if broadcast is None:
        return None
    who = await standing(session, actor, broadcast)
    return broadcast if allowed(broadcast, act, who) is not None else None


async def apply(
    session: AsyncSession, broadcast: Broadcast, act: Act, actor: str, **values: object
) -> str | None:
    """Do ``act`` to ``broadcast`` as ``actor``, writing ``values`` with the new state; the
    state it moved to, or None when it may not (or another press, official or replica moved
    it first: the change is conditional on its state). ``not_before`` among the values is the
    time a SEND gives it."""
    assert broadcast.id is not None
    when = values.get("not_before")
    found = allowed(
        broadcast,
        act,
        await standing(session, actor, broadcast),
        at=when if isinstance(when, dt.datetime) else None,
    )
    if found is None or found.to is None:
        return None
    if not await store.move(session, broadcast.id, tuple(found.sources), found.to, **values):
        return None
    return found.to
