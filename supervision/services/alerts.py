"""Handling an alert: acknowledge, assign, record an action, close with a note.

Each step locks the alert, checks that the step is open from its status, changes it and
appends an ``AlertAction`` (who, what, note), in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services.live import inbox_changed
from odr.divisions import division_covers
from odr.errors import Conflict, DomainError
from supervision.models import Alert, AlertAction, AlertNotice
from supervision.selectors.alerts import assignees_for

S = Alert.Status


def _step(
    *,
    alert: Alert,
    actor,
    kind: str,
    allowed: tuple[str, ...],
    status: str,
    note: str = "",
    assignee=None,
) -> Alert:
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status not in allowed:
            raise Conflict(
                _("This alert is %(status)s; that step is not open now.")
                % {"status": locked.get_status_display()},
                code="alert_status",
            )
        now = timezone.now()
        locked.status = status
        fields = ["status", "updated_at"]
        if assignee is not None:
            locked.assignee = assignee
            fields.append("assignee")
        if kind == AlertAction.Kind.CLOSE:
            locked.close_note = note
            fields.append("close_note")
        locked.save(update_fields=fields)
        AlertAction.objects.create(
            alert=locked, actor=actor, kind=kind, note=note, assignee=assignee, created_at=now
        )
        if AlertNotice.objects.filter(
            alert=locked, recipient=actor, channel=AlertNotice.Channel.INAPP, read_at__isnull=True
        ).update(read_at=now):
            inbox_changed(user_ids=[actor.pk])
    return locked


def alert_acknowledge(*, alert: Alert, actor) -> Alert:
    return _step(
        alert=alert,
        actor=actor,
        kind=AlertAction.Kind.ACKNOWLEDGE,
        allowed=(S.OPEN,),
        status=S.ACKNOWLEDGED,
    )


def alert_assign(*, alert: Alert, actor, assignee, note: str = "") -> Alert:
    if not assignees_for(alert=alert).filter(pk=assignee.pk).exists():
        raise DomainError(
            _("Only a regulator whose jurisdiction covers the alert can be assigned."),
            code="not_an_assignee",
        )
    return _step(
        alert=alert,
        actor=actor,
        kind=AlertAction.Kind.ASSIGN,
        allowed=(S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.ACTING),
        status=S.ASSIGNED,
        note=note.strip(),
        assignee=assignee,
    )


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise DomainError(
            _("Write a note."), code="note_required", fields={"note": _("Write a note.")}
        )
    return note


def alert_act(*, alert: Alert, actor, note: str) -> Alert:
    return _step(
        alert=alert,
        actor=actor,
        kind=AlertAction.Kind.ACT,
        allowed=(S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.ACTING),
        status=S.ACTING,
        note=_note(note),
    )


def alert_close(*, alert: Alert, actor, note: str) -> Alert:
    return _step(
        alert=alert,
        actor=actor,
        kind=AlertAction.Kind.CLOSE,
        allowed=(S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.ACTING),
        status=S.CLOSED,
        note=_note(note),
    )


def alert_mark_read(*, alert: Alert, user) -> None:
    if AlertNotice.objects.filter(
        alert=alert, recipient=user, channel=AlertNotice.Channel.INAPP, read_at__isnull=True
    ).update(read_at=timezone.now()):
        inbox_changed(user_ids=[user.pk])


def check_rule_editable(*, rule, scope) -> None:
    """A regulator tunes the rules of their own jurisdiction; the national defaults are
    the administrator's (a regulator overrides one by making a rule for their area)."""
    from odr.errors import NotAllowed

    if scope.everything:
        return
    if not rule.jurisdiction or not any(
        division_covers(j, rule.jurisdiction) for j in scope.jurisdictions
    ):
        raise NotAllowed(
            _("You may only tune the rules of your own jurisdiction."), code="not_your_rule"
        )
