"""The moderators' pages over HTTP (no browser): the queue's filters, counts, marks, search and
pages; a report page with its evidence and no identity; each move with the reporter told in
chat; the form checks; the form token; and a 404 for whatever lies outside one's areas."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
from PIL import Image

from handlers.core.types import Attachment
from handlers.reports import evidence
from storage import audit, reports, users
from storage.db import transaction
from storage.report_models import Report
from tests.console.a11y import problems
from tests.console.conftest import Console, ConsoleClient
from tests.handlers.evidence_samples import jpeg_with_gps

MOD_PROVINCE, MOD_COMMUNE, MOD_HANOI, OFFICIAL = 7781001, 7781002, 7781003, 7781004
REPORTER = 7781100
REPORTER_NAME = "Nguyễn Thị Tố"
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"
PROVINCE = {SON_TINH: "51", OTHER_QN: "51", HANOI: "01"}
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROW = re.compile(r'<a href="/staff/reports/(\d+)">')


async def _reporter(console: Console, chat: int = REPORTER) -> int:
    """A citizen who started the bot in chat, under their real name."""
    await console.onboard(chat)
    async with transaction(console.runtime.deps.sessions) as session:
        user = await users.find_user(session, "telegram", str(chat))
        assert user is not None
        user.display_name = REPORTER_NAME
        session.add(user)
        return user.id or 0


async def _report(
    console: Console,
    commune: str = SON_TINH,
    days_ago: float = 0,
    reporter: int | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
    **extra: Any,
) -> Report:
    """A report as the intake stores it, ``days_ago`` days old and untouched since."""
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    fields: dict[str, Any] = {
        "code": "",
        "handle": "",
        "reporter_id": reporter,
        "category": "usury",
        "commune_code": commune,
        "province_code": PROVINCE[commune],
        "description": "Một người cho vay 5 triệu, lãi 3 nghìn mỗi ngày, dọa đến nhà.",
        "contact_ok": True,
        "consent_at": at,
        "created_at": at,
        "touched_at": at,
    }
    fields.update(extra)
    # Evidence is a draft of its sender until the report is sent (then the report's).
    owner = reporter or await _reporter(console, REPORTER + 99)
    async with transaction(console.runtime.deps.sessions) as session:
        report = await reports.create(session, Report(**fields))
        await audit.record(
            session, "reporter", "report.create", f"report:{report.id}", {"to": "new"}, at
        )
        ids = [
            await reports.add_draft_file(session, owner, kind, mime, name, data, at)
            for kind, mime, name, data in _files(files)
        ]
        await reports.attach_files(session, report.id or 0, owner, ids)
        return report


def _files(files: tuple[tuple[str, str, bytes], ...]) -> list[tuple[str, str, str, bytes]]:
    """Named as the intake names them: bang-chung-1.jpg, bang-chung-2.pdf."""
    return [
        (kind, mime, f"bang-chung-{i}.{evidence.DOCUMENT_TYPES[mime]}", data)
        for i, (kind, mime, data) in enumerate(files, start=1)
    ]


def _attachment(kind: str) -> Attachment:
    return Attachment(kind=kind, file_id="x")


def _photo() -> bytes:
    """A phone's photo with its GPS position, cleaned as the intake cleans it."""
    return evidence.clean(jpeg_with_gps(), _attachment("photo")).data


def _pdf(pages: int = 2) -> bytes:
    """A PDF of ``pages`` pages, cleaned as the intake cleans it."""
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(300, 400)
    out = io.BytesIO()
    document.save(out)
    return evidence.clean(out.getvalue(), _attachment("document")).data


def _ids(page: str) -> list[int]:
    return [int(i) for i in ROW.findall(page)]


def _text(page: str) -> str:
    """The page's words, as a person reads them."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def _deliver(console: Console) -> None:
    await console.runtime.sender.run_once()


# --- the queue -----------------------------------------------------------------------------------


async def test_the_queue_filters_counts_marks_and_searches_inside_the_areas(console: Console):
    await console.grant(MOD_COMMUNE, "moderator", SON_TINH)
    await console.grant(MOD_PROVINCE, "moderator", "51")
    old = await _report(console, days_ago=10)
    fresh = await _report(console, days_ago=0.1, category="app")
    other = await _report(console, OTHER_QN, days_ago=1)
    escalated = await _report(console, days_ago=2, category="fees", escalated=True)
    closed = await _report(console, days_ago=5, status="resolved")
    hanoi = await _report(console, HANOI, days_ago=1)
    twin = await _report(console, days_ago=0.5, duplicate_of=old.id)

    province = await console.client(MOD_PROVINCE)
    status, page, _ = await province.get("/staff/reports")
    assert status == 200
    assert _ids(page) == [old.id, escalated.id, other.id, twin.id, fresh.id]  # oldest first
    words = _text(page)
    assert "Báo cáo 1–5 trong 5" in words
    assert "⏰ 10 ngày chưa xử lý" in words  # the 3-day mark, on the old one only
    assert words.count("ngày chưa xử lý") == 1
    assert f"Có thể trùng #{old.id}" in words and f"#{twin.id} có thể trùng báo cáo này" in words
    assert re.search(r"Mới\s*<span class=\"rq-count\">5</span>", page)
    assert re.search(r"Đã đóng\s*<span class=\"rq-count\">1</span>", page)

    _, page, _ = await province.get("/staff/reports?kind=app")
    assert _ids(page) == [fresh.id]
    _, page, _ = await province.get(f"/staff/reports?commune={OTHER_QN}")
    assert _ids(page) == [other.id]
    _, page, _ = await province.get("/staff/reports?age=untouched")
    assert _ids(page) == [old.id]
    _, page, _ = await province.get("/staff/reports?age=week")
    assert _ids(page) == [old.id]
    _, page, _ = await province.get("/staff/reports?state=closed")
    assert _ids(page) == [closed.id]
    _, page, _ = await province.get("/staff/reports?state=new&kind=usury&commune=21220")
    assert _ids(page) == [old.id, twin.id]

    # Search by tracking code: found whatever its state, typed as people type it.
    typed = f" {closed.code[:4].lower()}-{closed.code[4:]} "
    _, page, _ = await province.get(f"/staff/reports?q={typed}")
    assert _ids(page) == [closed.id]
    _, page, _ = await province.get(f"/staff/reports?q={hanoi.code}")  # another province
    assert _ids(page) == [] and "Không tìm thấy báo cáo nào có mã này" in _text(page)

    commune = await console.client(MOD_COMMUNE)
    _, page, _ = await commune.get("/staff/reports")
    assert escalated.id not in _ids(page) and other.id not in _ids(page)
    _, page, _ = await commune.get(f"/staff/reports?q={escalated.code}")
    assert _ids(page) == []  # misconduct kept from the commune, even by its code


async def test_the_queue_says_kindly_what_it_cannot_read(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    await _report(console)
    province = await console.client(MOD_PROVINCE)
    status, page, _ = await province.get(
        "/staff/reports?state=lost&kind=cats&commune=99999&age=ancient&q=K7QX"
    )
    assert status == 200
    words = _text(page)
    for message in (
        "Trạng thái này không có trong danh sách",
        "Loại báo cáo này không có trong danh sách",
        "Không tìm thấy xã, phường có mã này",
        "Mốc thời gian này không có trong danh sách",
        "Mã tra cứu gồm 8 chữ và số",
    ):
        assert message in words, message
    assert len(_ids(page)) == 1  # the rest of the queue still shows
    assert 'aria-invalid="true"' in page
    await province.get("/staff/lang/en?next=/staff/reports")
    _, page, _ = await province.get("/staff/reports?q=K7QX")
    assert "A tracking code is 8 letters and digits long" in _text(page)


async def test_pages_follow_each_other_at_twenty_a_page(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    made = [await _report(console, days_ago=30 - i * 0.5) for i in range(45)]
    province = await console.client(MOD_PROVINCE)
    _, first, _ = await province.get("/staff/reports")
    assert _ids(first) == [r.id for r in made[:20]]
    assert "Báo cáo 1–20 trong 45" in _text(first) and 'rel="prev"' not in first
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following
    _, second, _ = await province.get(html.unescape(following.group(1)))
    assert _ids(second) == [r.id for r in made[20:40]]
    assert "Báo cáo 21–40 trong 45" in _text(second)
    following = re.search(r'href="([^"]+)" rel="next"', second)
    assert following
    _, third, _ = await province.get(html.unescape(following.group(1)))
    assert _ids(third) == [r.id for r in made[40:]] and 'rel="next"' not in third
    back = re.search(r'href="([^"]+)" rel="prev"', third)
    assert back
    _, again, _ = await province.get(html.unescape(back.group(1)))
    assert _ids(again) == _ids(second)
    # A page cursor outside the areas, or gone, just starts again.
    for cursor in ("after=999999", "before=99999999999999999999", "after=-1"):
        _, page, _ = await province.get(f"/staff/reports?{cursor}")
        assert _ids(page) == _ids(first)


async def test_only_moderators_have_the_queue(console: Console):
    await console.grant(OFFICIAL, "official", "51")
    official = await console.client(OFFICIAL)
    report = await _report(console)
    for path in ("/staff/reports", f"/staff/reports/{report.id}"):
        status, _, _ = await official.get(path)
        assert status == 404
    home = await _home(official)
    assert 'href="/staff/reports"' not in home
    await console.grant(MOD_PROVINCE, "moderator", "51")
    moderator = await console.client(MOD_PROVINCE)
    home = await _home(moderator)
    assert 'href="/staff/reports"' in home


async def _home(client: ConsoleClient) -> str:
    """The first page after signing in (the console's home may send on to another)."""
    status, page, response = await client.get("/staff/")
    if status == 303:
        status, page, _ = await client.get(response.headers["Location"])
    assert status == 200
    return page


# --- one report ----------------------------------------------------------------------------------


async def test_a_report_page_shows_the_story_and_evidence_but_never_who(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    reporter = await _reporter(console)
    photo, pdf = _photo(), _pdf(2)
    story = 'Họ nói "<script>alert(1)</script>" và <img src=x onerror=alert(2)> rồi bỏ đi.'
    report = await _report(
        console,
        reporter=reporter,
        description=story,
        files=(("photo", "image/jpeg", photo), ("document", "application/pdf", pdf)),
    )
    province = await console.client(MOD_PROVINCE)
    status, page, _ = await province.get(f"/staff/reports/{report.id}")
    assert status == 200
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert story in _text(page)  # shown as the words it is
    assert report.handle in page
    for identity in (REPORTER_NAME, str(REPORTER), report.code, f"users/{reporter}"):
        assert identity not in page, identity
    files = await _file_ids(console, report.id or 0)
    assert f'src="/staff/reports/{report.id}/files/{files[0]}"' in page
    assert f'src="/staff/reports/{report.id}/files/{files[1]}/pages/1"' in page
    assert f'src="/staff/reports/{report.id}/files/{files[1]}/pages/2"' in page
    assert "/pages/3" not in page

    status, body, response = await province.get_bytes(
        f"/staff/reports/{report.id}/files/{files[0]}"
    )
    assert status == 200 and body == photo
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'inline; filename="bang-chung-1.jpg"'
    assert b"GPS" not in body and b"PhoneMaker" not in body  # the cleaned copy
    status, body, response = await province.get_bytes(
        f"/staff/reports/{report.id}/files/{files[1]}/pages/2"
    )
    assert status == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body)).format == "JPEG"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    status, body, response = await province.get_bytes(
        f"/staff/reports/{report.id}/files/{files[1]}"
    )
    assert status == 200 and body == pdf
    assert response.headers["Content-Disposition"] == 'attachment; filename="bang-chung-2.pdf"'
    for missing in (f"{files[1]}/pages/3", f"{files[1]}/pages/0", f"{files[0]}/pages/1", "999999"):
        status, _, _ = await province.get_bytes(f"/staff/reports/{report.id}/files/{missing}")
        assert status == 404, missing


async def _file_ids(console: Console, report_id: int) -> list[int]:
    async with transaction(console.runtime.deps.sessions) as session:
        return [info.id for info, _ in await reports.file_list(session, report_id)]


async def test_another_areas_report_and_its_files_are_not_found(console: Console):
    await console.grant(MOD_HANOI, "moderator", "01")
    await console.grant(MOD_COMMUNE, "moderator", SON_TINH)
    report = await _report(console, files=(("photo", "image/jpeg", _photo()),))
    escalated = await _report(console, category="fees", escalated=True)
    [file_id] = await _file_ids(console, report.id or 0)
    hanoi = await console.client(MOD_HANOI)
    for path in (
        f"/staff/reports/{report.id}",
        f"/staff/reports/{report.id}/files/{file_id}",
        f"/staff/reports/{report.id}/files/{file_id}/pages/1",
        "/staff/reports/999999",
        "/staff/reports/99999999999999999999",  # more than the database's integers hold
        f"/staff/reports/{report.id}/files/99999999999999999999",
    ):
        status, _, _ = await hanoi.get(path)
        assert status == 404, path
    status, _, _ = await hanoi.post(f"/staff/reports/{report.id}/take")
    assert status == 404
    commune = await console.client(MOD_COMMUNE)
    status, _, _ = await commune.get(f"/staff/reports/{escalated.id}")
    assert status == 404
    # A file of one report asked for under another report's id is not found either.
    other = await _report(console)
    status, _, _ = await commune.get(f"/staff/reports/{other.id}/files/{file_id}")
    assert status == 404
    async with transaction(console.runtime.deps.sessions) as session:
        assert (await reports.get(session, report.id or 0)).status == "new"


# --- moves ---------------------------------------------------------------------------------------


async def test_each_move_is_made_and_the_reporter_hears_of_it_in_chat(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    reporter = await _reporter(console)
    report = await _report(console, reporter=reporter)
    province = await console.client(MOD_PROVINCE)
    base = f"/staff/reports/{report.id}"

    _, page, _ = await province.get(base)
    assert f'action="{base}/take"' in page and f'action="{base}/reject"' in page
    assert f'action="{base}/ask"' not in page  # only what the state allows now
    status, _, response = await province.post(f"{base}/take")
    assert status == 303 and response.headers["Location"] == base
    _, page, _ = await province.get(base)
    assert "Bạn đã nhận xử lý báo cáo" in _text(page)  # the flash, once
    assert f'action="{base}/take"' not in page and f'action="{base}/ask"' in page
    await _deliver(console)
    told = console.bot.api.messages(REPORTER)
    assert told and report.code in told[-1].text and "đang được xem" in told[-1].text.lower()

    # Kind messages for what will not do; nothing is changed.
    status, page, _ = await province.post(f"{base}/ask", {"question": "Ở?"})
    assert status == 200 and "Bạn viết ít nhất 5 ký tự nhé." in _text(page)
    status, page, _ = await province.post(f"{base}/resolve", {"note": "x" * 501})
    assert status == 200 and "Tối đa 500 ký tự; bạn đã viết 501." in _text(page)
    assert "x" * 501 in page  # what was typed is kept
    status, page, _ = await province.post(f"{base}/forward", {"target": "army", "note": "Gửi"})
    assert status == 200
    assert "Bạn chọn nơi chuyển tới trong danh sách nhé." in _text(page)
    status, page, _ = await province.post(f"{base}/reject", {"reason": ""})
    assert status == 200 and "Bạn chọn lý do từ chối trong danh sách nhé." in _text(page)
    status, _, _ = await province.post(f"{base}/withdraw")  # the reporter's move only
    assert status == 404
    async with transaction(console.runtime.deps.sessions) as session:
        assert (await reports.get(session, report.id or 0)).status == "in_review"

    question = "Người đó <b>tên</b> gì, ở thôn nào?"
    status, _, _ = await province.post(f"{base}/ask", {"question": question})
    assert status == 303
    await _deliver(console)
    asked = console.bot.api.messages(REPORTER)[-1]
    assert "Người đó &lt;b&gt;tên&lt;/b&gt; gì" in asked.text  # relayed as text, as chat does
    assert "Trả lời" in str(asked.reply_markup)
    _, page, _ = await province.get(base)
    assert question in _text(page) and "Chờ trả lời" in _text(page)

    status, _, _ = await province.post(
        f"{base}/forward", {"target": "police", "note": "Gửi công an"}
    )
    assert status == 303
    status, _, _ = await province.post(f"{base}/resolve", {"note": "Công an đã làm việc"})
    assert status == 303
    await _deliver(console)
    last = [m.text for m in console.bot.api.messages(REPORTER)[-2:]]
    assert "Công an xã, phường" in last[0] and "đã được xử lý" in last[1].lower()
    _, page, _ = await province.get(base)
    words = _text(page)
    assert "Gửi công an" in words and "Công an đã làm việc" in words
    assert "Báo cáo đã đóng, không còn việc gì để làm." in words
    # A second resolve (a stale page, a colleague first): refused in words, nothing sent.
    sent = len(console.bot.api.messages(REPORTER))
    status, page, _ = await province.post(f"{base}/resolve", {"note": "Lần nữa"})
    assert status == 200 and "báo cáo đang ở trạng thái “Đã xử lý”" in _text(page)
    await _deliver(console)
    assert len(console.bot.api.messages(REPORTER)) == sent
    async with transaction(console.runtime.deps.sessions) as session:
        actions = [e.action for e in await audit.entries(session, f"report:{report.id}")]
        actors = {e.actor for e in await audit.entries(session, f"report:{report.id}")}
    assert actions[:4] == ["report.resolve", "report.forward", "report.ask", "report.take"]
    assert f"telegram:{MOD_PROVINCE}" in actors


async def test_a_spam_rejection_from_the_console_pauses_the_reporter(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    reporter = await _reporter(console)
    report = await _report(console, reporter=reporter)
    province = await console.client(MOD_PROVINCE)
    status, _, _ = await province.post(f"/staff/reports/{report.id}/reject", {"reason": "spam"})
    assert status == 303
    await _deliver(console)
    assert "không phải là một báo cáo" in console.bot.api.messages(REPORTER)[-1].text
    # The reporter tries to report again: the week's pause holds, as after chat's rejection.
    sent = await console.bot.send("/baocao", chat=REPORTER)
    pause_ends = (dt.datetime.now(VN) + dt.timedelta(days=7)).strftime("%d/%m/%Y")
    assert any(f"Bạn gửi báo cáo mới được từ ngày {pause_ends}" in m.plain_text for m in sent)


async def test_a_move_without_the_form_token_is_refused(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    report = await _report(console)
    province = await console.client(MOD_PROVINCE)
    status, _, _ = await province.post(f"/staff/reports/{report.id}/take", csrf=False)
    assert status == 403
    status, _, _ = await province.post(
        f"/staff/reports/{report.id}/reject", {"reason": "spam", "csrf": "forged"}, csrf=False
    )
    assert status == 403
    async with transaction(console.runtime.deps.sessions) as session:
        assert (await reports.get(session, report.id or 0)).status == "new"


async def test_a_reporter_who_would_not_be_asked_is_not_asked(console: Console):
    await console.grant(MOD_PROVINCE, "moderator", "51")
    reporter = await _reporter(console)
    report = await _report(console, reporter=reporter, contact_ok=False)
    province = await console.client(MOD_PROVINCE)
    base = f"/staff/reports/{report.id}"
    await province.post(f"{base}/take")
    _, page, _ = await province.get(base)
    assert f'action="{base}/ask"' not in page
    assert "Không hỏi thêm được: người báo cáo không đồng ý được hỏi" in _text(page)
    assert f'action="{base}/resolve"' in page
    # A form kept from elsewhere is refused in words by the same table.
    sent = len(console.bot.api.messages(REPORTER))
    status, page, _ = await province.post(f"{base}/ask", {"question": "Ở thôn nào vậy?"})
    assert status == 200 and "Không hỏi được: người báo cáo không đồng ý" in _text(page)
    await _deliver(console)
    assert len(console.bot.api.messages(REPORTER)) == sent + 1  # the take's notice only
    async with transaction(console.runtime.deps.sessions) as session:
        assert (await reports.get(session, report.id or 0)).status == "in_review"


async def test_moderators_are_named_not_numbered(console: Console):
    await console.grant(MOD_COMMUNE, "moderator", SON_TINH)
    await console.grant(MOD_PROVINCE, "moderator", "51")
    report = await _report(console)
    commune = await console.client(MOD_COMMUNE)
    # The name Telegram gives (kept from the person's messages; the fake sends none).
    async with transaction(console.runtime.deps.sessions) as session:
        colleague = await users.find_user(session, "telegram", str(MOD_COMMUNE))
        assert colleague is not None
        colleague.display_name = "Trần Văn Bình"
        session.add(colleague)
    await commune.post(f"/staff/reports/{report.id}/take")
    province = await console.client(MOD_PROVINCE)
    _, page, _ = await province.get(f"/staff/reports/{report.id}")
    words = _text(page)
    assert "Người đang xử lý Kiểm duyệt viên Trần Văn Bình" in words
    assert "Kiểm duyệt viên Trần Văn Bình Mới → Đang xem" in words
    assert "telegram:" not in page and str(MOD_COMMUNE) not in page
    _, own, _ = await commune.get(f"/staff/reports/{report.id}")
    assert "Người đang xử lý Bạn" in _text(own)


async def test_the_pages_pass_the_checks_every_console_page_must(console: Console):
    """Language, one h1, labels, alt text, table headers, no inline script or style, the form
    token on every form that changes something (tests/console/a11y.py), in each state."""
    await console.grant(MOD_PROVINCE, "moderator", "51")
    reporter = await _reporter(console)
    report = await _report(
        console, reporter=reporter, files=(("photo", "image/jpeg", _photo()),), days_ago=5
    )
    await _report(console, days_ago=1, duplicate_of=report.id)
    province = await console.client(MOD_PROVINCE)
    base = f"/staff/reports/{report.id}"
    pages = [await province.get(p) for p in ("/staff/reports", "/staff/reports?q=ABC", base)]
    await province.post(f"{base}/take")
    pages.append(await province.get(base))
    pages.append(await province.post(f"{base}/ask", {"question": "?"}))  # with its message
    await province.post(f"{base}/reject", {"reason": "not_actionable"})
    pages.append(await province.get(base))
    pages.append(await province.get("/staff/reports?state=closed"))
    for status, page, response in pages:
        assert status == 200, response.url
        assert problems(page) == [], (response.url, problems(page))
