"""The referral file: complete, frozen, every file in the manifest, tampering detected."""

import hashlib
import io
import json
import zipfile

import pytest

from arbitration.models import Referral, WebhookDelivery
from arbitration.services import consent
from arbitration.services.referral_file import (
    NotReady,
    events_export_verify,
    referral_file_build,
    referral_file_verify,
)
from arbitration.tests import factories as f
from cases.models import CaseEvent
from cases.services import evidence as evidence_services
from cases.services.events import case_log_verify
from documents.kinds import Kind

pytestmark = pytest.mark.django_db


def _read(referral: Referral) -> bytes:
    with referral.file.open("rb") as handle:
        return handle.read()


def _rezip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def referral(c, django_capture_on_commit_callbacks):
    return f.referred(c, django_capture_on_commit_callbacks)


def test_the_file_holds_everything_and_matches_its_manifest(c, referral):
    assert referral.status == Referral.Status.DELIVERED
    data = _read(referral)
    assert hashlib.sha256(data).hexdigest() == referral.file_sha256
    entries = f.zip_entries(data)
    manifest = json.loads(entries["manifest.json"])
    kinds = sorted(e["kind"] for e in manifest["files"])
    assert kinds == ["arbitration_agreement", "case", "event_log", "referral_letter"]
    for item in manifest["files"]:
        assert hashlib.sha256(entries[item["path"]]).hexdigest() == item["sha256"]
        assert len(entries[item["path"]]) == item["size"]
    assert set(entries) == {e["path"] for e in manifest["files"]} | {
        "manifest.json",
        "manifest.sig.json",
    }
    case_json = json.loads(entries["case.json"])
    assert case_json["parties"]["applicant"]["name"] == "张三"
    assert case_json["parties"]["respondent"]["uscc"] == c.merchant.uscc
    assert case_json["claims"]["request"] == "退款199元。"
    assert case_json["claims"]["facts"] == "网购的苹果收到时已经腐烂。"
    events = json.loads(entries["events.json"])["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events_export_verify(json.loads(entries["events.json"])) is None
    check = referral_file_verify(data, secret=f.SECRET, manifest_sha256=referral.manifest_sha256)
    assert check.ok, check.problems


def test_delivery_is_recorded_in_the_event_log(referral):
    event = CaseEvent.objects.get(case=referral.case, kind="arbitration.referral_delivered")
    assert event.payload["manifest_sha256"] == referral.manifest_sha256
    assert event.payload["file_sha256"] == referral.file_sha256
    assert case_log_verify(case=referral.case).ok


def test_changing_one_byte_of_any_file_is_detected(referral):
    data = _read(referral)
    entries = f.zip_entries(data)
    for path in [p for p in entries if p not in ("manifest.json", "manifest.sig.json")]:
        changed = dict(entries)
        raw = bytearray(changed[path])
        raw[len(raw) // 2] ^= 0x01
        changed[path] = bytes(raw)
        check = referral_file_verify(_rezip(changed), secret=f.SECRET)
        assert not check.ok
        assert check.problems == (f"{path}: SHA-256 does not match the manifest",)


def test_a_changed_manifest_is_detected(referral):
    entries = f.zip_entries(_read(referral))
    manifest = json.loads(entries["manifest.json"])
    manifest["files"][0]["sha256"] = "0" * 64
    entries["manifest.json"] = json.dumps(manifest).encode()
    check = referral_file_verify(
        _rezip(entries), secret=f.SECRET, manifest_sha256=referral.manifest_sha256
    )
    assert not check.ok
    assert "the manifest's HMAC does not verify" in check.problems
    assert "manifest.json does not match the case event log" in check.problems


def test_an_added_file_is_detected(referral):
    entries = f.zip_entries(_read(referral))
    entries["evidence/extra.png"] = b"x"
    check = referral_file_verify(_rezip(entries), secret=f.SECRET)
    assert check.problems == ("evidence/extra.png: not in the manifest",)


def test_the_file_is_built_once(referral, django_capture_on_commit_callbacks):
    before = (referral.file.name, referral.file_sha256)
    again = referral_file_build(referral_id=referral.pk)
    assert (again.file.name, again.file_sha256) == before
    assert CaseEvent.objects.filter(kind="arbitration.referral_delivered").count() == 1


def test_evidence_files_are_included_with_their_source(c, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    evidence_services.evidence_add(
        uploaded_by=c.actor("consumer"),
        upload=f.cf.upload("receipt.png", f.cf.png_bytes()),
        case=case,
    )
    agreement = f.propose(c, case)
    f.sign_directly(agreement, "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    f.issue_stand_in(case=case, kind=Kind.ARBITRATION_REFERRAL, event=referral.event)
    f.issue_stand_in(
        case=case,
        kind=Kind.MEDIATION_TRANSCRIPT,
        event=CaseEvent.objects.get(case=case, kind="transition.terminate"),
    )
    with django_capture_on_commit_callbacks(execute=False):
        referral = referral_file_build(referral_id=referral.pk)
    entries = f.zip_entries(_read(referral))
    listed = json.loads(entries["case.json"])["evidence"]
    assert len(listed) == 1
    assert listed[0]["source"] == "consumer"
    assert listed[0]["name"] == "receipt.png"
    assert entries[listed[0]["path"]] == f.cf.png_bytes()
    kinds = {e["kind"] for e in json.loads(entries["manifest.json"])["files"]}
    assert {"evidence", "mediation_transcript"} <= kinds


def test_the_file_waits_for_the_signed_letter(c, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    with pytest.raises(NotReady):
        referral_file_build(referral_id=referral.pk)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PREPARING
    assert referral.build_error == "the referral letter is not issued yet"
    assert not referral.file
    assert not WebhookDelivery.objects.exists()


def test_the_acceptance_clock_restarts_on_a_later_delivery(c, django_capture_on_commit_callbacks):
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    case = f.failed_case(c)
    f.sign_directly(f.propose(c, case), "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    first = case.deadlines.get(clock="arbitration_acceptance", status="running")
    f.issue_stand_in(case=case, kind=Kind.ARBITRATION_REFERRAL, event=referral.event)
    later = timezone.now() + dt.timedelta(days=3)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        django_capture_on_commit_callbacks(execute=False),
    ):
        referral_file_build(referral_id=referral.pk)
    first.refresh_from_db()
    assert first.status == "cancelled"
    running = case.deadlines.get(clock="arbitration_acceptance", status="running")
    assert running.started_at == later
    assert running.due_on > first.due_on


def test_something_that_is_not_a_referral_file_fails_the_check():
    check = referral_file_verify(b"not a zip")
    assert not check.ok
    assert check.problems[0].startswith("unreadable")
    assert not referral_file_verify(_rezip({"a.txt": b"x"})).ok


def test_events_about_a_private_caucus_are_withheld(c, django_capture_on_commit_callbacks):
    from django.db import transaction

    from cases.services.events import event_append

    case = f.failed_case(c)
    with transaction.atomic():
        caucus = event_append(case=case, kind="message.posted", payload={"room": "caucus:consumer"})
        event_append(case=case, kind="message.posted", payload={"room": "joint"})
    referral = f.refer_and_build(c, case, django_capture_on_commit_callbacks)
    data = json.loads(f.zip_entries(_read(referral))["events.json"])
    events = data["events"]
    rooms = [e["payload"].get("room") for e in events if e.get("kind") == "message.posted"]
    assert rooms == ["joint"]
    assert events[caucus.seq - 1] == {
        "seq": caucus.seq,
        "withheld": True,
        "reason": "private_caucus",
        "prev_hash": caucus.prev_hash,
        "hash": caucus.hash,
    }
    assert events_export_verify(data) is None
