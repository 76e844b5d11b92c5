"""Reaching a person on the Zalo Official Account: inside the 7-day window, outside it, or not.

Zalo lets an OA send customer-service messages to a person for 7 days after their last
interaction (a message, a button, a follow); outside that window it answers -230. There, a
notice reaches them only as ZNS: an approved template, filled with the notice's fields, sent
to the phone number they gave with consent (handlers/account/zns.py). So, for each outbox row
of the ``zalo_oa`` channel:

- inside the window (last interaction under 7 days ago, and no -230 since): a
  customer-service message (the channel's ``deliver``); a -230 closes the window and the row
  goes on as if outside it, at once;
- outside: ZNS when the row's kind has a template (reminders, day changes, announcements) and
  the person gave a phone; ZNS never goes out between 22:00 and 06:00 local time: the row is
  held till 06:00;
- otherwise the row ends **unreachable**: counted in the officials' reports and the dashboard.

``decide`` is the rule alone, a pure function; ``OaReach`` applies it to outbox rows.

ZNS is paid and Zalo documents no idempotency on ``tracking_id``, so a ZNS send is at most
once: the row is marked (``outbox.zns_at``, committed) before the request leaves; a sender
killed meanwhile leaves the mark, and the next one records the row failed and in doubt instead
of sending it again (storage/outbox.py). An answer that leaves it unknown whether Zalo sent the
message (a network error, a 5xx) is treated the same way. Zalo's error codes for ZNS are in
bot/zalo_oa_api.py (which of them are certain, which to check in Zalo's console).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import zalo_oa_api
from bot.delivery import OutboxItem, Outcome, Result
from bot.zns_templates import ZnsTemplate
from handlers.account.actions import OfferZnsPhone
from handlers.core import zns
from handlers.core.actions import ShowMenu
from handlers.core.context import Clock
from handlers.core.dispatch import Deps, handle
from handlers.core.types import Button, Incoming, Reply
from storage import outbox, users, zalo_oa_contacts
from storage.db import SessionFactory, transaction
from storage.zalo_oa_contacts import Reach

if TYPE_CHECKING:
    from bot.zalo_oa import OaEvent

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
WINDOW = dt.timedelta(days=7)
# ZNS only in the day, local time: never a message at night (06:00 ≤ t < 22:00).
DAY_STARTS, DAY_ENDS = dt.time(6, 0), dt.time(22, 0)
# Which template, if any, each kind of outbox row may go by outside the window. Replies,
# report updates and test copies have none: outside the window they are unreachable.
TEMPLATE_OF_KIND = {
    "reminder_eve": zns.REMINDER,
    "reminder_day": zns.REMINDER,
    "schedule_change": zns.DAY_CHANGED,
    "broadcast": zns.NOTICE,
    "broadcast_urgent": zns.NOTICE,
    "point_removed": zns.NOTICE,  # a point an official's file removed (schedules/removals.py)
}


class Route(enum.Enum):
    CS = "cs"  # a customer-service message, inside the window
    ZNS = "zns"
    HOLD = "hold"  # ZNS, but not at night: try again at ``Decision.until``
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Decision:
    route: Route
    why: str = ""  # for the row's last_error when unreachable
    until: dt.datetime | None = None  # HOLD: the next 06:00 local, in UTC


def in_window(reach: Reach, now: dt.datetime) -> bool:
    """May the OA send this person a customer-service message now?"""
    last = reach.last_interaction_at
    return last is not None and not reach.window_closed and now - last < WINDOW


def next_day_start(now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """None in the day (ZNS may go now); else the coming 06:00 local time, in UTC."""
    local = now.astimezone(tz)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return None
    day = local.date() if local.time() < DAY_STARTS else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, DAY_STARTS, tz).astimezone(dt.UTC)


def decide(
    reach: Reach,
    kind: str,
    has_template: bool,
    has_fields: bool,
    now: dt.datetime,
    tz: ZoneInfo,
    *,
    window_open: bool | None = None,
) -> Decision:
    """The way to reach one person with one row of ``kind`` at ``now``.

    ``has_template``: the deployment has a ZNS template for the kind; ``has_fields``: the row
    carries the fields it is filled from (rows queued before ZNS existed do not).
    ``window_open`` overrides the window (False right after a -230)."""
    if window_open if window_open is not None else in_window(reach, now):
        return Decision(Route.CS)
    if TEMPLATE_OF_KIND.get(kind) is None:
        return Decision(Route.UNREACHABLE, "outside the 7-day window; no ZNS for this kind")
    if not has_template:
        return Decision(Route.UNREACHABLE, "outside the 7-day window; no ZNS template set")
    if reach.phone is None:
        return Decision(Route.UNREACHABLE, "outside the 7-day window; no phone given for ZNS")
    if not has_fields:
        return Decision(Route.UNREACHABLE, "outside the 7-day window; no ZNS fields in the row")
    until = next_day_start(now, tz)
    if until is not None:
        return Decision(Route.HOLD, until=until)
    return Decision(Route.ZNS)


TRACKING_LIMIT = 48  # ZNS tracking_id length (the fake's limit; check it in Zalo's docs)


def tracking_id(key: str) -> str:
    """The outbox row's key as ZNS's ``tracking_id`` (echoed in Zalo's delivery reports); a
    key too long for it keeps its head and a digest of the whole, still one per row."""
    if len(key) <= TRACKING_LIMIT:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: TRACKING_LIMIT - 17]}~{digest}"


Deliver = Callable[[str, list[Reply]], Awaitable[Result]]
SendZns = Callable[[str, str, dict[str, str], str], Awaitable[dict[str, object]]]


class OaReach:
    """The ``zalo_oa`` channel's outbox transport: ``decide``, then send (bot/delivery.py
    calls it with each claimed row and its message)."""

    def __init__(
        self,
        sessions: SessionFactory,
        deliver: Deliver,
        send_zns: SendZns,
        templates: dict[str, ZnsTemplate],
        clock: Clock,
        tz: ZoneInfo,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.deliver = deliver
        self.send_zns = send_zns
        self.templates = templates
        self.clock = clock
        self.tz = tz
        self.on_outcome = on_outcome  # metrics: "cs", "zns", "held", "unreachable", …

    def _count(self, what: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(what)

    async def __call__(self, item: OutboxItem, reply: Reply) -> Result:
        async with self.sessions() as session:
            reach = await zalo_oa_contacts.reach_of(session, item.chat)
        result: Result | None = None
        window: bool | None = None
        if in_window(reach, self.clock()):
            result = await self.deliver(item.chat, [reply])
            if not result.error.startswith("window closed"):
                self._count("cs")
                return result
            window = False  # Zalo says -230: the window is shut, whatever our record says
        return await self._outside(item, reach, window, result)

    async def _outside(
        self, item: OutboxItem, reach: Reach, window: bool | None, refused: Result | None
    ) -> Result:
        kind = TEMPLATE_OF_KIND.get(item.kind)
        template = self.templates.get(kind) if kind else None
        carried = item.payload.get("zns")
        fields = carried.get("fields") if isinstance(carried, dict) else None
        ready = template is not None and isinstance(fields, dict)
        data: dict[str, str] | None = None
        if template is not None and isinstance(fields, dict):
            try:
                data = template.data(fields)
            except KeyError:
                ready = False  # a row written by an older version, without this field
        now = self.clock()
        decision = decide(
            reach, item.kind, template is not None, ready, now, self.tz, window_open=window
        )
        if decision.route is Route.HOLD:
            self._count("held")
            return Result(Outcome.HELD, not_before=decision.until)
        if decision.route is not Route.ZNS or template is None or data is None:
            self._count("unreachable")
            why = decision.why or "outside the 7-day window"
            if refused is not None and refused.rest is not None:
                why += " (the first parts of a long message went before the -230)"
            return Result(Outcome.UNREACHABLE, error=why)
        assert reach.phone is not None
        return await self._zns(item, reach.phone, template, data)

    async def _zns(
        self, item: OutboxItem, phone: str, template: ZnsTemplate, data: dict[str, str]
    ) -> Result:
        async with transaction(self.sessions) as session:
            await outbox.begin_zns(session, item.id, self.clock())
        try:
            await self.send_zns(phone, template.template_id, data, tracking_id(item.key))
        except zalo_oa_api.OaError as exc:
            # The client has masked the number where Zalo's words quote it.
            detail = f"zns {exc.kind}: {exc.description}"[:300]
            self._count(f"zns_{exc.kind}")
            if exc.kind == zalo_oa_api.RATE_LIMITED:  # surely not sent: try again shortly
                return Result(Outcome.RETRY_AFTER, retry_after=5.0, error=detail)
            if exc.kind == zalo_oa_api.QUOTA:  # the day's ZNS are used up: tomorrow morning
                tomorrow = self._tomorrow_morning()
                log.warning("ZNS daily quota used up; holding notices till %s", tomorrow)
                return Result(Outcome.HELD, not_before=tomorrow, error=detail)
            if exc.kind == zalo_oa_api.UNREACHABLE:  # no Zalo account on that number
                return Result(Outcome.UNREACHABLE, error=detail)
            if exc.kind in (zalo_oa_api.SERVER, zalo_oa_api.NETWORK):
                # Zalo may have sent it: at most once, so no retry (counted as in doubt).
                log.warning("ZNS for outbox row %s may or may not have gone: %s", item.id, detail)
                return Result(
                    Outcome.REJECTED, error=f"in doubt, not sent again; {detail}", in_doubt=True
                )
            log.error("ZNS refused outbox row %s: %s", item.id, detail)
            return Result(Outcome.REJECTED, error=detail)
        except Exception as exc:  # a bug, or an error the client did not sort: it may have gone
            log.exception("ZNS for outbox row %s failed unexpectedly; not sent again", item.id)
            self._count("zns_error")
            error = f"in doubt, not sent again; {exc.__class__.__name__}"
            return Result(Outcome.REJECTED, error=error, in_doubt=True)
        self._count("zns")
        return Result(Outcome.SENT)

    def _tomorrow_morning(self) -> dt.datetime:
        local = self.clock().astimezone(self.tz)
        day = local.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, DAY_STARTS, self.tz).astimezone(dt.UTC)


# ---- the OA's "share your details" form ----------------------------------------------------


async def offer_submitted_phone(event: OaEvent, deps: Deps) -> list[Reply]:
    """``user_submit_info``: the phone in the form goes to /caidat's ZNS step as if typed
    there, so the person reads what it is for and confirms before it is kept
    (handlers/account/zns.py). A form without a usable number gets a kind word."""
    typed = (event.info or {}).get("phone", "")
    digits = "".join(ch for ch in typed if ch.isascii() and (ch.isdigit() or ch == "+"))
    try:
        action = OfferZnsPhone(phone=digits).pack()
    except ValueError:  # no phone in the form, or not one at all
        async with deps.sessions() as session:
            found = await users.find_user(session, CHANNEL, event.user_id)
        language = (found.language if found else None) or "vi"
        menu = Button(deps.content.text("button.menu", language), ShowMenu().pack())
        return [Reply(deps.content.text("zns.form_no_phone", language), ((menu,),))]
    return await handle(Incoming(CHANNEL, event.user_id, action=action), deps) or []
