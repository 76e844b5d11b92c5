"""The citizen-facing data files: programs.yaml and answers.yaml load and keep their promises.

These read the two files directly (not through load_content) so they do not depend on the
other content files; they check what the schema cannot: every topic answered, no superseded
rate anywhere, lengths fit a cheap phone's screen, markup both channels can show.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from content.models import Answer, LText, Program

DATA = Path(__file__).resolve().parents[2] / "content" / "data"

MAX_ANSWER_CHARS = 1200
MIN_ANSWER_CHARS = 300

# Figures that were true before the December 2025 rate cut (Quyết định 2553/QĐ-TTg) or before
# the 2026 Employment Law, or that are uncertain and deliberately left out. None may appear in
# any citizen-facing text. Each pattern refuses a digit or decimal mark on either side, so
# 7,9248 (the 2026 job-creation rate) does not match 7,92.
_NUM = r"(?<![\d.,])"
_END = r"(?![\d])"
SUPERSEDED = {
    "6.6%/year (old poor-household rate)": rf"{_NUM}6[.,]60?{_END}",
    "0.55%/month (old poor-household rate)": rf"{_NUM}0[.,]55{_END}",
    "7.92%/year (old near-poor and job rate)": rf"{_NUM}7[.,]92{_END}",
    "0.66%/month (old near-poor rate)": rf"{_NUM}0[.,]66{_END}",
    "8.25%/year (old escaped-poverty rate)": rf"{_NUM}8[.,]25{_END}",
    "0.6875%/month (old escaped-poverty rate)": rf"{_NUM}0[.,]6875{_END}",
    "9.0%/year (old clean-water and difficult-area rate)": rf"{_NUM}9(?:[.,]0+)?\s*%",
    "0.75%/month (old clean-water rate)": rf"{_NUM}0[.,]75{_END}",
    "3.3%/year (old ethnic-minority rate)": rf"{_NUM}3[.,]30?{_END}\s*%",
    "0.275%/month (old ethnic-minority rate)": rf"{_NUM}0[.,]275{_END}",
    "3.12%/year (uncertain, left out)": rf"{_NUM}3[.,]12{_END}",
    "the expired 2% cut of Q4 2025": rf"{_NUM}2\s*%",
    "Quyết định 2654 (the expired Q4 2025 cut)": r"2654",
    "150 million (old labour-abroad cap, uncertain)": r"150 (?:triệu|million)",
}

# The job-creation rules changed on 1/1/2026: the old per-worker cap (100 million) and the
# old rate (7.488%) must not appear in the job-creation card or answer.
JOBS_SUPERSEDED = {
    "100 million per worker (pre-2026 cap)": r"100 (?:triệu|million)",
    "7.488%/year (pre-2026 job rate)": rf"{_NUM}7[.,]488{_END}",
    "2 billion per project (pre-2026 cap)": r"2 (?:tỷ|billion)",
}

# A document number such as 78/2002/NĐ-CP, 2553/QĐ-TTg, 74/2025/QH15 or 12/QĐ-HĐQT.
DOC_NUMBER = re.compile(r"\d+/(?:\d{4}/)?[A-ZĐ]")

TAG_RE = re.compile(r"</?([a-zA-Z0-9]+)[^>]*>")
ALLOWED_TAGS = {"b", "i"}


@cache
def topics() -> dict[str, dict]:
    raw = yaml.safe_load((DATA / "topics.yaml").read_text(encoding="utf-8"))
    return {t["id"]: t for t in raw["topics"]}


@cache
def programs() -> dict[str, Program]:
    raw = yaml.safe_load((DATA / "programs.yaml").read_text(encoding="utf-8"))
    loaded = [Program.model_validate(p) for p in raw["programs"]]
    by_id = {p.id: p for p in loaded}
    assert len(by_id) == len(loaded), "duplicate program id"
    return by_id


@cache
def answers() -> dict[str, Answer]:
    raw = yaml.safe_load((DATA / "answers.yaml").read_text(encoding="utf-8"))
    return {topic: Answer.model_validate(a) for topic, a in raw["answers"].items()}


def program_texts(p: Program) -> dict[str, LText]:
    fields = ("name", "who", "max_amount", "term", "collateral", "documents", "how_to_apply")
    texts = {name: getattr(p, name) for name in fields}
    if p.rate_note is not None:
        texts["rate_note"] = p.rate_note
    return texts


def all_texts() -> list[tuple[str, str]]:
    """(where, text) for every citizen-facing string in both files, both languages."""
    found: list[tuple[str, str]] = []
    for p in programs().values():
        for name, text in program_texts(p).items():
            where = f"programs.yaml {p.id}.{name}"
            found += [(f"{where}.{lang}", text.get(lang)) for lang in ("vi", "en")]
        found += [(f"programs.yaml {p.id}.legal_basis", ref.ref) for ref in p.legal_basis]
    for topic, a in answers().items():
        found += [(f"answers.yaml {topic}.{lang}", a.text.get(lang)) for lang in ("vi", "en")]
        found += [(f"answers.yaml {topic}.legal_basis", ref.ref) for ref in a.legal_basis]
    return found


# ---------------------------------------------------------------- coverage


def test_every_topic_except_none_has_an_answer():
    missing = sorted(set(topics()) - set(answers()) - {"none"})
    assert not missing, f"no answer for {missing}"


def test_answers_only_for_known_topics():
    unknown = sorted(set(answers()) - set(topics()))
    assert not unknown
    assert "none" not in answers()


def test_eleven_programs_each_on_an_existing_topic():
    assert len(programs()) == 11
    for p in programs().values():
        assert p.topic in topics(), f"{p.id}: topic {p.topic} not in topics.yaml"


def test_every_program_topic_has_exactly_one_program():
    program_topics = {t for t in topics() if t.startswith("program.") and t != "program.list"}
    by_topic = [p.topic for p in programs().values()]
    assert sorted(by_topic) == sorted(program_topics)


def test_program_answers_offer_their_own_card():
    by_topic = {p.topic: p.id for p in programs().values()}
    for topic, a in answers().items():
        if topic in by_topic:
            assert a.program == by_topic[topic], f"{topic} should offer program {by_topic[topic]}"
        else:
            assert a.program is None or a.program in programs(), topic


# ------------------------------------------------------ law and freshness


def test_every_program_has_a_legal_basis_and_a_check_date():
    for p in programs().values():
        assert p.legal_basis, p.id
        for ref in p.legal_basis:
            assert DOC_NUMBER.search(ref.ref), (p.id, ref.ref)
        assert p.checked_on.year >= 2026, p.id
        assert p.review_days <= 180, p.id
        assert p.sources, f"{p.id}: no sources"


def test_rates_set_by_the_december_2025_decision_cite_it():
    from_2553 = {
        "poor",
        "near_poor",
        "escaped_poverty",
        "student",
        "clean_water",
        "difficult_area",
        "ex_prisoner",
    }
    for pid in from_2553:
        refs = " ".join(r.ref for r in programs()[pid].legal_basis)
        assert "2553/QĐ-TTg" in refs, pid


def test_job_creation_and_labour_abroad_follow_the_2026_law():
    for pid in ("jobs", "labor_abroad"):
        p = programs()[pid]
        refs = " ".join(r.ref for r in p.legal_basis)
        assert "74/2025/QH15" in refs and "338/2025/NĐ-CP" in refs, pid
        assert p.rate_year_pct == pytest.approx(1.27 * 6.24), pid
        assert p.rate_note is not None and "127%" in p.rate_note.vi, pid
    assert "6,24" in programs()["jobs"].rate_note.vi  # priority groups


def test_answers_have_a_check_date_and_laws_where_they_state_rates():
    for topic, a in answers().items():
        assert a.checked_on.year >= 2026, topic
        if re.search(r"\d[.,]?\d*\s*%", a.text.vi) and topic != "blackcredit.signs":
            assert a.legal_basis, f"{topic} states a rate but cites no law"


# ------------------------------------------------------ superseded figures


@pytest.mark.parametrize("label", sorted(SUPERSEDED))
def test_no_superseded_figure_anywhere(label):
    pattern = re.compile(SUPERSEDED[label], re.IGNORECASE)
    hits = [where for where, text in all_texts() if pattern.search(text)]
    assert not hits, f"{label} appears in {hits}"


def test_no_pre_2026_job_creation_rules_in_the_jobs_texts():
    jobs = programs()["jobs"]
    texts = [t.get(lang) for t in program_texts(jobs).values() for lang in ("vi", "en")]
    texts += [answers()["program.jobs"].text.vi, answers()["program.jobs"].text.en]
    for label, regex in JOBS_SUPERSEDED.items():
        assert not any(re.search(regex, t) for t in texts), label


# ------------------------------------------------------------- form and size


def test_answers_fit_a_phone_screen():
    for topic, a in answers().items():
        for lang in ("vi", "en"):
            n = len(a.text.get(lang))
            assert MIN_ANSWER_CHARS <= n <= MAX_ANSWER_CHARS, f"{topic}.{lang}: {n} characters"


def test_markup_is_small_balanced_and_escaped():
    for where, text in all_texts():
        assert "{" not in text and "}" not in text, f"{where}: curly brace"
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"{where}: raw &"
        for paragraph in text.split("\n\n"):
            stack: list[str] = []
            for match in TAG_RE.finditer(paragraph):
                tag = match.group(1).lower()
                assert tag in ALLOWED_TAGS, f"{where}: <{tag}>"
                if match.group(0).startswith("</"):
                    assert stack and stack.pop() == tag, f"{where}: unbalanced </{tag}>"
                else:
                    stack.append(tag)
            assert not stack, f"{where}: <{stack[-1]}> not closed"


def test_paragraphs_and_lines_are_short():
    """One idea per paragraph; a numbered list may be one paragraph, but each line stays short."""
    for where, text in all_texts():
        for paragraph in text.split("\n\n"):
            assert len(paragraph) <= 800, f"{where}: a paragraph of {len(paragraph)} characters"
            for line in paragraph.split("\n"):
                assert len(line) <= 400, f"{where}: a line of {len(line)} characters"


# ----------------------------------------------------- what answers must say


def test_black_credit_answers_say_what_the_bank_never_asks_and_where_to_turn():
    for topic in ("blackcredit.signs", "blackcredit.apps", "blackcredit.victim", "blackcredit.law"):
        vi, en = answers()[topic].text.vi, answers()[topic].text.en
        for word in ("không bao giờ", "OTP", "mật khẩu", "tài khoản cá nhân", "113", "VNeID"):
            assert word in vi, f"{topic}.vi lacks {word!r}"
        assert "Công an xã" in vi, topic
        for word in ("never", "OTP", "password", "personal account", "113", "VNeID"):
            assert word in en, f"{topic}.en lacks {word!r}"


def test_misconduct_answers_invite_a_report():
    for topic in ("misconduct.proxy", "misconduct.embezzle", "misconduct.fees"):
        assert "/baocao" in answers()[topic].text.vi, topic
        assert "/baocao" in answers()[topic].text.en, topic


def test_action_topics_name_their_command():
    for topic, command in (
        ("report", "/baocao"),
        ("report.status", "/tracuu"),
        ("schedule.remind", "/lich"),
        ("privacy", "/dulieu"),
    ):
        assert command in answers()[topic].text.vi and command in answers()[topic].text.en, topic


def test_help_lists_every_citizen_command():
    commands = (
        "/chuongtrinh",
        "/dieukien",
        "/lich",
        "/tindungden",
        "/baocao",
        "/tracuu",
        "/caidat",
        "/dulieu",
        "/huy",
        "/menu",
    )
    for lang in ("vi", "en"):
        text = answers()["help"].text.get(lang)
        missing = [c for c in commands if c not in text]
        assert not missing, f"help.{lang} lacks {missing}"


def test_contact_names_no_invented_hotline():
    text = answers()["contact"].text.vi
    assert "113" in text and "Phòng giao dịch" in text
    phone_like = re.findall(r"\b1[89]00\s?\d{3,4}\b", text)
    assert not phone_like, phone_like


# ------------------------------------------------------- card fields and sources


def test_every_program_has_conditions_in_both_languages():
    for p in programs().values():
        assert p.conditions is not None, f"{p.id}: no conditions"
        for lang in ("vi", "en"):
            assert len(p.conditions.get(lang)) >= 80, f"{p.id}.conditions.{lang} is too thin"


def _amount_words(vnd: int) -> tuple[str, str]:
    """100000000 -> ("100 triệu", "100 million"); 10000000000 -> ("10 tỷ", "10 billion")."""
    if vnd % 1_000_000_000 == 0:
        n = vnd // 1_000_000_000
        return f"{n} tỷ", f"{n} billion"
    assert vnd % 1_000_000 == 0, f"{vnd} is not a whole number of millions"
    n = vnd // 1_000_000
    return f"{n} triệu", f"{n} million"


def _term_words(months: int) -> tuple[list[str], list[str]]:
    vi, en = [f"{months} tháng"], [f"{months} months"]
    if months % 12 == 0:
        vi.append(f"{months // 12} năm")
        en.append(f"{months // 12} years")
    return vi, en


def test_numeric_caps_agree_with_the_card_text():
    for p in programs().values():
        if p.max_amount_vnd is not None:
            vi, en = _amount_words(p.max_amount_vnd)
            assert vi in p.max_amount.vi, f"{p.id}: max_amount_vnd {p.max_amount_vnd} but no {vi!r}"
            assert en in p.max_amount.en, f"{p.id}: max_amount_vnd {p.max_amount_vnd} but no {en!r}"
        if p.max_term_months is not None:
            vi_words, en_words = _term_words(p.max_term_months)
            assert any(w in p.term.vi for w in vi_words), f"{p.id}: term.vi lacks {vi_words}"
            assert any(w in p.term.en for w in en_words), f"{p.id}: term.en lacks {en_words}"


def test_no_single_cap_where_the_limit_is_per_month_or_depends_on_the_purpose():
    # Student loans are capped per month; social housing depends on the purpose and collateral.
    for pid in ("student", "social_housing", "labor_abroad"):
        assert programs()[pid].max_amount_vnd is None, pid
    assert programs()["poor"].max_amount_vnd == 100_000_000
    assert programs()["poor"].max_term_months == 120


def _all_sources() -> list[tuple[str, str]]:
    found = [(f"programs.yaml {p.id}", url) for p in programs().values() for url in p.sources]
    found += [(f"answers.yaml {topic}", url) for topic, a in answers().items() for url in a.sources]
    return found


def test_sources_are_full_https_addresses():
    for where, url in _all_sources():
        assert url.startswith("https://"), f"{where}: {url!r} is not https"
        assert "..." not in url and "\u2026" not in url, f"{where}: shortened address {url!r}"
        assert not re.search(r"\s", url), f"{where}: {url!r} is not a bare address"
        page = re.match(r"https://[a-z0-9.-]+\.[a-z]{2,}/\S+", url)
        assert page, f"{where}: {url!r} is not a page address"


def test_black_credit_answers_mention_otp_and_fees():
    for topic in ("blackcredit.signs", "blackcredit.apps", "blackcredit.victim", "blackcredit.law"):
        vi, en = answers()[topic].text.vi, answers()[topic].text.en
        assert "OTP" in vi and "phí" in vi, topic
        assert "OTP" in en and "fee" in en, topic


# ---------------------------------------------------------------- review of December 2026


def test_social_housing_income_limits_are_those_reported_for_decree_136_of_2026():
    # NĐ 136/2026/NĐ-CP (from 7/4/2026) is reported to raise the limits from 20/30/40 to
    # 25/35/50 million a month; known from reports only, so the card says "theo".
    card = programs()["social_housing"]
    assert card.conditions is not None
    vi, en = card.conditions.vi, card.conditions.en
    for old in ("20 triệu", "30 triệu", "40 triệu"):
        assert old not in vi, old
    for new_vi, new_en in (("25 triệu", "25 million"), ("35 triệu", "35 million"),
                           ("50 triệu", "50 million")):  # fmt: skip
        assert new_vi in vi and new_en in en, new_vi
    assert "Theo các bản tin về Nghị định 136/2026/NĐ-CP" in vi
    assert "According to reports on Decree 136/2026/NĐ-CP" in en
    assert "54/2026/NĐ-CP" in vi and "54/2026/NĐ-CP" in en
    refs = [ref.ref for ref in card.legal_basis]
    assert any("136/2026/NĐ-CP" in r for r in refs) and any("54/2026/NĐ-CP" in r for r in refs)


def test_students_start_repaying_within_twelve_months_of_the_course_ending():
    # QĐ 05/2022/QĐ-TTg: the first repayment is due *within* 12 months, not exactly at 12.
    text = answers()["program.student"].text
    assert "trong vòng 12 tháng" in text.vi and "within 12 months" in text.en
    assert "là 12 tháng sau" not in text.vi and "due 12 months after" not in text.en


def test_no_calculator_falls_back_to_a_general_cap():
    # The calculator offers a program only with caps of its own: calculator.yaml has none.
    raw = yaml.safe_load((DATA / "calculator.yaml").read_text(encoding="utf-8"))["calculator"]
    assert "max_amount_vnd" not in raw and "max_term_months" not in raw
    for p in programs().values():
        for line_id, line in p.calculator_lines():
            assert line.max_term_months, f"{p.id}:{line_id} has no term cap"
            assert line.max_amount_vnd or line.max_amount is not p.max_amount, (
                f"{p.id}:{line_id} has neither an amount cap nor a note saying why not"
            )


def test_calculator_lines_hold_each_kind_of_loan_to_its_own_cap():
    jobs = dict(programs()["jobs"].calculator_lines())
    assert (jobs["worker"].max_amount_vnd, jobs["worker"].max_term_months) == (200_000_000, 120)
    assert jobs["business"].max_amount_vnd == 10_000_000_000
    ethnic = dict(programs()["ethnic_minority"].calculator_lines())
    housing = ethnic["housing"]
    assert (housing.max_amount_vnd, housing.max_term_months, housing.rate_year_pct) == (
        40_000_000, 180, 3.0,
    )  # fmt: skip
    home = dict(programs()["social_housing"].calculator_lines())["home"]
    assert (home.max_amount_vnd, home.max_term_months, home.rate_year_pct) == (None, 300, 5.4)
    # No single confirmed cap for the student loans (per month; STEM at 4.8 % has none), clean
    # water (per facility, term unconfirmed), labour abroad or disadvantaged areas (no term).
    for pid in ("student", "clean_water", "labor_abroad", "difficult_area"):
        assert programs()[pid].calculator_lines() == [], pid


def test_calculator_line_caps_agree_with_the_card_text():
    for p in programs().values():
        for line in p.calculator:
            if line.max_amount_vnd is not None:
                vi, en = _amount_words(line.max_amount_vnd)
                assert vi in p.max_amount.vi and en in p.max_amount.en, f"{p.id}:{line.id}"
            vi_words, en_words = _term_words(line.max_term_months)
            assert any(w in p.term.vi for w in vi_words), f"{p.id}:{line.id} term.vi"
            assert any(w in p.term.en for w in en_words), f"{p.id}:{line.id} term.en"


def test_ethnic_minority_texts_name_the_2026_2035_program_and_only_its_terms_as_unpublished():
    # The merged 2026–2035 national target program exists (QĐ 417/QĐ-BNNMT); only its credit
    # terms are not yet published, so nothing may say its successor is unconfirmed.
    card = programs()["ethnic_minority"]
    answer = answers()["program.ethnic_minority"].text
    for text in (card.who.vi, answer.vi):
        assert "2026–2035" in text and "417/QĐ-BNNMT" in text and "chưa được công bố" in text
        assert "chưa được xác nhận" not in text
    for text in (card.who.en, answer.en):
        assert "2026–2035" in text and "not been published" in text
        assert "not confirmed" not in text


def test_clean_water_term_is_the_same_in_card_answer_and_loan_term():
    # One statement of the clean-water term wherever it is given; no branch's figure in one
    # place and "ask" in another.
    card = programs()["clean_water"].term
    texts = {
        "card": card,
        "answer": answers()["program.clean_water"].text,
        "loan.term": answers()["loan.term"].text,
    }
    same_vi = (
        "ngân hàng và hộ vay thỏa thuận theo từng công trình; thời hạn tối đa chưa được xác nhận"
    )
    same_en = (
        "agreed between the bank and the household for each facility; "
        "the maximum term is not confirmed"
    )
    for where, text in texts.items():
        assert same_vi in text.vi.lower(), where
        assert same_en in text.en.lower(), where
    assert "60 tháng" not in card.vi and "60 months" not in card.en


def test_a_calculator_line_without_a_cap_or_a_reason_is_refused():
    from pydantic import ValidationError

    from content.models import CalcLine

    name = {"vi": "Loại vay", "en": "Kind of loan"}
    with pytest.raises(ValidationError, match="max_amount_vnd or amount_note"):
        CalcLine.model_validate({"id": "x", "name": name, "max_term_months": 12})
    with pytest.raises(ValidationError, match="max_term_months"):
        CalcLine.model_validate({"id": "x", "name": name, "max_amount_vnd": 10_000_000})
    jobs = programs()["jobs"].model_dump()
    with pytest.raises(ValidationError, match="sets its caps there"):
        Program.model_validate({**jobs, "max_amount_vnd": 200_000_000})


def test_a_cards_summary_states_only_figures_its_full_texts_state():
    # The summary says the card's figures shorter; it never brings a figure of its own.
    figure = re.compile(r"\d+(?:[.,]\d+)*\s*(?:%|triệu|tỷ|million|billion|tháng|months|năm|years)")
    for p in programs().values():
        for lang in ("vi", "en"):
            full = " ".join(t.get(lang) for t in program_texts(p).values())
            full += f" {p.rate_year_pct}% {p.rate_month_pct}%".replace(
                ".", "," if lang == "vi" else "."
            )
            for name in ("who", "amount", "rate", "next_step"):
                text = getattr(p.summary, name)
                for found in figure.findall(text.get(lang) if text else ""):
                    number = re.match(r"\d+(?:[.,]\d+)*", found).group(0)
                    assert number in full, (p.id, name, lang, found)
