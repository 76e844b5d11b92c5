"""First visit: language, a plain-words privacy notice and consent; later visits: the menu."""

from __future__ import annotations

from handlers.account.menu import main_menu
from handlers.core.context import Context
from handlers.core.types import Button, Reply

ONBOARDING = "onboarding"


def language_choice(ctx: Context) -> Reply:
    # Shown before we know the language, so the prompt carries both.
    return Reply(
        ctx.content.text("start.choose_language", "vi")
        + "\n\n"
        + ctx.content.text("start.choose_language", "en"),
        (
            (
                Button(ctx.content.text("button.lang_vi", "vi"), "lang:vi"),
                Button(ctx.content.text("button.lang_en", "en"), "lang:en"),
            ),
        ),
    )


def consent_prompt(ctx: Context) -> list[Reply]:
    return [
        ctx.reply("start.welcome"),
        ctx.reply(
            "start.privacy_notice",
            [
                [ctx.button("button.consent_yes", "consent:yes")],
                [ctx.button("button.consent_no", "consent:no")],
            ],
        ),
    ]


async def start(ctx: Context) -> list[Reply]:
    """/start and /menu: onboarding the first time, the menu afterwards."""
    if ctx.user.language is None:
        await ctx.enter(ONBOARDING, "language")
        return [language_choice(ctx)]
    await ctx.leave_flow()
    return [main_menu(ctx)]


async def choose_language(ctx: Context) -> list[Reply]:
    """lang:vi / lang:en: set the language; during onboarding go on to consent."""
    lang = ctx.args[0] if ctx.args else ""
    if lang not in ("vi", "en"):
        return [language_choice(ctx)]
    ctx.user.language = lang
    ctx.session.add(ctx.user)
    if ctx.flow == ONBOARDING:
        await ctx.enter(ONBOARDING, "consent")
        return consent_prompt(ctx)
    return [ctx.reply("settings.language_saved"), main_menu(ctx)]


async def answer_consent(ctx: Context) -> list[Reply]:
    """consent:yes / consent:no: record the choice with its time, then the menu."""
    await ctx.leave_flow()
    if ctx.args and ctx.args[0] == "yes":
        ctx.user.consent_at = ctx.now
        ctx.session.add(ctx.user)
        return [ctx.reply("start.consent_thanks"), main_menu(ctx)]
    ctx.user.consent_at = None
    ctx.user.display_name = None
    ctx.session.add(ctx.user)
    return [ctx.reply("start.consent_declined"), main_menu(ctx)]


async def onboarding_text(ctx: Context) -> list[Reply]:
    """Typed text while onboarding: kindly ask for the buttons again."""
    if ctx.user.language is None or ctx.state.step == "language":
        return [language_choice(ctx)]
    return [ctx.reply("start.use_buttons"), *consent_prompt(ctx)[1:]]
