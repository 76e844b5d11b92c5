"""The console's sections, shown in the header to whom holds the role they need."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    path: str
    key: str  # the message key of its label
    role: str | None = None  # None: everyone signed in; admins see every section


# Each area of the console adds its entries here, in the order they are shown.
NAV: list[NavItem] = [
    NavItem("/staff/dashboard", "console.dashboard.nav"),
    NavItem("/staff/reports", "console.reports.nav", "moderator"),
    NavItem("/staff/points", "console.points.nav", "official"),
    NavItem("/staff/broadcasts", "console.broadcasts.nav", "official"),
    NavItem("/staff/roles", "console.admin.nav.roles", "admin"),
    NavItem("/staff/audit", "console.admin.nav.audit", "admin"),
]
