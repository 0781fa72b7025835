import factory

from accounts.models import ArbitrationBody, MediationOrganisation, Merchant, Role, User
from accounts.validators import uscc_check_character


def _uscc(n: int) -> str:
    first17 = f"91371300MA{n:07d}"
    return first17 + uscc_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("pw-for-tests-123")


class PhoneUserFactory(UserFactory):
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    username = factory.LazyAttribute(lambda u: u.phone)


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"测试商户{n}有限公司")
    uscc = factory.Sequence(_uscc)
    division_code = "371302"
    address = "山东省临沂市兰山区"


class MediationOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediationOrganisation

    name = factory.Sequence(lambda n: f"调解中心{n}")
    division_code = "371300"


class ArbitrationBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArbitrationBody

    name = factory.Sequence(lambda n: f"仲裁委员会{n}")
    division_code = "371300"


def consumer(**kwargs) -> User:
    user = PhoneUserFactory(**kwargs)
    Role.objects.create(user=user, kind=Role.Kind.CONSUMER)
    return user


def merchant_staff(merchant: Merchant | None = None, **kwargs) -> User:
    user = PhoneUserFactory(**kwargs)
    Role.objects.create(
        user=user, kind=Role.Kind.MERCHANT_STAFF, merchant=merchant or MerchantFactory()
    )
    return user


def mediator(organisation: MediationOrganisation | None = None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Role.objects.create(
        user=user,
        kind=Role.Kind.MEDIATOR,
        mediation_organisation=organisation or MediationOrganisationFactory(),
    )
    return user


def regulator(jurisdiction: str = "371300", **kwargs) -> User:
    user = UserFactory(**kwargs)
    Role.objects.create(user=user, kind=Role.Kind.REGULATOR, jurisdiction=jurisdiction)
    return user


def arbitration_staff(body: ArbitrationBody | None = None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Role.objects.create(
        user=user,
        kind=Role.Kind.ARBITRATION_STAFF,
        arbitration_body=body or ArbitrationBodyFactory(),
    )
    return user


def administrator(**kwargs) -> User:
    user = UserFactory(is_staff=True, is_superuser=True, **kwargs)
    Role.objects.create(user=user, kind=Role.Kind.ADMINISTRATOR)
    return user


def login(client, user: User) -> User:
    """Sign a test client in; the model backend, since django-axes' backend keeps no sessions."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def admin_change(client, user: User, edit) -> None:
    """Submit the user's admin page as an administrator would, after ``edit(values)``
    (the form's values by name, each a list); the client is signed in as one."""
    import lxml.html

    url = f"/admin/accounts/user/{user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = lxml.html.fromstring(page.content).get_element_by_id("user_form")
    values: dict[str, list[str]] = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    edit(values)
    response = client.post(url, values)
    assert response.status_code == 302, response.context and response.context.get("errors")
