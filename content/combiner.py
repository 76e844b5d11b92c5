"""How the matcher weighs its cue phrases against the statistical model: a learned combination.

The cue phrases (``matcher.yaml``) are precise on the questions they were written from; the
model (:mod:`content.classifier`) reads stories in words nobody listed. Which of the two to
believe depends on the message: a one-line question with a strong cue is the cue's, a story of
ten sentences is mostly the model's, and when the model says "not about the bank" a stray cue
word ("lũ", "nợ", "ngân hàng") should not overrule it. Hand-set weights for that (the matcher's
earlier ``model_weight``, a length rule, a scope override) left real citizens' messages at about
half right in cross-validation.

So each candidate topic of a message gets a few numbers (``FEATURES``: the model's probability
and margin, the cue score's share and size, whether each side ranks it first, the same for a
long message, and for ``none`` the scope model's margin and how strong the best cue is), and
a logistic regression over (message, topic) pairs, fitted on out-of-fold model outputs of
every training message, weighs them. The topic with the highest weighted sum wins;
``none_bias`` moves ``none``'s sum to trade out-of-scope answers against in-scope messages
answered ``none``. The weights are committed in ``matcher.yaml`` ``combine``, and
``python bench/faq_accuracy.py --combine-fit 5`` computes them again from the files in the
repository (nothing is downloaded); ``tests/content/test_combiner.py`` checks the committed
ones are what that command gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FEATURES", "NONE", "Combiner", "fit"]

NONE = "none"
FEATURES: tuple[str, ...] = (
    "model_p",  # the model's probability of the topic
    "model_margin",  # its linear decision value
    "cue_share",  # the topic's share of all cue scores, times how strong the best cue is
    "cue_log",  # log(1 + the topic's cue score)
    "cue_top",  # 1 when the cues rank the topic first
    "model_top",  # 1 when the model ranks it first
    "long_model_p",  # the same four, only for a long message (at least long_chars)
    "long_model_margin",
    "long_cue_share",
    "long_cue_log",
    "none",  # 1 for "none": with the next five, how out-of-scope answers are weighed
    "none_scope",  # the scope model's margin (above 0: about the bank)
    "none_long",
    "none_long_scope",
    "none_cue_strength",  # how strong the best cue of any topic is, in [0, 1)
    "none_cue_log",  # log(1 + the best cue score)
    "none_own_cue",  # log(1 + the score of the out-of-scope cues: gold price, a car loan...)
)


@dataclass(frozen=True)
class Combiner:
    """The fitted weights (one per ``FEATURES`` entry) and how they are read."""

    weights: np.ndarray
    none_bias: float
    long_chars: int
    confidence_scale: float  # raw cue score -> strength: 1 - exp(-raw / scale)

    def features(
        self,
        classes: Sequence[str],
        probs: np.ndarray,
        decision: np.ndarray,
        cues: Mapping[str, float],
        scope_margin: float | None,
        length: int,
    ) -> np.ndarray:
        """One row of ``FEATURES`` per class, in ``classes`` order."""
        n = len(classes)
        raw = np.array([cues.get(t, 0.0) for t in classes])
        best = float(raw.max()) if n else 0.0
        strength = 1.0 - math.exp(-best / self.confidence_scale)
        total = float(raw.sum()) or 1.0
        share = strength * raw / total
        cue_log = np.log1p(raw)
        cue_top = np.zeros(n)
        if best > 0:
            cue_top[int(np.argmax(raw))] = 1.0
        model_top = np.zeros(n)
        model_top[int(np.argmax(probs))] = 1.0
        long = float(length >= self.long_chars)
        is_none = np.array([float(t == NONE) for t in classes])
        margin = scope_margin or 0.0
        return np.column_stack(
            [
                probs,
                decision,
                share,
                cue_log,
                cue_top,
                model_top,
                long * probs,
                long * decision,
                long * share,
                long * cue_log,
                is_none,
                is_none * margin,
                is_none * long,
                is_none * long * margin,
                is_none * strength,
                is_none * math.log1p(best),
                is_none * math.log1p(cues.get(NONE, 0.0)),
            ]
        )

    def scores(self, features: np.ndarray, classes: Sequence[str]) -> np.ndarray:
        """The weighted sum of each class's features, ``none_bias`` added to ``none``'s."""
        out = features @ self.weights
        if NONE in classes:
            out[list(classes).index(NONE)] += self.none_bias
        return out


def fit(rows: Sequence[tuple[np.ndarray, int]], c: float = 1.0) -> np.ndarray:
    """Weights for (features of every class, index of the right class) rows: a logistic
    regression on (message, class) pairs, "is this the right class". The intercept is left
    out: it is the same for every class of a message, so it cannot change which one wins."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([f for f, _ in rows])
    y = np.concatenate([np.arange(len(f)) == gold for f, gold in rows]).astype(int)
    model = LogisticRegression(C=c, max_iter=5000, fit_intercept=True)
    model.fit(x, y)
    return np.asarray(model.coef_[0], dtype=float)
