"""Maps a citizen's free-text question to one topic id, or ``none``.

Technique (all data in ``data/matcher.yaml``, normalised at load):

* The question is normalised (:mod:`content.normalize`): lowercase, no diacritics, no
  punctuation, abbreviations and regional words expanded.
* Unknown words are repaired against the matcher's own vocabulary: Telex leftovers
  ("ngheof" -> "ngheo"), two words typed together ("vayvon" -> "vay von"), and one-edit typos
  (insert / delete / substitute / swap: "nghoe" -> "ngheo", "lai xuat" -> "lai suat").
* Every topic has weighted cue phrases. All phrases found in the question are collected; a
  phrase lying inside a longer phrase that was also found is ignored ("ngheo" inside
  "thoat ngheo"). "a + b" phrases fire when both parts appear anywhere; a part may list
  alternatives ("qua doi | mat roi") or name a word set ("@vbsp_person"), so one line says
  "any group leader or official + any way of running off with the money". A topic's raw score
  is the sum of its phrase weights (a repaired word counts a little less).
* A statistical model (:mod:`content.classifier`) trained at load on every labelled message in
  ``data/training/`` reads the message too: word and character n-grams, a linear SVM. The
  final score of a topic is ``model_weight`` of the model's distribution plus the rest of the
  cues' own distribution, scaled by the strength of the strongest cue. Without training files
  a character-trigram similarity to the example phrasings stands in for it.
* Precedence rules from the labelling rules (a named program beats a general loan.* topic)
  damp the beaten topics; a rule may also ask its winner to reach a share of the beaten
  topic's own score (``min_ratio``: one stray out-of-scope word does not silence a story).
* A message may be a story of 2,000 characters (hundreds of words), so nothing here grows
  with the square of its length: phrase windows stop where no phrase begins, and the parts
  of "a + b" cues are searched only when all their words are present.
* The best topic wins unless it is ``none`` (which has its own cues and training messages:
  gold price, other banks...) or no cue reaches ``none_threshold`` and the model is less sure
  than ``model_alone_floor``; then the answer is ``none``, with the likely topics as choices.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.classifier import TRAINING_DIR, TopicModel, read_training, train
from content.normalize import Normalizer, fold

__all__ = ["Match", "Matcher", "load_matcher"]

FILE_NAME = "matcher.yaml"
NONE = "none"

_TOP_KEYS = {
    "settings",
    "accented",
    "expansions",
    "common_words",
    "word_sets",
    "precedence",
    "topics",
}
_TOPIC_KEYS = {"phrases", "examples"}
_RULE_KEYS = {"rule", "when", "min_score", "min_ratio", "damp", "factor"}
_SETTINGS: dict[str, tuple[float, float, float]] = {
    # name: (default, min, max)
    "none_threshold": (2.0, 0.0, 100.0),
    "repaired_factor": (0.8, 0.0, 1.0),
    "ngram_weight": (2.0, 0.0, 100.0),
    "ngram_floor": (0.25, 0.0, 1.0),
    "alternative_ratio": (0.6, 0.0, 1.0),
    "confidence_scale": (4.0, 0.1, 100.0),
    # share of the statistical model in the final score (the cues have the rest)
    "model_weight": (0.6, 0.0, 1.0),
    # a message with no cue at all is answered only when the model is this sure of a topic
    "model_alone_floor": (0.35, 0.0, 1.0),
}
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


# One part of an "a + b" cue: its alternatives, each a normalised phrase padded with spaces
# (" to truong "); "#" stands for any number. The part is present when any alternative is.
_Part = tuple[str, ...]


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


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _bad(where, f"must be {what}, got {type(value).__name__}")
    return value


def _word_map(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    _expect(raw, dict, where, "a mapping of word -> replacement")
    out: dict[str, str] = {}
    for key, value in raw.items():
        _expect(key, str, f"{where}.{key}", "a word")
        if value is None:
            value = ""
        _expect(value, str, f"{where}.{key}", "a replacement text (may be empty)")
        if not fold(key).replace("&", "").strip():
            raise _bad(f"{where}.{key}", "key has no letters or digits")
        out[key] = value
    if where != "accented":
        seen: dict[str, str] = {}
        for key in out:
            folded = fold(key)
            if folded in seen:
                raise _bad(f"{where}.{key}", f"same as {seen[folded]!r} without diacritics")
            seen[folded] = key
    return out


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
        combos: list[tuple[tuple[_Part, ...], str, float]],
        examples: dict[str, list[str]],
        rules: list[_Rule],
        common_words: set[str],
        settings: dict[str, float],
        model: TopicModel | None = None,
    ) -> None:
        self._norm = normalizer
        self.model = model
        self._phrases = phrases
        self._max_len = max((len(k) for k in phrases), default=1)
        # every beginning of a phrase: a window of words that begins none stops growing
        self._prefixes = {k[:i] for k in phrases for i in range(1, len(k) + 1)}
        self._combos = combos
        # each alternative of a combo part: its padded text, whether it holds "#" (then it is
        # looked for in the text with numbers as "#"), and its words (all must be present
        # before the text is searched; long messages hold hundreds of alternatives)
        self._alternatives: dict[_Part, list[tuple[str, bool, frozenset[str]]]] = {
            part: [
                (alt, "#" in alt.split(), frozenset(w for w in alt.split() if w != "#"))
                for alt in part
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
                for alternative in part:
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

    def _prepare(self, text: str) -> tuple[list[str], list[bool]]:
        tokens: list[str] = []
        repaired: list[bool] = []
        for tok in self._norm.tokens(text):
            if tok in self._vocab:
                tokens.append(tok)
                repaired.append(False)
                continue
            fixed = self._repair(tok)
            if fixed is None:
                tokens.append(tok)
                repaired.append(False)
            else:
                tokens.extend(fixed)
                repaired.extend([True] * len(fixed))
        return tokens, repaired

    # -- scoring -------------------------------------------------------------------------
    def model_text(self, text: str) -> str:
        """The text the statistical model reads: normalised, typos repaired."""
        return " ".join(self._prepare(text)[0])

    def raw_scores(self, text: str) -> dict[str, float]:
        """Raw cue score per topic (only topics with a non-zero score); for tests and the
        bench."""
        return self._cue_scores(*self._prepare(text))

    def _cue_scores(self, tokens: list[str], repaired: list[bool]) -> dict[str, float]:
        n = len(tokens)
        # "#" in a phrase stands for any number ("# năm" matches "5 nam")
        shapes = ["#" if t.isdigit() else t for t in tokens]
        # running counts, so a window's "has a number / an unknown word" costs two lookups
        digits = [0]
        unknown = [0]
        for t in tokens:
            digits.append(digits[-1] + t.isdigit())
            unknown.append(unknown[-1] + (t not in self._vocab))
        phrases, vocab, wild = self._phrases, self._vocab, self._wild
        prefixes = self._prefixes
        found: list[tuple[int, int, tuple[str, ...], bool]] = []
        for i in range(n):
            # most words of a story begin no phrase: skip them before building any window
            if (
                unknown[i + 1] == unknown[i]
                and (tokens[i],) not in prefixes
                and (shapes[i],) not in prefixes
            ):
                continue
            for size in range(1, min(self._max_len, n - i) + 1):
                end = i + size
                key = tuple(tokens[i:end])
                shape = tuple(shapes[i:end]) if digits[end] != digits[i] else key
                if key in phrases:
                    found.append((i, end, key, any(repaired[i:end])))
                    continue
                if shape is not key and shape in phrases:
                    found.append((i, end, shape, any(repaired[i:end])))
                    continue
                if unknown[end] == unknown[i]:
                    if key not in prefixes and shape not in prefixes:
                        break  # no phrase begins with these words: a longer window neither
                    continue
                if size < 2:
                    continue
                for j in range(size):
                    if key[j] in vocab:
                        continue  # only an unknown word may be a typo of the phrase's word
                    for phrase, pos in wild.get((*key[:j], "*", *key[j + 1 :]), ()):
                        if _one_edit(key[pos], phrase[pos]):
                            found.append((i, end, phrase, True))
        # ignore a phrase that lies inside a longer phrase also found: one that starts
        # earlier and ends no sooner, or starts at the same word and ends later
        longest = [0] * (n + 1)  # the furthest end of a phrase found starting at each word
        for start, end, _, _ in found:
            longest[start] = max(longest[start], end)
        reach = [0] * (n + 1)  # the furthest end of a phrase found starting before each word
        for k in range(1, n + 1):
            reach[k] = max(reach[k - 1], longest[k - 1])
        kept: dict[tuple[str, ...], float] = {}
        for start, end, key, fixed in found:
            if reach[start] >= end or longest[start] > end:
                continue
            factor = self._settings["repaired_factor"] if fixed else 1.0
            kept[key] = max(kept.get(key, 0.0), factor)
        scores: dict[str, float] = defaultdict(float)
        for key, factor in kept.items():
            for topic, weight in self._phrases[key]:
                scores[topic] += weight * factor
        if self._combos:
            padded = f" {' '.join(tokens)} "
            padded_shapes = f" {' '.join(shapes)} "
            words = set(tokens)
            # a word set is shared by many cues: look each part up once per question
            present: dict[_Part, bool] = {}
            for parts, topic, weight in self._combos:
                for part in parts:
                    hit = present.get(part)
                    if hit is None:
                        hit = present[part] = any(
                            needed <= words
                            and (alt in padded_shapes if has_number else alt in padded)
                            for alt, has_number, needed in self._alternatives[part]
                        )
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

    def match(self, text: str) -> Match:
        tokens, repaired = self._prepare(text)
        scores = self._cue_scores(tokens, repaired)
        if self.model is None:
            return self._cue_match(scores)
        return self._combined_match(scores, self.model.probabilities(" ".join(tokens)))

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

    def _combined_match(self, scores: dict[str, float], probs: dict[str, float]) -> Match:
        """Cues and model together: ``model_weight`` of the model's distribution plus the rest
        of the cues' own distribution, scaled by how strong the strongest cue is (one weak
        cue moves little; several strong ones agree with or overrule the model)."""
        weight = self._settings["model_weight"]
        threshold = self._settings["none_threshold"]
        best_cue = max(scores.values(), default=0.0)
        strength = 1.0 - math.exp(-best_cue / self._settings["confidence_scale"])
        total = sum(scores.values()) or 1.0
        combined = {t: weight * p for t, p in probs.items()}
        for t, s in scores.items():
            combined[t] = combined.get(t, 0.0) + (1.0 - weight) * strength * s / total
        ranked = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))
        top, top_score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        in_scope = [(t, s) for t, s in ranked if t != NONE]
        # no cue worth the name and an unsure model: better "I did not understand" + choices
        unsure = best_cue < threshold and probs.get(top, 0.0) < self._settings["model_alone_floor"]
        cue_top = max(scores.items(), key=lambda kv: (kv[1], kv[0]), default=(NONE, 0.0))
        if top == NONE and cue_top[0] != NONE and cue_top[1] >= threshold:
            # the model's "none" does not silence a clear cue: a story that mentions gold or
            # another bank on the way is still about the topic its cue phrases name
            top, top_score = cue_top[0], combined[cue_top[0]]
            second = max(s for t, s in combined.items() if t != top)
        if top == NONE or unsure:
            alts = [t for t, s in in_scope if s >= 0.1][:3]
            best = in_scope[0][1] if in_scope else 0.0
            return Match(NONE, round(best, 4), alts, 0.0)
        margin = (top_score - second) / top_score
        confidence = top_score * (0.5 + 0.5 * margin)
        alts = [t for t, s in in_scope if t != top and s >= 0.1 and s >= 0.3 * top_score][:3]
        return Match(top, round(min(max(confidence, 0.0), 1.0), 4), alts, scores.get(top, 0.0))


def _topic_patterns(raw: Any, where: str, topic_ids: set[str]) -> frozenset[str]:
    items = [raw] if isinstance(raw, str) else _expect(raw, list, where, "a list of topic ids")
    out: set[str] = set()
    for i, item in enumerate(items):
        _expect(item, str, f"{where}[{i}]", "a topic id or pattern like 'loan.*'")
        hits = fnmatch.filter(sorted(topic_ids), item)
        if not hits:
            raise _bad(f"{where}[{i}]", f"{item!r} matches no topic id in topics.yaml")
        out.update(hits)
    return frozenset(out)


def _phrase_key(phrase: str, normalizer: Normalizer) -> tuple[str, ...]:
    """Tokens of a cue phrase; "#" (any number) is punctuation to the tokeniser, so it is
    kept as a token of its own."""
    return tuple(
        tok
        for i, part in enumerate(phrase.split("#"))
        for tok in ([] if i == 0 else ["#"]) + normalizer.tokens(part, accented=False)
    )


def _word_sets(raw: Any, normalizer: Normalizer) -> dict[str, _Part]:
    """``word_sets``: name -> phrases, for "@name" in "a + b" cues."""
    out: dict[str, _Part] = {}
    mapping = _expect(raw or {}, dict, "word_sets", "a mapping of name -> phrases")
    for name, items in mapping.items():
        where = f"word_sets.{name}"
        _expect(name, str, where, "a name")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise _bad(where, "name must be lowercase letters, digits and _")
        alternatives: list[str] = []
        for i, item in enumerate(_expect(items, list, where, "a list of phrases")):
            _expect(item, str, f"{where}[{i}]", "a phrase")
            key = _phrase_key(item, normalizer)
            if not [t for t in key if t != "#"]:
                raise _bad(f"{where}[{i}]", "phrase has no words")
            alternatives.append(f" {' '.join(key)} ")
        if not alternatives:
            raise _bad(where, "empty word set")
        out[name] = tuple(dict.fromkeys(alternatives))
    return out


def _combo_part(text: str, normalizer: Normalizer, sets: dict[str, _Part], where: str) -> _Part:
    """One part of an "a + b" cue: alternatives separated by "|", "@name" for a word set."""
    alternatives: list[str] = []
    for alt in text.split("|"):
        alt = alt.strip()
        if alt.startswith("@"):
            if alt[1:] not in sets:
                raise _bad(where, f"unknown word set {alt!r} (see word_sets)")
            alternatives.extend(sets[alt[1:]])
            continue
        key = _phrase_key(alt, normalizer)
        if not [t for t in key if t != "#"]:
            raise _bad(where, "every part of an 'a + b' phrase needs words")
        alternatives.append(f" {' '.join(key)} ")
    return tuple(dict.fromkeys(alternatives))


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
    _expect(raw, dict, "(top level)", "a mapping")
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise _bad(unknown[0], f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    ids = set(topic_ids) | {NONE}

    settings = {name: spec[0] for name, spec in _SETTINGS.items()}
    for name, value in (_expect(raw.get("settings") or {}, dict, "settings", "a mapping")).items():
        if name not in _SETTINGS:
            raise _bad(f"settings.{name}", "unknown setting")
        _expect(value, (int, float), f"settings.{name}", "a number")
        _, lo, hi = _SETTINGS[name]
        if not lo <= value <= hi:
            raise _bad(f"settings.{name}", f"{value} is outside [{lo}, {hi}]")
        settings[name] = float(value)

    accented = _word_map(raw.get("accented"), "accented")
    expansions = _word_map(raw.get("expansions"), "expansions")
    normalizer = Normalizer(accented, expansions)

    common = _expect(raw.get("common_words") or [], list, "common_words", "a list of words")
    common_words: set[str] = set()
    for i, word in enumerate(common):
        _expect(word, str, f"common_words[{i}]", "a word")
        common_words.update(normalizer.tokens(word))

    sets = _word_sets(raw.get("word_sets"), normalizer)
    topics_raw = _expect(raw.get("topics"), dict, "topics", "a mapping of topic id -> cues")
    phrases: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
    combos: list[tuple[tuple[_Part, ...], str, float]] = []
    examples: dict[str, list[str]] = {}
    raw_examples: dict[str, list[str]] = {}
    for topic, body in topics_raw.items():
        where = f"topics.{topic}"
        if topic not in ids:
            raise _bad(where, "not a topic id in topics.yaml")
        _expect(body, dict, where, "a mapping with 'phrases' and/or 'examples'")
        extra = sorted(set(body) - _TOPIC_KEYS)
        if extra:
            raise _bad(f"{where}.{extra[0]}", "unknown key (allowed: examples, phrases)")
        seen: set[tuple[str, ...]] = set()
        for phrase, weight in (
            _expect(body.get("phrases") or {}, dict, f"{where}.phrases", "a mapping")
        ).items():
            pwhere = f"{where}.phrases.{phrase}"
            if isinstance(phrase, int) and not isinstance(phrase, bool):
                phrase = str(phrase)  # a number such as 1719 (a program's decision number)
            _expect(phrase, str, pwhere, "a phrase")
            _expect(weight, (int, float), pwhere, "a number (the weight)")
            if weight == 0 or not -20 <= weight <= 20:
                raise _bad(pwhere, f"weight {weight} must be non-zero and within [-20, 20]")
            if "+" in phrase:
                parts = tuple(_combo_part(p, normalizer, sets, pwhere) for p in phrase.split("+"))
                combos.append((parts, topic, float(weight)))
                continue
            if "|" in phrase or "@" in phrase:
                raise _bad(pwhere, "'|' and '@set' only work inside an 'a + b' phrase")
            key = _phrase_key(phrase, normalizer)
            if not [t for t in key if t != "#"]:
                raise _bad(pwhere, "phrase has no words")
            if key in seen:
                raise _bad(pwhere, f"duplicate phrase (normalised: {' '.join(key)!r})")
            seen.add(key)
            phrases[key].append((topic, float(weight)))
        texts = _expect(body.get("examples") or [], list, f"{where}.examples", "a list")
        for i, text in enumerate(texts):
            _expect(text, str, f"{where}.examples[{i}]", "a text")
            norm = normalizer(text, accented=False)
            if not norm:
                raise _bad(f"{where}.examples[{i}]", "example has no words")
            examples.setdefault(topic, []).append(norm)
            raw_examples.setdefault(topic, []).append(text)
        if not seen and not examples.get(topic) and not any(c[1] == topic for c in combos):
            raise _bad(where, "topic has neither phrases nor examples")

    rules: list[_Rule] = []
    prec = _expect(raw.get("precedence") or [], list, "precedence", "a list of rules")
    for i, rule in enumerate(prec):
        where = f"precedence[{i}]"
        _expect(rule, dict, where, "a mapping")
        extra = sorted(set(rule) - _RULE_KEYS)
        if extra:
            raise _bad(f"{where}.{extra[0]}", f"unknown key (allowed: {', '.join(_RULE_KEYS)})")
        for need in ("when", "damp", "factor"):
            if need not in rule:
                raise _bad(f"{where}.{need}", "missing")
        factor = _expect(rule["factor"], (int, float), f"{where}.factor", "a number")
        if not 0 <= factor < 1:
            raise _bad(f"{where}.factor", f"{factor} is outside [0, 1)")
        min_score = _expect(
            rule.get("min_score", 1.0), (int, float), f"{where}.min_score", "a number"
        )
        min_ratio = _expect(
            rule.get("min_ratio", 0.0), (int, float), f"{where}.min_ratio", "a number"
        )
        if not 0 <= min_ratio <= 10:
            raise _bad(f"{where}.min_ratio", f"{min_ratio} is outside [0, 10]")
        rules.append(
            _Rule(
                name=str(rule.get("rule", where)),
                when=_topic_patterns(rule["when"], f"{where}.when", ids),
                min_score=float(min_score),
                damp=_topic_patterns(rule["damp"], f"{where}.damp", ids),
                factor=float(factor),
                min_ratio=float(min_ratio),
            )
        )

    matcher = Matcher(
        normalizer=normalizer,
        phrases=dict(phrases),
        combos=combos,
        examples=examples,
        rules=rules,
        common_words=common_words,
        settings=settings,
    )
    training = Path(data_dir) / TRAINING_DIR
    if training.is_dir():
        rows = read_training(training, ids)
        rows += [(text, topic) for topic, texts in raw_examples.items() for text in texts]
        matcher.model = train(rows, matcher.model_text)
    return matcher
