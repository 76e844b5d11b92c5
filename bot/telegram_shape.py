"""The shape of the Telegram updates the bot acts on, checked before PTB parses them.

python-telegram-bot trusts Telegram: it builds objects from whatever JSON it is given, and a
``chat.id`` that is a list or a photo ``width`` of null only fails later, deep in our code.
Here the fields we read (bot/telegram.py: ``to_incoming``, ``_attachments``, blocks) are
checked first, so a body that is not such an update is refused as a whole instead.
"""

from __future__ import annotations

from typing import Any

# The kinds of update the bot acts on; every other kind is taken and ignored.
HANDLED = ("message", "callback_query", "my_chat_member")
# Telegram's ids fit in 52 bits (chats) or 64 (callback ids are strings); a larger number
# is not one of its ids.
MAX_ID = 2**63 - 1


class NotAnUpdate(ValueError):
    """The body is not a Telegram update the bot could act on (the reason, without content)."""


def check_update(body: dict[str, Any]) -> str | None:
    """The kind of update ``body`` is, if one the bot acts on (None for the kinds it
    ignores); NotAnUpdate unless every field the bot reads from it has its type."""
    update_id = body.get("update_id")
    if not _int(update_id) or update_id < 0:  # type: ignore[operator]
        raise NotAnUpdate("update_id")
    kinds = [kind for kind in HANDLED if body.get(kind) is not None]
    if len(kinds) > 1:
        raise NotAnUpdate("more than one kind of update")
    if not kinds:
        return None
    kind = kinds[0]
    value = _object(body, kind)
    if kind == "message":
        _message(value)
    elif kind == "callback_query":
        _string(value, "id")
        _user(_object(value, "from"))
        _string(value, "data", optional=True)
        if value.get("message") is not None:
            _message(_object(value, "message"), shown=True)
    else:
        _chat(_object(value, "chat"))
        _user(_object(value, "from"))
        _int_field(value, "date")
        for member in ("old_chat_member", "new_chat_member"):
            held = _object(value, member)
            _string(held, "status")
            _user(_object(held, "user"))
    return kind


def _message(message: dict[str, Any], *, shown: bool = False) -> None:
    """A message a user sent, or (``shown``) the bot's message a button was pressed on."""
    _int_field(message, "message_id")
    _int_field(message, "date")
    _chat(_object(message, "chat"))
    if shown:
        return  # only its chat is read
    if message.get("from") is not None:
        _user(_object(message, "from"))
    _string(message, "text", optional=True)
    _string(message, "caption", optional=True)
    photo = message.get("photo")
    if photo is not None:
        if not isinstance(photo, list) or not photo:
            raise NotAnUpdate("photo")
        for size in photo:
            if not isinstance(size, dict):
                raise NotAnUpdate("photo size")
            _file(size)
            _int_field(size, "width")
            _int_field(size, "height")
    if message.get("document") is not None:
        document = _object(message, "document")
        _file(document)
        _string(document, "file_name", optional=True)
        _string(document, "mime_type", optional=True)


def _chat(chat: dict[str, Any]) -> None:
    _int_field(chat, "id", signed=True)
    _string(chat, "type")


def _user(user: dict[str, Any]) -> None:
    _int_field(user, "id")
    if not isinstance(user.get("is_bot"), bool):
        raise NotAnUpdate("is_bot")
    _string(user, "first_name")
    _string(user, "last_name", optional=True)
    _string(user, "language_code", optional=True)


def _file(file: dict[str, Any]) -> None:
    _string(file, "file_id")
    _string(file, "file_unique_id")
    _int_field(file, "file_size", optional=True)


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise NotAnUpdate(key)
    return value


def _string(parent: dict[str, Any], key: str, *, optional: bool = False) -> None:
    value = parent.get(key)
    if not (isinstance(value, str) or (optional and value is None)):
        raise NotAnUpdate(key)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(
    parent: dict[str, Any], key: str, *, optional: bool = False, signed: bool = False
) -> None:
    value = parent.get(key)
    if optional and value is None:
        return
    if not _int(value) or abs(value) > MAX_ID or (value < 0 and not signed):
        raise NotAnUpdate(key)
