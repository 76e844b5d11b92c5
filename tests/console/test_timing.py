"""Every console answer says how long the server took over it (``Server-Timing: app;dur=``):
pages, redirects, error pages and static files alike; the webhooks' answers do not."""

from __future__ import annotations

import re

import aiohttp

from bot.console import timing
from tests.console.conftest import Console

STAFF = 7780001
DURATION = re.compile(r"^app;dur=(\d+\.\d)$")


def duration(response: aiohttp.ClientResponse) -> float:
    found = DURATION.match(response.headers.get("Server-Timing", ""))
    assert found, dict(response.headers)
    return float(found.group(1))


def test_value_is_milliseconds() -> None:
    assert timing.value(0.01234) == "app;dur=12.3"
    assert timing.value(0) == "app;dur=0.0"


async def test_every_console_answer_is_timed(console: Console) -> None:
    await console.grant(STAFF, "moderator", "51")
    client = await console.client(STAFF)
    status, html, response = await client.get("/staff/")
    if status == 303:  # to the dashboard: a redirect is timed too
        duration(response)
        status, html, response = await client.get(response.headers["Location"])
    assert status == 200 and "<html" in html
    assert 0 < duration(response) < 5000
    status, _, response = await client.get("/staff/no-such-page")
    assert status == 404
    duration(response)
    async with console.http.get(console.url + "/staff/", allow_redirects=False) as signed_out:
        assert signed_out.status == 303  # to the sign-in help
        duration(signed_out)
    async with console.http.get(console.url + "/staff/static/console.css") as static:
        assert static.status == 200
        duration(static)


async def test_outside_the_console_nothing_changes(console: Console) -> None:
    async with console.http.get(console.url + "/healthz") as response:
        assert response.status == 200
        assert "Server-Timing" not in response.headers
