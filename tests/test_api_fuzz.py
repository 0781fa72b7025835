"""Every API operation outside cases/api_urls.py against its own OpenAPI schema, with
generated input (Schemathesis 3, in-process, as cases/tests/test_schema_fuzz.py does).

The apps' own fuzz modules (arbitration, credit, mediation) go deep on their operations
from one caller's side; this one sweeps across apps: every operation as every role that
can reach it, uploads sent as real files, and the APIs that have no module of their own
(auth, documents, notifications, supervision, the index).

The operations are the schema's minus those that module fuzzes, so a new endpoint is
fuzzed here the day it is added. Each runs as every role that can reach it (``ROLES``)
over one small world of real data built once for the module (a case in mediation, a case
whose mediation failed with an agreement awaiting the merchant's confirmation, a case
referred to an arbitration body, a credit record, notifications), so that path parameters
name real objects: random ones would only ever find 404. Where random text never gets past
the first check (a phone number, a ground from a list, a PDF), each generated body takes
some fields from a valid one (``_seeds``). Two checks on every answer: no server error,
and the body matches the schema for its status; after each operation, every case's event
log still verifies. Each test runs in its own savepoint over the world, so what one
test's input changes, the next does not see.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import warnings
import zlib
from collections.abc import Iterator
from decimal import Decimal

import pytest
import schemathesis
from django.test import TestCase
from django.utils import timezone
from hypothesis import given
from rest_framework.authtoken.models import Token
from schemathesis.serializers import Binary

from arbitration.services import actions
from arbitration.services.tokens import token_create
from arbitration.tests import factories as af
from cases.models import Case, State
from cases.services.events import case_log_verify
from cases.tests import factories as cf
from cases.tests import test_schema_fuzz as case_fuzz
from cases.tests.test_schema_fuzz import (  # noqa: F401 (autouse fixtures)
    CHECKS,
    _app,
    _hypothesis_jsonschema_compat,
    _keep_the_test_connection,
    _raw_schema,
    fuzz_settings,
)
from credit.tests import factories as crf
from documents.kinds import Kind
from mediation.models import RoomFile
from mediation.services import chat, tools
from notifications.models import Notification
from tests.worlds import rolled_back_cast

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
]

# A sweep, not the depth: the apps' own modules run more examples on their operations.
# API_FUZZ_EXAMPLES=50 (or FUZZ_SCALE, which scales every fuzz module) for a deeper run.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
METHODS = ("get", "post", "put", "patch", "delete")

ANYONE = "anonymous"
BODY = "arbitration_body"  # a body's API token (Bearer odrarb_…), not a person's
STAFF = ("consumer", "merchant_staff", "regulator", "mediator", "arbitration_staff")

# Who can reach what: the first pattern that matches an operation's path decides. A path
# no pattern names (a new app's endpoint) is fuzzed as everyone.
ROLES: list[tuple[str, tuple[str, ...]]] = [
    (r"^/api/v1/$", (ANYONE, "consumer")),
    (r"^/api/v1/auth/", (ANYONE,)),
    (r"^/api/v1/me/$", STAFF),
    (r"^/api/v1/arbitration/", (BODY, "arbitration_staff")),
    (r"^/api/v1/cases/\{ref\}/arbitration/", ("consumer", "merchant_staff")),
    (r"^/api/v1/cases/\{ref\}/documents/", ("consumer", "merchant_staff")),
    (r"^/api/v1/documents/|^/api/v1/verify/$", (ANYONE,)),
    (r"^/api/v1/cases/\{ref\}/(mediation|transcript)/", ("mediator", "consumer", "merchant_staff")),
    (r"^/api/v1/mediation/", ("mediator",)),
    (r"^/api/v1/credit/merchants/", (ANYONE, "merchant_staff")),
    (r"^/api/v1/credit/records/$", ("regulator",)),
    (r"^/api/v1/credit/records/\{record_id\}/", ("merchant_staff",)),
    (r"^/api/v1/notifications/", ("consumer", "merchant_staff")),
    (r"^/api/v1/supervision/", ("regulator",)),
]

# Which of the world's cases ``{ref}`` names, by the first pattern that matches the path.
CASE_FOR: list[tuple[str, str]] = [
    (r"^/api/v1/arbitration/referrals/\{ref\}/(award|settlement)/", "arbitrating"),
    (r"^/api/v1/arbitration/", "referred"),
    (r"^/api/v1/cases/\{ref\}/(arbitration|documents)/", "failed"),
    (r"^/api/v1/cases/\{ref\}/", "mediation"),
]


def _first(rules, path: str, default):
    return next((value for pattern, value in rules if re.search(pattern, path)), default)


def _operations() -> list[tuple[str, str]]:
    """Every operation in the schema that cases/tests/test_schema_fuzz.py does not fuzz."""
    covered = set(case_fuzz.OPERATIONS)
    return sorted(
        (method.upper(), path)
        for path, item in _raw_schema()["paths"].items()
        for method in item
        if method in METHODS and (method.upper(), path) not in covered
    )


def _cases() -> list[tuple[str, str, str]]:
    # Read at collection, outside the marks: Schemathesis 3 subclasses a deprecated
    # jsonschema class when it first loads a schema.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "jsonschema.RefResolver is deprecated", DeprecationWarning
        )
        _raw_schema()
    return [
        (method, path, role)
        for method, path in _operations()
        for role in _first(ROLES, path, (ANYONE, *STAFF))
    ]


CASES = _cases()


def test_every_other_operation_is_fuzzed():
    operations = _operations()
    assert operations
    assert {(m, p) for m, p, _role in CASES} == set(operations)
    # Every app's API is in the schema, and none of them is left to the case module.
    prefixes = {re.match(r"^/api/v1/(\w*)", p).group(1) for _m, p in operations}
    assert {"arbitration", "auth", "credit", "documents", "notifications", "supervision"} <= (
        prefixes
    )
    assert any("/mediation/" in p for _m, p in operations)


# --- The world -------------------------------------------------------------------------


def _build(c: cf.Cast) -> dict:
    capture = TestCase.captureOnCommitCallbacks
    # A case in mediation: a message, a file in the joint room, terms on the table.
    mediation = cf.case_in(State.MEDIATION, c)
    chat.message_send(case=mediation, actor=c.actor("consumer"), room="joint", body="你好")
    shared = chat.file_share(
        case=mediation,
        actor=c.actor("consumer"),
        room="joint",
        upload=cf.upload("a.png", cf.png_bytes()),
    )
    proposal = tools.proposal_make(
        case=mediation,
        actor=c.actor("mediator"),
        kind="refund",
        description="退款",
        amount=Decimal("199"),
    )
    # Mediation failed; the consumer proposed arbitration and confirmed the agreement, which
    # now awaits the merchant's confirmation (a draft document, open to both parties).
    failed = af.failed_case(c)
    draft = af.sign_directly(af.propose(c, failed), "consumer", c=c)
    # A case referred to the body: signed agreement, referral letter, the case file.
    referred = af.referred(c, capture)
    letter = referred.case.documents.get(kind=Kind.ARBITRATION_REFERRAL)
    # Another, which the body has accepted: awards and settlements are for these.
    arbitrating = af.referred(c, capture)
    actions.referral_accept(referral=arbitrating, actor=c.actor("arbitration_staff"))
    # The merchant's credit file, with a record the merchant may reply to.
    record = crf.make_record(c.merchant, "breach", days_ago=3)

    headers = {ANYONE: {}}
    for role in STAFF:
        token = Token.objects.create(user=getattr(c, role))
        headers[role] = {"Authorization": f"Token {token.key}"}
    _row, secret = token_create(body=c.body, user=c.arbitration_staff, name="fuzz")
    headers[BODY] = {"Authorization": f"Bearer {secret}"}

    def inbox(user) -> int:
        mine = Notification.objects.filter(recipient=user, channel=Notification.Channel.INAPP)
        return mine.order_by("pk").values_list("pk", flat=True).first()

    return {
        "cases": {
            "mediation": mediation,
            "failed": failed,
            "referred": referred.case,
            "arbitrating": arbitrating.case,
        },
        "headers": headers,
        "path": {
            "file_id": RoomFile.objects.get(message=shared.message).pk,
            "proposal_id": proposal.pk,
            "party": "merchant",
            "uscc": c.merchant.uscc,
            "record_id": record.pk,
            "number": letter.number,
        },
        "documents": {"failed": draft.number, "referred": letter.number},
        "inbox": {role: inbox(getattr(c, role)) for role in STAFF},
        "seeds": _seeds(c, draft),
    }


def _seeds(c: cf.Cast, draft) -> dict[tuple[str, str], dict]:
    """A valid body for the operations whose checks random text never gets past (a phone
    number, a ground from a list, a time in the next 90 days, a PDF): each generated body
    keeps some of its own fields and takes the rest from here, so the code behind the
    first check is fuzzed too."""
    today = timezone.localdate()
    soon = (today + dt.timedelta(days=10)).isoformat()
    pdf = cf.pdf_bytes()
    party = {"minutes": 5}
    cases = "/api/v1/cases/{ref}"
    referral = "/api/v1/arbitration/referrals/{ref}"
    return {
        ("POST", "/api/v1/auth/otp/"): {"phone": c.consumer.phone},
        ("POST", "/api/v1/auth/otp/verify/"): {"phone": c.consumer.phone, "code": "123456"},
        ("POST", "/api/v1/auth/token/"): {
            "username": c.regulator.username,
            "password": "pw-for-tests-123",
        },
        ("POST", f"{referral}/award/"): {
            "file": pdf,
            "obligations": "被申请人退还货款199元。",
            "amount": "199.00",
            "due_on": soon,
        },
        ("POST", f"{referral}/settlement/"): {
            "description": "退款199元",
            "amount": "199.00",
            "performance_due_on": soon,
        },
        ("POST", f"{referral}/decline/"): {"reason": "不属于本会受理范围"},
        ("POST", f"{cases}/arbitration/agreement/"): {"body": c.body.pk},
        ("POST", f"{cases}/documents/{{number}}/confirmation/"): {
            "code": "123456",
            "sha256": draft.content_sha256,
        },
        ("POST", f"{cases}/mediation/files/"): {"room": "joint", "file": pdf},
        ("POST", f"{cases}/mediation/messages/"): {"room": "joint", "body": "你好"},
        ("POST", f"{cases}/mediation/read/"): {"room": "joint", "seq": 1},
        ("POST", f"{cases}/mediation/sessions/"): {
            "starts_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
            "duration_minutes": 60,
            "note": "线上调解",
        },
        **{
            ("POST", f"{cases}/mediation/parties/{{party}}/{act}/"): party
            for act in ("mute", "unmute", "caucus", "joint")
        },
        ("POST", f"{cases}/mediation/proposals/"): {
            "kind": "refund",
            "amount": "100.00",
            "description": "退款100元",
            "performance_days": 7,
        },
        ("POST", f"{cases}/mediation/terminate/"): {
            "ground": "agreement_impossible",
            "reason": "双方分歧太大",
        },
        ("POST", "/api/v1/credit/records/{record_id}/reply/"): {"body": "已与消费者协商退款。"},
        ("POST", "/api/v1/verify/"): {"file": pdf},
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    """Built once for the module (tests/worlds.py): what one test's input changes, the
    next does not see."""
    with rolled_back_cast(django_db_blocker, tmp_path_factory) as c:
        yield _build(c)


def _schema():
    return schemathesis.from_dict(_raw_schema(), app=_app())


def _path_value(world: dict, path: str, role: str, name: str):
    if name == "ref":
        return world["cases"][_first(CASE_FOR, path, "mediation")].reference
    if name == "number" and path.startswith("/api/v1/cases/"):
        return world["documents"][_first(CASE_FOR, path, "mediation")]
    if name == "notification_id":
        return world["inbox"].get(role) or world["inbox"]["consumer"]
    assert name in world["path"], f"{path}: give the world a real {{{name}}} in _build()"
    return world["path"][name]


# --- The fuzz --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "role"), CASES, ids=[f"{m} {p} as {r}" for m, p, r in CASES]
)
def test_operation_answers_within_its_schema(world, method, path, role):
    operation = _schema()[path][method]
    headers = world["headers"][role]

    @given(case=operation.as_strategy())
    @fuzz_settings(MAX_EXAMPLES)
    def check(case) -> None:
        for name in case.path_parameters or {}:
            case.path_parameters[name] = _path_value(world, path, role, name)
        _mix_in_seed(case, world["seeds"].get((method, path)))
        _as_files(case)
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        finally:
            response.close()  # closes a streamed file, as a WSGI server would

    check()
    # Whatever was sent, every case of the world is still readable and its log intact.
    for case in world["cases"].values():
        assert case_log_verify(case=Case.objects.get(pk=case.pk)).ok, case.reference


def _mix_in_seed(case, seed: dict | None) -> None:
    """Replace some generated fields by valid ones, chosen by the body's own checksum (so a
    run is repeatable): from the seed alone to the generated body alone."""
    if not seed or not isinstance(case.body, dict):
        return
    multipart = (case.media_type or "").startswith("multipart/")
    bits = zlib.crc32(repr(sorted(case.body.items(), key=str)).encode())
    for i, (name, value) in enumerate(seed.items()):
        if isinstance(value, bytes) and not multipart:
            continue
        if name not in case.body or not bits >> i & 1:
            case.body[name] = value


def _as_files(case) -> None:
    """Send a generated binary part of a multipart body as a file, as a browser does.

    In-process, Schemathesis 3 hands the body to Werkzeug, which sends bytes as a plain
    form field: without this, every upload endpoint would only ever answer "no file".
    """
    if not (case.media_type or "").startswith("multipart/") or not isinstance(case.body, dict):
        return
    for name, value in case.body.items():
        if isinstance(value, Binary | bytes):
            data = value.data if isinstance(value, Binary) else value
            case.body[name] = (io.BytesIO(data), f"{name}.bin")
