"""The Zalo OA token keeper against the strict fake, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import generate_latest

from bot import zalo_oa_api as oa_api
from bot.config import Settings
from bot.metrics import Metrics
from bot.zalo_oa_api import OaError, ZaloOaApi
from bot.zalo_oa_tokens import TokenKeeper, known_grant, oa_client, oa_enabled
from storage import zalo_oa_tokens as stored
from storage.db import create_engine, session_factory, transaction
from tests.conftest import require_postgres
from tests.fakes.zalo_oa_api import FakeZaloOA

T0 = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        fake.set_time(T0)
        yield fake


def client(oa: FakeZaloOA) -> ZaloOaApi:
    return ZaloOaApi(
        oa.app_id, oa.app_secret, api_root=oa.root, oauth_root=oa.root, zns_root=oa.root
    )


async def keeper_for(
    engine, oa: FakeZaloOA, seed: str | None, metrics: Metrics | None = None
) -> TokenKeeper:
    api = client(oa)
    await api.open()
    keeper = TokenKeeper(session_factory(engine), api, seed=seed, clock=oa.now, metrics=metrics)
    api.tokens = keeper
    return keeper


async def row_of(engine, app_id: str):
    async with transaction(session_factory(engine)) as session:
        return await stored.get(session, app_id)


async def test_first_use_spends_the_seed_once_and_keeps_the_new_tokens(engine, oa):
    seed = oa.issue_refresh_token()
    keeper = await keeper_for(engine, oa, seed)
    try:
        token = await keeper.access_token()
        assert token in oa.access_tokens
        assert await keeper.access_token() == token  # in memory: no second call
        assert len(oa.calls_to("token")) == 1 and oa.refresh_uses[seed] == 1
        row = await row_of(engine, oa.app_id)
        assert row.access_token == token and row.refresh_token in oa.refresh_tokens
        assert row.access_expires_at == T0 + dt.timedelta(seconds=90000)
        assert row.refresh_expires_at == T0 + dt.timedelta(days=90)
        assert row.last_error is None and row.failures == 0
        # A new keeper (a restart) takes the stored token, not the spent seed.
        again = await keeper_for(engine, oa, seed)
        try:
            assert await again.access_token() == token
        finally:
            await again.api.close()
        assert oa.refresh_uses[seed] == 1
    finally:
        await keeper.api.close()


async def test_refreshes_ten_minutes_before_expiry(engine, oa):
    keeper = await keeper_for(engine, oa, oa.issue_refresh_token())
    try:
        first = await keeper.access_token()
        oa.advance(seconds=90000 - 601)
        assert await keeper.access_token() == first
        oa.advance(seconds=2)  # 599 s left: inside the margin
        second = await keeper.access_token()
        assert second != first and len(oa.calls_to("token")) == 2
    finally:
        await keeper.api.close()


async def test_a_refused_token_is_refreshed_once_and_the_send_goes(engine, oa):
    keeper = await keeper_for(engine, oa, oa.issue_refresh_token())
    try:
        user = oa.new_user()
        await keeper.api.send_cs(user, {"text": "một"})
        oa.expire_access_tokens()  # Zalo refuses it before we think it expired
        await keeper.api.send_cs(user, {"text": "hai"})
        assert [m.text for m in oa.messages(user)] == ["một", "hai"]
        assert len(oa.calls_to("token")) == 2
        assert [r.code for r in oa.rejected] == [-216]
    finally:
        await keeper.api.close()


async def test_a_token_stored_by_another_replica_is_used_instead_of_refreshing(engine, oa):
    seed = oa.issue_refresh_token()
    one = await keeper_for(engine, oa, seed)
    two = await keeper_for(engine, oa, seed)
    try:
        old = await one.access_token()
        assert await two.access_token() == old
        oa.expire_access_tokens()
        fresh = await one.refreshed(old)
        assert fresh != old
        # The other replica's send is refused with the old token: it re-reads the row.
        assert await two.refreshed(old) == fresh
        assert len(oa.calls_to("token")) == 2
    finally:
        await one.api.close()
        await two.api.close()


async def test_a_new_seed_in_the_settings_replaces_the_stored_grant(engine, oa):
    keeper = await keeper_for(engine, oa, oa.issue_refresh_token())
    try:
        await keeper.access_token()
    finally:
        await keeper.api.close()
    oa.revoke_refresh_tokens()  # the operator granted again elsewhere
    new_seed = oa.issue_refresh_token()
    oa.expire_access_tokens()
    oa.advance(seconds=90000)
    keeper = await keeper_for(engine, oa, new_seed)
    try:
        assert await keeper.access_token() in oa.access_tokens
        assert oa.refresh_uses[new_seed] == 1
    finally:
        await keeper.api.close()


async def test_failure_is_recorded_counted_and_logged_without_the_token(engine, oa, caplog):
    caplog.set_level(logging.DEBUG)
    metrics = Metrics()
    seed = oa.issue_refresh_token()
    # Zalo's answer quotes the token it refused: it must go no further.
    oa.fail_next("token", -14014, f"refresh_token {seed} is invalid")
    keeper = await keeper_for(engine, oa, seed, metrics)
    try:
        with pytest.raises(OaError) as caught:
            await keeper.access_token()
        assert caught.value.kind == oa_api.TOKEN and seed not in str(caught.value)
        row = await row_of(engine, oa.app_id)
        assert row.failures == 1 and "-14014" in row.last_error and seed not in row.last_error
        assert row.last_error_at == T0
        page = generate_latest(metrics.registry).decode()
        assert f'vbsp_zalo_oa_token_ok{{app_id="{oa.app_id}"}} 0.0' in page
        assert 'vbsp_zalo_oa_token_refresh_failures_total{kind="token"} 1.0' in page
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "refresh failed" in errors[0].getMessage()
        # The seed was not spent (the fault came first): the next try works and clears it.
        token = await keeper.access_token()
        row = await row_of(engine, oa.app_id)
        assert row.failures == 0 and row.last_error is None
        page = generate_latest(metrics.registry).decode()
        assert f'vbsp_zalo_oa_token_ok{{app_id="{oa.app_id}"}} 1.0' in page
        user = oa.new_user()
        await keeper.api.send_cs(user, {"text": "x"})
        oa.expire_access_tokens()
        await keeper.api.send_cs(user, {"text": "y"})
        oa.revoke_refresh_tokens()
        oa.expire_access_tokens()
        with pytest.raises(OaError):
            await keeper.api.send_cs(user, {"text": "z"})
    finally:
        await keeper.api.close()
    planted = {seed, token, *oa.access_tokens, *oa.refresh_uses, *oa.refresh_tokens}
    planted |= {c.headers.get("access_token", "") for c in oa.calls} - {""}
    assert len(planted) >= 5
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in planted:
        assert secret not in text


async def test_a_refresh_cancelled_halfway_still_keeps_the_new_tokens(engine, oa):
    """Shutting down mid-refresh: Zalo has spent the old refresh token, so the new one must
    be stored all the same."""
    seed = oa.issue_refresh_token()
    keeper = await keeper_for(engine, oa, seed)
    try:
        oa.hold_refresh = asyncio.Event()
        asking = asyncio.create_task(keeper.access_token())
        await oa.wait_for_calls("token", 1)
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking
        oa.hold_refresh.set()
        async with keeper._lock:  # held by the refresh until it has stored the tokens
            pass
        row = await row_of(engine, oa.app_id)
        assert row.refresh_token in oa.refresh_tokens and row.access_token in oa.access_tokens
        assert await keeper.access_token() == row.access_token
        assert oa.refresh_uses == {seed: 1}
    finally:
        await keeper.api.close()


async def test_no_grant_at_all_says_to_authorize(engine, oa):
    keeper = await keeper_for(engine, oa, None)
    try:
        with pytest.raises(OaError) as caught:
            await keeper.access_token()
        assert "zalo-oa authorize" in str(caught.value)
        assert oa.calls_to("token") == []
    finally:
        await keeper.api.close()


async def test_oa_enabled_from_settings_or_database(engine, oa):
    sessions = session_factory(engine)
    trio = {
        "zalo_oa_app_id": oa.app_id,
        "zalo_oa_app_secret": oa.app_secret,
        "zalo_oa_secret_key": oa.oa_secret_key,
    }
    assert not await oa_enabled(Settings(_env_file=None), sessions)  # type: ignore[call-arg]
    settings = Settings(_env_file=None, **trio)  # type: ignore[call-arg]
    assert not await oa_enabled(settings, sessions)
    assert not await known_grant(sessions, oa.app_id)
    async with transaction(sessions) as session:
        await stored.save_grant(session, oa.app_id, "at_x", "rt_x", 90000, T0)
    assert await oa_enabled(settings, sessions)
    with_seed = Settings(_env_file=None, zalo_oa_refresh_token="rt_0123456789", **trio)  # type: ignore[call-arg]
    assert await oa_enabled(with_seed, sessions)


async def test_oa_client_from_settings_sends_with_the_seed(engine, oa):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        zalo_oa_app_id=oa.app_id,
        zalo_oa_app_secret=oa.app_secret,
        zalo_oa_secret_key=oa.oa_secret_key,
        zalo_oa_refresh_token=oa.issue_refresh_token(),
        zalo_oa_api_base_url=oa.root,
        zalo_oa_oauth_base_url=oa.root,
        zalo_zns_api_base_url=oa.root,
    )
    user = oa.new_user()
    async with oa_client(settings, session_factory(engine), clock=oa.now) as api:
        await api.send_cs(user, {"text": "Xin chào"})
    assert oa.last_message(user).text == "Xin chào"
    with pytest.raises(ValueError):
        oa_client(Settings(_env_file=None), session_factory(engine))  # type: ignore[call-arg]


# ---- two replicas on PostgreSQL --------------------------------------------------------


async def _waiting_locks(url: str) -> int:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    finally:
        await conn.close()


async def test_two_keepers_in_one_process_refresh_once(engine, oa):
    seed = oa.issue_refresh_token()
    keepers = [await keeper_for(engine, oa, seed) for _ in range(2)]
    try:
        tokens = await asyncio.gather(*(k.access_token() for k in keepers))
        assert tokens[0] == tokens[1] and oa.refresh_uses == {seed: 1}
    finally:
        for keeper in keepers:
            await keeper.api.close()


@pytest.mark.postgres
async def test_two_replicas_refreshing_at_once_spend_the_refresh_token_once(oa, postgres_databases):
    """Two processes' worth of everything (engines, clients, keepers) on one database; the
    row exists already (a grant whose access token ran out), so only the row lock keeps the
    second replica from spending the same refresh token."""
    require_postgres()
    name = await asyncio.wrap_future(postgres_databases.take(True))
    url = f"{postgres_databases.base}/{name}"
    engines = [create_engine(url), create_engine(url)]
    keepers: list[TokenKeeper] = []
    try:
        grant = oa.issue_refresh_token()
        async with transaction(session_factory(engines[0])) as session:
            yesterday = T0 - dt.timedelta(hours=26)
            await stored.save_grant(session, oa.app_id, "at_old", grant, 90000, yesterday)
        keepers = [await keeper_for(e, oa, None) for e in engines]
        oa.hold_refresh = asyncio.Event()  # the first refresh waits inside Zalo...
        both = asyncio.gather(*(k.access_token() for k in keepers))
        try:
            await oa.wait_for_calls("token", 1)
            # ...until the second replica is seen waiting on the row's lock. (Polling
            # PostgreSQL's own view of who waits: the state, not a guess at timing.)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while await _waiting_locks(url) < 1:
                assert loop.time() < deadline, "the second replica never waited on the row"
                await asyncio.sleep(0.01)
        finally:
            oa.hold_refresh.set()
            first, second = await both
        assert first == second and first in oa.access_tokens
        assert oa.refresh_uses == {grant: 1}
        assert len(oa.calls_to("token")) == 1
        assert [r for r in oa.rejected if r.endpoint == "token"] == []
        # Zalo refuses the token on both replicas at once: still one refresh.
        oa.hold_refresh = None
        oa.expire_access_tokens()
        again = await asyncio.gather(*(k.refreshed(first) for k in keepers))
        assert again[0] == again[1] != first
        assert len(oa.calls_to("token")) == 2
        assert all(n == 1 for n in oa.refresh_uses.values())
    finally:
        for keeper in keepers:
            await keeper.api.close()
        for engine in engines:
            await engine.dispose()
        postgres_databases.drop(name)
