"""Provinces and communes after the 1 July 2025 reform (34 provinces, 3,321 communes).

The data is the `vietnam-provinces` package's 2-tier set, keyed by the official 5-digit
commune code (e.g. 21220 = Xã Sơn Tịnh, Quảng Ngãi).

Besides the code lookups, this module is the commune directory search: :func:`find_communes`
turns what a citizen types ("son tinh quang ngai", "P. Hoàn Kiếm, HN", "21220") into a short,
ranked list of :class:`Commune` to pick from.

Ranking (:func:`find_communes`):

1. A query is read in several ways ("interpretations"): as a bare commune name, and with each
   province name/abbreviation found in it taken as a hint (the rest being the commune name);
   a leading type word ("xã", "p.", "đặc khu", the old "thị trấn"/"tt") is dropped, and so is a
   "tỉnh"/"tp" just before the province.
2. Each interpretation is matched against the commune names, diacritics and spaces ignored:
   exact matches first, then prefix matches; typo matches (1 edit for short names, 2 for long
   ones) only when nothing matched exactly or by prefix.
3. The interpretation with the best first tier wins; on a tie, one with a province hint beats
   one without, and one that drops fewer words beats one that drops more.
4. Inside a tier: the spelling with the user's diacritics, then the type the user named
   ("phường" vs "xã"), then the closest (typo distance, shorter name), then province and code.
   A name that exists in several provinces returns all of them, so the user can pick.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from content.normalize import basic_tokens, fold, strip_diacritics

__all__ = [
    "COMMUNE_COUNT",
    "DATA_PACKAGE_VERSION",
    "PROVINCE_COUNT",
    "Commune",
    "commune",
    "communes_of_province",
    "find_communes",
    "names_exactly",
    "place_names",
    "province_name",
    "province_of",
    "provinces",
]

DATA_PACKAGE_VERSION = "2025.10.1"
"""The `vietnam-provinces` release the directory was built and tested against."""
PROVINCE_COUNT = 34
COMMUNE_COUNT = 3321

# Type words, as folded token sequences, mapped to the division type they name (None: the
# pre-reform "thị trấn", which no longer exists and only gets ignored).
_COMMUNE_TYPE_WORDS: dict[tuple[str, ...], str | None] = {
    ("xa",): "XA",
    ("x",): "XA",
    ("phuong",): "PHUONG",
    ("p",): "PHUONG",
    ("ph",): "PHUONG",
    ("f",): "PHUONG",  # "F.1" is common in Hồ Chí Minh City
    ("dac", "khu"): "DAC_KHU",
    ("dk",): "DAC_KHU",
    ("thi", "tran"): None,
    ("tt",): None,
}
_PROVINCE_TYPE_WORDS: tuple[tuple[str, ...], ...] = (
    ("tinh",),
    ("t",),
    ("tp",),
    ("thanh", "pho"),
    ("thanhpho",),
)
# Abbreviations and old names (provinces merged on 1 July 2025) pointing to a current province.
_PROVINCE_ALIASES: dict[int, tuple[str, ...]] = {
    1: ("hn", "hanoi"),
    8: ("ha giang",),
    15: ("yen bai",),
    19: ("bac kan", "bac can"),
    25: ("vinh phuc", "hoa binh"),
    24: ("bac giang",),
    33: ("thai binh",),
    31: ("hp", "hai duong"),
    37: ("ha nam", "nam dinh"),
    44: ("quang binh",),
    46: ("thua thien hue", "tt hue"),
    48: ("quang nam",),
    51: ("kon tum", "kontum"),
    52: ("binh dinh",),
    56: ("ninh thuan",),
    66: ("dak lak", "dac lac", "daklak", "phu yen"),
    68: ("dak nong", "dac nong", "binh thuan"),
    75: ("binh phuoc",),
    79: ("hcm", "tphcm", "hcmc", "sai gon", "sg", "binh duong", "ba ria vung tau", "vung tau"),
    80: ("long an",),
    82: ("tien giang",),
    86: ("ben tre", "tra vinh"),
    91: ("kien giang",),
    92: ("soc trang", "hau giang"),
    96: ("bac lieu",),
}
_MAX_HINT_TOKENS = 4
_LEADING_TYPE = re.compile(r"^(Xã|Phường|Đặc khu)\s+")
_CODE = re.compile(r"\d{1,5}")
_EXACT, _PREFIX, _TYPO = 0, 1, 2


@dataclass(frozen=True)
class Commune:
    """A commune-level unit (xã, phường or đặc khu) after the 2025 reform."""

    code: str  # official 5-digit code, zero-padded ("00070")
    name: str  # with its type: "Xã Sơn Tịnh"
    short_name: str  # without it: "Sơn Tịnh"
    province_code: int
    province_name: str
    division_type: str = ""  # "XA", "PHUONG" or "DAC_KHU"


class _Index(NamedTuple):
    communes: tuple[Commune, ...]
    by_code: dict[str, Commune]
    by_province: dict[int, tuple[Commune, ...]]
    exact: dict[str, tuple[int, ...]]  # folded, spaceless key -> commune positions
    prefix_keys: list[str]  # sorted keys, for prefix search with bisect
    prefix_ids: list[int]  # prefix_keys[i] belongs to communes[prefix_ids[i]]
    deletions: dict[str, tuple[int, ...]]  # key minus up to 2 letters -> commune positions
    keys: tuple[tuple[str, ...], ...]  # every key of each commune (name, then aliases)
    accented: tuple[str, ...]  # lowercase short name with diacritics, for tie-breaking
    province_aliases: dict[str, int]  # folded, spaceless province name/alias -> code


# --- code lookups ---------------------------------------------------------------------------


def province_of(commune_code: str | None) -> int | None:
    """The province code of a commune code, or None when the code is unknown."""
    if not commune_code or not commune_code.isdigit():
        return None
    try:
        return int(Ward.from_code(WardCode(int(commune_code))).province_code)
    except (KeyError, ValueError):
        return None


def province_name(code: int) -> str | None:
    """The province's official name ("Quảng Ngãi", "Thành phố Hà Nội"), or None if unknown."""
    try:
        return Province.from_code(ProvinceCode(code)).name
    except (KeyError, ValueError):
        return None


def commune(code: str) -> Commune | None:
    """The commune with this official code ("21220"; "70" is read as "00070"), or None."""
    code = code.strip() if code else ""
    if not _CODE.fullmatch(code):
        return None
    return _index().by_code.get(code.zfill(5))


def communes_of_province(code: int) -> list[Commune]:
    """Every commune of a province, by code; [] for an unknown province."""
    return list(_index().by_province.get(code, ()))


def provinces() -> list[tuple[int, str]]:
    """(code, official name) of the 34 provinces, by code."""
    return sorted((int(p.code), p.name) for p in Province.iter_all())


@cache
def place_names() -> frozenset[tuple[str, ...]]:
    """Folded words of every commune name (without "Xã"/"Phường"), province name (without
    "Thành phố") and former province name (merged in 2025, still written): ("cao", "bang"),
    ("ba", "vi"), ("ha", "giang"). For telling a place from a person's name."""
    names = {_folded_words(c.short_name) for c in _index().communes}
    for _, name in provinces():
        names.add(_folded_words(re.sub(r"^Thành phố\s+", "", name)))
    for aliases in _PROVINCE_ALIASES.values():
        names.update(tuple(alias.split()) for alias in aliases if " " in alias)
    return frozenset(name for name in names if name)


def _folded_words(name: str) -> tuple[str, ...]:
    return tuple(fold(token) for token in basic_tokens(name))


# --- search ---------------------------------------------------------------------------------


class _Reading(NamedTuple):
    """One interpretation of a query: which words name the commune, and the hints around it."""

    name: tuple[tuple[str, str], ...]  # (accented, folded) tokens of the commune name
    province: int | None
    division_type: str | None
    dropped: int  # type words dropped to get here


class _Hit(NamedTuple):
    tier: int
    rank: tuple[int | str, ...]
    position: int


def find_communes(query: str, limit: int = 8) -> list[Commune]:
    """Communes matching what a citizen typed, best first (see the module docstring)."""
    if limit <= 0 or not query or not query.strip():
        return []
    if _CODE.fullmatch(query.strip()) and len(query.strip()) == 5:
        found = commune(query.strip())
        return [found] if found else []
    index = _index()
    tokens = [(t, strip_diacritics(t)) for t in basic_tokens(query)]
    # "Quảng Ngãi", "tỉnh Phú Thọ": only communes named so (exact or prefix), never a typo guess
    province_only = _only_a_province(tokens, index.province_aliases)
    readings = _readings(tokens, {} if province_only else index.province_aliases)
    best: tuple[tuple[int, int, int], list[_Hit]] | None = None
    for reading in readings:
        hits = _match(reading, index, typos=not province_only)
        if not hits:
            continue
        key = (hits[0].tier, 0 if reading.province else 1, reading.dropped)
        if best is None or key < best[0]:
            best = (key, hits)
        elif key == best[0]:
            best = (key, sorted({*best[1], *hits}))
    if best is None:
        return []
    return _unique(index.communes[hit.position] for hit in best[1])[:limit]


# Type words before a commune's name and before a province's, as folded text.
_COMMUNE_TYPES = ("xa ", "x ", "phuong ", "p ", "dac khu ", "thi tran ", "tt ")
_PROVINCE_TYPES = ("tinh ", "tp ", "thanh pho ")


def names_exactly(query: str, found: Commune) -> bool:
    """The query is the commune's whole name or code, maybe with its type and province:
    "son tinh", "Xã Sơn Tịnh, Quảng Ngãi", "21220". A shorter or misspelt name is not."""
    typed = fold(query)
    if typed == found.code:
        return True
    for prefix in _COMMUNE_TYPES:
        typed = typed.removeprefix(prefix)
    name = fold(found.short_name)
    if typed == name:
        return True
    rest = typed.removeprefix(name + " ") if typed.startswith(name + " ") else None
    if rest is None:
        return False
    for prefix in _PROVINCE_TYPES:
        rest = rest.removeprefix(prefix)
    return rest == fold(found.province_name).removeprefix("thanh pho ")


def _only_a_province(tokens: list[tuple[str, str]], aliases: dict[str, int]) -> bool:
    """True for "Quảng Ngãi" or "tỉnh Quảng Ngãi": no commune name to look for typos of."""
    folded = _folded(tokens)
    for words in _PROVINCE_TYPE_WORDS:
        if len(folded) > len(words) and folded[: len(words)] == words:
            folded = folded[len(words) :]
            break
    return "".join(folded) in aliases


def _unique(communes: Iterable[Commune]) -> list[Commune]:
    seen: set[str] = set()
    out: list[Commune] = []
    for c in communes:
        if c.code not in seen:
            seen.add(c.code)
            out.append(c)
    return out


def _readings(tokens: list[tuple[str, str]], aliases: dict[str, int]) -> Iterator[_Reading]:
    """Every way to read ``tokens`` as [commune type] name, with a province hint or not."""
    yield from _without_type_word(tokens, None, 0)
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + _MAX_HINT_TOKENS, len(tokens)) + 1):
            province = aliases.get("".join(f for _, f in tokens[start:end]))
            if province is None:
                continue
            before, after = tokens[:start], tokens[end:]
            yield from _without_type_word(before + after, province, 0)
            for words in _PROVINCE_TYPE_WORDS:
                if _folded(before[-len(words) :]) == words:
                    yield from _without_type_word(before[: -len(words)] + after, province, 1)


def _without_type_word(
    tokens: list[tuple[str, str]], province: int | None, dropped: int
) -> Iterator[_Reading]:
    """The name as typed, and without a leading commune type word if it has one."""
    if tokens:
        yield _Reading(tuple(tokens), province, None, dropped)
    for words, division_type in _COMMUNE_TYPE_WORDS.items():
        if len(tokens) > len(words) and _folded(tokens[: len(words)]) == words:
            yield _Reading(tuple(tokens[len(words) :]), province, division_type, dropped + 1)


def _folded(tokens: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(f for _, f in tokens)


def _match(reading: _Reading, index: _Index, *, typos: bool = True) -> list[_Hit]:
    """Hits for one reading: exact, then prefix; typos only when neither found anything."""
    key = "".join(f for _, f in reading.name)
    if len(key) < 2:
        return []
    accented = " ".join(a for a, _ in reading.name)
    exact = set(index.exact.get(key, ()))
    prefix = _prefix_positions(key, index) - exact
    tiers = [(_EXACT, exact), (_PREFIX, prefix)]
    if not exact and not prefix and typos:
        tiers = [(_TYPO, _typo_positions(key, index))]
    hits: list[_Hit] = []
    for tier, positions in tiers:
        for pos in positions:
            c = index.communes[pos]
            if reading.province is not None and c.province_code != reading.province:
                continue
            rank = (
                0 if index.accented[pos] == accented else 1,
                0 if reading.division_type in (None, c.division_type) else 1,
                _distance(key, index.keys[pos]) if tier == _TYPO else 0,
                abs(len(index.keys[pos][0]) - len(key)),
                c.province_code,
                c.short_name,
                c.code,
            )
            hits.append(_Hit(tier, rank, pos))
    return sorted(hits)


def _prefix_positions(key: str, index: _Index) -> set[int]:
    start = bisect.bisect_left(index.prefix_keys, key)
    found: set[int] = set()
    for i in range(start, len(index.prefix_keys)):
        if not index.prefix_keys[i].startswith(key):
            break
        found.add(index.prefix_ids[i])
    return found


def _typo_positions(key: str, index: _Index) -> set[int]:
    """Communes whose name is within the allowed edit distance of ``key``."""
    allowed = _allowed_edits(key)
    if not allowed:
        return set()
    candidates: set[int] = set()
    for variant in _deletions(key, allowed):
        candidates.update(index.deletions.get(variant, ()))
    return {pos for pos in candidates if _distance(key, index.keys[pos]) <= allowed}


def _allowed_edits(key: str) -> int:
    """No typo tolerance under 4 letters, 1 edit up to 7, 2 beyond."""
    if len(key) < 4:
        return 0
    return 1 if len(key) <= 7 else 2


def _distance(key: str, keys: tuple[str, ...]) -> int:
    return min(_osa(key, k) for k in keys)


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _deletions(key: str, depth: int) -> set[str]:
    """``key`` and every string made by deleting up to ``depth`` letters from it."""
    found = {key}
    frontier = {key}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


# --- index ----------------------------------------------------------------------------------


def _fold_key(text: str) -> str:
    """'Văn Miếu - Quốc Tử Giám' -> 'vanmieuquoctugiam'; "M’Drắk" -> 'mdrak'."""
    return "".join(strip_diacritics(t) for t in basic_tokens(text))


def _commune_from_ward(ward: Ward, province_names: dict[int, str]) -> Commune:
    name = " ".join(ward.name.split())  # the data has a few double spaces ("Xã  Phú Hữu")
    province = int(ward.province_code)
    return Commune(
        code=f"{int(ward.code):05d}",
        name=name,
        short_name=_LEADING_TYPE.sub("", name),
        province_code=province,
        province_name=province_names[province],
        division_type=ward.division_type.name,
    )


def _commune_keys(c: Commune) -> tuple[str, ...]:
    """The name's key, then each part of a hyphenated name ("Xuân Hương - Đà Lạt")."""
    keys = [_fold_key(c.short_name)]
    parts = re.split(r"\s+[-–]\s+", c.short_name)
    if len(parts) > 1:
        keys.extend(k for k in map(_fold_key, parts) if k and k not in keys)
    return tuple(keys)


def _province_aliases() -> dict[str, int]:
    aliases: dict[str, int] = {}
    for code, name in provinces():
        aliases[_fold_key(name.removeprefix("Thành phố "))] = code
        for alias in _PROVINCE_ALIASES.get(code, ()):
            aliases[_fold_key(alias)] = code
    return aliases


def _build_index() -> _Index:
    """Read the package's data and build every lookup table (about 0.2 s)."""
    province_names = dict(provinces())
    communes = tuple(
        sorted(
            (_commune_from_ward(w, province_names) for w in Ward.iter_all()),
            key=lambda c: c.code,
        )
    )
    keys = tuple(_commune_keys(c) for c in communes)
    exact: dict[str, list[int]] = {}
    deletions: dict[str, list[int]] = {}
    prefix: list[tuple[str, int]] = []
    by_province: dict[int, list[Commune]] = {}
    for pos, (c, own_keys) in enumerate(zip(communes, keys, strict=True)):
        by_province.setdefault(c.province_code, []).append(c)
        for key in own_keys:
            exact.setdefault(key, []).append(pos)
            prefix.append((key, pos))
            for variant in _deletions(key, 2):
                deletions.setdefault(variant, []).append(pos)
    prefix.sort()
    return _Index(
        communes=communes,
        by_code={c.code: c for c in communes},
        by_province={p: tuple(cs) for p, cs in by_province.items()},
        exact={k: tuple(v) for k, v in exact.items()},
        prefix_keys=[k for k, _ in prefix],
        prefix_ids=[pos for _, pos in prefix],
        deletions={k: tuple(dict.fromkeys(v)) for k, v in deletions.items()},
        keys=keys,
        accented=tuple(" ".join(basic_tokens(c.short_name)) for c in communes),
        province_aliases=_province_aliases(),
    )


@cache
def _index() -> _Index:
    """The search index, built on first use."""
    return _build_index()
