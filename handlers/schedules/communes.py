"""Which commune a typed name stands for, found as /lich finds it (no dialog here).

A citizen types their commune's name with or without diacritics or "xã/phường", or the name
of a transaction point, which is often a former commune's name. A point's name holding the
words typed is stronger evidence than a commune name that only resembles them, so those
come first. `vbsp-bot schedule next` finds a commune the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from content.normalize import fold
from content.places import Commune, commune, find_communes
from storage import schedules
from storage.models import TransactionPoint

# Words before a point's name that say nothing about which point.
_POINT_WORDS = ("diem giao dich ", "diem ", "xa ", "phuong ")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commune the typed text may mean; ``point`` when it was found by a point's name."""

    commune: Commune
    point: TransactionPoint | None = None


def commune_label(found: Commune) -> str:
    return f"{found.name} ({found.province_name})"


async def communes_by_point_name(
    session: AsyncSession, query: str
) -> list[tuple[TransactionPoint, Commune]]:
    """Points whose name holds what was typed ("tinh ha"), each with its commune."""
    wanted = fold(query)
    for prefix in _POINT_WORDS:
        wanted = wanted.removeprefix(prefix)
    if len(wanted) < 3:
        return []
    found = []
    for point in await schedules.all_points(session):
        if wanted in fold(point.name) and (c := commune(point.commune_code)) is not None:
            found.append((point, c))
    return found


async def candidates(session: AsyncSession, query: str, limit: int) -> list[Candidate]:
    """The communes ``query`` may mean, at most ``limit``: by a point's name first, then by
    the commune's own name; each commune once."""
    if not query:
        return []
    found: dict[str, Candidate] = {}
    for point, by_point in await communes_by_point_name(session, query):
        found.setdefault(by_point.code, Candidate(by_point, point))
    for by_name in find_communes(query, limit=limit):
        found.setdefault(by_name.code, Candidate(by_name))
    return list(found.values())[:limit]
