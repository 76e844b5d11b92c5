"""Only public addresses are fetched for URLs that others chose (bot.public_fetch)."""

from __future__ import annotations

import socket

import pytest
from yarl import URL

from bot.public_fetch import PublicOnlyResolver, RefusedAddress, check_url


class Answers:
    """A resolver that answers from a table (no DNS in tests)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):  # type: ignore[no-untyped-def]
        return [
            {"hostname": host, "host": address, "port": port, "family": family,
             "proto": 0, "flags": 0}
            for address in self.table[host]
        ]  # fmt: skip

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/", "http://127.8.9.10:8080/x", "http://[::1]/", "http://0.0.0.0/",
        "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/",
        "http://[fe80::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/", "file:///etc/passwd", "ftp://example.com/x", "http:///nohost",
    ],
)  # fmt: skip
def test_private_literals_and_other_schemes_are_refused(url):
    with pytest.raises(RefusedAddress):
        check_url(URL(url), trusted=None)


def test_public_literals_names_and_the_trusted_origin_pass_the_first_check():
    check_url(URL("https://1.1.1.1/x.jpg"), trusted=None)
    check_url(URL("https://photo-stal.zdn.vn/x.jpg"), trusted=None)  # the resolver checks it
    check_url(URL("http://127.0.0.1:8081/media/a.jpg"), trusted=("127.0.0.1", 8081))
    with pytest.raises(RefusedAddress):  # same host, another port: not the trusted origin
        check_url(URL("http://127.0.0.1:5432/"), trusted=("127.0.0.1", 8081))


async def test_a_name_resolving_to_private_addresses_is_refused_and_mixed_answers_filtered():
    resolver = PublicOnlyResolver(
        trusted=("api.local", 8081),
        inner=Answers({
            "rebind.example": ["127.0.0.1", "10.0.0.5"],
            "mixed.example": ["192.168.0.2", "93.184.216.34"],
            "api.local": ["127.0.0.1"],
        }),  # type: ignore[arg-type]
    )  # fmt: skip
    with pytest.raises(OSError, match="no public address"):
        await resolver.resolve("rebind.example", 443)
    assert [r["host"] for r in await resolver.resolve("mixed.example", 443)] == ["93.184.216.34"]
    assert [r["host"] for r in await resolver.resolve("api.local", 8081)] == ["127.0.0.1"]
    with pytest.raises(OSError):
        await resolver.resolve("api.local", 5432)  # the trusted host on another port
