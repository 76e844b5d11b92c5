"""The officials' transaction-point pages, over HTTP: only one's own area (404 elsewhere, as in
chat), a day moved, cancelled and restored by the same rules as /lichxa with refusals in words,
an import seen before it is applied and applied exactly as seen, and an export that imports
back with no change."""

from __future__ import annotations

import datetime as dt
import html
import re
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select

from handlers.schedules import rules
from handlers.schedules.calendar import regular_date
from handlers.schedules.csv import HEADER, parse_schedule_csv
from storage import audit, schedules, subscriptions, users
from storage.db import transaction
from storage.models import Outbox, ScheduleException
from tests.console.a11y import problems
from tests.console.conftest import Console, ConsoleClient

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "content" / "data" / "schedules" / "sample.csv"
TEMPLATES = ROOT / "bot" / "console" / "templates" / "points"
OFFICIAL = 7780001  # official of Sơn Tịnh (21220, Quảng Ngãi)
PROVINCE_OFFICIAL = 7780002  # official of Quảng Ngãi (51)
MODERATOR = 7780003
TINH_HA = "SAMPLE-21220-TINHHA"  # day 10
TINH_SON = "SAMPLE-21220-TINHSON"  # day 11
TINH_GIANG = "SAMPLE-21220-TINHGIANG"  # day 31
ELSEWHERE = "SAMPLE-00004-QUANTHANH"  # Hà Nội
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


def next_regular(day_of_month: int, after: dt.date | None = None) -> dt.date:
    """The point's next regular date, on or after ``after`` (today)."""
    start = after or today()
    year, month = start.year, start.month
    while True:
        found = regular_date(day_of_month, year, month)
        if found >= start:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def ordinary_day_near(regular: dt.date) -> dt.date:
    """A date two to nine days after ``regular`` that is no holiday."""
    for shift in range(2, 10):
        candidate = regular + dt.timedelta(days=shift)
        if rules.holiday_name(candidate) is None:
            return candidate
    raise AssertionError("no ordinary day")


def checked(page: str) -> str:
    """The page, after the checks every console page passes (tests/console/a11y.py)."""
    assert problems(page) == []
    return page


def text(page: str) -> str:
    """A page's words, without tags."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
async def seeded(console: Console) -> Console:
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(console.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    await console.grant(OFFICIAL, "official", "21220")
    return console


async def official(console: Console, chat: int = OFFICIAL) -> ConsoleClient:
    return await console.client(chat)


async def test_the_points_of_my_area_by_commune_and_nothing_else(seeded: Console) -> None:
    client = await official(seeded)
    status, page, _ = await client.get("/staff/points")
    assert status == 200
    words = text(checked(page))
    assert "Xã Sơn Tịnh" in words and "Tịnh Hà" in words and "Tịnh Giang" in words
    assert "Quán Thánh" not in words and "Mường Phăng" not in words
    # the next day of Tịnh Hà is listed with its date
    assert next_regular(10).strftime("%d/%m/%Y") in words
    status, page, _ = await client.get("/staff/points?commune=21220")
    assert status == 200 and "Tịnh Sơn" in text(page)
    for outside in ("00004", "abcde", "2122", "99999"):
        status, _, _ = await client.get(f"/staff/points?commune={outside}")
        assert status == 404, outside
    # a province's official sees the province's communes; the whole country's everything
    await seeded.grant(PROVINCE_OFFICIAL, "official", "51")
    wide = await official(seeded, PROVINCE_OFFICIAL)
    status, page, _ = await wide.get("/staff/points")
    assert status == 200 and "Tịnh Hà" in page and "Quán Thánh" not in page


async def test_a_moderator_has_no_points_page(seeded: Console) -> None:
    await seeded.grant(MODERATOR, "moderator", "21220")
    client = await seeded.client(MODERATOR)
    for path in ("/staff/points", f"/staff/points/{TINH_HA}", "/staff/points/import"):
        status, _, _ = await client.get(path)
        assert status == 404, path
    status, page, _ = await client.get("/staff/")
    assert "/staff/points" not in page  # not in the header either


async def test_points_outside_the_area_are_404_as_in_chat(seeded: Console) -> None:
    client = await official(seeded)
    for path in (
        f"/staff/points/{ELSEWHERE}",
        "/staff/points/NO-SUCH-POINT",
        f"/staff/points/{TINH_HA}?month=2020-01",  # out of the months shown
        f"/staff/points/{TINH_HA}?month=2026-13",
        f"/staff/points/{TINH_HA}?month=junk",
    ):
        status, _, _ = await client.get(path)
        assert status == 404, path
    regular = next_regular(15)  # Quán Thánh works on the 15th
    status, _, _ = await client.post(
        f"/staff/points/{ELSEWHERE}/day",
        {"regular": regular.isoformat(), "change": "cancel", "reason": "Họp dân"},
    )
    assert status == 404
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert (await session.exec(select(ScheduleException))).all() == []


async def test_a_point_month_marks_days_holidays_and_navigation(seeded: Console) -> None:
    client = await official(seeded)
    status, page, _ = await client.get(f"/staff/points/{TINH_HA}")
    assert status == 200
    words = text(checked(page))
    assert "Tháng sau" in words and "Tháng trước" in words
    assert "Trụ sở UBND xã Tịnh Hà cũ" in words and "07:30-11:00" in words
    # January shows New Year's Day as a holiday
    january = f"{today().year + (1 if today().month > 1 else 0)}-01"
    status, page, _ = await client.get(f"/staff/points/{TINH_HA}?month={january}")
    assert status == 200
    assert "Tết Dương lịch" in text(page) or "Tết" in text(page)
    # in English
    await client.get("/staff/lang/en?next=/staff/points")
    status, page, _ = await client.get(f"/staff/points/{TINH_HA}?month={january}")
    assert status == 200 and "January" in page and "New Year" in text(page)


async def test_move_cancel_and_restore_a_day_with_reasons(seeded: Console) -> None:
    client = await official(seeded)
    regular = next_regular(10)
    new = ordinary_day_near(regular)
    path = f"/staff/points/{TINH_HA}/day"
    status, _, response = await client.post(
        path,
        {
            "regular": regular.isoformat(),
            "change": "move",
            "new_date": new.isoformat(),
            "reason": " Trùng   họp dân ",
        },
    )
    assert status == 303
    assert response.headers["Location"] == f"/staff/points/{TINH_HA}?month={regular:%Y-%m}"
    status, page, _ = await client.get(response.headers["Location"])
    words = text(page)
    assert f"Đã dời buổi ngày {regular:%d/%m/%Y} sang ngày {new:%d/%m/%Y}." in words
    assert "Trùng họp dân" in words and "Đã dời sang" in words
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.effective_date(session, TINH_HA, regular) == new
        [entry] = [e for e in await audit.entries(session) if e.action == "schedule.move"]
        assert entry.actor == f"telegram:{OFFICIAL}" and entry.detail["reason"] == "Trùng họp dân"
    # cancel it instead, then restore it
    status, _, _ = await client.post(
        path, {"regular": regular.isoformat(), "change": "cancel", "reason": "Bão"}
    )
    assert status == 303
    status, _, _ = await client.post(
        path, {"regular": regular.isoformat(), "change": "restore", "reason": "Hết bão"}
    )
    assert status == 303
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.effective_date(session, TINH_HA, regular) == regular
        actions = [e.action for e in await audit.entries(session) if e.subject == TINH_HA]
        assert sorted(actions) == ["schedule.cancel", "schedule.move", "schedule.restore"]


async def test_refusals_are_said_in_words_and_nothing_is_written(seeded: Console) -> None:
    client = await official(seeded)
    regular = next_regular(10)
    path = f"/staff/points/{TINH_HA}/day"
    base = {"regular": regular.isoformat()}
    cases = [
        ({"change": "move", "new_date": "", "reason": "Họp dân"}, "Hãy chọn ngày mới"),
        (
            {"change": "move", "new_date": regular.isoformat(), "reason": "Họp dân"},
            "trùng với ngày thường lệ",
        ),
        (
            {"change": "move", "new_date": "2020-01-02", "reason": "Họp dân"},
            "Ngày mới đã qua",
        ),
        (
            {
                "change": "move",
                "new_date": (regular + dt.timedelta(days=61)).isoformat(),
                "reason": "Họp dân",
            },
            "quá 60 ngày",
        ),
        ({"change": "cancel", "reason": "ab"}, "Lý do cần từ 3 đến 500 ký tự"),
        ({"change": "cancel", "reason": "=HYPERLINK(1)"}, "không được bắt đầu bằng"),
        ({"change": "cancel", "reason": ""}, "Lý do cần từ 3"),
        ({"change": "restore", "reason": "Khôi phục"}, "không có gì để khôi phục"),
        # both problems of one form at once
        ({"change": "move", "new_date": "2020-01-02", "reason": ""}, "Ngày mới đã qua"),
    ]
    for fields, said in cases:
        status, page, _ = await client.post(path, base | fields)
        assert status == 400, fields
        checked(page)
        assert said in text(page), (fields, text(page)[:2000])
        assert "Chưa thay đổi gì" in text(page)
    # a day that is not one of the point's days, or has passed
    status, page, _ = await client.post(
        path, {"regular": (regular + dt.timedelta(days=1)).isoformat(), "change": "cancel",
               "reason": "Họp dân"}
    )  # fmt: skip
    assert status == 400 and "không còn sửa được" in text(page)
    # forged form fields
    for fields in (
        {"regular": "2026-02-30", "change": "cancel", "reason": "Họp"},
        {"regular": regular.isoformat(), "change": "explode", "reason": "Họp"},
        {"change": "cancel"},
    ):
        status, _, _ = await client.post(path, fields)
        assert status == 400, fields
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert (await session.exec(select(ScheduleException))).all() == []


def _holiday_near_a_coming_day() -> tuple[dt.date, dt.date] | None:
    """A coming regular day of Tịnh Hà and a holiday within reach of it, not yet past."""
    for months in range(3):
        start = today().replace(day=1)
        year, month = (
            start.year + (start.month - 1 + months) // 12,
            (start.month - 1 + months) % 12 + 1,
        )
        regular = regular_date(10, year, month)
        if regular < today():
            continue
        for shift in range(-rules.MAX_SHIFT_DAYS, rules.MAX_SHIFT_DAYS + 1):
            day = regular + dt.timedelta(days=shift)
            if day >= today() and shift and rules.holiday_name(day):
                return regular, day
    return None


async def test_a_holiday_is_kept_only_when_ticked(seeded: Console) -> None:
    found = _holiday_near_a_coming_day()
    if found is None:
        pytest.skip("no public holiday within reach of a coming day today")
    regular, holiday = found
    client = await official(seeded)
    fields = {
        "regular": regular.isoformat(),
        "change": "move",
        "new_date": holiday.isoformat(),
        "reason": "Dời theo lịch xã",
    }
    path = f"/staff/points/{TINH_HA}/day"
    status, page, _ = await client.post(path, fields)
    assert status == 400 and "là ngày lễ" in text(page)
    # what was typed is kept in the form
    assert f'value="{holiday.isoformat()}"' in page and "Dời theo lịch xã" in page
    status, _, _ = await client.post(path, fields | {"holiday_ok": "1"})
    assert status == 303
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.effective_date(session, TINH_HA, regular) == holiday


async def test_a_reminded_subscriber_is_told_of_the_move(seeded: Console) -> None:
    regular = next_regular(10)
    async with transaction(seeded.runtime.deps.sessions) as session:
        user = await users.get_or_create_user(
            session, "telegram", "7780099", dt.datetime.now(dt.UTC)
        )
        await subscriptions.subscribe(session, user.id or 0, TINH_HA, dt.datetime.now(dt.UTC))
        session.add(
            Outbox(
                dedup_key=f"rem:{TINH_HA}:{regular.isoformat()}:eve:{user.id}",
                channel="telegram",
                channel_user_id="7780099",
                kind="reminder_eve",
                payload={"text": "x"},
                status="sent",
                sent_at=dt.datetime.now(dt.UTC),
            )
        )
    client = await official(seeded)
    status, _, response = await client.post(
        f"/staff/points/{TINH_HA}/day",
        {"regular": regular.isoformat(), "change": "cancel", "reason": "Mưa lũ"},
    )
    assert status == 303
    _, page, _ = await client.get(response.headers["Location"])
    assert "Đã gửi thông báo cho 1 người" in text(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        [notice] = (
            await session.exec(select(Outbox).where(Outbox.kind == "schedule_change"))
        ).all()
        assert notice.channel_user_id == "7780099"


# --- import and export ---------------------------------------------------------------------------


def upload(data: bytes, name: str = "lich.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="text/csv")
    return form


def _apply_fields(page: str) -> dict[str, str]:
    upload_digest = re.search(r'name="upload" value="([0-9a-f]{64})"', page)
    plan_digest = re.search(r'name="plan" value="([0-9a-f]{64})"', page)
    assert upload_digest and plan_digest, "no apply form"
    return {"upload": upload_digest.group(1), "plan": plan_digest.group(1)}


def _edited(export: str) -> str:
    """Tịnh Hà's hours changed, Tịnh Giang left out, a point added (at line 4)."""
    lines = export.lstrip("\ufeff").splitlines()
    kept = [line for line in lines[1:] if not line.startswith(TINH_GIANG)]
    kept = [
        line.replace(",07:30,11:00,", ",08:00,11:00,") if line.startswith(TINH_HA) else line
        for line in kept
    ]
    kept.append("NEW-21220-1,21220,Điểm Tịnh Bình,Nhà văn hóa thôn 3,12,07:30,11:00,PGD,0255 1")
    return "\n".join([HEADER, *kept]) + "\n"


async def test_the_export_is_my_area_and_imports_back_with_no_change(seeded: Console) -> None:
    client = await official(seeded)
    status, data, response = await client.get_bytes("/staff/points/export.csv")
    assert status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert data.startswith("\ufeff".encode())
    export = data.decode("utf-8-sig")
    assert export.splitlines()[0] == HEADER
    ids = [line.split(",")[0] for line in export.splitlines()[1:]]
    assert ids == [TINH_GIANG, TINH_HA, TINH_SON]
    status, page, _ = await client.post("/staff/points/import", upload(data))
    assert status == 200
    assert "không thay đổi gì" in text(page)
    assert 'name="plan"' not in page  # nothing to apply


async def test_an_import_is_previewed_then_applied_exactly(seeded: Console) -> None:
    client = await official(seeded)
    _, data, _ = await client.get_bytes("/staff/points/export.csv")
    edited = _edited(data.decode("utf-8-sig")).encode()
    async with transaction(seeded.runtime.deps.sessions) as session:
        user = await users.get_or_create_user(
            session, "telegram", "7780098", dt.datetime.now(dt.UTC)
        )
        await subscriptions.subscribe(session, user.id or 0, TINH_GIANG, dt.datetime.now(dt.UTC))
    status, page, _ = await client.post("/staff/points/import", upload(edited, "son-tinh.csv"))
    assert status == 200, text(page)
    words = text(checked(page))
    assert "Xem trước: son-tinh.csv" in words
    assert "Thêm 1, sửa 1, xóa 1, giữ nguyên 1." in words
    assert "NEW-21220-1" in words and "Điểm Tịnh Bình" in words
    assert re.search(r"4\s+NEW-21220-1", words)  # the line it is on
    assert re.search(r"2\s+SAMPLE-21220-TINHHA .* Giờ bắt đầu 07:30 08:00", words)
    assert TINH_GIANG in words and "1 người đăng ký nhắc lịch" in words
    assert "Mỗi người sẽ nhận một tin báo" in words  # the subscribers will be told
    fields = _apply_fields(page)
    # nothing is written by the preview
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.get_point(session, "NEW-21220-1") is None
    # a plan that is not the one shown is not applied
    status, page, _ = await client.post("/staff/points/import/apply", fields | {"plan": "0" * 64})
    assert status == 409 and "đã thay đổi kể từ lúc xem trước" in text(page)
    # another upload's digest (or a changed file) is not kept
    status, _, _ = await client.post("/staff/points/import/apply", fields | {"upload": "1" * 64})
    assert status == 410
    status, _, response = await client.post("/staff/points/import/apply", fields)
    assert status == 303 and response.headers["Location"] == "/staff/points"
    _, page, _ = await client.get("/staff/points")
    assert "Đã nhập son-tinh.csv: thêm 1, sửa 1, xóa 1, giữ nguyên 1." in text(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.get_point(session, TINH_GIANG) is None
        added = await schedules.get_point(session, "NEW-21220-1")
        assert added is not None and added.name == "Điểm Tịnh Bình"
        changed = await schedules.get_point(session, TINH_HA)
        assert changed is not None and changed.start_time == dt.time(8, 0)
        assert await schedules.get_point(session, ELSEWHERE) is not None
        [entry] = [e for e in await audit.entries(session) if e.action == "schedule.import"]
        assert entry.actor == f"telegram:{OFFICIAL}" and entry.detail["notified"] == 1
        # the subscriber of Tịnh Giang is told, with the other points to subscribe to
        [told] = list(await session.exec(select(Outbox).where(Outbox.kind == "point_removed")))
        assert told.channel_user_id == "7780098"
        assert "Tịnh Giang" in told.payload["text"] and "Điểm Tịnh Bình" in told.payload["text"]
    # applied once: the kept file is gone
    status, page, _ = await client.post("/staff/points/import/apply", fields)
    assert status == 410 and "Tệp đã tải lên không còn" in text(page)


async def test_a_schedule_changed_since_the_preview_is_shown_again(seeded: Console) -> None:
    client = await official(seeded)
    _, data, _ = await client.get_bytes("/staff/points/export.csv")
    edited = _edited(data.decode("utf-8-sig")).encode()
    _, page, _ = await client.post("/staff/points/import", upload(edited))
    fields = _apply_fields(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        point = await schedules.get_point(session, TINH_SON)
        assert point is not None
        point.day_of_month = 12  # another official changed it meanwhile
        session.add(point)
    status, page, _ = await client.post("/staff/points/import/apply", fields)
    assert status == 409 and "Thêm 1, sửa 2, xóa 1" in text(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.get_point(session, "NEW-21220-1") is None
    status, _, _ = await client.post("/staff/points/import/apply", _apply_fields(page))
    assert status == 303


async def test_a_file_with_problems_lists_them_by_line(seeded: Console) -> None:
    client = await official(seeded)
    bad = (
        f"{HEADER}\n"
        "A-1,21220,Điểm A,Thôn 1 xã Sơn Tịnh,32,07:30,11:00,PGD,0255 1\n"
        "A-2,00004,Điểm B,Phường Ba Đình Hà Nội,10,07:30,11:00,PGD,024 1\n"
    ).encode()
    status, page, _ = await client.post("/staff/points/import", upload(bad, "sai.csv"))
    assert status == 400
    words = text(checked(page))
    assert "Tệp sai.csv có 1 lỗi" in words
    assert "dòng 2, day_of_month: phải là số nguyên từ 1 đến 31, nhưng là «32»." in words
    # only once the file reads: rows outside the area, in the page's words
    outside = (
        f"{HEADER}\n"
        "A-2,00004,Điểm B,Phường Ba Đình Hà Nội,10,07:30,11:00,PGD,024 1\n"
        f"{ELSEWHERE},21220,Điểm C,Thôn 2 xã Sơn Tịnh,10,07:30,11:00,PGD,0255 1\n"
    ).encode()
    status, page, _ = await client.post("/staff/points/import", upload(outside))
    assert status == 400
    words = text(page)
    assert "dòng 2, commune_code: xã, phường 00004 nằm ngoài khu vực của bạn." in words
    assert f"dòng 3, point_id: {ELSEWHERE} là điểm giao dịch của một xã ngoài" in words
    for form in (upload(b"", "empty.csv"), aiohttp.FormData({"x": "1"})):
        status, page, _ = await client.post("/staff/points/import", form)
        assert status == 400 and "Hãy chọn một tệp CSV" in text(page)
    status, page, _ = await client.post("/staff/points/import", upload(b"\xff\xfe,x\n"))
    assert status == 400 and "dòng 1, tệp: tệp không phải UTF-8 (byte 0xff)" in text(page)
    # every problem a file can have is said in both languages
    await client.get("/staff/lang/en?next=/staff/points")
    status, page, _ = await client.post("/staff/points/import", upload(bad, "bad.csv"))
    assert "line 2, day_of_month: must be a whole number from 1 to 31, got “32”." in text(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.get_point(session, "A-1") is None


async def test_forms_without_their_token_are_refused(seeded: Console) -> None:
    client = await official(seeded)
    regular = next_regular(10)
    status, _, _ = await client.post(
        f"/staff/points/{TINH_HA}/day",
        {"regular": regular.isoformat(), "change": "cancel", "reason": "Bão"},
        csrf=False,
    )
    assert status == 403
    status, _, _ = await client.post("/staff/points/import", upload(b"x"), csrf=False)
    assert status == 403


def test_every_file_problem_has_its_words(content) -> None:  # type: ignore[no-untyped-def]
    from content.models import format_fields
    from handlers.schedules.csv import ENGLISH

    for code, english in ENGLISH.items():
        message = content.messages[f"console.points.csv_{code}"]
        names = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        assert format_fields(message.vi) == names, code


def test_every_text_the_templates_use_exists(content) -> None:  # type: ignore[no-untyped-def]
    keys = set()
    for path in TEMPLATES.glob("*.html"):
        keys |= set(re.findall(r"(?<![\w.])t\('([a-z0-9_.]+)'", path.read_text()))
    assert len(keys) > 40
    # "console.points.edit_" ~ field: a beginning some keys must have
    missing = [
        k
        for k in keys
        if not (
            k in content.messages
            or (k.endswith("_") and any(m.startswith(k) for m in content.messages))
        )
    ]
    assert not missing
    for field in ("day", "hours", "address"):
        assert f"console.points.edit_{field}" in content.messages
    # the keys built from numbers
    for number in range(7):
        assert f"console.points.weekday_{number}" in content.messages
        assert f"console.points.weekday_name_{number}" in content.messages
    for number in range(1, 13):
        assert f"console.points.month_{number}" in content.messages


async def test_a_wide_area_picks_a_commune_first(seeded: Console) -> None:
    from content.places import communes_of_province
    from handlers.schedules.csv import PointRow

    many = [
        PointRow(
            f"BULK-{code}-{n:03d}", code, f"Điểm {code} số {n}", f"Thôn {n}, xã mẫu {code}",
            1 + n % 28, dt.time(7, 30), dt.time(11, 0), "PGD mẫu", "0255 0000 999",
        ).to_point()
        for code in ("03325", "08494")
        for n in range(80)
    ]  # fmt: skip
    async with transaction(seeded.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, many)
    await seeded.grant(PROVINCE_OFFICIAL, "admin")  # the whole country, every role
    client = await official(seeded, PROVINCE_OFFICIAL)
    status, page, _ = await client.get("/staff/points")
    assert status == 200
    words = text(checked(page))
    assert "Hãy chọn một xã, phường" in words and "BULK-03325-000" not in page
    assert "Xã Mường Phăng (Điện Biên) 82" in words  # the sample has two more there
    status, page, _ = await client.get("/staff/points?commune=03325")
    assert status == 200 and "Điểm 03325 số 79" in page and "BULK-08494" not in page
    # a commune of the area without points says so
    empty = next(c.code for c in communes_of_province(51) if c.code != "21220")
    await seeded.grant(PROVINCE_OFFICIAL + 10, "official", "51")
    province = await official(seeded, PROVINCE_OFFICIAL + 10)
    status, page, _ = await province.get(f"/staff/points?commune={empty}")
    assert status == 200 and "chưa có điểm giao dịch nào" in text(page)


async def test_the_point_own_values_are_edited_as_in_chat(seeded: Console) -> None:
    client = await official(seeded)
    path = f"/staff/points/{TINH_HA}/edit"
    cases = [
        ({"field": "hours", "value": "7h30 - 10h"}, "Không đọc được giờ này"),
        ({"field": "hours", "value": "07:30-11:00"}, "giống hệt hiện tại"),
        ({"field": "day", "value": "32"}, "từ 1 đến 31"),
        ({"field": "address", "value": "=HYPERLINK(1)"}, "không được bắt đầu bằng"),
        ({"field": "address", "value": "ab"}, "Địa chỉ cần từ 5 đến 300 ký tự"),
    ]
    for fields, said in cases:
        status, page, _ = await client.post(path, fields)
        assert status == 400, fields
        assert said in text(checked(page)), fields
    status, _, _ = await client.post(path, {"field": "office", "value": "x"})
    assert status == 400
    status, _, _ = await client.post(
        f"/staff/points/{ELSEWHERE}/edit", {"field": "hours", "value": "08:00-11:00"}
    )
    assert status == 404
    status, _, response = await client.post(path, {"field": "hours", "value": "7h30 - 10h30"})
    assert status == 303
    _, page, _ = await client.get(response.headers["Location"])
    assert "Đã đổi giờ giao dịch của Điểm giao dịch Tịnh Hà (dữ liệu mẫu) thành 07:30-10:30." in (
        text(page)
    )
    status, _, _ = await client.post(path, {"field": "day", "value": "12"})
    assert status == 303
    async with transaction(seeded.runtime.deps.sessions) as session:
        point = await schedules.get_point(session, TINH_HA)
        assert point is not None and point.end_time == dt.time(10, 30) and point.day_of_month == 12
        actions = sorted(e.action for e in await audit.entries(session) if e.subject == TINH_HA)
        assert actions == ["point.day", "point.hours"]
        other = await schedules.get_point(session, ELSEWHERE)
        assert other is not None and other.start_time == dt.time(8, 0)


def test_the_style_sheet_closes_every_block() -> None:
    """A merge that drops a closing brace silently unstyles every section after it."""
    sheet = (ROOT / "bot" / "console" / "static" / "console.css").read_text()
    depth = 0
    for char in re.sub(r"/\*.*?\*/", "", sheet, flags=re.S):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert ".points-actions" in sheet


async def test_the_area_is_checked_again_when_a_preview_is_applied(seeded: Console) -> None:
    from content.places import communes_of_province
    from storage import roles as role_rows

    other = next(c.code for c in communes_of_province(51) if c.code != "21220")
    await seeded.grant(OFFICIAL, "official", "51")  # besides 21220
    client = await official(seeded)
    row = f"NEW-{other}-1,{other},Điểm mới,Nhà văn hóa thôn 1 của xã,5,07:30,11:00,PGD,0255 1"
    _, page, _ = await client.post("/staff/points/import", upload(f"{HEADER}\n{row}\n".encode()))
    fields = _apply_fields(page)
    # dropped: nothing kept, nothing to apply
    status, _, response = await client.post("/staff/points/import/drop", fields)
    assert status == 303 and response.headers["Location"] == "/staff/points/import"
    status, _, _ = await client.post("/staff/points/import/apply", fields)
    assert status == 410
    _, page, _ = await client.post("/staff/points/import", upload(f"{HEADER}\n{row}\n".encode()))
    fields = _apply_fields(page)
    # The grant's row goes (a revoke through roles.revoke_role would also end the session):
    # the page asks the roles again, and the plan now has a row outside the area.
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await role_rows.revoke(session, "telegram", str(OFFICIAL), "official", "51")
    status, page, _ = await client.post("/staff/points/import/apply", fields)
    assert status == 409
    assert f"dòng 2, commune_code: xã, phường {other} nằm ngoài khu vực của bạn." in text(page)
    async with transaction(seeded.runtime.deps.sessions) as session:
        assert await schedules.get_point(session, f"NEW-{other}-1") is None
