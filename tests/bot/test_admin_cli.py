"""`vbsp-bot admin grant|revoke|list` as operators run it: real processes on a SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.bot.test_cli import run

pytestmark = pytest.mark.slow  # a real process for each command


@pytest.fixture
def db(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/admin.db"}


def admin(db: dict[str, str], *args: str):
    return run("admin", *args, env=db)


def audit_rows(db: dict[str, str]) -> list[tuple[str, str, str, str]]:
    path = db["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT actor, action, subject, detail FROM audit_log ORDER BY id"
        ).fetchall()


def test_grant_list_revoke(db):
    result = admin(db, "grant", "telegram:1001", "admin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "granted: telegram:1001 admin in whole country"

    result = admin(db, "grant", "telegram:2002", "official", "--area", "21220")
    assert result.stdout.strip() == (
        "granted: telegram:2002 official in Xã Sơn Tịnh, Quảng Ngãi (21220)"
    )
    assert admin(db, "grant", "zalo:abc", "moderator", "--area", "51").returncode == 0
    again = admin(db, "grant", "telegram:2002", "official", "--area", "21220")
    assert again.returncode == 0
    assert again.stdout.startswith("already granted: telegram:2002 official")

    listed = admin(db, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("telegram:1001 admin * (whole country) granted ")
    assert lines[0].endswith(" by cli")
    assert lines[1].startswith("telegram:2002 official 21220 (Xã Sơn Tịnh, Quảng Ngãi) granted")
    assert lines[2].startswith("zalo:abc moderator 51 (Quảng Ngãi) granted")

    revoked = admin(db, "revoke", "telegram:2002", "official", "--area", "21220")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("revoked: telegram:2002 official in Xã Sơn Tịnh")
    assert len(admin(db, "list").stdout.splitlines()) == 2

    actions = [(actor, action, subject) for actor, action, subject, _ in audit_rows(db)]
    assert actions == [
        ("cli", "role.grant", "telegram:1001"),
        ("cli", "role.grant", "telegram:2002"),
        ("cli", "role.grant", "zalo:abc"),
        ("cli", "role.revoke", "telegram:2002"),
    ]
    assert '"area": "21220"' in audit_rows(db)[-1][3]


def test_list_of_nothing_is_empty(db):
    result = admin(db, "list")
    assert result.returncode == 0 and result.stdout == ""


def test_revoking_what_was_never_granted_is_bad_input(db):
    result = admin(db, "revoke", "telegram:1", "official", "--area", "51")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "vbsp-bot: admin revoke: telegram:1 has no role official in 51"
    )
    assert audit_rows(db) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sms:1", "official"), "the channel must be one of telegram, zalo, zalo_oa, terminal"),
        (("telegram:", "official"), "the user id after telegram: is empty"),
        (("telegram", "official"), "write it as CHANNEL:USER_ID"),
        (("telegram:1", "boss"), "role 'boss': must be one of admin, official, moderator"),
        (("telegram:1", "official", "--area", "99"), "no province has this code"),
        (("telegram:1", "official", "--area", "99999"), "no commune or ward has this code"),
        (("telegram:1", "official", "--area", "5"), "give a 2-digit province code"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db, args, message):
    result = admin(db, "grant", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vbsp-bot: admin grant: "), result.stderr
    assert message in lines[0]
