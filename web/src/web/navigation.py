"""The header navigation: one entry per area, shown only to users whose scopes allow it.

A new service plugs in with one line here (its label, where it lives, the scopes it needs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    label: str
    href: str
    scopes: frozenset[str]
    description: str
    others: tuple[str, ...] = ()  # addresses under href that are another entry's

    def allowed(self, scopes: Iterable[str]) -> bool:
        return self.scopes <= set(scopes)

    def current(self, path: str) -> bool:
        if any(path == other or path.startswith(other + "/") for other in self.others):
            return False
        return path == self.href or path.startswith(self.href.rstrip("/") + "/")


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry(
        "Framework",
        "/frameworks",
        frozenset({"framework:read"}),
        "Browse the HSC Collective Leadership Framework: its values, behaviours and capabilities "
        "for every level, with what each looks like from essential to exemplary.",
    ),
    NavEntry(
        "Recruitment",
        "/recruitment",
        frozenset({"recruitment:read"}),
        "Score candidates against the HSC values on your panels, set up vacancies, and read their "
        "results and fairness reports.",
    ),
    NavEntry(
        "My organisation",
        "/monitoring",
        frozenset({"monitoring:read"}),
        "How your organisation is doing on the strategy: the implementation plan and its check-ins, "
        "and the outcome indicators as statistical process control charts.",
        others=("/monitoring/culture",),
    ),
    NavEntry(
        "Culture survey",
        "/monitoring/culture",
        frozenset({"monitoring:read"}),
        "Your teams' culture survey results: engagement, the six cultural characteristics and every "
        "question, against the survey before, with small groups' answers never shown.",
    ),
    NavEntry(
        "Users",
        "/admin/users",
        frozenset({"users:admin"}),
        "Add the people of your organisation, give them roles, and unlock or deactivate accounts.",
    ),
)


def visible_entries(scopes: Iterable[str], entries: Iterable[NavEntry] = NAVIGATION) -> list[NavEntry]:
    held = set(scopes)
    return [entry for entry in entries if entry.allowed(held)]
