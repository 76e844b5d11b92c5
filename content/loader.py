"""Loads every content file, validates it, and hands the bot one read-only Content object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from content.glossary import Glossary
from content.models import (
    ALLOWED_TAGS,
    TAG_RE,
    Answer,
    Calculator,
    Eligibility,
    LocalOverride,
    LocalPrograms,
    LText,
    Program,
    Topic,
    choose_plurals,
)
from content.places import province_name

if TYPE_CHECKING:
    from content.matcher import Matcher

DATA_DIR = Path(__file__).parent / "data"
CARD_FIELDS = (
    "name",
    "who",
    "conditions",
    "max_amount",
    "rate_note",
    "term",
    "collateral",
    "documents",
    "how_to_apply",
)
SUMMARY_FIELDS = ("who", "amount", "rate", "next_step")


def program_texts(program: Program) -> list[tuple[str, LText]]:
    """(field, text) of every citizen-facing text of a program card, its summary's too."""
    found = [(name, getattr(program, name)) for name in CARD_FIELDS]
    found += [(f"summary.{name}", getattr(program.summary, name)) for name in SUMMARY_FIELDS]
    return [(where, text) for where, text in found if text is not None]


class ContentError(ValueError):
    """A content file is wrong; the message names the file and the place."""


@dataclass(frozen=True)
class Content:
    topics: dict[str, Topic]
    programs: dict[str, Program]
    answers: dict[str, Answer]
    messages: dict[str, LText]
    data_dir: Path = field(default=DATA_DIR)
    # Province code -> that province's own programs and overrides.
    local: dict[int, LocalPrograms] = field(default_factory=dict)
    # The /dieukien questions and rules (eligibility.yaml); None where the file is absent.
    eligibility: Eligibility | None = None
    # The loan calculator's limits and assumed schedule (calculator.yaml); None if absent.
    calculator: Calculator | None = None
    # Words a farmer does not use and their plain words (glossary.yaml); None if absent.
    glossary: Glossary | None = None

    def text(self, key: str, lang: str, **values: Any) -> str:
        """The message ``key`` in ``lang`` with ``values`` filled in, and in English the
        plural form each count calls for."""
        try:
            template = self.messages[key].get(lang)
        except KeyError:
            raise KeyError(f"no message {key!r} in messages.yaml") from None
        return choose_plurals(template, values).format(**values) if values else template

    def programs_for(self, province: int | None) -> dict[str, Program]:
        """National programs, then the province's own ones."""
        own = self.local[province].programs if province in self.local else []
        return {**self.programs, **{p.id: p for p in own}}

    def program_for(
        self, program_id: str, province: int | None
    ) -> tuple[Program, LocalOverride | None] | None:
        """The program as it applies in ``province``, and the local override behind it.

        A verified override replaces the national figures and adds its legal basis; an
        unverified one is returned unapplied, for the card to mention.
        """
        program = self.programs_for(province).get(program_id)
        if program is None:
            return None
        local = self.local.get(province) if province is not None else None
        override = (
            next((o for o in local.overrides if o.program == program_id), None) if local else None
        )
        if override is None or not override.verified:
            return program, override
        changes = {
            name: getattr(override, name)
            for name in ("rate_year_pct", "rate_month_pct", "max_amount", "max_amount_vnd", "term")
            if getattr(override, name) is not None
        }
        summary_changes: dict[str, Any] = {}
        if override.rate_year_pct is not None:
            changes["rate_note"] = None  # the national note restates the national rate
            summary_changes["rate"] = None  # so does the summary's rate line
        if override.max_amount is not None:
            summary_changes["amount"] = override.max_amount
        changes["summary"] = program.summary.model_copy(update=summary_changes)
        changes["legal_basis"] = [*override.legal_basis, *program.legal_basis]
        changes["checked_on"] = min(override.checked_on, program.checked_on)
        return program.model_copy(update=changes), override

    def provinces_with_terms(self, program_id: str) -> list[LocalPrograms]:
        """Provinces with their own verified terms for a national program.

        An unverified entry is only a note for the province's own users: telling everyone
        else that the province has its own terms would state what nobody has checked.
        """
        return [
            local
            for local in self.local.values()
            if any(o.program == program_id and o.verified for o in local.overrides)
        ]

    def program_by_topic(self, topic: str) -> Program | None:
        return next((p for p in self.programs.values() if p.topic == topic), None)

    @cached_property
    def matcher(self) -> Matcher:
        from content.matcher import load_matcher

        try:
            return load_matcher(self.data_dir, set(self.topics))
        except ValueError as exc:  # `content check` reports it in one line, like the rest
            raise ContentError(str(exc)) from None

    def stale(self, today: dt.date) -> list[str]:
        """Warnings for every figure whose check is older than its review period."""
        found = [
            f"programs.yaml: {p.id} checked {p.checked_on}, review every {p.review_days} days"
            for p in self.programs.values()
            if p.is_stale(today)
        ]
        found += [
            f"local/ province {local.province_code}: {_item_id(item)} checked {item.checked_on}, "
            f"review every {item.review_days} days"
            for local in self.local.values()
            for item in _reviewed(local)
            if item.is_stale(today)
        ]
        if self.eligibility is not None and self.eligibility.is_stale(today):
            found.append(
                f"eligibility.yaml: checked {self.eligibility.checked_on}, "
                f"review every {self.eligibility.review_days} days"
            )
        found += [
            f"answers.yaml: {topic} checked {a.checked_on}, review every {a.review_days} days"
            for topic, a in self.answers.items()
            if a.is_stale(today)
        ]
        return found


def _reviewed(local: LocalPrograms) -> list[LocalOverride | Program]:
    return [*local.overrides, *local.programs]


def _item_id(item: LocalOverride | Program) -> str:
    return item.program if isinstance(item, LocalOverride) else item.id


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except FileNotFoundError:
        raise ContentError(f"{path.name}: file is missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: not valid YAML: {exc}") from None


def _problem(file: str, where: str, exc: ValidationError) -> ContentError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return ContentError(f"{file}: {where}{'.' + loc if loc else ''}: {first['msg']}")


def _check_markup(file: str, where: str, text: LText) -> None:
    """Only tags every channel can show, balanced within each paragraph (we split there)."""
    for lang in ("vi", "en"):
        for paragraph in text.get(lang).split("\n\n"):
            stack: list[str] = []
            for match in TAG_RE.finditer(paragraph):
                tag = match.group(1).lower()
                if tag not in ALLOWED_TAGS:
                    raise ContentError(f"{file}: {where}.{lang}: tag <{tag}> is not allowed")
                if match.group(0).startswith("</"):
                    if not stack or stack.pop() != tag:
                        raise ContentError(f"{file}: {where}.{lang}: unbalanced </{tag}>")
                else:
                    stack.append(tag)
            if stack:
                raise ContentError(f"{file}: {where}.{lang}: <{stack[-1]}> is not closed")


def load_content(data_dir: Path = DATA_DIR) -> Content:
    """Read and validate every file; raise ContentError on the first problem."""
    raw_topics = _read_yaml(data_dir / "topics.yaml")
    try:
        topics = {t["id"]: Topic.model_validate(t) for t in raw_topics["topics"]}
    except ValidationError as exc:
        raise _problem("topics.yaml", "topics", exc) from None

    programs: dict[str, Program] = {}
    for i, raw in enumerate(_read_yaml(data_dir / "programs.yaml")["programs"]):
        where = f"programs[{i}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) else "")
        try:
            program = Program.model_validate(raw)
        except ValidationError as exc:
            raise _problem("programs.yaml", where, exc) from None
        if program.id in programs:
            raise ContentError(f"programs.yaml: {where}: duplicate id {program.id!r}")
        if program.topic not in topics:
            raise ContentError(
                f"programs.yaml: {where}: topic {program.topic!r} not in topics.yaml"
            )
        for where, text in program_texts(program):
            _check_markup("programs.yaml", f"{program.id}.{where}", text)
        programs[program.id] = program

    answers: dict[str, Answer] = {}
    for topic_id, raw in (_read_yaml(data_dir / "answers.yaml")["answers"] or {}).items():
        if topic_id not in topics:
            raise ContentError(f"answers.yaml: {topic_id}: not a topic id in topics.yaml")
        try:
            answer = Answer.model_validate(raw)
        except ValidationError as exc:
            raise _problem("answers.yaml", topic_id, exc) from None
        if answer.program is not None and answer.program not in programs:
            raise ContentError(f"answers.yaml: {topic_id}: unknown program {answer.program!r}")
        _check_markup("answers.yaml", f"{topic_id}.text", answer.text)
        answers[topic_id] = answer
    missing = sorted(set(topics) - set(answers) - {"none"})
    if missing:
        raise ContentError(f"answers.yaml: no answer for topic {missing[0]!r}")

    # messages.yaml holds the core dialogs; a feature may keep its texts in messages_<feature>.yaml.
    messages: dict[str, LText] = {}
    for path in sorted(data_dir.glob("messages*.yaml")):
        for key, raw in (_read_yaml(path)["messages"] or {}).items():
            if key in messages:
                raise ContentError(f"{path.name}: {key}: key already defined in another file")
            try:
                messages[key] = LText.model_validate(raw)
            except ValidationError as exc:
                raise _problem(path.name, key, exc) from None
            _check_markup(path.name, key, messages[key])
    if not messages:
        raise ContentError("messages.yaml: file is missing")

    local = _load_local(data_dir / "local", programs, topics)

    eligibility: Eligibility | None = None
    if (data_dir / "eligibility.yaml").exists():
        try:
            eligibility = Eligibility.model_validate(_read_yaml(data_dir / "eligibility.yaml"))
        except ValidationError as exc:
            raise _problem("eligibility.yaml", "eligibility", exc) from None
        problem = eligibility.problem(set(programs))
        if problem:
            raise ContentError(f"eligibility.yaml: {problem}")
        for where, text in eligibility.texts():
            _check_markup("eligibility.yaml", where, text)

    calculator: Calculator | None = None
    if (data_dir / "calculator.yaml").exists():
        try:
            raw = _read_yaml(data_dir / "calculator.yaml")
            calculator = Calculator.model_validate(
                raw.get("calculator") if isinstance(raw, dict) else raw
            )
        except ValidationError as exc:
            raise _problem("calculator.yaml", "calculator", exc) from None

    glossary: Glossary | None = None
    if (data_dir / "glossary.yaml").exists():
        try:
            glossary = Glossary.model_validate(_read_yaml(data_dir / "glossary.yaml"))
        except ValidationError as exc:
            raise _problem("glossary.yaml", "glossary", exc) from None
        texts = _citizen_texts(programs, answers, local, eligibility)
        texts += [(f"messages: {key}", text) for key, text in messages.items()]
        problem = glossary.problem(texts)
        if problem:
            raise ContentError(problem)

    return Content(
        topics=topics,
        programs=programs,
        answers=answers,
        messages=messages,
        data_dir=data_dir,
        local=local,
        eligibility=eligibility,
        calculator=calculator,
        glossary=glossary,
    )


def _citizen_texts(
    programs: dict[str, Program],
    answers: dict[str, Answer],
    local: dict[int, LocalPrograms],
    eligibility: Eligibility | None,
) -> list[tuple[str, LText]]:
    """(where, text) of every answer and card text a citizen reads, for the glossary check."""
    found = [(f"answers.yaml: {topic}.text", a.text) for topic, a in answers.items()]
    for program in programs.values():
        found += [(f"programs.yaml: {program.id}.{w}", t) for w, t in program_texts(program)]
    for code, province in local.items():
        for override in province.overrides:
            found.append((f"local/ province {code}: {override.program}.note", override.note))
        for program in province.programs:
            found += [
                (f"local/ province {code}: {program.id}.{w}", t) for w, t in program_texts(program)
            ]
    if eligibility is not None:
        found += [(f"eligibility.yaml: {w}", t) for w, t in eligibility.texts()]
    return found


def _load_local(
    folder: Path, programs: dict[str, Program], topics: dict[str, Topic]
) -> dict[int, LocalPrograms]:
    """Province files: each override names a national program; own programs add new ids."""
    local: dict[int, LocalPrograms] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        name = f"local/{path.name}"
        try:
            province = LocalPrograms.model_validate(_read_yaml(path))
        except ValidationError as exc:
            raise _problem(name, "province", exc) from None
        if province_name(province.province_code) is None:
            raise ContentError(f"{name}: province_code {province.province_code} is not a province")
        if province.province_code in local:
            raise ContentError(f"{name}: province {province.province_code} has another file")
        for i, override in enumerate(province.overrides):
            if override.program not in programs:
                raise ContentError(f"{name}: overrides[{i}]: unknown program {override.program!r}")
            _check_markup(name, f"overrides[{i}].note", override.note)
        for program in province.programs:
            if program.id in programs:
                raise ContentError(f"{name}: {program.id}: id already used by a national program")
            if program.topic not in topics:
                raise ContentError(
                    f"{name}: {program.id}: topic {program.topic!r} not in topics.yaml"
                )
            for where, text in program_texts(program):
                _check_markup(name, f"{program.id}.{where}", text)
        local[province.province_code] = province
    return local
