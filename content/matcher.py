"""Maps a citizen's free-text question to one topic id, or ``none``.

Technique (all data in ``data/matcher.yaml``, normalised at load):

* The question is normalised (:mod:`content.normalize`): lowercase, no diacritics, no
  punctuation, abbreviations and regional words expanded.
* Unknown words are repaired against the matcher's own vocabulary: Telex leftovers
  ("ngheof" -> "ngheo"), two words typed together ("vayvon" -> "vay von"), and one-edit typos
  (insert / delete / substitute / swap: "nghoe" -> "ngheo", "lai xuat" -> "lai suat").
* A message written with diacritics (``accent_share`` of its words carry some) keeps them
  beside its folded tokens (:meth:`content.normalize.Normalizer.marked_tokens`): a cue phrase
  written with diacritics counts only where the message's words carry the same ones, tone
  placement aside ("hoà" is "hòa"; "tối đa" is not "tôi đã", "bỏ chồng" not "bố chồng"). A
  word typed bare may still be the cue's word; a message typed without diacritics, or a cue
  written without them, matches folded.
* Every topic has weighted cue phrases. All phrases found in the question are collected; a
  phrase lying inside a longer phrase that was also found is ignored ("ngheo" inside
  "thoat ngheo"). "a + b" phrases fire when both parts appear anywhere; a part may list
  alternatives ("qua doi | mat roi") or name a word set ("@vbsp_person"), so one line says
  "any group leader or official + any way of running off with the money". A topic's raw score
  is the sum of its phrase weights (a repaired word counts a little less).
* A statistical model (:mod:`content.classifier`) trained at load on every labelled message in
  ``data/training/`` reads the message too: word and character n-grams, a linear SVM, and a
  second one that says whether the message is about the bank at all. How much each side
  counts is learned (:mod:`content.combiner`, matcher.yaml ``combine``): for every topic the
  model's probability and margin, the cue score, whether each ranks it first, and for a long
  message the same again; for ``none`` the scope model's margin and the best cue's strength.
  Without training files the cues decide alone, with a character-trigram similarity to the
  example phrasings.
* Precedence rules from the labelling rules (a named program beats a general loan.* topic)
  damp the beaten topics; a rule may also ask its winner to reach a share of the beaten
  topic's own score (``min_ratio``: one stray out-of-scope word does not silence a story).
* A message may be a story of 2,000 characters (hundreds of words), so nothing here grows
  with the square of its length: phrase windows stop where no phrase begins, and the parts
  of "a + b" cues are searched only when all their words are present.
* The class with the highest weighed sum wins, ``none`` included (it has its own cues and
  training messages: gold price, other banks...); its share of the softmax is the confidence,
  and the runners-up (and the cues' own close calls) are offered as choices. Cues alone: the
  best topic wins unless no cue reaches ``none_threshold``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from content.classifier import TRAINING_DIR, ScopeCues, TopicModel, read_training, train
from content.combiner import FEATURES, Combiner
from content.models import MatcherData, MatcherProblem
from content.normalize import Normalizer

__all__ = ["Match", "Matcher", "load_matcher"]

FILE_NAME = "matcher.yaml"
NONE = "none"
_END = ""  # a trie node's entry for the phrase that ends there (no word is empty)
# A runner-up is offered as a choice ("did you mean") when the combiner believes it at least
# this share of the winner (a weighed sum within 3 of it): in cross-validation that is a
# quarter of the messages, and top-3 gains 3 points over top-1. Under an answer "none" the
# topics it nearly gave are offered from a hundredth of its belief in "none" (an in-scope
# message answered "none" is one tap from its answer; chit-chat gets no topic buttons).
CHOICE_RATIO = 0.05
NONE_CHOICE_RATIO = 0.01

_TELEX = (
    (re.compile(r"aa"), "a"),
    (re.compile(r"aw"), "a"),
    (re.compile(r"ee"), "e"),
    (re.compile(r"oo"), "o"),
    (re.compile(r"ow"), "o"),
    (re.compile(r"uw"), "u"),
    (re.compile(r"dd"), "d"),
    (re.compile(r"w"), "u"),
)
_TONE_KEYS = "sfrxj"

# The shape of a well-formed Vietnamese syllable written without diacritics: onset, vowel
# nucleus, final consonant. A typed word of that shape ("xung", "tiep", "phen") is an
# ordinary word the cue lists do not know, not a typo, so it is not bent into a cue word;
# "ngeo", "nghoe", "vonn" and "thpt" are not of that shape.
_NUCLEI = (
    "uyeu|uoi|uou|uay|uya|uye|uyu|oai|oay|oeo|ieu|yeu|"
    "ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ya|ye|"
    "a|e|i|o|u|y"
)
_SYLLABLE = re.compile(
    r"(?P<onset>ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?"
    rf"(?P<nucleus>{_NUCLEI})(?P<coda>ch|nh|ng|[cmnpt])?"
)
_OPEN_ONLY = {"ai", "ao", "au", "ay", "eo", "eu", "ia", "iu", "oi", "ui", "uu", "ya"}


def _is_syllable(word: str) -> bool:
    """True when ``word`` could be a Vietnamese syllable typed without diacritics."""
    m = _SYLLABLE.fullmatch(word)
    if m is None:
        return False
    onset, nucleus, coda = m.group("onset") or "", m.group("nucleus"), m.group("coda") or ""
    front = nucleus[0] in "eiy"
    if onset in ("c", "g", "ng") and front and not (onset == "g" and nucleus[0] == "i"):
        return False  # written k-, gh-, ngh- before e, i, y
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if coda and (nucleus in _OPEN_ONLY or (len(nucleus) == 3 and nucleus not in ("uye",))):
        return False
    return not (coda in ("ch", "nh") and nucleus[-1] not in "aeiy")


# A cue's diacritics: the mark_key of each of its tokens ("tối đa" -> ("tôi1", "đa")), None
# for a token that says nothing about them (a "#", a word an expansion wrote). A cue written
# without any diacritic has none at all (None): it matches the folded text, as typed.
_Marks = tuple[str | None, ...] | None

# One part of an "a + b" cue: its alternatives, each a normalised phrase padded with spaces
# (" to truong ") with its marks; "#" stands for any number. The part is present when any
# alternative is.
_Part = tuple[tuple[str, _Marks], ...]

# Lenient reading of a message's diacritics: a word typed without any (in a message that has
# them) may stand for a cue word that has them; a word typed with them must match the cue's.
LENIENT_BARE_WORDS = True


def _agree(
    tokens: list[str], marks: list[str | None], start: int, key: tuple[str, ...], cue: _Marks
) -> bool:
    """Whether the message words at ``start`` carry the diacritics of the cue ``key``.

    Only where the message has the cue's word itself: a repaired typo or a number that
    stands for "#" says nothing about diacritics, nor does a word a rule wrote (no mark)."""
    if cue is None:
        return True
    for k, (word, want) in enumerate(zip(key, cue, strict=True)):
        got = marks[start + k]
        if got is None or want is None or got == want or tokens[start + k] != word:
            continue
        if LENIENT_BARE_WORDS and got == word:
            continue  # typed without diacritics: it may be this word
        return False
    return True


@dataclass(frozen=True)
class Match:
    topic: str
    score: float  # confidence in [0, 1]
    alternatives: list[str] = field(default_factory=list)
    cue: float = 0.0  # the cue phrases' raw score for ``topic`` (0 when only the model saw it)


@dataclass(frozen=True)
class _Rule:
    name: str
    when: frozenset[str]
    min_score: float
    damp: frozenset[str]
    factor: float
    # the "when" topic must also reach this share of the damped topic's own score
    min_ratio: float = 0.0


def _bad(where: str, msg: str) -> ValueError:
    return ValueError(f"{FILE_NAME}: {where}: {msg}")


def _trigrams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for i in range(len(padded) - 2):
            grams[padded[i : i + 3]] += 1
    return grams


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insert, delete, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


class Matcher:
    """Built by :func:`load_matcher`; :meth:`match` is cheap and thread-safe for reads."""

    def __init__(
        self,
        *,
        normalizer: Normalizer,
        phrases: dict[tuple[str, ...], list[tuple[str, float]]],
        phrase_marks: dict[tuple[str, ...], list[_Marks]] | None = None,
        combos: list[tuple[tuple[_Part, ...], str, float]],
        examples: dict[str, list[str]],
        rules: list[_Rule],
        common_words: set[str],
        settings: dict[str, float],
        model: TopicModel | None = None,
        combiner: Combiner | None = None,
    ) -> None:
        self._norm = normalizer
        self.model = model
        self.combiner = combiner
        self._phrases = phrases
        # the diacritics of each entry of ``phrases[key]``, in the same order
        self._phrase_marks = phrase_marks or {}
        self._max_len = max((len(k) for k in phrases), default=1)
        # the phrases as a trie of words (nested dicts; _END holds the whole phrase): a window
        # of words that begins no phrase stops growing
        self._trie: dict[str, Any] = {}
        for key in phrases:
            node = self._trie
            for word in key:
                node = node.setdefault(word, {})
            node[_END] = key
        self._combos = combos
        # each alternative of a combo part: its padded text, whether it holds "#" (then it is
        # looked for in the text with numbers as "#"), and its words (all must be present
        # before the text is searched; long messages hold hundreds of alternatives)
        self._alternatives: dict[
            _Part, list[tuple[str, bool, frozenset[str], tuple[str, ...], _Marks]]
        ] = {
            part: [
                (
                    alt,
                    "#" in alt.split(),
                    frozenset(w for w in alt.split() if w != "#"),
                    tuple(alt.split()),
                    alt_marks,
                )
                for alt, alt_marks in part
            ]
            for parts, _, _ in combos
            for part in parts
        }
        self._rules = rules
        self._settings = settings
        self.topics = sorted({t for v in phrases.values() for t, _ in v} | set(examples))

        # vocabulary for typo repair, with frequencies for tie-breaking
        freq: Counter[str] = Counter()
        for key in phrases:
            freq.update(key)
        for parts, _, _ in combos:
            for part in parts:
                for alternative, _ in part:
                    freq.update(alternative.split())
        for texts in examples.values():
            for text in texts:
                freq.update(text.split())
        self._cue_words = set(freq)
        for word in common_words:
            freq[word] += 0
        self._vocab = freq
        self._delete_index: dict[str, set[str]] = defaultdict(set)
        for word in self._cue_words:
            if len(word) >= 3:
                for d in _deletes(word):
                    self._delete_index[d].add(word)
        self._repair_cache: dict[str, tuple[str, ...] | None] = {}
        # phrases of two or more words tolerate one typo in one word of 3+ letters when the
        # typed word is unknown here, e.g. a short word ("tin dung dem" -> "tin dung den")
        self._wild: dict[tuple[str, ...], list[tuple[tuple[str, ...], int]]] = defaultdict(list)
        for key in phrases:
            if len(key) >= 2 and sum(map(len, key)) >= 7:
                for j, word in enumerate(key):
                    if len(word) >= 3 and word.isalpha():
                        self._wild[(*key[:j], "*", *key[j + 1 :])].append((key, j))
        # every beginning of those: a window with an unknown word stops growing when none fits
        self._wild_prefixes = {k[:i] for k in self._wild for i in range(1, len(k) + 1)}

        # character-trigram TF-IDF vectors of the example phrasings
        docs = [(topic, _trigrams(text)) for topic, texts in examples.items() for text in texts]
        df: Counter[str] = Counter()
        for _, grams in docs:
            df.update(grams.keys())
        n_docs = max(len(docs), 1)
        self._idf = {g: math.log(1 + n_docs / c) for g, c in df.items()}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._doc_topic: list[str] = []
        for idx, (topic, grams) in enumerate(docs):
            vec = {g: c * self._idf[g] for g, c in grams.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for g, v in vec.items():
                self._postings[g].append((idx, v / norm))
            self._doc_topic.append(topic)

    def normalize(self, text: str, *, accented: bool = True) -> str:
        """The normalised text the matcher works on (before typo repair)."""
        return self._norm(text, accented=accented)

    # -- typo repair ---------------------------------------------------------------------
    def _repair(self, word: str) -> tuple[str, ...] | None:
        """Replacement tokens for an unknown word, or None to leave it alone."""
        if word in self._repair_cache:
            return self._repair_cache[word]
        result = self._repair_uncached(word)
        if len(self._repair_cache) < 50_000:
            self._repair_cache[word] = result
        return result

    def _repair_uncached(self, word: str) -> tuple[str, ...] | None:
        if len(word) < 3 or not word.isalpha():
            return None
        vocab = self._vocab
        # Telex typed without an input method: "ngheof", "vooosn", "hooj"
        candidate = word
        if candidate[-1] in _TONE_KEYS and len(candidate) > 2:
            stripped = candidate[:-1]
            if stripped in vocab:
                return (stripped,)
            candidate = stripped
        for pattern, repl in _TELEX:
            candidate = pattern.sub(repl, candidate)
        if candidate != word and candidate in vocab:
            return (candidate,)
        cues = self._cue_words
        # two words typed together: "vayvon", "hongheo"
        best_split: tuple[int, tuple[str, ...]] | None = None
        for i in range(2, len(word) - 1):
            left, right = word[:i], word[i:]
            if left in vocab and right in vocab and (left in cues or right in cues):
                rank = vocab[left] + vocab[right]
                if best_split is None or rank > best_split[0]:
                    best_split = (rank, (left, right))
        if best_split is not None:
            return best_split[1]
        # one edit away from a cue word (words of 3 letters: swapped letters only); not for
        # ordinary syllables nor for abbreviations without a vowel ("thpt")
        if _is_syllable(word) or not any(v in word for v in "aeiouy"):
            return None
        if len(word) == 3:
            found = {
                w for w in cues if len(w) == 3 and sorted(w) == sorted(word) and w[0] == word[0]
            }
        else:
            found = set(self._delete_index.get(word, ()))  # one letter missing
            for d in _deletes(word):
                if d in cues:  # one letter too many
                    found.add(d)
                found.update(self._delete_index.get(d, ()))  # one letter wrong or swapped
            found = {w for w in found if abs(len(w) - len(word)) <= 1 and len(w) >= 3}
        if not found:
            return None
        same_start = [w for w in found if w[0] == word[0]]
        pool = same_start or sorted(found)
        return (max(pool, key=lambda w: (vocab[w], w)),)

    def _prepare(self, text: str) -> tuple[list[str], list[bool], list[str | None] | None]:
        """Tokens with typos repaired, which were repaired, and the diacritics of each token
        (:func:`content.normalize.mark_key`, None for a repaired word) when the message is
        written with them, else None: then cues match the folded text only."""
        tokens: list[str] = []
        repaired: list[bool] = []
        marks: list[str | None] = []
        words, word_marks = self._norm.marked_tokens(text)
        for tok, mark in zip(words, word_marks, strict=True):
            if tok in self._vocab:
                tokens.append(tok)
                repaired.append(False)
                marks.append(mark)
                continue
            fixed = self._repair(tok)
            if fixed is None:
                tokens.append(tok)
                repaired.append(False)
                marks.append(mark)
            else:
                tokens.extend(fixed)
                repaired.extend([True] * len(fixed))
                marks.extend([None] * len(fixed))
        return tokens, repaired, marks if self._written_with_marks(tokens, marks) else None

    def _written_with_marks(self, tokens: list[str], marks: list[str | None]) -> bool:
        """True when at least ``accent_share`` of the message's words (letters only) carry
        diacritics: most Vietnamese words do, so a message typed with them has far more."""
        letters = marked = 0
        for tok, mark in zip(tokens, marks, strict=True):
            if mark is not None and tok.isalpha():
                letters += 1
                marked += mark != tok
        return marked > 0 and marked >= self._settings["accent_share"] * letters

    # -- scoring -------------------------------------------------------------------------
    def model_text(self, text: str) -> str:
        """The text the statistical model reads: normalised, typos repaired."""
        return " ".join(self._prepare(text)[0])

    def raw_scores(self, text: str) -> dict[str, float]:
        """Raw cue score per topic (only topics with a non-zero score); for tests and the
        bench."""
        return self._cue_scores(*self._prepare(text))

    def _cue_scores(
        self, tokens: list[str], repaired: list[bool], marks: list[str | None] | None = None
    ) -> dict[str, float]:
        """Raw cue score per topic. With ``marks`` (the message is written with diacritics),
        a cue written with diacritics counts only where the message's words carry them."""
        n = len(tokens)
        # "#" in a phrase stands for any number ("# năm" matches "5 nam")
        shapes = ["#" if t.isdigit() else t for t in tokens]
        # running counts, so a window's "has a number / an unknown word" costs two lookups
        digits = [0]
        unknown = [0]
        for t in tokens:
            digits.append(digits[-1] + t.isdigit())
            unknown.append(unknown[-1] + (t not in self._vocab))
        vocab, wild = self._vocab, self._wild
        wild_prefixes, trie = self._wild_prefixes, self._trie
        found: list[tuple[int, int, tuple[str, ...], bool]] = []
        for i in range(n):
            # most words of a story begin no phrase: skip them before building any window
            if unknown[i + 1] == unknown[i] and tokens[i] not in trie and shapes[i] not in trie:
                continue
            # walk the phrase trie with the words and with their shapes ("#" for numbers):
            # a node is a phrase's beginning, its _END entry a whole phrase
            by_word: dict[str, Any] | None = trie
            by_shape: dict[str, Any] | None = trie
            for size in range(1, min(self._max_len, n - i) + 1):
                end = i + size
                by_word = by_word.get(tokens[end - 1]) if by_word is not None else None
                by_shape = by_shape.get(shapes[end - 1]) if by_shape is not None else None
                if by_word is not None and (phrase := by_word.get(_END)) is not None:
                    found.append((i, end, phrase, any(repaired[i:end])))
                    continue
                if (
                    digits[end] != digits[i]
                    and by_shape is not None
                    and (phrase := by_shape.get(_END)) is not None
                ):
                    found.append((i, end, phrase, any(repaired[i:end])))
                    continue
                if unknown[end] == unknown[i]:
                    if by_word is None and by_shape is None:
                        break  # no phrase begins with these words: a longer window neither
                    continue
                # only an unknown word may be a typo of the phrase's word, one per phrase
                key = tuple(tokens[i:end])
                grows = by_word is not None or by_shape is not None
                for j in range(size):
                    if key[j] in vocab:
                        continue
                    starred = (*key[:j], "*", *key[j + 1 :])
                    if size >= 2:
                        for phrase, pos in wild.get(starred, ()):
                            if _one_edit(key[pos], phrase[pos]):
                                found.append((i, end, phrase, True))
                    grows = grows or starred in wild_prefixes
                if not grows:
                    break  # neither a phrase nor a phrase with one typo begins here
        # with diacritics, a phrase counts for the entries whose diacritics the words carry
        # ("đô la" is not "đó là"); None: every entry of the phrase counts
        entries: list[frozenset[int] | None] = [None] * len(found)
        if marks is not None:
            agreed: list[tuple[int, int, tuple[str, ...], bool]] = []
            entries = []
            for start, end, key, fixed in found:
                cue_marks = self._phrase_marks.get(key)
                if cue_marks is None or len(cue_marks) == 1:
                    if cue_marks is None or _agree(tokens, marks, start, key, cue_marks[0]):
                        agreed.append((start, end, key, fixed))
                        entries.append(None)
                    continue
                ok = frozenset(
                    e for e, cue in enumerate(cue_marks) if _agree(tokens, marks, start, key, cue)
                )
                if ok:
                    agreed.append((start, end, key, fixed))
                    entries.append(None if len(ok) == len(cue_marks) else ok)
            found = agreed
        # ignore a phrase that lies inside a longer phrase also found: one that starts
        # earlier and ends no sooner, or starts at the same word and ends later
        longest = [0] * (n + 1)  # the furthest end of a phrase found starting at each word
        for start, end, _, _ in found:
            longest[start] = max(longest[start], end)
        reach = [0] * (n + 1)  # the furthest end of a phrase found starting before each word
        for k in range(1, n + 1):
            reach[k] = max(reach[k - 1], longest[k - 1])
        kept: dict[tuple[str, ...], float] = {}
        # entries of a kept phrase that count: all of them unless the diacritics said otherwise
        counted: dict[tuple[str, ...], set[int] | None] = {}
        for (start, end, key, fixed), agreeing in zip(found, entries, strict=True):
            if reach[start] >= end or longest[start] > end:
                continue
            factor = self._settings["repaired_factor"] if fixed else 1.0
            kept[key] = max(kept.get(key, 0.0), factor)
            if key not in counted:
                counted[key] = None if agreeing is None else set(agreeing)
            elif (so_far := counted[key]) is not None:
                counted[key] = None if agreeing is None else so_far | agreeing
        scores: dict[str, float] = defaultdict(float)
        for key, factor in kept.items():
            only = counted.get(key)
            for e, (topic, weight) in enumerate(self._phrases[key]):
                if only is None or e in only:
                    scores[topic] += weight * factor
        if self._combos:
            padded = f" {' '.join(tokens)} "
            padded_shapes = f" {' '.join(shapes)} "
            words = set(tokens)

            def found_marked(
                text: str, alt: str, key: tuple[str, ...], cue: _Marks, known: list[str | None]
            ) -> bool:
                """Whether ``alt`` occurs in ``text`` with the diacritics of ``cue``."""
                at = text.find(alt)
                while at != -1:
                    # the k-th token follows the k-th space of the padded text
                    if _agree(tokens, known, text.count(" ", 0, at), key, cue):
                        return True
                    at = text.find(alt, at + 1)
                return False

            # a word set is shared by many cues: look each part up once per question
            present: dict[_Part, bool] = {}
            for parts, topic, weight in self._combos:
                for part in parts:
                    hit = present.get(part)
                    if hit is None:
                        hit = False
                        for alt, has_number, needed, alt_key, cue in self._alternatives[part]:
                            if not needed <= words:
                                continue
                            text = padded_shapes if has_number else padded
                            if alt not in text:
                                continue
                            if marks is None or cue is None:
                                hit = True
                                break
                            if found_marked(text, alt, alt_key, cue, marks):
                                hit = True
                                break
                        present[part] = hit
                    if not hit:
                        break
                else:
                    scores[topic] += weight
        # character-trigram similarity to example phrasings
        ngram_weight = self._settings["ngram_weight"]
        # the statistical model learns from the same examples and more: with it, this similarity
        # adds nothing (measured with bench/faq_accuracy.py --cv) and costs 0.7 ms a story
        if ngram_weight and self._doc_topic and self.model is None:
            grams = _trigrams(" ".join(tokens))
            qvec = {g: c * self._idf[g] for g, c in grams.items() if g in self._idf}
            qnorm = math.sqrt(sum(v * v for v in qvec.values()))
            if qnorm:
                dots: dict[int, float] = defaultdict(float)
                for g, v in qvec.items():
                    for idx, dv in self._postings[g]:
                        dots[idx] += v * dv
                best: dict[str, float] = {}
                for idx, dot in dots.items():
                    topic = self._doc_topic[idx]
                    sim = dot / qnorm
                    if sim > best.get(topic, 0.0):
                        best[topic] = sim
                floor = self._settings["ngram_floor"]
                for topic, sim in best.items():
                    if sim > floor:
                        scores[topic] += ngram_weight * (sim - floor) / (1 - floor)
        # precedence rules (labelling rules 1 and 3)
        before = dict(scores)
        for rule in self._rules:
            for t in rule.damp:
                if (beaten := before.get(t, 0.0)) > 0 and any(
                    before.get(u, 0.0) >= max(rule.min_score, rule.min_ratio * beaten)
                    for u in rule.when
                    if u != t
                ):
                    scores[t] *= rule.factor
        return {t: s for t, s in scores.items() if s > 0}

    def evidence(self, text: str) -> tuple[dict[str, float], np.ndarray | None]:
        """The cue scores, and the combiner's features of every model class (None without a
        model and a ``combine`` section): :meth:`match` and the bench that fits the
        combination read the same numbers."""
        tokens, repaired, marks = self._prepare(text)
        scores = self._cue_scores(tokens, repaired, marks)
        if self.model is None or self.combiner is None:
            return scores, None
        return scores, self._features(tokens, scores, len(text))

    def _features(self, tokens: list[str], scores: dict[str, float], length: int) -> np.ndarray:
        assert self.model is not None and self.combiner is not None
        normalized = " ".join(tokens)
        vector = self.model.vector(normalized)
        decision = self.model.decision(normalized, vector)
        probs = self.model.distribution(decision)
        margin = self.model.in_scope(normalized, vector)
        return self.combiner.features(self.model.classes, probs, decision, scores, margin, length)

    def match(self, text: str) -> Match:
        scores, features = self.evidence(text)
        if features is None:
            return self._cue_match(scores)
        assert self.model is not None and self.combiner is not None
        return self._learned_match(self.combiner.scores(features, self.model.classes), scores)

    def _cue_match(self, scores: dict[str, float]) -> Match:
        """The cues alone (a matcher built without training files)."""
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        threshold = self._settings["none_threshold"]
        scale = self._settings["confidence_scale"]
        ratio = self._settings["alternative_ratio"]
        if not ranked:
            return Match(NONE, 0.0, [])
        top, top_raw = ranked[0]
        second_raw = ranked[1][1] if len(ranked) > 1 else 0.0
        squash = 1.0 - math.exp(-top_raw / scale)
        if top == NONE or top_raw < threshold:
            # out of scope: offer the best in-scope topics only when they are not hopeless
            alts = [t for t, s in ranked if t != NONE and s >= threshold * 0.5][:3]
            best_topic_raw = max((s for t, s in ranked if t != NONE), default=0.0)
            return Match(NONE, round(1.0 - math.exp(-best_topic_raw / scale), 4), alts)
        margin = (top_raw - second_raw) / top_raw
        confidence = squash * (0.5 + 0.5 * margin)
        alts = [t for t, s in ranked[1:] if t != NONE and s >= threshold and s >= ratio * top_raw][
            :3
        ]
        return Match(top, round(min(max(confidence, 0.0), 1.0), 4), alts, top_raw)

    def _learned_match(self, weighed: np.ndarray, scores: dict[str, float]) -> Match:
        """The combiner's sums as a Match: its softmax is the confidence, the runners-up are
        the choices ("did you mean"), and an answer ``none`` offers the likeliest topics."""
        assert self.model is not None
        share = np.exp(weighed - weighed.max())
        share /= share.sum()
        ranked = sorted(zip(self.model.classes, share.tolist(), strict=True), key=lambda kv: -kv[1])
        top, top_share = ranked[0]
        # the cues' own close calls stay choices too, as they were without the model: "thủ
        # tục và giấy tờ" offers both, "tôi muốn báo công an" keeps "report" one tap away
        best_cue = max(scores.values(), default=0.0)
        settings = self._settings
        floor = max(settings["none_threshold"], settings["alternative_ratio"] * best_cue)
        ratio = NONE_CHOICE_RATIO if top == NONE else CHOICE_RATIO
        alts = [
            t
            for t, p in ranked[1:]
            if t != NONE and (p >= ratio * top_share or scores.get(t, 0.0) >= floor)
        ][:3]
        if top == NONE:
            best = max((p for t, p in ranked if t != NONE), default=0.0)
            return Match(NONE, round(best, 4), alts, 0.0)
        return Match(top, round(top_share, 4), alts, scores.get(top, 0.0))


def _phrase_marks(phrase: str, normalizer: Normalizer) -> tuple[tuple[str, ...], _Marks]:
    """Tokens of a cue phrase ("#", any number, is punctuation to the tokeniser, so it is
    kept as a token of its own) and its diacritics (None when it is written without any)."""
    tokens: list[str] = []
    marks: list[str | None] = []
    for i, part in enumerate(phrase.split("#")):
        if i:
            tokens.append("#")
            marks.append(None)
        words, word_marks = normalizer.marked_tokens(part, accented=False)
        tokens += words
        marks += word_marks
    accented = any(m is not None and m != t for t, m in zip(tokens, marks, strict=True))
    return tuple(tokens), tuple(marks) if accented else None


def _word_sets(raw: dict[str, list[str]], normalizer: Normalizer) -> dict[str, _Part]:
    """``word_sets``: name -> phrases, for "@name" in "a + b" cues."""
    out: dict[str, _Part] = {}
    for name, items in raw.items():
        alternatives: list[tuple[str, _Marks]] = []
        for i, item in enumerate(items):
            key, marks = _phrase_marks(item, normalizer)
            if not [t for t in key if t != "#"]:
                raise _bad(f"word_sets.{name}[{i}]", "phrase has no words")
            alternatives.append((f" {' '.join(key)} ", marks))
        out[name] = tuple(dict.fromkeys(alternatives))
    return out


def _combo_part(text: str, normalizer: Normalizer, sets: dict[str, _Part], where: str) -> _Part:
    """One part of an "a + b" cue: alternatives separated by "|", "@name" for a word set."""
    alternatives: list[tuple[str, _Marks]] = []
    for alt in text.split("|"):
        alt = alt.strip()
        if alt.startswith("@"):
            if alt[1:] not in sets:
                raise _bad(where, f"unknown word set {alt!r} (see word_sets)")
            alternatives.extend(sets[alt[1:]])
            continue
        key, marks = _phrase_marks(alt, normalizer)
        if not [t for t in key if t != "#"]:
            raise _bad(where, "every part of an 'a + b' phrase needs words")
        alternatives.append((f" {' '.join(key)} ", marks))
    return tuple(dict.fromkeys(alternatives))


def _problem(exc: ValidationError) -> ValueError:
    """The first problem pydantic found, as 'matcher.yaml: topics.help.phrases.x: message'."""
    error = exc.errors()[0]
    where = ""
    for part in error["loc"]:
        if part == "[key]":  # the problem is the key itself, already named
            continue
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, MatcherProblem):
        where += cause.at if cause.at.startswith("[") or not where else f".{cause.at}"
        message = str(cause)
    elif error["type"] in _MESSAGES:
        message = f"{_MESSAGES[error['type']]}, got {type(error['input']).__name__}"
    elif error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "missing"
    else:
        message = error["msg"].removeprefix("Value error, ")
    return _bad(where or "(top level)", message)


# Pydantic's words for a value of the wrong kind, in the words of this file's header.
_MESSAGES = {
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
    "string_type": "must be a text",
    "float_type": "must be a number",
}


def load_matcher(data_dir: Path, topic_ids: set[str]) -> Matcher:
    """Read and validate ``data_dir/matcher.yaml``; raise ValueError naming file and key."""
    path = Path(data_dir) / FILE_NAME
    try:
        with path.open(encoding="utf-8") as f:
            # the C parser when PyYAML has it: this file is large and parsed at every start
            raw = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise ValueError(f"{FILE_NAME}: file is missing in {data_dir}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{FILE_NAME}: not valid YAML: {exc}") from None
    try:
        data = MatcherData.model_validate(raw, context={"topic_ids": topic_ids})
    except ValidationError as exc:
        raise _problem(exc) from None

    normalizer = Normalizer(data.accented, data.expansions)
    common_words = {token for word in data.common_words for token in normalizer.tokens(word)}
    sets = _word_sets(data.word_sets, normalizer)
    phrases: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
    phrase_marks: dict[tuple[str, ...], list[_Marks]] = defaultdict(list)
    combos: list[tuple[tuple[_Part, ...], str, float]] = []
    examples: dict[str, list[str]] = {}
    for topic, cues in data.topics.items():
        where = f"topics.{topic}"
        seen: set[tuple[str, ...]] = set()
        for phrase, weight in cues.phrases.items():
            pwhere = f"{where}.phrases.{phrase}"
            if "+" in phrase:
                parts = tuple(_combo_part(p, normalizer, sets, pwhere) for p in phrase.split("+"))
                combos.append((parts, topic, weight))
                continue
            if "|" in phrase or "@" in phrase:
                raise _bad(pwhere, "'|' and '@set' only work inside an 'a + b' phrase")
            key, marks = _phrase_marks(phrase, normalizer)
            if not [t for t in key if t != "#"]:
                raise _bad(pwhere, "phrase has no words")
            if key in seen:
                raise _bad(pwhere, f"duplicate phrase (normalised: {' '.join(key)!r})")
            seen.add(key)
            phrases[key].append((topic, weight))
            phrase_marks[key].append(marks)
        for i, text in enumerate(cues.examples):
            norm = normalizer(text, accented=False)
            if not norm:
                raise _bad(f"{where}.examples[{i}]", "example has no words")
            examples.setdefault(topic, []).append(norm)

    rules = [
        _Rule(
            name=rule.rule or f"precedence[{i}]",
            when=rule.when,
            min_score=rule.min_score,
            damp=rule.damp,
            factor=rule.factor,
            min_ratio=rule.min_ratio,
        )
        for i, rule in enumerate(data.precedence)
    ]
    matcher = Matcher(
        normalizer=normalizer,
        phrases=dict(phrases),
        # only phrases some of whose entries are written with diacritics need checking
        phrase_marks={k: v for k, v in phrase_marks.items() if any(m is not None for m in v)},
        combos=combos,
        examples=examples,
        rules=rules,
        common_words=common_words,
        settings=data.settings.model_dump(),
    )
    if data.combine is not None:
        matcher.combiner = Combiner(
            weights=np.array([data.combine.weights[name] for name in FEATURES]),
            none_bias=data.combine.none_bias,
            long_chars=data.combine.long_chars,
            confidence_scale=data.settings.confidence_scale,
        )
    training = Path(data_dir) / TRAINING_DIR
    if training.is_dir():
        rows = read_training(training, set(topic_ids) | {NONE})
        rows += [(text, topic) for topic, cues in data.topics.items() for text in cues.examples]
        matcher.model = train(rows, matcher.model_text, scope_cues(data, normalizer))
    return matcher


def scope_cues(data: MatcherData, normalizer: Normalizer) -> ScopeCues | None:
    """matcher.yaml ``scope`` as the scope model reads it (normalised, without diacritics)."""
    if data.scope is None:
        return None

    def padded(items: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f" {normalizer(item, accented=False)} " for item in items))

    outside = tuple((name, padded(items)) for name, items in data.scope.outside.items())
    return ScopeCues(outside=outside, inside=padded(data.scope.inside))
