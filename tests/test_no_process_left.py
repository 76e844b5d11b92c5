"""The suite's own guard: a process a test started and left running fails the run, and dies."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a whole pytest run in a process of its own, twice

ROOT = Path(__file__).resolve().parent.parent


# With pytest-xdist the workers find what their tests left and the controller fails the run.
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_process_left_running_fails_the_session_and_is_killed(tmp_path, workers):
    if workers and importlib.util.find_spec("xdist") is None:
        pytest.skip("pytest-xdist is not installed")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_sessionfinish, pytest_testnodedown\n"
    )
    (tmp_path / "test_leaky.py").write_text(
        "import subprocess, pathlib\n"
        "def test_leaves_a_sleeper():\n"
        "    p = subprocess.Popen(['sleep', '300'])\n"
        "    pathlib.Path('pid').write_text(str(p.pid))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "process(es) started by tests were still running" in done.stdout
    pid = int((tmp_path / "pid").read_text())
    state = Path(f"/proc/{pid}/stat")
    # Killed: gone, or a zombie waiting for its (finished) parent to be reaped.
    assert not state.exists() or state.read_text().split()[2] == "Z"
