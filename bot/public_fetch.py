"""Fetching a URL that someone else chose (a Zalo picture's ``photo_url``) without letting it
reach this machine or its network.

A webhook body names the URL, so whoever can post to the webhook could point the bot at
``http://169.254.169.254/`` (cloud metadata), ``http://localhost:5432`` or a service on the
office network (server-side request forgery). What is known to be safe is allowed rather
than what is known to be bad refused: only addresses that are globally routable
(``ipaddress``'s ``is_global``), checked on the addresses the connection will actually use
(a resolver that filters, so a name cannot resolve to a public address for the check and a
private one for the connection), with redirects followed by hand and each hop checked. The
one exception is the configured API server itself (host and port), which the operator
chose: the loopback fake in tests, never a private address in production.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

MAX_REDIRECTS = 3


class RefusedAddress(Exception):
    """The URL leads to an address that is not public (or is not an http(s) URL at all)."""


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_global and not ip.is_multicast  # is_global lets multicast through


class PublicOnlyResolver(AbstractResolver):
    """Resolves as usual, then keeps only public addresses (all, for the trusted origin)."""

    def __init__(self, trusted: tuple[str, int] | None, inner: AbstractResolver | None = None):
        self.trusted = trusted
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if (host, port) == self.trusted:
            return found
        public = [entry for entry in found if _public(entry["host"])]
        if not public:
            raise OSError(f"{host} has no public address")
        return public

    async def close(self) -> None:
        await self.inner.close()


def origin(url: str) -> tuple[str, int] | None:
    parsed = URL(url)
    return (parsed.host, parsed.port) if parsed.host and parsed.port else None


def check_url(url: URL, trusted: tuple[str, int] | None) -> None:
    """Refuse what the resolver never sees: other schemes, and IP literals (aiohttp connects
    to those without resolving)."""
    if url.scheme not in ("http", "https") or not url.host:
        raise RefusedAddress("not an http(s) URL")
    if (url.host, url.port) == trusted:
        return
    try:
        ipaddress.ip_address(url.host.split("%", 1)[0])
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    if not _public(url.host):
        raise RefusedAddress("not a public address")


class PublicFetcher:
    """An HTTP client session for URLs chosen by others: public addresses only."""

    def __init__(self, trusted_root: str | None) -> None:
        self.trusted = origin(trusted_root) if trusted_root else None
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(self.trusted))
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": "vbsp-bot"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, url: str, **kwargs: Any) -> aiohttp.ClientResponse:
        """The response to GET ``url`` (the caller releases it), redirects checked one by one."""
        session, target = self._open(), URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            check_url(target, self.trusted)
            response = await session.get(target, allow_redirects=False, **kwargs)
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            response.release()
            target = target.join(URL(location))
        raise RefusedAddress("too many redirects")
