"""The table of questions the bot could not answer well, kept masked (storage/kept_questions.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class KeptQuestion(SQLModel, table=True):
    """One message answered ``none`` or with low confidence, masked before it was written.

    Linked to the person who wrote it only so that deleting their data (/dulieu) or
    withdrawing consent deletes it too; the export never shows the link. Pruned after
    90 days (bot/scheduler.py).
    """

    __tablename__ = "kept_questions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    channel: str = Field(sa_type=String(16))
    text: str = Field(sa_type=Text)  # masked (handlers/questions/masking.py)
    topic: str = Field(sa_type=String(64))  # what the bot answered: a topic id or "none"
    score: float = Field(sa_type=Float)
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
