"""The account feature's buttons: onboarding, the menu, help."""

from __future__ import annotations

from typing import Literal

from handlers.core.actions import Action

Language = Literal["vi", "en"]


class ChooseLanguage(Action, prefix="lang", before_onboarding=True):
    language: Language


class AnswerConsent(Action, prefix="consent", before_onboarding=True):
    answer: Literal["yes", "no"]


class ShowHelp(Action, prefix="help"):
    pass
