"""`vbsp-bot schedule …` as operators run it: real processes on a temporary SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.bot.test_cli import ROOT, run

pytestmark = pytest.mark.slow  # a real process for each command

SAMPLE = ROOT / "content" / "data" / "schedules" / "sample.csv"
HEADER = "point_id,commune_code,name,address,day_of_month,start_time,end_time,office,phone"


@pytest.fixture
def db(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/schedule.db"}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The sample imported once, for the tests that only read it (or are refused)."""
    path = tmp_path_factory.mktemp("sample") / "schedule.db"
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    imported(db)
    return db


def schedule(db: dict[str, str], *args: str):
    return run("schedule", *args, env=db)


def imported(db: dict[str, str], path: Path = SAMPLE) -> str:
    result = schedule(db, "import", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_twice_changes_nothing_the_second_time(db, tmp_path):
    assert imported(db) == f"imported {SAMPLE}: 8 added, 0 changed, 0 unchanged"
    assert imported(db) == f"imported {SAMPLE}: 0 added, 0 changed, 8 unchanged"
    # one point's hours change, one point is new
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",08:00,11:30,", ",08:00,11:00,")
    lines.append(lines[-1].replace("SAMPLE-21220-TINHSON", "SAMPLE-21220-NEW"))
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert imported(db, changed) == f"imported {changed}: 1 added, 1 changed, 7 unchanged"


def test_export_equals_the_sample(sample_db):
    db = sample_db
    result = schedule(db, "export")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SAMPLE.read_text(encoding="utf-8")


def test_export_of_an_empty_database_is_the_header(db):
    result = schedule(db, "export")
    assert result.returncode == 0, result.stderr
    assert result.stdout == HEADER + "\n"


def test_a_bad_file_is_refused_whole_with_every_line_named(db, tmp_path):
    imported(db)
    before = schedule(db, "export").stdout
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    good_new = lines[1].replace("SAMPLE-00004-QUANTHANH", "SAMPLE-00004-NEW")
    changed = lines[2].replace(",16,", ",17,")
    bad_commune = lines[3].replace(",03325,", ",99999,")
    bad_day = lines[4].replace(",29,", ",32,")
    bad_time = lines[5].replace(",07:30,", ",7h30,")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([HEADER, good_new, changed, bad_commune, bad_day, bad_time]) + "\n",
        encoding="utf-8-sig",
    )
    result = schedule(db, "import", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}: line 4: commune_code: unknown commune code 99999",
        f"{bad}: line 5: day_of_month: must be a whole number from 1 to 31, got '32'",
        f"{bad}: line 6: start_time: must be HH:MM from 00:00 to 23:59, got '7h30'",
        f"vbsp-bot: {bad}: 3 problems; nothing was imported",
    ]
    assert schedule(db, "export").stdout == before  # neither the new nor the changed row


def test_a_file_that_is_not_there_or_not_utf8(db, tmp_path):
    result = schedule(db, "import", str(tmp_path / "missing.csv"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"vbsp-bot: schedule import: cannot read {tmp_path / 'missing.csv'}: "
        "No such file or directory"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"{HEADER}\nx,21220,Tịnh Hà".encode("cp1258", errors="replace"))
    result = schedule(db, "import", str(latin))
    assert result.returncode == 2
    assert f"{latin}: line 2: file: not UTF-8" in result.stderr


def test_next_shows_each_points_days_with_hours_place_office_and_phone(sample_db):
    db = sample_db
    result = schedule(db, "next", "21220", "--today", "2026-11-22")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == (
        "Xã Sơn Tịnh (21220), Quảng Ngãi: transaction days from 2026-11-22 to 2026-12-31"
    )
    assert "SAMPLE-21220-TINHHA: Điểm giao dịch Tịnh Hà (dữ liệu mẫu)" in out
    assert "place: Trụ sở UBND xã Tịnh Hà cũ, xã Sơn Tịnh, Quảng Ngãi" in out
    assert "office: PGD NHCSXH Sơn Tịnh (dữ liệu mẫu), phone 0255 0000 101" in out
    assert "  2026-12-10 Thu 07:30-11:00" in out
    assert "  2026-11-10" not in out  # already past
    # day 31 works on the 30th in November
    assert "  2026-11-30 Mon 13:30-16:30" in out and "  2026-12-31 Thu 13:30-16:30" in out
    assert "SAMPLE-00004" not in out


def test_next_counts_from_today_in_the_bot_timezone(sample_db):
    db = sample_db
    result = schedule(db, "next", "21220")
    assert result.returncode == 0, result.stderr
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert f"transaction days from {today} to " in result.stdout.splitlines()[0]


def test_next_for_a_ward_of_ha_noi_accepts_the_short_code(sample_db):
    db = sample_db
    result = schedule(db, "next", "4", "--today", "2026-11-22")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Phường Ba Đình (00004), Thành phố Hà Nội:")
    assert "  2026-12-15 Tue 08:00-11:30" in result.stdout


def test_next_for_an_unknown_commune_or_one_without_points(sample_db):
    db = sample_db
    result = schedule(db, "next", "99999")
    assert result.returncode == 2
    assert result.stderr.strip() == "vbsp-bot: schedule next: unknown commune code '99999'"
    result = schedule(db, "next", "08515")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Xã Hy Cương (08515), Phú Thọ: no transaction points recorded"


@pytest.mark.parametrize("name", ["son tinh", "Xã Sơn Tịnh, Quảng Ngãi"])
def test_next_accepts_a_commune_name_as_lich_does(sample_db, name):
    result = schedule(sample_db, "next", name, "--today", "2026-11-22")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "Xã Sơn Tịnh (21220), Quảng Ngãi: transaction days from 2026-11-22 to 2026-12-31"
    )


@pytest.mark.parametrize(
    ("name", "listed", "reason"),
    [
        # two communes of that name (the province would tell them apart); the one with a
        # point of that name first, as in /lich
        (
            "lam thao",
            [
                "  08494  Xã Lâm Thao, Phú Thọ (point Điểm giao dịch Lâm Thao (dữ liệu mẫu))",
                "  09529  Xã Lâm Thao, Bắc Ninh",
            ],
            "'lam thao' names several communes",
        ),
        # a transaction point's name (a former commune's), as /lich finds it: /lich asks
        # before taking it, so the command names the commune and wants its code
        (
            "tinh ha",
            ["  21220  Xã Sơn Tịnh, Quảng Ngãi (point Điểm giao dịch Tịnh Hà (dữ liệu mẫu))"],
            "no commune is named exactly 'tinh ha'",
        ),
        # misspelt: offered, never taken unasked
        ("son tin", ["  21220  Xã Sơn Tịnh, Quảng Ngãi"], "no commune is named exactly 'son tin'"),
    ],
)
def test_next_lists_the_candidates_of_a_name_that_is_not_one_commune(
    sample_db, name, listed, reason
):
    result = schedule(sample_db, "next", name)
    assert result.returncode == 2
    *lines, last = result.stderr.strip("\n").splitlines()
    assert lines == listed
    assert last == f"vbsp-bot: schedule next: {reason}; give the code of one listed above"
    assert result.stdout == ""


def test_next_for_a_name_that_matches_nothing(sample_db):
    result = schedule(sample_db, "next", "qqqq zzzz")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "vbsp-bot: schedule next: no commune or transaction point is named 'qqqq zzzz'"
    )


def test_exception_moved_then_cancelled_shows_in_next(db):
    imported(db)
    result = schedule(
        db,
        "exception",
        "SAMPLE-21220-TINHHA",
        "2026-12-10",
        "--moved-to",
        "2026-12-14",
        "--reason",
        "Trùng lịch họp",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "recorded: SAMPLE-21220-TINHHA (Điểm giao dịch Tịnh Hà (dữ liệu mẫu)) "
        "2026-12-10 Thu moved to 2026-12-14 Mon: Trùng lịch họp"
    )
    out = schedule(db, "next", "21220", "--today", "2026-11-22").stdout
    assert "  2026-12-14 Mon 07:30-11:00 (moved from 2026-12-10 Thu: Trùng lịch họp)" in out
    assert "  2026-12-10 Thu 07:30-11:00" not in out

    # a day in November moved into December is found from December's side too
    schedule(
        db, "exception", "SAMPLE-21220-TINHGIANG", "2026-11-30", "--moved-to", "2026-12-01",
        "--reason", "Nghỉ",
    )  # fmt: skip
    out = schedule(db, "next", "21220", "--today", "2026-12-01").stdout
    assert "  2026-12-01 Tue 13:30-16:30 (moved from 2026-11-30 Mon: Nghỉ)" in out

    result = schedule(
        db, "exception", "SAMPLE-21220-TINHHA", "2026-12-10", "--cancelled", "--reason", "Bão"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        "2026-12-10 Thu cancelled: Bão (replaces the earlier exception)"
    )
    out = schedule(db, "next", "21220", "--today", "2026-11-22").stdout
    assert "  2026-12-10 Thu cancelled: Bão" in out
    assert "2026-12-14" not in out


def test_exception_refuses_a_day_that_is_not_the_regular_one(sample_db):
    db = sample_db
    result = schedule(
        db, "exception", "SAMPLE-21220-TINHGIANG", "2027-02-27", "--cancelled", "--reason", "x"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "vbsp-bot: schedule exception: 2027-02-27 is not a transaction day of "
        "SAMPLE-21220-TINHGIANG (day 31 of each month); in 2027-02 it is 2027-02-28"
    )
    assert schedule(db, "next", "21220", "--today", "2027-02-01").stdout.count("cancelled") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["NOPE", "2026-12-10", "--cancelled", "--reason", "x"],
            "vbsp-bot: schedule exception: unknown point id 'NOPE'",
        ),
        (
            ["SAMPLE-21220-TINHHA", "10/12/2026", "--cancelled", "--reason", "x"],
            "vbsp-bot: DATE: not a date (YYYY-MM-DD): '10/12/2026'",
        ),
        (
            ["SAMPLE-21220-TINHHA", "2026-12-10", "--moved-to", "2026-12-10", "--reason", "x"],
            "vbsp-bot: schedule exception: --moved-to is the regular day itself (2026-12-10)",
        ),
        (
            ["SAMPLE-21220-TINHHA", "2026-12-10", "--cancelled", "--reason", "  "],
            "vbsp-bot: schedule exception: --reason is empty",
        ),
    ],
)
def test_exception_bad_input_is_one_line_and_exit_2(sample_db, args, message):
    db = sample_db
    result = schedule(db, "exception", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == message


def test_exception_needs_exactly_one_of_moved_to_and_cancelled(db):
    result = schedule(db, "exception", "P", "2026-12-10", "--reason", "x")
    assert result.returncode == 2 and "--moved-to" in result.stderr
    result = schedule(
        db, "exception", "P", "2026-12-10", "--cancelled", "--moved-to", "2026-12-11",
        "--reason", "x",
    )  # fmt: skip
    assert result.returncode == 2 and "not allowed with" in result.stderr
