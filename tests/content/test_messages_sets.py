"""The real-life message sets are well formed: columns, topic ids, kinds, sizes, sources.

``messages_narrative*.tsv`` were written blind from ``topics.yaml``; ``messages_real*.tsv``,
``messages_real2*.tsv`` to ``messages_real7*.tsv`` quote citizens'
messages found on public pages, each with its source address (each later set shares no message
with the earlier ones, nor a cut of one). The
``*_score.tsv`` halves are for scoring only (see README.md here); this file checks their form
and never their accuracy: ``python bench/faq_accuracy.py FILE`` prints that.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from content.loader import load_content

HERE = Path(__file__).resolve().parent
TRAINING = HERE.parents[1] / "content" / "data" / "training"
HEADER = ["text", "topic", "kind", "source"]
KINDS = {"narrative", "multi", "complaint", "short", "tidy"}
SETS = {
    # set name: (least number of rows over both files, sources must be web addresses)
    "messages_narrative": (300, False),
    "messages_real": (150, True),
    "messages_real2": (30, True),
    "messages_real3": (15, True),
    "messages_real4": (30, True),
    "messages_real5": (80, True),
    "messages_real6": (60, True),
    "messages_written3": (600, False),
    "messages_real7": (60, True),
}
# sets split by a hash of the text: set name -> (salt, a row is scoring-only when below this)
HASH_SPLITS = {
    "messages_real": ("i11-real:", 40),
    "messages_real2": ("i11-real2:", 50),
    "messages_real3": ("i11-real3:", 50),
    "messages_real4": ("i11-real4:", 40),
    "messages_real5": ("i11-real5:", 40),
    "messages_real6": ("i11-real6:", 40),
    "messages_written3": ("i11-w3:", 40),
    "messages_real7": ("i11-real7:", 40),
}
SCORING_ONLY = "# SCORING ONLY:"


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    comments, rows, header = [], [], None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            assert header is None, f"{path.name}:{n}: comments come before the header"
            comments.append(line)
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            assert header == HEADER, f"{path.name}: header {header}"
            continue
        assert len(cells) == len(HEADER), f"{path.name}:{n}: {len(cells)} columns"
        rows.append(cells)
    return comments, rows


def files(name: str) -> tuple[Path, Path]:
    """The tuning half (training data of the model) and the scoring-only half.

    A new set's tune half may still sit here, next to its scoring half, until it is moved
    into the training folder.
    """
    tune = TRAINING / f"{name}.tsv"
    if not tune.exists():
        tune = HERE / f"{name}.tsv"
    return tune, HERE / f"{name}_score.tsv"


@pytest.fixture(scope="module")
def topic_ids() -> set[str]:
    return set(load_content().topics) | {"none"}


@pytest.mark.parametrize("name", sorted(SETS))
def test_rows_are_well_formed(name: str, topic_ids: set[str]) -> None:
    least, web_sources = SETS[name]
    total = 0
    for path in files(name):
        _, rows = read(path)
        assert rows, path.name
        total += len(rows)
        for n, (text, topic, kind, source) in enumerate(rows, 1):
            where = f"{path.name} row {n}"
            assert text.strip() == text and text, f"{where}: empty or padded text"
            assert topic in topic_ids, f"{where}: {topic!r} is not a topic id"
            assert kind in KINDS, f"{where}: kind {kind!r}"
            if web_sources:
                assert source.startswith(("http://", "https://")), f"{where}: source {source!r}"
                assert " " not in source, f"{where}: source {source!r}"
            else:
                assert source == "", f"{where}: a written message has no source"
    assert total >= least, f"{name}: {total} rows, at least {least} wanted"


@pytest.mark.parametrize("name", sorted(SETS))
def test_scoring_part_is_marked_and_disjoint(name: str) -> None:
    tune, score = files(name)
    comments, score_rows = read(score)
    assert comments and comments[0].startswith(SCORING_ONLY), f"{score.name}: first line"
    _, tune_rows = read(tune)
    tune_texts = {r[0].lower() for r in tune_rows}
    score_texts = [r[0].lower() for r in score_rows]
    assert len(set(score_texts)) == len(score_texts), f"{score.name}: repeated text"
    assert len(tune_texts) == len(tune_rows), f"{tune.name}: repeated text"
    assert not tune_texts & set(score_texts), f"{name}: a text is in both files"
    if name in HASH_SPLITS:
        return  # test_hash_split_is_kept checks every row's side
    # about 40 % of the set is held for scoring
    assert 0.3 <= len(score_rows) / (len(score_rows) + len(tune_rows)) <= 0.5


def scoring_only(salt: str, below: int, text: str) -> bool:
    return int(hashlib.sha256((salt + text).encode()).hexdigest(), 16) % 100 < below


@pytest.mark.parametrize("name", sorted(HASH_SPLITS))
def test_hash_split_is_kept(name: str) -> None:
    salt, below = HASH_SPLITS[name]
    tune, score = files(name)
    for path, wanted in ((tune, False), (score, True)):
        for text, *_ in read(path)[1]:
            assert scoring_only(salt, below, text) is wanted, f"{path.name}: {text[:60]!r}"


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_second_real_set_shares_no_message_with_the_first() -> None:
    first = {normal(r[0]) for path in files("messages_real") for r in read(path)[1]}
    second = [normal(r[0]) for path in files("messages_real2") for r in read(path)[1]]
    assert len(set(second)) == len(second), "messages_real2: repeated text across its files"
    assert not first & set(second), "messages_real2 repeats a message of messages_real"


# the real sets in the order they were collected; a set absent from this checkout (another
# branch's) is skipped
REAL_ORDER = [
    "messages_real",
    "messages_real2",
    "messages_real3",
    "messages_real4",
    "messages_real5",
    "messages_real6",
    "messages_real7",
]


def present(name: str) -> bool:
    return all(path.exists() for path in files(name))


@pytest.mark.parametrize(
    "name",
    ["messages_real3", "messages_real4", "messages_real5", "messages_real6", "messages_real7"],
)
def test_a_later_real_set_shares_no_message_with_the_older_ones(name: str) -> None:
    older = [
        normal(r[0])
        for earlier in REAL_ORDER[: REAL_ORDER.index(name)]
        if present(earlier)
        for path in files(earlier)
        for r in read(path)[1]
    ]
    later = [normal(r[0]) for path in files(name) for r in read(path)[1]]
    assert len(set(later)) == len(later), f"{name}: repeated text across its files"
    for text in later:
        # neither the same quote nor a longer or shorter cut of one
        clash = [o for o in older if text in o or o in text]
        assert not clash, f"{name} repeats an older message: {text[:60]!r}"


CHUNK = 50  # characters; a later set shares no run this long with an older one


@pytest.mark.parametrize("name", ["messages_real6", "messages_real7"])
def test_a_later_real_set_shares_no_long_passage_with_the_older_ones(name: str) -> None:
    older_chunks = {
        text[i : i + CHUNK]
        for earlier in REAL_ORDER[: REAL_ORDER.index(name)]
        if present(earlier)
        for path in files(earlier)
        for text in (normal(r[0]) for r in read(path)[1])
        for i in range(max(1, len(text) - CHUNK + 1))
    }
    for path in files(name):
        for text in (normal(r[0]) for r in read(path)[1]):
            shared = [
                text[i : i + CHUNK]
                for i in range(max(1, len(text) - CHUNK + 1))
                if text[i : i + CHUNK] in older_chunks
            ]
            assert not shared, f"{name} shares a passage with an older set: {shared[0]!r}"


def test_scoring_rule_is_written_down() -> None:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for name in SETS:
        assert f"{name}_score.tsv" in readme
