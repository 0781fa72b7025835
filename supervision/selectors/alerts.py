"""Reads for alerts: a user sees the alerts of their jurisdiction only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role, User
from odr.errors import NotAllowed, NotFound
from supervision.models import Alert, AlertNotice, AlertRule
from supervision.selectors.scope import Scope, access_scope, scope_of


def alerts_in(*, scope: Scope, status: str = "") -> QuerySet[Alert]:
    alerts = Alert.objects.filter(scope.q()).select_related("assignee", "rule")
    if status in Alert.Status.values:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-created_at", "-id")


def access_alert(*, user, alert_id: int) -> Alert:
    """The alert if it lies in the user's jurisdiction: unknown 404, another area's 403."""
    scope = access_scope(user=user)
    alert = Alert.objects.select_related("assignee", "rule").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("There is no such alert."))
    if not scope.covers(alert.division_code):
        raise NotAllowed(_("This alert is outside your jurisdiction."), code="not_your_alert")
    return alert


def assignees_for(*, alert: Alert) -> QuerySet[User]:
    """The regulators who may be given an alert: those whose jurisdiction covers it."""
    from odr.divisions import division_covers

    roles = Role.objects.filter(kind=Role.Kind.REGULATOR, user__is_active=True)
    ids = [r.user_id for r in roles if division_covers(r.jurisdiction, alert.division_code)]
    return User.objects.filter(pk__in=ids).order_by("username", "pk")


def _unread_notices(user):
    """The user's unread in-app notices of alerts they may still open: a regulator who lost
    the role, or whose jurisdiction moved, cannot read (so clear) the others."""
    scope = scope_of(user=user)
    if scope is None:
        return AlertNotice.objects.none()
    return AlertNotice.objects.filter(
        scope.q("alert__division_code"),
        recipient=user,
        channel=AlertNotice.Channel.INAPP,
        read_at__isnull=True,
    )


def unread_alert_count(user) -> int:
    """The user's unread alert notices (counted in the header's badge)."""
    return _unread_notices(user).count()


def unread_alert_ids(*, user) -> set[int]:
    return set(_unread_notices(user).values_list("alert_id", flat=True))


def rules_for(*, scope: Scope) -> QuerySet[AlertRule]:
    """The rules a user may see: the national defaults and those inside their scope."""
    rules = AlertRule.objects.all()
    if not scope.everything:
        rules = rules.filter(scope.q("jurisdiction") | ~_nonempty("jurisdiction"))
    return rules.order_by("kind", "jurisdiction")


def _nonempty(field: str):
    from django.db.models import Q

    return ~Q(**{field: ""})


def alert_evidence(*, alert: Alert, scope: Scope) -> dict:
    """The alert's evidence as this regulator may see it: the cases outside their
    jurisdiction (a spike can span districts) are counted, never named."""
    from cases.models import Case

    evidence = dict(alert.evidence or {})
    refs = list(evidence.get("cases") or [])
    if refs:
        visible = set(
            Case.objects.filter(reference__in=refs)
            .filter(scope.q())
            .values_list("reference", flat=True)
        )
        evidence["cases"] = [ref for ref in refs if ref in visible]
        evidence["cases_elsewhere"] = len(refs) - len(evidence["cases"])
    return evidence
