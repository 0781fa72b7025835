from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit files")

    def ready(self) -> None:
        from credit.services import publication
        from credit.services.records import (
            EVENT_KINDS,
            credit_after_commit,
            credit_records_for_event,
        )
        from odr import events

        # Records are written with the event, in its transaction (exactly once, keyed by
        # the event); pushing them out and refreshing the index wait for the commit.
        events.register(*EVENT_KINDS, phase="in_transaction", name="credit.records")(
            credit_records_for_event
        )
        events.register(*EVENT_KINDS, phase="after_commit", name="credit.after_commit")(
            credit_after_commit
        )
        # The consumer's answer to the publication question changed: the case's records
        # follow it in the same transaction (who sees them as entries of their own).
        events.register(publication.EVENT_KIND, phase="in_transaction", name="credit.publication")(
            publication.credit_publication_changed
        )
        events.register(
            publication.EVENT_KIND, phase="after_commit", name="credit.publication_after_commit"
        )(publication.credit_publication_after_commit)
