"""Every way into a dialog, in one table: chat commands, button actions, and flows awaiting text.

Read this file to know what the bot can do; each entry points at a plain async function in
the module named for its feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.account import linking, menu, privacy, role_admin, settings, start
from handlers.broadcasts import broadcast
from handlers.core.context import Context
from handlers.core.types import Reply
from handlers.loans import calculator, eligibility, programs
from handlers.questions import answers, story
from handlers.reports import moderation, report
from handlers.schedules import schedule, schedule_edit

Handler = Callable[[Context], Awaitable[list[Reply]]]

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

COMMANDS: dict[str, Handler] = {
    "start": start.start,
    "menu": start.start,
    "huy": menu.cancel,
    "help": menu.show_help,
    "chuongtrinh": programs.list_programs,
    "tindungden": answers.black_credit,
    "caidat": settings.show_settings,
    "dulieu": privacy.show_my_data,
    "dieukien": eligibility.start,
    "lich": schedule.show_schedule,
    "lienket": linking.command,
    # Privileged: see PRIVILEGED below.
    "lichxa": schedule_edit.start,
    "quyen": role_admin.start,
    "thongbao": broadcast.start,
    "baocao": report.start,
    "tracuu": report.track,
    "xuly": moderation.queue,
}
# What the coming-soon page should talk about, per command (none now: every command is built).
SOON_FEATURE: dict[str, str] = {}

# Button actions are "name" or "name:arg"; all stay within Telegram's 64-byte callback limit.
ACTIONS: dict[str, Handler] = {
    "menu": menu.show_menu,
    "help": menu.show_help,
    "soon": menu.coming_soon,
    "lang": start.choose_language,
    "consent": start.answer_consent,
    "progs": programs.list_programs,
    "prog": programs.show_program,
    "pp": programs.show_part,  # pp:<program>:<part>, one part of a card (programs.PARTS)
    "calc": calculator.start,
    "calc_cancel": calculator.cancel,
    "cp": calculator.show_part,  # cp:<program>:<line>:<amount>:<months>:<part> (calculator.PARTS)
    "el": eligibility.step,
    "topic": answers.show_topic,
    "tl": answers.show_legal,  # tl:<topic>, the legal basis of a topic's answer
    "blackcredit": answers.black_credit,
    "lich": schedule.show_schedule,
    "commune": schedule.ask_commune,
    "commune_set": schedule.choose_commune,
    "sub": schedule.subscribe,
    "unsub": schedule.unsubscribe,
    "settings": settings.show_settings,
    "data": privacy.show_my_data,
    "data_delete": privacy.confirm_delete,
    "data_delete_yes": privacy.delete_my_data,
    "data_withdraw": privacy.withdraw_consent,
    # linking Telegram and Zalo (handlers/account/linking.py)
    "link": linking.show,
    "link_code": linking.show_code,
    "link_enter": linking.ask_code,
    "link_unlink": linking.unlink,
    "link_here": linking.receive_here,
    # /baocao and /tracuu (citizens: handlers/reports/report.py)
    "rp": report.start,
    "rpd": report.answer_danger,
    "rpy": report.answer_consent,
    "rpk": report.choose_category,
    "rpa": report.choose_accused,
    "rpc": report.choose_place,
    "rpt": report.choose_when,
    "rpe": report.evidence_done,
    "rpo": report.choose_contact,
    "rps": report.send,
    "rpx": report.edit,
    "rpn": report.drop,
    "rpf": story.start_report,  # "Báo cáo việc này" under a story typed as free text
    "rv": report.show_mine,
    "rw": report.withdraw,
    "rwy": report.withdraw_confirmed,
    "rq": report.answer,
    # /xuly (moderators: handlers/reports/moderation.py)
    "xl": moderation.queue,
    "xk": moderation.choose_category,
    "xo": moderation.show_report,
    "xt": moderation.take,
    "xa": moderation.ask,
    "xf": moderation.forward,
    "xr": moderation.resolve,
    "xj": moderation.reject,
    # /lichxa (officials)
    "lx": schedule_edit.start,
    "lxc": schedule_edit.choose_commune,
    "lxp": schedule_edit.show_point,
    "lxo": schedule_edit.show_day,
    "lxm": schedule_edit.move_day,
    "lxx": schedule_edit.cancel_day,
    "lxr": schedule_edit.restore_day,
    "lxe": schedule_edit.edit_point,
    "lxh": schedule_edit.holiday_answer,
    "lxok": schedule_edit.confirm,
    "lxno": schedule_edit.drop,
    # announcements on/off (everyone; the "stop" button on each announcement)
    "ann": broadcast.announcements,
    # /thongbao (officials)
    **broadcast.ACTIONS,
    # /quyen (admins)
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

# Commands and actions only for a role (an admin counts for every role). To anyone else they
# answer exactly as an unknown command or button would; handlers check the area themselves.
PRIVILEGED: dict[str, str] = {
    "lichxa": "official",
    "thongbao": "official",
    "quyen": "admin",
    "xuly": "moderator",
}
PRIVILEGED_ACTIONS: dict[str, str] = {
    **{name: "official" for name in ACTIONS if name.startswith(("lx", "tb"))},
    **{name: "admin" for name in ("q", "qg", "qgr", "qga", "qok", "qno", "qr", "qrv", "qrok")},
    **{name: "moderator" for name in ("xl", "xk", "xo", "xt", "xa", "xf", "xr", "xj")},
}

# Steps that take files: what is sent there is downloaded and cleaned before the update's
# transaction opens (handlers/core/dispatch.py), so a slow download holds no database lock.
FILE_STEPS: frozenset[tuple[str, str]] = frozenset({(report.FLOW, "evidence")})

# Typed text while a user is inside a multi-step flow goes to that flow's step handler.
FLOW_TEXT: dict[str, Handler] = {
    start.ONBOARDING: start.onboarding_text,
    calculator.FLOW: calculator.flow_text,
    schedule.COMMUNE_FLOW: schedule.commune_text,
    linking.FLOW: linking.flow_text,
    schedule_edit.FLOW: schedule_edit.flow_text,
    role_admin.FLOW: role_admin.flow_text,
    report.FLOW: report.flow_text,
    report.TRACK_FLOW: report.track_text,
    report.ANSWER_FLOW: report.answer_text,
    moderation.FLOW: moderation.flow_text,
    broadcast.FLOW: broadcast.flow_text,
}
