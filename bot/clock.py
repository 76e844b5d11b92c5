"""The clock a process runs on.

Serving processes read the system clock. Tests that start a process need it to run at a
moment they choose (quiet hours hold broadcasts back between 21:00 and 06:00), so a
test-only setting shifts it: ``VBSP_TEST_CLOCK_START`` is the moment (ISO 8601 with an
offset) that the wall clock's ``VBSP_TEST_CLOCK_AT`` (Unix seconds; default: when the
process reads the setting) stands for. Every process given the same pair agrees on the
time, and the time runs on at the wall clock's pace, so waits such as retry_after elapse.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Mapping

from handlers.core.context import Clock, system_clock

log = logging.getLogger(__name__)

START_VARIABLE = "VBSP_TEST_CLOCK_START"
AT_VARIABLE = "VBSP_TEST_CLOCK_AT"


def shifted_clock(start: dt.datetime, at: float, wall: Callable[[], float] = time.time) -> Clock:
    """A clock that reads ``start`` when ``wall()`` reads ``at``, and runs at its pace."""
    if start.tzinfo is None:
        raise ValueError("the start moment needs a UTC offset")

    def clock() -> dt.datetime:
        return (start + dt.timedelta(seconds=wall() - at)).astimezone(dt.UTC)

    return clock


def clock_env(start: dt.datetime, at: float | None = None) -> dict[str, str]:
    """The environment that makes a child process run on ``shifted_clock(start, at)``."""
    return {START_VARIABLE: start.isoformat(), AT_VARIABLE: repr(time.time() if at is None else at)}


def process_clock(environ: Mapping[str, str] = os.environ) -> Clock:
    """The system clock, unless a test set the moment this process runs at."""
    text = environ.get(START_VARIABLE, "").strip()
    if not text:
        return system_clock
    try:
        start = dt.datetime.fromisoformat(text)
        at = float(environ.get(AT_VARIABLE) or time.time())
        clock = shifted_clock(start, at)
    except ValueError as exc:
        raise ValueError(f"{START_VARIABLE}: not an ISO moment with an offset ({exc})") from None
    # Loud on purpose: a production process must never run on a test's clock.
    log.warning("%s is set: this process runs on a test clock (now %s)", START_VARIABLE, clock())
    return clock
