from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.services.clocks import on_calendar_changed
        from odr.calendar import calendar_changed

        # A State Council notice imported (odr.calendar.calendar_import): recount the
        # deadlines it touches, in the import's transaction.
        calendar_changed.connect(on_calendar_changed, dispatch_uid="cases.deadlines")

    def seed_demo(self) -> None:
        from cases.demo import seed_demo_cases

        seed_demo_cases()
