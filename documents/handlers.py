"""How documents react to case events (registered in apps.py through odr/events.py).

After a transition that issues documents commits, the register rows are made and the
rendering queued. Without a signing key nothing is made: one warning per event says so,
and the sweep catches up once a key is configured. This also keeps the other apps' tests
fast: they run without a key, so no PDF is rendered behind their transitions.
"""

import logging

from documents.kinds import TRIGGERS
from documents.services.issue import document_prepare
from documents.services.pki import signing_configured

logger = logging.getLogger(__name__)


def issue_documents(event) -> None:
    """After commit: prepare and queue the documents `event` calls for."""
    kinds = TRIGGERS.get(event.kind, ())
    if not kinds:
        return
    if not signing_configured():
        logger.warning(
            "documents: no signing key is configured (DOCUMENTS_SIGNING_PKCS12, or "
            "DOCUMENTS_SIGNING_KEY and DOCUMENTS_SIGNING_CERT), so %s for case %s were not "
            "issued; `python manage.py odr_dev_pki` makes a development key, and the sweep "
            "issues them once a key is set",
            ", ".join(kinds),
            event.case.reference,
        )
        return
    from documents.tasks import enqueue_render

    for kind in kinds:
        try:
            document, _created = document_prepare(event=event, kind=kind)
        except Exception:  # never fail the transition that already committed
            logger.exception("documents: could not prepare %s for event %s", kind, event.pk)
            continue
        enqueue_render(document.pk)
