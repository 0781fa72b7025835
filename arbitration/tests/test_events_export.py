"""events.json: the whole hash chain, checkable by the body from the file alone, with
what was said in a private caucus withheld (cases/rooms.py)."""

import json
import uuid

import pytest
from django.db import transaction

from arbitration.services.referral_file import (
    CANONICAL_FIELDS,
    WITHHELD_FIELDS,
    events_export_hash,
    events_export_verify,
)
from arbitration.tests import factories as f
from cases.models import GENESIS_HASH, CaseEvent, CaseRole, State
from cases.services.events import event_append
from cases.tests import factories as cf
from mediation.services import chat, tools

pytestmark = pytest.mark.django_db

JOINT_TEXT = "大家好，我们先看看证据"
MERCHANT_CAUCUS_TEXT = "商家底价100元，别告诉消费者"
CONSUMER_CAUCUS_TEXT = "消费者私下说：其实换货也可以"


@pytest.fixture(autouse=True)
def _own_rate_counts(monkeypatch):
    """The mediation rate limit counts per user id in the shared Redis; ids repeat between
    tests, so each test counts apart (as mediation/tests/conftest.py does)."""
    prefix = uuid.uuid4().hex[:12]
    key = chat._rate_key
    monkeypatch.setattr(chat, "_rate_key", lambda user_id: f"{prefix}:{key(user_id)}")


def _caucus_event(case, c, *, room: str, seq: int, text: str) -> CaseEvent:
    """An event about a caucus message. No service appends one today; one that did, even
    with the text in its payload, must not carry it to the body."""
    party = room.split(":", 1)[1]
    assert party in (CaseRole.CONSUMER, CaseRole.MERCHANT)
    with transaction.atomic():
        return event_append(
            case=case,
            kind="message.posted",
            actor=c.actor("consumer" if party == "consumer" else "merchant_staff"),
            actor_role=party,
            payload={"room": room, "seq": seq, "body": text},
        )


@pytest.fixture
def mediated(c, django_capture_on_commit_callbacks):
    """A case mediated in the joint room and both caucuses, failed, referred with both
    signatures, its file built. Returns (referral, the caucus events)."""
    case = cf.case_in(State.MEDIATION, c)
    mediator = c.actor("mediator")
    chat.message_send(case=case, actor=c.actor("consumer"), room="joint", body=JOINT_TEXT)
    tools.party_to_caucus(case=case, actor=mediator, party="merchant")
    said = chat.message_send(
        case=case,
        actor=c.actor("merchant_staff"),
        room="caucus:merchant",
        body=MERCHANT_CAUCUS_TEXT,
    ).message
    merchant_event = _caucus_event(
        case, c, room="caucus:merchant", seq=said.seq, text=MERCHANT_CAUCUS_TEXT
    )
    tools.party_to_joint(case=case, actor=mediator, party="merchant")
    said = chat.message_send(
        case=case, actor=c.actor("consumer"), room="caucus:consumer", body=CONSUMER_CAUCUS_TEXT
    ).message
    consumer_event = _caucus_event(
        case, c, room="caucus:consumer", seq=said.seq, text=CONSUMER_CAUCUS_TEXT
    )
    chat.message_send(case=case, actor=mediator, room="joint", body="调解到此为止")
    case = tools.mediation_terminate(
        case=case, actor=mediator, ground="agreement_impossible", reason="双方分歧太大"
    )
    assert case.state == State.MEDIATION_FAILED
    referral = f.refer_and_build(c, case, django_capture_on_commit_callbacks)
    return referral, [merchant_event, consumer_event]


def _entries(referral) -> dict[str, bytes]:
    with referral.file.open("rb") as handle:
        return f.zip_entries(handle.read())


def _events(referral) -> dict:
    return json.loads(_entries(referral)["events.json"])


def test_the_exported_chain_verifies_end_to_end(mediated):
    referral, caucus = mediated
    entries = _entries(referral)
    data = json.loads(entries["events.json"])
    anchor = json.loads(entries["manifest.json"])["referral_event"]
    assert events_export_verify(data, anchor=anchor) is None
    assert data["format"] == "odr12315-events/1"
    assert data["case"] == referral.case.reference
    assert data["genesis_hash"] == GENESIS_HASH
    # Every event up to the file's build, in seq order, none left out: the delivery event
    # is appended after the file is frozen.
    delivered = CaseEvent.objects.get(case=referral.case, kind="arbitration.referral_delivered")
    stored = list(CaseEvent.objects.filter(case=referral.case, seq__lt=delivered.seq))
    assert delivered.seq == len(stored) + 1
    assert [(e["seq"], e["hash"]) for e in data["events"]] == [(e.seq, e.hash) for e in stored]
    withheld = [e for e in data["events"] if e.get("withheld")]
    assert [e["seq"] for e in withheld] == [e.seq for e in caucus]
    for entry in withheld:
        assert tuple(entry) == tuple(sorted(WITHHELD_FIELDS))
        assert entry["reason"] == "private_caucus"
    for entry, event in zip(data["events"], stored, strict=True):
        if entry.get("withheld"):
            continue
        assert tuple(entry) == tuple(sorted((*CANONICAL_FIELDS, "hash")))
        assert entry["actor"] == event.actor_id
        assert entry["visibility"] == event.visibility
        assert (
            events_export_hash(entry)
            == event.hash
            == event.compute_hash(reference=referral.case.reference)
        )
    # That a private conversation took place is known to both sides; it stays in.
    kinds = [e.get("kind") for e in data["events"]]
    assert {"mediation.caucus_started", "mediation.caucus_ended"} <= set(kinds)


def test_nothing_said_in_a_caucus_reaches_the_body(mediated):
    referral, _caucus = mediated
    with referral.file.open("rb") as handle:
        archive = handle.read()
    entries = f.zip_entries(archive)
    secrets = [MERCHANT_CAUCUS_TEXT, CONSUMER_CAUCUS_TEXT, "caucus:merchant", "caucus:consumer"]
    for path, data in {**entries, "(the ZIP itself)": archive}.items():
        for secret in secrets:
            assert secret.encode() not in data, (path, secret)
            assert json.dumps(secret)[1:-1].encode() not in data, (path, secret)


def test_a_changed_payload_value_is_found_at_its_seq(mediated):
    referral, _caucus = mediated
    data = _events(referral)
    entry = next(e for e in data["events"] if not e.get("withheld") and e["payload"])
    key = sorted(entry["payload"])[0]
    entry["payload"][key] = f"{entry['payload'][key]}!"
    assert events_export_verify(data) == f"seq {entry['seq']}: hash does not match its content"


def test_a_changed_actor_is_found_at_its_seq(mediated):
    referral, _caucus = mediated
    data = _events(referral)
    entry = next(e for e in data["events"] if e.get("actor") is not None)
    entry["actor"] += 1
    assert events_export_verify(data) == f"seq {entry['seq']}: hash does not match its content"


def test_a_changed_withheld_hash_is_found_at_the_next_link(mediated):
    referral, caucus = mediated
    data = _events(referral)
    entry = data["events"][caucus[0].seq - 1]
    assert entry["withheld"] is True
    entry["hash"] = "f" * 64
    assert events_export_verify(data) == (
        f"seq {caucus[0].seq + 1}: prev_hash does not match the hash before it"
    )


def test_a_dropped_entry_is_found(mediated):
    referral, caucus = mediated
    data = _events(referral)
    del data["events"][caucus[1].seq - 1]
    assert events_export_verify(data) == f"seq {caucus[1].seq}: missing"


def test_a_withheld_entry_cannot_pass_for_one_with_content(mediated):
    referral, caucus = mediated
    data = _events(referral)
    entry = data["events"][caucus[0].seq - 1]
    entry["withheld"] = False
    assert events_export_verify(data) == f"seq {caucus[0].seq}: missing field case"


def test_the_chain_starts_at_the_genesis_hash(mediated):
    referral, _caucus = mediated
    data = _events(referral)
    data["genesis_hash"] = "1" * 64
    assert events_export_verify(data) == "genesis_hash is not the platform's (64 zeros)"
    data = _events(referral)
    data["events"][0]["prev_hash"] = "1" * 64
    assert events_export_verify(data) == "seq 1: prev_hash does not match the hash before it"


def test_the_manifest_anchor_must_be_in_the_chain(mediated):
    referral, _caucus = mediated
    data = _events(referral)
    seq = referral.event.seq
    assert events_export_verify(data, anchor={"seq": seq, "hash": referral.event.hash}) is None
    assert (
        events_export_verify(data, anchor={"seq": seq, "hash": "0" * 64})
        == f"seq {seq}: hash is not the one the manifest names"
    )
    assert (
        events_export_verify(data, anchor={"seq": 10_000, "hash": referral.event.hash})
        == "seq 10000: the event the manifest names is not in the log"
    )


def test_a_room_the_body_does_not_know_is_withheld(c, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    with transaction.atomic():
        unknown = event_append(case=case, kind="message.posted", payload={"room": "lobby"})
        negotiation = event_append(
            case=case, kind="message.posted", payload={"room": "negotiation", "seq": 1}
        )
    referral = f.refer_and_build(c, case, django_capture_on_commit_callbacks)
    data = _events(referral)
    assert events_export_verify(data) is None
    by_seq = {e["seq"]: e for e in data["events"]}
    assert by_seq[unknown.seq]["reason"] == "private_room"
    assert by_seq[negotiation.seq]["payload"] == {"room": "negotiation", "seq": 1}


@pytest.mark.parametrize(
    "data",
    [[], {"events": {}}, {"format": "odr12315-events/1", "events": []}, {"events": [], "x": 1}],
)
def test_something_that_is_not_an_event_log_is_refused(data):
    assert events_export_verify(data) is not None


def _documented_check():
    """The receiver code docs/arbitration.md gives the bodies, run as they would run it."""
    import re
    from pathlib import Path

    from django.conf import settings

    doc = (Path(settings.BASE_DIR) / "docs" / "arbitration.md").read_text()
    code = next(
        block
        for block in re.findall(r"```python\n(.*?)```", doc, flags=re.S)
        if "def check_events" in block
    )
    namespace: dict = {}
    exec(compile(code, "docs/arbitration.md", "exec"), namespace)  # noqa: S102 -- our own docs
    return namespace["check_events"]


def test_the_receiver_code_in_the_docs_agrees(mediated):
    referral, caucus = mediated
    check_events = _documented_check()
    entries = _entries(referral)
    anchor = json.loads(entries["manifest.json"])["referral_event"]
    assert check_events(json.loads(entries["events.json"]), anchor) is None
    changed = json.loads(entries["events.json"])
    entry = next(e for e in changed["events"] if not e.get("withheld") and e["payload"])
    entry["payload"]["extra"] = 1
    assert check_events(changed, anchor) == f"seq {entry['seq']}: hash does not match its content"
    changed = json.loads(entries["events.json"])
    changed["events"][caucus[0].seq - 1]["hash"] = "f" * 64
    assert check_events(changed, anchor) == (
        f"seq {caucus[0].seq + 1}: prev_hash does not match the hash before it"
    )


def test_the_verifier_refuses_odd_input_with_a_reason():
    from arbitration.services.referral_file import EVENTS_FORMAT, events_export_verify
    from cases.models import GENESIS_HASH

    log = {"format": EVENTS_FORMAT, "case": "LY-2026-000001", "genesis_hash": GENESIS_HASH}
    entry = {"seq": True, "withheld": True, "reason": "x", "prev_hash": GENESIS_HASH}
    assert events_export_verify({**log, "events": [{**entry, "hash": "0"}]}) == "seq 1: missing"
    assert events_export_verify({**log, "events": []}, anchor=[1, "h"]) == (
        "the manifest's referral_event is not an object"
    )
