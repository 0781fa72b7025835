from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications.services.recording import (
            EVENT_KINDS,
            notifications_enqueue_for_event,
            notifications_record_for_event,
        )
        from odr import events

        # The notices are written with the event, in its transaction; sending starts
        # only once that transaction has committed.
        events.register(*EVENT_KINDS, phase="in_transaction", name="notifications.record")(
            notifications_record_for_event
        )
        events.register(*EVENT_KINDS, phase="after_commit", name="notifications.enqueue")(
            notifications_enqueue_for_event
        )
