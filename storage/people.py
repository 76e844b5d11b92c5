"""One person on several channels: link codes, linking, unlinking, and which row holds the data.

Each channel identity keeps its own `users` row, as before. When a person links two of them,
one row, the *holder*, keeps the person's settings (language, consent, commune), reminder
subscriptions, conversation state and anything else keyed by a user id (reports); the other
row's ``person_id`` points at the holder. The dialogs are handed the holder
(handlers/core/dispatch.py), so what they read or change follows the person on every channel,
and notices (reminders, every broadcast) reach the holder's channel only: a linked person
hears each one once. Roles stay with the identity they were granted to.

A code is shown in one channel and typed in the other: the identity that shows it is (or
belongs to) the holder; the identity that types it joins that person.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChatChoices, ConversationState, LinkCode, Subscription, User

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: read aloud or typed on a phone, every character is unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31⁸ ≈ 8.5·10¹¹ codes: guessing a live one is hopeless
CODE_TTL = dt.timedelta(minutes=10)
# The settings a person has once, whichever channel they write from.
PERSON_FIELDS = ("language", "consent_at", "commune_code", "announcements")
# Tables keyed by a user id that are handled here by hand (or stay with the identity).
_OWN_TABLES = frozenset({"users", "subscriptions", "conversation_states", "link_codes"})
# The Zalo OA message window is the identity's own (Zalo counts it per OA user id); a phone
# kept for ZNS is the person's and follows them (storage/zalo_oa_contacts.py).
_IDENTITY_TABLES = frozenset({"chat_choices", "zalo_oa_contacts"})


class LinkError(Exception):
    """Linking refused; ``reason`` names why: invalid, expired, already, same_channel, busy."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_code(code: str) -> str:
    """'ABCD2345' -> 'ABCD-2345', easier to read and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalize_code(text: str) -> str | None:
    """The code in what the user typed ('abcd 2345', 'ABCD-2345'), or None."""
    code = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in "-.–—")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


async def holder(session: AsyncSession, identity: User) -> User:
    """The row holding this identity's person: itself, or the row it is linked to."""
    if identity.person_id is None or identity.person_id == identity.id:
        return identity
    found = await session.get(User, identity.person_id)
    if found is None:  # the holder is gone: this row is its own person again
        identity.person_id = None
        session.add(identity)
        return identity
    return found


async def identities(session: AsyncSession, holder_id: int) -> list[User]:
    """The holder and every identity linked to it, holder first."""
    found = await session.exec(
        select(User).where((User.id == holder_id) | (User.person_id == holder_id))
    )
    return sorted(found.all(), key=lambda u: (u.id != holder_id, u.id or 0))


async def new_code(session: AsyncSession, user_id: int, now: dt.datetime) -> str:
    """A fresh code for this identity (its older codes and every expired one are dropped)."""
    await session.exec(
        delete(LinkCode).where((LinkCode.user_id == user_id) | (LinkCode.expires_at < now))
    )
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            async with session.begin_nested():
                session.add(
                    LinkCode(code=code, user_id=user_id, created_at=now, expires_at=now + CODE_TTL)
                )
            return code
        except IntegrityError:  # astronomically rare: the same code is live already
            continue


async def link(session: AsyncSession, typed: str, identity: User, now: dt.datetime) -> User:
    """Join ``identity`` to the person whose code was typed; returns that person's holder."""
    code = normalize_code(typed)
    row = await session.get(LinkCode, code) if code else None
    if row is None:
        raise LinkError("invalid")
    if row.expires_at < now:
        await session.delete(row)
        raise LinkError("expired")
    shown_by = await session.get(User, row.user_id)
    if shown_by is None:
        raise LinkError("invalid")
    target = await holder(session, shown_by)
    mine = await holder(session, identity)
    if target.id == mine.id:
        raise LinkError("already")
    if identity.channel in {u.channel for u in await identities(session, target.id or 0)}:
        raise LinkError("same_channel")
    if mine.id != identity.id or len(await identities(session, identity.id or 0)) > 1:
        raise LinkError("busy")  # this identity is linked elsewhere: unlink it first
    await _move_person(session, identity, target, overwrite=False)
    identity.person_id = target.id
    session.add(identity)
    await session.delete(row)
    await session.flush()
    return target


async def unlink(session: AsyncSession, identity: User) -> list[User]:
    """Separate ``identity`` from its person (a holder: every other identity from it).

    The person's data stays with the holder; a detached identity keeps the language, so its
    next message is answered in the same words, and the choice about announcements (a stop
    asked for stays), and starts without commune or reminders.
    """
    person = await holder(session, identity)
    others = [u for u in await identities(session, person.id or 0) if u.id != person.id]
    detached = [identity] if identity.id != person.id else others
    for row in detached:
        row.person_id = None
        row.language = person.language
        row.announcements = person.announcements
        session.add(row)
        await _drop_state(session, row.id or 0)
    await session.flush()
    return detached


async def make_holder(session: AsyncSession, identity: User) -> User:
    """Let ``identity`` hold its person (so notices come to its channel); returns it."""
    old = await holder(session, identity)
    if old.id == identity.id:
        return identity
    await _move_person(session, old, identity, overwrite=True)
    await session.exec(update(User).where(User.person_id == old.id).values(person_id=identity.id))
    identity.person_id = None
    old.person_id = identity.id
    session.add_all([identity, old])
    await session.flush()
    return identity


async def _move_person(
    session: AsyncSession, source: User, target: User, *, overwrite: bool
) -> None:
    """Hand what ``source`` holds for its person over to ``target``.

    Settings: ``target`` keeps its own unless ``overwrite``, and takes what it lacks;
    announcements turned off on either side stay off. Subscriptions: the union. Rows of other
    features keyed by a user id (reports...) follow.
    """
    for name in PERSON_FIELDS:
        value = getattr(source, name)
        if value is not None and (overwrite or getattr(target, name) is None):
            setattr(target, name, value)
    if not overwrite and not source.announcements:
        target.announcements = False  # "stop announcements" asked on either channel stands
    # The source no longer holds a person: nothing by commune or consent reaches it twice.
    source.commune_code = None
    source.consent_at = None
    source.display_name = None
    session.add_all([source, target])
    await session.flush()

    theirs = await session.exec(select(Subscription).where(Subscription.user_id == source.id))
    mine = {
        s.point_id
        for s in (
            await session.exec(select(Subscription).where(Subscription.user_id == target.id))
        ).all()
    }
    for sub in list(theirs.all()):
        if sub.point_id not in mine:
            session.add(
                Subscription(user_id=target.id, point_id=sub.point_id, created_at=sub.created_at)
            )
    await session.flush()
    await session.exec(delete(Subscription).where(Subscription.user_id == source.id))

    # Flows are per holder; the one the source was in ends here (an ORM delete, so a state
    # object the caller holds in this session is not written back).
    await _drop_state(session, source.id or 0)
    await _move_other_features(session, source.id or 0, target.id or 0)
    await session.flush()


async def _drop_state(session: AsyncSession, user_id: int) -> None:
    state = await session.get(ConversationState, user_id)
    if state is not None:
        await session.delete(state)
        await session.flush()


async def _move_other_features(session: AsyncSession, source_id: int, target_id: int) -> None:
    """Re-point every other table's reference to users.id (reports and the like)."""
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _OWN_TABLES or table.name in _IDENTITY_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != "users" or fk.column.name != "id":
                continue
            column = fk.parent
            try:
                async with session.begin_nested():
                    await session.exec(
                        update(table).where(column == source_id).values({column.name: target_id})
                    )
            except IntegrityError:
                log.warning("could not move %s.%s to the linked person", table.name, column.name)


async def recall_choices(session: AsyncSession, user_id: int) -> list[tuple[str, str]]:
    """The (label, action) choices last shown to this identity, numbered from 1."""
    row = await session.get(ChatChoices, user_id)
    if row is None:
        return []
    return [(c["label"], c["action"]) for c in row.choices if "label" in c and "action" in c]


async def remember_choices(
    session: AsyncSession, user_id: int, choices: list[tuple[str, str]], now: dt.datetime
) -> None:
    kept = [{"label": label, "action": action} for label, action in choices]
    row = await session.get(ChatChoices, user_id)
    if row is None:
        if not kept:
            return
        try:
            async with session.begin_nested():
                session.add(ChatChoices(user_id=user_id, choices=kept, updated_at=now))
            return
        except IntegrityError:  # another replica wrote them a moment ago: ours are newer
            row = await session.get(ChatChoices, user_id)
            assert row is not None
    row.choices = kept
    row.updated_at = now
    session.add(row)
    await session.flush()
