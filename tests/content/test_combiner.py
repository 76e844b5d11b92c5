"""The learned weighing of cue phrases against the statistical model (content/combiner.py):
its features, how matcher.yaml states it, how ``none_bias`` trades "none" against topics,
and that the committed weights are what ``bench/faq_accuracy.py --combine-fit`` gives."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from content.combiner import FEATURES, Combiner, fit
from content.loader import DATA_DIR, Content, load_content
from content.matcher import Matcher
from content.models import MatcherData

REPO = Path(__file__).resolve().parents[2]

# Written for these tests from topics.yaml's rule 5 and its topics.
INHERITANCE = (
    "Bố mẹ tôi mất không để lại di chúc, mấy anh em tranh chấp mảnh đất hương hỏa, chia thế "
    "nào cho đúng luật?"
)
POOR_LOAN = "Nhà tôi là hộ nghèo, muốn vay vốn ngân hàng chính sách để nuôi bò thì cần giấy tờ gì?"
LONG_STORY = (
    "Năm ngoái nhà em vay của một người trong xóm 30 triệu, mỗi ngày góp 600 nghìn. Mấy tháng "
    "nay mất mùa nên em trễ vài hôm, thế là họ cho người đến nhà chửi bới, ném mắm tôm vào cửa "
    "và gọi điện cho cả họ hàng nói em lừa đảo. Giờ em phải làm sao?"
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
def matcher(content: Content) -> Iterator[Matcher]:
    """The loaded matcher; a test may swap its combiner, which is put back afterwards."""
    combiner = content.matcher.combiner
    yield content.matcher
    content.matcher.combiner = combiner


def _with_bias(matcher: Matcher, bias: float) -> None:
    assert matcher.combiner is not None
    matcher.combiner = dataclasses.replace(matcher.combiner, none_bias=bias)


def test_features_are_one_row_per_class_in_the_documented_order() -> None:
    combiner = Combiner(np.zeros(len(FEATURES)), 0.0, long_chars=80, confidence_scale=4.0)
    classes = ("loan.interest", "none", "program.poor")
    probs = np.array([0.2, 0.1, 0.7])
    decision = np.array([-0.5, -1.0, 0.9])
    cues = {"loan.interest": 6.0, "program.poor": 2.0}
    short = combiner.features(classes, probs, decision, cues, scope_margin=0.8, length=40)
    long = combiner.features(classes, probs, decision, cues, scope_margin=0.8, length=400)
    col = {name: i for i, name in enumerate(FEATURES)}
    assert short.shape == long.shape == (3, len(FEATURES))
    assert short[:, col["model_p"]].tolist() == probs.tolist()
    assert short[:, col["cue_top"]].tolist() == [1.0, 0.0, 0.0]  # the cues' best
    assert short[:, col["model_top"]].tolist() == [0.0, 0.0, 1.0]  # the model's best
    assert short[:, col["none"]].tolist() == [0.0, 1.0, 0.0]
    assert short[1, col["none_scope"]] == pytest.approx(0.8)
    # a cue's share of all cue scores, times how strong the best cue is
    strength = 1 - np.exp(-6.0 / 4.0)
    assert short[0, col["cue_share"]] == pytest.approx(strength * 6 / 8)
    # the long-message columns are zero for a short message and copies for a long one
    for name in ("long_model_p", "long_model_margin", "long_cue_share", "long_cue_log"):
        assert not short[:, col[name]].any()
        assert long[:, col[name]].tolist() == long[:, col[name.removeprefix("long_")]].tolist()
    assert short[1, col["none_long"]] == 0.0 and long[1, col["none_long"]] == 1.0


def test_none_bias_is_added_to_none_only() -> None:
    combiner = Combiner(np.ones(len(FEATURES)), -2.0, long_chars=80, confidence_scale=4.0)
    features = np.zeros((3, len(FEATURES)))
    assert combiner.scores(features, ("a", "none", "b")).tolist() == [0.0, -2.0, 0.0]


def test_fit_learns_which_side_to_believe() -> None:
    """Rows whose right class is always the cues' best and rarely the model's: the fitted
    weights pick the cues' best."""
    rng = np.random.default_rng(0)
    col = {name: i for i, name in enumerate(FEATURES)}
    rows = []
    for _ in range(200):
        f = rng.random((4, len(FEATURES))) * 0.1
        gold, other = rng.choice(4, size=2, replace=False)
        f[gold, col["cue_top"]] = 1.0
        f[other, col["model_top"]] = 1.0
        rows.append((f, int(gold)))
    weights = fit(rows)
    assert weights[col["cue_top"]] > 0 > weights[col["model_top"]] - weights[col["cue_top"]]
    assert all(int(np.argmax(f @ weights)) == gold for f, gold in rows)


def test_the_matcher_answers_with_the_combiner(matcher: Matcher) -> None:
    """The answer is the class with the highest weighed sum, its share the confidence."""
    assert matcher.model is not None and matcher.combiner is not None
    _, features = matcher.evidence(LONG_STORY)
    assert features is not None
    sums = matcher.combiner.scores(features, matcher.model.classes)
    share = np.exp(sums - sums.max())
    share /= share.sum()
    m = matcher.match(LONG_STORY)
    assert m.topic == matcher.model.classes[int(np.argmax(sums))] == "blackcredit.victim"
    assert m.score == pytest.approx(share.max(), abs=1e-4)


def test_none_bias_trades_none_against_topics(matcher: Matcher) -> None:
    committed = matcher.combiner
    assert matcher.match(INHERITANCE).topic == "none"
    assert matcher.match(POOR_LOAN).topic == "program.poor"
    _with_bias(matcher, -50.0)  # "none" never wins
    nearly = matcher.match(INHERITANCE).topic
    assert nearly != "none"
    _with_bias(matcher, 50.0)  # "none" always wins
    assert matcher.match(POOR_LOAN).topic == "none"
    # with the committed bias, the topic it nearly gave stays one tap away
    matcher.combiner = committed
    assert matcher.match(INHERITANCE).alternatives[:1] == [nearly]


def _combine(weights: dict[str, float]) -> dict[str, object]:
    return {"long_chars": 80, "none_bias": -1.0, "weights": weights}


def test_matcher_yaml_names_every_weight_once() -> None:
    raw = yaml.safe_load((DATA_DIR / "matcher.yaml").read_text(encoding="utf-8"))
    context = {"topic_ids": set(load_content().topics)}
    full = dict.fromkeys(FEATURES, 0.5)
    MatcherData.model_validate({**raw, "combine": _combine(full)}, context=context)
    missing = {k: v for k, v in full.items() if k != "cue_log"}
    with pytest.raises(ValueError, match="missing cue_log"):
        MatcherData.model_validate({**raw, "combine": _combine(missing)}, context=context)
    with pytest.raises(ValueError, match="unknown cue_size"):
        MatcherData.model_validate(
            {**raw, "combine": _combine({**full, "cue_size": 1.0})}, context=context
        )


@pytest.mark.slow
def test_the_committed_weights_are_what_the_fit_gives() -> None:
    """matcher.yaml ``combine`` is rebuilt by a command from files in the repository; after the
    training files or cue phrases change, that command must be run again (about 30 s)."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import faq_accuracy  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "bench"))
    committed = yaml.safe_load((DATA_DIR / "matcher.yaml").read_text(encoding="utf-8"))["combine"]
    weights, bias = faq_accuracy.combine_fit(faq_accuracy.load(), DATA_DIR, 5)
    assert bias == committed["none_bias"]
    assert weights == pytest.approx(committed["weights"], abs=2e-3)
