"""Dead ends: an unknown address and an expired form get a page in the user's language."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_a_404_page_in_chinese_that_links_home(client):
    response = client.get("/nonexistent-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "此页面不存在" in text
    assert 'href="/" data-action="home"' in text
    assert "Not Found" not in text


def test_the_404_page_follows_the_language_chosen(client):
    client.cookies["django_language"] = "en"
    text = client.get("/nonexistent-page/").content.decode()
    assert "This page does not exist" in text


def test_a_form_sent_after_its_page_expired_asks_to_try_again():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/",
        {"phone": "13800000001"},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    assert response.status_code == 403
    text = response.content.decode()
    assert "页面打开时间过长" in text
    assert 'href="http://testserver/accounts/login/" data-action="back"' in text
    assert "DEBUG" not in text


def test_the_expired_form_page_never_links_to_another_site():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {}, HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()
