"""ODR 12315 project: settings, ASGI entry point, Celery app and the shared kernel."""

from odr.celery import app as celery_app

__all__ = ["celery_app"]
