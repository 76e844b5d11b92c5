"""bench/console.py plants reports as the moves make them: its figures are only worth something
if the planted history is one the app could have written."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

from bench.console import OUTBOX_DAYS, History, Planted, make_reports, outbox_row, percentile
from handlers.reports.common import REPORTER
from storage import reports

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
COMMUNES = ["21553", "21556", "21559"]


def planted(count: int = 600) -> tuple[Planted, History]:
    plan = Planted(NOW, "52", COMMUNES, users=200)
    channels = {n: ("telegram", str(6_000_000_000 + n), n % 50 == 0) for n in range(1, 201)}
    return plan, make_reports(random.Random(3), count, plan, channels)


def test_each_report_ends_where_its_history_does() -> None:
    _, history = planted()
    rows = {row[0]: row for row in history.reports}
    last_status: dict[int, str] = {}
    for _id, report_id, at, kind, status, _detail in history.events:
        assert at <= NOW
        if kind == "status":
            last_status[report_id] = status
    moves: Counter[str] = Counter()
    first_action: dict[int, dt.datetime] = {}
    for _id, at, actor, action, subject, detail in history.audit:
        report_id = int(subject.split(":")[1])
        moves[action] += 1
        if actor != REPORTER:
            first_action[report_id] = min(at, first_action.get(report_id, at))
        assert at >= rows[report_id][20], "nothing happens before the report is made"
        if action in ("report.create", "report.withdraw", "report.answer"):
            assert actor == REPORTER
        else:
            assert actor.startswith("telegram:")
        assert "to" in json.loads(detail)
    for report_id, row in rows.items():
        status, closed_at, touched_at = row[14], row[22], row[21]
        assert status == last_status[report_id]
        assert (closed_at is not None) == (status in reports.CLOSED)
        assert touched_at >= row[20]
        # kept as change_status keeps it: the first audit entry not the reporter's
        assert row[23] == first_action.get(report_id)
    assert moves["report.create"] == len(rows)
    # the mix: every move happens, and recent reports are still open
    assert {"report.take", "report.ask", "report.answer", "report.forward", "report.resolve",
            "report.reject", "report.withdraw"} <= set(moves)  # fmt: skip
    states = Counter(row[14] for row in rows.values())
    assert set(states) == set(reports.STATES)
    by_age = sorted(rows.values(), key=lambda r: r[20])
    newest, oldest = by_age[-60:], by_age[:300]

    def open_share(found: list[tuple]) -> float:
        return sum(r[14] in reports.OPEN for r in found) / len(found)

    assert open_share(newest) > 2 * open_share(oldest)


def test_codes_are_unique_and_duplicates_point_back() -> None:
    _, history = planted()
    codes = [row[1] for row in history.reports]
    assert len(set(codes)) == len(codes)
    assert all(reports.normalize_code(code) == code for code in codes)
    for row in history.reports:
        if row[18] is not None:
            assert row[18] < row[0]


def test_notices_only_while_the_outbox_keeps_them() -> None:
    _, history = planted()
    assert history.notices
    for key, _channel, _chat, kind, _payload, status, *_rest in history.notices:
        assert key.startswith("report:") and key.endswith(":reporter") and kind == "report"
        assert status in ("sent", "failed", "blocked")
        created = _rest[1]
        assert created >= NOW - dt.timedelta(days=OUTBOX_DAYS)


def test_outbox_rows_as_the_engine_leaves_them() -> None:
    rows = [outbox_row(f"k:{n}", "telegram", "1", "x", "{}", NOW) for n in range(2000)]
    statuses = Counter(row[5] for row in rows)
    assert statuses["sent"] > 1900 and statuses["failed"] and statuses["blocked"]
    for row in rows:
        assert (row[9] is not None) == (row[5] == "sent")  # sent_at only when sent


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 201)]
    assert percentile(values, 50) == 100.0
    assert percentile(values, 95) == 190.0
    assert percentile(values, 99) == 198.0
    assert percentile([7.0], 95) == 7.0
