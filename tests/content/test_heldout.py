"""The matcher on held-out question sets written for it (never used as training data), its
speed and the content load time. ``python bench/faq_accuracy.py FILE`` prints the details.

questions_heldout.tsv was written before the matcher was tuned and then used to tune it;
questions_heldout2.tsv was written after, and scored untouched once (see the README). Both
now guard against regressions; neither is an unbiased estimate any more.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from content import classifier
from content.loader import Content, load_content
from content.normalize import fold

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# questions_heldout3.tsv was written by another engineer without reading the matcher's data
# and scored once, untouched (38/40 = 95.0%); keep it untuned so it stays an honest estimate.
# questions_heldout4.tsv (168) and questions_heldout5.tsv (133) were written blind too and
# scored once (89.9% and 88.7%); the concepts they showed missing were then added, so they
# are regression sets now (100% each when added), like the first two.
# questions_heldout6.tsv (147), written blind after both rounds of that tuning, scored
# 93.2% untouched (89.1% on the matcher as it was before those two rounds); the concepts it
# showed missing were then added, so it is a regression set now too (100% when added).
# questions_heldout7.tsv (142), written blind before that last round, is not a test here: it
# is scored by bench/faq_accuracy.py only and never tuned on (89.4% before the round, 92.3%
# after), the honest estimate of unseen questions in the README.
# The regression sets are training data of the statistical model now (content/data/training);
# questions_heldout3.tsv stays here, outside the training files.
TRAINING = REPO / "content" / "data" / "training"
HELDOUT = [
    TRAINING / "questions_heldout.tsv",
    TRAINING / "questions_heldout2.tsv",
    HERE / "questions_heldout3.tsv",
    TRAINING / "questions_heldout4.tsv",
    TRAINING / "questions_heldout5.tsv",
    TRAINING / "questions_heldout6.tsv",
]
# least top-1 accuracy per set; the sets added later hold a small margin under their figure
MIN_ACCURACY = {
    "questions_heldout4.tsv": 0.97,
    "questions_heldout5.tsv": 0.97,
    "questions_heldout6.tsv": 0.97,
}
DEFAULT_MIN_ACCURACY = 0.90
DEV = REPO.parent / "shared" / "faq" / "dev.tsv"
MAX_QUESTION_CHARS = 2000  # handlers/questions/answers.py cuts longer stories


def read_tsv(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "topic\tquestion", f"{path.name}: header"
    rows = [tuple(line.split("\t")) for line in lines[1:] if line.strip()]
    assert all(len(r) == 2 and r[1].strip() for r in rows), f"{path.name}: topic<TAB>question"
    return [(t.strip(), q.strip()) for t, q in rows]


def read_tsv_lenient(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        topic, sep, question = line.partition("\t")
        if sep and topic != "topic":
            rows.append((topic, question))
    return rows


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def answer(content: Content, question: str) -> str:
    """The topic the bot shows (questions/answers.py): the match, or none without an answer."""
    topic = content.matcher.match(question[:MAX_QUESTION_CHARS]).topic
    return topic if topic in content.answers else "none"


def test_first_set_is_large_and_covers_every_topic(content: Content) -> None:
    rows = read_tsv(HELDOUT[0])
    assert len(rows) >= 250
    assert {t for t, _ in rows} == set(content.topics)
    assert sum(t == "none" for t, _ in rows) >= 30


def test_second_set_is_large_enough(content: Content) -> None:
    rows = read_tsv(HELDOUT[1])
    assert len(rows) >= 80
    assert {t for t, _ in rows} <= set(content.topics)


@pytest.mark.parametrize("path", HELDOUT, ids=lambda p: p.name)
def test_no_question_is_copied_from_the_dev_set(path: Path) -> None:
    if not DEV.exists():
        pytest.skip(f"{DEV} is not here")
    dev = {fold(q) for _, q in read_tsv_lenient(DEV)}
    assert [q for _, q in read_tsv(path) if fold(q) in dev] == []


@pytest.mark.parametrize("path", HELDOUT, ids=lambda p: p.name)
def test_accuracy_and_none_confusions(content: Content, path: Path) -> None:
    rows = read_tsv(path)
    predicted = [(gold, answer(content, q), q) for gold, q in rows]
    misses = [p for p in predicted if p[0] != p[1]]
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= MIN_ACCURACY.get(path.name, DEFAULT_MIN_ACCURACY), misses

    in_scope = [p for p in predicted if p[0] != "none"]
    out_of_scope = [p for p in predicted if p[0] == "none"]
    as_none = [p for p in in_scope if p[1] == "none"]
    as_topic = [p for p in out_of_scope if p[1] != "none"]
    # `none` rarely given to in-scope questions, in-scope topics rarely to out-of-scope ones
    assert len(as_none) <= max(2, 0.03 * len(in_scope)), as_none
    assert len(as_topic) <= max(1, 0.10 * len(out_of_scope)), as_topic


def _p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))]


# The speed targets (p99 under 5 ms per message, 2,000 characters included) are measured by
# bench/faq_accuracy.py and quoted in the README: about 0.7 ms and 3.2 ms on an idle machine.
# A test cannot hold a shared machine to them: on CI the same code once measured 7.4 ms of
# CPU time (the machine itself ran 2.3 times slower). So these tests guard against what
# breaks the target on any machine, work that grows with the square of a message or a slow
# path taken by mistake, with bounds four times the target, the best of three rounds.
GUARD_MS = 20


@pytest.mark.slow
def test_latency_p99(content: Content) -> None:
    """Short questions: the bench prints about 0.7 ms p99 of CPU time."""
    matcher = content.matcher
    questions = [q for path in HELDOUT for _, q in read_tsv(path)]
    for q in questions:
        matcher.match(q)  # warm the typo cache as a running bot would
    wall_p99 = cpu_p99 = float("inf")
    for _ in range(3):
        wall: list[float] = []
        cpu: list[float] = []
        for _ in range(3):
            for q in questions:
                t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
                matcher.match(q)
                c1, t1 = time.thread_time_ns(), time.perf_counter_ns()
                wall.append((t1 - t0) / 1e6)
                cpu.append((c1 - c0) / 1e6)
        wall_p99 = min(wall_p99, _p99(wall))
        cpu_p99 = min(cpu_p99, _p99(cpu))
    assert wall_p99 < 2 * GUARD_MS, f"p99 {wall_p99:.2f} ms"
    assert cpu_p99 < GUARD_MS, f"CPU p99 {cpu_p99:.2f} ms"


def _long_messages(questions: list[str]) -> list[str]:
    """Messages of MAX_QUESTION_CHARS characters: consecutive questions joined as a story."""
    out = []
    for start in range(0, len(questions), 7):
        text = " ".join(questions[start:] + questions[:start])
        out.append(text[:MAX_QUESTION_CHARS])
        if len(out) == 40:
            break
    return out


def test_latency_p99_long_messages(content: Content) -> None:
    """A message of 2,000 characters, the most the bot reads (the bench prints about 3.2 ms):
    a story holds hundreds of words, so the matcher must not do work that grows with their
    square (that would cost a hundred times more, not a few)."""
    matcher = content.matcher
    messages = _long_messages([q for path in HELDOUT for _, q in read_tsv(path)])
    for m in messages:
        matcher.match(m)
    cpu_p99 = float("inf")
    for _ in range(3):
        cpu: list[float] = []
        for _ in range(3):
            for m in messages:
                c0 = time.thread_time_ns()
                matcher.match(m)
                cpu.append((time.thread_time_ns() - c0) / 1e6)
        cpu_p99 = min(cpu_p99, _p99(cpu))
    assert cpu_p99 < GUARD_MS, f"CPU p99 {cpu_p99:.2f} ms for {MAX_QUESTION_CHARS} characters"


def test_content_load_time() -> None:
    """A process's start: the content, the cues and the model trained from its files."""
    best = float("inf")
    for _ in range(2):
        classifier._cache.clear()  # train again: a new process has no model yet
        start = time.perf_counter()
        fresh = load_content()
        _ = fresh.matcher
        best = min(best, time.perf_counter() - start)
    assert best < 8.0, f"content load {best:.2f} s"  # the bench: 1.8 s on an idle machine
