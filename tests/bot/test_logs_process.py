"""What `python -m bot` prints, as a real process: one line for an unusable database (never
a thread's traceback after it), no alembic chatter, and `serve` saying when no channel is on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.bot.test_serve_process import free_port

pytestmark = pytest.mark.slow  # real `vbsp-bot` processes, 20 runs of one

ROOT = Path(__file__).resolve().parents[2]
UNUSABLE = "sqlite+aiosqlite:////nonexistent/dir/x.db"
RUNS = 20

# Test-only, loaded by the child through PYTHONPATH. After a failed connect aiosqlite asks its
# worker thread to stop; the thread's last act is a call into the event loop. Here the thread
# waits until the loop has closed (for at most half a second), and the process waits for the
# thread at exit: code that lets the loop close first then prints "Event loop is closed" on
# every run instead of 2 runs in 10. Code that waits for the thread is only slower.
GATE = """
import atexit, os, threading, time
import aiosqlite.core as core

_original = core._connection_worker_thread
_workers = []


class _Gate:
    def __init__(self, tx):
        self.tx = tx

    def get(self):
        future, function = self.tx.get()
        if future is not None and getattr(function, "__name__", "") == "close_and_stop":
            with open(os.environ["GATE_LOG"], "a") as log:
                log.write("gated\\n")
            loop, deadline = future.get_loop(), time.monotonic() + 0.5
            while not loop.is_closed() and time.monotonic() < deadline:
                time.sleep(0.001)
        return future, function


def _worker(tx):
    _workers.append(threading.current_thread())
    _original(_Gate(tx))


core._connection_worker_thread = _worker
atexit.register(lambda: [worker.join(5) for worker in _workers])
"""


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "LOG_LEVEL", "DATABASE_URL"))
    }
    env.update(values)
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(), err.decode()


async def test_an_unusable_sqlite_file_prints_one_line_every_time(tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "sitecustomize.py").write_text(GATE)
    gate_log = tmp_path / "gate.log"
    path = os.pathsep.join([str(gate), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = environment(tmp_path, DATABASE_URL=UNUSABLE, PYTHONPATH=path, GATE_LOG=str(gate_log))
    turns = asyncio.Semaphore(4)

    async def once() -> tuple[int, str, str]:
        async with turns:
            return await run_cli("broadcast", "status", env=env, cwd=tmp_path)

    results = await asyncio.gather(*(once() for _ in range(RUNS)))
    assert gate_log.read_text().count("gated") >= RUNS  # the race was forced every run
    for code, out, err in results:
        assert code == 2 and out == ""
        assert err.count("\n") == 1, err
        assert err.startswith("vbsp-bot: DATABASE_URL: cannot open the database ("), err


async def test_database_commands_log_no_alembic_lines(tmp_path):
    env = environment(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    code, out, err = await run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert code == 0 and out == "database is up to date\n"
    assert "alembic" not in err and "setup plugin" not in err, err


async def test_serve_without_a_channel_says_so(tmp_path):
    port = free_port()
    env = environment(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", str(port), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log = ""
    try:
        assert process.stderr is not None
        while "serving on" not in log:  # the server says when it listens
            line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
            assert line, f"serve exited early:\n{log}"
            log += line.decode()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    assert "WARNING bot: no channel is on" in log
    [serving] = [line for line in log.splitlines() if "serving on" in line]
    assert "/webhook" not in serving and "GET /healthz" in serving
