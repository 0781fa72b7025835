from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """The regulator's workspace. It reads cases, credit and documents; nothing imports it,
    and it registers no case-event handler: every figure is read from the records. It
    registers its signed reports with /verify/ and its unread alerts with the badge."""

    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from django.utils.translation import ngettext

        from documents.services.verify import register_external
        from notifications.sources import UnreadSource, register_unread_source
        from supervision.selectors.alerts import unread_alert_count
        from supervision.services.reports import report_public_details

        # Monthly reports are signed with the organisation's key: /verify/ knows them.
        register_external(report_public_details)
        # Unread alert notices count in the header's badge, with a link to the alerts.
        register_unread_source(
            UnreadSource(
                name="alerts",
                count=unread_alert_count,
                describe=lambda n: (
                    ngettext("%(n)d unread alert", "%(n)d unread alerts", n) % {"n": n}
                ),
                url_name="supervision:alerts",
            )
        )
