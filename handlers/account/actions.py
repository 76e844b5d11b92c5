"""The account feature's buttons: onboarding, the menu, help."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from handlers.core.actions import Action, RowId

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")


class ChooseLanguage(Action, prefix="lang", before_onboarding=True):
    language: Language


class AnswerConsent(Action, prefix="consent", before_onboarding=True):
    answer: Literal["yes", "no"]


class ShowHelp(Action, prefix="help"):
    pass


class ShowSettings(Action, prefix="settings"):
    pass


# --- /dulieu ------------------------------------------------------------------------------


class ShowData(Action, prefix="data"):
    pass


class AskDelete(Action, prefix="data_delete"):
    pass


class DeleteData(Action, prefix="data_delete_yes"):
    pass


class WithdrawConsent(Action, prefix="data_withdraw"):
    pass


# --- linking channels (before onboarding too: the person may have set up the other one) ------


class ShowLinks(Action, prefix="link", before_onboarding=True):
    pass


class ShowLinkCode(Action, prefix="link_code"):
    pass


class EnterLinkCode(Action, prefix="link_enter", before_onboarding=True):
    pass


class Unlink(Action, prefix="link_unlink", before_onboarding=True):
    pass


class ReceiveHere(Action, prefix="link_here", before_onboarding=True):
    pass


# --- /quyen (admins) ------------------------------------------------------------------------

WHOLE = "*"  # the whole country, as an area in a button


class Roles(Action, prefix="q", role="admin"):
    pass


class Grant(Action, prefix="qg", role="admin"):
    pass


RoleName = Literal["admin", "official", "moderator"]
ROLE_NAMES: tuple[RoleName, ...] = ("admin", "official", "moderator")  # as storage/roles.py


class GrantRole(Action, prefix="qgr", role="admin", flow="quyen", steps=("role",)):
    role_name: RoleName


class GrantArea(Action, prefix="qga", role="admin", flow="quyen", steps=("area",)):
    area: Annotated[str, StringConstraints(pattern=r"^(\*|\d{2}|\d{5})$")]


class ConfirmGrant(Action, prefix="qok", role="admin", flow="quyen", steps=("confirm",)):
    pass


class DropGrant(Action, prefix="qno", role="admin"):
    pass


class Revoke(Action, prefix="qr", role="admin"):
    pass


class ChooseRevoke(Action, prefix="qrv", role="admin"):
    grant: RowId


class ConfirmRevoke(Action, prefix="qrok", role="admin"):
    grant: RowId


# --- the staff console (handlers/account/console_link.py) -------------------------------------


class OpenConsole(Action, prefix="web"):
    """A single-use sign-in link to the staff console (for anyone holding a role)."""


# --- ZNS notices to a phone number, from /caidat (handlers/account/zns.py) -------------------


class ShowZns(Action, prefix="zns"):
    pass


class AskZnsPhone(Action, prefix="zns_ask"):
    pass


class ConfirmZnsPhone(Action, prefix="zns_ok", flow="zns", steps=("confirm",)):
    pass


class StopZns(Action, prefix="zns_stop"):
    pass


class OfferZnsPhone(Action, prefix="zns_offer"):
    """The phone a person sent through the OA's "share your information" form
    (``user_submit_info``, bot/zalo_oa.py): checked, shown back for consent, never stored
    before the person confirms."""

    phone: Annotated[str, StringConstraints(pattern=r"^\+?\d{6,16}$")]
