"""Every page of the console, reached by following its own links as a whole-country admin
(who holds every role): each answers 200 and passes the page checks (tests/console/a11y.py)."""

from __future__ import annotations

import re
from html import unescape

from tests.console.a11y import problems
from tests.console.conftest import Console

ADMIN = 7771001
HREF = re.compile(r'href="(/staff[^"#]*)"')
# Not pages: the language switch, files, pictures and charts.
SKIP = re.compile(r"^/staff/(lang/|static/|signin)|\.(csv|svg|png|jpg|pdf)(\?|$)|/files?/")
MAX_PAGES = 120


async def test_every_page_answers_and_passes_the_checks(console: Console) -> None:
    await console.grant(ADMIN, "admin")
    client = await console.client(ADMIN)
    seen: set[str] = set()
    queue = ["/staff/"]
    failures: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, html, response = await client.get(path)
        if status in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if status != 200:
            failures[path] = [f"status {status}"]
            continue
        if response.content_type != "text/html":
            continue
        found = problems(html)
        if found:
            failures[path] = found
        for link in HREF.findall(html):
            link = unescape(link)
            if not SKIP.search(link) and link not in seen:
                queue.append(link)
    assert not failures, failures
    assert len(seen) >= 1


async def test_the_signed_out_pages_pass_the_checks(console: Console) -> None:
    await console.grant(ADMIN, "moderator")
    link = await console.link(ADMIN)
    for url in (f"{console.url}/staff/signin", link, f"{console.url}/staff/signin/nope"):
        async with console.http.get(url) as response:
            assert problems(await response.text()) == [], url
