"""/caidat → ZNS: reminders by Zalo's notification service when a person has gone quiet.

The Official Account may write to a person freely for 7 days after they last wrote to it;
after that, only an approved ZNS template sent to their phone number reaches them
(bot/zalo_oa_reach.py). So /caidat asks, in plain words, for a mobile number and the consent
to use it for this alone: the number is checked (handlers/account/phone_numbers.py), shown
back masked with what it will be used for, and stored only when the person confirms. They can
stop at any time; /dulieu shows it and deletes it with everything else.

The OA's "share your information" form (``user_submit_info``) brings a number too: it goes
through the same confirmation (``offered``).
"""

from __future__ import annotations

import enum

from pydantic import BaseModel

from handlers.account.actions import (
    AskZnsPhone,
    ConfirmZnsPhone,
    OfferZnsPhone,
    ShowSettings,
    ShowZns,
    StopZns,
)
from handlers.account.phone_numbers import PhoneProblem, mask_phone, normalize_phone
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.types import Reply
from storage import zalo_oa_contacts


class Step(enum.StrEnum):
    PHONE = "phone"
    CONFIRM = "confirm"


class Draft(BaseModel):
    phone: str | None = None  # normalised, not stored anywhere else until confirmed


FLOW = Flow("zns", Step, Draft, order=(Step.PHONE, Step.CONFIRM))


async def phone_of(ctx: Context) -> str | None:
    """The number kept for this person, or None."""
    return await zalo_oa_contacts.phone_of(ctx.session, ctx.user.id or 0)


async def show(ctx: Context, action: ShowZns | None = None) -> list[Reply]:
    """What ZNS notices are, whether they are on, and the buttons to change that."""
    await ctx.leave_flow()
    if not ctx.zns_offered:
        return [ctx.reply("zns.not_offered", [ctx.menu_row()])]
    phone = await phone_of(ctx)
    rows = [[ctx.button("zns.button.change" if phone else "zns.button.start", AskZnsPhone())]]
    if phone:
        rows.append([ctx.button("zns.button.stop", StopZns())])
    rows.append([ctx.button("zns.button.settings", ShowSettings())])
    rows.append(list(ctx.menu_row()))
    status = ctx.t("zns.status_on", phone=mask_phone(phone)) if phone else ctx.t("zns.status_off")
    return [Reply(ctx.t("zns.explain") + "\n\n" + status, tuple(tuple(r) for r in rows))]


async def ask_phone(ctx: Context, action: AskZnsPhone) -> list[Reply]:
    """Wait for the number (consent to keep data comes first: this keeps more)."""
    if not ctx.zns_offered:
        return await show(ctx)
    if ctx.user.consent_at is None:
        await ctx.leave_flow()
        return [ctx.reply("zns.needs_consent", [ctx.menu_row()])]
    await FLOW.enter(ctx, Step.PHONE, Draft())
    return [ctx.reply("zns.ask_phone", [ctx.menu_row()])]


@FLOW.on_text(Step.PHONE)
async def phone_text(ctx: Context, text: str) -> list[Reply]:
    """The number typed: checked, then shown back for consent; a wrong one asked again."""
    return await _confirm(ctx, text)


async def offered(ctx: Context, action: OfferZnsPhone) -> list[Reply]:
    """A number from the OA's information form: the same consent before it is kept."""
    if not ctx.zns_offered:
        return await show(ctx)
    if ctx.user.consent_at is None:
        await ctx.leave_flow()
        return [ctx.reply("zns.needs_consent", [ctx.menu_row()])]
    return await _confirm(ctx, action.phone)


async def _confirm(ctx: Context, typed: str) -> list[Reply]:
    phone = normalize_phone(typed)
    if isinstance(phone, PhoneProblem):
        await FLOW.enter(ctx, Step.PHONE, Draft())
        return [ctx.reply(f"zns.phone_{phone.value}", [ctx.menu_row()])]
    await FLOW.enter(ctx, Step.CONFIRM, Draft(phone=phone))
    return [
        ctx.reply(
            "zns.confirm",
            [
                [ctx.button("zns.button.agree", ConfirmZnsPhone())],
                [ctx.button("zns.button.not_now", ShowZns())],
            ],
            phone=mask_phone(phone),
        )
    ]


@FLOW.on_text(Step.CONFIRM)
async def confirm_text(ctx: Context, text: str) -> list[Reply]:
    """Typed text instead of a button: the consent is only given by pressing it."""
    phone = FLOW.draft(ctx).phone
    if phone is None:
        return await _confirm(ctx, text)
    return [
        ctx.reply(
            "zns.use_buttons",
            [
                [ctx.button("zns.button.agree", ConfirmZnsPhone())],
                [ctx.button("zns.button.not_now", ShowZns())],
            ],
            phone=mask_phone(phone),
        )
    ]


async def agree(ctx: Context, action: ConfirmZnsPhone) -> list[Reply]:
    """Consent given: keep the number, with the time, for the person."""
    phone = FLOW.draft(ctx).phone
    await ctx.leave_flow()
    if phone is None or ctx.user.consent_at is None:
        return FLOW.stale(ctx)
    await zalo_oa_contacts.save_phone(ctx.session, ctx.user.id or 0, phone, ctx.now)
    return [ctx.reply("zns.saved", [ctx.menu_row()], phone=mask_phone(phone))]


async def stop(ctx: Context, action: StopZns) -> list[Reply]:
    """Consent withdrawn: the number is deleted at once."""
    await ctx.leave_flow()
    await zalo_oa_contacts.forget_phones(ctx.session, ctx.user.id or 0)
    return [ctx.reply("zns.stopped", [ctx.menu_row()])]
