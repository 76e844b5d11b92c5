"""`vbsp-bot schedule import` at its limit: a file of 20,000 points over every commune,
imported by the real command into a fresh SQLite file (or PostgreSQL with --pg).

    python bench/schedule_import.py                 # 20,000 rows
    python bench/schedule_import.py --rows 5000 --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test

Prints the file's size, the wall time of the import (a whole process: start-up included) and
its peak resident memory; then the same for a one-row file, the process's own baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from content.places import communes_of_province, provinces
from handlers.schedules.csv import HEADER

ROOT = Path(__file__).resolve().parents[1]


def write_file(path: Path, rows: int) -> None:
    codes = [c.code for p, _ in provinces() for c in communes_of_province(p)]
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(rows):
            code = codes[i % len(codes)]
            f.write(
                f"PT-{code}-{i:06d},{code},Điểm giao dịch thôn {i % 40 + 1},"
                f"Nhà văn hóa thôn {i % 40 + 1} xã {code},{i % 28 + 1},07:30,11:00,"
                f"Phòng giao dịch NHCSXH huyện {i % 700},0255 3843 {i % 1000:03d}\n"
            )


def run_import(path: Path, url: str) -> tuple[float, float]:
    """Seconds and peak resident MiB of one `schedule import` process."""
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "schedule", "import", str(path)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        finally:
            if process.poll() is None:
                process.kill()
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"import failed: {errors.read().decode().strip().splitlines()[-1]}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


async def _admin(base: str, sql: str) -> None:
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_postgres(base: str, made: list[str]) -> str:
    name = f"bench_sched_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    made.append(name)
    url = f"{base.rsplit('/', 1)[0]}/{name}"
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True,
        capture_output=True, timeout=300,
    )  # fmt: skip
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server to create a database on")
    args = parser.parse_args()
    made: list[str] = []  # PostgreSQL databases to drop at the end
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.csv", Path(tmp) / "one.csv"
        write_file(big, args.rows)
        write_file(small, 1)

        def url(name: str) -> str:
            if args.pg:
                return fresh_postgres(args.pg, made)
            return f"sqlite+aiosqlite:///{tmp}/{name}.db"

        try:
            size = big.stat().st_size / (1024 * 1024)
            target = url("big")
            seconds, peak = run_import(big, target)
            print(f"{args.rows:,} rows, {size:.1f} MiB: {seconds:.1f} s, peak RSS {peak:.0f} MiB")
            seconds, peak = run_import(big, target)
            print(f"the same file again (nothing changes): {seconds:.1f} s, peak {peak:.0f} MiB")
            seconds, peak = run_import(small, url("one"))
            print(f"baseline, a one-row file: {seconds:.1f} s, peak RSS {peak:.0f} MiB")
        finally:
            for name in made:
                asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
