"""SQLModel tables. Every datetime is stored timezone-aware in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite itself keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class User(SQLModel, table=True):
    """One person on one channel. The same person on Telegram and Zalo is two rows."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16))
    # Kept as text: Telegram ids need 52 bits and Zalo ids are opaque strings.
    channel_user_id: str = Field(sa_type=String(64))
    display_name: str | None = Field(default=None, sa_type=String(128))
    language: str | None = Field(default=None, sa_type=String(2))
    consent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    commune_code: str | None = Field(default=None, sa_type=String(5), index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blocked: bool = Field(default=False)
    # Linked channels (storage/people.py): the id of the row that holds this person's settings,
    # subscriptions and reports; None for a row that is its own person. No foreign key, so
    # adding it never rebuilds the users table on SQLite; storage/people.py keeps it sound.
    person_id: int | None = Field(default=None, index=True)
    # Officials' announcements (/thongbao); reminders are separate and stay on.
    announcements: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class ConversationState(SQLModel, table=True):
    """Where a user is in a multi-step flow, and what they have entered so far."""

    __tablename__ = "conversation_states"
    # The scheduler ends old flows by (flow, updated_at) every few minutes (kept stories).
    __table_args__ = (Index("ix_conversation_states_flow_updated", "flow", "updated_at"),)

    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    flow: str | None = Field(default=None, sa_type=String(32))
    step: str | None = Field(default=None, sa_type=String(32))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already handled, so a platform's redelivery is answered once."""

    __tablename__ = "processed_updates"

    channel: str = Field(sa_type=String(16), primary_key=True)
    update_id: int = Field(sa_type=BigInteger, primary_key=True)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class TransactionPoint(SQLModel, table=True):
    """A place where the bank meets its borrowers on a fixed day each month."""

    __tablename__ = "transaction_points"

    id: str = Field(sa_type=String(64), primary_key=True)  # the office's own stable point_id
    commune_code: str = Field(sa_type=String(5), index=True)
    name: str = Field(sa_type=String(200))
    address: str = Field(sa_type=String(300))
    day_of_month: int
    start_time: dt.time = Field(sa_type=Time)
    end_time: dt.time = Field(sa_type=Time)
    office: str = Field(sa_type=String(200))
    phone: str = Field(sa_type=String(32))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScheduleException(SQLModel, table=True):
    """One regular transaction day moved to another date, or cancelled, with the reason."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (UniqueConstraint("point_id", "regular_date", name="uq_exception_day"),)

    id: int | None = Field(default=None, primary_key=True)
    point_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("transaction_points.id", ondelete="CASCADE"), nullable=False
        )
    )
    regular_date: dt.date
    moved_to: dt.date | None = None  # None: cancelled
    reason: str = Field(sa_type=String(500))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    """A user who wants reminders of a transaction point's days."""

    __tablename__ = "subscriptions"
    # Repeated reminder planning looks only at recent subscriptions of a point: index-only.
    __table_args__ = (Index("ix_subscriptions_point_created", "point_id", "created_at"),)

    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    point_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("transaction_points.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Outbox(SQLModel, table=True):
    """A message to send later (reminders, notices), recorded once under its unique key.

    Rows are written before they are sent and marked after: a restart sends what is left,
    and the key keeps a second planner (or replica) from recording the same message twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        # The engine claims by (broadcast or none, status) in id order, and counts a
        # broadcast's rows by status.
        Index("ix_outbox_broadcast", "broadcast_id", "status", "id"),
        # The dashboard's reminders by point, month and status (storage/stats.py): partial,
        # by an expression of the key; SQLite's spelling of it is in migration 0018.
        Index(
            "ix_outbox_reminders",
            text("split_part(dedup_key, ':', 2)"),
            "created_at",
            "status",
            postgresql_where=text("kind IN ('reminder_eve', 'reminder_day')"),
        ).ddl_if(dialect="postgresql"),
        # The reminders of the days not yet tallied, for the whole country (migration 0018).
        Index(
            "ix_outbox_reminders_time",
            "created_at",
            "status",
            postgresql_where=text("kind IN ('reminder_eve', 'reminder_day')"),
            sqlite_where=text("kind IN ('reminder_eve', 'reminder_day')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(sa_type=String(200), unique=True)
    channel: str = Field(sa_type=String(16))
    channel_user_id: str = Field(sa_type=String(64))
    kind: str = Field(sa_type=String(32))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = Field(default=0)
    not_before: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(300))
    # A broadcast's rows carry its id (their payload is the broadcast's, rendered once).
    broadcast_id: int | None = Field(default=None)
    # Found claimed by a sender that died: it may have been sent already (at-least-once).
    in_doubt: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # When a ZNS send of this row began (bot/zalo_oa_reach.py): ZNS is paid, so a row found
    # claimed with it set after a crash is not sent again (storage/outbox.py).
    zns_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Role(SQLModel, table=True):
    """A privilege held by one person on one channel, within an area.

    ``area_code`` is None for the whole country, 2 digits for a province ("51"), 5 digits for
    a commune ("21220"). NULLs are distinct in a unique constraint, so the whole-country grant
    has a partial unique index of its own.
    """

    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("channel", "channel_user_id", "role", "area_code", name="uq_roles_grant"),
        Index(
            "uq_roles_grant_country",
            "channel",
            "channel_user_id",
            "role",
            unique=True,
            sqlite_where=text("area_code IS NULL"),
            postgresql_where=text("area_code IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16))
    channel_user_id: str = Field(sa_type=String(64))
    role: str = Field(sa_type=String(16))
    area_code: str | None = Field(default=None, sa_type=String(5))
    granted_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    granted_by: str = Field(sa_type=String(90))


class AuditEntry(SQLModel, table=True):
    """Who changed what, and when: roles, schedules, and every other privileged action.

    ``area_code`` is the area the entry belongs to (storage/audit.py, ``area_of``): the
    narrowest of a commune (5 digits), a province (2 digits) or None (the whole country). The
    log is read newest first, by one of the three filters that have an index of their own.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_area_at", "area_code", "at", "id"),
        Index("ix_audit_log_actor_at", "actor", "at", "id"),
        Index("ix_audit_log_action_at", "action", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(sa_type=String(90))  # "telegram:123", "cli"
    action: str = Field(sa_type=String(48))  # "role.grant", "schedule.move", ...
    subject: str = Field(sa_type=String(200), index=True)  # "telegram:456", a point id
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    area_code: str | None = Field(default=None, sa_type=String(5))


class ReminderPlan(SQLModel, table=True):
    """When the reminders of one point, date and kind were last recorded.

    Planning runs every minute while reminders are due; with this mark a repeat only looks at
    subscriptions made since, instead of every subscriber again.
    """

    __tablename__ = "reminder_plans"

    point_id: str = Field(sa_type=String(64), primary_key=True)
    date: dt.date = Field(primary_key=True)
    kind: str = Field(sa_type=String(8), primary_key=True)
    planned_at: dt.datetime = Field(sa_type=UTCDateTime)


# Report tables live in their own module, registered on the same metadata (imported last:
# it builds on the types above).
import storage.report_models  # noqa: E402


class Broadcast(SQLModel, table=True):
    """An official's announcement to an area, from draft to its final report.

    Status: draft -> (awaiting_approval ->) queued | scheduled -> sending -> done; or
    cancelled / rejected before it is done. The recipients are outbox rows keyed
    ``b:{id}:{user}``, written in one INSERT … SELECT when it starts.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_status", "status", "not_before"),
        # The console's list: an area's broadcasts newest first, a page after the last shown.
        Index("ix_broadcasts_area_created", "area_code", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(sa_type=String(90))  # "telegram:123"
    author_language: str = Field(default="vi", sa_type=String(2))
    area_code: str | None = Field(default=None, sa_type=String(5))  # None: whole country
    subscribers_only: bool = Field(default=False)
    urgent: bool = Field(default=False)
    text: str = Field(sa_type=String(4096))
    photo: str | None = Field(default=None, sa_type=String(256))  # the channel's file id
    # Rendered once per language when confirmed: {lang: reply payload}.
    payloads: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="draft", sa_type=String(20))
    not_before: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)  # scheduled
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, sa_type=String(90))
    approved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, sa_type=String(90))
    recipients: int = Field(default=0)
    progress: int = Field(default=0)  # the last progress step reported to the author (%)
    # Counts by status of its outbox rows already pruned (storage/outbox.py, prune).
    pruned_counts: dict[str, int] | None = Field(default=None, sa_type=JSON)


class LinkCode(SQLModel, table=True):
    """A short-lived code shown in one channel and typed in another to link the two."""

    __tablename__ = "link_codes"

    code: str = Field(sa_type=String(16), primary_key=True)
    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)


class ChatChoices(SQLModel, table=True):
    """The numbered choices last shown to a user of a channel without buttons (Zalo).

    Kept in the database, so "2" means the same after a restart or on another replica.
    """

    __tablename__ = "chat_choices"

    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    choices: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboxEvent(SQLModel, table=True):
    """An event taken from a platform that does not send it again (Zalo's getUpdates hands
    each event out once), kept until it is handled: a process killed meanwhile leaves it
    here for the next poller."""

    __tablename__ = "inbox_events"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16), index=True)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# What the report limits keep without identity (storage/report_limits.py).
# The staff console's sign-in links and sessions (storage/console.py).
import storage.console_models  # noqa: E402

# Reminders counted as their outbox rows are pruned, for the dashboard (storage/stats.py).
import storage.delivery_models  # noqa: E402
import storage.limit_models  # noqa: E402

# Questions kept masked for the people who improve the bot (storage/kept_questions.py).
import storage.question_models  # noqa: E402

# Schedule files between the console's preview and their import (storage/schedule_uploads.py).
import storage.upload_models  # noqa: E402

# The Zalo OA message window, and phones kept with consent for ZNS (storage/zalo_oa_contacts.py).
import storage.zalo_oa_contact_models  # noqa: E402

# The Zalo Official Account's OAuth tokens (storage/zalo_oa_tokens.py).
import storage.zalo_oa_models  # noqa: E402, F401
