"""The report flow as conversations (any channel): every step, each refusal explained kindly,
a restart mid-flow, the daily cap, the spam cooldown, duplicates linked, drafts dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from PIL import Image
from sqlmodel import select

from handlers.core.dispatch import Deps, handle
from handlers.core.types import Attachment, FileFetchError, Incoming
from handlers.reports import intake_rules
from storage import audit, report_limits, reports, users
from storage.db import transaction
from storage.report_models import Report
from tests.conftest import Chat

STORY = "Ông X cho vay 5 triệu, lãi 3 nghìn mỗi ngày, nhắn tin đòi nợ và chửi bới cả nhà tôi."


def photo_bytes(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


class Files:
    """A channel's file store for the tests: file id -> bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fetched: list[str] = []

    def add(self, file_id: str, data: bytes) -> str:
        self.files[file_id] = data
        return file_id

    async def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        self.fetched.append(attachment.file_id)
        if attachment.file_id not in self.files:
            raise FileFetchError("gone")
        return self.files[attachment.file_id]


@pytest.fixture
def files() -> Files:
    return Files()


@pytest.fixture
def chat(deps: Deps, files: Files) -> Chat:
    return Chat(dataclasses.replace(deps, fetch_file=files.fetch))


async def send_files(chat: Chat, *attachments: Attachment, caption: str | None = None):
    incoming = Incoming(chat.channel, chat.user_id, text=caption, attachments=attachments)
    chat.replies = await handle(incoming, chat.deps) or []
    return chat.replies


async def start_report(chat: Chat, category: str = "rpk:usury", accused: str | None = None):
    await chat.send("/baocao")
    await chat.press("rpd:no")
    await chat.press("rpy:yes")
    await chat.press(category)
    if accused:
        await chat.press(f"rpa:{accused}")


async def full_report(chat: Chat, story: str = STORY, place: str = "son tinh", **kw) -> str:
    """Send a whole report; returns its tracking code."""
    await start_report(chat, **kw)
    await chat.send(place)
    await chat.press("rpt:week")
    await chat.send(story)
    await chat.press("rpe:done")
    await chat.press("rpo:yes")
    await chat.press("rps")
    assert "Mã tra cứu" in chat.text, chat.text
    return chat.text.split("<code>")[1].split("</code>")[0]


async def stored(deps: Deps) -> list[Report]:
    async with transaction(deps.sessions) as session:
        return await reports.for_export(session)


async def test_a_whole_report_with_a_photo(chat: Chat, files: Files, deps: Deps):
    await chat.onboard()
    await chat.send("/baocao")
    assert "nguy hiểm" in chat.text
    await chat.press("rpd:no")
    assert "Bot sẽ lưu báo cáo của bạn" in chat.text  # consent for this purpose, first
    await chat.press("rpy:yes")
    await chat.press("rpk:app")
    assert "Việc này xảy ra ở xã" in chat.text
    await chat.send("son tinh")
    assert "khi nào" in chat.text
    await chat.press("rpt:today")
    await chat.send(STORY)
    assert "tối đa 5 tệp" in chat.text
    await send_files(chat, Attachment("photo", files.add("p1", photo_bytes()), 900, "image/jpeg"))
    assert "Đã nhận 1/5 tệp" in chat.text
    await chat.press("rpe:done")
    await chat.press("rpo:no")
    assert "Báo cáo của bạn" in chat.text and "Xã Sơn Tịnh (Quảng Ngãi)" in chat.text
    assert "Bằng chứng: 1 tệp" in chat.text and "Hôm nay" in chat.text
    await chat.press("rps")
    assert "Mã tra cứu" in chat.text
    [report] = await stored(deps)
    assert (report.category, report.commune_code, report.province_code) == ("app", "21220", "51")
    assert report.happened == ":today" and not report.contact_ok and not report.escalated
    assert report.code in chat.text and report.handle not in chat.text
    async with transaction(deps.sessions) as session:
        [kept] = await reports.files_of(session, report.id)
        assert kept.owner_id is None and kept.mime_type == "image/jpeg"
        [entry] = await audit.entries(session, f"report:{report.id}")
        assert entry.actor == "reporter" and entry.detail["to"] == "new"


async def test_misconduct_by_a_group_leader_goes_to_the_province(chat: Chat, deps: Deps):
    await chat.onboard()
    await full_report(chat, category="rpk:keeps_repayment", accused="leader")
    [report] = await stored(deps)
    assert report.escalated and report.accused == "leader"


async def test_misconduct_by_someone_outside_the_apparatus_stays_with_the_commune(
    chat: Chat, deps: Deps
):
    await chat.onboard()
    await full_report(chat, category="rpk:vay_ke", accused="other_person")
    [report] = await stored(deps)
    assert not report.escalated


async def test_the_danger_answer_says_113_before_anything_else(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/baocao")
    await chat.press("rpd:yes")
    assert "Hãy gọi ngay 113" in chat.text and "Công an xã" in chat.text
    assert "Bot sẽ lưu" not in chat.text  # nothing else before the advice
    await chat.press("rpd:go")
    await chat.press("rpy:yes")
    await chat.press("rpk:threats")
    await chat.press("rpc:skip")
    await chat.press("rpt:skip")
    await chat.send("Chúng nó nói sẽ chém cả nhà tôi nếu không trả tiền trước thứ bảy này.")
    assert "113" in chat.replies[0].text  # the words of the story say it again
    await chat.press("rpe:done")
    await chat.press("rpo:yes")
    assert "Có người đang gặp nguy hiểm: có" in chat.text
    await chat.press("rps")
    assert "113" in chat.text
    [report] = await stored(deps)
    assert report.danger and report.commune_code is None and report.province_code is None


async def test_declining_consent_keeps_nothing(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/baocao")
    await chat.press("rpd:no")
    await chat.press("rpy:no")
    assert "bot không lưu gì" in chat.text and "VNeID" in chat.text
    assert await stored(deps) == []
    await chat.send("ai đó cho vay nặng lãi ở xóm tôi")  # an ordinary question now
    assert "Bạn muốn báo việc gì" not in chat.text


async def test_each_validation_failure_is_explained_and_the_step_stays(chat: Chat, files: Files):
    await chat.onboard()
    await start_report(chat)
    await chat.send("x" * 101)
    assert "dài quá" in chat.text
    await chat.send("zzzz qqqq wwww")
    assert "không tìm thấy" in chat.text
    await chat.press("Giữ như tôi đã gõ")
    await chat.send("y" * 101)
    assert "dài quá" in chat.text
    await chat.send("12/11/2026")
    await chat.send("ngắn quá")
    assert "ít nhất 20 ký tự" in chat.text and "bạn mới gõ 8" in chat.text
    await chat.send("z" * 2001)
    assert "tối đa 2000" in chat.text and "2001" in chat.text
    await send_files(chat, Attachment("photo", "p0"), caption=None)
    assert "gõ phần kể chuyện trước" in chat.text
    await chat.send(STORY)
    # evidence: wrong type, too large, unreadable, gone, then the sixth file
    await send_files(chat, Attachment("document", "d1", 2000, "application/zip", "a.zip"))
    assert "chỉ nhận ảnh (JPG, PNG) và tệp PDF" in chat.text
    await send_files(chat, Attachment("photo", "big", 6 * 1024 * 1024, "image/jpeg"))
    assert "lớn quá" in chat.text
    assert "big" not in files.fetched  # refused before downloading
    await send_files(chat, Attachment("photo", files.add("bad", b"\xff\xd8\xff\xe0junk")))
    assert "chỉ nhận ảnh" in chat.text or "không đọc được" in chat.text
    await send_files(chat, Attachment("photo", "gone"))
    assert "chưa tải được" in chat.text
    await chat.send("đây là ảnh")
    assert "bot chờ ảnh hoặc tệp PDF" in chat.text
    for n in range(5):
        await send_files(chat, Attachment("photo", files.add(f"ok{n}", photo_bytes())))
    assert "Đã nhận 5/5 tệp" in chat.text
    await send_files(chat, Attachment("photo", files.add("ok6", photo_bytes())))
    assert "Đã đủ 5 tệp" in chat.text
    await chat.press("rpe:done")
    await chat.press("rpo:yes")
    assert "Bằng chứng: 5 tệp" in chat.text and "12/11/2026" in chat.text
    assert "zzzz qqqq wwww" in chat.text


async def test_typing_where_a_button_is_expected_is_answered_kindly(chat: Chat):
    await chat.onboard()
    await chat.send("/baocao")
    await chat.press("rpd:no")
    await chat.send("có")
    assert "bấm một nút" in chat.text


async def test_a_restart_mid_flow_loses_nothing(chat: Chat, deps: Deps, files: Files):
    await chat.onboard()
    await start_report(chat)
    await chat.send("son tinh")
    await chat.press("rpt:month")
    await chat.send(STORY)
    await send_files(chat, Attachment("photo", files.add("p1", photo_bytes())))
    # a new process: new dependencies on the same database
    again = Chat(dataclasses.replace(deps, fetch_file=files.fetch))
    again.replies = await handle(Incoming("test", "1001", action="rpe:done"), again.deps) or []
    await again.press("rpo:yes")
    assert "Xã Sơn Tịnh" in again.text and "Trong tháng này" in again.text
    assert "Bằng chứng: 1 tệp" in again.text and "nhắn tin đòi nợ" in again.text


async def test_the_terminal_has_no_files_and_says_so(deps: Deps):
    chat = Chat(deps, channel="terminal")  # no fetch_file
    await chat.onboard()
    await start_report(chat)
    await chat.press("rpc:skip")
    await chat.press("rpt:skip")
    await chat.send(STORY)
    assert "chưa nhận được ảnh hay tệp" in chat.text
    await chat.press("rpe:done")
    assert chat.find("rpo:yes")


async def test_edit_from_the_summary_comes_back_to_it(chat: Chat, deps: Deps):
    await chat.onboard()
    await start_report(chat)
    await chat.send("son tinh")
    await chat.press("rpt:week")
    await chat.send(STORY)
    await chat.press("rpe:done")
    await chat.press("rpo:yes")
    await chat.press("rpx")
    await chat.press("rpx:category")
    await chat.press("rpk:fees")
    await chat.press("rpa:bank")
    assert "Báo cáo của bạn" in chat.text and "Nhân viên ngân hàng" in chat.text
    await chat.press("rpx")
    await chat.press("rpx:story")
    await chat.send("Cán bộ ngân hàng đòi 2 triệu tiền bồi dưỡng mới cho hồ sơ đi tiếp.")
    assert "bồi dưỡng mới cho hồ sơ" in chat.text and "Báo cáo của bạn" in chat.text
    await chat.press("rps")
    [report] = await stored(deps)
    assert report.category == "fees" and report.escalated


async def test_dropping_a_draft_forgets_its_files(chat: Chat, deps: Deps, files: Files):
    await chat.onboard()
    await start_report(chat)
    await chat.press("rpc:skip")
    await chat.press("rpt:skip")
    await chat.send(STORY)
    await send_files(chat, Attachment("photo", files.add("p1", photo_bytes())))
    await chat.press("rpn")
    assert "Đã bỏ báo cáo" in chat.text
    async with transaction(deps.sessions) as session:
        assert await reports.prune_drafts(session, deps.clock()) == 0
    assert await stored(deps) == []


async def test_the_daily_cap(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    for _ in range(intake_rules.MAX_REPORTS_PER_DAY):
        await full_report(chat)
        clock.advance(hours=1)
    await chat.send("/baocao")
    assert "3 báo cáo trong 24 giờ qua" in chat.text
    assert not any(b.action.startswith("rpd") for b in chat.buttons)
    clock.advance(hours=22)
    await chat.send("/baocao")
    assert chat.find("rpd:no")


async def test_the_cap_holds_at_sending_too(chat: Chat, deps: Deps, clock):
    """Reports sent meanwhile (say from a linked channel) count when a draft is sent."""
    await chat.onboard()
    await start_report(chat)
    async with transaction(deps.sessions) as session:  # the limits count these marks
        user = await users.find_user(session, "test", "1001")
        key = await report_limits.limit_key(session, deps.report_limit_key)
        hashes = await report_limits.person_hashes(session, key, user)
        for minutes in range(intake_rules.MAX_REPORTS_PER_DAY):
            at = clock() - dt.timedelta(minutes=minutes)
            await report_limits.record(session, hashes, report_limits.REPORT, at)
    await chat.press("rpc:skip")
    await chat.press("rpt:skip")
    await chat.send(STORY)
    await chat.press("rpe:done")
    await chat.press("rpo:no")
    await chat.press("rps")
    assert "24 giờ qua" in chat.text
    assert await stored(deps) == []


async def test_a_cooldown_after_a_report_rejected_as_spam(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    await full_report(chat)
    [report] = await stored(deps)
    moderator = await _moderator(deps, None)  # the spam mark is left by the rejection
    await handle(Incoming("test", moderator.user_id, action=f"xj:{report.id}:spam"), deps)
    assert (await stored(deps))[0].status == reports.REJECTED
    clock.advance(days=2)
    await chat.send("/baocao")
    assert "không phải báo cáo thật" in chat.text and "29/11/2026" in chat.text
    clock.advance(days=6)
    await chat.send("/baocao")
    assert chat.find("rpd:no")


async def test_similar_reports_of_a_week_are_linked_not_lost(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    neighbour = Chat(chat.deps, user_id="2002")
    await neighbour.onboard()
    await full_report(chat)
    clock.advance(days=2)
    await full_report(neighbour, story=STORY.replace("5 triệu", "6 triệu"))
    await full_report(neighbour, story="Có người phát tờ rơi cho vay không cần thế chấp ở chợ xã.")
    first, second, third = await stored(deps)
    assert second.duplicate_of == first.id and third.duplicate_of is None
    assert first.duplicate_of is None


async def test_stale_report_buttons_offer_a_new_start(chat: Chat):
    await chat.onboard()
    for action in ("rps", "rpk:usury", "rpd:yes", "rpx:story", "rpc:21220"):
        replies = await handle(Incoming("test", "1001", action=action), chat.deps)
        assert "Gửi báo cáo mới" in replies[0].text or replies[0].buttons[0][0].action == "rp"


async def _moderator(deps: Deps, area: str | None, user_id: str = "7001") -> Chat:
    from storage import roles as role_store

    async with transaction(deps.sessions) as session:
        await role_store.grant(session, "test", user_id, "moderator", area, "cli")
    moderator = Chat(deps, user_id=user_id)
    await moderator.onboard()
    return moderator


async def test_the_queue_flags_untouched_reports_and_filters(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    await full_report(chat)
    clock.advance(hours=1)
    await full_report(
        chat,
        story="Có người phát tờ rơi cho vay không cần thế chấp ở chợ xã.",
        category="rpk:leaflets",
    )
    first, second = await stored(deps)
    moderator = await _moderator(deps, "51")
    await moderator.send("/xuly")
    assert "Mới: 2" in moderator.text and "⏰" not in moderator.text
    clock.advance(days=3)
    await moderator.send("/xuly")
    assert moderator.text.count("⏰ chưa ai động đến 3 ngày") == 2
    await moderator.press(f"xo:{first.id}")
    await moderator.press(f"xt:{first.id}")
    await moderator.send("/xuly")
    assert moderator.text.count("⏰") == 1  # taking it counts as touching it
    await moderator.press(f"xl:{reports.IN_REVIEW}")
    assert f"#{first.id}" in moderator.text and f"#{second.id} " not in moderator.text
    await moderator.press("xl:open")
    await moderator.press("xk:open")
    await moderator.press("xl:open:leaflets")
    assert f"#{second.id} " in moderator.text and f"#{first.id} " not in moderator.text
    assert "Mới: 1 · Đang xem: 0" in moderator.text
    await moderator.press("xl:closed:leaflets")  # the kind chosen stays with the state filters
    assert "Không có báo cáo nào" in moderator.text


async def test_a_moderators_notes_must_have_a_length(chat: Chat, deps: Deps):
    await chat.onboard()
    await full_report(chat)
    [report] = await stored(deps)
    moderator = await _moderator(deps, None)
    await moderator.send("/xuly")
    await moderator.press(f"xo:{report.id}")
    await moderator.press(f"xt:{report.id}")
    await moderator.press(f"xo:{report.id}")
    await moderator.press(f"xr:{report.id}")
    await moderator.send("ok")
    assert "Ngắn quá" in moderator.text
    await moderator.send("x" * 501)
    assert "Dài quá" in moderator.text
    await moderator.send("Đã làm việc với người cho vay <b>Hùng</b> & gia đình.")
    assert "đã xử lý xong" in moderator.text
    await moderator.send("/xuly")
    await moderator.press("xl:closed")
    await moderator.press(f"xo:{report.id}")
    assert "&lt;b&gt;Hùng&lt;/b&gt; &amp; gia đình" in moderator.text  # escaped, not rendered


async def test_a_question_typed_after_tracuu_is_answered_not_swallowed(chat: Chat):
    await chat.onboard()
    await chat.send("/tracuu")
    await chat.send("vay hộ nghèo được bao nhiêu")
    assert "Không có báo cáo nào" not in chat.text
    await chat.send("/tracuu")
    await chat.send("lai suat")  # two words, plainly a question
    assert "Không có báo cáo nào" not in chat.text and "%" in chat.text
    await chat.send("/tracuu")
    await chat.send("ABCD-EFGH")
    assert "Không có báo cáo nào có mã này" in chat.text
    await chat.send("ABCD EFGX")  # a mistyped code is still taken as a code
    assert "Không có báo cáo nào có mã này" in chat.text


async def test_the_queue_pages_after_the_last_report_shown(deps: Deps, clock):
    """A province's year is thousands of reports: the queue goes a page at a time, and a
    report closed by a colleague meanwhile neither hides another one nor shows twice."""
    async with transaction(deps.sessions) as session:
        made = []
        for n in range(19):
            report = Report(
                code=f"C{n:07d}",
                handle=f"H{n:07d}",
                category="usury",
                commune_code="21220",
                province_code="51",
                description=STORY,
                consent_at=clock.now,
                created_at=clock.now + dt.timedelta(minutes=n // 2),  # ties: id decides
            )
            session.add(report)
            made.append(report)
        await session.flush()
        ids = [report.id for report in made]
    moderator = await _moderator(deps, "51")

    def shown() -> list[int]:
        return [int(b.action.split(":")[1]) for b in moderator.buttons if b.action[:3] == "xo:"]

    await moderator.send("/xuly")
    assert shown() == ids[:8]
    assert "Báo cáo 1–8 trên tổng số 19" in moderator.text
    assert not any("Về đầu" in b.label for b in moderator.buttons)
    async with transaction(deps.sessions) as session:  # a colleague closes one of page one
        closed = await reports.get(session, ids[1])
        assert closed is not None
        await reports.touch(session, closed, clock.now, status=reports.RESOLVED)
    await moderator.press("Xem tiếp")
    assert shown() == ids[8:16]
    assert "Báo cáo 8–15 trên tổng số 18" in moderator.text
    await moderator.press("Xem tiếp")
    assert shown() == ids[16:]
    assert not any("Xem tiếp" in b.label for b in moderator.buttons)
    await moderator.press("Về đầu")
    assert shown() == [ids[0], *ids[2:9]]

    # A page of another filter keeps its filter; a stale page button starts again.
    async def tap(action: str) -> None:  # a button of an older message
        incoming = Incoming(moderator.channel, moderator.user_id, action=action)
        moderator.replies = await handle(incoming, moderator.deps)

    await tap(f"xl:open:usury:{ids[8]}")
    assert shown() == ids[9:17]
    assert "Báo cáo 9–16 trên tổng số 18" in moderator.text
    await tap("xl:open::999999")
    assert shown()[0] == ids[0]


async def test_a_slow_download_holds_no_one_else_up(chat: Chat, files: Files, deps: Deps):
    """Evidence is downloaded before the update's transaction: while one reporter's file
    is still coming, other people's messages are answered (SQLite has a single writer)."""
    import asyncio

    await chat.onboard()
    await start_report(chat)
    await chat.send("son tinh")
    await chat.press("rpt:week")
    await chat.send(STORY)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow_fetch(attachment: Attachment, max_bytes: int) -> bytes:
        arrived.set()
        await release.wait()
        return await files.fetch(attachment, max_bytes)

    reporter = Chat(dataclasses.replace(chat.deps, fetch_file=slow_fetch), chat.user_id)
    photo = Attachment("photo", files.add("slow", photo_bytes()), 900, "image/jpeg")
    sending = asyncio.create_task(send_files(reporter, photo))
    await arrived.wait()
    other = Chat(deps, user_id="4242")
    await asyncio.wait_for(other.onboard(), 10)  # answered meanwhile, the download pending
    assert not sending.done()
    release.set()
    await sending
    assert "Đã nhận 1/5 tệp" in reporter.text


async def test_files_sent_outside_the_evidence_step_are_never_downloaded(chat: Chat, files: Files):
    await chat.onboard()
    photo = Attachment("photo", files.add("stray", photo_bytes()), 900, "image/jpeg")
    await send_files(chat, photo, caption="vay von ho ngheo")
    await start_report(chat)
    await chat.send("son tinh")
    await chat.press("rpt:week")
    await send_files(chat, photo)  # at the story step: asked for words, not fetched
    assert files.fetched == []
    await send_files(chat, photo, caption=STORY)  # the story as a caption: the photo is
    assert "gửi lại ở bước tiếp theo" in chat.text  # not lost without a word
    assert "tối đa 5 tệp" in chat.text and files.fetched == []


async def test_a_revoked_moderator_hears_nothing_more_and_the_report_goes_back(
    chat: Chat, deps: Deps
):
    """What a reporter answers may name people: it goes only to a moderator who still sees
    the report. Whoever asked has lost the role: the answer stays with the report, which is
    new again in the queue."""
    from storage import roles as role_store
    from storage.models import Outbox

    await chat.onboard()
    await full_report(chat)
    [report] = await stored(deps)
    moderator = await _moderator(deps, "51")
    await moderator.send("/xuly")
    await moderator.press(f"xo:{report.id}")
    await moderator.press(f"xt:{report.id}")
    await moderator.press("Về báo cáo")
    await moderator.press(f"xa:{report.id}")
    await moderator.send("Ông X ở thôn nào, anh chị biết không?")
    async with transaction(deps.sessions) as session:
        assert await role_store.revoke(session, "test", "7001", "moderator", "51")
    # The question reached the reporter through the outbox, with its answer button.
    chat.replies = await handle(Incoming("test", "1001", action=f"rq:{report.id}"), chat.deps)
    await chat.send("Ở thôn Tịnh Hà, số điện thoại của ông ấy là 0912 345 678.")
    assert "Đã chuyển câu trả lời" in chat.text
    async with transaction(deps.sessions) as session:
        to_moderator = (
            await session.exec(select(Outbox).where(Outbox.channel_user_id == "7001"))
        ).all()
        assert not any("0912 345 678" in str(row.payload) for row in to_moderator)
        again = await reports.get(session, report.id)
        assert again is not None and (again.status, again.taken_by) == (reports.NEW, None)
        events = await reports.events(session, report.id)
        assert any(e.kind == "answer" and "0912 345 678" in (e.detail or "") for e in events)


async def test_a_twin_kept_from_the_commune_is_not_named_to_it(chat: Chat, deps: Deps, clock):
    """Two similar reports of one commune, the first about its group leader (kept from the
    commune's moderators): the commune moderator opening the second is not told of the
    first; the province's moderator is."""
    story = "Người này thu tiền lãi của cả tổ mấy tháng nay nhưng không nộp cho ngân hàng."
    await chat.onboard()
    neighbour = Chat(chat.deps, user_id="2002")
    await neighbour.onboard()
    await full_report(chat, story=story, category="rpk:keeps_repayment", accused="leader")
    clock.advance(hours=3)
    await full_report(
        neighbour, story=story + " Ai cũng biết.", category="rpk:keeps_repayment",
        accused="other_person",
    )  # fmt: skip
    first, second = await stored(deps)
    assert first.escalated and not second.escalated and second.duplicate_of == first.id
    commune = await _moderator(deps, "21220", "7001")
    province = await _moderator(deps, "51", "7002")
    await commune.send("/xuly")
    await commune.press(f"xo:{second.id}")
    assert f"#{second.id}" in commune.text and f"#{first.id}" not in commune.text
    await province.send("/xuly")
    await province.press(f"xo:{second.id}")
    assert f"trùng với báo cáo #{first.id}" in province.text
