"""Whether the public sees a case's records as entries of their own: the consumer's answer.

The registration asks the consumer whether the complaint's information may be published
(``Case.agrees_to_publication``). A record copies the answer when it is written
(``credit.services.records``); when the consumer changes it (the ``case.consent_changed``
event, which the consumer may cause until the regulator decides on acceptance), the
in-transaction handler here sets it on every record of the case, in the event's
transaction, so that no reader ever sees the new answer on the case and the old one on
its records. The figures and the index count every record whatever the answer: only the
entries are withheld (docs/credit.md, "Publication").

Pushes follow the answer too: a push not yet sent when the answer becomes "no" is given up
when its turn comes (``credit.services.export``), and one given up for that reason is due
again once the answer is "yes" (the after-commit handler queues it).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from cases.models import CaseEvent
from credit.models import CreditOutbox, CreditRecord

EVENT_KIND = "case.consent_changed"
QUESTION = "publication"
# What a push given up because the record is not public says (and how it is found again).
NOT_PUBLISHED = "not published: the consumer did not agree to publication"


def _answer(event: CaseEvent) -> bool | None:
    """The new answer to the publication question, or None when the event is about the
    other question. The case's boolean is set before the event is appended; the payload
    says the same and is what the event recorded."""
    payload = event.payload or {}
    if payload.get("question") != QUESTION:
        return None
    answer = payload.get("answer")
    if isinstance(answer, bool):
        return answer
    return bool(event.case.agrees_to_publication)


def credit_publication_changed(event: CaseEvent) -> None:
    """In-transaction handler: the case's records follow the consumer's new answer."""
    answer = _answer(event)
    if answer is None:
        return
    CreditRecord.objects.filter(case_id=event.case_id).exclude(published=answer).update(
        published=answer
    )
    if answer and settings.CREDIT_EXPORT_PUSH_URL:
        CreditOutbox.objects.filter(
            record__case_id=event.case_id, sent_at__isnull=True, last_error=NOT_PUBLISHED
        ).update(gave_up_at=None, next_attempt_at=timezone.now(), last_error="")


def credit_publication_after_commit(event: CaseEvent) -> None:
    """After-commit handler: push the records that have just become public."""
    from credit import tasks

    if _answer(event) is not True or not settings.CREDIT_EXPORT_PUSH_URL:
        return
    due = CreditOutbox.objects.filter(
        record__case_id=event.case_id,
        record__published=True,
        sent_at__isnull=True,
        gave_up_at__isnull=True,
    ).values_list("id", flat=True)
    for outbox_id in due:
        tasks.enqueue(tasks.push_record, outbox_id)
