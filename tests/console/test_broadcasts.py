"""The broadcasts pages over HTTP (no browser): the compose form's checks and counts, the
draft's preview and test copy, sending, the approval of a province-wide one by a second person
(never its author), progress and the report, and 404 outside one's area.

The clock is fixed at 10:00 in Vietnam, outside the quiet hours, so that what is sent goes
out when the sender runs (as in tests/bot/test_broadcast_e2e.py).
"""

from __future__ import annotations

import datetime as dt
import html as markup
import io
import re

import aiohttp
from PIL import Image

from storage import broadcasts as store
from storage.db import transaction
from tests.console.a11y import problems
from tests.console.casts_support import (  # noqa: F401 (casts: a fixture)
    ADMIN,
    DIEN_BIEN,
    ELSEWHERE,
    IN_COMMUNE,
    IN_PROVINCE,
    MODERATOR,
    OFFICIAL,
    OUTSIDER,
    PROVINCIAL,
    SECOND,
    SON_TINH,
    TEXT,
    VN,
    Seeded,
    casts_fixture,
    deliver,
    got,
    newest_first,
    official,
    plain,
    seed_broadcasts,
    state_of,
)
from tests.console.conftest import Console, ConsoleClient


def form(**values: str) -> dict[str, str]:
    base = {"text": TEXT, "area": SON_TINH, "commune": "", "who": "everyone", "when": "now",
            "at": "", "do": "preview"}  # fmt: skip
    return {**base, **values}


async def compose(client: ConsoleClient, **values: str) -> int:
    """The form sent; the id of the draft it made."""
    status, html, response = await client.post("/staff/broadcasts/new", form(**values))
    assert status == 303, html
    found = re.fullmatch(r"/staff/broadcasts/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


# --- the form's checks ---------------------------------------------------------------------------


async def test_the_form_refuses_what_chat_refuses_with_kind_messages(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    status, html, _ = await client.get("/staff/broadcasts/new")
    assert status == 200 and 'name="text"' in html and 'for="text"' in html

    cases = [
        ({"text": "   "}, "Thông báo chưa có nội dung"),
        ({"text": "x" * 3001}, "Nội dung dài 3001 ký tự; tối đa 3000"),
        ({"text": "😀" * 1501}, "Nội dung dài 3002 ký tự"),  # as Telegram counts
        ({"area": "51"}, "nằm ngoài địa bàn của bạn"),  # the province around one's commune
        ({"area": DIEN_BIEN}, "nằm ngoài địa bàn của bạn"),
        ({"area": "abc"}, "Bạn chọn địa bàn"),
        ({"when": "at", "at": ""}, "Bạn chọn giờ và ngày gửi"),
        ({"when": "at", "at": "2020-01-01T08:00"}, "phải sau bây giờ và trong vòng 60 ngày"),
        ({"when": "at", "at": "2099-01-01T08:00"}, "phải sau bây giờ và trong vòng 60 ngày"),
    ]
    for values, message in cases:
        status, html, _ = await client.post("/staff/broadcasts/new", form(**values))
        assert status == 200, values
        assert message in plain(html), (values, plain(html)[:600])
    async with transaction(casts.runtime.deps.sessions) as session:
        assert await store.listed(session, None, f"telegram:{OFFICIAL}") == []


async def test_the_count_follows_the_audience_with_and_without_script(casts: Console):
    client = await official(casts, PROVINCIAL, "51")
    status, html, _ = await client.post("/staff/broadcasts/new", form(area="51", do="count"))
    assert status == 200 and "Số người nhận: 5." in plain(html)
    status, html, _ = await client.post("/staff/broadcasts/new", form(area=SON_TINH, do="count"))
    assert "Số người nhận: 3." in plain(html)
    # A commune typed by name, inside the province.
    status, html, _ = await client.post(
        "/staff/broadcasts/new", form(area="51", commune="Sơn Tịnh", do="count")
    )
    assert "Số người nhận: 3." in plain(html), plain(html)[:800]
    # A name several communes share: they are offered in the list, the first chosen.
    status, html, _ = await client.post(
        "/staff/broadcasts/new", form(area="51", commune="Nghĩa", do="count")
    )
    assert "Có nhiều xã khớp với tên này" in plain(html)
    offered = re.findall(r'<option value="(\d{5})" selected>', html)
    assert len(offered) == 1 and 'name="commune" value=""' in html
    status, html, _ = await client.post(
        "/staff/broadcasts/new", form(area="51", commune="Điện Biên Phủ xyz", do="count")
    )
    assert status == 200 and "Không tìm thấy xã" in plain(html)

    status, body, response = await client.get("/staff/broadcasts/count?area=51&who=everyone")
    assert status == 200 and response.content_type == "application/json"
    assert '"recipients": 5' in body
    status, body, _ = await client.get(f"/staff/broadcasts/count?area={DIEN_BIEN}")
    assert '"ok": false' in body and '"recipients"' not in body
    # Reminder subscribers only: nobody follows a point here.
    status, body, _ = await client.get("/staff/broadcasts/count?area=51&who=subscribers")
    assert '"recipients": 0' in body


# --- a commune's announcement, the whole way --------------------------------------------------


async def test_compose_preview_test_copy_send_and_the_report(casts: Console, api):
    client = await official(casts, OFFICIAL, SON_TINH)
    broadcast_id = await compose(client)
    status, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    assert status == 200
    # The message exactly as citizens get it: the markup typed is shown as typed.
    assert "📢 <b>Thông báo của NHCSXH — Xã Sơn Tịnh, Quảng Ngãi</b>\n\nLịch giao dịch" in html
    assert "&lt;b&gt;sổ vay&lt;/b&gt;" in html and "<b>sổ vay</b>" not in html
    assert "Số người nhận: 3." in plain(html) and "🔕 Tắt thông báo" in html
    assert got(api, IN_COMMUNE[0]) == []

    before = len(api.messages(OFFICIAL))
    status, _, _ = await client.post(f"/staff/broadcasts/{broadcast_id}/test", {})
    assert status == 303
    await casts.runtime.sender.run_once()
    copy = api.messages(OFFICIAL)[before:]
    assert [m.plain_text for m in copy] == [
        "📢 Thông báo của NHCSXH — Xã Sơn Tịnh, Quảng Ngãi\n\n" + TEXT
    ]
    assert copy[0].buttons == [[("🔕 Tắt thông báo", "ann:off")]]
    assert got(api, IN_COMMUNE[0]) == []  # still nothing to citizens

    status, _, _ = await client.post(f"/staff/broadcasts/{broadcast_id}/send", {"when": "now"})
    assert status == 303
    assert (await state_of(casts, broadcast_id)).status == store.QUEUED
    await deliver(casts)
    assert (await state_of(casts, broadcast_id)).status == store.DONE
    for chat in IN_COMMUNE[:2]:
        assert got(api, chat) == [copy[0].plain_text]
    assert got(api, IN_COMMUNE[2])[0].startswith("📢 Announcement from VBSP")
    for chat in IN_PROVINCE + ELSEWHERE:
        assert got(api, chat) == []

    status, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    text = plain(html)
    assert "Báo cáo" in text and "đã gửi xong" in text
    assert re.search(r"Đã gửi 3 ", text) and re.search(r"Còn lại 0 ", text), text[:2000]
    status, body, _ = await client.get(f"/staff/broadcasts/{broadcast_id}/progress")
    assert status == 200 and '"sent": 3' in body and '"left": 0' in body
    assert '"status": "done"' in body
    # Done: nothing more to do with it.
    assert f"/staff/broadcasts/{broadcast_id}/cancel" not in html


async def test_a_time_is_kept_and_checked_again_when_sent(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    tomorrow = (casts.bot.clock() + dt.timedelta(days=1)).astimezone(VN)
    at = tomorrow.strftime("%Y-%m-%dT07:30")
    broadcast_id = await compose(client, when="at", at=at)
    status, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    assert f'value="{at}"' in html
    status, _, _ = await client.post(f"/staff/broadcasts/{broadcast_id}/send",
                                     {"when": "at", "at": "2020-01-01T07:30"})  # fmt: skip
    assert status == 303
    assert (await state_of(casts, broadcast_id)).status == store.DRAFT
    _, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    assert "phải sau bây giờ" in plain(html)
    await client.post(f"/staff/broadcasts/{broadcast_id}/send", {"when": "at", "at": at})
    sent = await state_of(casts, broadcast_id)
    assert sent.status == store.SCHEDULED
    assert sent.not_before == dt.datetime.strptime(at, "%Y-%m-%dT%H:%M").replace(
        tzinfo=VN
    ).astimezone(dt.UTC)


async def test_urgent_and_discarding_a_draft(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    broadcast_id = await compose(client, urgent="1")
    assert (await state_of(casts, broadcast_id)).urgent
    await client.post(f"/staff/broadcasts/{broadcast_id}/urgent", {"urgent": "0"})
    assert not (await state_of(casts, broadcast_id)).urgent
    status, _, response = await client.post(f"/staff/broadcasts/{broadcast_id}/cancel", {})
    assert status == 303 and response.headers["Location"] == "/staff/broadcasts"
    assert (await state_of(casts, broadcast_id)).status == store.CANCELLED


# --- a photo --------------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (10.0, 45.0, 0.0)}  # GPS
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_a_photo_is_cleaned_and_shown(casts: Console, api):
    client = await official(casts, OFFICIAL, SON_TINH)
    data = aiohttp.FormData()
    for key, value in form(text="Ảnh lịch giao dịch").items():
        data.add_field(key, value)
    raw = jpeg_with_gps()
    assert b"PhoneMaker" in raw
    data.add_field("photo", raw, filename="IMG_0001.jpg", content_type="image/jpeg")
    status, html, response = await client.post("/staff/broadcasts/new", data)
    assert status == 303, html
    broadcast_id = int(response.headers["Location"].rsplit("/", 1)[1])
    broadcast = await state_of(casts, broadcast_id)
    assert broadcast.photo
    stored = api.file_content(broadcast.photo)
    assert stored is not None and b"PhoneMaker" not in stored and b"Exif" not in stored
    status, body, response = await client.get_bytes(f"/staff/broadcasts/{broadcast_id}/photo")
    assert status == 200 and body == stored and response.content_type == "image/jpeg"

    # Not a picture; a caption too long for a photo.
    for payload, message in ((b"%PDF-1.4 nothing", "không phải ảnh JPEG hay PNG"),
                             (b"not a picture", "không phải ảnh JPEG hay PNG")):  # fmt: skip
        data = aiohttp.FormData()
        for key, value in form().items():
            data.add_field(key, value)
        data.add_field("photo", payload, filename="x.jpg", content_type="image/jpeg")
        status, html, _ = await client.post("/staff/broadcasts/new", data)
        assert status == 200 and message in plain(html)
    data = aiohttp.FormData()
    for key, value in form(text="x" * 801).items():
        data.add_field(key, value)
    data.add_field("photo", raw, filename="a.jpg", content_type="image/jpeg")
    status, html, _ = await client.post("/staff/broadcasts/new", data)
    assert status == 200 and "tối đa 800" in plain(html)


# --- approval ---------------------------------------------------------------------------------


async def test_a_province_wide_one_waits_for_a_second_person(casts: Console, api):
    author = await official(casts, PROVINCIAL, "51")
    broadcast_id = await compose(author, area="51")
    await author.post(f"/staff/broadcasts/{broadcast_id}/send", {"when": "now"})
    assert (await state_of(casts, broadcast_id)).status == store.AWAITING

    # The author cannot approve their own, from the page or by posting the form.
    status, html, _ = await author.get(f"/staff/broadcasts/{broadcast_id}")
    assert f"/staff/broadcasts/{broadcast_id}/approve" not in html
    assert "chờ một cán bộ khác" in plain(html)
    status, _, _ = await author.post(f"/staff/broadcasts/{broadcast_id}/approve", {})
    assert status == 303
    assert (await state_of(casts, broadcast_id)).status == store.AWAITING
    status, html, _ = await author.get(f"/staff/broadcasts/{broadcast_id}")
    assert "không làm được lúc này" in plain(html)

    # A commune official inside the province is no approver of the whole province: 404.
    commune_official = await official(casts, OFFICIAL, SON_TINH)
    status, _, _ = await commune_official.get(f"/staff/broadcasts/{broadcast_id}")
    assert status == 404
    status, _, _ = await commune_official.post(f"/staff/broadcasts/{broadcast_id}/approve", {})
    assert status == 404

    second = await official(casts, SECOND, "51")
    status, html, _ = await second.get("/staff/broadcasts")
    assert "Chờ bạn duyệt (1)" in plain(html)
    status, html, _ = await second.get(f"/staff/broadcasts/{broadcast_id}")
    assert f"/staff/broadcasts/{broadcast_id}/approve" in html
    assert "Số người nhận: 5." in plain(html)
    await second.post(f"/staff/broadcasts/{broadcast_id}/approve", {})
    approved = await state_of(casts, broadcast_id)
    assert approved.status == store.QUEUED and approved.approved_by == f"telegram:{SECOND}"
    await deliver(casts)
    for chat in IN_COMMUNE[:2] + IN_PROVINCE:
        assert len(got(api, chat)) == 1
    assert got(api, ELSEWHERE[0]) == []
    # The author heard of it in chat.
    told = "\n".join(m.plain_text for m in api.messages(PROVINCIAL))
    assert f"Thông báo số {broadcast_id} đã được telegram:{SECOND} duyệt" in told


async def test_an_admin_rejects_and_the_author_is_told(casts: Console, api):
    author = await official(casts, PROVINCIAL, "51")
    broadcast_id = await compose(author, area="51")
    await author.post(f"/staff/broadcasts/{broadcast_id}/send", {"when": "now"})
    admin = await official(casts, ADMIN, "51", role="admin")
    await admin.post(f"/staff/broadcasts/{broadcast_id}/reject", {})
    assert (await state_of(casts, broadcast_id)).status == store.REJECTED
    await casts.runtime.sender.run_once()
    told = [m.plain_text for m in api.messages(PROVINCIAL)]
    assert f"✖ Thông báo số {broadcast_id} không được telegram:{ADMIN} duyệt" in "\n".join(told)
    # Rejected: nothing left to do; nothing went out.
    _, html, _ = await admin.get(f"/staff/broadcasts/{broadcast_id}")
    assert "/approve" not in html and "/cancel" not in html
    assert got(api, IN_COMMUNE[0]) == []


# --- areas ----------------------------------------------------------------------------------


async def test_another_areas_broadcasts_are_404(casts: Console):
    author = await official(casts, OFFICIAL, SON_TINH)
    draft_id = await compose(author)
    sent_id = await compose(author, text="Đã gửi")
    await author.post(f"/staff/broadcasts/{sent_id}/send", {"when": "now"})

    outsider = await official(casts, OUTSIDER, DIEN_BIEN)
    for path in (f"/staff/broadcasts/{draft_id}", f"/staff/broadcasts/{sent_id}",
                 f"/staff/broadcasts/{sent_id}/progress", f"/staff/broadcasts/{draft_id}/photo",
                 "/staff/broadcasts/999999"):  # fmt: skip
        status, _, _ = await outsider.get(path)
        assert status == 404, path
    for action in ("send", "test", "urgent", "cancel", "approve", "reject"):
        status, _, _ = await outsider.post(f"/staff/broadcasts/{sent_id}/{action}", {})
        assert status == 404, action
    assert (await state_of(casts, sent_id)).status == store.QUEUED
    status, html, _ = await outsider.get("/staff/broadcasts")
    assert f"/staff/broadcasts/{sent_id}" not in html

    # The province's official sees the commune's confirmed one (not its author's draft).
    provincial = await official(casts, PROVINCIAL, "51")
    status, html, _ = await provincial.get("/staff/broadcasts")
    assert f'href="/staff/broadcasts/{sent_id}"' in html
    assert f'href="/staff/broadcasts/{draft_id}"' not in html
    status, _, _ = await provincial.get(f"/staff/broadcasts/{draft_id}")
    assert status == 404
    status, _, _ = await provincial.get(f"/staff/broadcasts/{sent_id}")
    assert status == 200
    status, html, _ = await provincial.get(f"/staff/broadcasts?state={store.QUEUED}")
    assert f'href="/staff/broadcasts/{sent_id}"' in html
    status, html, _ = await provincial.get(f"/staff/broadcasts?state={store.DONE}")
    assert f'href="/staff/broadcasts/{sent_id}"' not in html

    # A moderator has no broadcasts section at all.
    moderator = await official(casts, MODERATOR, SON_TINH, role="moderator")
    status, _, _ = await moderator.get("/staff/broadcasts")
    assert status == 404
    status, _, _ = await moderator.get(f"/staff/broadcasts/{sent_id}")
    assert status == 404


async def test_a_post_without_the_form_token_is_refused(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    status, _, _ = await client.post("/staff/broadcasts/new", form(), csrf=False)
    assert status == 403
    async with transaction(casts.runtime.deps.sessions) as session:
        assert await store.listed(session, None, f"telegram:{OFFICIAL}") == []


async def test_the_pages_in_english(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    status, _, _ = await client.get("/staff/lang/en?next=/staff/broadcasts/new")
    assert status == 303
    status, html, _ = await client.post("/staff/broadcasts/new", form(text=""))
    text = plain(html)
    assert "New announcement" in text and "The announcement has no text yet" in text
    assert "Recipients: 3." in text
    broadcast_id = await compose(client)
    _, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    text = plain(html)
    assert "What citizens get" in text and "Send me a test copy" in text
    # The English citizens' copy first, the Vietnamese one folded.
    assert html.index("Announcement from VBSP") < html.index("Thông báo của NHCSXH")


async def test_a_photo_telegram_does_not_take_is_a_kind_refusal(casts: Console, api):
    client = await official(casts, OFFICIAL, SON_TINH)
    api.block(OFFICIAL)  # the author blocked the bot: Telegram refuses the upload
    data = aiohttp.FormData()
    for key, value in form(text="Ảnh").items():
        data.add_field(key, value)
    data.add_field("photo", jpeg_with_gps(), filename="a.jpg", content_type="image/jpeg")
    status, html, _ = await client.post("/staff/broadcasts/new", data)
    assert status == 200 and "Chưa gửi được ảnh lên Telegram" in plain(html)
    assert [r.error_code for r in api.rejected] == [403]
    api.rejected.clear()  # the one 403 was the point
    async with transaction(casts.runtime.deps.sessions) as session:
        assert await store.listed(session, None, f"telegram:{OFFICIAL}") == []


async def test_every_broadcasts_page_passes_the_page_checks(casts: Console):
    """The list, the form (fresh and refused), a draft with a photo, one awaiting approval
    (as its author and as the approver), and the report."""
    author = await official(casts, PROVINCIAL, "51")
    second = await official(casts, SECOND, "51")
    pages: list[tuple[ConsoleClient, str]] = [(author, "/staff/broadcasts/new")]
    _, refused, _ = await author.post("/staff/broadcasts/new", form(text="", area="99"))
    assert problems(refused) == []
    data = aiohttp.FormData()
    for key, value in form(text="Có ảnh").items():
        data.add_field(key, value)
    data.add_field("photo", jpeg_with_gps(), filename="a.jpg", content_type="image/jpeg")
    _, _, response = await author.post("/staff/broadcasts/new", data)
    draft = response.headers["Location"]
    waiting_id = await compose(author, area="51")
    await author.post(f"/staff/broadcasts/{waiting_id}/send", {"when": "now"})
    done_id = await compose(author, area=SON_TINH)
    await author.post(f"/staff/broadcasts/{done_id}/send", {"when": "now"})
    await deliver(casts)
    pages += [
        (author, draft),
        (author, f"/staff/broadcasts/{waiting_id}"),
        (second, f"/staff/broadcasts/{waiting_id}"),
        (author, f"/staff/broadcasts/{done_id}"),
        (author, "/staff/broadcasts"),
        (second, "/staff/broadcasts"),
        (author, f"/staff/broadcasts?state={store.DONE}"),
    ]
    for client, path in pages:
        status, html, _ = await client.get(path)
        assert status == 200, path
        assert problems(html) == [], path


async def test_people_the_zalo_oa_could_not_reach_are_a_row_of_the_report(casts: Console, api):
    from sqlalchemy import update

    from storage.models import Outbox

    client = await official(casts, OFFICIAL, SON_TINH)
    broadcast_id = await compose(client)
    _status, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    assert "Không liên lạc được" not in plain(html)  # none: no row for it
    await client.post(f"/staff/broadcasts/{broadcast_id}/send", {"when": "now"})
    await deliver(casts)
    async with transaction(casts.runtime.deps.sessions) as session:
        # As bot/zalo_oa_reach.py ends a row for someone out of the OA's window, with no ZNS.
        first = str(IN_COMMUNE[0])
        await session.exec(
            update(Outbox)
            .where(Outbox.broadcast_id == broadcast_id, Outbox.channel_user_id == first)
            .values(status="unreachable")
        )
    _status, html, _ = await client.get(f"/staff/broadcasts/{broadcast_id}")
    text = plain(html)
    assert re.search(r"Không liên lạc được \(Zalo OA quá 7 ngày, không có ZNS\) 1 ", text), text
    assert re.search(r"Đã gửi 2 ", text)
    _status, body, _ = await client.get(f"/staff/broadcasts/{broadcast_id}/progress")
    assert '"unreachable": 1' in body


# --- the list, a page at a time ------------------------------------------------------------------

LISTED = re.compile(r'<td data-label="[^"]*"><a href="/staff/broadcasts/(\d+)">')
PAGER = re.compile(r'<a href="([^"]+)" rel="(next|prev)">')
EVERY_STATE = [store.DONE, store.SENDING, store.SCHEDULED, store.QUEUED, store.AWAITING,
               store.CANCELLED, store.REJECTED, store.DRAFT]  # fmt: skip


def listed(html: str) -> list[int]:
    """The ids of the list's table (after the table of those awaiting one's approval)."""
    _, _, table = html.partition("Thông báo mới nhất trước")
    return [int(found) for found in LISTED.findall(table)]


def pager(html: str) -> dict[str, str]:
    return {rel: markup.unescape(link) for link, rel in PAGER.findall(html)}


async def walk(client: ConsoleClient, path: str) -> list[list[int]]:
    """Every page from ``path`` on, by the next links (at most ten)."""
    pages: list[list[int]] = []
    for _ in range(10):
        status, html, _ = await client.get(path)
        assert status == 200, html
        pages.append(listed(html))
        if "next" not in pager(html):
            return pages
        path = pager(html)["next"]
    raise AssertionError("more than ten pages")


async def other_areas(casts: Console, start: dt.datetime) -> list[Seeded]:
    """What a Sơn Tịnh official must never see in their list: another province's, the
    province's own (wider than their commune), and another official's drafts in Sơn Tịnh."""
    await casts.grant(OUTSIDER, "official", DIEN_BIEN)
    await casts.grant(PROVINCIAL, "official", "51")
    await casts.grant(SECOND, "official", SON_TINH)
    return [
        *await seed_broadcasts(casts, DIEN_BIEN, OUTSIDER, [store.DONE] * 20, start),
        *await seed_broadcasts(casts, "51", PROVINCIAL, [store.QUEUED] * 5, start),
        *await seed_broadcasts(casts, SON_TINH, SECOND, [store.DRAFT] * 5, start),
    ]


async def test_paging_through_120_gives_each_once_newest_first(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    start = casts.bot.clock()
    others = await other_areas(casts, start)
    seeded = await seed_broadcasts(casts, SON_TINH, OFFICIAL, EVERY_STATE * 15, start)
    expected = newest_first(seeded)

    status, html, _ = await client.get("/staff/broadcasts")
    first = listed(html)
    assert first == expected[:50]
    links = pager(html)
    assert "prev" not in links and "Trang đầu" not in html
    assert links["next"] == f"/staff/broadcasts?after={expected[49]}"

    # One written meanwhile, newer than them all, does not shift the pages that follow.
    await seed_broadcasts(casts, SON_TINH, OFFICIAL, [store.QUEUED], start + dt.timedelta(hours=1))
    pages = [first, *await walk(client, links["next"])]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [i for p in pages for i in p] == expected
    assert not {o.id for o in others} & set(expected)

    # Back from the last page by the previous links: the same pages, in the same order.
    status, html, _ = await client.get(f"/staff/broadcasts?after={expected[99]}")
    assert listed(html) == expected[100:] and "Trang đầu" in html
    status, html, _ = await client.get(pager(html)["prev"])
    assert listed(html) == expected[50:100]
    assert pager(html)["next"] == f"/staff/broadcasts?after={expected[99]}"
    status, html, _ = await client.get(pager(html)["prev"])
    assert listed(html) == expected[:50]
    status, html, _ = await client.get(pager(html)["prev"])  # the one written meanwhile
    assert status == 200 and len(listed(html)) == 1 and listed(html)[0] not in expected
    assert "prev" not in pager(html) and "Trang đầu" not in html


async def test_the_state_filter_holds_across_pages(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    start = casts.bot.clock()
    await other_areas(casts, start)
    statuses = [store.DONE if i % 2 else EVERY_STATE[i // 2 % 8] for i in range(120)]
    seeded = await seed_broadcasts(casts, SON_TINH, OFFICIAL, statuses, start)
    for state in (store.DONE, store.CANCELLED, store.DRAFT):
        wanted = newest_first([s for s in seeded if s.status == state])
        status, html, _ = await client.get(f"/staff/broadcasts?state={state}")
        assert f'<option value="{state}" selected>' in html
        pages = [listed(html)]
        if "next" in pager(html):
            assert pager(html)["next"] == f"/staff/broadcasts?state={state}&after={pages[0][-1]}"
            pages += await walk(client, pager(html)["next"])
        assert [i for p in pages for i in p] == wanted, state
        for link in pager(html).values():
            assert f"state={state}" in link
    assert len([s for s in seeded if s.status == store.DONE]) == 60 + 8  # two pages of "done"

    # A page reached by a link keeps the filter in its own links, both ways.
    done = newest_first([s for s in seeded if s.status == store.DONE])
    status, html, _ = await client.get(f"/staff/broadcasts?state=done&after={done[49]}")
    assert status == 200 and listed(html) == done[50:]
    assert pager(html) == {"prev": f"/staff/broadcasts?state=done&before={done[50]}"}
    assert 'href="/staff/broadcasts?state=done">' in html  # the first page, filtered


async def test_another_areas_broadcasts_never_listed_and_a_forged_page_is_the_first(
    casts: Console,
):
    client = await official(casts, OFFICIAL, SON_TINH)
    start = casts.bot.clock()
    others = await other_areas(casts, start)
    seeded = await seed_broadcasts(casts, SON_TINH, OFFICIAL, EVERY_STATE * 8, start)
    expected = newest_first(seeded)

    outsider = await casts.client(OUTSIDER)
    pages = await walk(outsider, "/staff/broadcasts")
    mine = newest_first([o for o in others if o.status == store.DONE])
    assert [i for p in pages for i in p] == mine  # Điện Biên's, none of Sơn Tịnh's

    # A cursor that is not one of the list (another area's, another's draft, gone, typed
    # wrong): the first page, with a kind line, never a 500 and never a peek past it.
    note = "Không tìm thấy trang này"
    forged = [f"after={others[0].id}", f"before={others[0].id}", f"after={others[-1].id}",
              "after=0", "after=999999999", "after=abc", "before=-3", "after=99999999999999",
              "after=1%27%20or%201=1"]  # fmt: skip
    for query in forged:
        status, html, _ = await client.get(f"/staff/broadcasts?{query}")
        assert status == 200, query
        assert note in html, query
        assert listed(html) == expected[:50], query
    status, html, _ = await client.get(f"/staff/broadcasts?state=done&after={others[0].id}")
    assert note in html and all(i in expected for i in listed(html))
    assert '<option value="done" selected>' in html

    # The province's official: the commune's confirmed ones, never its author's drafts, not
    # even as a cursor.
    provincial = await casts.client(PROVINCIAL)
    draft = next(s for s in seeded if s.status == store.DRAFT)
    status, html, _ = await provincial.get(f"/staff/broadcasts?after={draft.id}")
    assert status == 200 and note in html
    pages = await walk(provincial, "/staff/broadcasts")
    shown = {i for p in pages for i in p}
    assert shown == {s.id for s in seeded if s.status != store.DRAFT} | {
        o.id for o in others if o.status == store.QUEUED
    }

    # A state that is not one of the list: every state, said so.
    status, html, _ = await client.get("/staff/broadcasts?state=%3Cscript%3E")
    assert status == 200 and "Trạng thái này không có trong danh sách" in html
    assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert listed(html) == expected[:50]


async def test_the_pages_links_in_english(casts: Console):
    client = await official(casts, OFFICIAL, SON_TINH)
    start = casts.bot.clock()
    await seed_broadcasts(casts, SON_TINH, OFFICIAL, [store.DONE] * 51, start)
    await client.get("/staff/lang/en?next=/staff/broadcasts")
    status, html, _ = await client.get("/staff/broadcasts")
    assert status == 200 and 'rel="next">Older ›</a>' in html
    status, html, _ = await client.get(pager(html)["next"])
    assert "« First page" in html and 'rel="prev">‹ Newer</a>' in html
    status, html, _ = await client.get("/staff/broadcasts?after=abc")
    assert "That page could not be found" in html
