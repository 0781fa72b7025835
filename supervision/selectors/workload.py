"""Mediators' workloads and outcomes, for the head of their organisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import MediationOrganisation, Role, User
from cases.models import Case, CaseEvent, State
from odr.errors import NotAllowed


@dataclass
class MediatorLoad:
    mediator: User
    in_mediation: int
    agreements: int
    terminations: int

    @property
    def agreement_rate(self) -> float | None:
        done = self.agreements + self.terminations
        return round(100.0 * self.agreements / done, 1) if done else None


def access_headed_organisations(*, user) -> list[MediationOrganisation]:
    organisations = [
        r.mediation_organisation
        for r in user.roles.filter(kind=Role.Kind.MEDIATOR, is_head=True).select_related(
            "mediation_organisation"
        )
    ]
    if not organisations:
        raise NotAllowed(
            _("Workloads are for the head of a mediation organisation."), code="not_a_head"
        )
    return organisations


def mediator_workloads(
    *, organisation: MediationOrganisation, since: dt.datetime
) -> list[MediatorLoad]:
    """Each mediator of the organisation: cases now in mediation, and agreements reached and
    mediations terminated since ``since``."""
    mediators = User.objects.filter(
        roles__kind=Role.Kind.MEDIATOR, roles__mediation_organisation=organisation
    ).order_by("username", "pk")
    open_cases = dict(
        Case.objects.filter(mediation_organisation=organisation, state=State.MEDIATION)
        .order_by()
        .values_list("mediator_id")
        .annotate(n=Count("pk"))
    )
    outcomes = (
        CaseEvent.objects.filter(
            case__mediation_organisation=organisation,
            created_at__gte=since,
            kind__in=["transition.reach_agreement", "transition.terminate"],
        )
        .order_by()
        .values("case__mediator_id")
        .annotate(
            agreements=Count("pk", filter=Q(kind="transition.reach_agreement")),
            terminations=Count("pk", filter=Q(kind="transition.terminate")),
        )
    )
    by_mediator = {r["case__mediator_id"]: r for r in outcomes}
    return [
        MediatorLoad(
            mediator=m,
            in_mediation=open_cases.get(m.pk, 0),
            agreements=by_mediator.get(m.pk, {}).get("agreements", 0),
            terminations=by_mediator.get(m.pk, {}).get("terminations", 0),
        )
        for m in mediators
    ]
