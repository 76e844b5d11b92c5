"""`vbsp-bot serve` as a real process with only the Zalo Official Account channel on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.bot.test_serve_process import free_port
from tests.fakes.zalo_oa_api import FakeZaloOA

pytestmark = pytest.mark.slow  # a real `vbsp-bot` process


def environment(oa: FakeZaloOA, tmp_path: Path, refresh_token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        ZALO_OA_APP_ID=oa.app_id,
        ZALO_OA_APP_SECRET=oa.app_secret,
        ZALO_OA_SECRET_KEY=oa.oa_secret_key,
        ZALO_OA_API_BASE_URL=oa.root,
        ZALO_OA_OAUTH_BASE_URL=oa.root,
        ZALO_ZNS_API_BASE_URL=oa.root,
    )
    if refresh_token is not None:
        env["ZALO_OA_REFRESH_TOKEN"] = refresh_token
    return env


async def serve_until(port: int, env: dict[str, str], cwd: Path, words: bytes):  # type: ignore[no-untyped-def]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(port), env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log = b""
    while b"serving on" not in log:  # the server says when it listens; no guessing
        line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert line, f"serve exited early:\n{log.decode()}"
        log += line
    assert words in log, log.decode()
    return process, log


async def stop(process) -> bytes:  # type: ignore[no-untyped-def]
    process.send_signal(signal.SIGTERM)
    rest = await asyncio.wait_for(process.stderr.read(), timeout=60)
    assert await process.wait() == 0, rest.decode()
    assert b"Traceback" not in rest
    return rest


async def test_serve_runs_the_oa_channel_from_its_settings(tmp_path):
    async with FakeZaloOA() as oa:
        port = free_port()
        env = environment(oa, tmp_path, oa.issue_refresh_token())
        process, log = await serve_until(port, env, tmp_path, b"POST /zalo-oa/webhook")
        try:
            user = oa.new_user()
            oa.use_webhook(f"http://127.0.0.1:{port}/zalo-oa/webhook")
            assert await oa.probe() == 200
            assert await oa.push(oa.text_event(user, "start")) == 200
            await oa.wait_for_calls("cs", 1, within=30)  # the answer may come before the reply
            assert "Which language" in oa.last_message(user).text
            event = oa.text_event(user, "menu")
            raw, headers = oa.signed(event)
            async with aiohttp.ClientSession() as http:
                wrong = dict(headers, **{"X-ZEvent-Signature": "mac=" + "1" * 64})
                url = f"http://127.0.0.1:{port}/zalo-oa/webhook"
                async with http.post(url, data=raw, headers=wrong) as response:
                    assert response.status == 401
        finally:
            rest = await stop(process)
        assert oa.refresh_tokens and all(t.encode() not in log + rest for t in oa.refresh_tokens)
        assert oa.rejected == []


async def test_serve_says_why_the_oa_channel_is_off_without_a_refresh_token(tmp_path):
    async with FakeZaloOA() as oa:
        port = free_port()
        env = environment(oa, tmp_path, None)
        process, _ = await serve_until(port, env, tmp_path, b"zalo-oa authorize")
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"http://127.0.0.1:{port}/zalo-oa/webhook", data=b"{}") as response,
            ):
                assert response.status == 404  # no channel, no route
        finally:
            await stop(process)
