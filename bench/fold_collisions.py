"""Cue phrases that fold to the same letters as other Vietnamese words.

Usage (from the repo root)::

    python bench/fold_collisions.py [--min N] [--all]

Without its diacritics "tối đa" (at most) is "tôi đã" (I have), "sập" (collapse) is "sắp"
(about to), "bỏ chồng" (leave one's husband) is "bố chồng" (father-in-law). The matcher reads
a message written with diacritics with them (``content/matcher.py``, ``_agree``), so such a cue
no longer fires on the other word; a message typed without diacritics still matches folded.
This lists, for every cue phrase written with diacritics (phrases, parts of "a + b" cues and
word sets of ``matcher.yaml``), the word sequences of a vocabulary that fold to the same
letters but carry other diacritics, with how often each occurs, most frequent first: the
collisions worth a test. The vocabulary is the text written with diacritics of the training
files (``content/data/training/*.tsv``) and of the content files (``content/data/*.yaml``
but ``matcher.yaml``); never the scoring-only sets.

``--min N`` hides collisions seen fewer than N times (default 2); ``--all`` also lists the
cue phrases that collide with nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from content.classifier import TRAINING_DIR  # noqa: E402
from content.loader import DATA_DIR  # noqa: E402
from content.matcher import FILE_NAME  # noqa: E402
from content.normalize import basic_tokens, mark_key, strip_diacritics  # noqa: E402

# a text is "written with diacritics" when at least this share of its words carry them (the
# matcher's own default, ``accent_share``)
ACCENT_SHARE = 0.3


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _training_texts(data_dir: Path) -> Iterator[str]:
    for path in sorted((data_dir / TRAINING_DIR).glob("*.tsv")):
        header: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                if "text" in cells:
                    continue
                if cells[0] == "topic":
                    continue
            column = header.index("text") if "text" in header else 1
            if column < len(cells):
                yield cells[column]


def vocabulary_texts(data_dir: Path) -> list[list[str]]:
    """The tokens of every vocabulary text written with diacritics."""
    texts = list(_training_texts(data_dir))
    for path in sorted(data_dir.glob("*.yaml")):
        if path.name != FILE_NAME:
            texts.extend(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    out = []
    for text in texts:
        tokens = basic_tokens(text)
        letters = [t for t in tokens if t.isalpha()]
        marked = sum(strip_diacritics(t) != t for t in letters)
        if letters and marked >= ACCENT_SHARE * len(letters):
            out.append(tokens)
    return out


def cue_phrases(data_dir: Path) -> dict[str, set[str]]:
    """Every cue phrase written with diacritics -> where it is used (topics, "@sets")."""
    raw = yaml.safe_load((data_dir / FILE_NAME).read_text(encoding="utf-8"))
    cues: dict[str, set[str]] = defaultdict(set)

    def add(text: str, where: str) -> None:
        text = text.strip()
        if text and not text.startswith("@") and strip_diacritics(text) != text.lower():
            cues[text.lower()].add(where)

    for topic, body in (raw.get("topics") or {}).items():
        for phrase in (body or {}).get("phrases") or {}:
            for part in str(phrase).split("+"):
                for alternative in part.split("|"):
                    add(alternative, topic)
    for name, items in (raw.get("word_sets") or {}).items():
        for item in items:
            add(str(item), f"@{name}")
    return cues


def collisions(
    cues: dict[str, set[str]], texts: list[list[str]]
) -> dict[str, tuple[int, Counter[str]]]:
    """cue -> (times the cue itself occurs, Counter of other word sequences that fold alike).

    A word written without any diacritic in the text is taken to be the cue's word (the
    matcher reads such a word leniently), so only words written with other diacritics
    collide. "#" in a cue (any number) matches any number."""
    wanted: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for cue in cues:
        words = basic_tokens(cue.replace("#", " 0 "))
        key = tuple("#" if w.isdigit() else strip_diacritics(w) for w in words)
        wanted[key].append((cue, tuple(mark_key(w) for w in words)))
    longest = max((len(k) for k in wanted), default=0)
    found: dict[str, tuple[int, Counter[str]]] = {cue: (0, Counter()) for cue in cues}
    for tokens in texts:
        folded = ["#" if t.isdigit() else strip_diacritics(t) for t in tokens]
        for i in range(len(tokens)):
            for size in range(1, min(longest, len(tokens) - i) + 1):
                entries = wanted.get(tuple(folded[i : i + size]))
                if not entries:
                    continue
                window = tokens[i : i + size]
                for cue, marks in entries:
                    same, other = found[cue]
                    if all(
                        w.isdigit() or mark_key(w) == m or strip_diacritics(w) == w
                        for w, m in zip(window, marks, strict=True)
                    ):
                        found[cue] = (same + 1, other)
                    else:
                        other[" ".join(window)] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--min", type=int, default=2, help="hide collisions seen fewer times")
    parser.add_argument("--all", action="store_true", help="list cues without collisions too")
    args = parser.parse_args(argv)
    cues = cue_phrases(DATA_DIR)
    texts = vocabulary_texts(DATA_DIR)
    found = collisions(cues, texts)
    rows = sorted(found.items(), key=lambda kv: (-sum(kv[1][1].values()), kv[0]))
    print(f"{len(cues)} cue phrases with diacritics; vocabulary: {len(texts)} texts")
    print("collisions\tcue (times itself)\tused by\tother words that fold alike (times)")
    shown = 0
    for cue, (same, other) in rows:
        common = [(w, n) for w, n in other.most_common() if n >= args.min]
        if not common and not args.all:
            continue
        shown += 1
        where = ", ".join(sorted(cues[cue]))
        listed = "; ".join(f"{w} ({n})" for w, n in common[:6])
        print(f"{sum(other.values())}\t{cue} ({same})\t{where}\t{listed}")
    print(f"{shown} cue phrases listed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
