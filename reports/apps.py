from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports of violations")

    def ready(self) -> None:
        from odr import submission
        from odr.calendar import calendar_changed
        from reports.services import notices
        from reports.services.clocks import on_calendar_changed
        from reports.services.events import register
        from reports.wizard import REVIEW_EXTRA

        # A holiday notice imported: recount the reports' deadlines it touches.
        calendar_changed.connect(on_calendar_changed, dispatch_uid="reports.deadlines")
        # A named reporter who asked is told of the decision, after it commits.
        register("report.opened", "report.not_opened", phase="after_commit")(
            notices.reporter_notice_for_event
        )
        # The complaint wizard's review step offers "also report this".
        submission.register(REVIEW_EXTRA)

    def seed_demo(self) -> None:
        from reports.demo import seed_demo_reports

        seed_demo_reports()
