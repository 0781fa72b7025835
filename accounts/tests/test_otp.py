"""One-time SMS login codes: sending, expiry, tries, rate limits, hashed storage."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OtpChallenge, Role, User
from accounts.tests.factories import merchant_staff

# Real commits: the SMS leaves only after the transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+8613800000001"


def _request(client, phone=PHONE, **extra):
    return client.post(
        "/api/v1/auth/otp/", {"phone": phone}, content_type="application/json", **extra
    )


def _verify(client, code, phone=PHONE):
    return client.post(
        "/api/v1/auth/otp/verify/", {"phone": phone, "code": code}, content_type="application/json"
    )


def _code_from(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)


def test_code_is_sent_by_sms_and_stored_only_as_a_hash(client, sms_outbox):
    response = _request(client)
    assert response.status_code == 202
    assert response.json()["expires_in"] == 300
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == PHONE
    assert sms_outbox[0].sensitive is True
    code = _code_from(sms_outbox)
    challenge = OtpChallenge.objects.get()
    assert code not in challenge.code_hash
    assert len(challenge.code_hash) == 64
    assert (challenge.expires_at - challenge.created_at) == timedelta(minutes=5)


def test_local_number_is_normalised_to_e164(client, sms_outbox):
    assert _request(client, phone="138 0000 0001").status_code == 202
    assert sms_outbox[0].to == PHONE


@pytest.mark.parametrize("bad", ["", "12345", "+86123", "not a phone", "+861380000000123"])
def test_invalid_number_is_refused_with_a_message(client, sms_outbox, bad):
    response = _request(client, phone=bad)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["message"]
    assert sms_outbox == []
    assert not OtpChallenge.objects.exists()


def test_message_is_in_the_callers_language(client, sms_outbox):
    _request(client, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "验证码" in sms_outbox[-1].body
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    _request(client, HTTP_ACCEPT_LANGUAGE="en")
    assert "login code" in sms_outbox[-1].body


def test_right_code_signs_in_a_new_consumer_and_returns_a_token(client, sms_outbox):
    _request(client)
    response = _verify(client, _code_from(sms_outbox))
    assert response.status_code == 200
    body = response.json()
    assert body["token"]
    assert body["user"]["phone"] == PHONE
    assert [r["kind"] for r in body["user"]["roles"]] == ["consumer"]
    user = User.objects.get(phone=PHONE)
    assert user.roles.get().kind == Role.Kind.CONSUMER
    assert client.get("/api/v1/me/").json()["phone"] == PHONE


def test_existing_merchant_staff_signs_in_as_themselves(client, sms_outbox):
    staff = merchant_staff()
    _request(client, phone=staff.phone)
    response = _verify(client, _code_from(sms_outbox), phone=staff.phone)
    assert response.status_code == 200
    assert [r["kind"] for r in response.json()["user"]["roles"]] == ["merchant_staff"]
    assert User.objects.filter(phone=staff.phone).count() == 1


def test_a_code_works_once(client, sms_outbox):
    _request(client)
    code = _code_from(sms_outbox)
    assert _verify(client, code).status_code == 200
    again = _verify(client, code)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "no_code"


def test_expired_code_is_refused(client, sms_outbox):
    _request(client)
    code = _code_from(sms_outbox)
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _verify(client, code)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "code_expired"
    assert not User.objects.filter(phone=PHONE).exists()


def test_five_wrong_tries_lock_the_code_even_the_right_one(client, sms_outbox):
    _request(client)
    code = _code_from(sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    messages = [_verify(client, wrong).json()["error"]["message"] for _ in range(5)]
    assert "4" in messages[0]
    assert OtpChallenge.objects.get().attempts == 5
    response = _verify(client, code)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert not User.objects.filter(phone=PHONE).exists()


def test_malformed_code_does_not_use_a_try(client, sms_outbox):
    _request(client)
    response = _verify(client, "12ab")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["code"]
    assert OtpChallenge.objects.get().attempts == 0


def test_new_code_replaces_the_old_one(client, sms_outbox):
    _request(client)
    first = _code_from(sms_outbox)
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    _request(client)
    second = _code_from(sms_outbox)
    if first != second:
        assert _verify(client, first).json()["error"]["code"] == "wrong_code"
    assert _verify(client, second).status_code == 200


def test_resend_too_soon_is_429_with_retry_after(client, sms_outbox):
    assert _request(client).status_code == 202
    response = _request(client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "too_many_requests"
    assert len(sms_outbox) == 1


def test_hourly_limit_per_number(client, sms_outbox, settings):
    for i in range(settings.OTP_MAX_PER_PHONE_PER_HOUR):
        assert _request(client).status_code == 202, i
        OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = _request(client)
    assert response.status_code == 429
    assert len(sms_outbox) == settings.OTP_MAX_PER_PHONE_PER_HOUR


def test_hourly_limit_per_address(client, sms_outbox, settings):
    settings.OTP_MAX_PER_IP_PER_HOUR = 3
    for i in range(3):
        assert _request(client, phone=f"+861380000010{i}").status_code == 202
    response = _request(client, phone="+8613800000109")
    assert response.status_code == 429
    assert (
        "network" in response.json()["error"]["message"]
        or "网络" in response.json()["error"]["message"]
    )
    # Another address is not affected.
    assert _request(client, phone="+8613800000109", REMOTE_ADDR="10.0.0.9").status_code == 202


def test_disabled_account_cannot_sign_in(client, sms_outbox):
    staff = merchant_staff(is_active=False)
    _request(client, phone=staff.phone)
    response = _verify(client, _code_from(sms_outbox), phone=staff.phone)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_codes_are_not_printed_when_logging_is_off(settings, capsys):
    from odr.sms import send_sms

    settings.SMS_BACKEND = "console"
    settings.OTP_LOG_CODES = False
    send_sms(to=PHONE, body="code 123456", sensitive=True)
    out = capsys.readouterr().out
    assert "123456" not in out
    assert PHONE in out


def test_file_backend_writes_one_file_per_message(settings, tmp_path):
    import json

    from odr.sms import send_sms

    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path)
    send_sms(to=PHONE, body="第一条")
    send_sms(to=PHONE, body="第二条")
    files = sorted(p for p in tmp_path.iterdir())
    assert [json.loads(p.read_text("utf-8"))["body"] for p in files] == ["第一条", "第二条"]


def test_old_login_codes_are_purged(client, sms_outbox):
    from accounts.tasks import purge_login_codes

    _request(client)
    _request(client, phone="+8613800000002")
    OtpChallenge.objects.filter(phone=PHONE).update(created_at=timezone.now() - timedelta(days=2))
    assert purge_login_codes() == 1
    assert list(OtpChallenge.objects.values_list("phone", flat=True)) == ["+8613800000002"]
