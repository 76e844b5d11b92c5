"""What an official can feed in is bounded: `schedule import` refuses a file past a stated
size, row count or line length with one line and exit code 2 (an endless /dev/zero or pipe
included) and reads a line at a time; a person has at most so many reminders."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from handlers.schedules import view
from handlers.schedules.csv import (
    HEADER,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    MAX_ROWS,
    ScheduleFileError,
    ScheduleFileTooLarge,
    read_schedule_file,
)
from storage import schedules, subscriptions, users
from storage.db import transaction
from storage.models import TransactionPoint
from tests.bot.test_cli import ROOT
from tests.conftest import Chat
from tests.handlers.test_crafted_input import tap

ROW = "P{i},21220,Điểm {i},Thôn {i},15,07:30,11:00,PGD Sơn Tịnh,0255 3843 123"
# Enough address space for the bot, far too little to hold an endless file read whole.
MEMORY_CAP = 1536 * 1024 * 1024


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def import_file(tmp_path: Path, file: str, feed: bytes | None = None):
    """`vbsp-bot schedule import FILE` in its own process; killed whatever happens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/limits.db", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "schedule", "import", file],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
        preexec_fn=_cap_memory,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=120)
        return process.returncode, out.decode(), err.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def refused_in_one_line(result: tuple[int, str, str], file: str, says: str) -> None:
    code, out, err = result
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"vbsp-bot: schedule import: {file}: ") and says in lines[0]
    assert out == ""


@pytest.mark.slow
def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path):
    big = tmp_path / "big.csv"
    with big.open("wb") as f:  # sparse: 17 MiB on paper, nothing on disk
        f.write(f"{HEADER}\n".encode())
        f.truncate(MAX_FILE_BYTES + 1024 * 1024)
    refused_in_one_line(import_file(tmp_path, str(big)), str(big), "at most 16 MiB")


@pytest.mark.slow
def test_too_many_rows_are_refused(tmp_path: Path):
    many = tmp_path / "many.csv"
    rows = "\n".join(ROW.format(i=i) for i in range(MAX_ROWS + 1))
    many.write_text(f"{HEADER}\n{rows}\n", encoding="utf-8")
    refused_in_one_line(
        import_file(tmp_path, str(many)),
        str(many),
        f"line {MAX_ROWS + 2}: file: more than 20,000 rows",
    )


@pytest.mark.slow
def test_a_line_too_long_is_refused(tmp_path: Path):
    long = tmp_path / "long.csv"
    long.write_text(f"{HEADER}\n{ROW.format(i=1)}\n{'x' * 5000}\n", encoding="utf-8")
    refused_in_one_line(
        import_file(tmp_path, str(long)), str(long), "line 3: row: longer than 4096 bytes"
    )


@pytest.mark.slow
def test_dev_zero_is_refused_in_one_line(tmp_path: Path):
    refused_in_one_line(import_file(tmp_path, "/dev/zero"), "/dev/zero", "longer than 4096 bytes")


@pytest.mark.slow
def test_an_endless_pipe_is_refused_in_one_line(tmp_path: Path):
    fifo = tmp_path / "endless.csv"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write_forever() -> None:
        try:
            with fifo.open("wb") as pipe:
                pipe.write(f"{HEADER}\n".encode())
                i = 0
                while not stop.is_set():
                    pipe.write(f"{ROW.format(i=i)}\n".encode())
                    i += 1
        except (BrokenPipeError, OSError):
            pass  # the importer stopped reading: what we want

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    try:
        refused_in_one_line(import_file(tmp_path, str(fifo)), str(fifo), "more than 20,000 rows")
    finally:
        stop.set()
        with contextlib.suppress(OSError):  # a writer blocked in open() needs a reader
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=10)


class CountingStream(io.BytesIO):
    """A file that records how much was asked of it at once."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest = 0

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        line = super().readline(size)
        self.largest = max(self.largest, len(line))
        return line

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the whole file was read at once")


def test_rows_are_read_a_line_at_a_time_and_the_limits_are_exact():
    rows = "\n".join(ROW.format(i=i) for i in range(MAX_ROWS))
    stream = CountingStream(f"{HEADER}\n{rows}\n".encode())
    assert len(read_schedule_file(stream)) == MAX_ROWS  # exactly the limit is fine
    assert stream.largest <= MAX_LINE_BYTES + 2
    # a line of exactly the limit is a row (a wrong one here), not a refusal of the file
    with pytest.raises(ScheduleFileError) as wrong:
        read_schedule_file(CountingStream(f"{HEADER}\n{'x' * MAX_LINE_BYTES}\n".encode()))
    assert not isinstance(wrong.value, ScheduleFileTooLarge)
    with pytest.raises(ScheduleFileTooLarge):
        read_schedule_file(CountingStream(f"{HEADER}\n{'x' * (MAX_LINE_BYTES + 1)}\n".encode()))


async def test_reminders_per_person_are_capped(deps):
    now = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    count = view.MAX_SUBSCRIPTIONS + 1
    async with transaction(deps.sessions) as session:
        await schedules.upsert_points(
            session,
            [
                TransactionPoint(
                    id=f"P{i}",
                    commune_code="21220",
                    name=f"Điểm {i}",
                    address="Thôn 1",
                    day_of_month=15,
                    start_time=dt.time(7, 30),
                    end_time=dt.time(11),
                    office="PGD Sơn Tịnh",
                    phone="0255 3843 123",
                )
                for i in range(count)
            ],
            now,
        )
    chat = Chat(deps)
    await chat.onboard()
    for i in range(view.MAX_SUBSCRIPTIONS):
        await tap(chat, f"sub:P{i}")
        assert "Đã bật nhắc lịch" in chat.text
    await tap(chat, f"sub:P{view.MAX_SUBSCRIPTIONS}")
    assert "tối đa" in chat.text and "10 điểm" in chat.text
    await tap(chat, "sub:P0")  # one already on stays on, without a complaint
    assert "Đã bật nhắc lịch" in chat.text
    async with transaction(deps.sessions) as session:
        user = await users.find_user(session, "test", "1001")
        mine = await subscriptions.subscribed_points(session, user.id)
    assert len(mine) == view.MAX_SUBSCRIPTIONS
