"""The command line as operators and scripts use it: real processes, real stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

pytestmark = pytest.mark.slow  # a real process for each command

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_ask_json_names_the_topic():
    result = run("ask", "--json", "vay von ho ngheo")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["topic"] == "program.poor"
    assert set(answer) == {"topic", "score", "answer", "alternatives"}
    assert isinstance(answer["score"], float) and answer["answer"]


def test_ask_json_says_none_outside_the_scope():
    result = run("ask", "--json", "giá vàng hôm nay")
    assert json.loads(result.stdout)["topic"] == "none"


def test_ask_reads_one_question_per_line_in_order():
    result = run(
        "ask", "--json", "--lang", "en", "-", stdin="vay von ho ngheo\n\ngiá vàng hôm nay\n"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["topic"] for line in lines] == ["program.poor", "none", "none"]
    assert "Poor" in lines[0]["answer"] or "poor" in lines[0]["answer"]


def test_ask_refuses_an_empty_question_in_one_line():
    result = run("ask", "   ")
    assert result.returncode == 2
    assert result.stderr.strip() == "vbsp-bot: ask: the question is empty"


def test_content_check_passes():
    result = run("content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content ok: 11 programs" in result.stdout


def test_bad_configuration_stops_with_one_line(tmp_path):
    result = run("chat", env={"BOT_TIMEZONE": "Mars/Base"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "vbsp-bot: BOT_TIMEZONE: unknown time zone 'Mars/Base'"


def test_webhook_mode_needs_its_secret(tmp_path):
    result = run(
        "serve",
        env={"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_chat_holds_a_conversation_from_stdin(tmp_path):
    # 1 = Tiếng Việt, 1 = I agree, 1 = programs, then a program, then a question.
    stdin = "1\n1\n1\n1\nvay von sinh vien\n/dulieu\n"
    result = run("chat", stdin=stdin, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Tiếng Việt" in out
    assert "Bot lưu gì về bạn?" in out
    assert "Các chương trình cho vay của NHCSXH" in out
    assert "Lãi suất:" in out
    assert "Bot đang lưu về bạn" in out and "terminal" in out
    assert "<b>" not in out
    assert (tmp_path / "vbsp-bot.db").exists()


def test_chat_remembers_the_user_between_runs(tmp_path):
    run("chat", stdin="2\n1\n", cwd=tmp_path)  # English, agree
    again = run("chat", stdin="/caidat\n", cwd=tmp_path)
    assert "Language: English" in again.stdout


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path):
    result = run("db", "upgrade", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("SEND_RATE_PER_SECOND", "0"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
    ],
)
def test_settings_name_the_bad_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name}: "):
        load_settings()


def test_settings_defaults_match_the_contract(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./vbsp-bot.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.bot_timezone == "Asia/Ho_Chi_Minh"
    assert settings.send_rate_per_second == 25
    assert settings.log_level == "INFO"
    assert settings.telegram_bot_token is None


def test_chat_as_an_official_reaches_the_officials_dialogs(tmp_path):
    refused = run("chat", stdin="2\n1\n/lichxa\n", cwd=tmp_path)
    assert "I do not know the command /lichxa" in refused.stdout
    allowed = run("chat", "--as-role", "official", stdin="/lichxa\n", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "I do not know the command /lichxa" not in allowed.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("db", "upgrade"), "vbsp-bot: DATABASE_URL: cannot migrate the database"),
        (("schedule", "export"), "vbsp-bot: DATABASE_URL: cannot open the database"),
        (("serve", "--port", "99999"), "'99999' is not a port (1-65535)"),
    ],
)
def test_a_database_or_port_that_cannot_work_is_one_line_not_a_traceback(tmp_path, args, says):
    url = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db"
    result = run(*args, env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert says in result.stderr.strip().splitlines()[-1]
