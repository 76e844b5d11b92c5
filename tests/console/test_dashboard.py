"""The dashboard over HTTP, on SQLite and PostgreSQL: planted data with known answers
(tests/storage/test_stats.py plants November 2026), read back from the page's tables, the CSV
files and the charts, for people who hold different roles in different areas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import pytest

from handlers.stats.figures import Figure
from storage.db import transaction
from storage.models import Broadcast, Outbox, Subscription
from storage.question_models import KeptQuestion
from tests.conftest import FakeClock
from tests.console.a11y import problems
from tests.console.conftest import Console, running_console
from tests.storage.test_stats import (
    HANOI,
    SON_TINH,
    local,
    plant_people,
    plant_reports,
)

NOVEMBER = "period=custom&from=2026-11-02&to=2026-11-29"
# The day the app believes it is: the planted November is then the last weeks, its messages
# still in the outbox, whatever day the tests run.
TODAY = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
MODERATOR, OFFICIAL, BOTH, ADMIN = 7772001, 7772002, 7772003, 7772004
SON_TINH_NAME, OTHER_QN_NAME, HANOI_NAME = "Xã Sơn Tịnh", "Xã Tịnh Khê", "Phường Ba Đình"
REPORT_FIGURES = ("reports-by-week", "reports-by-commune", "report-times", "report-outcomes")
DELIVERY_FIGURES = ("subscribers", "reminders", "broadcasts")


@pytest.fixture
async def console(api, database_url: str) -> AsyncIterator[Console]:
    """The console of tests/console/conftest.py, on 7 December 2026."""
    async with running_console(api, database_url, FakeClock(TODAY)) as running:
        yield running


class Tables(HTMLParser):
    """The rows of each figure's table, by figure name: [[cell text, ...], ...], header first."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[list[str]]] = {}
        self.figure: str | None = None
        self.cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and "dash-figure" in (a.get("class") or ""):
            self.figure = a.get("id")
            self.found[self.figure or ""] = []
        elif tag == "tr" and self.figure:
            self.found[self.figure].append([])
        elif tag in ("th", "td") and self.figure:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None and self.figure:
            self.found[self.figure][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def as_number(text: str) -> str:
    """A Vietnamese table cell as the CSV writes it: '1.234' -> '1234', '12,5 %' -> '12.5'."""
    if text == "–":
        return ""
    plain = text.replace(" %", "").replace(".", "").replace(",", ".")
    return plain if re.fullmatch(r"-?\d+(\.\d+)?", plain) else text


async def plant_delivery(session) -> None:
    people = await plant_people(session)
    a, b, c, d = (p.id for p in people[:4])
    for user_id, point_id, at in [
        (a, "ST-1", local(3)),
        (b, "ST-2", local(5)),
        (c, "QN-1", local(5)),
        (d, "HN_1", local(5)),
    ]:
        session.add(Subscription(user_id=user_id, point_id=point_id, created_at=at))
    for n, (point_id, status) in enumerate(
        [("ST-1", "sent"), ("ST-1", "sent"), ("ST-2", "blocked"), ("QN-1", "failed")]
        + [("HN_1", "sent")] * 3
    ):
        session.add(
            Outbox(
                dedup_key=f"rem:{point_id}:2026-11-05:eve:{n}",
                channel="telegram",
                channel_user_id=str(n),
                kind="reminder_eve",
                status=status,
                created_at=local(4, 18),
                not_before=local(4, 18),
            )
        )
    for broadcast_id, area in [(901, SON_TINH), (902, HANOI)]:
        session.add(
            Broadcast(
                id=broadcast_id,
                author="telegram:1",
                area_code=area,
                text="-",
                status="done",
                started_at=local(6),
                recipients=4,
            )
        )
    await session.flush()
    for n, status in enumerate(["sent", "sent", "sent", "blocked"]):
        session.add(
            Outbox(
                dedup_key=f"b:901:{n}",
                channel="telegram",
                channel_user_id=str(n),
                kind="broadcast",
                status=status,
                broadcast_id=901,
            )
        )
    for n, (person, topic) in enumerate(
        [(0, "none"), (1, "none"), (3, "none"), (1, "program.poor")]
    ):
        session.add(
            KeptQuestion(
                user_id=people[person].id,
                channel="telegram",
                text="SECRET QUESTION TEXT",
                topic=topic,
                score=0.1,
                created_at=local(10, minute=n),
            )
        )


async def plant(console: Console) -> None:
    async with transaction(console.runtime.deps.sessions) as session:
        await plant_reports(session)
        await plant_delivery(session)


async def page(console: Console, chat: int, query: str = NOVEMBER):  # type: ignore[no-untyped-def]
    client = await console.client(chat)
    status, html, _ = await client.get(f"/staff/dashboard?{query}")
    return client, status, html


async def test_a_commune_moderator_sees_only_their_communes_reports(console: Console) -> None:
    await plant(console)
    await console.grant(MODERATOR, "moderator", SON_TINH)
    client, status, html = await page(console, MODERATOR)
    assert status == 200, html
    assert problems(html) == []
    tables = Tables(html).found
    assert sorted(tables) == sorted(REPORT_FIGURES)
    # five reports of Son Tinh in four weeks (the escalated one goes to the province)
    assert tables["reports-by-week"][1:] == [
        ["02/11", "1", "1", "0", "2"],
        ["09/11", "1", "0", "0", "1"],
        ["16/11", "1", "0", "0", "1"],
        ["23/11", "0", "0", "1", "1"],
    ]
    assert tables["reports-by-commune"][1:] == [[SON_TINH_NAME, "5", "100,0 %"]]
    assert tables["report-times"][1:] == [
        ["Xử lý lần đầu", "5", "3,0", "7,6"],
        ["Giải quyết xong", "3", "48,0", "105,6"],
    ]
    assert tables["report-outcomes"][1:] == [
        ["Đã giải quyết", "3", "60,0 %"],
        ["Bị từ chối", "1", "20,0 %"],
        ["Người gửi rút lại", "0", "0,0 %"],
        ["Đang xử lý", "1", "20,0 %"],
    ]
    assert OTHER_QN_NAME not in html and HANOI_NAME not in html
    # the other sections, their charts and files do not exist for a moderator
    for name in (*DELIVERY_FIGURES, "questions", "no-such-figure"):
        for path in (f"/staff/dashboard/chart/{name}.svg", f"/staff/dashboard/{name}.csv"):
            status, _body, _ = await client.get(f"{path}?{NOVEMBER}")
            assert status == 404, path


async def test_the_csv_and_the_chart_are_the_table(console: Console) -> None:
    await plant(console)
    await console.grant(ADMIN, "admin")
    client, status, html = await page(console, ADMIN)
    assert status == 200
    tables = Tables(html).found
    assert sorted(tables) == sorted([*REPORT_FIGURES, *DELIVERY_FIGURES, "questions"])
    assert "SECRET QUESTION TEXT" not in html
    for name, rows in tables.items():
        status, body, response = await client.get_bytes(f"/staff/dashboard/{name}.csv?{NOVEMBER}")
        assert status == 200, name
        assert response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        text = body.decode("utf-8-sig")
        assert "SECRET" not in text
        written = list(csv.reader(io.StringIO(text)))
        assert written[0][1:] == rows[0], name  # the same columns, after the rows' keys
        assert [row[1:] for row in written[1:]] == [
            [row[0], *[as_number(cell) for cell in row[1:]]] for row in rows[1:]
        ], name
        status, body, response = await client.get_bytes(
            f"/staff/dashboard/chart/{name}.svg?{NOVEMBER}"
        )
        assert status == 200, name
        assert response.content_type == "image/svg+xml"
        csp = response.headers["Content-Security-Policy"]  # opened on its own: no script
        assert "script-src" not in csp and csp.startswith("default-src 'none'")
        root = ET.fromstring(body)  # well-formed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "viewBox" in root.attrib and "width" not in root.attrib
        assert not [e for e in root.iter() if str(e.tag).endswith("script")], name
        assert b"<script" not in body and b"http://kozea" not in body
        assert not re.search(rb"(href|src)=\"(https?:)?//", body), name
    # the kept questions: three of four the bot could not answer
    assert "Bot không trả lời được 3 trên 4 câu được lưu (75,0\u00a0%)." in html
    assert tables["broadcasts"][1:] == [
        ["Số 902, 06/11/2026", "Phường Ba Đình, Thành phố Hà Nội", "4", "0", "0", "0", "0,0 %"],
        ["Số 901, 06/11/2026", "Xã Sơn Tịnh, Quảng Ngãi", "4", "3", "1", "0", "75,0 %"],
    ]


async def test_an_official_sees_their_provinces_delivery_and_no_reports(console: Console) -> None:
    await plant(console)
    await console.grant(OFFICIAL, "official", "51")
    client, status, html = await page(console, OFFICIAL)
    assert status == 200
    tables = Tables(html).found
    assert sorted(tables) == sorted(DELIVERY_FIGURES)
    assert tables["subscribers"][1:] == [
        [SON_TINH_NAME, "2", "2"],
        [OTHER_QN_NAME, "1", "1"],
    ]
    assert tables["reminders"][1:] == [["11/2026", "2", "1", "1", "0", "50,0 %"]]
    assert [row[0] for row in tables["broadcasts"][1:]] == ["Số 901, 06/11/2026"]
    assert HANOI_NAME not in html
    for name in (*REPORT_FIGURES, "questions"):
        status, _body, _ = await client.get(f"/staff/dashboard/{name}.csv?{NOVEMBER}")
        assert status == 404, name


async def test_several_roles_see_the_union_each_in_its_own_areas(console: Console) -> None:
    await plant(console)
    await console.grant(BOTH, "moderator", SON_TINH)
    await console.grant(BOTH, "official", HANOI)
    _client, status, html = await page(console, BOTH)
    assert status == 200
    tables = Tables(html).found
    assert sorted(tables) == sorted([*REPORT_FIGURES, *DELIVERY_FIGURES])
    assert tables["reports-by-commune"][1:] == [[SON_TINH_NAME, "5", "100,0 %"]]
    assert tables["subscribers"][1:] == [[HANOI_NAME, "1", "1"]]
    assert tables["reminders"][1:] == [["11/2026", "3", "0", "0", "0", "100,0 %"]]
    assert [row[0] for row in tables["broadcasts"][1:]] == ["Số 902, 06/11/2026"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("period=custom&from=2026-11-09&to=2026-11-02", "Ngày bắt đầu đang sau ngày kết thúc"),
        ("period=custom&from=30/11/2026&to=2026-11-02", "«30/11/2026» không phải là một ngày"),
        ("period=custom&from=&to=2026-11-02", "Bạn chưa nhập ngày bắt đầu"),
        ("period=custom&from=2020-01-01&to=2020-02-01", "Chưa có số liệu trước ngày"),
        ("period=custom&from=2026-11-02&to=2099-01-01", "không được sau hôm nay"),
        ("period=forever", "Khoảng thời gian này không có"),
    ],
)
async def test_a_period_that_cannot_be_used_is_explained(
    console: Console, query: str, said: str
) -> None:
    await console.grant(MODERATOR, "moderator", SON_TINH)
    client, status, html = await page(console, MODERATOR, query)
    assert status == 200  # the page answers, with the reason beside the form
    assert said in html
    assert problems(html) == []
    # the form keeps what was typed, and the default period's figures are shown
    typed = dict(pair.split("=", 1) for pair in query.split("&"))
    if typed.get("from"):
        assert f'value="{typed["from"]}"' in html
    assert "4 tuần gần đây" in html
    status, _body, _ = await client.get(f"/staff/dashboard/chart/report-outcomes.svg?{query}")
    assert status == 400


async def test_the_ready_periods_the_home_page_and_english(console: Console) -> None:
    await console.grant(MODERATOR, "moderator", SON_TINH)
    await console.grant(MODERATOR, "official", SON_TINH)
    client = await console.client(MODERATOR)
    status, _html, response = await client.get("/staff/")
    assert status == 303 and response.headers["Location"] == "/staff/dashboard"
    for choice in ("4w", "3m", "12m"):
        status, html, _ = await client.get(f"/staff/dashboard?period={choice}")
        assert status == 200
        assert re.search(rf'value="{choice}"\s+checked', html), choice
        assert len(re.findall(r"\bchecked\b", html)) == 1
        assert Tables(html).found["report-outcomes"] == [], "nothing planted: no table"
        assert "Không có số liệu trong khoảng này." in html
    # twelve months of reminders: the months the outbox no longer holds are unknown ("–").
    # (Another person: the figures above are kept a minute for the same areas and days.)
    await plant(console)
    await console.grant(OFFICIAL, "official", SON_TINH)
    client = await console.client(OFFICIAL)
    status, html, _ = await client.get("/staff/dashboard?period=12m")
    months = Tables(html).found["reminders"][1:]
    assert len(months) == 12
    assert months[0][1:] == ["–"] * 5  # January: the outbox keeps 90 days
    november = [row for row in months if row[0] == "11/2026"]
    assert november == [["11/2026", "2", "1", "0", "0", "66,7 %"]]
    assert [row[0] for row in months] == [f"{m:02d}/2026" for m in range(1, 13)]
    # in English: the words and the numbers
    status, _html, response = await client.get("/staff/lang/en?next=/staff/dashboard")
    assert status == 303
    status, html, _ = await client.get(f"/staff/dashboard?{NOVEMBER}")
    assert status == 200 and '<html lang="en">' in html
    assert "Reminders per month" in html and "From 02 Nov 2026 to 29 Nov 2026" in html
    tables = Tables(html).found
    assert tables["reminders"][1] == ["Nov 2026", "2", "1", "0", "0", "66.7%"]
    assert problems(html) == []


def test_figures_are_kept_a_short_while_and_a_few_at_a_time() -> None:
    import time

    from bot.console.dashboard import FigureCache
    from handlers.stats.figures import Chart

    def figure(name: str) -> Figure:
        return Figure(name, name, Chart.BARS, (), (), (), "k")

    cache = FigureCache(seconds=0.2, size=2)
    cache.put(("a",), figure("a"))
    cache.put(("b",), figure("b"))
    assert cache.get(("a",)) == figure("a")  # and "a" is now the newest
    cache.put(("c",), figure("c"))
    assert cache.get(("b",)) is None  # the oldest went
    assert cache.get(("c",)) == figure("c")
    time.sleep(0.25)
    assert cache.get(("a",)) is None and cache.get(("c",)) is None


async def test_reminders_and_broadcasts_the_zalo_oa_could_not_deliver_have_a_column(
    console: Console,
) -> None:
    await plant(console)
    async with transaction(console.runtime.deps.sessions) as session:
        for key, kind, broadcast_id in [
            ("rem:ST-1:2026-11-05:eve:oa", "reminder_eve", None),
            ("b:901:oa", "broadcast", 901),
        ]:
            session.add(
                Outbox(
                    dedup_key=key, channel="zalo_oa", channel_user_id="oa", kind=kind,
                    status="unreachable", broadcast_id=broadcast_id,
                    created_at=local(4, 18), not_before=local(4, 18),
                )
            )  # fmt: skip
    await console.grant(OFFICIAL, "official", "51")
    _client, _status, html = await page(console, OFFICIAL)
    tables = Tables(html).found
    assert tables["reminders"][0][5] == "Không liên lạc được"
    assert tables["reminders"][1:] == [["11/2026", "2", "1", "1", "0", "1", "40,0 %"]]
    assert tables["broadcasts"][0][6] == "Không liên lạc được"
    assert tables["broadcasts"][1][3:7] == ["3", "1", "0", "1"]
