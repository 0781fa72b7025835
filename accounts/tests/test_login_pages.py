"""Sign-in pages, staff tokens, lockout, roles and landing pages."""

import re

import pytest

from accounts.tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _code(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)


def test_sms_login_page_two_steps(client, sms_outbox):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="phone"' in page.text
    step1 = client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    assert step1.status_code == 200
    assert 'name="code"' in step1.text
    step2 = client.post(
        "/accounts/login/", {"step": "code", "phone": "13800000001", "code": _code(sms_outbox)}
    )
    assert step2.status_code == 302
    assert step2["Location"] == "/accounts/me/"
    assert client.get("/accounts/me/")["Location"] == "/accounts/consumer/"


def test_sms_login_page_shows_errors_next_to_the_field(client, sms_outbox):
    response = client.post(
        "/accounts/login/", {"step": "phone", "phone": "123"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert 'class="error"' in response.text
    assert "手机号" in response.text
    assert sms_outbox == []


def test_sms_login_wrong_code_keeps_the_code_step(client, sms_outbox):
    client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    code = _code(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(
        "/accounts/login/", {"step": "code", "phone": "13800000001", "code": wrong}
    )
    assert response.status_code == 400
    assert 'name="code"' in response.text
    assert "_auth_user_id" not in client.session


def test_next_is_followed_only_within_the_site(client, sms_outbox):
    client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    response = client.post(
        "/accounts/login/",
        {
            "step": "code",
            "phone": "13800000001",
            "code": _code(sms_outbox),
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/accounts/me/"


def test_staff_password_login_and_landing(client):
    user = f.mediator(username="med1")
    response = client.post(
        "/accounts/staff-login/", {"username": "med1", "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302
    landing = client.get("/accounts/me/")
    assert landing["Location"] == "/accounts/mediator/"
    page = client.get("/accounts/mediator/")
    assert page.status_code == 200
    assert user.roles.get().mediation_organisation.name in page.text


def test_an_overlong_staff_username_is_a_form_error_in_chinese(client):
    response = client.post(
        "/accounts/staff-login/", {"username": "x" * 300, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "确保该变量包含不超过 150 字符" in response.text  # Django's own message, in Chinese
    assert not response.context["user"].is_authenticated


@pytest.mark.parametrize(
    ("make_user", "own_page"),
    [
        (f.consumer, "/accounts/consumer/"),
        (f.merchant_staff, "/accounts/merchant/"),
        (f.mediator, "/accounts/mediator/"),
        (f.regulator, "/accounts/regulator/"),
        (f.arbitration_staff, "/accounts/arbitration/"),
    ],
)
def test_each_role_sees_only_its_own_landing_page(client, make_user, own_page):
    f.login(client, make_user())
    pages = [
        "/accounts/consumer/",
        "/accounts/merchant/",
        "/accounts/mediator/",
        "/accounts/regulator/",
        "/accounts/arbitration/",
    ]
    assert client.get("/accounts/me/")["Location"] == own_page
    for page in pages:
        expected = 200 if page == own_page else 403
        assert client.get(page).status_code == expected, page


def test_administrator_lands_in_the_admin(client):
    f.login(client, f.administrator())
    assert client.get("/accounts/me/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_user_with_several_roles_chooses(client):
    user = f.regulator()
    from accounts.models import Role

    Role.objects.create(user=user, kind=Role.Kind.CONSUMER)
    f.login(client, user)
    page = client.get("/accounts/me/")
    assert page.status_code == 200
    assert "/accounts/regulator/" in page.text
    assert "/accounts/consumer/" in page.text


def test_anonymous_is_sent_to_login(client):
    response = client.get("/accounts/consumer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_token_api(client):
    f.regulator(username="reg1")
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "reg1", "password": "pw-for-tests-123"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == "reg1"


def test_token_api_refuses_wrong_password_and_non_staff(client):
    f.regulator(username="reg1")
    wrong = client.post(
        "/api/v1/auth/token/",
        {"username": "reg1", "password": "nope"},
        content_type="application/json",
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "wrong_credentials"
    consumer = f.consumer()
    consumer.set_password("consumer-pw-1")
    consumer.save()
    refused = client.post(
        "/api/v1/auth/token/",
        {"username": consumer.username, "password": "consumer-pw-1"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_staff"


def test_repeated_failures_lock_the_account(client, settings):
    f.regulator(username="reg1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/api/v1/auth/token/",
            {"username": "reg1", "password": "wrong"},
            content_type="application/json",
        )
    locked = client.post(
        "/api/v1/auth/token/",
        {"username": "reg1", "password": "pw-for-tests-123"},
        content_type="application/json",
    )
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_requests"
    page = client.post(
        "/accounts/staff-login/", {"username": "reg1", "password": "pw-for-tests-123"}
    )
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api_errors_use_the_envelope(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert set(response.json()["error"]) >= {"code", "message"}


def test_asking_again_too_soon_keeps_the_code_box_and_counts_down(client, sms_outbox, settings):
    settings.OTP_RESEND_SECONDS = 60
    first = client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    assert re.search(r'data-resend-in="60"', first.text)
    code = _code(sms_outbox)
    again = client.post(
        "/accounts/login/", {"step": "phone", "phone": "13800000001", "next": "/cases/"}
    )
    # Refused (no second SMS), but the code already sent is still there to be entered.
    assert again.status_code == 429
    assert len(sms_outbox) == 1
    assert 'name="code"' in again.text
    assert "之前发送的验证码仍然有效，请在下方输入。" in again.text
    wait = int(re.search(r'data-resend-in="(\d+)"', again.text).group(1))
    assert 0 < wait <= 60
    assert 'data-wait-seconds="%(s)s 秒后可重新获取验证码"' in again.text
    assert '<script src="/static/accounts/sign_in.js" defer></script>' in again.text
    # The resend form keeps where the person was going.
    assert again.text.count('name="next" value="/cases/"') == 2
    signed_in = client.post(
        "/accounts/login/", {"step": "code", "phone": "13800000001", "code": code}
    )
    assert signed_in.status_code == 302


def test_a_wrong_code_shows_the_time_left_before_a_new_one(client, sms_outbox, settings):
    settings.OTP_RESEND_SECONDS = 60
    client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    code = _code(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(
        "/accounts/login/", {"step": "code", "phone": "13800000001", "code": wrong}
    )
    assert response.status_code == 400
    wait = int(re.search(r'data-resend-in="(\d+)"', response.text).group(1))
    assert 0 < wait <= 60


def test_without_an_open_code_a_refused_request_stays_on_the_number(client, sms_outbox, settings):
    settings.OTP_RESEND_SECONDS = 60
    settings.OTP_MAX_ATTEMPTS = 1
    client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    wrong = f"{(int(_code(sms_outbox)) + 1) % 10**6:06d}"
    client.post("/accounts/login/", {"step": "code", "phone": "13800000001", "code": wrong})
    # No tries left on the code sent: asking again too soon says to wait, on the number.
    response = client.post("/accounts/login/", {"step": "phone", "phone": "13800000001"})
    assert response.status_code == 400
    assert 'name="code"' not in response.text
    assert "验证码刚刚已发送到该号码，请等待" in response.text
    assert len(sms_outbox) == 1
