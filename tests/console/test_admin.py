"""The console's admin pages over HTTP: roles granted and revoked within the admin's own area,
each typed value refused with a kind message, a revoke that signs the person out at their next
click, and the audit log filtered by who, what, when and where, a page at a time and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

from handlers.core.roles import grant_role
from storage import audit
from storage import roles as role_store
from storage.db import transaction
from storage.models import TransactionPoint
from tests.console.a11y import problems
from tests.console.conftest import Console, ConsoleClient

COUNTRY_ADMIN = 7780001
PROVINCE_ADMIN = 7780002  # admin of Quảng Ngãi (51)
MODERATOR = 7780003  # moderator of Xã Sơn Tịnh (21220)
HANOI_MODERATOR = 7780004  # moderator of Phường Ba Đình, Hà Nội (00004)
OFFICIAL = 7780005
SON_TINH, HANOI = "21220", "00004"
NOW = dt.datetime.now(dt.UTC)


def text_of(html: str) -> str:
    """The page's words, without tags (what a person reads)."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def _grant_id(console: Console, chat: int, role: str, area: str | None) -> int:
    async with transaction(console.runtime.deps.sessions) as session:
        found = await role_store.find(session, "telegram", str(chat), role, area)
        assert found is not None and found.id is not None
        return found.id


async def test_only_admins_find_the_admin_pages(console: Console) -> None:
    await console.grant(MODERATOR, "moderator", SON_TINH)
    await console.grant(OFFICIAL, "official", None)
    for chat in (MODERATOR, OFFICIAL):
        client = await console.client(chat)
        status, html, _ = await client.get("/staff/")
        assert "/staff/roles" not in html and "/staff/audit" not in html
        for path in ("/staff/roles", "/staff/audit", "/staff/audit.csv", "/staff/roles/revoke"):
            status, html, _ = await client.get(path)
            assert status == 404, path
            assert "Không có trang này" in html
        status, _, _ = await client.post(
            "/staff/roles/grant", {"user": "telegram:1", "role": "admin", "area": ""}
        )
        assert status == 404
    async with transaction(console.runtime.deps.sessions) as session:
        assert await role_store.roles_of(session, "telegram", "1") == []


async def test_a_province_admin_grants_within_the_province_only(console: Console) -> None:
    await console.grant(PROVINCE_ADMIN, "admin", "51")
    await console.grant(HANOI_MODERATOR, "moderator", HANOI)
    admin = await console.client(PROVINCE_ADMIN)
    status, html, _ = await admin.get("/staff/roles")
    assert status == 200 and problems(html) == []
    page = text_of(html)
    assert "Quảng Ngãi" in page and f"telegram:{PROVINCE_ADMIN}" in page
    assert f"telegram:{HANOI_MODERATOR}" not in page  # another province's grants are not shown
    assert 'value="21220"' in html  # the province's communes to pick from

    # a commune typed by name, as in /quyen
    status, _, response = await admin.post(
        "/staff/roles/grant",
        {"user": f"telegram:{MODERATOR}", "role": "moderator", "area": "sơn tịnh"},
    )
    assert status == 303 and response.headers["Location"] == "/staff/roles"
    status, html, _ = await admin.get("/staff/roles")
    assert f"Đã cấp quyền kiểm duyệt cho telegram:{MODERATOR}, khu vực Xã Sơn Tịnh" in text_of(html)
    assert f"telegram:{MODERATOR}" in text_of(html)
    # the same again: nothing changes, and the admin is told so
    await admin.post(
        "/staff/roles/grant",
        {"user": f"telegram:{MODERATOR}", "role": "moderator", "area": SON_TINH},
    )
    status, html, _ = await admin.get("/staff/roles")
    assert "không có gì thay đổi" in text_of(html)

    refusals = [
        ({"user": "123", "role": "moderator", "area": SON_TINH}, "Hãy viết theo dạng KÊNH:MÃ"),
        ({"user": "sms:1", "role": "moderator", "area": SON_TINH}, "Kênh phải là một trong"),
        ({"user": "telegram:", "role": "moderator", "area": SON_TINH}, "còn thiếu mã người dùng"),
        ({"user": "telegram:a b", "role": "moderator", "area": SON_TINH}, "tối đa 64"),
        ({"user": "telegram:9", "role": "superuser", "area": SON_TINH}, "Hãy chọn một quyền"),
        ({"user": "telegram:9", "role": "official", "area": HANOI}, "nằm ngoài khu vực của bạn"),
        ({"user": "telegram:9", "role": "official", "area": "01"}, "nằm ngoài khu vực của bạn"),
        ({"user": "telegram:9", "role": "official", "area": ""}, "bạn không quản trị cả nước"),
        ({"user": "telegram:9", "role": "official", "area": "99"}, "Không có tỉnh nào mang mã 99"),
        ({"user": "telegram:9", "role": "official", "area": "99999"}, "Không có xã, phường nào"),
        ({"user": "telegram:9", "role": "official", "area": "123"}, "mã tỉnh (2 số)"),
        ({"user": "telegram:9", "role": "official", "area": "Mường Phăng"}, "Không tìm thấy"),
        ({"user": "telegram:9", "role": "official", "area": "Sơn"}, "Nhiều nơi khớp với «Sơn»"),
    ]
    for form, expected in refusals:
        status, html, _ = await admin.post("/staff/roles/grant", form)
        assert status == 400, form
        assert expected in text_of(html), (form, text_of(html)[:600])
        assert 'aria-invalid="true"' in html and problems(html) == []
        assert f'value="{form["user"]}"' in html  # what was typed is kept to correct
    async with transaction(console.runtime.deps.sessions) as session:
        assert await role_store.roles_of(session, "telegram", "9") == []

    # the same refusal in English, after the language switch (which leads back to the form)
    status, _, response = await admin.get("/staff/lang/en?next=/staff/roles/grant")
    assert status == 303 and response.headers["Location"] == "/staff/roles/grant"
    status, _, response = await admin.get("/staff/roles/grant")
    assert status == 303 and response.headers["Location"] == "/staff/roles"
    status, html, _ = await admin.get("/staff/roles")
    assert "Roles in your area" in text_of(html)
    status, html, _ = await admin.post(
        "/staff/roles/grant", {"user": "telegram:9", "role": "official", "area": HANOI}
    )
    assert status == 400 and "That area is outside yours" in text_of(html)


async def test_revoking_signs_the_person_out_at_their_next_click(console: Console) -> None:
    await console.grant(PROVINCE_ADMIN, "admin", "51")
    await console.grant(MODERATOR, "moderator", SON_TINH)
    await console.grant(HANOI_MODERATOR, "moderator", HANOI)
    moderator = await console.client(MODERATOR)
    admin = await console.client(PROVINCE_ADMIN)
    grant = await _grant_id(console, MODERATOR, "moderator", SON_TINH)
    hanoi = await _grant_id(console, HANOI_MODERATOR, "moderator", HANOI)

    # another area's grant, a made-up id or no id: not found, and nothing happens
    for path in (f"/staff/roles/revoke?grant={hanoi}", "/staff/roles/revoke?grant=abc",
                 "/staff/roles/revoke?grant=99999999", "/staff/roles/revoke"):  # fmt: skip
        status, _, _ = await admin.get(path)
        assert status == 404, path
    for value in (str(hanoi), "x", "-1", "9" * 30):
        status, _, _ = await admin.post("/staff/roles/revoke", {"grant": value})
        assert status == 404, value
    status, _, _ = await admin.post("/staff/roles/revoke", {"grant": str(grant)}, csrf=False)
    assert status == 403

    # the confirm step says what will happen; only its button revokes
    status, html, _ = await admin.get("/staff/roles")
    assert f"/staff/roles/revoke?grant={grant}" in html
    assert f"/staff/roles/revoke?grant={hanoi}" not in html
    status, html, _ = await admin.get(f"/staff/roles/revoke?grant={grant}")
    assert status == 200 and problems(html) == []
    question = re.search(r"Thu hồi quyền kiểm duyệt của [^?]+\?", text_of(html))
    assert question and f"(telegram:{MODERATOR}), khu vực Xã Sơn Tịnh" in question.group(0)
    assert "đăng xuất" in text_of(html)
    status, _, _ = await moderator.get("/staff/dashboard")
    assert status == 200  # still signed in until the admin confirms

    status, _, response = await admin.post("/staff/roles/revoke", {"grant": str(grant)})
    assert status == 303 and response.headers["Location"] == "/staff/roles"
    status, html, _ = await admin.get("/staff/roles")
    assert f"Đã thu hồi quyền kiểm duyệt của telegram:{MODERATOR}" in text_of(html)
    status, _, response = await moderator.get("/staff/")
    assert status == 303 and response.headers["Location"] == "/staff/signin?ended=1"
    # pressed twice (a second tab): told it was done already
    status, _, _ = await admin.post("/staff/roles/revoke", {"grant": str(grant)})
    assert status == 303
    status, html, _ = await admin.get("/staff/roles")
    assert "đã được thu hồi trước đó" in text_of(html)
    async with transaction(console.runtime.deps.sessions) as session:
        [entry] = await audit.entries(session, f"telegram:{MODERATOR}", limit=1)
        assert (entry.action, entry.actor) == ("role.revoke", f"telegram:{PROVINCE_ADMIN}")


async def test_an_admin_revoking_their_own_role_is_signed_out(console: Console) -> None:
    await console.grant(COUNTRY_ADMIN, "admin")
    await console.grant(COUNTRY_ADMIN, "moderator", SON_TINH)
    admin = await console.client(COUNTRY_ADMIN)
    grant = await _grant_id(console, COUNTRY_ADMIN, "moderator", SON_TINH)
    status, html, _ = await admin.get(f"/staff/roles/revoke?grant={grant}")
    assert "quyền của chính bạn" in text_of(html)
    status, _, response = await admin.post("/staff/roles/revoke", {"grant": str(grant)})
    assert status == 303 and response.headers["Location"] == "/staff/signin?ended=1"
    status, _, _ = await admin.get("/staff/roles")
    assert status == 303  # every session ended; /web signs in again with what is left
    again = await console.client(COUNTRY_ADMIN)
    status, _, _ = await again.get("/staff/roles")
    assert status == 200


async def _log(console: Console) -> None:
    """Entries of three areas and the whole country, by three people, over three days."""
    day = dt.timedelta(days=1)
    async with transaction(console.runtime.deps.sessions) as session:
        for i in range(60):
            await grant_role(
                session, "telegram", f"9{i:03d}", "moderator", SON_TINH,
                f"telegram:{PROVINCE_ADMIN}", NOW - dt.timedelta(minutes=i),
            )  # fmt: skip
        await grant_role(session, "telegram", "8001", "official", HANOI, "cli", NOW - 2 * day)
        await grant_role(session, "telegram", "8002", "official", "51", "cli", NOW - 2 * day)
        await grant_role(session, "telegram", "8003", "admin", None, "cli", NOW - 3 * day)
        session.add(
            TransactionPoint(
                id="qng-x", commune_code=SON_TINH, name="Điểm thôn 1", address="Nhà văn hóa",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11), office="PGD",
                phone="0255 3000 000",
            )
        )  # fmt: skip
        await session.flush()
        await audit.record(
            session, "telegram:8002", "point.address", "qng-x", {"new": "Nhà văn hóa"}, NOW - day
        )


async def test_the_audit_log_of_my_area_filtered_and_paged(console: Console) -> None:
    await console.grant(PROVINCE_ADMIN, "admin", "51")
    await console.grant(COUNTRY_ADMIN, "admin")
    await _log(console)
    admin = await console.client(PROVINCE_ADMIN)
    country = await console.client(COUNTRY_ADMIN)

    status, html, _ = await admin.get("/staff/audit")
    assert status == 200 and problems(html) == []
    page = text_of(html)
    assert page.count("cấp quyền") >= 50 and "telegram:8001" not in page  # Hà Nội's: not here
    older = re.search(r'href="(/staff/audit\?after=[^"]+)"', html)
    assert older, "a link to the older entries"
    status, html, _ = await admin.get(unescape(older.group(1)))
    page = text_of(html)
    assert status == 200 and "telegram:8002" in page and "telegram:8003" not in page
    assert "Mới nhất" in page

    async def shown(client: ConsoleClient, query: str) -> str:
        status, html, _ = await client.get(f"/staff/audit?{query}")
        assert status == 200, (query, text_of(html)[:500])
        return text_of(html)

    assert "telegram:8003" in await shown(country, "who=cli")
    assert "telegram:9000" not in await shown(country, "who=cli")
    assert "telegram:8001" in await shown(country, f"area={HANOI}")
    assert "telegram:8002" not in await shown(country, f"area={HANOI}")
    page = await shown(admin, "what=role&who=cli&area=quảng ngãi")
    assert "telegram:8002" in page and "telegram:8001" not in page and "telegram:9000" not in page
    until = (NOW - dt.timedelta(days=2)).date()
    assert "telegram:9000" not in await shown(
        admin, f"what=role&area=quảng ngãi&since=2020-01-01&until={until}"
    )
    since = (NOW - dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    page = await shown(country, f"since={since}&until={since}")
    assert "telegram:8001" in page and "telegram:8003" not in page and "telegram:9000" not in page

    refusals = [
        ("who=telegram", "Hãy viết theo dạng KÊNH:MÃ"),
        ("what=drop%20table", "Hãy chọn một thao tác"),
        ("since=31/02/2026", "Ngày không hợp lệ"),
        ("since=2026-12-08&until=2026-12-01", "phải cùng ngày hoặc sau"),
        (f"area={HANOI}", "bạn chỉ xem được nhật ký của khu vực mình"),
        ("area=99", "Không có tỉnh nào mang mã 99"),
    ]
    for query, expected in refusals:
        status, html, _ = await admin.get(f"/staff/audit?{query}")
        assert status == 400 and expected in text_of(html), query
        assert problems(html) == []
        status, html, _ = await admin.get(f"/staff/audit.csv?{query}")
        assert status == 400 and expected in text_of(html), query
    status, html, _ = await admin.get("/staff/audit?after=forged")
    assert status == 200 and "Liên kết trang không hợp lệ" in text_of(html)


async def test_the_audit_log_as_csv(console: Console) -> None:
    await console.grant(PROVINCE_ADMIN, "admin", "51")
    await _log(console)
    admin = await console.client(PROVINCE_ADMIN)
    status, body, response = await admin.get_bytes("/staff/audit.csv?what=role.grant")
    assert status == 200
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "time", "actor", "action"]
    # every grant of the province's, however many pages the screen would need
    assert len(rows) == 1 + 60 + 1 + 1  # 60 in Sơn Tịnh, the province's, the admin's own
    assert {row[3] for row in rows[1:]} == {"role.grant"}
    assert not any(row[5] == HANOI or row[5] == "" for row in rows[1:])
    status, body, _ = await admin.get_bytes("/staff/audit.csv?what=point")
    [_, row] = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert row[3] == "point.address"


def test_every_text_of_the_admin_pages_exists_in_both_languages(content) -> None:
    """The templates name their texts by key; a key missing from the content would fail only
    on the rare branch that shows it."""
    from pathlib import Path

    import bot.console

    folder = Path(bot.console.__file__).parent / "templates" / "admin"
    keys = {
        key
        for page in folder.glob("*.html")
        for key in re.findall(r"'(console\.[a-z_.]+)'", page.read_text())
    }
    assert len(keys) > 40
    for key in keys:
        for lang in ("vi", "en"):
            assert content.text(key, lang, count=2, shown=1, query="q", area="a", role="r",
                                user="u", time="t", by="b"), (key, lang)  # fmt: skip
    from handlers.account.audit_log import ACTIONS, SYSTEM_ACTORS, Problem

    named = [f"console.admin.audit.error.{p}" for p in Problem if p is not Problem.AREA]
    named += [f"console.admin.kind.{kind}" for kind in ACTIONS]
    named += [f"console.admin.action.{a}" for actions in ACTIONS.values() for a in actions]
    named += [f"console.admin.audit.actor.{a}" for a in SYSTEM_ACTORS]
    problems_of_roles = ("user_format", "user_channel", "user_empty", "user_id", "role",
                         "area_format", "area_no_province", "area_no_commune", "area_not_found",
                         "area_several", "area_outside", "area_required")  # fmt: skip
    named += [f"console.admin.error.{p}" for p in problems_of_roles]
    assert not [key for key in named if key not in content.messages]
