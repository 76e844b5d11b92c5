"""The questions feature's buttons: a topic's answer, its legal basis, the black-credit page.

The bytes are those they have always carried (``topic:loan.term``, ``tl:program.poor``,
``blackcredit``), so buttons already in people's chats keep working.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from handlers.core.actions import Action

# A topic of topics.yaml, as content/models.py defines its id.
TopicId = Annotated[str, Field(pattern=r"^[a-z_]+(?:\.[a-z_]+)?$")]


class ShowTopic(Action, prefix="topic"):
    """A topic's answer: a "did you mean" choice, another question of the message."""

    topic: TopicId


class ShowTopicLegal(Action, prefix="tl"):
    """The legal basis of a topic's answer, one tap under it."""

    topic: TopicId


class ShowBlackCredit(Action, prefix="blackcredit"):
    """How to recognise loan sharks, with the related pages (also /tindungden)."""
