"""Province programs: a province's own terms show on the cards of its users, and only there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from content.loader import DATA_DIR, ContentError, load_content
from content.places import province_of
from handlers.core.dispatch import Deps
from storage import users
from storage.db import transaction
from tests.conftest import Chat

HOAN_KIEM = "00070"  # Phường Hoàn Kiếm, Thành phố Hà Nội
VUNG_TAU = "26506"  # Phường Vũng Tàu, Thành phố Hồ Chí Minh


async def live_in(deps: Deps, commune: str, user_id: str = "1001") -> None:
    async with transaction(deps.sessions) as session:
        user = await users.find_user(session, "test", user_id)
        user.commune_code = commune


def test_province_of_commune_codes():
    assert province_of(HOAN_KIEM) == 1
    assert province_of("21220") == 51
    assert province_of("99999") is None
    assert province_of("abc") is None


async def test_unverified_local_terms_are_a_note_not_figures(chat: Chat, deps: Deps):
    await chat.onboard()
    await live_in(deps, HOAN_KIEM)
    await chat.send("/chuongtrinh")
    await chat.press("prog:social_housing")
    assert "5,4%/năm" in chat.text  # the national rate stays
    assert "Riêng Thành phố Hà Nội" in chat.text
    assert "chưa được xác nhận" in chat.text


async def test_users_elsewhere_do_not_get_another_provinces_terms(chat: Chat, deps: Deps):
    await chat.onboard()
    await live_in(deps, VUNG_TAU)
    await chat.press("progs")
    await chat.press("prog:social_housing")
    assert "Hà Nội" not in chat.text


async def test_users_without_a_commune_see_no_unverified_local_terms(chat: Chat):
    # The shipped Hà Nội entry is unverified: it is a note for Hà Nội's users only.
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:social_housing")
    assert "Hà Nội" not in chat.text and "chính sách riêng cho chương trình" not in chat.text


@pytest.fixture
def local_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    return data


def write_local(data: Path, document: dict) -> None:
    (data / "local" / "01-ha-noi.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )


HANOI = {
    "province_code": 1,
    "province_name": {"vi": "Thành phố Hà Nội", "en": "Hanoi"},
    "overrides": [
        {
            "program": "social_housing",
            "verified": True,
            "note": {"vi": "Vốn ngân sách thành phố.", "en": "City budget funds."},
            "rate_year_pct": 4.8,
            "rate_month_pct": 0.4,
            "legal_basis": [
                {
                    "ref": "Nghị quyết 99/2099/NQ-HĐND (ví dụ kiểm thử)",
                    "en": "Resolution 99/2099/NQ-HĐND (a test example)",
                }
            ],
            "checked_on": "2026-11-22",
        }
    ],
    "programs": [],
}


async def test_verified_local_figures_replace_the_national_ones(local_data, engine, clock):
    from storage.db import session_factory

    write_local(local_data, HANOI)
    deps = Deps(content=load_content(local_data), sessions=session_factory(engine), clock=clock)
    chat = Chat(deps)
    await chat.onboard()
    await live_in(deps, HOAN_KIEM)
    await chat.press("progs")
    await chat.press("prog:social_housing")
    assert "<b>Lãi suất:</b> <b>4,8%/năm</b> (0,4%/tháng)" in chat.text
    assert "Áp dụng tại Thành phố Hà Nội" in chat.text
    assert "Nghị quyết 99/2099/NQ-HĐND" in chat.text


async def test_users_without_a_commune_hear_of_verified_local_terms(local_data, engine, clock):
    from storage.db import session_factory

    write_local(local_data, HANOI)  # verified
    deps = Deps(content=load_content(local_data), sessions=session_factory(engine), clock=clock)
    chat = Chat(deps)
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:social_housing")
    assert "Một số tỉnh, thành có chính sách riêng cho chương trình này (Thành phố Hà Nội)" in (
        chat.text
    )
    assert "5,4%/năm" in chat.text  # the national figures stay for them


async def test_a_provinces_own_program_is_listed_for_its_users(local_data, engine, clock):
    from storage.db import session_factory

    national = yaml.safe_load((DATA_DIR / "programs.yaml").read_text(encoding="utf-8"))
    own = dict(national["programs"][0], id="hn_startup", topic="program.jobs")
    own["name"] = {"vi": "Cho vay khởi nghiệp Hà Nội", "en": "Hanoi start-up loans"}
    write_local(local_data, {**HANOI, "overrides": [], "programs": [own]})
    deps = Deps(content=load_content(local_data), sessions=session_factory(engine), clock=clock)
    chat = Chat(deps)
    await chat.onboard()
    await chat.press("progs")
    assert not any(b.action == "prog:hn_startup" for b in chat.buttons)
    await live_in(deps, HOAN_KIEM)
    await chat.send("/chuongtrinh")
    await chat.press("prog:hn_startup")
    assert "Cho vay khởi nghiệp Hà Nội" in chat.text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"province_code": 98}, "is not a province"),
        ({"overrides": [{**HANOI["overrides"][0], "program": "nosuch"}]}, "unknown program"),
        ({"overrides": [{**HANOI["overrides"][0], "legal_basis": []}]}, "legal_basis"),
        ({"overrides": [{**HANOI["overrides"][0], "rate_month_pct": None}]}, "together"),
    ],
)
def test_bad_local_files_are_refused(local_data, change, problem):
    write_local(local_data, {**HANOI, **change})
    with pytest.raises(ContentError, match=problem):
        load_content(local_data)
