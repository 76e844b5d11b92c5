"""Every way into a dialog, collected from the features: commands, buttons, typed text.

Each feature declares its own in ``handlers/<feature>/routes.py``; read those to know what the
bot can do. Collecting them here refuses, at import, two features claiming one command,
button prefix or flow (a collision would silently send one feature's presses to another).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any, TypeVar

from handlers.account import routes as account
from handlers.broadcasts import routes as broadcasts
from handlers.core.actions import Action
from handlers.core.flows import Flow
from handlers.core.route_types import ActionHandler, Command
from handlers.loans import routes as loans
from handlers.questions import routes as questions
from handlers.reports import intake
from handlers.reports import routes as reports
from handlers.schedules import routes as schedules

FEATURES: tuple[ModuleType, ...] = (account, loans, questions, reports, broadcasts, schedules)

K = TypeVar("K")
V = TypeVar("V")


def _collect(tables: Iterable[Mapping[K, V]], what: str) -> dict[K, V]:
    merged: dict[K, V] = {}
    for table in tables:
        for key, value in table.items():
            if key in merged:
                raise TypeError(f"{what} {key!r} is claimed by two features")
            merged[key] = value
    return merged


def _table(name: str) -> list[Any]:
    return [getattr(feature, name) for feature in FEATURES]


# Words typed alone, without the slash, that are the command: said inside a step that waits
# for text (a commune, an amount, a description), "hủy" must never be taken as the value.
# Folded (handlers/core/dispatch.py): no diacritics, no punctuation, lower case.
COMMAND_WORDS: dict[str, str] = {
    "huy": "huy",
    "huy bo": "huy",
    "thoat": "huy",
    "cancel": "huy",
    "menu": "menu",
    "ve menu": "menu",
    "quay lai": "menu",
    "tro lai": "menu",
    "main menu": "menu",
}

# Commands that work whatever state the user is in, even before onboarding is done.
# /lienket too: a new user of one channel can link to the other at once (account/linking.py).
ALWAYS = frozenset({"start", "menu", "huy", "lienket"})

COMMANDS: dict[str, Command] = _collect(_table("COMMANDS"), "command")
ACTIONS: dict[type[Action], ActionHandler] = _collect(_table("ACTIONS"), "action")

# Every action has a handler: a button nobody answers would be a silent dead end.
_unrouted = set(Action.registry.values()) - set(ACTIONS)
if _unrouted:
    raise TypeError(f"actions without a handler: {sorted(c.__name__ for c in _unrouted)}")

# Steps that take files: what is sent there is downloaded and cleaned before the update's
# transaction opens (handlers/core/dispatch.py), so a slow download holds no database lock.
FILE_STEPS: frozenset[tuple[str, str]] = frozenset({(intake.FLOW.name, intake.Step.EVIDENCE)})


def known_action(name: str) -> bool:
    """Is ``name`` the prefix of a button the bot handles?"""
    return name in Action.registry


def action_role(name: str) -> str | None:
    """The role a button needs (None: anyone); declared on its action."""
    return Action.registry[name].role


def takes_text(flow: str | None) -> bool:
    """Does ``flow`` wait for typed text at some step (an amount, a day, a commune)?"""
    typed = Flow.registry.get(flow or "")
    return typed is not None and (bool(typed.text) or typed.other_text is not None)
