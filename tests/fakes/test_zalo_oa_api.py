"""The fake Zalo OA / ZNS / OAuth, driven through the bot's own client and through raw HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot import zalo_oa_api as oa_api
from bot.zalo_oa_api import OaError, Tokens, ZaloOaApi

from .zalo_oa_api import FakeZaloOA, s256, signature

T0 = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


class FixedTokens:
    """A token source for the client alone: one token, refreshed through the fake."""

    def __init__(self, api: ZaloOaApi, access: str, refresh: str) -> None:
        self.api, self.access, self.refresh = api, access, refresh
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.access

    async def refreshed(self, stale: str) -> str:
        self.refreshes += 1
        tokens = await self.api.refresh(self.refresh)
        self.access, self.refresh = tokens.access_token, tokens.refresh_token
        return self.access


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        fake.set_time(T0)
        yield fake


@pytest.fixture
async def client(oa: FakeZaloOA) -> AsyncIterator[ZaloOaApi]:
    async with ZaloOaApi(
        oa.app_id, oa.app_secret, api_root=oa.root, oauth_root=oa.root, zns_root=oa.root
    ) as api:
        api.tokens = FixedTokens(api, oa.issue_access_token(), oa.issue_refresh_token())
        yield api


def buttons(*titles: str) -> list[dict[str, str]]:
    return [{"title": t, "type": "oa.query.hide", "payload": f"#act:{t}"} for t in titles]


def with_buttons(text: str, items: list[dict[str, str]]) -> dict[str, object]:
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": items}}}


async def test_send_text_shape_and_record(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    data = await client.send_cs(user, {"text": "Xin chào"})
    assert data["user_id"] == user and data["message_id"] and data["quota"]
    sent = oa.last_message(user)
    assert sent is not None and sent.text == "Xin chào" and sent.buttons == []
    call = oa.calls_to("cs")[0]
    assert call.body == {"recipient": {"user_id": user}, "message": {"text": "Xin chào"}}


async def test_buttons_are_recorded_and_pressing_one_pushes_its_payload(
    client: ZaloOaApi, oa: FakeZaloOA
):
    got: list[dict[str, object]] = []

    async def webhook(request: web.Request) -> web.Response:
        got.append(json.loads(await request.read()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        oa.use_webhook(f"http://{host}:{port}/hook")
        user = oa.new_user()
        await client.send_cs(user, with_buttons("Chọn", buttons("Vay vốn", "Lịch")))
        assert oa.last_message(user).buttons == [
            ("Vay vốn", "oa.query.hide", "#act:Vay vốn"),
            ("Lịch", "oa.query.hide", "#act:Lịch"),
        ]
        assert await oa.press(user, "Lịch") == 200
        assert got[-1]["event_name"] == "user_send_text"
        assert got[-1]["message"]["text"] == "#act:Lịch"  # type: ignore[index]
        assert got[-1]["sender"] == {"id": user}
        with pytest.raises(LookupError):
            await oa.press(user, "Không có")
    finally:
        await runner.cleanup()


async def test_text_and_button_limits(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    await client.send_cs(user, {"text": "a" * oa_api.TEXT_LIMIT})
    await client.send_cs(user, with_buttons("x", buttons(*"abcde")))
    too_long_title = [{"title": "t" * 101, "type": "oa.query.hide", "payload": "p"}]
    too_long_payload = [{"title": "t", "type": "oa.query.hide", "payload": "p" * 1001}]
    bad_type = [{"title": "t", "type": "oa.callback", "payload": "p"}]
    for message in (
        {"text": "a" * 2001},
        {"text": "😀" * 1001},  # 2,002 UTF-16 units
        {"text": ""},
        {},
        with_buttons("x", buttons(*"abcdef")),  # six buttons
        with_buttons("x", too_long_title),
        with_buttons("x", too_long_payload),
        with_buttons("x", bad_type),
    ):
        with pytest.raises(OaError) as caught:
            await client.send_cs(user, message)
        assert caught.value.code == -201 and caught.value.kind == oa_api.BAD_REQUEST
    assert len(oa.messages(user)) == 2 and len(oa.rejected) == 8


async def test_list_media_and_request_info_templates(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    rows = [
        {
            "title": f"Chương trình {i}",
            "default_action": {"type": "oa.query.hide", "payload": f"#p{i}"},
        }
        for i in range(5)
    ]
    await client.send_cs(
        user,
        {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "list", "elements": rows},
            }
        },
    )
    assert oa.last_message(user).template_type == "list"
    media = {"media_type": "image", "url": "https://example.vn/a.jpg"}
    await client.send_cs(
        user,
        {
            "text": "Ảnh",
            "attachment": {
                "type": "template",
                "payload": {"template_type": "media", "elements": [media]},
            },
        },
    )
    ask = {"title": "Số điện thoại", "subtitle": "Để nhận nhắc lịch", "image_url": ""}
    await client.send_cs(
        user,
        {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "request_user_info", "elements": [ask]},
            }
        },
    )
    with pytest.raises(OaError):
        six = [*rows, rows[0]]
        await client.send_cs(
            user,
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "list", "elements": six},
                }
            },
        )


async def test_window_closes_after_seven_days(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    oa.advance(days=7)
    await client.send_cs(user, {"text": "còn trong 7 ngày"})
    oa.advance(seconds=1)
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "quá 7 ngày"})
    assert caught.value.code == -230 and caught.value.kind == oa_api.WINDOW
    oa.set_last_interaction(user, oa.now())
    await client.send_cs(user, {"text": "mở lại"})


async def test_unknown_and_blocked_users(client: ZaloOaApi, oa: FakeZaloOA):
    with pytest.raises(OaError) as caught:
        await client.send_cs("123", {"text": "ai?"})
    assert caught.value.code == -201
    user = oa.new_user()
    oa.block(user)
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "x"})
    assert caught.value.kind == oa_api.UNREACHABLE


async def test_expired_token_is_refreshed_once_and_the_send_retried(
    client: ZaloOaApi, oa: FakeZaloOA
):
    user = oa.new_user()
    oa.advance(seconds=90001)  # the access token lived 25 hours
    oa.set_last_interaction(user, oa.now())
    await client.send_cs(user, {"text": "sau khi làm mới"})
    source = client.tokens
    assert isinstance(source, FixedTokens) and source.refreshes == 1
    cs = oa.calls_to("cs")
    assert [c.headers["access_token"] for c in cs][1] == source.access
    assert oa.rejected[0].code == -216


async def test_a_second_token_refusal_is_not_retried_again(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    oa.fail_next("cs", -216, times=2)
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "x"})
    assert caught.value.kind == oa_api.TOKEN
    assert len(oa.calls_to("cs")) == 2 and len(oa.calls_to("token")) == 1


async def test_minus_124_also_means_refresh(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    oa.fail_next("cs", -124)
    await client.send_cs(user, {"text": "x"})
    assert len(oa.calls_to("token")) == 1


async def test_refresh_token_is_single_use(client: ZaloOaApi, oa: FakeZaloOA):
    first = oa.issue_refresh_token()
    tokens = await client.refresh(first)
    assert isinstance(tokens, Tokens) and tokens.expires_in == 90000
    assert tokens.refresh_token != first and tokens.access_token in oa.access_tokens
    assert "90000" in repr(tokens) and tokens.access_token not in repr(tokens)
    with pytest.raises(OaError) as caught:
        await client.refresh(first)
    assert caught.value.kind == oa_api.TOKEN and caught.value.code == -14014
    assert first not in str(caught.value)
    assert oa.refresh_uses[first] == 2


async def test_token_endpoint_wants_form_secret_and_app(oa: FakeZaloOA):
    refresh = oa.issue_refresh_token()
    async with aiohttp.ClientSession() as http:
        form = {"refresh_token": refresh, "app_id": oa.app_id, "grant_type": "refresh_token"}
        async with http.post(
            f"{oa.root}/v4/oa/access_token", data=form, headers={"secret_key": "wrong"}
        ) as response:
            assert (await response.json())["error"] == -14002
        async with http.post(
            f"{oa.root}/v4/oa/access_token", json=form, headers={"secret_key": oa.app_secret}
        ) as response:
            assert (await response.json())["error"] == -14002
        async with http.post(
            f"{oa.root}/v4/oa/access_token", data=form, headers={"secret_key": oa.app_secret}
        ) as response:
            body = await response.json()
    assert body["expires_in"] == "90000" and isinstance(body["expires_in"], str)
    assert refresh not in oa.refresh_tokens


async def test_pkce_code_exchange(client: ZaloOaApi, oa: FakeZaloOA):
    verifier = "v" * 50
    url = client.permission_url("https://bot.example.vn/cb", s256(verifier), "st4te")
    assert url.startswith(f"{oa.root}/v4/oa/permission?app_id={oa.app_id}&")
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, allow_redirects=False) as response,
    ):
        assert response.status == 302
        location = response.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("https://bot.example.vn/cb?") and query["state"] == ["st4te"]
    code = query["code"][0]
    with pytest.raises(OaError) as caught:
        await client.exchange_code(code, "w" * 50)  # wrong verifier: the code is spent
    assert caught.value.kind == oa_api.TOKEN
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as response:
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    oa.advance(601)
    with pytest.raises(OaError):
        await client.exchange_code(code, verifier)  # older than 10 minutes
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as response:
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    tokens = await client.exchange_code(code, verifier)
    assert tokens.refresh_token in oa.refresh_tokens


async def test_zns_checks_and_quota(client: ZaloOaApi, oa: FakeZaloOA):
    oa.add_template("250001", ["customer_name", "date"])
    oa.zns_daily_quota = 1
    data = {"customer_name": "An", "date": "08/12/2026"}
    for phone, template, values, code in (
        ("0912345678", "250001", data, -108),
        ("+84912345678", "250001", data, -108),
        ("84912345678", "999", data, -109),
        ("84912345678", "250001", {}, -111),
        ("84912345678", "250001", {"customer_name": "An"}, -112),
        ("84912345678", "250001", {**data, "extra": "x"}, -112),
    ):
        with pytest.raises(OaError) as caught:
            await client.send_zns(phone, template, values, "row-1")
        assert caught.value.code == code and caught.value.kind == oa_api.BAD_REQUEST
    sent = await client.send_zns("84912345678", "250001", data, "row-1")
    assert sent["msg_id"] and sent["quota"]["remainingQuota"] == "0"
    assert oa.zns_sent[0].tracking_id == "row-1" and oa.zns_sent[0].template_data == data
    with pytest.raises(OaError) as caught:
        await client.send_zns("84912345679", "250001", data, "row-2")
    assert caught.value.kind == oa_api.QUOTA
    oa.advance(days=1)
    oa.zns_no_account("84912345670")
    with pytest.raises(OaError) as caught:
        await client.send_zns("84912345670", "250001", data, "row-3")
    assert caught.value.kind == oa_api.UNREACHABLE
    oa.add_template("250002", ["customer_name"], max_length={"customer_name": 30})
    await client.send_zns("84912345678", "250002", {"customer_name": "a" * 30}, "row-4")
    with pytest.raises(OaError) as caught:
        await client.send_zns("84912345678", "250002", {"customer_name": "a" * 31}, "row-5")
    assert caught.value.code == -112 and "customer_name" in str(caught.value)


async def test_injected_faults(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    oa.fail_next("cs", status=502, raw=b"<html>Bad Gateway</html>")
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "x"})
    assert caught.value.kind == oa_api.SERVER and caught.value.status == 502
    oa.fail_next("cs", status=429, raw=b"")
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "x"})
    assert caught.value.kind == oa_api.RATE_LIMITED
    oa.fail_next("zns", -32, "Exceeded the rate limit")
    with pytest.raises(OaError) as caught:
        await client.send_zns("84912345678", "1", {"a": "b"}, "t")
    assert caught.value.kind == oa_api.RATE_LIMITED
    oa.fail_next("token", -14014, "Invalid refresh token")
    with pytest.raises(OaError) as caught:
        await client.refresh(oa.issue_refresh_token())
    assert caught.value.kind == oa_api.TOKEN


async def test_network_failure_names_no_token(oa: FakeZaloOA):
    root = oa.root
    token = oa.issue_access_token()
    await oa.close()
    async with ZaloOaApi(oa.app_id, "planted-app-secret", api_root=root) as api:

        class Source:
            async def access_token(self) -> str:
                return token

            async def refreshed(self, stale: str) -> str:
                raise AssertionError("no refresh on a network failure")

        api.tokens = Source()
        with pytest.raises(OaError) as caught:
            await api.send_cs("1", {"text": "x"})
    assert caught.value.kind == oa_api.NETWORK
    assert token not in str(caught.value)


async def test_signed_events_carry_a_plain_sha256_mac(oa: FakeZaloOA):
    user = oa.new_user()
    event = oa.text_event(user, "xin chào")
    raw, headers = oa.signed(event)
    expected = hashlib.sha256(
        (oa.app_id + raw.decode() + event["timestamp"] + oa.oa_secret_key).encode()
    ).hexdigest()
    assert headers["X-ZEvent-Signature"] == f"mac={expected}"
    assert signature(oa.app_id, raw, event["timestamp"], oa.oa_secret_key) == expected
    assert event["timestamp"] == str(int(T0.timestamp() * 1000))
    assert oa.signed(event, timestamp_header=True)[1]["X-ZEvent-Timestamp"] == event["timestamp"]


async def test_event_shapes(oa: FakeZaloOA):
    user = oa.new_user()
    image = oa.image_event(user, oa.serve_image(b"jpg"), "ảnh")
    assert image["message"]["attachments"][0]["type"] == "image"
    follow = oa.follow_event(user)
    assert follow["follower"] == {"id": user} and follow["oa_id"] == oa.oa_id
    info = oa.submit_info_event(user, "84912345678")
    assert info["info"]["phone"] == "84912345678" and info["sender"] == {"id": user}
    echo = oa.echo_event(user, "bot said")
    assert echo["sender"] == {"id": oa.oa_id} and echo["recipient"] == {"id": user}
    assert oa.unfollow_event(user)["event_name"] == "unfollow"


async def test_pushed_user_events_open_the_window_and_unfollow_marks(oa: FakeZaloOA):
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", ok)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        oa.use_webhook(f"http://{host}:{port}/hook")
        user = oa.new_user(interacted=T0 - dt.timedelta(days=30))
        assert await oa.push(oa.text_event(user, "hi")) == 200
        assert oa.last_interaction(user) == T0
        await oa.push(oa.unfollow_event(user))
        assert not oa.is_follower(user)
        assert await oa.probe() == 200
        assert [d.status for d in oa.deliveries] == [200, 200]
    finally:
        await runner.cleanup()


async def test_download_a_picture(client: ZaloOaApi, oa: FakeZaloOA):
    url = oa.serve_image(b"\xff\xd8jpeg-bytes")
    got = await client.download(url, 1000)
    assert got.data == b"\xff\xd8jpeg-bytes" and got.content_type == "image/jpeg"
    assert (await client.download(url, 4)).truncated
    oa.expire_image(url)
    with pytest.raises(OaError):
        await client.download(url, 1000)


async def test_zalo_words_quoting_a_token_or_code_are_scrubbed(client: ZaloOaApi, oa: FakeZaloOA):
    user = oa.new_user()
    source = client.tokens
    assert isinstance(source, FixedTokens)
    planted = source.access
    oa.fail_next("cs", -201, f"bad request with access_token={planted}")
    with pytest.raises(OaError) as caught:
        await client.send_cs(user, {"text": "x"})
    assert planted not in str(caught.value) and "<token>" in str(caught.value)
    code = "code_planted_abcdefgh"
    oa.fail_next("token", -14014, f"code {code} is invalid for secret {oa.app_secret}")
    with pytest.raises(OaError) as caught:
        await client.exchange_code(code, "v" * 50)
    assert code not in str(caught.value) and oa.app_secret not in str(caught.value)


def test_classify_known_codes_then_words():
    assert oa_api.classify(-216) == oa_api.classify(-124) == oa_api.TOKEN
    assert oa_api.classify(-230) == oa_api.WINDOW
    assert oa_api.classify(-108) == oa_api.BAD_REQUEST
    assert oa_api.classify(-9999, "Daily quota exceeded") == oa_api.QUOTA
    assert oa_api.classify(-9999, "User has blocked the OA") == oa_api.UNREACHABLE
    assert oa_api.classify(-9999, "Rate limit reached") == oa_api.RATE_LIMITED
    assert oa_api.classify(-9999, "Template not found") == oa_api.OTHER
