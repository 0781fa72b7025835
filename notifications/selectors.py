"""Reads for notifications: who stands where on a case, the inbox and its unread count."""

from django.db.models import QuerySet

from accounts.models import Role, User
from cases.models import Case
from notifications.models import Notification, NotificationPreference
from notifications.sources import other_unread
from odr.divisions import division_covers

# The people a notice can go to, by their role on the case.
CONSUMER = "consumer"
MERCHANT = "merchant"
REGULATOR = "regulator"
MEDIATOR = "mediator"
ARBITRATION = "arbitration"
AUDIENCES = (CONSUMER, MERCHANT, REGULATOR, MEDIATOR, ARBITRATION)


def _jurisdictions_covering(code: str) -> list[str]:
    """Every division code whose jurisdiction covers ``code``: its province, city, county."""
    if len(code) != 6:
        return []
    return sorted({code[:2] + "0000", code[:4] + "00", code})


def case_recipients(*, case: Case, audiences: list[str]) -> dict[str, list[User]]:
    """The active users in each audience of this case, with their notification preference.

    One query per audience asked for; an audience nobody fills maps to an empty list.
    """
    users = User.objects.filter(is_active=True).select_related("notification_preference")
    found: dict[str, list[User]] = {}
    for audience in audiences:
        if audience == CONSUMER:
            found[audience] = list(users.filter(pk=case.consumer_id))
        elif audience == MERCHANT and case.merchant_id:
            found[audience] = list(
                users.filter(
                    roles__kind=Role.Kind.MERCHANT_STAFF, roles__merchant_id=case.merchant_id
                )
                .distinct()
                .order_by("pk")
            )
        elif audience == REGULATOR:
            candidates = _jurisdictions_covering(case.office_code)
            regulators = (
                users.filter(roles__kind=Role.Kind.REGULATOR, roles__jurisdiction__in=candidates)
                .prefetch_related("roles")
                .distinct()
                .order_by("pk")
            )
            found[audience] = [
                user
                for user in regulators
                if any(
                    role.kind == Role.Kind.REGULATOR
                    and division_covers(role.jurisdiction, case.office_code)
                    for role in user.roles.all()
                )
            ]
        elif audience == MEDIATOR and case.mediator_id:
            found[audience] = list(users.filter(pk=case.mediator_id))
        elif audience == ARBITRATION and case.arbitration_body_id:
            found[audience] = list(
                users.filter(
                    roles__kind=Role.Kind.ARBITRATION_STAFF,
                    roles__arbitration_body_id=case.arbitration_body_id,
                )
                .distinct()
                .order_by("pk")
            )
        else:
            found[audience] = []
    return found


def preference_of(user: User) -> NotificationPreference:
    """The user's saved preference, or the defaults (not saved) if they never chose."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def inbox(*, user: User) -> QuerySet[Notification]:
    """The user's in-app notices, newest first."""
    return (
        Notification.objects.filter(recipient=user, channel=Notification.Channel.INAPP)
        .select_related("case")
        .order_by("-created_at", "-id")
    )


def unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INAPP, read_at__isnull=True
    ).count()


def unread_total(*, user: User) -> int:
    """What the badge shows: unread notifications and the unread items of other apps
    (notifications/sources.py)."""
    if not user.is_authenticated:
        return 0
    return unread_count(user=user) + sum(count for _source, count in other_unread(user))
