"""The inbox and the channel preferences: what a signed-in person changes themselves."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import Notification, NotificationPreference
from notifications.services.live import inbox_changed
from odr.errors import NotFound


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's in-app notices read (idempotent). Another's: not found."""
    notification = Notification.objects.filter(
        pk=notification_id, recipient=user, channel=Notification.Channel.INAPP
    ).first()
    if notification is None:
        raise NotFound(_("There is no such notification."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        inbox_changed(user_ids=[user.pk])  # the badge in the user's other tabs
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INAPP, read_at__isnull=True
    ).update(read_at=timezone.now())
    if marked:
        inbox_changed(user_ids=[user.pk])
    return marked


def preference_update(*, user: User, sms: bool, email: bool) -> NotificationPreference:
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.update_or_create(
            user=user, defaults={"sms": sms, "email": email}
        )
    return preference
