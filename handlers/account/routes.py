"""The account feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.account import actions as a
from handlers.account import (
    console_link,
    linking,
    menu,
    privacy,
    role_admin,
    settings,
    start,
    zns,
)
from handlers.account.actions import AnswerConsent, ChooseLanguage, ShowHelp
from handlers.core.actions import Action, ShowMenu
from handlers.core.route_types import ActionHandler, Command

COMMANDS: dict[str, Command] = {
    "start": Command(start.command),
    "menu": Command(start.command),
    "huy": Command(menu.cancel),
    "help": Command(menu.help_command),
    "caidat": Command(settings.command),
    "dulieu": Command(privacy.command),
    "lienket": Command(linking.command),
    "quyen": Command(role_admin.command, role="admin"),
    "web": Command(console_link.command),  # any role: checked inside, else it does not exist
}

# Typed buttons (handlers/core/actions.py) and their handlers; roles are on the classes.
ACTIONS: dict[type[Action], ActionHandler] = {
    ShowMenu: menu.show_menu,
    ShowHelp: menu.show_help,
    ChooseLanguage: start.choose_language,
    AnswerConsent: start.answer_consent,
    a.ShowSettings: settings.show_settings,
    a.ShowData: privacy.show_my_data,
    a.AskDelete: privacy.confirm_delete,
    a.DeleteData: privacy.delete_my_data,
    a.WithdrawConsent: privacy.withdraw_consent,
    a.ShowLinks: linking.show,
    a.ShowLinkCode: linking.show_code,
    a.EnterLinkCode: linking.ask_code,
    a.Unlink: linking.unlink,
    a.ReceiveHere: linking.receive_here,
    a.Roles: role_admin.start,
    a.Grant: role_admin.grant,
    a.GrantRole: role_admin.choose_role,
    a.GrantArea: role_admin.choose_area,
    a.ConfirmGrant: role_admin.confirm_grant,
    a.DropGrant: role_admin.drop,
    a.Revoke: role_admin.revoke,
    a.ChooseRevoke: role_admin.choose_revoke,
    a.ConfirmRevoke: role_admin.confirm_revoke,
    a.OpenConsole: console_link.open_console,
    a.ShowZns: zns.show,
    a.AskZnsPhone: zns.ask_phone,
    a.ConfirmZnsPhone: zns.agree,
    a.StopZns: zns.stop,
    a.OfferZnsPhone: zns.offered,
}
