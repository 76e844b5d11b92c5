"""What the bot keeps to reach a person on the Zalo Official Account: when they last wrote
(the OA may answer freely for 7 days after), whether a -230 closed that window, whether they
follow the OA, and the phone number they gave, with consent, for ZNS notices.

Registered on the same metadata as every other table (``storage.models`` imports this module).
The queries are in storage/zalo_oa_contacts.py.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, text
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class ZaloOaContact(SQLModel, table=True):
    """One OA identity (a ``users`` row of channel ``zalo_oa``) and its message window."""

    __tablename__ = "zalo_oa_contacts"

    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    # The person's last event (a message, a button, a follow, a form): the window's start.
    last_interaction_at: dt.datetime = Field(sa_type=UTCDateTime)
    # Set when Zalo answered -230 (no interaction within 7 days) after ``last_interaction_at``
    # was read: Zalo's own count wins over ours until the person writes again.
    window_closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    follower: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class ZnsPhone(SQLModel, table=True):
    """A phone number a person gave, with consent, to be reached by ZNS for one purpose.

    Keyed by the person (the holder row, storage/people.py), so it follows them on every
    channel; deleted with the person, with their consent, or when they withdraw it.
    """

    __tablename__ = "zns_phones"

    user_id: int = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    purpose: str = Field(sa_type=String(16), primary_key=True)  # PURPOSE_NOTICES
    phone: str = Field(sa_type=String(16))  # normalised: 84 and 9 digits
    consented_at: dt.datetime = Field(sa_type=UTCDateTime)


# The only purpose so far: transaction-day reminders, day changes and area notices.
PURPOSE_NOTICES = "notices"
