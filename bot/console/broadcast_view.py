"""The broadcasts pages' helpers that are not pages: the chat message shown as HTML (exactly
what a citizen's Telegram shows, no more markup than the channel allows), the compose form
read and checked, and the photo handed to Telegram once for its file id.

Every rule is handlers/broadcasts/'s (services.py, transitions.py, photos.py); this module only
turns form fields into their arguments and their answers into texts.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import markupsafe
from aiohttp import web
from telegram import InputFile
from telegram.error import TelegramError

from content.places import commune
from handlers.broadcasts import services
from handlers.broadcasts.photos import MAX_PHOTO_BYTES, PhotoRefused, clean_photo
from handlers.core import roles
from handlers.core.types import Reply, clean_text

ROLE = "official"
WHOLE = "*"  # the whole country, as the area select carries it
_AREA = re.compile(r"^(\*|[0-9]{2}|[0-9]{5})$")
_WHEN = "%Y-%m-%dT%H:%M"  # <input type=datetime-local>, local time
_CHAT_TAGS = frozenset({"b", "i", "u", "s", "code", "pre", "strong", "em"})


# --- a chat message as HTML --------------------------------------------------------------------


class _ChatHtml(HTMLParser):
    """The channel's HTML subset kept (tags without attributes), everything else as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(f"<{tag}>" if tag in _CHAT_TAGS else "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>" if tag in _CHAT_TAGS else "")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def chat_html(text: str) -> markupsafe.Markup:
    """A reply's text (Telegram's HTML subset) as the page shows it."""
    parser = _ChatHtml()
    parser.feed(text)
    parser.close()
    return markupsafe.Markup("".join(parser.out))


@dataclass(frozen=True)
class Shown:
    """A message as a citizen reading ``lang`` gets it: its text, its photo, its buttons."""

    lang: str
    text: markupsafe.Markup
    photo: bool
    buttons: list[str]


def shown(reply: Reply, lang: str) -> Shown:
    labels = [b.label for row in reply.buttons for b in row]
    return Shown(lang, chat_html(reply.text), bool(reply.photo), labels)


# --- the compose form --------------------------------------------------------------------------


@dataclass
class Compose:
    """The compose form as typed, and what is wrong with it (field -> kind message)."""

    text: str = ""
    area: str = ""
    commune_query: str = ""
    who: str = "everyone"
    urgent: bool = False
    when: str = "now"  # or "at"
    at: str = ""
    photo: bytes | None = None
    errors: dict[str, str] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)  # communes matching the query
    area_code: str | None = None  # checked
    moment: dt.datetime | None = None  # checked, UTC

    @property
    def subscribers_only(self) -> bool:
        return self.who == "subscribers"


def _field(form: Any, name: str, limit: int = 10_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def read_compose(form: Any) -> Compose:
    """The fields as sent (nothing checked yet)."""
    upload = form.get("photo")
    data = None
    if isinstance(upload, web.FileField):
        data = upload.file.read(MAX_PHOTO_BYTES + 1) or None
    return Compose(
        text=(clean_text(_field(form, "text", 100_000).replace("\r\n", "\n")) or "").strip(),
        area=_field(form, "area", 10),
        commune_query=_field(form, "commune", 200).strip(),
        who="subscribers" if _field(form, "who") == "subscribers" else "everyone",
        urgent=_field(form, "urgent") == "1",
        when="at" if _field(form, "when") == "at" else "now",
        at=_field(form, "at", 40),
        photo=data,
    )


def parse_local(value: str, tz: Any) -> dt.datetime | None:
    """A datetime-local field's value as UTC; None when it is not one."""
    try:
        moment = dt.datetime.strptime(value.strip(), _WHEN)
    except ValueError:
        return None
    return moment.replace(tzinfo=tz).astimezone(dt.UTC)


def local_input(moment: dt.datetime | None, tz: Any) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime(_WHEN)


async def check_area(ctx: Any, form: Compose, t: Any) -> None:
    """The audience: a commune typed (by name or code, inside the official's areas), else
    the area chosen in the list; either one the official may write to, as chat checks."""
    areas = await roles.areas_of(ctx, ROLE)
    if form.commune_query:
        found = services.matching_communes(areas, form.commune_query)
        if len(found) == 1:
            form.area_code = found[0]
            form.area = found[0]
        elif not found:
            form.errors["commune"] = t("console.broadcasts.error.commune_none",
                                       query=form.commune_query)  # fmt: skip
        else:  # offered in the area list, the first chosen, the box emptied: one click more
            form.choices, form.area, form.commune_query = found, found[0], ""
            form.errors["commune"] = t("console.broadcasts.error.commune_many")
        return
    if not _AREA.match(form.area):
        form.errors["area"] = t("console.broadcasts.error.area_missing")
        return
    code = None if form.area == WHOLE else form.area
    if code is not None and len(code) == 5 and commune(code) is None:
        form.errors["area"] = t("console.broadcasts.error.area_outside")
        return
    if not await roles.allowed_area(ctx, ROLE, code):
        form.errors["area"] = t("console.broadcasts.error.area_outside")
        return
    form.area_code = code


async def check_compose(ctx: Any, form: Compose, t: Any, *, full: bool) -> None:
    """Everything chat checks, in the page's language; ``full``: the text and time too (a
    recipient count needs only the audience)."""
    await check_area(ctx, form, t)
    if not full:
        return
    problem = services.check_text(form.text, with_photo=form.photo is not None)
    if problem is not None:
        form.errors["text"] = t(
            "console.broadcasts.error." + problem.key.removeprefix("broadcast."), **problem.values
        )
    if form.when == "at":
        moment = parse_local(form.at, ctx.timezone)
        if moment is None:
            form.errors["at"] = t("console.broadcasts.error.when_unreadable")
        elif not services.check_when(moment, ctx.now):
            form.errors["at"] = t(
                "console.broadcasts.error.when_range",
                days=services.MAX_AHEAD.days,
            )
        else:
            form.moment = moment


async def photo_file_id(runtime: Any, me: Any, data: bytes, caption: str) -> str:
    """Clean the picture, then upload it once to its author's own Telegram chat: the file id
    Telegram gives back is what every recipient's message carries (as in chat, where the
    official's own photo is used). Raises PhotoRefused; "channel" when the author has no
    Telegram chat with the bot (a Zalo official: chat leaves photos out there too), "upload"
    when Telegram did not take it."""
    cleaned = await clean_photo(data)
    telegram = runtime.telegram
    if telegram is None or me.channel != "telegram":
        raise PhotoRefused("channel")
    try:
        message = await telegram.bot.send_photo(
            int(me.channel_user_id),
            InputFile(cleaned.data, filename=f"thong-bao.{cleaned.extension}"),
            caption=caption,
        )
    except TelegramError:  # unreachable, or the author blocked the bot: try again later
        raise PhotoRefused("upload") from None
    if not message.photo:
        raise PhotoRefused("unreadable")
    return str(max(message.photo, key=lambda p: p.width * p.height).file_id)


def figures_text(t: Any, content: Any, lang: str, figures: services.Figures, rate: float) -> str:
    return t(
        "console.broadcasts.figures",
        recipients=f"{figures.recipients:,}".replace(",", "."),
        time=services.duration(content, figures.seconds, lang),
        rate=f"{rate:g}",
    )
