"""`vbsp-bot content check` on plain words and English citations: jargon from the glossary
used without its plain words, and a legal document without an English description that
keeps its number, are refused with the place named."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.glossary import Glossary
from content.loader import ContentError, load_content
from content.models import DOC_NUMBER_RE, LegalRef
from tests.content.conftest import edit


def set_answer(data: Path, topic: str, lang: str, text: str) -> None:
    edit(data / "answers.yaml", lambda d: d["answers"][topic]["text"].update({lang: text}))


def glossary() -> Glossary:
    content = load_content()
    assert content.glossary is not None
    return content.glossary


# ------------------------------------------------------------------- the glossary


def test_the_glossary_names_the_words_farmers_do_not_use():
    terms = {t.casefold() for e in glossary().glossary for t in e.vi.terms}
    for word in ("Tổ TK&VV", "01/TD", "PGD", "phân kỳ trả nợ", "ủy thác", "hộ cận nghèo"):
        assert word.casefold() in terms, word
    for entry in glossary().glossary:
        assert entry.vi.explain and entry.en.explain, entry.id


def test_shipped_texts_explain_every_term(data: Path):
    load_content(data)  # raises on the first unexplained term


@pytest.mark.parametrize(
    ("lang", "text", "term"),
    [
        ("vi", "Bạn mang giấy tờ đến PGD để nộp hồ sơ vay vốn nhé, không mất phí gì cả.", "PGD"),
        ("vi", "Gặp tổ trưởng Tổ TK&amp;VV ở thôn để hỏi về chương trình cho vay này.", "TK&VV"),
        ("vi", "Viết mẫu 01/TD rồi nộp cho tổ trưởng; tổ sẽ họp và xét trong tháng này.", "01/TD"),
        (
            "en",
            "Ask the Tổ TK&amp;VV leader in your village about this loan program today.",
            "TK&VV",
        ),
        ("en", "Hand in form 03/TD at the meeting; the bank decides within a few days.", "03/TD"),
    ],
)
def test_jargon_without_its_plain_words_is_refused(data: Path, lang: str, text: str, term: str):
    set_answer(data, "contact", lang, text * 5)
    with pytest.raises(ContentError, match=rf"answers.yaml: contact.text.{lang}: .*{term}"):
        load_content(data)


def test_jargon_in_a_card_field_is_refused_too(data: Path):
    edit(
        data / "programs.yaml",
        lambda d: d["programs"][0]["documents"].update(vi="• Nộp hồ sơ tại PGD huyện."),
    )
    with pytest.raises(ContentError, match=r"programs.yaml: poor.documents.vi: 'PGD'"):
        load_content(data)


def test_a_term_explained_where_it_is_first_used_passes(data: Path):
    text = (
        "Mang giấy đề nghị vay vốn (mẫu 01/TD) đến Phòng giao dịch NHCSXH (PGD) ở huyện."
        "\n\nPGD mở cửa các ngày làm việc; nộp 01/TD ở đó."
    )
    set_answer(data, "contact", "vi", text * 3)
    load_content(data)


def test_an_explanation_far_from_the_first_use_does_not_count(data: Path):
    text = (
        "Nộp hồ sơ ở PGD.\n\nKhông mất phí.\n\n"
        "Phòng giao dịch là văn phòng của ngân hàng chính sách. " * 3
    )
    set_answer(data, "contact", "vi", text)
    with pytest.raises(ContentError, match="PGD"):
        load_content(data)


def test_a_word_not_required_everywhere_is_not_checked():
    entry = next(e for e in glossary().glossary if e.id == "near_poor")
    assert not entry.required
    assert glossary().unexplained("Hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo.", "vi") is None


# --------------------------------------------------------- English legal descriptions


def test_every_cited_document_has_an_english_description_with_its_numbers():
    content = load_content()
    refs = [r for p in content.programs.values() for r in p.legal_basis]
    refs += [r for a in content.answers.values() for r in a.legal_basis]
    assert content.eligibility is not None
    refs += [r for rule in content.eligibility.rules for r in rule.legal_basis]
    refs += [r for local in content.local.values() for o in local.overrides for r in o.legal_basis]
    assert len(refs) > 50
    for ref in refs:
        for number in DOC_NUMBER_RE.findall(ref.ref):
            assert number in ref.en, (ref.ref, ref.en)
        assert "Nghị định" not in ref.en and "Quyết định" not in ref.en, ref.en


def test_a_citation_without_english_is_refused(data: Path):
    edit(data / "programs.yaml", lambda d: d["programs"][0]["legal_basis"][0].pop("en"))
    with pytest.raises(ContentError, match=r"\(poor\).legal_basis.0.en: Field required"):
        load_content(data)


def test_an_answer_citation_without_english_is_refused(data: Path):
    edit(data / "answers.yaml", lambda d: d["answers"]["loan.interest"]["legal_basis"][0].pop("en"))
    with pytest.raises(ContentError, match=r"answers.yaml: loan.interest.legal_basis.0.en"):
        load_content(data)


@pytest.mark.parametrize(
    ("en", "problem"),
    [
        ("Government Decree on credit for the poor", "keep the document number '78/2002/NĐ-CP'"),
        ("Nghị định 78/2002/NĐ-CP on credit for the poor", "Vietnamese words"),
        ("Decree 78/2002/NĐ-CP về tín dụng đối với người nghèo", "Vietnamese words"),
    ],
)
def test_an_english_description_must_be_english_and_keep_the_number(en: str, problem: str):
    with pytest.raises(ValueError, match=problem):
        LegalRef(ref="Nghị định 78/2002/NĐ-CP ngày 04/10/2002 về tín dụng", en=en)
