"""First visit: language, a plain-words privacy notice and consent; later visits: the menu."""

from __future__ import annotations

import enum

from handlers.account.actions import LANGUAGES, AnswerConsent, ChooseLanguage
from handlers.account.menu import main_menu
from handlers.core.context import Context
from handlers.core.flows import Flow, NoDraft
from handlers.core.types import Button, Reply


class Step(enum.StrEnum):
    LANGUAGE = "language"
    CONSENT = "consent"


ONBOARDING = Flow("onboarding", Step, NoDraft, order=(Step.LANGUAGE, Step.CONSENT))


def language_row(ctx: Context) -> tuple[Button, ...]:
    """Each language's button labelled in that language: readable whichever is set now."""
    return tuple(
        Button(ctx.content.text(f"button.lang_{lang}", lang), ChooseLanguage(language=lang).pack())
        for lang in LANGUAGES
    )


def language_choice(ctx: Context) -> Reply:
    # Shown before we know the language, so the prompt carries both.
    return Reply(
        ctx.content.text("start.choose_language", "vi")
        + "\n\n"
        + ctx.content.text("start.choose_language", "en"),
        (language_row(ctx),),
    )


def consent_prompt(ctx: Context) -> list[Reply]:
    return [
        ctx.reply("start.welcome"),
        ctx.reply(
            "start.privacy_notice",
            [
                [ctx.button("button.consent_yes", AnswerConsent(answer="yes"))],
                [ctx.button("button.consent_no", AnswerConsent(answer="no"))],
            ],
        ),
    ]


async def command(ctx: Context, text: str) -> list[Reply]:
    """/start and /menu (a /start payload is not used)."""
    return await start(ctx)


async def start(ctx: Context) -> list[Reply]:
    """Onboarding the first time, the menu afterwards."""
    if ctx.user.language is None:
        await ONBOARDING.enter(ctx, Step.LANGUAGE)
        return [language_choice(ctx)]
    await ctx.leave_flow()
    return [main_menu(ctx)]


async def choose_language(ctx: Context, action: ChooseLanguage) -> list[Reply]:
    """Set the language; during onboarding go on to consent."""
    ctx.user.language = action.language
    ctx.session.add(ctx.user)
    if ONBOARDING.active(ctx):
        await ONBOARDING.enter(ctx, Step.CONSENT)
        return consent_prompt(ctx)
    return [ctx.reply("settings.language_saved"), main_menu(ctx)]


async def answer_consent(ctx: Context, action: AnswerConsent) -> list[Reply]:
    """Record the choice with its time, then the menu."""
    await ctx.leave_flow()
    if action.answer == "yes":
        ctx.user.consent_at = ctx.now
        ctx.session.add(ctx.user)
        return [ctx.reply("start.consent_thanks"), main_menu(ctx)]
    ctx.user.consent_at = None
    ctx.user.display_name = None
    ctx.session.add(ctx.user)
    return [ctx.reply("start.consent_declined"), main_menu(ctx)]


@ONBOARDING.on_text()
async def onboarding_text(ctx: Context, text: str) -> list[Reply]:
    """Typed text while onboarding: kindly ask for the buttons again."""
    if ctx.user.language is None or ONBOARDING.at(ctx, Step.LANGUAGE):
        return [language_choice(ctx)]
    return [ctx.reply("start.use_buttons"), *consent_prompt(ctx)[1:]]
