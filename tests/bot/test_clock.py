"""The test-only clock setting: processes started by tests run at a moment the test chose."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from bot.clock import AT_VARIABLE, START_VARIABLE, clock_env, process_clock, shifted_clock
from handlers.core.context import system_clock

START = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_a_shifted_clock_reads_the_start_at_the_anchor_and_runs_on_at_its_pace():
    wall = [1000.0]
    clock = shifted_clock(START, at=1000.0, wall=lambda: wall[0])
    assert clock() == START and clock().tzinfo is dt.UTC
    wall[0] += 90.5
    assert clock() == START + dt.timedelta(seconds=90.5)


def test_two_processes_given_the_same_setting_agree_on_the_time():
    env = clock_env(START, at=1000.0)
    one, two = process_clock(env), process_clock(env)
    assert abs((one() - two()).total_seconds()) < 1
    assert one() > START  # the wall clock has run on since 1000.0


def test_without_the_setting_the_system_clock_is_used():
    assert process_clock({}) is system_clock
    assert process_clock({START_VARIABLE: "  "}) is system_clock


@pytest.mark.parametrize("text", ["2026-12-14T10:00:00", "tomorrow", "2026-13-01T00:00+07:00"])
def test_a_moment_without_offset_or_not_a_moment_is_refused(text):
    with pytest.raises(ValueError, match=START_VARIABLE):
        process_clock({START_VARIABLE: text, AT_VARIABLE: "1000"})


@pytest.mark.slow
def test_the_cli_says_so_in_one_line_and_a_set_clock_is_announced(tmp_path):
    env = {"PATH": "/usr/bin:/bin", START_VARIABLE: "not a moment", "HOME": str(tmp_path)}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/c.db"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], env=env, cwd=tmp_path, input="",
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and START_VARIABLE in done.stderr
