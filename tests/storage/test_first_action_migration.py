"""Migration 0022 gives the reports acted on before it the time of their first moderator
action from the audit log: the first entry on the report whose actor is not the reporter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, text

from storage import reports
from storage.db import session_factory, transaction, upgrade
from storage.models import UTCDateTime
from tests.storage.test_audit import _before
from tests.storage.test_stats import HANOI, SON_TINH, local, report


async def test_the_migration_keeps_each_reports_first_moderator_action(engine):
    from alembic import command

    from storage.db import alembic_config

    def migrate(connection, to: str) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, to)

    async with transaction(session_factory(engine)) as s:
        made = [await reports.create(s, report(n, SON_TINH, local(3))) for n in range(1, 6)]
        made.append(await reports.create(s, report(6, HANOI, local(4))))
        ids = [r.id for r in made]
    insert = text(
        "INSERT INTO audit_log (at, actor, action, subject, detail) "
        "VALUES (:at, :actor, :action, :subject, '{}')"
    ).bindparams(bindparam("at", type_=UTCDateTime()))  # stored as the app stores times
    async with engine.begin() as conn:
        await conn.run_sync(migrate, _before("0022"))
        hour = dt.timedelta(hours=1)
        rows = [
            # 1: taken, then asked: the take is the first
            (ids[0], "reporter", "report.create", local(3)),
            (ids[0], "telegram:7", "report.take", local(3) + 2 * hour),
            (ids[0], "telegram:8", "report.ask", local(3) + 5 * hour),
            # 2: written out of order: the earliest moderator entry, not the first row
            (ids[1], "telegram:8", "report.resolve", local(3) + 9 * hour),
            (ids[1], "telegram:7", "report.take", local(3) + 3 * hour),
            # 3: the reporter withdrew it before anyone acted: none
            (ids[2], "reporter", "report.create", local(3)),
            (ids[2], "reporter", "report.withdraw", local(3) + hour),
            # 4: the reporter answered first, then a moderator moved it
            (ids[3], "reporter", "report.answer", local(3) + hour),
            (ids[3], "telegram:9", "report.forward", local(3) + 4 * hour),
            # 5: nothing in the log; 6: acted on in Hanoi by an admin from the command line
            (ids[5], "cli", "report.reject", local(4) + 7 * hour),
            # entries about other things, and subjects that only look like a report's
            (None, "telegram:7", "role.grant", local(3)),
            (None, "telegram:7", "report.take", local(3)),
        ]
        for report_id, actor, action, at in rows:
            subject = f"report:{report_id}" if report_id else f"report:{ids[0]}:x"
            if action == "role.grant":
                subject = "telegram:5"
            values = {"at": at, "actor": actor, "action": action, "subject": subject}
            await conn.execute(insert, values)
    await upgrade(engine)
    async with transaction(session_factory(engine)) as s:
        found = {r.id: r.first_action_at for r in [await reports.get(s, i) for i in ids] if r}
    assert found == {
        ids[0]: local(3, 11),
        ids[1]: local(3, 12),
        ids[2]: None,
        ids[3]: local(3, 13),
        ids[4]: None,
        ids[5]: local(4, 16),
    }
