"""The inbox, the unread badge and its polling endpoints, and channel preferences."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from accounts.tests.factories import login
from notifications.models import Notification, NotificationPreference
from notifications.tests.conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    return submit(world)


def _inapp(user):
    return Notification.objects.filter(recipient=user, channel="inapp")


def test_the_inbox_lists_only_my_notices_newest_first(client, world, case):
    login(client, world.consumer)
    page = client.get("/notifications/")
    assert page.status_code == 200
    text = page.content.decode()
    mine = _inapp(world.consumer).get()
    assert f'id="notification-{mine.pk}"' in text
    assert mine.subject in text and case.reference in text
    staff = _inapp(world.staff).get()
    assert f'id="notification-{staff.pk}"' not in text
    assert 'data-unread="1"' in text
    assert "<script>" not in text and "onclick" not in text


def test_marking_read_changes_the_count(client, world, case):
    login(client, world.consumer)
    notice = _inapp(world.consumer).get()
    response = client.post(f"/notifications/{notice.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 0, "total": 0}


def test_someone_elses_notice_cannot_be_marked(client, world, case):
    login(client, world.consumer)
    theirs = _inapp(world.staff).get()
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(client, world, case):
    submit(world)  # a second case: two unread
    login(client, world.consumer)
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 2, "total": 2}
    client.post("/notifications/read-all/")
    assert client.get("/api/v1/notifications/unread/").json() == {"unread": 0, "total": 0}
    assert _inapp(world.staff).filter(read_at__isnull=True).count() == 2


def test_the_badge_fragment_polls_itself_with_htmx(client, world, case):
    login(client, world.consumer)
    response = client.get("/notifications/badge/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'id="unread-badge"' in html and 'data-unread="1"' in html
    assert 'hx-get="/notifications/badge/"' in html
    assert 'hx-trigger="every 10s"' in html and 'hx-swap="outerHTML"' in html
    assert "<script" not in html


def test_a_signed_out_badge_stops_polling(client):
    response = client.get("/notifications/badge/")
    assert response.status_code == 286 and response.content == b""


def test_the_template_tag_renders_the_badge_for_the_signed_in_only(world, case):
    template = Template("{% load notifications %}{% unread_badge %}")
    request = RequestFactory().get("/")
    request.user = world.consumer
    assert 'data-unread="1"' in template.render(Context({"request": request}))
    request.user = AnonymousUser()
    assert template.render(Context({"request": request})).strip() == ""


def test_the_api_lists_and_marks(client, world, case):
    login(client, world.consumer)
    listing = client.get("/api/v1/notifications/").json()
    [item] = listing["results"]
    assert item["case"] == case.reference and item["read_at"] is None
    assert item["kind"] == "deadline.started:negotiation_answer"
    marked = client.post(f"/api/v1/notifications/{item['id']}/read/").json()
    assert marked["read_at"] is not None
    assert client.get("/api/v1/notifications/?unread=1").json()["results"] == []
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 0}


def test_the_api_needs_a_signed_in_user(client):
    response = client.get("/api/v1/notifications/unread/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] in ("not_authenticated", "forbidden")


def test_the_preferences_page_saves_the_channels(client, world):
    login(client, world.consumer)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    text = page.content.decode()
    assert world.consumer.phone in text and "zhangsan@example.cn" in text
    assert 'name="sms" id="id_sms" checked' in text
    response = client.post("/notifications/preferences/", {"email": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=world.consumer)
    assert (preference.sms, preference.email) == (False, True)
    # A new complaint now reaches the consumer by email and in-app only.
    case = submit(world)
    channels = set(
        Notification.objects.filter(case=case, recipient=world.consumer).values_list(
            "channel", flat=True
        )
    )
    assert channels == {"inapp", "email"}


def test_the_preferences_api(client, world):
    login(client, world.consumer)
    assert client.get("/api/v1/notifications/preferences/").json() == {"sms": True, "email": True}
    response = client.put(
        "/api/v1/notifications/preferences/",
        {"sms": True, "email": False},
        content_type="application/json",
    )
    assert response.json() == {"sms": True, "email": False}
    bad = client.put(
        "/api/v1/notifications/preferences/", {"sms": "maybe"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "error" in bad.json()


def test_pages_need_a_login(client):
    for url in ("/notifications/", "/notifications/preferences/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_pages_are_in_english_for_an_english_user(client, world):
    world.consumer.language = "en"
    world.consumer.save(update_fields=["language"])
    submit(world)
    login(client, world.consumer)
    text = client.get("/notifications/").content.decode()
    assert '<html lang="en">' in text
    assert "Your complaint" in text  # the notice itself, rendered for them in English
