"""Telling the regulators of a jurisdiction about an alert.

The notices are written with the alert, in its transaction: one in the workspace for every
regulator whose jurisdiction covers the alert's district, and one by email for those with
an address. Emails go after the commit, each claimed before it is sent, so a retry or a
second worker never sends one twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from notifications.services.live import inbox_changed
from odr.divisions import division_covers
from supervision.models import Alert, AlertNotice


def regulators_of(division_code: str) -> list[User]:
    """The active regulators whose jurisdiction covers a division code (incl. the city's
    and the province's)."""
    roles = Role.objects.filter(kind=Role.Kind.REGULATOR, user__is_active=True).select_related(
        "user"
    )
    users = {r.user_id: r.user for r in roles if division_covers(r.jurisdiction, division_code)}
    return [users[k] for k in sorted(users)]


def alert_notices_record(*, alert: Alert, now: dt.datetime) -> int:
    rows = []
    for user in regulators_of(alert.division_code):
        rows.append(
            AlertNotice(
                alert=alert, recipient=user, channel=AlertNotice.Channel.INAPP, created_at=now
            )
        )
        if user.email:
            rows.append(
                AlertNotice(
                    alert=alert, recipient=user, channel=AlertNotice.Channel.EMAIL, created_at=now
                )
            )
    AlertNotice.objects.bulk_create(rows, ignore_conflicts=True)
    inbox_changed(user_ids=[r.recipient_id for r in rows if r.channel == AlertNotice.Channel.INAPP])
    if any(r.channel == AlertNotice.Channel.EMAIL for r in rows):
        alert_id = alert.pk
        transaction.on_commit(lambda: _enqueue_emails(alert_id))
    return len(rows)


def _enqueue_emails(alert_id: int) -> None:
    from supervision.tasks import send_alert_emails

    send_alert_emails.delay(alert_id)


def alert_summary(alert: Alert) -> str:
    return _("%(rule)s: %(subject)s (%(count)s cases)") % {
        "rule": alert.get_kind_display(),
        "subject": alert.subject_label,
        "count": alert.evidence.get("count", "?"),
    }


def alert_emails_send(*, alert_id: int) -> int:
    """Send the alert's unsent emails; each is claimed (sent_at set) before it goes."""
    sent = 0
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    pending = AlertNotice.objects.filter(
        alert_id=alert_id, channel=AlertNotice.Channel.EMAIL, sent_at__isnull=True
    ).select_related("alert", "recipient")
    for notice in pending:
        claimed = AlertNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        if not claimed:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Risk alert: %(summary)s") % {"summary": alert_summary(notice.alert)}
            body = _(
                "A risk alert was raised in your jurisdiction. Open the supervision "
                "workspace to see its evidence and handle it: %(url)s"
            ) % {"url": f"{base}/supervision/alerts/{alert_id}/"}
        send_mail(subject[:200], body, None, [notice.recipient.email])
        sent += 1
    return sent
