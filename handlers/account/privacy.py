"""/dulieu: what the bot keeps about me, in plain words; withdrawing consent; deleting it all."""

from __future__ import annotations

from content.places import commune
from handlers.account.actions import AnswerConsent, AskDelete, DeleteData, ShowData, WithdrawConsent
from handlers.account.phone_numbers import mask_phone
from handlers.core.actions import ShowMenu
from handlers.core.context import Context
from handlers.core.formatting import day
from handlers.core.types import Reply
from storage import kept_questions, reports, subscriptions, users, zalo_oa_contacts


async def command(ctx: Context, text: str) -> list[Reply]:
    """/dulieu."""
    return await show_my_data(ctx)


async def show_my_data(ctx: Context, action: ShowData | None = None) -> list[Reply]:
    """Everything stored about this user, and what they can do about it."""
    user, lang = ctx.user, ctx.lang
    not_set = ctx.t("data.not_set")
    consent = (
        ctx.t("data.consent_given", date=day(user.consent_at.date(), lang))
        if user.consent_at
        else ctx.t("data.consent_not_given")
    )
    summary = ctx.t(
        "data.summary",
        channel=ctx.me.channel,  # the account writing, also when linked to another
        user_id=ctx.me.channel_user_id,
        name=user.display_name or not_set,
        language=ctx.t("settings.language_name"),
        consent=consent,
        commune=_commune(user.commune_code) or not_set,
        created=day(user.created_at.date(), lang),
        last_seen=day(user.last_seen_at.date(), lang),
        reminders=len(await subscriptions.subscribed_points(ctx.session, user.id or 0)),
        questions=await kept_questions.count_of(ctx.session, user.id or 0),
    )
    consent_button = (
        ctx.button("button.withdraw_consent", WithdrawConsent())
        if user.consent_at
        else ctx.button("button.give_consent", AnswerConsent(answer="yes"))
    )
    phone = await zalo_oa_contacts.phone_record(ctx.session, user.id or 0)
    if phone is not None:  # given for ZNS in /caidat; deleted with the rest
        summary += "\n\n" + ctx.t(
            "data.zns_phone",
            phone=mask_phone(phone.phone),
            date=day(phone.consented_at.date(), lang),
        )
    sent = await reports.count_of_reporter(ctx.session, user.id or 0)
    if sent:  # kept, unlinked from the person, when they delete their data
        summary += "\n\n" + ctx.t("report.data_note", count=sent)
    return [
        Reply(summary),
        ctx.reply(
            "data.choices",
            [[ctx.button("button.delete_data", AskDelete())], [consent_button], ctx.menu_row()],
        ),
    ]


def _commune(code: str | None) -> str | None:
    """The commune's name as people know it, and the code that is what is stored."""
    found = commune(code) if code else None
    if found is None:
        return code  # a code the directory no longer knows is still shown: it is kept
    return f"{found.name} ({found.province_name}) · {found.code}"


async def confirm_delete(ctx: Context, action: AskDelete) -> list[Reply]:
    """Ask once more: deletion cannot be undone."""
    return [
        ctx.reply(
            "data.delete_confirm",
            [
                [ctx.button("button.delete_forever", DeleteData())],
                [ctx.button("button.keep_data", ShowMenu())],
            ],
        )
    ]


async def delete_my_data(ctx: Context, action: DeleteData) -> list[Reply]:
    """Erase profile, settings and conversation state; confirm in the language they used."""
    goodbye = ctx.reply("data.deleted")
    await users.delete_user(ctx.session, ctx.user.id or 0)
    ctx.deleted = True
    return [goodbye]


async def withdraw_consent(ctx: Context, action: WithdrawConsent) -> list[Reply]:
    """Keep only the chat id and language (and the choice about announcements): commune,
    reminders, queued notices and the link between channels go (storage/users.py)."""
    await ctx.leave_flow()
    await users.withdraw_consent(ctx.session, ctx.user)
    ctx.user, ctx.identity = ctx.me, None  # a linked account is its own person again
    return [ctx.reply("data.consent_withdrawn", [ctx.menu_row()])]
