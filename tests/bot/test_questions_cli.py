"""`vbsp-bot questions export|stats`: the kept questions as an editor gets them, on both
databases; nothing planted in a message, and no user id, ever reaches the output."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import run as cli_run
from handlers.core.dispatch import Deps
from tests.bot.test_cli import run
from tests.conftest import Chat, FakeClock
from tests.handlers.test_kept_questions import OUT_OF_SCOPE, assert_nothing_planted, planted_message
from tests.handlers.test_masking import assert_masked_lines, send_planted

CHAT_ID = "987654321"  # the person's id on the channel: it must not be exported


async def test_export_and_stats_on_the_database(deps: Deps, database_url, capsys, monkeypatch):
    chat = Chat(deps, user_id=CHAT_ID, channel="telegram")
    await chat.onboard()
    await chat.send(planted_message())
    await chat.send(OUT_OF_SCOPE)
    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()

    assert await asyncio.to_thread(cli_run, ["questions", "export"]) == 0
    out = capsys.readouterr().out
    header, *lines = out.splitlines()
    assert header == "text\tbest_topic\tscore\tdate\tchannel"
    assert len(lines) == 2 and all(len(line.split("\t")) == 5 for line in lines)
    assert all(line.endswith("\tnone\t" + line.split("\t")[2] + "\t2026-11-22\ttelegram")
               for line in lines)  # fmt: skip
    assert_nothing_planted(out)
    assert CHAT_ID not in out

    assert await asyncio.to_thread(cli_run, ["questions", "export", "--since", "2026-11-23"]) == 0
    assert capsys.readouterr().out.splitlines() == [header]

    assert await asyncio.to_thread(cli_run, ["questions", "stats"]) == 0
    stats = capsys.readouterr().out
    assert "kept questions: 2" in stats and "  none\t2" in stats and "2026-W47\t2 / 2" in stats
    assert CHAT_ID not in stats


async def test_the_export_holds_no_planted_identity(
    deps: Deps, database_url, capsys, monkeypatch, clock: FakeClock
):
    """Names after titles, plain-typed names, e-mails, links, handles, plates, house numbers,
    dates of birth (tests/handlers/test_masking.py): none reaches the editors' TSV."""
    await send_planted(Chat(deps, user_id=CHAT_ID, channel="telegram"), clock, monkeypatch)
    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert await asyncio.to_thread(cli_run, ["questions", "export"]) == 0
    out = capsys.readouterr().out
    assert_masked_lines([line.split("\t")[0] for line in out.splitlines()[1:]])
    assert CHAT_ID not in out


@pytest.mark.slow
def test_a_bad_date_is_one_line_and_exit_2(tmp_path):
    result = run(
        "questions", "export", "--since", "22/11/2026",
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/q.db"},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "vbsp-bot: questions export: --since '22/11/2026': write the date as YYYY-MM-DD"
    ]


@pytest.mark.slow
def test_an_unknown_verb_exits_2(tmp_path):
    result = run(
        "questions", "delete", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/q.db"}
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.slow
def test_an_empty_database_exports_only_the_header(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/q.db"}
    export = run("questions", "export", env=env)
    assert (export.returncode, export.stdout) == (0, "text\tbest_topic\tscore\tdate\tchannel\n")
    stats = run("questions", "stats", env=env)
    assert stats.returncode == 0 and stats.stdout.startswith("kept questions: 0\n")
