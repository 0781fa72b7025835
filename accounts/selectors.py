"""Reads for accounts."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OtpChallenge, Role, User
from accounts.validators import normalise_phone

# Where each role starts; the administrator's is Django's admin.
LANDING_URLS = {
    Role.Kind.CONSUMER: "accounts:consumer_home",
    Role.Kind.MERCHANT_STAFF: "accounts:merchant_home",
    Role.Kind.MEDIATOR: "accounts:mediator_home",
    Role.Kind.REGULATOR: "accounts:regulator_home",
    Role.Kind.ARBITRATION_STAFF: "accounts:arbitration_home",
    Role.Kind.ADMINISTRATOR: "admin:index",
}
STAFF_ROLE_KINDS = {
    Role.Kind.MEDIATOR,
    Role.Kind.REGULATOR,
    Role.Kind.ARBITRATION_STAFF,
    Role.Kind.ADMINISTRATOR,
}


def user_roles(*, user: User) -> list[Role]:
    if not user.is_authenticated:
        return []
    return list(
        user.roles.select_related(
            "merchant", "mediation_organisation", "arbitration_body"
        ).order_by("kind", "id")
    )


def user_is_staff_member(*, user: User) -> bool:
    return user.is_authenticated and user.roles.filter(kind__in=STAFF_ROLE_KINDS).exists()


@dataclass(frozen=True)
class OtpState:
    """Where a number's sign-in code stands, for the code page (services.otp_request and
    otp_verify enforce the rules; this only tells the page what to show)."""

    code_open: bool  # the last code sent can still be entered
    resend_in: int  # seconds before a new code may be asked for (0: now)


def otp_state(*, phone: str) -> OtpState:
    try:
        phone = normalise_phone(phone)
    except ValidationError:
        return OtpState(code_open=False, resend_in=0)
    now = timezone.now()
    last = OtpChallenge.objects.filter(phone=phone).order_by("-created_at").first()
    if last is None:
        return OtpState(code_open=False, resend_in=0)
    elapsed = (now - last.created_at).total_seconds()
    return OtpState(
        code_open=(
            last.consumed_at is None
            and last.expires_at > now
            and last.attempts < settings.OTP_MAX_ATTEMPTS
        ),
        resend_in=max(0, settings.OTP_RESEND_SECONDS - int(elapsed)),
    )
