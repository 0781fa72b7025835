"""Unread alert notices count in the header's badge and are linked from the inbox; the
badge's socket hears of new ones and of reading them; nobody else's badge moves."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests import factories as af
from notifications import selectors as inbox
from notifications.services import live
from supervision.models import AlertNotice
from supervision.services import alerts as services
from supervision.services.notices import alert_notices_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch) -> list[int]:
    told: list[int] = []
    monkeypatch.setattr(live, "_send", lambda ids: told.extend(ids))
    return told


@pytest.fixture
def regulators():
    return {"district": af.regulator("371302"), "fuzhou": af.regulator("350100")}


def test_a_new_alert_raises_the_badge_of_its_regulators_only(
    alert, regulators, pushed, django_capture_on_commit_callbacks
):
    district, fuzhou = regulators["district"], regulators["fuzhou"]
    before = inbox.unread_total(user=district)
    with django_capture_on_commit_callbacks(execute=True):
        alert_notices_record(alert=alert, now=timezone.now())
    assert inbox.unread_total(user=district) == before + 1
    assert inbox.unread_total(user=fuzhou) == 0
    assert district.pk in pushed and fuzhou.pk not in pushed


def test_the_inbox_links_the_unread_alerts(alert, client, regulators):
    district = regulators["district"]
    alert_notices_record(alert=alert, now=timezone.now())
    af.login(client, district)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert 'data-source="alerts"' in page
    assert "1 条未读预警" in page
    assert reverse("supervision:alerts") in page
    badge = client.get(reverse("notifications:badge")).content.decode()
    assert 'data-unread="1"' in badge
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 0, "total": 1}


def test_reading_the_alert_lowers_the_badge(
    alert, regulators, pushed, django_capture_on_commit_callbacks
):
    district = regulators["district"]
    alert_notices_record(alert=alert, now=timezone.now())
    assert inbox.unread_total(user=district) == 1
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_mark_read(alert=alert, user=district)
    assert inbox.unread_total(user=district) == 0
    assert pushed == [district.pk]
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_mark_read(alert=alert, user=district)  # nothing left: no push
    assert pushed == []


def test_acknowledging_reads_the_notice(
    alert, regulators, pushed, django_capture_on_commit_callbacks
):
    district = regulators["district"]
    alert_notices_record(alert=alert, now=timezone.now())
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_acknowledge(alert=alert, actor=district)
    assert not AlertNotice.objects.filter(recipient=district, read_at__isnull=True).exists()
    assert inbox.unread_total(user=district) == 0
    assert pushed == [district.pk]


def test_a_consumers_badge_has_no_alert_source(client):
    consumer = af.consumer()
    af.login(client, consumer)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert 'data-source="alerts"' not in page


def test_notices_the_user_can_no_longer_open_do_not_count(alert, client, regulators):
    """A regulator who lost the role, or whose jurisdiction moved, cannot open (so clear)
    the alert: its notice leaves the badge instead of staying there for good."""
    from accounts.models import Role
    from accounts.services import role_revoke

    district = regulators["district"]
    alert_notices_record(alert=alert, now=timezone.now())
    assert inbox.unread_total(user=district) == 1
    Role.objects.filter(user=district, kind=Role.Kind.REGULATOR).update(jurisdiction="371311")
    assert inbox.unread_total(user=district) == 0
    role_revoke(role=Role.objects.get(user=district, kind=Role.Kind.REGULATOR))
    af.login(client, district)
    assert 'data-unread="0"' in client.get(reverse("notifications:badge")).content.decode()
    assert 'data-source="alerts"' not in client.get(reverse("notifications:inbox")).content.decode()
