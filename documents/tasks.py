"""Celery tasks for documents: render (and sign), sign after confirmation, and the sweep.

Tasks take primary keys and call one service each; the services are idempotent (a
document past the step is left alone), so a retried or duplicated task never makes a
second document. Only errors that can pass are retried: database lock timeouts and an
unreachable time-stamp authority.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from documents.errors import TransientSigningError

logger = logging.getLogger(__name__)

_RETRY = {
    "autoretry_for": (OperationalError, TransientSigningError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(name="documents.render", **_RETRY)
def render_document(document_id: int) -> str:
    from documents.services.issue import document_render

    return document_render(document_id=document_id).status


@shared_task(name="documents.sign", **_RETRY)
def sign_document(document_id: int) -> str:
    from documents.services.issue import document_sign_final

    return document_sign_final(document_id=document_id).status


@shared_task(name="documents.sweep", autoretry_for=(OperationalError,), max_retries=3)
def sweep() -> dict:
    from documents.services.sweep import documents_sweep

    return documents_sweep()


def _limits() -> dict:
    return {
        "soft_time_limit": settings.DOCUMENTS_RENDER_SOFT_TIME_LIMIT,
        "time_limit": settings.DOCUMENTS_RENDER_TIME_LIMIT,
    }


def enqueue_render(document_id: int) -> None:
    """Queue the rendering of a document. Never raises: with eager Celery the task runs
    here, inside an after-commit callback of someone else's request, and a broker that is
    down must not fail the transition that asked for the document. The sweep retries."""
    try:
        render_document.apply_async(args=[document_id], **_limits())
    except Exception:
        logger.exception("documents: rendering document %s failed or was not queued", document_id)


def enqueue_sign(document_id: int) -> None:
    try:
        sign_document.apply_async(args=[document_id], **_limits())
    except Exception:
        logger.exception("documents: signing document %s failed or was not queued", document_id)
