from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from documents.handlers import issue_documents
        from documents.kinds import TRIGGERS
        from odr import events

        # Transitions that issue documents (kinds.TRIGGERS): render and sign after commit.
        events.register(*TRIGGERS, phase="after_commit", name="documents.issue_documents")(
            issue_documents
        )
