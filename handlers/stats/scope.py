"""What a staff member's dashboard covers: each section for the roles that see it, in the
areas they hold (``handlers.core.roles.areas_of``; an admin counts for every role).

Reports follow the moderators' routing rule (``storage.reports.area_clause``: a commune's
moderator does not see what was escalated to the province). Transaction points, reminders
and broadcasts belong to officials; the kept questions to admins, as the people who look
after what the bot answers. A person with several roles sees each section their roles
reach, each in the areas of the role that reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from content.places import communes_of_province
from handlers.core import roles
from handlers.core.context import Context

MODERATOR, OFFICIAL, ADMIN = "moderator", "official", "admin"


def communes_in(areas: Sequence[str | None]) -> list[str] | None:
    """The commune codes of these areas; None when one of them is the whole country."""
    if None in areas:
        return None
    found: set[str] = set()
    for area in areas:
        if area is None:
            continue
        if len(area) == 2:
            found.update(c.code for c in communes_of_province(int(area)))
        else:
            found.add(area)
    return sorted(found)


def area_codes_in(areas: Sequence[str | None]) -> list[str] | None:
    """Every area code inside these areas, the provinces themselves included (a broadcast
    is addressed to a province or a commune); None for the whole country."""
    communes = communes_in(areas)
    if communes is None:
        return None
    return sorted({a for a in areas if a is not None} | set(communes))


@dataclass(frozen=True)
class Scope:
    """The areas of each role the person holds now; [] where they do not hold it."""

    moderator: tuple[str | None, ...]
    official: tuple[str | None, ...]
    admin: tuple[str | None, ...]

    @property
    def reports(self) -> bool:
        return bool(self.moderator)

    @property
    def delivery(self) -> bool:
        return bool(self.official)

    @property
    def questions(self) -> bool:
        return bool(self.admin)

    @property
    def anything(self) -> bool:
        return self.reports or self.delivery or self.questions

    def key(self) -> tuple[object, ...]:
        return (self.moderator, self.official, self.admin)


async def scope_of(ctx: Context) -> Scope:
    """Read now, as every check is: a revoked role stops counting at the next request."""
    return Scope(
        tuple(await roles.areas_of(ctx, MODERATOR)),
        tuple(await roles.areas_of(ctx, OFFICIAL)),
        tuple(await roles.areas_of(ctx, ADMIN)),
    )
