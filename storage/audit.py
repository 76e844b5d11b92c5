"""The audit log: every privileged change, with who made it and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, utcnow

CLI = "cli"


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Write one entry, in the caller's transaction: it is kept exactly when the change is."""
    entry = AuditEntry(
        at=now or utcnow(), actor=actor, action=action, subject=subject, detail=detail or {}
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(
    session: AsyncSession, subject: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries first, all of them or those about one subject."""
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    result = await session.exec(query.limit(limit))
    return list(result)
