"""Handling an alert: acknowledge, assign, act, close with a note; pages and jurisdiction."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests import factories as af
from odr.errors import Conflict, DomainError
from supervision.models import AlertAction, AlertNotice, AlertRule
from supervision.services import alerts as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulators(db):
    return {
        "city": af.regulator("371300"),
        "district": af.regulator("371302"),
        "other_district": af.regulator("371311"),
        "fuzhou": af.regulator("350100"),
    }


def test_the_whole_workflow(alert, regulators):
    city, district = regulators["city"], regulators["district"]
    alert = services.alert_acknowledge(alert=alert, actor=city)
    assert alert.status == "acknowledged"
    alert = services.alert_assign(alert=alert, actor=city, assignee=district, note="请核查")
    assert (alert.status, alert.assignee) == ("assigned", district)
    alert = services.alert_act(alert=alert, actor=district, note="已约谈经营者")
    assert alert.status == "acting"
    alert = services.alert_close(alert=alert, actor=district, note="经营者已整改")
    assert (alert.status, alert.close_note) == ("closed", "经营者已整改")
    assert list(AlertAction.objects.values_list("kind", "actor_id", "note")) == [
        ("acknowledge", city.pk, ""),
        ("assign", city.pk, "请核查"),
        ("act", district.pk, "已约谈经营者"),
        ("close", district.pk, "经营者已整改"),
    ]


def test_steps_out_of_order_are_conflicts(alert, regulators):
    city = regulators["city"]
    services.alert_close(alert=alert, actor=city, note="误报")
    for step in (
        lambda: services.alert_acknowledge(alert=alert, actor=city),
        lambda: services.alert_act(alert=alert, actor=city, note="x"),
        lambda: services.alert_close(alert=alert, actor=city, note="x"),
    ):
        with pytest.raises(Conflict):
            step()
    assert AlertAction.objects.count() == 1


def test_closing_needs_a_note(alert, regulators):
    with pytest.raises(DomainError):
        services.alert_close(alert=alert, actor=regulators["city"], note="  ")
    alert.refresh_from_db()
    assert alert.status == "open"


def test_only_a_regulator_of_the_area_can_be_assigned(alert, regulators):
    for outsider in (regulators["other_district"], regulators["fuzhou"], af.consumer()):
        with pytest.raises(DomainError):
            services.alert_assign(alert=alert, actor=regulators["city"], assignee=outsider)
    assert AlertAction.objects.count() == 0


def test_pages_and_jurisdiction(client, alert, regulators):
    client.force_login(regulators["fuzhou"])
    assert client.get(reverse("supervision:alert", args=[alert.pk])).status_code == 403
    assert alert.subject_label not in client.get(reverse("supervision:alerts")).content.decode()
    assert client.get(reverse("api-supervision-alerts")).json()["results"] == []
    response = client.post(reverse("supervision:alert_step", args=[alert.pk, "acknowledge"]))
    assert response.status_code == 403
    client.force_login(regulators["other_district"])
    assert client.get(reverse("supervision:alert", args=[alert.pk])).status_code == 403
    assert client.get(reverse("supervision:alert", args=[999999])).status_code == 404

    client.force_login(regulators["district"])
    assert alert.subject_label in client.get(reverse("supervision:alerts")).content.decode()
    assert [a["id"] for a in client.get(reverse("api-supervision-alerts")).json()["results"]] == [
        alert.pk
    ]
    page = client.get(reverse("supervision:alert", args=[alert.pk]))
    assert page.status_code == 200
    response = client.post(reverse("supervision:alert_step", args=[alert.pk, "acknowledge"]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_page_steps(client, alert, regulators):
    client.force_login(regulators["city"])
    url = lambda step: reverse("supervision:alert_step", args=[alert.pk, step])  # noqa: E731
    assert client.post(url("close"), {"close-note": ""}).status_code == 400
    assert client.post(url("assign"), {"assignee": regulators["fuzhou"].pk}).status_code == 400
    assert client.post(url("assign"), {"assignee": "x"}).status_code == 400
    assert client.post(url("nope")).status_code == 404
    assert client.post(url("assign"), {"assignee": regulators["district"].pk}).status_code == 302
    assert client.post(url("act"), {"act-note": "约谈"}).status_code == 302
    assert client.post(url("close"), {"close-note": "完成"}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.assignee_id) == ("closed", regulators["district"].pk)
    # A second close is refused with a message, not an error.
    assert client.post(url("close"), {"close-note": "再次"}).status_code == 302
    assert AlertAction.objects.filter(kind="close").count() == 1


def test_opening_an_alert_marks_its_notice_read(client, alert, regulators):
    notice = AlertNotice.objects.create(
        alert=alert, recipient=regulators["city"], channel="inapp", created_at=timezone.now()
    )
    client.force_login(regulators["city"])
    assert f'data-alert="{alert.pk}"' in client.get(reverse("supervision:alerts")).content.decode()
    assert "unread" in client.get(reverse("supervision:alerts")).content.decode()
    client.get(reverse("supervision:alert", args=[alert.pk]))
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_rules_are_tuned_per_jurisdiction(client, regulators):
    client.force_login(regulators["district"])
    default = AlertRule.objects.get(kind="merchant_spike", jurisdiction="")
    # The national default is not theirs to edit...
    assert client.get(reverse("supervision:rule", args=[default.pk])).status_code == 403
    assert (
        client.post(reverse("supervision:rule", args=[default.pk]), {"weeks": 4}).status_code == 403
    )
    # ... they make a rule for their area from it, and tune that.
    response = client.post(
        reverse("supervision:rules"), {"kind": "merchant_spike", "jurisdiction": "371302"}
    )
    local = AlertRule.objects.get(kind="merchant_spike", jurisdiction="371302")
    assert response.url == reverse("supervision:rule", args=[local.pk])
    assert (local.weeks, local.min_count) == (default.weeks, default.min_count)
    data = {
        "enabled": "on",
        "severity": "low",
        "weeks": 6,
        "sigmas": "2.5",
        "min_count": 8,
        "days": 90,
    }
    assert client.post(reverse("supervision:rule", args=[local.pk]), data).status_code == 302
    local.refresh_from_db()
    assert (local.weeks, str(local.sigmas), local.min_count, local.severity) == (6, "2.5", 8, "low")
    assert (
        client.post(reverse("supervision:rule", args=[local.pk]), {**data, "weeks": 0}).status_code
        == 400
    )
    # Another area's rule, and another area: refused.
    response = client.post(
        reverse("supervision:rules"), {"kind": "merchant_spike", "jurisdiction": "350100"}
    )
    assert response.status_code == 403
    client.force_login(regulators["fuzhou"])
    assert client.get(reverse("supervision:rule", args=[local.pk])).status_code == 404
    assert "371302" not in client.get(reverse("supervision:rules")).content.decode()
