"""English plurals: a count in an English message takes a plural choice ("{files} {files|file|
files}"), and the content check refuses a count followed by a plural noun without one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from content.loader import ContentError, load_content
from content.models import PLURAL_RE, LText, choose_plurals, counted_fields, format_fields
from tests.content.test_loader import edit


@pytest.mark.parametrize(
    ("value", "form"),
    [(1, "file"), ("1", "file"), (0, "files"), (2, "files"), (11, "files"), ("1.5", "files")],
)
def test_the_first_form_is_for_exactly_one(value: object, form: str):
    assert choose_plurals("{n} {n|file|files}", {"n": value}) == "{n} " + form


def test_shipped_messages_read_right_for_one_and_for_many():
    content = load_content()
    assert content.text("moderation.what_now", "en", files=1).startswith("Evidence: 1 file.")
    assert content.text("moderation.what_now", "en", files=3).startswith("Evidence: 3 files.")
    assert content.text("moderation.what_now", "vi", files=1).startswith("Bằng chứng: 1 tệp.")
    assert content.text("broadcast.awaiting_you", "en", count=1) == (
        "1 announcement is waiting for your approval:"
    )
    assert content.text("broadcast.awaiting_you", "en", count=4) == (
        "4 announcements are waiting for your approval:"
    )
    # two counts in one text, each with its own choice
    assert content.text("calc.months_years", "en", n=12, years=1) == "12 months (1 year)"
    assert content.text("calc.months_years", "en", n=36, years=3) == "36 months (3 years)"


def _fill(text: str, value: object) -> dict[str, object]:
    return {name: value for name in format_fields(text)}


def test_every_plural_choice_renders_both_forms_and_leaves_no_markup():
    content = load_content()
    with_choices = {k: m for k, m in content.messages.items() if PLURAL_RE.search(m.en)}
    assert len(with_choices) >= 40
    for key, message in with_choices.items():
        one = content.text(key, "en", **_fill(message.en, 1))
        many = content.text(key, "en", **_fill(message.en, 7))
        assert one != many, key
        for text in (one, many):
            assert "|" not in text and not re.search(r"\{\w", text), (key, text)
        # Vietnamese has one form: its text is the template filled in, whatever the number
        values = _fill(message.vi, 1)
        assert content.text(key, "vi", **values) == message.vi.format(**values), key


def test_no_shipped_english_message_says_1_before_a_plural_noun():
    content = load_content()
    for key, message in content.messages.items():
        if not format_fields(message.en):
            continue
        text = content.text(key, "en", **_fill(message.en, 1))
        # each number 1 as a field again: what the check sees as a count before a plural
        ones = re.sub(r"(?<![\w.,/])1(?![\w.,/])", "{one}", text)
        assert counted_fields(ones) == set(), (key, text)


@pytest.mark.parametrize(
    ("en", "field"),
    [
        ("Evidence: {files} files. What would you like to do?", "files"),
        ("Your area has {count} new reports waiting.", "count"),
        ("With {count} file(s) that Zalo cannot send.", "count"),
        ("The bot will tell the {count} people already reminded.", "count"),
    ],
)
def test_a_count_without_a_plural_choice_is_refused(data: Path, en: str, field: str):
    assert counted_fields(en) == {field}
    vi = "Bằng chứng: " + " ".join(f"{{{name}}}" for name in format_fields(en))
    edit(data / "messages_reports.yaml", lambda d: d["messages"]["moderation.what_now"].update(
        vi=vi, en=en
    ))  # fmt: skip
    message = (
        rf"messages_reports\.yaml: moderation\.what_now: .*en: \{{{field}\}} counts something "
        rf"but has no plural choice: write \{{{field}\}} \{{{field}\|thing\|things\}}"
    )
    with pytest.raises(ContentError, match=message):
        load_content(data)


@pytest.mark.parametrize(
    "en",
    [
        "The day of {old} at {place} moves to {new}.",  # a verb after a name, not a plural
        "Reports {first}–{last} of {total}.",
        "about {hours} h {minutes} min",
        "Delivered: {sent}. Failed: {failed}.",
        "at most {max} {max|file|files} of up to {mb} MB each",
    ],
)
def test_fields_that_count_nothing_or_have_their_choice_pass(en: str):
    assert counted_fields(en) == set()
    LText(vi=" ".join(f"{{{name}}}" for name in format_fields(en)), en=en)


def test_vietnamese_takes_no_plural_choice(data: Path):
    edit(data / "messages_reports.yaml", lambda d: d["messages"]["moderation.what_now"].update(
        vi="Bằng chứng: {files} {files|tệp|tệp}."
    ))  # fmt: skip
    with pytest.raises(ContentError, match=r"moderation\.what_now: .*Vietnamese has no plural"):
        load_content(data)


def test_a_choice_on_a_field_vietnamese_lacks_is_refused(data: Path):
    edit(data / "messages_reports.yaml", lambda d: d["messages"]["moderation.what_now"].update(
        en="Evidence: {files} {pages|page|pages}."
    ))  # fmt: skip
    with pytest.raises(ContentError, match=r"moderation\.what_now: .*different \{fields\}"):
        load_content(data)


def test_the_editors_rule_is_written_where_editors_read():
    header = (Path(load_content().data_dir) / "messages.yaml").read_text(encoding="utf-8")
    assert "{files} {files|file|files}" in header.split("messages:", 1)[0]
    assert yaml.safe_load(header)["messages"]  # still one YAML document
