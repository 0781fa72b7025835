from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """The regulator's workspace. It reads cases, credit and documents; nothing imports it,
    and it registers no case-event handler: every figure is read from the records."""

    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from documents.services.verify import register_external
        from supervision.services.reports import report_public_details

        # Monthly reports are signed with the organisation's key: /verify/ knows them.
        register_external(report_public_details)
