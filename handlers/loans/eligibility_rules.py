"""The rules of the eligibility self-check (handlers/loans/eligibility.py), with no dialog:
which question comes next, which programs the answers may qualify for, and the answers a
button carries.

The answers travel in the button (CheckEligibility, ``el:<pairs>``), each pair a question's
code then its answer's (``-`` for "skip"): ``sppbtn`` = status poor, purpose business,
student no. The pairs must be exactly those the questionnaire would ask in order; anything
else is an old or forged button. The questions, codes and rules are content
(eligibility.yaml).
"""

from __future__ import annotations

from content.models import (
    SKIP_ANSWER,
    Clause,
    Eligibility,
    EligibilityQuestion,
    EligibilityRule,
    NotIn,
)

SKIP_CODE = "-"

# question id -> answer id ("skip" for the skip button); questions not asked are absent.
Answers = dict[str, str]


def holds(clauses: list[Clause], answers: Answers) -> bool:
    """Whether any clause has all its conditions met; no clauses at all always holds."""
    if not clauses:
        return True
    return any(
        all(_condition_holds(condition, answers.get(question)) for question, condition in c.items())
        for c in clauses
    )


def _condition_holds(condition: list[str] | NotIn, answer: str | None) -> bool:
    if isinstance(condition, NotIn):
        return answer not in condition.not_in
    return answer in condition


def next_question(spec: Eligibility, answers: Answers) -> EligibilityQuestion | None:
    """The first question not yet answered that matters given the answers; None when done."""
    return next(
        (q for q in spec.questions if q.id not in answers and holds(q.ask_when, answers)),
        None,
    )


def parse(spec: Eligibility, code: str) -> Answers | None:
    """The answers a button carries, or None unless ``code`` is exactly what we would emit."""
    if len(code) % 2 or len(code) > 2 * len(spec.questions):
        return None
    answers: Answers = {}
    for i in range(0, len(code), 2):
        question = next_question(spec, answers)
        if question is None or code[i] != question.code:
            return None
        if code[i + 1] == SKIP_CODE:
            answers[question.id] = SKIP_ANSWER
            continue
        answer = question.by_code(code[i + 1])
        if answer is None:
            return None
        answers[question.id] = answer.id
    return answers


def matching_rules(spec: Eligibility, answers: Answers) -> list[EligibilityRule]:
    """The first rule that holds for each program, in the order of the file."""
    found: dict[str, EligibilityRule] = {}
    for rule in spec.rules:
        if rule.program not in found and holds(rule.when, answers):
            found[rule.program] = rule
    return list(found.values())
