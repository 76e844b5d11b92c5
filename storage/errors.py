"""Which errors mean "the database cannot be reached now", as opposed to a bug.

A webhook answers an update it could not handle for that reason with 503, so the platform
sends it again later; any other error is a bug, answered with an apology as before.
"""

from __future__ import annotations

import errno
import socket
import sqlite3

import asyncpg.exceptions as pg
from sqlalchemy import exc as sa

# PostgreSQL gone, restarting, or refusing more connections (SQLSTATE class 08, 57P0x, 53300).
_POSTGRES_DOWN = (
    pg.PostgresConnectionError,
    pg.ConnectionDoesNotExistError,
    pg.CannotConnectNowError,
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.TooManyConnectionsError,
)
# SQLite's own words for a file it cannot open or a writer that kept the lock too long;
# "no such table" and the like are bugs and stay out of this list.
_SQLITE_DOWN = ("unable to open database file", "database is locked", "disk i/o error")
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ETIMEDOUT, errno.ECONNABORTED}


def database_unreachable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database is down or unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _down(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _down(error: BaseException) -> bool:
    # sa.TimeoutError: no pooled connection came free in time.
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror, sa.TimeoutError)):
        return True
    if isinstance(error, _POSTGRES_DOWN):
        return True
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(words in str(error).lower() for words in _SQLITE_DOWN)
    return isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
