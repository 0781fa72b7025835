"""Whose cases a user supervises: the same jurisdiction rule as the review queue.

A regulator's role names an administrative division code; it covers that code and, for a
city or province code, every code under it (``odr.divisions``). An administrator sees
everything. Everyone else has no workspace.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Role
from odr.divisions import division_covers, division_prefix
from odr.errors import NotAllowed


@dataclass(frozen=True)
class Scope:
    """The jurisdictions a user supervises; ``everything`` for an administrator."""

    jurisdictions: tuple[str, ...]
    everything: bool = False

    def covers(self, code: str) -> bool:
        if self.everything:
            return bool(code)
        return any(division_covers(j, code) for j in self.jurisdictions)

    def covers_area(self, code: str) -> bool:
        """Whether a whole area (a district, or a city code) lies inside the scope."""
        if self.everything:
            return True
        prefix = division_prefix(code)
        return any(prefix.startswith(division_prefix(j)) for j in self.jurisdictions)

    def q(self, field: str = "division_code") -> Q:
        if self.everything:
            return Q()
        condition = Q(pk__in=[])
        for jurisdiction in self.jurisdictions:
            condition |= Q(**{f"{field}__startswith": division_prefix(jurisdiction)})
        return condition


def scope_of(*, user) -> Scope | None:
    """The user's scope, or None if they supervise nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    roles = list(user.roles.all())
    if any(r.kind == Role.Kind.ADMINISTRATOR for r in roles):
        return Scope(jurisdictions=(), everything=True)
    jurisdictions = tuple(
        sorted({r.jurisdiction for r in roles if r.kind == Role.Kind.REGULATOR and r.jurisdiction})
    )
    if not jurisdictions:
        return None
    return Scope(jurisdictions=jurisdictions)


def access_scope(*, user) -> Scope:
    """The scope of a regulator or administrator; anyone else is refused (403)."""
    scope = scope_of(user=user)
    if scope is None:
        raise NotAllowed(_("The supervision workspace is for regulators."), code="not_a_regulator")
    return scope
