"""Schemas of the content files: what an official can edit, and what the loader checks."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import string
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from content.combiner import FEATURES
from content.normalize import fold

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A plural choice in an English message: "{count} {count|announcement is|announcements are}
# waiting" takes the first form when the field's value is 1, the second otherwise (CLDR's two
# English forms; Vietnamese has no plural, so its texts hold no choice).
PLURAL_RE = re.compile(r"\{([a-z_][a-z0-9_]*)\|([^{}|]*)\|([^{}|]*)\}")
# A field followed by a noun in the plural ("{files} files", "{count} new reports", "{n}
# file(s)"): the text counts something without a plural choice, and someone reads "1 files".
# The two words after the field are looked at; a plural is a word ending in -s (not -ss, -us,
# -is, nor a verb a name may come before: "{place} moves") or an irregular plural.
_COUNTED_RE = re.compile(r"\{(\w+)\}((?: [A-Za-z]+(?:\(s\))?){1,2})")
_IRREGULAR_PLURALS = frozenset({"people", "children", "men", "women"})
_NOT_PLURALS = frozenset(
    {
        *("does", "goes", "always", "perhaps", "across", "unless", "whereas", "moves", "means"),
        *("takes", "comes", "works", "opens", "starts", "ends", "says", "needs", "gets", "sends"),
        *("keeps", "asks", "makes", "wants", "lends", "helps", "applies", "changes", "stays"),
    }
)


def format_fields(text: str) -> set[str]:
    """Names of the ``{name}`` fields in a message text, those of plural choices included."""
    plain = PLURAL_RE.sub(lambda m: "{" + m[1] + "}", text)
    return {name for _, name, _, _ in string.Formatter().parse(plain) if name}


def choose_plurals(text: str, values: Mapping[str, object]) -> str:
    """The text with each plural choice replaced by the form its field's value calls for:
    the first for exactly 1 (CLDR's English "one"; 0 and 1.5 take "other")."""
    return PLURAL_RE.sub(lambda m: m[2] if str(values.get(m[1])) == "1" else m[3], text)


def counted_fields(text: str) -> set[str]:
    """Fields of an English text followed by a plural noun and no plural choice."""
    return {
        match[1]
        for match in _COUNTED_RE.finditer(text)
        if any(_is_plural(word) for word in match[2].split())
    }


def _is_plural(word: str) -> bool:
    word = word.lower()
    if word.endswith("(s)") or word in _IRREGULAR_PLURALS:
        return True
    return (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and word not in _NOT_PLURALS
    )


class LText(Strict):
    """A text in Vietnamese and English; Vietnamese is the reference.

    An English message that counts something says so with a plural choice after the number:
    ``"Evidence: {files} {files|file|files}."`` (see PLURAL_RE); the loader refuses a number
    followed by a plural noun without one."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi

    @model_validator(mode="after")
    def _same_fields(self) -> LText:
        if format_fields(self.vi) != format_fields(self.en):
            raise ValueError(
                f"vi and en use different {{fields}}: {sorted(format_fields(self.vi))} "
                f"vs {sorted(format_fields(self.en))}"
            )
        if (choice := PLURAL_RE.search(self.vi)) is not None:
            raise ValueError(f"vi: {choice[0]}: Vietnamese has no plural; write the word once")
        counted = sorted(counted_fields(self.en))
        if counted:
            name = counted[0]
            raise ValueError(
                f"en: {{{name}}} counts something but has no plural choice: write "
                f"{{{name}}} {{{name}|thing|things}}, the form for 1 first"
            )
        return self


# A document number: 78/2002/NĐ-CP, 2553/QĐ-TTg, 74/2025/QH15, 12/QĐ-HĐQT, a form's 03/TD.
DOC_NUMBER_RE = re.compile(r"\d+/(?:\d{4}/)?[A-ZĐ][A-Za-zĐ0-9]*(?:-[A-Za-zĐ0-9]+)*")
# A letter only Vietnamese uses (ă, ê, ơ, ư, đ, tones...): "Nghị định" or "Luật" in English.
VIETNAMESE_LETTER_RE = re.compile(r"[À-ÿĂ-ơƯ-ưẠ-ỹĐđ]")


class LegalRef(Strict):
    """One legal document a figure rests on.

    ``ref`` is the Vietnamese citation, e.g. 'Quyết định 2553/QĐ-TTg ngày 21/11/2025 về lãi
    suất...'; ``en`` says the same in English and keeps every document number as written
    ('Prime Minister's Decision 2553/QĐ-TTg of 21 November 2025 on VBSP lending rates'), so a
    reader can still look the document up.
    """

    ref: str = Field(min_length=5)
    en: str = Field(min_length=5)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ref

    @model_validator(mode="after")
    def _english_keeps_the_numbers(self) -> LegalRef:
        missing = [n for n in DOC_NUMBER_RE.findall(self.ref) if n not in self.en]
        if missing:
            raise ValueError(f"en: keep the document number {missing[0]!r} of the citation")
        words = DOC_NUMBER_RE.sub("", self.en)
        found = VIETNAMESE_LETTER_RE.search(words)
        if found:
            near = words[max(0, found.start() - 15) : found.end() + 15]
            raise ValueError(f"en: Vietnamese words in the English description: {near!r}")
        return self


class Reviewed(Strict):
    """Anything carrying figures: when they were checked and how long that check holds."""

    checked_on: dt.date
    review_days: int = Field(default=180, ge=1, le=730)

    def is_stale(self, today: dt.date) -> bool:
        return today > self.checked_on + dt.timedelta(days=self.review_days)


class CalcLine(Strict):
    """One kind of loan of a program as the loan calculator offers it, with its own cap, term
    and (when it differs from the program's) rate: e.g. a worker's or a business's job loan.

    The calculator never falls back to a general cap: a line names its amount cap, or says in
    ``amount_note`` why there is no single figure (then no amount is refused as too big).
    """

    id: str = Field(pattern=r"^[a-z][a-z_]{0,15}$")
    name: LText  # a button label: plain text
    max_amount_vnd: int | None = Field(default=None, gt=0)
    amount_note: LText | None = None  # said instead of a cap when max_amount_vnd is empty
    max_term_months: int = Field(gt=0, le=480)
    rate_year_pct: float | None = Field(default=None, gt=0, lt=30)
    rate_month_pct: float | None = Field(default=None, gt=0, lt=3)

    @model_validator(mode="after")
    def _cap_or_note_and_rates_together(self) -> CalcLine:
        if (self.max_amount_vnd is None) == (self.amount_note is None):
            raise ValueError("give max_amount_vnd or amount_note (not both)")
        if (self.rate_year_pct is None) != (self.rate_month_pct is None):
            raise ValueError("give rate_year_pct and rate_month_pct together")
        year, month = self.rate_year_pct, self.rate_month_pct
        if year is not None and month is not None and abs(year / 12 - month) > 0.006:
            raise ValueError("rate_month_pct is not rate_year_pct / 12")
        return self


# The first message of a card stays within one phone screen (tests/handlers/test_cards.py).
SUMMARY_LINE_CHARS = 160


class ProgramSummary(Strict):
    """The first message of a program card: what a person needs, one short line each.

    The figures in these lines are the card's own (``max_amount``, the rate fields), said
    shorter; tests/content check that every figure here is also in the full field.
    """

    who: LText  # who can borrow
    amount: LText  # how much
    rate: LText | None = None  # only where the program has more than one rate
    next_step: LText  # what to do first, and whom to see

    @model_validator(mode="after")
    def _one_short_line_each(self) -> ProgramSummary:
        for name in ("who", "amount", "rate", "next_step"):
            text: LText | None = getattr(self, name)
            for lang in LANGUAGES:
                line = text.get(lang) if text is not None else ""
                if "\n" in line or len(line) > SUMMARY_LINE_CHARS:
                    raise ValueError(
                        f"{name}.{lang}: one line of at most {SUMMARY_LINE_CHARS} characters"
                    )
        return self


class Program(Reviewed):
    """One lending program's card: a short summary first, the rest in parts behind buttons."""

    id: str = Field(pattern=r"^[a-z][a-z_]{1,23}$")
    topic: str = Field(pattern=r"^program\.[a-z_]+$")
    name: LText
    who: LText
    conditions: LText | None = None  # what the borrower must meet besides who they are
    max_amount: LText
    # Numbers for the loan calculator; None where no single national cap applies.
    max_amount_vnd: int | None = Field(default=None, gt=0)
    max_term_months: int | None = Field(default=None, gt=0, le=480)
    rate_year_pct: float = Field(gt=0, lt=30)
    rate_month_pct: float = Field(gt=0, lt=3)
    rate_note: LText | None = None
    overdue_rate_pct_of_rate: float = Field(default=130, ge=100, le=200)
    term: LText
    collateral: LText
    documents: LText
    how_to_apply: LText
    summary: ProgramSummary
    legal_basis: list[LegalRef] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
    # The loan calculator's kinds of loan, where the program has more than one cap or rate
    # (then max_amount_vnd / max_term_months stay empty). Without lines, the program is
    # calculable only when both of its own caps are set.
    calculator: list[CalcLine] = Field(default_factory=list)

    @field_validator("rate_year_pct", "rate_month_pct", mode="before")
    @classmethod
    def _rate_is_number(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"a rate must be a plain number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _month_matches_year(self) -> Program:
        if abs(self.rate_year_pct / 12 - self.rate_month_pct) > 0.006:
            raise ValueError(
                f"rate_month_pct {self.rate_month_pct} is not rate_year_pct "
                f"{self.rate_year_pct} / 12"
            )
        if self.calculator and (self.max_amount_vnd or self.max_term_months):
            raise ValueError("a program with calculator lines sets its caps there, not above")
        if len({line.id for line in self.calculator}) < len(self.calculator):
            raise ValueError("calculator: duplicate line id")
        return self

    def calculator_lines(self) -> list[tuple[str, Program]]:
        """(line id, the program as that line) for the loan calculator: each line's caps, rate
        and name replace the program's. A program without lines is one line, id "", when both
        of its caps are set; otherwise the calculator does not offer it."""
        if not self.calculator:
            if self.max_amount_vnd and self.max_term_months:
                return [("", self)]
            return []
        lines: list[tuple[str, Program]] = []
        for line in self.calculator:
            changes: dict[str, object] = {
                "name": LText(
                    vi=f"{self.name.vi} – {line.name.vi}", en=f"{self.name.en} – {line.name.en}"
                ),
                "max_amount_vnd": line.max_amount_vnd,
                "max_term_months": line.max_term_months,
                "calculator": [],
            }
            if line.amount_note is not None:
                changes["max_amount"] = line.amount_note
            if line.rate_year_pct is not None:
                changes["rate_year_pct"] = line.rate_year_pct
                changes["rate_month_pct"] = line.rate_month_pct
            lines.append((line.id, self.model_copy(update=changes)))
        return lines


class Answer(Reviewed):
    """The answer to one topic of topics.yaml."""

    text: LText
    legal_basis: list[LegalRef] = Field(default_factory=list)
    program: str | None = None  # a program id whose card the answer offers
    sources: list[str] = Field(default_factory=list)


class Topic(Strict):
    id: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)?$")
    vi: str
    en: str

    def title(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


# Tags both Telegram and Zalo can show; anything else is refused by the content check.
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code"})
TAG_RE = re.compile(r"</?([a-zA-Z0-9-]+)[^>]*>")


class LocalOverride(Reviewed):
    """A province's own terms for a national program, lent from its budget entrusted to the bank.

    Only a ``verified`` override replaces the national figures on a card; an unverified one is
    shown as a note that sends the citizen to the transaction office.
    """

    program: str
    verified: bool
    note: LText
    rate_year_pct: float | None = Field(default=None, gt=0, lt=30)
    rate_month_pct: float | None = Field(default=None, gt=0, lt=3)
    max_amount: LText | None = None
    max_amount_vnd: int | None = Field(default=None, gt=0)
    term: LText | None = None
    legal_basis: list[LegalRef] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rates_together(self) -> LocalOverride:
        if (self.rate_year_pct is None) != (self.rate_month_pct is None):
            raise ValueError("give rate_year_pct and rate_month_pct together")
        year, month = self.rate_year_pct, self.rate_month_pct
        if year is not None and month is not None and abs(year / 12 - month) > 0.006:
            raise ValueError("rate_month_pct is not rate_year_pct / 12")
        return self


class LocalPrograms(Strict):
    """One province's own programs and its overrides of national ones (content/data/local/)."""

    province_code: int = Field(ge=1, le=99)
    province_name: LText
    overrides: list[LocalOverride] = Field(default_factory=list)
    programs: list[Program] = Field(default_factory=list)


# --------------------------------------------------------------- eligibility self-check

# The answer id of the "skip" button. It belongs to every question and may appear in any
# condition; content never defines it.
SKIP_ANSWER = "skip"
_ID = r"^[a-z][a-z_]{0,23}$"


class NotIn(Strict):
    """A condition that holds when the answer is none of these (or the question was not asked)."""

    not_in: list[str] = Field(min_length=1)


# A condition on one question: a list of answer ids (the answer is one of them) or NotIn.
Condition = list[str] | NotIn
# All conditions of a clause must hold; a list of clauses holds when any clause does.
Clause = dict[str, Condition]


# The eligibility result is one phone screen (tests/handlers/test_eligibility.py walks every
# path): a line per program, "title: why", and the answers' notes, each one short line.
RULE_TITLE_CHARS = 30
RULE_WHY_CHARS = 60
NOTE_CHARS = 80


def _one_short_line(text: LText, name: str, limit: int, plain: bool = False) -> None:
    for lang in LANGUAGES:
        line = text.get(lang)
        if "\n" in line or len(line) > limit:
            raise ValueError(f"{name}.{lang}: one line of at most {limit} characters")
        if plain and ("<" in line or "&" in line):
            raise ValueError(f"{name}.{lang}: plain text (a button label), no markup")


class EligibilityAnswer(Strict):
    id: str = Field(pattern=_ID)
    code: str = Field(pattern=r"^[a-z0-9]$")  # carried in the button's action
    label: LText  # a button label: plain text
    note: LText | None = None  # shown with the result when this answer was given

    @model_validator(mode="after")
    def _short_note(self) -> EligibilityAnswer:
        if self.note is not None:
            _one_short_line(self.note, "note", NOTE_CHARS)
        return self


class EligibilityQuestion(Strict):
    id: str = Field(pattern=_ID)
    code: str = Field(pattern=r"^[a-z]$")  # carried in the button's action
    text: LText
    answers: list[EligibilityAnswer] = Field(min_length=2, max_length=7)
    ask_when: list[Clause] = Field(default_factory=list)  # empty: always asked

    def by_code(self, code: str) -> EligibilityAnswer | None:
        return next((a for a in self.answers if a.code == code), None)


class EligibilityRule(Strict):
    """One way to a program. What to bring is the program card's (Program.documents)."""

    program: str = Field(pattern=_ID)
    when: list[Clause] = Field(min_length=1)
    title: LText  # the program in a few words; a button label too: plain text
    why: LText  # one short line: why the person may qualify
    legal_basis: list[LegalRef] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_short_line_each(self) -> EligibilityRule:
        _one_short_line(self.title, "title", RULE_TITLE_CHARS, plain=True)
        _one_short_line(self.why, "why", RULE_WHY_CHARS)
        return self


class Eligibility(Reviewed):
    """eligibility.yaml: the questions of the /dieukien self-check and the rules to programs."""

    questions: list[EligibilityQuestion] = Field(min_length=1, max_length=8)
    rules: list[EligibilityRule] = Field(min_length=1)

    def problem(self, program_ids: set[str]) -> str | None:
        """The first broken reference as 'key: what is wrong', or None when all hold."""
        known: dict[str, set[str]] = {}
        codes: set[str] = set()
        for i, q in enumerate(self.questions):
            where = f"questions[{i}] ({q.id})"
            if q.id in known or q.code in codes:
                return f"{where}: duplicate question id or code"
            ids = [a.id for a in q.answers]
            if len(set(ids)) < len(ids) or len({a.code for a in q.answers}) < len(ids):
                return f"{where}.answers: duplicate answer id or code"
            if SKIP_ANSWER in ids:
                return f"{where}.answers: {SKIP_ANSWER!r} is the skip button's id"
            for a in q.answers:
                if any(c in a.label.get(lang) for c in "<>&" for lang in LANGUAGES):
                    return f"{where}.answers.{a.id}.label: a button label is plain text"
            # Conditions may only look back, so the questions asked follow from the answers.
            wrong = _clauses_problem(q.ask_when, known)
            if wrong:
                return f"{where}.ask_when: {wrong}"
            known[q.id] = {*ids, SKIP_ANSWER}
            codes.add(q.code)
        for i, rule in enumerate(self.rules):
            where = f"rules[{i}] ({rule.program})"
            if rule.program not in program_ids:
                return f"{where}.program: unknown program {rule.program!r}"
            wrong = _clauses_problem(rule.when, known)
            if wrong:
                return f"{where}.when: {wrong}"
        return None

    def texts(self) -> list[tuple[str, LText]]:
        """(key, text) of every citizen-facing text, for the markup check."""
        found: list[tuple[str, LText]] = []
        for q in self.questions:
            found.append((f"questions.{q.id}.text", q.text))
            found += [(f"questions.{q.id}.{a.id}.note", a.note) for a in q.answers if a.note]
        for i, rule in enumerate(self.rules):
            found += [(f"rules[{i}].title", rule.title), (f"rules[{i}].why", rule.why)]
        return found


def _clauses_problem(clauses: list[Clause], known: dict[str, set[str]]) -> str | None:
    """An unknown (or not earlier) question or an unknown answer in ``clauses``."""
    for clause in clauses:
        for question, condition in clause.items():
            if question not in known:
                return f"unknown question {question!r}"
            listed = condition.not_in if isinstance(condition, NotIn) else condition
            for answer in listed:
                if answer not in known[question]:
                    return f"unknown answer {answer!r} for question {question!r}"
    return None


# --------------------------------------------------------------------- loan calculator


class RepaymentRule(Strict):
    """Loans of up to ``up_to_months`` repay principal every ``every_months`` months in equal
    parts; without ``every_months``, all at once at the end."""

    up_to_months: int = Field(gt=0, le=480)
    every_months: int | None = Field(default=None, gt=0, le=60)


class Calculator(Strict):
    """calculator.yaml: the loan calculator's limits and the repayment schedule it assumes."""

    min_amount_vnd: int = Field(gt=0)
    # No general cap: every program or line the calculator offers has its own (CalcLine).
    schedule: list[RepaymentRule] = Field(min_length=1)
    table_rows_per_message: int = Field(default=25, ge=5, le=60)

    @model_validator(mode="after")
    def _limits_and_schedule_agree(self) -> Calculator:
        ups = [rule.up_to_months for rule in self.schedule]
        if ups != sorted(set(ups)):
            raise ValueError("schedule: up_to_months must grow from one rule to the next")
        return self

    def every_months(self, term_months: int) -> int:
        """How many months apart principal is repaid for a loan of ``term_months``."""
        rule = next((r for r in self.schedule if term_months <= r.up_to_months), self.schedule[-1])
        return min(rule.every_months or term_months, term_months)


# ----------------------------------------------------------------------------- matcher.yaml


class MatcherProblem(ValueError):
    """A problem below the value a validator looks at: ``at`` continues the location, as
    "kó" under "expansions" (pydantic hands the exception on in the error's context)."""

    def __init__(self, at: str, message: str) -> None:
        super().__init__(message)
        self.at = at


def _none_as(empty: type) -> BeforeValidator:
    """A key written with nothing after it (``accented:``) reads as empty."""
    return BeforeValidator(lambda value: empty() if value is None else value)


def _within(low: float, high: float) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"{value:g} is outside [{low:g}, {high:g}]")
        return value

    return AfterValidator(check)


def _has_letters(key: str) -> str:
    if not fold(key).replace("&", "").strip():
        raise ValueError("key has no letters or digits")
    return key


def _weight(value: float) -> float:
    if value == 0 or not -20 <= value <= 20:
        raise ValueError(f"weight {value:g} must be non-zero and within [-20, 20]")
    return value


def _factor(value: float) -> float:
    if not 0 <= value < 1:
        raise ValueError(f"{value:g} is outside [0, 1)")
    return value


def _set_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError("name must be lowercase letters, digits and _")
    return name


def _not_empty_set(phrases: list[str]) -> list[str]:
    if not phrases:
        raise ValueError("empty word set")
    return phrases


def _topic_ids(info: ValidationInfo) -> set[str]:
    """The topic ids of topics.yaml, and none (given as validation context)."""
    return {*(info.context or {}).get("topic_ids", ()), "none"}


def _known_topic(topic: str, info: ValidationInfo) -> str:
    if topic not in _topic_ids(info):
        raise ValueError("not a topic id in topics.yaml")
    return topic


def _topic_patterns(value: object, info: ValidationInfo) -> frozenset[str]:
    """Topic ids or patterns like 'loan.*' -> the ids they name; each must name one."""
    patterns = [value] if isinstance(value, str) else value
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError("must be a topic id, a pattern like 'loan.*', or a list of them")
    ids = sorted(_topic_ids(info))
    found: set[str] = set()
    for i, pattern in enumerate(patterns):
        hits = fnmatch.filter(ids, pattern)
        if not hits:
            raise MatcherProblem(f"[{i}]", f"{pattern!r} matches no topic id in topics.yaml")
        found.update(hits)
    return frozenset(found)


# Strict numbers: true, "2" and the like are refused, as a weight of "high" is.
Number = Annotated[float, Field(strict=True)]
# Word -> replacement; an empty replacement drops the word.
WordMap = Annotated[
    dict[Annotated[str, AfterValidator(_has_letters)], Annotated[str, _none_as(str)]],
    _none_as(dict),
]
# A cue phrase; a number such as 1719 (a program's decision number) is a phrase too.
Phrase = Annotated[
    str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
]
TopicPatterns = Annotated[frozenset[str], BeforeValidator(_topic_patterns)]


class MatcherSettings(Strict):
    """``settings``: the matcher's numbers (content/matcher.py says how each is used)."""

    none_threshold: Annotated[Number, _within(0, 100)] = 2.0
    repaired_factor: Annotated[Number, _within(0, 1)] = 0.8
    ngram_weight: Annotated[Number, _within(0, 100)] = 2.0
    ngram_floor: Annotated[Number, _within(0, 1)] = 0.25
    alternative_ratio: Annotated[Number, _within(0, 1)] = 0.6
    confidence_scale: Annotated[Number, _within(0.1, 100)] = 4.0
    # a message whose words carry diacritics at least this often is read with them: a cue
    # written with diacritics must then find them in the message ("đô la" is not "đó là").
    # In the training files a message typed without diacritics has none, one typed with them
    # has them on 0.33-1.0 of its words ("vay", "cho", "app" have none: "vay sinh viên").
    accent_share: Annotated[Number, _within(0, 1)] = 0.3


class TopicCues(Strict):
    """One topic's cue phrases (phrase -> weight) and example phrasings."""

    phrases: Annotated[
        dict[Phrase, Annotated[Number, AfterValidator(_weight)]], _none_as(dict)
    ] = {}
    examples: Annotated[list[str], _none_as(list)] = []

    @model_validator(mode="after")
    def _has_cues(self) -> TopicCues:
        if not self.phrases and not self.examples:
            raise ValueError("topic has neither phrases nor examples")
        return self


class PrecedenceRule(Strict):
    """When a topic of ``when`` scores at least ``min_score`` (and ``min_ratio`` of the damped
    topic's own score), every topic of ``damp`` is multiplied by ``factor``."""

    rule: str | None = None
    when: TopicPatterns
    min_score: Number = 1.0
    min_ratio: Annotated[Number, _within(0, 10)] = 0.0
    damp: TopicPatterns
    factor: Annotated[Number, AfterValidator(_factor)]


class ScopePhrases(Strict):
    """``scope``: phrases that say a message is about something the bank does not do
    (``outside``, in named groups; ``lender`` is other lenders) or about its own world
    (``inside``). Features of the scope model (content/classifier.py), not cues of a topic."""

    outside: dict[
        Annotated[str, AfterValidator(_set_name)],
        Annotated[list[str], AfterValidator(_not_empty_set)],
    ] = {}
    inside: Annotated[list[str], _none_as(list)] = []


class CombineWeights(Strict):
    """``combine``: how cues and the statistical model are weighed (content/combiner.py),
    written by ``python bench/faq_accuracy.py --combine-fit 5``."""

    long_chars: Annotated[int, Field(strict=True, ge=1)]
    none_bias: Number
    weights: dict[str, Number]

    @field_validator("weights")
    @classmethod
    def _every_feature(cls, weights: dict[str, float]) -> dict[str, float]:
        if missing := [f for f in FEATURES if f not in weights]:
            raise ValueError(f"missing {', '.join(missing)}")
        if unknown := [f for f in weights if f not in FEATURES]:
            raise ValueError(f"unknown {', '.join(unknown)}")
        return weights


class MatcherData(Strict):
    """matcher.yaml as written (the file's header says what each part does). Validate it with
    ``context={"topic_ids": ...}``: topics and precedence name ids of topics.yaml.

    What needs the normaliser built from ``accented`` and ``expansions`` (a phrase with no
    words, a phrase twice once normalised, an unknown "@set") is checked as the matcher is
    built from this (content/matcher.py)."""

    settings: Annotated[MatcherSettings, _none_as(dict)] = MatcherSettings()
    # matched before diacritics are removed: may hold words that differ only by them
    accented: WordMap = {}
    expansions: WordMap = {}
    common_words: Annotated[list[str], _none_as(list)] = []
    word_sets: Annotated[
        dict[
            Annotated[str, AfterValidator(_set_name)],
            Annotated[list[str], AfterValidator(_not_empty_set)],
        ],
        _none_as(dict),
    ] = {}
    topics: dict[Annotated[str, AfterValidator(_known_topic)], TopicCues]
    precedence: Annotated[list[PrecedenceRule], _none_as(list)] = []
    scope: ScopePhrases | None = None
    combine: CombineWeights | None = None

    @field_validator("expansions")
    @classmethod
    def _distinct_without_diacritics(cls, expansions: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for key in expansions:
            folded = fold(key)
            if folded in seen:
                raise MatcherProblem(key, f"same as {seen[folded]!r} without diacritics")
            seen[folded] = key
        return expansions
