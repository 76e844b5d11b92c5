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
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from threading import Thread
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
    return config.pluginmanager.has_plugin("dsession")  # xdist's, in a distributed run only


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


class PostgresDatabases:
    """The PostgreSQL tests' databases, made one ahead and dropped afterwards on a thread of
    its own, so that the copy (a tenth of a second of disk writes) and the drop overlap the
    tests instead of adding to them. A migrated one is a copy of a template migrated once per
    session (per xdist worker): only this thread touches the template, since no one may be
    connected to a template while it is copied."""

    def __init__(self) -> None:
        self.base = PG_URL.rsplit("/", 1)[0]
        self._loop = asyncio.new_event_loop()
        self._thread = Thread(target=self._loop.run_forever, name="test-databases", daemon=True)
        self._thread.start()
        self._turn: asyncio.Lock | None = None
        self._conn: asyncpg.Connection | None = None
        self._template: str | None = None
        self._ahead: dict[bool, Future[str]] = {}
        self._drops: list[Future[None]] = []

    def take(self, migrated: bool) -> Future[str]:
        """The name of a new database (a migrated copy, or empty), and the next one started."""
        ready = self._ahead.pop(migrated, None) or self._submit(self._create, migrated)
        self._ahead[migrated] = self._submit(self._create, migrated)
        return ready

    def drop(self, name: str) -> None:
        self._drops.append(self._submit(self._drop, name))

    def close(self) -> None:
        for ahead in self._ahead.values():
            with contextlib.suppress(Exception):  # its error, if any, was a test's already
                self.drop(ahead.result())
        try:
            for drop in self._drops:
                drop.result()
            if self._template is not None:
                self._submit(self._drop, self._template).result()
        finally:
            self._submit(self._disconnect).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def _submit(self, job: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(self._one_at_a_time(job, *args), self._loop)

    async def _one_at_a_time(self, job: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        self._turn = self._turn or asyncio.Lock()
        async with self._turn:
            return await job(*args)

    async def _admin(self, sql: str) -> None:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(_dsn(PG_URL), timeout=10)
        await self._conn.execute(sql)

    async def _create(self, migrated: bool) -> str:
        name = f"vbsp_test_{uuid.uuid4().hex[:12]}"
        if not migrated:
            await self._admin(f'CREATE DATABASE "{name}"')
            return name
        if self._template is None:
            template = f"vbsp_test_tpl_{uuid.uuid4().hex[:12]}"
            await self._admin(f'CREATE DATABASE "{template}"')
            self._template = template
            await _migrate(f"{self.base}/{template}")
            await self._admin(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    async def _drop(self, name: str) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _disconnect(self) -> None:
        if self._conn is not None:
            await self._conn.close()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    try:
        yield databases
    finally:
        databases.close()


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
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = await asyncio.wrap_future(databases.take(migrated))
    url = f"{databases.base}/{name}"
    if migrated:
        _migrated.add(url)
    try:
        yield url
    finally:
        _migrated.discard(url)
        databases.drop(name)


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
