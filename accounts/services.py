"""Writes for accounts: one-time login codes, users and roles."""

import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import (
    ArbitrationBody,
    MediationOrganisation,
    Merchant,
    OtpChallenge,
    Role,
    User,
)
from accounts.validators import normalise_phone
from odr import access
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


def user_set_large_text(*, user: User, on: bool) -> None:
    """Large text and high contrast on every page, kept with the account."""
    if user.large_text != on:
        user.large_text = on
        user.save(update_fields=["large_text"])


# --- roles and standing: every change tells the user's open sockets --------------------


def user_access_recheck(*, user_ids: Iterable[int | None]) -> None:
    """After the commit, tell these users' open sockets to check their access again.

    A live socket checks access on its own only at its next action, heartbeat or stale
    broadcast, so one that merely listens would keep its rooms meanwhile. Everything that
    changes a user's roles or deactivates them calls this: the services below and the
    admin (accounts/admin.py), which saves roles through its forms.
    """
    ids = sorted({pk for pk in user_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: _push_recheck(ids))


def _push_recheck(user_ids: list[int]) -> None:
    # Through odr.access: mediation registers its sockets there; accounts knows no app.
    access.access_changed(user_ids=user_ids)


def role_grant(
    *,
    user: User,
    kind: str,
    merchant: Merchant | None = None,
    mediation_organisation: MediationOrganisation | None = None,
    arbitration_body: ArbitrationBody | None = None,
    jurisdiction: str = "",
    is_head: bool = False,
) -> Role:
    """Give the user a role (kept as it is if they hold it already)."""
    with transaction.atomic():
        role, created = Role.objects.get_or_create(
            user=user,
            kind=kind,
            merchant=merchant,
            mediation_organisation=mediation_organisation,
            arbitration_body=arbitration_body,
            jurisdiction=jurisdiction,
            defaults={"is_head": is_head},
        )
        if created:
            user_access_recheck(user_ids=[user.pk])
    return role


def role_revoke(*, role: Role) -> None:
    """Take a role away; its holder's open sockets close or leave rooms at once."""
    with transaction.atomic():
        deleted, _rows = Role.objects.filter(pk=role.pk).delete()
        if deleted:
            user_access_recheck(user_ids=[role.user_id])


def user_set_active(*, user: User, is_active: bool) -> None:
    """Deactivate (or reactivate) an account; a deactivated user's sockets close at once."""
    with transaction.atomic():
        changed = (
            User.objects.filter(pk=user.pk).exclude(is_active=is_active).update(is_active=is_active)
        )
        user.is_active = is_active
        if changed:
            user_access_recheck(user_ids=[user.pk])
