"""Masking before a question is kept (questions/masking.py), table-driven: each planted piece
of identity must be gone from the masked text, from the stored row and from the editors'
export; the amounts and program words an editor needs must survive."""

from __future__ import annotations

import pytest
from sqlmodel import select

from content.matcher import Match
from handlers.core.dispatch import Deps
from handlers.questions import kept_questions
from handlers.questions.masking import mask
from storage.db import transaction
from storage.question_models import KeptQuestion
from tests.conftest import Chat, FakeClock
from tests.handlers.test_kept_questions import OUT_OF_SCOPE, TZ

# (message, the pieces of it that must not be kept). A piece is checked as a whole word or
# number sequence, case-insensitively.
PLANTED: list[tuple[str, tuple[str, ...]]] = [
    # Names after kinship words and titles, capitalised
    ("anh Tuấn ở xóm trên cho tôi vay", ("Tuấn",)),
    ("chị Nguyễn Thị Hoa thu tiền lãi", ("Nguyễn", "Thị Hoa")),
    ("ông Ba hàng xóm đòi nợ", ("Ba",)),
    ("bà K. thu lãi mà không nộp", ("K.",)),
    ("tổ trưởng Lan giữ sổ của tôi", ("Lan",)),
    ("cán bộ Hùng xã đòi phí hồ sơ", ("Hùng",)),
    ("cô giáo Mai bảo lãnh cho em", ("Mai",)),
    ("thằng Tùng đến nhà dọa", ("Tùng",)),
    ("trưởng thôn Nguyễn Văn Bình ký giấy", ("Nguyễn Văn Bình", "Bình")),
    ("chủ tịch xã Lê Văn Tám ký xác nhận", ("Lê Văn Tám", "Tám")),
    ("Lò Văn Páo ở bản bên vay giùm", ("Lò Văn Páo", "Páo")),
    # People beside places: a place is no reason to keep a name
    ("chủ tịch xã Trần Hùng ký giấy", ("Trần Hùng", "Hùng")),
    ("chị Hà ở Thái Bình cho vay lãi", ("Hà",)),
    ("Anh Sơn cho tôi vay 10 triệu", ("Sơn",)),  # a commune too, but "Anh" opens the sentence
    ("Nguyễn Văn An ở Cao Bằng đòi nợ", ("Nguyễn Văn An", "An")),
    # Names typed without diacritics or in lower case
    ("chi nguyen thi hoa thu tien lai", ("nguyen", "thi hoa")),
    ("anh tuan cho vay 10 trieu", ("tuan",)),
    ("toi la nguyen van an, nha ngheo", ("nguyen van an",)),
    ("anh tuấn bên app gọi suốt", ("tuấn",)),
    ("tổ trưởng lan không nộp tiền", ("lan",)),
    ("ong hung o thon tren cho vay nang lai", ("hung",)),
    # Initials
    ("chú N.V.Hải giữ sổ", ("N.V.Hải", "Hải")),
    ("Nguyễn V. Hùng là người cho vay", ("Nguyễn", "Hùng")),
    # E-mail, links and handles
    ("email của em an.nguyen@gmail.com", ("an.nguyen@gmail.com", "an.nguyen")),
    ("zalo của nó zalo.me/0912345678", ("0912345678",)),
    ("vào www.tiencash.com/dk?u=0912345678.", ("0912345678",)),
    ("trang facebook.com/nguyen.van.an99 đăng ảnh tôi", ("nguyen.van.an99",)),
    ("fb: nguyenvanan99 nhắn dọa", ("nguyenvanan99",)),
    ("nick zalo tuan_vaynhanh gọi cho em", ("tuan_vaynhanh",)),
    ("tài khoản @vaytien247 đăng ảnh", ("@vaytien247", "vaytien247")),
    ("link https://vaynhanh.vn/u/an-nguyen lừa", ("an-nguyen",)),
    # Plates
    ("xe biển số 29A-123.45 đến nhà", ("29A-123.45", "123.45")),
    ("bọn nó đi xe 51F1-23456", ("51F1-23456", "23456")),
    ("bien so 30e 12345 do truoc cua", ("30e 12345", "12345")),
    # House and alley numbers
    ("nhà tôi số 12 ngõ 5 phố Huế", ("12", "5")),
    ("nhà số 34 đường Lê Lợi", ("34",)),
    ("em ở hẻm 12/3 đường số 7", ("12/3",)),
    ("ngach 45 ngo 102 duong truong chinh", ("45", "102")),
    # Dates of birth
    ("em sinh ngày 12/03/1990 ở Nghệ An", ("12/03/1990",)),
    ("ngày sinh 5-7-1988, hộ nghèo", ("5-7-1988",)),
    ("toi sinh nam 1985, vay duoc khong", ("1985",)),
    ("năm sinh: 2001, sinh viên năm 3", ("2001",)),
    # Numbers (as before)
    ("sđt 0912 345 678 gọi em", ("0912 345 678",)),
    ("CCCD 001203004567", ("001203004567",)),
]

# Messages an editor needs whole: amounts, rates, programs, the bank, places of the bank.
SURVIVE = [
    "vay 50 triệu lãi 3%/tháng",
    "vay 50.000.000 đồng trong 36 tháng",
    "lãi 0,65%/tháng, trả góp 1,5 triệu",
    "vay hộ nghèo 100 triệu được không",
    "hộ cận nghèo vay Ngân hàng Chính sách xã hội",
    "Ngân hàng Chính sách cho sinh viên vay bao nhiêu",
    "tổ trưởng thu tiền lãi mà không nộp",
    "anh ơi cho em hỏi vay vốn",
    "họ vẫn chưa trả tiền",
    "em đã trình báo công an",
    "chi can so ho khau thoi a",
    "co the vay them khong",
    "Phòng giao dịch huyện mở cửa mấy giờ",
    "Tổ TK&VV họp ngày 15 hằng tháng",
    "nhắn zalo cho tôi nhé",
    "vay 30 triệu từ năm 2021, thời hạn 5 năm",
    # Communes and provinces, even those that begin with a family name or a form of address
    "Xã Huy Giáp (Cao Bằng) có điểm giao dịch không",
    "Tôi ở xã Hòa Thành, tỉnh Hà Tĩnh, vay hộ nghèo",
    "nhà em ở Ba Vì, Hà Nội, vay được không",
    "em ở phường Cầu Giấy, huyện Anh Sơn cũ",
    "bà con Cao Bằng vay được không",
    "quê em Thái Bình, vay sinh viên",
    "ở thôn Phấn Động, xã Cao Phong",
    "Hồ Chí Minh có phòng giao dịch không",
    "em ở Hà Giang, giờ là Tuyên Quang",
]


def _gone(piece: str, text: str) -> bool:
    """``piece`` does not stand in ``text`` as whole words (case-insensitive)."""
    padded = f" {' '.join(text.lower().replace(',', ' ').split())} "
    return f" {piece.lower()} " not in padded and (
        not any(ch.isdigit() for ch in piece) or piece.lower() not in text.lower()
    )


@pytest.mark.parametrize(("message", "pieces"), PLANTED, ids=[m for m, _ in PLANTED])
def test_planted_identity_is_masked(message: str, pieces: tuple[str, ...]):
    masked = mask(message)
    for piece in pieces:
        assert _gone(piece, masked), (piece, masked)
    assert masked != message


@pytest.mark.parametrize("message", SURVIVE)
def test_what_an_editor_needs_survives(message: str):
    assert mask(message) == message


async def send_planted(chat: Chat, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each planted message, answered ``none`` (the matcher is fixed: this is about what is
    kept, not what is understood), so each is kept; a day passes every ``MAX_PER_DAY``
    messages, the most one person fills in a day."""
    monkeypatch.setattr(chat.deps.content.matcher, "match", lambda text: Match("none", 0.0, []))
    await chat.onboard()
    for index, (message, _) in enumerate(PLANTED):
        await chat.send(f"{message}. {OUT_OF_SCOPE}")
        if (index + 1) % kept_questions.MAX_PER_DAY == 0:
            clock.advance(days=1, minutes=1)


def assert_masked_lines(texts: list[str]) -> None:
    """Every planted message is among ``texts``, and none holds its planted pieces."""
    found = 0
    for message, pieces in PLANTED:
        holding = [t for t in texts if t.startswith(mask(message) + ". ")]
        assert holding, (message, texts)
        for text in holding:
            for piece in pieces:
                assert _gone(piece, text), (piece, text)
        found += 1
    assert found == len(PLANTED) == len(texts)


async def test_nothing_planted_is_stored_nor_exported(
    chat: Chat, deps: Deps, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    await send_planted(chat, clock, monkeypatch)
    async with transaction(deps.sessions) as session:
        rows = list((await session.exec(select(KeptQuestion))).all())
        tsv = await kept_questions.export(session, None, TZ)
    assert_masked_lines([row.text for row in rows])
    assert_masked_lines([line.split("\t")[0] for line in tsv.splitlines()[1:]])
