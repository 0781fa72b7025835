"""Reads for documents. A case's documents are reached through ``cases.selectors.access_case``
first; public verification goes through services/verify.py and shows masked data only."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Case
from documents.models import ConfirmationCode, Document
from documents.services.confirm import party_of, required_parties
from documents.services.issue import document_successor
from odr.errors import NotFound
from odr.next_steps import AskedStep


def case_documents(*, case: Case) -> QuerySet[Document]:
    return (
        Document.objects.filter(case=case)
        .select_related("case", "supersedes")
        .order_by("created_at", "id")
    )


def successor(document: Document) -> Document | None:
    """The newest corrected version of this one, if any."""
    return document_successor(document)


def case_document(*, case: Case, number: str) -> Document:
    document = case_documents(case=case).filter(number=(number or "").strip().upper()).first()
    if document is None:
        raise NotFound(_("There is no document %(number)s in this case.") % {"number": number})
    return document


@dataclass
class DocumentRow:
    """A document as a party or staff member sees it on the case page and in the API."""

    document: Document
    confirmed: dict[str, object] = field(default_factory=dict)  # party -> confirmed_at
    my_party: str | None = None
    awaiting_my_confirmation: bool = False
    signing: bool = False  # both confirmed, signature on its way

    @property
    def downloadable(self) -> bool:
        return bool(self.document.sha256) or (
            self.document.status == Document.Status.AWAITING_CONFIRMATION
            and bool(self.document.draft_file)
        )

    @property
    def in_progress(self) -> bool:
        return self.document.status == Document.Status.PREPARING or self.signing


def document_rows(*, case: Case, user) -> list[DocumentRow]:
    documents = list(case_documents(case=case))
    confirmed = {}
    for code in ConfirmationCode.objects.filter(
        document__in=[d for d in documents if d.needs_confirmation], confirmed_at__isnull=False
    ):
        confirmed.setdefault(code.document_id, {})[code.party] = code.confirmed_at
    my_party = party_of(case, user)
    needed = required_parties(case)
    rows = []
    for document in documents:
        done = confirmed.get(document.pk, {})
        awaiting = document.status == Document.Status.AWAITING_CONFIRMATION
        rows.append(
            DocumentRow(
                document=document,
                confirmed=done,
                my_party=my_party,
                awaiting_my_confirmation=awaiting and my_party is not None and my_party not in done,
                signing=awaiting and set(done) >= needed,
            )
        )
    return rows


def document_file(*, document: Document):
    """The file a party downloads: the signed PDF, or the draft while it awaits confirmation."""
    if document.sha256 and document.file:
        return document.file
    if document.status == Document.Status.AWAITING_CONFIRMATION and document.draft_file:
        return document.draft_file
    raise NotFound(_("This document has no file yet."), code="no_file")


def document_by_number(*, number: str) -> Document:
    document = (
        Document.objects.select_related("case")
        .filter(number=(number or "").strip().upper())
        .first()
    )
    if document is None:
        raise NotFound(_("We have no document with this number."))
    return document


def confirmation_asked(case: Case, user) -> AskedStep | None:
    """The case page's next step when an agreement waits for this reader's confirmation
    (registered with odr.next_steps): read it and confirm it with an SMS code."""
    party = party_of(case, user)
    if party is None:
        return None
    mine = ConfirmationCode.objects.filter(
        document=OuterRef("pk"),
        party=party,
        confirmed_at__isnull=False,
        content_sha256=OuterRef("content_sha256"),
    )
    waiting = (
        Document.objects.filter(case=case, status=Document.Status.AWAITING_CONFIRMATION)
        .exclude(Exists(mine))
        .order_by("created_at", "id")
        .first()
    )
    if waiting is None:
        return None
    return AskedStep(
        text=_(
            "Read the agreement and confirm it with the code we send to your phone. It "
            "takes effect when both sides have confirmed."
        ),
        label=_("Read and confirm the agreement"),
        href=reverse("documents:confirm", kwargs={"number": waiting.number}),
        clock="performance",
    )
