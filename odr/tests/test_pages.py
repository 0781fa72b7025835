"""The base interface: home page, language switch, security headers, API docs."""

import pytest

from accounts.tests import factories as f

pytestmark = pytest.mark.django_db


def test_home_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in response.text
    assert "投诉" in response.text


def test_home_leads_to_the_verification_that_works(client):
    text = client.get("/").text
    assert 'href="/verify/" data-action="verify"' in text
    assert "即将上线" not in text
    assert client.get("/verify/").status_code == 200


def test_language_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert '<html lang="en">' in page.text
    assert "File a complaint" in page.text
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-Hans">' in client.get("/").text


def test_language_choice_is_remembered_on_the_account(client):
    user = f.consumer()
    f.login(client, user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_unknown_language_changes_nothing(client):
    user = f.consumer()
    f.login(client, user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert '<html lang="zh-Hans">' in client.get("/").text


def test_every_page_has_a_csp_without_inline_scripts(client):
    for url in ["/", "/accounts/login/", "/accounts/staff-login/"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "<script>" not in response.text
        assert "onclick" not in response.text


def test_pages_have_a_viewport_for_phones(client):
    assert 'name="viewport"' in client.get("/").text


def test_api_schema_and_docs(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/otp/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()


def test_api_root_lists_entry_points(client):
    body = client.get("/api/v1/").json()
    assert body["auth_otp"].endswith("/api/v1/auth/otp/")


def test_admin_in_chinese_and_english(client):
    f.login(client, f.administrator())
    assert "站点管理" in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").text
    client.cookies["django_language"] = "en"
    assert "Site administration" in client.get("/admin/").text


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404


def test_chinese_first_even_when_the_browser_prefers_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-Hans">' in page.text
    assert page["Content-Language"] == "zh-hans"


def test_the_api_follows_accept_language(client):
    response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"


def test_signed_in_user_gets_their_saved_language(client):
    user = f.consumer(language="en")
    f.login(client, user)
    assert '<html lang="en">' in client.get("/").text


def test_favicon_and_no_inline_htmx_styles(client):
    page = client.get("/")
    assert 'rel="icon"' in page.text
    assert '"includeIndicatorStyles": false' in page.text


@pytest.mark.parametrize("url", ["/api/v1/cases/LY%00/", "/api/v1/merchants/?q=a%00b", "/?x%00=1"])
def test_nul_bytes_are_a_client_error(client, url):
    f.login(client, f.consumer())
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
