"""A victim's story typed as free text, as conversations: taken seriously, 113 only when someone
is threatened, what to do now, and "Báo cáo việc này" into /baocao with the category chosen and
the story as the description once the person agrees; dropped, the story is forgotten."""

from __future__ import annotations

from bot.scheduler import forget_stories
from handlers.core.dispatch import Deps
from handlers.core.types import MAX_ACTION_BYTES
from handlers.questions import kept_story, story
from storage import reports, users
from storage.db import session_factory, transaction
from storage.report_models import Report
from tests.conftest import Chat, FakeClock

THREAT = (
    "Tụi nó gọi cho cả họ hàng tôi, đăng ảnh tôi lên mạng nói tôi quỵt nợ, còn dọa đến nhà "
    "đánh tôi, giờ tôi phải làm sao?"
)
APP_SPIRAL = (
    "Em lỡ vay mấy app online, lãi chồng lãi, app này trả app kia, giờ nợ gấp ba lần, "
    "em không biết trả sao"
)
LEADER = (
    "Mấy năm nay nhà tôi gửi tiền lãi với tiền gốc cho chị tổ trưởng, tuần rồi ngân hàng gửi "
    "giấy báo nhà tôi vẫn còn nợ nguyên"
)
SAFETY = "gọi ngay 113"


async def stored(deps: Deps) -> list[Report]:
    async with transaction(deps.sessions) as session:
        return await reports.for_export(session)


async def state_of(deps: Deps, chat: Chat):
    async with transaction(deps.sessions) as session:
        user = await users.find_user(session, chat.channel, chat.user_id)
        return await users.get_state(session, user.id)


async def report_from_the_story(chat: Chat, accused: str | None = None) -> None:
    """Press "Báo cáo việc này" and answer every question but the category and the story."""
    await chat.press("Báo cáo việc này")
    assert "nguy hiểm" in chat.text
    await chat.press("rpd:no")
    assert "Bot sẽ lưu báo cáo của bạn" in chat.text
    assert "dùng luôn lời kể bạn vừa gửi" in chat.text  # the one consent covers the story
    await chat.press("rpy:yes")
    assert "Bạn muốn báo việc gì?" not in chat.text  # the category is chosen already
    if accused:
        await chat.press(f"rpa:{accused}")
    await chat.send("son tinh")
    await chat.press("rpt:week")
    assert "Bot đã điền lời kể" in chat.text and "Bạn kể lại việc" not in chat.text
    await chat.press("rpe:done")
    await chat.press("rpo:no")
    assert "Báo cáo của bạn" in chat.text
    await chat.press("rps")
    assert "Mã tra cứu" in chat.text


async def test_a_threat_story_is_taken_seriously_made_safe_and_reported(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(THREAT)
    text = chat.text
    serious = text.index("Việc bạn gặp là nghiêm trọng")
    safety = text.index(SAFETY)
    todo = text.index("Ghi âm cuộc gọi")  # the answer's what to do now
    assert serious < safety < todo
    assert text.count("113") == 1  # the answer's own 113 line is not said twice
    button = chat.find("Báo cáo việc này")
    assert button.action == "rpf:threats" and THREAT not in button.action
    assert all(len(b.action.encode()) <= MAX_ACTION_BYTES for b in chat.buttons)
    await report_from_the_story(chat)
    [report] = await stored(deps)
    assert (report.category, report.description) == ("threats", THREAT)
    assert (await state_of(deps, chat)).data == {}  # nothing of the story is left behind


async def test_a_story_without_a_threat_gets_no_safety_step(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(APP_SPIRAL)
    assert "Việc bạn gặp là nghiêm trọng" in chat.text
    assert SAFETY not in chat.text and "Bị đe dọa, bị đánh" not in chat.text
    assert chat.find("Báo cáo việc này").action == "rpf:app"
    await report_from_the_story(chat)
    [report] = await stored(deps)
    assert (report.category, report.description) == ("app", APP_SPIRAL)


async def test_a_misconduct_story_reports_the_leader(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(LEADER)
    assert "Nếu đúng như vậy thì đó là sai phạm" in chat.text
    assert SAFETY not in chat.text and "Tổ trưởng không được thu tiền gốc" in chat.text
    assert chat.find("Báo cáo việc này").action == "rpf:collects_principal"
    await report_from_the_story(chat, accused="leader")
    [report] = await stored(deps)
    assert (report.category, report.accused, report.escalated) == (
        "collects_principal",
        "leader",
        True,
    )
    assert report.description == LEADER


async def test_dropping_the_report_forgets_the_story(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(THREAT)
    assert THREAT in str((await state_of(deps, chat)).data)  # kept server-side, for the button
    await chat.press("Báo cáo việc này")
    await chat.press("rpd:no")
    await chat.press("rpy:yes")
    assert THREAT in str((await state_of(deps, chat)).data)  # waiting for the story step
    await chat.press("rpn")  # dropped at the place step
    assert (await state_of(deps, chat)).data == {}
    assert await stored(deps) == []


async def test_declining_consent_or_a_command_forgets_the_story(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(THREAT)
    await chat.press("Báo cáo việc này")
    await chat.press("rpd:no")
    await chat.press("rpy:no")
    assert (await state_of(deps, chat)).data == {}
    await chat.send(THREAT)
    await chat.send("/dulieu")
    assert (await state_of(deps, chat)).data == {}
    await chat.send(THREAT)
    await chat.send("lịch giao dịch ở xã tôi")  # another message: the story offered goes
    assert THREAT not in str((await state_of(deps, chat)).data)


async def test_a_story_too_short_for_a_description_is_asked_for_as_today(chat: Chat):
    await chat.onboard()
    await chat.send("nó dọa giết tôi")
    assert SAFETY in chat.text
    await chat.press("Báo cáo việc này")
    await chat.press("rpd:no")
    await chat.press("rpy:yes")
    await chat.send("son tinh")
    await chat.press("rpt:week")
    assert "Bạn kể lại việc đã xảy ra" in chat.text


async def test_a_tidy_question_gets_its_answer_not_the_story_treatment(chat: Chat):
    await chat.onboard()
    await chat.send("app vay tiền online có an toàn không")
    assert "App vay tiền lừa đảo" in chat.text
    assert "nghiêm trọng" not in chat.text
    assert all(not b.action.startswith("rpf") for b in chat.buttons)


async def test_english_mode_says_report_this(chat: Chat):
    await chat.onboard("en")
    await chat.send(THREAT)
    assert "call 113 now" in chat.text
    assert chat.find("Report this").action == "rpf:threats"


def test_harassment_is_a_threat_and_a_plain_debt_is_not():
    assert story.threatened("Em lỡ vay mấy app online, lãi chồng lãi, ngày nào nó cũng gọi")
    assert story.threatened("Người đòi nợ đứng trước cửa nhà tôi cả buổi")
    assert not story.threatened(APP_SPIRAL) and not story.threatened(LEADER)


def test_categories_of_stories():
    assert story.category_for("blackcredit.law", "bạn tôi vay 3 phần trăm mỗi tháng") is None
    assert story.category_for("blackcredit.law", "chủ nợ dọa đến nhà tôi đòi lãi") == "threats"
    assert story.category_for("report", "tôi muốn tố giác, họ dọa đánh tôi") == "threats"
    assert story.category_for("report", "tôi muốn báo cáo tổ trưởng") is None
    told = "tổ trưởng bắt nhà tôi đưa hai triệu mới cho làm hồ sơ vay"
    assert story.category_for("misconduct.fees", told) == "fees"
    assert story.category_for("program.poor", told) is None


async def test_a_story_that_asks_something_else_too_offers_it(chat: Chat, deps: Deps):
    """The story's reply and its report stay; the other question is one tap away."""
    await chat.onboard()
    told = THREAT + " Cho tôi hỏi thêm lịch giao dịch của ngân hàng ở xã tôi là ngày nào?"
    await chat.send(told)
    assert "Việc bạn gặp là nghiêm trọng" in chat.text and SAFETY in chat.text
    labels = [b.label for b in chat.buttons]
    other = chat.find("Câu hỏi khác của bạn")
    assert other.action == "topic:schedule.when"
    assert labels.index(other.label) > labels.index(chat.find("Báo cáo việc này").label)
    assert labels.index(other.label) < labels.index(chat.find("menu").label)
    await chat.press("Câu hỏi khác của bạn")
    assert "giao dịch" in chat.text


async def test_a_story_with_one_question_offers_nothing_else(chat: Chat):
    await chat.onboard()
    await chat.send(THREAT)
    assert not [b for b in chat.buttons if "Câu hỏi khác" in b.label]


async def test_a_story_kept_too_long_is_not_used_and_the_person_is_told(
    chat: Chat, deps: Deps, clock: FakeClock
):
    await chat.onboard()
    await chat.send(THREAT)
    clock.advance(minutes=kept_story.kept_minutes() + 1)
    await chat.press("Báo cáo việc này")
    assert "bot chỉ giữ lời kể 30 phút" in chat.text and "gõ lại" in chat.text
    assert "nguy hiểm" in chat.text  # /baocao started all the same
    assert THREAT not in str((await state_of(deps, chat)).data)
    await chat.press("rpd:no")
    assert "dùng luôn lời kể" not in chat.text
    await chat.press("rpy:yes")
    assert "Bạn muốn báo việc gì?" not in chat.text  # the category is still chosen
    await chat.send("son tinh")
    await chat.press("rpt:week")
    assert "Bạn kể lại việc đã xảy ra" in chat.text and "Bot đã điền" not in chat.text
    await chat.send("Họ gọi điện dọa tôi suốt một tuần nay, còn đăng ảnh tôi lên mạng.")
    await chat.press("rpe:done")
    await chat.press("rpo:no")
    await chat.press("rps")
    [report] = await stored(deps)
    assert report.category == "threats" and THREAT not in report.description


async def test_a_story_is_used_until_its_time_is_up(chat: Chat, deps: Deps, clock: FakeClock):
    await chat.onboard()
    await chat.send(THREAT)
    clock.advance(minutes=kept_story.kept_minutes() - 1)
    await report_from_the_story(chat)
    [report] = await stored(deps)
    assert report.description == THREAT


async def test_a_story_waiting_too_long_at_the_steps_before_is_not_used(
    chat: Chat, deps: Deps, clock: FakeClock
):
    """The time runs from the story, not from the last button: pressed in time, then left at
    the consent step, it is not used."""
    await chat.onboard()
    await chat.send(THREAT)
    await chat.press("Báo cáo việc này")
    await chat.press("rpd:no")
    clock.advance(minutes=kept_story.kept_minutes() + 5)
    await chat.press("rpy:yes")
    await chat.send("son tinh")
    await chat.press("rpt:week")
    assert "bot chỉ giữ lời kể 30 phút" in chat.text
    assert "Bạn kể lại việc đã xảy ra" in chat.text
    assert THREAT not in str((await state_of(deps, chat)).data)


async def test_a_restart_keeps_the_story_for_the_button(chat: Chat, deps: Deps, engine):
    """The story waits in the database, not in the process: another process (a restart, a
    second replica) on the same database uses it."""
    await chat.onboard()
    await chat.send(THREAT)
    restarted = Chat(Deps(content=deps.content, sessions=session_factory(engine), clock=deps.clock))
    restarted.replies = chat.replies
    await report_from_the_story(restarted)
    [report] = await stored(deps)
    assert report.description == THREAT


async def test_stories_nobody_came_back_for_are_erased(deps: Deps, clock: FakeClock):
    """The periodic job erases a story waiting after its time, in the story flow and in a
    report left before its story step, and nothing younger or anyone else's state."""
    old, at_consent, fresh, other = (Chat(deps, user_id=u) for u in ("1", "2", "3", "4"))
    for person in (old, at_consent, fresh, other):
        await person.onboard()
    await old.send(THREAT)
    await at_consent.send(LEADER)
    await at_consent.press("Báo cáo việc này")
    await at_consent.press("rpd:no")
    await other.send("/lich")
    clock.advance(minutes=kept_story.kept_minutes() + 1)
    await fresh.send(APP_SPIRAL)
    before = (await state_of(deps, other)).flow
    assert await forget_stories(deps.sessions, clock) == 2
    assert (await state_of(deps, old)).data == {} and (await state_of(deps, old)).flow is None
    waiting = await state_of(deps, at_consent)
    assert waiting.flow == "report" and waiting.step == "consent"  # the report goes on
    assert LEADER not in str(waiting.data) and waiting.data["category"] == "collects_principal"
    assert APP_SPIRAL in str((await state_of(deps, fresh)).data)
    assert (await state_of(deps, other)).flow == before
    assert await forget_stories(deps.sessions, clock) == 0
