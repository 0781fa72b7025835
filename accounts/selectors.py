"""Reads for accounts."""

from accounts.models import Role, User

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
