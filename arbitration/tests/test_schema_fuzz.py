"""The arbitration API against its own OpenAPI schema, with generated input (Schemathesis
v3, in-process, as cases/tests/test_schema_fuzz.py does): no server error, and every
answer matches the schema for its status. As body A on its own referral, as body A on
body B's referral, and as a party on the case's arbitration endpoints."""

import re

import pytest
from hypothesis import given
from rest_framework.authtoken.models import Token

from arbitration.models import Referral
from arbitration.services.tokens import token_create
from arbitration.tests import factories as f
from cases.models import Case
from cases.services.events import case_log_verify
from cases.tests.test_schema_fuzz import (  # noqa: F401 (autouse fixtures)
    CHECKS,
    _hypothesis_jsonschema_compat,
    _keep_the_test_connection,
    _raw_schema,
    _schema,
    fuzz_settings,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
]

MAX_EXAMPLES = 10

BODY_OPERATIONS = [
    ("GET", "/api/v1/arbitration/referrals/"),
    ("GET", "/api/v1/arbitration/referrals/{ref}/"),
    ("GET", "/api/v1/arbitration/referrals/{ref}/file/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/acknowledge/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/accept/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/decline/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/information-requests/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/settlement/"),
    ("POST", "/api/v1/arbitration/referrals/{ref}/award/"),
    ("GET", "/api/v1/arbitration/referrals/{ref}/award/file/"),
    ("GET", "/api/v1/arbitration/deliveries/"),
]
PARTY_OPERATIONS = [
    ("GET", "/api/v1/cases/{ref}/arbitration/"),
    ("POST", "/api/v1/cases/{ref}/arbitration/agreement/"),
    ("POST", "/api/v1/cases/{ref}/arbitration/referral/"),
    ("GET", "/api/v1/cases/{ref}/arbitration/award/"),
]


@pytest.fixture
def world(c, settings, django_capture_on_commit_callbacks):
    settings.ARBITRATION_API_RATE = "100000/min"
    mine = f.referred(c, django_capture_on_commit_callbacks)
    theirs = f.referred(c, django_capture_on_commit_callbacks, body=c.other_body)
    failed = f.failed_case(c)
    _row, token = token_create(body=c.body, user=c.arbitration_staff, name="fuzz")
    consumer = Token.objects.create(user=c.consumer)
    return {
        "mine": mine,
        "theirs": theirs,
        "failed": failed,
        "body": {"Authorization": f"Bearer {token}"},
        "party": {"Authorization": f"Token {consumer.key}"},
    }


def test_the_lists_cover_every_arbitration_operation():
    from arbitration import api_urls

    ours = {
        "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        for p in api_urls.urlpatterns
    }
    paths = _raw_schema()["paths"]
    found = {
        (method.upper(), path)
        for path, item in paths.items()
        if path in ours
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert found == set(BODY_OPERATIONS + PARTY_OPERATIONS)


def _fuzz(method: str, path: str, ref: str, headers: dict) -> None:
    operation = _schema()[path][method]

    @given(case=operation.as_strategy())
    @fuzz_settings(MAX_EXAMPLES)
    def check(case) -> None:
        if case.path_parameters and "ref" in case.path_parameters:
            case.path_parameters["ref"] = ref
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        finally:
            response.close()

    check()


@pytest.mark.parametrize(
    ("method", "path"), BODY_OPERATIONS, ids=[f"{m} {p}" for m, p in BODY_OPERATIONS]
)
def test_body_operations_on_its_own_referral(world, method, path):
    _fuzz(method, path, world["mine"].case.reference, world["body"])
    assert case_log_verify(case=Case.objects.get(pk=world["mine"].case_id)).ok


@pytest.mark.parametrize(
    ("method", "path"), BODY_OPERATIONS, ids=[f"{m} {p}" for m, p in BODY_OPERATIONS]
)
def test_body_operations_on_another_bodys_referral(world, method, path):
    theirs = world["theirs"]
    events = theirs.case.events.count()
    _fuzz(method, path, theirs.case.reference, world["body"])
    theirs.refresh_from_db()
    assert theirs.status == Referral.Status.DELIVERED
    assert theirs.case.events.count() == events


@pytest.mark.parametrize(
    ("method", "path"), PARTY_OPERATIONS, ids=[f"{m} {p}" for m, p in PARTY_OPERATIONS]
)
def test_party_operations(world, method, path):
    _fuzz(method, path, world["failed"].reference, world["party"])
    assert case_log_verify(case=Case.objects.get(pk=world["failed"].pk)).ok
