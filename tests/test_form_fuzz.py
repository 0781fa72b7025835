"""Every HTML form of the site (each non-/api/ route that takes a POST) with hostile input.

The project's rule: bad input gets a clear error in the user's language (Chinese first,
English second) and loses nothing; a 5xx on any input is a bug. The JSON API has its own
fuzz modules; this one covers the pages. The routes come from the URL resolver, so a new
POST route fails ``test_every_post_route_is_known`` until it is described in ``FORMS`` (or
put, with a reason, in ``SKIP``).

Each route is posted to as a role that may use it (the case's consumer, its merchant's
staff, the regulator of its jurisdiction, the assigned mediator, the arbitration body's
staff, or a visitor) over one small world of real data built once for the module, with
bounded, derandomized Hypothesis input: fields missing, empty, 100,000 characters long,
with NUL bytes and control characters, not numbers where numbers are expected, impossible
and extreme dates, negative and huge amounts, unknown choices, repeated fields, and, where
a file is expected, an executable renamed ``.png``, an empty file and one over the limit.
For every answer: no server error; an error shown to the user (a form's errors, a refusal
page, an error message after a redirect) is in Chinese; and when the answer is an error,
nothing saved in the world changed. Separately: the same refusals in English for a
visitor who chose English, and each route's valid input succeeds (so the fixtures work and
the checks can fail).

Each example runs in a savepoint rolled back after it, inside the test's own savepoint,
inside the world's transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from accounts.models import RegulatorOffice, User
from accounts.tests import factories as acf
from arbitration.services import actions
from arbitration.tests import factories as af
from cases.models import ComplaintDraft, Evidence, State
from cases.services import evidence as evidence_services
from cases.services import identity, recusal
from cases.services.transitions import SPECS
from cases.tests import factories as cf
from cases.tests.test_schema_fuzz import fuzz_settings
from credit.services.negative_list import negative_list_confirm
from credit.services.repair import repair_apply
from credit.tests import factories as crf
from documents.kinds import Kind
from notifications.models import Notification
from supervision.models import AlertRule
from supervision.tests.factories import spike_alert
from tests.worlds import db_fingerprint

pytestmark = pytest.mark.django_db

# A deeper run by hand: FORM_FUZZ_EXAMPLES=50 (or FUZZ_SCALE, which scales every fuzz module).
MAX_EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "3"))
LIMIT = 64 * 1024  # every upload limit of the world, so that "too large" is cheap to send
TWILIO_TOKEN = "fuzz-twilio-token"
ANYONE = "anonymous"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Django's own messages as they read untranslated: under Chinese, none may show.
ENGLISH_DEFAULTS = (
    "This field is required.",
    "Enter a valid date.",
    "Enter a number.",
    "Enter a whole number.",
    "Select a valid choice.",
    "Ensure this value",
    "The submitted file is empty.",
    "No file was submitted.",
    "Null characters are not allowed.",
    "Enter a valid value.",
    "Upload a valid image.",
    "Please enter a correct",
)

# --- The routes ------------------------------------------------------------------------

# Not forms: what each does with its body is nothing a user typed.
SKIP = {
    # Django's language switch: takes one known code or ignores it, then redirects.
    "set_language": "the language switch",
    # The large-text switch: "large" or anything else (normal), then a checked redirect.
    "text_size": "the large-text switch",
    # Ends the session; has no fields.
    "accounts:logout": "signing out",
}
# Django's own admin: its forms and their translations are Django's.
SKIP_NAMESPACES = {"admin"}


def _methods(view) -> set[str] | None:
    """The methods a view allows (``require_http_methods`` and friends, or a class's
    handlers), found through its decorators; None when it allows every method."""
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return {m.upper() for m in cls.http_method_names if hasattr(cls, m)}
    todo, seen = [view], set()
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list) and value and all(isinstance(m, str) for m in value):
                if all(m.isupper() for m in value):
                    return set(value)
            elif callable(value):
                todo.append(value)
        if getattr(f, "__wrapped__", None) is not None:
            todo.append(f.__wrapped__)
    return None


def _walk(resolver, prefix: str = "", namespace: tuple = ()) -> Iterator[tuple[str, str, object]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield (
                prefix + str(pattern.pattern),
                ":".join((*namespace, pattern.name or "")),
                (pattern.callback),
            )


def post_routes() -> dict[str, str]:
    """The HTML routes that take a POST, by URL name: their route."""
    found = {}
    for route, name, view in _walk(get_resolver()):
        if route.startswith("api/") or name.split(":")[0] in SKIP_NAMESPACES:
            continue
        methods = _methods(view)
        if methods is None or "POST" in methods:
            found[name] = route
    return found


# --- How to fill each route ------------------------------------------------------------

MISSING = object()  # the field is not sent at all


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str


def _png() -> Upload:
    return Upload("photo.png", cf.png_bytes(), "image/png")


def _pdf() -> Upload:
    return Upload("award.pdf", cf.pdf_bytes(), "application/pdf")


HOSTILE_FILES = (
    MISSING,
    Upload("setup.png", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200, "image/png"),
    Upload("elf.pdf", cf.elf_bytes(), "application/pdf"),
    Upload("empty.png", b"", "image/png"),
    Upload("big.png", cf.png_bytes() + b"\x00" * (LIMIT + 1), "image/png"),
    Upload("a\x00b.png", cf.png_bytes(), "image/png"),
    "not a file",
)
TEXT = (
    MISSING,
    "",
    "   ",
    "x" * 100_000,
    "投" * 100_000,
    "\x00",
    "a\x00b",
    "\x01\x02\x1b\x7f\x08",
    "\u202e\ufeff\u200b",
    ["一", "二"],  # the field repeated
    "<script>alert(1)</script>",
)
NUMBER = (
    "abc",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "1.5",
    "NaN",
    "Infinity",
    "-0",
    "１２",
)
DATE = ("0000-00-00", "9999-12-31", "2026-02-30", "0001-01-01", "abc", "-1", "2026-13-01")
CHOICE = ("__nope__", "-1", "99999999999")
HOSTILE = {
    "text": TEXT,
    "int": TEXT + NUMBER,
    "decimal": TEXT + NUMBER + ("-199.00", "199.999", "9999999999999.99"),
    "date": TEXT + DATE,
    "choice": TEXT + CHOICE,
    "bool": (MISSING, "", "on", "maybe", "\x00", ["on", ""]),
    "file": HOSTILE_FILES,
}


@dataclass(frozen=True)
class Form:
    """A POST route as someone who may use it, with its fields and a valid body."""

    role: str
    kwargs: Callable[[dict], dict]
    fields: dict[str, str] = field(default_factory=dict)  # name: kind (keys of HOSTILE)
    valid: Callable[[dict], dict] = lambda w: {}
    ok: tuple[int, ...] = (302,)  # what the valid body gets
    htmx: bool = False
    # The route refuses even its best body (an unknown action, a code never sent): the
    # control then checks the refusal is shown, in Chinese.
    refused: bool = False
    # Called by a program, not a person (Twilio's status callback): its plain-text
    # answers are read by no one, so only "no server error, nothing lost" applies.
    machine: bool = False


def _soon(days: int = 10) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _past(days: int = 3) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def _case(key: str) -> Callable[[dict], dict]:
    return lambda w: {"ref": w["cases"][key].reference}


def _draft(step: str | None = None) -> Callable[[dict], dict]:
    def kwargs(w):
        values = {"draft_id": w["draft"].pk}
        if step:
            values["step"] = step
        return values

    return kwargs


MERCHANT_FIELDS = {
    "merchant_name": "text",
    "merchant_address": "text",
    "merchant_store_url": "text",
    "merchant_division_code": "int",
}
FACTS_FIELDS = {
    "category": "choice",
    "purchase_date": "date",
    "knew_of_harm_on": "date",
    "claimed_from_merchant_on": "date",
    "amount": "decimal",
    "order_number": "text",
    "platform": "text",
    "facts": "text",
}
REQUEST_FIELDS = {
    "request": "text",
    "complainant_name": "text",
    "complainant_phone": "text",
    "complainant_address": "text",
    "agrees_to_publication": "bool",
    "agrees_to_delegated_mediation": "bool",
}
TERMS_FIELDS = {"description": "text", "amount": "decimal", "performance_due_on": "date"}
OFFER_FIELDS = {
    "kind": "choice",
    "amount": "decimal",
    "description": "text",
    "valid_until": "date",
    "performance_days": "int",
    "counter_to": "int",
}


def _merchant_valid(w):
    return {
        "merchant_name": "临沂某网店",
        "merchant_address": "山东省临沂市兰山区",
        "merchant_division_code": "371302",
    }


def _facts_valid(w):
    return {"category": "goods.food", "purchase_date": _past(), "amount": "199.00", "facts": "坏了"}


def _request_valid(w):
    return {
        "request": "退款",
        "complainant_name": "张三",
        "complainant_phone": "13800000001",
        "complainant_address": "临沂",
    }


def _offer_valid(w):
    return {
        "kind": "refund",
        "amount": "100.00",
        "description": "退款100元",
        "valid_until": _soon(5),
        "performance_days": "7",
    }


def _transition(case: str, role: str, name: str) -> Form:
    """A transition's form, its fields read from the spec (``transition_form``)."""
    spec = SPECS[name]
    names = {f.name for f in spec.fields}
    fields = {}
    for f in spec.fields:
        kind = {"choice": "choice", "date": "date", "decimal": "decimal", "int": "int"}
        fields[f.name] = kind.get(f.kind, "text")
    assert set(fields) == names

    def valid(w):
        c = w["cast"]
        data = cf.transition_data(c, name)
        return {k: str(v) for k, v in data.items()}

    return Form(role, lambda w: {**_case(case)(w), "name": name}, fields, valid)


def _referral(key: str, action: str) -> Callable[[dict], dict]:
    return lambda w: {"ref": w["referrals"][key].case.reference, "action": action}


def _group(action: str) -> Callable[[dict], dict]:
    return lambda w: {"ref": w["groups"]["group"].reference, "action": action}


def _alert(step: str) -> Callable[[dict], dict]:
    return lambda w: {"alert_id": w["alert"].pk, "step": step}


def _twilio_valid(w):
    return {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}


def NONE(w: dict) -> dict:
    return {}


READS = (302, 200)  # a page that treats a POST as a GET: a page, or a redirect to one

# Every POST route, by URL name: one Form, or several (by label) where the route's
# arguments choose what the form is (a wizard step, a transition, an action).
FORMS: dict[str, dict[str, Form]] = {
    "accounts:login": {
        "phone": Form(
            ANYONE,
            NONE,
            {"step": "choice", "phone": "text"},
            lambda w: {"step": "phone", "phone": "13900000099"},
            (200,),
        ),
        "code": Form(
            ANYONE,
            NONE,
            {"step": "choice", "phone": "text", "code": "int", "next": "text"},
            lambda w: {"step": "code", "phone": "13900000099", "code": "123456"},
            (400,),  # a wrong code: a valid form, refused by the service (no code was sent)
            refused=True,
        ),
    },
    "accounts:staff_login": {
        "": Form(
            ANYONE,
            NONE,
            {"username": "text", "password": "text"},
            lambda w: {"username": w["cast"].regulator.username, "password": "pw-for-tests-123"},
        )
    },
    **{
        f"accounts:{page}": {"": Form(role, NONE, {"junk": "text"}, ok=READS)}
        for page, role in (
            ("landing", "consumer"),
            ("consumer_home", "consumer"),
            ("merchant_home", "merchant_staff"),
            ("mediator_home", "mediator"),
            ("regulator_home", "regulator"),
            ("arbitration_home", "arbitration_staff"),
        )
    },
    "cases:choose_merchant": {
        "": Form(
            "consumer",
            _draft(),
            {"merchant": "int"},
            lambda w: {"merchant": str(w["cast"].merchant.pk)},
        )
    },
    "cases:remove_file": {
        "": Form(
            "consumer",
            lambda w: {"draft_id": w["draft"].pk, "evidence_id": w["draft_file"].pk},
            {"junk": "text"},
        )
    },
    "cases:autosave": {
        "merchant": Form("consumer", _draft("merchant"), MERCHANT_FIELDS, _merchant_valid, (204,)),
        "facts": Form("consumer", _draft("facts"), FACTS_FIELDS, _facts_valid, (204,)),
        "request": Form("consumer", _draft("request"), REQUEST_FIELDS, _request_valid, (204,)),
    },
    "cases:wizard": {
        "merchant": Form(
            "consumer", _draft("merchant"), {**MERCHANT_FIELDS, "merchant": "int"}, _merchant_valid
        ),
        "facts": Form("consumer", _draft("facts"), FACTS_FIELDS, _facts_valid),
        "request": Form("consumer", _draft("request"), REQUEST_FIELDS, _request_valid),
        "evidence": Form(
            "consumer",
            _draft("evidence"),
            {"file": "file", "description": "text"},
            lambda w: {"file": _png(), "description": "照片"},
        ),
        # The draft is complete: a valid "submit" files it.
        "review": Form("consumer", _draft("review"), {"junk": "text"}),
    },
    "cases:offer_make": {
        "": Form("merchant_staff", _case("negotiation"), OFFER_FIELDS, _offer_valid),
    },
    "cases:offer_accept": {
        "": Form(
            "consumer",
            lambda w: {"ref": w["cases"]["negotiation"].reference, "offer_id": w["offer"].pk},
            {"junk": "text"},
        )
    },
    "cases:offer_reject": {
        "": Form(
            "consumer",
            lambda w: {"ref": w["cases"]["negotiation"].reference, "offer_id": w["offer"].pk},
            {"reason": "text"},
            lambda w: {"reason": "太少"},
        )
    },
    "cases:message_post": {
        "": Form(
            "consumer",
            _case("negotiation"),
            {"body": "text", "client_id": "text"},
            lambda w: {"body": "你好", "client_id": "c" * 32},
        ),
        "htmx": Form(
            "merchant_staff",
            _case("negotiation"),
            {"body": "text", "client_id": "text"},
            lambda w: {"body": "您好"},
            htmx=True,
        ),
    },
    "cases:consent_update": {
        "": Form(
            "consumer",
            _case("negotiation"),
            {"question": "choice", "answer": "choice"},
            lambda w: {"question": "publication", "answer": "yes"},
        )
    },
    "cases:evidence_upload": {
        "": Form(
            "merchant_staff",
            _case("negotiation"),
            {"file": "file", "description": "text"},
            lambda w: {"file": _pdf(), "description": "发货单"},
        )
    },
    "cases:transition": {
        "escalate": _transition("negotiation", "consumer", "escalate"),
        "withdraw": _transition("negotiation", "consumer", "withdraw"),
        "accept": _transition("review", "regulator", "accept"),
        "reject": _transition("review", "regulator", "reject"),
        "terminate": _transition("mediation", "mediator", "terminate"),
        "reach_agreement": _transition("mediation", "mediator", "reach_agreement"),
        "unknown": Form(
            "consumer",
            lambda w: {"ref": w["cases"]["negotiation"].reference, "name": "__nope__"},
            {"reason": "text"},
            refused=True,
        ),
    },
    "cases:identity_request": {
        "": Form(
            "regulator", _case("mediation"), {"materials": "text"}, lambda w: {"materials": "护照"}
        )
    },
    "cases:identity_upload": {
        "": Form("consumer", _case("review"), {"file": "file"}, lambda w: {"file": _png()})
    },
    "cases:recusal_request": {
        "": Form(
            "consumer",
            _case("mediation"),
            {"ground": "choice", "reasons": "text"},
            lambda w: {"ground": "interest", "reasons": "调解员与商家有业务往来"},
        )
    },
    "cases:recusal_decide": {
        "": Form(
            "regulator",
            _case("recusing"),
            {"decision": "choice", "new_mediator": "choice", "reasons": "text"},
            lambda w: {"decision": "refuse", "reasons": "经核实不存在利害关系"},
        )
    },
    "cases:transfer": {
        "": Form(
            "regulator",
            _case("review"),
            {"to_office": "choice", "reason": "choice", "reason_text": "text"},
            lambda w: {"to_office": "350100", "reason": "registered_place"},
        )
    },
    "notifications:mark_read": {
        "": Form("consumer", lambda w: {"notification_id": w["notification"].pk}, {"page": "int"})
    },
    "notifications:mark_all_read": {"": Form("consumer", NONE, {"page": "int"})},
    "notifications:preferences": {
        "": Form(
            "consumer", NONE, {"sms": "bool", "email": "bool"}, lambda w: {"sms": "on", "email": ""}
        )
    },
    "notifications:twilio_status": {
        "": Form(
            ANYONE,
            NONE,
            {"MessageSid": "text", "MessageStatus": "choice", "ErrorCode": "int"},
            _twilio_valid,
            (204,),
            machine=True,
        )
    },
    "documents:verify": {
        "": Form(
            ANYONE,
            NONE,
            {"number": "text", "file": "file"},
            lambda w: {"number": w["letter"].number},
        )
    },
    "documents:confirm": {
        "send": Form(
            "merchant_staff",
            lambda w: {"number": w["draft_agreement"].number},
            {"action": "choice"},
            lambda w: {"action": "send"},
        ),
        "code": Form(
            "merchant_staff",
            lambda w: {"number": w["draft_agreement"].number},
            {"code": "int", "sha256": "text"},
            lambda w: {"code": "123456", "sha256": w["draft_agreement"].content_sha256},
            (400,),  # no code was sent: a valid form the service refuses
            refused=True,
        ),
    },
    "credit:record_reply": {
        "": Form(
            "merchant_staff",
            lambda w: {"uscc": w["cast"].merchant.uscc, "record_id": w["record"].pk},
            {"body": "text"},
            lambda w: {"body": "已与消费者协商退款。"},
        )
    },
    "credit:record_repair": {
        "": Form(
            "repair_staff",
            lambda w: {
                "uscc": w["repair_record"].merchant.uscc,
                "record_id": w["repair_record"].pk,
            },
            {"statement": "text"},
            lambda w: {"statement": "已全额退款并向消费者书面致歉。"},
        )
    },
    "credit:repair_decide": {
        "": Form(
            "regulator",
            lambda w: {"application_id": w["application"].pk},
            {"decision": "choice", "reason": "text"},
            lambda w: {"decision": "approve", "reason": "经核实商家已全额退款"},
        )
    },
    "credit:negative_list_confirm": {
        "": Form(
            "regulator",
            lambda w: {"uscc": w["listable"].uscc},
            {"reason": "text", "review_on": "date"},
            lambda w: {"reason": "十二个月内多次违约未履行协议", "review_on": _soon(30)},
        )
    },
    "credit:negative_list_remove": {
        "": Form(
            "regulator",
            lambda w: {"entry_id": w["entry"].pk},
            {"removal_reason": "text"},
            lambda w: {"removal_reason": "商家已整改并履行全部协议"},
        )
    },
    **{
        f"arbitration:{page}": {"": Form(role, kwargs, {"junk": "text"}, ok=READS)}
        for page, role, kwargs in (
            ("portal", "arbitration_staff", NONE),
            ("deliveries", "regulator", NONE),
            ("referral", "arbitration_staff", lambda w: {"ref": w["cases"]["referred"].reference}),
            (
                "referral-file",
                "arbitration_staff",
                lambda w: {"ref": w["cases"]["referred"].reference},
            ),
            ("case", "consumer", _case("failed")),
        )
    },
    # The award's download: this world records no award, so the control is the refusal.
    "arbitration:case-award": {
        "": Form("consumer", _case("failed"), {"junk": "text"}, ok=(404,), refused=True)
    },
    "arbitration:referral-act": {
        "acknowledge": Form("arbitration_staff", _referral("referred", "acknowledge")),
        "accept": Form("arbitration_staff", _referral("referred", "accept")),
        "decline": Form(
            "arbitration_staff",
            _referral("referred", "decline"),
            {"reason": "text"},
            lambda w: {"reason": "不属于本会受理范围"},
        ),
        "info": Form(
            "arbitration_staff",
            _referral("referred", "info"),
            {"message": "text"},
            lambda w: {"message": "请补充购物凭证"},
        ),
        "settle": Form(
            "arbitration_staff",
            _referral("arbitrating", "settle"),
            TERMS_FIELDS,
            lambda w: {k: str(v) for k, v in cf.terms().items()},
        ),
        "award": Form(
            "arbitration_staff",
            _referral("arbitrating", "award"),
            {"file": "file", "obligations": "text", "amount": "decimal", "due_on": "date"},
            lambda w: {
                "file": _pdf(),
                "obligations": "退还货款199元",
                "amount": "199.00",
                "due_on": _soon(),
            },
        ),
        "unknown": Form(
            "arbitration_staff",
            _referral("referred", "__nope__"),
            {"x": "text"},
            ok=(404,),
            refused=True,
        ),
    },
    "arbitration:case-propose": {
        "": Form(
            "consumer",
            _case("consentless"),
            {"body": "choice"},
            lambda w: {"body": str(w["cast"].body.pk)},
        )
    },
    "arbitration:case-refer": {"": Form("consumer", _case("signed"), {"junk": "text"})},
    "supervision:alert_step": {
        "acknowledge": Form("regulator", _alert("acknowledge")),
        "assign": Form(
            "regulator",
            _alert("assign"),
            {"assignee": "choice", "note": "text"},
            lambda w: {"assignee": str(w["cast"].regulator.pk), "note": "请跟进"},
        ),
        "act": Form(
            "regulator", _alert("act"), {"act-note": "text"}, lambda w: {"act-note": "已约谈"}
        ),
        "close": Form(
            "regulator", _alert("close"), {"close-note": "text"}, lambda w: {"close-note": "已处理"}
        ),
        "unknown": Form("regulator", _alert("__nope__"), {"note": "text"}, ok=(404,), refused=True),
    },
    "supervision:rules": {
        "": Form(
            "regulator",
            NONE,
            {"kind": "choice", "jurisdiction": "int"},
            lambda w: {"kind": "merchant_spike", "jurisdiction": "371300"},
        )
    },
    "supervision:rule": {
        "": Form(
            "regulator",
            lambda w: {"rule_id": w["rule"].pk},
            {
                "enabled": "bool",
                "severity": "choice",
                "weeks": "int",
                "sigmas": "decimal",
                "min_count": "int",
                "days": "int",
            },
            lambda w: {
                "enabled": "on",
                "severity": "high",
                "weeks": "8",
                "sigmas": "3",
                "min_count": "5",
                "days": "90",
            },
        )
    },
    "supervision:rate": {
        "": Form(
            "consumer",
            _case("closed"),
            {"score": "choice", "comment": "text"},
            lambda w: {"score": "5", "comment": "满意"},
        )
    },
    "supervision:visits": {
        "": Form(
            "regulator",
            _case("closed"),
            {
                "visited_on": "date",
                "method": "choice",
                "reached": "bool",
                "score": "choice",
                "note": "text",
            },
            lambda w: {
                "visited_on": _past(1),
                "method": "sms",
                "reached": "on",
                "score": "4",
                "note": "电话回访，消费者满意",
            },
        )
    },
    # Group complaints (群体投诉).
    "groups:new": {
        "": Form(
            "regulator",
            NONE,
            {"merchant": "int", "title": "text", "cases": "int", "max_representatives": "int"},
            lambda w: {
                "merchant": str(w["cast"].merchant.pk),
                "title": "批次质量问题",
                "cases": [str(x.pk) for x in w["groups"]["spare"]],
                "max_representatives": "2",
            },
        )
    },
    "groups:act": {
        label: Form(role, _group(label), fields, valid, refused=refused)
        for label, role, fields, valid, refused in (
            ("message", "regulator", {"body": "text"}, lambda w: {"body": "请各方发言"}, False),
            ("answer", "merchant_staff", {"body": "text"}, lambda w: {"body": "同意退款"}, False),
            ("nominate", "consumer", {"nominee": "int"}, lambda w: {"nominee": "1"}, False),
            ("leave", "consumer", {"reason": "text"}, lambda w: {"reason": "单独处理"}, False),
            (
                "representatives",
                "regulator",
                {"representatives": "int"},
                lambda w: {"representatives": "1"},
                False,
            ),
            (
                "remove",
                "regulator",
                {"member": "int", "reason": "text"},
                lambda w: {"member": "2"},
                False,
            ),
            (
                "add",
                "regulator",
                {"cases": "int"},
                lambda w: {"cases": str(w["groups"]["spare"][0].pk)},
                False,
            ),
            (
                "accept",
                "regulator",
                {"mediator": "choice"},
                lambda w: {"mediator": str(w["cast"].mediator.pk)},
                False,
            ),
            (
                "terms",
                "mediator",
                {"description": "text", "performance_due_on": "date", "amount-1": "decimal"},
                lambda w: {
                    "description": "全额退款",
                    "performance_due_on": _soon(),
                    "amount-1": "99.00",
                },
                False,
            ),
            (
                "evidence",
                "regulator",
                {"file": "file", "description": "text"},
                lambda w: {"file": _png(), "description": "照片"},
                False,
            ),
            ("terms_accept", "consumer", {}, NONE, True),
            ("record", "mediator", {}, NONE, True),
            ("close", "regulator", {}, NONE, False),
        )
    },
    # Reports of violations (举报): anyone files, the office handles.
    "reports:new": {
        "": Form(
            ANYONE,
            NONE,
            {
                "who": "choice",
                "name": "text",
                "phone": "text",
                "id_number": "text",
                "wants_notice": "bool",
                "merchant_uscc": "text",
                "merchant_name": "text",
                "merchant_division_code": "int",
                "merchant_address": "text",
                "merchant_store_url": "text",
                "violation_kind": "choice",
                "facts": "text",
                "files": "file",
            },
            lambda w: {
                "who": "named",
                "name": "王五",
                "phone": "13900000077",
                "wants_notice": "on",
                "merchant_uscc": w["cast"].merchant.uscc,
                "violation_kind": "price_fraud",
                "facts": "标价与结算价不一致。",
                "files": _png(),
            },
        )
    },
    "reports:verify": {
        "": Form(
            "regulator", lambda w: {"ref": w["reports"]["received"].reference}, {"junk": "text"}
        )
    },
    "reports:extend": {
        "": Form(
            "regulator",
            lambda w: {"ref": w["reports"]["received"].reference},
            {"reason": "text"},
            lambda w: {"reason": "需要检验，经负责人批准延长。"},
        )
    },
    "reports:decide": {
        "": Form(
            "regulator",
            lambda w: {"ref": w["reports"]["received"].reference},
            {"decision": "choice", "reasons": "text"},
            lambda w: {"decision": "open", "reasons": "有初步证据，决定立案。"},
        )
    },
    "reports:finding": {
        "": Form(
            "regulator",
            lambda w: {"ref": w["reports"]["opened"].reference},
            {"finding": "choice", "summary": "text"},
            lambda w: {"finding": "violation", "summary": "价格欺诈属实。"},
        )
    },
    "supervision:reports": {
        "": Form(
            "regulator",
            NONE,
            {"month": "text", "jurisdiction": "int"},
            lambda w: {"month": "2026-01", "jurisdiction": "371300"},
        )
    },
}
CASES = [(name, label) for name, forms in FORMS.items() for label in forms]
SPOKEN = [(name, label) for name, label in CASES if not FORMS[name][label].machine]


def test_every_post_route_is_known():
    """A new POST route fails here until FORMS says how to fill it (or SKIP why not)."""
    routes = set(post_routes())
    assert routes, "the resolver walk found no POST routes"
    unknown = routes - set(FORMS) - set(SKIP)
    assert not unknown, f"POST routes this module does not know how to fill: {sorted(unknown)}"
    gone = (set(FORMS) | set(SKIP)) - routes
    assert not gone, f"FORMS or SKIP name routes that no longer take a POST: {sorted(gone)}"


# --- The world -------------------------------------------------------------------------


def _build(c: cf.Cast) -> dict:
    capture = TestCase.captureOnCommitCallbacks
    consumer = c.actor("consumer")
    # A complete draft with a file: what the wizard and autosave must never lose.
    draft = ComplaintDraft.objects.create(
        consumer=consumer,
        data={
            "merchant": c.merchant.pk,
            "category": "goods.food",
            "purchase_date": _past(),
            "amount": "199.00",
            "facts": "网购的苹果收到时已经腐烂。",
            "request": "退款199元。",
            "complainant_name": "张三",
            "complainant_phone": "+8613800000001",
            "complainant_address": "山东省临沂市兰山区金雀山路1号",
            "agrees_to_delegated_mediation": True,
        },
    )
    draft_file = evidence_services.evidence_add(
        uploaded_by=consumer,
        upload=cf.upload("a.png", cf.png_bytes(), "image/png"),
        draft=draft,
        description="照片",
    )
    negotiation = cf.case_in(State.NEGOTIATION, c)
    open_offer = cf.offer(negotiation, c.actor("merchant_staff"))
    review = cf.case_in(State.REVIEW, c)
    mediation = cf.case_in(State.MEDIATION, c)
    closed = cf.case_in(State.CLOSED, c)
    # An office a case under review may be transferred to (转办).
    RegulatorOffice.objects.get_or_create(
        division_code="350100", defaults={"name": "福州市市场监督管理局"}
    )
    # Proof of identity asked under review; a recusal waiting for the office's decision.
    identity.identity_request(case=review, actor=c.actor("regulator"), materials="身份证")
    recusing = cf.case_in(State.MEDIATION, c)
    recusal.recusal_request(
        case=recusing, actor=c.actor("merchant_staff"), ground="interest", reasons="有利害关系"
    )
    consentless = af.failed_case(c)  # mediation failed, no agreement yet
    failed = af.failed_case(c)  # an agreement the consumer signed, the merchant not yet
    draft_agreement = af.sign_directly(af.propose(c, failed), "consumer", c=c)
    signed = af.failed_case(c)  # both parties signed: the consumer may refer it
    af.sign_directly(af.propose(c, signed), "consumer", "merchant", c=c)
    referred = af.referred(c, capture)
    letter = referred.case.documents.get(kind=Kind.ARBITRATION_REFERRAL)
    arbitrating = af.referred(c, capture)
    actions.referral_accept(referral=arbitrating, actor=c.actor("arbitration_staff"))

    event = negotiation.events.order_by("seq").first()
    notification = Notification.objects.create(
        event=event,
        case=negotiation,
        recipient=consumer,
        channel=Notification.Channel.INAPP,
        kind="fuzz",
        audience="consumer",
        language="zh-hans",
        subject="通知",
        body="您的投诉已受理。",
        created_at=timezone.now(),
    )
    record = crf.make_record(c.merchant, "breach", days_ago=3)
    # Credit repair: a breach of long ago, of a merchant with nothing newer against it.
    repair_merchant = cf.enrolled_merchant()
    repair_staff = acf.merchant_staff(repair_merchant)
    repair_record = crf.make_record(repair_merchant, "breach", days_ago=200)
    pending_merchant = cf.enrolled_merchant()
    pending_record = crf.make_record(pending_merchant, "breach", days_ago=200)
    application = repair_apply(
        record=pending_record,
        actor=acf.merchant_staff(pending_merchant),
        statement="已全额退款并向消费者书面致歉。",
    )
    # The negative list: one merchant that may be listed, one that is.
    listable = cf.enrolled_merchant()
    listed = cf.enrolled_merchant()
    for merchant in (listable, listable, listed, listed):
        crf.make_record(merchant, "breach", days_ago=5)
    entry = negative_list_confirm(
        merchant=listed,
        actor=c.actor("regulator"),
        reason="十二个月内多次违约未履行协议",
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    alert = spike_alert(c.merchant.pk)
    local_rule = AlertRule.objects.create(
        kind="category_spike",
        jurisdiction="371300",
        severity="medium",
        weeks=8,
        sigmas=3,
        min_count=5,
        days=90,
    )
    return {
        "cast": c,
        "users": {"repair_staff": repair_staff},
        "draft": draft,
        "draft_file": draft_file,
        "offer": open_offer,
        "cases": {
            "negotiation": negotiation,
            "review": review,
            "mediation": mediation,
            "recusing": recusing,
            "closed": closed,
            "consentless": consentless,
            "failed": failed,
            "signed": signed,
            "referred": referred.case,
            "arbitrating": arbitrating.case,
        },
        "referrals": {"referred": referred, "arbitrating": arbitrating},
        "draft_agreement": draft_agreement,
        "letter": letter,
        "notification": notification,
        "record": record,
        "repair_record": repair_record,
        "application": application,
        "listable": listable,
        "entry": entry,
        "alert": alert,
        "rule": local_rule,
        "reports": _reports(c),
        "groups": _groups(c),
    }


def _groups(c: cf.Cast) -> dict:
    """A group complaint of two of the consumer's cases in its mediation, member 1 its
    representative, and two more cases of the merchant that could be grouped."""
    from groups.services import mediation as group_mediation
    from groups.services import membership as group_membership

    group = group_membership.group_create(
        actor=c.actor("regulator"),
        merchant=c.merchant,
        title="预付卡门店关闭",
        case_ids=[cf.case_in(State.REVIEW, c).pk for _ in range(2)],
    )
    group_membership.group_nominate(group=group, actor=c.actor("consumer"), nominee_number=1)
    group_membership.group_representatives_confirm(
        group=group, actor=c.actor("regulator"), numbers=[1]
    )
    group_mediation.group_mediation_start(
        group=group, actor=c.actor("regulator"), mediator_id=str(c.mediator.pk)
    )
    return {"group": group, "spare": [cf.case_in(State.REVIEW, c) for _ in range(2)]}


def _reports(c: cf.Cast) -> dict:
    """A report the office has yet to decide, and one on which it opened a case."""
    from reports.services.handling import report_decide
    from reports.tests import factories as rf

    opened = rf.named(c.merchant)
    report_decide(report=opened, actor=c.actor("regulator"), decision="open", reasons="立案")
    return {"received": rf.anonymous(c.merchant), "opened": opened}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    """Built once, in a transaction rolled back after the module's last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            EVIDENCE_MAX_BYTES=LIMIT,
            DOCUMENTS_VERIFY_MAX_BYTES=LIMIT,
            ARBITRATION_AWARD_MAX_BYTES=LIMIT,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            NOTIFY_PUBLIC_BASE_URL="",
            MEDIATION_RATE_MESSAGES=100000,
        ),
        transaction.atomic(),
    ):
        c = cf.cast()
        af.profile(c.body)
        yield _build(c)
        transaction.set_rollback(True)


# --- Sending and checking --------------------------------------------------------------


def _user(w: dict, role: str) -> User | None:
    if role == ANYONE:
        return None
    who = w["users"].get(role) or getattr(w["cast"], role)
    return User.objects.get(pk=who.pk)


def _client(w: dict, role: str, language: str | None = None) -> Client:
    client = Client()
    user = _user(w, role)
    if user is not None:
        acf.login(client, user)
    if language:
        client.cookies["django_language"] = language
    return client


def _url(name: str, kwargs: dict) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


def _encode(body: dict) -> dict:
    out = {}
    for name, value in body.items():
        if value is MISSING:
            continue
        if isinstance(value, Upload):
            value = SimpleUploadedFile(value.name, value.content, content_type=value.content_type)
        out[name] = value
    return out


def _post(client: Client, name: str, form: Form, w: dict, body: dict, **headers):
    url = _url(name, form.kwargs(w))
    if form.htmx:
        headers["HX-Request"] = "true"
    if name == "notifications:twilio_status":
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(
            f"http://testserver{url}", {k: v for k, v in body.items() if isinstance(v, str)}
        )
        headers["X-Twilio-Signature"] = signature
    response = client.post(url, _encode(body), headers=headers)
    if response.streaming:  # read to the end: the test client then closes the file
        b"".join(response.streaming_content)
    return response


@dataclass
class Shown:
    """What an answer tells the user went wrong."""

    errors: list[str]  # form errors, refusal messages, error messages after a redirect
    html: str


def _shown(response) -> Shown:
    errors = []
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    errors += [str(m) for m in queued if "error" in m.tags]
    html = ""
    if "text/html" in response.get("Content-Type", "") and response.content:
        html = response.content.decode()
        page = lxml.html.fromstring(html)
        for node in page.xpath(
            '//*[@role="alert" or contains(concat(" ", @class, " "), " error ")'
            ' or contains(concat(" ", @class, " "), " errorlist ")]'
        ):
            text = " ".join(node.text_content().split())
            if text:
                errors.append(text)
    return Shown(errors, html)


def _is_error(response, shown: Shown) -> bool:
    return response.status_code >= 400 or bool(shown.errors)


def check_chinese(response, shown: Shown) -> None:
    assert response.status_code < 500, response.content[:2000]
    for english in ENGLISH_DEFAULTS:
        assert english not in shown.html, f"English default {english!r} under Chinese"
    for error in shown.errors:
        assert CJK.search(error), f"an error not in Chinese: {error!r}"
    if response.status_code >= 400 and shown.html:
        assert 'lang="zh-Hans"' in shown.html
        assert CJK.search(shown.html)


def check_english(response, shown: Shown) -> None:
    assert response.status_code < 500, response.content[:2000]
    for error in shown.errors:
        assert not CJK.search(error.replace("临沂优品", "")), f"an error not in English: {error!r}"
    if response.status_code >= 400 and shown.html:
        assert 'lang="en"' in shown.html


# --- The fuzz --------------------------------------------------------------------------


def _strategy(form: Form, w: dict):
    """Each field hostile or valid: valid values carry the input past the first check."""
    valid = form.valid(w)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from(
                HOSTILE[kind] + ((valid[name],) * 3 if name in valid else (MISSING,))
            )
            for name, kind in form.fields.items()
        }
    )


# Narrow exclusions of bugs this module found, each with its issue: (route, label) -> why.
KNOWN: dict[tuple[str, str], str] = {}


def _marked(cases):
    return [
        pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason=KNOWN[case]))
        if case in KNOWN
        else case
        for case in cases
    ]


@pytest.mark.parametrize(("name", "label"), _marked(CASES), ids=[f"{n}[{lab}]" for n, lab in CASES])
def test_hostile_input_is_refused_in_chinese_and_loses_nothing(world, name, label):
    form = FORMS[name][label]

    @given(body=_strategy(form, world))
    @fuzz_settings(MAX_EXAMPLES)
    def check(body):
        with transaction.atomic():
            before = db_fingerprint()
            response = _post(_client(world, form.role), name, form, world, body)
            shown = _shown(response)
            if form.machine:
                assert response.status_code < 500, response.content[:2000]
            else:
                check_chinese(response, shown)
            if _is_error(response, shown):
                assert db_fingerprint() == before, f"a refused {name} changed what was saved"
            transaction.set_rollback(True)

    check()


def _empty(form: Form) -> dict:
    """Every field sent empty: the form refuses it if any field is required."""
    return dict.fromkeys(form.fields, "")


@pytest.mark.parametrize(
    ("name", "label"), _marked(SPOKEN), ids=[f"{n}[{lab}]" for n, lab in SPOKEN]
)
def test_a_refusal_is_in_the_language_the_user_chose(world, name, label):
    """Chinese by default; English for a visitor with the language cookie, and for a user
    who saved English. Accept-Language alone does not switch a page (odr/middleware.py:
    pages follow the visitor's explicit choice, never the browser)."""
    form = FORMS[name][label]
    body = _empty(form)
    answers = {}
    for key, language, headers in (
        ("zh", None, {}),
        ("browser", None, {"Accept-Language": "en"}),
        ("cookie", "en", {}),
    ):
        with transaction.atomic():
            client = _client(world, form.role, language)
            response = _post(client, name, form, world, body, **headers)
            answers[key] = (response, _shown(response))
            transaction.set_rollback(True)
    check_chinese(*answers["zh"])
    check_chinese(*answers["browser"])
    check_english(*answers["cookie"])
    user = _user(world, form.role)
    if user is not None:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(language="en")
            response = _post(_client(world, form.role), name, form, world, body)
            check_english(response, _shown(response))
            transaction.set_rollback(True)


@pytest.mark.parametrize(("name", "label"), CASES, ids=[f"{n}[{lab}]" for n, lab in CASES])
def test_valid_input_is_accepted(world, name, label):
    """The positive control: each route's valid body gets what a browser expects."""
    form = FORMS[name][label]
    with transaction.atomic():
        before = db_fingerprint()
        response = _post(_client(world, form.role), name, form, world, form.valid(world))
        shown = _shown(response)
        assert response.status_code in form.ok, (response.status_code, shown.errors)
        if form.refused:
            check_chinese(response, shown)
            assert shown.errors
            assert db_fingerprint() == before
        else:
            assert not shown.errors, shown.errors
        transaction.set_rollback(True)


def test_a_failed_upload_keeps_the_draft(world):
    """The wizard's evidence step refuses a renamed executable; the draft and its file stay."""
    form = FORMS["cases:wizard"]["evidence"]
    with transaction.atomic():
        before = db_fingerprint()
        exe = HOSTILE_FILES[1]
        response = _post(
            _client(world, "consumer"),
            "cases:wizard",
            form,
            world,
            {"file": exe, "description": "x"},
        )
        shown = _shown(response)
        assert response.status_code in (400, 415, 422)
        check_chinese(response, shown)
        assert shown.errors
        assert db_fingerprint() == before
        draft = ComplaintDraft.objects.get(pk=world["draft"].pk)
        assert draft.data["facts"] == "网购的苹果收到时已经腐烂。"
        assert list(Evidence.objects.filter(draft=draft)) == [world["draft_file"]]
        transaction.set_rollback(True)
