"""What is masked in a citizen's message before the bot keeps it (handlers/kept_questions.py).

Masked, in this order: links (only the host is kept: a path or query string can carry an
id), e-mail addresses, every run of 7 or more digits (phone numbers, CMND 9 and CCCD 12
digits, bank accounts; digits split by spaces, dots or dashes count as one run) unless it is
an amount of money followed by its unit, and people's names: the words after "tên (là)",
capitalised words after "tôi là", "em là", a form of address ("anh", "chị", "ông", "bà",
"cô", "chú"...) and capitalised runs that begin with a common family name. Too much masked
costs an editor a word; too little would keep a person's identity, so every doubt masks.
"""

from __future__ import annotations

import re

from content.normalize import fold

PHONE, ID_NUMBER, NUMBER, NAME, EMAIL = "[SĐT]", "[SỐ GIẤY TỜ]", "[SỐ]", "[TÊN]", "[EMAIL]"

_URL = re.compile(r"(?i)\b(?:https?://|www\.)([^\s/?#<>\"']+)[^\s<>\"']*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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
# Common family names (folded): two or more capitalised words starting with one are a name.
_SURNAMES = _words(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh "
    "trinh truong mai lam luong ha cao quach thai ta chu kieu"
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
_NOT_NAME_CAPS = _words("xa thon ubnd nhcsxh vbsp nhnn")
MAX_NAME_WORDS = 4

_TOKEN = re.compile(r"[^\W\d_]+|\[[^\]]*\]|\S")


def mask(text: str) -> str:
    """``text`` with links, e-mails, long numbers and people's names masked."""
    text = _URL.sub(lambda m: f"[LINK {m.group(1)}]", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _DIGITS.sub(_mask_digits, text)
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
        cue = _cue_at(folded, i)
        if cue is not None:
            length, any_case = cue
            start = i + length
            stop = _NOT_NAME if any_case else _COMMON if shouting else None
            taken = _name_run(tokens, folded, start, stop)
            masked.update(range(start, start + taken))
            i = start + max(taken, 0) if taken else i + 1
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
    out, last, previous = [], 0, -2
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


def _cue_at(folded: list[str], i: int) -> tuple[int, bool] | None:
    """(words in the cue, name in any case?) when a name cue starts at word ``i``."""
    for cue in _NAME_CUES:
        words = cue.split()
        if folded[i : i + len(words)] == words:
            return len(words), True
    for cue in _IS_CUES:
        words = cue.split()
        if folded[i : i + len(words)] == words:
            return len(words), False
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
    """How many words from ``start`` make a name (0: none): capitalised words, or with
    ``stop`` any words up to one of those."""
    taken = 0
    for index in range(start, min(start + MAX_NAME_WORDS, len(tokens))):
        word = tokens[index][2]
        if not word[:1].isalpha():
            break
        if stop is None and (not _capitalised(word) or folded[index] in _NOT_NAME_CAPS):
            break
        if stop is not None and folded[index] in stop:
            break
        taken += 1
    return taken
