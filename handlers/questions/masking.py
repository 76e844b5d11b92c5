"""What is masked in a citizen's message before the bot keeps it (kept_questions.py).

Masked, in this order: links, with or without "https://" (only the host is kept: a path or
query string can carry an id or a profile name), e-mail addresses, licence plates, dates of
birth, house and alley numbers ("số 12 ngõ 5"), every run of 7 or more digits (phone numbers,
CMND 9 and CCCD 12 digits, bank accounts; digits split by spaces, dots or dashes count as
one run) unless it is an amount of money followed by its unit, social-network handles
("@an99", "zalo: an.nguyen"), and people's names:

* the words after "tên (là)", whatever their case;
* capitalised words (and initials: "bà K.", "N.V. Hải") after "tôi là", "em là", a form of
  address ("anh", "chị", "ông", "bà", "cô", "chú", "thằng"...) or a role ("tổ trưởng",
  "cán bộ", "trưởng thôn", "chủ tịch"...);
* capitalised runs that begin with a family name ("Nguyễn Văn An", "Lò Văn Páo"), and in
  lower case a family name with a middle name ("nguyen thi hoa");
* a common given name typed in lower case right after a form of address or a role ("anh
  tuấn", "anh tuan", "tổ trưởng lan"), from a list of names that are no common word.

The rule is a list of what introduces a name, not of names to find: a word is masked because
of where it stands, so names nobody listed are masked too. Places are told from people the
same way, and by the commune directory (``content.places.place_names``):

* capitalised words that make a commune, province or former province name ("Cao Bằng",
  "Ba Vì", "Cầu Giấy", "Hồ Chí Minh") are a place, even when they begin with a family name
  or a form of address ("Ba", "Cầu", "Anh"), except a form of address that opens a sentence
  ("Anh Sơn cho tôi vay": the person, though Anh Sơn is also a commune);
* capitalised words after a place word ("xã", "thôn", "tỉnh", "huyện", "quê"...) are a
  place ("thôn Phấn Động", "quê em Thái Bình"), unless they begin with a family name and
  make no known place name ("xã Lê Văn Tám", "xã Nguyễn Bình": the chairman) or have a
  person's middle name;
* "bà con" (the villagers) introduces no one. Amounts ("50 triệu", "3%/tháng"),
programs ("hộ nghèo") and the bank ("Ngân hàng Chính sách") stand nowhere a name stands.
Too much masked costs an editor a word; too little would keep a person's identity, so every
doubt masks.
"""

from __future__ import annotations

import re

from content.normalize import fold
from content.places import place_names

PHONE, ID_NUMBER, NUMBER, NAME, EMAIL = "[SĐT]", "[SỐ GIẤY TỜ]", "[SỐ]", "[TÊN]", "[EMAIL]"
PLATE, BIRTH, HOUSE, HANDLE = "[BIỂN SỐ]", "[NGÀY SINH]", "[SỐ NHÀ]", "[NICK]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A link with "https://" or "www.", or without them a host ending in a common top-level
# domain ("facebook.com/an.nguyen", "zalo.me/0912..."): one pattern, so it is masked once.
_LINK_REST = r"(?:[^\s<>\"']*[^\s<>\"'.,;:!?)])?"  # a sentence's full stop is not the link's
_LINK = re.compile(
    rf"(?i)\b(?:https?://|www\.)([^\s/?#<>\"'.,;:!?)]+(?:\.[^\s/?#<>\"'.,;:!?)]+)*){_LINK_REST}"
    r"|(?<![\w@.])((?:[a-z0-9-]+\.)+(?:com|vn|net|org|me|info|io|app|link|ly|xyz|top|online"
    rf"|site|gl))\b(?:[/?#]{_LINK_REST})?"
)
# Vietnamese plates: "29A-123.45", "51F1-23456", "30E 12345"; the series letters in capitals,
# or any case after "biển số".
_PLATE = re.compile(r"\b\d{2}[A-Z]{1,2}\d?[ .-]?\d{3}\.?\d{2}\b")
_PLATE_CUED = re.compile(
    r"(?i)\b(biển số|bien so|bks|bsx)(\s*(?:xe)?\s*:?\s*)\d{2}[a-z]{1,2}\d?[ .-]?\d{3}\.?\d{2}\b"
)
# A date of birth after its cue: "sinh ngày 12/03/1990", "năm sinh 1985", "SN: 1990".
_BIRTH = re.compile(
    r"(?i)\b(ngày sinh|ngay sinh|sinh ngày|sinh ngay|năm sinh|nam sinh|sinh năm|sinh nam|sinh"
    r"|sn|dob|born|birthday)(\s*(?:là|la|:)?\s*)"
    r"(\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}|\d{1,2}\s*[/.-]\s*\d{4}|(?:19|20)\d{2})\b"
)
# House and alley numbers: "số nhà 34", "số 12 ngõ 5", "ngách 3/45", "hẻm 12/3".
_HOUSE_NUMBER = r"\d+[a-zA-Z]?(?:/\d+[a-zA-Z]?)*"
_HOUSE = re.compile(
    rf"(?i)\b(số nhà|so nha|nhà số|nha so|ngõ|ngo|ngách|ngach|hẻm|hem|kiệt|kiet|hxh)(\s*)"
    rf"{_HOUSE_NUMBER}\b"
)
_HOUSE_BEFORE_STREET = re.compile(
    rf"(?i)\b(số|so)(\s*){_HOUSE_NUMBER}(?=\s*,?\s*(?:ngõ|ngo|ngách|ngach|hẻm|hem|kiệt|kiet"
    r"|đường|duong|phố|pho|tổ|khu|xóm|xom)\b)"
)
# Social-network handles: "@an_nguyen99", "zalo: an.nguyen", "fb nguyenvanan99" (a word after
# the network's name is taken when a colon follows the name or the word has a digit, "_" or
# ".": "nhắn zalo cho tôi" keeps its words).
_AT_HANDLE = re.compile(r"(?<![\w.@\[])@[A-Za-z0-9_.]{2,}")
_NETWORKS = (
    r"fb|facebook|face|zalo|zl|tiktok|telegram|tele|insta|instagram|ig|nick|nickname|mess|messenger"
)
_CUED_HANDLE = re.compile(rf"(?i)\b({_NETWORKS})(\s*[:=]\s*)(?!\[)[^\s,;]+")
_SHAPED_HANDLE = re.compile(rf"(?i)\b({_NETWORKS})(\s+)(?!\[)(?=[^\s,;]*[\d_.])[^\s,;]+")
# Digits with single separators between them: "0912 345 678", "+84.912.345.678".
_DIGITS = re.compile(r"\+?\d(?:[ .\-]?\d)*")
# A sum of money keeps its figure: "50.000.000 đồng", "5000000đ" (never a leading 0).
_MONEY_UNIT = re.compile(r"\s?(?:đồng|dong|vnđ|vnd|đ|d|k|nghìn|nghin|ngàn|ngan)\b", re.I)
MIN_DIGITS = 7


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Forms of address before a name, folded ("ba" is also "bà"): a capitalised word after one
# of these is taken for a name.
_ADDRESS = _words(
    "anh chi ong ba co chu bac cau di em chau con thim mo duong ban cu me bo mr mrs ms"
)
# Followed by a name whatever its case ("ten la nguyen van an"); longest first.
_NAME_CUES = (
    "ho va ten", "ho ten", "ten toi la", "ten em la", "ten minh la", "ten chau la", "ten toi",
    "ten em", "toi ten la", "em ten la", "minh ten la", "toi ten", "em ten", "minh ten",
    "ten la", "ten", "my name is",
)  # fmt: skip
# Followed by a name only when it is capitalised ("tôi là hộ nghèo" is no name).
_IS_CUES = ("toi la", "em la", "minh la", "chau la", "con la", "i am")
# Roles before a name (folded): "tổ trưởng Lan", "cán bộ Hùng"; longest first.
_ROLE_CUES = tuple(
    tuple(cue.split())
    for cue in (
        "pho chu tich", "chi hoi truong", "to truong", "to pho", "truong thon", "truong ap",
        "truong ban", "truong xom", "truong ban", "bi thu", "chu tich", "can bo", "nhan vien",
        "giao vien", "co giao", "thay giao", "giam doc", "ke toan", "cong an", "hoi truong",
        "thay", "thang", "mu",
    )
)  # fmt: skip
# Common family names (folded): two or more capitalised words starting with one are a name.
_SURNAMES = _words(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh "
    "trinh truong mai lam luong ha cao quach thai ta chu kieu lo giang sung vang thao trieu "
    "hua nong luc lau mua tong doan khuat dam tang"
)
# In lower case, only these family names and middle names begin a name, as a pair that is
# no common phrase ("nguyen thi hoa"); "họ vẫn chưa trả" (they still have not paid), "phần
# thì", "trình báo", "vợ thì" are not names.
_PLAIN_SURNAMES = _words("nguyen tran pham hoang huynh bui quach")
_PLAIN_MIDDLE = _words("van thi duc huu quoc xuan ngoc")
# Forms of address and roles, with their diacritics, after which a given name of
# ``_GIVEN_NAMES`` is masked in lower case too ("anh tuấn", "tổ trưởng lan").
_ADDRESS_ACCENTED = _words("anh chị ông bà cô chú bác cậu dì thím mợ thằng")
# Typed without diacritics, only these are surely forms of address ("chi" is also "chỉ",
# "co" "có", "ba" "ba"/three): after them a plain given name is masked.
_ADDRESS_PLAIN = frozenset(("anh", "ong"))
# Common given names, lower case with diacritics, that are no common word even so ("thu"
# is also "thu tiền", "toàn" "toàn bộ", "tâm" "tâm sự", "đạt" "đạt được": left out).
_GIVEN_NAMES = _words(
    """tuấn hùng dũng cường hiếu huy khánh long nghĩa phong quân quang sơn thắng tùng vinh
    đức hưng hiền hạnh hằng hương huyền liên linh loan nga ngọc nhung oanh phượng quyên
    quỳnh thảo thủy thúy trang tuyết vân yến minh hải phúc lộc lan hoa tiến hoàng việt tú
    thịnh"""
)
# The same typed without diacritics, but for those that are then common words ("dung" is
# "dùng", "tung" "từng", "lan" "lần", "thu" "thu tiền", "hai" two, "tien" "tiền").
_GIVEN_PLAIN = _words(
    """tuan cuong khanh phong quang son trung vinh duc hung hanh linh loan nga ngoc oanh
    phuong quynh thao thuy trang tuyet yen huy long hoa minh viet"""
)
# Words that end a name written without capitals (folded). Only words that are no given
# name once the diacritics are gone: "thi" (Thị), "minh", "nam", "hang" (Hằng) go on.
_NOT_NAME = _words(
    "la o nha sinh muon xin hoi vay von tuoi nay thuoc va da cho can co toi em oi a nhe voi "
    "bi duoc khong gi sao nao ngheo sdt so dt and i from"
)
# In a message typed in capitals: the common words that end a name after a form of address
# (again none that is a name without its diacritics: "tien" is Tiến, "hang" Hằng).
_COMMON = _NOT_NAME | _words("hoi vay ngheo lai no sach thon app online the")
# Capitalised words that are places or institutions, not people (folded), where a name was
# capitalised: "anh Xã" is no one.
_NOT_NAME_CAPS = _words("xa thon ubnd nhcsxh vbsp nhnn to hoi phong diem huyen tinh ap")
MAX_NAME_WORDS = 4
# Words after which capitalised words name a place (folded; "bản" only with its diacritics,
# folded it is also "bạn", a friend); longest first.
_PLACE_WORDS = tuple(
    tuple(word.split())
    for word in (
        "thanh pho", "thi xa", "thi tran", "dac khu", "khu pho", "to dan pho", "xa", "phuong",
        "thon", "xom", "ap", "lang", "buon", "soc", "huyen", "quan", "tinh", "tp",
        "que toi", "que em", "que minh", "que chau", "que con", "que",
    )
)  # fmt: skip
# The family names of ``_SURNAMES`` with their diacritics: "Phấn" folds to "phan" but is none.
_SURNAMES_ACCENTED = _words(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trịnh "
    "trương mai lâm lương hà cao quách thái tạ chu kiều lò giang sùng vàng thào triệu hứa "
    "nông lục lầu mùa tống đoàn khuất đàm tăng giàng"
)
# A person's middle name in second place: "xã Lê Văn Tám" names the chairman, not the commune.
_MIDDLE_NAMES = _words("van thi")
_SENTENCE_ENDS = frozenset(".!?:;\n")

_TOKEN = re.compile(r"[^\W\d_]+|\[[^\]]*\]|\S")


def mask(text: str) -> str:
    """``text`` with links, e-mails, plates, dates of birth, house numbers, long numbers,
    handles and people's names masked."""
    text = _LINK.sub(lambda m: f"[LINK {m.group(1) or m.group(2)}]", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _PLATE_CUED.sub(lambda m: m.group(1) + m.group(2) + PLATE, text)
    text = _PLATE.sub(PLATE, text)
    text = _BIRTH.sub(lambda m: m.group(1) + m.group(2) + BIRTH, text)
    text = _HOUSE.sub(lambda m: m.group(1) + m.group(2) + HOUSE, text)
    text = _HOUSE_BEFORE_STREET.sub(lambda m: m.group(1) + m.group(2) + HOUSE, text)
    text = _DIGITS.sub(_mask_digits, text)
    text = _AT_HANDLE.sub(HANDLE, text)
    text = _CUED_HANDLE.sub(lambda m: m.group(1) + m.group(2) + HANDLE, text)
    text = _SHAPED_HANDLE.sub(lambda m: m.group(1) + m.group(2) + HANDLE, text)
    return _mask_names(text)


def _mask_digits(found: re.Match[str]) -> str:
    run = found.group(0)
    digits = re.sub(r"\D", "", run)
    if len(digits) < MIN_DIGITS:
        return run
    after = found.string[found.end() :]
    if not digits.startswith("0") and not run.startswith("+") and _MONEY_UNIT.match(after):
        return run
    if (digits.startswith("0") and len(digits) in (10, 11)) or (
        digits.startswith("84") and len(digits) in (11, 12)
    ):
        return PHONE
    if len(digits) in (9, 12):
        return ID_NUMBER
    return NUMBER


def _mask_names(text: str) -> str:
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    folded = [fold(word) for _, _, word in tokens]
    # In a message typed in capitals, capitals say nothing: a name is then any word after
    # a cue that is not a common word.
    shouting = _shouting(text)
    masked: set[int] = set()
    i = 0
    while i < len(tokens):
        if folded[i : i + 2] == ["ba", "con"]:
            i += 2  # "bà con": the villagers
            continue
        place = _place_at(text, tokens, folded, i)
        if place:
            i += place
            continue
        cue = _cue_at(tokens, folded, i)
        if cue is not None:
            length, any_case = cue
            start = i + length
            stop = _NOT_NAME if any_case else _COMMON if shouting else None
            taken = _name_run(tokens, folded, start, stop)
            if not taken and not shouting:
                taken = _lower_name_run(tokens, folded, i, start)
            masked.update(range(start, start + taken))
            i = start + taken if taken else i + 1
            continue
        if _family_and_middle(tokens, folded, i):
            taken = _name_run(tokens, folded, i, _NOT_NAME)
            masked.update(range(i, i + taken))
            i += max(taken, 1)
            continue
        if folded[i] in _SURNAMES and _capitalised(tokens[i][2]):
            taken = _name_run(tokens, folded, i, _COMMON if shouting else None)
            if taken >= 2:
                masked.update(range(i, i + taken))
                i += taken
                continue
        i += 1
    if not masked:
        return text
    out: list[str] = []
    last, previous = 0, -2
    for index in sorted(masked):
        begin, end, _ = tokens[index]
        if index == previous + 1 and out and out[-1] == NAME:
            last = end  # one mark for the whole name
        else:
            out.extend([text[last:begin], NAME])
            last = end
        previous = index
    out.append(text[last:])
    return "".join(out)


def _place_at(text: str, tokens: list[tuple[int, int, str]], folded: list[str], i: int) -> int:
    """How many words from ``i`` name a place (0: none): a place word and the capitalised
    words after it, or capitalised words that make a known place name."""
    for words in _PLACE_WORDS:
        size = len(words)
        if tuple(folded[i : i + size]) != words:
            continue
        if words == ("ban",) and tokens[i][2].lower() != "bản":
            continue
        start = i + size
        run = _capitalised_run(tokens, folded, start)
        if not run or (run >= 2 and folded[start + 1] in _MIDDLE_NAMES):
            return 0
        if _family_name(tokens[start][2]) and tuple(folded[start : start + run]) not in (
            place_names()
        ):
            return 0
        return size + run
    run = _capitalised_run(tokens, folded, i)
    if run < 2 or (folded[i] in _ADDRESS and _opens_sentence(text, tokens, i)):
        return 0
    names = place_names()
    return next((size for size in range(run, 1, -1) if tuple(folded[i : i + size]) in names), 0)


def _family_name(word: str) -> bool:
    lower = word.lower()
    return lower in _SURNAMES_ACCENTED or (fold(lower) == lower and lower in _SURNAMES)


def _capitalised_run(tokens: list[tuple[int, int, str]], folded: list[str], start: int) -> int:
    """How many capitalised words (at most ``MAX_NAME_WORDS``) follow from ``start``."""
    size = 0
    while (
        start + size < len(tokens)
        and size < MAX_NAME_WORDS
        and tokens[start + size][2][:1].isalpha()
        and _capitalised(tokens[start + size][2])
    ):
        size += 1
    return size


def _opens_sentence(text: str, tokens: list[tuple[int, int, str]], i: int) -> bool:
    """Word ``i`` is the first of the text or of a sentence."""
    before = text[: tokens[i][0]].rstrip(" \t")
    return not before or before[-1] in _SENTENCE_ENDS


def _family_and_middle(tokens: list[tuple[int, int, str]], folded: list[str], i: int) -> bool:
    """A family name, a middle name and one more word begin at word ``i``, in lower case
    ("nguyen thi hoa"; capitalised ones are found by the family-name rule)."""
    if i + 2 >= len(tokens) or not tokens[i + 2][2][:1].isalpha():
        return False
    if folded[i + 2] in _NOT_NAME:
        return False  # "... văn là"
    return folded[i] in _PLAIN_SURNAMES and folded[i + 1] in _PLAIN_MIDDLE


def _lower_name_run(
    tokens: list[tuple[int, int, str]], folded: list[str], cue_at: int, start: int
) -> int:
    """1 when word ``start``, after the form of address or role at ``cue_at``, is a common
    given name typed in lower case ("anh tuấn", "anh tuan"); else 0."""
    if start >= len(tokens):
        return 0
    word = tokens[start][2]
    cue = tokens[start - 1][2].lower()
    plain = fold(word) == word.lower()
    if plain and fold(cue) == cue:  # all typed without diacritics
        roles = {" ".join(role) for role in _ROLE_CUES if len(role) > 1}
        said = " ".join(folded[cue_at:start])
        sure = folded[cue_at] in _ADDRESS_PLAIN or said in roles
        return int(sure and folded[start] in _GIVEN_PLAIN)
    accented_cue = cue in _ADDRESS_ACCENTED or start - cue_at > 1  # a role of two words
    return int(accented_cue and word.lower() in _GIVEN_NAMES)


def _cue_at(
    tokens: list[tuple[int, int, str]], folded: list[str], i: int
) -> tuple[int, bool] | None:
    """(words in the cue, name in any case?) when a name cue starts at word ``i``."""
    for cue in _NAME_CUES:
        words = cue.split()
        if folded[i : i + len(words)] == words:
            return len(words), True
    for cue in _IS_CUES:
        words = cue.split()
        if folded[i : i + len(words)] == words:
            return len(words), False
    for role in _ROLE_CUES:
        if tuple(folded[i : i + len(role)]) == role:
            return len(role), False
    if folded[i] in _ADDRESS:
        return 1, False
    return None


def _shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 10 and sum(ch.isupper() for ch in letters) > 0.8 * len(letters)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_run(
    tokens: list[tuple[int, int, str]], folded: list[str], start: int, stop: frozenset[str] | None
) -> int:
    """How many tokens from ``start`` make a name (0: none): capitalised words, or with
    ``stop`` any words up to one of those. An initial's dot goes with it ("N.V. Hải")."""
    taken = words = 0
    index = start
    while index < len(tokens) and words < MAX_NAME_WORDS:
        word = tokens[index][2]
        if word == "." and taken and _initial(tokens[index - 1][2]):
            nxt = tokens[index + 1][2] if index + 1 < len(tokens) else ""
            if nxt[:1].isalpha() and _capitalised(nxt):
                taken, index = taken + 1, index + 1
                continue
            break
        if not word[:1].isalpha():
            break
        if folded[index : index + 2] == ["ngan", "hang"]:
            break  # "Ngân hàng": the bank, though Ngân is a name
        if stop is None and (not _capitalised(word) or folded[index] in _NOT_NAME_CAPS):
            break
        if stop is not None and folded[index] in stop:
            break
        taken, words, index = taken + 1, words + 1, index + 1
    return taken


def _initial(word: str) -> bool:
    return len(word) == 1 and word.isupper()
