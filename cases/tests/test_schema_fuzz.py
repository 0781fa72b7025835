"""The case and merchant API against its own OpenAPI schema, with generated input.

Schemathesis (v3) reads /api/schema/ from the app in-process (WSGI) and sends requests
built from it, as a consumer who has a case, checking two things on every answer: no
server error, and the body matches the schema for its status. Bounded: a few examples per
operation, so the whole module stays well under a minute.
"""

import functools
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.internal.conjecture import utils as conjecture_utils
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cases.models import Case, State
from cases.services import evidence as evidence_services
from cases.services.events import case_log_verify
from cases.tests import factories as cf

pytestmark = [
    pytest.mark.django_db,
    # Schemathesis 3 subclasses jsonschema.RefResolver when it first loads a schema.
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
]

MAX_EXAMPLES = 12
CHECKS = (not_a_server_error, response_schema_conformance)

OPERATIONS = [
    ("GET", "/api/v1/merchants/"),
    ("GET", "/api/v1/cases/"),
    ("POST", "/api/v1/cases/"),
    ("GET", "/api/v1/cases/{ref}/"),
    ("GET", "/api/v1/cases/{ref}/transitions/"),
    ("POST", "/api/v1/cases/{ref}/transitions/"),
    ("GET", "/api/v1/cases/{ref}/offers/"),
    ("POST", "/api/v1/cases/{ref}/offers/"),
    ("POST", "/api/v1/cases/{ref}/offers/{offer_id}/accept/"),
    ("POST", "/api/v1/cases/{ref}/offers/{offer_id}/reject/"),
    ("GET", "/api/v1/cases/{ref}/messages/"),
    ("POST", "/api/v1/cases/{ref}/messages/"),
    ("GET", "/api/v1/cases/{ref}/evidence/"),
    ("POST", "/api/v1/cases/{ref}/evidence/"),
    ("GET", "/api/v1/cases/{ref}/evidence/{evidence_id}/file/"),
    ("GET", "/api/v1/cases/{ref}/events/"),
    ("GET", "/api/v1/cases/{ref}/consents/"),
    ("POST", "/api/v1/cases/{ref}/consents/"),
    ("POST", "/api/v1/cases/{ref}/merchant/"),
    ("GET", "/api/v1/cases/{ref}/identity/"),
    ("POST", "/api/v1/cases/{ref}/identity/"),
    ("POST", "/api/v1/cases/{ref}/identity/proof/"),
    ("GET", "/api/v1/cases/{ref}/recusal/"),
    ("POST", "/api/v1/cases/{ref}/recusal/"),
    ("POST", "/api/v1/cases/{ref}/recusal/decision/"),
    ("GET", "/api/v1/cases/{ref}/transfers/"),
    ("POST", "/api/v1/cases/{ref}/transfers/"),
]


def fuzz_settings(max_examples: int):
    """Hypothesis settings of every fuzz module: bounded, repeatable (derandomized, no
    example database), no shrinking or explaining (a failure is reported as found, fast),
    and no health checks (the strategies are slow by nature: real requests).

    ``FUZZ_SCALE`` multiplies every module's examples: the defaults keep ``make test``
    within its five minutes; ``FUZZ_SCALE=5 make test`` is a deeper run by hand."""
    scale = float(os.environ.get("FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, round(max_examples * scale)),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


class _ManyWithMore(conjecture_utils.many):
    """``many()`` as hypothesis-jsonschema 0.23 drives it: ``while elements.more():``.

    The locked Hypothesis (6.170) only iterates ``many()`` inside a ``with`` block; without
    this adapter every object schema fails with "'many' object has no attribute 'more'".
    """

    _steps = None

    def more(self) -> bool:
        if self._steps is None:
            self.__enter__()
            self._steps = iter(self)
        if next(self._steps, _END) is _END:
            self.__exit__(None, None, None)
            return False
        return True


_END = object()


@pytest.fixture(autouse=True)
def _hypothesis_jsonschema_compat(monkeypatch):
    if not hasattr(conjecture_utils.many, "more"):
        monkeypatch.setattr(conjecture_utils, "many", _ManyWithMore)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@functools.cache
def _app():
    return get_wsgi_application()


@functools.cache
def _raw_schema() -> dict:
    """The schema as the app serves it (generated once per run; it needs no database)."""
    return schemathesis.from_wsgi("/api/schema/", _app()).raw_schema


def _schema():
    return schemathesis.from_dict(_raw_schema(), app=_app())


@pytest.fixture
def world(settings, tmp_path) -> dict:
    """A consumer with a case in negotiation, an open offer from the merchant, one file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    offer = cf.offer(case, c.actor("merchant_staff"))
    evidence = evidence_services.evidence_add(
        uploaded_by=c.actor("consumer"), upload=cf.upload("a.png", cf.png_bytes()), case=case
    )
    token = Token.objects.create(user=c.consumer)
    return {
        "case": case,
        "path": {"ref": case.reference, "offer_id": offer.pk, "evidence_id": evidence.pk},
        "headers": {"Authorization": f"Token {token.key}"},
    }


def _cases_app_paths() -> set[str]:
    """The OpenAPI paths of every route in cases/api_urls.py (other apps' are theirs to fuzz)."""
    from cases import api_urls

    return {
        "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        for p in api_urls.urlpatterns
    }


def test_the_list_covers_every_case_and_merchant_operation():
    paths = _raw_schema()["paths"]
    assert {path for _method, path in OPERATIONS} == _cases_app_paths()
    found = {
        (method.upper(), path)
        for path, item in paths.items()
        if path in _cases_app_paths()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_within_its_schema(world, method, path):
    operation = _schema()[path][method]

    @given(case=operation.as_strategy())
    @fuzz_settings(MAX_EXAMPLES)
    def check(case) -> None:
        # The real case, offer and file: random identifiers would only ever find 404.
        for name in case.path_parameters or {}:
            case.path_parameters[name] = world["path"][name]
        response = case.call(headers=world["headers"])
        try:
            case.validate_response(response, checks=CHECKS)
        finally:
            response.close()  # closes a streamed file, as a WSGI server would

    check()
    # Whatever was sent, the case is still readable and its log intact.
    assert case_log_verify(case=Case.objects.get(pk=world["case"].pk)).ok


def test_a_case_against_an_unlisted_merchant_matches_the_schema(world):
    # Filed twice, so that possible_duplicate_of (another bug) is set and only merchant is null.
    for _ in range(2):
        unlisted = cf.submit(
            consumer=world["case"].consumer,
            merchant=None,
            merchant_name="某网店",
            merchant_division_code="371302",
            order_number="TB-1",
        )
    operation = _schema()["/api/v1/cases/{ref}/"]["GET"]
    case = operation.make_case(path_parameters={"ref": unlisted.reference})
    response = case.call(headers=world["headers"])
    assert response.status_code == 200
    assert response.get_json()["merchant"] is None
    case.validate_response(response, checks=(response_schema_conformance,))
