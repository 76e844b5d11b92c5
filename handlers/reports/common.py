"""What the report flow (citizens) and the moderation queue share: the categories, who a
report is routed to, the words for each state, state changes with their audit entry, and the
messages relayed through the outbox.

The routing rule: a report is seen by moderators of its commune, of its province, and of the
whole country; a report of misconduct by people of the commune apparatus (group leader,
association officer, commune officer, bank staff, or unknown) is *escalated*: moderators whose
area is only that commune never see it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import commune, province_of
from handlers.core.formatting import safe_text
from handlers.core.types import Button, Reply
from handlers.reports.moderation_actions import OpenReport
from storage import audit, outbox, reports, users
from storage import roles as role_store
from storage.report_models import Report, ReportEvent

# Category -> its group. Black credit first, then misconduct, as the menu shows them.
CATEGORIES: dict[str, str] = {
    "usury": "blackcredit",
    "app": "blackcredit",
    "threats": "blackcredit",
    "leaflets": "blackcredit",
    "vay_ke": "misconduct",
    "keeps_repayment": "misconduct",
    "collects_principal": "misconduct",
    "fees": "misconduct",
    "other": "misconduct",
}
# Who did it, for misconduct. Everyone but "other_person" belongs to (or may belong to) the
# commune apparatus, so the report goes to the province.
ACCUSED = ("leader", "association", "commune", "bank", "other_person", "unknown")
OUTSIDE_APPARATUS = frozenset({"other_person"})
FORWARD_TARGETS = ("police", "office", "association")
REJECT_REASONS = ("spam", "duplicate", "not_actionable")
WHEN_KEYS = ("today", "week", "month", "earlier")

# An open report nobody has touched this long is marked in the queue (chat and console).
STALE_AFTER = dt.timedelta(days=3)
# Who did a reporter's own action, in the audit log: never the person.
REPORTER = "reporter"
OUTBOX_KIND = "report"


def is_misconduct(category: str) -> bool:
    return CATEGORIES.get(category) == "misconduct"


def escalated(category: str, accused: str | None) -> bool:
    return is_misconduct(category) and (accused or "unknown") not in OUTSIDE_APPARATUS


def province_code(commune_code: str | None) -> str | None:
    province = province_of(commune_code)
    return f"{province:02d}" if province is not None else None


def visible_to(area: str | None, report: Report) -> bool:
    """The routing rule for one area (the same as ``storage.reports.area_clause``)."""
    if area is None:
        return True
    if len(area) == 2:
        return report.province_code == area
    return report.commune_code == area and not report.escalated


def untouched_days(report: Report, now: dt.datetime) -> int | None:
    """Days since an open report was last touched, once that is :data:`STALE_AFTER` or more
    (the queue's mark); None for a report touched lately or closed."""
    if report.status in reports.OPEN and now - report.touched_at >= STALE_AFTER:
        return (now - report.touched_at).days
    return None


# --- words -----------------------------------------------------------------------------------


def category_label(content: Content, category: str, lang: str) -> str:
    return content.text(f"report.cat.{category}", lang)


def place_label(
    content: Content, report: Report | None, lang: str, data: dict | None = None
) -> str:
    """The commune with its province, what was typed, or 'not given' (raw: ``text`` escapes)."""
    code = report.commune_code if report else (data or {}).get("commune")
    typed = report.place_text if report else (data or {}).get("place_text")
    found = commune(code) if code else None
    if found is not None:
        return f"{found.name} ({found.province_name})"
    if typed:
        return str(typed)
    return content.text("report.not_given", lang)


def when_label(content: Content, happened: str | None, lang: str) -> str:
    """Stored as ':today' for a button's answer, or as typed (raw: ``text`` escapes)."""
    if not happened:
        return content.text("report.not_given", lang)
    if happened.startswith(":") and happened[1:] in WHEN_KEYS:
        return content.text(f"report.when.{happened[1:]}", lang)
    return happened


def state_label(content: Content, status: str, lang: str) -> str:
    """The state in plain words for citizens."""
    return content.text(f"report.state.{status}", lang)


def short_date(moment: dt.datetime, tz: Any, lang: str) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%d/%m/%Y") if lang == "vi" else local.strftime("%d %b %Y")


# --- changes ---------------------------------------------------------------------------------


async def change_status(
    session: AsyncSession,
    report: Report,
    to: str,
    actor: str,
    action: str,
    now: dt.datetime,
    *,
    note: str | None = None,
    public_detail: str | None = None,
    **fields: Any,
) -> ReportEvent:
    """Move a report to ``to``: the report, its history and the audit log (who, when, from,
    to, note) in the caller's transaction. Every move, a moderator's or the reporter's, comes
    through here; a moderator's first sets the report's ``first_action_at``."""
    before = report.status
    changes: dict[str, Any] = {"status": to, **fields}
    if to in reports.CLOSED:
        changes["closed_at"] = now
    if actor != REPORTER and report.first_action_at is None:
        # The dashboard's time to first action (storage/stats.py): the moderator's first move
        # as the audit log below has it, kept once (the report is read locked).
        changes["first_action_at"] = now
    await reports.touch(session, report, now, **changes)
    event = await reports.add_event(
        session, report.id or 0, "status", now, status=to, detail=public_detail
    )
    detail: dict[str, Any] = {"from": before, "to": to}
    if note:
        detail["note"] = note
    detail.update({k: v for k, v in fields.items() if k in ("forwarded_to", "reason")})
    await audit.record(session, actor, action, f"report:{report.id}", detail, now)
    return event


async def notify_reporter(
    session: AsyncSession,
    content: Content,
    report: Report,
    key: str,
    event_id: int,
    now: dt.datetime,
    buttons: tuple[tuple[str, str], ...] = (),
    labels: dict[str, str] | None = None,
    **values: Any,
) -> bool:
    """Queue a message to the reporter in their language; False when nobody can be reached
    (they deleted their data, or blocked the bot). Sent by the outbox, once per event.

    ``buttons`` are (message key of the label, action); ``labels`` fill the {fields} of
    message texts in the reporter's language."""
    user = await reports.reporter_of(session, report)
    if user is None or user.blocked:
        return False
    lang = user.language or "vi"
    rows = tuple((Button(content.text(label, lang), action),) for label, action in buttons)
    words = {name: content.text(k, lang) for name, k in (labels or {}).items()}
    message = safe_text(content, key, lang, code=report.code, **words, **values)
    payload = Reply(message, rows).to_payload()
    return await outbox.enqueue_one(
        session,
        f"report:{report.id}:ev{event_id}:reporter",
        user.channel,
        user.channel_user_id,
        OUTBOX_KIND,
        payload,
        now,
    )


async def notify_person(
    session: AsyncSession,
    content: Content,
    who: str,
    dedup_key: str,
    key: str,
    now: dt.datetime,
    buttons: tuple[tuple[str, str], ...] = (),
    **values: Any,
) -> bool:
    """Queue a message to a moderator ('telegram:123') in their language."""
    channel, _, user_id = who.partition(":")
    if not user_id:
        return False
    user = await users.find_user(session, channel, user_id)
    if user is not None and user.blocked:
        return False
    lang = (user.language if user else None) or "vi"
    rows = tuple((Button(content.text(label, lang), action),) for label, action in buttons)
    payload = Reply(safe_text(content, key, lang, **values), rows).to_payload()
    return await outbox.enqueue_one(session, dedup_key, channel, user_id, OUTBOX_KIND, payload, now)


async def handling_moderator(session: AsyncSession, report: Report) -> str | None:
    """The moderator who took the report, if they still hold a role that sees it: a moderator
    whose role was revoked or moved hears nothing more from its reporter."""
    channel, _, user_id = (report.taken_by or "").partition(":")
    if not user_id:
        return None
    for grant in await role_store.roles_of(session, channel, user_id):
        if grant.role == "moderator" and visible_to(grant.area_code, report):
            return report.taken_by
    return None


async def alert_moderators(
    session: AsyncSession, content: Content, report: Report, now: dt.datetime
) -> int:
    """Someone is in danger now, the reporter said: every moderator who sees the report is
    told at once, not in tomorrow's digest. Nothing about the reporter is in the alert."""
    seen_by: set[str] = set()
    for grant in await role_store.list_roles(session):
        if grant.role == "moderator" and visible_to(grant.area_code, report):
            seen_by.add(f"{grant.channel}:{grant.channel_user_id}")
    alerted = 0
    for who in sorted(seen_by):
        if await notify_person(
            session,
            content,
            who,
            f"report-danger:{report.id}:{who}",
            "moderation.danger_alert",
            now,
            buttons=(("moderation.button.open", OpenReport(report=report.id or 0).pack()),),
            id=report.id,
        ):
            alerted += 1
    return alerted
