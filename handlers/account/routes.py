"""The account feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.account import linking, menu, privacy, role_admin, settings, start
from handlers.account.actions import AnswerConsent, ChooseLanguage, ShowHelp
from handlers.core.actions import Action, ShowMenu
from handlers.core.route_types import ActionHandler, Command, Handler

COMMANDS: dict[str, Command] = {
    "start": Command(start.command),
    "menu": Command(start.command),
    "huy": Command(menu.cancel),
    "help": Command(menu.help_command),
    "caidat": Command(legacy=settings.show_settings),
    "dulieu": Command(legacy=privacy.show_my_data),
    "lienket": Command(legacy=linking.command),
    "quyen": Command(legacy=role_admin.start, role="admin"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {
    ShowMenu: menu.show_menu,
    ShowHelp: menu.show_help,
    ChooseLanguage: start.choose_language,
    AnswerConsent: start.answer_consent,
}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "settings": settings.show_settings,
    "data": privacy.show_my_data,
    "data_delete": privacy.confirm_delete,
    "data_delete_yes": privacy.delete_my_data,
    "data_withdraw": privacy.withdraw_consent,
    "link": linking.show,
    "link_code": linking.show_code,
    "link_enter": linking.ask_code,
    "link_unlink": linking.unlink,
    "link_here": linking.receive_here,
    "q": role_admin.start,
    "qg": role_admin.grant,
    "qgr": role_admin.choose_role,
    "qga": role_admin.choose_area,
    "qok": role_admin.confirm_grant,
    "qno": role_admin.drop,
    "qr": role_admin.revoke,
    "qrv": role_admin.choose_revoke,
    "qrok": role_admin.confirm_revoke,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {
    "q": "admin",
    "qg": "admin",
    "qgr": "admin",
    "qga": "admin",
    "qok": "admin",
    "qno": "admin",
    "qr": "admin",
    "qrv": "admin",
    "qrok": "admin",
}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    linking.FLOW: linking.flow_text,
    role_admin.FLOW: role_admin.flow_text,
}
