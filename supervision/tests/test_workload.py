"""Mediators' workloads, for the head of their organisation only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests import factories as af
from cases.models import Case
from supervision.tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_head_sees_each_mediators_load_and_outcomes(client):
    organisation = af.MediationOrganisationFactory(division_code="371300")
    head, colleague = af.mediator(organisation), af.mediator(organisation)
    Role.objects.filter(user=head).update(is_head=True)
    outsider = af.mediator(af.MediationOrganisationFactory(division_code="371300"))
    now = timezone.now()

    def mediated(path, mediator):
        case = make_case(path=path, agreed_by="transition.reach_agreement")
        Case.objects.filter(pk=case.pk).update(
            mediator=mediator, mediation_organisation=organisation
        )

    day = lambda n: now - dt.timedelta(days=n)  # noqa: E731
    mediated([("submitted", day(9)), ("review", day(9)), ("mediation", day(8))], colleague)
    mediated([("submitted", day(9)), ("review", day(9)), ("mediation", day(8))], colleague)
    mediated(
        [("submitted", day(9)), ("review", day(9)), ("mediation", day(8)), ("settled", day(5))],
        head,
    )
    mediated(
        [
            ("submitted", day(9)),
            ("review", day(9)),
            ("mediation", day(8)),
            ("mediation_failed", day(5)),
        ],
        colleague,
    )
    mediated(  # an agreement long ago: outside the 90 days
        [
            ("submitted", day(200)),
            ("review", day(200)),
            ("mediation", day(199)),
            ("settled", day(150)),
        ],
        colleague,
    )
    client.force_login(head)
    response = client.get(reverse("supervision:workload"))
    assert response.status_code == 200
    [(org, loads)] = response.context["organisations"]
    assert org == organisation
    rows = {
        load.mediator.pk: (load.in_mediation, load.agreements, load.terminations) for load in loads
    }
    assert rows == {head.pk: (0, 1, 0), colleague.pk: (2, 0, 1)}
    client.force_login(colleague)
    assert client.get(reverse("supervision:workload")).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("supervision:workload")).status_code == 403
