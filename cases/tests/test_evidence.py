"""Evidence files: checked by content, limited in size and number, stored by hash, served privately."""

import hashlib

import pytest

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, ComplaintDraft, Evidence, State
from cases.services import evidence as evidence_services
from cases.services.intake import case_submit
from cases.tests import factories as cf
from odr.errors import DomainError, TooLarge

pytestmark = pytest.mark.django_db

FILES = {
    "jpeg": ("现场照片.jpg", cf.jpeg_bytes, "image/jpeg", ".jpg"),
    "png": ("截图.png", cf.png_bytes, "image/png", ".png"),
    "pdf": ("发票.pdf", cf.pdf_bytes, "application/pdf", ".pdf"),
    "mp4": ("开箱视频.mp4", cf.mp4_bytes, "video/mp4", ".mp4"),
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(media) -> list[str]:
    if not media.exists():
        return []
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def case(c) -> Case:
    return cf.case_in(State.NEGOTIATION, c)


@pytest.fixture
def draft(c) -> ComplaintDraft:
    return ComplaintDraft.objects.create(consumer=c.consumer, data={"facts": "苹果腐烂", "step": 2})


def _url(case, tail="") -> str:
    return f"/api/v1/cases/{case.reference}/evidence/{tail}"


def _upload(client, case, name, content, content_type="application/octet-stream"):
    return client.post(_url(case), {"file": cf.upload(name, content, content_type)})


def _case_state(case) -> tuple:
    return cf.snapshot(case), list(Evidence.objects.filter(case=case).values_list("pk", "sha256"))


def _draft_state(draft) -> tuple:
    fresh = ComplaintDraft.objects.get(pk=draft.pk)
    return fresh.data, list(Evidence.objects.filter(draft=draft).values_list("pk", "sha256"))


# --- Accepted by content ----------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FILES))
def test_real_files_are_accepted_by_their_content(client, c, case, _media, kind):
    name, make, content_type, extension = FILES[kind]
    content = make()
    sha = hashlib.sha256(content).hexdigest()
    af.login(client, c.consumer)
    response = _upload(client, case, name, content, content_type)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["original_name"], body["size"], body["sha256"]) == (
        kind,
        name,
        len(content),
        sha,
    )
    evidence = Evidence.objects.get(pk=body["id"])
    assert (evidence.case_id, evidence.draft_id, evidence.uploaded_by_id) == (
        case.pk,
        None,
        c.consumer.pk,
    )
    # The stored name is the server's: the content's hash, never the uploader's name.
    assert evidence.file.name == f"evidence/{sha[:2]}/{sha}{extension}"
    assert _stored_files(_media) == [evidence.file.name]
    assert (_media / evidence.file.name).read_bytes() == content
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.actor_id, event.actor_role) == (
        "evidence.added",
        c.consumer.pk,
        "consumer",
    )
    assert event.payload == {
        "evidence": evidence.pk,
        "sha256": sha,
        "kind": kind,
        "size": len(content),
    }


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.jpg", "a/b\\c.jpg", "x" * 300 + ".jpg", "照片 (1).JPG"]
)
def test_a_hostile_name_never_reaches_the_storage(c, case, _media, name):
    content = cf.jpeg_bytes()
    sha = hashlib.sha256(content).hexdigest()
    evidence = evidence_services.evidence_add(
        uploaded_by=c.actor("consumer"), upload=cf.upload(name, content), case=case
    )
    assert evidence.file.name == f"evidence/{sha[:2]}/{sha}.jpg"
    assert _stored_files(_media) == [evidence.file.name]
    assert len(evidence.original_name) <= 255


def test_a_file_can_be_added_to_a_draft_and_moves_with_the_complaint(c, draft):
    png, pdf = cf.png_bytes(), cf.pdf_bytes()
    consumer = c.actor("consumer")
    first = evidence_services.evidence_add(
        uploaded_by=consumer, upload=cf.upload("a.png", png), draft=draft
    )
    second = evidence_services.evidence_add(
        uploaded_by=consumer, upload=cf.upload("b.pdf", pdf), draft=draft
    )
    assert (first.kind, second.kind) == ("png", "pdf")
    assert not CaseEvent.objects.exists()  # a draft has no case log yet
    case = case_submit(consumer=consumer, data=cf.complaint(merchant=c.merchant), draft=draft)
    assert not ComplaintDraft.objects.filter(pk=draft.pk).exists()
    assert sorted(Evidence.objects.filter(case=case).values_list("pk", "draft")) == [
        (first.pk, None),
        (second.pk, None),
    ]
    kinds = cf.event_kinds(case)
    assert kinds[:3] == ["case.submitted", "evidence.added", "evidence.added"]
    added = CaseEvent.objects.filter(case=case, kind="evidence.added").order_by("seq")
    assert [e.payload["sha256"] for e in added] == [first.sha256, second.sha256]


# --- Refused by content -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", cf.elf_bytes()),
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("video.mp4", b"\x00\x00\x00\x18ftypXXXX\x00\x00\x00\x00"),
        ("archive.png", b"PK\x03\x04" + b"\x00" * 64),
        ("photo.jpg", b"\xff\xd8"),
    ],
)
def test_other_content_is_refused_whatever_its_name(client, c, case, _media, name, content):
    before = _case_state(case)
    af.login(client, c.consumer)
    response = _upload(client, case, name, content, "image/jpeg")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_file"
    assert list(error["fields"]) == ["file"]
    assert _case_state(case) == before
    assert _stored_files(_media) == []


def test_an_empty_file_is_refused(client, c, case, _media):
    before = _case_state(case)
    af.login(client, c.consumer)
    response = _upload(client, case, "photo.jpg", b"")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert _case_state(case) == before


def test_a_renamed_executable_is_refused_and_the_draft_survives(c, draft, _media):
    consumer = c.actor("consumer")
    evidence_services.evidence_add(
        uploaded_by=consumer, upload=cf.upload("ok.png", cf.png_bytes()), draft=draft
    )
    before, files = _draft_state(draft), _stored_files(_media)
    with pytest.raises(DomainError) as refused:
        evidence_services.evidence_add(
            uploaded_by=consumer, upload=cf.upload("photo.jpg", cf.elf_bytes()), draft=draft
        )
    assert (refused.value.status, refused.value.code) == (400, "unsupported_file")
    assert _draft_state(draft) == before
    assert _stored_files(_media) == files


# --- Too large ----------------------------------------------------------------------------


def test_an_oversized_file_is_refused_with_413_and_the_case_survives(
    client, settings, c, case, _media
):
    settings.EVIDENCE_MAX_BYTES = 1024
    before = _case_state(case)
    af.login(client, c.consumer)
    response = _upload(client, case, "big.png", cf.png_bytes() + b"\x00" * 1024)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert list(error["fields"]) == ["file"]
    assert _case_state(case) == before
    assert _stored_files(_media) == []
    # Exactly at the limit is accepted.
    exact = cf.png_bytes()
    exact += b"\x00" * (1024 - len(exact))
    assert _upload(client, case, "exact.png", exact).status_code == 201


def test_an_oversized_file_is_refused_and_the_draft_survives(settings, c, draft, _media):
    settings.EVIDENCE_MAX_BYTES = 1024
    before = _draft_state(draft)
    with pytest.raises(TooLarge) as refused:
        evidence_services.evidence_add(
            uploaded_by=c.actor("consumer"),
            upload=cf.upload("big.pdf", cf.pdf_bytes() + b"\x00" * 2048),
            draft=draft,
        )
    assert (refused.value.status, refused.value.code) == (413, "too_large")
    assert _draft_state(draft) == before
    assert _stored_files(_media) == []


def test_the_real_limit_is_20_mb(client, c, case, _media):
    limit = 20 * 1024 * 1024
    before = _case_state(case)
    af.login(client, c.consumer)
    response = _upload(client, case, "huge.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (limit - 3))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert _case_state(case) == before
    assert _stored_files(_media) == []


# --- Too many -----------------------------------------------------------------------------


def test_the_eleventh_file_is_refused_and_the_case_survives(client, c, case, _media):
    consumer = c.actor("consumer")
    for n in range(10):
        evidence_services.evidence_add(
            uploaded_by=consumer, upload=cf.upload(f"{n}.pdf", cf.pdf_bytes() + b"%" * n), case=case
        )
    before, files = _case_state(case), _stored_files(_media)
    assert len(files) == 10
    af.login(client, c.consumer)
    response = _upload(client, case, "11.png", cf.png_bytes())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_many_files"
    assert list(error["fields"]) == ["file"]
    assert _case_state(case) == before
    assert _stored_files(_media) == files


def test_the_eleventh_file_of_a_draft_is_refused_and_the_draft_survives(c, draft, _media):
    consumer = c.actor("consumer")
    for n in range(10):
        evidence_services.evidence_add(
            uploaded_by=consumer,
            upload=cf.upload(f"{n}.png", cf.png_bytes() + bytes([n])),
            draft=draft,
        )
    before = _draft_state(draft)
    with pytest.raises(DomainError) as refused:
        evidence_services.evidence_add(
            uploaded_by=consumer, upload=cf.upload("11.png", cf.png_bytes()), draft=draft
        )
    assert refused.value.code == "too_many_files"
    assert _draft_state(draft) == before
    assert Evidence.objects.filter(draft=draft).count() == 10


# --- Who may upload -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("merchant_staff", 201, None),
        ("regulator", 403, "not_your_action"),
        ("other_consumer", 403, "not_your_case"),
        ("other_merchant_staff", 403, "not_your_case"),
    ],
)
def test_who_may_upload(client, c, case, who, status, code):
    before = _case_state(case)
    af.login(client, getattr(c, who))
    response = _upload(client, case, "a.png", cf.png_bytes())
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code
        assert _case_state(case) == before
    else:
        assert CaseEvent.objects.filter(case=case).last().actor_role == "merchant"


# --- Download ---------------------------------------------------------------------------------


@pytest.fixture
def stored(c, case) -> Evidence:
    return evidence_services.evidence_add(
        uploaded_by=c.actor("consumer"), upload=cf.upload("我的照片.png", cf.png_bytes()), case=case
    )


def _download(client, case, evidence_id):
    response = client.get(_url(case, f"{evidence_id}/file/"))
    # Consuming the stream closes the file (the test client closes the response after it).
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


@pytest.mark.parametrize("who", ["consumer", "merchant_staff", "regulator", "admin"])
def test_download_is_an_attachment_for_those_on_the_case(client, c, case, stored, who):
    af.login(client, getattr(c, who))
    response, content = _download(client, case, stored.pk)
    assert response.status_code == 200
    assert content == cf.png_bytes()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-{stored.pk}.png"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("other_consumer", "not_your_case"),
        ("other_merchant_staff", "not_your_case"),
        ("other_regulator", "not_your_case"),
        ("other_mediator", "not_your_case"),
        (None, "not_authenticated"),
    ],
)
def test_download_is_refused_to_strangers(client, c, case, stored, who, code):
    if who:
        af.login(client, getattr(c, who))
    response, content = _download(client, case, stored.pk)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code
    assert cf.png_bytes() not in content
    listing = client.get(_url(case))
    assert listing.status_code == 403


def test_download_of_a_file_of_another_case_is_404(client, c, case, stored):
    other = cf.case_in(State.NEGOTIATION, c)
    af.login(client, c.consumer)
    for evidence_id in (stored.pk + 1000, stored.pk):
        response, _content = _download(client, other, evidence_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_listing_shows_the_files_of_the_case(client, c, case, stored):
    af.login(client, c.merchant_staff)
    response = client.get(_url(case))
    assert response.status_code == 200
    assert [(e["id"], e["kind"], e["original_name"], e["sha256"]) for e in response.json()] == [
        (stored.pk, "png", "我的照片.png", stored.sha256)
    ]
