"""The statistical topic model: trained from the repository's files only, scored exactly as
scikit-learn would, the same every time, and never trained on a scoring-only set."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from content import classifier
from content.classifier import TRAINING_DIR, read_training
from content.loader import DATA_DIR, Content, load_content
from content.normalize import fold

HERE = Path(__file__).resolve().parent
TRAINING = DATA_DIR / TRAINING_DIR
# sets that score the bot and must never be training data
SCORING = [
    *HERE.glob("*_score.tsv"),
    HERE / "questions_heldout3.tsv",
    HERE / "questions_heldout7.tsv",
]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def texts_of(path: Path) -> list[str]:
    """The question column of a TSV, whichever header it has."""
    out, column = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if column is None:
            column = cells.index("text") if "text" in cells else cells.index("question")
            continue
        out.append(cells[column])
    return out


def test_the_matcher_has_a_model_trained_on_every_training_file(content: Content) -> None:
    model = content.matcher.model
    assert model is not None
    files = sorted(TRAINING.glob("*.tsv"))
    assert len(files) >= 14
    rows = sum(len(texts_of(path)) for path in files)
    assert model.size >= rows  # plus matcher.yaml's examples
    assert set(model.classes) == set(content.topics) | {"none"}


def test_no_scoring_message_is_training_data() -> None:
    assert len(SCORING) >= 9
    training = {fold(t) for path in TRAINING.glob("*.tsv") for t in texts_of(path)}
    leaked = [t for path in SCORING for t in texts_of(path) if fold(t) in training]
    assert leaked == []


def test_fast_scoring_equals_the_scikit_learn_pipeline(content: Content) -> None:
    model = content.matcher.model
    assert model is not None
    texts = [content.matcher.model_text(t) for t in texts_of(TRAINING / "messages_real.tsv")]
    texts += ["", "zzzz qqqq", "vay", "lai suat " * 400]  # nothing known; one word; very long
    for text in texts:
        cut = text[-classifier.MAX_MODEL_CHARS :]
        expected = model.pipeline.decision_function([cut])[0]
        assert np.allclose(model.decision(text), expected, atol=1e-9), text[:60]
    probs = model.probabilities(texts[0])
    assert abs(sum(probs.values()) - 1) < 1e-9
    assert all(0 <= p <= 1 for p in probs.values())


def test_training_is_deterministic(content: Content) -> None:
    matcher = content.matcher
    rows = read_training(TRAINING, set(content.topics) | {"none"})
    data = [(matcher.model_text(t), topic) for t, topic in rows[:400]]
    first, second = classifier._fit(data), classifier._fit(data)  # no cache between them
    for text, _ in data[:50]:
        assert np.array_equal(first.decision(text), second.decision(text))


def test_a_data_dir_without_training_files_matches_by_cues_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns(TRAINING_DIR))
    matcher = load_content(data).matcher
    assert matcher.model is None
    assert matcher.match("vay vốn hộ nghèo").topic == "program.poor"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("topic\tquestion\nprogram.poor\tvay von\nno.such.topic\tx\n", "x.tsv:3: unknown topic"),
        ("question\tlabel\nvay von\tprogram.poor\n", "header needs 'topic' and 'text'"),
        ("text\ttopic\tkind\nvay von\tprogram.poor\n", "x.tsv:2: 2 columns"),
        ("# a comment\ntopic\ttext\nprogram.poor\t  \n", "x.tsv:3: empty text"),
    ],
)
def test_a_bad_training_file_is_refused_by_name_and_line(
    tmp_path: Path, body: str, error: str
) -> None:
    (tmp_path / "x.tsv").write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        read_training(tmp_path, {"program.poor", "none"})


def test_a_story_without_any_cue_phrase_is_understood_by_the_model(content: Content) -> None:
    """What the model adds: messages whose words no cue phrase lists. Each is scored with the
    cues alone (none, or the wrong topic) and with the model (the right topic)."""
    matcher = content.matcher
    model = matcher.model
    stories = {
        # a student's family, told without "học sinh", "sinh viên" or a program's name
        "Con gái tôi thi đỗ trường cao đẳng y, nhà nghèo không lo nổi tiền ăn ở, bà con bảo "
        "có chỗ hỗ trợ": "program.student",
        # harassment by lenders at the door: the cues hear "cho vay góp", the signs of a shark
        "Mấy đứa cho vay góp ngày nào cũng tới nhà chửi bới, ném mắm tôm vào cửa": (
            "blackcredit.victim"
        ),
    }
    for story, topic in stories.items():
        try:
            matcher.model = None
            by_cues = matcher.match(story).topic
        finally:
            matcher.model = model
        assert by_cues != topic
        assert matcher.match(story).topic == topic


def test_the_fast_scope_margin_equals_the_scikit_learn_svm(content: Content) -> None:
    model = content.matcher.model
    assert model is not None and model.scope_cues is not None
    features = model.pipeline.steps[0][1]
    texts = [content.matcher.model_text(t) for t in texts_of(TRAINING / "messages_real6.tsv")]
    texts += ["", "zzzz qqqq", "the tin dung vietcombank", "vay ho ngheo " * 200]
    for text in texts:
        cut = text[-classifier.MAX_MODEL_CHARS :]
        row = np.hstack([features.transform([cut]).toarray()[0], model.scope_cues.features(cut)])
        expected = model.scope_estimator.decision_function([row])[0]
        assert abs(model.in_scope(text) - expected) < 1e-9, text[:60]


def test_scope_cues_say_which_world_a_message_names() -> None:
    cues = classifier.ScopeCues(
        outside=(("lender", (" agribank ",)), ("land", (" thua ke ",))), inside=(" ho ngheo ",)
    )
    # lender, land, inside, some outside and no inside, a lender and no inside
    assert cues.features("vay agribank") == [1.0, 0.0, 0.0, 1.0, 1.0]
    assert cues.features("thua ke dat cua ho ngheo") == [0.0, 1.0, 1.0, 0.0, 0.0]
    assert cues.features("vay von sinh vien") == [0.0, 0.0, 0.0, 0.0, 0.0]
    assert cues.features("agribanking") == [0.0] * 5  # whole words only
