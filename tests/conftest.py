"""Shared fixtures: databases (SQLite file and a real PostgreSQL), content, a fake clock,
and a `Chat` helper that makes dialog tests read like the conversation they check."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

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


# Under pytest-xdist each worker checks for its own mark (one per process, set at import) and
# hands what it found to the controller, which runs no test and fails the run: a worker's
# own exit status does not count, and the controller's mark is in every worker's environment.
_LEFT_KEY = "vbsp_processes_left"
_left_in_workers: list[int] = []


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _left_in_workers.extend(getattr(node, "workeroutput", {}).get(_LEFT_KEY, []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test that started a process must end it whatever happened: fail the run if not."""
    config = session.config
    if _is_xdist_controller(config):
        left = list(_left_in_workers)
    else:
        left = processes_left(os.environ[SESSION_MARK])
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if hasattr(config, "workeroutput"):
            config.workeroutput[_LEFT_KEY] = left
    if not left:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"FAILED: {len(left)} process(es) started by tests were still running: {left}",
            red=True,
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


T = TypeVar("T")


def blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from anywhere: on a thread of its own, since the caller may
    be inside a test's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@cache
def postgres_problem() -> str | None:
    """None when PostgreSQL answers at PG_URL, else why not."""

    async def probe() -> None:
        conn = await asyncpg.connect(_dsn(PG_URL), timeout=3)
        await conn.close()

    try:
        blocking(probe())
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


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (per xdist worker); tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "vbsp-template.db"
    blocking(_migrate(f"sqlite+aiosqlite:///{path}"))
    # The last connection closed folds the WAL back into the file: the file alone is the copy.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per session (per xdist worker), the template of each
    test's database. No one may be connected to a template while it is copied: connections
    are refused once it is migrated."""
    name = f"vbsp_test_tpl_{uuid.uuid4().hex[:12]}"
    blocking(_admin(f'CREATE DATABASE "{name}"'))
    try:
        blocking(_migrate(f"{PG_URL.rsplit('/', 1)[0]}/{name}"))
        blocking(_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        yield name
    finally:
        blocking(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# The databases that `database_url` made as copies of a migrated template.
_migrated: set[str] = set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database of its own.

    Empty of tables too, unless the test uses `engine`: then it is a copy of a template
    migrated once per session, the same as migrating it here but without paying for it."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "vbsp-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            _migrated.add(url)
        try:
            yield url
        finally:
            _migrated.discard(url)
        return
    require_postgres()
    name = f"vbsp_test_{uuid.uuid4().hex[:12]}"
    url = f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    if migrated:
        template = request.getfixturevalue("postgres_template")
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        _migrated.add(url)
    else:
        await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        _migrated.discard(url)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    if database_url not in _migrated:
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
