"""Async engine and sessions for SQLite and PostgreSQL, and the migrations that shape them."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from threading import Thread
from typing import Any
from weakref import WeakKeyDictionary

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SessionFactory = async_sessionmaker[AsyncSession]
CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool on PostgreSQL.

    hide_parameters: an error's text never carries the statement's values (a report's story,
    a reporter's id), so logging the error cannot leak them."""
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_async_engine(url, async_creator=lambda: _connect_sqlite(engine), **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # asyncpg waits 60 s for a server that does not answer; a webhook must say "later" (503)
    # well before Telegram gives up on the request.
    kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, **kwargs)


class _OneTripCursor:
    """A statement, its rows and the cursor's closing in one trip to aiosqlite's thread.

    SQLAlchemy's aiosqlite adapter makes four trips per statement (cursor, execute,
    fetchall, close). Each trip waits for the thread to take the GIL from the event loop,
    and the loop to take it back; SQLite's single writer is held all the while, so under
    load those waits, not SQLite, set how many updates a second the bot handles. Rows are
    fetched at once (the bot never streams a result)."""

    arraysize = 1

    def __init__(self, connection: _OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    def __await__(self) -> Generator[Any, None, _OneTripCursor]:
        """``await connection.cursor()``, as SQLAlchemy 2.0 asks for it (2.1: ``async with``)."""
        yield from ()
        return self

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._rows = []

    async def execute(self, sql: str, parameters: Any = None) -> _OneTripCursor:
        args = (sql,) if parameters is None else (sql, parameters)
        return await self._run("execute", args)

    async def executemany(self, sql: str, parameters: Any) -> _OneTripCursor:
        return await self._run("executemany", (sql, parameters))

    async def _run(self, method: str, args: tuple[Any, ...]) -> _OneTripCursor:
        def in_thread(conn: sqlite3.Connection) -> tuple[Any, int, int | None, list[Any]]:
            cursor = conn.cursor()
            try:
                getattr(cursor, method)(*args)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        found = await self._connection._execute(in_thread, self._connection._conn)
        self.description, self.rowcount, self.lastrowid, self._rows = found
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


class _OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection with one-trip cursors, and no trip for a rollback when no
    transaction is open (SQLAlchemy's pool rolls back every connection it takes back)."""

    def cursor(self) -> _OneTripCursor:  # type: ignore[override]
        return _OneTripCursor(self)

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().rollback()


async def _connect_sqlite(engine: AsyncEngine) -> aiosqlite.Connection:
    """aiosqlite's connect (with one-trip cursors), but a failed one waits for aiosqlite's
    worker thread to end.

    On a failed connect aiosqlite stops its thread without waiting: when the event loop
    closes first, the thread's last call into the loop prints "RuntimeError: Event loop is
    closed" and a long traceback after our one-line error (aiosqlite 0.22)."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    connection = _OneTripConnection(
        partial(sqlite3.connect, *args, **{**kwargs, "timeout": 30}), 64
    )
    # 0.22 runs a thread inside the connection; older versions are the thread. Daemon, as
    # SQLAlchemy's own connect makes it: a connection never closed must not hang the exit.
    worker: Thread = getattr(connection, "_thread", connection)
    worker.daemon = True
    try:
        return await connection
    except BaseException:
        if worker.is_alive():
            await asyncio.to_thread(worker.join, 10)
        raise


def session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: reading a row after commit must not trigger implicit IO.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# SQLite has one writer. Taking turns in-process is far faster than letting transactions
# collide on the file lock and back off in SQLite's busy handler.
_sqlite_turns: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


def _turn(factory: SessionFactory) -> asyncio.Lock | contextlib.nullcontext[None]:
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _sqlite_turns.setdefault(bind.sync_engine, asyncio.Lock())


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session that commits on success and rolls back on any error."""
    async with _turn(factory), factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations on this engine's database (on PostgreSQL under an advisory lock)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Two replicas starting together must not migrate at the same time.
            await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        await conn.run_sync(_upgrade, revision)


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _pending(connection: Connection) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return set(current) != set(heads)


async def needs_upgrade(engine: AsyncEngine) -> bool:
    """True when the database is behind the code's migrations."""
    async with engine.connect() as conn:
        return await conn.run_sync(_pending)
