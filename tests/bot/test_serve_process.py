"""`vbsp-bot serve` and `vbsp-bot webhook` as real processes against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.slow  # real `vbsp-bot` processes

TOKEN = "424242:PROCESS-test"
SECRET = "process-secret"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(api: FakeTelegramAPI, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    return env


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as api:
        yield api
        assert api.rejected == []


async def test_serve_answers_webhooks_and_stops_cleanly_on_sigterm(api, tmp_path):
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(port),
        env=environment(api, tmp_path), cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        log = b""
        while b"serving on" not in log:  # the server says when it listens; no guessing
            line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
            assert line, f"serve exited early:\n{log.decode()}"
            log += line
        commands = api.commands(language_code="")
        assert [c["command"] for c in commands][:2] == ["menu", "chuongtrinh"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            update = api.make_message(777, "/start")
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        assert "Which language" in api.last_message(777).plain_text
    finally:
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), timeout=60)
        code = await process.wait()
    assert code == 0, rest.decode()
    assert b"Traceback" not in rest


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_webhook_set_registers_url_and_secret(api, tmp_path):
    env = environment(api, tmp_path)
    code, _, err = await run_cli(
        "webhook", "set", "https://bot.example.vn/telegram/webhook", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert api.webhook_url == "https://bot.example.vn/telegram/webhook"
    call = api.calls_to("setWebhook")[-1]
    assert call.params["secret_token"] == SECRET
    code, _, err = await run_cli("webhook", "delete", env=env, cwd=tmp_path)
    assert code == 0 and api.webhook_url == ""


async def test_webhook_set_refuses_plain_http(api, tmp_path):
    code, _, err = await run_cli(
        "webhook", "set", "http://bot.example.vn", env=environment(api, tmp_path), cwd=tmp_path
    )
    assert code == 2
    assert err.strip() == "vbsp-bot: webhook set: URL must start with https://"
