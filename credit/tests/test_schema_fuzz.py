"""The credit API against its own OpenAPI schema, with generated input (Schemathesis 3):
no server error on any input, and every answer matches the schema for its status.

As a regulator (who may read the feed) and as the merchant's staff (who may reply), on a
merchant with real records. Bounded: a few examples per operation.
"""

import re

import pytest
from hypothesis import given
from rest_framework.authtoken.models import Token

from cases.tests import factories as cf
from cases.tests.test_schema_fuzz import (  # noqa: F401 (autouse fixtures)
    CHECKS,
    _hypothesis_jsonschema_compat,
    _keep_the_test_connection,
    _raw_schema,
    _schema,
    fuzz_settings,
)
from credit.tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
]

MAX_EXAMPLES = 15
OPERATIONS = [
    ("GET", "/api/v1/credit/merchants/{uscc}/"),
    ("GET", "/api/v1/credit/records/"),
    ("POST", "/api/v1/credit/records/{record_id}/reply/"),
]


def _credit_paths() -> set[str]:
    from credit import api_urls

    return {
        "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        for p in api_urls.urlpatterns
    }


def test_the_list_covers_every_credit_operation():
    paths = _raw_schema()["paths"]
    found = {
        (method.upper(), path)
        for path, item in paths.items()
        if path in _credit_paths()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert found == set(OPERATIONS)


@pytest.fixture
def world() -> dict:
    c = cf.cast()
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    record = f.make_record(c.merchant, "breach", days_ago=3)
    both = af_user_with_roles(c)
    token = Token.objects.create(user=both)
    return {
        "path": {"uscc": c.merchant.uscc, "record_id": record.pk},
        "headers": {"Authorization": f"Token {token.key}"},
    }


def af_user_with_roles(c):
    """One account that is both a regulator of the merchant and its staff: every operation
    gets past the access check, so the generated input reaches the code behind it."""
    from accounts.models import Role

    user = c.actor("regulator")
    Role.objects.create(user=user, kind=Role.Kind.MERCHANT_STAFF, merchant=c.merchant)
    return user


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_within_its_schema(world, method, path):
    operation = _schema()[path][method]

    @given(case=operation.as_strategy())
    @fuzz_settings(MAX_EXAMPLES)
    def check(case) -> None:
        for name in case.path_parameters or {}:
            case.path_parameters[name] = world["path"][name]
        response = case.call(headers=world["headers"])
        try:
            case.validate_response(response, checks=CHECKS)
        finally:
            response.close()

    check()
