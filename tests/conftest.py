"""Shared fixtures: databases (SQLite file and a real PostgreSQL), content, a fake clock,
and a `Chat` helper that makes dialog tests read like the conversation they check."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import asyncpg
import pytest

from content.loader import Content, load_content
from handlers.core.dispatch import Deps, handle
from handlers.core.types import Button, Incoming, Reply
from storage.db import create_engine, session_factory, upgrade

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

# Every process a test starts inherits this mark; at the end of the session none may be left.
SESSION_MARK = "VBSP_TEST_SESSION"
os.environ[SESSION_MARK] = uuid.uuid4().hex


def processes_left(mark: str) -> list[int]:
    """Processes other than this one whose environment carries the session's mark."""
    needle = f"{SESSION_MARK}={mark}".encode()
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if needle in environ.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:  # gone already, or not ours to read
            continue
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test that started a process must end it whatever happened: fail the run if not."""
    left = processes_left(os.environ[SESSION_MARK])
    if not left:
        return
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    session.config.pluginmanager.get_plugin("terminalreporter").write_line(
        f"FAILED: {len(left)} process(es) started by tests were still running: {left}", red=True
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@cache
def postgres_problem() -> str | None:
    """None when PostgreSQL answers at PG_URL, else why not."""

    async def probe() -> None:
        conn = await asyncpg.connect(_dsn(PG_URL), timeout=3)
        await conn.close()

    try:
        # Called from inside the test's event loop, so probe on a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, probe()).result()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("VBSP_REQUIRE_POSTGRES"):
        pytest.fail(f"{problem} (VBSP_REQUIRE_POSTGRES is set)")
    pytest.skip(problem)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_dsn(PG_URL), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/vbsp-test.db"
        return
    require_postgres()
    name = f"vbsp_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


class FakeClock:
    """The time the code under test sees; tests move it on instead of sleeping."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC))


@pytest.fixture
def deps(engine, content: Content, clock: FakeClock) -> Deps:
    return Deps(content=content, sessions=session_factory(engine), clock=clock)


class Chat:
    """One user talking to the dialogs: `await chat.send("...")`, `await chat.press("...")`."""

    def __init__(self, deps: Deps, user_id: str = "1001", channel: str = "test") -> None:
        self.deps, self.user_id, self.channel = deps, user_id, channel
        self.replies: list[Reply] = []

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        self.replies = await handle(incoming, self.deps) or []
        return self.replies

    async def send(self, text: str) -> list[Reply]:
        return await self._handle(Incoming(self.channel, self.user_id, text=text))

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label contains ``label`` (or whose action equals it)."""
        return await self._handle(
            Incoming(self.channel, self.user_id, action=self.find(label).action)
        )

    def find(self, label: str) -> Button:
        for button in self.buttons:
            if label == button.action or label.lower() in button.label.lower():
                return button
        raise AssertionError(f"no button {label!r} in {[b.label for b in self.buttons]}")

    @property
    def buttons(self) -> list[Button]:
        return [b for reply in self.replies for row in reply.buttons for b in row]

    @property
    def text(self) -> str:
        return "\n\n".join(reply.text for reply in self.replies)

    async def onboard(self, lang: str = "vi") -> None:
        await self.send("/start")
        await self.press(f"lang:{lang}")
        await self.press("consent:yes")


@pytest.fixture
def chat(deps: Deps) -> Chat:
    return Chat(deps)
