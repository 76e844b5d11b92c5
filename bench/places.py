"""Speed of the commune directory: building its search index, and one lookup.

Usage (from the repo root)::

    python bench/places.py [--rounds N]

Prints the time to build the index of the 3,321 communes (done once per process, at the
first lookup) and the time per ``find_communes`` call over a mix of what citizens type:
with and without diacritics, with a province, a typo, a code, and nonsense.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from content import places
from content.places import find_communes

QUERIES = [
    "son tinh",
    "Sơn Tịnh, Quảng Ngãi",
    "xa son tinh tinh quang ngai",
    "hoan kem",
    "p. hoàn kiếm hn",
    "ben thanh tp hcm",
    "tan an",
    "tan thanh tay ninh",
    "son tinhh quang ngai",
    "asdfgh qwerty",
    "21220",
    "ng",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    builds = []
    for _ in range(5):
        started = time.perf_counter()
        index = places._build_index()
        builds.append(time.perf_counter() - started)
    best = min(builds) * 1000
    print(f"index: {len(index.communes)} communes, built in {best:.0f} ms (best of 5)")

    find_communes("warm up")
    each: list[float] = []
    for _ in range(args.rounds):
        for query in QUERIES:
            started = time.perf_counter()
            find_communes(query)
            each.append(time.perf_counter() - started)
    each.sort()
    p99 = each[int(len(each) * 0.99) - 1]
    print(
        f"lookup: {len(each)} calls, mean {statistics.fmean(each) * 1000:.2f} ms, "
        f"p50 {statistics.median(each) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
