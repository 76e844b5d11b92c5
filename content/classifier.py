"""A statistical topic model beside the matcher's cue phrases.

Cue phrases are precise but a story can tell the same thing in words nobody listed. This
model learns from every labelled message in ``data/training/*.tsv`` and the matcher's own
examples: a linear support-vector classifier (scikit-learn's ``LinearSVC``) over TF-IDF
features of word uni- and bigrams and of character 3- to 5-grams within words, all on the
matcher's normalised text (no diacritics, abbreviations expanded), so "vay von ho ngheo" and
"vay vốn hộ nghèo" are the same message to it.

It is trained when the content loads (about 0.3 s on 1,400 messages), from files in the
repository only: nothing is downloaded and nothing trained is stored. The same files give the
same model (the solver's shuffling is seeded). One process trains once per set of files.

The training files are labelled by ``topics.yaml``'s rules; a file is a TSV with a header that
names a ``topic`` column and a ``text`` (or ``question``) column, ``#`` lines before it.
Scoring-only sets live in ``tests/content`` and never here.

Beside the topics, a second linear SVM over the same features decides in scope or not (every
topic against ``none``), with a few more features: whether the message names something the
bank does not do (another lender, an inheritance, insurance, wages: matcher.yaml ``scope``)
and whether it names the bank's own world. Stories about a flood or a land dispute share most
of their words with loan stories; the topic model alone gives them a program. Its margin is
one of the numbers the matcher's combiner weighs for ``none`` (content/combiner.py).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ScopeCues", "TopicModel", "read_training", "train"]

TRAINING_DIR = "training"
TEXT_COLUMNS = ("text", "question")
# Decision values of a linear SVM are margins, mostly within [-1.5, 1.5]; this sharpens them
# into a distribution that a clear winner dominates (chosen by cross-validation on the
# training files, see bench/faq_accuracy.py --cv).
SHARPNESS = 3.0
# The model reads the last this-many characters of a message (the cue phrases read it all):
# its cost grows with the length, the question of a long story is nearly always at its end,
# and 99 % of its training messages are shorter than 400 characters anyway.
MAX_MODEL_CHARS = 500

_cache: dict[str, TopicModel] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class _Features:
    """One fitted TF-IDF vectorizer, reduced to what scoring a single message needs."""

    analyzer: Callable[[str], list[str]]  # scikit-learn's own n-gram analyzer
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int  # where its columns start in the joined feature space


@dataclass(frozen=True)
class ScopeCues:
    """Phrase groups of matcher.yaml ``scope``, normalised: each group is one feature of the
    scope model (1 when one of its phrases is in the message), and so is "some outside group
    and no inside phrase" and "another lender and no inside phrase"."""

    outside: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group, padded phrases)
    inside: tuple[str, ...] = ()
    lender_group: str = "lender"

    def features(self, normalized: str) -> list[float]:
        text = f" {normalized} "
        found = [any(p in text for p in phrases) for _, phrases in self.outside]
        inside = any(p in text for p in self.inside)
        lender = any(
            f for (name, _), f in zip(self.outside, found, strict=True) if name == self.lender_group
        )
        return [
            *map(float, found),
            float(inside),
            float(any(found) and not inside),
            float(lender and not inside),
        ]


@dataclass(frozen=True)
class TopicModel:
    """Scores every topic for a normalised text; thread-safe for reads.

    scikit-learn fits it; scoring one message through a scikit-learn pipeline costs about
    1.3 ms of fixed overhead (input validation, sparse matrices), more than the whole cue
    matcher. So scoring repeats the pipeline's arithmetic on the fitted vocabularies and
    weights: the same analyzers, sub-linear TF times IDF, L2 norm per vectorizer, then the
    linear decision. A test holds it equal to ``pipeline.decision_function``.
    """

    pipeline: Any  # the fitted scikit-learn pipeline, kept for that test
    classes: tuple[str, ...]
    size: int  # number of training messages
    _features: tuple[_Features, ...]
    _weights: np.ndarray  # (features, classes): a message's rows are gathered at once
    _intercept: np.ndarray
    # the scope model (None without scope cues): n-gram weights, cue weights, intercept
    _scope: tuple[np.ndarray, np.ndarray, float] | None = None
    scope_cues: ScopeCues | None = None
    scope_estimator: Any = None  # the fitted scikit-learn scope SVM, kept for a test

    def vector(self, normalized: str) -> tuple[list[int], list[float]]:
        """The message's non-zero features: columns and TF-IDF values."""
        text = normalized[-MAX_MODEL_CHARS:]
        columns: list[int] = []
        values: list[float] = []
        for feat in self._features:
            vocabulary = feat.vocabulary
            # count the n-grams in C first: a story repeats many, each is looked up once
            counts = {
                i: n
                for gram, n in Counter(feat.analyzer(text)).items()
                if (i := vocabulary.get(gram)) is not None
            }
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            vec = (1.0 + np.log(tf)) * feat.idf[idx]
            vec /= np.sqrt(vec @ vec)
            columns.extend((idx + feat.offset).tolist())
            values.extend(vec.tolist())
        return columns, values

    def decision(
        self, normalized: str, vector: tuple[list[int], list[float]] | None = None
    ) -> np.ndarray:
        """The linear decision value of every class, in ``classes`` order."""
        columns, values = vector or self.vector(normalized)
        if not columns:
            return self._intercept.copy()
        return np.asarray(values) @ self._weights[columns] + self._intercept

    def in_scope(
        self, normalized: str, vector: tuple[list[int], list[float]] | None = None
    ) -> float | None:
        """The scope model's margin: above 0 in scope, below 0 ``none`` (None: no such model)."""
        if self._scope is None or self.scope_cues is None:
            return None
        weights, cue_weights, intercept = self._scope
        columns, values = vector or self.vector(normalized)
        cues = self.scope_cues.features(normalized[-MAX_MODEL_CHARS:])
        return float(np.asarray(values) @ weights[columns] + cue_weights @ cues + intercept)

    def probabilities(
        self, normalized: str, vector: tuple[list[int], list[float]] | None = None
    ) -> dict[str, float]:
        """A distribution over topics (``none`` included) for normalised text."""
        probs = self.distribution(self.decision(normalized, vector))
        return dict(zip(self.classes, probs.tolist(), strict=True))

    def distribution(self, decision: np.ndarray) -> np.ndarray:
        """Decision values as a distribution over ``classes``."""
        weights = np.exp(SHARPNESS * (decision - decision.max()))
        return weights / weights.sum()


def _analyzer(vectorizer: Any) -> Callable[[str], list[str]]:
    """The vectorizer's analyzer; for character n-grams within words, the same n-grams with
    each word's kept (a story repeats its words, and the bot meets the same words all day):
    0.05 ms instead of 0.14 ms on a story of 2,000 characters."""
    if vectorizer.analyzer != "char_wb":
        return vectorizer.build_analyzer()
    preprocess = vectorizer.build_preprocessor()

    @functools.lru_cache(maxsize=100_000)
    def grams(word: str) -> tuple[str, ...]:
        return tuple(vectorizer._char_wb_ngrams(word))

    def analyze(text: str) -> list[str]:
        out: list[str] = []
        for word in preprocess(text).split():
            out.extend(grams(word))
        return out

    return analyze


def read_training(directory: Path, topic_ids: set[str]) -> list[tuple[str, str]]:
    """(text, topic) of every ``*.tsv`` in ``directory``; ValueError names file and line."""
    rows: list[tuple[str, str]] = []
    for path in sorted(Path(directory).glob("*.tsv")):
        header: list[str] | None = None
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or (header is None and line.startswith("#")):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                text_col = next((c for c in TEXT_COLUMNS if c in header), None)
                if "topic" not in header or text_col is None:
                    raise ValueError(f"training/{path.name}: header needs 'topic' and 'text'")
                t_at, q_at = header.index("topic"), header.index(text_col)
                continue
            if len(cells) != len(header):
                raise ValueError(f"training/{path.name}:{n}: {len(cells)} columns")
            topic, text = cells[t_at].strip(), cells[q_at].strip()
            if topic not in topic_ids:
                raise ValueError(f"training/{path.name}:{n}: unknown topic {topic!r}")
            if not text:
                raise ValueError(f"training/{path.name}:{n}: empty text")
            rows.append((text, topic))
    return rows


def train(
    rows: Iterable[tuple[str, str]],
    normalize: Callable[[str], str],
    scope_cues: ScopeCues | None = None,
) -> TopicModel:
    """The model for (text, topic) rows; the same rows give the same model, trained once.
    With ``scope_cues`` it also has the scope model (:meth:`TopicModel.in_scope`)."""
    data = [(normalize(text), topic) for text, topic in rows]
    data = [(text, topic) for text, topic in data if text]
    key = hashlib.sha256(repr((data, scope_cues)).encode()).hexdigest()
    with _lock:
        if (model := _cache.get(key)) is None:
            model = _cache[key] = _fit(data, scope_cues)
        return model


def _fit(data: list[tuple[str, str]], scope_cues: ScopeCues | None = None) -> TopicModel:
    # scikit-learn is imported here: only a process that answers questions pays for it
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
    )
    svc = LinearSVC(C=0.5, random_state=0)
    texts = [text[-MAX_MODEL_CHARS:] for text, _ in data]
    x = features.fit_transform(texts)  # shared by the topic and the scope models
    svc.fit(x, [topic for _, topic in data])
    pipeline = make_pipeline(features, svc)
    scope, binary = None, None
    if scope_cues is not None:
        from scipy import sparse

        cues = np.array([scope_cues.features(text) for text in texts])
        in_scope = [int(topic != "none") for _, topic in data]
        binary = LinearSVC(C=0.5, random_state=0).fit(sparse.hstack([x, cues]).tocsr(), in_scope)
        coef = binary.coef_[0]
        n_grams = x.shape[1]
        scope = (coef[:n_grams].copy(), coef[n_grams:].copy(), float(binary.intercept_[0]))
    features, offset = [], 0
    for _, vectorizer in pipeline.steps[0][1].transformer_list:
        features.append(
            _Features(_analyzer(vectorizer), dict(vectorizer.vocabulary_), vectorizer.idf_, offset)
        )
        offset += len(vectorizer.vocabulary_)
    return TopicModel(
        pipeline=pipeline,
        classes=tuple(str(c) for c in svc.classes_),
        size=len(data),
        _features=tuple(features),
        _weights=np.ascontiguousarray(svc.coef_.T),
        _intercept=svc.intercept_.copy(),
        _scope=scope,
        scope_cues=scope_cues,
        scope_estimator=binary,
    )
