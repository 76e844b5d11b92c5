"""Questions the bot could not answer, kept masked for the editors: what is masked, who is
kept (only with consent), deletion with the person, pruning after 90 days, the TSV export."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.scheduler import prune_kept_questions
from content.matcher import Match
from handlers.core.dispatch import Deps
from handlers.questions import kept_questions
from handlers.questions.masking import mask
from storage import kept_questions as store
from storage.db import transaction
from storage.models import User
from storage.question_models import KeptQuestion
from tests.conftest import Chat
from tests.handlers.test_linking import code_from

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Planted: each must never be stored nor exported, in any of the forms people write it.
PHONES = ("0912345678", "0912 345 678", "0912.345.678", "+84 912-345-678", "84912345678")
ID_NUMBERS = ("123456789", "001203004567", "001 203 004 567")
ACCOUNTS = ("190367891234567", "1903 6789 1234 567", "0071000123456")
NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Quang Minh", "nguyen van an")
OUT_OF_SCOPE = "Giá vàng hôm nay bao nhiêu?"  # answered none


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def assert_nothing_planted(text: str) -> None:
    for number in (*PHONES, *ID_NUMBERS, *ACCOUNTS):
        assert digits(number) not in digits(text), (number, text)
    for name in NAMES:
        for word in name.split()[1:]:  # the given names ("Văn An"), whatever the case
            assert word.lower() not in text.lower().split(), (name, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sđt 0912 345 678", "sđt [SĐT]"),
        ("gọi +84 912-345-678 nhé", "gọi [SĐT] nhé"),
        ("CMND 123456789", "CMND [SỐ GIẤY TỜ]"),
        ("CCCD: 001203004567", "CCCD: [SỐ GIẤY TỜ]"),
        ("stk 1903 6789 1234 567 vcb", "stk [SỐ] vcb"),
        ("mã VCB0071000123456", "mã VCB[SỐ]"),
        ("Tôi tên là Nguyễn Văn An, ở thôn 3", "Tôi tên là [TÊN], ở thôn 3"),
        ("toi ten la nguyen van an o xa dak ha", "toi ten la [TÊN] o xa dak ha"),
        ("Em là Trần Thị Bích, nhà nghèo", "Em là [TÊN], nhà nghèo"),
        ("chị Lan giữ tiền, bà Quản bảo lãnh", "chị [TÊN] giữ tiền, bà [TÊN] bảo lãnh"),
        ("Lê Quang Minh nợ tôi 20 triệu", "[TÊN] nợ tôi 20 triệu"),
        # Given names that are also words once the diacritics are gone (Hằng, Minh, Ngân)
        ("toi ten la nguyen thi hang nha o thon 3", "toi ten la [TÊN] nha o thon 3"),
        ("ten la lam van minh", "ten la [TÊN]"),
        ("chị Ngân ở Xã Sơn Tịnh", "chị [TÊN] ở Xã Sơn Tịnh"),
        # Typed in capitals: the capitals say nothing, the common words end the name
        ("TOI TEN LA NGUYEN THI HANG, SDT 0912345678", "TOI TEN LA [TÊN], SDT [SĐT]"),
        ("ANH NAM O THON 3 GIU TIEN", "ANH [TÊN] O THON 3 GIU TIEN"),
        ("NGUYEN VAN AN VAY TIEN", "[TÊN] VAY TIEN"),
        ("thư an.nguyen@gmail.com", "thư [EMAIL]"),
        ("app https://vay.vn/dk?ref=0912345678&u=an", "app [LINK vay.vn]"),
    ],
)  # fmt: skip
def test_mask_hides_numbers_names_mails_and_links(text: str, expected: str):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "vay 50.000.000 đồng trong 3 năm",
        "vay 5000000đ trả góp",
        "tôi là hộ nghèo, cho em hỏi Ngân hàng chính sách có cho vay không",
        "ngày 15/12/2023 tôi vay 30 triệu, lãi 0,9%/tháng",
        "mã xã 21220",
        "CHO EM HOI VAY VON HO NGHEO",
        "Anh ơi cho em hỏi Ngân hàng chính sách",
    ],
)
def test_mask_keeps_amounts_dates_and_plain_words(text: str):
    assert mask(text) == text


def test_only_none_or_low_confidence_is_worth_keeping():
    assert kept_questions.worth_keeping(Match("none", 0.9))
    assert kept_questions.worth_keeping(Match("loan.rate", kept_questions.LOW_CONFIDENCE - 0.01))
    assert not kept_questions.worth_keeping(Match("loan.rate", kept_questions.LOW_CONFIDENCE))


def planted_message() -> str:
    return (
        f"Tôi tên là {NAMES[0]}, em gái là {NAMES[1]}, hàng xóm {NAMES[2]}, bạn tôi tên "
        f"{NAMES[3]}. Số điện thoại {', '.join(PHONES)}. CMND/CCCD {', '.join(ID_NUMBERS)}. "
        f"Tài khoản {', '.join(ACCOUNTS)}. {OUT_OF_SCOPE}"
    )


async def kept_rows(deps: Deps) -> list[KeptQuestion]:
    async with transaction(deps.sessions) as session:
        return list((await session.exec(select(KeptQuestion))).all())


async def test_a_question_answered_none_is_kept_masked_with_consent(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(planted_message())
    [row] = await kept_rows(deps)
    assert row.topic == "none" and row.channel == "test"
    assert OUT_OF_SCOPE in row.text
    assert_nothing_planted(row.text)
    await chat.send("/dulieu")
    assert "Câu hỏi bot chưa trả lời được: 1" in chat.text


async def test_a_low_confidence_answer_is_kept_a_sure_one_is_not(
    chat: Chat, deps: Deps, monkeypatch
):
    await chat.onboard()
    sure = kept_questions.LOW_CONFIDENCE
    # The matcher's confidence, fixed for the test by the text (it may be asked more than
    # once per message: the calculator and the story check read it too).
    scores = {"vay đi học thì sao ạ": sure - 0.1}
    monkeypatch.setattr(
        deps.content.matcher,
        "match",
        lambda text: Match("program.student", scores.get(text.strip(), sure)),
    )
    await chat.send("vay đi học thì sao ạ")
    await chat.send("sinh viên vay vốn đi học cần giấy tờ gì")
    [row] = await kept_rows(deps)
    assert (row.text, row.topic) == ("vay đi học thì sao ạ", "program.student")
    assert row.score == pytest.approx(sure - 0.1)


async def test_nothing_is_kept_without_consent(deps: Deps):
    chat = Chat(deps)
    await chat.send("/start")
    await chat.press("lang:vi")
    await chat.press("consent:no")
    await chat.send(planted_message())
    assert await kept_rows(deps) == []


async def test_deleting_ones_data_deletes_the_kept_questions(chat: Chat, deps: Deps):
    other = Chat(deps, user_id="2002")
    for person in (chat, other):
        await person.onboard()
        await person.send(OUT_OF_SCOPE)
    assert len(await kept_rows(deps)) == 2
    await chat.send("/dulieu")
    await chat.press("data_delete")
    await chat.press("data_delete_yes")
    [left] = await kept_rows(deps)
    async with transaction(deps.sessions) as session:
        assert await store.count_of(session, left.user_id) == 1  # the other person's stays


async def test_withdrawing_consent_deletes_the_kept_questions(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send(OUT_OF_SCOPE)
    await chat.send("/dulieu")
    await chat.press("data_withdraw")
    assert await kept_rows(deps) == []
    await chat.send(OUT_OF_SCOPE)  # and nothing more is kept without consent
    assert await kept_rows(deps) == []


async def test_kept_questions_are_pruned_after_90_days(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    await chat.send(OUT_OF_SCOPE)
    clock.advance(days=45)
    await chat.send("mua vàng ở đâu")
    clock.advance(days=45)  # the first is exactly 90 days old: kept until the moment passes
    assert await prune_kept_questions(deps.sessions, clock) == 0
    clock.advance(seconds=1)
    assert await prune_kept_questions(deps.sessions, clock) == 1
    [left] = await kept_rows(deps)
    assert left.text == "mua vàng ở đâu"


async def test_export_has_masked_text_and_no_user_id(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    await chat.send(planted_message())
    await chat.send("=HYPERLINK(1) " + OUT_OF_SCOPE)
    async with transaction(deps.sessions) as session:
        tsv = await kept_questions.export(session, None, TZ)
        user_ids = {r.user_id for r in (await session.exec(select(KeptQuestion))).all()}
    header, *lines = tsv.splitlines()
    assert header.split("\t") == ["text", "best_topic", "score", "date", "channel"]
    assert len(lines) == 2
    assert_nothing_planted(tsv)
    assert chat.user_id not in tsv
    assert all(str(uid) not in line.split("\t")[1:] for uid in user_ids for line in lines)
    first, second = (line.split("\t") for line in lines)
    assert first[1:] == ["none", first[2], "2026-11-22", "test"]
    assert second[0].startswith("'=HYPERLINK")  # a spreadsheet shows it as text
    async with transaction(deps.sessions) as session:
        later = await kept_questions.export(session, dt.datetime(2026, 11, 23, tzinfo=dt.UTC), TZ)
    assert later.splitlines()[1:] == []


async def test_stats_count_by_topic_and_none_per_week(chat: Chat, deps: Deps):
    await chat.onboard()
    monday = dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC)
    async with transaction(deps.sessions) as session:
        user = (await session.exec(select(User))).one()
        for days, topic in ((0, "none"), (1, "none"), (2, "loan.rate"), (7, "none")):
            moment = monday + dt.timedelta(days=days)
            await store.add(session, user.id or 0, "test", "x", topic, 0.3, moment)
    async with transaction(deps.sessions) as session:
        text = await kept_questions.stats(session, TZ)
    assert "kept questions: 4" in text
    assert "  none\t3" in text and "  loan.rate\t1" in text
    assert "  2026-W48\t2 / 3" in text and "  2026-W49\t1 / 1" in text


async def test_a_linked_persons_questions_follow_them_and_go_with_them(deps: Deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.onboard()
    await zalo.send(OUT_OF_SCOPE)  # kept under the Zalo account before it is linked
    await zalo.send(f"/lienket {await code_from(telegram)}")
    await telegram.send("mua vàng ở đâu")  # kept under the person, sent from Telegram
    rows = await kept_rows(deps)
    assert len(rows) == 2 and len({r.user_id for r in rows}) == 1
    assert {r.channel for r in rows} == {"telegram", "zalo"}
    await zalo.send("/dulieu")
    await zalo.press("data_delete")
    await zalo.press("data_delete_yes")
    assert await kept_rows(deps) == []


async def test_a_person_fills_at_most_a_days_worth(chat: Chat, deps: Deps, clock):
    await chat.onboard()
    for _ in range(kept_questions.MAX_PER_DAY + 3):
        await chat.send(OUT_OF_SCOPE)
    assert len(await kept_rows(deps)) == kept_questions.MAX_PER_DAY
    clock.advance(days=1, seconds=1)  # a day after the first: room again
    await chat.send(OUT_OF_SCOPE)
    assert len(await kept_rows(deps)) == kept_questions.MAX_PER_DAY + 1


async def test_an_export_labelled_by_an_editor_is_training_data(
    chat: Chat, deps: Deps, clock, tmp_path
):
    """docs/labelling.md: the editor adds a ``topic`` column to the export and drops the file
    into content/data/training/. The bot's own guess (``best_topic``) is never taken for a
    label: an export nobody labelled is refused, by name."""
    from content.classifier import read_training

    await chat.onboard()
    story = "Bà hàng xóm vay tôi 50 triệu từ năm ngoái, giờ không chịu trả"
    async with transaction(deps.sessions) as session:
        user = (await session.exec(select(User))).one()
        assert user.id is not None
        await store.add(session, user.id, "test", mask(OUT_OF_SCOPE), "none", 0.01, clock())
        await store.add(session, user.id, "test", mask(story), "none", 0.2, clock())
        tsv = await kept_questions.export(session, None, TZ)
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    (unlabelled / "messages_users_2026_11.tsv").write_text(tsv, encoding="utf-8")
    with pytest.raises(ValueError, match=r"messages_users_2026_11\.tsv: header needs 'topic'"):
        read_training(unlabelled, {"none", "blackcredit.law"})

    header, *lines = tsv.splitlines()
    labels = {OUT_OF_SCOPE: "none", story: "blackcredit.law"}  # the editor's, by the guide
    labelled = [header + "\ttopic"] + [line + "\t" + labels[line.split("\t")[0]] for line in lines]
    training = tmp_path / "training"
    training.mkdir()
    (training / "messages_users_2026_11.tsv").write_text("\n".join(labelled), encoding="utf-8")
    rows = read_training(training, {"none", "blackcredit.law"})
    assert sorted(rows) == sorted(labels.items())
