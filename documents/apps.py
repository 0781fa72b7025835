from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from documents.handlers import issue_documents
        from documents.kinds import TRIGGERS
        from documents.selectors import confirmation_asked
        from odr import events, next_steps

        # An agreement waiting for the reader's confirmation is the case page's next step.
        next_steps.register("documents.confirmation", confirmation_asked)

        # Transitions that issue documents (kinds.TRIGGERS): render and sign after commit.
        events.register(*TRIGGERS, phase="after_commit", name="documents.issue_documents")(
            issue_documents
        )
