"""Large text (适老化): one switch in every page's header, kept on the account."""

import pytest

from accounts.models import User
from accounts.tests import factories as af

pytestmark = pytest.mark.django_db


def test_a_visitor_switches_to_large_text_and_back_and_stays_on_the_page(client):
    page = client.get("/")
    assert 'class="large-text"' not in page.text
    assert 'name="size" value="large"' in page.text and "大字模式" in page.text
    response = client.post("/display/text-size/", {"size": "large", "next": "/disclosure/"})
    assert response.status_code == 302 and response["Location"] == "/disclosure/"
    assert client.cookies["odr_large_text"].value == "1"
    page = client.get("/disclosure/")
    assert 'class="large-text"' in page.text
    assert 'name="size" value="normal"' in page.text and "标准字号" in page.text
    client.post("/display/text-size/", {"size": "normal", "next": "/"})
    assert 'class="large-text"' not in client.get("/").text


def test_the_choice_is_kept_on_the_account(client):
    consumer = af.consumer()
    af.login(client, consumer)
    client.post("/display/text-size/", {"size": "large", "next": "/"})
    assert User.objects.get(pk=consumer.pk).large_text is True
    # Another browser, the same account: large text at once.
    client.cookies.clear()
    af.login(client, consumer)
    assert 'class="large-text"' in client.get("/").text


def test_the_switch_never_sends_anyone_to_another_site(client):
    response = client.post(
        "/display/text-size/", {"size": "large", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert client.get("/display/text-size/").status_code == 405
