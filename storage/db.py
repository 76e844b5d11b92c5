"""Async engine and sessions for SQLite and PostgreSQL, and the migrations that shape them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from threading import Thread
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


async def _connect_sqlite(engine: AsyncEngine) -> aiosqlite.Connection:
    """aiosqlite's connect, but a failed one waits for aiosqlite's worker thread to end.

    On a failed connect aiosqlite stops its thread without waiting: when the event loop
    closes first, the thread's last call into the loop prints "RuntimeError: Event loop is
    closed" and a long traceback after our one-line error (aiosqlite 0.22)."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    connection = aiosqlite.connect(*args, **{**kwargs, "timeout": 30})
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
