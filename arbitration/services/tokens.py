"""API tokens for arbitration bodies: shown once, stored as SHA-256, scoped to one body."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ArbitrationBody, Role
from arbitration.models import ApiToken
from odr.errors import DomainError

PREFIX = "odrarb_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, body: ArbitrationBody, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``body``, acting as ``user`` (staff of that body). Returns the row
    and the token itself, which is not stored and cannot be shown again."""
    if not Role.objects.filter(
        user=user, kind=Role.Kind.ARBITRATION_STAFF, arbitration_body=body
    ).exists():
        raise DomainError(_("A token acts for a member of the body's staff."), code="not_staff")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        body=body,
        user=user,
        name=(name or "").strip()[:100] or "API",
        prefix=token[: len(PREFIX) + 5],
        key_hash=token_hash(token),
    )
    return row, token


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
