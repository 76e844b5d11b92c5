"""The questions feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command
from handlers.questions import answers
from handlers.questions.actions import ShowBlackCredit, ShowTopic, ShowTopicLegal

COMMANDS: dict[str, Command] = {
    "tindungden": Command(answers.black_credit_command),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {
    ShowTopic: answers.show_topic,
    ShowTopicLegal: answers.show_legal,
    ShowBlackCredit: answers.black_credit,
}
