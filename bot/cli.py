"""The `vbsp-bot` command line (also `python -m bot`): noun, then verb; one clear line on error."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import signal
import sys
from collections.abc import Sequence

from telegram.error import TelegramError

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup as setup_logging
from bot.render import to_plain
from bot.zalo_api import ZaloError
from content.loader import ContentError
from handlers.core.context import Clock

log = logging.getLogger("bot")


def _process_clock() -> Clock:
    from bot.clock import process_clock

    try:
        return process_clock()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def cmd_serve(settings: Settings, host: str, port: int) -> None:
    from aiohttp import web

    from bot.app import running
    from bot.webhook import build_web_app

    mode = "webhook" if settings.telegram_bot_token else None
    zalo = "webhook" if settings.zalo_bot_token else None
    clock = _process_clock()
    async with running(settings, telegram=mode, zalo=zalo, scheduler=True, clock=clock) as runtime:
        runner = web.AppRunner(build_web_app(runtime), handle_signals=False)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, host, port).start()
            except (OSError, OverflowError) as exc:
                raise ConfigError(
                    f"--host/--port: cannot listen on {host}:{port} ({exc})"
                ) from None
            if runtime.telegram is not None:
                await runtime.telegram.set_commands()
            live = [n for n, c in (("telegram", runtime.telegram), ("zalo", runtime.zalo)) if c]
            if live:
                log.info("channels on: %s", ", ".join(live))
            else:
                # The webhook paths answer 404 without their channel: say so plainly.
                log.warning("no channel is on: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN")
            routes = ", ".join([*(f"POST /{name}/webhook" for name in live), "GET /healthz"])
            log.info("serving on http://%s:%d (%s)", host, port, routes)
            await _wait_for_stop()
        finally:
            await runner.cleanup()


async def cmd_poll(settings: Settings) -> None:
    """Long polling of every configured channel (Zalo's poller removes its webhook first)."""
    from bot.app import running

    telegram = "polling" if settings.telegram_bot_token else None
    zalo = "polling" if settings.zalo_bot_token else None
    if telegram is None and zalo is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to poll (or ZALO_BOT_TOKEN for Zalo)")
    # Each channel's poller removes a webhook set before, and stops with the runtime.
    clock = _process_clock()
    async with running(
        settings, telegram=telegram, zalo=zalo, scheduler=True, clock=clock
    ) as runtime:
        if runtime.telegram is not None:
            await runtime.telegram.set_commands()
        log.info("long polling started: telegram=%s, zalo=%s", telegram or "off", zalo or "off")
        await _wait_for_stop()


async def cmd_chat(settings: Settings, user_id: str, as_role: str | None) -> None:
    from bot.app import running
    from bot.terminal import CHANNEL, chat
    from handlers.core.roles import grant_role
    from storage.db import transaction

    async with running(settings, clock=_process_clock()) as runtime:
        if as_role is not None:
            # Try the officials' and moderators' dialogs locally: the terminal user gets the
            # role for the whole country in this database (audited like any grant).
            async with transaction(runtime.deps.sessions) as session:
                await grant_role(session, CHANNEL, user_id, as_role, None, "cli")
        await chat(runtime.deps, user_id, sys.stdin, sys.stdout, sys.stdin.isatty())


def answer_question(content, question: str, lang: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The contract's JSON answer to one question."""
    match = content.matcher.match(question) if question.strip() else None
    if match is None or match.topic == "none" or match.topic not in content.answers:
        return {
            "topic": "none",
            "score": round(match.score, 4) if match else 0.0,
            "answer": to_plain(content.text("ask.unknown", lang)),
            "alternatives": list(match.alternatives) if match else [],
        }
    return {
        "topic": match.topic,
        "score": round(match.score, 4),
        "answer": to_plain(content.answers[match.topic].text.get(lang)),
        "alternatives": list(match.alternatives),
    }


def cmd_ask(text: str, as_json: bool, lang: str) -> int:
    from content.loader import load_content

    content = load_content()
    questions = [line.rstrip("\n") for line in sys.stdin] if text == "-" else [text]
    if text != "-" and not text.strip():
        raise ConfigError("ask: the question is empty")
    for question in questions:
        result = answer_question(content, question, lang)
        if as_json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(f"[{result['topic']}] {result['answer']}\n", flush=True)
    return 0


def cmd_content_check() -> int:
    import datetime as dt

    from content.loader import load_content

    content = load_content()
    _ = content.matcher  # the matcher's data is content too
    warnings = content.stale(dt.date.today())
    for warning in warnings:
        print(f"warning: stale: {warning}")
    print(
        f"content ok: {len(content.programs)} programs, {len(content.answers)} answers, "
        f"{len(content.messages)} messages, {len(warnings)} warnings"
    )
    return 0


async def cmd_db_upgrade(settings: Settings) -> None:
    from bot.app import one_line
    from storage.db import create_engine, upgrade

    try:
        engine = create_engine(settings.database_url)
    except Exception as exc:
        raise ConfigError(f"DATABASE_URL: {one_line(exc)}") from None
    try:
        await upgrade(engine)
    except Exception as exc:
        raise ConfigError(f"DATABASE_URL: cannot migrate the database ({one_line(exc)})") from None
    finally:
        await engine.dispose()
    print("database is up to date")


def _port(text: str) -> int:
    """argparse type for --port: refused with one line, like every bad input."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what}: not a date (YYYY-MM-DD): {text!r}") from None


def _commune(code: str) -> tuple[str, str]:
    """The 5-digit code and 'Xã Sơn Tịnh (21220), Quảng Ngãi' for a commune or ward code."""
    from content.places import commune

    found = commune(code)
    if found is None:
        raise ConfigError(f"schedule next: unknown commune code {code!r}")
    return found.code, f"{found.name} ({found.code}), {found.province_name}"


def cmd_schedule(settings: Settings, args: argparse.Namespace) -> int:
    """`schedule import|export|next|exception`: commune transaction-day schedules."""
    from handlers.schedules.csv import ScheduleFileError, ScheduleFileTooLarge

    rows = []
    if args.action == "import":
        try:
            rows = _read_schedule(args.file)
        except OSError as exc:
            raise ConfigError(f"schedule import: cannot read {args.file}: {exc.strerror}") from None
        except ScheduleFileTooLarge as exc:
            raise ConfigError(f"schedule import: {args.file}: {exc.problems[0]}") from None
        except ScheduleFileError as exc:
            for problem in exc.problems:
                print(f"{args.file}: {problem}", file=sys.stderr)
            count = len(exc.problems)
            print(
                f"vbsp-bot: {args.file}: {count} problem{'s' if count > 1 else ''}; "
                "nothing was imported",
                file=sys.stderr,
            )
            return 2
    if args.action == "next":
        _commune(args.commune)  # an unknown code stops here, before the database is opened
    today = (
        _parse_date(args.today, "--today")
        if getattr(args, "today", None)
        else dt.datetime.now(settings.timezone).date()
    )
    asyncio.run(_schedule_on_database(settings, args, rows, today))
    return 0


def _read_schedule(file: str) -> list:  # type: ignore[type-arg]
    """The file's rows, streamed; a regular file too large is refused before any reading."""
    import os
    import stat

    from handlers.schedules.csv import MAX_FILE_BYTES, read_schedule_file, too_large

    with open(file, "rb") as stream:
        info = os.fstat(stream.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
            raise too_large(info.st_size)
        return read_schedule_file(stream)


async def _schedule_on_database(settings: Settings, args, rows, today: dt.date) -> None:  # type: ignore[no-untyped-def]
    from bot.app import open_database

    engine = await open_database(settings)
    try:
        from storage.db import session_factory, transaction

        async with transaction(session_factory(engine)) as session:
            if args.action == "import":
                await _schedule_import(session, args.file, rows)
            elif args.action == "export":
                await _schedule_export(session)
            elif args.action == "next":
                await _schedule_next(session, args.commune, today)
            elif args.action == "exception":
                await _schedule_exception(session, args)
    finally:
        await engine.dispose()


async def _schedule_import(session, file: str, rows) -> None:  # type: ignore[no-untyped-def]
    from storage import schedules

    counts = await schedules.upsert_points(session, [row.to_point() for row in rows])
    print(
        f"imported {file}: {counts.added} added, {counts.changed} changed, "
        f"{counts.unchanged} unchanged"
    )


async def _schedule_export(session) -> None:  # type: ignore[no-untyped-def]
    from handlers.schedules.csv import export_schedule_csv
    from storage import schedules

    sys.stdout.write(export_schedule_csv(await schedules.all_points(session)))


async def _schedule_next(session, commune: str, today: dt.date) -> None:  # type: ignore[no-untyped-def]
    from handlers.schedules.calendar import add_months, month_end, next_occurrences
    from storage import schedules

    code, title = _commune(commune)
    points = await schedules.points_of_commune(session, code)
    if not points:
        print(f"{title}: no transaction points recorded")
        return
    end = month_end(dt.date(*add_months(today.year, today.month, 1), 1))
    exceptions = await schedules.exceptions_between(session, [p.id for p in points], today, end)
    print(f"{title}: transaction days from {today} to {end}")
    for point in points:
        hours = f"{point.start_time:%H:%M}-{point.end_time:%H:%M}"
        print(f"\n{point.id}: {point.name}")
        print(f"  place: {point.address}")
        print(f"  office: {point.office}, phone {point.phone}")
        shorter = " (the last day in shorter months)" if point.day_of_month > 28 else ""
        print(f"  regular day: {point.day_of_month} of each month{shorter}")
        found = next_occurrences(point, exceptions, today)
        for occurrence in found:
            regular = f"{occurrence.regular_date} {occurrence.regular_date:%a}"
            if occurrence.date is None:
                print(f"  {regular} cancelled: {occurrence.reason}")
            elif occurrence.moved:
                print(
                    f"  {occurrence.date} {occurrence.date:%a} {hours}"
                    f" (moved from {regular}: {occurrence.reason})"
                )
            else:
                print(f"  {regular} {hours}")
        if not found:
            print(f"  no transaction day until {end}")


async def _schedule_exception(session, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    from handlers.core.spreadsheet import is_formula
    from handlers.schedules.calendar import regular_date
    from storage import schedules

    what = "schedule exception"
    day = _parse_date(args.date, "DATE")
    moved_to = _parse_date(args.moved_to, "--moved-to") if args.moved_to else None
    reason = " ".join(args.reason.split())
    if not reason:
        raise ConfigError(f"{what}: --reason is empty")
    if len(reason) > 500:
        raise ConfigError(f"{what}: --reason is {len(reason)} characters long; at most 500")
    if is_formula(reason):
        raise ConfigError(
            f"{what}: --reason begins with {reason[0]!r}, which a spreadsheet runs as a formula"
        )
    point = await schedules.get_point(session, args.point_id)
    if point is None:
        raise ConfigError(f"{what}: unknown point id {args.point_id!r}")
    regular = regular_date(point.day_of_month, day.year, day.month)
    if regular != day:
        raise ConfigError(
            f"{what}: {day} is not a transaction day of {point.id} (day {point.day_of_month} of "
            f"each month); in {day:%Y-%m} it is {regular}"
        )
    if moved_to == day:
        raise ConfigError(f"{what}: --moved-to is the regular day itself ({day})")
    before = await schedules.exceptions_between(session, [point.id], day, day)
    replaced = any(e.regular_date == day for e in before)
    now = dt.datetime.now(dt.UTC)
    was = await schedules.effective_date(session, point.id, day)
    await schedules.set_exception(session, point.id, day, moved_to, reason, now)
    # As in /lichxa: subscribers already reminded of the day hear of the change, and the
    # change is written to the audit log.
    from content.loader import load_content
    from handlers.schedules.reminders import notify_change
    from storage import audit

    notified = await notify_change(session, load_content(), point, day, was, moved_to, reason, now)
    await audit.record(
        session,
        audit.CLI,
        "schedule.move" if moved_to else "schedule.cancel",
        point.id,
        {
            "regular": day.isoformat(),
            "moved_to": moved_to.isoformat() if moved_to else None,
            "reason": reason,
            "replaced": replaced,
            "notified": notified,
        },
        now,
    )
    change = f"moved to {moved_to} {moved_to:%a}" if moved_to else "cancelled"
    note = " (replaces the earlier exception)" if replaced else ""
    print(f"recorded: {point.id} ({point.name}) {day} {day:%a} {change}: {reason}{note}")
    if notified:
        print(f"notice queued for {notified} subscribers already reminded of {day}")


def _admin_target(args: argparse.Namespace) -> tuple[str, str, str, str | None]:
    """The checked CHANNEL:USER_ID, ROLE and --area of `admin grant|revoke`."""
    from handlers.core.roles import RoleInputError, parse_area, parse_role, parse_user

    try:
        channel, user_id = parse_user(args.user)
        return channel, user_id, parse_role(args.role), parse_area(args.area)
    except RoleInputError as exc:
        raise ConfigError(f"admin {args.action}: {exc}") from None


def cmd_admin(settings: Settings, args: argparse.Namespace) -> int:
    """`admin grant|revoke|list`: roles; the first admin comes from here."""
    target = _admin_target(args) if args.action in ("grant", "revoke") else None
    asyncio.run(_admin_on_database(settings, args.action, target))
    return 0


async def _admin_on_database(settings: Settings, action: str, target) -> None:  # type: ignore[no-untyped-def]
    from bot.app import open_database
    from storage.db import session_factory, transaction

    engine = await open_database(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            await admin_command(session, action, target)
    finally:
        await engine.dispose()


async def admin_command(session, action: str, target, now: dt.datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    """What `vbsp-bot admin ACTION` does on an open session (tests call it too)."""
    from handlers.core.roles import area_name, grant_role, revoke_role
    from storage import audit
    from storage import roles as role_store

    if action == "list":
        found = await role_store.list_roles(session)
        for grant in found:
            print(
                f"{grant.channel}:{grant.channel_user_id} {grant.role} {grant.area_code or '*'}"
                f" ({area_name(grant.area_code, with_code=False)})"
                f" granted {grant.granted_at:%Y-%m-%d %H:%M}Z by {grant.granted_by}"
            )
        if not found:
            print("no roles granted yet", file=sys.stderr)
        return
    channel, user_id, role, area = target
    what = f"{channel}:{user_id} {role} in {area_name(area)}"
    if action == "grant":
        done = await grant_role(session, channel, user_id, role, area, audit.CLI, now)
        print(f"granted: {what}" if done else f"already granted: {what}")
        return
    if not await revoke_role(session, channel, user_id, role, area, audit.CLI, now):
        raise ConfigError(f"admin revoke: {channel}:{user_id} has no role {role} in {area or '*'}")
    print(f"revoked: {what}")


async def cmd_webhook(
    settings: Settings, action: str, url: str | None, channel: str = "telegram"
) -> None:
    """Register (or remove) this bot's webhook with Telegram or Zalo, secret included."""
    if channel == "zalo":
        await cmd_zalo_webhook(settings, action, url)
        return
    from telegram import Bot, Update

    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to manage the webhook")
    token = settings.telegram_bot_token.get_secret_value()
    async with Bot(token, base_url=f"{settings.telegram_api_base_url}/bot") as bot:
        if action == "delete":
            await bot.delete_webhook()
            print("webhook removed; use `vbsp-bot poll` or set it again")
            return
        if settings.telegram_webhook_secret is None:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required to set the webhook")
        if not url or not url.startswith("https://"):
            raise ConfigError("webhook set: URL must start with https://")
        await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER],
        )
        print(f"webhook set: Telegram now posts updates to {url}")


async def cmd_zalo_webhook(settings: Settings, action: str, url: str | None) -> None:
    """`webhook set|delete --channel zalo`: the Zalo Bot Platform's setWebhook/deleteWebhook."""
    from bot.zalo_api import ZaloApi

    if settings.zalo_bot_token is None:
        raise ConfigError("ZALO_BOT_TOKEN: required to manage the Zalo webhook")
    token = settings.zalo_bot_token.get_secret_value()
    async with ZaloApi(token, settings.zalo_api_base_url) as api:
        if action == "delete":
            await api.delete_webhook()
            print("Zalo webhook removed; use `vbsp-bot poll` or set it again")
            return
        secret = settings.zalo_webhook_secret
        if secret is None or not 8 <= len(secret.get_secret_value()) <= 256:
            raise ConfigError("ZALO_WEBHOOK_SECRET: required to set the webhook, 8-256 characters")
        if not url or not url.startswith("https://"):
            raise ConfigError("webhook set: URL must start with https://")
        await api.set_webhook(url, secret.get_secret_value())
        print(f"webhook set: Zalo now posts events to {url}")


def parse_moment(text: str | None, settings: Settings) -> dt.datetime:
    """An ISO date-time; without an offset it is local time in BOT_TIMEZONE."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now: not an ISO date-time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.timezone)
    return moment.astimezone(dt.UTC)


async def cmd_reminders_run(settings: Settings, now_text: str | None) -> None:
    """Record and send every reminder due at that moment; repeating it sends nothing twice."""
    import time

    from bot.app import running
    from bot.scheduler import remind_and_deliver

    moment = parse_moment(now_text, settings)
    started = time.monotonic()

    def clock() -> dt.datetime:  # starts at --now and runs on, so retry_after waits elapse
        return moment + dt.timedelta(seconds=time.monotonic() - started)

    if settings.telegram_bot_token is None and settings.zalo_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to send reminders (or ZALO_BOT_TOKEN)")
    telegram = "send" if settings.telegram_bot_token else None
    zalo = "send" if settings.zalo_bot_token else None
    async with running(settings, telegram=telegram, zalo=zalo, clock=clock) as runtime:
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), settings.timezone
        )
    local = moment.astimezone(settings.timezone).isoformat(timespec="minutes")
    print(
        f"reminders at {local}: {planned} recorded; sent {stats.sent}, "
        f"blocked {stats.blocked}, failed {stats.failed}, to retry {stats.retried}"
    )


async def cmd_broadcast_status(settings: Settings, broadcast_id: int | None) -> None:
    """Progress of broadcasts: the recent ones, or one in detail."""
    from bot.app import open_database
    from storage.db import session_factory, transaction

    engine = await open_database(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            await broadcast_status(session, broadcast_id, settings, dt.datetime.now(dt.UTC))
    finally:
        await engine.dispose()


async def broadcast_status(session, broadcast_id: int | None, settings: Settings, now) -> None:  # type: ignore[no-untyped-def]
    """What `vbsp-bot broadcast status [ID]` prints (tests call it too)."""
    from handlers.core.roles import area_name
    from storage import broadcasts, outbox

    def when(moment: dt.datetime | None) -> str:
        return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    if broadcast_id is None:
        found = await broadcasts.recent(session, 20)
        if not found:
            print("no broadcasts yet", file=sys.stderr)
        for b in found:
            counts = await outbox.broadcast_counts(session, b.id or 0)
            left = counts.get("pending", 0) + counts.get("sending", 0)
            print(
                f"#{b.id} {b.status:<17} {area_name(b.area_code, with_code=True)}"
                f"{' (subscribers)' if b.subscribers_only else ''}"
                f"{' urgent' if b.urgent else ''}; by {b.author}; recipients {b.recipients}: "
                f"sent {counts.get('sent', 0)}, blocked {counts.get('blocked', 0)}, "
                f"failed {counts.get('failed', 0)}, left {left}; started {when(b.started_at)}, "
                f"finished {when(b.finished_at)}"
            )
        return
    b = await broadcasts.get(session, broadcast_id)
    if b is None or b.id is None:
        raise ConfigError(f"broadcast status: no broadcast {broadcast_id}")
    counts = await outbox.broadcast_counts(session, b.id)
    handled = sum(counts.get(s, 0) for s in ("sent", "blocked", "failed"))
    left = counts.get("pending", 0) + counts.get("sending", 0)
    print(f"broadcast #{b.id}: {b.status}")
    print(f"  by {b.author}; to {area_name(b.area_code)}"
          f"{', reminder subscribers only' if b.subscribers_only else ''}"
          f"{'; urgent' if b.urgent else ''}{'; with a photo' if b.photo else ''}")  # fmt: skip
    print(f"  created {when(b.created_at)}, confirmed {when(b.confirmed_at)}, "
          f"scheduled for {when(b.not_before)}")  # fmt: skip
    if b.approved_by:
        print(f"  approved by {b.approved_by} at {when(b.approved_at)}")
    if b.cancelled_by:
        print(f"  {b.status} by {b.cancelled_by}")
    print(f"  recipients {b.recipients}: sent {counts.get('sent', 0)}, "
          f"blocked {counts.get('blocked', 0)}, failed {counts.get('failed', 0)}, "
          f"cancelled {counts.get('cancelled', 0)}, left {left} "
          f"({100 * handled // max(b.recipients, 1)}% done)")  # fmt: skip
    if counts.get("in_doubt"):
        print(f"  in doubt after a crash: {counts['in_doubt']} (sent again; at most that many "
              f"may have arrived twice)")  # fmt: skip
    if b.started_at:
        end = b.finished_at or now
        seconds = max((end - b.started_at).total_seconds(), 1e-9)
        rate = handled / seconds
        print(f"  started {when(b.started_at)}, finished {when(b.finished_at)}; "
              f"{seconds:.0f} s, {rate:.1f} msg/s")  # fmt: skip
        if left and b.status == "sending":
            eta = left / settings.send_rate_per_second
            print(f"  about {eta / 60:.0f} min left at {settings.send_rate_per_second:g} msg/s")


def cmd_reports_export(settings: Settings, status: str | None, since: str | None) -> int:
    """`reports export`: CSV of reports for officials; the reporter's identity is withheld."""
    from handlers.reports.report_export import ExportError, parse_since, parse_status

    try:
        wanted = parse_status(status)
        start = parse_since(since, settings.timezone)
    except ExportError as exc:
        raise ConfigError(f"reports export: {exc}") from None
    sys.stdout.write(asyncio.run(_reports_export(settings, wanted, start)))
    return 0


async def _reports_export(settings: Settings, status, since) -> str:  # type: ignore[no-untyped-def]
    from bot.app import open_database
    from handlers.reports.report_export import export
    from storage.db import session_factory, transaction

    engine = await open_database(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            return await export(session, status, since, settings.timezone)
    finally:
        await engine.dispose()


def cmd_questions(settings: Settings, action: str, since: str | None) -> int:
    """`questions export` (TSV, masked, no user id) and `questions stats`."""
    from handlers.reports.report_export import ExportError, parse_since

    try:
        start = parse_since(since, settings.timezone)
    except ExportError as exc:
        raise ConfigError(f"questions export: {exc}") from None
    sys.stdout.write(asyncio.run(_questions(settings, action, start)))
    return 0


async def _questions(settings: Settings, action: str, since) -> str:  # type: ignore[no-untyped-def]
    from bot.app import open_database
    from handlers.questions import kept_questions
    from storage.db import session_factory, transaction

    engine = await open_database(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            if action == "export":
                return await kept_questions.export(session, since, settings.timezone)
            return await kept_questions.stats(session, settings.timezone)
    finally:
        await engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vbsp-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the bot in the terminal (SQLite, no network)")
    chat.add_argument("--user", default="local", help="your id on the terminal channel")
    chat.add_argument(
        "--as-role",
        choices=("admin", "official", "moderator"),
        help="act with this role, for the whole country, in the local database",
    )

    ask = sub.add_parser("ask", help="answer one free-text question and exit")
    ask.add_argument("--json", action="store_true", help="print the contract's JSON")
    ask.add_argument("--lang", choices=("vi", "en"), default="vi")
    ask.add_argument("text", metavar="TEXT", help="the question, or - to read one per line")

    serve = sub.add_parser("serve", help="HTTP server for webhooks plus the scheduler")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080)

    sub.add_parser("poll", help="long polling (Telegram and/or Zalo) plus the scheduler")

    webhook = sub.add_parser("webhook", help="register the Telegram or Zalo webhook (serve)")
    webhook_sub = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    webhook_set = webhook_sub.add_parser("set", help="point the platform at URL")
    webhook_set.add_argument(
        "url", metavar="URL", help="public https URL of POST /telegram/webhook (or /zalo/webhook)"
    )
    webhook_delete = webhook_sub.add_parser("delete", help="remove it (before switching to poll)")
    for command in (webhook_set, webhook_delete):
        command.add_argument(
            "--channel", choices=("telegram", "zalo"), default="telegram", help="default telegram"
        )

    reminders = sub.add_parser("reminders", help="transaction-day reminders")
    reminders_sub = reminders.add_subparsers(dest="action", required=True, metavar="ACTION")
    reminders_run = reminders_sub.add_parser("run", help="send every reminder due at a moment")
    reminders_run.add_argument(
        "--now", metavar="ISO-DATETIME", help="the moment (local time unless an offset is given)"
    )

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration")

    content = sub.add_parser("content", help="content files")
    content_sub = content.add_subparsers(dest="action", required=True, metavar="ACTION")
    content_sub.add_parser("check", help="validate every content file")

    schedule = sub.add_parser("schedule", help="commune transaction-day schedules")
    schedule_sub = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")
    schedule_import = schedule_sub.add_parser("import", help="add or update points from a CSV")
    schedule_import.add_argument("file", metavar="FILE.csv")
    schedule_sub.add_parser("export", help="every point as CSV on standard output")
    schedule_next = schedule_sub.add_parser("next", help="a commune's days, this month and next")
    schedule_next.add_argument("commune", metavar="COMMUNE", help="5-digit commune code")
    schedule_next.add_argument("--today", metavar="DATE", help="count from DATE, not today")
    schedule_exception = schedule_sub.add_parser(
        "exception", help="move or cancel one regular transaction day"
    )
    schedule_exception.add_argument("point_id", metavar="POINT_ID")
    schedule_exception.add_argument("date", metavar="DATE", help="the regular day, YYYY-MM-DD")
    change = schedule_exception.add_mutually_exclusive_group(required=True)
    change.add_argument("--moved-to", metavar="DATE", help="the day it moves to")
    change.add_argument("--cancelled", action="store_true", help="no transaction that month")
    schedule_exception.add_argument("--reason", required=True, help="shown to borrowers")

    broadcast = sub.add_parser("broadcast", help="officials' announcements")
    broadcast_sub = broadcast.add_subparsers(dest="action", required=True, metavar="ACTION")
    broadcast_status_cmd = broadcast_sub.add_parser("status", help="progress of broadcasts")
    broadcast_status_cmd.add_argument("id", metavar="ID", type=int, nargs="?")

    reports = sub.add_parser("reports", help="citizens' reports")
    reports_sub = reports.add_subparsers(dest="action", required=True, metavar="ACTION")
    reports_export = reports_sub.add_parser(
        "export", help="CSV of reports for officials (reporter identity withheld)"
    )
    reports_export.add_argument("--status", metavar="S", help="only reports in this state")
    reports_export.add_argument("--since", metavar="DATE", help="created on or after YYYY-MM-DD")

    questions = sub.add_parser("questions", help="messages the bot could not answer well")
    questions_sub = questions.add_subparsers(dest="action", required=True, metavar="ACTION")
    questions_export = questions_sub.add_parser(
        "export", help="TSV of kept questions, masked, without user ids"
    )
    questions_export.add_argument("--since", metavar="DATE", help="kept on or after YYYY-MM-DD")
    questions_sub.add_parser("stats", help="counts by topic, and answered none per week")

    admin = sub.add_parser("admin", help="roles: admin, official, moderator")
    admin_sub = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    for verb, text in (("grant", "give a role"), ("revoke", "take a role back")):
        command = admin_sub.add_parser(verb, help=text)
        command.add_argument("user", metavar="CHANNEL:USER_ID", help="e.g. telegram:123456789")
        command.add_argument("role", metavar="ROLE", help="admin, official or moderator")
        command.add_argument(
            "--area", metavar="CODE", help="province (2 digits) or commune (5 digits) code"
        )
    admin_sub.add_parser("list", help="every role, one line each")
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ask":
            return cmd_ask(args.text, args.json, args.lang)
        if args.command == "content":
            return cmd_content_check()
        settings = load_settings()
        setup_logging(settings)
        if args.command == "chat":
            logging.getLogger().setLevel(logging.WARNING)  # keep the conversation readable
            asyncio.run(cmd_chat(settings, args.user, args.as_role))
        elif args.command == "serve":
            asyncio.run(cmd_serve(settings, args.host, args.port))
        elif args.command == "poll":
            asyncio.run(cmd_poll(settings))
        elif args.command == "webhook":
            asyncio.run(
                cmd_webhook(settings, args.action, getattr(args, "url", None), args.channel)
            )
        elif args.command == "reminders":
            asyncio.run(cmd_reminders_run(settings, args.now))
        elif args.command == "db":
            asyncio.run(cmd_db_upgrade(settings))
        elif args.command == "schedule":
            logging.getLogger().setLevel(logging.WARNING)  # the output is the result
            return cmd_schedule(settings, args)
        elif args.command == "broadcast":
            logging.getLogger().setLevel(logging.WARNING)  # the output is the result
            asyncio.run(cmd_broadcast_status(settings, args.id))
        elif args.command == "reports":
            logging.getLogger().setLevel(logging.WARNING)  # the output is the result
            return cmd_reports_export(settings, args.status, args.since)
        elif args.command == "questions":
            logging.getLogger().setLevel(logging.WARNING)  # the output is the result
            return cmd_questions(settings, args.action, getattr(args, "since", None))
        elif args.command == "admin":
            logging.getLogger().setLevel(logging.WARNING)  # the output is the result
            return cmd_admin(settings, args)
        return 0
    except (ConfigError, ContentError) as exc:
        print(f"vbsp-bot: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"vbsp-bot: Telegram answered: {exc}", file=sys.stderr)
        return 1
    except ZaloError as exc:
        print(f"vbsp-bot: Zalo answered: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main() -> None:
    sys.exit(run())
