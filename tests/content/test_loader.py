"""`vbsp-bot content check` refuses broken content with a precise message, and warns on stale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from content.loader import ContentError, load_content
from tests.content.conftest import edit

SHARED_TOPICS = Path(__file__).resolve().parents[3] / "shared" / "faq" / "topics.yaml"


def test_shipped_content_loads(data: Path):
    content = load_content(data)
    assert len(content.programs) == 11
    assert set(content.answers) == set(content.topics) - {"none"}


def test_topic_ids_are_the_shared_taxonomy():
    if not SHARED_TOPICS.exists():
        pytest.skip(f"{SHARED_TOPICS} is not beside this checkout")
    shared = {t["id"] for t in yaml.safe_load(SHARED_TOPICS.read_text())["topics"]}
    assert set(load_content().topics) == shared


def test_program_without_legal_basis_is_refused(data: Path):
    edit(data / "programs.yaml", lambda d: d["programs"][0].update(legal_basis=[]))
    with pytest.raises(ContentError, match=r"programs.yaml: programs\[0\] \(poor\).legal_basis"):
        load_content(data)


def test_program_without_check_date_is_refused(data: Path):
    edit(data / "programs.yaml", lambda d: d["programs"][1].pop("checked_on"))
    with pytest.raises(ContentError, match="checked_on: Field required"):
        load_content(data)


@pytest.mark.parametrize("rate", ["6,24", "6.24%", True, None])
def test_rate_that_is_not_a_number_is_refused(data: Path, rate):
    edit(data / "programs.yaml", lambda d: d["programs"][0].update(rate_year_pct=rate))
    with pytest.raises(ContentError, match="rate_year_pct"):
        load_content(data)


def test_monthly_rate_must_match_the_yearly_one(data: Path):
    edit(data / "programs.yaml", lambda d: d["programs"][0].update(rate_month_pct=0.55))
    with pytest.raises(ContentError, match="is not rate_year_pct"):
        load_content(data)


def test_answer_for_an_unknown_topic_is_refused(data: Path):
    def add(d):
        d["answers"]["loan.bogus"] = d["answers"]["help"]

    edit(data / "answers.yaml", add)
    with pytest.raises(ContentError, match=r"answers\.yaml: loan\.bogus: not a topic id"):
        load_content(data)


def test_missing_answer_is_refused(data: Path):
    edit(data / "answers.yaml", lambda d: d["answers"].pop("loan.term"))
    with pytest.raises(ContentError, match=r"no answer for topic .loan\.term."):
        load_content(data)


def test_message_missing_a_language_is_refused(data: Path):
    edit(data / "messages.yaml", lambda d: d["messages"]["menu.title"].pop("en"))
    with pytest.raises(ContentError, match=r"messages\.yaml: menu\.title\.en: Field required"):
        load_content(data)


def test_message_with_different_fields_is_refused(data: Path):
    edit(data / "messages.yaml", lambda d: d["messages"]["answer.checked"].update(en="Checked"))
    with pytest.raises(ContentError, match=r"different \{fields\}"):
        load_content(data)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("a<br>b", "tag <br> is not allowed"), ("<b>open", "<b> is not closed"), ("x</i>", "</i>")],
)
def test_markup_channels_cannot_show_is_refused(data: Path, text: str, problem: str):
    edit(data / "messages.yaml", lambda d: d["messages"]["menu.title"].update(vi=text))
    with pytest.raises(ContentError, match=problem):
        load_content(data)


def test_broken_matcher_data_is_a_content_error_of_one_line(data: Path):
    path = data / "matcher.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  none_threshold: 2.0", "  none_threshold: -2.0"), "utf-8")
    problem = r"^matcher\.yaml: settings\.none_threshold: -2 is outside \[0, 100\]$"
    with pytest.raises(ContentError, match=problem):
        _ = load_content(data).matcher


def test_broken_yaml_names_the_file(data: Path):
    (data / "programs.yaml").write_text("programs: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"programs\.yaml: not valid YAML"):
        load_content(data)


def test_stale_figures_are_warned_about():
    content = load_content()
    assert content.stale(dt.date(2026, 11, 23)) == []
    later = content.stale(dt.date(2027, 12, 1))
    assert any(w.startswith("programs.yaml: poor checked 2026-11-22") for w in later)
    assert any(w.startswith("answers.yaml: ") for w in later)


def test_shipped_eligibility_rules_load(data: Path):
    eligibility = load_content(data).eligibility
    assert eligibility is not None
    assert [q.id for q in eligibility.questions][:2] == ["status", "purpose"]
    assert {r.program for r in eligibility.rules} <= set(load_content(data).programs)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["rules"][0].update(program="poorr"),
            r"eligibility\.yaml: rules\[0\] \(poorr\)\.program: unknown program 'poorr'",
        ),
        (
            lambda d: d["rules"][0].update(when=[{"statsu": ["poor"]}]),
            r"eligibility\.yaml: rules\[0\] \(poor\)\.when: unknown question 'statsu'",
        ),
        (
            lambda d: d["rules"][0].update(when=[{"status": {"not_in": ["rich"]}}]),
            r"rules\[0\] \(poor\)\.when: unknown answer 'rich' for question 'status'",
        ),
        (
            lambda d: d["questions"][0].update(ask_when=[{"purpose": ["study"]}]),
            r"questions\[0\] \(status\)\.ask_when: unknown question 'purpose'",
        ),
        (
            lambda d: d["questions"][0]["answers"][1].update(code="p"),
            r"questions\[0\] \(status\)\.answers: duplicate answer id or code",
        ),
        (
            lambda d: d["questions"][0]["answers"][0].update(code="-"),
            r"eligibility\.yaml: eligibility\.questions\.0\.answers\.0\.code",
        ),
        (
            lambda d: d["rules"][0]["why"].update(vi="<u>x</u> <a>"),
            r"eligibility\.yaml: rules\[0\]\.why\.vi: tag <a> is not allowed",
        ),
    ],
)
def test_broken_eligibility_rule_is_refused(data: Path, change, problem: str):
    edit(data / "eligibility.yaml", change)
    with pytest.raises(ContentError, match=problem):
        load_content(data)


def test_content_without_eligibility_file_still_loads(data: Path):
    (data / "eligibility.yaml").unlink()
    assert load_content(data).eligibility is None
