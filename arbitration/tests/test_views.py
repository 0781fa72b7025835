"""The staff portal, the parties' arbitration page and the deliveries page."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from arbitration.models import Agreement, Award, Referral
from arbitration.tests import factories as f
from cases.models import Case, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(c, django_capture_on_commit_callbacks):
    mine = f.referred(c, django_capture_on_commit_callbacks)
    theirs = f.referred(c, django_capture_on_commit_callbacks, body=c.other_body)
    return mine, theirs


def test_portal_lists_only_the_bodys_referrals(two, c, client):
    mine, theirs = two
    f.cf.af.login(client, c.arbitration_staff)
    page = client.get("/arbitration/").content.decode()
    assert mine.case.reference in page
    assert theirs.case.reference not in page


def test_portal_refuses_others(c, client):
    f.cf.af.login(client, c.consumer)
    assert client.get("/arbitration/").status_code == 403


@pytest.mark.parametrize(
    "suffix", ["", "file/", "acknowledge/", "accept/", "decline/", "info/", "settle/", "award/"]
)
def test_staff_of_body_a_cannot_reach_body_bs_referral_pages(two, c, client, suffix):
    _mine, theirs = two
    f.cf.af.login(client, c.arbitration_staff)
    url = f"/arbitration/referrals/{theirs.case.reference}/{suffix}"
    response = client.post(url, {"reason": "x"}) if suffix not in ("", "file/") else client.get(url)
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == Referral.Status.DELIVERED


def test_staff_accept_and_record_the_award_through_the_portal(two, c, client):
    mine, _theirs = two
    f.cf.af.login(client, c.arbitration_staff)
    url = f"/arbitration/referrals/{mine.case.reference}/"
    assert client.get(url).status_code == 200
    download = client.get(url + "file/")
    assert download.status_code == 200
    with mine.file.open("rb") as handle:
        assert b"".join(download.streaming_content) == handle.read()
    client.post(url + "acknowledge/")
    client.post(url + "accept/")
    assert Case.objects.get(pk=mine.case_id).state == State.ARBITRATING
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    bad = client.post(url + "award/", {"obligations": "退款", "due_on": due})
    assert bad.status_code == 400
    response = client.post(
        url + "award/",
        {
            "file": SimpleUploadedFile("a.pdf", f.pdf_bytes("award"), "application/pdf"),
            "obligations": "被申请人退款199元",
            "amount": "199",
            "due_on": due,
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=mine.case_id).state == State.AWARDED
    assert Award.objects.filter(referral=mine).exists()
    # The consumer sees it.
    f.cf.af.login(client, c.consumer)
    page = client.get(f"/arbitration/cases/{mine.case.reference}/").content.decode()
    assert "被申请人退款199元" in page
    pdf = client.get(f"/arbitration/cases/{mine.case.reference}/award/")
    assert b"".join(pdf.streaming_content) == f.pdf_bytes("award")


def test_a_too_early_award_shows_on_the_form(two, c, client):
    mine, _ = two
    f.cf.af.login(client, c.arbitration_staff)
    response = client.post(
        f"/arbitration/referrals/{mine.case.reference}/award/",
        {
            "file": SimpleUploadedFile("a.pdf", f.pdf_bytes("award"), "application/pdf"),
            "obligations": "x",
            "due_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 409
    assert not Award.objects.exists()


def test_decline_through_the_portal(two, c, client):
    mine, _ = two
    f.cf.af.login(client, c.arbitration_staff)
    url = f"/arbitration/referrals/{mine.case.reference}/decline/"
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "不属于本会受理范围"}).status_code == 302
    assert Case.objects.get(pk=mine.case_id).state == State.MEDIATION_FAILED


def test_unknown_portal_action_is_404(two, c, client):
    mine, _ = two
    f.cf.af.login(client, c.arbitration_staff)
    assert client.post(f"/arbitration/referrals/{mine.case.reference}/nope/").status_code == 404


def test_parties_propose_and_refer_on_the_case_page(c, client, django_capture_on_commit_callbacks):
    case = f.failed_case(c)
    f.cf.af.login(client, c.consumer)
    url = f"/arbitration/cases/{case.reference}/"
    assert client.get(url).status_code == 200
    assert client.post(url + "agreement/", {"body": "999999"}).status_code == 400
    assert client.post(url + "agreement/", {"body": str(c.body.pk)}).status_code == 302
    agreement = Agreement.objects.get(case=case)
    response = client.post(url + "referral/", follow=True)
    assert "签署" in response.content.decode() or "sign" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.MEDIATION_FAILED
    f.sign_directly(agreement, "consumer", "merchant", c=c)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url + "referral/").status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.REFERRED


def test_strangers_cannot_see_a_cases_arbitration_page(c, client):
    case = f.failed_case(c)
    f.cf.af.login(client, c.other_consumer)
    assert client.get(f"/arbitration/cases/{case.reference}/").status_code == 403
    assert (
        client.post(
            f"/arbitration/cases/{case.reference}/agreement/", {"body": c.body.pk}
        ).status_code
        == 403
    )


def test_deliveries_page_shows_every_attempt_to_regulators(
    c, client, django_capture_on_commit_callbacks
):
    f.profile(c.body, webhook_url="http://127.0.0.1:9/hook")
    referral = f.referred(c, django_capture_on_commit_callbacks)
    f.cf.af.login(client, c.regulator)
    page = client.get("/arbitration/deliveries/").content.decode()
    assert referral.case.reference in page
    assert "ConnectionError" in page
    f.cf.af.login(client, c.other_regulator)
    page = client.get("/arbitration/deliveries/").content.decode()
    assert referral.case.reference not in page


def test_parties_see_the_bodys_request_for_information(
    c, client, django_capture_on_commit_callbacks
):
    from arbitration.services import actions

    referral = f.referred(c, django_capture_on_commit_callbacks)
    actions.referral_request_info(
        referral=referral, actor=c.actor("arbitration_staff"), message="请补充购物凭证"
    )
    f.cf.af.login(client, c.merchant_staff)
    page = client.get(f"/arbitration/cases/{referral.case.reference}/").content.decode()
    assert "请补充购物凭证" in page


def test_who_is_asked_to_sign_and_who_may_refer(c, client):
    """The parties are asked to sign until their side has; the mediator only reads. The
    consumer and the mediator refer; the merchant is told so, with no button to refuse."""
    from arbitration.services import consent
    from documents.kinds import Kind

    case = f.failed_case(c)
    agreement = f.propose(c, case)
    if consent.agreement_document(agreement) is None:
        f.issue_stand_in(
            case=case, kind=Kind.ARBITRATION_AGREEMENT, event=agreement.event, draft=True
        )
    url = f"/arbitration/cases/{case.reference}/"

    def page(user) -> str:
        client.logout()
        f.cf.af.login(client, user)
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    consumer, merchant, mediator = page(c.consumer), page(c.merchant_staff), page(c.mediator)
    assert "阅读并签署协议" in consumer and "阅读并签署协议" in merchant
    assert "阅读并签署协议" not in mediator and "阅读协议" in mediator
    # Nobody may refer before both have signed: no button, and the line says why.
    for text in (consumer, merchant, mediator):
        assert 'data-action="refer"' not in text and 'id="refer-by"' in text
    f.sign_directly(agreement, "consumer", c=c)
    assert "阅读并签署协议" not in page(c.consumer)
    assert "阅读并签署协议" in page(c.merchant_staff)
    assert 'data-action="refer"' not in page(c.consumer)
    # Both signed: the consumer and the mediator now have the button; the merchant does not.
    f.sign_directly(agreement, "merchant", c=c)
    consumer, merchant, mediator = page(c.consumer), page(c.merchant_staff), page(c.mediator)
    assert 'data-action="refer"' in consumer and 'data-action="refer"' in mediator
    assert 'data-action="refer"' not in merchant and 'id="refer-by"' in merchant
