"""The Zalo OA access token: kept in the database, refreshed before it runs out, never twice.

Zalo's access token lives 25 hours; the refresh token lasts three months, is single-use and is
replaced on every refresh (facts §2.1). Spending one twice (two replicas refreshing at the
same moment) would leave one of them, and then both, without a grant: an admin would have to
authorize again. So a refresh happens under a lock on the app's row:

* PostgreSQL: one transaction reads the row ``FOR UPDATE``, calls Zalo, stores the new tokens
  and commits; a second replica waits on the row, then re-reads it and uses the tokens the
  first one stored instead of refreshing again;
* SQLite (one process by design): an asyncio lock, with short transactions around the call.

When a refresh fails, the row records why (``last_error``, never a token), the gauge
``vbsp_zalo_oa_token_ok`` drops to 0, a failures counter goes up, and one ERROR line is
logged — all without the token. ``vbsp-bot zalo-oa status`` shows the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.metrics import Metrics
from bot.zalo_oa_api import NETWORK, TOKEN, OaError, Tokens, ZaloOaApi
from handlers.core.context import Clock, system_clock
from storage import zalo_oa_tokens as stored
from storage.db import SessionFactory, transaction
from storage.zalo_oa_models import ZaloOaToken

log = logging.getLogger(__name__)

# Refresh when the access token has less than this left (and on a -216/-124, at once).
MARGIN = dt.timedelta(minutes=10)
NO_GRANT = "no refresh token is known: run `vbsp-bot zalo-oa authorize`"


# One refresh at a time per database and app in this process (every keeper of the same app on
# the same engine shares it): on SQLite this is the whole lock, on PostgreSQL the row's adds
# the other replicas.
_locks: WeakKeyDictionary[Engine, dict[str, asyncio.Lock]] = WeakKeyDictionary()


def _lock_for(sessions: SessionFactory, app_id: str) -> asyncio.Lock:
    bind = sessions.kw.get("bind")
    if bind is None:
        return asyncio.Lock()
    return _locks.setdefault(bind.sync_engine, {}).setdefault(app_id, asyncio.Lock())


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every secret in it replaced (Zalo's words might quote what it refused)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    return text


class TokenKeeper:
    """The token source of a :class:`ZaloOaApi` (``api.tokens = keeper``)."""

    def __init__(
        self,
        sessions: SessionFactory,
        api: ZaloOaApi,
        *,
        seed: str | None = None,
        clock: Clock = system_clock,
        metrics: Metrics | None = None,
        margin: dt.timedelta = MARGIN,
    ) -> None:
        self.sessions = sessions
        self.api = api
        self.app_id = api.app_id
        self._seed = seed  # ZALO_OA_REFRESH_TOKEN: taken in once (storage/zalo_oa_tokens.py)
        self.clock = clock
        self.metrics = metrics
        self.margin = margin
        self._lock = _lock_for(sessions, self.app_id)
        self._cached: tuple[str, dt.datetime] | None = None
        bind = sessions.kw.get("bind")
        self._postgres = bind is not None and bind.dialect.name == "postgresql"

    # ---- the token source --------------------------------------------------------------

    async def access_token(self) -> str:
        """A token with more than ``margin`` left: the one in memory, the one another replica
        stored, or a new one."""
        now = self.clock()
        if self._cached and self._cached[1] - now > self.margin:
            return self._cached[0]
        async with transaction(self.sessions) as session:
            row = await stored.get(session, self.app_id)
            usable = self._usable(row, None, now)
        if usable:
            return usable
        return await self._refresh(None)

    async def refreshed(self, stale: str) -> str:
        """Zalo refused ``stale``: a token stored since by another replica, or a new one."""
        return await self._refresh(stale)

    # ---- refreshing --------------------------------------------------------------------

    def _usable(self, row: ZaloOaToken | None, stale: str | None, now: dt.datetime) -> str | None:
        if row is None or not row.access_token or row.access_expires_at is None:
            return None
        if row.access_token == stale or row.access_expires_at - now <= self.margin:
            return None
        self._remember(row.access_token, row.access_expires_at)
        return row.access_token

    def _remember(self, token: str, expires_at: dt.datetime) -> None:
        self._cached = (token, expires_at)
        if self.metrics is not None:
            self.metrics.zalo_oa_token_ok.labels(self.app_id).set(1)
            self.metrics.zalo_oa_token_expiry.labels(self.app_id).set(expires_at.timestamp())

    async def _refresh(self, stale: str | None) -> str:
        # Shielded: a refresh cancelled halfway (the bot shutting down) would have spent the
        # refresh token at Zalo without keeping the new one; it finishes while the loop runs.
        return await asyncio.shield(self._refresh_locked(stale))

    async def _refresh_locked(self, stale: str | None) -> str:
        async with self._lock:  # one refresh at a time in this process (per engine)
            now = self.clock()
            cached = self._cached
            if cached and cached[0] != stale and cached[1] - now > self.margin:
                return cached[0]  # refreshed by another task while this one waited
            if self._postgres:
                return await self._refresh_holding_the_row(stale, now)
            return await self._refresh_in_steps(stale, now)

    async def _refresh_holding_the_row(self, stale: str | None, now: dt.datetime) -> str:
        outcome: Tokens | OaError
        async with transaction(self.sessions) as session:
            row = await stored.prepare(session, self.app_id, self._seed, now, locked=True)
            usable = self._usable(row, stale, now)  # another replica refreshed meanwhile
            if usable:
                return usable
            outcome = await self._call(row.refresh_token)
            self._record(row, outcome, now)
            session.add(row)
        return self._result(outcome, now)

    async def _refresh_in_steps(self, stale: str | None, now: dt.datetime) -> str:
        # SQLite: no transaction may stay open across the call (it would hold the writer).
        async with transaction(self.sessions) as session:
            row = await stored.prepare(session, self.app_id, self._seed, now)
            usable = self._usable(row, stale, now)
            refresh_token = row.refresh_token
        if usable:
            return usable
        outcome = await self._call(refresh_token)
        async with transaction(self.sessions) as session:
            row = await stored.prepare(session, self.app_id, None, now)
            self._record(row, outcome, now)
            session.add(row)
        return self._result(outcome, now)

    async def _call(self, refresh_token: str | None) -> Tokens | OaError:
        if not refresh_token:
            return OaError(None, NO_GRANT, TOKEN)
        try:
            return await self.api.refresh(refresh_token)
        except OaError as error:
            text = scrub(str(error), refresh_token)
            return OaError(error.code, text, error.kind, status=error.status)

    def _record(self, row: ZaloOaToken, outcome: Tokens | OaError, now: dt.datetime) -> None:
        if isinstance(outcome, Tokens):
            stored.store(row, outcome.access_token, outcome.refresh_token, outcome.expires_in, now)
            return
        stored.record_failure(row, scrub(str(outcome), row.access_token, row.refresh_token), now)

    def _result(self, outcome: Tokens | OaError, now: dt.datetime) -> str:
        if isinstance(outcome, Tokens):
            expires_at = now + dt.timedelta(seconds=outcome.expires_in)
            self._remember(outcome.access_token, expires_at)
            log.info("Zalo OA tokens refreshed; the access token is good until %s", expires_at)
            return outcome.access_token
        self._cached = None
        if self.metrics is not None:
            self.metrics.zalo_oa_token_ok.labels(self.app_id).set(0)
            self.metrics.zalo_oa_token_failures.labels(outcome.kind).inc()
        hint = (
            "check the network and Zalo's status; the bot tries again on the next send"
            if outcome.kind == NETWORK
            else "if it persists, run `vbsp-bot zalo-oa authorize` again"
        )
        log.error("Zalo OA token refresh failed (%s): %s; %s", outcome.kind, outcome, hint)
        raise outcome


async def known_grant(sessions: SessionFactory, app_id: str) -> bool:
    """A refresh token is kept in the database for this app."""
    async with transaction(sessions) as session:
        row = await stored.get(session, app_id)
    return row is not None and bool(row.refresh_token)


async def oa_enabled(settings: Settings, sessions: SessionFactory) -> bool:
    """The OA channel is on: app id, app secret, OA secret key set, and a refresh token known
    (the settings' ZALO_OA_REFRESH_TOKEN or one kept in the database)."""
    if not settings.zalo_oa_configured:
        return False
    if settings.zalo_oa_refresh_token is not None:
        return True
    assert settings.zalo_oa_app_id is not None
    return await known_grant(sessions, settings.zalo_oa_app_id)


def oa_client(
    settings: Settings,
    sessions: SessionFactory,
    *,
    metrics: Metrics | None = None,
    clock: Clock = system_clock,
) -> ZaloOaApi:
    """The OA client the running bot uses, with its token keeper (open it before use)."""
    if not settings.zalo_oa_configured:
        raise ValueError("the Zalo OA settings are not given")
    assert settings.zalo_oa_app_id is not None and settings.zalo_oa_app_secret is not None
    api = ZaloOaApi(
        settings.zalo_oa_app_id,
        settings.zalo_oa_app_secret.get_secret_value(),
        api_root=settings.zalo_oa_api_base_url,
        oauth_root=settings.zalo_oa_oauth_base_url,
        zns_root=settings.zalo_zns_api_base_url,
    )
    seed = settings.zalo_oa_refresh_token
    api.tokens = TokenKeeper(
        sessions,
        api,
        seed=seed.get_secret_value() if seed else None,
        clock=clock,
        metrics=metrics,
    )
    return api
