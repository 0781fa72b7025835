"""Writes for accounts: one-time login codes, users and roles."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import OtpChallenge, Role, User
from accounts.validators import normalise_phone
from odr.errors import DomainError, NotAllowed, RateLimited
from odr.sms import send_sms

_HASH_SALT = "odr.accounts.otp"


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{phone}:{code}", algorithm="sha256").hexdigest()


def _phone_or_error(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0], code="invalid_phone", fields={"phone": exc.messages}
        ) from exc


def otp_request(*, phone: str, ip: str | None) -> OtpChallenge:
    """Send a fresh login code, within the limits per number and per address."""
    phone = _phone_or_error(phone)
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    with transaction.atomic():
        recent = OtpChallenge.objects.filter(phone=phone, created_at__gte=hour_ago)
        last = recent.order_by("-created_at").first()
        if last and (now - last.created_at).total_seconds() < settings.OTP_RESEND_SECONDS:
            wait = settings.OTP_RESEND_SECONDS - int((now - last.created_at).total_seconds())
            raise RateLimited(
                _(
                    "A code was just sent to this number. Please wait %(s)d seconds before asking again."
                )
                % {"s": wait},
                retry_after=wait,
            )
        if recent.count() >= settings.OTP_MAX_PER_PHONE_PER_HOUR:
            raise RateLimited(
                _("Too many codes were requested for this number. Please try again in an hour."),
                retry_after=3600,
            )
        if ip and (
            OtpChallenge.objects.filter(requested_ip=ip, created_at__gte=hour_ago).count()
            >= settings.OTP_MAX_PER_IP_PER_HOUR
        ):
            raise RateLimited(
                _("Too many codes were requested from your network. Please try again later."),
                retry_after=3600,
            )
        # A new code replaces any earlier one still open for this number.
        OtpChallenge.objects.filter(phone=phone, consumed_at__isnull=True).update(consumed_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        challenge = OtpChallenge.objects.create(
            phone=phone,
            code_hash=_code_hash(phone, code),
            requested_ip=ip,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        minutes = settings.OTP_TTL_SECONDS // 60
        body = _(
            "[ODR 12315] Your login code is %(code)s. It is valid for %(m)d minutes. "
            "Do not share it with anyone."
        ) % {"code": code, "m": minutes}
        transaction.on_commit(lambda: send_sms(to=phone, body=body, sensitive=True))
    return challenge


def otp_verify(*, phone: str, code: str, ip: str | None) -> User:
    """Check a login code; on success return the user, creating a consumer for a new number."""
    phone = _phone_or_error(phone)
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise DomainError(
            _("The code is the 6 digits in the SMS."),
            code="invalid_code",
            fields={"code": [_("The code is the 6 digits in the SMS.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(phone=phone, consumed_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            raise DomainError(_("Please request a code first."), code="no_code")
        if challenge.expires_at <= now:
            raise DomainError(
                _("This code has expired. Please request a new one."), code="code_expired"
            )
        if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise DomainError(
                _("Too many wrong codes. Please request a new one."), code="too_many_attempts"
            )
        if not hmac.compare_digest(challenge.code_hash, _code_hash(phone, code)):
            # Count the failed try and commit it; the error is raised outside the transaction.
            OtpChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            left = settings.OTP_MAX_ATTEMPTS - challenge.attempts - 1
            user = None
        else:
            challenge.consumed_at = now
            challenge.save(update_fields=["consumed_at"])
            user = User.objects.filter(phone=phone).first() or user_create_consumer(phone=phone)
            if not user.is_active:
                raise NotAllowed(_("This account is disabled. Please contact the service."))
    if user is None:
        if left <= 0:
            raise DomainError(
                _("Wrong code, and no tries are left. Please request a new one."),
                code="wrong_code",
            )
        raise DomainError(_("Wrong code. %(n)d tries left.") % {"n": left}, code="wrong_code")
    return user


def user_create_consumer(*, phone: str, display_name: str = "") -> User:
    with transaction.atomic():
        user, _created = User.objects.get_or_create(
            phone=phone,
            defaults={
                "username": phone,
                "display_name": display_name,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
        )
        if _created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Role.objects.get_or_create(user=user, kind=Role.Kind.CONSUMER)
    return user


def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
