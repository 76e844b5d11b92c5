"""Schedule files kept between the console's preview and their import: by who uploaded them
and the SHA-256 of their bytes, for a few hours, and never a changed file."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import update

from storage import schedule_uploads
from storage.db import session_factory, transaction
from storage.upload_models import ScheduleUpload

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
DATA = b"point_id,commune_code\n"


async def test_a_file_is_kept_for_its_uploader_by_its_digest(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        digest = await schedule_uploads.keep(session, "telegram:1", "lich.csv", DATA, NOW)
        assert digest == hashlib.sha256(DATA).hexdigest()
        # the same file again is the same upload
        assert await schedule_uploads.keep(session, "telegram:1", "b.csv", DATA, NOW) == digest
    async with transaction(sessions) as session:
        found = await schedule_uploads.kept(session, "telegram:1", digest, NOW)
        assert found is not None and found.data == DATA and found.name == "b.csv"
        assert await schedule_uploads.kept(session, "telegram:2", digest, NOW) is None
        later = NOW + schedule_uploads.KEPT + dt.timedelta(seconds=1)
        assert await schedule_uploads.kept(session, "telegram:1", digest, later) is None


async def test_a_changed_file_is_not_the_one_kept(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        digest = await schedule_uploads.keep(session, "telegram:1", "a.csv", DATA, NOW)
        await session.exec(update(ScheduleUpload).values(data=DATA + b"x"))
    async with transaction(sessions) as session:
        assert await schedule_uploads.kept(session, "telegram:1", digest, NOW) is None
        await schedule_uploads.drop(session, "telegram:1", digest)
        later = NOW + schedule_uploads.KEPT + dt.timedelta(hours=1)
        # an upload clears away the old ones
        await schedule_uploads.keep(session, "telegram:3", "c.csv", b"other", later)
    async with transaction(sessions) as session:
        assert await session.get(ScheduleUpload, ("telegram:1", digest)) is None
