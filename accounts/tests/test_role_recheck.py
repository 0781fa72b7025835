"""Every change of roles or standing pushes ``user.recheck`` to that user, after commit.

The services and the admin are the only ways roles and ``is_active`` change; each must end
in ``services.user_access_recheck`` so that the user's open sockets check their access at
once (mediation/tests/test_role_recheck.py shows the sockets closing). Here: who is told,
how often, and that nothing is told before the commit or when nothing changed.
"""

import contextlib
from collections.abc import Callable, Iterator

import pytest
from django.db import transaction

from accounts import services
from accounts.models import Role, User
from accounts.tests import factories as f
from odr import outbox as sends

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(django_capture_on_commit_callbacks) -> Callable:
    """``with pushed() as told:`` runs the block's after-commit work; ``told`` is then
    the ids of the users whose sockets were told to check again, in order sent."""

    @contextlib.contextmanager
    def capture() -> Iterator[list[int]]:
        told: list[int] = []
        # The callbacks run as the inner block ends, while sends are still collected.
        with sends.collected() as outbox, django_capture_on_commit_callbacks(execute=True):
            yield told
        for group, event in outbox:
            assert event == {"type": "user.recheck"}, event
            told.append(int(group.removeprefix("user.")))

    return capture


@pytest.fixture
def admin_client(client):
    f.login(client, f.administrator())
    return client


# --- services ----------------------------------------------------------------------------


def test_revoking_a_role_tells_its_holder_after_the_commit(pushed):
    staff = f.merchant_staff()
    role = staff.roles.get()
    with pushed() as told:
        services.role_revoke(role=role)
    assert told == [staff.pk]
    assert not Role.objects.filter(pk=role.pk).exists()


def test_revoking_a_role_already_gone_tells_no_one(pushed):
    staff = f.merchant_staff()
    role = staff.roles.get()
    with pushed() as told:
        services.role_revoke(role=role)
    assert told == [staff.pk]
    with pushed() as told:
        services.role_revoke(role=role)
    assert told == []


def test_a_revocation_rolled_back_tells_no_one(pushed):
    staff = f.merchant_staff()
    with pushed() as told, contextlib.suppress(RuntimeError), transaction.atomic():
        services.role_revoke(role=staff.roles.get())
        raise RuntimeError("rolled back")
    assert told == []
    assert staff.roles.count() == 1
    with pushed() as told:
        services.role_revoke(role=staff.roles.get())
    assert told == [staff.pk]


def test_granting_a_role_tells_the_user_once(pushed):
    user = f.consumer()
    merchant = f.MerchantFactory()
    with pushed() as told:
        role = services.role_grant(user=user, kind=Role.Kind.MERCHANT_STAFF, merchant=merchant)
    assert told == [user.pk]
    assert (role.user, role.merchant) == (user, merchant)
    with pushed() as told:
        again = services.role_grant(user=user, kind=Role.Kind.MERCHANT_STAFF, merchant=merchant)
    assert told == []
    assert again == role


def test_deactivating_tells_the_user_and_only_when_it_changes(pushed):
    user = f.merchant_staff()
    with pushed() as told:
        services.user_set_active(user=user, is_active=False)
    assert told == [user.pk]
    user.refresh_from_db()
    assert user.is_active is False
    with pushed() as told:
        services.user_set_active(user=user, is_active=False)
    assert told == []
    with pushed() as told:
        services.user_set_active(user=user, is_active=True)
    assert told == [user.pk]


def test_user_access_recheck_tells_each_user_once(pushed):
    with pushed() as told:
        services.user_access_recheck(user_ids=[3, None, 2, 3])
    assert told == [2, 3]


# --- the admin ---------------------------------------------------------------------------


def test_admin_removing_a_role_tells_its_holder(admin_client, pushed):
    staff = f.merchant_staff()
    bystander = f.merchant_staff()

    def delete_the_role(values):
        values["roles-0-DELETE"] = ["on"]

    with pushed() as told:
        f.admin_change(admin_client, staff, delete_the_role)
    assert told == [staff.pk]
    assert not staff.roles.exists()
    assert bystander.roles.exists()


def test_admin_adding_a_role_tells_the_user(admin_client, pushed):
    user = f.consumer()

    def add_a_regulator_role(values):
        values["roles-TOTAL_FORMS"] = ["2"]
        values["roles-1-kind"] = [Role.Kind.REGULATOR]
        values["roles-1-jurisdiction"] = ["371300"]

    with pushed() as told:
        f.admin_change(admin_client, user, add_a_regulator_role)
    assert told == [user.pk]
    assert user.role_kinds() == {Role.Kind.CONSUMER, Role.Kind.REGULATOR}


def test_admin_deactivating_and_removing_a_role_at_once_tells_the_user_once(admin_client, pushed):
    staff = f.merchant_staff()

    def untick_and_delete(values):
        assert values.pop("is_active") == ["on"]
        values["roles-0-DELETE"] = ["on"]

    with pushed() as told:
        f.admin_change(admin_client, staff, untick_and_delete)
    assert told == [staff.pk]
    staff.refresh_from_db()
    assert (staff.is_active, staff.roles.exists()) == (False, False)


def test_admin_changes_that_leave_access_alone_tell_no_one(admin_client, pushed):
    staff = f.merchant_staff()

    def rename(values):
        values["display_name"] = ["新名字"]

    with pushed() as told:
        f.admin_change(admin_client, staff, rename)
    assert told == []
    staff.refresh_from_db()
    assert staff.display_name == "新名字"
    # The same page, now changing access, does tell.
    with pushed() as told:
        f.admin_change(admin_client, staff, lambda values: values.pop("is_active"))
    assert told == [staff.pk]


def test_admin_deleting_a_user_tells_them(admin_client, pushed):
    staff = f.merchant_staff()
    with pushed() as told:
        response = admin_client.post(f"/admin/accounts/user/{staff.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert told == [staff.pk]
    assert not User.objects.filter(pk=staff.pk).exists()


def test_admin_bulk_delete_tells_each_user(admin_client, pushed):
    first, second = f.merchant_staff(), f.mediator()
    with pushed() as told:
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert told == sorted([first.pk, second.pk])
    assert not User.objects.filter(pk__in=[first.pk, second.pk]).exists()


@pytest.mark.parametrize(
    "holder,field",
    [
        (f.merchant_staff, "merchant"),
        (f.mediator, "mediation_organisation"),
        (f.arbitration_staff, "arbitration_body"),
    ],
)
def test_admin_deleting_an_organisation_tells_the_holders_of_its_roles(
    admin_client, pushed, holder, field
):
    """The roles that name it go with it (CASCADE): their holders are told, others not."""
    user = holder()
    organisation = getattr(user.roles.get(), field)
    colleague = holder(organisation)
    holder()  # someone elsewhere
    model = type(organisation)
    url = f"/admin/accounts/{model._meta.model_name}/{organisation.pk}/delete/"
    with pushed() as told:
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert told == sorted([user.pk, colleague.pk])
    assert not model.objects.filter(pk=organisation.pk).exists()


def test_admin_bulk_delete_of_merchants_tells_their_staff(admin_client, pushed):
    staff, other = f.merchant_staff(), f.merchant_staff()
    merchants = [staff.roles.get().merchant_id, other.roles.get().merchant_id]
    with pushed() as told:
        response = admin_client.post(
            "/admin/accounts/merchant/",
            {"action": "delete_selected", "_selected_action": merchants, "post": "yes"},
        )
    assert response.status_code == 302
    assert told == sorted([staff.pk, other.pk])
