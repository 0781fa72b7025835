"""Reads for arbitration. ``access_referral`` is the only way an edge gets a referral:
a body sees its own referrals and nothing else, whichever endpoint it calls."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from arbitration.models import ApiToken, Referral, WebhookDelivery
from cases.models import Case, case_roles
from odr.divisions import division_prefix
from odr.errors import NotAllowed, NotFound


def body_scope(*, user, auth=None) -> set[int]:
    """The bodies the caller acts for: the token's body, or the staff roles a signed-in
    user holds."""
    if isinstance(auth, ApiToken):
        return {auth.body_id}
    if user is None or not user.is_authenticated:
        return set()
    return set(
        user.roles.filter(kind=Role.Kind.ARBITRATION_STAFF).values_list(
            "arbitration_body_id", flat=True
        )
    )


def referrals_for(*, user, auth=None) -> QuerySet[Referral]:
    """The caller's bodies' referrals (a file being prepared is not yet theirs to see)."""
    scope = body_scope(user=user, auth=auth)
    return (
        Referral.objects.filter(body_id__in=scope)
        .exclude(status=Referral.Status.PREPARING)
        .select_related("case", "body")
        .order_by("-delivered_at", "-id")
    )


def access_referral(*, user, ref: str, auth=None) -> Referral:
    """The latest referral of case ``ref`` to one of the caller's bodies.

    Unknown case: NotFound. A case not referred to the caller's body: NotAllowed (403).
    """
    if not Case.objects.filter(reference=ref).exists():
        raise NotFound(_("There is no case %(ref)s.") % {"ref": ref[:40]})
    scope = body_scope(user=user, auth=auth)
    if not scope:
        raise NotAllowed(
            _("Only the staff of an arbitration body may do this."), code="not_arbitration_staff"
        )
    referral = referrals_for(user=user, auth=auth).filter(case__reference=ref).first()
    if referral is None:
        raise NotAllowed(
            _("Case %(ref)s was not referred to your arbitration body.") % {"ref": ref[:40]},
            code="not_your_referral",
        )
    return referral


def referrals_of_case(*, case: Case) -> QuerySet[Referral]:
    return case.referrals.select_related("body").order_by("-created_at", "-id")


def deliveries_visible_to(*, user) -> QuerySet[WebhookDelivery]:
    """Webhook deliveries and their attempts: regulators see their jurisdictions' cases,
    administrators all, a body's staff their own."""
    if user is None or not user.is_authenticated:
        return WebhookDelivery.objects.none()
    qs = WebhookDelivery.objects.select_related("referral__case", "body").prefetch_related("log")
    roles = list(user.roles.all())
    if any(r.kind == Role.Kind.ADMINISTRATOR for r in roles):
        return qs
    from django.db.models import Q

    condition = Q(pk__in=[])
    for role in roles:
        if role.kind == Role.Kind.REGULATOR:
            condition |= Q(
                referral__case__division_code__startswith=division_prefix(role.jurisdiction)
            )
        elif role.kind == Role.Kind.ARBITRATION_STAFF:
            condition |= Q(body_id=role.arbitration_body_id)
    return qs.filter(condition)


def may_see_case_arbitration(*, case: Case, user) -> bool:
    return bool(case_roles(case, user))
