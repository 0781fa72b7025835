"""The periodic sweep: documents stuck in preparation, agreements confirmed but not signed,
and case events whose documents were never prepared (the after-commit handler did not
run, the broker was down, or no signing key was configured at the time)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cases.models import CaseEvent
from documents.kinds import TRIGGERS
from documents.models import Document
from documents.services.confirm import confirmations_complete
from documents.services.issue import document_prepare
from documents.services.pki import signing_configured

logger = logging.getLogger(__name__)

BATCH = 200


def documents_sweep(*, now=None) -> dict:
    from documents.tasks import enqueue_render, enqueue_sign

    if not signing_configured():
        return {"skipped": "no signing key"}
    now = now or timezone.now()
    stale = now - timedelta(seconds=max(2 * settings.DOCUMENTS_RENDER_TIME_LIMIT, 300))
    report = {"requeued": 0, "signed": 0, "caught_up": 0}

    for document in Document.objects.filter(
        status=Document.Status.PREPARING, updated_at__lt=stale
    ).order_by("updated_at")[:BATCH]:
        Document.objects.filter(pk=document.pk).update(updated_at=now)
        enqueue_render(document.pk)
        report["requeued"] += 1

    for document in Document.objects.filter(
        status=Document.Status.AWAITING_CONFIRMATION, updated_at__lt=stale
    ).select_related("case")[:BATCH]:
        if confirmations_complete(document) is not None:
            Document.objects.filter(pk=document.pk).update(updated_at=now)
            enqueue_sign(document.pk)
            report["signed"] += 1

    since = now - timedelta(days=settings.DOCUMENTS_CATCH_UP_DAYS)
    events = list(
        CaseEvent.objects.filter(kind__in=list(TRIGGERS), created_at__gte=since)
        .select_related("case")
        .order_by("id")[: BATCH * 5]
    )
    done = set(
        Document.objects.filter(source_event__in=events).values_list("source_event_id", "kind")
    )
    for event in events:
        for kind in TRIGGERS[event.kind]:
            if (event.pk, kind) in done:
                continue
            document, created = document_prepare(event=event, kind=kind)
            if created:
                enqueue_render(document.pk)
                report["caught_up"] += 1
    if any(report.values()):
        logger.info("documents: sweep %s", report)
    return report
