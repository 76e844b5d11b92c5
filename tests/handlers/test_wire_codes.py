"""Buttons made before typed actions still work: today's bytes unpack, route, and pack back.

The codes were recorded from the bot's own buttons before the change (the data file says
how). A button in someone's chat from last month must land on the same handler with the
same values; one that no longer did would answer "this button is out of date" instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.core import routes
from handlers.core.actions import Action, ActionError

RECORDED = Path(__file__).parent / "data" / "wire_codes_57ae2b0.txt"
CODES = [line for line in RECORDED.read_text().splitlines() if line and not line.startswith("#")]
# Re-packed, these come out shorter but mean the same: an empty trailing field is dropped.
SAME_MEANING = {"xl:open:": "xl:open", "xl:closed:": "xl:closed"}


def test_the_recording_covers_every_prefix_the_bot_had() -> None:
    prefixes = {code.split(":", 1)[0] for code in CODES}
    assert len(CODES) > 400 and len(prefixes) >= 85


@pytest.mark.parametrize("code", CODES)
def test_a_recorded_button_unpacks_to_an_action_with_a_handler(code: str) -> None:
    try:
        action = Action.parse(code)
    except ActionError as error:
        pytest.fail(f"{code!r} no longer unpacks: {error}")
    assert type(action) in routes.ACTIONS
    assert action.pack() == SAME_MEANING.get(code, code)
