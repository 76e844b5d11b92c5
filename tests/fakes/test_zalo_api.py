"""The fake Zalo Bot Platform, driven through the bot's own client and through raw HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot import zalo_api
from bot.zalo_api import ZaloApi, ZaloError

from .zalo_api import FakeZaloAPI

TOKEN = "1459232241:zalo-TEST_token"


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloAPI]:
    async with FakeZaloAPI(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def client(api: FakeZaloAPI) -> AsyncIterator[ZaloApi]:
    async with ZaloApi(TOKEN, api.root) as c:
        yield c


async def raw(api: FakeZaloAPI, path: str, body: object = None, method: str = "POST"):
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{api.root}{path}", json=body) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_get_me_shape(client: ZaloApi, api: FakeZaloAPI):
    me = await client.get_me()
    assert me["account_type"] == "BASIC" and me["can_join_groups"] is False
    assert api.calls[0].method == "getMe"


async def test_wrong_or_malformed_token_is_401(api: FakeZaloAPI):
    for token in ("1459232241:other", "not-a-token"):
        status, body = await raw(api, f"/bot{token}/getMe", {})
        assert status == 401
        assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with ZaloApi("1:wrong", api.root) as bad:
        with pytest.raises(ZaloError) as caught:
            await bad.get_me()
    assert caught.value.kind == zalo_api.INVALID_TOKEN


async def test_unknown_or_miscased_method_is_404(api: FakeZaloAPI):
    assert (await raw(api, f"/bot{TOKEN}/sendKeyboard", {}))[0] == 404
    assert (await raw(api, f"/bot{TOKEN}/sendmessage", {}))[0] == 404  # case-sensitive


async def test_send_message_shape_and_record(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    result = await client.send_message(user, "Xin chào")
    assert re.fullmatch(r"[0-9a-f]{20}", result["message_id"])
    assert result["date"] > 10**12  # milliseconds
    assert api.last_message(user).text == "Xin chào"


async def test_text_limits_are_2000_utf16_units(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    await client.send_message(user, "a" * 2000)
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "a" * 2001)
    assert caught.value.kind == zalo_api.BAD_REQUEST and caught.value.error_code == 400
    with pytest.raises(ZaloError):
        await client.send_message(user, "😀" * 1001)  # 2,002 UTF-16 units
    with pytest.raises(ZaloError):
        await client.send_message(user, "")
    assert [r.status for r in api.rejected] == [400, 400, 400]


async def test_missing_chat_unknown_chat_and_blocked_user(client: ZaloApi, api: FakeZaloAPI):
    status, body = await raw(api, f"/bot{TOKEN}/sendMessage", {"text": "x"})
    assert status == 400 and "chat_id" in body["description"]
    with pytest.raises(ZaloError) as caught:
        await client.send_message("0" * 20, "x")
    assert caught.value.kind == zalo_api.UNREACHABLE  # nobody the bot can write to
    user = api.new_user()
    api.block(user)
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "x")
    assert caught.value.kind == zalo_api.UNREACHABLE and caught.value.status == 403


async def test_photo_and_chat_action(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    await client.send_photo(user, "https://example.org/a.jpg", "Ảnh")
    assert api.last_message(user).kind == "photo"
    with pytest.raises(ZaloError):
        await client.send_photo(user, "ftp://example.org/a.jpg")
    assert await client.send_chat_action(user) is None  # {"ok": true}, no result
    with pytest.raises(ZaloError):
        await client.send_chat_action(user, "upload_photo")  # "coming soon"


async def test_webhook_set_info_delete(client: ZaloApi, api: FakeZaloAPI):
    assert (await client.get_webhook_info())["url"] == ""  # the real 404 is read as "none"
    with pytest.raises(ZaloError):
        await client.set_webhook("http://example.org/zalo/webhook", "s3cret-token")
    with pytest.raises(ZaloError):
        await client.set_webhook("https://example.org/zalo/webhook", "short")
    result = await client.set_webhook("https://example.org/zalo/webhook", "s3cret-token")
    assert result["url"] == "https://example.org/zalo/webhook" and result["updated_at"] > 10**12
    info = await client.get_webhook_info()
    assert info["url"] == "https://example.org/zalo/webhook" and "secret_token" not in info
    assert (await client.delete_webhook())["url"] == ""
    api.rejected.clear()


async def test_get_updates_one_event_then_408_when_idle(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    api.enqueue(api.text_event(user, "một"))
    api.enqueue(api.text_event(user, "hai"))
    first = await client.get_updates(1)
    assert len(first) == 1 and first[0]["message"]["text"] == "một"
    assert (await client.get_updates(1))[0]["message"]["text"] == "hai"
    status, body = await raw(api, f"/bot{TOKEN}/getUpdates", {"timeout": "0"})
    assert status == 408 and body["error_code"] == 408
    assert await client.get_updates(0) == []  # idle is not an error
    assert api.idle_polls == 2 and api.rejected == []  # nor a request Zalo would refuse


async def test_long_poll_wakes_when_an_event_arrives(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    poll = asyncio.create_task(client.get_updates(10))
    await asyncio.sleep(0.1)
    api.enqueue(api.text_event(user, "chào"))
    events = await asyncio.wait_for(poll, 2)
    assert events[0]["message"]["text"] == "chào"


async def test_get_updates_refused_while_a_webhook_is_set(client: ZaloApi, api: FakeZaloAPI):
    api.use_webhook("https://example.org/hook", "s3cret-token")
    with pytest.raises(ZaloError) as caught:
        await client.get_updates(0)
    assert caught.value.kind == zalo_api.WEBHOOK_SET


async def test_replays_serve_the_same_event_again(client: ZaloApi, api: FakeZaloAPI):
    api.replays = 1
    event = api.text_event(api.new_user(), "x")
    api.enqueue(event)
    one, two = await client.get_updates(0), await client.get_updates(0)
    assert one == two == [event]
    assert await client.get_updates(0) == []


async def test_fault_injection(client: ZaloApi, api: FakeZaloAPI):
    user = api.new_user()
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "x")
    assert caught.value.kind == zalo_api.RATE_LIMITED and caught.value.retry_after == 7
    api.fail_next("sendMessage", 502)
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "x")
    assert caught.value.kind == zalo_api.SERVER
    api.fail_next("sendMessage", 500, raw=b"<html>oops</html>")
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "x")
    assert caught.value.kind == zalo_api.SERVER
    api.fail_next("sendMessage", 400, description="Bad Request: nope", ok_false_200=True)
    with pytest.raises(ZaloError) as caught:
        await client.send_message(user, "x")  # HTTP 200 alone is not success
    assert caught.value.kind == zalo_api.BAD_REQUEST
    await client.send_message(user, "x")


async def test_monthly_quota():
    async with FakeZaloAPI(token=TOKEN, monthly_quota=2) as small, ZaloApi(TOKEN, small.root) as c:
        user = small.new_user()
        await c.send_message(user, "1")
        await c.send_message(user, "2")
        with pytest.raises(ZaloError) as caught:
            await c.send_message(user, "3")
    assert caught.value.kind == zalo_api.QUOTA  # not mistaken for a per-second 429


async def test_push_to_webhook_with_secret_flat_or_wrapped(api: FakeZaloAPI):
    got: list[tuple[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((request.headers.get("X-Bot-Api-Secret-Token", ""), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        api.use_webhook(f"http://127.0.0.1:{port}/hook", "s3cret-token")
        event = api.text_event(api.new_user(), "chào")
        assert await api.push(event) == 200
        assert await api.push(event, wrapped=True) == 200
    finally:
        await runner.cleanup()
    assert got[0] == ("s3cret-token", event)
    assert got[1] == ("s3cret-token", {"ok": True, "result": event})
    assert [d.status for d in api.deliveries] == [200, 200]


async def test_images_at_a_loopback_url_until_they_expire(client: ZaloApi, api: FakeZaloAPI):
    url = api.serve_image(b"\xff\xd8jpeg")
    got = await client.download(url, 1000)
    assert got.data == b"\xff\xd8jpeg" and got.content_type == "image/jpeg"
    assert (await client.download(url, 3)).truncated
    api.expire_image(url)
    with pytest.raises(ZaloError):
        await client.download(url, 1000)


def test_event_builders_have_the_real_shape(api: FakeZaloAPI):
    user = api.new_user()
    event = api.text_event(user, "hi")
    message = event["message"]
    assert event["event_name"] == "message.text.received"
    assert message["chat"] == {"id": user, "chat_type": "PRIVATE"}
    assert message["from"]["id"] == user and message["date"] > 10**12
    assert re.fullmatch(r"[0-9a-f]{20}", message["message_id"])
    assert api.image_event(user, "https://x/y.jpg")["message"]["photo_url"] == "https://x/y.jpg"
    assert "sticker" in api.sticker_event(user)["message"]
    assert set(api.unsupported_event(user)["message"]) == {"message_id", "date", "chat", "from"}
