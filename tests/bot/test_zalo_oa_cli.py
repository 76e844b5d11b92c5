"""`vbsp-bot zalo-oa authorize|status`: a real process talking to the fake Zalo OAuth server.

The admin's part is played by the test: it reads the permission address the command prints,
opens it (the fake answers 302 to the redirect URI as if the admin had allowed), and pastes
the address the browser was sent to back on the command's stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli.zalo_oa import PastedError, code_from, new_pkce, status
from bot.config import load_settings
from storage import zalo_oa_tokens as stored
from storage.db import create_engine, session_factory, transaction, upgrade
from tests.fakes.zalo_oa_api import FakeZaloOA, s256

ROOT = Path(__file__).resolve().parents[2]
REDIRECT = "https://bot.example.vn/zalo-oa/authorized"


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


def env_for(oa: FakeZaloOA, db: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(
        {
            "DATABASE_URL": db,
            "ZALO_OA_APP_ID": oa.app_id,
            "ZALO_OA_APP_SECRET": oa.app_secret,
            "ZALO_OA_SECRET_KEY": oa.oa_secret_key,
            "ZALO_OA_API_BASE_URL": oa.root,
            "ZALO_OA_OAUTH_BASE_URL": oa.root,
            "ZALO_ZNS_API_BASE_URL": oa.root,
            "LOG_LEVEL": "DEBUG",
        }
    )
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def cli(
    *args: str, env: dict[str, str], cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def read_until(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> str:
    """Lines until one containing ``needle`` (the output so far kept in ``seen``)."""
    while True:
        line = (await asyncio.wait_for(stream.readline(), 60)).decode()
        if not line:
            raise AssertionError(f"{needle!r} never came; output: {''.join(seen)}")
        seen.append(line)
        if needle in line:
            return line


async def consent(address: str) -> str:
    """The admin opens the page and allows: where Zalo sends the browser."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(address, allow_redirects=False) as response,
    ):
        assert response.status == 302
        return response.headers["Location"]


async def row_of(db: str, app_id: str):
    engine = create_engine(db)
    try:
        await upgrade(engine)
        async with transaction(session_factory(engine)) as session:
            return await stored.get(session, app_id)
    finally:
        await engine.dispose()


async def test_authorize_then_status(oa: FakeZaloOA, tmp_path: Path):
    db = f"sqlite+aiosqlite:///{tmp_path}/oa.db"
    env = env_for(oa, db)
    seen: list[str] = []
    async with cli("zalo-oa", "authorize", "--redirect-uri", REDIRECT, env=env, cwd=tmp_path) as p:
        assert p.stdin and p.stdout and p.stderr
        line = await read_until(p.stdout, "/v4/oa/permission?", seen)
        address = line.strip()
        assert address.startswith(f"{oa.root}/v4/oa/permission?app_id={oa.app_id}&")
        back = await consent(address)
        assert back.startswith(REDIRECT + "?code=")
        # A wrong paste first (another run's answer): refused kindly, asked again.
        p.stdin.write(f"{REDIRECT}?code=abcdefghijkl&state=not-this-run\n".encode())
        p.stdin.write(f"  {back}  \n".encode())
        await p.stdin.drain()
        out, err = await asyncio.wait_for(p.communicate(), 60)
    output = "".join(seen) + out.decode()
    assert p.returncode == 0, output + err.decode()
    assert "state= does not match" in output and "Try again (2 left)" in output
    assert "Done: the tokens are kept in the database" in output
    # The challenge sent was S256 of the verifier exchanged.
    permission = oa.calls_to("permission")[0].body
    exchange = oa.calls_to("token")[0].body
    assert permission["code_challenge"] == s256(exchange["code_verifier"])
    assert exchange["grant_type"] == "authorization_code"
    assert len(exchange["code_verifier"]) == 64
    row = await row_of(db, oa.app_id)
    assert row.access_token in oa.access_tokens and row.refresh_token in oa.refresh_tokens
    for secret in (row.access_token, row.refresh_token, exchange["code_verifier"], oa.app_secret):
        assert secret not in output and secret not in err.decode()

    async with cli("zalo-oa", "status", env=env, cwd=tmp_path) as p:
        out, err = await asyncio.wait_for(p.communicate(), 60)
    assert p.returncode == 0, err.decode()
    text = out.decode()
    assert f"Zalo OA app {oa.app_id}" in text and "access token expires:" in text
    assert "(in 25.0 hours)" in text or "(in 24.9 hours)" in text
    assert row.access_token not in text and row.refresh_token not in text


async def test_authorize_gives_up_after_three_bad_pastes_and_changes_nothing(
    oa: FakeZaloOA, tmp_path: Path
):
    db = f"sqlite+aiosqlite:///{tmp_path}/oa.db"
    env = env_for(oa, db, PUBLIC_BASE_URL="https://bot.example.vn")
    seen: list[str] = []
    async with cli("zalo-oa", "authorize", env=env, cwd=tmp_path) as p:
        assert p.stdin and p.stdout
        line = await read_until(p.stdout, "/v4/oa/permission?", seen)
        assert "redirect_uri=https%3A%2F%2Fbot.example.vn%2Fzalo-oa%2Fauthorized" in line
        p.stdin.write(b"\nhas spaces in it\nhttps://bot.example.vn/zalo-oa/authorized?x=1\n")
        await p.stdin.drain()
        out, _ = await asyncio.wait_for(p.communicate(), 60)
    output = "".join(seen) + out.decode()
    assert p.returncode == 1
    assert "nothing was pasted" in output and "does not look like a code" in output
    assert "has no code=" in output and "No change made" in output
    assert oa.calls_to("token") == []
    assert await row_of(db, oa.app_id) is None


async def test_authorize_with_a_spent_code_says_what_zalo_answered(oa: FakeZaloOA, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/oa.db"
    env = env_for(oa, db)
    seen: list[str] = []
    async with cli("zalo-oa", "authorize", "--redirect-uri", REDIRECT, env=env, cwd=tmp_path) as p:
        assert p.stdin and p.stdout
        line = await read_until(p.stdout, "/v4/oa/permission?", seen)
        back = await consent(line.strip())
        oa.fail_next("token", -14014, "Invalid authorization code")
        p.stdin.write(f"{back}\n".encode())
        await p.stdin.drain()
        _, err = await asyncio.wait_for(p.communicate(), 60)
    assert p.returncode == 1
    assert err.decode().strip().splitlines()[-1] == (
        "vbsp-bot: Zalo OA answered: token (-14014): Invalid authorization code"
    )
    assert await row_of(db, oa.app_id) is None


async def test_commands_need_the_oa_settings(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/oa.db"
    for verb in ("authorize", "status"):
        async with cli("zalo-oa", verb, env=env, cwd=tmp_path) as p:
            _, err = await asyncio.wait_for(p.communicate(b""), 60)
        assert p.returncode == 2
        assert err.decode().startswith("vbsp-bot: ZALO_OA_APP_ID: zalo-oa")
        assert "Traceback" not in err.decode()


# ---- status and parsing, in process ---------------------------------------------------------


def settings_for(oa: FakeZaloOA, db: str, **extra: object):
    return load_settings(
        database_url=db,
        zalo_oa_app_id=oa.app_id,
        zalo_oa_app_secret=oa.app_secret,
        zalo_oa_secret_key=oa.oa_secret_key,
        **extra,
    )


async def test_status_says_what_needs_a_person(oa: FakeZaloOA, tmp_path: Path):
    db = f"sqlite+aiosqlite:///{tmp_path}/oa.db"
    now = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    out = io.StringIO()
    assert await status(settings_for(oa, db), out, now) == 1
    assert "grant: none. Run `vbsp-bot zalo-oa authorize`." in out.getvalue()
    out = io.StringIO()
    assert await status(settings_for(oa, db, zalo_oa_refresh_token="rt_0123456789"), out, now) == 0
    assert "only ZALO_OA_REFRESH_TOKEN" in out.getvalue()
    engine = create_engine(db)
    try:
        async with transaction(session_factory(engine)) as session:
            row = await stored.save_grant(session, oa.app_id, "at_secret", "rt_secret", 90000, now)
            stored.record_failure(row, "token (-14014): Invalid refresh token", now)
            session.add(row)
    finally:
        await engine.dispose()
    out = io.StringIO()
    assert await status(settings_for(oa, db), out, now + dt.timedelta(hours=1)) == 1
    text = out.getvalue()
    assert "refresh failed 1 time(s) in a row" in text and "-14014" in text
    assert "(in 24.0 hours)" in text and "(1.0 hours ago)" in text
    assert "at_secret" not in text and "rt_secret" not in text
    out = io.StringIO()
    assert await status(settings_for(oa, db), out, now + dt.timedelta(days=91)) == 1
    assert "the refresh token has expired" in out.getvalue()


def test_pkce_pieces():
    one, two = new_pkce(), new_pkce()
    assert one.verifier != two.verifier and one.state != two.state
    assert 43 <= len(one.verifier) <= 128 and one.challenge == s256(one.verifier)
    assert code_from("  abcDEF123_-.~xyz \n", "s") == "abcDEF123_-.~xyz"
    assert code_from(f"{REDIRECT}?code=abcdefghij&oa_id=1&state=s", "s") == "abcdefghij"
    assert code_from("code=abcdefghij&state=s", "s") == "abcdefghij"
    for bad in (
        "",
        "short",
        "a b c d e f g h",
        f"{REDIRECT}?code=abcdefghij",
        f"{REDIRECT}?state=s",
    ):
        with pytest.raises(PastedError):
            code_from(bad, "s")
