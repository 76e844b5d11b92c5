"""`vbsp-bot reports export`: reports as CSV for officials' monthly reporting.

One row per report (category, commune, dates, state, what was done), then, after a blank
line, the count by category and commune. Cells a spreadsheet would take for a formula are
neutralised (handlers/core/spreadsheet.py). Nothing that could identify a reporter is written:
no chat id, name, tracking code, handle, nor the reporter's own words.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.places import commune
from handlers.core.spreadsheet import safe_row
from handlers.reports.common import CATEGORIES
from storage import reports
from storage.report_models import Report

COLUMNS = (
    "report",
    "created",
    "category",
    "group",
    "commune_code",
    "commune",
    "province_code",
    "state",
    "last_change",
    "closed",
    "forwarded_to",
    "reason",
    "escalated",
    "danger",
    "evidence_files",
    "duplicate_of",
)
COUNT_COLUMNS = ("category", "commune_code", "commune", "reports")


class ExportError(ValueError):
    """A bad --status or --since; the message says why, in one line."""


def parse_status(text: str | None) -> str | None:
    if text is None:
        return None
    if text not in reports.STATES:
        raise ExportError(f"--status {text!r}: must be one of {', '.join(reports.STATES)}")
    return text


def parse_since(text: str | None, tz: ZoneInfo) -> dt.datetime | None:
    """YYYY-MM-DD, from local midnight."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"--since {text!r}: write the date as YYYY-MM-DD") from None
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _date(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat() if moment else ""


def _commune_name(code: str | None) -> str:
    found = commune(code) if code else None
    return f"{found.name}, {found.province_name}" if found else ""


def export_csv(rows: Sequence[Report], evidence: dict[int, int], tz: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    counted: Counter[tuple[str, str]] = Counter()
    for report in rows:
        counted[(report.category, report.commune_code or "")] += 1
        writer.writerow(
            safe_row(
                (
                    report.id,
                    _date(report.created_at, tz),
                    report.category,
                    CATEGORIES.get(report.category, ""),
                    report.commune_code or "",
                    _commune_name(report.commune_code),
                    report.province_code or "",
                    report.status,
                    _date(report.touched_at, tz),
                    _date(report.closed_at, tz),
                    report.forwarded_to or "",
                    report.reason or "",
                    "yes" if report.escalated else "no",
                    "yes" if report.danger else "no",
                    evidence.get(report.id or 0, 0),
                    report.duplicate_of or "",
                )
            )
        )
    writer.writerow(())
    writer.writerow(COUNT_COLUMNS)
    for (category, code), count in sorted(counted.items()):
        writer.writerow(safe_row((category, code, _commune_name(code), count)))
    return out.getvalue()


async def export(
    session: AsyncSession, status: str | None, since: dt.datetime | None, tz: ZoneInfo
) -> str:
    """The CSV of the reports in ``status`` (any) created since ``since`` (ever)."""
    found = await reports.for_export(session, status, since)
    counts = await reports.file_counts(session, [r.id for r in found if r.id is not None])
    return export_csv(found, counts, tz)
