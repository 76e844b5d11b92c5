"""Commune directory: the 2025 data, code lookups and the search a citizen types into."""

from __future__ import annotations

from collections import Counter, defaultdict
from importlib.metadata import version

import pytest

from content import places
from content.normalize import fold
from content.places import (
    COMMUNE_COUNT,
    DATA_PACKAGE_VERSION,
    PROVINCE_COUNT,
    Commune,
    commune,
    communes_of_province,
    find_communes,
    province_name,
    province_of,
    provinces,
)

SON_TINH = "21220"  # Xã Sơn Tịnh, Quảng Ngãi (51)
HOAN_KIEM = "00070"  # Phường Hoàn Kiếm, Thành phố Hà Nội (1)
BEN_THANH = "26743"  # Phường Bến Thành, Thành phố Hồ Chí Minh (79)
PHU_QUOC = "31078"  # Đặc khu Phú Quốc, An Giang (91)


def codes(query: str, limit: int = 8) -> list[str]:
    return [c.code for c in find_communes(query, limit)]


def all_communes() -> list[Commune]:
    return [c for code, _ in provinces() for c in communes_of_province(code)]


# --- data -----------------------------------------------------------------------------------


def test_package_version_is_the_one_recorded() -> None:
    assert version("vietnam-provinces") == DATA_PACKAGE_VERSION


def test_counts_after_the_2025_reform() -> None:
    assert PROVINCE_COUNT == len(provinces()) == 34
    everything = all_communes()
    assert COMMUNE_COUNT == len(everything) == 3321
    assert len({c.code for c in everything}) == 3321


def test_provinces_are_sorted_with_official_names() -> None:
    listed = provinces()
    assert listed == sorted(listed)
    assert (1, "Thành phố Hà Nội") in listed
    assert (51, "Quảng Ngãi") in listed  # the package has no "Tỉnh" prefix
    assert (79, "Thành phố Hồ Chí Minh") in listed


def test_province_lookups_keep_their_behaviour() -> None:
    assert province_of(HOAN_KIEM) == 1
    assert province_of(SON_TINH) == 51
    assert province_of("99999") is None
    assert province_of("abc") is None
    assert province_of(None) is None
    assert province_name(51) == "Quảng Ngãi"
    assert province_name(3) is None


def test_commune_by_code() -> None:
    son_tinh = commune(SON_TINH)
    assert son_tinh == Commune(
        code="21220",
        name="Xã Sơn Tịnh",
        short_name="Sơn Tịnh",
        province_code=51,
        province_name="Quảng Ngãi",
        division_type="XA",
    )
    assert commune("99999") is None
    assert commune("") is None
    assert commune("abc") is None
    assert commune("123456") is None


def test_codes_are_five_digits_with_leading_zeros() -> None:
    hoan_kiem = commune(HOAN_KIEM)
    assert hoan_kiem is not None
    assert hoan_kiem.code == "00070"
    assert hoan_kiem.name == "Phường Hoàn Kiếm"
    assert commune("70") == hoan_kiem
    assert all(len(c.code) == 5 and c.code.isdigit() for c in all_communes())


def test_names_are_clean_and_short_names_drop_the_type() -> None:
    for c in all_communes():
        assert "  " not in c.name  # the package has a few double spaces
        assert c.name.endswith(c.short_name)
        assert c.name in {f"Xã {c.short_name}", f"Phường {c.short_name}", f"Đặc khu {c.short_name}"}
        assert c.province_name == province_name(c.province_code)


def test_communes_of_province() -> None:
    quang_ngai = communes_of_province(51)
    assert commune(SON_TINH) in quang_ngai
    assert {c.province_code for c in quang_ngai} == {51}
    assert [c.code for c in quang_ngai] == sorted(c.code for c in quang_ngai)
    assert communes_of_province(3) == []


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "son tinh",
        "Sơn Tịnh",
        "SƠN TỊNH",
        "xã Sơn Tịnh",
        "xa son tinh",
        "x. son tinh",
        "X.Sơn Tịnh",
        "thị trấn Sơn Tịnh",
        "tt son tinh",
        "son tinh quang ngai",
        "Sơn Tịnh, Quảng Ngãi",
        "Xã Sơn Tịnh, tỉnh Quảng Ngãi",
        "quang ngai son tinh",
        "son tinh tinh quang ngai",  # "tinh" is both the name's last word and "tỉnh"
        "son tin",
        "sontinh",
        "21220",
    ],
)
def test_son_tinh_the_way_citizens_type_it(query: str) -> None:
    assert codes(query)[0] == SON_TINH


@pytest.mark.parametrize(
    "query",
    [
        "hoan kiem",
        "hoàn kiếm",
        "Hoàn Kiếm",
        "phường hoàn kiếm",
        "phuong hoan kiem",
        "p. hoan kiem",
        "p hoan kiem",
        "P.Hoàn Kiếm",
        "hoan kiem ha noi",
        "Hoàn Kiếm, Hà Nội",
        "hoan kiem hn",
        "hoan kiem tp ha noi",
        "hoan kem",
        "hoan kim ha noi",
        "00070",
    ],
)
def test_hoan_kiem_the_way_citizens_type_it(query: str) -> None:
    assert codes(query)[0] == HOAN_KIEM


@pytest.mark.parametrize(
    "query",
    [
        "ben thanh tp hcm",
        "bến thành hcm",
        "ben thanh tphcm",
        "ben thanh sai gon",
        "p ben thanh tp.hcm",
    ],
)
def test_ho_chi_minh_city_hints(query: str) -> None:
    assert codes(query) == [BEN_THANH]


@pytest.mark.parametrize("query", ["đặc khu Phú Quốc", "dac khu phu quoc", "phu quoc an giang"])
def test_special_zones(query: str) -> None:
    assert codes(query)[0] == PHU_QUOC


@pytest.mark.parametrize("query", ["M’Drắk", "m'drak", "mdrak", "m drak", "Xã M'Drắk Đắk Lắk"])
def test_names_with_an_apostrophe(query: str) -> None:
    assert [c.name for c in find_communes(query)][:1] == ["Xã M’Drắk"]


def test_hyphenated_names_match_by_either_part() -> None:
    assert [c.name for c in find_communes("quoc tu giam")] == ["Phường Văn Miếu - Quốc Tử Giám"]
    da_lat = find_communes("da lat")
    assert len(da_lat) == 5
    assert all(c.name.endswith("- Đà Lạt") for c in da_lat)


def _most_repeated_name() -> tuple[str, list[Commune]]:
    by_name: defaultdict[str, list[Commune]] = defaultdict(list)
    for c in all_communes():
        by_name[fold(c.short_name)].append(c)
    spread = Counter({n: len({c.province_code for c in cs}) for n, cs in by_name.items()})
    name, _ = spread.most_common(1)[0]
    return name, by_name[name]


def test_a_name_in_several_provinces_returns_them_all() -> None:
    name, homonyms = _most_repeated_name()
    assert len({c.province_code for c in homonyms}) >= 5
    found = find_communes(name, limit=50)
    assert {c.code for c in homonyms} <= {c.code for c in found}
    exact = found[: len(homonyms)]  # exact matches come before prefix matches
    assert {c.code for c in exact} == {c.code for c in homonyms}


def test_homonyms_tan_tien() -> None:
    found = find_communes("tan tien", limit=20)
    tan_tien = [c for c in found if c.short_name == "Tân Tiến"]
    assert {c.province_code for c in tan_tien} >= {8, 20, 24, 33, 38, 66, 75, 96}


@pytest.mark.parametrize(
    ("query", "province"),
    [
        ("tan tien dak lak", 66),
        ("Tân Tiến, Đắk Lắk", 66),
        ("xa tan tien tinh ca mau", 96),
        ("tan an tay ninh", 80),
        ("tan an long an", 80),  # Long An merged into Tây Ninh
        ("tan an hcm", None),  # no Tân An in Hồ Chí Minh City: prefix "Tân An Hội"
    ],
)
def test_a_province_hint_narrows_homonyms(query: str, province: int | None) -> None:
    found = find_communes(query, limit=20)
    assert found
    if province is None:
        assert [c.name for c in found] == ["Xã Tân An Hội"]
    else:
        assert {c.province_code for c in found} == {province}


def test_same_folded_name_twice_in_one_province_diacritics_decide() -> None:
    # Quảng Ngãi has both Sơn Hà and Sơn Hạ; Tây Ninh both Tân Thành and Tân Thạnh
    assert [c.name for c in find_communes("Sơn Hạ")][:2] == ["Xã Sơn Hạ", "Xã Sơn Hà"]
    assert [c.name for c in find_communes("Sơn Hà")][:2] == ["Xã Sơn Hà", "Xã Sơn Hạ"]
    both = find_communes("tan thanh tay ninh")
    assert {c.name for c in both} == {"Xã Tân Thành", "Xã Tân Thạnh"}
    assert find_communes("Tân Thạnh Tây Ninh")[0].name == "Xã Tân Thạnh"


def test_the_type_word_breaks_ties_between_xa_and_phuong() -> None:
    wards = find_communes("phuong tan an", limit=20)
    kinds = [c.name.split()[0] for c in wards if c.short_name == "Tân An"]
    assert kinds == sorted(kinds, key=lambda k: k != "Phường")
    assert kinds[0] == "Phường"


def test_exact_before_prefix_before_typo() -> None:
    found = [c.name for c in find_communes("son ha", limit=20)]
    assert found[:2] == ["Xã Sơn Hà", "Xã Sơn Hạ"]
    assert "Xã Sơn Hải" in found[2:]
    # typos are only a fallback: an exact hit is not followed by near misses
    assert [c.short_name for c in find_communes("son tinh")] == ["Sơn Tịnh"]


def test_a_name_that_is_also_a_province_name() -> None:
    # "Phú Thọ" is a province and three communes; the communes are what was asked for
    found = find_communes("phu tho")
    assert {c.short_name for c in found[:3]} == {"Phú Thọ"}
    assert {c.province_code for c in found[:3]} == {25, 79, 82}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "???",
        "asdfgh",
        "qwerty zxcv",
        "p",
        "x.",
        "a",
        "hcm",
        "Quảng Ngãi",
        "tinh quang ngai",
        "99999",
        "12345",
    ],
)
def test_empty_nonsense_and_province_only_give_nothing(query: str) -> None:
    assert find_communes(query) == []


def test_limit() -> None:
    assert len(find_communes("tan", limit=3)) == 3
    assert find_communes("son tinh", limit=0) == []


def test_the_index_holds_every_commune() -> None:
    assert len(places._build_index().communes) == COMMUNE_COUNT == 3321
